"""The citizen's public look-up (/tra-cuu/{code}?k=KEY), through the real app on a real SQLite
database: the status and appointment date of one dossier, nothing personal; every miss (unknown
code, the next code guessed, a wrong or missing key) answered by the same bytes; a limit per
client address; the key never in the server's access log."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from api.web.lookup import KEY_REDACTION
from intake.lookup import lookup_url
from intake.ratelimit import SlidingWindowLimiter
from models.dossier import NationalStatus, ProcessingState
from samples.generate import generate_document
from storage.tables import DossierRow
from tests.intake_support import API, RunningApi, make_settings, start_api

APPLICANT = {
    "full_name": "Nguyễn Thị Mẫu",
    "id_number": "001199000001",
    "phone": "0912345678",
    "address": "12 phố Hàng Bạc, phường Hoàn Kiếm",
    "date_of_birth": "07/03/1990",
}
PER_MINUTE = 15  # more than the misses one test tries


@pytest.fixture()
def api(request, tmp_path: Path) -> Iterator[RunningApi]:  # noqa: ANN001
    settings = make_settings("local-sqlite", request, tmp_path, lookup={"per_minute": PER_MINUTE})
    with start_api(settings, process=False) as running:
        yield running


@pytest.fixture(scope="module")
def page_image() -> bytes:
    return generate_document("cccd_front", "clean", 11).page_files[0]


def submitted(api: RunningApi, image: bytes) -> tuple[dict, str]:
    """A dossier received at the counter (code, appointment date) and its look-up key."""
    body = {"procedure_code": "2.000200", "service_point_code": "HN-HOANKIEM", "applicant": APPLICANT}
    created = api.client.post(f"{API}/dossiers", json=body, headers=api.headers("counter"))
    assert created.status_code == 201, created.text
    ref = created.json()["id"]
    assert api.upload(ref, "the-card.png", image).status_code == 201
    done = api.client.post(f"{API}/dossiers/{ref}/submit", headers=api.headers("counter"))
    assert done.status_code == 200, done.text
    return done.json(), key_of(api, done.json()["code"])


def key_of(api: RunningApi, code: str) -> str:
    """The key submit gave the dossier (in the receipt's QR link and printed on it)."""
    with api.service.db.reading() as s:
        key = s.scalar(select(DossierRow.lookup_key).where(DossierRow.code == code))
    assert key and len(key) == 10, "submit gives every dossier its look-up key"
    return key


def set_state(api: RunningApi, code: str, state: ProcessingState, national: NationalStatus) -> None:
    with api.service.db.transaction() as s:
        s.execute(
            update(DossierRow).where(DossierRow.code == code).values(state=state.value, national_status=int(national))
        )


def path_of(code: str, key: str | None = None) -> str:
    return lookup_url("", code, key) if key is not None else f"/tra-cuu/{quote(code, safe='')}"


def vn(iso: str) -> str:
    year, month, day = iso.split("-")
    return f"{day}/{month}/{year}"


def visible_text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_page_shows_code_status_and_appointment_and_nothing_personal(api, page_image) -> None:  # noqa: ANN001
    dossier, key = submitted(api, page_image)
    answer = api.client.get(path_of(dossier["code"], key))
    assert answer.status_code == 200, answer.text
    html = answer.text
    assert '<html lang="vi">' in html
    text = visible_text(html)
    assert dossier["code"] in text
    assert "Cấp thẻ căn cước" in text
    assert "Đã tiếp nhận, đang số hóa" in text
    assert f"Ngày hẹn trả kết quả {vn(dossier['due_date'])}" in text
    assert "Bộ phận Một cửa" in text or "Hoàn Kiếm" in text, "the receiving service point's name"
    # Nothing that says who the citizen is, in the text or anywhere in the markup.
    for personal in (*APPLICANT.values(), "Nguyen Thi Mau", "001199", "0912"):
        assert personal not in html, personal
    assert key not in html, "the key is not echoed (it is in the address already)"
    # The page's headers: same protections as the staff screens, never cached, never indexed.
    headers = answer.headers
    assert headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["cache-control"] == "no-store"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-robots-tag"].startswith("noindex")
    assert headers["x-frame-options"] == "DENY"
    assert "<script" not in html and "style=" not in html, "no inline script or style (CSP)"
    assert 'href="/static/lookup.css"' in html
    assert api.client.get("/static/lookup.css").status_code == 200
    # A key typed by hand from the receipt: lower case, with a dash, O for 0 still finds it.
    typed = key.lower()[:5] + "-" + key.lower()[5:]
    assert api.client.get(path_of(dossier["code"], typed.replace("0", "o"))).status_code == 200


def test_every_miss_is_the_same_page_byte_for_byte(api, page_image) -> None:  # noqa: ANN001
    dossier, key = submitted(api, page_image)
    code = dossier["code"]
    other, other_key = submitted(api, page_image)
    guessed_next = re.sub(r"(\d+)$", lambda m: f"{int(m.group(1)) + 1:0{len(m.group(1))}d}", other["code"])
    wrong_key = "0" * len(key) if key != "0" * len(key) else "1" * len(key)
    misses = {
        "unknown code": path_of("000.00.00.H00-990101-0001", key),
        "the next code, guessed": path_of(guessed_next, key),
        "wrong key": path_of(code, wrong_key),
        "another dossier's key": path_of(code, other_key),
        "no key": path_of(code),
        "empty key": f"{path_of(code)}?k=",
        "key too long": path_of(code, key * 50),
        "malformed code": "/tra-cuu/%3Cscript%3Em%C3%A3%20h%E1%BB%93%20s%C6%A1?k=x%22",
        "a code that is a dossier's public id": path_of(dossier["id"], key),
        "code with a slash": f"/tra-cuu/{code}/x?k={key}",
        "very long code": path_of("9" * 5000, key),
        "no code": "/tra-cuu/",
    }
    first = None
    for label, path in misses.items():
        answer = api.client.get(path)
        assert answer.status_code == 404, (label, answer.status_code)
        assert "Không tìm thấy hồ sơ" in answer.text, label
        seen = (answer.content, sorted((k, v) for k, v in answer.headers.items() if k not in ("date", "x-request-id")))
        if first is None:
            first = seen
        assert seen == first, f"{label}: differs from the first miss"
    # And the right pair still answers (the misses did not use up this client's limit by then).
    assert api.client.get(path_of(code, key)).status_code == 200


def test_a_sent_back_dossier_asks_the_citizen_to_bring_papers(api, page_image) -> None:  # noqa: ANN001
    dossier, key = submitted(api, page_image)
    set_state(api, dossier["code"], ProcessingState.SENT_BACK, NationalStatus.YEU_CAU_BO_SUNG)
    text = visible_text(api.client.get(path_of(dossier["code"], key)).text)
    assert "Cần bổ sung giấy tờ — vui lòng liên hệ bộ phận một cửa" in text
    assert "sẽ được tính lại" in text, "the appointment date restarts after the supplement"
    # Handed to the agency: said so; a result ready: said so.
    set_state(api, dossier["code"], ProcessingState.VALIDATED, NationalStatus.DUOC_TIEP_NHAN)
    assert "Đã chuyển cơ quan giải quyết" in visible_text(api.client.get(path_of(dossier["code"], key)).text)
    set_state(api, dossier["code"], ProcessingState.DELIVERED, NationalStatus.DA_XU_LY_XONG)
    assert "Đã có kết quả" in visible_text(api.client.get(path_of(dossier["code"], key)).text)


def test_a_draft_is_not_found_even_with_its_key(api) -> None:  # noqa: ANN001
    body = {"procedure_code": "2.000200", "service_point_code": "HN-HOANKIEM", "applicant": APPLICANT}
    draft = api.client.post(f"{API}/dossiers", json=body, headers=api.headers("counter")).json()
    with api.service.db.transaction() as s:
        row = s.scalar(select(DossierRow).where(DossierRow.public_id == draft["id"]))
        assert row is not None
        row.lookup_key, row.code = "ABCDEFGHJK", "TEST-DRAFT-1"  # a draft has neither: made so here
    assert api.client.get(path_of("TEST-DRAFT-1", "ABCDEFGHJK")).status_code == 404


def test_the_limit_per_client_address(api, page_image) -> None:  # noqa: ANN001
    dossier, key = submitted(api, page_image)
    mine = path_of(dossier["code"], key)
    answers = [api.client.get(mine if i % 2 else path_of("NOPE", key)).status_code for i in range(PER_MINUTE)]
    assert set(answers) == {200, 404}, answers
    refused = api.client.get(mine)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "Tra cứu quá nhiều lần" in refused.text and '<html lang="vi">' in refused.text
    assert refused.headers["cache-control"] == "no-store"
    # Another address is not held back by this one.
    other = TestClient(api.client.app, client=("203.0.113.7", 40000))
    assert other.get(mine).status_code == 200
    # The form page does not count (it looks nothing up).
    assert api.client.get("/tra-cuu").status_code == 200


def test_the_form_leads_to_the_dossier_page(api, page_image) -> None:  # noqa: ANN001
    dossier, key = submitted(api, page_image)
    form = api.client.get("/tra-cuu")
    assert form.status_code == 200
    assert 'name="ma"' in form.text and 'name="k"' in form.text and 'method="get"' in form.text
    assert form.headers["cache-control"] == "no-store"
    answer = api.client.get("/tra-cuu", params={"ma": f" {dossier['code'].lower()} ", "k": key.lower()})
    assert answer.status_code == 200, answer.text
    assert dossier["code"] in answer.text
    assert answer.history and answer.history[0].status_code == 303


def test_the_key_never_reaches_the_access_log() -> None:
    # Built as uvicorn's access logger builds its record.
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/tra-cuu/HN-250307-0001?k=7XK2M9QPRA&x=1", "1.1", 200),
        None,
    )
    assert KEY_REDACTION.filter(record)
    line = record.getMessage()
    assert "7XK2M9QPRA" not in line
    assert "/tra-cuu/HN-250307-0001?k=" in line and "&x=1" in line
    assert KEY_REDACTION in logging.getLogger("uvicorn.access").filters


def test_the_limiter_window_and_its_bounded_memory() -> None:
    now = [1000.0]
    limiter = SlidingWindowLimiter(window_seconds=60, max_clients=3, now=lambda: now[0])
    assert [limiter.hit("a", 2) for _ in range(2)] == [None, None]
    now[0] += 10
    assert limiter.hit("a", 2) == 50, "until the first of the two leaves the window"
    now[0] += 50
    assert limiter.hit("a", 2) is None
    for client in ("b", "c", "d", "e"):
        limiter.hit(client, 2)
    assert len(limiter) == 3, "the least recently seen are forgotten"
