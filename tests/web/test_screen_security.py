"""What protects the screens: the CSRF token, the idle timeout, the service point's walls, and
pages that load nothing from elsewhere."""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.web.support import CLERK, OTHER_CLERK, Server, shot, sign_in, start_server, stop_server

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]  # one server for them all

DRAFT = {
    "procedure_code": "1.001193",
    "service_point_code": CLERK[2],
    "applicant": {"full_name": "Phạm Văn Mẫu"},
}


def csrf_token(page: Page, server: Server) -> str:
    response = page.request.get(f"{server.api}/session")
    assert response.ok, response.text()
    return response.json()["csrf_token"]


def test_a_state_change_with_the_cookie_but_without_the_token_is_refused(page: Page, server: Server):
    sign_in(page, server)
    refused = page.request.post(f"{server.api}/dossiers", data=DRAFT)
    assert refused.status == 403
    assert refused.json()["code"] == "CSRF_INVALID"
    wrong = page.request.post(f"{server.api}/dossiers", data=DRAFT, headers={"X-CSRF-Token": "x" * 43})
    assert wrong.status == 403 and wrong.json()["code"] == "CSRF_INVALID"
    accepted = page.request.post(
        f"{server.api}/dossiers", data=DRAFT, headers={"X-CSRF-Token": csrf_token(page, server)}
    )
    assert accepted.status == 201, accepted.text()
    # Signing out needs the token too; without it the session stays.
    assert page.request.delete(f"{server.api}/session").status == 403
    assert page.request.get(f"{server.api}/session").ok


def test_a_counter_of_another_service_point_cannot_open_the_dossier(page: Page, server: Server, browser: Browser):
    sign_in(page, server)
    created = page.request.post(
        f"{server.api}/dossiers", data=DRAFT, headers={"X-CSRF-Token": csrf_token(page, server)}
    ).json()
    ref = created["id"]
    assert page.request.get(f"{server.api}/dossiers/{ref}").ok

    other = browser.new_context()
    try:
        signed = other.request.post(
            f"{server.api}/session",
            data={"username": OTHER_CLERK[0], "password": OTHER_CLERK[1]},
            headers={"Origin": server.url},
        )
        assert signed.ok, signed.text()
        assert signed.json()["service_point"] == OTHER_CLERK[2]
        token = signed.json()["csrf_token"]
        for path in (f"dossiers/{ref}", f"dossiers/{ref}/checklist"):
            seen = other.request.get(f"{server.api}/{path}")
            assert seen.status == 404, (path, seen.status)
            assert seen.json()["code"] == "DOSSIER_NOT_FOUND"
        upload = other.request.post(
            f"{server.api}/dossiers/{ref}/files",
            multipart={"file": {"name": "x.png", "mimeType": "image/png", "buffer": b"\x89PNG"}},
            headers={"X-CSRF-Token": token},
        )
        assert upload.status == 404
        # Nor put it on their own workstation for the scan station.
        station = f"{server.api}/counter/workstations/{OTHER_CLERK[0]}"
        opened = other.request.put(station, data={"dossier": ref}, headers={"X-CSRF-Token": token})
        assert opened.status == 404, opened.text()
    finally:
        other.close()


def test_pages_load_nothing_from_elsewhere_and_say_so(page: Page, server: Server):
    response = page.request.get(f"{server.url}/quay")
    assert response.ok
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    script = page.request.get(f"{server.url}/static/quay.js")
    assert script.ok and "javascript" in script.headers["content-type"]
    assert script.headers["x-content-type-options"] == "nosniff"
    assert page.request.get(f"{server.url}/", max_redirects=0).headers["location"] == "/signin"
    sign_in(page, server)  # the page fixture's guard fails the test on any request off loopback
    assert page.request.get(f"{server.url}/", max_redirects=0).headers["location"] == "/quay"
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.reload()
    expect(page.locator("body.ready")).to_be_attached()
    assert requests and all(r.startswith(server.url) for r in requests), requests


def test_signing_out_ends_the_session(page: Page, server: Server):
    sign_in(page, server)
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page).to_have_url(f"{server.url}/signin?reason=signedout")
    expect(page.locator("#signin-note")).to_have_text("Đã đăng xuất.")
    assert page.request.get(f"{server.api}/session").status == 401
    page.goto(f"{server.url}/quay")
    expect(page).to_have_url(f"{server.url}/signin?next=%2Fquay")


