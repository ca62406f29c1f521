"""Image measures of one page, cheap enough for the counter (no OCR).

The document is first found in the picture (`locate`: a card or a sheet on a darker desk in a
photo, else the whole picture is the document) and straightened onto a canonical grid where a
sheet is 150 dpi and a card 300 dpi: the text of both is then 20-30 px tall, so one sharpness
limit serves both. Every measure below is on that grid unless it says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

CARD_MM = (85.6, 54.0)  # ID-1
SHEET_MM = (297.0, 210.0)  # A4, assumed for every sheet
CARD_DPI = 300.0  # canonical grid of a card
SHEET_DPI = 150.0  # canonical grid of a sheet
CARD_ASPECT = (1.45, 1.74)  # long/short of a card picture, a little wider than models.kinds allows
_LOCATE_SIDE = 640  # px: the picture is searched for a document at this size
_MM_PER_INCH = 25.4


@dataclass(frozen=True, slots=True)
class Region:
    """Where the document lies in the working picture."""

    quad: np.ndarray | None  # (4, 2) float32 corners tl, tr, br, bl; None: the document fills the picture
    touches_frame: bool  # the document (a card, a sheet's paper) runs out of the picture
    long_px: float  # the document's long side, working pixels
    short_px: float
    angle: float  # slope of the document's edges (degrees, mod 90 in -45..45); 0 without a quad
    paper: np.ndarray | None = None  # uint8 mask of the document in the picture (a photo's), full working size
    rectified: bool = False  # `quad` is the document's own outline (its perspective is undone)

    @property
    def aspect(self) -> float:
        return self.long_px / max(self.short_px, 1.0)


def locate(grey: np.ndarray) -> Region:
    """A document lying on a darker background (a photo), or the whole picture (a scan)."""
    h, w = grey.shape
    whole = Region(None, False, float(max(h, w)), float(min(h, w)), 0.0)
    f = min(1.0, _LOCATE_SIDE / max(h, w))
    small = cv2.resize(grey, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
    sh, sw = small.shape
    blur = cv2.GaussianBlur(small, (0, 0), 2.0)
    _, bright = cv2.threshold(blur, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    k = max(3, round(max(sh, sw) / 50))
    closed = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    contours, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return whole
    contour = max(contours, key=cv2.contourArea)
    area = cv2.contourArea(contour)
    share = area / float(sh * sw)
    if not 0.06 <= share <= 0.92:
        return whole
    hull = cv2.convexHull(contour)
    if area / max(cv2.contourArea(hull), 1.0) < 0.88:
        return whole
    inside = np.zeros_like(small)
    cv2.drawContours(inside, [hull], -1, (255,), -1)
    outside = inside == 0
    if outside.sum() < 0.04 * outside.size:
        return whole
    paper = float(np.median(blur[~outside]))
    desk = float(np.median(blur[outside]))
    if paper - desk < max(8.0, 0.15 * paper):  # a darker desk around it (relative: dark photos too)
        return whole
    pts = contour.reshape(-1, 2)
    on_border = (pts[:, 0] <= 1) | (pts[:, 1] <= 1) | (pts[:, 0] >= sw - 2) | (pts[:, 1] >= sh - 2)
    touches = bool(on_border.mean() > 0.02)
    if touches:
        # A document running out of the picture is a polygon clipped by the frame: four corners
        # would cut into it, so take the upright box that holds all of it (and no perspective).
        x, y, bw, bh = cv2.boundingRect(hull)
        box = np.array([[x, y], [x + bw, y], [x + bw, y + bh], [x, y + bh]], np.float32) / f
        long_side, short_side = max(bw, bh) / f, min(bw, bh) / f
        paper_mask = cv2.resize(inside, (w, h), interpolation=cv2.INTER_NEAREST)
        return Region(box, True, long_side, short_side, 0.0, paper_mask, rectified=False)
    quad = _quad(hull)
    if quad is None:
        return whole
    # 1 % inwards: the approximated corners sit on the paper's edge, where a sliver of desk shows.
    centre = quad.mean(axis=0)
    quad = (centre + (quad - centre) * 0.98) / f
    top, bottom = np.linalg.norm(quad[1] - quad[0]), np.linalg.norm(quad[2] - quad[3])
    left, right = np.linalg.norm(quad[3] - quad[0]), np.linalg.norm(quad[2] - quad[1])
    across, down = (top + bottom) / 2, (left + right) / 2
    edge = quad[1] - quad[0] if across >= down else quad[3] - quad[0]
    angle = _mod90(float(np.degrees(np.arctan2(edge[1], edge[0]))))
    paper_mask = cv2.resize(inside, (w, h), interpolation=cv2.INTER_NEAREST)
    long_side, short_side = float(max(across, down)), float(min(across, down))
    return Region(quad, False, long_side, short_side, angle, paper_mask, rectified=True)


def _mod90(angle: float) -> float:
    return (angle + 45.0) % 90.0 - 45.0


def _quad(hull: np.ndarray) -> np.ndarray | None:
    perimeter = cv2.arcLength(hull, True)
    for eps in (0.02, 0.04, 0.06):
        approx = cv2.approxPolyDP(hull, eps * perimeter, True)
        if len(approx) == 4:
            pts = approx.reshape(4, 2).astype(np.float32)
            break
    else:
        pts = cv2.boxPoints(cv2.minAreaRect(hull)).astype(np.float32)
    return _order(pts)


def _order(pts: np.ndarray) -> np.ndarray | None:
    """Corners as top-left, top-right, bottom-right, bottom-left (None if they coincide)."""
    s, d = pts.sum(axis=1), np.diff(pts, axis=1).ravel()
    ordered = np.array([pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]], np.float32)
    if len({tuple(p) for p in ordered.tolist()}) < 4:
        return None
    return ordered


def canonical_size(region: Region, card: bool) -> tuple[int, int, float]:
    """(width, height) of the document on the canonical grid, and canonical px per working px.

    Never enlarges: a document smaller than the grid is measured at its own size (and the
    resolution check says so)."""
    long_mm = CARD_MM[0] if card else SHEET_MM[0]
    target = long_mm / _MM_PER_INCH * (CARD_DPI if card else SHEET_DPI)
    factor = min(1.0, target / region.long_px)
    if region.quad is None:
        return 0, 0, factor  # sizes follow the picture (see `straighten`)
    across = (np.linalg.norm(region.quad[1] - region.quad[0]) + np.linalg.norm(region.quad[2] - region.quad[3])) / 2
    down = (np.linalg.norm(region.quad[3] - region.quad[0]) + np.linalg.norm(region.quad[2] - region.quad[1])) / 2
    return max(8, round(across * factor)), max(8, round(down * factor)), factor


def straighten(image: np.ndarray, region: Region, card: bool) -> np.ndarray:
    """The document alone on the canonical grid (a photographed one: perspective removed)."""
    width, height, factor = canonical_size(region, card)
    if region.quad is None:
        if factor >= 1.0:
            return image
        h, w = image.shape[:2]
        return cv2.resize(image, (max(1, round(w * factor)), max(1, round(h * factor))), interpolation=cv2.INTER_AREA)
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    matrix = cv2.getPerspectiveTransform(region.quad, target)
    return cv2.warpPerspective(image, matrix, (width, height), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)


# --- the measures ----------------------------------------------------------------------


def _percentiles(values: np.ndarray, shares: tuple[float, ...]) -> list[float]:
    """Percentiles (0..100) of a uint8 picture from its histogram: a hundred times faster than numpy's."""
    hist = cv2.calcHist([values], [0], None, [256], [0, 256]).ravel()
    cdf = np.cumsum(hist) / max(float(hist.sum()), 1.0)
    return [float(np.searchsorted(cdf, share / 100.0)) for share in shares]


