"""Defect 8a: a date read with a stray space inside ("20/1 1/1978") is put in DD/MM/YYYY where
its digits say one date unambiguously, and is never `ok` in another shape."""

from datetime import date

import pytest

from models.document import Barcode, DocumentKind, Field, FieldStatus, PageText, TextLine, TextSource
from pipeline.fields.extract import extract_fields
from pipeline.fields.values import parse_date
from pipeline.fields.verify import PartInput, verify_parts

TODAY = date(2026, 11, 21)
CARD = [
    "CĂN CƯỚC CÔNG DÂN",
    "Citizen Identity Card",
    "Số / No.: 001078012345",
    "Họ và tên / Full name:",
    "NGUYỄN VĂN HẢI",
    "Ngày sinh / Date of birth: 20/11/1978",
    "Giới tính / Sex: Nam",
    "Có giá trị đến: 20/11/2038",
]
QR = Barcode("QRCode", "001078012345||Nguyễn Văn Hải|20111978|Nam|Số 1 phố Huế, Hà Nội|15042021", (800, 10, 990, 200))


def _page(texts, size=(1012, 638), codes=()):
    lines = [TextLine(t, (100, 100 + 60 * i, 100 + 25 * len(t), 150 + 60 * i), 0.95) for i, t in enumerate(texts)]
    return PageText(0, size[0], size[1], TextSource.OCR, lines, codes=list(codes))


def _verified(kind, page):
    part = PartInput(kind, [page], extract_fields(kind, [page], 0.8, TODAY))
    return verify_parts([part], review_threshold=0.8, ok_threshold=0.9, today=TODAY)[0]


@pytest.mark.parametrize(
    "read, value",
    [
        ("20/1 1/1978", "20/11/1978"),
        ("2 0/11/1978", "20/11/1978"),
        ("20/11/19 78", "20/11/1978"),
        ("20 / 11 / 1978", "20/11/1978"),
    ],
)
def test_a_date_read_with_a_stray_space_is_normalized(read, value):
    assert parse_date(read) == (value, True)
    texts = [t.replace("20/11/1978", read) for t in CARD]
    fields = _verified(DocumentKind.CCCD_FRONT, _page(texts, codes=[QR]))
    birth = fields["ngay_sinh"]
    assert birth.value == value and birth.status == FieldStatus.OK and "qr" in birth.sources
    assert fields["co_gia_tri_den"].status == FieldStatus.OK  # the milestone rule reads the birth date


def test_a_stray_space_in_a_forms_date_is_not_a_wrong_date_made_ok():
    form = [
        "TỜ KHAI THAY ĐỔI THÔNG TIN CƯ TRÚ",
        "1. Họ, chữ đệm và tên: Nguyễn Văn Hải",
        "2. Ngày, tháng, năm sinh: 2 1/01/2024",
        "4. Số định danh cá nhân: 001224012345",
    ]
    fields = _verified(DocumentKind.CT01, _page(form, size=(2480, 3508)))
    assert fields["ngay_sinh"].value == "21/01/2024"  # not 01/01/2024 from the digits after the space
    assert fields["ngay_sinh"].status == FieldStatus.OK and fields["ngay_sinh"].sources == ("ocr", "rule")
    # Digits that do not say which is the day: never a date, never ok.
    form[2] = "2. Ngày, tháng, năm sinh: 1 21/01/2024"
    assert parse_date("1 21/01/2024") is None
    assert _verified(DocumentKind.CT01, _page(form, size=(2480, 3508)))["ngay_sinh"].status == FieldStatus.INVALID


@pytest.mark.parametrize(
    "value, status, shown",
    [
        ("20/1 1/1978", FieldStatus.OK, "20/11/1978"),  # unambiguous: put in shape
        ("1 20/11/1978", FieldStatus.NEEDS_REVIEW, "1 20/11/1978"),  # which digits are the day?
        ("20111978", FieldStatus.NEEDS_REVIEW, "20111978"),
    ],
)
def test_a_date_is_ok_in_no_other_shape_than_dd_mm_yyyy(value, status, shown):
    # Whatever hands verification a date (a reviewer, another extractor), its shape is checked.
    page = _page(["TỜ KHAI THAY ĐỔI THÔNG TIN CƯ TRÚ"], size=(2480, 3508))
    read = Field(value, 0.95, 0, (100, 100, 600, 150), FieldStatus.OK)
    part = PartInput(DocumentKind.CT01, [page], {"ngay_sinh": read})
    field = verify_parts([part], review_threshold=0.8, ok_threshold=0.9, today=TODAY)[0]["ngay_sinh"]
    assert field.value == shown and field.status == status
