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


# Small print: a card or a receipt copied onto an A4 page is a small block of small text,
# which the detector, seeing the whole page shrunk to its size limit, misses a line of here
# and there (a card's English caption, a second field on a row). Where the page's lines all
# lie in a block much smaller than the page, the block is detected again on its own, at up
# to this many times the resolution.
SMALL_PRINT_GAIN = 1.6
SMALL_PRINT_MARGIN = 3.0  # x the lines' median height: room around the block for lines missed at its edge


def small_print_block(
    lines: Sequence[DetectedLine], width: int, height: int, limit_side_len: int
) -> tuple[int, int, int, int] | None:
    """The block (x0, y0, x1, y1) that holds all of a page's detected lines with a margin, where
    detecting it alone would see it at least `SMALL_PRINT_GAIN` times as large as the page's
    detection did (the detector scales a picture's longest side down to `limit_side_len`);
    None where it would not."""
    if not lines or limit_side_len <= 0 or max(width, height) <= SMALL_PRINT_GAIN * limit_side_len:
        return None
    points = np.concatenate([line.quad for line in lines])
    margin = SMALL_PRINT_MARGIN * float(np.median([line_angle(line.quad)[2] for line in lines]))
    x0, y0 = np.maximum(np.floor(points.min(axis=0) - margin), 0).astype(int)
    x1, y1 = np.minimum(np.ceil(points.max(axis=0) + margin), (width, height)).astype(int)
    page_scale = limit_side_len / max(width, height)
    block_scale = min(1.0, limit_side_len / max(x1 - x0, y1 - y0, 1))
    if block_scale < SMALL_PRINT_GAIN * page_scale:
        return None
    return int(x0), int(y0), int(x1), int(y1)


# What Tesseract writes for a slash standing alone between words in bold print (a card's
# bilingual captions `Số / No.:`, `MẪU / SPECIMEN`): upright strokes, none of them a slash.
SLASH_MISREADS = frozenset("I[]|!¡íìJl")
_SLASH_LEAN = -0.12  # x moved per y down: a slash leans right (upright strokes ~0, `1` +0.1)
_SLASH_FILL = 0.65  # share of its box a slash's ink fills at most (an `I`, `[`, `|` fill ~all)
_UPRIGHT_PRINT = -0.08  # the line's other strokes' median lean: italic print leans too


def _lean(labels: np.ndarray, k: int) -> float:
    ys, xs = np.nonzero(labels == k)
    return float(np.polyfit(ys, xs, 1)[0]) if len(set(ys.tolist())) > 2 else 0.0


def mend_slashes(crop: np.ndarray, text: str, words: Sequence[tuple[int, int, int]], line_height: float) -> str:
    """`text` with each one-character word that Tesseract read as an upright stroke
    (`SLASH_MISREADS`) written `/` where the ink at its place in `crop` (`words`: each word's
    start in `text` and left and right x in the crop) is one thin stroke leaning like a slash,
    in upright print. Decided on the picture, never on the text around it."""
    singles = [
        (s, x0, x1)
        for s, x0, x1 in words
        if text[s : s + 1] in SLASH_MISREADS and text[s - 1 : s] == " " and text[s + 1 : s + 2] in (" ", "")
    ]
    if not singles or crop.size == 0:
        return text
    _, ink = cv2.threshold(crop, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    tall = [k for k in range(1, count) if stats[k, cv2.CC_STAT_HEIGHT] >= 0.45 * line_height]
    out = list(text)
    for s, x0, x1 in singles:
        inside = [k for k in tall if stats[k, 0] >= x0 - 3 and stats[k, 0] + stats[k, cv2.CC_STAT_WIDTH] <= x1 + 3]
        if len(inside) != 1:
            continue
        k = inside[0]
        w, h, area = (int(v) for v in stats[k, 2:5])
        others = [_lean(labels, j) for j in tall if j != k]
        if (
            0.2 <= w / h <= 0.8
            and area <= _SLASH_FILL * w * h
            and _lean(labels, k) <= _SLASH_LEAN
            and (not others or float(np.median(others)) >= _UPRIGHT_PRINT)
        ):
            out[s] = "/"
    return "".join(out)
