"""Ruled tables: cells found from the page's ruling lines, the text lines in each cell, and
the table read row by row (cells left to right, each cell's lines top to bottom).

The rules are extracted morphologically: ink opened with a long horizontal kernel keeps
horizontal rules, with a long vertical one vertical rules (the kernels are a few text-line
heights long, so letters and underlines of words do not survive both). The cells are the
closed regions the two sets of rules enclose; a table is a group of at least two cells
that share one grid. A text line belongs to the cell that holds its centre.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from models.document import Box

_H_KERNEL = 3.0  # x text-line height: shorter horizontal strokes are letters or dashes
_V_KERNEL = 1.6  # x text-line height: letters' stems are shorter
_MIN_CELLS = 2
_RECTANGULAR = 0.8  # a cell's area over its bounding box's


@dataclass(frozen=True, slots=True)
class Cell:
    box: Box
    row: int  # of the table's rows, top to bottom (a cell spanning rows is in its top one)
    column: int  # of its row's cells, left to right
    lines: tuple[int, ...] = ()  # indexes of the page's lines inside it, in reading order


@dataclass(frozen=True, slots=True)
class Table:
    box: Box
    cells: tuple[Cell, ...]  # row by row, each row left to right

    @property
    def rows(self) -> list[list[Cell]]:
        out: list[list[Cell]] = []
        for cell in self.cells:
            if not out or out[-1][0].row != cell.row:
                out.append([])
            out[-1].append(cell)
        return out

    def line_order(self) -> list[int]:
        return [i for cell in self.cells for i in cell.lines]


def ink_mask(grey: np.ndarray) -> np.ndarray:
    """Ink (255) of a grey page, thresholded against its neighbourhood (uneven light kept out)."""
    blur = cv2.GaussianBlur(grey, (3, 3), 0)
    return cv2.adaptiveThreshold(blur, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15)


def rule_mask(grey: np.ndarray, line_height: float) -> np.ndarray:
    """The ruling lines of a page (255 where a rule is), from its grey image."""
    ink = ink_mask(grey)
    h_len = max(int(_H_KERNEL * line_height), 15)
    v_len = max(int(_V_KERNEL * line_height), 15)
    horizontal = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (h_len, 1)))
    vertical = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, v_len)))
    # Rules that stop a few pixels short of a crossing still close the cell.
    grid = cv2.bitwise_or(horizontal, vertical)
    return cv2.dilate(grid, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5)))


def erase_rules(grey: np.ndarray, line_height: float) -> np.ndarray:
    """The page's grey image with its ruling lines painted over in the paper's tone, for the
    recognizer: a line's crop in a ruled cell takes in the cell's rules, which a recognizer
    reads as letters (`| Phòng |`) or, beside a short word, as reason to read nothing at all.
    Horizontal strokes longer than any letter's are painted; a vertical stroke where it meets
    a horizontal rule and is longer than a letter's stem, or where it joins two of them (the
    side of a cell one line high); standing alone, only where it is longer than a large
    title's stem. The image given is not changed."""
    ink = ink_mask(grey)
    h_len = max(int(_H_KERNEL * line_height), 15)
    horizontal = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (h_len, 1)))
    if not horizontal.any():
        return grey  # no table, no form's rules: nothing to paint (a page of text costs no more)
    v_min = max(int(0.6 * line_height), 8)
    vertical = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, v_min)))
    # Where a wall meets a rule is looked for in the ink thickened up and down: a rule on a
    # slightly turned scan steps a pixel now and then, and the opening loses its last pixels.
    thick = cv2.dilate(ink, np.ones((5, 1), np.uint8))
    whole = cv2.morphologyEx(thick, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (h_len, 1)))
    near = cv2.dilate(cv2.bitwise_or(horizontal, whole), np.ones((7, 7), np.uint8)) > 0
    n, labels, stats, _ = cv2.connectedComponentsWithStats(vertical, connectivity=8)
    keep = np.zeros(n, bool)
    for k in range(1, n):
        x, y, w, h = (int(v) for v in stats[k, :4])
        top, bottom = near[y, x : x + w].any(), near[y + h - 1, x : x + w].any()
        keep[k] = h >= _H_KERNEL * line_height or (h >= _V_KERNEL * line_height and (top or bottom)) or (top and bottom)
    rules = cv2.bitwise_or(horizontal, np.where(keep[labels] & (labels > 0), 255, 0).astype(np.uint8))
    if not rules.any():
        return grey
    out = grey.copy()
    out[cv2.dilate(rules, np.ones((3, 3), np.uint8)) > 0] = int(np.median(grey))
    return out


