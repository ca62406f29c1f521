"""Synthetic sample generator: identity rules, exact ground truth, determinism, PDF text layer."""

from __future__ import annotations

import io
import itertools
import random
from datetime import date

import numpy as np
import pdfplumber
import pytest
from PIL import Image

from pipeline.text import nfc
from samples.degrade import map_box, orient
from samples.fonts import FAMILIES, missing_vietnamese
from samples.generate import IMAGE_KINDS, GeneratedDocument, generate_document, write_set
from samples.identity import (PROVINCE_CODES, card_expiry, gender_century_digit, icao_check_digit, make_person,
                              mrz_td1, qr_payload)
from samples.words import number_words


# --- identity ------------------------------------------------------------------------------

def test_mrz_matches_brief_example() -> None:
    assert mrz_td1("001099012345", date(1999, 1, 1), True, date(2039, 1, 1), "Nguyễn", "Văn A") == [
        "IDVNM0990123459001099012345<<0",
        "9901018M3901016VNM<<<<<<<<<<<0",
        "NGUYEN<<VAN<A<<<<<<<<<<<<<<<<<",
    ]


def test_icao_check_digit_reference_values() -> None:
    # ICAO 9303 part 3 worked examples.
    assert icao_check_digit("L898902C3") == "6"
    assert icao_check_digit("740812") == "2"
    assert icao_check_digit("120415") == "9"
    assert icao_check_digit("<<<<") == "0"


