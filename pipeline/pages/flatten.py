"""A photographed document, found in the photo and flattened: perspective undone, light evened.

A phone photo shows a card or a sheet lying on a desk, seen at an angle and lit unevenly. The
reader copes with a few degrees of skew, not with a trapezoid on a wood grain: so before
anything is read the document is cut out and warped to an upright rectangle.

1. Outline: the picture is searched at 640 px for the largest bright, convex region standing
   clearly above a darker surround (Otsu threshold, closing); its four sides are fitted as
   lines to the outline's points (so a card's rounded corners do not pull the corners in) and
   intersected. Nothing is flattened unless the outline is confidently a quadrilateral (its
   area fills its hull and the fitted quad, the surround is darker by a clear margin) and it is
   clearly smaller than the picture or clearly not an upright rectangle: a scan (the page fills
   the frame, straight) is never touched. Where brightness cannot tell the document from the
   desk (a cream card on light wood), a colour search finds it (pipeline.pages.outline:
   GrabCut with the picture's rim as desk). Either outline is moved onto the picture's colour
   edges and kept only where such an edge runs along most of each of its four sides: a doubtful
   outline leaves the photo as it is, never cut wrong. A card is warped to its 300-dpi grid
   however small it lies in the photo (an upscale before any detection).
2. Shape: the document's real aspect ratio from the quad (Zhang & He's whiteboard method: the
   camera's focal length from the quad's vanishing points; the mean side lengths when the
   sides are parallel). An aspect near ID-1 (85.6 x 54 mm, 1.586) is a card: it is warped to
   the card grid the reader is tuned on (1012 x 638 px, 300 dpi). An aspect near A4 (1.414)
   is snapped to it; anything else keeps the measured aspect. A sheet keeps the photo's own
   resolution (its longer sides), never enlarged beyond it.
3. Light: the paper's brightness is estimated on a coarse grid (a high percentile per cell),
   a smooth quadratic surface is fitted to it (cells far below the fit, a card's portrait or a
   dark table cell, are dropped and it is fitted again) and the picture is divided by it: a
   tilted lamp or a vignette is evened out, the content is left alone.
4. Glare: saturated colourless blobs (a lamp reflected) are reported, never filled in: what
   glare hid goes to review as unreadable, not guessed.

Pure: a BGR picture in, a `Flattened` (the new picture and what was done) or None out.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from pipeline.pages.outline import (
    LOCATE_SIDE,
    MAX_SHARE,
    MIN_EDGE_SUPPORT,
    MIN_SHARE,
    MIN_SOLIDITY,
    SIDE_PROBE,
    edge_support,
    find_quad_by_colour,
    fitted_quad,
    inside,
    refined_quad,
    rough_quad,
    search_lab,
    side_probes,
)

CARD_SIZE = (1012, 638)  # ID-1 at 300 dpi: the card grid the reader is tuned on
CARD_ASPECT = 85.6 / 54.0
A4_ASPECT = 297.0 / 210.0
_SNAP_A4 = 0.2  # a sheet whose measured aspect is within 20 % of A4's is taken as A4 (or A5)
_CARD_LETTERS = 0.03  # letter height / short side from which a document is a card
_CARD_LETTERS_LANDSCAPE = 0.026  # the same for a document lying landscape
_SMALLER_THAN_FRAME = 0.85  # a quad covering less than this of the picture is a photographed document
_NOT_RECTANGULAR_DEG = 3.0  # a corner further from 90 degrees than this, or sides this far from upright
_MIN_CONTRAST = 0.12  # paper brighter than the surround by this share of the paper's level
_MIN_SIDE_PX = 120  # a document shorter than this (full size) is not worth flattening
_MAX_SHEET_SIDE = 3600  # px: a sheet is never made larger than about 300 dpi A4
_GLARE_LEVEL = 250
_THRESHOLD_STEP = 8.0  # grey levels
_TEXT_WORK_SHORT = 600  # px: letters are measured with the short side this long
_GLARE_MIN_SHARE = 0.0005  # of the page: smaller saturated specks are print, not glare


@dataclass(frozen=True, slots=True)
class Flattened:
    image: np.ndarray  # BGR uint8: the document alone, upright, perspective undone
    quad: np.ndarray  # (4, 2) float32 corners tl, tr, br, bl in the photo's pixels
    card: bool  # warped to the ID-1 card grid
    aspect: float  # the flattened document's long / short side
    glare: tuple[tuple[int, int, int, int], ...]  # saturated blobs (x0, y0, x1, y1) on `image`


def flatten_photo(image: np.ndarray) -> Flattened | None:
    """The document in `image` (BGR uint8, upright) flattened, or None: no confident outline,
    or the document already fills the picture straight (a scan: leave it as it is)."""
    if image.ndim != 3 or min(image.shape[:2]) < 64:
        return None
    h, w = image.shape[:2]
    if fills_frame(image):
        return None  # a scan, or a page photographed edge to edge: nothing around it to cut off
    quad = locate(image)
    if quad is None or not _worth_flattening(quad, w, h):
        return None
    across, down = _side_lengths(quad)
    landscape = across >= down
    aspect = _aspect(quad, w, h)
    target = np.array([[0, 0], [across, 0], [across, down], [0, down]], np.float32)
    rough = cv2.warpPerspective(image, cv2.getPerspectiveTransform(quad, target), (round(across), round(down)))
    letters, _ = text_height(cv2.cvtColor(rough, cv2.COLOR_BGR2GRAY))
    # A card's letters are large for its size; a sheet's small. Between the two, only a card
    # held the way it is printed (landscape) is taken for one: a sheet squeezed onto the card
    # grid would be lost, a card kept as a sheet is still read.
    card = letters >= _CARD_LETTERS or (letters >= _CARD_LETTERS_LANDSCAPE and landscape)
    if card:
        long_aspect = CARD_ASPECT
        size = CARD_SIZE if landscape else CARD_SIZE[::-1]
    else:
        long_aspect = A4_ASPECT if abs(aspect / A4_ASPECT - 1) <= _SNAP_A4 else aspect
        long_px = min(max(across, down), _MAX_SHEET_SIDE)
        short_px = long_px / long_aspect
        size = (round(long_px), round(short_px)) if landscape else (round(short_px), round(long_px))
    if min(size) < _MIN_SIDE_PX:
        return None
    target = np.array([[0, 0], [size[0], 0], [size[0], size[1]], [0, size[1]]], np.float32)
    matrix = cv2.getPerspectiveTransform(quad, target)
    flat = cv2.warpPerspective(image, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    glare_mask = _saturated(flat)
    flat = even_light(flat, glare_mask)
    return Flattened(flat, quad, card, long_aspect, _blobs(glare_mask))


# --- the outline -------------------------------------------------------------------------


_RIM = 0.03  # of the picture's sides: the band along its edges looked at for a surround
_RIM_AS_PAPER = 18.0  # grey levels: a rim this close to the paper's level is paper


def fills_frame(image: np.ndarray) -> bool:
    """The picture's rim is the document's paper all round (as light as the paper inside, on
    each of the four sides): a scan or a page filling the photo, with no desk to cut off. Looked
    at on every few pixels only: a scanned page is 9 million of them, and this runs on each."""
    h, w = image.shape[:2]
    step = max(1, max(h, w) // 320)
    grey = cv2.cvtColor(np.ascontiguousarray(image[::step, ::step]), cv2.COLOR_BGR2GRAY)
    sh, sw = grey.shape
    band = max(2, round(_RIM * min(sh, sw)))
    paper = float(np.percentile(grey[sh // 4 : 3 * sh // 4, sw // 4 : 3 * sw // 4], 90))
    sides = (grey[:band], grey[-band:], grey[:, :band], grey[:, -band:])
    return all(float(np.median(side)) >= paper - _RIM_AS_PAPER for side in sides)


def locate(image: np.ndarray) -> np.ndarray | None:
    """The document's corners (full-size pixels): a bright region on a darker desk, else a
    region of another colour than the desk; either only where a colour edge runs along most of
    each of its four sides (a quad cutting through the document or the desk is refused)."""
    lab, g = search_lab(image)
    quad = find_quad(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
    if quad is not None:
        refined = refined_quad(lab, quad * g)  # onto the colour edge: a threshold's outline is rough
        if refined is not None and edge_support(lab, refined) >= MIN_EDGE_SUPPORT:
            return (refined / g).astype(np.float32)
        if edge_support(lab, quad * g) >= MIN_EDGE_SUPPORT:
            return quad
    quad = find_quad_by_colour(image, lab, g)
    if quad is not None and edge_support(lab, quad * g) >= MIN_EDGE_SUPPORT:
        return quad
    return None


def find_quad(grey: np.ndarray) -> np.ndarray | None:
    """Corners (tl, tr, br, bl; full-size pixels) of a bright document on a darker surround."""
    h, w = grey.shape
    f = min(1.0, LOCATE_SIDE / max(h, w))
    small = cv2.resize(grey, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
    blur = cv2.GaussianBlur(small, (0, 0), 2.0)
    otsu, _ = cv2.threshold(blur, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # A lit part of the desk can be as bright as the paper's shaded side: step the threshold up
    # from Otsu's until the bright region is one clean quadrilateral (or the paper is gone).
    top = float(np.percentile(blur, 97))
    for level in np.arange(otsu, top, _THRESHOLD_STEP):
        quad, share = _quad_at(blur, float(level))
        if quad is not None:
            return (quad / f).astype(np.float32)
        if level == otsu and share > MAX_SHARE:
            return None  # paper (or one even surface) fills the picture: a scan, no desk
    return None


def _quad_at(blur: np.ndarray, level: float) -> tuple[np.ndarray | None, float]:
    sh, sw = blur.shape
    bright = (blur > level).astype(np.uint8) * 255
    k = max(3, round(max(sh, sw) / 40))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    closed = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, kernel)
    closed = cv2.morphologyEx(closed, cv2.MORPH_OPEN, kernel)
    contours, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return None, 0.0
    contour = max(contours, key=cv2.contourArea)
    area = float(cv2.contourArea(contour))
    share = area / (sh * sw)
    if not MIN_SHARE <= share <= MAX_SHARE:
        return None, share
    hull = cv2.convexHull(contour)
    if area / max(float(cv2.contourArea(hull)), 1.0) < MIN_SOLIDITY:
        return None, share
    pts = contour.reshape(-1, 2)
    on_border = (pts[:, 0] <= 1) | (pts[:, 1] <= 1) | (pts[:, 0] >= sw - 2) | (pts[:, 1] >= sh - 2)
    if on_border.mean() > 0.02:
        return None, share  # runs out of the picture (or the desk does): its corners are not all seen
    rough = rough_quad(hull)
    if rough is None:
        return None, share
    quad = fitted_quad(pts.astype(np.float32), rough)
    if quad is None or not inside(quad, sw, sh):
        return None, share
    if area / max(float(cv2.contourArea(quad)), 1.0) < MIN_SOLIDITY:
        return None, share  # the region is not a quadrilateral (a torn or folded page, two documents)
    if not _contrasted(blur, quad):
        return None, share
    return quad, share


def _contrasted(blur: np.ndarray, quad: np.ndarray) -> bool:
    """Along each of its four sides the document is clearly brighter just inside than just
    outside (a desk all round, not a lit patch of desk or more paper merged into the region)."""
    h, w = blur.shape
    for along, normal in side_probes(quad):  # the normal points out of the document
        levels = []
        for offset in (-SIDE_PROBE, SIDE_PROBE):
            pts = np.rint(along + offset * normal).astype(int)
            keep = (pts[:, 0] >= 0) & (pts[:, 0] < w) & (pts[:, 1] >= 0) & (pts[:, 1] < h)
            if keep.sum() < 8:
                return False
            levels.append(float(np.median(blur[pts[keep, 1], pts[keep, 0]])))
        paper, desk = levels
        if paper - desk < max(10.0, _MIN_CONTRAST * paper):
            return False
    return True


def _worth_flattening(quad: np.ndarray, w: int, h: int) -> bool:
    """Clearly smaller than the picture, or clearly not an upright rectangle."""
    if float(cv2.contourArea(quad)) < _SMALLER_THAN_FRAME * w * h:
        return True
    return _corner_error(quad) > _NOT_RECTANGULAR_DEG or _tilt(quad) > _NOT_RECTANGULAR_DEG


def _corner_error(quad: np.ndarray) -> float:
    worst = 0.0
    for i in range(4):
        a, b, c = quad[(i - 1) % 4], quad[i], quad[(i + 1) % 4]
        u, v = a - b, c - b
        cos = float(u @ v) / max(float(np.linalg.norm(u) * np.linalg.norm(v)), 1e-6)
        worst = max(worst, abs(90.0 - float(np.degrees(np.arccos(np.clip(cos, -1, 1))))))
    return worst


def _tilt(quad: np.ndarray) -> float:
    d = quad[1] - quad[0]
    return abs(float(np.degrees(np.arctan2(d[1], d[0]))))


def _side_lengths(quad: np.ndarray) -> tuple[float, float]:
    top, bottom = np.linalg.norm(quad[1] - quad[0]), np.linalg.norm(quad[2] - quad[3])
    left, right = np.linalg.norm(quad[3] - quad[0]), np.linalg.norm(quad[2] - quad[1])
    return float(max(top, bottom)), float(max(left, right))


def _aspect(quad: np.ndarray, w: int, h: int) -> float:
    """Long / short side of the document: the camera model's when it agrees roughly with the
    sides' lengths (a physical perspective), else the sides' lengths."""
    across, down = _side_lengths(quad)
    sides = max(across, down) / max(min(across, down), 1.0)
    model = true_aspect(quad, w, h)
    model = max(model, 1 / model) if model > 0 else sides
    return model if abs(model / sides - 1) <= 0.3 else sides


def true_aspect(quad: np.ndarray, w: int, h: int) -> float:
    """Width / height of the rectangle that the camera saw as `quad` (tl, tr, br, bl): Zhang &
    He (2007), principal point at the picture's centre, square pixels; the side lengths' ratio
    when the focal length cannot be found (sides nearly parallel: no vanishing point)."""
    tl, tr, br, bl = (np.array([p[0], p[1], 1.0]) for p in quad.astype(np.float64))
    m1, m2, m3, m4 = tl, tr, bl, br
    k2 = np.dot(np.cross(m1, m4), m3) / np.dot(np.cross(m2, m4), m3)
    k3 = np.dot(np.cross(m1, m4), m2) / np.dot(np.cross(m3, m4), m2)
    n2, n3 = k2 * m2 - m1, k3 * m3 - m1
    u0, v0 = w / 2.0, h / 2.0
    across = float(np.linalg.norm(quad[1] - quad[0]) + np.linalg.norm(quad[2] - quad[3])) / 2
    down = float(np.linalg.norm(quad[3] - quad[0]) + np.linalg.norm(quad[2] - quad[1])) / 2
    fallback = across / max(down, 1e-6)
    denominator = n2[2] * n3[2]
    if abs(denominator) < 1e-9:
        return fallback
    f2 = (
        -(
            (n2[0] * n3[0] - (n2[0] * n3[2] + n2[2] * n3[0]) * u0 + n2[2] * n3[2] * u0 * u0)
            + (n2[1] * n3[1] - (n2[1] * n3[2] + n2[2] * n3[1]) * v0 + n2[2] * n3[2] * v0 * v0)
        )
        / denominator
    )
    side = max(w, h)
    if not (0.3 * side) ** 2 <= f2 <= (10 * side) ** 2:
        return fallback  # nearly fronto-parallel: the focal length is unconstrained
    a_inv = np.linalg.inv(np.array([[np.sqrt(f2), 0, u0], [0, np.sqrt(f2), v0], [0, 0, 1.0]]))
    metric = a_inv.T @ a_inv
    ratio = float(n2 @ metric @ n2) / max(float(n3 @ metric @ n3), 1e-12)
    if not 0.1 < ratio < 10:
        return fallback
    return float(np.sqrt(ratio))


# --- light and glare --------------------------------------------------------------------


def _saturated(bgr: np.ndarray) -> np.ndarray:
    lowest = cv2.min(cv2.min(bgr[..., 0], bgr[..., 1]), bgr[..., 2])
    hot = (lowest >= _GLARE_LEVEL).astype(np.uint8)
    return np.asarray(cv2.morphologyEx(hot, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)), np.uint8)


def _blobs(mask: np.ndarray) -> tuple[tuple[int, int, int, int], ...]:
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    least = _GLARE_MIN_SHARE * mask.size
    return tuple(
        (int(x), int(y), int(x + bw), int(y + bh)) for x, y, bw, bh, area in stats[1:n].tolist() if area >= least
    )


def paper_light(grey: np.ndarray, cells: int = 16) -> np.ndarray:
    """The paper's brightness over the page: a quadratic surface through the bright cells."""
    h, w = grey.shape
    ys = np.linspace(0, h, cells + 1).astype(int)
    xs = np.linspace(0, w, cells + 1).astype(int)
    level, cy, cx = [], [], []
    for i in range(cells):
        for j in range(cells):
            cell = grey[ys[i] : ys[i + 1], xs[j] : xs[j + 1]]
            if cell.size:
                level.append(float(np.percentile(cell, 90)))
                cy.append((ys[i] + ys[i + 1]) / 2 / h - 0.5)
                cx.append((xs[j] + xs[j + 1]) / 2 / w - 0.5)
    v, y, x = np.array(level), np.array(cy), np.array(cx)
    design = np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], axis=1)
    keep = np.ones(len(v), bool)
    coef = np.zeros(6)
    for _ in range(3):
        if keep.sum() < 12:
            break
        coef, *_ = np.linalg.lstsq(design[keep], v[keep], rcond=None)
        fit = design @ coef
        keep = v >= fit - max(12.0, 0.08 * float(np.median(v)))  # dark cells are content, not light
    gy = (np.arange(h, dtype=np.float32) + 0.5) / h - 0.5
    gx = (np.arange(w, dtype=np.float32) + 0.5) / w - 0.5
    xx, yy = gx[None, :], gy[:, None]
    c = coef.astype(np.float32)
    surface = c[0] + c[1] * xx + c[2] * yy + c[3] * xx * xx + c[4] * xx * yy + c[5] * yy * yy
    return np.asarray(np.maximum(surface, 16.0), np.float32)


