"""The counter screen "Tiếp nhận hồ sơ" in a real browser, against a real `sohoa serve`.

A clerk signs in, finds "Đăng ký khai sinh" typing without tone marks, fills the applicant from
the card's QR code typed by a keyboard-wedge scanner, adds pages by the file picker, by
drag-and-drop and through the scan station's hot folder, sees a blur warning on the blurred
page only, deletes it and rescans, is stopped by the checklist, submits with a reason, gets the
receipt (text checked with pdfplumber, QR with zxing-cpp) and sees the reading progress. A
second clerk does a whole dossier with the keyboard alone. axe-core finds nothing serious on
the screens; screenshots of every state go to out/screenshots/.
"""

from __future__ import annotations

import io
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pypdfium2
import pytest
import zxingcpp
from playwright.sync_api import Page, expect

from tests.web.support import CLERK, OTHER_CLERK, ROOT, SOHOA, Papers, Server, drop_files, serious_violations, shot
from tests.web.support import sign_in as sign_in_as

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]  # one server for them all

PROCEDURE = "Đăng ký khai sinh"
REASON = "Bệnh viện chưa cấp giấy chứng sinh; công dân bổ sung sau."


def api_json(page: Page, server: Server, path: str) -> Any:
    response = page.request.get(f"{server.api}/{path}")
    assert response.ok, f"{path}: {response.status} {response.text()[:300]}"
    return response.json()


def cards(page: Page):
    return page.locator("#thumbs > li.page-card")


def card_of(page: Page, filename: str):
    return page.locator(f'#thumbs > li.page-card[aria-label*="{filename}"]')


def expect_thumbnail_shown(card) -> None:
    image = card.locator("img").first
    expect(image).to_be_visible()
    card.page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())


def vn_date(iso: str) -> str:
    year, month, day = iso[:10].split("-")
    return f"{day}/{month}/{year}"


# --- sign-in ------------------------------------------------------------------------------------


def test_sign_in_page_is_vietnamese_accessible_and_refuses_a_wrong_password(page: Page, server: Server):
    page.goto(f"{server.url}/")
    expect(page).to_have_url(f"{server.url}/signin")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.get_by_label("Tên đăng nhập")).to_be_focused()
    assert serious_violations(page) == []
    shot(page, "01-dang-nhap")

    page.get_by_label("Tên đăng nhập").fill(CLERK[0])
    page.get_by_label("Mật khẩu").fill("không-phải-mật-khẩu")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_have_text("Tên đăng nhập hoặc mật khẩu không đúng.")
    expect(page).to_have_url(f"{server.url}/signin")
    expect(page.get_by_label("Mật khẩu")).to_have_value("")
    expect(page.get_by_label("Mật khẩu")).to_be_focused()
    shot(page, "01b-dang-nhap-sai")


# --- the whole counter flow ----------------------------------------------------------------------


