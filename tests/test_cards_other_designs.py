"""Cards drawn another way than the team's generator (the real 2021 placement, other type,
halftone print): captions read into values, printed values taken for handwriting, a card's QR
on a print misread in a digit or two, readers that slip alike on a mark — and never a wrong `ok`."""

from datetime import date

import pytest

from models.document import (
    Barcode,
    DocumentKind,
    FieldStatus,
    PageText,
    Rereading,
    ReviewReason,
    TextLine,
    TextSource,
)
from pipeline.fields.extract import extract_fields, without_caption
from pipeline.fields.verify import PartInput, verify_parts
from pipeline.ocr.second_read import second_fields
from samples.identity import mrz_td1

TODAY = date(2026, 11, 21)
QR = "079081742326|301880140|Trần Hữu Khoa|01011981|Nam|Số 123, ngõ 260 phố Kim Mã, Kim Mã, Ba Đình, Hà Nội|30012023"


def _page(texts, conf=0.95, codes=(), handwriting=(), rereadings=None):
    rereadings = rereadings or {}
    lines = [
        TextLine(t, (60, 40 + 45 * i, 60 + 22 * len(t), 80 + 45 * i), conf, *rereadings.get(i, ()))
        for i, t in enumerate(texts)
    ]
    return PageText(0, 1012, 638, TextSource.OCR, lines, codes=list(codes), handwriting=list(handwriting))


def _fields(kind, page, with_readings=False):
    extra = (
        (second_fields(kind, [page], 0.8, TODAY), second_fields(kind, [page], 0.8, TODAY, reading="third"))
        if with_readings
        else ()
    )
    part = PartInput(kind, [page], extract_fields(kind, [page], 0.8, TODAY), *extra)
    return verify_parts([part], review_threshold=0.8, ok_threshold=0.9, today=TODAY)[0]


@pytest.mark.parametrize(
    ("read", "value"),
    [
        ("Natlonalit Việt Nam", "Việt Nam"),  # the slash lost, a letter misread
        ("Nationalitv: Việt Nam", "Việt Nam"),
        ("ƒ Place of œ\\gin: Ngô Đồng, Giao Thủy", "Ngô Đồng, Giao Thủy"),
        ("TuÌl name:", ""),  # the caption alone: the value is under it
        ("Việt Nam", "Việt Nam"),
        ("NGUYỄN VĂN NAM", "NGUYỄN VĂN NAM"),
        ("Nam", "Nam"),
        ("Số 12, phố Huế", "Số 12, phố Huế"),
        ("Place of residence Số 12", "Số 12"),  # the caption, not the value's first word
    ],
)
def test_an_english_caption_heading_a_card_value_is_not_the_value(read, value):
    assert without_caption(read) == value


def test_a_card_value_after_a_misread_caption_and_a_name_under_its_caption():
    page = _page(
        [
            "CĂN CƯỚC",
            "Số định danh cá nhân / Personal identification number: 079078552864",
            "Họ, chữ đệm và tên khai sinh TuÌl name:",  # the slash lost: the caption ran into the label
            "NGUYỄN VĂN LONG",  # like "Nguyên quán" to a fuzzy match, but in capitals: a value
            "Ngày, tháng, năm sinh / Date of birth: 14/01/1978",
            "Quốc tịch Natlonalit Việt Nam",
        ]
    )
    fields = extract_fields(DocumentKind.CAN_CUOC_FRONT, [page], 0.8, TODAY)
    assert fields["ho_va_ten"].value == "NGUYỄN VĂN LONG"
    assert fields["quoc_tich"].value == "Việt Nam"
    assert "que_quan" not in fields


def test_readers_that_agree_on_a_mark_the_vocabulary_never_spells_so_are_not_ok():
    # AsterNet and the script model both read a small "chấm" as "chăm": no such mark word.
    text = "Đặc điểm nhân dạng: Sẹo chấm C:3cm trên sau cánh mũi trái"
    start = text.index("Sẹo")
    wrong = "Sẹo chăm C:3cm trên sau cánh mũi trái"
    page = _page(
        ["CĂN CƯỚC CÔNG DÂN", text],
        rereadings={1: (Rereading(wrong, 0.99, (), start), Rereading(wrong, 0.95, (), start))},
    )
    page = PageText(0, 1012, 638, TextSource.OCR, [page.lines[0], page.lines[1]])
    # the first reader read it wrong too, or differently: neither way is the wrong reading ok
    for first in (wrong, "Sẹo chẩm C:3cm trên sau cánh mũi trái"):
        line = page.lines[1]
        page.lines[1] = TextLine(text[:start] + first, line.box, line.confidence, line.second, line.third)
        field = _fields(DocumentKind.CCCD_BACK, page, with_readings=True)["dac_diem_nhan_dang"]
        assert field.status != FieldStatus.OK, field


