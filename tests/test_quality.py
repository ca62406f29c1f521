"""The live quality check at upload: each defect raises its code, good pages raise nothing.

Pages come from the sample generator (a chip CCCD front and a CT01 form, scanned), damaged
here the way a counter meets them. The thresholds are the shipped defaults; how they were
chosen and how well they do on many pages is `benchmarks.quality` (docs/QUALITY.md).
"""

from __future__ import annotations

import io
import unicodedata

import cv2
import numpy as np
import pytest
from PIL import Image

from models.document import DocumentKind
from models.quality import QualityCode, kind_label, quality_message
from pipeline.config import InputLimits
from pipeline.pages.preflight import preflight
from pipeline.pages.quality import PageCheck, QualityThresholds, check_file, is_duplicate
from samples.degrade import degrade
from samples.generate import generate_document
from samples.identity import qr_payload

THRESHOLDS = QualityThresholds()


def jpeg(rgb: np.ndarray, quality: int = 88) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def check(data: bytes, **kwargs: int) -> list[PageCheck]:
    return check_file(data, preflight(data, None, InputLimits()), THRESHOLDS, **kwargs)


def codes(data: bytes) -> set[QualityCode]:
    (page,) = check(data)
    return set(page.codes)


def turned(rgb: np.ndarray, degrees: float) -> np.ndarray:
    h, w = rgb.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    c, s = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * s + w * c), int(h * c + w * s)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    paper = tuple(float(v) for v in np.median(rgb[:6].reshape(-1, 3), axis=0))
    return cv2.warpAffine(rgb, m, (nw, nh), borderValue=paper)


@pytest.fixture(scope="module")
def card_doc():
    return generate_document("cccd_front", "scanned", 41)


@pytest.fixture(scope="module")
def sheet_doc():
    return generate_document("ct01", "scanned", 42)


@pytest.fixture(scope="module")
def card(card_doc) -> np.ndarray:
    return np.asarray(card_doc.pages[0].convert("RGB"))  # 300 dpi, the card fills the picture


@pytest.fixture(scope="module")
def sheet(sheet_doc) -> np.ndarray:
    return np.asarray(sheet_doc.pages[0].convert("RGB"))  # A4 at 300 dpi


def test_sharp_card_and_sheet_raise_nothing_and_are_placed(card_doc, sheet_doc):
    (card_page,) = check(card_doc.page_files[0])
    (sheet_page,) = check(sheet_doc.page_files[0])
    assert card_page.codes == ()
    assert sheet_page.codes == ()
    assert card_page.likely_kind == DocumentKind.CCCD_FRONT
    assert sheet_page.likely_kind == DocumentKind.CT01
    assert card_page.kind_confidence > 0.5
    assert card_page.measures["card"] == 1.0 and sheet_page.measures["card"] == 0.0


def test_a_photographed_card_raises_nothing_and_gives_its_qr_text():
    photo = generate_document("cccd_front", "photo", 43)
    (page,) = check(photo.page_files[0])
    assert page.codes == ()
    assert page.measures["photo"] == 1.0
    assert page.qr_text is not None
    # The QR code's own text, as the card carries it (number|old number|name|...).
    fields = page.qr_text.split("|")
    assert fields[0] == photo.truth["fields"]["so_dinh_danh"]["value"]
    assert fields[2].upper() == photo.truth["fields"]["ho_va_ten"]["value"]  # printed in capitals


def test_qr_text_is_the_payload(card_doc):
    from samples.generate import person_for

    (page,) = check(card_doc.page_files[0])
    assert page.qr_text == qr_payload(person_for("cccd_front", 41))


@pytest.mark.parametrize("which,sigma", [("card", 2.5), ("sheet", 4.5)])
def test_blurred_page(card, sheet, which, sigma):
    rgb = card if which == "card" else sheet
    assert QualityCode.BLURRED in codes(jpeg(cv2.GaussianBlur(rgb, (0, 0), sigma)))


def test_dark_and_bright_pages(sheet, card):
    dark = sheet.astype(np.float32) * 0.2 + np.random.default_rng(0).normal(0, 2, sheet.shape[:2])[..., None]
    assert QualityCode.TOO_DARK in codes(jpeg(dark))
    washed = 255.0 * (card.astype(np.float32) / 255.0) ** 0.2
    found = codes(jpeg(washed))
    assert QualityCode.TOO_BRIGHT in found
    assert QualityCode.TOO_DARK not in found


def test_blank_page_with_scanner_noise():
    rng = np.random.default_rng(5)
    blank = degrade(Image.new("RGB", (2480, 3508), "white"), "scanned", rng).image
    assert codes(jpeg(np.asarray(blank))) == {QualityCode.BLANK_PAGE}


def test_a_nearly_empty_page_is_judged_by_its_ink(sheet_doc):
    # The last page of a letter: place, date and signature block only. Not blank, and its few
    # strokes (not its paper) say it is neither washed out nor blurred.
    rgb = np.asarray(sheet_doc.pages[0])
    page = np.empty_like(rgb)
    page[:] = np.median(rgb[:20].reshape(-1, 3), axis=0)
    for line in sheet_doc.truth["pages"][0]["lines"][-4:]:
        x0, y0, x1, y1 = line["box"]
        page[y0 - 5 : y1 + 5, x0 - 5 : x1 + 5] = rgb[y0 - 5 : y1 + 5, x0 - 5 : x1 + 5]
    assert codes(jpeg(page)) == set()


