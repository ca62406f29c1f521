"""The issuing body: the upper-case lines of the header's left block above "Số:" (after a
superior body, if any), and its second source, the symbol's issuer part plus the same
words written elsewhere in the document.
"""

from __future__ import annotations

import math
import re

from pipeline.fields.official_doc.layout import (
    Found,
    PlacedLine,
    PlacedPage,
    in_rows,
    is_national,
    letters,
    upper_share,
)
from pipeline.fields.official_doc.number_date import SO_LABEL, symbol_parts
from pipeline.fields.official_doc.terms import (
    CHECK,
    FIND,
    PLACED_BODIES,
    body_type,
    starts_place,
    type_abbreviations,
)
from pipeline.text import fold, fold_in_place, tone_key

_PUNCT = re.compile(r"[^\w\s]")


def issuer_lines(page: PlacedPage, number: PlacedLine | None) -> list[PlacedLine]:
    """The left header block above "Số:": upper-case name lines, top to bottom."""
    if number is not None:
        top, bottom = number.cy - 8 * number.h, number.cy - 0.5 * number.h

        def column(ln: PlacedLine) -> bool:
            return abs(ln.cx - number.cx) < 0.2 * page.width or ln.overlap_x(number) > 0
    else:  # no number read: the block beside the national header
        national = [ln.y1 for ln in page.lines if is_national(ln) and ln.cy < page.header_bottom]
        top, bottom = -math.inf, max(national) if national else page.below_top(0.12, 5)

        def column(ln: PlacedLine) -> bool:
            return ln.cx < page.x(0.45)

    out = [
        ln
        for ln in page.lines
        if top <= ln.cy <= bottom
        and column(ln)
        and ln.cx < page.x(0.5)
        and not is_national(ln)
        and letters(ln.text) >= 2
        and upper_share(ln.text) >= 0.6
        and not SO_LABEL.match(fold_in_place(ln.text))
    ]
    # The block's lines are stacked, never side by side: lines read at one level (a photo's
    # slope, a line split off the national header) go name before place.
    return in_rows(out, lambda ln: (starts_place(ln.text), ln.x0))


def issuing_body(lines: list[PlacedLine]) -> list[PlacedLine]:
    """Lines naming the issuing body: a line that begins with a body type after an earlier
    one starts a new body (the earlier one is the superior body, "UBND TỈNH X / SỞ TƯ PHÁP");
    any other line continues its body ("ỦY BAN NHÂN DÂN / PHƯỜNG KIM LIÊN")."""
    units: list[list[PlacedLine]] = []
    for ln in lines:
        if units and (starts_place(ln.text) or not body_type(ln.text)):
            units[-1].append(ln)
        else:
            units.append([ln])
    return units[-1] if units else []


def _split_place(body: str) -> tuple[list[str], list[str]]:
    """(type words, place words) of a body's name."""
    words = body.split()
    for i in range(len(words)):
        if starts_place(" ".join(words[i:]), CHECK):
            return words[:i], words[i:]
    return words, []


def body_abbreviations(body: str) -> set[str]:
    """Abbreviations (folded, upper case) that a symbol may use for an issuing body whose
    type words are spelled exactly as in the table (tone marks checked). Empty for a body
    type the table does not list (see `confirm_body` for those)."""
    key = body_type(body, CHECK)
    return {fold(a).upper() for a in type_abbreviations(key, CHECK)} if key is not None else set()


def _initials(words: list[str]) -> str:
    return fold("".join(w[0] for w in words if w[0].isalnum() and fold(w) != "va")).upper()


def _written_elsewhere(phrase: str, body: Found, pages: list[PlacedPage]) -> bool:
    """Whether `phrase` is written, tone marks and all (case aside), on a line other than
    the body's own: "Ủy ban nhân dân phường Kim Liên đề nghị ...", "- Chủ tịch UBND phường Kim Liên;"."""
    wanted = f" {tone_key(phrase)} "
    used = {id(ln.line) for ln in body.lines}
    return any(
        wanted in " " + tone_key(_PUNCT.sub(" ", ln.text)) + " "
        for page in pages
        for ln in page.lines
        if id(ln.line) not in used
    )


def confirm_body(body: Found, symbol: str, pages: list[PlacedPage]) -> bool:
    """A second source for the issuing body: the symbol's issuer part is the abbreviation of
    the body's type (for a listed type spelled exactly; for an unlisted one the initials of
    its type words, which must then also be written the same way elsewhere in the document),
    and the body's place part, if any, is written the same way elsewhere in the document.
    A body that exists at every level (ỦY BAN NHÂN DÂN, ...) must name its place."""
    _, issuer_parts = symbol_parts(symbol)
    parts = {fold(p).upper() for p in issuer_parts}
    type_words, place = _split_place(body.value)
    listed = body_type(body.value, FIND)
    abbreviations = type_abbreviations(listed, FIND) if listed is not None else ()
    if abbreviations:
        if not parts & body_abbreviations(body.value):
            return False  # a listed type misspelled, or another body's abbreviation
        if abbreviations[0] in PLACED_BODIES and not place:
            return False
    elif not (
        len(type_words) >= 2
        and _initials(type_words) in parts
        and _written_elsewhere(" ".join(type_words), body, pages)
    ):
        return False
    return not place or _written_elsewhere(" ".join(place), body, pages)
