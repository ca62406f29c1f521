"""`find_handwriting`: a page's handwritten regions (the method: the package docstring)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np

from models.document import Box, TextLine
from pipeline.ocr.handwriting.evidence import handwritten_runs
from pipeline.ocr.handwriting.ink import (
    as_image,
    assign_to_lines,
    clusters_outside_lines,
    measure_copies,
    measure_ink,
    text_slope,
)
from pipeline.ocr.handwriting.params import DESKEW_DEGREES, MAX_CLUSTER_FILL


@dataclass(frozen=True, slots=True)
class HandwritingMark:
    box: Box  # region judged handwritten, pixel coordinates of the page image
    score: float  # 0..1
    line_index: int | None  # index into `lines` when the region belongs to an OCR'd line, else None


def find_handwriting(image: np.ndarray, lines: Sequence[TextLine], skew_degrees: float = 0.0) -> list[HandwritingMark]:
    """Regions of `image` that look handwritten; the method is in the package docstring.

    `skew_degrees`: the text's tilt (clockwise, as `pipeline.ocr.preprocess.estimate_skew` gives it).
    A page tilted by more than DESKEW_DEGREES (a photograph) is analysed turned level, since
    the cues compare glyphs' tops and bottoms along a line and a tilted line's upright box takes
    in parts of its neighbours; the marks are given back on the page as it is."""
    arr = as_image(image)
    if arr.shape[0] < 8 or arr.shape[1] < 8:
        return []
    if abs(skew_degrees) > DESKEW_DEGREES:
        return _find_level(arr, lines, skew_degrees)
    return _find(arr, lines)


def _find_level(arr: np.ndarray, lines: Sequence[TextLine], skew_degrees: float) -> list[HandwritingMark]:
    theta = math.radians(skew_degrees)
    c, s = math.cos(theta), math.sin(theta)
    h, w = arr.shape[:2]
    nw, nh = int(w * c + h * abs(s)) + 1, int(w * abs(s) + h * c) + 1
    # Turn by -skew about the centre, into a canvas that holds the whole page.
    turn = np.asarray(cv2.getRotationMatrix2D((w / 2, h / 2), skew_degrees, 1.0), np.float64)
    turn[:, 2] += ((nw - w) / 2, (nh - h) / 2)
    level = cv2.warpAffine(arr, turn, (nw, nh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    # A line's upright box on the tilted page holds its rectangle turned by the skew: solve for it.
    a = abs(s)
    level_lines = []
    for ln in lines:
        x0, y0, x1, y1 = ln.box
        bw, bh = x1 - x0, y1 - y0
        length = max((bw * c - bh * a) / (c * c - a * a), 0.5 * bw)
        thick = max((bh * c - bw * a) / (c * c - a * a), 0.25 * bh)
        cx, cy = turn[:, :2] @ np.array([(x0 + x1) / 2, (y0 + y1) / 2]) + turn[:, 2]
        box = (int(cx - length / 2), int(cy - thick / 2), math.ceil(cx + length / 2), math.ceil(cy + thick / 2))
        level_lines.append(replace(ln, box=box))
    back = cv2.invertAffineTransform(turn)
    marks = []
    for m in _find(level, level_lines):
        x0, y0, x1, y1 = m.box
        corners = np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]], np.float64) @ back[:, :2].T + back[:, 2]
        (bx0, by0), (bx1, by1) = corners.min(0), corners.max(0)
        box = (max(0, int(bx0)), max(0, int(by0)), min(w, int(math.ceil(bx1))), min(h, int(math.ceil(by1))))
        marks.append(HandwritingMark(box, m.score, m.line_index))
    return marks


def _find(arr: np.ndarray, lines: Sequence[TextLine]) -> list[HandwritingMark]:
    ink = measure_ink(arr, lines)
    cand, best = assign_to_lines(ink, lines)
    order = np.argsort(best, kind="stable")
    cut = np.searchsorted(best[order], np.arange(-1, len(lines) + 1))
    groups = [cand[order[cut[i + 1] : cut[i + 2]]] for i in range(len(lines))]
    skew = text_slope(ink, groups)
    measure_copies(ink, cand)
    found: list[tuple[Box, float, int | None]] = []
    for i, (ln, comps) in enumerate(zip(lines, groups, strict=True)):
        if len(comps):
            found += handwritten_runs(ink, comps, (ln.box[3] - ln.box[1]) / ink.f, skew, i)
    free = cand[order[cut[0] : cut[1]]]
    h = ink.y1[free] - ink.y0[free]
    w = ink.x1[free] - ink.x0[free]
    sw = 2 * ink.area[free] / np.maximum(ink.perim[free], 1)
    # Outside the lines only stroke-like ink of text size: not photos, emblems, QR codes, specks.
    keep = (
        (h >= 0.25 * ink.lh)
        & (h <= 6 * ink.lh)
        & (w <= 25 * ink.lh)
        & (sw <= 0.25 * ink.lh)
        & (ink.strong[free] >= 0.25)
    )
    for group in clusters_outside_lines(ink, free[keep]):
        gx0, gy0 = ink.x0[group].min(), ink.y0[group].min()
        gx1, gy1 = ink.x1[group].max(), ink.y1[group].max()
        # Dense blocks are pictures, QR codes, logos: strokes of writing cover a small part of their box.
        if cv2.countNonZero(ink.mask[gy0:gy1, gx0:gx1]) > MAX_CLUSTER_FILL * (gx1 - gx0) * (gy1 - gy0):
            continue
        height = float(np.median(ink.y1[group] - ink.y0[group])) * 1.6
        found += handwritten_runs(ink, group, height, skew, None)
    return [HandwritingMark(b, s, i) for b, s, i in found]
