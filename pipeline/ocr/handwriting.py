"""Find handwriting on a page image: values written by hand into printed forms, notes, signatures.

A handwritten value must never be accepted by the OCR pipeline without a person looking at it, so
this module says *where* ink looks written by hand; the caller routes those crops to review.
`find_handwriting(image, lines)` is pure (no I/O) and fast: 50-80 ms for an A4 page at 300 dpi with
20-60 text lines on one CPU core; OpenCV and NumPy only, no trained model.

Method
0. A page whose text is tilted by more than 1.5 degrees (a photograph; the caller passes the tilt
   the OCR measured) is turned level first, with each line's box turned with it; the marks are
   given back in the coordinates of the page as it lies.
1. Ink. The page is analysed at a scale where a text line is ~35 px tall (an A4 page at 300 dpi: half
   size). A pixel is ink when it is darker than the local paper (brightest nearby 8 x 8 block mean)
   by 30 % of the paper's brightness. Seal red is not ink; long straight horizontal or vertical runs
   (table rules, frames, underlines, also when tilted by a scan) are taken out.
2. Connected components, each with its box, area, boundary length, mean colour, and a histogram of
   the tilts of its near-vertical edges (stems). Thin straight leftovers of rules are set aside.
3. Each component goes to the OCR line whose box holds its centre. Components outside every line are
   grouped into text-line-like clusters and analysed the same way (handwriting the OCR missed:
   notes, signatures); clusters that are mostly ink (photos, QR codes, logos), soft (photo shading),
   or huge are skipped. In each line, glyph-sized components are grouped into words at gaps wider
   than half a glyph height, and at changes between blue and other ink.
4. Evidence, as coarse log-likelihood ratios handwriting : print (positive = written):
   * twins, per glyph body: typeset glyphs of a line sit on one baseline and share a few heights, so
     nearly every one has a neighbour (within 6 places) with the same top *and* bottom to about a pixel
     (-0.45); a hand-drawn glyph often has none (+1.1);
   * copies, per glyph body: type prints every copy of a letter alike, so most typeset glyphs have
     a near-exact copy of the same size somewhere on the page (their 12 x 12 grids of darkness
     differ by under 5 %: -1.5); a hand never draws a letter twice alike, so a glyph whose nearest
     look-alike differs by over 10 % counts for writing. How much it counts is read off the page:
     up to +0.8 on a clean scan, where most printed glyphs have a copy; little on a blurred photo,
     where few do. Half that on a line where hardly any glyph has a copy: a line in a type used
     nowhere else on the page (an italic caption) prints most of its letters once;
   * cursive, per glyph body: a component whose stroke (half its boundary) is over 5 times its
     height is letters joined by the pen (+2); over 4 times, likely so (+1.2: 'm', 'w' get there too);
   * stems, per word of 3+ tall glyphs: typeset stems are parallel (upright or italic alike), so their
     tilts pile up in one peak (-1); hand-drawn ones spread out (up to +1.5);
   * colour, per word: mostly blue / violet ink (ballpoint; printed forms are black or grey):
     +2, +1 per letter's worth of ink, at most +6. Colour is never required: black pens and greyscale
     scans get the shape cues only. A long run (16+ glyphs) that is 85 % twins reads as type, and its
     colour then counts for nothing (a letterhead printed in blue).
5. A two-state labelling (print / handwriting) of the words of each line by dynamic programming, with
   a penalty for switching, finds the written part of a line such as "Họ và tên: <written>"; weak
   words at the ends of a run are shed. A run is reported when its evidence sums to 4 or more; its
   score is a logistic of that sum (about 0.62 at the threshold, 1.0 far above it).

Known limits: neat hand-printing in black ink (or on a greyscale scan) that keeps a steady baseline
and letter height is found by its lack of copies only, so a short value (one or two letters), a
line written wholly by hand, or a value on a photograph (where print keeps few exact copies either)
can still pass for type; blue-printed short words (table cells, letterheads) can be reported; a
value written right after its label with no gap may take the last glyphs of the label into its box;
lines under ~15 px tall are not analysed reliably.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np

from models.document import Box, TextLine

# Colour (RGB pixel levels).
RED_EXCESS = 45  # R - max(G, B) above which a pixel is seal / stamp red, not ink
BLUE_EXCESS = 25  # a component's mean B - (R + G) / 2 at least this ...
BLUE_CHROMA = 30  # ... and its mean max - min channel spread at least this: blue / violet pen ink

# Shapes (analysis pixels, lengths relative to heights).
NEIGHBOURS = 6  # a glyph's twin is looked for this many places left and right
TWIN_TOLERANCE = (1.0, 0.03)  # same top / bottom: within 1 px + 3 % of the glyph height
CURSIVE_LENGTH = 5.0  # stroke length (half the boundary) / height of letters joined by the pen
JOINED_LENGTH = 4.0  # likely joined ('m', 'w' and merged type reach it too)
PRINTED_GLYPH_LENGTH = 2.2  # stroke length / height of a typical typeset glyph: one letter's worth
STEM_RANGE = 27.0  # stems: edges within +-27 degrees of vertical (|gx| > 2 |gy|) ...
STEM_BINS = 27  # ... in 2-degree bins
STEM_MIN_HEIGHT = 12  # shorter glyphs' stems are too short to measure a tilt to a few degrees
ANALYSIS_PIXELS = 2.6e6  # a page is analysed on at most this many pixels (an A4 page at 300 dpi: half size)
DESKEW_DEGREES = 1.5  # a page whose text is tilted more is analysed turned level
MAX_CLUSTER_FILL = 0.42  # outside OCR lines, a cluster with more ink in its box is a picture / code
COPY_GRID = 12  # glyph shapes are compared on a 12 x 12 grid of ink shares ...
COPY_SIZE_TOLERANCE = (1.0, 0.04)  # ... with glyphs of the same width and height (1 px + 4 %)
COPY_SAME = 0.05  # mean difference of the grids under which two glyphs are one type printed twice
COPY_NONE = 0.10  # nearest look-alike farther than this: no copy anywhere on the page
COPY_MAX_GLYPHS = 8000  # a page with more glyph-sized pieces (a dense A4 page has ~3,000) is not compared
LINE_COPY_SHARE = 0.2  # a line where fewer of the glyph bodies than this (or than 2) have a copy is in a
LONE_LINE_SCALE = 0.5  # type of its own, or all written: a missing copy tells this much less there

# Evidence: coarse log-likelihood ratios handwriting : print (positive = written by hand).
LLR_TWIN = -0.45  # glyph body with a twin (same top and bottom as a neighbour): typeset
LLR_NO_TWIN = 1.1  # without one
LLR_CURSIVE = 2.0  # glyph body of stroke length >= CURSIVE_LENGTH x height
LLR_JOINED = 1.2  # ... >= JOINED_LENGTH x height
LLR_COPY = -1.5  # glyph body with a copy elsewhere on the page (within COPY_SAME): typeset
LLR_NO_COPY = 0.8  # glyph body without a look-alike (beyond COPY_NONE), at most; on each page ...
COPY_SHRINK = 0.5  # ... this share of the log-ratio 0.9 : share of the page's glyphs without one
# Word of 3+ tall glyphs: share of stem strength within +-3 degrees of its peak (upper bound) -> LLR.
LLR_STEMS = ((0.25, 1.5), (0.35, 0.4), (0.45, 0.0), (math.inf, -1.0))
LLR_BLUE_BASE = 2.0  # word mostly in blue / violet ink: this,
LLR_BLUE_LETTER = 1.0  # plus this per letter's worth of ink,
LLR_BLUE_WORD = 6.0  # at most this
TYPESET_GLYPHS = 16  # a run of at least this many glyph bodies, ...
TYPESET_TWIN_SHARE = 0.85  # ... this share of them with a twin, reads as type: its colour counts for nothing

# Decision over the words of a line.
SWITCH_PENALTY = 2.5  # print <-> handwriting change between two words
TRIM_EVIDENCE = 1.5  # words at the ends of a run with less evidence are left out of it
REPORT_EVIDENCE = 4.0  # summed evidence of a run needed to report it

# Ink: darker than the paper by 30 % of its brightness (at least 40 levels); 'core' ink by 45 %.
_INK_STEP = np.maximum(40, np.arange(256) * 0.3).astype(np.uint8)
_CORE_STEP = (np.arange(256) * 0.45).astype(np.uint8)
_GROW = np.ones((3, 3), np.uint8)


@dataclass(frozen=True, slots=True)
class HandwritingMark:
    box: Box  # region judged handwritten, pixel coordinates of the page image
    score: float  # 0..1
    line_index: int | None  # index into `lines` when the region belongs to an OCR'd line, else None


@dataclass(slots=True)
class _Ink:
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


def _median(v: np.ndarray) -> float:
    """Upper median of a small array (np.median costs ~10x more on short arrays)."""
    return float(np.sort(v)[len(v) // 2])


def _reference_height(shape: tuple[int, ...], lines: Sequence[TextLine]) -> float:
    hs = sorted(ln.box[3] - ln.box[1] for ln in lines if ln.box[3] > ln.box[1])
    if hs:
        return float(hs[len(hs) // 2])
    return max(20.0, min(shape[:2]) / 45)


def _as_image(image: np.ndarray) -> np.ndarray:
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


def _ink(arr: np.ndarray, lines: Sequence[TextLine]) -> _Ink:
    colour = arr.ndim == 3
    ref = _reference_height(arr.shape, lines)
    h, w = arr.shape[:2]
    # Work where a text line is >= ~35 px tall, on at most ~2.6 Mpx (an A4 page at 300 dpi: half scale).
    f = int(min(4, max(1, ref // 35, math.ceil(math.sqrt(h * w / ANALYSIS_PIXELS)))))
    if f > 1:  # (whole multiples of f: OpenCV's fast path for area averaging)
        small = cv2.resize(arr[:h - h % f, :w - w % f], (w // f, h // f), interpolation=cv2.INTER_AREA)
    else:
        small = np.ascontiguousarray(arr)
    gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY) if colour else small
    sh, sw = gray.shape
    # Paper: 8 x 8 block means, then the brightest block nearby (text never fills a 5 x 5 block window).
    tiny = cv2.resize(gray[:max(8, sh - sh % 8), :max(8, sw - sw % 8)], (max(1, sw // 8), max(1, sh // 8)),
                      interpolation=cv2.INTER_AREA)
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
    return _Ink(w, h, f, lh, x0, y0, x0 + stats[:, 2], y0 + stats[:, 3], area, perim, blue,
                hist.astype(np.float32), stem_row, mask, strong, labels, dark, 0.0, np.full(n, np.nan, np.float32))


def _assign(ink: _Ink, lines: Sequence[TextLine]) -> tuple[np.ndarray, np.ndarray]:
    """Candidate components (not specks) and, for each, the index of its line or -1."""
    amin = max(3.0, (0.05 * ink.lh) ** 2)
    w = (ink.x1 - ink.x0).astype(np.float32)
    h = (ink.y1 - ink.y0).astype(np.float32)
    sw = 2 * ink.area / np.maximum(ink.perim, 1)
    # Remnants of rules (tilted, broken, dotted into dashes, cell sides): long, thin and straight. A
    # vertical one must be upright to ~2 degrees, so as to keep hand-drawn strokes such as a '1'.
    straight = (((h <= 2.5 * sw + 0.06 * w) & (w >= ink.lh))
                | ((w <= 1.5 * sw + 0.035 * h) & (h >= 0.5 * ink.lh)))
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


def _measure_copies(ink: _Ink, cand: np.ndarray) -> None:
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
        grids[k] = cv2.resize(g.astype(np.float32) / max(1, int(g.max())), (COPY_GRID, COPY_GRID),
                              interpolation=cv2.INTER_AREA).ravel()
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
        other = np.concatenate([bucket[k] for k in (kk, kk + 1, kk + 99_999, kk + 100_000, kk + 100_001)
                                if k in bucket])
        for lo in range(0, len(members), 128):  # (in slices: memory stays small on any page)
            mine = members[lo:lo + 128, None]
            i, j = np.nonzero((np.abs(h[mine] - h[other]) <= np.minimum(tol_h[mine], tol_h[other]))
                              & (np.abs(w[mine] - w[other]) <= np.minimum(tol_w[mine], tol_w[other]))
                              & ((mine < other) | (key[other] != kk)))
            for at in range(0, len(i), 8192):  # (a pair's two grids are 1 KiB)
                a, b = mine[i[at:at + 8192], 0], other[j[at:at + 8192]]
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


def _glyph_evidence(ink: _Ink, glyphs: np.ndarray, skew: float) -> tuple[np.ndarray, np.ndarray]:
    """Evidence per glyph body of one line (sorted left to right), and whether each has a twin."""
    n = len(glyphs)
    h = (ink.y1[glyphs] - ink.y0[glyphs]).astype(np.float32)
    ev = np.zeros(n, np.float32)
    twin = np.zeros(n, bool)
    if n >= 2:
        cx = (ink.x0[glyphs] + ink.x1[glyphs]) * 0.5
        bot = ink.y1[glyphs] - skew * cx
        top = ink.y0[glyphs] - skew * cx
        tol = TWIN_TOLERANCE[0] + TWIN_TOLERANCE[1] * h
        for k in range(1, min(NEIGHBOURS, n - 1) + 1):  # glyph i against glyph i + k
            d = np.maximum(np.abs(bot[k:] - bot[:-k]), np.abs(top[k:] - top[:-k]))
            twin[:-k] |= d <= tol[:-k]
            twin[k:] |= d <= tol[k:]
        ev += np.where(twin, LLR_TWIN, LLR_NO_TWIN)
    length = ink.perim[glyphs] / (2 * np.maximum(h, 1))
    d = ink.copy[glyphs]  # (NaN: not measured; inf: no other glyph of its size: no evidence either way)
    copied = d <= COPY_SAME
    # A letter printed once in a type used nowhere else (a caption in italics) has no copy either.
    lonely = ink.no_copy_llr * (1.0 if np.count_nonzero(copied) >= max(2, LINE_COPY_SHARE * n) else LONE_LINE_SCALE)
    ev += np.where(copied, LLR_COPY, np.where((d > COPY_NONE) & np.isfinite(d), lonely, 0.0))
    ev += np.where(length >= CURSIVE_LENGTH, LLR_CURSIVE, np.where(length >= JOINED_LENGTH, LLR_JOINED, 0.0))
    return ev, twin


def _colour_evidence(ink: _Ink, glyphs: np.ndarray, word: np.ndarray, n_words: int) -> np.ndarray:
    """Per word written mostly in blue / violet: one pen for the whole word, so one piece of evidence,
    a little less for a word of one glyph's worth of ink (a joined-up word counts as several glyphs)."""
    h = np.maximum(ink.y1[glyphs] - ink.y0[glyphs], 1)
    letters = np.maximum(1.0, ink.perim[glyphs] / (2 * h) / PRINTED_GLYPH_LENGTH)
    area = ink.area[glyphs]
    blue_share = np.bincount(word, area * ink.blue[glyphs], minlength=n_words) / np.maximum(
        np.bincount(word, area, minlength=n_words), 1)
    size = np.bincount(word, letters, minlength=n_words)
    return np.where(blue_share >= 0.5, np.minimum(LLR_BLUE_WORD, LLR_BLUE_BASE + LLR_BLUE_LETTER * size), 0.0)


