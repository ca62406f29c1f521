"""The signer block at the end of an official document, right of "Nơi nhận:": authority and
title lines in upper case ("TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH"), room for signature and seal,
then the signer's name.
"""

from __future__ import annotations

import re

from pipeline.fields.official_doc.layout import (
    Found,
    PlacedLine,
    PlacedPage,
    clean,
    found,
    letters,
    upper_share,
)
from pipeline.fields.official_doc.terms import AUTHORITY_PREFIXES, CHECK, body_type, starts_place, starts_title
from pipeline.text import nfc

# An authority prefix as read ("TM.", "TM,", "TM", "TM.ỦY"); the one-letter "Q." needs its dot.
_LONG_PREFIXES = "|".join(p for p in AUTHORITY_PREFIXES if len(p) > 1)
_SHORT_PREFIXES = "|".join(p for p in AUTHORITY_PREFIXES if len(p) == 1)
_AUTH = re.compile(
    rf"^\s*({_LONG_PREFIXES})\s*(?:[.,:;]\s*|\s+)(?=\S)|^\s*({_SHORT_PREFIXES})\s*[.,]\s*(?=\S)", re.IGNORECASE
)
_AUTHORITY_LINE = re.compile(rf"^({'|'.join(AUTHORITY_PREFIXES)})\. (.+)$")  # as `normalize_title` writes it
_NAME_WORD = re.compile(r"^[^\W\d_]+$")


def normalize_title(text: str) -> str:
    """An authority prefix as convention writes it: "TM ỦY BAN" / "TM, ỦY BAN" -> "TM. ỦY BAN"."""
    text = clean(nfc(text))
    m = _AUTH.match(text)
    if m:
        prefix = (m.group(1) or m.group(2)).upper()
        text = f"{prefix}. {text[m.end() :].lstrip()}"
    return text


def title_pattern_ok(title_lines: list[str]) -> bool:
    """Known signer-title forms, spelled exactly (tone marks checked): authority lines
    "TM. <body>", "KT./Q. <title>", "TL./TUQ. <title or body>", then the title (optionally
    with its unit: "TRƯỞNG PHÒNG TƯ PHÁP", or acting: "Q. GIÁM ĐỐC")."""
    if not title_lines:
        return False
    *authority, last = [normalize_title(t) for t in title_lines]
    for text in authority:
        m = _AUTHORITY_LINE.match(text)
        if not m:
            return False
        kind, rest = m.groups()
        is_body = body_type(rest, CHECK) is not None or starts_place(rest, CHECK)
        is_title = starts_title(rest, CHECK)
        if (kind == "TM" and not is_body) or (kind in ("KT", "Q") and not is_title) or not (is_body or is_title):
            return False
    acting = re.match(r"^Q\. (.+)$", last)
    return starts_title(acting.group(1) if acting else last, CHECK)


def _titleish(ln: PlacedLine) -> bool:
    """An upper-case line that opens with an authority prefix or a signer title."""
    text = clean(ln.text)
    if upper_share(text) < 0.7 or letters(text) < 3:
        return False
    return bool(_AUTH.match(text)) or starts_title(text)


def _name_words(text: str) -> str:
    """The words of a name line, without specks read as tokens ("Nguyễn ( Quang Lộc")."""
    return " ".join(w for w in clean(text).split() if any(c.isalpha() for c in w))


def _is_name(text: str) -> bool:
    """A personal name as printed under a signature: 2-6 words of letters, Title or UPPER case."""
    words = _name_words(text).split()
    if not 2 <= len(words) <= 6 or not all(_NAME_WORD.match(w) for w in words):
        return False
    if not all(w[0].isupper() for w in words):
        return False
    if not all(w.isupper() or w[1:].islower() or len(w) == 1 for w in words):
        return False  # each word Title or UPPER case ("LÊ Minh Hằng" as OCR may case it)
    return not (body_type(text) or starts_title(text) or starts_place(text))


def _title_block(page: PlacedPage) -> list[PlacedLine] | None:
    """The signer's title lines, top to bottom: the lowest title-like line right of "Nơi
    nhận:" (or under the header), the authority lines over it and its wrapped lines under it."""
    noi_nhan = [ln for ln in page.lines if ln.folded.startswith("noi nhan")]
    floor = min(ln.cy for ln in noi_nhan) - 3 * page.line_h if noi_nhan else page.header_bottom
    right = [ln for ln in page.lines if ln.cx > page.x(0.55) and ln.cy >= floor and _titleish(ln)]
    if not right:
        return None
    block = [max(right, key=lambda ln: ln.cy)]

    def title_part(ln: PlacedLine, ref: PlacedLine) -> bool:
        return (
            ln not in block
            and ln.overlap_x(ref) > 0
            and upper_share(ln.text) >= 0.7
            and letters(ln.text) >= 2
            and not _is_name(ln.text)
        )

    while True:  # up: the authority lines over the title
        top = block[0]
        above = [
            ln for ln in page.lines if top.cy - 1.8 * top.h <= ln.cy < top.cy - 0.4 * top.h and title_part(ln, top)
        ]
        if not above:
            break
        block.insert(0, max(above, key=lambda ln: ln.cy))
    while True:  # down: a title that wrapped ("TRƯỞNG PHÒNG / QUẢN LÝ ĐÔ THỊ")
        bottom = block[-1]
        below = [
            ln
            for ln in page.lines
            if bottom.cy + 0.4 * bottom.h < ln.cy <= bottom.cy + 1.5 * bottom.h and title_part(ln, bottom)
        ]
        if not below:
            break
        block.append(min(below, key=lambda ln: ln.cy))
    return block


def _signer_name(page: PlacedPage, block: list[PlacedLine]) -> Found | None:
    """The name that closes the block, under seal and signature."""
    x0, x1 = min(ln.x0 for ln in block), max(ln.x1 for ln in block)
    last = block[-1]
    names = [
        ln
        for ln in page.lines
        if ln not in block
        and last.cy < ln.cy <= last.cy + 14 * last.h
        and x0 - last.h <= ln.cx <= x1 + last.h
        and _is_name(ln.text)
    ]
    if not names:
        return None
    ln = max(names, key=lambda ln: ln.cy)
    core = clean(ln.text)
    start = ln.text.find(core)
    box = ln.sub_box(start, start + len(core)) if core != ln.text.strip() else ln.line.box
    return Found(_name_words(core), (ln,), box)


def find_signer(pages: list[PlacedPage]) -> tuple[Found | None, Found | None]:
    """(title lines, name) of the signer block, from the last page that has one."""
    for page in reversed(pages):
        block = _title_block(page)
        if block is not None:
            title = found(" ".join(normalize_title(ln.text) for ln in block), block)
            return title, _signer_name(page, block)
    return None, None
