"""The decision per field across a dossier's sources, and an upload split into documents."""

from dataclasses import dataclass
from datetime import date

from models.document import Barcode, DocumentKind, FieldStatus, PageText, ReviewReason, TextLine, TextSource
from pipeline.fields.classify import classify_page, split_pages
from pipeline.fields.extract import extract_fields
from pipeline.fields.verify import PartInput, verify_parts
from samples.identity import mrz_td1

TODAY = date(2026, 11, 21)


def _page(texts, index=0, size=(1012, 638), conf=0.95, codes=(), handwriting=()):
    lines = [TextLine(t, (60, 40 + 45 * i, 60 + 22 * len(t), 80 + 45 * i), conf) for i, t in enumerate(texts)]
    return PageText(index, size[0], size[1], TextSource.OCR, lines, codes=list(codes), handwriting=list(handwriting))


class _Places:
    def __init__(self, resolver):
        self.resolve_address = resolver

    def spelled_as_catalogued(self, text):
        return False

    def ends_with_province(self, text):
        return True

    def misspelled_units(self, text):
        return []


def _verify(*pages_and_kinds, resolver=None):
    parts = [PartInput(kind, [page], extract_fields(kind, [page], 0.8, TODAY)) for kind, page in pages_and_kinds]
    return verify_parts(
        parts, review_threshold=0.8, ok_threshold=0.9, today=TODAY, places=_Places(resolver) if resolver else None
    )


QR = "079304001122||Trần Thị Thu Hằng|29022004|Nữ|Số 5 đường Lê Lợi, Bến Nghé, Quận 1, Hồ Chí Minh|15042021"
MRZ = mrz_td1("079304001122", date(2004, 2, 29), False, date(2029, 2, 28), "Trần", "Thị Thu Hằng")

CAN_CUOC_FRONT = [
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "CĂN CƯỚC",
    "IDENTITY CARD",
    "Số định danh cá nhân / Personal identification number: 079304001122",
    "Họ, chữ đệm và tên khai sinh / Full name:",
    "TRẦN THỊ THU HẰNG",
    "Ngày, tháng, năm sinh / Date of birth: 29/02/2004",
    "Giới tính / Sex: Nữ",
    "Quốc tịch / Nationality: Việt Nam",
]
CAN_CUOC_BACK = [
    "Nơi cư trú / Place of residence: Số 5 đường Lê Lợi, Bến Nghé, Quận 1, Hồ Chí Minh",
    "Nơi đăng ký khai sinh / Place of birth: Phường Sài Gòn, Thành phố Hồ Chí Minh",
    "Ngày, tháng, năm cấp / Date of issue: 15/04/2021",
    "BỘ CÔNG AN",
    *MRZ,
]
CT01 = [
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "TỜ KHAI THAY ĐỔI THÔNG TIN CƯ TRÚ",
    "Kính gửi: Công an phường Sài Gòn",
    "1. Họ, chữ đệm và tên: Trần Thị Thu Hằng",
    "2. Ngày, tháng, năm sinh: 29/02/2004   3. Giới tính: Nữ",
    "4. Số định danh cá nhân: 079304001122",
    "5. Số điện thoại liên hệ: 0912345678",
]


def test_a_form_is_checked_against_the_card_of_the_same_person():
    back = _page(CAN_CUOC_BACK, codes=[Barcode("QRCode", QR, (700, 20, 990, 300))])
    form = _page(CT01, size=(2480, 3508))
    card_back, ct01 = _verify((DocumentKind.CAN_CUOC_BACK, back), (DocumentKind.CT01, form))
    for name in ("ho_va_ten", "ngay_sinh", "gioi_tinh", "so_dinh_danh"):
        assert ct01[name].status == FieldStatus.OK, name
        assert "qr" in ct01[name].sources and "mrz" in ct01[name].sources or name == "ho_va_ten"
    assert ct01["ho_va_ten"].value == "Trần Thị Thu Hằng"
    assert ct01["so_dien_thoai"].sources == ("ocr", "rule")
    # The back's own issue date and address agree with its QR code.
    assert card_back["ngay_cap"].status == FieldStatus.OK
    assert card_back["noi_cu_tru"].status == FieldStatus.OK
    # Only the back's codes carry the number and birth date; the name is not taken from the MRZ alone...
    assert card_back["so_dinh_danh"].sources == ("qr",) or "mrz" in card_back["so_dinh_danh"].sources


