"""Field names, in one place: what each extracted field means and how it is labelled.

Field names are snake_case Vietnamese without diacritics and are part of the output
contract. Labels are the printed captions the extractor looks for (matched without
diacritics or case); the first one is the canonical Vietnamese caption shown to staff.
A form line "Nhãn: giá trị" whose label is not listed here is still reported, under the
label's own slug (see `pipeline.text.slugify`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources


class ValueType(StrEnum):
    TEXT = "text"
    NAME = "name"  # person's name: letters and spaces, in capitals on cards (canonical forms below)
    DATE = "date"  # DD/MM/YYYY
    ID12 = "id12"  # 12-digit personal identification number
    ID9 = "id9"  # 9-digit number of the old CMND
    GENDER = "gender"  # Nam | Nữ
    PHONE = "phone"  # Vietnamese phone number, stored as digits
    EMAIL = "email"


# Canonical forms: a value takes one form whatever source gave it (the print as read by OCR,
# a PDF's text layer, a card's QR code, its MRZ), so that the same person or place reads the
# same in every output (`pipeline.fields.verify.canonical` applies them):
# - a person's name (ValueType.NAME) as the document prints it: in CAPITALS on an identity card
#   ("PHẠM THỊ THUỴ", though the card's QR code writes "Phạm Thị Thuỵ"), as written on a form or
#   a certificate ("Trần Thị Thu Hằng"). Tone marks stay where the document puts them (the old
#   "Thuỵ" and the new "Thụy" are not made alike); the MRZ's unmarked capitals are only a check,
#   never the value. On a card whose own QR code decodes and passes its checks, the code's value
#   (in the card's capitals) is the one returned where the print differs ("print_differs");
# - a place (ADDRESS_FIELDS, "kinh_gui") as the document prints it, letters and case; where a
#   card's QR code carries the same place, its punctuation (the code's is exact, a reading's may
#   not be);
# - a date (ValueType.DATE) DD/MM/YYYY, normalized where its digits are unambiguous ("20/1 1/1978"
#   read with a stray space is 20/11/1978), or "Không thời hạn" for a card that never expires; a
#   date in any other shape is never `ok`.


@cache
def reader_blind_spots() -> dict[str, dict[str, str]]:
    """What each source of a value cannot write (`models/data/reader_charsets.json`, derived from
    the recognizers' own character sets; `tests/test_blind_spots.py` re-derives it): source
    ("ocr", "ocr2", "ocr3", "mrz") -> {letter it cannot write: the letter it writes instead}."""
    data = json.loads(resources.files("models").joinpath("data/reader_charsets.json").read_text(encoding="utf-8"))
    return {source: dict(spec["writes_instead"]) for source, spec in data["sources"].items()}


# Values of the sex: the closed vocabulary of ValueType.GENDER.
GENDER_VALUES = ("Nam", "Nữ")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    value_type: ValueType
    labels: tuple[str, ...]
    description: str


FIELD_SPECS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "so_dinh_danh",
        ValueType.ID12,
        ("Số định danh cá nhân", "Số định danh", "Số CCCD", "Số căn cước công dân", "Số căn cước", "Số", "No"),
        "12-digit personal identification number (CCCD / căn cước).",
    ),
    FieldSpec(
        "ho_va_ten",
        ValueType.NAME,
        (
            "Họ và tên",
            "Họ, chữ đệm và tên khai sinh",
            "Họ, chữ đệm và tên",
            "Họ, chữ đệm, tên",
            "Họ tên",
            "Tôi tên là",
            "Full name",
        ),
        "Full name with tone marks, as printed (in capitals on a card).",
    ),
    FieldSpec(
        "so_cmnd",
        ValueType.ID9,
        ("Số CMND", "Số chứng minh nhân dân"),
        "9-digit number of the old CMND (chứng minh nhân dân).",
    ),
    FieldSpec(
        "ngay_sinh",
        ValueType.DATE,
        ("Ngày sinh", "Ngày, tháng, năm sinh", "Sinh ngày", "Date of birth"),
        "Date of birth, DD/MM/YYYY.",
    ),
    FieldSpec("gioi_tinh", ValueType.GENDER, ("Giới tính", "Sex"), "Nam or Nữ."),
    FieldSpec("quoc_tich", ValueType.TEXT, ("Quốc tịch", "Nationality"), "Nationality, e.g. Việt Nam."),
    FieldSpec(
        "que_quan", ValueType.TEXT, ("Quê quán", "Nguyên quán", "Place of origin"), "Place of origin (home town)."
    ),
    FieldSpec(
        "noi_thuong_tru",
        ValueType.TEXT,
        ("Nơi thường trú", "Nơi ĐKHK thường trú", "Place of residence"),
        "Permanent residence address.",
    ),
    FieldSpec(
        "co_gia_tri_den",
        ValueType.DATE,
        ("Có giá trị đến", "Ngày, tháng, năm hết hạn", "Ngày hết hạn", "Date of expiry"),
        "Card expiry date, DD/MM/YYYY.",
    ),
    FieldSpec(
        "ngay_cap",
        ValueType.DATE,
        ("Ngày cấp", "Ngày, tháng, năm cấp", "Ngày, tháng, năm", "Date, month, year", "Date of issue"),
        "Date of issue of a card, DD/MM/YYYY (on the CCCD back: 'Ngày, tháng, năm').",
    ),
    FieldSpec(
        "dac_diem_nhan_dang",
        ValueType.TEXT,
        ("Đặc điểm nhân dạng", "Personal identification"),
        "Identifying marks printed on the CCCD back.",
    ),
    FieldSpec("dan_toc", ValueType.TEXT, ("Dân tộc",), "Ethnicity."),
    FieldSpec("ton_giao", ValueType.TEXT, ("Tôn giáo",), "Religion."),
    FieldSpec("noi_sinh", ValueType.TEXT, ("Nơi sinh",), "Place of birth."),
    FieldSpec(
        "noi_dang_ky_khai_sinh",
        ValueType.TEXT,
        ("Nơi đăng ký khai sinh",),
        "Place of birth registration (căn cước 2024 back, birth certificate).",
    ),
    FieldSpec("noi_cu_tru", ValueType.TEXT, ("Nơi cư trú",), "Place of residence (căn cước 2024)."),
    FieldSpec("noi_tam_tru", ValueType.TEXT, ("Nơi tạm trú",), "Temporary residence address."),
    FieldSpec("noi_o_hien_tai", ValueType.TEXT, ("Nơi ở hiện tại",), "Current address."),
    FieldSpec(
        "so_dien_thoai",
        ValueType.PHONE,
        ("Số điện thoại liên hệ", "Số điện thoại", "Điện thoại"),
        "Phone number, digits only.",
    ),
    FieldSpec("email", ValueType.EMAIL, ("Email", "Thư điện tử"), "E-mail address."),
    FieldSpec("kinh_gui", ValueType.TEXT, ("Kính gửi",), "Addressee of a đơn or tờ khai."),
    # Birth certificate (giấy khai sinh).
    FieldSpec("quyen_so", ValueType.TEXT, ("Quyển số",), "Register book number of a civil-status record."),
    FieldSpec("ngay_sinh_bang_chu", ValueType.TEXT, ("Ghi bằng chữ", "Bằng chữ"), "Date of birth in words."),
    FieldSpec(
        "ho_ten_me", ValueType.NAME, ("Họ, chữ đệm, tên người mẹ", "Họ và tên mẹ", "Họ tên mẹ"), "Mother's full name."
    ),
    FieldSpec(
        "ho_ten_cha",
        ValueType.NAME,
        ("Họ, chữ đệm, tên người cha", "Họ và tên cha", "Họ tên cha"),
        "Father's full name.",
    ),
    FieldSpec(
        "ngay_dang_ky",
        ValueType.DATE,
        ("Ngày, tháng, năm đăng ký", "Ngày đăng ký"),
        "Date of registration, DD/MM/YYYY.",
    ),
    # Official documents (công văn, quyết định): found by layout (pipeline.fields.official_doc), not labels.
    FieldSpec("co_quan_ban_hanh", ValueType.TEXT, (), "Issuing body of an official document."),
    FieldSpec("so_ky_hieu", ValueType.TEXT, (), "Number and symbol, e.g. 125/QĐ-UBND."),
    FieldSpec("ngay_ban_hanh", ValueType.DATE, (), "Date of issue of an official document, DD/MM/YYYY."),
    FieldSpec("trich_yeu", ValueType.TEXT, (), "Subject (trích yếu) of an official document."),
    FieldSpec("nguoi_ky", ValueType.NAME, (), "Signer's full name."),
    FieldSpec("chuc_vu_nguoi_ky", ValueType.TEXT, (), "Signer's authority and title, as printed."),
)

# Fields that hold an address or a place: normalized to the 2025 administrative units.
ADDRESS_FIELDS = frozenset(
    {"que_quan", "noi_thuong_tru", "noi_cu_tru", "noi_tam_tru", "noi_o_hien_tai", "noi_sinh", "noi_dang_ky_khai_sinh"}
)
# Bodies a đơn or tờ khai is addressed to ("Kính gửi: Ủy ban nhân dân phường X"): a known body
# followed by a catalogued unit validates the addressee.
ADDRESSEE_BODIES = (
    "Ủy ban nhân dân",
    "UBND",
    "Công an",
    "Phòng Tư pháp",
    "Chủ tịch Ủy ban nhân dân",
    "Trung tâm Phục vụ hành chính công",
)
# Words a value cannot end with: a unit's type without its name ("..., thành phố"), a phrase
# waiting for its object ("cấp ngày", "nơi cấp"). A value ending so was cut at a line wrap.
CONTINUING_WORDS = (
    "ngày",
    "tháng",
    "năm",
    "số",
    "cấp",
    "nơi",
    "tại",
    "của",
    "và",
    "với",
    "thành phố",
    "tỉnh",
    "quận",
    "huyện",
    "thị xã",
    "thị trấn",
    "phường",
    "xã",
    "đường",
    "phố",
    "ngõ",
    "ngách",
    "hẻm",
    "tổ",
    "thôn",
    "ấp",
    "khu phố",
    "số nhà",
)
# Words that open a part of an address ("Tổ 38, đường ..., phường ..."): a closed vocabulary.
# A part opening with one of them up to tone marks but not exactly ("Tố 38") was misread.
ADDRESS_TYPE_WORDS = (
    "tổ dân phố",
    "khu phố",
    "thị trấn",
    "thị xã",
    "thành phố",
    "đặc khu",
    "tổ",
    "thôn",
    "ấp",
    "xóm",
    "bản",
    "buôn",
    "khóm",
    "làng",
    "khu",
    "số",
    "ngõ",
    "ngách",
    "hẻm",
    "kiệt",
    "đường",
    "phố",
    "phường",
    "xã",
    "quận",
    "huyện",
    "tỉnh",
)
# Fields about the holder of a document, checked against the holder's card (QR, MRZ).
PERSON_FIELDS = ("so_dinh_danh", "ho_va_ten", "ngay_sinh", "gioi_tinh")

# Shown to reviewers next to a field that needs them (models.document.ReviewReason).
REVIEW_REASONS_VI = {
    "low_confidence": "Đọc chưa chắc chắn",
    "single_source": "Không có nguồn thứ hai để đối chiếu",
    "sources_disagree": "Các nguồn không khớp nhau (chữ in, mã QR, MRZ)",
    "rule_failed": "Giá trị không hợp lệ",
    "handwritten": "Chữ viết tay",
    "ambiguous_unit": "Đơn vị hành chính cũ được chia cho nhiều đơn vị mới",
    "unknown_unit": "Không tìm thấy đơn vị hành chính",
    "may_continue": "Giá trị có thể còn tiếp ở dòng dưới",
}

_BY_NAME = {spec.name: spec for spec in FIELD_SPECS}


def field_spec(name: str) -> FieldSpec | None:
    return _BY_NAME.get(name)
