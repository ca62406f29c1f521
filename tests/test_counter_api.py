"""The counter's API before and at submit, as the counter screen and other front-ends use it:
procedure search, the applicant from a card's QR code, the quality check in the upload answer,
the pages before submit (delete, rotate, kind, order), the checklist of required documents,
the receipt, and the draft open on a clerk's screen that the scan station feeds."""

from __future__ import annotations

import io
from pathlib import Path

import pdfplumber
import pypdfium2
import pytest
import zxingcpp
from PIL import Image

from intake.auth import Role
from intake.records import find_dossier
from samples.generate import generate_document
from tests.fixtures_files import blank_png
from tests.intake_support import API, assert_error, make_settings, start_api

BIRTH = "1.001193"  # Đăng ký khai sinh: a form, a birth certificate and an identity card are required


@pytest.fixture(scope="module")
def card() -> tuple[bytes, dict]:
    doc = generate_document("cccd_front", "clean", 7)
    return doc.page_files[0], doc.truth


@pytest.fixture()
def api(request, tmp_path: Path):  # noqa: ANN001, ANN201
    with start_api(make_settings("local-sqlite", request, tmp_path), process=False) as running:
        yield running


def new_draft(api, procedure: str = BIRTH) -> dict:  # noqa: ANN001
    body = {
        "procedure_code": procedure,
        "service_point_code": "HN-HOANKIEM",
        "applicant": {"full_name": "Nguyễn Thị Mẫu", "address": "12 phố Hàng Bạc, phường Hoàn Kiếm"},
    }
    response = api.client.post(f"{API}/dossiers", json=body, headers=api.headers("counter"))
    assert response.status_code == 201, response.text
    return response.json()


def test_procedure_search_without_tone_marks_shows_fee_and_required_documents(api) -> None:  # noqa: ANN001
    found = api.client.get(f"{API}/procedures", params={"q": "khai sinh"}, headers=api.headers("counter")).json()
    assert found[0]["code"] == BIRTH and found[0]["name"] == "Đăng ký khai sinh"
    assert found[0]["fee"]
    required = [d for d in found[0]["required_documents"] if d["required"]]
    assert any("to_khai_khai_sinh" in d["kinds"] for d in required)
    by_code = api.client.get(f"{API}/procedures", params={"q": "2.000635"}, headers=api.headers("counter")).json()
    assert [p["code"] for p in by_code][:1] == ["2.000635"]