def test_card_front_without_qr_is_confirmed_by_the_back_mrz_with_tone_marks_kept():
    front = _page(CAN_CUOC_FRONT)
    back = _page([line for line in CAN_CUOC_BACK if "Nơi" not in line], index=0)
    fields, back_fields = _verify((DocumentKind.CAN_CUOC_FRONT, front), (DocumentKind.CAN_CUOC_BACK, back))
    assert fields["so_dinh_danh"].status == FieldStatus.OK and "mrz" in fields["so_dinh_danh"].sources
    assert fields["ngay_sinh"].status == FieldStatus.OK
    # The MRZ confirms the name's letters, not its marks: read once, they need a person
    # (`tests/test_blind_spots.py`: a second reader reading them alike confirms them).
    assert fields["ho_va_ten"].status == FieldStatus.NEEDS_REVIEW and "mrz" in fields["ho_va_ten"].sources
    assert (fields["ho_va_ten"].detail or {})["marks_unconfirmed"] is True
    assert fields["ho_va_ten"].value == "TRẦN THỊ THU HẰNG"  # never the MRZ's TRAN THI THU HANG
    assert back_fields["co_gia_tri_den"].value == "28/02/2029"
    assert "ho_va_ten" not in back_fields  # the MRZ's stripped name is not a value


def test_mrz_with_a_wrong_check_digit_confirms_nothing():
    broken = list(MRZ)
    broken[1] = broken[1][:14] + str((int(broken[1][14]) + 1) % 10) + broken[1][15:]
    back = _page(["BỘ CÔNG AN", *broken])
    front, back_fields = _verify(
        (DocumentKind.CAN_CUOC_FRONT, _page(CAN_CUOC_FRONT)), (DocumentKind.CAN_CUOC_BACK, back)
    )
    assert "mrz" not in front["so_dinh_danh"].sources
    assert front["ho_va_ten"].status == FieldStatus.NEEDS_REVIEW  # a name has no rule: the MRZ was its check
    assert "so_dinh_danh" not in back_fields


def test_disagreeing_sources_and_contradictions_go_to_review():
    form = _page([t.replace("29/02/2004", "28/02/2004") for t in CT01], size=(2480, 3508))
    back = _page(CAN_CUOC_BACK, codes=[Barcode("QRCode", QR, (700, 20, 990, 300))])
    _, ct01 = _verify((DocumentKind.CAN_CUOC_BACK, back), (DocumentKind.CT01, form))
    assert ct01["ngay_sinh"].status == FieldStatus.NEEDS_REVIEW
    assert ct01["ngay_sinh"].reason == ReviewReason.SOURCES_DISAGREE
    assert ct01["ngay_sinh"].detail["qr_value"] == "29/02/2004"
    # Alone, a number whose digits contradict the printed sex is not ok.
    alone = _page([t.replace("Giới tính: Nữ", "Giới tính: Nam") for t in CT01], size=(2480, 3508))
    (fields,) = _verify((DocumentKind.CT01, alone))
    assert fields["so_dinh_danh"].status == FieldStatus.NEEDS_REVIEW
    assert fields["gioi_tinh"].status == FieldStatus.NEEDS_REVIEW


def test_impossible_and_future_dates():
    texts = [t.replace("15/04/2021", "15/04/2027") for t in CAN_CUOC_BACK]
    (back,) = _verify((DocumentKind.CAN_CUOC_BACK, _page(texts)))
    assert back["ngay_cap"].status == FieldStatus.INVALID
    texts = [t.replace("29/02/2004", "30/02/2004") for t in CT01]
    (form,) = _verify((DocumentKind.CT01, _page(texts, size=(2480, 3508))))
    assert form["ngay_sinh"].status == FieldStatus.INVALID


