"""The ink of a page at analysis scale, its connected components and what is measured on them: size,
boundary, colour, stem tilts, look-alike copies; which OCR line each belongs to; groups outside the lines."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from models.document import TextLine
from pipeline.ocr.handwriting.params import (
    ANALYSIS_PIXELS,
    BLUE_CHROMA,
    BLUE_EXCESS,
    COPY_GRID,
    COPY_MAX_GLYPHS,
    COPY_NONE,
    COPY_SHRINK,
    COPY_SIZE_TOLERANCE,
    LLR_NO_COPY,
    RED_EXCESS,
    STEM_BINS,
    STEM_MIN_HEIGHT,
    STEM_RANGE,
)

# Ink: darker than the paper by 30 % of its brightness (at least 40 levels); 'core' ink by 45 %.
_INK_STEP = np.maximum(40, np.arange(256) * 0.3).astype(np.uint8)
_CORE_STEP = (np.arange(256) * 0.45).astype(np.uint8)
_GROW = np.ones((3, 3), np.uint8)


@dataclass(slots=True)
class Ink:
    """A page's ink at analysis scale; the arrays hold one entry per connected component (0: no ink)."""

    width: int  # page image size, pixels
    height: int
    f: int  # image pixels per analysis pixel
    lh: float  # reference text-line height, analysis pixels
    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    area: np.ndarray
    perim: np.ndarray
    blue: np.ndarray  # bool: chromatic blue / violet ink
    stems: np.ndarray  # (rows, STEM_BINS): edge strength of near-vertical edges per 2-degree tilt bin ...
    stem_row: np.ndarray  # ... row per component (-1: shorter than STEM_MIN_HEIGHT, none)
    mask: np.ndarray  # ink before removing rules (uint8 0/255, analysis scale)
    strong: np.ndarray  # share of pixels darker than the paper by 45 % or more
    labels: np.ndarray  # component number per pixel of the ink without rules (analysis scale)
    dark: np.ndarray  # how much darker than the paper each pixel is (uint8, analysis scale)
    no_copy_llr: float  # evidence of a glyph without a look-alike on this page
    copy: np.ndarray  # per component: shape distance to its nearest look-alike of its size (NaN: not measured)


