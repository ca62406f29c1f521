"""Fields of a công văn / quyết định found by layout (pipeline.fields.official_doc).

Hand-built pages (boxes where the generator puts them on an A4 page at 300 dpi), the
generator's own text and boxes for many seeds, and one slow test on real OCR output."""

from __future__ import annotations

from datetime import date
from functools import cache

import cv2
import numpy as np
import pytest

from models.document import FieldStatus, PageText, TextLine, TextSource
from pipeline.fields.official_doc import (
    cited_dates,
    extract_official_fields,
    normalize_symbol,
    official_subtype,
    title_pattern_ok,
)
from pipeline.text import tone_key
from samples.generate import KINDS, generate_document

OK, REVIEW, INVALID = FieldStatus.OK, FieldStatus.NEEDS_REVIEW, FieldStatus.INVALID
TODAY = date(2026, 6, 1)
W, H = 2480, 3508

QD = [
    ("ỦY BAN NHÂN DÂN", (424, 206, 945, 261)),
    ("PHƯỜNG KIM LIÊN", (423, 279, 946, 331)),
    ("Số: 125/QĐ-UBND", (440, 403, 929, 458)),
    ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", (1223, 208, 2287, 271)),
    ("Độc lập - Tự do - Hạnh phúc", (1375, 287, 2135, 343)),
    ("Hà Nội, ngày 05 tháng 3 năm 2026", (1288, 402, 2222, 462)),
    ("QUYẾT ĐỊNH", (1058, 537, 1422, 606)),
    ("Về việc thành lập Tổ công tác số hóa hồ sơ, kết quả giải", (447, 624, 2034, 688)),
    ("quyết thủ tục hành chính", (873, 706, 1606, 768)),
    ("CHỦ TỊCH ỦY BAN NHÂN DÂN PHƯỜNG KIM LIÊN", (526, 825, 1954, 894)),
    ("Căn cứ Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025;", (472, 940, 2267, 1002)),
    ("QUYẾT ĐỊNH:", (1050, 1020, 1431, 1085)),
    ("Điều 1. Thành lập Tổ công tác số hóa hồ sơ gồm 12 thành viên.", (472, 1100, 2267, 1160)),
    ("Nơi nhận:", (354, 1300, 586, 1350)),
    ("- Như Điều 1;", (354, 1365, 638, 1410)),
    ("- Lưu: VT, VP.", (354, 1425, 625, 1470)),
    ("KT. CHỦ TỊCH", (1648, 1290, 2026, 1355)),
    ("PHÓ CHỦ TỊCH", (1627, 1370, 2047, 1435)),
    ("Nguyễn Văn An", (1653, 1780, 2020, 1840)),
]
CV = [
    ("ỦY BAN NHÂN DÂN", (431, 213, 938, 261)),
    ("PHƯỜNG HÀ ĐÔNG", (429, 283, 940, 331)),
    ("Số: 704/UBND-VP", (473, 408, 895, 449)),
    ("V/v báo cáo kết quả thực hiện Đề án", (319, 487, 1049, 534)),
    ("06 năm 2025", (553, 551, 814, 585)),
    ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", (1210, 215, 2287, 271)),
    ("Độc lập - Tự do - Hạnh phúc", (1406, 290, 2091, 342)),
    ("Hà Nội, ngày 07 tháng 11 năm 2025", (1355, 411, 2141, 460)),
    ("Kính gửi: Công an phường Hà Đông", (844, 671, 1636, 721)),
    ("Ủy ban nhân dân phường Hà Đông đề nghị các đơn vị triển khai một số nội dung sau:", (472, 779, 2267, 831)),
    ("Nơi nhận:", (353, 1842, 568, 1887)),
    ("- Như trên;", (354, 1907, 558, 1946)),
    ("- Lưu: VT, VP.", (354, 2089, 626, 2126)),
    ("TM. ỦY BAN NHÂN DÂN", (1527, 1830, 2148, 1878)),
    ("CHỦ TỊCH", (1702, 1900, 1973, 1958)),
    ("Nguyễn Thị Ỷ", (1675, 2300, 1998, 2359)),
]


