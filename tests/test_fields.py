"""First fields from read lines (no pixels: lines as the OCR stage hands them over)."""

from datetime import date

from models.document import Barcode, DocumentKind, FieldStatus, PageText, ReviewReason, TextLine, TextSource
from pipeline.fields.classify import classify_text
from pipeline.fields.extract import extract_fields
from pipeline.fields.idcheck import id12_problems
from pipeline.fields.values import check_value, parse_date, parse_gender
from pipeline.fields.verify import PartInput, verify_parts

TODAY = date(2026, 11, 21)  # a fixed day: tests never read the machine's date


def _verified(kind, pages):
    """Fields with their final statuses, the document alone (no other part of a dossier)."""
    part = PartInput(kind, pages, extract_fields(kind, pages, 0.8, TODAY))
    return verify_parts([part], review_threshold=0.8, ok_threshold=0.9, today=TODAY)[0]


def _page(texts, conf=0.95, index=0):
    lines = [TextLine(t, (100, 100 + 60 * i, 100 + 25 * len(t), 150 + 60 * i), conf) for i, t in enumerate(texts)]
    return PageText(index, 1012, 638, TextSource.OCR, lines)


CARD = [
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "CĂN CƯỚC CÔNG DÂN",
    "Citizen Identity Card",
    "Số / No.: 001099012345",
    "Họ và tên / Full name:",
    "NGUYỄN VĂN HẢI",
    "Ngày sinh / Date of birth: 01/01/1999",
    "Giới tính / Sex: Nam",
    "Quốc tịch / Nationality: Việt Nam",
    "Quê quán / Place of origin:",
    "Nghĩa Hưng, Nam Định",
    "Có giá trị đến: 01/01/2039",
]


def test_cccd_front_fields_are_read_with_tone_marks_and_ok():
    page = _page(CARD)
    kind, _ = classify_text(page.text)
    assert kind == DocumentKind.CCCD_FRONT
    fields = _verified(kind, [page])
    assert fields["so_dinh_danh"].value == "001099012345"
    assert fields["ho_va_ten"].value == "NGUYỄN VĂN HẢI"
    assert fields["ngay_sinh"].value == "01/01/1999"
    assert fields["gioi_tinh"].value == "Nam"
    assert fields["quoc_tich"].value == "Việt Nam"
    assert fields["que_quan"].value == "Nghĩa Hưng, Nam Định"
    assert fields["co_gia_tri_den"].value == "01/01/2039"
    # Printed text alone: closed vocabularies pass their rule; the rest has nothing to be checked by.
    assert fields["quoc_tich"].status == FieldStatus.OK
    assert fields["gioi_tinh"].status == FieldStatus.OK  # and the number's gender digit agrees
    for name in ("so_dinh_danh", "ho_va_ten", "ngay_sinh", "que_quan", "co_gia_tri_den"):
        assert fields[name].status == FieldStatus.NEEDS_REVIEW, name
        assert fields[name].reason == ReviewReason.SINGLE_SOURCE, name
        assert fields[name].page == 0
    # The name's box is the line under its caption.
    assert fields["ho_va_ten"].box == page.lines[6].box


def test_card_qr_code_agreeing_with_the_print_makes_fields_ok():
    page = _page(CARD)
    # Issued within two years of the 25th birthday: the card runs to the 40th.
    page.codes = [
        Barcode(
            "QRCode", "001099012345||Nguyễn Văn Hải|01011999|Nam|Số 1 phố Huế, Hà Nội|15042022", (800, 10, 990, 200)
        )
    ]
    fields = _verified(DocumentKind.CCCD_FRONT, [page])
    for name in ("so_dinh_danh", "ho_va_ten", "ngay_sinh", "gioi_tinh"):
        assert fields[name].status == FieldStatus.OK, name
        assert "qr" in fields[name].sources
    assert fields["ho_va_ten"].value == "NGUYỄN VĂN HẢI"  # as printed
    # The expiry is the 40th birthday that birth and issue dates dictate: a rule on confirmed dates.
    assert fields["co_gia_tri_den"].status == FieldStatus.OK
    # Issued in 2021, the card would run to the 25th birthday: the printed 2039 is not its expiry.
    page.codes = [Barcode("QRCode", page.codes[0].text.replace("15042022", "15042021"), (800, 10, 990, 200))]
    assert _verified(DocumentKind.CCCD_FRONT, [page])["co_gia_tri_den"].status == FieldStatus.NEEDS_REVIEW
    # The card's own QR code that differs from the print: the code's value, the print flagged.
    page.codes = [
        Barcode(
            "QRCode", "001099012345||Nguyễn Văn Hài|01011999|Nam|Số 1 phố Huế, Hà Nội|15042022", (800, 10, 990, 200)
        )
    ]
    fields = _verified(DocumentKind.CCCD_FRONT, [page])
    assert fields["ho_va_ten"].status == FieldStatus.OK and fields["ho_va_ten"].sources == ("qr",)
    assert fields["ho_va_ten"].value == "NGUYỄN VĂN HÀI"  # in the card's capitals
    assert fields["ho_va_ten"].detail == {"print_differs": True, "read_value": "NGUYỄN VĂN HẢI", "read_source": "ocr"}


