"""The review workstation's service, through the API on a real database: the queue (green lane
first, filters, days to the appointment), claims (two reviewers, the idle lapse, "next" never
handing one dossier out twice, sign-out and a disabled account), field versions (a stale
correction refused with the current value), candidates (picking one records its source), the
checks of typed values, and approval (refused while a field is unresolved or another reviewer
holds the dossier; the package says who confirmed each value).

Dossiers are put where the reader leaves them (`stage`: pages read, fields with the statuses,
sources and disagreements the verification stage records); one test reads a real card through
the in-process pool. Times come from a FixedClock (Vietnam time).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from intake.auth import Principal, Role
from intake.candidates import DocumentValues, field_candidates, other_documents
from intake.clock import VIETNAM, FixedClock
from intake.errors import ServiceError
from intake.processing.pool import LocalPool
from intake.records import find_dossier
from intake.service import open_service
from models.errors import ErrorCode
from pipeline.fields.typed_check import check_typed
from storage.tables import AccessLogRow, ComponentRow, DossierRow, FieldRow
from tests.intake_support import (
    API,
    BACKENDS,
    RunningApi,
    assert_error,
    in_process_dispatcher,
    make_settings,
    start_api,
)
from tests.integrity_support import at_once, png, ready_for_review

START = datetime(2026, 3, 2, 9, 0, tzinfo=VIETNAM)  # a Monday
PASSWORD = "Kiểm tra hồ sơ từ 8 giờ sáng"
AN, BINH = "Lê Thị An", "Trần Văn Bình"
INCOMPLETE = {"missing_reason": "Công dân bổ sung giấy tờ sau"}


@dataclass
class Desk:
    """The running API with a counter, two named reviewers (staff accounts kt.an and kt.binh,
    each with an API key) and the clock."""

    api: RunningApi
    clock: FixedClock
    codes: list[str] = field(default_factory=list)  # the dossiers made, in order

    @property
    def client(self) -> TestClient:
        return self.api.client

    def h(self, who: str) -> dict[str, str]:
        return self.api.headers(who)

    def submit(self, procedure: str = "2.000200", counter: str = "counter", point: str = "HN-HOANKIEM") -> dict:
        body = {"procedure_code": procedure, "service_point_code": point, "applicant": {"full_name": "Phạm Thị Mẫu"}}
        dossier = self.client.post(f"{API}/dossiers", json=body, headers=self.h(counter)).json()
        self.codes.append(dossier["id"])
        up = self.client.post(
            f"{API}/dossiers/{dossier['id']}/files",
            files={"file": ("trang.png", png(len(self.codes)))},  # the size `stage` reads it at
            headers=self.h(counter),
        )
        assert up.status_code == 201, up.text
        submitted = self.client.post(f"{API}/dossiers/{dossier['id']}/submit", json=INCOMPLETE, headers=self.h(counter))
        assert submitted.status_code == 200, submitted.text
        return submitted.json()

    def staged(self, fields: list[dict] | None = None, **submit) -> tuple[str, int]:  # noqa: ANN003
        """A submitted dossier as the reader would leave it, with `fields` on its file; its
        code and that file's component id."""
        code = self.submit(**submit)["code"]
        component_id = stage(self.api, code, fields or [])
        return code, component_id

    def field_url(self, code: str, component_id: int, name: str) -> str:
        return f"{API}/review/dossiers/{code}/components/{component_id}/fields/{name}"

    def field(self, code: str, name: str, who: str = "an") -> dict:
        shown = self.client.get(f"{API}/review/dossiers/{code}", headers=self.h(who))
        assert shown.status_code == 200, shown.text
        return next(f for c in shown.json()["components"] for f in c["fields"] if f["name"] == name)

    def package_file(self, code: str, name: str) -> dict:
        with self.api.service.store.open(f"packages/{code}/{name}") as stream:
            return json.loads(stream.read())


def stage(api: RunningApi, code: str, fields: list[dict]) -> int:
    """The dossier's pages read and `fields` (name, value, status, and optionally sources,
    reason, detail) on its first file, waiting for review; the file's component id."""
    (component_id,) = ready_for_review(api.service, code)
    with api.service.db.transaction() as s:
        for spec in fields:
            s.add(
                FieldRow(
                    component_id=component_id,
                    part=0,
                    name=spec["name"],
                    value=spec["value"],
                    confidence=spec.get("confidence", 0.6),
                    page=0,
                    box=[10, 10, 100, 30],
                    status=spec.get("status", "needs_review"),
                    sources=spec.get("sources", ["ocr"]),
                    reason=spec.get("reason"),
                    detail=spec.get("detail"),
                )
            )
    return component_id