def _stem_evidence(ink: _Ink, glyphs: np.ndarray, word: np.ndarray, n_words: int) -> np.ndarray:
    """Per word: typeset stems are parallel, so their tilts pile up in one peak; drawn ones spread out.

    `glyphs` are glyph bodies sorted left to right, `word` their word numbers (non-decreasing)."""
    out = np.zeros(n_words, np.float32)
    # Stems under ~12 px (analysis scale) are too short to measure a tilt to a few degrees.
    tall = (ink.y1[glyphs] - ink.y0[glyphs]) >= STEM_MIN_HEIGHT
    if np.count_nonzero(tall) < 3:
        return out
    g, wd = glyphs[tall], word[tall]
    starts = np.concatenate(([0], np.flatnonzero(wd[1:] != wd[:-1]) + 1))
    hist = np.add.reduceat(ink.stems[ink.stem_row[g]], starts, axis=0)
    count = np.diff(np.append(starts, len(g)))
    total = hist.sum(1)
    peak = (hist[:, :-2] + hist[:, 1:-1] + hist[:, 2:]).max(1) / np.maximum(total, 1e-6)
    bounds = np.array([b for b, _ in LLR_STEMS[:-1]])
    llr = np.array([v for _, v in LLR_STEMS], np.float32)[np.searchsorted(bounds, peak, side="right")]
    ok = (count >= 3) & (total > 0)
    out[wd[starts[ok]]] = llr[ok]
    return out


