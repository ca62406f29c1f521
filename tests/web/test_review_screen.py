"""The reviewer's screen "Kiểm tra hồ sơ" in a real browser, against a real `sohoa serve` whose
dossiers are read by the real pipeline (one Ray worker).

A clerk submits through the JSON API a dossier of a specimen citizen: a CCCD front whose name is
printed without its tone marks while its QR code holds the right one, with a pen stroke across
its expiry date (the reader misreads it) and its home town out of focus (read right, yet
doubtful), and one PDF holding a typed petition and a scanned CT01 form, forced into one
document through the parts API. A reviewer signs in and, with the keyboard alone, opens the next
dossier, picks the QR's name, confirms the home town, corrects the date (a wrong date is caught
inline first), splits the PDF back into its two documents, confirms what is left and approves;
the agency's `fields.json` then holds the corrected values and who set them. Also: a second
reviewer is refused a dossier the first has open, a correction made on a stale version shows the
current value and lets the reviewer decide, a send-back produces form 02, axe-core finds nothing
serious. Screenshots go to out/screenshots/.
"""

from __future__ import annotations

import io
import json
import re
import time
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.web.support import (
    CLERK,
    OTHER_REVIEWER,
    REVIEWER,
    Paper,
    ReviewPapers,
    Server,
    make_review_papers,
    serious_violations,
    shot,
)
from tests.web.support import sign_in as sign_in_as

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]  # one server for them all

GREEN_LANE = "1.014137"  # Cấp thẻ bảo hiểm y tế: làn xanh, first in the queue
BIRTH = "1.001193"  # Đăng ký khai sinh
DOUBTFUL = ("needs_review", "invalid")
READ_TIMEOUT_S = 600


@pytest.fixture(scope="module")
def review_papers() -> ReviewPapers:
    return make_review_papers()


class Desk:
    """The JSON API as the clerk (a counter key) and as the first reviewer (the same user name as
    the screen's: their claim is one)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.clerk = {"X-API-Key": server.sohoa("keys", "counter", CLERK[0], "--service-point", CLERK[2])}
        self.reviewer = {"X-API-Key": server.sohoa("keys", "reviewer", REVIEWER[0])}
        self.http = httpx.Client(base_url=server.api, timeout=60)

    def submit(self, procedure: str, name: str, *papers: Paper) -> str:
        created = self.http.post(
            "/dossiers",
            json={"procedure_code": procedure, "service_point_code": CLERK[2], "applicant": {"full_name": name}},
            headers=self.clerk,
        )
        assert created.status_code == 201, created.text
        ref = created.json()["id"]
        for paper in papers:
            sent = self.http.post(
                f"/dossiers/{ref}/files", files={"file": (paper.name, paper.data, paper.mime)}, headers=self.clerk
            )
            assert sent.status_code == 201, sent.text
        submitted = self.http.post(f"/dossiers/{ref}/submit", json={"missing_reason": "Thử nghiệm"}, headers=self.clerk)
        assert submitted.status_code == 200, submitted.text
        return submitted.json()["code"]

    def read(self, code: str) -> dict:
        """Wait until the pipeline has read the dossier; its review view."""
        deadline = time.monotonic() + READ_TIMEOUT_S
        while True:
            state = self.http.get(f"/dossiers/{code}", headers=self.clerk).json()["state"]
            if state not in ("queued", "processing"):
                break
            assert time.monotonic() < deadline, f"{code} not read in {READ_TIMEOUT_S} s"
            time.sleep(1)
        assert state == "needs_review", state
        return self.review(code)

    def review(self, code: str) -> dict:
        answer = self.http.get(f"/review/dossiers/{code}", headers=self.reviewer)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, path, headers=self.reviewer, **kwargs)


@pytest.fixture(scope="module")
def desk(server: Server) -> Any:
    opened = Desk(server)
    yield opened
    opened.http.close()


@pytest.fixture(scope="module")
def codes(desk: Desk, review_papers: ReviewPapers) -> dict[str, str]:
    """The module's dossiers, submitted at once: the worker reads them while the first test runs."""
    papers = review_papers
    return {
        "main": desk.submit(GREEN_LANE, papers.qr_name, papers.card, papers.mixed),
        "pair": desk.submit(BIRTH, papers.qr_name, papers.card),
        "stale": desk.submit(BIRTH, papers.qr_name, papers.card),
        "sent": desk.submit(BIRTH, papers.qr_name, papers.card),
        "turn": desk.submit(BIRTH, papers.qr_name, papers.card),
    }