def test_skewed_page(sheet):
    angle = THRESHOLDS.max_skew_degrees + 5
    (page,) = check(jpeg(turned(sheet, angle)))
    assert QualityCode.SKEWED in page.codes
    assert abs(abs(page.measures["skew_degrees"]) - angle) < 1.5


def test_slightly_skewed_page_is_not_flagged(sheet):
    (page,) = check(jpeg(turned(sheet, 3.0)))
    assert QualityCode.SKEWED not in page.codes


def test_content_cut_off_at_the_edge(sheet, card):
    h, w = sheet.shape[:2]
    assert QualityCode.CUT_OFF in codes(jpeg(sheet[:, : int(w * 0.78)]))  # the right of every line is gone
    ch, cw = card.shape[:2]
    assert QualityCode.CUT_OFF in codes(jpeg(card[:, int(cw * 0.2) :]))  # the card lost its left fifth


def test_glare_on_a_card(card):
    h, w = card.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    spot = 420.0 * np.exp(-(((xx - 0.45 * w) / (0.07 * w)) ** 2 + ((yy - 0.55 * h) / (0.06 * w)) ** 2) / 2)
    assert QualityCode.GLARE in codes(jpeg(card.astype(np.float32) + spot[..., None]))


def test_low_resolution_for_its_size(card, sheet):
    # A card at 90 dpi (its text is 6-7 pt), a sheet at 45 dpi.
    small_card = cv2.resize(card, None, fx=0.3, fy=0.3, interpolation=cv2.INTER_AREA)
    assert QualityCode.LOW_RESOLUTION in codes(jpeg(small_card))
    small_sheet = cv2.resize(sheet, None, fx=0.15, fy=0.15, interpolation=cv2.INTER_AREA)
    assert QualityCode.LOW_RESOLUTION in codes(jpeg(small_sheet))
    # The same card at 200 dpi is fine.
    fine_card = cv2.resize(card, None, fx=0.67, fy=0.67, interpolation=cv2.INTER_AREA)
    assert QualityCode.LOW_RESOLUTION not in codes(jpeg(fine_card))


def test_duplicates_are_found_and_distinct_pages_are_not(sheet_doc, card_doc):
    (first,) = check(sheet_doc.page_files[0])
    clean = generate_document("ct01", "clean", 42).pages[0]
    again = np.asarray(degrade(clean, "scanned", np.random.default_rng(99)).image)
    again = np.roll(turned(again, 0.8), (12, -9), axis=(0, 1))
    (second,) = check(jpeg(again, 80))
    assert is_duplicate(first.fingerprint, second.fingerprint, THRESHOLDS)
    # The same form filled in for someone else, and a card, are other pages.
    (other_form,) = check(generate_document("ct01", "scanned", 77).page_files[0])
    (a_card,) = check(card_doc.page_files[0])
    assert not is_duplicate(first.fingerprint, other_form.fingerprint, THRESHOLDS)
    assert not is_duplicate(first.fingerprint, a_card.fingerprint, THRESHOLDS)
    # A page scanned upside down is still the same page.
    (upside_down,) = check(jpeg(np.ascontiguousarray(np.asarray(sheet_doc.pages[0])[::-1, ::-1])))
    assert is_duplicate(first.fingerprint, upside_down.fingerprint, THRESHOLDS)


def test_rotation_is_applied_before_the_check(sheet_doc):
    sideways = np.ascontiguousarray(np.rot90(np.asarray(sheet_doc.pages[0]), k=1))  # fed turned left
    data = jpeg(sideways)
    (as_given,) = check(data)
    (righted,) = check(data, rotation=90)
    assert righted.likely_kind == DocumentKind.CT01
    assert as_given.likely_kind != DocumentKind.CT01


def test_a_pdf_gets_one_check_per_page_and_typed_pages_are_not_called_blurred():
    doc = generate_document("pdf_mixed", "scanned", 44)
    assert doc.pdf_bytes is not None
    pages = check(doc.pdf_bytes)
    assert [p.index for p in pages] == [0, 1]
    typed, scanned = pages
    assert typed.measures["vector"] == 1.0 and scanned.measures["vector"] == 0.0
    assert typed.codes == () and scanned.codes == ()
    assert scanned.measures["dpi"] == pytest.approx(300, rel=0.05)  # the embedded scan's, not the render's


def test_messages_are_vietnamese_nfc_with_the_page_number():
    for code in QualityCode:
        vi = quality_message(code, 3)
        en = quality_message(code, 3, "en")
        assert vi.startswith("Trang 3 ") and en.startswith("Page 3 ")
        assert unicodedata.normalize("NFC", vi) == vi
        assert "—" in vi and "—" in en  # what is wrong — what to do
    assert quality_message(QualityCode.BLURRED, 3) == "Trang 3 bị mờ — quét lại"
    assert quality_message(QualityCode.BLANK_PAGE, 12).startswith("Trang 12 là trang trắng")
    assert kind_label("cccd_front") == "Căn cước công dân (mặt trước)"
    assert kind_label("to_khai_khai_sinh") == "Tờ khai đăng ký khai sinh"
    assert kind_label("other") == kind_label("no such kind") == "Không xác định"
    assert all(unicodedata.normalize("NFC", kind_label(k)) == kind_label(k) for k in DocumentKind)


def test_thresholds_are_settings_with_descriptions():
    fields = QualityThresholds.model_fields
    assert fields and all(f.description for f in fields.values())
    stricter = QualityThresholds(max_skew_degrees=1.0)
    assert stricter.max_skew_degrees == 1.0