def test_a_clerk_receives_a_dossier_from_card_qr_to_printed_receipt(
    page: Page, server: Server, papers: Papers, tmp_path: Path
):
    sign_in_as(page, server)
    expect(page.locator("#proc-q")).to_be_focused()
    expect(page.locator(".topbar .keys")).to_contain_text("F8")
    assert serious_violations(page) == []
    shot(page, "02-quay-trong")

    # 1. The procedure, typed without tone marks; its facts and required documents on screen.
    page.keyboard.type("khai sinh")
    first = page.get_by_role("option").first
    expect(first).to_contain_text(PROCEDURE)
    shot(page, "02b-tim-thu-tuc")
    page.keyboard.press("Enter")
    listed = next(p for p in api_json(page, server, "procedures?q=khai%20sinh") if p["name"] == PROCEDURE)
    card_box = page.locator("#proc-card")
    expect(card_box).to_contain_text(PROCEDURE)
    expect(card_box).to_contain_text(listed["code"])
    expect(card_box).to_contain_text(f"Lệ phí: {listed['fee']}")
    expect(card_box).to_contain_text("Thời hạn:")
    expect(page.locator("#checklist > li")).to_have_count(len(listed["required_documents"]))
    for document in listed["required_documents"]:
        expect(page.locator("#checklist")).to_contain_text(document["name"])

    # 2. The applicant from the card's QR: a scanner types the payload then Enter; nothing is
    # used before the clerk confirms.
    expect(page.locator("#qr")).to_be_focused()
    page.keyboard.type(papers.qr_payload)
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(papers.card_holder)
    expect(dialog).to_contain_text(papers.card_id)
    expect(page.locator("#full_name")).to_have_value("")
    shot(page, "03-xac-nhan-qr")
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(page.locator("#full_name")).to_have_value(papers.card_holder)
    expect(page.locator("#id_number")).to_have_value(papers.card_id)
    expect(page.locator("#date_of_birth")).to_have_value(re.compile(r"^\d\d/\d\d/\d{4}$"))
    expect(page.locator("#start")).to_be_focused()
    page.locator("#phone").fill("0912 345 678")

    # 3. The draft, open on this workstation; pages by the picker and by drag-and-drop.
    page.locator("#start").click()
    expect(page.locator("#pick")).to_be_focused()
    station = api_json(page, server, f"counter/workstations/{CLERK[0]}")
    assert station["dossier"], station
    ref = station["dossier"]
    with page.expect_file_chooser() as chooser:
        page.locator("#pick").click()
    chooser.value.set_files([papers.form.file()])
    expect(cards(page)).to_have_count(1)
    drop_files(page, "#drop", papers.card, papers.blurred)
    expect(cards(page)).to_have_count(3)
    blurred = card_of(page, papers.blurred.name)
    expect(blurred).to_have_class(re.compile(r"\bwarn\b"))
    expect(blurred.locator('.warning[data-code="BLURRED"]')).to_contain_text("Trang 3")
    expect(blurred.locator('.warning[data-code="BLURRED"]')).to_contain_text("mờ")
    expect(page.locator("#live")).to_contain_text("Cảnh báo: Trang 3")
    for sharp in (papers.form, papers.card):
        expect(card_of(page, sharp.name).locator(".warning")).to_have_count(0)
        expect(card_of(page, sharp.name).locator(".ok")).to_be_visible()
        expect_thumbnail_shown(card_of(page, sharp.name))
    dossier = api_json(page, server, f"dossiers/{ref}")
    assert [c["original_filename"] for c in dossier["components"]] == [
        papers.form.name,
        papers.card.name,
        papers.blurred.name,
    ], "uploads keep their order"
    assert serious_violations(page) == []
    shot(page, "04-quay-co-trang-canh-bao")

    # Delete the blurred page (Delete key on its card) and rescan it through the hot folder.
    blurred.focus()
    page.keyboard.press("Delete")
    expect(cards(page)).to_have_count(2)
    expect(page.locator(".page-card.warn")).to_have_count(0)
    hot = tmp_path / "scan"
    hot.mkdir()
    key = server.sohoa("keys", "counter", CLERK[0], "--service-point", CLERK[2])
    station_log = tmp_path / "station.log"
    scanner = subprocess.Popen(
        [SOHOA, "scan-station", "--watch", str(hot), "--counter", CLERK[0], "--api", server.url]
        + ["--interval", "0.2", "--settle", "0.3"],
        env={**server.env, "SOHOA_API_KEY": key},
        stdout=subprocess.DEVNULL,
        stderr=station_log.open("wb"),
        cwd=ROOT,
    )
    try:
        papers.sharp.write(hot)
        rescanned = card_of(page, papers.sharp.name)
        expect(rescanned).to_be_visible(timeout=30_000)
        expect_thumbnail_shown(rescanned)
        expect(rescanned.locator(".warning")).to_have_count(0)
        expect(cards(page)).to_have_count(3)
        deadline = time.monotonic() + 10
        while not (hot / "da-gui" / papers.sharp.name).exists():
            assert time.monotonic() < deadline, station_log.read_text()[-2000:]
            time.sleep(0.2)
    finally:
        scanner.send_signal(signal.SIGTERM)
        try:
            scanner.wait(timeout=20)
        except subprocess.TimeoutExpired:
            scanner.kill()
    assert scanner.returncode is not None

    # 4-5. The checklist blocks a missing required document; submitting with a reason passes.
    checklist = api_json(page, server, f"dossiers/{ref}/checklist")
    assert checklist["missing"], "the giấy chứng sinh is missing: the test needs it so"
    for name in checklist["missing"]:
        expect(page.locator("#checklist li.missing", has_text=name)).to_have_count(1)
    page.keyboard.press("F8")
    alert = page.locator("#alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("thiếu thành phần bắt buộc")
    expect(alert).to_contain_text(checklist["missing"][0])
    expect(page.locator("#reason")).to_be_focused()
    assert api_json(page, server, f"dossiers/{ref}")["state"] == "draft"
    shot(page, "05-thieu-giay-to")
    page.keyboard.type(REASON)
    with page.expect_response(re.compile(r"/receipt\.pdf$")) as printed:
        page.keyboard.press("F8")
    assert printed.value.ok and printed.value.headers["content-type"].startswith("application/pdf")

    done = page.locator("#done")
    expect(done).to_contain_text("Đã tiếp nhận hồ sơ")
    code = done.locator("strong").first.inner_text()
    submitted = api_json(page, server, f"dossiers/{code}")
    assert submitted["missing_reason"] == REASON
    assert submitted["id"] == ref
    expect(done).to_contain_text(f"Hẹn trả kết quả: {vn_date(submitted['due_date'])}")
    expect(done.get_by_role("link", name="In phiếu tiếp nhận")).to_have_attribute("href", re.compile(code))
    frame = page.locator("#print-frame")
    expect(frame).to_have_attribute("src", re.compile(r"^blob:"))
    # One action: the receipt PDF loaded in the hidden frame, and that frame printed.
    page.wait_for_function("() => (window.__printed || []).length > 0")
    assert page.evaluate("window.__printed") == [frame.get_attribute("src")]

    # The form is ready for the next citizen at once; the workstation holds no draft.
    expect(page.locator("#proc-q")).to_be_focused()
    expect(page.locator("#proc-q")).to_have_value("")
    expect(page.locator("#full_name")).to_have_value("")
    expect(cards(page)).to_have_count(0)
    assert api_json(page, server, f"counter/workstations/{CLERK[0]}")["dossier"] is None

    # Reading progress in "Hồ sơ vừa nhận".
    recent = page.locator(f'#recent li[data-code="{code}"]')
    expect(recent).to_contain_text(papers.card_holder)
    expect(recent).to_contain_text(vn_date(submitted["due_date"]))
    expect(recent.locator(".progress-text")).to_have_text(
        re.compile(rf"(Đang chờ đọc|Đang đọc \d+/{submitted['progress']['pages_total']} trang|Đã đọc \d+/\d+ trang)")
    )
    expect(recent.locator("progress")).to_be_visible()
    assert serious_violations(page) == []
    shot(page, "06-da-tiep-nhan")

    # The receipt: its text and its QR code (the dossier code).
    receipt = page.request.get(f"{server.api}/dossiers/{code}/receipt.pdf")
    assert receipt.ok and receipt.headers["content-type"].startswith("application/pdf")
    check_receipt(receipt.body(), code, papers.card_holder, submitted, server.url)


def check_receipt(pdf: bytes, code: str, holder: str, dossier: dict, base_url: str) -> None:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(pdf)) as document:
        text = "\n".join(p.extract_text() or "" for p in document.pages)
    flat = " ".join(text.split())
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in flat.upper()
    assert code in flat
    assert holder in flat
    assert PROCEDURE in flat
    year, month, day = (int(part) for part in dossier["due_date"].split("-"))
    assert re.search(rf"ngày {day:02d} tháng 0?{month} năm {year}", flat), "the appointment date"
    assert CLERK[3] in flat or CLERK[0] in flat, "the receiving clerk"

    rendered = pypdfium2.PdfDocument(pdf)[0].render(scale=200 / 72).to_pil()
    shots = ROOT / "out" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    rendered.save(shots / "07-phieu-tiep-nhan.png")
    found = [b.text for b in zxingcpp.read_barcodes(rendered) if b.format == zxingcpp.BarcodeFormat.QRCode]
    # The QR opens the citizen's look-up page: the code and the key printed beside it.
    key = re.search(r"Mã tra cứu: ([0-9A-Z]{10})", flat)
    assert key, "the look-up key is printed"
    assert found == [f"{base_url}/tra-cuu/{code}?k={key.group(1)}"], found


