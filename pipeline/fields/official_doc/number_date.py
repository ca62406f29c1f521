"""The number-and-date line of an official document's header: "Số: 125/QĐ-UBND" on the
left, "Hà Nội, ngày 05 tháng 3 năm 2026" on the right (OCR may read either first, or both
as one line); and the dates its legal basis cites.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from models.document import FieldStatus, PageText
from pipeline.fields.official_doc.layout import Found, PlacedLine, PlacedPage, place_pages
from pipeline.fields.official_doc.terms import DOC_TYPE_KEYS
from pipeline.fields.values import parse_date
from pipeline.text import fold, fold_in_place, nfc

EARLIEST_YEAR = 1945  # the first documents of the Democratic Republic

# Decree 30/2020 "số, ký hiệu": number / type abbreviation - issuer abbreviation (- drafting
# unit ...); a công văn has no type part ("1234/UBND-VP"). Regulatory documents carry the
# year ("01/2021/TT-BCA"); a few abbreviations are mixed case (TTr, TTg, QyĐ, CTr).
_ABBR = r"(?:[A-ZĐ0-9]+|TTr|TTg|QyĐ|CTr|TrT)"
SYMBOL_PATTERN = re.compile(rf"^\d+(?:/\d{{4}})?/{_ABBR}(?:-(?:{_ABBR}|[A-ZĐ0-9.]+))*$")

# "Số: 125/QĐ-UBND" as read: label misreads (Sô, Sổ, S6), a lost colon; spaces round the
# separators and inside the digit run; '|' or '\' for the slash; dashes of any width.
SO_LABEL = re.compile(r"^\W*s[o0-9]?\s*[:;.,]\s*|^\W*so\s+(?=\d)", re.IGNORECASE)  # on folded text
_SYMBOL = re.compile(r"\d(?:\s?\d)*\s*[/|\\⁄]\s*[A-Za-zĐđÐ0-9.]+(?:\s*[/|\\⁄\-–—]\s*[A-Za-zĐđÐ0-9.]+)*")
# The slash read as a letter or '%', or lost: "2892IUBND", "4006QĐ-UBND" (only after the
# "Số:" label, and flagged as repaired).
_SYMBOL_LOST_SLASH = re.compile(r"(\d(?:\s?\d)*)\s*[Il%]?(?=[A-ZĐ]{2})([A-ZĐ0-9]+(?:\s*[\-–—]\s*[A-Za-zĐđ0-9.]+)*)")
# "ngày 05 tháng 3 năm 2026" on folded text; the words as OCR bends them ("thúng").
VN_DATE = re.compile(
    r"\bn?g[a-z]{1,3}\s*(\d(?:\s?\d)?)\s*t[a-z]{2,4}\s*(\d(?:\s?\d)?)"
    r"\s*n[a-z]{1,2}\s*(\d(?:\s?\d){3})"
)
# A date in figures as OCR may read it, stray spaces in its digit runs and all ("2 1/11/2024");
# `parse_date` says which date it is, if its digits say one unambiguously.
_NUMERIC_DATE = re.compile(r"(?<!\d)\d(?: ?\d)*\s*[/.\-]\s*\d(?: ?\d)*\s*[/.\-]\s*\d(?: ?\d){3}(?!\d)")
_BASIS_OPENINGS = ("can cu", "theo de nghi", "xet de nghi")  # folded


def normalize_symbol(raw: str) -> str:
    """ "125 / QĐ - UBND" -> "125/QĐ-UBND": spaces round separators and inside the number go,
    '|', '\\' or '⁄' read for the slash and long dashes become '/' and '-', Ð (eth) becomes Đ."""
    text = nfc(raw).replace("Ð", "Đ")
    text = re.sub(r"[|\\⁄]", "/", text)
    text = re.sub(r"[–—]", "-", text)
    text = re.sub(r"\s*([/-])\s*", r"\1", text)
    text = re.sub(r"(?<=\d) (?=\d)", "", text)
    return text.strip(" .,;:")


def symbol_parts(symbol: str) -> tuple[str | None, list[str]]:
    """(document type abbreviation, or None for a công văn; the issuer parts) of a symbol."""
    parts = symbol.split("/")[-1].split("-")
    head = fold(parts[0]).upper()
    if head in DOC_TYPE_KEYS and len(parts) > 1:
        return DOC_TYPE_KEYS[head], parts[1:]
    return None, parts


def find_number(page: PlacedPage) -> tuple[Found, PlacedLine] | None:
    """The "Số: ..." line of the left header block: (symbol, its line)."""
    best = None
    for ln in page.lines:
        if ln.cy > page.header_bottom or ln.cx > page.x(0.6):
            continue
        label = SO_LABEL.match(fold_in_place(ln.text))
        start = label.end() if label else len(ln.text) - len(ln.text.lstrip())
        match, repaired = _SYMBOL.match(ln.text, start), False
        if match is None and label:
            match, repaired = _SYMBOL_LOST_SLASH.match(ln.text, start), True
        # Without its label, only a line that is the symbol alone (not "61/2018/NĐ-CP về ...").
        if match is None or (not label and (len(ln.text[match.end() :].strip()) > 2 or ln.cx > page.x(0.45))):
            continue
        rank = (0 if label else 1, ln.cy)
        if best is None or rank < best[0]:
            best = (rank, ln, match, repaired)
    if best is None:
        return None
    _, ln, match, repaired = best
    value = normalize_symbol(f"{match.group(1)}/{match.group(2)}" if repaired else match.group())
    # The left "Số:" line merged with the right "<place>, ngày ..." line: where the symbol
    # ends and the place begins is a guess ("VHXHTP. Hồ Chí Minh"), so it goes to review.
    merged = re.search(r"\bngay\s*\d", fold(ln.text[match.end() :])) is not None
    return Found(value, (ln,), ln.sub_box(match.start(), match.end()), repaired or merged), ln


@dataclass(frozen=True, slots=True)
class DateRead:
    """A date written in a line: where, and what it says."""

    span: tuple[int, int]
    value: str  # DD/MM/YYYY; as read where its digits do not say one date
    parts: tuple[int, int, int] | None  # (day, month, year) as read; None: which date is a guess


def dates_read(text: str) -> Iterator[DateRead]:
    """The dates written in `text`, in words ("ngày 05 tháng 3 năm 2026") then in figures."""
    for m in VN_DATE.finditer(fold_in_place(text)):
        d, mo, y = (int(g.replace(" ", "")) for g in m.groups())
        yield DateRead(m.span(), f"{d:02d}/{mo:02d}/{y:04d}", (d, mo, y))
    for m in _NUMERIC_DATE.finditer(text):
        shaped = parse_date(m.group(), whole=True)
        if shaped is None:  # "1 20/11/2024": the day could be 20 or 12, or 1 with a stray digit
            yield DateRead(m.span(), nfc(m.group()), None)
            continue
        d, mo, y = (int(part) for part in shaped[0].split("/"))
        yield DateRead(m.span(), shaped[0], (d, mo, y))


def find_date(page: PlacedPage, number: PlacedLine | None) -> tuple[Found, tuple[int, int, int] | None] | None:
    """The place-and-date line of the header: the date nearest to the "Số:" line's level;
    with (day, month, year) as read, None where which date it is is a guess (the value then
    as read, never ok)."""
    limit = number.cy + 4 * number.h if number else page.header_bottom
    best = None
    for ln in page.lines:
        if ln.cy > limit or ln is number:
            continue
        read = next(dates_read(ln.text), None)
        if read is None:
            continue
        rank = abs(ln.cy - number.cy) if number else ln.cy
        if best is None or rank < best[0]:
            best = (rank, ln, read)
    if best is None:
        return None
    _, ln, read = best
    return Found(read.value, (ln,), ln.sub_box(*read.span), read.parts is None), read.parts


def date_status(day: int, month: int, year: int, today: date) -> FieldStatus:
    """ok for a real calendar date from 1945 up to `today`; invalid otherwise."""
    try:
        when = date(year, month, day)
    except ValueError:
        return FieldStatus.INVALID
    return FieldStatus.OK if EARLIEST_YEAR <= when.year and when <= today else FieldStatus.INVALID


def cited_dates(pages: list[PageText]) -> list[date]:
    """Full dates in the legal basis ("Căn cứ Luật ... ngày 16 tháng 6 năm 2025;", "Theo đề
    nghị ... tại Tờ trình số 12/TTr-VP ngày 02/3/2026"): things that existed before the
    document did, so none may be later than its date of issue."""
    return dates_cited(place_pages(pages))


def dates_cited(placed: list[PlacedPage]) -> list[date]:
    """`cited_dates` of pages already placed."""
    out: list[date] = []
    for page in placed:
        in_basis = 0
        for ln in page.lines:  # reading order: the body is one column
            if ln.folded.startswith(_BASIS_OPENINGS):
                in_basis = 4  # a basis sentence runs a few lines, to its ';' or '.'
            if not in_basis:
                continue
            in_basis -= 1
            out.extend(_full_dates(ln.text))
            if ln.text.rstrip().endswith((";", ".")):
                in_basis = 0
    return out


def _full_dates(text: str) -> list[date]:
    """The real calendar dates written in `text` (none whose digits leave it a guess)."""
    out: list[date] = []
    for read in dates_read(text):
        if read.parts is None:
            continue
        d, mo, y = read.parts
        try:
            out.append(date(y, mo, d))
        except ValueError:
            pass
    return out
