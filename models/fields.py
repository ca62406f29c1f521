"""Field names, in one place: what each extracted field means and how it is labelled.

Field names are snake_case Vietnamese without diacritics and are part of the output
contract. Labels are the printed captions the extractor looks for (matched without
diacritics or case); the first one is the canonical Vietnamese caption shown to staff.
A form line "Nhãn: giá trị" whose label is not listed here is still reported, under the
label's own slug (see `pipeline.text.slugify`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ValueType(StrEnum):
    TEXT = "text"
    NAME = "name"  # person's name: letters and spaces, upper-cased on cards
    DATE = "date"  # DD/MM/YYYY
    ID12 = "id12"  # 12-digit personal identification number
    GENDER = "gender"  # Nam | Nữ
    PHONE = "phone"  # Vietnamese phone number, stored as digits
    EMAIL = "email"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    value_type: ValueType
    labels: tuple[str, ...]
    description: str


FIELD_SPECS: tuple[FieldSpec, ...] = (
    FieldSpec("so_dinh_danh", ValueType.ID12,
              ("Số định danh cá nhân", "Số định danh", "Số CCCD", "Số căn cước công dân", "Số căn cước",
               "Số", "No"),
              "12-digit personal identification number (CCCD / căn cước)."),
    FieldSpec("ho_va_ten", ValueType.NAME,
              ("Họ và tên", "Họ, chữ đệm và tên khai sinh", "Họ, chữ đệm và tên", "Họ, chữ đệm, tên", "Họ tên",
               "Tôi tên là", "Full name"),
              "Full name with tone marks, as printed."),
    FieldSpec("ngay_sinh", ValueType.DATE,
              ("Ngày sinh", "Ngày, tháng, năm sinh", "Date of birth"),
              "Date of birth, DD/MM/YYYY."),
    FieldSpec("gioi_tinh", ValueType.GENDER, ("Giới tính", "Sex"), "Nam or Nữ."),
    FieldSpec("quoc_tich", ValueType.TEXT, ("Quốc tịch", "Nationality"), "Nationality, e.g. Việt Nam."),
    FieldSpec("que_quan", ValueType.TEXT, ("Quê quán", "Place of origin"), "Place of origin (home town)."),
    FieldSpec("noi_thuong_tru", ValueType.TEXT,
              ("Nơi thường trú", "Place of residence"), "Permanent residence address."),
    FieldSpec("co_gia_tri_den", ValueType.DATE,
              ("Có giá trị đến", "Date of expiry"), "Card expiry date, DD/MM/YYYY."),
    FieldSpec("ngay_cap", ValueType.DATE,
              ("Ngày cấp", "Ngày, tháng, năm", "Date, month, year", "Date of issue"),
              "Date of issue of a card, DD/MM/YYYY (on the CCCD back: 'Ngày, tháng, năm')."),
    FieldSpec("dac_diem_nhan_dang", ValueType.TEXT, ("Đặc điểm nhân dạng", "Personal identification"),
              "Identifying marks printed on the CCCD back."),
    FieldSpec("dan_toc", ValueType.TEXT, ("Dân tộc",), "Ethnicity."),
    FieldSpec("ton_giao", ValueType.TEXT, ("Tôn giáo",), "Religion."),
    FieldSpec("noi_sinh", ValueType.TEXT, ("Nơi sinh",), "Place of birth."),
    FieldSpec("noi_cu_tru", ValueType.TEXT, ("Nơi cư trú",), "Place of residence (căn cước 2024)."),
    FieldSpec("noi_tam_tru", ValueType.TEXT, ("Nơi tạm trú",), "Temporary residence address."),
    FieldSpec("noi_o_hien_tai", ValueType.TEXT, ("Nơi ở hiện tại",), "Current address."),
    FieldSpec("so_dien_thoai", ValueType.PHONE, ("Số điện thoại liên hệ", "Số điện thoại", "Điện thoại"),
              "Phone number, digits only."),
    FieldSpec("email", ValueType.EMAIL, ("Email", "Thư điện tử"), "E-mail address."),
    FieldSpec("kinh_gui", ValueType.TEXT, ("Kính gửi",), "Addressee of a đơn or tờ khai."),
)

_BY_NAME = {spec.name: spec for spec in FIELD_SPECS}


def field_spec(name: str) -> FieldSpec | None:
    return _BY_NAME.get(name)