# --- keyboard alone --------------------------------------------------------------------------------


def test_a_whole_dossier_with_the_keyboard_alone(page: Page, server: Server, papers: Papers):
    """After sign-in, only key presses (the file chooser is the operating system's)."""
    # Playwright intercepts file choosers only while someone listens: listening from the start
    # leaves no window in which the picker, opened by a key press, would slip through.
    page.on("filechooser", lambda _chooser: None)
    sign_in_as(page, server, OTHER_CLERK)
    keys = page.keyboard
    keys.press("F2")
    keys.type("dang ky khai")
    expect(page.get_by_role("option").first).to_contain_text(PROCEDURE)
    keys.press("ArrowDown")
    keys.press("ArrowUp")
    keys.press("Enter")
    expect(page.locator("#proc-card")).to_contain_text(PROCEDURE)

    # A QR read is dismissed with Escape: nothing is filled.
    expect(page.locator("#qr")).to_be_focused()
    keys.type(papers.qr_payload)
    keys.press("Enter")
    expect(page.get_by_role("dialog")).to_be_visible()
    keys.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(page.locator("#full_name")).to_have_value("")

    # The name typed by hand; F4 opens the dossier and goes to the pages.
    expect(page.locator("#qr")).to_be_focused()
    keys.press("Tab")
    keys.press("Tab")
    expect(page.locator("#full_name")).to_be_focused()
    keys.type("Lê Thị Hoa")
    keys.press("F4")
    expect(page.locator("#pick")).to_be_focused()
    with page.expect_file_chooser() as chooser:
        keys.press("Enter")
    chooser.value.set_files([p.file() for p in (papers.form, papers.birth, papers.card)])
    expect(cards(page)).to_have_count(3)

    # The card's QR found on the uploaded page is offered; Enter takes it.
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(papers.card_holder)
    keys.press("Enter")
    expect(page.locator("#full_name")).to_have_value(papers.card_holder)
    expect(page.locator("#pick")).to_be_focused()

    # On the cards: arrows, R, Alt+←, and the select (Tab) says which document each file is.
    keys.press("Tab")
    form_card, birth_card = (card_of(page, p.name) for p in (papers.form, papers.birth))
    expect(form_card).to_be_focused()
    keys.press("ArrowRight")
    expect(birth_card).to_be_focused()
    with page.expect_response(lambda r: r.request.method == "PATCH" and "/files/" in r.url) as rotated:
        keys.press("r")
    assert rotated.value.ok and rotated.value.json()["rotation"] == 90
    expect(birth_card).to_be_focused()
    with page.expect_response(lambda r: r.request.method == "PUT" and r.url.endswith("/order")) as moved:
        keys.press("Alt+ArrowLeft")
    assert moved.value.ok
    names = [c["original_filename"] for c in moved.value.json()["components"]]
    assert names == [papers.birth.name, papers.form.name, papers.card.name]
    expect(page.locator("#thumbs > li.page-card").first).to_have_attribute("aria-label", re.compile(papers.birth.name))
    expect(birth_card).to_be_focused()

    procedure = next(p for p in api_json(page, server, "procedures?q=khai%20sinh") if p["name"] == PROCEDURE)
    documents = [d["name"] for d in procedure["required_documents"]]
    birth_doc = next(d for d in procedure["required_documents"] if d["required"] and not d["kinds"])["name"]
    form_doc = next(d for d in procedure["required_documents"] if "to_khai_khai_sinh" in d["kinds"])["name"]

    # Options: "Tự nhận", then the procedure's documents in order: ArrowDown n+1 times picks the n-th.
    def declare(card, document: str) -> None:
        keys.press("Tab")
        select = card.locator("select")
        expect(select).to_be_focused()
        for step in documents[: documents.index(document) + 1]:
            keys.press("ArrowDown")
            expect(card.locator(".kind")).to_have_text(step)  # saved (PATCH) and shown again
            expect(select).to_be_focused()

    declare(birth_card, birth_doc)
    keys.press("Shift+Tab")
    expect(birth_card).to_be_focused()
    keys.press("ArrowRight")
    expect(form_card).to_be_focused()
    declare(form_card, form_doc)
    expect(page.locator("#checklist li.present", has_text=birth_doc)).to_be_visible()
    expect(page.locator("#checklist li.present", has_text=form_doc)).to_be_visible()
    expect(page.locator("#checklist li.missing")).to_have_count(0)
    shot(page, "08-ban-phim")

    with page.expect_response(re.compile(r"/submit$")) as submitted:
        keys.press("F8")
    assert submitted.value.status == 200, submitted.value.text()
    body = submitted.value.json()
    assert body["missing_reason"] is None
    assert body["applicant"]["full_name"] == papers.card_holder
    expect(page.locator("#done")).to_contain_text(body["code"])
    expect(page.locator("#proc-q")).to_be_focused()


def test_the_applicant_from_a_card_photo_and_nothing_from_an_unreadable_qr(page: Page, server: Server, papers: Papers):
    sign_in_as(page, server, OTHER_CLERK)
    page.keyboard.press("F3")
    page.keyboard.type("không phải mã thẻ")
    page.keyboard.press("Enter")
    expect(page.locator("#alert")).to_contain_text("Không đọc được mã QR")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(page.locator("#full_name")).to_have_value("")
    expect(page.locator("#qr")).to_be_focused()

    # "Đọc QR từ ảnh thẻ": the QR of a photographed card, confirmed like a scanned one.
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Đọc QR từ ảnh thẻ").click()
    chooser.value.set_files([papers.card.file()])
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(papers.card_holder)
    expect(dialog).to_contain_text(f"Đọc từ ảnh thẻ “{papers.card.name}”")
    page.get_by_role("button", name="Dùng thông tin này").click()
    expect(page.locator("#full_name")).to_have_value(papers.card_holder)
    expect(page.locator("#id_number")).to_have_value(papers.card_id)
