"""Degradation levels: clean, scanned, hard, photo; plus whole-page orientation.

Each geometric step is a 3x3 homography on continuous pixel coordinates, so the truth boxes
follow the ink: a box becomes the axis-aligned bbox of its four transformed corners, clipped
to the image. Photometric steps (noise, blur, faint ink, JPEG) do not move anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

LEVELS = ("clean", "scanned", "hard", "photo")
ORIENTATIONS = (0, 90, 180, 270)


@dataclass(slots=True)
class Degraded:
    image: Image.Image  # RGB, before JPEG encoding
    homography: np.ndarray  # 3x3, rendered-page coordinates -> output coordinates
    jpeg_quality: int | None  # None: save losslessly (PNG)

    def box(self, box: list[int]) -> list[int]:
        return map_box(box, self.homography, self.image.width, self.image.height)


def map_box(box: list[int], h: np.ndarray, width: int, height: int) -> list[int]:
    x0, y0, x1, y1 = box
    pts = np.array([[x0, y0, 1], [x1, y0, 1], [x1, y1, 1], [x0, y1, 1]], np.float64) @ h.T
    xy = pts[:, :2] / pts[:, 2:3]
    bx0, by0 = np.floor(xy.min(axis=0))
    bx1, by1 = np.ceil(xy.max(axis=0))
    return [
        int(np.clip(bx0, 0, width)),
        int(np.clip(by0, 0, height)),
        int(np.clip(bx1, 0, width)),
        int(np.clip(by1, 0, height)),
    ]


def orient(img: Image.Image, degrees: int) -> tuple[Image.Image, np.ndarray]:
    """Rotate the page clockwise by 0/90/180/270 degrees (a page fed sideways or upside down)."""
    if degrees not in ORIENTATIONS:
        raise ValueError(f"orientation must be one of {ORIENTATIONS}")
    w, h = img.size
    k = degrees // 90
    arr = np.rot90(np.asarray(img), k=-k)  # k=-1: clockwise
    mats = {
        0: np.eye(3),
        1: np.array([[0, -1, h], [1, 0, 0], [0, 0, 1.0]]),
        2: np.array([[-1, 0, w], [0, -1, h], [0, 0, 1.0]]),
        3: np.array([[0, 1, 0], [-1, 0, w], [0, 0, 1.0]]),
    }
    return Image.fromarray(np.ascontiguousarray(arr)), mats[k]


def degrade(img: Image.Image, level: str, rng: np.random.Generator, *, card: bool = False) -> Degraded:
    if level == "clean":
        return Degraded(img, np.eye(3), None)
    arr = np.asarray(img.convert("RGB")).astype(np.float32)
    if level == "scanned":
        return _scanned(arr, rng)
    if level == "hard":
        return _hard(arr, rng)
    if level == "photo":
        return _photo(arr, rng, card=card)
    raise ValueError(f"unknown level {level!r}; expected one of {LEVELS}")


PRINTS = ("ink_spread", "halftone", "low_contrast")


def print_quality(img: Image.Image, rng: np.random.Generator, kinds: Sequence[str]) -> Image.Image:
    """How the document was printed, before any scan or photo ("alt" style): nothing moves.

    ink_spread: ink bleeds (dark strokes thicken, edges soften); halftone: light tones printed
    as a dot screen; low_contrast: worn ribbon or toner saving, ink pulled toward the paper."""
    from samples.graphics import halftone  # late: graphics draws, this module degrades

    for kind in kinds:
        if kind not in PRINTS:
            raise ValueError(f"unknown print effect {kind!r}; expected one of {PRINTS}")
    out = img.convert("RGB")
    for kind in kinds:
        arr = np.asarray(out, np.float32)
        if kind == "ink_spread":
            spread = cv2.erode(arr, np.ones((2, 2), np.uint8))  # about a pixel of bleed at 300 dpi
            share = float(rng.uniform(0.4, 0.7))
            arr = np.asarray(
                cv2.GaussianBlur(arr * (1 - share) + spread * share, (0, 0), float(rng.uniform(0.5, 0.9))), np.float32
            )
        elif kind == "halftone":
            import random

            out = halftone(out, random.Random(int(rng.integers(2**32))), float(rng.uniform(4.0, 6.5)))
            continue
        else:
            tone = np.array([rng.uniform(236, 250)] * 3, np.float32)
            arr = _paper(arr, float(rng.uniform(0.5, 0.7)), tone).astype(np.float32)
        out = _finish(arr)
    return out


def _rotation(arr: np.ndarray, angle: float, border: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    h, w = arr.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    out = cv2.warpAffine(arr, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=border)
    return out, np.vstack([m, [0, 0, 1]])


def _paper(arr: np.ndarray, contrast: float, tone: np.ndarray) -> np.ndarray:
    """Pull everything toward the paper tone: contrast 1 keeps ink, 0 erases it."""
    return tone + (arr - 255.0) * contrast * (tone / 255.0)


def _finish(arr: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def _scanned(arr: np.ndarray, rng: np.random.Generator) -> Degraded:
    tone = np.array([rng.uniform(232, 246)] * 3, np.float32) - np.array([0, rng.uniform(0, 4), rng.uniform(2, 9)])
    arr = _paper(arr, rng.uniform(0.82, 0.93), tone)
    angle = float(rng.choice([-1, 1]) * rng.uniform(0.3, 2.0))
    arr, h = _rotation(arr, angle, tuple(float(v) for v in tone))
    # Sensor noise before the optics blur: grain is correlated, as in real scans (and JPEGs stay small).
    arr = arr + rng.normal(0, rng.uniform(4, 8), arr.shape[:2]).astype(np.float32)[..., None]
    arr = cv2.GaussianBlur(arr, (0, 0), rng.uniform(0.7, 1.0))
    return Degraded(_finish(arr), h, int(rng.integers(70, 86)))


def _hard(arr: np.ndarray, rng: np.random.Generator) -> Degraded:
    hgt, wid = arr.shape[:2]
    tone = np.array([rng.uniform(215, 238)] * 3, np.float32) - np.array([0, rng.uniform(0, 6), rng.uniform(4, 14)])
    arr = _paper(arr, rng.uniform(0.38, 0.55), tone)  # faint ink
    angle = float(rng.uniform(-1.5, 1.5))
    arr, h = _rotation(arr, angle, tuple(float(v) for v in tone))
    # Effective 120-150 dpi: lose detail at low resolution, then come back to the page size.
    scale = rng.uniform(120, 150) / 300
    small = cv2.resize(arr, (round(wid * scale), round(hgt * scale)), interpolation=cv2.INTER_AREA)
    small = small + rng.normal(0, rng.uniform(10, 18), small.shape[:2])[..., None]
    n_specks = int(small.shape[0] * small.shape[1] * rng.uniform(4e-4, 1e-3))
    ys = rng.integers(0, small.shape[0], n_specks)
    xs = rng.integers(0, small.shape[1], n_specks)
    small[ys, xs] = rng.choice([40.0, 90.0, 255.0], size=(n_specks, 1))
    arr = cv2.resize(small, (wid, hgt), interpolation=cv2.INTER_LINEAR)
    return Degraded(_finish(arr), h, int(rng.integers(40, 56)))


def _background(w: int, h: int, rng: np.random.Generator) -> np.ndarray:
    """Desk surface: wood grain (low-frequency streaks) or a plain mottled table."""
    kind = rng.integers(0, 3)
    base = [np.array([128, 86, 52]), np.array([160, 120, 80]), np.array([150, 152, 148])][kind].astype(np.float32)
    low = cv2.resize(
        rng.normal(0, 1, (max(2, h // 60), max(2, w // 300))).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC
    )
    yy = np.arange(h, dtype=np.float32)[:, None]
    grain = np.sin((yy + 25 * low) / rng.uniform(5, 12)) * (14 if kind < 2 else 3)
    fine = cv2.GaussianBlur(rng.normal(0, 6, (h, w)).astype(np.float32), (0, 0), 1.2)
    return base + (grain + fine + 10 * low)[..., None]


def laid_on(arr: np.ndarray, h: np.ndarray, size: tuple[int, int], *, card: bool) -> tuple[np.ndarray, np.ndarray]:
    """The document `arr` warped by `h` into a `size` (width, height) frame, and where it lies
    there (0..1, an ID-1 card's rounded corners cut off)."""
    ph, pw = arr.shape[:2]
    mask = np.zeros((ph, pw), np.uint8)
    radius = int(0.035 * pw) if card else 0  # ID-1 cards have rounded corners
    cv2.rectangle(mask, (radius, 0), (pw - radius, ph), 255, -1)
    cv2.rectangle(mask, (0, radius), (pw, ph - radius), 255, -1)
    for cx, cy in ((radius, radius), (pw - radius, radius), (radius, ph - radius), (pw - radius, ph - radius)):
        cv2.circle(mask, (cx, cy), radius, (255,), -1)
    warped = cv2.warpPerspective(arr, h, size, flags=cv2.INTER_AREA)
    wmask = cv2.warpPerspective(mask, h, size, flags=cv2.INTER_LINEAR).astype(np.float32) / 255
    return warped, wmask


def _photo(arr: np.ndarray, rng: np.random.Generator, *, card: bool) -> Degraded:
    ph, pw = arr.shape[:2]
    out_w, out_h = (1600, 1200) if pw > ph else (1500, 2000)
    bg = _background(out_w, out_h, rng)
    fill = rng.uniform(0.62, 0.78) if card else rng.uniform(0.8, 0.9)
    s = min(out_w * fill / pw, out_h * fill / ph)
    dw, dh = pw * s, ph * s
    ox = (out_w - dw) / 2 + rng.uniform(-0.06, 0.06) * out_w
    oy = (out_h - dh) / 2 + rng.uniform(-0.05, 0.05) * out_h
    rect = np.array([[ox, oy], [ox + dw, oy], [ox + dw, oy + dh], [ox, oy + dh]], np.float32)
    jitter = rng.uniform(0.03, 0.08, (4, 2)) * np.array([dw, dh]) * rng.choice([-1, 1], (4, 2))
    dst = (rect + jitter).astype(np.float32)
    src = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float32)
    h = cv2.getPerspectiveTransform(src, dst)
    warped, wmask = laid_on(arr, h, (out_w, out_h), card=card)
    shadow = cv2.GaussianBlur(np.roll(wmask, (14, 10), axis=(0, 1)), (0, 0), 12)
    bg = bg * (1 - 0.45 * shadow[..., None])
    img = bg * (1 - wmask[..., None]) + warped * wmask[..., None]
    # Uneven light: a tilted plane times a vignette, slightly warm.
    yy, xx = np.mgrid[0:out_h, 0:out_w].astype(np.float32)
    gx, gy = rng.uniform(-0.25, 0.25, 2)
    plane = 1 + gx * (xx / out_w - 0.5) + gy * (yy / out_h - 0.5)
    r2 = ((xx / out_w - 0.5) ** 2 + (yy / out_h - 0.5) ** 2) / 0.5
    light = plane * (1 - rng.uniform(0.15, 0.35) * r2) * rng.uniform(0.92, 1.05)
    img = img * light[..., None] * np.array([1.0, 0.98, rng.uniform(0.9, 0.97)], np.float32)
    img = cv2.GaussianBlur(img.astype(np.float32), (0, 0), rng.uniform(0.6, 1.2))
    img = img + rng.normal(0, rng.uniform(2.5, 6), img.shape[:2])[..., None]
    return Degraded(_finish(img), h.astype(np.float64), int(rng.integers(75, 91)))