def _cells_of(grid: np.ndarray, line_height: float) -> list[tuple[Box, int]]:
    """Closed regions of the grid (box, index of the grid component around them)."""
    contours, hierarchy = cv2.findContours(grid, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return []
    out = []
    for k, contour in enumerate(contours):
        parent = int(hierarchy[0][k][3])
        if parent < 0:
            continue  # an outer border, not a hole
        x, y, w, h = cv2.boundingRect(contour)
        if h < 0.8 * line_height or w < 1.0 * line_height:
            continue  # the gap inside a thick or doubled rule
        if cv2.contourArea(contour) < _RECTANGULAR * w * h:
            continue
        out.append(((x, y, x + w, y + h), parent))
    return out


def _rows_of(boxes: list[Box], line_height: float) -> list[list[int]]:
    order = sorted(range(len(boxes)), key=lambda i: (boxes[i][1], boxes[i][0]))
    rows: list[list[int]] = []
    for i in order:
        if rows and abs(boxes[i][1] - boxes[rows[-1][0]][1]) < 0.5 * line_height:
            rows[-1].append(i)
        else:
            rows.append([i])
    return [sorted(row, key=lambda i: boxes[i][0]) for row in rows]


def _within(line: Box, cell: Box) -> bool:
    cx, cy = (line[0] + line[2]) / 2, (line[1] + line[3]) / 2
    return cell[0] <= cx < cell[2] and cell[1] <= cy < cell[3]


def find_tables(grey: np.ndarray, lines: Sequence[Box], reading: Sequence[int] | None = None) -> list[Table]:
    """The ruled tables of a page: `grey` its image, `lines` its text lines' boxes (in the
    image's pixels), `reading` their reading order (default: as given). Tables top to bottom."""
    if not lines:
        return []
    line_height = float(np.median([b[3] - b[1] for b in lines])) or 1.0
    grid = rule_mask(grey, line_height)
    found = _cells_of(grid, line_height)
    rank = {i: n for n, i in enumerate(reading if reading is not None else range(len(lines)))}
    tables = []
    for parent in sorted({p for _, p in found}):
        boxes = [box for box, p in found if p == parent]
        # A cell holding other cells is the table's frame seen from inside: its children win.
        boxes = [b for b in boxes if not any(o is not b and _inside(o, b) for o in boxes)]
        if len(boxes) < _MIN_CELLS:
            continue
        cells = []
        for r, row in enumerate(_rows_of(boxes, line_height)):
            for c, k in enumerate(row):
                held = [i for i, line in enumerate(lines) if _within(line, boxes[k])]
                cells.append(Cell(boxes[k], r, c, tuple(_cell_order(held, lines, rank))))
        if not any(cell.lines for cell in cells):
            continue
        x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
        x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
        tables.append(Table((x0, y0, x1, y1), tuple(cells)))
    return sorted(tables, key=lambda t: t.box[1])


def _inside(inner: Box, outer: Box) -> bool:
    return inner[0] >= outer[0] and inner[1] >= outer[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def _cell_order(held: list[int], lines: Sequence[Box], rank: dict[int, int]) -> list[int]:
    """A cell's lines top to bottom, each row left to right (lines that share a row overlap
    vertically by half the lower one's height)."""
    out: list[list[int]] = []
    for i in sorted(held, key=lambda i: (lines[i][1] + lines[i][3]) / 2):
        if out:
            top = min(lines[k][1] for k in out[-1])
            bottom = max(lines[k][3] for k in out[-1])
            overlap = min(bottom, lines[i][3]) - max(top, lines[i][1])
            if overlap >= 0.5 * min(lines[i][3] - lines[i][1], bottom - top):
                out[-1].append(i)
                continue
        out.append([i])
    return [i for row in out for i in sorted(row, key=lambda k: (lines[k][0], rank.get(k, 0)))]


def groups_read_together(order: Sequence[int], groups: Sequence[Sequence[int]]) -> list[int]:
    """The reading order `order` (line indexes) with each group's lines read together, in the
    group's own order, where the first of them came."""
    member = {i: g for g, lines in enumerate(groups) for i in lines}
    out: list[int] = []
    done: set[int] = set()
    for i in order:
        g = member.get(i)
        if g is None:
            out.append(i)
        elif g not in done:
            done.add(g)
            out.extend(groups[g])
    return out


def table_reading_order(order: Sequence[int], tables: Sequence[Table]) -> list[int]:
    """The page's reading order `order` (line indexes) with each table's lines read as a
    table: where the first of its lines came, all of them, row by row."""
    return groups_read_together(order, [table.line_order() for table in tables])
