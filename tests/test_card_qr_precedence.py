"""Issue 19: a card's QR code that decodes and passes its checks is the card's value; a print
that differs is flagged beside it, not a reason for review. The 2021 chip card's expiry under
the photo is found and held to the card's rules."""

from dataclasses import replace
from datetime import date

from models.document import Barcode, DocumentKind, FieldStatus, PageText, Rereading, TextLine, TextSource
from pipeline.fields.extract import extract_fields
from pipeline.fields.verify import PartInput, verify_parts
from pipeline.ocr.second_read import second_fields

TODAY = date(2026, 11, 21)
QR_TEXT = "001190012345||Nguyễn Thị Nhung|12031990|Nữ|Số 1 phố Huế, Hà Nội|15042021"
QR_BOX = (800, 10, 990, 200)


def _front(name="NGUYÊN THỊ NHUNG", number="001190012345", expiry_rows=None, qr=QR_TEXT, dob="12/03/1990"):
    rows = [
        ("CĂN CƯỚC CÔNG DÂN", (300, 110, 700, 150)),
        ("Citizen Identity Card", (300, 160, 600, 185)),
        (f"Số / No.: {number}", (286, 220, 700, 250)),
        ("Họ và tên / Full name:", (286, 262, 560, 288)),
        (name, (286, 300, 600, 336)),
        (f"Ngày sinh / Date of birth: {dob}", (286, 340, 760, 366)),
        ("Giới tính / Sex: Nữ", (286, 378, 500, 404)),
        ("Quê quán / Place of origin:", (286, 416, 600, 442)),
        ("Nơi thường trú / Place of residence:", (286, 488, 700, 514)),
        ("Số 1 phố Huế, Hà Nội", (286, 522, 700, 552)),
    ]
    rows += expiry_rows if expiry_rows is not None else [("Có giá trị đến: 12/03/2015", (30, 540, 280, 565))]
    lines = [TextLine(t, box, 0.95) for t, box in rows]
    codes = [Barcode("QRCode", qr, QR_BOX)] if qr else []
    return PageText(0, 1012, 638, TextSource.OCR, lines, codes=codes)


def _verified(page, kind=DocumentKind.CCCD_FRONT):
    part = PartInput(kind, [page], extract_fields(kind, [page], 0.8, TODAY), second_fields(kind, [page], 0.8, TODAY))
    return verify_parts([part], review_threshold=0.8, ok_threshold=0.9, today=TODAY)[0]


def test_the_cards_qr_name_is_returned_over_a_misread_print():
    name = _verified(_front())["ho_va_ten"]
    assert name.value == "NGUYỄN THỊ NHUNG"  # the code's, in the card's capitals
    assert name.status == FieldStatus.OK and name.reason is None and name.sources == ("qr",)
    assert name.detail == {"print_differs": True, "read_value": "NGUYÊN THỊ NHUNG", "read_source": "ocr"}


def test_a_print_agreeing_with_the_qr_stays_as_it_was():
    name = _verified(_front(name="NGUYỄN THỊ NHUNG"))["ho_va_ten"]
    assert name.value == "NGUYỄN THỊ NHUNG" and name.status == FieldStatus.OK
    assert name.sources == ("ocr", "qr") and "print_differs" not in (name.detail or {})


def test_a_qr_that_fails_its_checks_or_is_not_the_cards_changes_nothing():
    # The number's gender digit says male, the code says Nữ: the code fails its own checks.
    broken = _verified(_front(qr=QR_TEXT.replace("001190012345", "001090012345")))["ho_va_ten"]
    assert broken.value == "NGUYÊN THỊ NHUNG" and broken.status == FieldStatus.NEEDS_REVIEW
    # A code whose number and birth date are not the card's printed ones: not this card's.
    other = QR_TEXT.replace("001190012345", "001190054321").replace("12031990", "13031990")
    elsewhere = _verified(_front(qr=other))["ho_va_ten"]
    assert elsewhere.status == FieldStatus.NEEDS_REVIEW and elsewhere.value == "NGUYÊN THỊ NHUNG"


def test_without_a_qr_nothing_changes():
    name = _verified(_front(qr=""))["ho_va_ten"]
    assert name.value == "NGUYÊN THỊ NHUNG" and name.status == FieldStatus.NEEDS_REVIEW


def test_the_qr_birth_date_over_a_misread_print_corroborated_by_the_number():
    fields = _verified(_front(dob="12/08/1990"))
    assert fields["ngay_sinh"].value == "12/03/1990" and fields["ngay_sinh"].status == FieldStatus.OK
    assert fields["ngay_sinh"].detail["read_value"] == "12/08/1990"


