"""The subject (trích yếu): a công văn's "V/v ..." lines under the number, or the lines
under a centred document title ("QUYẾT ĐỊNH").
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rapidfuzz import fuzz

from pipeline.fields.official_doc.layout import (
    Found,
    PlacedLine,
    PlacedPage,
    clean,
    found,
    is_national,
    letters,
    upper_share,
)
from pipeline.fields.official_doc.number_date import VN_DATE
from pipeline.fields.official_doc.terms import DOC_TITLE_KEYS
from pipeline.text import fold_in_place

# "V/v" as printed or read ("V/V", "V⁄v", "Vv", "VỊv", "Vị", "V/"): only at a công văn's subject place.
_VV = re.compile(r"^[\W_]*V\s*[/|\\⁄lI1Ịịiíì]?\s*[vV]?\s*[:.,]?(?=\s)")
_LABEL_COLON = re.compile(r":\s+\S")  # "Kính gửi: ...": a label, not a wrapped line
_BODY_OPENINGS = ("can cu", "theo de nghi", "dieu ")  # folded: the body begins, the subject has ended


def _follow(first: PlacedLine, page: PlacedPage, keep: Callable[[PlacedLine], bool]) -> list[PlacedLine]:
    """`first` and the lines wrapped under it: each the next one down in the same column,
    within about one and a half line heights, while `keep(line)` holds."""
    out = [first]
    while True:
        last = out[-1]
        below = [
            ln
            for ln in page.lines
            if ln not in out
            and last.cy + 0.4 * last.h < ln.cy <= last.cy + 1.7 * max(last.h, ln.h)
            and last.x0 - last.h <= ln.cx <= last.x1 + last.h
            and ln.overlap_x(last) > 0
        ]
        if not below:
            return out
        nxt = min(below, key=lambda ln: ln.cy)
        if not keep(nxt):
            return out
        out.append(nxt)


def _vv_line(page: PlacedPage, number: PlacedLine | None) -> tuple[PlacedLine, re.Match[str]] | None:
    """The highest line opening with "V/v" in the left column, just under the number (or in
    the header when no number was read)."""
    candidates = []
    for ln in page.lines:
        if ln.cx > page.x(0.5) or is_national(ln):
            continue
        if number is not None:
            if not (number.cy + 0.4 * number.h < ln.cy <= number.cy + 4 * number.h):
                continue
        elif ln.cy > page.header_bottom:
            continue
        m = _VV.match(ln.text)
        if m:
            candidates.append((ln.cy, ln, m))
    if not candidates:
        return None
    _, first, m = min(candidates, key=lambda c: c[0])
    return first, m


def vv_subject(page: PlacedPage, number: PlacedLine | None) -> Found | None:
    """A công văn's "V/v ..." lines under the number, in the left column."""
    opening = _vv_line(page, number)
    if opening is None:
        return None
    first, m = opening

    def keep(nxt: PlacedLine) -> bool:
        return (
            not nxt.folded.startswith("kinh gui")
            and not _LABEL_COLON.search(nxt.text)
            and not is_national(nxt)
            and nxt.cx < page.x(0.5)
            and not VN_DATE.search(fold_in_place(nxt.text))
        )

    lines = _follow(first, page, keep)
    text = " ".join([clean(first.text[m.end() :])] + [clean(x.text) for x in lines[1:]])
    return found("V/v " + text.rstrip(" ."), lines)


def title_line(page: PlacedPage, number: PlacedLine | None) -> PlacedLine | None:
    """A centred document title ("QUYẾT ĐỊNH") below the header."""
    top = number.cy + 0.5 * number.h if number else page.top
    for ln in sorted(page.lines, key=lambda ln: ln.cy):
        if ln.cy <= top or ln.cy > page.below_top(0.5, 20) or abs(ln.cx - page.centre) > 0.15 * page.width:
            continue
        key = ln.folded.rstrip(" :.")
        if upper_share(ln.text) >= 0.7 and any(key == t or fuzz.ratio(key, t) >= 88 for t in DOC_TITLE_KEYS):
            return ln
    return None


def title_subject(page: PlacedPage, title: PlacedLine) -> Found | None:
    """The subject under a centred title: mixed-case lines down to the upper-case authority
    line ("CHỦ TỊCH ỦY BAN NHÂN DÂN ...") or the first "Căn cứ"."""
    below = [
        ln
        for ln in page.lines
        if title.cy + 0.4 * title.h < ln.cy <= title.cy + 2 * title.h and ln.overlap_x(title) > 0
    ]
    if not below:
        return None
    first = min(below, key=lambda ln: ln.cy)
    if first.folded.startswith(("can cu", "dieu ")) or letters(first.text) < 3:
        return None

    def keep(nxt: PlacedLine) -> bool:
        return (
            upper_share(nxt.text) < 0.7
            and not nxt.folded.startswith(_BODY_OPENINGS)
            and abs(nxt.cx - page.centre) < 0.15 * page.width
        )

    lines = _follow(first, page, keep)
    return found(" ".join(clean(ln.text) for ln in lines).rstrip(" ."), lines)
