"""Reading order for a page of text lines, including the two-column header of
Vietnamese official documents (issuing body on the left, national motto on the right).

Recursive XY-cut in de-skewed coordinates. At each level the widest gap wins: a
column gutter or a horizontal gap between blocks. A column cut is refused where the
two sides are row-aligned label/value pairs (forms, tables), which read row by row;
it is kept where both sides are centred blocks (the header and the signature block).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from models.document import TextLine

_MIN_ROW_GAP = 0.8  # x median line height: smaller vertical gaps are ordinary line spacing
_MIN_GUTTER = 1.5  # x median line height: narrower horizontal gaps are word spacing
_ROW_ALIGNED_SHARE = 0.6


@dataclass(frozen=True, slots=True)
class OrderItem:
    quad: np.ndarray  # 4x2 points, or a box given as its corners
    text: str = ""

    @classmethod
    def from_quad(cls, quad: np.ndarray, text: str = "") -> "OrderItem":
        return cls(np.asarray(quad, dtype=np.float32).reshape(-1, 2), text)

    @classmethod
    def from_box(cls, box: Sequence[float], text: str = "") -> "OrderItem":
        x0, y0, x1, y1 = box
        return cls(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32), text)


@dataclass(frozen=True, slots=True)
class _Box:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def height(self) -> float:
        return self.y1 - self.y0


def _level(items: Sequence[OrderItem], skew_degrees: float) -> list[_Box]:
    theta = math.radians(skew_degrees)
    rot = np.array([[math.cos(theta), math.sin(theta)], [-math.sin(theta), math.cos(theta)]], dtype=np.float32)
    boxes = []
    for item in items:
        pts = item.quad @ rot.T
        (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
        boxes.append(_Box(float(x0), float(y0), float(x1), float(y1), item.text))
    return boxes


def _gaps(intervals: list[tuple[float, float, int]]) -> list[tuple[float, float]]:
    """(gap size, cut position) between merged intervals."""
    intervals = sorted(intervals)
    gaps: list[tuple[float, float]] = []
    reach = intervals[0][1]
    for start, end, _ in intervals[1:]:
        if start > reach:
            gaps.append((start - reach, (start + reach) / 2))
        reach = max(reach, end)
    return gaps


def _split(idx: list[int], boxes: list[_Box], axis: str, min_gap: float) -> list[list[int]]:
    if axis == "x":
        spans = [(boxes[i].x0, boxes[i].x1, i) for i in idx]
    else:
        spans = [(boxes[i].y0, boxes[i].y1, i) for i in idx]
    gaps = [g for g in _gaps(spans) if g[0] >= min_gap]
    if not gaps:
        return [idx]
    widest = max(g[0] for g in gaps)
    cuts = sorted(pos for size, pos in gaps if size >= 0.8 * widest)
    groups: list[list[int]] = [[] for _ in range(len(cuts) + 1)]
    for i in idx:
        centre = boxes[i].cx if axis == "x" else boxes[i].cy
        groups[sum(centre > c for c in cuts)].append(i)
    return [g for g in groups if g]


def _is_centred_block(group: list[int], boxes: list[_Box]) -> bool:
    if len(group) < 2:
        return False
    centres = np.array([boxes[i].cx for i in group])
    lefts = np.array([boxes[i].x0 for i in group])
    widths = np.array([boxes[i].x1 - boxes[i].x0 for i in group])
    if np.ptp(widths) < 0.1 * widths.mean():  # equal widths: centred and left-aligned look alike
        return False
    return float(np.ptp(centres)) < 0.15 * float(widths.max()) and np.ptp(centres) < np.ptp(lefts)


def _row_aligned(a: list[int], b: list[int], boxes: list[_Box], line_h: float) -> bool:
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    paired = sum(any(abs(boxes[i].cy - boxes[j].cy) < 0.4 * line_h for j in large) for i in small)
    return paired >= _ROW_ALIGNED_SHARE * len(small)


def _columns_ok(groups: list[list[int]], boxes: list[_Box], line_h: float) -> bool:
    for left, right in zip(groups, groups[1:]):
        if _row_aligned(left, right, boxes, line_h) and not (
            _is_centred_block(left, boxes) and _is_centred_block(right, boxes)
        ):
            return False
    return True


def _rows(idx: list[int], boxes: list[_Box]) -> list[int]:
    rows: list[list[int]] = []
    for i in sorted(idx, key=lambda k: boxes[k].cy):
        b = boxes[i]
        if rows:
            row = rows[-1]
            top = min(boxes[k].y0 for k in row)
            bottom = max(boxes[k].y1 for k in row)
            overlap = min(bottom, b.y1) - max(top, b.y0)
            if overlap >= 0.5 * min(b.height, bottom - top):
                row.append(i)
                continue
        rows.append([i])
    return [i for row in rows for i in sorted(row, key=lambda k: boxes[k].x0)]


def _order(idx: list[int], boxes: list[_Box], line_h: float) -> list[int]:
    if len(idx) <= 1:
        return idx
    columns = _split(idx, boxes, "x", _MIN_GUTTER * line_h)
    bands = _split(idx, boxes, "y", _MIN_ROW_GAP * line_h)
    if len(columns) > 1 and _columns_ok(columns, boxes, line_h):
        col_gap = _widest_gap(idx, boxes, "x")
        row_gap = _widest_gap(idx, boxes, "y") if len(bands) > 1 else 0.0
        if col_gap >= row_gap:
            return [i for group in columns for i in _order(group, boxes, line_h)]
    if len(bands) > 1:
        return [i for band in bands for i in _order(band, boxes, line_h)]
    return _rows(idx, boxes)


def _widest_gap(idx: list[int], boxes: list[_Box], axis: str) -> float:
    spans = [((boxes[i].x0, boxes[i].x1, i) if axis == "x" else (boxes[i].y0, boxes[i].y1, i)) for i in idx]
    gaps = _gaps(spans)
    return max((g[0] for g in gaps), default=0.0)


def reading_order(items: Sequence[OrderItem], skew_degrees: float = 0.0) -> list[int]:
    """Indices of `items` in reading order."""
    if not items:
        return []
    boxes = _level(items, skew_degrees)
    line_h = float(np.median([b.height for b in boxes])) or 1.0
    return _order(list(range(len(boxes))), boxes, line_h)


def ordered_lines(lines: Sequence[TextLine]) -> list[TextLine]:
    """Text lines with boxes (e.g. from a PDF text layer) put in reading order."""
    order = reading_order([OrderItem.from_box(line.box, line.text) for line in lines])
    return [lines[i] for i in order]
