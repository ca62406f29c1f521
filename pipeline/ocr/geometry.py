"""Page geometry shared by the reading order (pipeline.ocr.order) and the fields found by
layout (pipeline.fields.official_doc).

Boxes on the page as given are `models.document.Box` (integer pixels; see `overlap` there
for the share of one box inside another). Layout is worked out in the *level* frame:
the page turned upright by quarter turns, then the text's slope (skew, clockwise) taken
out, where a line is a `LevelBox` of floats.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from models.document import Box

Item = TypeVar("Item")
# A box of floats in any frame: (x0, y0, x1, y1).
FloatBox = tuple[float, float, float, float]


def span_overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    """Length that [a0, a1] and [b0, b1] share; negative: the gap between them."""
    return min(a1, b1) - max(a0, b0)


def merged_spans(spans: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Union of 1-D intervals, sorted."""
    out: list[list[float]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(a, b) for a, b in out]


def union_box(boxes: Iterable[Box]) -> Box:
    """The smallest box holding all `boxes` (at least one)."""
    x0s, y0s, x1s, y1s = zip(*boxes, strict=True)
    return (min(x0s), min(y0s), max(x1s), max(y1s))


@dataclass(frozen=True, slots=True)
class LevelBox:
    """A box in the level frame (upright, de-skewed)."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def overlap_x(self, other: LevelBox) -> float:
        """Width shared with `other`; negative: the horizontal gap between them."""
        return span_overlap(self.x0, self.x1, other.x0, other.x1)


def rows(
    items: Iterable[Item], cy: Callable[[Item], float], same_row: Callable[[list[Item], Item], bool]
) -> list[list[Item]]:
    """Items top to bottom (by centre height `cy`), grouped into rows: each item joins the
    row above it when `same_row(row, item)` holds, else starts a new one."""
    out: list[list[Item]] = []
    for item in sorted(items, key=cy):
        if out and same_row(out[-1], item):
            out[-1].append(item)
        else:
            out.append([item])
    return out


# --------------------------------------------------------------------------- skew


@dataclass(frozen=True, slots=True)
class Levelling:
    """The rotation that takes the text's slope out (skew in degrees, clockwise)."""

    sin: float
    cos: float

    @classmethod
    def of(cls, skew_degrees: float) -> Levelling:
        theta = math.radians(skew_degrees)
        return cls(math.sin(theta), math.cos(theta))

    def matrix(self, dtype: type = np.float64) -> np.ndarray:
        """2x2 matrix M with level = M @ point (points as rows: `points @ M.T`)."""
        return np.array([[self.cos, self.sin], [-self.sin, self.cos]], dtype=dtype)

    def point(self, x: float, y: float) -> tuple[float, float]:
        return x * self.cos + y * self.sin, -x * self.sin + y * self.cos

    def quad(self, points: np.ndarray) -> LevelBox:
        """The level-frame extent of a quadrilateral (or any points; float32 arithmetic)."""
        levelled = points @ self.matrix(np.float32).T
        (x0, y0), (x1, y1) = levelled.min(axis=0), levelled.max(axis=0)
        return LevelBox(float(x0), float(y0), float(x1), float(y1))

    def text_height(self, box: FloatBox) -> float:
        """The height of the text in an axis-aligned box round a sloping line: the box is
        taller than the text by its width * |sin(skew)|."""
        x0, y0, x1, y1 = box
        return max((y1 - y0) - (x1 - x0) * abs(self.sin), 0.3 * (y1 - y0), 1.0)

    def line(self, box: FloatBox) -> LevelBox:
        """A line's axis-aligned box in the level frame: its centre turned, its width kept,
        its height that of the text (`text_height`)."""
        x0, y0, x1, y1 = box
        cx, cy = self.point((x0 + x1) / 2, (y0 + y1) / 2)
        half_w, half_h = (x1 - x0) / 2, self.text_height(box) / 2
        return LevelBox(cx - half_w, cy - half_h, cx + half_w, cy + half_h)


# --------------------------------------------------------------------------- quarter turns


def turned_box(box: FloatBox, width: float, height: float, turns: int) -> tuple[FloatBox, float, float]:
    """A box on a width x height page after turning the page `turns` quarter turns
    clockwise; with the page's new width and height."""
    for _ in range(turns % 4):
        x0, y0, x1, y1 = box
        box = (height - y1, x0, height - y0, x1)
        width, height = height, width
    return box, width, height


def upright_turns(boxes: Sequence[FloatBox], width: float, height: float) -> int:
    """Quarter turns (clockwise) that make the lines wide and their order (reading order, as
    given) run down the page: OCR reads a turned page upright but keeps its boxes on the
    page as given."""
    if len(boxes) < 2:
        return 0
    best, best_score = 0, -math.inf
    for turns in range(4):
        placed = [turned_box(b, width, height, turns)[0] for b in boxes]
        wide = sum((b[2] - b[0]) >= (b[3] - b[1]) for b in placed) / len(placed)
        cys = [(b[1] + b[3]) / 2 for b in placed]
        down = sum(b > a for a, b in zip(cys, cys[1:], strict=False)) / (len(cys) - 1)
        score = wide + down + (0.01 if turns == 0 else 0.0)  # ties: as given
        if score > best_score:
            best, best_score = turns, score
    return best


def slice_box(box: Box, width: int, height: int, turns: int, start: int, end: int, length: int) -> Box:
    """The part of a line's box (on the page as given, `width` x `height`) holding characters
    [start, end) of its `length`, by proportion; the line runs left to right once the page
    is turned `turns` quarter turns clockwise."""
    (x0, y0, x1, y1), w, h = turned_box(box, width, height, turns)
    part = (x0 + (x1 - x0) * start / length, y0, x0 + (x1 - x0) * end / length, y1)
    back, _, _ = turned_box(part, w, h, 4 - turns)
    return (int(back[0]), int(back[1]), int(round(back[2])), int(round(back[3])))
