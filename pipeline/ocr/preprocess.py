"""Page geometry and contrast: orientation, skew, illumination, rules. Never modifies its input.

Skew is not corrected by rotating the page: each detected line is cropped through its
own rotated rectangle (pipeline.ocr.lines), which straightens it, and reading order works in
de-rotated coordinates. Only quarter turns are applied to the picture. Illumination is
normalized per line crop (`stretch_contrast`): across one line, shading from a lamp,
a shadow or yellowed paper is nearly uniform, so a local stretch removes it where a
page-wide correction would have to model it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from pipeline.ocr.engines import DetectedLine


def rotate_quarter(image: np.ndarray, quarter_turns_ccw: int) -> np.ndarray:
    """Rotate by 90° * k counter-clockwise (a new array; the input is left alone)."""
    return np.ascontiguousarray(np.rot90(image, k=quarter_turns_ccw % 4))


def unrotate_points(points: np.ndarray, quarter_turns_ccw: int, orig_w: int, orig_h: int) -> np.ndarray:
    """Map points on the rotated picture back to the picture as given."""
    k = quarter_turns_ccw % 4
    x, y = points[:, 0], points[:, 1]
    if k == 0:
        out = np.stack([x, y], axis=1)
    elif k == 1:  # rot90 ccw: (x, y) on rotated came from (W-1-y, x)
        out = np.stack([orig_w - 1 - y, x], axis=1)
    elif k == 2:
        out = np.stack([orig_w - 1 - x, orig_h - 1 - y], axis=1)
    else:
        out = np.stack([y, orig_h - 1 - x], axis=1)
    return out.astype(np.float32)


def line_angle(quad: np.ndarray) -> tuple[float, float, float]:
    """(angle in degrees of the long side, its length, the short side)."""
    top = quad[1] - quad[0]
    side = quad[3] - quad[0]
    width, height = float(np.hypot(*top)), float(np.hypot(*side))
    return math.degrees(math.atan2(float(top[1]), float(top[0]))), width, height


def vertical_share(lines: Sequence[DetectedLine]) -> float:
    """Share of (text-length-weighted) lines that stand upright: a page turned by 90°/270°."""
    upright = total = 0.0
    for line in lines:
        x0, y0, x1, y1 = line.bbox
        w, h = x1 - x0, y1 - y0
        weight = max(w, h)
        if max(w, h) < 2 * min(w, h):  # short words say nothing about direction
            continue
        total += weight
        if h > w:
            upright += weight
    return upright / total if total else 0.0


def estimate_skew(lines: Sequence[DetectedLine]) -> float:
    """Median angle (degrees, clockwise positive in image coordinates) of the long lines."""
    angles, weights = [], []
    for line in lines:
        angle, width, height = line_angle(line.quad)
        if width >= 4 * height and abs(angle) < 30:
            angles.append(angle)
            weights.append(width)
    if not angles:
        return 0.0
    order = np.argsort(angles)
    cumulative = np.cumsum(np.asarray(weights)[order])
    return float(np.asarray(angles)[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def percentiles(grey: np.ndarray, qs: Sequence[float]) -> list[np.float64]:
    """`np.percentile(grey, qs)` of a uint8 image (its default, linear method; the same
    values to the bit), read from the image's histogram instead of sorting its pixels: a
    line crop's percentiles are taken several times in cropping it."""
    flat = grey.ravel()
    n = flat.size
    if n == 0 or grey.dtype != np.uint8:
        return [np.float64(v) for v in np.percentile(grey, qs)]
    if n < 1 << 24:  # counted in float32 by OpenCV: exact below 2**24 pixels
        counts = cv2.calcHist([np.ascontiguousarray(grey)], [0], None, [256], [0, 256]).ravel().astype(np.int64)
    else:
        counts = np.bincount(flat, minlength=256)
    cumulative = np.cumsum(counts)
    out = []
    for q in qs:
        index = (n - 1) * (q / 100)
        below = math.floor(index)
        t = index - below
        # The values at sorted positions `below` and the next one: the first grey level
        # whose running count passes the position.
        a, b = (int(v) for v in np.searchsorted(cumulative, (below, min(below + 1, n - 1)), side="right"))
        diff = b - a
        # numpy's `_lerp`, step for step (from the nearer end), so the float is the same.
        out.append(np.float64(b - diff * (1 - t) if t >= 0.5 else a + diff * t))
    return out


def stretch_contrast(grey: np.ndarray) -> np.ndarray:
    """Map the 1st..99th percentile of a line crop onto 0..255: faint ink and grey paper."""
    lo, hi = percentiles(grey, (1, 99))
    if hi - lo < 8:  # blank crop: nothing to stretch
        return grey
    # Per grey level (a table of 256), as `(grey - lo) * (255 / (hi - lo))` per pixel.
    table = np.clip((np.arange(256, dtype=np.float32) - lo) * (255.0 / (hi - lo)), 0, 255).astype(np.uint8)
    return np.asarray(table[grey])


def remove_rules(grey: np.ndarray, line_height: float) -> np.ndarray:
    """Paint out ruled lines (table grids, boxed digit cells, underlines) with the paper colour.

    Meant for a straightened line crop whose text is `line_height` tall. Strokes longer
    than any letter stroke are rules: horizontal ones over 1.5 line heights, vertical ones
    over 1.2 (taller than a capital with its marks). Shorter vertical strokes (the walls of boxed digit
    cells, about one line high) count as rules only where they join a horizontal rule,
    since letters never do. Left in a line crop, Tesseract reads rules as '|', '[' or '_'
    and loses the cell's text.
    """
    h = max(int(line_height), 8)
    ink = cv2.adaptiveThreshold(grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 15)
    horizontal = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (int(1.5 * h), 1)))
    vertical = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, int(1.2 * h))))
    if horizontal.any():
        short = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, int(0.85 * h))))
        count, labels = cv2.connectedComponents(short)
        if count > 1:
            joined = cv2.dilate(horizontal, np.ones((5, 5), np.uint8)) > 0
            touching = np.unique(labels[joined & (short > 0)])
            vertical = cv2.bitwise_or(vertical, np.isin(labels, touching[touching > 0]).astype(np.uint8) * 255)
    rules = cv2.dilate(cv2.bitwise_or(horizontal, vertical), np.ones((3, 3), np.uint8))
    if not rules.any():
        return grey
    out = grey.copy()
    out[rules > 0] = int(percentiles(grey, (90,))[0])
    return out