def even_light(bgr: np.ndarray, glare: np.ndarray | None = None) -> np.ndarray:
    """`bgr` divided by the paper's light, brought back to its brightest level; glare stays white."""
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    light = paper_light(grey)
    top = float(np.percentile(light, 95))
    gain = (top / light)[..., None]
    out = np.clip(bgr.astype(np.float32) * gain, 0, 255).astype(np.uint8)
    if glare is not None and glare.any():
        out[glare > 0] = 255  # nothing is invented under a reflection
    return out


def text_height(grey: np.ndarray) -> tuple[float, int]:
    """Typical letter height over the document's short side (ink-weighted median of letter-sized
    blobs): about 1/25 on a card, 1/60 on a sheet; 0 when too few letters are seen."""
    h, w = grey.shape
    f = _TEXT_WORK_SHORT / min(h, w)
    work = cv2.resize(grey, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
    ink = cv2.adaptiveThreshold(work, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 15)
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    bh = stats[1:, cv2.CC_STAT_HEIGHT].astype(np.float64)
    bw = stats[1:, cv2.CC_STAT_WIDTH].astype(np.float64)
    area = stats[1:, cv2.CC_STAT_AREA].astype(np.float64)
    letters = (bh >= 3) & (bh <= work.shape[0] / 6) & (bw <= 3 * bh)
    count = int(letters.sum())
    if count < 12:
        return 0.0, count
    bh, area = bh[letters], area[letters]
    order = np.argsort(bh)
    cumulative = np.cumsum(area[order])
    return float(bh[order][np.searchsorted(cumulative, cumulative[-1] / 2)]) / min(work.shape), count
