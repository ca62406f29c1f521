"""Where a photographed document's outline runs: quad geometry, a colour search, edge support.

Shared by pipeline.pages.flatten. A bright region's outline is found there (a threshold); here:

- `find_quad_by_colour`: GrabCut at `_GRABCUT_SIDE` px, the picture's rim taken as desk (a
  document photographed whole does not touch it), everything else as probably document; the
  region's quad is refined onto the picture's colour edges and its four sides must each differ
  in colour inside from outside (a cream card on light wood, which brightness cannot tell).
- `edge_support`: the least share, over a quad's four sides, of points where the colour steps
  across the side the same way all along. A document's true outline scores ~1; a line through a
  document (text crossing it) or across the desk scores low. Every outline must pass it before
  anything is flattened: a doubtful outline leaves the photo as it is.

Pure: arrays in, arrays out.
"""

from __future__ import annotations

import cv2
import numpy as np

LOCATE_SIDE = 640  # px: outlines are searched and checked at this size
MIN_SHARE, MAX_SHARE = 0.04, 0.97  # of the picture: smaller is noise, larger is the picture itself
MIN_SOLIDITY = 0.93  # contour area / fitted quad area (and / hull area)
SIDE_PROBE = 6.0  # px at the search size: how far inside / outside each side is looked at
MIN_EDGE_SUPPORT = 0.7  # share of each side along which an edge is seen (glare or clutter hide some)
_GRABCUT_SIDE = 224  # px: the colour search's size
_GRABCUT_RIM = 0.025  # of the longer side: the picture's rim taken as desk
_GRABCUT_ITERATIONS = 3
_REFINE_REACH = 3  # px at the search size: how far a side may move onto an edge
_EDGE_STEP = 12.0  # Lab units across 2 px: an edge worth following
_EDGE_NEAR = 2  # px at the search size: how close to a side its edge must run
_MIN_COLOUR_STEP = 12.0  # Lab units: inside and outside a side differ at least this much


def search_lab(image: np.ndarray) -> tuple[np.ndarray, float]:
    """`image` (BGR) at `LOCATE_SIDE` px, smoothed, in Lab (float32), and the scale used."""
    h, w = image.shape[:2]
    g = min(1.0, LOCATE_SIDE / max(h, w))
    small = cv2.resize(image, (max(1, round(w * g)), max(1, round(h * g))), interpolation=cv2.INTER_AREA)
    return cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_BGR2LAB).astype(np.float32), (0, 0), 1.5), g


def edge_support(lab: np.ndarray, quad: np.ndarray) -> float:
    """The least, over the four sides, share of points along the side where the colour steps
    across it (within `_EDGE_NEAR` px): 1 for a document's true outline, low for a line drawn
    through a document or across a desk."""
    h, w = lab.shape[:2]
    centre = quad.mean(axis=0)
    t = np.linspace(0.06, 0.94, 48, dtype=np.float32)[:, None]
    offsets = np.arange(-_EDGE_NEAR - 1, _EDGE_NEAR + 2, dtype=np.float32)
    least = 1.0
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        normal = np.array([b[1] - a[1], a[0] - b[0]], np.float32)
        normal /= max(float(np.linalg.norm(normal)), 1e-6)
        if float((a - centre) @ normal) < 0:
            normal = -normal
        probe = (a + t * (b - a))[:, None, :] + offsets[None, :, None] * normal
        inside = (probe[..., 0] >= 0) & (probe[..., 0] <= w - 1) & (probe[..., 1] >= 0) & (probe[..., 1] <= h - 1)
        xs = np.clip(probe[..., 0], 0, w - 1).astype(np.float32)
        ys = np.clip(probe[..., 1], 0, h - 1).astype(np.float32)
        profile = cv2.remap(lab, xs, ys, cv2.INTER_LINEAR)
        step = np.linalg.norm(profile[:, 2:] - profile[:, :-2], axis=2).max(axis=1)
        # The same change of colour all along (document to desk), not strokes crossing the side.
        across = profile[:, -1] - profile[:, 0]
        typical = np.median(across, axis=0)
        norms = np.linalg.norm(across, axis=1) * max(float(np.linalg.norm(typical)), 1e-6)
        alike = (across @ typical) / np.maximum(norms, 1e-6) >= 0.5
        seen = inside.all(axis=1)
        least = min(least, float(np.mean((step >= _EDGE_STEP) & alike & seen)))
    return least


