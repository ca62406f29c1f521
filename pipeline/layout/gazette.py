"""The rules of an official document's header: the short line under the issuing body, the one
under the national motto ("Độc lập - Tự do - Hạnh phúc") and the one under the title, as the
document's own text holds them — a run of underscores (`_______`), which a recognizer never
reads (a detector takes a bare rule for no text).

A header rule is a thin horizontal stroke standing alone (nothing else of the ink touches it:
a table's rules meet other rules, a word's underline its letters), centred under the text line
just above it and no wider than that line, at least a small gap below it (an underline
styled on the text itself is part of the text, not a line of underscores). A footnote's
separator, at the margin under the body's full-width lines, is not centred under them, and
is not read. Its count of underscores is its width over an underscore's: the documents type
these rules in a small size, an underscore about 4 pt wide, which the page's size gives in
pixels (an A4 sheet's long side is 842 pt; a text line's height, as a detector boxes it,
changes too much with the picture's quality to measure it by). Only a sheet is searched —
a page of an A-series shape with a sheet's number of lines, never a card, a crop or a photo,
whose size says nothing of an underscore's and where a line put between a label and its value
would part them.

A rule the document drew as a shape (no underscores in its text) is told by its weight: an
underscore's stroke is about 0.05 em thick, under 0.7 pt for type up to 14 pt, while a drawn
line is 0.75 pt or more by default. The weight is the rule's ink summed across it (blur and a
scan spread ink but keep its sum), over the paper's tone, in points of the page. A drawn rule
thinner than that (0.5 pt) is still taken for underscores.

Whether a page's rule should be read at all is a convention: a document's own text (its text
layer, the transcriptions of real pages) holds the typed ones as underscores, while the
synthetic generator draws its rules about 0.7 pt heavy and writes no text for them, and on
its scanned copies they weigh as little as typed ones. So `header_rules` is a step the caller
chooses; it is not run by default.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from models.document import Box, TextLine
from pipeline.layout.tables import ink_mask

_UNDERSCORE = 4.0 / 842  # an underscore's width, x the page's long side (4 pt of an A4 sheet)
_MAX_THICK = 0.8  # x an underscore's width: a rule is thinner (a tilted one by 2 % of its length more)
_MIN_WIDE = 4.0  # x an underscore's width: shorter strokes are dashes or letters' bars
_MIN_GAP = 0.1  # x line height: a rule closer under its line is that line's underline
_MAX_GAP = 2.5  # x line height: farther from the line above, it is not that line's rule
_CENTRED = 0.15  # of the line above's width (or half a line height): how far off-centre
_MAX_WEIGHT = 0.70  # pt: a heavier rule is drawn (0.75 pt), not typed (0.05 em of 14 pt: 0.69 pt)
_SHEET_ASPECT = (1.3, 1.5)  # long side over short of an A-series sheet (1.41), with margin
_SHEET_LINES = 10  # fewer text lines: a card, a crop, a note, not a document's page


@dataclass(frozen=True, slots=True)
class HeaderRule:
    box: Box
    text: str  # the underscores it stands for
    after: int  # index of the text line it is centred under

    def line(self) -> TextLine:
        """The rule as a text line, read after the line it is centred under."""
        return TextLine(self.text, self.box, 1.0)


def _strokes(grey: np.ndarray, unit: float) -> list[Box]:
    """Thin horizontal strokes that stand alone in the ink (`unit`: an underscore's width)."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink_mask(grey), connectivity=8)
    out = []
    for x, y, w, h, _area in stats[1:n]:
        if w >= _MIN_WIDE * unit and h <= max(3.0, _MAX_THICK * unit + 0.02 * w):
            out.append((int(x), int(y), int(x + w), int(y + h)))
    return out


def _above(rule: Box, lines: Sequence[Box], line_height: float) -> int | None:
    """The nearest text line above `rule` that overlaps it sideways, if close enough."""
    best, gap_best = None, _MAX_GAP * line_height
    for i, b in enumerate(lines):
        if min(b[2], rule[2]) - max(b[0], rule[0]) <= 0:
            continue
        gap = rule[1] - b[3]
        if b[1] < rule[1] and gap < gap_best and (b[1] + b[3]) / 2 < rule[1]:
            best, gap_best = i, gap
    return best


def header_rules(grey: np.ndarray, lines: Sequence[Box]) -> list[HeaderRule]:
    """The header rules of a page: `grey` its image, `lines` its text lines' boxes (in the
    image's pixels). Top to bottom."""
    long, short = max(grey.shape[:2]), max(min(grey.shape[:2]), 1)
    if len(lines) < _SHEET_LINES or not _SHEET_ASPECT[0] <= long / short <= _SHEET_ASPECT[1]:
        return []
    line_height = float(np.median([b[3] - b[1] for b in lines])) or 1.0
    unit = _UNDERSCORE * max(grey.shape[:2])
    out = []
    for rule in _strokes(grey, unit):
        if any(_crosses(rule, b) for b in lines):
            continue  # inside a text line's box: its underline, or a stroke of its letters
        k = _above(rule, lines, line_height)
        if k is None:
            continue
        above = lines[k]
        width = above[2] - above[0]
        off_centre = abs((rule[0] + rule[2]) / 2 - (above[0] + above[2]) / 2)
        if rule[1] - above[3] < _MIN_GAP * line_height or rule[2] - rule[0] > 1.1 * width:
            continue
        if off_centre > max(_CENTRED * width, 0.5 * line_height):
            continue
        if _weight(grey, rule) / (unit / 4.0) > _MAX_WEIGHT:  # unit / 4: pixels a point
            continue
        count = max(3, round((rule[2] - rule[0]) / unit))
        out.append(HeaderRule(rule, "_" * count, k))
    return sorted(out, key=lambda r: (r.box[1], r.box[0]))


def _weight(grey: np.ndarray, rule: Box) -> float:
    """The rule's thickness in pixels of full ink: the darkness summed across it, over the
    paper's tone (the median just above and below it), the median along it."""
    x0, y0, x1, y1 = rule
    reach = (y1 - y0) // 2 + 4
    cy = (y0 + y1) // 2
    band = grey[max(0, cy - reach) : cy + reach + 1, x0:x1].astype(np.float32)
    if band.size == 0:
        return 0.0
    paper = float(np.median(np.concatenate([band[:2].ravel(), band[-2:].ravel()])))
    if paper <= 0:
        return 0.0
    return float(np.median(np.clip(paper - band, 0, None).sum(axis=0))) / paper


def _crosses(rule: Box, line: Box) -> bool:
    """Whether the rule lies within the line's box (over half its length, its middle inside)."""
    cy = (rule[1] + rule[3]) / 2
    along = min(rule[2], line[2]) - max(rule[0], line[0])
    return line[1] <= cy <= line[3] and along >= 0.5 * (rule[2] - rule[0])
