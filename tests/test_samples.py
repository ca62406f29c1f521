"""Synthetic sample generator: identity rules, exact ground truth, determinism, PDF text layer."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
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
from samples.identity import (
    PROVINCE_CODES,
    card_expiry,
    gender_century_digit,
    icao_check_digit,
    make_person,
    mrz_td1,
    qr_payload,
)
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


# Fields whose truth value (DD/MM/YYYY) is printed in another form on the page.
PRINTED_OTHERWISE = {("cmnd_front", "ngay_sinh")}  # "Sinh ngày 10-09-1981"


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
        if (kind, name) not in PRINTED_OTHERWISE and name != "ngay_ban_hanh":  # ngày ... tháng ... năm ...
            assert f["value"] in text, name


def test_card_truth_extras(clean_docs: dict[str, GeneratedDocument]) -> None:
    front = clean_docs["cccd_front"].truth
    back = clean_docs["cccd_back"].truth
    assert len(front["qr_payload"].split("|")) == 7
    assert front["fields"]["so_dinh_danh"]["value"] == front["qr_payload"].split("|")[0]
    assert [len(x) for x in back["mrz"]] == [30, 30, 30]
    assert back["mrz"][0][15:27] == front["fields"]["so_dinh_danh"]["value"]  # same person, same seed
    assert [ln["text"] for ln in back["pages"][0]["lines"][-3:]] == back["mrz"]
    assert {
        "so_dinh_danh",
        "ho_va_ten",
        "ngay_sinh",
        "gioi_tinh",
        "quoc_tich",
        "que_quan",
        "noi_thuong_tru",
        "co_gia_tri_den",
    } <= set(front["fields"])
    assert {"ngay_cap", "dac_diem_nhan_dang"} <= set(back["fields"])


@pytest.mark.parametrize(
    "kind,level,orientation",
    [
        ("cccd_front", "photo", 0),
        ("cccd_back", "scanned", 0),
        ("ct01", "hard", 0),
        ("cong_van", "scanned", 90),
        ("don", "photo", 0),
        ("to_khai_khai_sinh", "clean", 270),
    ],
)
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
        for page, truth in zip(pdf.pages, doc.truth["pages"], strict=False):
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


# --- new kinds: căn cước 2024, CMND, giấy khai sinh, quyết định ------------------------------

NEW_KINDS = ("can_cuoc_front", "can_cuoc_back", "cmnd_front", "giay_khai_sinh", "quyet_dinh")
EXPECTED_FIELDS = {
    "can_cuoc_front": {"so_dinh_danh", "ho_va_ten", "ngay_sinh", "gioi_tinh", "quoc_tich"},
    "can_cuoc_back": {"noi_cu_tru", "noi_dang_ky_khai_sinh", "ngay_cap", "co_gia_tri_den"},
    "cmnd_front": {"so_cmnd", "ho_va_ten", "ngay_sinh", "que_quan", "noi_thuong_tru"},
    "giay_khai_sinh": {
        "so_giay_khai_sinh",
        "quyen_so",
        "ho_va_ten",
        "ngay_sinh",
        "ngay_sinh_bang_chu",
        "gioi_tinh",
        "dan_toc",
        "quoc_tich",
        "noi_sinh",
        "que_quan",
        "so_dinh_danh",
        "ho_ten_me",
        "nam_sinh_me",
        "dan_toc_me",
        "quoc_tich_me",
        "noi_cu_tru_me",
        "ho_ten_cha",
        "nam_sinh_cha",
        "dan_toc_cha",
        "quoc_tich_cha",
        "noi_cu_tru_cha",
        "ho_ten_nguoi_di_khai_sinh",
        "giay_to_tuy_than",
        "noi_dang_ky_khai_sinh",
        "ngay_dang_ky",
    },
    "quyet_dinh": {"co_quan_ban_hanh", "so_ky_hieu", "ngay_ban_hanh", "trich_yeu", "nguoi_ky", "chuc_vu_nguoi_ky"},
    "cong_van": {
        "co_quan_ban_hanh",
        "so_ky_hieu",
        "ngay_ban_hanh",
        "trich_yeu",
        "kinh_gui",
        "nguoi_ky",
        "chuc_vu_nguoi_ky",
    },
}


@pytest.mark.parametrize("kind,level", [(k, lv) for k in NEW_KINDS for lv in ("clean", "scanned", "photo")])
def test_new_kinds_render_with_fields_inside(kind: str, level: str) -> None:
    doc = generate_document(kind, level, 21)
    truth = doc.truth
    assert truth["kind"] == kind and truth["specimen"] is True
    assert set(truth["fields"]) == EXPECTED_FIELDS[kind]
    for page, img in zip(truth["pages"], doc.pages, strict=False):
        assert img.size == (page["width"], page["height"])
        assert len(page["lines"]) >= 8
        for line in page["lines"]:
            assert _inside(line["box"], page["width"], page["height"]), line
    for name, f in truth["fields"].items():
        page = truth["pages"][f["page"]]
        assert f["value"] and _inside(f["box"], page["width"], page["height"]), name


def test_can_cuoc_front_has_no_old_card_fields() -> None:
    doc = generate_document("can_cuoc_front", "clean", 3)
    text = " ".join(ln["text"] for ln in doc.truth["pages"][0]["lines"])
    assert "CĂN CƯỚC" in text and "IDENTITY CARD" in text and "CÔNG DÂN" not in text
    for absent in ("Quê quán", "Nơi thường trú", "Có giá trị đến", "Nơi cư trú"):
        assert absent not in text
    assert "qr_payload" not in doc.truth and doc.truth["fields"]["ho_va_ten"]["value"].isupper()


def _check_mrz(mrz: list[str]) -> None:
    l1, l2, _ = mrz
    assert [len(x) for x in mrz] == [30, 30, 30]
    assert l1[:5] == "IDVNM" and l1[14] == icao_check_digit(l1[5:14]) and l1[29] == icao_check_digit(l1[15:27])
    assert l2[6] == icao_check_digit(l2[0:6]) and l2[14] == icao_check_digit(l2[8:14])
    assert l2[29] == icao_check_digit(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])


def test_can_cuoc_qr_and_mrz() -> None:
    from samples.generate import person_for
    from samples.idcards2024 import qr_extra_fields
    from samples.identity import can_cuoc_qr_payload

    counts = []
    for seed in range(60):
        p = person_for("can_cuoc_back", seed)
        assert date(2024, 7, 1) <= p.card_issue <= date(2026, 6, 30)
        assert p.card_expiry is not None  # the synthetic holders are young enough to have one
        fields = can_cuoc_qr_payload(p, qr_extra_fields(p)).split("|")
        assert len(fields) >= 7 and fields[0] == p.id12 and fields[2] == p.full_name
        assert fields[5] == p.address.new_full and fields[6] == p.card_issue.strftime("%d%m%Y")
        counts.append(len(fields))
    assert 7 in counts and any(n > 7 for n in counts)  # some cards carry unknown trailing fields
    assert 0.15 < sum(n > 7 for n in counts) / len(counts) < 0.55

    doc = generate_document("can_cuoc_back", "clean", 8)
    truth = doc.truth
    fields = truth["qr_payload"].split("|")
    assert len(fields) >= 7 and fields[5] == truth["fields"]["noi_cu_tru"]["value"]
    _check_mrz(truth["mrz"])
    assert truth["mrz"][0][15:27] == fields[0]
    exp = truth["fields"]["co_gia_tri_den"]["value"]  # DD/MM/YYYY
    assert truth["mrz"][1][8:14] == exp[8:10] + exp[3:5] + exp[0:2]
    assert [ln["text"] for ln in truth["pages"][0]["lines"][-3:]] == truth["mrz"]
    front = generate_document("can_cuoc_front", "clean", 8).truth  # same seed, same citizen
    assert front["fields"]["so_dinh_danh"]["value"] == fields[0]


def test_can_cuoc_qr_decodes() -> None:
    import cv2

    doc = generate_document("can_cuoc_back", "clean", 2)
    arr = cv2.resize(np.asarray(doc.pages[0])[0:240, 760:], None, fx=3, fy=3, interpolation=cv2.INTER_NEAREST)
    value, _, _ = cv2.QRCodeDetector().detectAndDecode(arr)
    assert value == doc.truth["qr_payload"]


def test_can_cuoc_expiry_rule() -> None:
    from samples.identity import can_cuoc_expiry

    assert can_cuoc_expiry(date(2015, 1, 1), date(2024, 8, 1)) == date(2029, 1, 1)  # child: to 14
    assert can_cuoc_expiry(date(2012, 1, 1), date(2024, 8, 1)) == date(2037, 1, 1)  # within 2 y of 14 -> 25
    assert can_cuoc_expiry(date(2000, 6, 1), date(2024, 8, 1)) == date(2040, 6, 1)  # within 2 y of 25 -> 40
    assert can_cuoc_expiry(date(1990, 5, 5), date(2025, 1, 1)) == date(2030, 5, 5)
    assert can_cuoc_expiry(date(1970, 5, 5), date(2025, 1, 1)) == date(2030, 5, 5)  # 60th birthday
    assert can_cuoc_expiry(date(1966, 3, 1), date(2025, 1, 1)) is None  # within 2 y of 60: no expiry


def test_card_without_expiry_prints_khong_thoi_han() -> None:
    import dataclasses

    from samples.idcards2024 import NO_EXPIRY, render_can_cuoc_back
    from samples.identity import card_mrz

    p = make_person(random.Random(5), birth_range=(1965, 1965))
    p = dataclasses.replace(p, card_issue=date(2025, 3, 1), card_expiry=None)
    mrz = card_mrz(p)
    assert mrz[1][8:15] == "<<<<<<0"
    _check_mrz(mrz)
    rendered = render_can_cuoc_back(p, random.Random(1))
    assert rendered.pages[0].fields["co_gia_tri_den"]["value"] == NO_EXPIRY
    assert rendered.extra["mrz"] == mrz


def test_cmnd_front() -> None:
    doc = generate_document("cmnd_front", "clean", 6)
    f = doc.truth["fields"]
    assert len(f["so_cmnd"]["value"]) == 9 and f["so_cmnd"]["value"].isdigit()
    d, m, y = f["ngay_sinh"]["value"].split("/")
    assert 1960 <= int(y) <= 2000 and len(d) == len(m) == 2
    text = " ".join(ln["text"] for ln in doc.truth["pages"][0]["lines"])
    assert "GIẤY CHỨNG MINH NHÂN DÂN" in text and f"{d}-{m}-{y}" in text
    assert "MRZ" not in doc.truth and "qr_payload" not in doc.truth
    assert f["noi_thuong_tru"]["value"].count(",") >= 3  # old 3-level address (street, ward, district, city)


def test_giay_khai_sinh_child_id_matches_birth_and_sex() -> None:
    from datetime import datetime

    from samples.words import date_words

    for seed in range(6):
        f = generate_document("giay_khai_sinh", "clean", seed).truth["fields"]
        birth = datetime.strptime(f["ngay_sinh"]["value"], "%d/%m/%Y").date()
        registered = datetime.strptime(f["ngay_dang_ky"]["value"], "%d/%m/%Y").date()
        assert 2010 <= birth.year <= 2025 and 0 < (registered - birth).days <= 60
        id12 = f["so_dinh_danh"]["value"]
        assert len(id12) == 12 and id12[:3] in PROVINCE_CODES
        g = int(id12[3])
        assert g % 2 == (0 if f["gioi_tinh"]["value"] == "Nam" else 1)
        assert 1900 + 100 * (g // 2) + int(id12[4:6]) == birth.year
        assert f["ngay_sinh_bang_chu"]["value"] == date_words(birth)
        assert f["quyen_so"]["value"].endswith(f"/{registered.year}")
        assert int(f["nam_sinh_me"]["value"]) + 15 <= birth.year and int(f["nam_sinh_cha"]["value"]) + 15 <= birth.year


def test_cong_van_and_quyet_dinh_kinds_are_honest() -> None:
    for seed in range(5):
        cv = generate_document("cong_van", "clean", seed).truth
        qd = generate_document("quyet_dinh", "clean", seed).truth
        cv_lines = [ln["text"] for ln in cv["pages"][0]["lines"]]
        qd_lines = [ln["text"] for ln in qd["pages"][0]["lines"]]
        assert "QUYẾT ĐỊNH" not in cv_lines and "QUYẾT ĐỊNH" in qd_lines
        assert "/QĐ-" not in cv["fields"]["so_ky_hieu"]["value"] and "/QĐ-" in qd["fields"]["so_ky_hieu"]["value"]
        assert set(cv["fields"]) == EXPECTED_FIELDS["cong_van"]
        for truth, lines in ((cv, cv_lines), (qd, qd_lines)):
            title = truth["fields"]["chuc_vu_nguoi_ky"]["value"]
            assert title.endswith("CHỦ TỊCH") and truth["fields"]["nguoi_ky"]["value"] in lines
            assert title in " ".join(lines)
        # Issued by the Chủ tịch: signed in his own name; by the committee: "TM. ỦY BAN NHÂN DÂN".
        by_chairman = any(t.startswith("CHỦ TỊCH ỦY BAN NHÂN DÂN") for t in qd_lines)
        assert qd["fields"]["chuc_vu_nguoi_ky"]["value"].startswith("TM.") is not by_chairman
        assert cv["fields"]["chuc_vu_nguoi_ky"]["value"].startswith("TM. ỦY BAN NHÂN DÂN")


# --- bundles ----------------------------------------------------------------------------------


def test_bundle_parts_vary() -> None:
    from samples.bundle import BUNDLE_FORMS, choose_parts

    combos = {tuple(choose_parts("bundle_card_form", seed)) for seed in range(40)}
    assert ("cccd_front", "cccd_back") in combos
    assert {c[2] for c in combos if len(c) == 3} <= set(BUNDLE_FORMS)
    assert {c[0] for c in combos} == {"cccd_front", "can_cuoc_front"}


def test_bundle_components_in_page_order() -> None:
    for seed in range(2):
        doc = generate_document("bundle_card_form", "scanned", seed)
        truth = doc.truth
        comps = truth["components"]
        assert [c["kind"] for c in comps] == truth["parts"] and truth["kind"] == "bundle_card_form"
        assert (
            [i for c in comps for i in c["pages"]]
            == list(range(len(truth["pages"])))
            == [p["index"] for p in truth["pages"]]
        )
        for comp in comps:
            for name, f in comp["fields"].items():
                assert f["page"] in comp["pages"]
                page = truth["pages"][f["page"]]
                assert _inside(f["box"], page["width"], page["height"]), (comp["kind"], name)
        # one person: the card's number and name are the form's
        ids = {
            c["fields"]["so_dinh_danh"]["value"]
            for c in comps
            if "so_dinh_danh" in c["fields"] and c["kind"] != "giay_khai_sinh"
        }
        assert len(ids) == 1
        with pdfplumber.open(io.BytesIO(doc.pdf_bytes)) as pdf:
            assert len(pdf.pages) == len(truth["pages"]) == len(doc.pages)
            for page, t in zip(pdf.pages, truth["pages"], strict=False):
                assert not page.chars and len(page.images) == 1
                assert round(page.width * 300 / 72) == t["width"] and round(page.height * 300 / 72) == t["height"]


def test_bundle_of_given_parts_one_person_and_ink_under_boxes() -> None:
    from samples.bundle import generate_bundle

    doc = generate_bundle(["can_cuoc_front", "can_cuoc_back", "ct01"], "clean", 4)
    truth = doc.truth
    front, back, form = truth["components"]
    assert front["pages"] == [0] and back["pages"] == [1] and form["pages"] == [2]
    assert (
        back["qr_payload"].split("|")[0]
        == front["fields"]["so_dinh_danh"]["value"]
        == form["fields"]["so_dinh_danh"]["value"]
    )
    assert front["fields"]["ho_va_ten"]["value"] == form["fields"]["ho_va_ten"]["value"]
    assert truth["pages"][0]["width"] == 2480  # a scanned card lies on an A4 page
    for page, img in zip(truth["pages"], doc.pages, strict=False):
        grey = np.asarray(img.convert("L"))
        for line in page["lines"]:
            x0, y0, x1, y1 = line["box"]
            assert grey[y0:y1, x0:x1].min() < 110, line
    photo = generate_bundle(["cccd_front", "cccd_back", "to_khai_khai_sinh"], "photo", 4)
    assert [c["kind"] for c in photo.truth["components"]] == ["cccd_front", "cccd_back", "to_khai_khai_sinh"]
    assert photo.truth["pages"][0]["width"] == 1600  # a photographed card
    assert photo.truth["mrz"][0][15:27] == photo.truth["components"][0]["fields"]["so_dinh_danh"]["value"]


def test_cli_bundle_and_handwriting(tmp_path) -> None:
    from samples.generate import main

    assert (
        main(
            [
                "--out",
                str(tmp_path),
                "--kinds",
                "bundle_card_form,don",
                "--levels",
                "scanned",
                "--handwriting",
                "0.5",
                "--seed",
                "2",
            ]
        )
        == 0
    )
    assert (tmp_path / "bundle_card_form-scanned-000.pdf").read_bytes().startswith(b"%PDF")
    truth = json.loads((tmp_path / "don-scanned-000.json").read_text(encoding="utf-8"))
    assert "handwritten_fields" in truth
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["handwriting"] == 0.5 and len(manifest["documents"]) == 2


# --- handwriting ----------------------------------------------------------------------------

# PNG page of `generate_document(kind, "clean", 7)` computed before handwriting existed.
BEFORE_HANDWRITING = {
    "to_khai_khai_sinh": "9bec5949b451ae3f67467094ff9cb24a9bc9da32db8a30a73c8cc2b195407a2d",
    "don": "d79cc16786573701f8e183e3e3db6f7433afe334e3be1347c00142ea27c8db50",
    "ct01": "219d68ae7119bd55acbcd7f846c9542d59752c3d4161f0efd6ff93a2ac046984",
}


@pytest.mark.parametrize("kind", sorted(BEFORE_HANDWRITING))
def test_handwriting_zero_is_byte_identical(kind: str) -> None:
    doc = generate_document(kind, "clean", 7, handwriting=0.0)
    assert hashlib.sha256(doc.page_files[0]).hexdigest() == BEFORE_HANDWRITING[kind]
    assert "handwritten_fields" not in doc.truth
    assert not any("handwritten" in ln for p in doc.truth["pages"] for ln in p["lines"])


@pytest.mark.parametrize("kind", ["to_khai_khai_sinh", "don", "ct01", "giay_khai_sinh"])
def test_handwriting_one_marks_every_value(kind: str) -> None:
    typed = generate_document(kind, "clean", 3).truth
    doc = generate_document(kind, "clean", 3, handwriting=1.0)
    truth = doc.truth
    assert set(truth["handwritten_fields"]) == set(truth["fields"])
    assert {n: f["value"] for n, f in truth["fields"].items()} == {n: f["value"] for n, f in typed["fields"].items()}
    page = truth["pages"][0]
    grey = np.asarray(doc.pages[0].convert("L"))
    hand = [ln for ln in page["lines"] if ln.get("handwritten")]
    assert len(hand) >= len(truth["fields"])
    for ln in hand:
        x0, y0, x1, y1 = ln["box"]
        assert _inside(ln["box"], page["width"], page["height"]) and grey[y0:y1, x0:x1].min() < 150, ln
    for a, b in itertools.combinations(page["lines"], 2):
        ax0, ay0, ax1, ay1 = a["box"]
        bx0, by0, bx1, by1 = b["box"]
        assert max(0, min(ax1, bx1) - max(ax0, bx0)) * max(0, min(ay1, by1) - max(ay0, by0)) == 0, (a, b)
    text = " ".join(ln["text"] for ln in page["lines"])
    for name, f in truth["fields"].items():
        assert f["value"] in text, name


def test_handwriting_partial_is_deterministic_and_separate_stream() -> None:
    from samples.forms import render_don

    a = generate_document("ct01", "scanned", 12, handwriting=0.5)
    b = generate_document("ct01", "scanned", 12, handwriting=0.5)
    assert a.page_files == b.page_files and a.truth == b.truth
    assert 0 < len(a.truth["handwritten_fields"]) < len(a.truth["fields"])
    # Called directly without a handwriting stream: derived from the layout rng, which stays untouched.
    p = make_person(random.Random(1))
    r1, r2 = random.Random(9), random.Random(9)
    render_don(p, r1, handwriting=0.7)
    render_don(p, r2)
    assert r1.getstate() == r2.getstate()


def test_handwriting_fonts_cover_vietnamese() -> None:
    from pathlib import Path

    from samples.handwriting import HAND_FONTS

    for path, _ in HAND_FONTS:
        assert missing_vietnamese(Path(path)) == "", path


# --- the "alt" style: documents drawn another way, for judging on what was not tuned on ----------


@pytest.fixture(scope="module")
def alt_docs() -> dict[str, GeneratedDocument]:
    return {kind: generate_document(kind, "clean", 11, style="alt") for kind in IMAGE_KINDS}


@pytest.mark.parametrize("kind", IMAGE_KINDS)
def test_alt_style_boxes_hold_ink_in_other_type(kind: str, alt_docs: dict[str, GeneratedDocument]) -> None:
    from samples.fonts import A4_FAMILIES, ALT_A4_FAMILIES, ALT_CARD_FAMILIES, CARD_FAMILIES

    doc = alt_docs[kind]
    truth = doc.truth
    assert truth["style"] == "alt" and truth["print"]
    default_families = {f for f, _ in (*A4_FAMILIES, *CARD_FAMILIES)}
    assert truth["font"] in {f for f, _ in (*ALT_A4_FAMILIES, *ALT_CARD_FAMILIES)} - default_families
    page = truth["pages"][0]
    grey = np.asarray(doc.pages[0].convert("L")).astype(int)
    paper = int(np.median(grey))
    for line in page["lines"]:
        assert _inside(line["box"], page["width"], page["height"]), line
        x0, y0, x1, y1 = line["box"]
        assert grey[y0:y1, x0:x1].min() < paper - 60, f"no ink under {line}"
    text = " ".join(line["text"] for line in page["lines"])
    for name, f in truth["fields"].items():
        assert _inside(f["box"], page["width"], page["height"]), name
        if (kind, name) not in PRINTED_OTHERWISE and name != "ngay_ban_hanh":
            assert f["value"] in text, name


def test_alt_style_is_deterministic_and_apart_from_default() -> None:
    a = generate_document("cccd_front", "scanned", 42, style="alt")
    b = generate_document("cccd_front", "scanned", 42, style="alt")
    assert a.page_files == b.page_files and a.truth == b.truth
    default = generate_document("cccd_front", "scanned", 42)
    assert default.page_files != a.page_files
    assert default.truth["fields"]["so_dinh_danh"]["value"] == a.truth["fields"]["so_dinh_danh"]["value"]  # same one
    assert "style" not in default.truth
    with pytest.raises(ValueError):
        generate_document("cccd_front", "clean", 1, style="other")
    with pytest.raises(ValueError):
        generate_document("pdf_born_digital", "clean", 1, style="alt")


def test_alt_cccd_front_expiry_under_the_photo_and_qr_decodes(alt_docs: dict[str, GeneratedDocument]) -> None:
    import zxingcpp  # the product's barcode reader

    for seed in range(4):
        doc = alt_docs["cccd_front"] if seed == 0 else generate_document("cccd_front", "clean", seed, style="alt")
        fields = doc.truth["fields"]
        x0, y0, x1, _ = fields["co_gia_tri_den"]["box"]
        assert x1 < 300 and y0 > 470, fields["co_gia_tri_den"]  # the photo holds x < 290, y < 480
        assert fields["noi_thuong_tru"]["box"][0] > 240
        codes = zxingcpp.read_barcodes(np.asarray(doc.pages[0].convert("L")))
        assert doc.truth["qr_payload"] in [c.text for c in codes], seed


def test_alt_style_cli_writes_its_manifest(tmp_path) -> None:
    from benchmarks.dataset import HELD_OUT_SEED, TUNING_SEED
    from samples.generate import ALT_HELD_OUT_SEED, main

    assert ALT_HELD_OUT_SEED not in (HELD_OUT_SEED, TUNING_SEED)
    assert main(["--out", str(tmp_path), "--kinds", "cccd_front", "--levels", "clean", "--style", "alt"]) == 0
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["style"] == "alt" and len(manifest["documents"]) == 1
