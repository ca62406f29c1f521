"""Checkboxes of forms: small hollow squares, checked when marked inside, each attached to
the text beside it (to its right, else to its left: "☐ Không có việc làm", "Bản sao … ☐").

A recognizer reads an empty box as stray marks (`[]`, `LÌ`, `TT]`); where a line's reading
covers a box, those marks give way to the box's own glyph (☐ empty, ☑ checked).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from models.document import Box, overlap
from models.kinds import CARD_ASPECT

UNCHECKED, CHECKED = "☐", "☑"
_SIDE = (0.35, 1.3)  # x text-line height
_SQUARE = (0.75, 1.33)  # width / height
_RECTANGULAR = 0.85  # outline's and hole's area over their bounding boxes'
_CHECKED_INK = 0.08  # share of the inside (rim left out) that is ink
_SIDE_INKED = 0.8  # share of each side's inked along its length, for a frame
_FILLED = 0.6  # more ink inside than this: a filled square
_STRAY = 3  # at most this many characters read from a box
_BLOCK = 0.2  # a solid square block inside a frame over this share of its inside: a QR finder


@dataclass(frozen=True, slots=True)
class Checkbox:
    box: Box
    checked: bool
    label: int | None  # index of the line it belongs to (None: no text beside it)

    @property
    def glyph(self) -> str:
        return CHECKED if self.checked else UNCHECKED


def _ink(grey: np.ndarray) -> np.ndarray:
    _, ink = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return ink


def _boxes(ink: np.ndarray, line_height: float) -> list[tuple[Box, float]]:
    """Square outlines of about a letter's size (all four sides inked, the inside mostly
    not), with the share of ink inside them."""
    contours, hierarchy = cv2.findContours(ink, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return []
    lo, hi = _SIDE[0] * line_height, _SIDE[1] * line_height
    out = []
    for k, contour in enumerate(contours):
        if int(hierarchy[0][k][3]) >= 0 or int(hierarchy[0][k][2]) < 0:
            continue  # a hole, or a shape without one
        x, y, w, h = cv2.boundingRect(contour)
        if not (lo <= w <= hi and lo <= h <= hi and _SQUARE[0] <= w / h <= _SQUARE[1]):
            continue
        if cv2.contourArea(contour) < _RECTANGULAR * w * h:
            continue  # round (o, 0) or ragged
        patch = ink[y : y + h, x : x + w] > 0
        rim = max(2, round(0.12 * min(w, h)))
        rows, columns = patch.mean(axis=1), patch.mean(axis=0)
        sides = (rows[:rim].max(), rows[-rim:].max(), columns[:rim].max(), columns[-rim:].max())
        if min(sides) < _SIDE_INKED:
            continue  # an open shape (a letter), not a frame
        inside = patch[2 * rim : h - 2 * rim, 2 * rim : w - 2 * rim]
        share = float(inside.mean()) if inside.size else 1.0
        if share > _FILLED:
            continue  # a filled square: a bullet, not a box
        if _concentric(inside):
            continue  # a square in a square: a QR code's finder pattern, not a ticked box
        out.append(((x, y, x + w, y + h), share))
    return out


def _concentric(inside: np.ndarray) -> bool:
    """Whether the ink inside a frame is one solid square block (a QR code's finder pattern:
    frame, gap, square), which no tick, cross or pen filling is."""
    if inside.size == 0 or not inside.any():
        return False
    count, _, stats, _ = cv2.connectedComponentsWithStats(inside.astype(np.uint8), connectivity=8)
    x, y, w, h, area = (int(v) for v in stats[1 + int(np.argmax(stats[1:, 4]))])
    return w * h >= _BLOCK * inside.size and area >= _RECTANGULAR * w * h and 0.75 <= w / h <= 1.33


def _label(box: Box, lines: Sequence[Box], line_height: float) -> int | None:
    """The line beside the box on its row: the nearest to its right, else to its left."""
    cy = (box[1] + box[3]) / 2
    row = [i for i, b in enumerate(lines) if b[1] <= cy <= b[3]]
    covering = [i for i in row if overlap(box, lines[i]) >= 0.5]
    if covering:
        return covering[0]
    right = [i for i in row if lines[i][0] >= box[2] - 2 and lines[i][0] - box[2] <= 3 * line_height]
    if right:
        return min(right, key=lambda i: lines[i][0])
    left = [i for i in row if lines[i][2] <= box[0] + 2]
    return max(left, key=lambda i: lines[i][2]) if left else None


def may_carry_checkboxes(width: int, height: int) -> bool:
    """Whether a page image can be a form's page: not card-shaped (a card prints no checkbox,
    and its emblem, chip and patterned letters hold square shapes)."""
    long, short = max(width, height), max(min(width, height), 1)
    return not CARD_ASPECT[0] <= long / short <= CARD_ASPECT[1]


def find_checkboxes(grey: np.ndarray, lines: Sequence[Box]) -> list[Checkbox]:
    """The checkboxes of a page image (`grey`), given its text lines' boxes; top to bottom.
    None on a page that cannot be a form's (`may_carry_checkboxes`)."""
    if not lines or not may_carry_checkboxes(grey.shape[1], grey.shape[0]):
        return []
    line_height = float(np.median([b[3] - b[1] for b in lines])) or 1.0
    found = _boxes(_ink(grey), line_height)
    return [
        Checkbox(box, ink > _CHECKED_INK, _label(box, lines, line_height))
        for box, ink in sorted(found, key=lambda f: (f[0][1], f[0][0]))
    ]


def with_glyph(text: str, line: Box, box: Box, glyph: str) -> str:
    """A line's reading with what it read from a checkbox it covers replaced by the glyph."""
    if overlap(box, line) < 0.5:
        return text
    width = box[2] - box[0]
    if line[2] - line[0] <= 2.5 * width:
        return glyph  # the line is the box alone
    words = text.split()
    if not words:
        return glyph
    if box[0] - line[0] > line[2] - box[2]:  # the box ends the line
        *rest, last = words
        return " ".join([*rest, glyph] if len(last) <= _STRAY else [*words, glyph])
    first, *rest = words
    return " ".join([glyph, *rest] if len(first) <= _STRAY else [glyph, *words])