def _page(lines, conf=0.95, index=0, size=(W, H), skew=0.0) -> PageText:
    return PageText(index, size[0], size[1], TextSource.OCR, [TextLine(t, b, conf) for t, b in lines], skew)


def _with(lines, old: str, new: str | None = None, conf: float | None = None, page_conf=0.95) -> PageText:
    """The page with one line's text replaced (or dropped when new is None) and/or its confidence."""
    out = []
    for t, b in lines:
        if t == old:
            if new is None and conf is None:
                continue
            out.append(TextLine(new if new is not None else t, b, conf if conf is not None else page_conf))
        else:
            out.append(TextLine(t, b, page_conf))
    return PageText(0, W, H, TextSource.OCR, out)


def _fields(*pages: PageText, today=TODAY):
    return extract_official_fields(list(pages), 0.8, today=today)


def _inside(inner, outer, slack=2) -> bool:
    return (
        inner[0] >= outer[0] - slack
        and inner[1] >= outer[1] - slack
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
    )


# --------------------------------------------------------------------------- hand-built pages


def test_quyet_dinh_fields_values_boxes_and_statuses():
    f = _fields(_page(QD))
    assert {k: v.value for k, v in f.items()} == {
        "co_quan_ban_hanh": "ỦY BAN NHÂN DÂN PHƯỜNG KIM LIÊN",
        "so_ky_hieu": "125/QĐ-UBND",
        "ngay_ban_hanh": "05/03/2026",
        "trich_yeu": "Về việc thành lập Tổ công tác số hóa hồ sơ, kết quả giải quyết thủ tục hành chính",
        "chuc_vu_nguoi_ky": "KT. CHỦ TỊCH PHÓ CHỦ TỊCH",
        "nguoi_ky": "Nguyễn Văn An",
    }
    # Rules / second sources make the first four ok; free text stays with a person.
    assert {k: v.status for k, v in f.items()} == {
        "co_quan_ban_hanh": OK,
        "so_ky_hieu": OK,
        "ngay_ban_hanh": OK,
        "chuc_vu_nguoi_ky": OK,
        "trich_yeu": REVIEW,
        "nguoi_ky": REVIEW,
    }
    assert official_subtype([_page(QD)]) == "quyet_dinh"
    boxes = dict(QD)
    assert f["co_quan_ban_hanh"].box == (423, 206, 946, 331)
    number = f["so_ky_hieu"].box
    assert _inside(number, boxes["Số: 125/QĐ-UBND"]) and number[0] > 440 + 100  # the value, not "Số:"
    dated = f["ngay_ban_hanh"].box
    assert _inside(dated, boxes["Hà Nội, ngày 05 tháng 3 năm 2026"]) and dated[0] > 1288 + 150
    assert f["trich_yeu"].box == (447, 624, 2034, 768)
    assert f["chuc_vu_nguoi_ky"].box == (1627, 1290, 2047, 1435)
    assert f["nguoi_ky"].box == boxes["Nguyễn Văn An"]
    assert all(v.page == 0 and v.confidence == pytest.approx(0.95) for v in f.values())


def test_cong_van_fields_and_subject_under_the_number():
    f = _fields(_page(CV))
    assert f["co_quan_ban_hanh"].value == "ỦY BAN NHÂN DÂN PHƯỜNG HÀ ĐÔNG"
    assert f["so_ky_hieu"].value == "704/UBND-VP"
    assert f["ngay_ban_hanh"].value == "07/11/2025"
    assert f["trich_yeu"].value == "V/v báo cáo kết quả thực hiện Đề án 06 năm 2025"  # not "Kính gửi"
    assert f["chuc_vu_nguoi_ky"].value == "TM. ỦY BAN NHÂN DÂN CHỦ TỊCH"
    assert f["nguoi_ky"].value == "Nguyễn Thị Ỷ"
    assert [f[k].status for k in ("co_quan_ban_hanh", "so_ky_hieu", "ngay_ban_hanh", "chuc_vu_nguoi_ky")] == [OK] * 4
    assert official_subtype([_page(CV)]) == "cong_van"