@contextmanager
def desk_for(settings, clock: FixedClock) -> Iterator[Desk]:  # noqa: ANN001
    service = open_service(settings, clock=clock)
    # Argon2 at its production cost is not what these tests measure.
    service.staff.hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    service.staff.add("kt.an", "reviewer", PASSWORD, full_name=AN)
    service.staff.add("kt.binh", "reviewer", PASSWORD, full_name=BINH)
    with start_api(settings, process=False, service=service, keys=False) as api:
        api.keys.update(
            counter=service.keys.create(Role.COUNTER, "nv.tiepnhan", service_point="HN-HOANKIEM"),
            other_counter=service.keys.create(Role.COUNTER, "nv.badinh", service_point="HN-BADINH"),
            an=service.keys.create(Role.REVIEWER, "kt.an"),
            binh=service.keys.create(Role.REVIEWER, "kt.binh"),
        )
        yield Desk(api, clock)


@pytest.fixture
def desk(request, tmp_path) -> Iterator[Desk]:  # noqa: ANN001
    with desk_for(make_settings("local-sqlite", request, tmp_path), FixedClock(START)) as running:
        yield running


NAME_FIELD = {"name": "ho_va_ten", "value": "NGUYỄN VĂN AN", "reason": "low_confidence"}
OK_FIELD = {"name": "quoc_tich", "value": "Việt Nam", "status": "ok", "confidence": 0.99}


# --- the queue ---------------------------------------------------------------------------------


def test_queue_puts_green_lane_first_then_appointment_and_filters(desk: Desk) -> None:
    same_day, _ = desk.staged([NAME_FIELD, OK_FIELD], procedure="2.000635")
    card, _ = desk.staged([NAME_FIELD], procedure="2.000200")
    green, _ = desk.staged([], procedure="1.014137")  # 5 working days, green lane
    elsewhere, _ = desk.staged([NAME_FIELD], procedure="2.000635", counter="other_counter", point="HN-BADINH")
    desk.submit()  # queued, not read yet: not in the queue

    queue = desk.client.get(f"{API}/review/queue", headers=desk.h("an")).json()
    assert [item["code"] for item in queue] == [green, same_day, elsewhere, card]
    by_code = {item["code"]: item for item in queue}
    assert by_code[green]["green_lane"] is True and by_code[card]["green_lane"] is False
    assert by_code[same_day]["procedure_name"] == "Cấp bản sao trích lục hộ tịch"
    assert by_code[same_day]["fields_to_review"] == 1 and by_code[green]["fields_to_review"] == 0
    assert by_code[same_day]["due_in_days"] == 0
    assert by_code[card]["due_in_days"] == (date.fromisoformat(by_code[card]["due_date"]) - START.date()).days > 0

    # Three days on, the same-day dossier is overdue.
    desk.clock.advance(days=3)
    later = desk.client.get(f"{API}/review/queue", headers=desk.h("an")).json()
    assert next(i for i in later if i["code"] == same_day)["due_in_days"] == -3

    def codes(**params: str) -> list[str]:
        answer = desk.client.get(f"{API}/review/queue", params=params, headers=desk.h("an"))
        assert answer.status_code == 200, answer.text
        return [item["code"] for item in answer.json()]

    assert codes(service_point="HN-BADINH") == [elsewhere]
    assert codes(procedure="2.000635") == [same_day, elsewhere]
    assert codes(agency="000.00.30.H26") == [green]
    assert codes(procedure="2.000635", service_point="HN-HOANKIEM") == [same_day]
    assert codes(procedure="9.999999") == []


# --- claims ------------------------------------------------------------------------------------


def test_two_reviewers_on_one_dossier_the_second_is_refused_with_the_holder(desk: Desk) -> None:
    code, cid = desk.staged([NAME_FIELD])
    opened = desk.client.post(f"{API}/review/dossiers/{code}/claim", headers=desk.h("an"))
    assert opened.status_code == 200, opened.text
    claim = opened.json()
    assert claim["code"] == code and claim["claimed_by"] == "kt.an" and claim["claimed_by_name"] == AN
    assert datetime.fromisoformat(claim["expires_at"]) == START + timedelta(minutes=15)

    # Bình is refused everything that changes it, told who has it; nothing changed.
    url = desk.field_url(code, cid, "ho_va_ten")
    refusals = [
        desk.client.post(f"{API}/review/dossiers/{code}/claim", headers=desk.h("binh")),
        desk.client.put(url, json={"value": "NGUYỄN VĂN ÂN"}, headers=desk.h("binh")),
        desk.client.post(f"{url}/confirm", headers=desk.h("binh")),
        desk.client.post(f"{API}/review/dossiers/{code}/approve", headers=desk.h("binh")),
        desk.client.post(f"{API}/review/dossiers/{code}/send-back", json={"items": ["x"]}, headers=desk.h("binh")),
        desk.client.delete(f"{API}/review/dossiers/{code}/claim", headers=desk.h("binh")),
    ]
    for refused in refusals:
        body = assert_error(refused, 409, "DOSSIER_CLAIMED")
        assert AN in body["message"]
    assert desk.field(code, "ho_va_ten", "binh")["value"] == "NGUYỄN VĂN AN"  # viewing is allowed
    # The queue shows who has it open.
    item = desk.client.get(f"{API}/review/queue", headers=desk.h("binh")).json()[0]
    assert (item["claimed_by"], item["claimed_by_name"]) == ("kt.an", AN)

    # An's own renewal is fine; given up, it is Bình's to take.
    assert desk.client.post(f"{API}/review/dossiers/{code}/claim", headers=desk.h("an")).status_code == 200
    assert desk.client.delete(f"{API}/review/dossiers/{code}/claim", headers=desk.h("an")).status_code == 204
    assert desk.client.get(f"{API}/review/queue", headers=desk.h("binh")).json()[0]["claimed_by"] is None
    taken = desk.client.post(f"{API}/review/dossiers/{code}/claim", headers=desk.h("binh"))
    assert taken.status_code == 200 and taken.json()["claimed_by_name"] == BINH


