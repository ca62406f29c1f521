"""The online channel (issue 18): the portal or an online agent submits a dossier with its files
in one idempotent call, under its own key, and the dossier then goes through the same reading,
review and hand-over as the counter's, arriving at the agency with channel "online".

Real parts: the API over a real SQLite database and local object store, the real pipeline (one
reader in this process) for the end-to-end test; times from a FixedClock (Vietnam time)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image, ImageOps
from sqlalchemy import func, select

from api.cli import main
from intake.auth import Role
from intake.clock import VIETNAM, FixedClock
from intake.processing.pool import LocalPool
from intake.records import find_dossier
from intake.service import open_service
from intake.settings import get_settings
from storage.tables import ComponentRow, DossierRow, IdempotencyKeyRow, JobRow
from tests.intake_support import API, RunningApi, assert_error, in_process_dispatcher, make_settings, start_api
from tests.integrity_support import png

START = datetime(2026, 12, 7, 9, 0, tzinfo=VIETNAM)  # a Monday
ONLINE = f"{API}/online/dossiers"
PORTAL, AGENT = "dvc-quocgia", "dai-ly-0001"
APPLICANT = {"full_name": "Phạm Thị Mẫu", "id_number": "001199000001"}


def dossier_part(procedure: str = "2.000200", **more: object) -> str:
    return json.dumps({"procedure_code": procedure, "applicant": APPLICANT, **more}, ensure_ascii=False)


def send(api: RunningApi, who: str, files: list[tuple[str, bytes]], key: str | None, dossier: str | None = None):  # noqa: ANN201
    headers = {"X-API-Key": api.keys[who], **({"Idempotency-Key": key} if key else {})}
    parts = [("files", (name, data)) for name, data in files]
    return api.client.post(ONLINE, data={"dossier": dossier or dossier_part()}, files=parts, headers=headers)


def count(api: RunningApi, table: type) -> int:
    with api.service.db.reading() as s:
        return s.scalar(select(func.count()).select_from(table)) or 0


def online_keys(api: RunningApi) -> None:
    """The portal and an agent, both received at HN-HOANKIEM; the agent limited to 3 a minute."""
    api.keys["portal"] = api.service.keys.create(Role.ONLINE, PORTAL, service_point="HN-HOANKIEM")
    api.keys["agent"] = api.service.keys.create(Role.ONLINE, AGENT, service_point="HN-HOANKIEM", per_minute=3)


@pytest.fixture
def api(request, tmp_path) -> Iterator[RunningApi]:  # noqa: ANN001
    settings = make_settings("local-sqlite", request, tmp_path, online={"max_files": 3})
    service = open_service(settings, clock=FixedClock(START))
    with start_api(settings, process=False, service=service) as running:
        online_keys(running)
        yield running


# --- the call ----------------------------------------------------------------------------------


def test_one_call_receives_an_online_dossier_and_a_retry_gets_the_first_answer(api: RunningApi) -> None:
    files = [("mat-truoc.png", png(1)), ("mat-sau.png", png(2))]
    first = send(api, "portal", files, "dk-0001", dossier_part(external_reference="DVC-2026-000123"))
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["channel"], body["national_status"], body["state"]) == ("online", 1, "queued")
    assert body["national_status_label"] == "Mới đăng ký"
    assert body["external_reference"] == "DVC-2026-000123"
    assert body["code"].startswith("000.00.01.H26") and body["service_point_code"] == "HN-HOANKIEM"
    assert datetime.fromisoformat(body["received_at"]) == START
    assert body["due_date"] > START.date().isoformat()
    assert [c["filename"] for c in body["components"]] == ["mat-truoc.png", "mat-sau.png"]
    assert all(isinstance(c["quality"], list) and c["page_checks"] for c in body["components"])
    assert body["progress"]["pages_total"] == 2
    assert body["lookup_url"].endswith(f"/tra-cuu/{body['code']}?k={body['lookup_key']}")

    # A retry after a lost answer: the first answer, nothing created twice.
    again = send(api, "portal", files, "dk-0001", dossier_part(external_reference="DVC-2026-000123"))
    assert again.status_code == 201 and again.json() == body
    assert (count(api, DossierRow), count(api, ComponentRow), count(api, JobRow)) == (1, 2, 2)

    # The same key for another dossier, or other files: refused, nothing created.
    other_body = send(api, "portal", files, "dk-0001", dossier_part(external_reference="DVC-2026-000124"))
    assert_error(other_body, 409, "IDEMPOTENCY_KEY_REUSED")
    other_files = send(api, "portal", [("mat-truoc.png", png(3))], "dk-0001")
    assert_error(other_files, 409, "IDEMPOTENCY_KEY_REUSED")
    assert count(api, DossierRow) == 1

    # The counter of the receiving point sees it, with its channel; the sender follows it.
    seen = api.client.get(f"{API}/dossiers/{body['code']}", headers=api.headers("counter")).json()
    assert (seen["channel"], seen["received_by"]) == ("online", PORTAL)
    status = api.client.get(f"{ONLINE}/{body['code']}", headers=api.headers("portal"))
    assert status.status_code == 200, status.text
    assert status.json() | {"progress": None, "received_at": None} == {
        "code": body["code"],
        "external_reference": "DVC-2026-000123",
        "channel": "online",
        "state": "queued",
        "state_label": "Chờ số hóa",
        "national_status": 1,
        "national_status_label": "Mới đăng ký",
        "received_at": None,
        "due_date": body["due_date"],
        "progress": None,
    }
    assert status.json()["received_at"] == "2026-12-07T09:00:00+07:00"  # Vietnam time, with its offset


def test_the_idempotency_key_is_required(api: RunningApi) -> None:
    refused = assert_error(send(api, "portal", [("a.png", png(1))], None), 400, "INVALID_REQUEST")
    assert "Idempotency-Key" in refused["message"]
    assert count(api, DossierRow) == 0


def test_one_refused_file_refuses_the_call_and_leaves_nothing(api: RunningApi) -> None:
    files = [("trang-1.png", png(1)), ("trang-2.png", b"\x89PNG\r\n\x1a\n" + b"hong" * 200)]
    refused = assert_error(send(api, "portal", files, "dk-hong"), 422, "CORRUPT_FILE")
    assert 'tệp 2 "trang-2.png"' in refused["message"]
    assert (count(api, DossierRow), count(api, ComponentRow), count(api, JobRow)) == (0, 0, 0)
    assert count(api, IdempotencyKeyRow) == 0
    # The key was not spent on the refusal: the corrected call goes through under it.
    fixed = send(api, "portal", [("trang-1.png", png(1)), ("trang-2.png", png(2))], "dk-hong")
    assert fixed.status_code == 201, fixed.text


def test_the_counters_checklist_rule_applies(api: RunningApi) -> None:
    # 2.000635 requires its declaration: a plain picture is not one.
    missing = assert_error(send(api, "portal", [("anh.png", png(1))], "dk-thieu", dossier_part("2.000635")), 409)
    assert missing["code"] == "COMPONENTS_MISSING"
    assert count(api, DossierRow) == 0
    blank = json.dumps({"procedure_code": "2.000200", "applicant": {"full_name": "   "}}, ensure_ascii=False)
    assert_error(send(api, "portal", [("anh.png", png(1))], "dk-ten", blank), 422, "INVALID_REQUEST")  # no name
    assert count(api, DossierRow) == 0
    reason = "Công dân bổ sung tờ khai sau"
    received = send(api, "portal", [("anh.png", png(1))], "dk-du", dossier_part("2.000635", missing_reason=reason))
    assert received.status_code == 201 and received.json()["missing_reason"] == reason


def test_body_limits_files_and_size(request, tmp_path) -> None:  # noqa: ANN001
    settings = make_settings(
        "local-sqlite", request, tmp_path, online={"max_files": 2}, intake={"max_upload_bytes": 30_000}
    )
    with start_api(settings, process=False) as api:
        online_keys(api)
        too_many = send(api, "portal", [(f"{n}.png", png(n)) for n in range(3)], "dk-nhieu")
        assert "tối đa 2 tệp" in assert_error(too_many, 422, "INVALID_REQUEST")["message"]
        noise = io.BytesIO()
        Image.effect_noise((200, 200), 80).save(noise, format="PNG")
        assert len(noise.getvalue()) > 30_000
        too_large = send(api, "portal", [("nho.png", png(1)), ("lon.png", noise.getvalue())], "dk-lon")
        assert 'tệp 2 "lon.png"' in assert_error(too_large, 413, "FILE_TOO_LARGE")["message"]
        assert_error(send(api, "portal", [], "dk-rong"), 422, "DOSSIER_EMPTY")
        assert count(api, DossierRow) == 0


# --- who may do what ---------------------------------------------------------------------------


def test_roles_keep_to_their_routes_and_a_sender_sees_only_its_own(api: RunningApi) -> None:
    code = send(api, "portal", [("a.png", png(1))], "dk-1").json()["code"]
    for other in ("counter", "agency", "reviewer"):
        assert_error(send(api, other, [("a.png", png(1))], "dk-2"), 403, "FORBIDDEN")
        assert_error(api.client.get(f"{ONLINE}/{code}", headers=api.headers(other)), 403, "FORBIDDEN")
    portal = api.headers("portal")
    counter_body = {"procedure_code": "2.000200", "service_point_code": "HN-HOANKIEM", "applicant": APPLICANT}
    assert_error(api.client.post(f"{API}/dossiers", json=counter_body, headers=portal), 403, "FORBIDDEN")
    assert_error(api.client.get(f"{API}/dossiers/{code}", headers=portal), 403, "FORBIDDEN")
    assert_error(api.client.get(f"{API}/review/queue", headers=portal), 403, "FORBIDDEN")
    assert_error(api.client.get(f"{API}/agency/dossiers", headers=portal), 403, "FORBIDDEN")
    # Another sender's dossier, or a counter's, is answered like a missing one.
    assert_error(api.client.get(f"{ONLINE}/{code}", headers=api.headers("agent")), 404, "DOSSIER_NOT_FOUND")
    counter_code = api.new_dossier()["id"]
    assert_error(api.client.get(f"{ONLINE}/{counter_code}", headers=portal), 404, "DOSSIER_NOT_FOUND")


def test_each_key_has_its_rate_limit_with_retry_after(api: RunningApi) -> None:
    code = send(api, "agent", [("a.png", png(1))], "dk-1").json()["code"]  # the agent's 1st of 3
    for _ in range(2):
        assert api.client.get(f"{ONLINE}/{code}", headers=api.headers("agent")).status_code == 200
    limited = api.client.get(f"{ONLINE}/{code}", headers=api.headers("agent"))
    assert_error(limited, 429, "TOO_MANY_REQUESTS")
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert_error(send(api, "agent", [("b.png", png(2))], "dk-2"), 429, "TOO_MANY_REQUESTS")
    # The portal's own limit (the default, 60) is untouched by the agent's.
    assert send(api, "portal", [("b.png", png(2))], "dk-2").status_code == 201


def test_an_online_key_is_made_for_its_point_with_its_limit(tmp_path, monkeypatch, capsys) -> None:  # noqa: ANN001
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SOHOA_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        assert main(["keys", "online", PORTAL]) == 2
        assert "--service-point" in capsys.readouterr().err
        assert main(["keys", "reviewer", "kt.a", "--per-minute", "5"]) == 2
        assert main(["keys", "online", PORTAL, "--service-point", "HN-BADINH", "--per-minute", "5"]) == 0
        key = capsys.readouterr().out.strip()
        who = open_service(get_settings()).keys.authenticate(key)
        assert (who.role, who.subject, who.service_point, who.per_minute) == ("online", PORTAL, "HN-BADINH", 5)
        assert main(["keys", "list"]) == 0
        assert "5/min" in capsys.readouterr().out
    finally:
        get_settings.cache_clear()


# --- end to end: photographed files to the agency ------------------------------------------------


def photographed_card(seed: int = 31) -> tuple[bytes, bytes, dict[str, str]]:
    """A card's front as a phone JPEG stored sideways with an EXIF rotation (orientation 6), its
    back as a WebP; the front's truth."""
    from samples.generate import generate_document

    front = generate_document("cccd_front", "clean", seed)
    back = generate_document("cccd_back", "clean", seed)
    truth = {name: spec["value"] for name, spec in front.truth["fields"].items()}
    upright = front.pages[0].convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to show": the pixels are stored turned the other way
    jpeg = io.BytesIO()
    upright.rotate(90, expand=True).save(jpeg, format="JPEG", quality=92, exif=exif.tobytes())
    shown = ImageOps.exif_transpose(Image.open(io.BytesIO(jpeg.getvalue())))
    assert shown is not None and shown.size == upright.size  # the viewer's picture is upright
    webp = io.BytesIO()
    back.pages[0].convert("RGB").save(webp, format="WEBP", quality=90)
    return jpeg.getvalue(), webp.getvalue(), truth