# The 2021 chip card prints its expiry under the photo, in the front's left column.
EXPIRY_LAYOUTS = {
    "value below the label": [("Có giá trị đến:", (30, 520, 200, 545)), ("12/03/2015", (30, 552, 170, 577))],
    "below its English caption": [
        ("Có giá trị đến:", (30, 515, 200, 538)),
        ("Date of expiry", (30, 541, 170, 560)),
        ("12/03/2015", (30, 566, 170, 591)),
    ],
    "a bilingual caption": [
        ("Có giá trị đến: / Date of expiry:", (30, 520, 270, 545)),
        ("12/03/2015", (30, 552, 170, 577)),
    ],
    "value in a box of its own beside": [
        ("Có giá trị đến:", (30, 540, 170, 565)),
        ("12/03/2015", (176, 540, 280, 565)),
    ],
    "a stray space in the value": [("Có giá trị đến:", (30, 520, 200, 545)), ("12/03/20 15", (30, 552, 170, 577))],
}


def test_the_chip_cards_expiry_is_found_under_the_photo():
    for layout, rows in EXPIRY_LAYOUTS.items():
        page = _front(name="NGUYỄN THỊ NHUNG", expiry_rows=rows, qr="")
        found = extract_fields(DocumentKind.CCCD_FRONT, [page], 0.8, TODAY)
        assert found["co_gia_tri_den"].value == "12/03/2015", layout
        assert not any(name.startswith("co_gia_tri_den_") for name in found), layout


def test_the_expiry_is_held_to_the_birth_and_issue_dates():
    # Born 12/03/1990, issued 15/04/2021 (the QR's): the card runs to the 40th birthday, 12/03/2030.
    rows = [("Có giá trị đến:", (30, 520, 200, 545)), ("12/03/2030", (30, 552, 170, 577))]
    fields = _verified(_front(name="NGUYỄN THỊ NHUNG", expiry_rows=rows))
    assert fields["co_gia_tri_den"].value == "12/03/2030" and fields["co_gia_tri_den"].status == FieldStatus.OK
    # The 60th birthday is a milestone too, but not the one these dates dictate.
    rows = [("Có giá trị đến:", (30, 520, 200, 545)), ("12/03/2050", (30, 552, 170, 577))]
    fields = _verified(_front(name="NGUYỄN THỊ NHUNG", expiry_rows=rows))
    assert fields["co_gia_tri_den"].status == FieldStatus.NEEDS_REVIEW
    # Not a milestone at all, before the issue date: never ok.
    fields = _verified(_front(name="NGUYỄN THỊ NHUNG"))  # 12/03/2015
    assert fields["co_gia_tri_den"].status != FieldStatus.OK


def test_a_print_two_readers_read_alike_surely_and_the_qr_contradicts_goes_to_review():
    """Another card's code, or a changed name: the print is not in doubt, so the code does not
    overrule it; a reviewer sees both."""
    page = _front(name="NGUYỄN THỊ NHUNG", qr=QR_TEXT.replace("Nguyễn Thị Nhung", "Nguyễn Thị Nhàn"))
    page.lines = [
        replace(line, second=Rereading(line.text, 0.99)) if line.text == "NGUYỄN THỊ NHUNG" else line
        for line in page.lines
    ]
    name = _verified(page)["ho_va_ten"]
    assert name.status == FieldStatus.NEEDS_REVIEW and name.value == "NGUYỄN THỊ NHUNG"
    assert (name.detail or {}).get("qr_value") == "Nguyễn Thị Nhàn"


def test_a_deployment_can_keep_the_print_reviewed_instead():
    """The policy is configuration (`SOHOA_READING__CARD_QR_OVER_PRINT`): off, a differing print
    goes to review with the code's value beside it, as before."""
    page = _front()
    part = PartInput(DocumentKind.CCCD_FRONT, [page], extract_fields(DocumentKind.CCCD_FRONT, [page], 0.8, TODAY))
    name = verify_parts([part], review_threshold=0.8, ok_threshold=0.9, today=TODAY, qr_over_print=False)[0][
        "ho_va_ten"
    ]
    assert name.status == FieldStatus.NEEDS_REVIEW and name.value == "NGUYÊN THỊ NHUNG"
    assert (name.detail or {}).get("qr_value") == "Nguyễn Thị Nhung"