def test_header_columns_read_in_any_order_and_a_merged_header_line():
    # OCR may hand the right block first; and a detector may merge the issuer's first line
    # with the national header across the gutter.
    right_first = QD[3:6] + QD[:3] + QD[6:]
    assert {k: v.value for k, v in _fields(_page(right_first)).items()} == {
        k: v.value for k, v in _fields(_page(QD)).items()
    }
    merged = [("ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", (424, 206, 2287, 271))] + QD[1:3] + QD[4:]
    f = _fields(_page(merged))
    assert f["co_quan_ban_hanh"].value == "ỦY BAN NHÂN DÂN PHƯỜNG KIM LIÊN"
    assert f["co_quan_ban_hanh"].box[2] < 1300  # the left piece only
    assert f["so_ky_hieu"].value == "125/QĐ-UBND"


def test_ocr_spacing_slips_in_number_and_date():
    f = _fields(
        _with(QD, "Số: 125/QĐ-UBND", "Số: 125 / QĐ - UBND"),
    )
    assert (f["so_ky_hieu"].value, f["so_ky_hieu"].status) == ("125/QĐ-UBND", OK)
    f = _fields(_with(QD, "Hà Nội, ngày 05 tháng 3 năm 2026", "Hà Nội, ngày 5 tháng 03 năm 2026"))
    assert (f["ngay_ban_hanh"].value, f["ngay_ban_hanh"].status) == ("05/03/2026", OK)
    f = _fields(_with(QD, "Hà Nội, ngày 05 tháng 3 năm 2026", "Hà Nội, ngày 05 thúng 3 năm 2 026"))
    assert f["ngay_ban_hanh"].value == "05/03/2026"
    f = _fields(_with(QD, "Hà Nội, ngày 05 tháng 3 năm 2026", "Hà Nội, 05/3/2026"))
    assert (f["ngay_ban_hanh"].value, f["ngay_ban_hanh"].status) == ("05/03/2026", OK)
    f = _fields(_with(QD, "Số: 125/QĐ-UBND", "Sô 125/QÐ-UBND."))  # lost colon, Ð (eth) for Đ
    assert (f["so_ky_hieu"].value, f["so_ky_hieu"].status) == ("125/QĐ-UBND", OK)


def test_a_date_in_figures_read_with_a_stray_space_is_normalised_or_never_ok():
    # "2 1/11/2025" is the 21st: read from its last digit on, it would be 01/11/2025, in the
    # right shape and wrong.
    dated = "Hà Nội, ngày 05 tháng 3 năm 2026"
    for read, value in (
        ("Hà Nội, 2 1/11/2025", "21/11/2025"),
        ("Hà Nội, ngày 20/1 1/2025", "20/11/2025"),
        ("Hà Nội, 20/0 1/2026", "20/01/2026"),
    ):
        f = _fields(_with(QD, dated, read))
        assert (f["ngay_ban_hanh"].value, f["ngay_ban_hanh"].status) == (value, OK), read
    # Which digits are the day is a guess: the date as read, for a person to settle.
    f = _fields(_with(QD, dated, "Hà Nội, 1 20/11/2025"))
    assert (f["ngay_ban_hanh"].value, f["ngay_ban_hanh"].status) == ("1 20/11/2025", REVIEW)
    # A cited date likewise: the 21st of March is after the document's 5th, so one of the two
    # is misread (the 1st of March would pass).
    basis = "Căn cứ Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025;"
    cited = _with(QD, basis, "Căn cứ Tờ trình số 12/TTr-VP ngày 2 1/3/2026;")
    assert cited_dates([cited]) == [date(2026, 3, 21)]
    assert _fields(cited)["ngay_ban_hanh"].status == REVIEW
    assert cited_dates([_with(QD, basis, "Căn cứ Tờ trình số 12/TTr-VP ngày 1 20/3/2026;")]) == []


