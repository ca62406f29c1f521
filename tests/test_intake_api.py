"""The intake API without OCR: counter rules, bad input, roles, outages, agency isolation
and listing. Runs on both backend sets; processing (Ray) is off here."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select, update

from intake.service import IntakeService, open_service
from loopback.ports import free_port
from models.catalogue import load_organisation, load_procedures
from storage.db import Database
from storage.tables import ComponentRow, DossierRow, FieldRow
from tests.fixtures_files import blank_png, encrypted_pdf, text_pdf
from tests.intake_support import API, BACKENDS, make_settings, start_api

pytestmark = [pytest.mark.services, pytest.mark.xdist_group("services")]


@pytest.fixture(params=BACKENDS)
def api(request, tmp_path):
    settings = make_settings(request.param, request, tmp_path, intake={"max_upload_bytes": 2_000_000})
    with start_api(settings, process=False) as running:
        yield running


def _components(api, ref: str) -> list[dict]:
    return api.client.get(f"{API}/dossiers/{ref}", headers=api.headers("counter")).json()["components"]


def test_same_file_twice_is_stored_once(api):
    dossier = api.new_dossier()
    first = api.upload(dossier["id"], "to-khai.png", blank_png())
    again = api.upload(dossier["id"], "to-khai-lan-2.png", blank_png())
    assert first.status_code == 201 and first.json()["created"] is True
    assert again.status_code == 200 and again.json()["created"] is False
    assert again.json()["id"] == first.json()["id"]
    assert len(_components(api, dossier["id"])) == 1
    assert list(api.service.store.keys("originals/")) == [
        f"originals/{first.json()['sha256'][:2]}/{first.json()['sha256'][2:4]}/{first.json()['sha256']}"
    ]


@pytest.mark.parametrize(
    ("name", "data", "status", "code"),
    [
        ("rong.pdf", b"", 422, "FILE_EMPTY"),
        ("hong.pdf", None, 422, "CORRUPT_FILE"),
        ("ghi-chu.txt", "Đây là văn bản, không phải ảnh quét".encode(), 415, "UNSUPPORTED_TYPE"),
        ("anh.pdf", None, 415, "TYPE_MISMATCH"),  # a PNG named .pdf
        ("mat-khau.pdf", None, 422, "ENCRYPTED_PDF"),
        ("qua-lon.png", None, 413, "FILE_TOO_LARGE"),
    ],
)
def test_bad_upload_is_refused_with_a_code_and_the_dossier_is_untouched(api, name, data, status, code):
    if data is None:
        data = {
            "anh.pdf": blank_png(),
            "mat-khau.pdf": encrypted_pdf("1234"),
            "hong.pdf": text_pdf([["Tờ khai"]])[:300],
            "qua-lon.png": b"\x89PNG" + b"0" * 2_000_100,
        }[name]
    dossier = api.new_dossier()
    kept = api.upload(dossier["id"], "giay-to.png", blank_png())
    assert kept.status_code == 201
    response = api.upload(dossier["id"], name, data)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    assert body["message"] and body["message"] != body["message_en"]  # Vietnamese for the clerk
    assert [c["id"] for c in _components(api, dossier["id"])] == [kept.json()["id"]]


def test_roles_and_keys(api):
    assert api.client.post(f"{API}/dossiers", json={}).json()["code"] == "AUTH_REQUIRED"
    response = api.client.get(f"{API}/review/queue", headers={"X-API-Key": "sohoa_reviewer_doan-bua"})
    assert response.status_code == 401 and response.json()["code"] == "AUTH_INVALID"
    for who, path in (("counter", "/review/queue"), ("agency", "/review/queue"), ("reviewer", "/agency/dossiers")):
        response = api.client.get(API + path, headers=api.headers(who))
        assert response.status_code == 403 and response.json()["code"] == "FORBIDDEN"
    response = api.client.post(f"{API}/dossiers", headers=api.headers("agency"), json={})
    assert response.status_code == 403


def test_a_revoked_key_no_longer_opens_the_api(api, tmp_path, monkeypatch):
    from api.cli import main

    assert api.client.get(f"{API}/review/queue", headers=api.headers("reviewer")).status_code == 200
    key_id = next(row.id for row in api.service.keys.list() if row.role == "reviewer")
    assert api.service.keys.revoke(key_id) and not api.service.keys.revoke(10**9)
    response = api.client.get(f"{API}/review/queue", headers=api.headers("reviewer"))
    assert response.status_code == 401 and response.json()["code"] == "AUTH_INVALID"
    listed = [row for row in api.service.keys.list() if row.id == key_id]
    assert listed and listed[0].revoked_at is not None  # still listed: who had access, until when
    # The same through the command line, on the embedded defaults of a fresh data dir.
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "cli"))
    from intake.settings import get_settings

    get_settings.cache_clear()
    try:
        assert main(["keys", "counter", "nv.cli", "--service-point", "HN-HOANKIEM"]) == 0
        assert main(["keys", "revoke", "1"]) == 0
        assert main(["keys", "revoke", "khong-phai-so"]) == 2
    finally:
        get_settings.cache_clear()


def test_create_refuses_unknown_references_in_vietnamese(api):
    counter = api.headers("counter")
    base = {"service_point_code": "HN-HOANKIEM", "applicant": {"full_name": "Lê Văn Mẫu"}}
    response = api.client.post(f"{API}/dossiers", headers=counter, json={**base, "procedure_code": "9.999999"})
    assert response.status_code == 422 and response.json()["code"] == "PROCEDURE_UNKNOWN"
    response = api.client.post(
        f"{API}/dossiers", headers=counter, json={**base, "procedure_code": "2.000635", "service_point_code": "XX"}
    )
    assert response.json()["code"] == "SERVICE_POINT_UNKNOWN"
    response = api.client.post(
        f"{API}/dossiers",
        headers=counter,
        json={**base, "procedure_code": "2.000635", "applicant": {"full_name": "A", "id_number": "12345"}},
    )
    assert response.status_code == 422 and response.json()["code"] == "INVALID_REQUEST"
    assert "applicant.id_number" in response.json()["message"]


# Blank test pages satisfy no required document: received all the same, with the clerk's reason.
RECEIVED_INCOMPLETE = {"missing_reason": "Công dân bổ sung giấy tờ sau"}


def test_submit_issues_daily_codes_and_locks_the_dossier(api):
    empty = api.new_dossier()
    response = api.client.post(f"{API}/dossiers/{empty['id']}/submit", headers=api.headers("counter"))
    assert response.status_code == 422 and response.json()["code"] == "DOSSIER_EMPTY"
    codes = []
    for i in range(2):
        dossier = api.new_dossier("2.000635")
        api.upload(dossier["id"], "a.png", blank_png(400 + i))
        body = api.client.post(
            f"{API}/dossiers/{dossier['id']}/submit", json=RECEIVED_INCOMPLETE, headers=api.headers("counter")
        ).json()
        codes.append(body["code"])
        assert body["state"] == "queued" and body["progress"]["pages_total"] == 1
        late = api.upload(dossier["id"], "b.png", blank_png(500))
        assert late.status_code == 409 and late.json()["code"] == "DOSSIER_NOT_EDITABLE"
    day = api.service.ctx.clock.now().strftime("%y%m%d")  # Vietnam time, as the codes are
    assert codes == [f"000.00.01.H26-{day}-0001", f"000.00.01.H26-{day}-0002"]
    # Submitting twice answers the same code and queues nothing more.
    again = api.client.post(f"{API}/dossiers/{codes[1]}/submit", headers=api.headers("counter")).json()
    assert again["code"] == codes[1] and again["progress"]["pages_total"] == 1


def _validated(api, agency: str, count: int) -> list[str]:
    """Dossiers put straight into `validated` (their OCR is another test's business)."""
    procedure = {"000.00.20.H26": "2.000200", "000.00.30.H26": "1.014137"}[agency]  # one it is competent for
    codes = []
    for i in range(count):
        dossier = api.new_dossier(procedure, agency=agency)
        api.upload(dossier["id"], "a.png", blank_png(300 + i, 200 + len(codes)))
        codes.append(
            api.client.post(
                f"{API}/dossiers/{dossier['id']}/submit", json=RECEIVED_INCOMPLETE, headers=api.headers("counter")
            ).json()["code"]
        )
    with api.service.db.transaction() as s:
        s.execute(update(DossierRow).where(DossierRow.code.in_(codes)).values(state="validated"))
    return codes


def test_agency_listing_walks_its_own_dossiers_with_a_cursor(api):
    mine = _validated(api, "000.00.20.H26", 5)
    theirs = _validated(api, "000.00.30.H26", 3)
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = api.client.get(f"{API}/agency/dossiers", params=params, headers=api.headers("agency")).json()
        seen += [item["code"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == mine
    other = api.client.get(f"{API}/agency/dossiers", headers=api.headers("other_agency")).json()
    assert [item["code"] for item in other["items"]] == theirs
    bad = api.client.get(f"{API}/agency/dossiers", params={"cursor": "khong-hop-le"}, headers=api.headers("agency"))
    assert bad.status_code == 400 and bad.json()["code"] == "INVALID_CURSOR"
    # The counter's status endpoint is staff-only; agencies use their own.
    assert api.client.get(f"{API}/dossiers/{theirs[0]}", headers=api.headers("agency")).status_code == 403


def test_review_queue_is_green_lane_first_then_by_due_date(api):
    codes = {}
    for procedure in ("1.001776", "2.000635", "2.000200"):  # 10 (green lane: 7), 0 and 7 working days
        dossier = api.new_dossier(procedure)
        api.upload(dossier["id"], "a.png", blank_png(350, 250 + len(codes)))
        codes[procedure] = api.client.post(
            f"{API}/dossiers/{dossier['id']}/submit", json=RECEIVED_INCOMPLETE, headers=api.headers("counter")
        ).json()
    with api.service.db.transaction() as s:
        s.execute(update(DossierRow).values(state="needs_review"))
    queue = api.client.get(f"{API}/review/queue", headers=api.headers("reviewer")).json()
    # The green-lane dossier first though due later; the others by appointment date.
    assert [item["code"] for item in queue] == [codes[p]["code"] for p in ("1.001776", "2.000635", "2.000200")]
    assert [item["green_lane"] for item in queue] == [True, False, False]
    assert [item["due_date"] for item in queue[1:]] == sorted(item["due_date"] for item in queue[1:])
    # Green lane: 10 working days shortened by 30 % -> the same date as a 7-day procedure.
    assert codes["1.001776"]["due_date"] == codes["2.000200"]["due_date"]


def test_storage_down_is_503_and_nothing_is_recorded_then_retry_works(request, tmp_path):
    settings = make_settings("local-sqlite", request, tmp_path)
    down = make_settings(
        "local-sqlite",
        request,
        tmp_path,
        storage={
            "backend": "s3",
            "s3_endpoint": f"127.0.0.1:{free_port()}",
            "s3_secret_key": "khong-co",
            "timeout_seconds": 1.0,
        },
    )
    service = open_service(down)
    with start_api(down, process=False, service=service) as api:
        dossier = api.new_dossier()
        response = api.upload(dossier["id"], "a.png", blank_png())
        assert response.status_code == 503 and response.json()["code"] == "STORAGE_UNAVAILABLE"
        assert "thử lại" in response.json()["message"]
        with service.db.transaction() as s:
            assert s.scalars(select(ComponentRow)).all() == []
    # The clerk retries once storage is back: the same dossier takes the file.
    service = open_service(settings, db=service.db)
    with start_api(settings, process=False, service=service) as api:
        assert api.upload(dossier["id"], "a.png", blank_png()).status_code == 201


def test_database_down_is_503(tmp_path):
    settings = make_settings("local-sqlite", None, tmp_path)
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/sohoa"
    service = IntakeService(settings, Database(url), settings.object_store(), load_procedures(), load_organisation())
    with start_api(settings, process=False, service=service, keys=False) as api:
        response = api.client.post(f"{API}/dossiers", headers={"X-API-Key": "sohoa_counter_x"}, json={})
        assert response.status_code == 503 and response.json()["code"] == "DATABASE_UNAVAILABLE"


def test_reviewer_gets_page_images_and_typed_corrections_are_checked(api):
    dossier = api.new_dossier()
    component = api.upload(dossier["id"], "trang.png", blank_png(420, 310)).json()
    code = api.client.post(f"{API}/dossiers/{dossier['id']}/submit", headers=api.headers("counter")).json()["code"]
    reviewer = api.headers("reviewer")
    image = api.client.get(f"{API}/review/dossiers/{code}/components/{component['id']}/pages/0/image", headers=reviewer)
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(image.content)).size == (420, 310)
    missing = api.client.get(
        f"{API}/review/dossiers/{code}/components/{component['id']}/pages/1/image", headers=reviewer
    )
    assert missing.status_code == 404 and missing.json()["code"] == "FILE_NOT_FOUND"

    with api.service.db.transaction() as s:
        s.execute(update(DossierRow).where(DossierRow.code == code).values(state="needs_review"))
    field_url = f"{API}/review/dossiers/{code}/components/{component['id']}/fields"
    bad = api.client.put(f"{field_url}/ngay_sinh", json={"value": "31/02/1990"}, headers=reviewer)
    assert bad.status_code == 422 and bad.json()["code"] == "FIELD_VALUE_INVALID"
    good = api.client.put(f"{field_url}/ngay_sinh", json={"value": "1/2/1990"}, headers=reviewer).json()
    assert good["value"] == "01/02/1990" and good["sources"] == ["reviewer"]
    unknown = api.client.put(f"{field_url}/khong_co_truong_nay", json={"value": "x"}, headers=reviewer)
    assert unknown.status_code == 404 and unknown.json()["code"] == "FIELD_NOT_FOUND"

    # A field's crop: its box on its page and a margin, for the reviewer to compare with.
    with api.service.db.transaction() as s:
        s.add(
            FieldRow(
                component_id=component["id"],
                part=0,
                name="ho_va_ten",
                value="Nguyễn Văn A",
                confidence=0.5,
                page=0,
                box=[100, 100, 300, 140],
                status="needs_review",
                sources=["ocr"],
                reason="handwritten",
            )
        )
    crop = api.client.get(f"{field_url}/ho_va_ten/crop", headers=reviewer)
    assert crop.status_code == 200 and crop.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(crop.content)).size == (240, 80)  # 200 x 40 and 20 px around
    shown = api.client.get(f"{API}/review/dossiers/{code}", headers=reviewer).json()
    name = next(f for c in shown["components"] for f in c["fields"] if f["name"] == "ho_va_ten")
    assert name["reason"] == "handwritten" and name["reason_vi"] == "Chữ viết tay"
    assert api.client.get(f"{field_url}/ngay_sinh/crop", headers=reviewer).status_code == 404  # typed, no box


def test_an_upload_declared_too_large_is_refused_before_it_is_read(api):
    dossier = api.new_dossier()
    response = api.upload(dossier["id"], "to.png", b"\x89PNG" + b"0" * 3_000_000)
    assert response.status_code == 413 and response.json()["code"] == "FILE_TOO_LARGE"
    assert "MB" in response.json()["message"] and _components(api, dossier["id"]) == []