# --- session expiry: a server whose sessions end after 3 idle seconds ---------------------------

IDLE_SECONDS = 3


@pytest.fixture(scope="module")
def quick_server(tmp_path_factory) -> Iterator[Server]:
    ray_dir = Path(tempfile.mkdtemp(prefix="sohoa-rx-", dir="/tmp"))
    running = start_server(
        tmp_path_factory.mktemp("web-idle"),
        ray_dir,
        ("SOHOA_STAFF__IDLE_MINUTES", str(IDLE_SECONDS / 60)),
        processing=False,
    )
    yield running
    stop_server(running, ray_dir)


def test_an_expired_session_signs_in_again_and_keeps_what_was_typed(page: Page, quick_server: Server):
    server = quick_server
    sign_in(page, server)
    page.keyboard.type("khai sinh")
    page.keyboard.press("Enter")
    expect(page.locator("#proc-card")).to_contain_text("Đăng ký khai sinh")
    page.locator("#full_name").fill("Đỗ Thị Hạnh")
    page.locator("#date_of_birth").fill("05/09/1990")
    time.sleep(IDLE_SECONDS + 1.5)
    page.keyboard.press("F4")  # creating the dossier finds the session ended

    expect(page).to_have_url(f"{server.url}/signin?next=%2Fquay&reason=expired&user={CLERK[0]}")
    expect(page.locator("#signin-note")).to_contain_text("Phiên làm việc đã hết hạn")
    expect(page.get_by_label("Tên đăng nhập")).to_have_value(CLERK[0])
    shot(page, "09-het-phien")
    page.get_by_label("Mật khẩu").fill(CLERK[1])
    page.keyboard.press("Enter")

    expect(page).to_have_url(f"{server.url}/quay")
    expect(page.locator("#proc-card")).to_contain_text("Đăng ký khai sinh")
    expect(page.locator("#full_name")).to_have_value("Đỗ Thị Hạnh")
    expect(page.locator("#date_of_birth")).to_have_value("05/09/1990")
    page.keyboard.press("F4")
    expect(page.locator("#pick")).to_be_focused()
    expect(page.locator("#drop")).to_have_class("drop ready")

    # The open draft's polling does not keep an unattended screen signed in.
    time.sleep(IDLE_SECONDS + 1.5)
    assert page.request.get(f"{server.api}/session").status == 401


def test_repeated_wrong_passwords_lock_the_account_with_a_vietnamese_message(page: Page, quick_server: Server):
    from intake.settings import StaffSettings

    server, limit = quick_server, StaffSettings().lockout_after
    page.goto(f"{server.url}/signin")
    alert = page.get_by_role("alert")
    for attempt in range(1, limit + 1):
        page.get_by_label("Tên đăng nhập").fill(OTHER_CLERK[0])
        page.get_by_label("Mật khẩu").fill(f"sai-{attempt}")
        page.keyboard.press("Enter")
        expected = "Đăng nhập sai quá nhiều lần" if attempt == limit else "Tên đăng nhập hoặc mật khẩu không đúng."
        expect(page.get_by_role("button", name="Đăng nhập")).to_be_enabled()  # the answer came
        expect(alert).to_contain_text(expected)
    expect(alert).to_contain_text(re.compile(r"thử lại sau \d+ giây"))
    # Locked: even the right password waits.
    page.get_by_label("Mật khẩu").fill(OTHER_CLERK[1])
    page.keyboard.press("Enter")
    expect(alert).to_contain_text("Đăng nhập sai quá nhiều lần")
    expect(page).to_have_url(f"{server.url}/signin")


def test_the_served_api_is_ready_with_its_ray_workers(server: Server):
    """`sohoa serve` as compose runs it: /readyz (its healthcheck) asks Ray too, and says ready."""
    import httpx

    assert httpx.get(f"{server.url}/healthz", timeout=10).json() == {"status": "ok"}
    ready = httpx.get(f"{server.url}/readyz", timeout=10)
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "object_store": "ok", "ray": "ok"}