def test_impossible_future_and_too_early_dates_are_invalid():
    for text in (
        "Hà Nội, ngày 31 tháng 02 năm 2026",
        "Hà Nội, ngày 05 tháng 13 năm 2026",
        "Hà Nội, ngày 05 tháng 7 năm 2026",
        "Hà Nội, ngày 02 tháng 9 năm 1944",
    ):
        f = _fields(_with(QD, "Hà Nội, ngày 05 tháng 3 năm 2026", text))
        assert f["ngay_ban_hanh"].status == INVALID, text
    f = _fields(
        _with(QD, "Hà Nội, ngày 05 tháng 3 năm 2026", "Hà Nội, ngày 05 tháng 7 năm 2026"), today=date(2026, 7, 5)
    )
    assert f["ngay_ban_hanh"].status == OK  # today itself is not the future


def test_issue_date_before_a_cited_law_goes_to_review():
    f = _fields(_with(QD, "Hà Nội, ngày 05 tháng 3 năm 2026", "Hà Nội, ngày 05 tháng 3 năm 2022"))
    assert (f["ngay_ban_hanh"].value, f["ngay_ban_hanh"].status) == ("05/03/2022", REVIEW)
    assert cited_dates([_page(QD)]) == [date(2025, 6, 16)]


def test_low_confidence_lines_are_never_ok():
    for line, name in (
        ("Số: 125/QĐ-UBND", "so_ky_hieu"),
        ("Hà Nội, ngày 05 tháng 3 năm 2026", "ngay_ban_hanh"),
        ("PHƯỜNG KIM LIÊN", "co_quan_ban_hanh"),
        ("PHÓ CHỦ TỊCH", "chuc_vu_nguoi_ky"),
    ):
        f = _fields(_with(QD, line, conf=0.5))
        assert (f[name].status, f[name].confidence) == (REVIEW, 0.5), name
    f = _fields(_with(QD, "Hà Nội, ngày 05 tháng 3 năm 2026", "Hà Nội, ngày 31 tháng 02 năm 2026", conf=0.5))
    assert f["ngay_ban_hanh"].status == INVALID  # a failed rule stays invalid whatever the confidence


def test_symbol_rules():
    # The title says quyết định but the symbol names no QĐ: the two sources disagree.
    f = _fields(_with(QD, "Số: 125/QĐ-UBND", "Số: 125/UBND-VP"))
    assert f["so_ky_hieu"].status == REVIEW
    assert official_subtype([_with(QD, "Số: 125/QĐ-UBND", "Số: 125/UBND-VP")]) == "quyet_dinh"
    # Off-pattern (perhaps misread): review, not invalid.
    f = _fields(_with(QD, "Số: 125/QĐ-UBND", "Số: 125/Qd-UBND"))
    assert (f["so_ky_hieu"].value, f["so_ky_hieu"].status) == ("125/Qd-UBND", REVIEW)
    f = _fields(_with(QD, "Số: 125/QĐ-UBND", "Số: 0/QĐ-UBND"))
    assert f["so_ky_hieu"].status == INVALID
    # The slash read as a letter: repaired, and for a person to confirm.
    f = _fields(_with(CV, "Số: 704/UBND-VP", "Số: 704IUBND-VP"))
    assert (f["so_ky_hieu"].value, f["so_ky_hieu"].status) == ("704/UBND-VP", REVIEW)
    assert normalize_symbol("12 5 / QĐ – UBND.") == "125/QĐ-UBND"
    # A công văn's symbol has no type part; a regulatory one carries the year.
    f = _fields(_with(CV, "Số: 704/UBND-VP", "Số: 01/2026/TT-BCA"))
    assert (
        f["so_ky_hieu"].value == "01/2026/TT-BCA"
        and official_subtype([_with(CV, "Số: 704/UBND-VP", "Số: 01/2026/TT-BCA")]) is None
    )


