"""A handed-over dossier's history as its agency reads it, and reopening one for a correction,
through the API on a real database and object store.

The history: a dossier received, read, reviewed (a correction), sent back, resubmitted with a
new paper, read again, reviewed (a confirmation), approved, acknowledged and given a status
by its agency: each step once, in time order, with who (staff full names from their accounts),
the unit, Vietnam time and the national status after it; another agency is answered 404 and
every read is recorded. Reopening: a validated dossier back in review, a field corrected,
approved again as package revision 2 under its own prefix (dossier.resent told), the first
revision's files kept and not reported as orphans by `sohoa check`; refused in review.

Dossiers are put where the reader leaves them (`stage`, as the review workstation's tests do):
the reading itself is other tests' business. The clock is the system's (Vietnam time): the
access log and the jobs keep the machine's time, so a fixed clock would put them out of order.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from intake.auth import Role
from intake.clock import VIETNAM, SystemClock
from intake.integrity import check_integrity
from intake.integrity_core import CheckOptions, Code
from intake.records import find_dossier
from storage.agency_tables import AgencyEventRow
from storage.tables import AccessLogRow
from tests.intake_support import API, assert_error, make_settings
from tests.integrity_support import png, ready_for_review
from tests.test_review_workstation import AN, BINH, NAME_FIELD, OK_FIELD, Desk, desk_for

AGENCY, OTHER_AGENCY = "000.00.20.H26", "000.00.30.H26"  # 2.000200's agency, and another
CORRECTED = "NGUYỄN VĂN BÌNH"


@pytest.fixture(scope="module")
def desk(request, tmp_path_factory) -> Iterator[Desk]:  # noqa: ANN001
    settings = make_settings("local-sqlite", request, tmp_path_factory.mktemp("handover"))
    with desk_for(settings, SystemClock()) as running:  # type: ignore[arg-type]
        service = running.api.service
        running.api.keys.update(
            agency=service.keys.create(Role.AGENCY, AGENCY),
            other_agency=service.keys.create(Role.AGENCY, OTHER_AGENCY),
        )
        yield running


def ok(response, status: int = 200) -> dict:  # noqa: ANN001
    assert response.status_code == status, response.text
    return response.json()


def approve(desk: Desk, code: str, who: str = "an") -> dict:
    return ok(desk.client.post(f"{API}/review/dossiers/{code}/approve", headers=desk.h(who)))


def correct(desk: Desk, code: str, cid: int, value: str, who: str = "an") -> dict:
    url = desk.field_url(code, cid, str(NAME_FIELD["name"]))
    return ok(desk.client.put(url, json={"value": value}, headers=desk.h(who)))


@pytest.fixture(scope="module")
def lived(desk: Desk) -> str:
    """A dossier through every step an agency is told of; its code."""
    code, cid = desk.staged([NAME_FIELD, OK_FIELD])
    correct(desk, code, cid, "NGUYỄN VĂN AN", who="binh")
    sent = ok(
        desk.client.post(
            f"{API}/review/dossiers/{code}/send-back",
            json={"items": ["Bản sao giấy khai sinh"], "note": "Thiếu giấy khai sinh"},
            headers=desk.h("binh"),
        )
    )
    added = desk.client.post(
        f"{API}/dossiers/{sent['id']}/files", files={"file": ("khai-sinh.png", png(77))}, headers=desk.h("counter")
    )
    assert added.status_code == 201, added.text
    ok(desk.client.post(f"{API}/dossiers/{sent['id']}/submit", json={}, headers=desk.h("counter")))
    ready_for_review(desk.api.service, code)  # read again
    ok(desk.client.post(desk.field_url(code, cid, str(OK_FIELD["name"])) + "/confirm", headers=desk.h("an")))
    approve(desk, code)
    ok(desk.client.post(f"{API}/agency/dossiers/{code}/ack", headers=desk.h("agency")))
    ok(desk.client.post(f"{API}/agency/dossiers/{code}/status", json={"status": 4}, headers=desk.h("agency")))
    return code


def test_history_tells_who_did_what_and_when_in_order(desk: Desk, lived: str) -> None:
    history = ok(desk.client.get(f"{API}/agency/dossiers/{lived}/history", headers=desk.h("agency")))
    assert history["dossier_code"] == lived
    items = history["items"]
    steps = [(i["action"], i["by"], i["by_name"], i["national_status"]) for i in items]
    assert steps == [
        ("received", "nv.tiepnhan", None, 2),  # a key holder has no full name
        ("digitized", None, None, 2),
        ("reviewed", "kt.binh", BINH, 2),
        ("sent_back", "kt.binh", BINH, 5),
        ("resubmitted", "nv.tiepnhan", None, 2),
        ("digitized", None, None, 2),
        ("reviewed", "kt.an", AN, 2),
        ("approved", "kt.an", AN, 2),
        ("acknowledged", AGENCY, None, 2),
        ("status_reported", AGENCY, None, 4),
    ]
    times = [datetime.fromisoformat(i["at"]) for i in items]
    assert all(t.utcoffset() == timedelta(hours=7) for t in times)  # Vietnam time, with its offset
    assert times == sorted(times)
    now = datetime.now(VIETNAM)
    assert all(now - timedelta(minutes=10) < t <= now for t in times)
    by_action = {i["action"]: i for i in items}
    assert by_action["received"]["unit"] == "Điểm phục vụ hành chính công phường Hoàn Kiếm"
    assert by_action["approved"]["unit"] == "Trung tâm Phục vụ hành chính công thành phố Hà Nội"
    assert by_action["status_reported"]["unit"] == "Công an thành phố Hà Nội"
    assert by_action["approved"]["detail"] == "gói lần 1"
    assert by_action["sent_back"]["detail"] == "Bản sao giấy khai sinh — Thiếu giấy khai sinh"
    assert by_action["status_reported"]["detail"] == "4 (Đang xử lý)"
    reviewed = [i["detail"] for i in items if i["action"] == "reviewed"]
    assert reviewed[0].startswith("0 giá trị xác nhận, 1 giá trị sửa")
    assert reviewed[1].startswith("1 giá trị xác nhận, 0 giá trị sửa")
    assert all(i["action_label"] for i in items)


def test_history_is_its_agencys_only_and_every_read_is_recorded(desk: Desk, lived: str) -> None:
    url = f"{API}/agency/dossiers/{lived}/history"
    assert_error(desk.client.get(url, headers=desk.h("other_agency")), 404, "DOSSIER_NOT_FOUND")
    assert_error(desk.client.get(f"{API}/agency/dossiers/000-missing/history", headers=desk.h("agency")), 404)
    assert_error(desk.client.get(url, headers=desk.h("counter")), 403, "FORBIDDEN")
    with desk.api.service.db.reading() as s:
        before = s.scalars(
            select(AccessLogRow.principal).where(AccessLogRow.dossier_code == lived, AccessLogRow.action == "history")
        ).all()
    ok(desk.client.get(url, headers=desk.h("agency")))
    with desk.api.service.db.reading() as s:
        after = s.scalars(
            select(AccessLogRow.principal).where(AccessLogRow.dossier_code == lived, AccessLogRow.action == "history")
        ).all()
    assert after == [*before, AGENCY] and OTHER_AGENCY not in after


def _manifest(desk: Desk, code: str) -> dict:
    return ok(desk.client.get(f"{API}/agency/dossiers/{code}/manifest", headers=desk.h("agency")))


def _stored(desk: Desk, key: str) -> bytes:
    with desk.api.service.store.open(key) as stream:
        return stream.read()


def _name_value(manifest: dict) -> str:
    return manifest["components"][0]["fields"][NAME_FIELD["name"]]["value"]


def test_reopen_correct_and_approve_again_sends_revision_2(desk: Desk) -> None:
    code, cid = desk.staged([NAME_FIELD])
    correct(desk, code, cid, "NGUYỄN VĂN AN")
    approve(desk, code)
    first = _manifest(desk, code)
    assert first["dossier"]["package_revision"] == 1 and _name_value(first) == "NGUYỄN VĂN AN"
    first_keys = [f"packages/{code}/{f['name']}" for f in first["files"]] + [f"packages/{code}/manifest.json"]
    stored = {key: _stored(desk, key) for key in first_keys}

    reason = "Sai họ tên người yêu cầu"
    assert_error(
        desk.client.post(f"{API}/review/dossiers/{code}/reopen", json={"reason": " "}, headers=desk.h("an")), 422
    )
    assert_error(
        desk.client.post(f"{API}/review/dossiers/{code}/reopen", json={"reason": reason}, headers=desk.h("agency")),
        403,
        "FORBIDDEN",
    )
    reopened = ok(
        desk.client.post(f"{API}/review/dossiers/{code}/reopen", json={"reason": reason}, headers=desk.h("an"))
    )
    assert reopened["state"] == "needs_review"
    # Reopened by kt.an: kt.binh is refused while kt.an holds it.
    field = desk.field_url(code, cid, str(NAME_FIELD["name"]))
    assert_error(
        desk.client.put(field, json={"value": "X"}, headers=desk.h("binh")),
        409,
        "DOSSIER_CLAIMED",
    )
    correct(desk, code, cid, CORRECTED)
    again = approve(desk, code)
    assert again["state"] == "validated"

    with desk.api.service.db.reading() as s:
        row = find_dossier(s, code)
        assert (row.package_revision, row.package_prefix) == (2, f"packages/{code}/r2/")
        kinds = s.scalars(
            select(AgencyEventRow.kind).where(AgencyEventRow.dossier_code == code).order_by(AgencyEventRow.id)
        ).all()
        logged = s.scalar(
            select(AccessLogRow.detail).where(AccessLogRow.dossier_code == code, AccessLogRow.action == "reopen")
        )
    assert kinds == ["dossier.ready", "dossier.resent"]
    assert logged == reason
    second = _manifest(desk, code)
    assert second["dossier"]["package_revision"] == 2 and _name_value(second) == CORRECTED
    # The first revision is kept as it was handed over.
    assert {key: _stored(desk, key) for key in first_keys} == stored
    # `sohoa check` counts both revisions as referenced: nothing of this dossier is an orphan.
    report = check_integrity(
        desk.api.service.db, desk.api.service.store, desk.api.service.ctx.version, CheckOptions(dossier=code)
    )
    assert [f for f in report.findings if f.code == Code.ORPHAN_OBJECT] == []
    # A stray file beside revision 2 is still one.
    desk.api.service.store.put(f"packages/{code}/r2/components/99-other.pdf", b"%PDF-1.7 stray")
    desk.api.service.store.put(f"packages/{code}/r3/manifest.json", b"{}")
    report = check_integrity(
        desk.api.service.db, desk.api.service.store, desk.api.service.ctx.version, CheckOptions(dossier=code)
    )
    assert {f.object_key for f in report.findings if f.code == Code.ORPHAN_OBJECT} == {
        f"packages/{code}/r2/components/99-other.pdf",
        f"packages/{code}/r3/manifest.json",
    }

    history = ok(desk.client.get(f"{API}/agency/dossiers/{code}/history", headers=desk.h("agency")))
    actions = [(i["action"], i["by"], i["detail"]) for i in history["items"] if i["action"] != "reviewed"]
    assert actions[-3:] == [
        ("approved", "kt.an", "gói lần 1"),
        ("reopened", "kt.an", reason),
        ("resent", "kt.an", "gói lần 2"),
    ]
    reviewed = [i for i in history["items"] if i["action"] == "reviewed"]
    assert len(reviewed) == 2  # one review round before the approval, one after the reopening


def test_agency_keeps_reading_the_previous_revision_while_reopened(desk: Desk) -> None:
    """Passes once `dossier_scope` and `AgencyDesk._dossier` let an agency see a dossier it was
    handed (package_revision >= 1) while it is reopened (see the report to the integrator)."""
    code, cid = desk.staged([NAME_FIELD])
    correct(desk, code, cid, "NGUYỄN VĂN AN")
    approve(desk, code)
    first = _manifest(desk, code)
    ok(desk.client.post(f"{API}/review/dossiers/{code}/reopen", json={"reason": "Đính chính"}, headers=desk.h("an")))
    correct(desk, code, cid, CORRECTED)
    assert _manifest(desk, code) == first  # still revision 1, with the value it was handed
    pdf = first["components"][0]["searchable_pdf"]
    download = desk.client.get(f"{API}/agency/dossiers/{code}/files/{pdf}", headers=desk.h("agency"))
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    assert_error(desk.client.get(f"{API}/agency/dossiers/{code}/manifest", headers=desk.h("other_agency")), 404)


def test_reopen_is_refused_for_a_dossier_not_handed_over(desk: Desk) -> None:
    code, _cid = desk.staged([NAME_FIELD])
    body = assert_error(
        desk.client.post(f"{API}/review/dossiers/{code}/reopen", json={"reason": "Đính chính"}, headers=desk.h("an")),
        409,
        "DOSSIER_NOT_REOPENABLE",
    )
    assert "chờ kiểm tra" in body["message"]
    with desk.api.service.db.reading() as s:
        assert find_dossier(s, code).state == "needs_review"
