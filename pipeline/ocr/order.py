"""Reading order for a page of text lines, including the two-column header of
Vietnamese official documents (issuing body on the left, national motto on the right).

In de-skewed coordinates, lines are grouped into bands separated by any empty strip;
consecutive bands that share a column gutter form a block read column by column. A
column cut is refused where the sides are row-aligned label/value pairs (forms,
tables), which read row by row; it is kept where the sides are not row-aligned, or in
a two-block layout with a centred side (the header and the signature block).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from models.document import TextLine
from pipeline.ocr.geometry import LevelBox, Levelling, merged_spans, rows, span_overlap

_MIN_GUTTER = 1.5  # x median line height: narrower horizontal gaps are word spacing
_ROW_ALIGNED_SHARE = 0.6


@dataclass(frozen=True, slots=True)
class OrderItem:
    quad: np.ndarray  # 4x2 points, or a box given as its corners
    text: str = ""

    @classmethod
    def from_quad(cls, quad: np.ndarray, text: str = "") -> OrderItem:
        return cls(np.asarray(quad, dtype=np.float32).reshape(-1, 2), text)

    @classmethod
    def from_box(cls, box: Sequence[float], text: str = "") -> OrderItem:
        x0, y0, x1, y1 = box
        return cls(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32), text)


def _level(items: Sequence[OrderItem], skew_degrees: float) -> list[LevelBox]:
    levelling = Levelling.of(skew_degrees)
    return [levelling.quad(item.quad) for item in items]


def _bands(idx: list[int], boxes: list[LevelBox]) -> list[list[int]]:
    """Lines grouped into horizontal bands separated by any empty horizontal strip."""
    spans = merged_spans((boxes[i].y0, boxes[i].y1) for i in idx)
    groups: list[list[int]] = [[] for _ in spans]
    for i in idx:
        k = next(n for n, (y0, y1) in enumerate(spans) if y0 <= boxes[i].cy <= y1)
        groups[k].append(i)
    return [g for g in groups if g]


def _gutters(idx: list[int], boxes: list[LevelBox], min_gutter: float) -> list[tuple[float, float]]:
    """Empty vertical strips at least `min_gutter` wide between a band's lines."""
    spans = merged_spans((boxes[i].x0, boxes[i].x1) for i in idx)
    return [(a[1], b[0]) for a, b in zip(spans, spans[1:], strict=False) if b[0] - a[1] >= min_gutter]


def _common(
    gutters_a: list[tuple[float, float]], gutters_b: list[tuple[float, float]], min_gutter: float
) -> list[tuple[float, float]]:
    """Gutters shared by two bands (intersections still wide enough)."""
    out = []
    for a0, a1 in gutters_a:
        for b0, b1 in gutters_b:
            lo, hi = max(a0, b0), min(a1, b1)
            if hi - lo >= min_gutter / 2:
                out.append((lo, hi))
    return out


def _is_centred_block(group: list[int], boxes: list[LevelBox]) -> bool:
    if len(group) < 2:
        return False
    centres = np.array([boxes[i].cx for i in group])
    lefts = np.array([boxes[i].x0 for i in group])
    widths = np.array([boxes[i].x1 - boxes[i].x0 for i in group])
    if np.ptp(widths) < 0.1 * widths.mean():  # equal widths: centred and left-aligned look alike
        return False
    return float(np.ptp(centres)) < 0.15 * float(widths.max()) and np.ptp(centres) < np.ptp(lefts)


def _row_aligned(a: list[int], b: list[int], boxes: list[LevelBox], line_h: float) -> bool:
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    paired = sum(any(abs(boxes[i].cy - boxes[j].cy) < 0.25 * line_h for j in large) for i in small)
    return paired >= _ROW_ALIGNED_SHARE * len(small)


def _columns_ok(groups: list[list[int]], boxes: list[LevelBox], line_h: float) -> bool:
    """Whether a block with gutters reads column by column.

    Row-aligned sides are label/value pairs or table cells (read by rows), except in a
    two-block layout where one side is a centred block: the official header and the
    signature block ("Nơi nhận:" list beside the centred signer title), whose lines may
    happen to share baselines."""
    if len(groups) == 2:
        left, right = groups
        return not _row_aligned(left, right, boxes, line_h) or (
            _is_centred_block(left, boxes) or _is_centred_block(right, boxes)
        )
    return not any(_row_aligned(a, b, boxes, line_h) for a, b in zip(groups, groups[1:], strict=False))


def _rows(idx: list[int], boxes: list[LevelBox]) -> list[int]:
    """Rows top to bottom, each left to right: a line joins the row above when they overlap
    vertically by at least half the lower of their heights."""

    def same_row(row: list[int], i: int) -> bool:
        top = min(boxes[k].y0 for k in row)
        bottom = max(boxes[k].y1 for k in row)
        return span_overlap(top, bottom, boxes[i].y0, boxes[i].y1) >= 0.5 * min(boxes[i].height, bottom - top)

    grouped = rows(idx, lambda k: boxes[k].cy, same_row)
    return [i for row in grouped for i in sorted(row, key=lambda k: boxes[k].x0)]


def _order(idx: list[int], boxes: list[LevelBox], line_h: float) -> list[int]:
    """Bands top to bottom; consecutive bands that share a column gutter form a block that
    is read column by column (each column again in this order), unless its two sides are
    row-aligned label/value pairs, which read row by row."""
    if len(idx) <= 1:
        return idx
    min_gutter = _MIN_GUTTER * line_h
    blocks: list[tuple[list[int], list[tuple[float, float]]]] = []
    for band in _bands(idx, boxes):
        gutters = _gutters(band, boxes, min_gutter)
        if blocks and blocks[-1][1] and gutters:
            shared = _common(blocks[-1][1], gutters, min_gutter)
            if shared:
                blocks[-1] = (blocks[-1][0] + band, shared)
                continue
        blocks.append((band, gutters))
    out: list[int] = []
    for block, gutters in blocks:
        columns = _columns(block, boxes, gutters)
        if len(columns) > 1 and _columns_ok(columns, boxes, line_h):
            for column in columns:  # each a strict subset: the recursion ends
                out.extend(_order(column, boxes, line_h))
        else:
            out.extend(_rows(block, boxes))
    return out


def _columns(block: list[int], boxes: list[LevelBox], gutters: list[tuple[float, float]]) -> list[list[int]]:
    cuts = sorted((a + b) / 2 for a, b in gutters)
    groups: list[list[int]] = [[] for _ in range(len(cuts) + 1)]
    for i in block:
        groups[sum(boxes[i].cx > c for c in cuts)].append(i)
    return [g for g in groups if g]


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
