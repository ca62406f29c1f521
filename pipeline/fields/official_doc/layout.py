"""An official document's read lines placed in their page's level frame (upright and
de-skewed: pipeline.ocr.geometry), relative to the text's own extent on the page (a photo
may show the sheet small); and what a field found among them is made of.

Statuses follow the rule used everywhere: `ok` only when the value passes a rule or is
confirmed by a second source AND every line it came from was read with confidence at or
above the review threshold; `invalid` when it fails a rule; `needs_review` otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from models.document import Box, Field, FieldStatus, PageText, TextLine
from pipeline.fields.official_doc.terms import NATIONAL_KEYS
from pipeline.ocr.geometry import LevelBox, Levelling, rows, slice_box, turned_box, union_box, upright_turns
from pipeline.text import fold, fold_in_place, nfc

_EDGE_JUNK = re.compile(r"^[\s\-_~ˆ`'\".,;:|]+|[\s\-_~ˆ`'\",;:|]+$")


@dataclass(frozen=True, slots=True)
class PlacedLine(LevelBox):
    """A read line (or a piece of one) placed in its page's level frame."""

    line: TextLine
    page: int
    turns: int  # quarter turns clockwise from the page as given to upright
    size: tuple[int, int]  # the page as given (width, height)

    @property
    def text(self) -> str:
        return self.line.text

    @property
    def folded(self) -> str:
        return fold(self.line.text)

    @property
    def conf(self) -> float:
        return self.line.confidence

    @property
    def h(self) -> float:
        """The line's height, at least a pixel: the unit of distances on the page."""
        return max(self.height, 1.0)

    def sub_box(self, start: int, end: int) -> Box:
        """Box (on the page as given) of characters [start, end) of the line, by proportion."""
        return slice_box(self.line.box, self.size[0], self.size[1], self.turns, start, end, max(len(self.text), 1))

    def piece(self, start: int, end: int) -> PlacedLine:
        """Characters [start, end) of the line (spaces at either end dropped) as a line of their own."""
        n = max(len(self.text), 1)
        text = self.text[start:end]
        start += len(text) - len(text.lstrip())
        text = text.strip()
        end = start + len(text)
        return PlacedLine(
            self.x0 + self.width * start / n,
            self.y0,
            self.x0 + self.width * end / n,
            self.y1,
            TextLine(text, self.sub_box(start, end), self.conf),
            self.page,
            self.turns,
            self.size,
        )


@dataclass(slots=True)
class PlacedPage:
    """A page's lines and the extent of its text (a photo may show the sheet small)."""

    index: int
    lines: list[PlacedLine]  # reading order
    left: float
    right: float
    top: float
    bottom: float

    def x(self, share: float) -> float:
        return self.left + share * (self.right - self.left)

    def y(self, share: float) -> float:
        return self.top + share * (self.bottom - self.top)

    @property
    def centre(self) -> float:
        return (self.left + self.right) / 2

    @property
    def width(self) -> float:
        return max(self.right - self.left, 1.0)

    @property
    def line_h(self) -> float:
        """The median line height (the upper one of an even count)."""
        hs = sorted(ln.h for ln in self.lines)
        return hs[len(hs) // 2] if hs else 1.0

    def below_top(self, share: float, lines: float) -> float:
        """A level `share` of the way down the text, but at least `lines` line heights below
        its top (a first page with little body text is short)."""
        return max(self.y(share), self.top + lines * self.line_h)

    @property
    def header_bottom(self) -> float:
        return self.below_top(0.3, 12)


def place_page(page: PageText) -> PlacedPage:
    """The page's lines in the level frame: the reading order tells which way is up (a
    page read turned keeps its boxes on the page as given)."""
    turns = upright_turns([ln.box for ln in page.lines], page.width, page.height)
    levelling = Levelling.of(page.skew_degrees)
    lines: list[PlacedLine] = []
    for ln in page.lines:
        upright, _, _ = turned_box(ln.box, page.width, page.height, turns)
        level = levelling.line(upright)
        placed = PlacedLine(level.x0, level.y0, level.x1, level.y1, ln, page.index, turns, (page.width, page.height))
        lines.extend(_split_national(placed))
    text = [ln for ln in lines if letters(ln.text) >= 3] or lines
    if not text:
        return PlacedPage(page.index, [], 0.0, float(page.width), 0.0, float(page.height))
    return PlacedPage(
        page.index,
        lines,
        min(ln.x0 for ln in text),
        max(ln.x1 for ln in text),
        min(ln.y0 for ln in text),
        max(ln.y1 for ln in text),
    )


def place_pages(pages: list[PageText]) -> list[PlacedPage]:
    """The pages that have lines, placed."""
    return [place_page(p) for p in pages if p.lines]


def _split_national(ln: PlacedLine) -> list[PlacedLine]:
    """A detector that merged the left header line with the national header across the
    gutter ("ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI ...") gives two lines back."""
    folded = fold_in_place(ln.text)
    for key in NATIONAL_KEYS:
        at = folded.find(key[:15])
        if at > 0 and folded[:at].strip():
            return [ln.piece(0, at), ln.piece(at, len(ln.text))]
    return [ln]


def in_rows(lines: Iterable[PlacedLine], within: Callable[[PlacedLine], Any] = lambda ln: ln.x0) -> list[PlacedLine]:
    """Top to bottom; lines at one level ordered by `within` (left to right by default)."""
    grouped = rows(lines, lambda ln: ln.cy, lambda row, ln: abs(ln.cy - row[0].cy) < 0.3 * min(ln.h, row[0].h))
    return [ln for row in grouped for ln in sorted(row, key=within)]


def upper_share(text: str) -> float:
    chars = [c for c in text if c.isalpha()]
    return sum(c.isupper() for c in chars) / len(chars) if chars else 0.0


def letters(text: str) -> int:
    return sum(c.isalpha() for c in text)


def is_national(ln: PlacedLine) -> bool:
    """A line of the national header ("CỘNG HÒA XÃ HỘI ...", "Độc lập - Tự do - Hạnh phúc")."""
    folded = ln.folded
    return len(folded) >= 8 and any(fuzz.partial_ratio(key, folded) >= 85 for key in NATIONAL_KEYS)


def clean(text: str) -> str:
    """The text without dashes, quotes and punctuation read at either end."""
    return _EDGE_JUNK.sub("", text)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Found:
    value: str
    lines: tuple[PlacedLine, ...]
    box: Box
    repaired: bool = False  # the value needed more than spacing fixed: never ok on its own

    @property
    def confidence(self) -> float:
        return min(ln.conf for ln in self.lines)

    @property
    def page(self) -> int:
        return self.lines[0].page


def found(value: str, lines: list[PlacedLine]) -> Found:
    """A value made of whole lines (its box: theirs together)."""
    return Found(nfc(value), tuple(lines), union_box(ln.line.box for ln in lines))


def to_field(value: Found, status: FieldStatus, threshold: float) -> Field:
    """The field, `ok` only if its lines were read surely and it needed no repair."""
    if status == FieldStatus.OK and (value.confidence < threshold or value.repaired):
        status = FieldStatus.NEEDS_REVIEW
    return Field(value.value, value.confidence, value.page, value.box, status)