def test_applicant_from_a_typed_qr_payload(api, card) -> None:  # noqa: ANN001
    _data, truth = card
    payload = truth["qr_payload"] + "\r\n"  # a keyboard-wedge scanner ends with Enter
    answer = api.client.post(f"{API}/applicant/from-qr", json={"payload": payload}, headers=api.headers("counter"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["id_number"] == truth["fields"]["so_dinh_danh"]["value"]
    assert body["full_name"].upper() == truth["fields"]["ho_va_ten"]["value"]
    refused = api.client.post(f"{API}/applicant/from-qr", json={"payload": "xin chào"}, headers=api.headers("counter"))
    assert_error(refused, 422, "QR_UNREADABLE")
    # A reviewer is no counter: no applicant reading for them.
    assert_error(
        api.client.post(f"{API}/applicant/from-qr", json={"payload": payload}, headers=api.headers("reviewer")),
        403,
        "FORBIDDEN",
    )


def test_upload_answers_quality_and_card_qr_and_the_checklist_guards_submit(api, card) -> None:  # noqa: ANN001
    data, truth = card
    draft = new_draft(api)
    ref = draft["id"]
    up = api.upload(ref, "the.png", data)
    assert up.status_code == 201, up.text
    component = up.json()
    assert component["page_checks"][0]["number"] == 1
    assert component["qr_applicant"]["id_number"] == truth["fields"]["so_dinh_danh"]["value"]
    assert all({"page", "code", "message", "message_en"} <= set(q) for q in component["quality"])

    blank = api.upload(ref, "trang.png", blank_png(1240, 1754)).json()
    assert blank["page_checks"][0]["number"] == 2
    assert "BLANK_PAGE" in [q["code"] for q in blank["quality"]]
    message = next(q["message"] for q in blank["quality"] if q["code"] == "BLANK_PAGE")
    assert message.startswith("Trang 2")

    checklist = api.client.get(f"{API}/dossiers/{ref}/checklist", headers=api.headers("counter")).json()
    assert "Tờ khai đăng ký khai sinh" in checklist["missing"]

    refused = api.client.post(f"{API}/dossiers/{ref}/submit", headers=api.headers("counter"))
    body = assert_error(refused, 409, "COMPONENTS_MISSING")
    assert "Tờ khai đăng ký khai sinh" in body["message"]
    assert api.client.get(f"{API}/dossiers/{ref}", headers=api.headers("counter")).json()["state"] == "draft"

    # The clerk says which required document the blank-looking file is (a hospital's paper no reader knows).
    birth_doc = next(i["name"] for i in checklist["items"] if i["required"] and not i["kinds"])
    patched = api.client.patch(
        f"{API}/dossiers/{ref}/files/{blank['id']}",
        json={"declared_document": birth_doc},
        headers=api.headers("counter"),
    )
    assert patched.status_code == 200, patched.text
    checklist = api.client.get(f"{API}/dossiers/{ref}/checklist", headers=api.headers("counter")).json()
    assert birth_doc not in checklist["missing"]
    bad = api.client.patch(
        f"{API}/dossiers/{ref}/files/{blank['id']}",
        json={"declared_document": "Giấy không có trong danh mục"},
        headers=api.headers("counter"),
    )
    assert_error(bad, 422, "INVALID_REQUEST")

    reason = "Công dân bổ sung tờ khai trong ngày"
    submitted = api.client.post(
        f"{API}/dossiers/{ref}/submit", json={"missing_reason": reason}, headers=api.headers("counter")
    )
    assert submitted.status_code == 200, submitted.text
    dossier = submitted.json()
    assert dossier["code"] and dossier["missing_reason"] == reason and dossier["received_by"] == "nv.tiepnhan"

    pdf = api.client.get(f"{API}/dossiers/{ref}/receipt.pdf", headers=api.headers("counter"))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    with pdfplumber.open(io.BytesIO(pdf.content)) as doc:
        text = "\n".join(page.extract_text() or "" for page in doc.pages)
    assert dossier["code"] in text and "Nguyễn Thị Mẫu" in text and "Đăng ký khai sinh" in text
    # The QR code opens the citizen's look-up page (this service's address: no public one is set),
    # with the dossier's key, printed beside it for typing by hand.
    with api.service.db.reading() as s:
        key = find_dossier(s, ref).lookup_key
    assert key and len(key) == 10 and f"Mã tra cứu: {key}" in text
    assert receipt_qr(pdf.content) == [f"http://testserver/tra-cuu/{dossier['code']}?k={key}"]
    assert_error(
        api.client.get(f"{API}/dossiers/{ref}/receipt.pdf", headers=api.headers("other_counter")),
        404,
        "DOSSIER_NOT_FOUND",
    )


def receipt_qr(pdf: bytes) -> list[str]:
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=150 / 72).to_pil()
    return [b.text for b in zxingcpp.read_barcodes(image)]


def test_the_receipt_links_the_configured_public_look_up_address(request, tmp_path: Path) -> None:  # noqa: ANN001
    settings = make_settings("local-sqlite", request, tmp_path, lookup={"public_url": "https://dichvucong.example.vn/"})
    with start_api(settings, process=False) as api:
        ref = new_draft(api, "2.000200")["id"]
        api.upload(ref, "a.png", blank_png())
        code = api.client.post(f"{API}/dossiers/{ref}/submit", headers=api.headers("counter")).json()["code"]
        pdf = api.client.get(f"{API}/dossiers/{ref}/receipt.pdf", headers=api.headers("counter")).content
        with api.service.db.reading() as s:
            key = find_dossier(s, ref).lookup_key
    assert receipt_qr(pdf) == [f"https://dichvucong.example.vn/tra-cuu/{code}?k={key}"]


def test_receipt_before_submit_is_refused(api) -> None:  # noqa: ANN001
    ref = new_draft(api)["id"]
    assert_error(api.client.get(f"{API}/dossiers/{ref}/receipt.pdf", headers=api.headers("counter")), 409)


def test_duplicate_pages_delete_reorder_rotate(api, card) -> None:  # noqa: ANN001
    data, _truth = card
    ref = new_draft(api)["id"]
    first = api.upload(ref, "a.png", data).json()
    again = io.BytesIO()
    Image.open(io.BytesIO(data)).convert("RGB").save(again, "JPEG", quality=70)  # the same card scanned again
    second = api.upload(ref, "b.jpg", again.getvalue()).json()
    assert "DUPLICATE_PAGE" in second["page_checks"][0]["codes"]
    assert "DUPLICATE_PAGE" not in first["page_checks"][0]["codes"]

    other = api.upload(ref, "c.png", blank_png(1240, 1754)).json()
    order = [other["id"], second["id"], first["id"]]
    assert_error(
        api.client.put(
            f"{API}/dossiers/{ref}/order", json={"component_ids": order[:2]}, headers=api.headers("counter")
        ),
        422,
        "ORDER_INVALID",
    )
    moved = api.client.put(f"{API}/dossiers/{ref}/order", json={"component_ids": order}, headers=api.headers("counter"))
    assert moved.status_code == 200, moved.text
    assert [c["id"] for c in moved.json()["components"]] == order
    numbers = {c["id"]: c["page_checks"][0]["number"] for c in moved.json()["components"]}
    assert numbers == {other["id"]: 1, second["id"]: 2, first["id"]: 3}
    # Now the re-scan comes first: the duplicate is the original's page, and says so.
    by_id = {c["id"]: c for c in moved.json()["components"]}
    assert "DUPLICATE_PAGE" in by_id[first["id"]]["page_checks"][0]["codes"]
    assert "DUPLICATE_PAGE" not in by_id[second["id"]]["page_checks"][0]["codes"]

    deleted = api.client.delete(f"{API}/dossiers/{ref}/files/{second['id']}", headers=api.headers("counter"))
    assert deleted.status_code == 204
    left = api.client.get(f"{API}/dossiers/{ref}", headers=api.headers("counter")).json()["components"]
    assert [c["id"] for c in left] == [other["id"], first["id"]]
    assert all("DUPLICATE_PAGE" not in c["page_checks"][0]["codes"] for c in left)

    before = Image.open(io.BytesIO(thumbnail(api, ref, first["id"])))
    turned = api.client.patch(
        f"{API}/dossiers/{ref}/files/{first['id']}", json={"rotation": 90}, headers=api.headers("counter")
    )
    assert turned.status_code == 200 and turned.json()["rotation"] == 90
    after = Image.open(io.BytesIO(thumbnail(api, ref, first["id"])))
    assert before.width > before.height and after.height > after.width
    assert_error(
        api.client.patch(
            f"{API}/dossiers/{ref}/files/{first['id']}", json={"rotation": 45}, headers=api.headers("counter")
        ),
        422,
    )


def thumbnail(api, ref: str, component_id: int) -> bytes:  # noqa: ANN001
    response = api.client.get(
        f"{API}/dossiers/{ref}/files/{component_id}/pages/0/thumbnail", headers=api.headers("counter")
    )
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    return response.content


def test_applicant_update_only_while_draft(api) -> None:  # noqa: ANN001
    ref = new_draft(api, "2.000200")["id"]
    applicant = {"full_name": "Trần Văn Bình", "id_number": "001090000123", "date_of_birth": "05/09/1990"}
    changed = api.client.patch(f"{API}/dossiers/{ref}", json={"applicant": applicant}, headers=api.headers("counter"))
    assert changed.status_code == 200, changed.text
    assert changed.json()["applicant"]["full_name"] == "Trần Văn Bình"
    assert_error(
        api.client.patch(
            f"{API}/dossiers/{ref}",
            json={"applicant": {**applicant, "date_of_birth": "1990-09-05"}},
            headers=api.headers("counter"),
        ),
        422,
    )
    api.upload(ref, "a.png", blank_png())
    assert api.client.post(f"{API}/dossiers/{ref}/submit", headers=api.headers("counter")).status_code == 200
    assert_error(
        api.client.patch(f"{API}/dossiers/{ref}", json={"applicant": applicant}, headers=api.headers("counter")),
        409,
        "DOSSIER_NOT_EDITABLE",
    )


def test_scan_station_feeds_the_draft_open_on_the_clerks_screen(api, card) -> None:  # noqa: ANN001
    data, _truth = card
    station = f"{API}/counter/workstations/nv.tiepnhan"
    headers = {**api.headers("counter"), "Idempotency-Key": "scan-0001"}
    assert_error(
        api.client.post(f"{station}/files", files={"file": ("s.png", data)}, headers=headers), 409, "NO_OPEN_DOSSIER"
    )

    ref = new_draft(api, "2.000200")["id"]
    opened = api.client.put(station, json={"dossier": ref}, headers=api.headers("counter"))
    assert opened.json() == {"username": "nv.tiepnhan", "dossier": ref}
    sent = api.client.post(f"{station}/files", files={"file": ("s.png", data)}, headers=headers)
    assert sent.status_code == 201, sent.text
    assert api.client.post(f"{API}/dossiers/{ref}/submit", headers=api.headers("counter")).status_code == 200
    # The station crashed before it moved the file aside: it sends it again, with the same key.
    again = api.client.post(f"{station}/files", files={"file": ("s.png", data)}, headers=headers)
    assert again.status_code == 200 and again.json()["id"] == sent.json()["id"]
    dossier = api.client.get(f"{API}/dossiers/{ref}", headers=api.headers("counter")).json()
    assert len(dossier["components"]) == 1
    assert api.client.get(station, headers=api.headers("counter")).json()["dossier"] is None  # submitted: closed

    # Another clerk's station is theirs alone.
    assert_error(api.client.get(station, headers=api.headers("other_counter")), 403, "FORBIDDEN")
    other_key = api.service.keys.create(Role.COUNTER, "nv.tiepnhan", service_point="HN-BADINH")
    assert_error(api.client.put(station, json={"dossier": ref}, headers={"X-API-Key": other_key}), 404)