def _runs(word_ev: list[float]) -> list[tuple[int, int]]:
    """Viterbi over words: state 0 print (evidence 0), 1 handwriting (evidence = word LLR)."""
    n = len(word_ev)
    score = [0.0, word_ev[0] - SWITCH_PENALTY]  # a line starts in print
    back: list[tuple[int, int]] = []
    for k in range(1, n):
        p_from = (score[0], score[1] - SWITCH_PENALTY)
        h_from = (score[0] - SWITCH_PENALTY + word_ev[k], score[1] + word_ev[k])
        back.append((int(p_from[1] > p_from[0]), int(h_from[1] > h_from[0])))
        score = [max(p_from), max(h_from)]
    state = int(score[1] > score[0])
    states = [state]
    for k in range(n - 2, -1, -1):
        state = back[k][state]
        states.append(state)
    states.reverse()
    runs, start = [], None
    for k, s in enumerate(states + [0]):
        if s and start is None:
            start = k
        elif not s and start is not None:
            runs.append((start, k))
            start = None
    return runs


def _analyse(ink: _Ink, comps: np.ndarray, height: float, skew: float,
             line_index: int | None) -> list[tuple[Box, float, int | None]]:
    """Handwritten runs among the components of one line (or of one cluster outside the lines)."""
    h = ink.y1[comps] - ink.y0[comps]
    sig = comps[h >= max(3.0, 0.2 * height)]
    if len(sig) == 0:
        return []
    sig = sig[np.argsort(ink.x0[sig], kind="stable")]
    hs = (ink.y1[sig] - ink.y0[sig]).astype(np.float32)
    # Words: a gap wider than half the taller neighbour, or a change between blue and not blue.
    right = np.maximum.accumulate(ink.x1[sig])
    gap = ink.x0[sig][1:] - right[:-1]
    blue = ink.blue[sig]
    split = (gap > 0.5 * np.maximum(hs[1:], hs[:-1])) | ((gap > 0) & (blue[1:] != blue[:-1]))
    word = np.concatenate(([0], np.cumsum(split)))
    n_words = int(word[-1]) + 1
    starts = np.concatenate(([0], np.flatnonzero(split) + 1, [len(sig)]))
    # Glyph bodies: not the diacritics, dots and commas of their word (below 0.55 of its median height).
    by_height = hs[np.lexsort((hs, word))]
    median = by_height[(starts[:-1] + starts[1:]) // 2]
    main = hs >= np.maximum(0.3 * _median(hs), 0.55 * median[word])
    ev = np.zeros(len(sig), np.float32)
    twin = np.zeros(len(sig), bool)
    ev[main], twin[main] = _glyph_evidence(ink, sig[main], skew)
    colour = _colour_evidence(ink, sig[main], word[main], n_words)
    word_ev = (np.bincount(word, ev, minlength=n_words) + _stem_evidence(ink, sig[main], word[main], n_words)
               + colour).tolist()
    out = []
    for a, b in _runs(word_ev):
        # A run may have swallowed a weak neighbour (a short printed label): shed weak end words.
        while b - a > 1 and word_ev[a] < TRIM_EVIDENCE:
            a += 1
        while b - a > 1 and word_ev[b - 1] < TRIM_EVIDENCE:
            b -= 1
        total = sum(word_ev[a:b])
        # A long stretch of blue words whose glyphs share baselines and heights like type is type
        # whatever its colour (a letterhead printed in blue): its colour is no evidence then.
        lo, hi = a, b
        while lo > 0 and colour[lo - 1] > 0:
            lo -= 1
        while hi < n_words and colour[hi] > 0:
            hi += 1
        bodies = np.count_nonzero(main[starts[lo]:starts[hi]])
        if bodies >= TYPESET_GLYPHS and np.count_nonzero(twin[starts[lo]:starts[hi]]) >= TYPESET_TWIN_SHARE * bodies:
            total -= float(colour[a:b].sum())
        if total < REPORT_EVIDENCE:
            continue
        members = sig[starts[a]:starts[b]]
        x0, x1 = ink.x0[members].min(), ink.x1[members].max()
        y0, y1 = ink.y0[members].min(), ink.y1[members].max()
        # Diacritics and dots over the run belong to it.
        small = comps[(ink.x0[comps] >= x0) & (ink.x1[comps] <= x1)]
        y0 = min(y0, ink.y0[small].min(initial=y0))
        y1 = max(y1, ink.y1[small].max(initial=y1))
        f = ink.f
        box = (int(x0 * f), int(y0 * f), int(min(x1 * f, ink.width)), int(min(y1 * f, ink.height)))
        score = 1.0 / (1.0 + math.exp(-(total - REPORT_EVIDENCE) / 3.0 - 0.5))
        out.append((box, round(score, 3), line_index))
    return out


def _skew(ink: _Ink, groups: list[np.ndarray]) -> float:
    """Page text slope (dy/dx): median over lines of the slope between their halves' bottoms."""
    slopes = []
    for comps in groups:
        if len(comps) < 10:
            continue
        cx = (ink.x0[comps] + ink.x1[comps]) * 0.5
        o = np.argsort(cx)
        a, b = o[:len(o) // 2], o[len(o) // 2:]
        dx = _median(cx[b]) - _median(cx[a])
        if dx > 5 * ink.lh:
            slopes.append((_median(ink.y1[comps[b]]) - _median(ink.y1[comps[a]])) / dx)
    return float(np.median(slopes)) if slopes else 0.0


def _clusters(ink: _Ink, free: np.ndarray) -> list[np.ndarray]:
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
        grid[b:d + 1, a:c + 1] = 1
    _, glab = cv2.connectedComponents(grid, connectivity=8)
    cl = glab[((ink.y0[free] + ink.y1[free]) // 2 // cell).astype(int),
              ((ink.x0[free] + ink.x1[free]) // 2 // cell).astype(int)]
    order = np.argsort(cl, kind="stable")
    groups = np.split(free[order], np.flatnonzero(np.diff(cl[order])) + 1)
    return [g for g in groups if len(g)]


def find_handwriting(image: np.ndarray, lines: Sequence[TextLine],
                     skew_degrees: float = 0.0) -> list[HandwritingMark]:
    """Regions of `image` that look handwritten; see the module docstring for the method.

    `skew_degrees`: the text's tilt (clockwise, as `pipeline.ocr.preprocess.estimate_skew` gives it).
    A page tilted by more than DESKEW_DEGREES (a photograph) is analysed turned level, since
    the cues compare glyphs' tops and bottoms along a line and a tilted line's upright box takes
    in parts of its neighbours; the marks are given back on the page as it is."""
    arr = _as_image(image)
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
    ink = _ink(arr, lines)
    cand, best = _assign(ink, lines)
    order = np.argsort(best, kind="stable")
    cut = np.searchsorted(best[order], np.arange(-1, len(lines) + 1))
    groups = [cand[order[cut[i + 1]:cut[i + 2]]] for i in range(len(lines))]
    skew = _skew(ink, groups)
    _measure_copies(ink, cand)
    found: list[tuple[Box, float, int | None]] = []
    for i, (ln, comps) in enumerate(zip(lines, groups, strict=True)):
        if len(comps):
            found += _analyse(ink, comps, (ln.box[3] - ln.box[1]) / ink.f, skew, i)
    free = cand[order[cut[0]:cut[1]]]
    h = ink.y1[free] - ink.y0[free]
    w = ink.x1[free] - ink.x0[free]
    sw = 2 * ink.area[free] / np.maximum(ink.perim[free], 1)
    # Outside the lines only stroke-like ink of text size: not photos, emblems, QR codes, specks.
    keep = ((h >= 0.25 * ink.lh) & (h <= 6 * ink.lh) & (w <= 25 * ink.lh) & (sw <= 0.25 * ink.lh)
            & (ink.strong[free] >= 0.25))
    for group in _clusters(ink, free[keep]):
        gx0, gy0 = ink.x0[group].min(), ink.y0[group].min()
        gx1, gy1 = ink.x1[group].max(), ink.y1[group].max()
        # Dense blocks are pictures, QR codes, logos: strokes of writing cover a small part of their box.
        if cv2.countNonZero(ink.mask[gy0:gy1, gx0:gx1]) > MAX_CLUSTER_FILL * (gx1 - gx0) * (gy1 - gy0):
            continue
        height = float(np.median(ink.y1[group] - ink.y0[group])) * 1.6
        found += _analyse(ink, group, height, skew, None)
    return [HandwritingMark(b, s, i) for b, s, i in found]