def rough_quad(hull: np.ndarray) -> np.ndarray | None:
    perimeter = cv2.arcLength(hull, True)
    for eps in (0.02, 0.03, 0.045, 0.06):
        approx = cv2.approxPolyDP(hull, eps * perimeter, True)
        if len(approx) == 4:
            return order(approx.reshape(4, 2).astype(np.float32))
        if len(approx) < 4:
            return None
    return None


def order(pts: np.ndarray) -> np.ndarray | None:
    """Corners as top-left, top-right, bottom-right, bottom-left (None if they coincide)."""
    centre = pts.mean(axis=0)
    angles = np.arctan2(pts[:, 1] - centre[1], pts[:, 0] - centre[0])
    ring = pts[np.argsort(angles)]  # clockwise on screen (y down), starting anywhere
    start = int(np.argmin(ring.sum(axis=1)))
    ordered = np.roll(ring, -start, axis=0)
    if len({tuple(p) for p in ordered.tolist()}) < 4:
        return None
    return ordered.astype(np.float32)


def fitted_quad(pts: np.ndarray, rough: np.ndarray) -> np.ndarray | None:
    """Each side fitted as a line through the outline points along its middle, the corners
    where neighbouring sides meet (rounded corners and a ragged contour do not move them)."""
    lines = []
    for i in range(4):
        a, b = rough[i], rough[(i + 1) % 4]
        d = b - a
        length = float(np.hypot(*d))
        if length < 8:
            return None
        t = ((pts - a) @ d) / (length * length)
        dist = np.abs((pts[:, 0] - a[0]) * d[1] - (pts[:, 1] - a[1]) * d[0]) / length
        near = pts[(t > 0.1) & (t < 0.9) & (dist < max(2.0, 0.03 * length))]
        if len(near) < 5:
            return None
        vx, vy, x0, y0 = cv2.fitLine(near, cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        lines.append((float(vx), float(vy), float(x0), float(y0)))
    return corners_of(lines)


def corners_of(lines: list[tuple[float, float, float, float]]) -> np.ndarray | None:
    """The quad whose four sides are `lines` (vx, vy, x0, y0), each corner where a side meets
    the one before it; None where two of them do not meet."""
    corners = []
    for i in range(4):
        p = intersect(lines[(i - 1) % 4], lines[i])
        if p is None:
            return None
        corners.append(p)
    return order(np.array(corners, np.float32))


def side_probes(
    quad: np.ndarray, span: tuple[float, float] = (0.15, 0.85), count: int = 24
) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each side of `quad`: `count` points along its `span` (shares of its length) and its
    normal pointing out of the quad, where a side's inside is told from its outside."""
    centre = quad.mean(axis=0)
    t = np.linspace(*span, count, dtype=np.float32)[:, None]
    probes = []
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        normal = np.array([b[1] - a[1], a[0] - b[0]], np.float32)
        normal /= max(float(np.linalg.norm(normal)), 1e-6)
        if float((a - centre) @ normal) < 0:
            normal = -normal
        probes.append((a + t * (b - a), normal))
    return probes


def intersect(
    l1: tuple[float, float, float, float], l2: tuple[float, float, float, float]
) -> tuple[float, float] | None:
    vx1, vy1, x1, y1 = l1
    vx2, vy2, x2, y2 = l2
    det = vx1 * (-vy2) - vy1 * (-vx2)
    if abs(det) < 1e-6:
        return None
    s = ((x2 - x1) * (-vy2) - (y2 - y1) * (-vx2)) / det
    return (x1 + s * vx1, y1 + s * vy1)


def inside(quad: np.ndarray, w: int, h: int) -> bool:
    margin = 0.02 * max(w, h)
    return bool(np.all(quad >= -margin) and np.all(quad[:, 0] <= w + margin) and np.all(quad[:, 1] <= h + margin))


def find_quad_by_colour(image: np.ndarray, lab: np.ndarray, g: float) -> np.ndarray | None:
    """Corners of a document told from its surround by colour, not brightness: GrabCut at
    `_GRABCUT_SIDE` px, the picture's rim taken as desk (a document photographed whole does not
    touch it), the rest as probably document. The region's quad is then refined on the picture's
    edges in `lab` (the picture at scale `g`, Lab, smoothed) and must pass the same checks as a
    bright region's, with the per-side contrast measured as a colour difference (a cream card on
    light wood)."""
    h, w = image.shape[:2]
    f = _GRABCUT_SIDE / max(h, w)
    if f >= 1.0:
        return None
    small = cv2.resize(image, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
    sh, sw = small.shape[:2]
    rim = max(3, round(_GRABCUT_RIM * max(sh, sw)))
    mask = np.full((sh, sw), cv2.GC_PR_FGD, np.uint8)
    mask[:rim], mask[-rim:], mask[:, :rim], mask[:, -rim:] = (cv2.GC_BGD,) * 4
    background, foreground = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    try:
        cv2.grabCut(small, mask, (0, 0, 0, 0), background, foreground, _GRABCUT_ITERATIONS, cv2.GC_INIT_WITH_MASK)
    except cv2.error:
        return None  # one colour everywhere: nothing to tell apart
    region = ((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)).astype(np.uint8) * 255
    region = cv2.morphologyEx(region, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(region, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return None
    contour = max(contours, key=cv2.contourArea)
    area = float(cv2.contourArea(contour))
    if not MIN_SHARE <= area / (sh * sw) <= MAX_SHARE:
        return None
    hull = cv2.convexHull(contour)
    if area / max(float(cv2.contourArea(hull)), 1.0) < MIN_SOLIDITY:
        return None
    rough = rough_quad(hull)
    if rough is None:
        return None
    quad = fitted_quad(contour.reshape(-1, 2).astype(np.float32), rough)
    if quad is None or area / max(float(cv2.contourArea(quad)), 1.0) < MIN_SOLIDITY:
        return None
    refined = refined_quad(lab, quad * (g / f))
    if refined is None or not inside(refined, lab.shape[1], lab.shape[0]):
        return None
    if not colour_contrasted(lab, refined):
        return None
    return (refined / g).astype(np.float32)


def refined_quad(lab: np.ndarray, quad: np.ndarray) -> np.ndarray | None:
    """Each side moved onto the strongest colour edge within `_REFINE_REACH` px of it (across
    the side, at points along its middle), fitted as a line; corners where the lines meet."""
    h, w = lab.shape[:2]
    offsets = np.arange(-_REFINE_REACH, _REFINE_REACH + 1, dtype=np.float32)
    lines = []
    for along, normal in side_probes(quad, (0.12, 0.88), 40):  # along: (n, 2)
        probe = along[:, None, :] + offsets[None, :, None] * normal  # (n, k, 2)
        xs = np.clip(probe[..., 0], 0, w - 1).astype(np.float32)
        ys = np.clip(probe[..., 1], 0, h - 1).astype(np.float32)
        profile = cv2.remap(lab, xs, ys, cv2.INTER_LINEAR)  # (n, k, 3)
        step = np.linalg.norm(profile[:, 2:] - profile[:, :-2], axis=2)  # central difference
        # The nearest edge, not the strongest: wood grain beside a card's side is as strong.
        nearness = step * (1.0 - np.abs(offsets[1:-1]) / (2.0 * _REFINE_REACH))[None, :]
        best = np.argmax(np.where(step >= _EDGE_STEP, nearness, -1.0), axis=1) + 1
        strong = step[np.arange(len(best)), best - 1] >= _EDGE_STEP
        if strong.sum() < 8:
            return None
        points = along[strong] + offsets[best[strong]][:, None] * normal
        vx, vy, x0, y0 = cv2.fitLine(points.astype(np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        lines.append((float(vx), float(vy), float(x0), float(y0)))
    refined = corners_of(lines)
    if refined is None or float(np.max(np.linalg.norm(refined - quad, axis=1))) > 2 * _REFINE_REACH:
        return None  # the edges found are not the region's: keep nothing rather than a wrong cut
    return refined


def colour_contrasted(lab: np.ndarray, quad: np.ndarray) -> bool:
    """Along each side, most points differ clearly in colour just inside from just outside."""
    h, w = lab.shape[:2]
    for along, normal in side_probes(quad):
        inner = np.rint(along - SIDE_PROBE * normal).astype(int)
        outer = np.rint(along + SIDE_PROBE * normal).astype(int)
        keep = np.all((inner >= 0) & (outer >= 0) & (inner < [w, h]) & (outer < [w, h]), axis=1)
        if keep.sum() < 8:
            return False
        diff = np.linalg.norm(lab[inner[keep, 1], inner[keep, 0]] - lab[outer[keep, 1], outer[keep, 0]], axis=1)
        if float(np.median(diff)) < _MIN_COLOUR_STEP or float(np.mean(diff >= _MIN_COLOUR_STEP / 2)) < 0.8:
            return False
    return True