def test_issuing_body_needs_its_abbreviation_and_its_exact_spelling():
    # A misread tone mark is invisible to folded matching but not to the check.
    f = _fields(_with(QD, "ỦY BAN NHÂN DÂN", "ỦY BẠN NHÂN DÂN"))
    assert (f["co_quan_ban_hanh"].value, f["co_quan_ban_hanh"].status) == ("ỦY BẠN NHÂN DÂN PHƯỜNG KIM LIÊN", REVIEW)
    # Old tone placement is the same spelling.
    f = _fields(_with(QD, "ỦY BAN NHÂN DÂN", "UỶ BAN NHÂN DÂN"))
    assert f["co_quan_ban_hanh"].status == OK
    # The symbol names another body.
    f = _fields(_with(QD, "Số: 125/QĐ-UBND", "Số: 125/QĐ-STP"))
    assert f["co_quan_ban_hanh"].status == REVIEW
    # The place, misread in the header, is written otherwise in the body.
    f = _fields(_with(QD, "PHƯỜNG KIM LIÊN", "PHƯỜNG KIM LIỀN"))
    assert f["co_quan_ban_hanh"].status == REVIEW
    # A people's committee with no place read is incomplete.
    f = _fields(_with(QD, "PHƯỜNG KIM LIÊN"))
    assert (f["co_quan_ban_hanh"].value, f["co_quan_ban_hanh"].status) == ("ỦY BAN NHÂN DÂN", REVIEW)


def test_superior_body_line_is_not_the_issuing_body():
    lines = [
        ("UBND THÀNH PHỐ HÀ NỘI", (380, 206, 990, 261)),
        ("SỞ TƯ PHÁP", (520, 279, 850, 331)),
        ("Số: 125/QĐ-STP", (440, 403, 929, 458)),
    ] + QD[3:]
    f = _fields(_page(lines))
    assert (f["co_quan_ban_hanh"].value, f["co_quan_ban_hanh"].status) == ("SỞ TƯ PHÁP", OK)
    assert f["co_quan_ban_hanh"].box == (520, 279, 850, 331)


def test_signer_titles():
    assert title_pattern_ok(["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"])
    assert title_pattern_ok(["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"])
    assert title_pattern_ok(["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"])
    assert title_pattern_ok(["TL. CHỦ TỊCH", "CHÁNH VĂN PHÒNG"])
    assert title_pattern_ok(["TM ỦY BAN NHÂN DÂN", "CHỦ TỊCH"])  # a lost dot is a slip of the prefix
    assert title_pattern_ok(["Q. GIÁM ĐỐC"]) and title_pattern_ok(["CHỦ TỊCH"])
    assert title_pattern_ok(["TRƯỞNG PHÒNG TƯ PHÁP"])
    assert not title_pattern_ok(["TM. ỦY BẠN NHÂN DÂN", "CHỦ TỊCH"])  # misread tone mark
    assert not title_pattern_ok(["TM. ỦY BAN NHÂN DÂN", "TRƯỞNG XÓM"])
    assert not title_pattern_ok(["KT. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"])  # KT. signs for a person
    f = _fields(_with(CV, "CHỦ TỊCH", "CHÚ TỊCH"))
    assert (f["chuc_vu_nguoi_ky"].value, f["chuc_vu_nguoi_ky"].status) == ("TM. ỦY BAN NHÂN DÂN CHÚ TỊCH", REVIEW)
    f = _fields(_with(CV, "TM. ỦY BAN NHÂN DÂN", "TM.ỦY BAN NHÂN DÂN"))
    assert (f["chuc_vu_nguoi_ky"].value, f["chuc_vu_nguoi_ky"].status) == ("TM. ỦY BAN NHÂN DÂN CHỦ TỊCH", OK)