def test_readers_that_agree_on_a_mark_the_vocabulary_spells_so_are_ok():
    text = "Đặc điểm nhân dạng: Sẹo chấm C:3cm trên sau cánh mũi trái"
    start = text.index("Sẹo")
    right = text[start:]
    page = _page(["CĂN CƯỚC CÔNG DÂN", text], rereadings={1: (Rereading(right, 0.99, (), start),)})
    field = _fields(DocumentKind.CCCD_BACK, page, with_readings=True)["dac_diem_nhan_dang"]
    assert field.status == FieldStatus.OK and field.value == right


def _front(number_line, name, birth_line, codes=(QR,)):
    return _page(
        [
            "CĂN CƯỚC CÔNG DÂN",
            number_line,
            "Họ và tên / Full name:",
            name,
            birth_line,
            "Giới tính / Sex: Nam   Quốc tịch / Nationality: Việt Nam",
        ],
        conf=0.85,
        codes=[Barcode("QRCode", c, (830, 120, 980, 270)) for c in codes],
    )


def test_a_qr_on_a_photographed_card_misread_in_two_digits_and_its_name_is_the_value():
    page = _front("Số / No.: 079081712320", "TRẦV HỮU RKHO", "Ngày sinh / Date of birth: 0l/0l/198l")
    fields = _fields(DocumentKind.CCCD_FRONT, page)
    number, name = fields["so_dinh_danh"], fields["ho_va_ten"]
    assert number.value == "079081742326" and number.status == FieldStatus.OK
    assert (number.detail or {})["print_differs"] is True
    assert name.value == "TRẦN HỮU KHOA" and name.status == FieldStatus.OK


def test_a_qr_whose_number_and_name_are_another_persons_is_not_the_cards():
    # Two digits apart, but another name: not this card's code; nothing from it is `ok`.
    page = _front("Số / No.: 079081712320", "LÊ THỊ MAI", "Ngày sinh / Date of birth: 0l/0l/198l")
    fields = _fields(DocumentKind.CCCD_FRONT, page)
    assert fields["so_dinh_danh"].status != FieldStatus.OK
    assert fields["ho_va_ten"].status != FieldStatus.OK
    # Three digits apart with a like name: not close enough either.
    page = _front("Số / No.: 079081712390", "TRẦV HỮU RKHO", "Ngày sinh / Date of birth: 0l/0l/198l")
    assert _fields(DocumentKind.CCCD_FRONT, page)["so_dinh_danh"].status != FieldStatus.OK


def test_the_birth_date_digits_as_read_tie_the_qr_to_the_card():
    page = _front("Số / No.: 0790817l2320", "TRẦV HỮU RKHO.\\", "Ngày sinh / Date of birth: 0101 1981")
    fields = _fields(DocumentKind.CCCD_FRONT, page)
    assert fields["ho_va_ten"].value == "TRẦN HỮU KHOA" and fields["ho_va_ten"].status == FieldStatus.OK


def test_a_print_that_is_no_date_takes_the_valid_mrz_expiry():
    mrz = mrz_td1("079304001122", date(2004, 2, 29), False, date(2029, 2, 28), "Trần", "Thị Thu Hằng")
    page = _page(
        [
            "Ngày, tháng, năm cấp / Date of issue: 15/04/2021",
            "Ngày, tháng, năm hết hạn / Date of expiry: MẪU / SPECIMEN",
            "BỘ CÔNG AN",
            *mrz,
        ]
    )
    expiry = _fields(DocumentKind.CAN_CUOC_BACK, page)["co_gia_tri_den"]
    assert expiry.value == "28/02/2029" and expiry.status == FieldStatus.OK and expiry.sources == ("mrz",)
    assert (expiry.detail or {})["read_value"] == "MẪU / SPECIMEN"