def test_a_claim_lapses_after_the_idle_timeout_and_every_action_renews_it(desk: Desk) -> None:
    code, cid = desk.staged([NAME_FIELD, {**OK_FIELD, "status": "needs_review"}])
    assert desk.client.post(f"{API}/review/dossiers/{code}/claim", headers=desk.h("an")).status_code == 200
    desk.clock.advance(minutes=14)
    assert_error(desk.client.post(f"{API}/review/dossiers/{code}/claim", headers=desk.h("binh")), 409)
    # An confirms a field at minute 14: the claim runs 15 minutes from there.
    assert (
        desk.client.post(f"{desk.field_url(code, cid, 'quoc_tich')}/confirm", headers=desk.h("an")).status_code == 200
    )
    desk.clock.advance(minutes=14)
    assert_error(desk.client.post(f"{API}/review/dossiers/{code}/claim", headers=desk.h("binh")), 409)
    assert desk.client.get(f"{API}/review/queue", headers=desk.h("binh")).json()[0]["claimed_by"] == "kt.an"
    desk.clock.advance(minutes=1, seconds=1)  # 15 minutes and a second without an action
    assert desk.client.get(f"{API}/review/queue", headers=desk.h("binh")).json()[0]["claimed_by"] is None
    taken = desk.client.post(f"{API}/review/dossiers/{code}/claim", headers=desk.h("binh"))
    assert taken.status_code == 200 and taken.json()["claimed_by"] == "kt.binh"
    # An, back at the desk, is now the one refused.
    refused = desk.client.put(desk.field_url(code, cid, "ho_va_ten"), json={"value": "X"}, headers=desk.h("an"))
    assert BINH in assert_error(refused, 409, "DOSSIER_CLAIMED")["message"]


def test_next_claims_the_first_free_dossier_in_queue_order(desk: Desk) -> None:
    late, _ = desk.staged([NAME_FIELD], procedure="2.000200")
    first, _ = desk.staged([NAME_FIELD], procedure="2.000635")
    green, _ = desk.staged([NAME_FIELD], procedure="1.014137")
    assert desk.client.post(f"{API}/review/dossiers/{green}/claim", headers=desk.h("binh")).status_code == 200

    got = desk.client.post(f"{API}/review/next", headers=desk.h("an"))
    assert got.status_code == 200 and got.json()["code"] == first  # the green one is Bình's
    assert got.json()["claimed_by_name"] == AN
    # Asking again gives An's own dossier back, not a second one.
    assert desk.client.post(f"{API}/review/next", headers=desk.h("an")).json()["code"] == first
    assert desk.client.post(f"{API}/review/next", headers=desk.h("binh")).json()["code"] == green
    only_late = desk.client.post(f"{API}/review/next", params={"procedure": "2.000200"}, headers=desk.h("binh"))
    assert only_late.json()["code"] == late
    third = desk.api.service.keys.create(Role.REVIEWER, "kt.ba")
    empty = desk.client.post(f"{API}/review/next", headers={"X-API-Key": third})
    assert "Không còn hồ sơ" in assert_error(empty, 404, "QUEUE_EMPTY")["message"]


@pytest.mark.parametrize(
    "backend",
    [
        "local-sqlite",
        pytest.param("s3-postgres", marks=[pytest.mark.services, pytest.mark.xdist_group("services")]),
    ],
)
def test_next_asked_at_once_never_hands_the_same_dossier_twice(backend: str, request, tmp_path) -> None:  # noqa: ANN001
    assert backend in BACKENDS
    with desk_for(make_settings(backend, request, tmp_path), FixedClock(START)) as desk:
        codes = {desk.staged([NAME_FIELD])[0] for _ in range(4)}
        reviewers = [Principal(Role.REVIEWER, f"kt.so{i}") for i in range(6)]

        def next_for(who: Principal):  # noqa: ANN202
            def ask() -> str:
                try:
                    return desk.api.service.review_queue.next(who).code
                except ServiceError as exc:
                    return str(exc.code)

            return ask

        got = at_once([next_for(who) for who in reviewers])
        handed = [g for g in got if g != ErrorCode.QUEUE_EMPTY]
        assert sorted(handed) == sorted(codes)  # each dossier to exactly one reviewer
        assert got.count(ErrorCode.QUEUE_EMPTY) == 2
        with desk.api.service.db.reading() as s:
            holders = dict(s.execute(select(DossierRow.code, DossierRow.claimed_by)).tuples().all())
        winners = {who.subject for who, g in zip(reviewers, got, strict=True) if g in codes}
        assert {holders[code] for code in handed} == winners