def test_signer_name_skips_seal_text_and_specks():
    lines = CV[:-1] + [
        ("ỦY BAN NHÂN DÂN", (1600, 2050, 1900, 2100)),  # the seal's ring text
        ("` Nguyễn ( Thị Ỷ", (1675, 2300, 1998, 2359)),
    ]
    f = _fields(_page(lines))
    assert f["nguoi_ky"].value == "Nguyễn Thị Ỷ" and f["nguoi_ky"].box[0] > 1675
    assert "nguoi_ky" not in _fields(_page(CV[:-1]))


def test_signer_block_is_read_from_the_last_page():
    first = _page(CV[:10])
    last = _page(
        [("2", (1230, 170, 1250, 210))] + [(t, (b[0], b[1] - 1500, b[2], b[3] - 1500)) for t, b in CV[10:]], index=1
    )
    f = _fields(first, last)
    assert (f["nguoi_ky"].value, f["nguoi_ky"].page) == ("Nguyễn Thị Ỷ", 1)
    assert (f["chuc_vu_nguoi_ky"].page, f["so_ky_hieu"].page) == (1, 0)


def test_turned_page_gives_the_same_fields_with_boxes_on_the_page_as_given():
    def turn(box):  # the sheet turned 90 degrees clockwise: (x, y) -> (H - y, x)
        x0, y0, x1, y1 = box
        return (H - y1, x0, H - y0, x1)

    upright = _fields(_page(QD))
    turned = _fields(_page([(t, turn(b)) for t, b in QD], size=(H, W)))
    assert {k: v.value for k, v in turned.items()} == {k: v.value for k, v in upright.items()}
    for name, f in upright.items():
        assert all(abs(a - b) <= 2 for a, b in zip(turned[name].box, turn(f.box), strict=True)), name


def test_skewed_scan_keeps_the_header_rows_apart():
    # 1.5 degrees clockwise: the right column sits ~30 px lower than the left at the same level.
    import math

    s, c = math.sin(math.radians(1.5)), math.cos(math.radians(1.5))

    def rot(box):
        x0, y0, x1, y1 = box
        pts = [(x * c - y * s, x * s + y * c) for x in (x0, x1) for y in (y0, y1)]
        return (
            round(min(p[0] for p in pts)),
            round(min(p[1] for p in pts)),
            round(max(p[0] for p in pts)),
            round(max(p[1] for p in pts)),
        )

    f = _fields(_page([(t, rot(b)) for t, b in QD], skew=1.5))
    assert {k: v.value for k, v in f.items()} == {k: v.value for k, v in _fields(_page(QD)).items()}


def test_tone_key_and_subtype_of_other_pages():
    assert tone_key("UỶ BAN") == tone_key("Ủy ban") != tone_key("ỦY BẠN")
    assert tone_key("HOÀ") == tone_key("hòa")
    assert official_subtype([]) is None
    assert official_subtype([_page([("Họ và tên: Nguyễn Văn A", (354, 400, 1200, 460))])]) is None
    assert extract_official_fields([], 0.8, TODAY) == {}


# --------------------------------------------------------------------------- generator truth

_KINDS = [k for k in ("cong_van", "quyet_dinh") if k in KINDS]
_SEEDS = range(10)
_STATUS = {
    "co_quan_ban_hanh": OK,
    "so_ky_hieu": OK,
    "ngay_ban_hanh": OK,
    "chuc_vu_nguoi_ky": OK,
    "trich_yeu": REVIEW,
    "nguoi_ky": REVIEW,
}


@cache
def _truth(kind: str, seed: int) -> dict:
    return generate_document(kind, "clean", seed).truth


def _truth_pages(truth: dict) -> list[PageText]:
    return [
        PageText(
            p["index"],
            p["width"],
            p["height"],
            TextSource.PDF_TEXT,
            [TextLine(ln["text"], tuple(ln["box"]), 0.99) for ln in p["lines"]],
        )
        for p in truth["pages"]
    ]


def _iou(a, b) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - ix * iy
    return ix * iy / union if union else 0.0