def test_a_date_that_differs_from_the_mrz_still_goes_to_review():
    mrz = mrz_td1("079304001122", date(2004, 2, 29), False, date(2029, 2, 28), "Trần", "Thị Thu Hằng")
    page = _page(["Ngày, tháng, năm hết hạn / Date of expiry: 28/02/2030", "BỘ CÔNG AN", *mrz])
    expiry = _fields(DocumentKind.CAN_CUOC_BACK, page)["co_gia_tri_den"]
    assert expiry.status == FieldStatus.NEEDS_REVIEW and expiry.reason == ReviewReason.SOURCES_DISAGREE


def _back_with_mark(mark):
    text = "Ngày, tháng, năm / Date, month, year: 12/10/2021"
    start = text.index("12/10")
    page = _page(
        ["Đặc điểm nhân dạng / Personal identification:", text, "CỤC TRƯỞNG CỤC CẢNH SÁT"],
        rereadings={1: (Rereading("12/10/2021", 0.99, (), start),)},
        handwriting=[mark],
    )
    return _fields(DocumentKind.CCCD_BACK, page, with_readings=True)["ngay_cap"]


def test_a_mark_along_a_printed_card_line_is_not_handwriting_of_its_value():
    # The detector took the whole printed line (caption and date) for writing: halftone print.
    line_box = (60, 85, 60 + 22 * 48, 125)
    field = _back_with_mark(line_box)
    assert field.status == FieldStatus.OK and field.value == "12/10/2021"


def test_a_mark_over_a_card_value_alone_is_still_handwriting():
    field = _back_with_mark((60 + 22 * 38, 85, 60 + 22 * 48, 125))  # just the date
    assert field.status == FieldStatus.NEEDS_REVIEW and field.reason == ReviewReason.HANDWRITTEN


def test_marks_over_a_cards_printed_captions_say_nothing_of_its_values():
    # The detector marks the caption line too: it takes this card's print for writing.
    text = "Ngày, tháng, năm / Date, month, year: 12/10/2021"
    start = text.index("12/10")
    caption = "Đặc điểm nhân dạng / Personal identification:"
    page = _page(
        [caption, text, "CỤC TRƯỞNG CỤC CẢNH SÁT"],
        rereadings={1: (Rereading("12/10/2021", 0.99, (), start),)},
        handwriting=[(60, 40, 60 + 22 * len(caption), 80), (60 + 22 * 38, 85, 60 + 22 * 48, 125)],
    )
    field = _fields(DocumentKind.CCCD_BACK, page, with_readings=True)["ngay_cap"]
    assert field.status == FieldStatus.OK and field.value == "12/10/2021"


def test_on_a_form_a_mark_along_the_line_is_still_handwriting():
    form = [
        "TỜ KHAI THAY ĐỔI THÔNG TIN CƯ TRÚ",
        "1. Họ, chữ đệm và tên: Trần Thị Thu Hằng",
        "5. Số điện thoại liên hệ: 0912345678",
    ]
    page = PageText(
        0,
        2480,
        3508,
        TextSource.OCR,
        [TextLine(t, (60, 40 + 45 * i, 60 + 22 * len(t), 80 + 45 * i), 0.95) for i, t in enumerate(form)],
        handwriting=[(60, 40, 60 + 22 * len(form[0]), 80), (60, 130, 60 + 22 * len(form[2]), 170)],
    )
    phone = _fields(DocumentKind.CT01, page)["so_dien_thoai"]
    assert phone.status == FieldStatus.NEEDS_REVIEW and phone.reason == ReviewReason.HANDWRITTEN


def test_an_identifying_mark_read_in_the_vocabularys_words_settles_marks_outside_it():
    text = "Đặc điểm nhân dạng: Nốt ruồi C:2cm dưới trước dái tai trái"
    start = text.index("Nốt")
    cases = {
        "Nốt ruồi C:2cm dưới trước dải tai trải": FieldStatus.OK,  # marks that make no word of it
        "Nốt ruồi C:2cm dưới trước dái tai trái.": FieldStatus.OK,
        "Nốt rudi C:2cm dưới trước dái tai trái": FieldStatus.NEEDS_REVIEW,  # letters differ
        "Nốt ruồi C:3cm dưới trước dái tai trái": FieldStatus.NEEDS_REVIEW,  # a measure: no vocabulary
        "Nốt ruồi C:2cm dưới trước dái tai phải": FieldStatus.NEEDS_REVIEW,  # another word of it
    }
    for second, status in cases.items():
        page = _page(["CĂN CƯỚC CÔNG DÂN", text], rereadings={1: (Rereading(second, 0.99, (), start),)})
        field = _fields(DocumentKind.CCCD_BACK, page, with_readings=True)["dac_diem_nhan_dang"]
        assert field.status == status and field.value == text[start:], second


