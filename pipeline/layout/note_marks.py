"""Note marks of forms and legal texts: small raised digits (`TÊN CƠ QUAN²`, `…⁷…`, the `¹`
that starts a footnote) found in a line's crop and read on their own.

Read with the line, a recognizer takes a raised digit for punctuation (`¹` as `!` or `'`, `²` as
`?`, `⁴` as `*`, `⁵` as `Š`) or loses it. A note mark is easy to see: a small group of ink
(under half the line's height) well above the baseline with nothing under it down to the
baseline (a tone mark has its letter under it). Each one is read alone, enlarged to the size of
the line's letters; where that reading is digits the mark is painted out of the line's crop and
its digits are put back where it was (`pipeline.layout.leader_dots.put_back`). Anything else
raised (quotes, apostrophes) reads as no digit and stays in the line as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

_HEIGHT = (0.26, 0.45)  # a mark's height, x the line's height (a quote is lower than a digit)
_WIDTH = 0.5  # the most a mark's group is wide, x the line's height
_RAISED = 0.15  # x the line's height: a mark's bottom at least this far above the baseline
_LETTER = (0.3, 0.9)  # letters (for the baseline): heights, x the line's height
_JOIN = 0.12  # x the line's height: parts of one mark (the digits of `10`) at most this apart
_READ_HEIGHT = 0.6  # a mark is read enlarged to this share of the line's height (a capital's)
_MAX_MARKS = 4  # a line with more raised groups than this is no line of text with note marks


# A note mark is put back as superscript digits, as printed: a value that holds one is told
# from a value's own digits (a blank slot's `…⁷…` is no value `7`, `An¹` no name `An1`).
SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


@dataclass(frozen=True, slots=True)
class NoteMark:
    x0: int
    y0: int
    x1: int
    y1: int
    piece: str  # the digits read from it, as superscripts


def _candidates(ink: np.ndarray, line_height: float, top: float) -> list[tuple[int, int, int, int]]:
    """Raised groups of ink with nothing under them: (x0, y0, x1, y1) in the crop."""
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    boxes = [tuple(int(v) for v in stats[k][:4]) for k in range(1, count)]
    letters = [y + h for x, y, w, h in boxes if _LETTER[0] * line_height <= h <= _LETTER[1] * line_height]
    if len(letters) < 2:
        return []
    baseline = float(np.median(letters))
    raised = []
    for x, y, w, h in boxes:
        if not (_HEIGHT[0] * line_height <= h <= _HEIGHT[1] * line_height and w <= _WIDTH * line_height):
            continue
        if y + h > baseline - _RAISED * line_height or y < top:  # (above the box: the line above's)
            continue
        if ink[y + h + 1 : int(baseline) + 1, x : x + w].any():
            continue  # a letter under it: a tone mark, or part of a letter
        raised.append((x, y, x + w, y + h))
    groups: list[list[int]] = []
    for x0, y0, x1, y1 in sorted(raised):
        last = groups[-1] if groups else None
        if last is not None and x0 - last[2] <= _JOIN * line_height:
            last[1], last[2], last[3] = min(last[1], y0), max(last[2], x1), max(last[3], y1)
        else:
            groups.append([x0, y0, x1, y1])
    return [(g[0], g[1], g[2], g[3]) for g in groups if g[2] - g[0] <= _WIDTH * line_height]


def find_note_marks(
    crop: np.ndarray, line_height: float, top: float, read: Callable[[np.ndarray], str]
) -> list[NoteMark]:
    """The note marks of a grey line crop whose text box starts `top` pixels down and is
    `line_height` tall, each read by `read` (a line crop -> its text); left to right."""
    if crop.size == 0 or line_height < 8:
        return []
    _, ink = cv2.threshold(crop, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    found = _candidates(ink, line_height, top)
    if len(found) > _MAX_MARKS:
        return []
    marks = []
    for x0, y0, x1, y1 in found:
        text = read(_enlarged(crop, (x0, y0, x1, y1), line_height)).strip()
        if text.isdigit() and text.isascii() and len(text) <= 3:
            marks.append(NoteMark(x0, y0, x1, y1, text.translate(SUPERSCRIPT)))
    return marks


def _enlarged(crop: np.ndarray, box: tuple[int, int, int, int], line_height: float) -> np.ndarray:
    """The mark alone on paper, scaled to a capital's height, in a crop of a line's proportions."""
    x0, y0, x1, y1 = box
    paper = int(np.percentile(crop, 90))
    piece = crop[y0:y1, x0:x1]
    scale = _READ_HEIGHT * line_height / max(y1 - y0, 1)
    piece = cv2.resize(piece, (max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale))))
    pad = round(0.5 * line_height)
    return cv2.copyMakeBorder(piece, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(paper,))


def erase_marks(crop: np.ndarray, marks: list[NoteMark]) -> np.ndarray:
    """The crop with the marks painted over with the paper's colour."""
    if not marks:
        return crop
    out = crop.copy()
    paper = int(np.percentile(crop, 90))
    for m in marks:
        out[max(0, m.y0 - 2) : m.y1 + 2, max(0, m.x0 - 2) : m.x1 + 2] = paper  # with its grey rim
    return out