def test_sign_out_and_a_disabled_account_release_the_claims(desk: Desk) -> None:
    one, _ = desk.staged([NAME_FIELD])
    two, _ = desk.staged([NAME_FIELD])
    browser = TestClient(desk.client.app)
    signed = browser.post(f"{API}/session", json={"username": "kt.an", "password": PASSWORD})
    assert signed.status_code == 200, signed.text
    csrf = {"X-CSRF-Token": signed.json()["csrf_token"]}
    assert browser.post(f"{API}/review/dossiers/{one}/claim", headers=csrf).json()["claimed_by_name"] == AN
    assert desk.client.post(f"{API}/review/dossiers/{two}/claim", headers=desk.h("binh")).status_code == 200
    assert_error(desk.client.post(f"{API}/review/dossiers/{one}/claim", headers=desk.h("binh")), 409)

    # An signs out: the dossier she had open is free, and Bình takes it.
    assert browser.delete(f"{API}/session", headers=csrf).status_code == 204
    taken = desk.client.post(f"{API}/review/dossiers/{one}/claim", headers=desk.h("binh"))
    assert taken.status_code == 200 and taken.json()["claimed_by"] == "kt.binh"

    # Bình's account is disabled: both dossiers he had open are free.
    desk.api.service.staff.disable("kt.binh", actor="test")
    queue = {i["code"]: i["claimed_by"] for i in desk.client.get(f"{API}/review/queue", headers=desk.h("an")).json()}
    assert queue == {one: None, two: None}


# --- fields: versions, candidates, checks ------------------------------------------------------


def test_a_stale_correction_is_refused_with_the_current_value(desk: Desk) -> None:
    code, cid = desk.staged([NAME_FIELD])
    url = desk.field_url(code, cid, "ho_va_ten")
    seen = desk.field(code, "ho_va_ten")
    assert seen["version"] == 1 and seen["label"] == "Họ và tên"
    # An opens the dossier and leaves it; the claim lapses, Bình corrects the same field.
    assert desk.client.post(f"{API}/review/dossiers/{code}/claim", headers=desk.h("an")).status_code == 200
    desk.clock.advance(minutes=20)
    fixed = desk.client.put(url, json={"value": "NGUYỄN VĂN ẤN", "version": 1}, headers=desk.h("binh"))
    assert fixed.status_code == 200 and fixed.json()["version"] == 2
    assert desk.client.delete(f"{API}/review/dossiers/{code}/claim", headers=desk.h("binh")).status_code == 204

    # An's correction, typed on version 1, would overwrite Bình's: refused, with the field now.
    stale = desk.client.put(url, json={"value": "NGUYỄN VĂN AN", "version": 1}, headers=desk.h("an"))
    assert stale.status_code == 409, stale.text
    body = stale.json()
    assert body["code"] == "FIELD_STALE" and "ho_va_ten" in body["message"]
    current = body["current"]
    assert current["value"] == "NGUYỄN VĂN ẤN" and current["version"] == 2
    assert current["edits"][-1]["reviewer"] == "kt.binh"
    stale_confirm = desk.client.post(f"{url}/confirm", json={"version": 1}, headers=desk.h("an"))
    assert assert_stale(stale_confirm)["current"]["value"] == "NGUYỄN VĂN ẤN"
    assert desk.field(code, "ho_va_ten")["value"] == "NGUYỄN VĂN ẤN"

    # On the current version, An's confirmation goes through; each change bumps the version.
    confirmed = desk.client.post(f"{url}/confirm", json={"version": 2}, headers=desk.h("an"))
    assert confirmed.status_code == 200 and confirmed.json()["version"] == 3
    assert [e["reviewer"] for e in confirmed.json()["edits"]] == ["kt.binh", "kt.an"]
    # Without a version (an older client), the change is taken as made on the current one.
    assert desk.client.put(url, json={"value": "NGUYỄN VĂN AN"}, headers=desk.h("an")).json()["version"] == 4


def assert_stale(response) -> dict:  # noqa: ANN001
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["code"] == "FIELD_STALE" and body["message"] and body["message_en"]
    return body