def test_a_value_the_caption_pattern_took_with_a_colon_read_at_the_end_is_found():
    page = _page(
        [
            "CĂN CƯỚC CÔNG DÂN",
            "Giới tính / Sex: Nam",
            "Quốc tịch / Natlonality Việt Nam:",  # the colon read after the value
            "Có giá trị đến: / Date of expiry:",  # a caption alone: its value is under it
            "13/04/2029",
        ]
    )
    fields = extract_fields(DocumentKind.CCCD_FRONT, [page], 0.8, TODAY)
    assert fields["quoc_tich"].value == "Việt Nam"
    assert fields["co_gia_tri_den"].value == "13/04/2029"


def test_a_caption_misread_past_recognition_is_not_taken_for_the_value():
    page = _page(["CĂN CƯỚC", "Họ, chữ đệm và tên khai sinh / Full gatne:", "NGUYỄN THỊ MINH NHUNG"])
    assert extract_fields(DocumentKind.CAN_CUOC_FRONT, [page], 0.8, TODAY)["ho_va_ten"].value == "NGUYỄN THỊ MINH NHUNG"


def test_two_readings_each_slipping_on_another_mark_word_merge_where_the_vocabulary_spells_one():
    text = "Đặc điểm nhân dạng: Seo chấm C:3cm trên sau cánh mũi trái"
    start = text.index("Seo")
    cases = {
        "Sẹo chăm C:3cm trên sau cánh mũi trái": (FieldStatus.OK, "Sẹo chấm C:3cm trên sau cánh mũi trái"),
        "Sẹo chăm C:5cm trên sau cánh mũi trái": (FieldStatus.NEEDS_REVIEW, None),  # a measure differs
        "Sẹo chăm C:3cm trên sau cánh mũi phải": (FieldStatus.NEEDS_REVIEW, None),  # letters differ
    }
    for second, (status, value) in cases.items():
        page = _page(["CĂN CƯỚC CÔNG DÂN", text], rereadings={1: (Rereading(second, 0.99, (), start),)})
        field = _fields(DocumentKind.CCCD_BACK, page, with_readings=True)["dac_diem_nhan_dang"]
        assert field.status == status, second
        if value is not None:
            assert field.value == value


def test_the_script_model_reading_the_first_readings_letters_settles_where_asternet_is_unsure():
    text = "Đặc điểm nhân dạng: Nốt ruồi C:2cm dưới trước dái tai trái"
    start = text.index("Nốt")
    unsure = Rereading("Nốt rudi C:2cm dưới trước dải tai tải", 0.44, (), start)
    cases = {
        ("Nốt ruồi C:2cm dưới trước dải tai trái", 0.44): FieldStatus.OK,  # a mark that makes no word
        ("Nốt ruồi C:2cm dưới trước dải tai phải", 0.44): FieldStatus.NEEDS_REVIEW,  # other letters
        ("Nốt ruồi C:2cm dưới trước dải tai trái", 0.99): FieldStatus.NEEDS_REVIEW,  # AsterNet sure: it differs
    }
    for (third, second_confidence), status in cases.items():
        second = Rereading(unsure.text, second_confidence, (), start)
        page = _page(["CĂN CƯỚC CÔNG DÂN", text], rereadings={1: (second, Rereading(third, 0.9, (), start))})
        field = _fields(DocumentKind.CCCD_BACK, page, with_readings=True)["dac_diem_nhan_dang"]
        assert field.status == status and field.value == text[start:], (third, second_confidence)


def _lined(rows):
    """A page of (text, x0, y0, x1) lines 30 pixels high."""
    lines = [TextLine(t, (x0, y0, x1, y0 + 30), 0.95) for t, x0, y0, x1 in rows]
    return PageText(0, 1012, 638, TextSource.OCR, lines)