@pytest.mark.parametrize("kind", _KINDS)
@pytest.mark.parametrize("seed", _SEEDS)
def test_generator_truth_is_extracted(kind: str, seed: int):
    truth = _truth(kind, seed)
    pages = _truth_pages(truth)
    fields = extract_official_fields(pages, 0.8, today=TODAY)
    expected = {name: truth["fields"][name] for name in _STATUS if name in truth["fields"]}
    assert {"co_quan_ban_hanh", "so_ky_hieu", "ngay_ban_hanh", "trich_yeu"} <= expected.keys()
    for name, want in expected.items():
        got = fields[name]
        assert got.value == want["value"], name
        assert got.status == _STATUS[name], name
        assert got.page == want["page"], name
        assert _iou(got.box, want["box"]) >= 0.7, name
    is_qd = "QĐ" in truth["fields"]["so_ky_hieu"]["value"]
    assert official_subtype(pages) == ("quyet_dinh" if is_qd else "cong_van")
    if kind in ("cong_van", "quyet_dinh") and "nguoi_ky" in truth["fields"]:
        assert official_subtype(pages) == kind


@pytest.mark.parametrize("seed", range(2))
def test_generator_multi_page_cong_van(seed: int):
    truth = _truth("pdf_born_digital", seed)
    pages = _truth_pages(truth)
    assert len(pages) >= 2
    fields = extract_official_fields(pages, 0.8, today=TODAY)
    for name, want in truth["fields"].items():
        if name in _STATUS:
            assert (fields[name].value, fields[name].page) == (want["value"], want["page"]), name
    # The signer block is on the last page.
    assert fields["nguoi_ky"].page == fields["chuc_vu_nguoi_ky"].page == pages[-1].index
    assert fields["nguoi_ky"].value == truth["pages"][-1]["lines"][-1]["text"]


# --------------------------------------------------------------------------- real OCR


@pytest.mark.ocr
def test_fields_from_real_ocr_of_a_scanned_quyet_dinh(page_reader):
    if "quyet_dinh" not in KINDS:
        pytest.skip("generator has no quyet_dinh kind")
    doc = generate_document("quyet_dinh", "scanned", 7101)
    pages = []
    for i, image in enumerate(doc.pages):
        ocr = page_reader.read(cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR))
        pages.append(PageText(i, image.width, image.height, TextSource.OCR, ocr.lines, ocr.skew_degrees))
    fields = extract_official_fields(pages, 0.8, today=TODAY)
    truth = doc.truth["fields"]
    assert official_subtype(pages) == "quyet_dinh"
    for name in ("so_ky_hieu", "ngay_ban_hanh", "co_quan_ban_hanh"):
        assert fields[name].value == truth[name]["value"], name
        assert fields[name].status == OK, name
        assert _iou(fields[name].box, truth[name]["box"]) >= 0.4, name
    assert {"trich_yeu", "nguoi_ky", "chuc_vu_nguoi_ky"} <= fields.keys()


def test_a_number_line_merged_with_the_place_and_date_line_goes_to_review():
    texts = [
        ("ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", (409, 167, 2337, 304)),
        ("PHƯỜNG BÀN CỜ", (431, 244, 1008, 333)),
        ("Độc lập - Tự do - Hạnh phúc", (1236, 270, 2138, 373)),
        ("Số: 2051/UBND-VHXHTP. Hồ Chí Minh, ngày 10 tháng 11 năm 2025", (394, 365, 2363, 490)),
        ("V/v rà soát, cập nhật dữ liệu", (354, 442, 1078, 530)),
        ("Kính gửi: Công an phường Bàn Cờ", (752, 657, 1780, 768)),
    ]
    page = PageText(0, 2480, 3508, TextSource.OCR, [TextLine(t, b, 0.96) for t, b in texts])
    fields = extract_official_fields([page], 0.8, TODAY)
    assert fields["so_ky_hieu"].status == FieldStatus.NEEDS_REVIEW
