"""Sending a dossier back to its counter instead of approving it, through the API on a real
database: the request recorded, the dossier out of the queue with national status 5, listed for
the counter that received it, form 02 (Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ) printed and read
back with pdfplumber, every print recorded; then the citizen's resubmission at the counter: new
files, submit, queued again with national status 2, the request resolved and a new appointment
date counted from the resubmission. Form 02 itself is also read back on A5 and across pages."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime

import pdfplumber
import pytest
from sqlalchemy import select

from intake.clock import VIETNAM, FixedClock
from intake.processing.jobs import JobState
from intake.records import find_dossier
from pipeline.output.supplement import SupplementData, render_supplement_request
from storage.tables import AccessLogRow, JobRow, SupplementRequestRow
from tests.intake_support import API, assert_error, make_settings
from tests.integrity_support import png
from tests.test_review_workstation import AN, BINH, NAME_FIELD, START, Desk, desk_for

ITEMS = [
    "Bản sao giấy khai sinh có chứng thực",
    "Chụp lại mặt sau thẻ căn cước: ảnh mờ, không đọc được ngày cấp",
]
NOTE = "Tờ khai thiếu chữ ký của người yêu cầu"


@pytest.fixture
def desk(request, tmp_path) -> Iterator[Desk]:  # noqa: ANN001
    with desk_for(make_settings("local-sqlite", request, tmp_path), FixedClock(START)) as running:
        yield running


def pdf_text(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return re.sub(r"\s+", " ", " ".join(page.extract_text() or "" for page in document.pages))


def test_send_back_hands_the_dossier_to_its_counter_with_form_02(desk: Desk) -> None:
    code, _cid = desk.staged([NAME_FIELD])
    send_back = f"{API}/review/dossiers/{code}/send-back"
    assert_error(desk.client.post(send_back, json={"items": []}, headers=desk.h("binh")), 422, "INVALID_REQUEST")
    assert_error(desk.client.post(send_back, json={"items": ["  "]}, headers=desk.h("binh")), 422, "INVALID_REQUEST")
    assert_error(desk.client.post(send_back, json={"items": ["a\u202eb"]}, headers=desk.h("binh")), 422)
    assert_error(desk.client.post(send_back, json={"items": ITEMS}, headers=desk.h("counter")), 403, "FORBIDDEN")
    assert desk.client.post(f"{API}/review/dossiers/{code}/claim", headers=desk.h("binh")).status_code == 200
    assert_error(desk.client.post(send_back, json={"items": ITEMS}, headers=desk.h("an")), 409, "DOSSIER_CLAIMED")

    desk.clock.advance(hours=2)
    sent = desk.client.post(
        send_back, json={"items": [f" {ITEMS[0]} ", ITEMS[1]], "note": NOTE}, headers=desk.h("binh")
    )
    assert sent.status_code == 200, sent.text
    dossier = sent.json()
    assert dossier["state"] == "sent_back" and dossier["state_label"] == "Trả về quầy, chờ bổ sung"
    assert dossier["national_status"] == 5 and dossier["national_status_label"] == "Yêu cầu bổ sung giấy tờ"
    with desk.api.service.db.reading() as s:
        assert find_dossier(s, code).claimed_by is None
    assert desk.client.get(f"{API}/review/queue", headers=desk.h("an")).json() == []
    assert_error(
        desk.client.post(send_back, json={"items": ITEMS}, headers=desk.h("binh")), 409, "DOSSIER_NOT_EDITABLE"
    )
    assert_error(desk.client.post(f"{API}/review/dossiers/{code}/claim", headers=desk.h("an")), 409)

    # The counter that received it lists it with the request; another counter does not.
    listed = desk.client.get(f"{API}/counter/sent-back", headers=desk.h("counter"))
    assert listed.status_code == 200, listed.text
    (entry,) = listed.json()
    assert entry["dossier"]["code"] == code and entry["dossier"]["state"] == "sent_back"
    request = entry["request"]
    assert request["items"] == ITEMS and request["note"] == NOTE
    assert (request["requested_by"], request["requested_by_name"]) == ("kt.binh", BINH)
    assert datetime.fromisoformat(request["requested_at"]) == datetime(2026, 3, 2, 11, 0, tzinfo=VIETNAM)
    assert desk.client.get(f"{API}/counter/sent-back", headers=desk.h("other_counter")).json() == []
    assert_error(desk.client.get(f"{API}/counter/sent-back", headers=desk.h("an")), 403, "FORBIDDEN")

    # Form 02, as the counter prints it for the citizen; the reviewer may print it too.
    form = desk.client.get(f"{API}/dossiers/{code}/supplement-request.pdf", headers=desk.h("counter"))
    assert form.status_code == 200 and form.headers["content-type"] == "application/pdf"
    text = pdf_text(form.content)
    for expected in (
        "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
        f"Mã hồ sơ: {code}",
        "Hồ sơ của: Ông/Bà Phạm Thị Mẫu",
        "Nội dung yêu cầu giải quyết: Cấp thẻ căn cước (mã thủ tục: 2.000200)",
        "Yêu cầu hoàn thiện hồ sơ gồm những nội dung sau:",
        f"1. {ITEMS[0]}",
        f"2. {ITEMS[1]}",
        f"Lý do: {NOTE}",
        "Hà Nội, ngày 02 tháng 3 năm 2026",
        "Thời gian nhận hồ sơ: 09 giờ 00 phút, ngày 02 tháng 3 năm 2026",
        "NGƯỜI HƯỚNG DẪN",
    ):
        assert expected in text, expected
    point = desk.api.service.ctx.organisation.service_points["HN-HOANKIEM"].point.name
    assert f"liên hệ nv.tiepnhan, {point} để được hướng dẫn" in text  # a key holder has no full name
    # Whoever prints it hands it over and signs as the one giving guidance.
    by_reviewer = desk.client.get(f"{API}/dossiers/{code}/supplement-request.pdf", headers=desk.h("an"))
    assert by_reviewer.status_code == 200 and f"NGƯỜI HƯỚNG DẪN (Ký và ghi rõ họ tên) {AN}" in pdf_text(
        by_reviewer.content
    )
    assert_error(desk.client.get(f"{API}/dossiers/{code}/supplement-request.pdf", headers=desk.h("other_counter")), 404)
    assert_error(
        desk.client.get(f"{API}/dossiers/{code}/supplement-request.pdf?paper=A3", headers=desk.h("counter")), 422
    )
    with desk.api.service.db.reading() as s:
        prints = s.execute(
            select(AccessLogRow.principal).where(
                AccessLogRow.dossier_code == code, AccessLogRow.action == "print_supplement_request"
            )
        ).all()
        sent_log = s.scalar(select(AccessLogRow.principal).where(AccessLogRow.action == "send_back"))
    assert sorted(p for (p,) in prints) == ["kt.an", "nv.tiepnhan"] and sent_log == "kt.binh"


def test_a_dossier_never_sent_back_has_no_form_02(desk: Desk) -> None:
    code, _cid = desk.staged([NAME_FIELD])
    refused = desk.client.get(f"{API}/dossiers/{code}/supplement-request.pdf", headers=desk.h("counter"))
    assert_error(refused, 409, "DOSSIER_NOT_EDITABLE")


def test_resubmission_queues_the_dossier_again_with_a_new_appointment(desk: Desk) -> None:
    code, _cid = desk.staged([NAME_FIELD])
    with desk.api.service.db.reading() as s:
        first_due = date.fromisoformat(find_dossier(s, code).due_date or "")
    sent = desk.client.post(
        f"{API}/review/dossiers/{code}/send-back", json={"items": ITEMS}, headers=desk.h("binh")
    ).json()
    ref = sent["id"]
    desk.clock.advance(days=3)  # Thursday 5 March: the citizen comes back with the missing paper
    added = desk.client.post(
        f"{API}/dossiers/{ref}/files", files={"file": ("giay-khai-sinh.png", png(99))}, headers=desk.h("counter")
    )
    assert added.status_code == 201, added.text
    assert_error(
        desk.client.post(
            f"{API}/dossiers/{ref}/files", files={"file": ("x.png", png(98))}, headers=desk.h("other_counter")
        ),
        404,
    )
    again = desk.client.post(f"{API}/dossiers/{ref}/submit", json={}, headers=desk.h("counter"))
    assert again.status_code == 200, again.text
    dossier = again.json()
    assert dossier["code"] == code and dossier["state"] == "queued"
    assert dossier["national_status"] == 2 and dossier["progress"]["pages_total"] == 2
    procedure = desk.api.service.ctx.catalogue.get("2.000200")
    assert procedure is not None
    expected = procedure.appointment_date(desk.api.service.ctx.calendar, datetime(2026, 3, 5, 9, 0), 0.3)
    assert date.fromisoformat(dossier["due_date"]) == expected > first_due
    with desk.api.service.db.reading() as s:
        row = find_dossier(s, code)
        jobs = s.scalars(select(JobRow).where(JobRow.dossier_id == row.id)).all()
        request = s.scalar(select(SupplementRequestRow).where(SupplementRequestRow.dossier_id == row.id))
        assert request is not None and request.resolved_at is not None
        assert row.lookup_key and len(row.lookup_key) == 10
    # The page read before is queued again (it finishes from the page cache), the new one too.
    assert sorted(job.state for job in jobs) == [JobState.QUEUED, JobState.QUEUED]
    assert desk.client.get(f"{API}/counter/sent-back", headers=desk.h("counter")).json() == []
    # Submitted again: the second submit answers the same dossier and queues nothing more.
    twice = desk.client.post(f"{API}/dossiers/{ref}/submit", headers=desk.h("counter")).json()
    assert twice["due_date"] == dossier["due_date"] and twice["progress"]["pages_total"] == 2
    # Form 02 of the resolved request can still be printed again.
    assert (
        desk.client.get(f"{API}/dossiers/{code}/supplement-request.pdf", headers=desk.h("counter")).status_code == 200
    )


# --- form 02 itself ------------------------------------------------------------------------------

FORM = SupplementData(
    dossier_code="000.00.01.H26-260302-0001",
    center_name="TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG THÀNH PHỐ HÀ NỘI",
    service_point_name="Điểm tiếp nhận phường Hoàn Kiếm",
    applicant_name="Nguyễn Thị Hương",
    applicant_address=None,
    applicant_phone="0912 345 678",
    procedure_code="1.001193",
    procedure_name="Đăng ký khai sinh",
    received_at=datetime(2026, 1, 5, 8, 7, tzinfo=VIETNAM),
    items=tuple(ITEMS),
    reason=None,
    requested_at=datetime(2026, 1, 6, 1, 30, tzinfo=VIETNAM),
    guide_name="Trần Văn Minh",
    place="Hà Nội",
)


def test_form_02_reads_back_on_a5_and_across_pages() -> None:
    text = pdf_text(render_supplement_request(FORM, paper="A5"))
    assert "Hà Nội, ngày 06 tháng 01 năm 2026" in text  # Decree 30 zero-pads January
    assert "Thời gian nhận hồ sơ: 08 giờ 07 phút, ngày 05 tháng 01 năm 2026" in text
    assert "Lý do" not in text and "None" not in text
    long = replace(FORM, items=tuple(f"Giấy tờ thứ {i}: bản sao có chứng thực, còn thời hạn" for i in range(1, 61)))
    pdf = render_supplement_request(long)
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        pages = [page.extract_text() or "" for page in document.pages]
    assert len(pages) >= 2 and all(f"Trang {n}/{len(pages)}" in page for n, page in enumerate(pages, 1))
    flat = pdf_text(pdf)
    positions = [flat.find(f"{i}. Giấy tờ thứ {i}:") for i in range(1, 61)]
    assert -1 not in positions and positions == sorted(positions)
    assert render_supplement_request(FORM) == render_supplement_request(FORM)  # the same data, the same bytes
    with pytest.raises(ValueError, match="item"):
        render_supplement_request(replace(FORM, items=("  ",)))
    with pytest.raises(ValueError, match="timezone"):
        render_supplement_request(replace(FORM, requested_at=datetime(2026, 1, 6, 8, 30)))