def test_candidates_where_sources_disagree_and_a_pick_records_its_source(desk: Desk) -> None:
    disagree = {
        "name": "ho_va_ten",
        "value": "NGUYỄN VĂN AN",
        "sources": ["ocr", "qr"],
        "reason": "sources_disagree",
        "detail": {"read_value": "NGUYỄN VĂN AN", "qr_value": "Nguyễn Văn Ân", "ocr2_value": "NGUYỄN VĂN AN"},
    }
    number = {"name": "so_dinh_danh", "value": "001199012345", "status": "ok", "sources": ["ocr", "qr"]}
    born = {
        "name": "ngay_sinh",
        "value": "05/09/1990",
        "sources": ["ocr", "ocr2"],
        "reason": "sources_disagree",
        "detail": {"read_value": "05/09/1990", "ocr2_value": "5/9/1990"},  # the same date: no choice
    }
    code, cid = desk.staged([disagree, number, born])
    # A second file: the applicant's form, the same ID number, the name written otherwise.
    with desk.api.service.db.transaction() as s:
        row = find_dossier(s, code)
        form = ComponentRow(
            dossier_id=row.id,
            position=2,
            filename="to-khai.png",
            file_sha256="f" * 64,
            object_key="originals/ff/ff/" + "f" * 64,
            media_type="image/png",
            size_bytes=1,
            source="scan",
            page_count=1,
            kind="ct01",
            parts=[{"kind": "ct01", "confidence": 0.9, "pages": [0]}],
            uploaded_by="nv.tiepnhan",
        )
        s.add(form)
        s.flush()
        for name, value in (("ho_va_ten", "Nguyễn Văn Ẩn"), ("so_dinh_danh", "001199012345")):
            s.add(
                FieldRow(
                    component_id=form.id,
                    part=0,
                    name=name,
                    value=value,
                    confidence=0.9,
                    page=0,
                    box=[0, 0, 5, 5],
                    status="ok",
                    sources=["ocr"],
                )
            )

    shown = desk.field(code, "ho_va_ten")
    assert [(c["source"], c["value"]) for c in shown["candidates"]] == [
        ("ocr", "NGUYỄN VĂN AN"),
        ("qr", "Nguyễn Văn Ân"),
        ("other_document", "Nguyễn Văn Ẩn"),
    ]
    assert [c["label"] for c in shown["candidates"]][:2] == ["Chữ in", "Mã QR"]
    assert shown["candidates"][2]["label"].endswith("(tệp 2)")
    assert desk.field(code, "ngay_sinh")["candidates"] == []  # both readings say one date
    assert desk.field(code, "so_dinh_danh")["candidates"] == []

    url = desk.field_url(code, cid, "ho_va_ten")
    assert_error(desk.client.put(url, json={"value": "X", "source": "doan"}, headers=desk.h("an")), 422)
    picked = desk.client.put(
        url, json={"value": "Nguyễn Văn Ân", "version": shown["version"], "source": "qr"}, headers=desk.h("an")
    )
    assert picked.status_code == 200, picked.text
    field = picked.json()
    assert field["value"] == "Nguyễn Văn Ân" and field["sources"] == ["reviewer", "qr"] and field["status"] == "ok"
    assert field["candidates"][0] == {"source": "qr", "label": "Mã QR", "value": "Nguyễn Văn Ân"}
    edit = field["edits"][-1]
    assert (edit["action"], edit["old_value"], edit["new_value"]) == ("correct", "NGUYỄN VĂN AN", "Nguyễn Văn Ân")