def test_id_structure_consistent_with_birth_and_sex() -> None:
    rng = random.Random(1)
    for _ in range(300):
        p = make_person(rng)
        assert len(p.id12) == 12 and p.id12.isdigit()
        assert p.id12[:3] in PROVINCE_CODES
        g = int(p.id12[3])
        assert g % 2 == (0 if p.male else 1)
        assert 1900 + 100 * (g // 2) + int(p.id12[4:6]) == p.birth.year
    assert gender_century_digit(1999, True) == 0 and gender_century_digit(2003, False) == 3


def test_qr_payload_has_seven_fields() -> None:
    p = make_person(random.Random(2))
    fields = qr_payload(p).split("|")
    assert len(fields) == 7
    assert fields[0] == p.id12 and fields[2] == p.full_name and fields[4] in ("Nam", "Nữ")
    assert len(fields[3]) == 8 and len(fields[6]) == 8


def test_card_expiry_milestones() -> None:
    assert card_expiry(date(1999, 1, 1), date(2022, 6, 1)) == date(2039, 1, 1)  # within 2 y of 25 -> 40
    assert card_expiry(date(1999, 1, 1), date(2021, 5, 1)) == date(2024, 1, 1)
    assert card_expiry(date(2000, 6, 1), date(2021, 5, 1)) == date(2025, 6, 1)
    assert card_expiry(date(1963, 1, 1), date(2022, 1, 1)) is None


def test_number_words() -> None:
    assert number_words(2025) == "hai nghìn không trăm hai mươi lăm"
    assert number_words(21) == "hai mươi mốt" and number_words(105) == "một trăm linh năm"


def test_fonts_cover_vietnamese() -> None:
    for family, styles in FAMILIES.items():
        for path in styles.values():
            assert missing_vietnamese(path) == "", (family, path)


# --- rendering -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def clean_docs() -> dict[str, GeneratedDocument]:
    return {kind: generate_document(kind, "clean", 11) for kind in IMAGE_KINDS}


def _inside(box: list[int], w: int, h: int) -> bool:
    x0, y0, x1, y1 = box
    return 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h


@pytest.mark.parametrize("kind", IMAGE_KINDS)
def test_clean_boxes_hold_ink_and_do_not_overlap(kind: str, clean_docs: dict[str, GeneratedDocument]) -> None:
    doc = clean_docs[kind]
    truth = doc.truth
    assert truth["specimen"] is True and truth["kind"] == kind
    page = truth["pages"][0]
    grey = np.asarray(doc.pages[0].convert("L"))
    assert grey.shape == (page["height"], page["width"])
    assert len(page["lines"]) >= 8
    for line in page["lines"]:
        assert line["text"] == nfc(line["text"]) and line["text"]
        assert _inside(line["box"], page["width"], page["height"]), line
        x0, y0, x1, y1 = line["box"]
        assert grey[y0:y1, x0:x1].min() < 110, f"no ink under {line}"
    for a, b in itertools.combinations(page["lines"], 2):
        ax0, ay0, ax1, ay1 = a["box"]
        bx0, by0, bx1, by1 = b["box"]
        overlap = max(0, min(ax1, bx1) - max(ax0, bx0)) * max(0, min(ay1, by1) - max(ay0, by0))
        assert overlap == 0, (a, b)
    text = " ".join(line["text"] for line in page["lines"])
    for name, f in truth["fields"].items():
        assert _inside(f["box"], page["width"], page["height"]), name
        if name != "ngay_ban_hanh":  # printed in words, stored as DD/MM/YYYY
            assert f["value"] in text, name


def test_card_truth_extras(clean_docs: dict[str, GeneratedDocument]) -> None:
    front = clean_docs["cccd_front"].truth
    back = clean_docs["cccd_back"].truth
    assert len(front["qr_payload"].split("|")) == 7
    assert front["fields"]["so_dinh_danh"]["value"] == front["qr_payload"].split("|")[0]
    assert [len(x) for x in back["mrz"]] == [30, 30, 30]
    assert back["mrz"][0][15:27] == front["fields"]["so_dinh_danh"]["value"]  # same person, same seed
    assert [ln["text"] for ln in back["pages"][0]["lines"][-3:]] == back["mrz"]
    assert {"so_dinh_danh", "ho_va_ten", "ngay_sinh", "gioi_tinh", "quoc_tich", "que_quan", "noi_thuong_tru",
            "co_gia_tri_den"} <= set(front["fields"])
    assert {"ngay_cap", "dac_diem_nhan_dang"} <= set(back["fields"])


@pytest.mark.parametrize("kind,level,orientation", [
    ("cccd_front", "photo", 0), ("cccd_back", "scanned", 0), ("ct01", "hard", 0), ("cong_van", "scanned", 90),
    ("don", "photo", 0), ("to_khai_khai_sinh", "clean", 270),
])
def test_degraded_boxes_inside_image(kind: str, level: str, orientation: int) -> None:
    doc = generate_document(kind, level, 5, orientation=orientation)
    img = doc.pages[0]
    page = doc.truth["pages"][0]
    assert img.size == (page["width"], page["height"])
    if orientation in (90, 270) and level != "photo":
        assert img.width > img.height
    for line in page["lines"]:
        assert _inside(line["box"], img.width, img.height), line
    if level == "clean":  # rotation by 90/270 is exact: the ink is still under every box
        grey = np.asarray(img.convert("L"))
        for line in page["lines"]:
            x0, y0, x1, y1 = line["box"]
            assert grey[y0:y1, x0:x1].min() < 110


def test_orientation_maps_boxes_exactly() -> None:
    img = Image.new("RGB", (40, 20), "white")
    img.putpixel((5, 3), (0, 0, 0))
    for deg in (90, 180, 270):
        out, h = orient(img, deg)
        x0, y0, x1, y1 = map_box([5, 3, 6, 4], h, out.width, out.height)
        assert (x1 - x0, y1 - y0) == (1, 1)
        assert out.getpixel((x0, y0)) == (0, 0, 0), deg


def test_same_seed_same_bytes() -> None:
    a = generate_document("cccd_front", "scanned", 42)
    b = generate_document("cccd_front", "scanned", 42)
    assert a.page_files == b.page_files and a.truth == b.truth
    c = generate_document("cccd_front", "scanned", 43)
    assert c.page_files != a.page_files
    p1 = generate_document("pdf_mixed", "scanned", 9)
    p2 = generate_document("pdf_mixed", "scanned", 9)
    assert p1.pdf_bytes == p2.pdf_bytes and p1.truth == p2.truth


def test_specimen_marks_in_files() -> None:
    png = generate_document("cccd_back", "clean", 3).page_files[0]
    assert Image.open(io.BytesIO(png)).text["Comment"].startswith("SPECIMEN")
    jpg = generate_document("cccd_back", "hard", 3).page_files[0]
    assert Image.open(io.BytesIO(jpg)).info["comment"].startswith(b"SPECIMEN")


# --- PDFs ----------------------------------------------------------------------------------

def _band_text(page: pdfplumber.page.Page, box: list[int]) -> str:
    """Text of the PDF chars crossing the middle of a truth box (300-dpi px -> pt)."""
    s = 72 / 300
    mid = (box[1] + box[3]) / 2 * s
    band = page.crop((box[0] * s - 2, mid - 0.5, box[2] * s + 2, mid + 0.5))
    return nfc(band.extract_text())


def test_born_digital_pdf_text_layer_is_exact() -> None:
    doc = generate_document("pdf_born_digital", "clean", 3)
    assert doc.pdf_bytes is not None and doc.pdf_bytes.startswith(b"%PDF")
    with pdfplumber.open(io.BytesIO(doc.pdf_bytes)) as pdf:
        assert 2 <= len(pdf.pages) <= 3 == len(pdf.pages) or len(pdf.pages) == len(doc.truth["pages"])
        assert len(pdf.pages) == len(doc.truth["pages"])
        for page, truth in zip(pdf.pages, doc.truth["pages"]):
            assert truth["text_layer"] is True
            for line in truth["lines"]:
                assert _band_text(page, line["box"]) == line["text"]
            n_chars = sum(1 for ch in page.chars if ch["text"].strip())
            assert n_chars == sum(len(ln["text"].replace(" ", "")) for ln in truth["lines"])
        assert "SPECIMEN" in pdf.metadata.get("Subject", "")


def test_mixed_pdf_has_text_page_and_image_page() -> None:
    doc = generate_document("pdf_mixed", "scanned", 4)
    with pdfplumber.open(io.BytesIO(doc.pdf_bytes)) as pdf:
        assert len(pdf.pages) == 2
        first, second = pdf.pages
        for line in doc.truth["pages"][0]["lines"]:
            assert _band_text(first, line["box"]) == line["text"]
        assert not second.chars and len(second.images) == 1
    scan = doc.truth["pages"][1]
    assert scan["text_layer"] is False and len(scan["lines"]) > 10
    for line in scan["lines"]:
        assert _inside(line["box"], scan["width"], scan["height"])


def test_write_set(tmp_path) -> None:
    manifest = write_set(tmp_path, ["cccd_front", "pdf_born_digital"], ["clean", "photo"], 1, seed=1)
    names = [d["file"] for d in manifest["documents"]]
    assert names == ["cccd_front-clean-000.png", "cccd_front-photo-000.jpg", "pdf_born_digital-clean-000.pdf"]
    for d in manifest["documents"]:
        assert (tmp_path / d["file"]).stat().st_size > 1000 and (tmp_path / d["truth"]).exists()
    assert (tmp_path / "manifest.json").exists()


def test_card_qr_decodes_to_payload(clean_docs: dict[str, GeneratedDocument]) -> None:
    import cv2  # opencv-contrib is a project dependency

    doc = clean_docs["cccd_front"]
    arr = np.asarray(doc.pages[0])[0:220, 780:]
    arr = cv2.resize(arr, None, fx=3, fy=3, interpolation=cv2.INTER_NEAREST)
    value, _, _ = cv2.QRCodeDetector().detectAndDecode(arr)
    assert value == doc.truth["qr_payload"]