def test_card_number_that_contradicts_birth_year_or_sex_goes_to_review():
    texts = [t.replace("001099012345", "001199012345") for t in CARD]  # odd digit: female
    fields = _verified(DocumentKind.CCCD_FRONT, [_page(texts)])
    assert fields["so_dinh_danh"].status == FieldStatus.NEEDS_REVIEW
    assert fields["gioi_tinh"].status == FieldStatus.NEEDS_REVIEW


def test_low_confidence_read_is_never_ok():
    fields = _verified(DocumentKind.CCCD_FRONT, [_page(CARD, conf=0.55)])
    assert {f.status for f in fields.values()} == {FieldStatus.NEEDS_REVIEW}


def test_impossible_date_is_invalid():
    texts = [t.replace("01/01/1999", "31/02/1999") for t in CARD]
    fields = _verified(DocumentKind.CCCD_FRONT, [_page(texts)])
    assert fields["ngay_sinh"].status == FieldStatus.INVALID
    assert fields["ngay_sinh"].value == "31/02/1999"


def test_form_pairs_found_without_diacritics_and_values_keep_them():
    page = _page(
        [
            "ĐƠN ĐỀ NGHỊ CẤP BẢN SAO TRÍCH LỤC",
            "Kính gửi: Ủy ban nhân dân phường Ba Đình",
            "Tôi tên là: Trần Thị Thùy Dương",
            "Ngay sinh: 05/11/1990",  # label read without its marks still matches
            "Giới tính: Nữ   Dân tộc: Kinh   Quốc tịch: Việt Nam",
            "Số định danh cá nhân: 001190012345",
            "Nơi thường trú: Số 7 ngõ 12 phố Đội Cấn, phường Ngọc Hà, Hà Nội",
            "Số điện thoại: 0912 345 678",
            "Email: ........................",
        ]
    )
    kind, _ = classify_text(page.text)
    assert kind == DocumentKind.DON
    fields = _verified(kind, [page])
    assert fields["kinh_gui"].value == "Ủy ban nhân dân phường Ba Đình"
    assert fields["ho_va_ten"].value == "Trần Thị Thùy Dương"  # "Tôi tên là" is the applicant's name
    assert fields["ngay_sinh"].value == "05/11/1990"
    assert fields["gioi_tinh"].value == "Nữ"
    assert fields["dan_toc"].value == "Kinh"
    assert fields["quoc_tich"].value == "Việt Nam"
    assert fields["so_dinh_danh"].value == "001190012345"
    assert fields["noi_thuong_tru"].value.endswith("phường Ngọc Hà, Hà Nội")
    assert "email" not in fields  # dotted leader only: nothing filled in
    assert fields["so_dien_thoai"].value == "0912345678"
    assert fields["so_dien_thoai"].status == FieldStatus.OK
    # Each value's box lies inside its line's box, right of the label.
    line = page.lines[4]
    box = fields["dan_toc"].box
    assert line.box[0] < box[0] < box[2] <= line.box[2]


def test_numbered_form_labels_and_repeated_names():
    page = _page(
        [
            "TỜ KHAI THAY ĐỔI THÔNG TIN CƯ TRÚ",
            "1. Họ, chữ đệm và tên: Lê Văn Đức",
            "2. Ngày, tháng, năm sinh: 02/09/1975   3. Giới tính: Nam",
            "7. Họ, chữ đệm và tên chủ hộ: Lê Thị Hồng",
        ]
    )
    fields = extract_fields(classify_text(page.text)[0], [page], 0.8, TODAY)
    assert fields["ho_va_ten"].value == "Lê Văn Đức"
    assert fields["ngay_sinh"].value == "02/09/1975"
    assert fields["gioi_tinh"].value == "Nam"
    assert fields["ho_chu_dem_va_ten_chu_ho"].value == "Lê Thị Hồng"


