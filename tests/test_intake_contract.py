"""The API's contract on the embedded defaults (local storage, SQLite, no OCR): one error shape
everywhere, idempotent creates, API docs that work offline, and dossier codes dated by the
Vietnam-time clock, never the machine's UTC date."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from PIL import Image
from sqlalchemy import func, select

from intake.clock import VIETNAM, FixedClock
from intake.service import open_service
from storage.tables import ComponentRow, DossierRow, StatusReportRow
from tests.fixtures_files import blank_png
from tests.intake_support import API, make_settings, start_api

ERROR_KEYS = {"code", "message", "message_en", "request_id"}  # request_id: the X-Request-ID header


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 12, 4, 10, 0, tzinfo=VIETNAM))


@pytest.fixture
def api(request, tmp_path, clock):
    settings = make_settings("local-sqlite", request, tmp_path)
    with start_api(settings, process=False, service=open_service(settings, clock=clock)) as running:
        yield running


def _submit(api, png: bytes, procedure: str = "2.000635") -> dict:
    dossier = api.new_dossier(procedure)
    assert api.upload(dossier["id"], "a.png", png).status_code == 201
    # Blank pages satisfy no required document: the clerk receives it all the same, saying why.
    reason = {"missing_reason": "Công dân bổ sung sau"}
    return api.client.post(f"{API}/dossiers/{dossier['id']}/submit", json=reason, headers=api.headers("counter")).json()


def test_codes_are_dated_in_vietnam_time_either_side_of_midnight(api, clock):
    # 23:30 in Hanoi is 16:30 UTC the same day; 00:30 is 17:30 UTC the day before.
    clock.at = datetime(2026, 12, 7, 23, 30, tzinfo=VIETNAM)
    late = _submit(api, blank_png(401))
    clock.at = datetime(2026, 12, 8, 0, 30, tzinfo=VIETNAM)
    assert clock.now().astimezone(UTC).date().isoformat() == "2026-12-07"
    early = _submit(api, blank_png(402))
    second = _submit(api, blank_png(403))
    assert late["code"] == "000.00.01.H26-261207-0001"
    assert [early["code"], second["code"]] == ["000.00.01.H26-261208-0001", "000.00.01.H26-261208-0002"]
    # 2.000635 is a same-day service with a 15:00 cutoff: after it, the next working day.
    assert late["due_date"] == "2026-12-08" and early["due_date"] == "2026-12-08"
    assert datetime.fromisoformat(late["received_at"]) == datetime(2026, 12, 7, 16, 30, tzinfo=UTC)


def test_a_retried_create_with_the_same_idempotency_key_creates_nothing_twice(api):
    body = {
        "procedure_code": "2.000200",
        "service_point_code": "HN-HOANKIEM",
        "applicant": {"full_name": "Nguyễn Thị Mẫu", "id_number": "001199000001"},
    }
    headers = {**api.headers("counter"), "Idempotency-Key": "quay-3-lan-1"}
    first = api.client.post(f"{API}/dossiers", json=body, headers=headers)
    again = api.client.post(f"{API}/dossiers", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    other = api.client.post(f"{API}/dossiers", json={**body, "procedure_code": "2.000635"}, headers=headers)
    assert other.status_code == 409 and other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert set(other.json()) == ERROR_KEYS and "Idempotency-Key" in other.json()["message"]
    without = [api.client.post(f"{API}/dossiers", json=body, headers=api.headers("counter")) for _ in range(2)]
    assert without[0].json()["id"] != without[1].json()["id"]  # no key: each request is a new dossier
    with api.service.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(DossierRow)) == 3

    # Uploads: the same key and file answer the first response (201) again; another file is refused.
    ref = first.json()["id"]
    upload = {**api.headers("counter"), "Idempotency-Key": "tep-1"}
    sent = [
        api.client.post(f"{API}/dossiers/{ref}/files", files={"file": ("a.png", blank_png())}, headers=upload)
        for _ in range(2)
    ]
    assert [r.status_code for r in sent] == [201, 201] and sent[0].json() == sent[1].json()
    clash = api.client.post(f"{API}/dossiers/{ref}/files", files={"file": ("b.png", blank_png(500))}, headers=upload)
    assert clash.status_code == 409 and clash.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    with api.service.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(ComponentRow)) == 1


def test_a_retried_status_report_is_recorded_once(api):
    code = _submit(api, blank_png(), "2.000200")["code"]  # căn cước: the city police (000.00.20.H26)
    with api.service.db.transaction() as s:
        s.get(DossierRow, s.scalar(select(DossierRow.id).where(DossierRow.code == code))).state = "delivered"
    key = {**api.headers("agency"), "Idempotency-Key": "bao-cao-1"}
    url = f"{API}/agency/dossiers/{code}/status"
    first = api.client.post(url, json={"status": 4, "note": "Đang thẩm định"}, headers=key)
    again = api.client.post(url, json={"status": 4, "note": "Đang thẩm định"}, headers=key)
    assert first.status_code == again.status_code == 200, first.text
    with api.service.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(StatusReportRow)) == 1


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("get", "/khong-co", 404, "ROUTE_NOT_FOUND"),
        ("get", f"{API}/khong-co-dia-chi-nay", 404, "ROUTE_NOT_FOUND"),
        ("delete", f"{API}/dossiers", 405, "METHOD_NOT_ALLOWED"),
        ("post", f"{API}/review/queue", 405, "METHOD_NOT_ALLOWED"),
        ("post", f"{API}/dossiers", 422, "INVALID_REQUEST"),
        ("get", f"{API}/dossiers/khong-co", 404, "DOSSIER_NOT_FOUND"),
    ],
)
def test_every_error_has_the_one_shape(api, method, path, status, code):
    response = getattr(api.client, method)(path, headers=api.headers("counter"))
    assert response.status_code == status
    body = response.json()
    assert ERROR_KEYS <= set(body) and "detail" not in body and body["code"] == code
    assert body["message"] and body["message"] != body["message_en"]


def test_api_docs_load_nothing_from_outside(api):
    page = api.client.get("/docs")
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""", page.text)
    assert urls, page.text
    for url in urls:
        assert not re.match(r"^(https?:)?//", url), f"/docs loads {url} from outside"
        if url.endswith((".js", ".css")):
            asset = api.client.get(url)
            assert asset.status_code == 200 and len(asset.content) > 10_000, url
    schema = api.client.get("/openapi.json").json()
    manifest = schema["paths"][f"{API}/agency/dossiers/{{code}}/manifest"]["get"]["responses"]["200"]
    ref = manifest["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert {"dossier", "components", "files"} <= set(schema["components"]["schemas"][ref]["properties"])


def test_a_file_is_preflighted_once_at_upload(api, monkeypatch):
    import intake.dossier_steps
    import intake.packaging

    calls = []
    real = intake.dossier_steps.preflight

    def counted(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(intake.dossier_steps, "preflight", counted)
    monkeypatch.setattr(intake.packaging, "preflight", counted)
    code = _submit(api, blank_png(420, 310))["code"]
    component = api.client.get(f"{API}/dossiers/{code}", headers=api.headers("counter")).json()["components"][0]
    url = f"{API}/review/dossiers/{code}/components/{component['id']}/pages/0/image"
    for _ in range(2):
        image = api.client.get(url, headers=api.headers("reviewer"))
        assert image.status_code == 200 and Image.open(io.BytesIO(image.content)).size == (420, 310)
    assert calls == ["a.png"]  # the upload's check; the page images use the result stored with the file
    with api.service.db.transaction() as s:
        stored = s.scalar(select(ComponentRow.file_info))
    assert stored == {
        "file_type": "png",
        "page_count": 1,
        "size_bytes": len(blank_png(420, 310)),
        "sha256": component["sha256"],
    }


def test_answers_holding_personal_data_are_never_cached(api):
    dossier = api.new_dossier()
    for response in (
        api.client.get(f"{API}/dossiers/{dossier['id']}", headers=api.headers("counter")),
        api.client.get(f"{API}/dossiers/khong-co", headers=api.headers("counter")),
    ):
        assert "no-store" in response.headers["cache-control"]