def test_typed_values_get_the_pipelines_checks_before_they_are_saved(desk: Desk) -> None:
    def check(name: str, value: str) -> dict:
        answer = desk.client.post(f"{API}/review/check", json={"name": name, "value": value}, headers=desk.h("an"))
        assert answer.status_code == 200, answer.text
        return answer.json()

    assert check("ngay_sinh", "31/02/1990") == {
        "value": "31/02/1990",
        "valid": False,
        "problems": ["Ngày không có thật"],
        "may_keep": False,
    }
    assert check("ngay_sinh", "1/2/1990") == {"value": "01/02/1990", "valid": True, "problems": [], "may_keep": False}
    assert "sau hôm nay" in check("ngay_cap", "03/03/2026")["problems"][0]  # tomorrow, Vietnam time
    assert check("co_gia_tri_den", "05/09/2040")["valid"] is True  # an expiry lies ahead
    assert check("so_dinh_danh", "00119900001")["problems"] == ["Số định danh phải có 12 chữ số"]
    assert "Mã tỉnh 099" in check("so_dinh_danh", "099199000001")["problems"][0]
    assert check("so_dinh_danh", "001 199 000 001") == {
        "value": "001199000001",
        "valid": True,
        "problems": [],
        "may_keep": False,
    }
    unknown = check("noi_cu_tru", "Phường Không Có, Thành phố Hà Nội")
    assert unknown["valid"] is False and "Không tìm thấy đơn vị hành chính" in unknown["problems"][0]
    assert unknown["may_keep"] is True  # only a place may be kept outside the catalogue
    assert check("noi_cu_tru", "12 phố Hàng Bạc, phường Hoàn Kiếm, thành phố Hà Nội")["valid"] is True
    assert check("gioi_tinh", "nữ") == {"value": "Nữ", "valid": True, "problems": [], "may_keep": False}
    assert_error(desk.client.post(f"{API}/review/check", json={"name": "x"}, headers=desk.h("an")), 422)
    assert_error(
        desk.client.post(f"{API}/review/check", json={"name": "x", "value": "y"}, headers=desk.h("counter")), 403
    )

    place = {"name": "noi_cu_tru", "value": "Phường Không Có, Hà Nội", "reason": "unknown_unit"}
    code, cid = desk.staged([place, {"name": "ngay_sinh", "value": "05/09/1990"}])
    for name, value, problem in (
        ("ngay_sinh", "30/02/1990", "Ngày không có thật"),
        ("so_dinh_danh", "12345", "12 chữ số"),
        ("noi_cu_tru", "Xóm Núi, Thành phố Không Có", "Không tìm thấy đơn vị hành chính"),
    ):
        refused = desk.client.put(desk.field_url(code, cid, name), json={"value": value}, headers=desk.h("an"))
        assert problem in assert_error(refused, 422, "FIELD_VALUE_INVALID")["message"]
    # The place as read fails its check: it cannot be confirmed, only corrected.
    url = desk.field_url(code, cid, "noi_cu_tru")
    assert_error(desk.client.post(f"{url}/confirm", headers=desk.h("an")), 422, "FIELD_VALUE_INVALID")
    fixed = desk.client.put(url, json={"value": "Phường Hoàn Kiếm, Thành phố Hà Nội"}, headers=desk.h("an"))
    assert fixed.status_code == 200 and fixed.json()["status"] == "ok"
    saved = desk.client.put(desk.field_url(code, cid, "ngay_sinh"), json={"value": "5-9-1990"}, headers=desk.h("an"))
    assert saved.json()["value"] == "05/09/1990"


def test_a_place_abroad_is_kept_only_when_the_reviewer_says_so(desk: Desk) -> None:
    """A birthplace abroad is no catalogued unit: refused as typed (the check names the
    problem), kept when the reviewer says so, and the agency is told it lies outside the
    catalogue. No other check can be overridden that way."""
    place = {"name": "noi_sinh", "value": "Paris, Cộng hòa Pháp", "reason": "unknown_unit"}
    code, cid = desk.staged([place, {"name": "ngay_sinh", "value": "05/09/1990"}])
    url = desk.field_url(code, cid, "noi_sinh")
    refused = assert_error(desk.client.post(f"{url}/confirm", headers=desk.h("an")), 422, "FIELD_VALUE_INVALID")
    assert refused["may_keep"] is True
    kept = desk.client.post(f"{url}/confirm", json={"keep_unlisted_place": True}, headers=desk.h("an"))
    assert kept.status_code == 200, kept.text
    assert kept.json()["status"] == "ok" and kept.json()["value"] == "Paris, Cộng hòa Pháp"
    assert kept.json()["detail"]["unlisted_place"] is True
    # Corrected later to a catalogued place: the mark goes.
    fixed = desk.client.put(url, json={"value": "Phường Hoàn Kiếm, Thành phố Hà Nội"}, headers=desk.h("an"))
    assert "unlisted_place" not in (fixed.json()["detail"] or {})
    # A date is no place: the flag does not get an impossible day past its check.
    date_url = desk.field_url(code, cid, "ngay_sinh")
    wrong_day = desk.client.put(
        date_url, json={"value": "30/02/1990", "keep_unlisted_place": True}, headers=desk.h("an")
    )
    assert "may_keep" not in assert_error(wrong_day, 422, "FIELD_VALUE_INVALID")


# --- approval ----------------------------------------------------------------------------------


def test_approve_waits_for_every_field_and_for_the_holder_and_records_who_confirmed(desk: Desk) -> None:
    code, cid = desk.staged([NAME_FIELD, OK_FIELD])
    approve = f"{API}/review/dossiers/{code}/approve"
    assert (
        "1 trường" in assert_error(desk.client.post(approve, headers=desk.h("an")), 409, "FIELDS_UNRESOLVED")["message"]
    )
    confirmed = desk.client.post(f"{desk.field_url(code, cid, 'ho_va_ten')}/confirm", headers=desk.h("an"))
    assert confirmed.status_code == 200
    assert_error(desk.client.post(approve, headers=desk.h("binh")), 409, "DOSSIER_CLAIMED")
    approved = desk.client.post(approve, headers=desk.h("an"))
    assert approved.status_code == 200 and approved.json()["state"] == "validated"
    with desk.api.service.db.reading() as s:
        row = find_dossier(s, code)
        assert (row.claimed_by, row.approved_by) == (None, "kt.an")
        actions = [a for (a,) in s.execute(select(AccessLogRow.action).where(AccessLogRow.dossier_code == code))]
    assert "approve" in actions and "confirm" in actions

    (document,) = desk.package_file(code, "fields.json").values()
    assert document["ho_va_ten"]["confirmed_by"] == "kt.an"
    assert document["quoc_tich"]["confirmed_by"] is None  # ok as read
    manifest = desk.client.get(f"{API}/agency/dossiers/{code}/manifest", headers=desk.h("an"))
    assert manifest.status_code == 403  # the agency's, not a reviewer's
    agency = desk.api.service.keys.create(Role.AGENCY, "000.00.20.H26")
    listed = desk.client.get(f"{API}/agency/dossiers/{code}/manifest", headers={"X-API-Key": agency}).json()
    assert listed["components"][0]["fields"]["ho_va_ten"]["confirmed_by"] == "kt.an"
    assert listed["components"][0]["fields"]["quoc_tich"]["confirmed_by"] is None


