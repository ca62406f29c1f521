"""Dossiers sent back for papers, on the counter screen, and the citizen's public look-up, in a
real browser against a real `sohoa serve` (the dossier read by the real pipeline).

A dossier received at the clerk's service point is sent back by a reviewer through the API. The
clerk sees it in "Hồ sơ trả về bổ sung" with what the reviewer asked for, prints form 02 (text
checked with pdfplumber), opens the dossier with the keyboard, adds the missing page and submits
it again (F8): it leaves the list. Meanwhile the citizen scans the receipt's QR code with a phone:
the public page says papers are needed, shows the appointment, and nothing personal. axe-core
finds nothing serious; screenshots go to out/screenshots/.
"""

from __future__ import annotations

import io
import re
import time
from urllib.parse import urlsplit

import httpx
import pypdfium2
import pytest
import zxingcpp
from playwright.sync_api import Page, expect

from tests.web.support import CLERK, REVIEWER, Papers, Server, serious_violations, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]  # one server for them all

APPLICANT = {"full_name": "Vũ Thị Thu Trang", "id_number": "001190012345", "phone": "0987654321"}
ASKS = ["Giấy xác nhận thông tin về cư trú (bản chính)", "Ảnh chân dung 4x6 chụp lại, rõ mặt"]
NOTE = "Ảnh nộp lần trước bị lóa, không dùng được."
PROCEDURE = "2.000200"  # Cấp thẻ căn cước: no paper is required, so the resubmission is not stopped
PROCEDURE_NAME = "Cấp thẻ căn cước"
READ_STATES = ("needs_review", "needs_attention")


@pytest.fixture(scope="module")
def keys(server: Server) -> dict[str, str]:
    """API keys: the clerk's (a scan station's, receiving at the clerk's point) and a reviewer's."""
    return {
        "counter": server.sohoa("keys", "counter", CLERK[0], "--service-point", CLERK[2]),
        "reviewer": server.sohoa("keys", "reviewer", REVIEWER[0]),
    }


def received_and_read(server: Server, key: str, papers: Papers) -> dict:
    """A dossier received at the clerk's point, read by the pipeline, waiting for review."""
    with httpx.Client(base_url=server.api, headers={"X-API-Key": key}, timeout=30) as http:
        body = {"procedure_code": PROCEDURE, "service_point_code": CLERK[2], "applicant": APPLICANT}
        created = http.post("/dossiers", json=body)
        assert created.status_code == 201, created.text
        ref = created.json()["id"]
        upload = http.post(f"/dossiers/{ref}/files", files={"file": (papers.sharp.name, papers.sharp.data)})
        assert upload.status_code == 201, upload.text
        submitted = http.post(f"/dossiers/{ref}/submit")
        assert submitted.status_code == 200, submitted.text
        deadline = time.monotonic() + 300
        while True:
            dossier = http.get(f"/dossiers/{ref}").json()
            if dossier["state"] in READ_STATES:
                return dossier
            assert time.monotonic() < deadline, f"still {dossier['state']}: {server.log.read_text()[-2000:]}"
            time.sleep(0.5)


