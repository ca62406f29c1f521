"""The review screen shows how each dossier reached the center (issue 18): "Trực tuyến" for one
the portal sent, "Tại quầy" for a counter's, in the queue and in the dossier's header.

A real `sohoa serve` (no processing: the pages are marked read by `ready_for_review`, their
reading is other tests' business) and a real browser. The screenshot goes to out/screenshots/
review-channel.png (copied to docs/screenshots/)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from intake.service import open_service
from intake.settings import Settings
from tests.integrity_support import png, ready_for_review
from tests.web.support import CLERK, REVIEWER, Server, shot, sign_in, start_server, stop_server

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

APPLICANT = {"full_name": "Phạm Thị Mẫu"}


@pytest.fixture(scope="module")
def quiet_server(tmp_path_factory) -> Iterator[Server]:  # noqa: ANN001
    ray_dir = Path(tempfile.mkdtemp(prefix="sohoa-rc-", dir="/tmp"))
    running = start_server(tmp_path_factory.mktemp("channel"), ray_dir, processing=False)
    yield running
    stop_server(running, ray_dir)


def read_dossiers(server: Server) -> dict[str, str]:
    """An online dossier and a counter one, both waiting for review: their codes by channel."""
    online = {"X-API-Key": server.sohoa("keys", "online", "dvc-quocgia", "--service-point", CLERK[2])}
    clerk = {"X-API-Key": server.sohoa("keys", "counter", CLERK[0], "--service-point", CLERK[2])}
    with httpx.Client(base_url=server.api, timeout=60) as http:
        sent = http.post(
            "/online/dossiers",
            data={"dossier": '{"procedure_code": "2.000200", "applicant": {"full_name": "Phạm Thị Mẫu"}}'},
            files=[("files", ("anh-chup.png", png(7), "image/png"))],
            headers={**online, "Idempotency-Key": "dk-man-hinh"},
        )
        assert sent.status_code == 201, sent.text
        body = {"procedure_code": "2.000200", "service_point_code": CLERK[2], "applicant": APPLICANT}
        ref = http.post("/dossiers", json=body, headers=clerk).json()["id"]
        assert http.post(f"/dossiers/{ref}/files", files={"file": ("quay.png", png(8))}, headers=clerk).is_success
        counter = http.post(f"/dossiers/{ref}/submit", headers=clerk).json()["code"]
    codes = {"online": sent.json()["code"], "counter": counter}
    env = server.env
    service = open_service(Settings(data_dir=Path(env["SOHOA_DATA_DIR"]), cache_dir=Path(env["SOHOA_CACHE_DIR"])))
    try:
        for code in codes.values():
            ready_for_review(service, code)
    finally:
        service.db.dispose()
    return codes


def test_the_queue_and_the_header_show_the_channel(quiet_server: Server, page: Page) -> None:
    codes = read_dossiers(quiet_server)
    sign_in(page, quiet_server, REVIEWER)
    online_row = page.locator(f'#queue tbody tr[data-code="{codes["online"]}"]')
    counter_row = page.locator(f'#queue tbody tr[data-code="{codes["counter"]}"]')
    expect(online_row.locator(".badge.channel")).to_have_text("Trực tuyến")
    expect(counter_row.locator(".badge.channel")).to_have_text("Tại quầy")
    expect(page.get_by_role("columnheader", name="Kênh")).to_be_visible()
    shot(page, "review-channel")

    online_row.get_by_role("link", name=codes["online"]).click()
    expect(page.locator("#d-code")).to_have_text(codes["online"])
    expect(page.locator("#d-meta .badge.channel")).to_have_text("Trực tuyến")