# --- pure parts --------------------------------------------------------------------------------


def test_candidates_are_distinct_stored_values_the_current_first() -> None:
    detail = {"read_value": "5/9/1990", "qr_value": "05/09/1991", "in_words": "05/09/1990", "mrz_value": ""}
    found = field_candidates("ngay_sinh", "05/09/1991", ["qr", "ocr"], detail)
    assert [(c.source, c.value) for c in found] == [("qr", "05/09/1991"), ("ocr", "05/09/1990")]
    # The current value from no listed source (a reviewer's) comes first, labelled for its source.
    typed = field_candidates("ho_va_ten", "TRẦN AN", ["reviewer"], {"qr_value": "Trần Ân"})
    assert [(c.source, c.label) for c in typed] == [("reviewer", "Người kiểm tra"), ("qr", "Mã QR")]
    assert field_candidates("ho_va_ten", "A", ["ocr"], {"read_value": "A"}) == []
    assert field_candidates("ho_va_ten", "A", ["ocr"], None) == []


def test_other_documents_count_only_when_they_are_the_same_persons() -> None:
    card = DocumentValues((1, 0), "Căn cước (tệp 1)", {"so_dinh_danh": "001199012345", "ho_va_ten": "TRẦN AN"})
    form = DocumentValues((2, 0), "Tờ khai (tệp 2)", {"so_dinh_danh": "001199012345", "ho_va_ten": "Trần Ẩn"})
    child = DocumentValues((3, 0), "Giấy khai sinh (tệp 3)", {"ho_va_ten": "Trần Bé", "ngay_sinh": "01/01/2020"})
    same_name = DocumentValues((4, 0), "Đơn (tệp 4)", {"ho_va_ten": "trần an", "ngay_sinh_2": "02/02/1990"})
    documents = [card, form, child, same_name]
    assert other_documents("ho_va_ten", card, documents) == [("Tờ khai (tệp 2)", "Trần Ẩn"), ("Đơn (tệp 4)", "trần an")]
    assert other_documents("ngay_sinh", card, documents) == [("Đơn (tệp 4)", "02/02/1990")]  # by base name
    assert other_documents("ho_va_ten", child, documents) == []


def test_typed_check_is_pure_and_uses_the_given_day() -> None:
    assert check_typed("ngay_sinh", "02/03/2026", date(2026, 3, 2)) == ("02/03/2026", [])
    assert check_typed("ngay_sinh", "02/03/2026", date(2026, 3, 1))[1] == ["Ngày không được sau hôm nay (01/03/2026)"]
    assert check_typed("ngay_sinh", "hôm qua", date(2026, 3, 1))[1][0].startswith("Ngày phải ghi theo dạng")
    assert check_typed("so_dinh_danh", "000199000001", date(2026, 3, 1))[1] == [
        "Mã tỉnh 000 (3 chữ số đầu) không hợp lệ"
    ]
    assert check_typed("que_quan", "Nghệ An", date(2026, 3, 1)) == ("Nghệ An", [])  # a province alone
    assert check_typed("que_quan", "Kim Liên, Nam Đàn, Nghệ An", date(2026, 3, 1))[1] == []  # pre-2025 units
    assert check_typed("ho_va_ten", "Bất kỳ", date(2026, 3, 1)) == ("Bất kỳ", [])


# --- a dossier read by the pipeline ------------------------------------------------------------


@pytest.fixture(scope="module")
def card_qr_disagrees() -> tuple[bytes, dict[str, str], str]:
    """A chip CCCD's front whose QR code names another spelling than the print ("Hưng" for
    "HÙNG"): the card as PNG, its printed truth and the QR's name."""
    from samples import graphics
    from samples.canvas import CARD_PX
    from samples.generate import encode_png, generate_document

    card = generate_document("cccd_front", "clean", 31)
    truth = {name: spec["value"] for name, spec in card.truth["fields"].items()}
    assert truth["ho_va_ten"] == "NGUYỄN ĐÌNH HÙNG"
    qr_name = "Nguyễn Đình Hưng"
    page = card.pages[0].copy()
    code = graphics.qr_image(card.truth["qr_payload"].replace("Nguyễn Đình Hùng", qr_name), 172)
    page.paste(code, (CARD_PX[0] - 22 - code.width, 16))
    return encode_png(page), truth, qr_name


