"""Non-text graphics: card background, emblem, photo placeholder, QR, fingerprints, signatures.

None of these draw letters, so none of them adds ground-truth lines.
"""

from __future__ import annotations

import math
import random

import numpy as np
import segno
from PIL import Image, ImageDraw, ImageFilter


def guilloche(
    size: tuple[int, int], rng: random.Random, base: tuple[int, int, int], ink: tuple[int, int, int]
) -> Image.Image:
    """Pale security-print background: a soft gradient plus families of thin sine waves."""
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    grad = (xx / w)[..., None] * np.array([-8, 4, 10], np.float32) + (yy / h)[..., None] * np.array([6, -4, 2])
    img = Image.fromarray(np.clip(np.array(base, np.float32) + grad, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(img)
    for _family in range(3):
        period = rng.uniform(90, 220)
        amp = rng.uniform(10, 35)
        phase_step = rng.uniform(0.15, 0.4)
        for k in range(0, h + 40, rng.randint(9, 14)):
            pts = [(x, k + amp * math.sin(2 * math.pi * x / period + k * phase_step)) for x in range(0, w + 8, 8)]
            d.line(pts, fill=ink, width=1)
    return img


def emblem(img: Image.Image, cx: int, cy: int, r: int) -> None:
    """Simplified national emblem: red disc, gold rim and star (no text)."""
    d = ImageDraw.Draw(img)
    d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(200, 160, 40))
    d.ellipse([cx - r + 6, cy - r + 6, cx + r - 6, cy + r - 6], fill=(205, 35, 35))
    pts = []
    for i in range(10):
        rad = (r * 0.55) if i % 2 == 0 else (r * 0.22)
        a = -math.pi / 2 + i * math.pi / 5
        pts.append((cx + rad * math.cos(a), cy - r * 0.1 + rad * math.sin(a)))
    d.polygon(pts, fill=(250, 215, 60))
    d.arc([cx - r + 14, cy - r + 14, cx + r - 14, cy + r - 14], 20, 160, fill=(250, 215, 60), width=5)


def photo_placeholder(img: Image.Image, box: tuple[int, int, int, int], rng: random.Random) -> None:
    """Grey portrait placeholder: light backdrop, head-and-shoulders silhouette."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    ph = Image.new("RGB", (w, h), (222, 226, 232))
    d = ImageDraw.Draw(ph)
    tone = rng.randint(120, 150)
    d.ellipse([w * 0.08, h * 0.68, w * 0.92, h * 1.25], fill=(tone - 30,) * 3)  # shoulders
    d.ellipse([w * 0.28, h * 0.2, w * 0.72, h * 0.66], fill=(tone,) * 3)  # head
    d.rectangle([w * 0.42, h * 0.6, w * 0.58, h * 0.74], fill=(tone - 8,) * 3)  # neck
    ph = ph.filter(ImageFilter.GaussianBlur(2))
    img.paste(ph, (x0, y0))
    ImageDraw.Draw(img).rectangle(box, outline=(150, 150, 150), width=1)


def qr_image(payload: str, size: int) -> Image.Image:
    """A real, decodable QR code of `payload` (UTF-8, error level M), scaled to `size` px."""
    qr = segno.make_qr(payload, error="m", encoding="utf-8")
    matrix = np.array([[1 if v else 0 for v in row] for row in qr.matrix], np.uint8)
    border = 2
    matrix = np.pad(matrix, border)
    n = matrix.shape[0]
    scale = max(1, size // n)
    arr = np.where(np.kron(matrix, np.ones((scale, scale), np.uint8)) > 0, 0, 255).astype(np.uint8)
    return Image.fromarray(arr).convert("RGB")


def fingerprint(img: Image.Image, box: tuple[int, int, int, int], rng: np.random.Generator) -> None:
    """Grey oval of concentric noisy ridges."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = w / 2 + rng.uniform(-8, 8), h / 2 + rng.uniform(-10, 10)
    r = np.sqrt(((xx - cx) / (w * 0.42)) ** 2 + ((yy - cy) / (h * 0.46)) ** 2)
    ang = np.arctan2(yy - cy, xx - cx)
    ridges = 0.5 + 0.5 * np.sin(r * rng.uniform(55, 70) + 2.0 * np.sin(ang * 2 + rng.uniform(0, 6)))
    ridges += rng.normal(0, 0.25, ridges.shape)
    inside = r < 1.0
    val = np.where(inside, 150 + 70 * np.clip(ridges, 0, 1), 255)
    patch = Image.fromarray(val.astype(np.uint8)).convert("RGB").filter(ImageFilter.GaussianBlur(0.8))
    mask = Image.fromarray((inside * 255).astype(np.uint8))
    img.paste(patch, (x0, y0), mask)


def signature(
    img: Image.Image,
    box: tuple[int, int, int, int],
    rng: random.Random,
    color: tuple[int, int, int] = (20, 40, 140),
    width: int = 4,
) -> None:
    """A handwritten-looking scribble (smooth random curve), no letters."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    d = ImageDraw.Draw(img)
    pts = []
    n = rng.randint(5, 8)
    for i in range(n):
        pts.append((x0 + w * (0.05 + 0.9 * i / (n - 1)), y0 + h * rng.uniform(0.2, 0.8)))
    curve = []
    for i in range(len(pts) - 1):  # catmull-rom-ish with loops
        (ax, ay), (bx, by) = pts[i], pts[i + 1]
        loop = rng.uniform(0.15, 0.45) * h
        for t in np.linspace(0, 1, 24):
            curve.append(
                (
                    ax + (bx - ax) * t + loop * 0.4 * math.sin(t * 2 * math.pi),
                    ay + (by - ay) * t - loop * math.sin(t * math.pi),
                )
            )
    d.line(curve, fill=color, width=width, joint="curve")
    d.line([(x0 + w * 0.1, y0 + h * 0.85), (x0 + w * 0.75, y0 + h * 0.78)], fill=color, width=max(2, width - 1))


def seal(img: Image.Image, cx: int, cy: int, r: int, alpha: float = 0.55) -> None:
    """Red round seal without lettering (rings + star), multiply-blended so ink under it stays dark."""
    x0, y0 = max(0, cx - r - 4), max(0, cy - r - 4)
    x1, y1 = min(img.width, cx + r + 5), min(img.height, cy + r + 5)
    layer = Image.new("RGB", (x1 - x0, y1 - y0), (255, 255, 255))
    d = ImageDraw.Draw(layer)
    red = (210, 40, 45)
    lx, ly = cx - x0, cy - y0
    d.ellipse([lx - r, ly - r, lx + r, ly + r], outline=red, width=max(3, r // 18))
    d.ellipse([lx - r * 0.72, ly - r * 0.72, lx + r * 0.72, ly + r * 0.72], outline=red, width=max(2, r // 30))
    pts = []
    for i in range(10):
        rad = r * 0.35 if i % 2 == 0 else r * 0.14
        a = -math.pi / 2 + i * math.pi / 5
        pts.append((lx + rad * math.cos(a), ly + rad * math.sin(a)))
    d.polygon(pts, fill=red)
    base = np.asarray(img.crop((x0, y0, x1, y1)), np.float32)
    top = np.asarray(layer, np.float32)
    mixed = base * (1 - alpha * (1 - top / 255.0))
    img.paste(Image.fromarray(np.clip(mixed, 0, 255).astype(np.uint8)), (x0, y0))


def chip(img: Image.Image, box: tuple[int, int, int, int]) -> None:
    d = ImageDraw.Draw(img)
    x0, y0, x1, y1 = box
    d.rounded_rectangle(box, radius=12, fill=(214, 184, 110), outline=(150, 120, 60), width=2)
    mx, my = (x0 + x1) // 2, (y0 + y1) // 2
    for y in (y0 + (y1 - y0) // 3, y0 + 2 * (y1 - y0) // 3):
        d.line([(x0, y), (x1, y)], fill=(150, 120, 60), width=2)
    d.line([(mx, y0), (mx, y1)], fill=(150, 120, 60), width=2)
    d.rounded_rectangle(
        [mx - 18, my - 14, mx + 18, my + 14], radius=5, fill=(214, 184, 110), outline=(150, 120, 60), width=2
    )


def rosette(
    size: tuple[int, int], rng: random.Random, base: tuple[int, int, int], inks: list[tuple[int, int, int]]
) -> Image.Image:
    """Another security print ("alt" style): colour bands, rosettes of hypotrochoids, a fine line
    screen and a faint emblem watermark, darker and busier than `guilloche`."""
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    band = np.sin(2 * math.pi * (xx * rng.uniform(0.6, 1.4) + yy) / rng.uniform(380, 700) + rng.uniform(0, 6))
    tint = np.array(inks[0], np.float32) - np.array(base, np.float32)
    arr = np.array(base, np.float32) + (0.25 + 0.2 * band)[..., None] * tint
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(img)
    for _ in range(rng.randint(2, 3)):  # rosettes: r(t) spirograph curves round a centre
        cx, cy = rng.uniform(0.1, 0.9) * w, rng.uniform(0.15, 0.85) * h
        big, small, pen = rng.uniform(120, 260), rng.uniform(20, 60), rng.uniform(30, 90)
        ink = rng.choice(inks)
        for scale in (1.0, 0.8, 0.6):
            pts = []
            for i in range(1400):
                t = i * 2 * math.pi * 7 / 1400
                k = (big - small) / small
                pts.append(
                    (
                        cx + scale * ((big - small) * math.cos(t) + pen * math.cos(k * t)),
                        cy + scale * ((big - small) * math.sin(t) - pen * math.sin(k * t)),
                    )
                )
            d.line(pts, fill=ink, width=1)
    step = rng.randint(5, 8)  # a fine diagonal line screen over the whole card
    screen = rng.choice(inks)
    for k in range(-h, w, step):
        d.line([(k, 0), (k + h, h)], fill=screen, width=1)
    emblem_layer = Image.new("RGB", size, (255, 255, 255))
    r = int(min(w, h) * rng.uniform(0.28, 0.4))
    emblem(emblem_layer, int(w * rng.uniform(0.45, 0.7)), int(h * rng.uniform(0.45, 0.6)), r)
    faint = np.asarray(emblem_layer, np.float32) / 255.0
    out = np.asarray(img, np.float32) * (1 - rng.uniform(0.12, 0.22) * (1 - faint.mean(axis=2, keepdims=True)))
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))


def halftone(img: Image.Image, rng: random.Random, period: float = 5.0) -> Image.Image:
    """Screen the light tones as printed dots (45°), leaving dark ink solid."""
    arr = np.asarray(img.convert("RGB"), np.float32)
    h, w = arr.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    a = math.radians(45 + rng.uniform(-8, 8))
    u, v = xx * math.cos(a) + yy * math.sin(a), -xx * math.sin(a) + yy * math.cos(a)
    cell = 0.5 * (np.cos(2 * math.pi * u / period) + np.cos(2 * math.pi * v / period))  # -1..1
    lum = arr.mean(axis=2) / 255.0
    # A dot prints where the cell value exceeds the tone: light areas get small dots, paper between.
    dot = (cell * 0.5 + 0.5) > lum
    light = lum > 0.45
    paper = np.array([250, 249, 245], np.float32)
    ink = arr * 0.85
    out = np.where((light & ~dot)[..., None], paper, np.where(light[..., None], ink, arr))
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))