def field_of(view: dict, name: str, component: int | None = None, part: int = 0) -> dict:
    for c in view["components"]:
        for f in c["fields"]:
            if f["name"] == name and f["part"] == part and component in (None, c["id"]):
                return {**f, "component": c["id"]}
    raise AssertionError(f"no field {name}")


def item(page: Page, component: int, name: str, part: int = 0):
    return page.locator(f'#fields li.field[data-component="{component}"][data-part="{part}"][data-name="{name}"]')


def selected(page: Page):
    return page.locator('#fields li.field[aria-selected="true"]')


def sign_in_by_keyboard(page: Page, server: Server, who: tuple) -> None:
    page.goto(f"{server.url}/")
    expect(page).to_have_url(f"{server.url}/signin")
    expect(page.get_by_label("Tên đăng nhập")).to_be_focused()
    page.keyboard.type(who[0])
    page.keyboard.press("Tab")
    page.keyboard.type(who[1])
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{server.url}/kiem-tra")
    expect(page.locator("#who")).to_contain_text(who[3])
    expect(page.locator("body.ready")).to_be_attached()


def open_dossier(page: Page, server: Server, code: str) -> None:
    page.goto(f"{server.url}/kiem-tra/{quote(code)}")
    expect(page.locator("body.ready")).to_be_attached()


def press_until(page: Page, key: str, done, limit: int = 20) -> None:  # noqa: ANN001
    for _ in range(limit):
        if done():
            return
        page.keyboard.press(key)
    assert done(), f"{key} pressed {limit} times"


