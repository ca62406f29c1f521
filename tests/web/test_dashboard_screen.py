"""The leaders' dashboard "Bảng chỉ số" in a real browser, against a real `sohoa serve` (no
OCR: the dossiers are written to its database with figures known by construction, the same
ones tests/test_indicators.py checks). A supervisor signs in and lands on the dashboard; the
period and the service point are changed with the keyboard alone and the figures shown are the
seeded answers; the charts are SVG images with text alternatives; both exports download and hold
the same numbers; a reviewer is refused (403 from the API, a Vietnamese page); axe-core finds
nothing serious; the whole view fits 1366×768 without scrolling. Screenshot:
out/screenshots/dashboard.png (copied to docs/screenshots/)."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from intake.service import open_service
from intake.settings import Settings
from tests.test_indicators import BD, EXPECTED, HK, OL, seed_city
from tests.web.support import REVIEWER, Server, add_user, serious_violations, shot, start_server, stop_server
from tests.web.support import sign_in as sign_in_as

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

LEADER = ("ld.truongtam", "Mật-khẩu-lãnh-đạo-1!", None, "Lê Minh Tâm")


@pytest.fixture(scope="module")
def board(tmp_path_factory) -> Iterator[Server]:
    """A server of its own (no OCR), its database holding the seeded city and a supervisor."""
    ray_dir = Path(tempfile.mkdtemp(prefix="sohoa-rd-", dir="/tmp"))
    work = tmp_path_factory.mktemp("web-dashboard")
    running = start_server(work, ray_dir, processing=False)
    try:
        add_user(running.env, *LEADER, "supervisor")
        service = open_service(Settings(data_dir=work / "data", cache_dir=work / "cache"))
        seed_city(service.db)
        service.db.dispose()
        yield running
    finally:
        stop_server(running, ray_dir)


def sign_in(page: Page, server: Server, where: str = "/") -> None:
    page.goto(f"{server.url}{where}")
    page.get_by_label("Tên đăng nhập").fill(LEADER[0])
    page.get_by_label("Mật khẩu").fill(LEADER[1])
    page.get_by_role("button", name="Đăng nhập").click()


def open_dashboard(page: Page, server: Server) -> None:
    sign_in(page, server, "/signin?next=/bang-chi-so")
    expect(page).to_have_url(f"{server.url}/bang-chi-so")
    expect(page.locator("body.ready")).to_be_attached()
    expect(page.locator("#who")).to_have_text(LEADER[3])
    expect(page).to_have_url(f"{server.url}/bang-chi-so")  # this month so far: the address follows the calendar


def day_first(page: Page) -> bool:
    """Whether the browser's date fields show the day before the month (their order follows the
    browser's own locale, not the page's): found by typing into a probe field, then removed."""
    page.evaluate(
        """() => {
            const probe = document.createElement("input");
            probe.type = "date";
            probe.id = "probe-date";
            document.body.append(probe);
        }"""
    )
    probe = page.locator("#probe-date")
    probe.focus()
    page.keyboard.type("01022026")
    found = probe.input_value() == "2026-02-01"
    probe.evaluate("e => e.remove()")
    return found


def type_date(page: Page, key: str, day: str) -> None:
    """The shortcut to a date field, the date ("DD/MM/YYYY") typed part by part, Esc."""
    d, m, y = day.split("/")
    order = d + m + y if day_first(page) else m + d + y
    page.keyboard.press(key)
    page.keyboard.type(order)
    page.keyboard.press("Escape")


def card(page: Page, name: str):  # noqa: ANN201
    return page.locator(f"#k-{name}")


def test_a_supervisor_reads_the_city_and_a_point_by_keyboard_and_exports(page: Page, board: Server, tmp_path):
    open_dashboard(page, board)
    # This month so far (no seeded dossier): nothing received, yet three dossiers overdue now.
    expect(page.locator("[data-preset=month]")).to_have_attribute("aria-pressed", "true")
    expect(card(page, "received")).to_have_text("0")
    expect(card(page, "overdue")).to_have_text("3")
    expect(page.locator("#card-overdue")).to_have_class("card overdue alarm")

    type_date(page, "t", "01/07/2026")
    type_date(page, "d", "31/07/2026")
    expect(page.locator("#period")).to_have_text("01/07/2026 – 31/07/2026")
    city = EXPECTED["city"]
    expect(card(page, "received")).to_have_text(str(city["received"]))
    expect(page.locator("#k-channels")).to_have_text("Quầy 6 · Trực tuyến 2 · Bưu chính 1")
    expect(card(page, "pages")).to_have_text(str(city["pages_digitized"]))
    expect(card(page, "unreviewed")).to_have_text("64,0 %")  # 16 of 25 fields
    expect(card(page, "corrections")).to_have_text("1,17")  # 7 corrections, 6 dossiers
    expect(card(page, "p50")).to_have_text("35,0 giờ")
    expect(card(page, "p95")).to_have_text("p95: 192,0 giờ · 6 hồ sơ")
    expect(card(page, "on-time")).to_have_text("80,0 %")
    expect(card(page, "early")).to_have_text("20,0 %")
    expect(card(page, "green")).to_have_text("33,3 %")
    expect(card(page, "overdue")).to_have_text("3")
    expect(page.locator("#points tfoot th")).to_have_text("Toàn thành phố")
    expect(page.locator("#points tbody tr")).to_have_count(3)  # the online reception point too
    assert page.evaluate("document.documentElement.scrollHeight <= window.innerHeight"), "the page scrolls"
    assert serious_violations(page) == []
    shot(page, "dashboard")

    # The charts: SVG images whose title and description a screen reader reads.
    for chart in ("chart-days", "chart-on-time", "chart-time"):
        image = page.locator(f"#{chart} svg[role=img]")
        expect(image).to_have_count(1)
        assert image.locator("title").first.text_content(), chart
        assert image.locator("desc").first.text_content(), chart
    expect(page.locator("#chart-days desc")).to_contain_text("9 hồ sơ trong 31 ngày")
    expect(page.locator("#chart-days g.bar title").first).to_contain_text("01/07: 1 hồ sơ")
    expect(page.locator("#chart-on-time desc")).to_contain_text("Hoàn Kiếm: 75,0 %")

    # The exports of what is shown, by keyboard.
    with page.expect_download() as xlsx:
        page.keyboard.press("e")
    assert xlsx.value.suggested_filename == "bang-chi-so_2026-07-01_2026-07-31.xlsx"
    sheet = load_workbook(io.BytesIO(Path(xlsx.value.path()).read_bytes()))["Bảng chỉ số"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[-1][1] == "Toàn thành phố" and rows[-1][4] == city["received"]
    with page.expect_download() as csv_file:
        page.keyboard.press("c")
    table = list(csv.reader(io.StringIO(Path(csv_file.value.path()).read_text(encoding="utf-8-sig"))))
    assert [r[0] for r in table[1:]] == [HK, BD, OL, ""] and table[-1][4] == str(city["received"])

    # One service point, chosen by keyboard: the cards and the charts are that point's.
    page.keyboard.press("p")
    expect(page.locator("#point")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#scope")).to_contain_text("Hoàn Kiếm")
    expect(card(page, "received")).to_have_text(str(EXPECTED[HK]["received"]))
    expect(card(page, "overdue")).to_have_text("3")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#scope")).to_contain_text("Ba Đình")
    expect(card(page, "received")).to_have_text(str(EXPECTED[BD]["received"]))
    expect(card(page, "on-time")).to_have_text("100,0 %")
    expect(card(page, "early")).to_have_text("0,0 %")
    expect(card(page, "overdue")).to_have_text("0")
    expect(page.locator("#card-overdue")).not_to_have_class("card overdue alarm")
    expect(page.locator("#points tbody tr")).to_have_count(1)
    assert "service_point=HN-BADINH" in page.url

    # A preset: the period moves and stays a choice the keyboard made.
    page.keyboard.press("Escape")
    page.keyboard.press("1")
    expect(page.locator("[data-preset=today]")).to_have_attribute("aria-pressed", "true")
    expect(card(page, "received")).to_have_text("0")

    # A period that ends before it starts: the API's Vietnamese message, the figures kept.
    type_date(page, "d", "01/06/2026")
    expect(page.locator("#message")).to_contain_text("ngày kết thúc trước ngày bắt đầu")


def test_a_reviewer_is_refused_the_dashboard(page: Page, board: Server):
    sign_in_as(page, board, REVIEWER)
    refused = page.request.get(f"{board.api}/dashboard")
    assert refused.status == 403 and refused.json()["code"] == "FORBIDDEN"
    page.goto(f"{board.url}/bang-chi-so")
    expect(page.locator("#refused")).to_be_visible()
    expect(page.locator("#refused h2")).to_have_text("Bảng chỉ số dành cho lãnh đạo trung tâm")
    expect(page.locator("#dash")).to_be_hidden()
    assert serious_violations(page) == []


def test_a_supervisor_lands_on_the_dashboard_and_still_reaches_the_review_screen(page: Page, board: Server):
    sign_in(page, board)  # from the home page: the sign-in page sends each role to its screen
    expect(page).to_have_url(f"{board.url}/bang-chi-so")
    expect(page.locator("body.ready")).to_be_attached()
    page.get_by_role("link", name="Kiểm tra hồ sơ").click()
    expect(page).to_have_url(f"{board.url}/kiem-tra")
    expect(page.locator("#queue-view")).to_be_visible()
    page.goto(f"{board.url}/")
    expect(page).to_have_url(f"{board.url}/bang-chi-so")