def send_back(server: Server, key: str, code: str) -> dict:
    answer = httpx.post(
        f"{server.api}/review/dossiers/{code}/send-back",
        json={"items": ASKS, "note": NOTE},
        headers={"X-API-Key": key},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["state"] == "sent_back"
    return answer.json()


def receipt_link(server: Server, key: str, code: str) -> str:
    """What a citizen's phone reads from the receipt's QR code."""
    pdf = httpx.get(f"{server.api}/dossiers/{code}/receipt.pdf", headers={"X-API-Key": key}, timeout=30)
    assert pdf.status_code == 200, pdf.text[:300]
    image = pypdfium2.PdfDocument(pdf.content)[0].render(scale=200 / 72).to_pil()
    found = [b.text for b in zxingcpp.read_barcodes(image) if b.format == zxingcpp.BarcodeFormat.QRCode]
    links = [text for text in found if "/tra-cuu/" in text]
    assert links, f"no look-up link in the receipt's QR codes: {found}"
    return links[0]


def vn_date(iso: str) -> str:
    year, month, day = iso[:10].split("-")
    return f"{day}/{month}/{year}"


def pdf_text(data: bytes) -> str:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as document:
        return " ".join(" ".join(p.extract_text() or "" for p in document.pages).split())


def sent_back_list(page: Page, server: Server) -> list[dict]:
    response = page.request.get(f"{server.api}/counter/sent-back")
    assert response.ok, response.text()
    return response.json()


def test_the_clerk_prints_form_02_adds_the_missing_page_and_resubmits(
    page: Page, server: Server, papers: Papers, keys: dict[str, str]
):
    dossier = received_and_read(server, keys["counter"], papers)
    code = dossier["code"]
    send_back(server, keys["reviewer"], code)

    # Chromium reports a file chooser only once Playwright intercepts them, and turning that on
    # races the key press that opens one (puppeteer/puppeteer#6040): on from the start instead.
    page.on("filechooser", lambda _chooser: None)
    sign_in(page, server)
    entry = page.locator(f'#sentback li[data-code="{code}"]')
    expect(entry).to_be_visible()
    listed = sent_back_list(page, server)
    assert code in [e["dossier"]["code"] for e in listed]
    expect(page.locator("#sentback > li")).to_have_count(len(listed))
    expect(page.locator("#sentback-count")).to_have_text(str(len(listed)))
    expect(page.locator("#sentback-jump")).to_be_visible()
    expect(entry).to_contain_text(APPLICANT["full_name"])
    expect(entry).to_contain_text(PROCEDURE_NAME)
    for ask in ASKS:
        expect(entry.locator("li", has_text=ask)).to_have_count(1)
    expect(entry).to_contain_text(NOTE)
    expect(entry).to_contain_text(re.compile(f"{re.escape(REVIEWER[3])}|{re.escape(REVIEWER[0])}"))
    expect(entry).to_contain_text(re.compile(r"Trả về lúc \d\d:\d\d \d\d/\d\d/\d{4}"))
    assert serious_violations(page) == []
    shot(page, "20-quay-ho-so-tra-ve")

    # Form 02 for the citizen, from the keyboard: F9 goes to the list, P prints.
    page.keyboard.press("F9")
    expect(entry).to_be_focused()
    with page.expect_response(re.compile(r"/supplement-request\.pdf$")) as printed:
        page.keyboard.press("p")
    assert printed.value.ok and printed.value.headers["content-type"].startswith("application/pdf")
    frame = page.locator("#print-frame")
    expect(frame).to_have_attribute("src", re.compile(r"^blob:"))
    page.wait_for_function("() => (window.__printed || []).length > 0")
    assert page.evaluate("window.__printed") == [frame.get_attribute("src")]
    expect(entry).to_be_focused()
    form = pdf_text(page.request.get(f"{server.api}/dossiers/{code}/supplement-request.pdf").body())
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in form.upper()
    assert code in form
    assert APPLICANT["full_name"] in form
    for ask in ASKS:
        assert " ".join(ask.split()) in form, ask

    # Enter opens the dossier on the screen: what was asked above the pages, the pages already
    # received, the applicant as received (read-only).
    page.keyboard.press("Enter")
    supplement = page.locator("#supplement")
    expect(supplement).to_be_visible()
    expect(supplement).to_contain_text(code)
    for ask in ASKS:
        expect(supplement).to_contain_text(ask)
    expect(page.locator("#draft-note")).to_contain_text(code)
    expect(page.locator("#thumbs > li.page-card")).to_have_count(1)
    expect(page.locator("#full_name")).to_have_value(APPLICANT["full_name"])
    expect(page.locator("#full_name")).not_to_be_editable()
    expect(page.locator("#proc-card")).to_contain_text(PROCEDURE_NAME)
    expect(page.locator("#pick")).to_be_focused()

    # The missing page, by the file picker (Enter on "Chọn tệp…"), then F8.
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Enter")
    chooser.value.set_files([papers.card.file()])
    expect(page.locator("#thumbs > li.page-card")).to_have_count(2)
    assert serious_violations(page) == []
    shot(page, "21-quay-nhan-bo-sung")
    with page.expect_response(re.compile(r"/submit$")) as resubmitted:
        page.keyboard.press("F8")
    assert resubmitted.value.status == 200, resubmitted.value.text()
    again = resubmitted.value.json()
    assert again["code"] == code
    assert again["state"] not in ("sent_back", "draft")
    assert len(again["components"]) == 2
    done = page.locator("#done")
    expect(done).to_contain_text("Đã nhận bổ sung hồ sơ")
    expect(done).to_contain_text(code)
    page.wait_for_function("() => (window.__printed || []).length > 1")  # the new receipt too

    # It leaves the list, on the screen and in the API; the screen is ready for the next citizen.
    expect(entry).to_have_count(0)
    assert code not in [e["dossier"]["code"] for e in sent_back_list(page, server)]
    expect(page.locator("#supplement")).to_be_hidden()
    expect(page.locator("#full_name")).to_be_editable()
    expect(page.locator("#full_name")).to_have_value("")
    expect(page.locator("#proc-q")).to_be_focused()
    shot(page, "22-quay-da-nhan-bo-sung")


def test_the_citizen_looks_up_a_sent_back_dossier_from_the_receipt_qr(
    page: Page, server: Server, papers: Papers, keys: dict[str, str]
):
    dossier = received_and_read(server, keys["counter"], papers)
    code = dossier["code"]
    link = receipt_link(server, keys["counter"], code)
    parts = urlsplit(link)
    key = dict(p.split("=", 1) for p in parts.query.split("&"))["k"]
    assert parts.path.endswith(f"/tra-cuu/{code}")
    send_back(server, keys["reviewer"], code)

    # A phone opens the link from the QR code (the server's own address: no public URL is set).
    page.set_viewport_size({"width": 390, "height": 844})
    link_on_server = f"{server.url}{parts.path}?{parts.query}"
    page.goto(link_on_server)
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("h1")).to_contain_text(code)
    status = page.locator(".status")
    expect(status).to_contain_text("Cần bổ sung giấy tờ — vui lòng liên hệ bộ phận một cửa")
    expect(page.locator(".facts")).to_contain_text("Ngày hẹn trả kết quả")
    expect(page.locator(".procedure")).to_have_text(PROCEDURE_NAME)
    content = page.content()
    for personal in (*APPLICANT.values(), *ASKS, NOTE):
        assert personal not in content, personal
    no_sideways = page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert no_sideways, "the page fits a phone's width"
    assert serious_violations(page) == []
    shot(page, "23-tra-cuu-dien-thoai")

    # The same page at the counter's screen size; and a wrong key finds nothing.
    page.set_viewport_size({"width": 1366, "height": 768})
    page.reload()
    expect(page.locator(".steps li[aria-current='step']")).to_have_text("Kiểm tra")
    shot(page, "24-tra-cuu-man-hinh")
    wrong = page.goto(f"{server.url}/tra-cuu/{code}?k={'0' * len(key) if key != '0' * len(key) else '1' * len(key)}")
    assert wrong is not None and wrong.status == 404
    expect(page.locator("h1")).to_contain_text("Không tìm thấy hồ sơ")
    assert serious_violations(page) == []
    shot(page, "25-tra-cuu-khong-thay")

    # The form for typing the code and key from the paper receipt leads to the same page.
    page.goto(f"{server.url}/tra-cuu")
    page.get_by_label("Mã hồ sơ").fill(code)
    page.get_by_label("Mã tra cứu").fill(key.lower())
    page.get_by_role("button", name="Tra cứu").click()
    expect(page.locator("h1")).to_contain_text(code)

    # Resubmitted at the counter: the same link says it is being read again.
    again = httpx.post(f"{server.api}/dossiers/{code}/submit", headers={"X-API-Key": keys["counter"]}, timeout=30)
    assert again.status_code == 200, again.text
    page.goto(link_on_server)
    expect(page.locator(".status")).not_to_contain_text("Cần bổ sung")
    expect(page.locator(".facts")).to_contain_text(vn_date(again.json()["due_date"]))

    # The key never reaches the server's own log (the access log is redacted: tests/test_lookup.py).
    assert key not in server.log.read_text(errors="replace")