def upper_median(v: np.ndarray) -> float:
    """Upper median of a small array (np.median costs ~10x more on short arrays)."""
    return float(np.sort(v)[len(v) // 2])


def reference_height(shape: tuple[int, ...], lines: Sequence[TextLine]) -> float:
    hs = sorted(ln.box[3] - ln.box[1] for ln in lines if ln.box[3] > ln.box[1])
    if hs:
        return float(hs[len(hs) // 2])
    return max(20.0, min(shape[:2]) / 45)


def as_image(image: np.ndarray) -> np.ndarray:
    arr = np.asarray(image)
    if arr.ndim == 3 and arr.shape[2] == 4:
        arr = arr[..., :3]
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] != 3):
        raise ValueError(f"expected an (H, W, 3) RGB or (H, W) grey image, got shape {arr.shape}")
    if arr.dtype != np.uint8:
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    return arr


def measure_ink(arr: np.ndarray, lines: Sequence[TextLine]) -> Ink:
    colour = arr.ndim == 3
    ref = reference_height(arr.shape, lines)
    h, w = arr.shape[:2]
    # Work where a text line is >= ~35 px tall, on at most ~2.6 Mpx (an A4 page at 300 dpi: half scale).
    f = int(min(4, max(1, ref // 35, math.ceil(math.sqrt(h * w / ANALYSIS_PIXELS)))))
    if f > 1:  # (whole multiples of f: OpenCV's fast path for area averaging)
        small = cv2.resize(arr[: h - h % f, : w - w % f], (w // f, h // f), interpolation=cv2.INTER_AREA)
    else:
        small = np.ascontiguousarray(arr)
    gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY) if colour else small
    sh, sw = gray.shape
    # Paper: 8 x 8 block means, then the brightest block nearby (text never fills a 5 x 5 block window).
    tiny = cv2.resize(
        gray[: max(8, sh - sh % 8), : max(8, sw - sw % 8)],
        (max(1, sw // 8), max(1, sh // 8)),
        interpolation=cv2.INTER_AREA,
    )
    bg = cv2.resize(cv2.dilate(tiny, np.ones((5, 5), np.uint8)), (sw, sh), interpolation=cv2.INTER_LINEAR)
    dark = cv2.subtract(bg, gray)
    ink = cv2.compare(dark, cv2.LUT(bg, _INK_STEP), cv2.CMP_GT)
    if colour:
        r, g, b = cv2.split(small)
        red = np.where(cv2.subtract(r, cv2.max(g, b)) > RED_EXCESS, np.uint8(255), np.uint8(0))
        ink = cv2.bitwise_and(ink, cv2.bitwise_not(red))
    lh = ref / f
    # Rules: straight runs longer than 1.5 line heights. Thickening across the run first lets a rule
    # tilted by a scan (1-2 degrees) still hold the whole kernel.
    rule = max(15, int(round(1.5 * lh)))
    mask = ink
    for across, along in (((3, 1), (rule, 1)), ((1, 3), (1, rule))):  # (numpy shapes: rows, columns)
        kernel = np.ones(along[::-1], np.uint8)
        seeds = cv2.erode(cv2.dilate(mask, np.ones(across, np.uint8)), kernel)
        if cv2.countNonZero(seeds):  # (opening = erosion, then dilation: skipped when nothing is left)
            ink = cv2.subtract(ink, cv2.dilate(seeds, kernel))
    n, labels, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(ink, 8, cv2.CV_32S, cv2.CCL_GRANA)
    inside = np.flatnonzero(ink.ravel() > 0)  # (a bool mask: several times faster than on uint8)
    lab = labels.ravel()[inside]
    area = stats[:, 4].astype(np.float32)
    edge = cv2.subtract(ink, cv2.erode(ink, cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))))
    perim = np.bincount(lab, edge.ravel()[inside] > 0, minlength=n).astype(np.float32)
    # Share of each component that is clearly dark (pen or toner), not the soft shade of a photo.
    core = dark.ravel()[inside] > _CORE_STEP[bg.ravel()[inside]]
    strong = np.bincount(lab, core, minlength=n) / np.maximum(area, 1)
    blue = np.zeros(n, bool)
    if colour:
        # Mean colour of each component's ink: blue / violet ballpoint has B well above R and G.
        rgb = [c.ravel()[inside] for c in (r, g, b)]
        mean = np.stack([np.bincount(lab, c, minlength=n) for c in rgb], 1) / np.maximum(area, 1)[:, None]
        cool = mean[:, 2] - (mean[:, 0] + mean[:, 1]) / 2
        blue = (cool >= BLUE_EXCESS) & (mean.max(1) - mean.min(1) >= BLUE_CHROMA)
    # Stems: near-vertical edges (gradient mostly horizontal), tilt atan(gy / gx), histogram per component.
    gx = cv2.Sobel(gray, cv2.CV_16S, 1, 0, ksize=3).ravel()[inside].astype(np.float32)
    gy = cv2.Sobel(gray, cv2.CV_16S, 0, 1, ksize=3).ravel()[inside].astype(np.float32)
    ax = np.abs(gx)
    # Only components tall enough to measure a tilt get a histogram row (stem_row -1: none).
    tall = stats[:, 3] >= STEM_MIN_HEIGHT
    tall[0] = False
    stem_row = np.full(n, -1, np.int64)
    stem_row[tall] = np.arange(np.count_nonzero(tall))
    row = stem_row[lab]
    stem = (ax > 2 * np.abs(gy)) & (ax > 60) & (row >= 0)
    t = gy[stem] / gx[stem]  # |t| < 0.5: atan(t) ~ t (0.9724 - 0.1919 t^2), within 0.3 degree
    ang = np.degrees(t * (0.9724 - 0.1919 * t * t))
    bins = np.clip(((ang + STEM_RANGE) / 2.0).astype(np.int32), 0, STEM_BINS - 1)
    rows = np.count_nonzero(tall)
    hist = np.bincount(row[stem] * STEM_BINS + bins, ax[stem], minlength=rows * STEM_BINS).reshape(rows, STEM_BINS)
    x0 = np.ascontiguousarray(stats[:, 0])
    y0 = np.ascontiguousarray(stats[:, 1])
    return Ink(
        w,
        h,
        f,
        lh,
        x0,
        y0,
        x0 + stats[:, 2],
        y0 + stats[:, 3],
        area,
        perim,
        blue,
        hist.astype(np.float32),
        stem_row,
        mask,
        strong,
        labels,
        dark,
        0.0,
        np.full(n, np.nan, np.float32),
    )


def assign_to_lines(ink: Ink, lines: Sequence[TextLine]) -> tuple[np.ndarray, np.ndarray]:
    """Candidate components (not specks) and, for each, the index of its line or -1."""
    amin = max(3.0, (0.05 * ink.lh) ** 2)
    w = (ink.x1 - ink.x0).astype(np.float32)
    h = (ink.y1 - ink.y0).astype(np.float32)
    sw = 2 * ink.area / np.maximum(ink.perim, 1)
    # Remnants of rules (tilted, broken, dotted into dashes, cell sides): long, thin and straight. A
    # vertical one must be upright to ~2 degrees, so as to keep hand-drawn strokes such as a '1'.
    straight = ((h <= 2.5 * sw + 0.06 * w) & (w >= ink.lh)) | ((w <= 1.5 * sw + 0.035 * h) & (h >= 0.5 * ink.lh))
    cand = np.flatnonzero((ink.area >= amin) & ~straight)
    cand = cand[cand > 0]
    cx = (ink.x0[cand] + ink.x1[cand]) * 0.5
    cy = (ink.y0[cand] + ink.y1[cand]) * 0.5
    best = np.full(len(cand), -1)
    dist = np.full(len(cand), np.inf)
    f = ink.f
    for i, ln in enumerate(lines):
        x0, y0, x1, y1 = (v / f for v in ln.box)
        if x1 <= x0 or y1 <= y0:
            continue
        d = np.abs(cy - (y0 + y1) * 0.5) / (y1 - y0)
        upd = (cx >= x0) & (cx < x1) & (cy >= y0) & (cy < y1) & (d < dist)
        best[upd] = i
        dist[upd] = d[upd]
    return cand, best


def measure_copies(ink: Ink, cand: np.ndarray) -> None:
    """Fill `ink.copy` for the letter-sized components among `cand` (not marks, dots or pictures):
    the distance from each one's shape to its nearest look-alike of the same size among them. Type
    prints one shape for every copy of a letter, so most typeset glyphs have a near-exact copy
    somewhere on the page; a hand never draws the same letter twice."""
    tall = ink.y1[cand] - ink.y0[cand]
    comps = cand[(tall >= 0.3 * ink.lh) & (tall <= 4 * ink.lh)]
    if not 2 <= len(comps) <= COPY_MAX_GLYPHS:
        return
    h = (ink.y1[comps] - ink.y0[comps]).astype(np.float32)
    w = (ink.x1[comps] - ink.x0[comps]).astype(np.float32)
    grids = np.empty((len(comps), COPY_GRID * COPY_GRID), np.float32)
    for k, c in enumerate(comps):  # (the component alone: not the parts of neighbours inside its box)
        y0, y1, x0, x1 = ink.y0[c], ink.y1[c], ink.x0[c], ink.x1[c]
        # Darkness, not the binary mask: thresholding moves a stroke's edge by a pixel with the
        # glyph's place on the pixel grid; the grey levels keep copies alike. The component grown
        # by a pixel takes in its soft edge.
        own = cv2.dilate((ink.labels[y0:y1, x0:x1] == c).view(np.uint8), _GROW)
        g = ink.dark[y0:y1, x0:x1] * own
        grids[k] = cv2.resize(
            g.astype(np.float32) / max(1, int(g.max())), (COPY_GRID, COPY_GRID), interpolation=cv2.INTER_AREA
        ).ravel()
    # Pairs of the same size, found by buckets as wide as the widest tolerance: a glyph's
    # look-alikes are in its bucket or the next ones. Each pair is measured once, from the lower bucket.
    tol_h = COPY_SIZE_TOLERANCE[0] + COPY_SIZE_TOLERANCE[1] * h
    tol_w = COPY_SIZE_TOLERANCE[0] + COPY_SIZE_TOLERANCE[1] * w
    key = (h // float(tol_h.max())).astype(np.int64) * 100_000 + (w // float(tol_w.max())).astype(np.int64)
    order = np.argsort(key, kind="stable")
    keys, starts = np.unique(key[order], return_index=True)
    ends = [*starts[1:].tolist(), len(order)]
    bucket = {k: order[a:b] for k, a, b in zip(keys.tolist(), starts.tolist(), ends, strict=True)}
    best = np.full(len(comps), np.inf, np.float32)
    for kk, members in bucket.items():
        other = np.concatenate(
            [bucket[k] for k in (kk, kk + 1, kk + 99_999, kk + 100_000, kk + 100_001) if k in bucket]
        )
        for lo in range(0, len(members), 128):  # (in slices: memory stays small on any page)
            mine = members[lo : lo + 128, None]
            i, j = np.nonzero(
                (np.abs(h[mine] - h[other]) <= np.minimum(tol_h[mine], tol_h[other]))
                & (np.abs(w[mine] - w[other]) <= np.minimum(tol_w[mine], tol_w[other]))
                & ((mine < other) | (key[other] != kk))
            )
            for at in range(0, len(i), 8192):  # (a pair's two grids are 1 KiB)
                a, b = mine[i[at : at + 8192], 0], other[j[at : at + 8192]]
                dist = np.abs(grids[a] - grids[b]).mean(1)
                np.minimum.at(best, a, dist)
                np.minimum.at(best, b, dist)
    ink.copy[comps] = best
    # How telling a missing copy is depends on how well this page keeps copies alike: a clean scan
    # gives most printed letters an exact copy, a blurred photo in perspective few.
    measured = np.isfinite(best)
    if np.count_nonzero(measured) >= 20:
        lonely = max(0.05, float(np.mean(best[measured] > COPY_NONE)))
        ink.no_copy_llr = float(np.clip(COPY_SHRINK * math.log(0.9 / lonely), 0.0, LLR_NO_COPY))


def text_slope(ink: Ink, groups: list[np.ndarray]) -> float:
    """Page text slope (dy/dx): median over lines of the slope between their halves' bottoms."""
    slopes = []
    for comps in groups:
        if len(comps) < 10:
            continue
        cx = (ink.x0[comps] + ink.x1[comps]) * 0.5
        o = np.argsort(cx)
        a, b = o[: len(o) // 2], o[len(o) // 2 :]
        dx = upper_median(cx[b]) - upper_median(cx[a])
        if dx > 5 * ink.lh:
            slopes.append((upper_median(ink.y1[comps[b]]) - upper_median(ink.y1[comps[a]])) / dx)
    return float(np.median(slopes)) if slopes else 0.0


def clusters_outside_lines(ink: Ink, free: np.ndarray) -> list[np.ndarray]:
    """Group components outside every line into text-line-like clusters (coarse raster, dilated boxes)."""
    if len(free) == 0:
        return []
    cell = max(1, int(ink.lh / 6))
    gw = int(ink.x1.max() // cell + 2)
    gh = int(ink.y1.max() // cell + 2)
    grid = np.zeros((gh, gw), np.uint8)
    # Link glyphs along a row (gaps under ~0.6 line height) by the middle half of their height, so
    # that lines of text stacked above each other stay apart.
    pad = 0.6 * ink.lh
    cy = (ink.y0[free] + ink.y1[free]) * 0.5
    q = (ink.y1[free] - ink.y0[free]) * 0.25
    gx0 = ((ink.x0[free] - pad) // cell).clip(0).astype(int)
    gx1 = ((ink.x1[free] + pad) // cell).astype(int)
    gy0 = ((cy - q) // cell).clip(0).astype(int)
    gy1 = ((cy + q) // cell).astype(int)
    for a, b, c, d in zip(gx0, gy0, gx1, gy1, strict=True):
        grid[b : d + 1, a : c + 1] = 1
    _, glab = cv2.connectedComponents(grid, connectivity=8)
    cl = glab[
        ((ink.y0[free] + ink.y1[free]) // 2 // cell).astype(int),
        ((ink.x0[free] + ink.x1[free]) // 2 // cell).astype(int),
    ]
    order = np.argsort(cl, kind="stable")
    groups = np.split(free[order], np.flatnonzero(np.diff(cl[order])) + 1)
    return [g for g in groups if len(g)]