@pytest.mark.ocr
def test_photographed_online_dossier_reaches_the_agency_with_channel_online(request, tmp_path: Path) -> None:  # noqa: ANN001
    from samples.generate import generate_document
    from samples.photos import photographed_page

    front, back, truth = photographed_card()
    settings = make_settings("local-sqlite", request, tmp_path)
    clock = FixedClock(START)
    service = open_service(settings, clock=clock)
    pool: LocalPool | None = None
    try:
        with start_api(settings, process=False, service=service) as api:
            online_keys(api)
            pool, dispatcher = in_process_dispatcher(settings, service, clock)
            form = photographed_page("don", 5, fmt="heic", orientation=8)  # helper D's phone specimen
            form_truth = generate_document("don", "clean", 5).truth
            files = [("mat-truoc.jpg", front), ("mat-sau.webp", back), ("don.heic", form.data)]
            sent = send(api, "portal", files, "dk-anh")
            assert sent.status_code == 201, sent.text
            code = sent.json()["code"]
            media = [c["media_type"] for c in sent.json()["components"]]
            assert media == ["image/jpeg", "image/webp", "image/heic"]

            def read() -> bool:
                with service.db.reading() as s:
                    return find_dossier(s, code).state not in ("queued", "processing")

            assert dispatcher.run_until(read, timeout=300)
            reviewer = api.headers("reviewer")
            queue = api.client.get(f"{API}/review/queue", headers=reviewer).json()
            assert [(item["code"], item["channel"]) for item in queue] == [(code, "online")]
            assert api.client.post(f"{API}/review/dossiers/{code}/claim", headers=reviewer).status_code == 200
            review = api.client.get(f"{API}/review/dossiers/{code}", headers=reviewer).json()
            card = review["components"][0]
            fields = {f["name"]: f for f in card["fields"]}
            assert fields["so_dinh_danh"]["value"] == truth["so_dinh_danh"]  # read upright: EXIF honoured
            # The reviewer types what the page says where it is known, and confirms the rest.
            known = {"cccd_front": truth, "don": {n: v["value"] for n, v in form_truth["fields"].items()}}
            for component in review["components"]:
                for f in component["fields"]:
                    if f["status"] == "ok":
                        continue
                    field_url = f"{API}/review/dossiers/{code}/components/{component['id']}/fields/{f['name']}"
                    typed = known.get(component["kind"], {}).get(f["name"])
                    if typed is not None:
                        body = {"value": typed, "version": f["version"]}
                        done = api.client.put(field_url, params={"part": f["part"]}, json=body, headers=reviewer)
                    else:
                        body = {"version": f["version"]}
                        done = api.client.post(
                            f"{field_url}/confirm", params={"part": f["part"]}, json=body, headers=reviewer
                        )
                    assert done.status_code == 200, done.text
            approved = api.client.post(f"{API}/review/dossiers/{code}/approve", headers=reviewer)
            assert approved.status_code == 200 and approved.json()["state"] == "validated", approved.text
            assert approved.json()["national_status"] == 2  # the approval accepts the online registration

            agency = api.headers("agency")
            listed = api.client.get(f"{API}/agency/dossiers", headers=agency).json()["items"]
            assert [(item["code"], item["national_status"]) for item in listed] == [(code, 2)]
            manifest = api.client.get(f"{API}/agency/dossiers/{code}/manifest", headers=agency).json()
            assert (manifest["dossier"]["channel"], manifest["dossier"]["national_status"]) == ("online", 2)
            pdfs = [f["name"] for f in manifest["files"] if f["name"].endswith(".pdf")]
            assert len(pdfs) == 3
            pdf = api.client.get(f"{API}/agency/dossiers/{code}/files/{pdfs[0]}", headers=agency)
            assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

            status = api.client.get(f"{ONLINE}/{code}", headers=api.headers("portal")).json()
            assert (status["state"], status["national_status"]) == ("validated", 2)
            assert status["progress"]["pages_done"] == 3
    finally:
        if pool is not None:
            pool.shutdown()
