"""The checks a value typed by a person gets before it is stored (a reviewer's correction, or a
value they confirm): the same rules the pipeline holds its readings to, said in Vietnamese.

- the field type's rule (`pipeline.fields.values.check_value`): a date DD/MM/YYYY, an ID
  number of 12 digits, a phone number, a sex Nam / Nữ, an e-mail address;
- an ID number's structure (`pipeline.fields.idcheck.id12_problems`): province or country
  code, the century-and-sex digit;
- a date that is a real day, not after today (a card's expiry aside);
- a place that names a catalogued 2025 administrative unit (`pipeline.fields.address`): an
  old unit merged or split since 2025 is still a catalogued one; a province alone (a home town
  on older papers) counts. Only this check may be overridden, by a reviewer who says so (a
  place abroad): `is_place_field`.

Pure: the value and today's date in, the value as it would be stored and the problems out.
"""

from __future__ import annotations

import re
from datetime import date

from models.fields import ADDRESS_FIELDS, ValueType
from pipeline.fields import address
from pipeline.fields.idcheck import id12_problems, parse_ddmmyyyy
from pipeline.fields.values import NO_EXPIRY, check_value, parse_date
from pipeline.fields.verify.common import base_name, value_type
from pipeline.text import nfc

# Dates that lie ahead by nature: a card is valid until a day to come.
FUTURE_DATES = frozenset({"co_gia_tri_den"})

NOT_A_DATE = "Ngày phải ghi theo dạng NN/TT/NNNN (ví dụ 05/09/1990)"
NOT_A_REAL_DATE = "Ngày không có thật"
ID12_DIGITS = "Số định danh phải có 12 chữ số"
_TYPE_PROBLEMS = {
    ValueType.ID9: "Số chứng minh nhân dân phải có 9 chữ số",
    ValueType.GENDER: "Giới tính phải là Nam hoặc Nữ",
    ValueType.PHONE: "Số điện thoại không hợp lệ: di động 10 chữ số (03, 05, 07, 08, 09…), máy bàn 11 chữ số (02…)",
    ValueType.EMAIL: "Địa chỉ thư điện tử không hợp lệ",
}


def check_typed(name: str, value: str, today: date) -> tuple[str, list[str]]:
    """`value` as it would be stored for field `name`, and every check it fails (Vietnamese;
    [] when it passes). `today` is the business date (Vietnam time)."""
    stored, valid = check_value(name, nfc(value).strip())
    vtype = value_type(name)
    if vtype == ValueType.DATE:
        return stored, _date_problems(name, stored, valid, today)
    if vtype == ValueType.ID12:
        return stored, _id12_problems(stored)
    if valid is False:
        return stored, [_TYPE_PROBLEMS.get(vtype, "Giá trị không đúng định dạng của trường")]
    if is_place_field(name) and stored:
        return stored, place_problems(stored)
    return stored, []


def _date_problems(name: str, stored: str, valid: bool | None, today: date) -> list[str]:
    if stored == NO_EXPIRY and valid:
        return [] if base_name(name) in FUTURE_DATES else ["Chỉ ngày hết hạn của thẻ mới có thể là “Không thời hạn”"]
    if not valid:
        # A value shaped like a date whose day does not exist (31/02) is told apart from a
        # value that is no date at all.
        return [NOT_A_REAL_DATE if parse_date(stored, whole=True) is not None else NOT_A_DATE]
    day = parse_ddmmyyyy(stored)
    if day is not None and day > today and base_name(name) not in FUTURE_DATES:
        return [f"Ngày không được sau hôm nay ({today.day:02d}/{today.month:02d}/{today.year})"]
    return []


# id12_problems' English reasons, as a reviewer reads them.
_ID12_REASONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"not 12 digits"), ID12_DIGITS),
    (re.compile(r"(?:unknown )?province code 000"), "Mã tỉnh 000 (3 chữ số đầu) không hợp lệ"),
    (re.compile(r"unknown province code (\d+)"), "Mã tỉnh {0} (3 chữ số đầu) không có trong danh mục"),
    (re.compile(r"century digit out of range"), "Chữ số thứ 4 (giới tính và thế kỷ sinh) không hợp lệ"),
)


def _id12_problems(number: str) -> list[str]:
    problems = []
    for reason in id12_problems(number):
        for pattern, text in _ID12_REASONS:
            if found := pattern.fullmatch(reason):
                problems.append(text.format(*found.groups()))
                break
        else:
            problems.append(f"Số định danh không hợp lệ ({reason})")
    return list(dict.fromkeys(problems))


def is_place_field(name: str) -> bool:
    """A field naming a place: a reviewer may keep a value outside the catalogue (a birthplace
    abroad), saying so explicitly; its other checks cannot be overridden."""
    return base_name(name) in ADDRESS_FIELDS


def place_problems(text: str) -> list[str]:
    """[] when `text` names a catalogued 2025 unit (or an old one that maps to 2025 units, or
    a province alone); otherwise why not."""
    found = address.resolve_address(text)
    if found.status in (address.EXACT, address.AMBIGUOUS):
        return []
    if found.province is None:
        return ["Không tìm thấy đơn vị hành chính (phường, xã; tỉnh, thành phố) trong danh mục năm 2025"]
    if "," not in text and address.ends_with_province(text):
        return []  # the province alone
    return [f"Không tìm thấy đơn vị hành chính cấp xã thuộc {found.province.name} trong danh mục năm 2025"]