def active_id(page: Page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


# --- the whole review, keyboard only ----------------------------------------------------------------


def test_a_reviewer_clears_a_dossier_with_the_keyboard_alone_and_the_agency_gets_the_values(
    page: Page, server: Server, desk: Desk, codes: dict[str, str], review_papers: ReviewPapers
):
    papers = review_papers
    code = codes["main"]
    view = desk.read(code)
    card = next(c for c in view["components"] if c["filename"] == papers.card.name)
    mixed = next(c for c in view["components"] if c["filename"] == papers.mixed.name)

    # What the reader made of it: the name from print and QR disagree; the struck date misread.
    name = field_of(view, "ho_va_ten", card["id"])
    assert name["status"] == "needs_review" and name["value"] == papers.printed_name
    assert {c["source"]: c["value"] for c in name["candidates"]}.get("qr") == papers.qr_name
    expiry = field_of(view, papers.smudged, card["id"])
    assert expiry["status"] in DOUBTFUL and expiry["value"] != papers.smudged_truth
    worn = field_of(view, papers.blurred, card["id"])
    assert worn["status"] in DOUBTFUL and worn["value"] == papers.blurred_truth, "doubtful, yet read right"
    assert len(mixed["parts"]) == 2, "the reader found the petition and the form"
    form_kind = mixed["parts"][1]["kind"]
    # The file forced into one document (as a wrong split would leave it): the reviewer splits it.
    forced = desk.call(
        "PUT",
        f"/review/dossiers/{code}/components/{mixed['id']}/parts",
        json={"parts": [{"kind": mixed["parts"][0]["kind"], "pages": [0, 1]}]},
    )
    assert forced.status_code == 200, forced.text
    assert desk.call("DELETE", f"/review/dossiers/{code}/claim").status_code == 204

    # The queue: green lane first, the fields to check, the appointment.
    sign_in_by_keyboard(page, server, REVIEWER)
    row = page.locator(f'#queue tbody tr[data-code="{code}"]')
    expect(row).to_contain_text("Làn xanh")
    expect(row).to_contain_text("trường")
    expect(page.locator("#queue tbody tr").first).to_have_attribute("data-code", code)
    assert serious_violations(page) == []
    shot(page, "20-kiem-tra-hang-cho")

    # N: the next dossier, claimed; the first doubtful field selected, its candidates numbered.
    keys = page.keyboard
    keys.press("n")
    expect(page).to_have_url(f"{server.url}/kiem-tra/{quote(code)}")
    expect(page.locator("body.ready")).to_be_attached()
    expect(page.locator("#value")).to_be_focused()
    expect(selected(page)).to_have_attribute("data-name", "ho_va_ten")
    expect(page.locator("#value")).to_have_value(papers.printed_name)
    qr = page.locator('#candidates li[data-source="qr"]')
    expect(qr).to_contain_text(papers.qr_name)
    expect(page.locator("#field-status")).to_contain_text("Cần kiểm tra")
    expect(page.locator("#crop img")).to_be_visible()
    expect(page.locator("#viewer .field-box.selected")).to_have_count(1)
    expect(page.locator("#approve")).to_be_disabled()
    expect(page.locator("#approve-why")).to_contain_text("cần kiểm tra")
    claim = desk.call("POST", f"/review/dossiers/{code}/claim").json()
    assert claim["claimed_by"] == REVIEWER[0]
    assert serious_violations(page) == []
    page.wait_for_timeout(600)  # the page image drawn in the viewer
    shot(page, "21-kiem-tra-ho-so")

    # 1..n picks a candidate at once: the QR's name; the next doubtful field comes up.
    with page.expect_response(lambda r: r.request.method == "PUT" and "/fields/ho_va_ten" in r.url) as picked:
        keys.press(qr.get_attribute("data-key") or "")
    assert picked.value.ok, picked.value.text()
    assert picked.value.json()["value"] == papers.qr_name
    expect(item(page, card["id"], "ho_va_ten")).to_have_attribute("data-status", "ok")
    expect(item(page, card["id"], "ho_va_ten")).to_contain_text(papers.qr_name)

    # The worn value was read right: Enter confirms it and moves on.
    expect(selected(page)).to_have_attribute("data-name", papers.blurred)
    with page.expect_response(lambda r: r.url.endswith(f"/fields/{papers.blurred}/confirm")) as confirmed:
        keys.press("Enter")
    assert confirmed.value.ok, confirmed.value.text()
    expect(item(page, card["id"], papers.blurred)).to_contain_text("Đã xác nhận")
    expect(selected(page)).to_have_attribute("data-name", papers.smudged)

    # The misread date: a wrong typing is caught inline (not saved), Esc undoes it, then the truth.
    expect(page.locator("#value")).to_have_value(expiry["value"])
    keys.press("Backspace")  # edit (digits would pick a candidate where there are some)
    keys.type("31/02/2026")
    expect(page.locator("#check")).not_to_have_text("")
    expect(page.locator("#value")).to_have_attribute("aria-invalid", "true")
    keys.press("Enter")
    expect(page.locator("#message")).to_contain_text("chưa đúng")
    expect(selected(page)).to_have_attribute("data-name", papers.smudged)
    keys.press("Escape")
    expect(page.locator("#value")).to_have_value(expiry["value"])
    keys.press("Backspace")
    keys.type(papers.smudged_truth)
    expect(page.locator("#check")).to_have_text("")
    with page.expect_response(lambda r: r.request.method == "PUT" and f"/fields/{papers.smudged}" in r.url) as fixed:
        keys.press("Enter")
    assert fixed.value.ok, fixed.value.text()
    date_item = item(page, card["id"], papers.smudged)
    expect(date_item).to_have_attribute("data-status", "ok")
    expect(date_item).to_have_attribute("data-version", str(expiry["version"] + 1))
    # Back to it (↑/Shift+Tab move): its history says who changed what.
    press_until(page, "Shift+Tab", lambda: selected(page).get_attribute("data-name") == papers.smudged)
    history = page.locator("#history")
    expect(history).to_contain_text(REVIEWER[0])
    expect(history).to_contain_text(expiry["value"])
    expect(history).to_contain_text(papers.smudged_truth)

    # The PDF split back into its two documents, from the keyboard: F4, the file, page 2 ticked.
    keys.press("F4")
    expect(page.locator("#doc-dialog")).to_be_visible()
    expect(page.locator("#doc-file")).to_be_focused()
    press_until(page, "ArrowDown", lambda: page.locator("#doc-file").input_value() == str(mixed["id"]))
    press_until(page, "Tab", lambda: active_id(page) == "doc-start-1")
    keys.press("Space")
    expect(page.locator("#doc-start-1")).to_be_checked()
    keys.press("Tab")
    expect(page.locator("#doc-kind-1")).to_be_focused()
    kind = page.locator("#doc-kind-1")
    wanted = kind.evaluate("(s, v) => [...s.options].findIndex((o) => o.value === v) - s.selectedIndex", form_kind)
    press_until(page, "ArrowDown" if wanted > 0 else "ArrowUp", lambda: kind.input_value() == form_kind, limit=15)
    assert serious_violations(page) == []
    shot(page, "22-kiem-tra-tach-tai-lieu")
    press_until(page, "Tab", lambda: active_id(page) == "doc-save")
    with page.expect_response(lambda r: r.request.method == "PUT" and r.url.endswith("/parts")) as split:
        keys.press("Enter")
    assert split.value.ok, split.value.text()
    expect(page.locator("#doc-dialog")).to_be_hidden()
    expect(page.locator(f'#fields li.field[data-component="{mixed["id"]}"][data-part="1"]').first).to_be_attached()
    expect(page.locator("#value")).to_be_focused()
    # The reviewer's values outlived the new reading.
    expect(item(page, card["id"], "ho_va_ten")).to_contain_text(papers.qr_name)

    # Enter confirms each doubtful field left and moves on, until nothing is left.
    for _ in range(60):
        if page.locator("#approve").is_enabled():
            break
        current = selected(page)
        assert current.get_attribute("data-status") != "invalid", current.inner_text()
        if current.get_attribute("data-status") in DOUBTFUL:
            keys.press("Enter")
        else:
            keys.press("ArrowDown")
        page.wait_for_timeout(150)
    expect(page.locator("#approve")).to_be_enabled()
    expect(page.locator("#approve-why")).to_contain_text("Đã kiểm tra hết")
    expect(
        page.locator('#fields li.field[data-status="needs_review"], #fields li.field[data-status="invalid"]')
    ).to_have_count(0)
    shot(page, "23-kiem-tra-xong")

    # Ctrl+Enter approves: back to the queue, which says so.
    keys.press("Control+Enter")
    expect(page).to_have_url(re.compile(r"/kiem-tra\?da-duyet="))
    expect(page.locator("#queue-message")).to_contain_text(code)
    expect(page.locator(f'#queue tbody tr[data-code="{code}"]')).to_have_count(0)

    # The agency's package: the corrected values, and who set them.
    delivered = agency_fields(server, desk, code)
    card_fields = next(v for k, v in delivered.items() if k.endswith("cccd_front"))
    assert card_fields["ho_va_ten"]["value"] == papers.qr_name
    assert card_fields["ho_va_ten"]["reviewed_by"]["reviewer"] == REVIEWER[0]
    assert card_fields[papers.smudged]["value"] == papers.smudged_truth
    assert card_fields[papers.smudged]["reviewed_by"]["action"] == "correct"
    assert card_fields[papers.smudged]["reviewed_by"]["reviewer"] == REVIEWER[0]
    assert card_fields[papers.blurred]["value"] == papers.blurred_truth
    assert card_fields[papers.blurred]["reviewed_by"]["action"] == "confirm"
    assert card_fields[papers.blurred]["reviewed_by"]["reviewer"] == REVIEWER[0]
    pdf_fields = next(v for k, v in delivered.items() if k.startswith(f"{mixed['position']:02d}-"))
    assert any(key.startswith("1.") for key in pdf_fields), "the form is the file's second document"
    for document in delivered.values():
        for f in document.values():
            assert f["status"] == "ok"
            if "reviewer" in f["sources"]:
                assert f["reviewed_by"]["reviewer"] == REVIEWER[0]


def agency_fields(server: Server, desk: Desk, code: str) -> dict:
    dossier = desk.http.get(f"/dossiers/{code}", headers=desk.clerk).json()
    key = server.sohoa("keys", "agency", dossier["agency_code"])
    got = desk.http.get(f"/agency/dossiers/{code}/files/fields.json", headers={"X-API-Key": key})
    assert got.status_code == 200, got.text
    return json.loads(got.content)


# --- each role its screen ---------------------------------------------------------------------------


def test_each_role_lands_on_its_screen(page: Page, server: Server, browser: Browser):
    sign_in_as(page, server, REVIEWER)  # the sign-in page sends a reviewer to /kiem-tra
    page.goto(f"{server.url}/")
    expect(page).to_have_url(f"{server.url}/kiem-tra")
    expect(page.locator("#queue-view")).to_be_visible()
    clerk = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    try:
        counter = clerk.new_page()
        sign_in_as(counter, server, CLERK)  # a counter to /quay
        counter.goto(f"{server.url}/kiem-tra")
        expect(counter).to_have_url(f"{server.url}/quay")  # not a reviewer's screen
        counter.goto(f"{server.url}/")
        expect(counter).to_have_url(f"{server.url}/quay")
    finally:
        clerk.close()


# --- two reviewers, one dossier ------------------------------------------------------------------


def test_a_second_reviewer_is_refused_a_dossier_the_first_has_open(
    page: Page, server: Server, desk: Desk, codes: dict[str, str], browser: Browser
):
    code = codes["pair"]
    desk.read(code)
    sign_in_as(page, server, REVIEWER)
    open_dossier(page, server, code)
    expect(page.locator("#fields li.field").first).to_be_attached()

    other = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    try:
        second = other.new_page()
        sign_in_as(second, server, OTHER_REVIEWER)
        row = second.locator(f'#queue tbody tr[data-code="{code}"]')
        expect(row).to_contain_text(f"Đang mở: {REVIEWER[3]}")
        open_dossier(second, server, code)
        refused = second.locator("#message")
        expect(refused).to_be_visible()
        expect(refused).to_contain_text(REVIEWER[3])
        expect(second.locator("#refused-back")).to_be_focused()
        expect(second.locator("#review-work")).to_be_hidden()
        expect(second.locator("#approve")).to_be_disabled()
        assert serious_violations(second) == []
        shot(second, "24-kiem-tra-nguoi-khac-dang-mo")

        # The first goes back to the queue (the claim is given up): now the second may open it.
        with page.expect_response(lambda r: r.request.method == "DELETE" and r.url.endswith("/claim")):
            page.locator("#to-queue").focus()
            page.keyboard.press("Enter")
        expect(page).to_have_url(f"{server.url}/kiem-tra")
        open_dossier(second, server, code)
        expect(second.locator("#fields li.field").first).to_be_attached()
        expect(second.locator("#message")).to_be_hidden()
    finally:
        other.close()


# --- a stale correction --------------------------------------------------------------------------------


def test_a_correction_on_a_stale_version_shows_the_current_value(
    page: Page, server: Server, desk: Desk, codes: dict[str, str], review_papers: ReviewPapers
):
    code = codes["stale"]
    view = desk.read(code)
    name = field_of(view, "ho_va_ten")
    sign_in_as(page, server, REVIEWER)
    open_dossier(page, server, code)
    expect(selected(page)).to_have_attribute("data-name", "ho_va_ten")

    # Behind the screen's back (the same reviewer in another window): the name changed.
    behind = desk.call(
        "PUT",
        f"/review/dossiers/{code}/components/{name['component']}/fields/ho_va_ten",
        json={"value": "Đinh Ngọc Bảo Anh", "version": name["version"]},
    )
    assert behind.status_code == 200, behind.text

    page.keyboard.type("Đinh Ngọc Bảo Oanh")
    with page.expect_response(lambda r: r.request.method == "PUT" and "/fields/ho_va_ten" in r.url) as stale:
        page.keyboard.press("Enter")
    assert stale.value.status == 409 and stale.value.json()["code"] == "FIELD_STALE"
    message = page.locator("#message")
    expect(message).to_contain_text("Đinh Ngọc Bảo Anh")
    expect(message).to_contain_text("Enter để lưu đè")
    expect(selected(page)).to_have_attribute("data-name", "ho_va_ten")
    expect(selected(page)).to_have_attribute("data-version", str(name["version"] + 1))
    expect(page.locator("#value")).to_have_value("Đinh Ngọc Bảo Oanh")  # what the reviewer typed is kept
    shot(page, "25-kiem-tra-gia-tri-cu")

    # The reviewer decides: Enter saves theirs over the current version.
    with page.expect_response(lambda r: r.request.method == "PUT" and "/fields/ho_va_ten" in r.url) as saved:
        page.keyboard.press("Enter")
    assert saved.value.ok, saved.value.text()
    assert saved.value.json()["value"] == review_papers.qr_name
    assert saved.value.json()["version"] == name["version"] + 2
    field = item(page, name["component"], "ho_va_ten")
    expect(field).to_have_attribute("data-version", str(name["version"] + 2))
    expect(field).to_contain_text(review_papers.qr_name)

    # A home town abroad is no catalogued unit: Enter refuses it with the reason, Shift+Enter
    # keeps it on the reviewer's word (the only check that can be overridden).
    press_until(page, "ArrowUp", lambda: selected(page).get_attribute("data-name") == "que_quan")
    page.keyboard.press("F2")
    page.keyboard.press("Control+A")
    page.keyboard.type("Paris, Cộng hòa Pháp")
    page.keyboard.press("Enter")
    expect(page.locator("#check")).to_contain_text("Không tìm thấy đơn vị hành chính")
    expect(page.locator("#check")).to_contain_text("Shift+Enter")
    expect(selected(page)).to_have_attribute("data-name", "que_quan")
    with page.expect_response(lambda r: r.request.method == "PUT" and "/fields/que_quan" in r.url) as kept:
        page.keyboard.press("Shift+Enter")
    assert kept.value.ok, kept.value.text()
    assert kept.value.json()["value"] == "Paris, Cộng hòa Pháp"
    assert kept.value.json()["detail"]["unlisted_place"] is True
    expect(item(page, name["component"], "que_quan")).to_contain_text("Paris, Cộng hòa Pháp")


# --- send back ------------------------------------------------------------------------------------------


def test_send_back_lists_what_is_missing_and_offers_form_02(
    page: Page, server: Server, desk: Desk, codes: dict[str, str]
):
    import pdfplumber

    code = codes["sent"]
    desk.read(code)
    sign_in_as(page, server, REVIEWER)
    open_dossier(page, server, code)
    page.keyboard.press("F8")
    expect(page.locator("#send-back-dialog")).to_be_visible()
    expect(page.locator("#sb-items")).to_be_focused()
    page.keyboard.press("Enter")  # a new line, not a send
    page.keyboard.press("Control+Enter")
    expect(page.locator("#sb-error")).to_contain_text("Ghi ít nhất một")
    page.keyboard.type("Giấy chứng sinh (bản chính)")
    page.keyboard.press("Enter")
    page.keyboard.type("Tờ khai đăng ký khai sinh có chữ ký người đi đăng ký")
    page.keyboard.press("Tab")
    page.keyboard.type("Mang bản chính khi đến nhận kết quả.")
    shot(page, "26-kiem-tra-tra-ve")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/send-back")) as sent:
        page.keyboard.press("Control+Enter")
    assert sent.value.ok, sent.value.text()
    assert sent.value.json()["state"] == "sent_back"
    expect(page.locator("#sb-done-text")).to_contain_text(code)
    link = page.locator("#sb-pdf")
    expect(link).to_have_attribute("href", re.compile(r"/supplement-request\.pdf$"))
    shot(page, "27-kiem-tra-da-tra-ve")

    form = page.request.get(f"{server.url}{link.get_attribute('href')}")
    assert form.ok and form.headers["content-type"].startswith("application/pdf")
    with pdfplumber.open(io.BytesIO(form.body())) as document:
        text = " ".join(" ".join((p.extract_text() or "") for p in document.pages).split())
    assert "YÊU CẦU BỔ SUNG" in text.upper()
    assert code in text
    assert "Giấy chứng sinh (bản chính)" in text
    assert "Tờ khai đăng ký khai sinh có chữ ký người đi đăng ký" in text

    page.keyboard.press("Escape")  # the dialog closes: back to the queue
    expect(page).to_have_url(re.compile(r"/kiem-tra\?da-tra-ve="))
    expect(page.locator(f'#queue tbody tr[data-code="{code}"]')).to_have_count(0)


# --- a page turned: read again, then back on screen ---------------------------------------------------


def test_a_turned_page_is_read_again_and_the_dossier_comes_back(
    page: Page, server: Server, desk: Desk, codes: dict[str, str]
):
    from PIL import Image

    code = codes["turn"]
    view = desk.read(code)
    card = view["components"][0]
    image_path = f"/review/dossiers/{code}/components/{card['id']}/pages/0/image"
    before = Image.open(io.BytesIO(desk.call("GET", image_path).content)).size
    sign_in_as(page, server, REVIEWER)
    open_dossier(page, server, code)
    page.keyboard.press("F4")
    press_until(page, "Tab", lambda: page.evaluate("document.activeElement.dataset.rotate") == "0")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/rotate")) as turned:
        page.keyboard.press("Enter")
    assert turned.value.ok, turned.value.text()
    expect(page.locator("#doc-dialog")).to_be_hidden()
    expect(page.locator("#reading")).to_be_visible()
    expect(page.locator("#approve")).to_be_disabled()
    shot(page, "28-kiem-tra-doc-lai")
    expect(page.locator("#reading")).to_be_hidden(timeout=READ_TIMEOUT_S * 1000)
    expect(page.locator("#review-work")).to_be_visible()
    after = Image.open(io.BytesIO(desk.call("GET", image_path).content)).size
    assert after == (before[1], before[0]), "the page is drawn turned a quarter"
    assert desk.review(code)["dossier"]["state"] in ("needs_review", "needs_attention")