def test_value_parsers():
    assert parse_date("ngày 5/3/2024") == ("05/03/2024", True)
    assert parse_date("31/04/2024") == ("31/04/2024", False)
    assert parse_date("không có") is None
    assert parse_gender("Giới tính / Sex: Nữ") == "Nữ"
    assert parse_gender("Nam") == "Nam"
    assert id12_problems("001099012345", 1999, "Nam") == []
    assert "birth year does not match digits 4-6" in id12_problems("001099012345", 1998, "Nam")
    assert id12_problems("00109901234") == ["not 12 digits"]


def test_unknown_text_is_other_never_a_guess():
    assert classify_text("Danh sách hàng hóa nhập kho tháng 3")[0] == DocumentKind.OTHER
    assert classify_text("TỜ KHAI ĐĂNG KÝ KHAI SINH\nKính gửi: UBND")[0] == DocumentKind.TO_KHAI_KHAI_SINH


def _line(text, x0, y0, x1, conf=0.95):
    return TextLine(text, (x0, y0, x1, y0 + 50), conf)


def test_wrapped_value_continues_on_the_next_line_only_after_a_full_line():
    page = PageText(
        0,
        2480,
        3508,
        TextSource.OCR,
        [
            _line("Nơi thường trú: Số 62 đường Điện Biên Phủ, phường Thạnh Mỹ Tây, Thành phố Hồ", 200, 1000, 2280),
            _line("Chí Minh", 200, 1070, 420),
            _line("Số điện thoại: 0860 363 103", 200, 1140, 900),
            _line("Gia đình tôi gồm 5 nhân khẩu, hiện đang sinh sống tại căn nhà đã xuống", 300, 1210, 2280),
            _line("Quê quán: xã Nghĩa Hưng", 200, 1280, 900),
            _line("tỉnh Ninh Bình là nơi tôi sinh ra", 200, 1350, 1500),
        ],
    )
    fields = extract_fields(DocumentKind.DON, [page], 0.8, TODAY)
    assert fields["noi_thuong_tru"].value.endswith("Thành phố Hồ Chí Minh")
    assert fields["noi_thuong_tru"].box[3] == 1120  # the box covers both lines
    assert fields["so_dien_thoai"].value == "0860363103"  # a number never swallows the next line
    assert fields["que_quan"].value == "xã Nghĩa Hưng"  # its line ended early: no wrap


def test_a_wrapped_value_keeps_the_comma_its_first_line_ends_with():
    page = PageText(
        0,
        2480,
        3508,
        TextSource.OCR,
        [
            _line("Nơi thường trú: Số 34, ngõ 165 đường Lê Đức Thọ, Phường 17, quận Gò Vấp,", 200, 1000, 2280),
            _line("Thành phố Hồ Chí Minh", 200, 1070, 820),
        ],
    )
    fields = extract_fields(DocumentKind.DON, [page], 0.8, TODAY)
    assert fields["noi_thuong_tru"].value.endswith("quận Gò Vấp, Thành phố Hồ Chí Minh")


def test_a_value_whose_full_line_runs_on_into_a_line_that_looks_like_a_label_may_be_cut_short():
    page = PageText(
        0,
        2480,
        3508,
        TextSource.OCR,
        [
            _line("Giấy tờ tùy thân: Căn cước công dân số 001190012345, cấp ngày 15/04/2021, nơi", 200, 1000, 2280),
            _line("cấp: Cục Cảnh sát quản lý hành chính về trật tự xã hội", 200, 1070, 1700),
            _line("Nơi cư trú: Số 8 phố Huế, phường Hai Bà Trưng, thành phố Hà Nội", 200, 1140, 2000),
            _line("Số điện thoại: 0912345678", 200, 1210, 900),
        ],
    )
    fields = extract_fields(DocumentKind.TO_KHAI_KHAI_SINH, [page], 0.8, TODAY)
    assert fields["giay_to_tuy_than"].detail == {"may_continue": True}
    assert fields["noi_cu_tru"].detail is None  # its line ended early: a whole value
    page.lines[:2] = [
        _line("Giấy tờ tùy thân: Căn cước công dân số 001190012345, cấp ngày", 200, 1000, 2280),
        _line("15/04/2021, nơi cấp: Cục Cảnh sát quản lý hành chính về trật tự xã hội", 200, 1070, 2000),
    ]
    assert extract_fields(DocumentKind.TO_KHAI_KHAI_SINH, [page], 0.8, TODAY)["giay_to_tuy_than"].detail == {
        "may_continue": True
    }