def test_handwritten_values_are_never_ok():
    form = _page(CT01, size=(2480, 3508), handwriting=[(300, 260, 1200, 360)])  # over the phone line
    (fields,) = _verify((DocumentKind.CT01, form))
    phone = fields["so_dien_thoai"]
    assert phone.status == FieldStatus.NEEDS_REVIEW and phone.reason == ReviewReason.HANDWRITTEN


@dataclass(frozen=True)
class _Unit:
    code: str
    name: str
    province_code: str = "79"
    province_name: str = "Thành phố Hồ Chí Minh"


@dataclass(frozen=True)
class _Resolution:
    status: str
    ward: _Unit | None = None
    province: _Unit | None = None
    candidates: tuple = ()
    legacy: bool = True


def test_an_ambiguous_ward_goes_to_review_with_its_candidates_and_the_text_kept():
    def resolver(text):
        return _Resolution(
            "ambiguous", candidates=(_Unit("26734", "Phường Sài Gòn"), _Unit("26740", "Phường Bến Thành"))
        )

    back = _page(CAN_CUOC_BACK, codes=[Barcode("QRCode", QR, (700, 20, 990, 300))])
    (fields,) = _verify((DocumentKind.CAN_CUOC_BACK, back), resolver=resolver)
    address = fields["noi_cu_tru"]
    assert address.status == FieldStatus.NEEDS_REVIEW and address.reason == ReviewReason.AMBIGUOUS_UNIT
    assert address.value == "Số 5 đường Lê Lợi, Bến Nghé, Quận 1, Hồ Chí Minh"
    assert [c["ward"] for c in address.detail["unit"]["candidates"]] == ["Phường Sài Gòn", "Phường Bến Thành"]

    def unknown(text):
        return _Resolution("unknown")

    (fields,) = _verify((DocumentKind.CAN_CUOC_BACK, back), resolver=unknown)
    assert fields["noi_cu_tru"].reason == ReviewReason.UNKNOWN_UNIT


def test_one_upload_split_into_documents_by_kind_in_order():
    front = _page(CAN_CUOC_FRONT, index=0)
    back = _page(CAN_CUOC_BACK, index=1)
    form1 = _page(CT01, index=2, size=(2480, 3508))
    form2 = _page(
        ["7. Họ, chữ đệm và tên chủ hộ: Lê Thị Hồng", "Người kê khai", "(Ký, ghi rõ họ tên)"],
        index=3,
        size=(2480, 3508),
    )
    unknown = _page(["Danh sách hàng hóa nhập kho tháng 3"], index=4, size=(2480, 3508))
    parts = split_pages([front, back, form1, form2])
    assert [(p.kind, p.pages) for p in parts] == [
        (DocumentKind.CAN_CUOC_FRONT, (0,)),
        (DocumentKind.CAN_CUOC_BACK, (1,)),
        (DocumentKind.CT01, (2, 3)),
    ]
    assert all(0 < p.confidence <= 1 for p in parts)
    assert classify_page(unknown).kind == DocumentKind.OTHER and classify_page(unknown).confidence == 0
    # Layout counts: the same weak words place an A4 page but not a card-shaped one.
    words = ["Đơn xin", "Kính gửi: Ủy ban nhân dân"]
    assert classify_page(_page(words, size=(2480, 3508))).kind == DocumentKind.DON
    assert classify_page(_page(words)).kind == DocumentKind.OTHER


def test_a_place_spelled_as_in_the_catalogue_is_validated_and_a_tone_slip_is_not():
    from pipeline.fields import address

    card = [*CAN_CUOC_FRONT[:3], "Số / No.: 079304001122", "Quê quán / Place of origin:", "Kim Liên, Nam Đàn, Nghệ An"]
    parts = [
        PartInput(
            DocumentKind.CCCD_FRONT, [_page(card)], extract_fields(DocumentKind.CCCD_FRONT, [_page(card)], 0.8, TODAY)
        )
    ]
    (fields,) = verify_parts(parts, review_threshold=0.8, ok_threshold=0.9, today=TODAY, places=address)
    assert fields["que_quan"].status == FieldStatus.OK and fields["que_quan"].sources == ("ocr", "rule")
    assert fields["que_quan"].detail["unit"]["ward"] == "Xã Kim Liên"
    slip = [t.replace("Nam Đàn", "Nam Dàn") for t in card]
    parts = [
        PartInput(
            DocumentKind.CCCD_FRONT, [_page(slip)], extract_fields(DocumentKind.CCCD_FRONT, [_page(slip)], 0.8, TODAY)
        )
    ]
    (fields,) = verify_parts(parts, review_threshold=0.8, ok_threshold=0.9, today=TODAY, places=address)
    assert fields["que_quan"].status == FieldStatus.NEEDS_REVIEW
    assert fields["que_quan"].value == "Kim Liên, Nam Dàn, Nghệ An"  # the text as read is kept