def exposure(grey: np.ndarray) -> float:
    """The paper's grey level: the 90th percentile."""
    (paper,) = _percentiles(grey, (90,))
    return paper


def ink_level(grey: np.ndarray, ink: np.ndarray) -> float:
    """The grey level of the darkest strokes: the 10th percentile under the ink (so a page
    with two lines on it is judged by its ink, not by its paper); the page's 1st percentile
    when there is hardly any ink."""
    if int(ink.sum()) < 200:
        (level,) = _percentiles(grey, (1,))
        return level
    (level,) = _percentiles(grey[ink > 0].reshape(1, -1), (10,))
    return level


def median_level(grey: np.ndarray) -> float:
    """The median grey level (0..255)."""
    (median,) = _percentiles(grey, (50,))
    return median


def noise_level(grey: np.ndarray) -> float:
    """Standard deviation of pixel noise: the median absolute difference from the 3x3 mean,
    scaled to a Gaussian's sigma; also at half size, where the grain of a picture that was
    enlarged (or blurred after the noise) shows."""
    estimates = []
    for picture in (grey, cv2.resize(grey, (grey.shape[1] // 2, grey.shape[0] // 2), interpolation=cv2.INTER_AREA)):
        high = cv2.absdiff(picture, cv2.blur(picture, (3, 3)))
        (median,) = _percentiles(high, (50,))
        estimates.append(median * 1.4826 * 1.125)
    return max(estimates)


def ink_mask(grey: np.ndarray, paper: float, noise: float) -> np.ndarray:
    """Strokes clearly darker than the paper around them: darker than the local paper level by
    more than the noise could make them, specks of one or two pixels removed."""
    smooth = cv2.medianBlur(grey, 3)
    # Local paper level: a large closing (max filter) follows shading and yellowing.
    local = cv2.dilate(smooth, cv2.getStructuringElement(cv2.MORPH_RECT, (15, 15)))
    local = cv2.blur(local, (15, 15))
    gap = max(24.0, 5.0 * noise)
    ink = (local.astype(np.int16) - smooth.astype(np.int16)) > gap
    ink &= smooth < paper - gap * 0.5
    return cv2.morphologyEx(ink.astype(np.uint8), cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))


def sharpness(grey: np.ndarray, paper: float, ink: float) -> float:
    """How crisp the strong edges are: at each edge's steepest point (a maximum of the gradient
    across the edge), the grey step per pixel over the contrast around it (15 px); the median
    per edge direction, and the lowest of the four directions (motion blur smears one direction
    only). About 0.65/sigma for edges blurred by a Gaussian of sigma px; a crisp print scores
    0.8-1, a phone photo 0.5-0.65."""
    contrast = paper - ink
    if contrast < 20:
        return 0.0
    g = cv2.medianBlur(grey, 3).astype(np.float32)  # noise would widen the contrast around an edge
    gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3)
    mag = cv2.magnitude(gx, gy) / 4.0
    kernel = np.ones((15, 15), np.uint8)
    span = cv2.dilate(g, kernel) - cv2.erode(g, kernel)
    direction = ((np.degrees(np.arctan2(gy, gx)) + 22.5) % 180 // 45).astype(np.int8)
    strong = (span > 0.5 * contrast) & (mag > 0.1 * contrast)  # not the faint lines of a card's pattern
    edges = strong & _across_maximum(mag, direction)
    total = int(edges.sum())
    if total < 50:
        return 0.0
    ratio = mag[edges] / span[edges]
    bins = direction[edges]
    medians = [float(np.median(ratio[bins == d])) for d in range(4) if (bins == d).sum() >= 0.1 * total]
    return min(medians) if medians else float(np.median(ratio))


# Neighbour offsets (dy, dx) across an edge whose gradient points 0, 45, 90, 135 degrees.
_ACROSS = ((0, 1), (1, 1), (1, 0), (1, -1))


def _across_maximum(mag: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Where the gradient peaks across the edge: above one neighbour along the gradient, not below
    the other (a smooth ramp, equal all along, has no such point)."""
    padded = np.pad(mag, 1, mode="edge")
    h, w = mag.shape
    keep = np.zeros(mag.shape, bool)
    for d, (dy, dx) in enumerate(_ACROSS):
        ahead = padded[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]
        behind = padded[1 - dy : 1 - dy + h, 1 - dx : 1 - dx + w]
        keep |= (direction == d) & (((mag > ahead) & (mag >= behind)) | ((mag >= ahead) & (mag > behind)))
    return keep


def skew_angle(ink: np.ndarray) -> float:
    """Slope of the text lines (degrees, -45..45; sideways text counts as level): the angle
    at which the ink's row (or column) profile is most peaked.

    Ink touching the picture's border (a paper edge, a scanner's shadow) is left out, and the
    profile is square-rooted, so that one long straight line cannot outvote the text."""
    small = np.ascontiguousarray(ink[::2, ::2])
    n, labels, stats, _ = cv2.connectedComponentsWithStats(small, connectivity=8)
    h, w = small.shape
    x0, y0 = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    x1, y1 = x0 + stats[:, cv2.CC_STAT_WIDTH], y0 + stats[:, cv2.CC_STAT_HEIGHT]
    border = (x0 <= 0) | (y0 <= 0) | (x1 >= w) | (y1 >= h)
    border[0] = True  # the background
    ys, xs = np.nonzero(~border[labels] & (small > 0))
    if len(xs) < 200:
        return 0.0
    rng = np.random.default_rng(0)  # fixed: the same page always gets the same answer
    if len(xs) > 30_000:
        pick = rng.choice(len(xs), 30_000, replace=False)
        xs, ys = xs[pick], ys[pick]
    # Dither off the pixel lattice, else a 45-degree profile picks up the grid itself.
    x = xs.astype(np.float32) - xs.mean() + rng.uniform(-0.5, 0.5, len(xs)).astype(np.float32)
    y = ys.astype(np.float32) - ys.mean() + rng.uniform(-0.5, 0.5, len(ys)).astype(np.float32)

    def score(angle: float) -> float:
        t = np.radians(angle)
        c, s = np.cos(t), np.sin(t)
        rows = np.rint(y * c - x * s).astype(np.int64)
        cols = np.rint(x * c + y * s).astype(np.int64)
        r = np.sqrt(np.bincount(rows - rows.min()))
        k = np.sqrt(np.bincount(cols - cols.min()))
        return max(float(np.square(np.diff(r)).sum()), float(np.square(np.diff(k)).sum()))

    coarse = [float(a) for a in np.arange(-45.0, 45.0, 2.0)]
    best = coarse[int(np.argmax([score(a) for a in coarse]))]
    fine = [float(a) for a in np.arange(best - 2.0, best + 2.01, 0.25)]
    best = fine[int(np.argmax([score(a) for a in fine]))]
    return _mod90(best)


@dataclass(frozen=True, slots=True)
class Blobs:
    """Connected ink blobs of the document: (left, top, width, height, area) per blob."""

    stats: np.ndarray
    height: int
    width: int

    @classmethod
    def of(cls, ink: np.ndarray) -> Blobs:
        _, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
        return cls(stats[1:], ink.shape[0], ink.shape[1])

    def text_height(self) -> float:
        """Typical height (px) of letter-sized blobs, weighted by their ink (so that noise
        specks do not count): against the document's size it tells a card (letters about 1/25
        of its short side) from a sheet (about 1/60)."""
        h = self.stats[:, cv2.CC_STAT_HEIGHT].astype(np.float64)
        w = self.stats[:, cv2.CC_STAT_WIDTH].astype(np.float64)
        area = self.stats[:, cv2.CC_STAT_AREA].astype(np.float64)
        letters = (h >= 3) & (h <= self.height / 8) & (w <= 3 * h)
        if letters.sum() < 12:
            return 0.0
        h, area = h[letters], area[letters]
        order = np.argsort(h)
        cumulative = np.cumsum(area[order])
        return float(h[order][np.searchsorted(cumulative, cumulative[-1] / 2)])

    def content_share(self, min_size: int = 5) -> float:
        """Share of the document covered by ink blobs larger than noise specks."""
        big = (self.stats[:, cv2.CC_STAT_HEIGHT] >= min_size) | (self.stats[:, cv2.CC_STAT_WIDTH] >= min_size)
        return float(self.stats[big, cv2.CC_STAT_AREA].sum()) / max(self.height * self.width, 1)

    def edge_ink(self, band: float, min_size: float) -> float:
        """Largest share of one picture edge along which ink comes within `band` px of it:
        content cut off, or pushed against the edge.

        Only blobs at least `min_size` px large count (not noise specks), and only those shorter
        than 15 % of the edge (a scanner's dark border or a rule along the edge is not cut
        content). The outer 5 % at each end of an edge is left out (a card's round corners)."""
        if not len(self.stats):
            return 0.0
        h, w = self.height, self.width
        x, y = self.stats[:, cv2.CC_STAT_LEFT], self.stats[:, cv2.CC_STAT_TOP]
        bw, bh = self.stats[:, cv2.CC_STAT_WIDTH], self.stats[:, cv2.CC_STAT_HEIGHT]
        big = np.maximum(bw, bh) >= min_size
        shares = []
        for near, along, start, length in (
            (y <= band, bw, x, w),
            (y + bh >= h - band, bw, x, w),
            (x <= band, bh, y, h),
            (x + bw >= w - band, bh, y, h),
        ):
            inner = (start + along > 0.05 * length) & (start < 0.95 * length)
            pick = near & inner & big & (along <= 0.15 * length)
            covered = np.zeros(length, bool)
            for s0, n in zip(start[pick], along[pick], strict=True):
                covered[s0 : s0 + n] = True
            shares.append(float(covered.sum()) / max(length, 1))
        return max(shares)


def glare_share(bgr: np.ndarray, skip: tuple[int, int, int, int] | None = None) -> float:
    """Share of the document under saturated, colourless blobs (a lamp or flash reflected).

    `skip` (x0, y0, x1, y1, document pixels) is left out: the white quiet zone of a QR code."""
    small = cv2.resize(bgr, (bgr.shape[1] // 2, bgr.shape[0] // 2), interpolation=cv2.INTER_NEAREST)
    lowest = cv2.min(cv2.min(small[..., 0], small[..., 1]), small[..., 2])
    hot = (lowest >= 248).astype(np.uint8)
    if skip is not None:
        x0, y0, x1, y1 = (v // 2 for v in skip)
        hot[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)] = 0
    hot = np.asarray(cv2.morphologyEx(hot, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)), np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(hot, connectivity=8)
    area = hot.size
    blobs = [stats[i, cv2.CC_STAT_AREA] for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] >= 0.0005 * area]
    return float(sum(blobs)) / area


def unrotated_aspect(width: int, height: int, degrees: float) -> float:
    """Long over short side of a rectangle that fills a `width` x `height` picture turned by
    `degrees` (a card scanned a little askew, with no margin): the card's own aspect."""
    t = np.radians(min(abs(degrees), 40.0))
    c, s = float(np.cos(t)), float(np.sin(t))
    long_side, short_side = max(width, height), min(width, height)
    if c * c - s * s < 0.2:
        return long_side / max(short_side, 1)
    w = (long_side * c - short_side * s) / (c * c - s * s)
    h = (short_side * c - long_side * s) / (c * c - s * s)
    return max(w, h) / max(min(w, h), 1.0) if min(w, h) > 0 else long_side / max(short_side, 1)


def effective_dpi(long_px_original: float, card: bool) -> float:
    """Dots per inch of the original picture over the document's real size."""
    long_mm = CARD_MM[0] if card else SHEET_MM[0]
    return long_px_original / (long_mm / _MM_PER_INCH)