@pytest.mark.ocr
def test_a_card_read_by_the_pipeline_offers_print_and_qr_and_the_pick_is_delivered(
    request,  # noqa: ANN001
    tmp_path,  # noqa: ANN001
    card_qr_disagrees: tuple[bytes, dict[str, str], str],
) -> None:
    data, truth, qr_name = card_qr_disagrees
    settings = make_settings("local-sqlite", request, tmp_path)
    clock = FixedClock(START)
    pool: LocalPool | None = None
    try:
        with desk_for(settings, clock) as desk:
            pool, dispatcher = in_process_dispatcher(settings, desk.api.service, clock)
            applicant = {"full_name": truth["ho_va_ten"]}
            body = {"procedure_code": "2.000200", "service_point_code": "HN-HOANKIEM", "applicant": applicant}
            dossier = desk.client.post(f"{API}/dossiers", json=body, headers=desk.h("counter")).json()
            files = {"file": ("the.png", data)}
            up = desk.client.post(f"{API}/dossiers/{dossier['id']}/files", files=files, headers=desk.h("counter"))
            assert up.status_code == 201, up.text
            code = desk.client.post(f"{API}/dossiers/{dossier['id']}/submit", headers=desk.h("counter")).json()["code"]

            def read() -> bool:
                with desk.api.service.db.reading() as s:
                    return find_dossier(s, code).state not in ("queued", "processing")

            assert dispatcher.run_until(read, timeout=300)
            claim = desk.client.post(f"{API}/review/next", headers=desk.h("an"))
            assert claim.status_code == 200 and claim.json()["code"] == code
            (component,) = desk.client.get(f"{API}/review/dossiers/{code}", headers=desk.h("an")).json()["components"]
            fields = {f["name"]: f for f in component["fields"]}
            assert fields["so_dinh_danh"]["value"] == truth["so_dinh_danh"]
            assert fields["so_dinh_danh"]["label"] == "Số định danh cá nhân"
            assert all(f["version"] == 1 for f in fields.values())
            name = fields["ho_va_ten"]
            assert name["status"] == "needs_review" and name["reason"] == "sources_disagree"
            offered = {(c["source"], c["label"], c["value"]) for c in name["candidates"]}
            assert offered == {("ocr", "Chữ in", truth["ho_va_ten"]), ("qr", "Mã QR", qr_name)}
            assert name["candidates"][0]["value"] == name["value"]  # the value shown comes first

            # The reviewer picks the QR's spelling (key 2 on the screen), on the version seen.
            url = desk.field_url(code, component["id"], "ho_va_ten")
            pick = {"value": qr_name, "version": 1, "source": "qr"}
            picked = desk.client.put(url, params={"part": name["part"]}, json=pick, headers=desk.h("an"))
            assert picked.status_code == 200, picked.text
            assert picked.json()["sources"] == ["reviewer", "qr"] and picked.json()["version"] == 2
            for f in fields.values():  # anything else left doubtful is confirmed as read
                if f["status"] != "ok" and f["name"] != "ho_va_ten":
                    done = desk.client.post(
                        desk.field_url(code, component["id"], f["name"]) + "/confirm",
                        params={"part": f["part"]},
                        json={"version": f["version"]},
                        headers=desk.h("an"),
                    )
                    assert done.status_code == 200, done.text
            approved = desk.client.post(f"{API}/review/dossiers/{code}/approve", headers=desk.h("an"))
            assert approved.status_code == 200 and approved.json()["state"] == "validated", approved.text
            (document,) = desk.package_file(code, "fields.json").values()
            assert document["ho_va_ten"]["value"] == qr_name
            assert document["ho_va_ten"]["sources"] == ["reviewer", "qr"]
            assert document["ho_va_ten"]["confirmed_by"] == "kt.an"
            assert document["so_dinh_danh"]["value"] == truth["so_dinh_danh"]
            doubtful = {n for n, f in fields.items() if f["status"] != "ok"}
            assert {n for n, f in document.items() if f["confirmed_by"] == "kt.an"} == doubtful
    finally:
        if pool is not None:
            pool.shutdown()


def test_page_images_still_need_no_claim(desk: Desk) -> None:
    code, cid = desk.staged([NAME_FIELD])
    assert desk.client.post(f"{API}/review/dossiers/{code}/claim", headers=desk.h("an")).status_code == 200
    image = desk.client.get(f"{API}/review/dossiers/{code}/components/{cid}/pages/0/image", headers=desk.h("binh"))
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg" and image.content