def _back_with_qr_and_mrz(address_read, mrz_number):
    mrz = mrz_td1(mrz_number, date(1981, 1, 1), True, date(2041, 1, 1), "Trần", "Hữu Khoa")
    mrz[1] = mrz[1][:20] + "K" + mrz[1][20:]  # line 2 misread: one character too many, its checks lost
    page = _page(
        [
            "Nơi cư trú / Place of residence:",
            address_read,
            "Ngày, tháng, năm cấp / Date of issue: 30/01/2023",
            "BỘ CÔNG AN",
            *mrz,
        ],
        codes=[Barcode("QRCode", QR, (830, 120, 980, 270))],
    )
    return _fields(DocumentKind.CAN_CUOC_BACK, page)


def test_an_mrz_first_line_whose_own_checks_hold_ties_the_qr_to_the_card_back():
    # The print slips on a tone mark; the MRZ's second line is misread, its first line's two
    # check digits give the code's number: the code's address is the card's, the print noted.
    field = _back_with_qr_and_mrz("Số 123, ngõ 260 phố Kim Mà, Kim Mã, Ba Đình, Hà Nội", "079081742326")["noi_cu_tru"]
    assert field.value == "Số 123, ngõ 260 phố Kim Mã, Kim Mã, Ba Đình, Hà Nội"
    assert field.status == FieldStatus.OK and (field.detail or {})["print_differs"] is True


def test_an_mrz_first_line_of_another_number_does_not_tie_the_qr_to_the_card():
    field = _back_with_qr_and_mrz("Số 123, ngõ 260 phố Kim Mà, Kim Mã, Ba Đình, Hà Nội", "079081742399")["noi_cu_tru"]
    assert field.status != FieldStatus.OK


def test_a_wrapped_address_is_joined_though_the_mrz_below_runs_wider():
    page = _lined(
        [
            ("Nơi cư trú / Place of residence:", 30, 20, 300),
            ("Số 120, ngõ 191 đường Hoàng Văn Thụ, phường Tân Sơn Nhất, Thành phố", 30, 52, 770),
            ("Hồ Chí Minh", 30, 84, 155),
            ("Nơi đăng ký khai sinh / Place of birth:", 30, 124, 356),
            ("IDVNM0919602667001091960266<<8", 40, 450, 950),
            ("9103100M3103108VNM<<<<<<<<<<<8", 40, 505, 950),
            ("PHAN<<BAO<HUONG<<<<<<<<<<<<<<<", 40, 565, 950),
        ]
    )
    fields = extract_fields(DocumentKind.CAN_CUOC_BACK, [page], 0.8, TODAY)
    assert fields["noi_cu_tru"].value.endswith("Thành phố Hồ Chí Minh")


def test_a_caption_whose_misread_tail_ends_in_its_colon_leaves_the_value_to_the_line_below():
    page = _lined(
        [
            ("Số định danh cá nhân / Personal identification number:", 280, 200, 780),
            ("001191809040", 280, 235, 520),
            ("Họ, chữ đệm và tèn khai sinft / FuÌÍ tarme:", 280, 285, 700),
            ("NGUYỄN THỊ MINH NHUNG", 280, 320, 640),
            ("Ngày, tháng, năm sinh / Date of birth: 10/03/1991", 280, 370, 780),
        ]
    )
    fields = extract_fields(DocumentKind.CAN_CUOC_FRONT, [page], 0.8, TODAY)
    assert fields["ho_va_ten"].value == "NGUYỄN THỊ MINH NHUNG"


@pytest.mark.parametrize(
    ("caption", "found"),
    [("Có giá ví đến", True), ("Có giá trị đến:", True), ("Có giá", False), ("Ngày cấp", False)],
)
def test_the_expiry_under_the_photo_is_found_under_a_caption_misread_in_a_letter(caption, found):
    page = _lined(
        [
            ("Nơi thường trú / Place of residence: Số 60 đường Kim Giang, Hoàng Mai, Hà", 250, 400, 990),
            (caption, 20, 440, 200),
            ("Nội", 250, 440, 300),
            ("07/06/2041", 20, 475, 160),
        ]
    )
    fields = extract_fields(DocumentKind.CCCD_FRONT, [page], 0.8, TODAY)
    assert (fields.get("co_gia_tri_den") and fields["co_gia_tri_den"].value) == ("07/06/2041" if found else None)
