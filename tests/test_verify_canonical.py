"""Defect 8c: one form for a person's name and a place whatever source gave the value
(models.fields, "Canonical forms"): a card's name in capitals as the card prints it, though its
QR code writes it in title case; a place as printed."""

from datetime import date

from models.document import Barcode, DocumentKind, FieldStatus, PageText, TextLine, TextSource
from pipeline.fields.extract import extract_fields
from pipeline.fields.verify import PartInput, verify_parts
from samples.identity import mrz_td1

TODAY = date(2026, 11, 21)
QR = "079304001122||Trần Thị Thu Hằng|29022004|Nữ|Số 5 Đường Lê Lợi, Phường Bến Nghé, Quận 1, Hồ Chí Minh|15042021"
BACK = [
    "Nơi cư trú / Place of residence: Số 5 đường Lê Lợi, phường Bến Nghé, Quận 1, Hồ Chí Minh",
    "Ngày, tháng, năm cấp / Date of issue: 15/04/2021",
    "BỘ CÔNG AN",
    *mrz_td1("079304001122", date(2004, 2, 29), False, date(2029, 2, 28), "Trần", "Thị Thu Hằng"),
]


def _verify(*pages_and_kinds):
    parts = [PartInput(kind, [page], extract_fields(kind, [page], 0.8, TODAY)) for kind, page in pages_and_kinds]
    return verify_parts(parts, review_threshold=0.8, ok_threshold=0.9, today=TODAY)


def _page(texts, size=(1012, 638), codes=()):
    lines = [TextLine(t, (60, 40 + 45 * i, 60 + 22 * len(t), 80 + 45 * i), 0.95) for i, t in enumerate(texts)]
    return PageText(0, size[0], size[1], TextSource.OCR, lines, codes=list(codes))


def test_a_cards_name_taken_from_its_qr_code_is_in_capitals_as_the_card_prints_it():
    back = _page(BACK, codes=[Barcode("QRCode", QR, (700, 20, 990, 300))])
    (fields,) = _verify((DocumentKind.CAN_CUOC_BACK, back))
    assert fields["ho_va_ten"].value == "TRẦN THỊ THU HẰNG" and fields["ho_va_ten"].sources == ("qr",)
    # On a form, a name is as the form writes it, confirmed by the same card.
    form = _page(
        [
            "TỜ KHAI THAY ĐỔI THÔNG TIN CƯ TRÚ",
            "1. Họ, chữ đệm và tên: Trần Thị Thu Hằng",
            "4. Số định danh cá nhân: 079304001122",
        ],
        size=(2480, 3508),
    )
    _, form_fields = _verify((DocumentKind.CAN_CUOC_BACK, back), (DocumentKind.CT01, form))
    assert form_fields["ho_va_ten"].value == "Trần Thị Thu Hằng"
    assert form_fields["ho_va_ten"].status == FieldStatus.OK and "qr" in form_fields["ho_va_ten"].sources


def test_a_place_confirmed_by_the_qr_code_is_as_printed_in_the_codes_punctuation():
    back = _page(BACK, codes=[Barcode("QRCode", QR, (700, 20, 990, 300))])
    (fields,) = _verify((DocumentKind.CAN_CUOC_BACK, back))
    place = fields["noi_cu_tru"]
    assert place.status == FieldStatus.OK and "qr" in place.sources
    assert place.value == "Số 5 đường Lê Lợi, phường Bến Nghé, Quận 1, Hồ Chí Minh"  # the print's case
    # A comma read as a full stop: the letters as printed, the punctuation the code's.
    misread = _page([BACK[0].replace("Lợi,", "Lợi."), *BACK[1:]], codes=[Barcode("QRCode", QR, (700, 20, 990, 300))])
    (fields,) = _verify((DocumentKind.CAN_CUOC_BACK, misread))
    assert fields["noi_cu_tru"].value == "Số 5 đường Lê Lợi, phường Bến Nghé, Quận 1, Hồ Chí Minh"
