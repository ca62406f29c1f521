"""A value's type: dates, genders, ID numbers, phone numbers and e-mail addresses in their
stored form, and whether a value passes its type's rule. Pure."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from models.fields import ValueType, field_spec
from pipeline.fields.idcheck import id12_problems
from pipeline.text import fold, nfc

# OCR puts stray spaces into digit runs ("26/05/1 992", "20/1 1/1978"): one space is allowed
# between the digits of a part, the separators keeping the parts apart; and reads a slash as
# '!' or '|'. A date does not start inside a run of spaced digits ("1 20/11/1978"): which
# digits are the day would be a guess.
DATE = re.compile(r"(?<!\d)(?<!\d )(\d(?: ?\d)?)\s*[/.\-!|]\s*(\d(?: ?\d)?)\s*[/.\-!|]\s*(\d(?: ?\d){3})(?!\d)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
NO_EXPIRY = "Không thời hạn"
NO_EXPIRY_FOLDED = fold(NO_EXPIRY)


def parse_date(text: str, whole: bool = False) -> tuple[str, bool] | None:
    """First DD/MM/YYYY-like date (`whole`: the text is that date and nothing else):
    (normalized 'DD/MM/YYYY', is a real calendar date)."""
    match = DATE.fullmatch(text.strip()) if whole else DATE.search(text)
    if not match:
        return None
    d, m, y = (int(g.replace(" ", "")) for g in match.groups())
    value = f"{d:02d}/{m:02d}/{y:04d}"
    try:
        real = 1900 <= y <= 2100 and date(y, m, d) is not None
    except ValueError:
        real = False
    return value, real


def parse_gender(text: str) -> str | None:
    words = fold(text).replace("/", " ").split()
    if "nu" in words or "female" in words:
        return "Nữ"
    if "nam" in words or "male" in words:
        return "Nam"
    return None


def ascii_digits(value: str) -> str:
    """Fullwidth digits (０-９) as ASCII (NFKC); other scripts' digits stay, so `[0-9]` refuses them."""
    return unicodedata.normalize("NFKC", value)


def typed_value(spec_type: ValueType, value: str) -> tuple[str, bool | None]:
    """(normalized value, valid?) — None when the type has no rule to check."""
    if spec_type == ValueType.DATE:
        if fold(value) == NO_EXPIRY_FOLDED:
            return NO_EXPIRY, True  # a card issued near the holder's 60th birthday never expires
        parsed = parse_date(value)
        return (parsed[0], parsed[1]) if parsed else (value, False)
    if spec_type == ValueType.GENDER:
        gender = parse_gender(value)
        return (gender, True) if gender else (value, False)
    if spec_type == ValueType.ID12:
        digits = re.sub(r"[ .]", "", ascii_digits(value))
        return digits, not id12_problems(digits)
    if spec_type == ValueType.ID9:
        digits = re.sub(r"[ .]", "", ascii_digits(value))
        return digits, bool(re.fullmatch(r"[0-9]{9}", digits))
    if spec_type == ValueType.PHONE:
        digits = re.sub(r"[ .\-]", "", ascii_digits(value))
        # Mobile numbers have 10 digits since 2018 (0[35789]...); landlines 11 (02x area codes).
        local = re.sub(r"^\+84", "0", digits)
        return digits, bool(re.fullmatch(r"0[35789][0-9]{8}|02[0-9]{9}", local))
    if spec_type == ValueType.EMAIL:
        return value, bool(_EMAIL.fullmatch(value))
    return value, None


def check_value(name: str, value: str) -> tuple[str, bool | None]:
    """A typed value (e.g. a reviewer's) in stored form, and whether it passes its type's rule."""
    spec = field_spec(name) or field_spec(re.sub(r"_\d+$", "", name))  # ngay_sinh_2 is a ngay_sinh
    return typed_value(spec.value_type, nfc(value)) if spec else (nfc(value), None)


def normalize_value(name: str, value: str) -> str:
    """A value in its stored form for its field's type (e.g. phone numbers as digits); free
    text without the full stop of the sentence it ends (as the reading stores it)."""
    spec = field_spec(name)
    value = typed_value(spec.value_type, nfc(value))[0] if spec else nfc(value).strip()
    return value.removesuffix(".") if spec is None or spec.value_type == ValueType.TEXT else value
