"""Vietnamese wording helpers: numbers and dates in words, formal date lines."""

from __future__ import annotations

from datetime import date

_UNITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")


def number_words(n: int) -> str:
    """0..9999 in words, as written on civil-status forms ('hai mươi mốt', 'không trăm linh năm')."""
    if not 0 <= n <= 9999:
        raise ValueError(n)
    if n < 10:
        return _UNITS[n]
    if n < 100:
        tens, unit = divmod(n, 10)
        head = "mười" if tens == 1 else f"{_UNITS[tens]} mươi"
        if unit == 0:
            return head
        if unit == 1 and tens > 1:
            tail = "mốt"
        elif unit == 5:
            tail = "lăm"
        elif unit == 4 and tens > 1:
            tail = "tư"
        else:
            tail = _UNITS[unit]
        return f"{head} {tail}"
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        head = f"{_UNITS[hundreds]} trăm"
        if rest == 0:
            return head
        return f"{head} linh {_UNITS[rest]}" if rest < 10 else f"{head} {number_words(rest)}"
    thousands, rest = divmod(n, 1000)
    head = f"{_UNITS[thousands]} nghìn"
    if rest == 0:
        return head
    if rest < 100:
        return f"{head} không trăm linh {_UNITS[rest]}" if rest < 10 else f"{head} không trăm {number_words(rest)}"
    return f"{head} {number_words(rest)}"


def date_words(d: date) -> str:
    month = "tư" if d.month == 4 else number_words(d.month)
    return f"Ngày {number_words(d.day)}, tháng {month}, năm {number_words(d.year)}"


def formal_date(place: str, d: date) -> str:
    """'Hà Nội, ngày 05 tháng 12 năm 2025': day and months 1-2 zero-padded (Decree 30/2020)."""
    month = f"{d.month:02d}" if d.month < 3 else str(d.month)
    return f"{place}, ngày {d.day:02d} tháng {month} năm {d.year}"