def test_card_value_is_the_line_under_the_caption_by_position():
    # "Có giá trị đến" sits left, under the photo, level with the address: reading order
    # may put it between the caption and the value; position does not.
    page = PageText(
        0,
        1012,
        638,
        TextSource.OCR,
        [
            _line("Nơi thường trú / Place of residence:", 285, 480, 640),
            _line("Có giá trị đến: 25/10/2033", 30, 530, 250),
            _line("Số 188 đường Pasteur, Bến Nghé, Quận 1, Hồ Chí Minh", 288, 522, 870),
        ],
    )
    fields = extract_fields(DocumentKind.CCCD_FRONT, [page], 0.8, TODAY)
    assert fields["noi_thuong_tru"].value == "Số 188 đường Pasteur, Bến Nghé, Quận 1, Hồ Chí Minh"
    assert fields["co_gia_tri_den"].value == "25/10/2033"


def test_malformed_email_and_phone_are_invalid_not_ok():
    page = _page(["Email: thuynguyen94()gmail.com", "Số điện thoại liên hệ: 09449232"])
    fields = _verified(DocumentKind.CT01, [page])
    assert fields["email"].status == FieldStatus.INVALID
    assert fields["so_dien_thoai"].status == FieldStatus.INVALID


def test_misread_captions_still_find_their_values():
    page = _page(
        [
            "CĂN CƯỚC CÔNG DÂN",
            "Citizen Identity Card",
            "Số I No.: 087192874700",
            "to và tên í Fu\\ narnae:",  # "Họ và tên / Full name:" as a photo reads it
            "HOÀNG MỸ NGUYỆT",
            "Ngày sinh / Date of bìrth: 26/05/1 992",
            "Nơi tạm trú: Số 5 phố Huế",
        ]
    )
    fields = extract_fields(DocumentKind.CCCD_FRONT, [page], 0.8, TODAY)
    assert fields["ho_va_ten"].value == "HOÀNG MỸ NGUYỆT"
    assert fields["ngay_sinh"].value == "26/05/1992"
    assert fields["so_dinh_danh"].value == "087192874700"
    assert "noi_thuong_tru" not in fields  # a near label is not taken for another field


def test_a_label_word_ending_a_sentence_is_not_a_caption():
    page = _page(
        [
            "Đề nghị xác nhận nơi thường trú",
            "của tôi để bổ sung hồ sơ.",
            "Họ và tên / Full name.",  # caption whose colon was read as a dot
            "LÊ VĂN AN",
        ]
    )
    fields = extract_fields(DocumentKind.DON, [page], 0.8, TODAY)
    assert "noi_thuong_tru" not in fields
    assert fields["ho_va_ten"].value == "LÊ VĂN AN"


def test_a_value_ending_with_a_word_that_needs_more_is_unfinished():
    from pipeline.fields.extract import ends_unfinished

    assert ends_unfinished("Số 42, ngõ 244 đường Yên Phụ, phường Tây Hồ, thành phố")
    assert ends_unfinished("Căn cước công dân số 079071703195, cấp ngày")
    assert ends_unfinished("Thôn Đông, xã")
    assert not ends_unfinished("Số 42, ngõ 244 đường Yên Phụ, phường Tây Hồ, thành phố Hà Nội")
    assert not ends_unfinished("Xã Tân Phú")  # the type word begins it, the name ends it
    assert not ends_unfinished("Trung tâm Phục vụ hành chính công các phường, xã")  # wards and communes


def test_identity_numbers_are_ascii_digits_fullwidth_ones_normalised():
    assert check_value("so_dinh_danh", "００１０９９０１２３４５") == ("001099012345", True)
    arabic = "".join(chr(0x0660 + int(d)) for d in "001099012345")
    assert check_value("so_dinh_danh", arabic)[1] is False
    assert check_value("so_dien_thoai", "０９１２３４５６７８") == ("0912345678", True)
    assert check_value("so_dien_thoai", "".join(chr(0x0966 + int(d)) for d in "0912345678"))[1] is False


def test_a_templates_note_marks_are_no_value_and_do_not_hide_a_label():
    # Note marks are read as superscript digits (pipeline.layout.note_marks): a blank slot's
    # `…⁷…` is no value `7`, and a label carrying one is still the label.
    fields = extract_fields(
        DocumentKind.DON,
        [_page(["Kính gửi: ...⁷...", "Họ và tên¹: Nguyễn Văn An", "Số điện thoại²: ..."])],
        0.8,
        TODAY,
    )
    assert "kinh_gui" not in fields
    assert "so_dien_thoai" not in fields
    assert fields["ho_va_ten"].value == "Nguyễn Văn An"