def test_a_birth_date_in_figures_and_in_words_confirm_each_other():
    texts = [
        "GIẤY KHAI SINH",
        "Họ, chữ đệm, tên: PHẠM THỊ THUỶ",
        "Ngày, tháng, năm sinh: 13/04/2023",
        "Ghi bằng chữ: Ngày mười ba, tháng tư, năm hai nghìn không trăm hai mươi ba",
    ]
    page = _page(texts, size=(2480, 3508), conf=0.85)  # below ok_confidence: the rule alone would not do
    (fields,) = _verify((DocumentKind.GIAY_KHAI_SINH, page))
    assert fields["ngay_sinh"].status == FieldStatus.OK and "in_words" in fields["ngay_sinh"].sources
    assert fields["ngay_sinh_bang_chu"].status == FieldStatus.OK
    texts[2] = "Ngày, tháng, năm sinh: 18/04/2023"
    (fields,) = _verify((DocumentKind.GIAY_KHAI_SINH, _page(texts, size=(2480, 3508))))
    assert fields["ngay_sinh"].status == FieldStatus.NEEDS_REVIEW
    assert fields["ngay_sinh"].detail["in_words"] == "13/04/2023"


def test_a_number_with_a_foreign_birth_code_is_not_ok_on_its_format_alone():
    texts = [t.replace("079304001122", "237304001122") for t in CT01]
    (fields,) = _verify((DocumentKind.CT01, _page(texts, size=(2480, 3508))))
    assert fields["so_dinh_danh"].status == FieldStatus.NEEDS_REVIEW
    (fields,) = _verify((DocumentKind.CT01, _page(CT01, size=(2480, 3508))))
    assert fields["so_dinh_danh"].status == FieldStatus.OK and fields["so_dinh_danh"].sources == ("ocr", "rule")


def test_a_form_partly_written_by_hand_keeps_only_confirmed_values_ok():
    # The phone line is under a handwriting mark; the birth date (typed-looking) is not.
    form = _page(CT01, size=(2480, 3508), handwriting=[(300, 260, 1200, 360)])
    (fields,) = _verify((DocumentKind.CT01, form))
    assert fields["so_dien_thoai"].reason == ReviewReason.HANDWRITTEN
    assert fields["ngay_sinh"].status == FieldStatus.NEEDS_REVIEW
    assert fields["ngay_sinh"].detail["form_filled_by_hand"] is True
    # With the holder's card in the dossier, what the card confirms stays ok.
    back = _page(CAN_CUOC_BACK, codes=[Barcode("QRCode", QR, (700, 20, 990, 300))])
    _, fields = _verify((DocumentKind.CAN_CUOC_BACK, back), (DocumentKind.CT01, form))
    assert fields["ngay_sinh"].status == FieldStatus.OK


def test_a_reading_with_a_case_flipped_inside_a_word_is_not_ok_on_a_rule():
    from pipeline.fields import address

    def addressee(texts):
        page = _page(texts, size=(2480, 3508))
        parts = [PartInput(DocumentKind.CT01, [page], extract_fields(DocumentKind.CT01, [page], 0.8, TODAY))]
        return verify_parts(parts, review_threshold=0.8, ok_threshold=0.9, today=TODAY, places=address)[0]["kinh_gui"]

    assert addressee(CT01).status == FieldStatus.OK  # a known body and a catalogued ward
    flipped = [t.replace("Công an phường Sài Gòn", "Công an phƯờng Sài Gòn") for t in CT01]
    assert addressee(flipped).status == FieldStatus.NEEDS_REVIEW
