"""Phone photos of the synthetic documents: what the online channel and the counter really get.

    photographed_page(kind, seed, fmt="jpeg", orientation=1) -> PhotoSpecimen
    landscape_certificate(seed, fmt="jpeg", orientation=1) -> PhotoSpecimen   (one landscape page)
    sideways_page(kind, seed, fmt="jpeg") -> PhotoSpecimen   (a portrait page lying across the frame)
    two_page_spread(seed, style="booklet"|"sheets", fmt="jpeg", orientation=1) -> PhotoSpecimen
    varied_document(kind, seed, style="default") -> VariedPhoto   (harder photos: clutter, small, turned, glare)
    write_set(out_dir, seed, count) -> manifest dict
    python -m samples.photos --out DIR [--seed N] [--count K]

A page is rendered (samples.generate), laid on a desk with perspective, uneven light, a little
blur and sensor noise (samples.degrade's "photo" level), then saved as a phone saves it:
JPEG with an EXIF orientation (the pixels stored turned the other way, as a phone held
sideways stores them), WebP, or HEIC (pillow-heif turns an EXIF orientation into the HEIF
`irot` transform, as iPhones write it). `upright` is the picture a reader must get back.

`varied_document` photographs a document harder than the generator's "photo" level does: a
cluttered desk (other objects, a white sheet partly in frame, a pale table), the document small in
the frame (a card down to a third of its width), turned in the plane (cards up to 30 degrees),
camera perspective, a shadow band across it, glare (a lamp's saturated reflection), focus or
motion blur, sensor noise and JPEG quality 55-90. Development seeds only; `HELD_OUT_SEED` is for
the final figures (benchmarks/photos.py `--varied`).

Seeded: same arguments, same bytes (HEIC: same picture; the encoder is deterministic too).
`HELD_OUT_SEED` is never used while tuning the two-page detector (pipeline/pages/spread.py):
its figures are the honest ones (docs/PHOTOS.md).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from pipeline.pages import heif
from samples.canvas import A4_PX, Canvas
from samples.degrade import degrade, laid_on, orient
from samples.fonts import FontSpec, pt
from samples.generate import GENERATOR, generate_document, sub_seed
from samples.pdfdoc import SPECIMEN_NOTE

FORMATS = ("jpeg", "webp", "heic")
EXTENSIONS = {"jpeg": "jpg", "webp": "webp", "heic": "heic"}
PAGE_KINDS = ("don", "to_khai_khai_sinh", "ct01", "cong_van", "giay_khai_sinh", "quyet_dinh")
HELD_OUT_SEED = 18_2026  # never tuned on
# EXIF orientation -> how the phone stored the upright picture (the inverse of what a viewer does).
_STORED = {1: None, 3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}
_WORK_PAGE_WIDTH = 1240  # pages of a spread are laid out at 150 dpi (the photo is smaller anyway)


@dataclass(slots=True)
class PhotoSpecimen:
    name: str  # a file name, with the extension of its format
    data: bytes
    file_type: str  # "jpeg" | "webp" | "heic"
    subject: str  # "page" | "sideways_page" | "landscape_certificate" | "booklet" | "sheets"
    upright: Image.Image  # RGB: the photo as a reader must see it (EXIF applied)
    orientation: int = 1  # the EXIF orientation written
    two_pages: bool = False
    words: list[str] = field(default_factory=list)  # printed on the page(s), longest first

    def describe(self) -> dict:
        return {
            "file": self.name,
            "file_type": self.file_type,
            "subject": self.subject,
            "orientation": self.orientation,
            "two_pages": self.two_pages,
            "size": list(self.upright.size),
            "words": self.words[:12],
        }


def encode_photo(upright: Image.Image, fmt: str, orientation: int = 1, quality: int = 88) -> bytes:
    """`upright` saved as a phone would: pixels stored turned, and an EXIF orientation to undo it."""
    if fmt not in FORMATS or orientation not in _STORED:
        raise ValueError(f"format {fmt!r} / orientation {orientation} not supported")
    turn = _STORED[orientation]
    stored = upright.transpose(turn) if turn is not None else upright
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010E] = SPECIMEN_NOTE  # ImageDescription
    exif[0x0131] = GENERATOR  # Software
    buf = io.BytesIO()
    if fmt == "jpeg":
        stored.save(buf, format="JPEG", quality=quality, exif=exif.tobytes())
    elif fmt == "webp":
        stored.save(buf, format="WEBP", quality=quality, exif=exif.tobytes(), method=4)
    else:
        heif.register()
        stored.save(buf, format=heif.PIL_FORMAT, quality=quality, exif=exif.tobytes(), enc_params={"preset": "fast"})
    return buf.getvalue()


def _words(truth: dict) -> list[str]:
    words = {w.strip(".,:;()") for page in truth["pages"] for line in page["lines"] for w in line["text"].split()}
    return sorted((w for w in words if len(w) >= 4 and w.isalpha()), key=lambda w: (-len(w), w))


def photograph(page: Image.Image, seed: int, *purpose: object) -> Image.Image:
    """`page` photographed on a desk (perspective, light, blur, noise), seeded by (seed, purpose)."""
    rng = np.random.default_rng(sub_seed(seed, "photo", *purpose))
    return degrade(page.convert("RGB"), "photo", rng).image


def _specimen(subject: str, seed: int, upright: Image.Image, fmt: str, orientation: int, **kw: object) -> PhotoSpecimen:
    name = f"{subject}-{seed}-o{orientation}.{EXTENSIONS[fmt]}"
    data = encode_photo(upright, fmt, orientation)
    return PhotoSpecimen(name, data, fmt, subject, upright, orientation, **kw)  # type: ignore[arg-type]


def photographed_page(kind: str = "don", seed: int = 0, *, fmt: str = "jpeg", orientation: int = 1) -> PhotoSpecimen:
    """One A4 page photographed on a desk (portrait, upright after EXIF)."""
    doc = generate_document(kind, "clean", seed)
    upright = photograph(doc.pages[0], seed, kind)
    return _specimen(f"page_{kind}", seed, upright, fmt, orientation, words=_words(doc.truth))


def sideways_page(kind: str = "don", seed: int = 0, *, fmt: str = "jpeg") -> PhotoSpecimen:
    """A portrait page lying across a landscape frame, no EXIF to fix it: one page, not two."""
    doc = generate_document(kind, "clean", seed)
    turned, _ = orient(doc.pages[0].convert("RGB"), 90)
    upright = photograph(turned, seed, kind, "sideways")
    return _specimen(f"sideways_{kind}", seed, upright, fmt, 1, words=_words(doc.truth))


def landscape_certificate(seed: int = 0, *, fmt: str = "jpeg", orientation: int = 1) -> PhotoSpecimen:
    """One landscape page: a certificate with a ruled table whose middle rule runs top to bottom."""
    page = _certificate(random.Random(sub_seed(seed, "certificate")))
    upright = photograph(page.image, seed, "certificate")
    words = _words({"pages": [{"lines": page.lines}]})
    return _specimen("landscape_certificate", seed, upright, fmt, orientation, words=words)


def two_page_spread(seed: int = 0, *, style: str = "booklet", fmt: str = "jpeg", orientation: int = 1) -> PhotoSpecimen:
    """Two pages side by side: an open booklet (pages touching at a shaded gutter) or two sheets
    with the desk showing between them."""
    if style not in ("booklet", "sheets"):
        raise ValueError(f"style {style!r}: booklet or sheets")
    rng = random.Random(sub_seed(seed, "spread", style))
    kinds = rng.sample(PAGE_KINDS, 2)
    docs = [generate_document(kind, "clean", sub_seed(seed, "spread", i) % 2**63) for i, kind in enumerate(kinds)]
    pages = [_small(d.pages[0]) for d in docs]
    composed = _booklet(pages, rng) if style == "booklet" else _sheets(pages, rng)
    upright = photograph(composed, seed, "spread", style)
    words = sorted({w for d in docs for w in _words(d.truth)}, key=lambda w: (-len(w), w))
    return _specimen(style, seed, upright, fmt, orientation, two_pages=True, words=words)


def _small(page: Image.Image) -> np.ndarray:
    w, h = page.size
    size = (_WORK_PAGE_WIDTH, round(h * _WORK_PAGE_WIDTH / w))
    return np.asarray(page.convert("RGB").resize(size, Image.Resampling.LANCZOS)).astype(np.float32)


def _booklet(pages: list[np.ndarray], rng: random.Random) -> Image.Image:
    """Pages touching at the spine; each darkens towards it (the paper curves into the gutter)."""
    left, right = pages
    h = min(left.shape[0], right.shape[0])
    w = left.shape[1]
    reach = rng.uniform(0.05, 0.12) * w  # how far from the spine the shadow reaches
    depth = rng.uniform(0.35, 0.6)  # how dark it gets at the spine
    x = np.arange(w, dtype=np.float32)
    shade = 1 - depth * np.clip(1 - x / reach, 0, 1) ** 2  # 1 at the outer side, dark at the spine
    spread = np.concatenate([left[:h] * shade[::-1, None], right[:h] * shade[:, None]], axis=1)
    seam = round(rng.uniform(2, 5))
    spread[:, w - seam : w + seam] *= rng.uniform(0.3, 0.5)
    return Image.fromarray(np.clip(spread, 0, 255).astype(np.uint8))


def _sheets(pages: list[np.ndarray], rng: random.Random) -> Image.Image:
    """Two sheets on a desk, a gap of desk between them, one a little lower than the other."""
    left, right = pages
    h, w = left.shape[:2]
    gap = round(rng.uniform(0.03, 0.1) * w)
    drop = round(rng.uniform(-0.03, 0.03) * h)
    tone = np.array(rng.choice([(128, 86, 52), (70, 70, 74), (150, 152, 148)]), np.float32)
    out_h = h + abs(drop)
    noise = np.random.default_rng(rng.getrandbits(32)).normal(0, 6, (out_h, 2 * w + gap, 1)).astype(np.float32)
    canvas = tone + noise
    top_l, top_r = max(0, -drop), max(0, drop)
    canvas[top_l : top_l + h, :w] = left
    canvas[top_r : top_r + right.shape[0], w + gap : 2 * w + gap] = right[: out_h - top_r]
    return Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8))


def _certificate(rng: random.Random) -> Canvas:
    """A landscape A4 certificate: double border, national header, title, a ruled two-part table."""
    width, height = A4_PX[1], A4_PX[0]
    c = Canvas(width, height)
    for inset, line in ((90, 9), (125, 3)):
        c.draw.rectangle([inset, inset, width - inset, height - inset], outline=(120, 30, 30), width=line)
    family = rng.choice(("Liberation Serif", "Noto Serif"))
    head, body, title = FontSpec(family, "B", pt(14)), FontSpec(family, "", pt(13)), FontSpec(family, "B", pt(24))
    c.text(width / 2, 330, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", head, align="center")
    c.text(width / 2, 400, "Độc lập - Tự do - Hạnh phúc", head, align="center")
    c.text(width / 2, 600, rng.choice(("GIẤY CHỨNG NHẬN", "BẢNG KÊ KHAI", "DANH MỤC HỒ SƠ")), title, align="center")
    x0, x1, y0, y1 = 300, width - 300, 760, height - 420
    rows = rng.randint(7, 11)
    step = (y1 - y0) / rows
    for i in range(rows + 1):
        c.hline(x0, x1, y0 + i * step, width=3)
    columns = [x0, x0 + 220, width / 2, width / 2 + 220, x1]  # the middle rule runs the table's height
    for x in columns:
        c.vline(x, y0, y1, width=3)
    labels = ("Số thứ tự", "Họ và tên", "Ngày cấp", "Nơi cấp", "Ghi chú", "Địa chỉ", "Số hồ sơ", "Thời hạn")
    for i in range(rows):
        y = round(y0 + (i + 0.7) * step)
        c.text(x0 + 40, y, str(i + 1), body)
        c.text(x0 + 260, y, f"{rng.choice(labels)} {rng.randint(10, 99)}", body)
        c.text(width / 2 + 40, y, str(rng.randint(1, 30)), body)
        c.text(width / 2 + 260, y, f"{rng.choice(labels)} {rng.randint(100, 999)}", body)
    c.text(width - 700, height - 250, "Hà Nội, ngày 12 tháng 3 năm 2026", FontSpec(family, "I", pt(13)), align="center")
    return c


@dataclass(slots=True)
class VariedPhoto:
    kind: str
    seed: int
    data: bytes  # JPEG
    truth: dict  # the generator's truth for the document photographed
    card: bool
    glare: bool  # a lamp's reflection lies on the document


CARD_KINDS = ("cccd_front", "cccd_back", "can_cuoc_front", "can_cuoc_back", "cmnd_front")


def varied_document(kind: str, seed: int, *, style: str = "default") -> VariedPhoto:
    """A generated document (clean) photographed the hard way (see the module's docstring)."""
    doc = generate_document(kind, "clean", seed, style=style)
    rng = np.random.default_rng(sub_seed(seed, "varied-photo", kind, style))
    card = kind in CARD_KINDS
    picture, glare = varied_photo(doc.pages[0].convert("RGB"), rng, card=card)
    data = encode_photo(picture, "jpeg", 1, quality=int(rng.integers(55, 91)))
    return VariedPhoto(kind, seed, data, doc.truth, card, glare)


def varied_photo(page: Image.Image, rng: np.random.Generator, *, card: bool) -> tuple[Image.Image, bool]:
    """`page` on a cluttered desk, small or large, turned, lit unevenly, maybe glared and blurred."""
    arr = np.asarray(page, np.float32)
    ph, pw = arr.shape[:2]
    landscape = pw > ph
    out_w, out_h = ((1600, 1200) if rng.random() < 0.6 else (2048, 1536)) if landscape else (1500, 2000)
    frame = np.array([out_w, out_h], np.float32)
    bg = _desk(out_w, out_h, rng)
    fill = rng.uniform(0.32, 0.8) if card else rng.uniform(0.7, 0.9)
    angle = np.radians(rng.uniform(-30, 30) if card else rng.uniform(-10, 10))
    s = min(out_w * fill / pw, out_h * fill / ph)
    half = np.array([[-pw, -ph], [pw, -ph], [pw, ph], [-pw, ph]], np.float32) * s / 2
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], np.float32)
    corners = half @ turn.T
    corners += rng.uniform(0.02, 0.07, (4, 2)).astype(np.float32) * np.abs(half) * rng.choice([-1, 1], (4, 2))
    span = corners.max(axis=0) - corners.min(axis=0)
    shrink = min(1.0, float(np.min(0.94 * frame / span)))
    corners *= shrink
    room = (frame - (corners.max(axis=0) - corners.min(axis=0))) / 2 - 0.02 * frame
    centre = frame / 2 + rng.uniform(-1, 1, 2).astype(np.float32) * np.maximum(room, 0) * 0.8
    dst = (corners + centre).astype(np.float32)
    src = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float32)
    h = cv2.getPerspectiveTransform(src, dst)
    warped, wmask = laid_on(arr, h, (out_w, out_h), card=card)
    shift = tuple(int(v) for v in rng.integers(4, 18, 2))
    shadow = cv2.GaussianBlur(np.roll(wmask, shift, axis=(0, 1)), (0, 0), float(rng.uniform(6, 16)))
    bg = bg * (1 - rng.uniform(0.25, 0.5) * shadow[..., None])
    img = bg * (1 - wmask[..., None]) + warped * wmask[..., None]
    yy, xx = np.mgrid[0:out_h, 0:out_w].astype(np.float32)
    u, v = xx / out_w - 0.5, yy / out_h - 0.5
    gx, gy = rng.uniform(-0.35, 0.35, 2)
    light = (1 + gx * u + gy * v) * (1 - rng.uniform(0.1, 0.35) * (u * u + v * v) / 0.5) * rng.uniform(0.85, 1.05)
    if rng.random() < 0.4:  # the phone's or a hand's shadow: a soft dark band
        a = rng.uniform(0, np.pi)
        d = np.cos(a) * u + np.sin(a) * v - rng.uniform(-0.3, 0.3)
        light = light * (1 - rng.uniform(0.2, 0.4) * (1 / (1 + np.exp(-d / rng.uniform(0.02, 0.06)))))
    img = img * light[..., None] * np.array([1.0, 0.98, rng.uniform(0.88, 0.98)], np.float32)
    glare = bool(rng.random() < 0.35)
    if glare:  # a lamp reflected on the document: saturated in its middle
        where = dst.mean(axis=0) + rng.uniform(-0.3, 0.3, 2) * (dst.max(axis=0) - dst.min(axis=0))
        size = rng.uniform(0.03, 0.08) * float(np.min(dst.max(axis=0) - dst.min(axis=0)))
        blob = np.exp(-(((xx - where[0]) / (1.6 * size)) ** 2 + ((yy - where[1]) / size) ** 2))
        img = img + (rng.uniform(180, 320) * blob * wmask)[..., None]
    if rng.random() < 0.3:  # the hand moved
        length = int(rng.integers(3, 8))
        kernel = np.zeros((length, length), np.float32)
        kernel[length // 2] = 1 / length
        rot = cv2.getRotationMatrix2D(((length - 1) / 2, (length - 1) / 2), float(rng.uniform(0, 180)), 1.0)
        kernel = np.asarray(cv2.warpAffine(kernel, rot, (length, length)), np.float32)
        img = cv2.filter2D(img.astype(np.float32), -1, kernel / max(float(kernel.sum()), 1e-6))
    else:
        img = cv2.GaussianBlur(img.astype(np.float32), (0, 0), float(rng.uniform(0.5, 1.4)))
    img = img + rng.normal(0, rng.uniform(2, 7), img.shape[:2])[..., None]
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)), glare


def _desk(w: int, h: int, rng: np.random.Generator) -> np.ndarray:
    """A desk: wood, a dark or a pale table (a pale one barely differs from paper), with clutter."""
    kind = int(rng.integers(0, 4))
    if kind < 2:  # wood: low-frequency streaks
        base = np.array([[128, 86, 52], [165, 124, 84]][kind], np.float32)
        low = cv2.resize(rng.normal(0, 1, (max(2, h // 60), max(2, w // 300))).astype(np.float32), (w, h))
        yy = np.arange(h, dtype=np.float32)[:, None]
        grain = np.sin((yy + 25 * low) / rng.uniform(5, 12)) * 14
        bg = base + (grain + 10 * low + rng.normal(0, 4, (h, w)).astype(np.float32))[..., None]
    else:
        tone = (55, 58, 64) if kind == 2 else (196, 196, 190)
        low = cv2.resize(rng.normal(0, 1, (8, 8)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
        bg = np.array(tone, np.float32) + (8 * low + rng.normal(0, 4, (h, w)).astype(np.float32))[..., None]
    for _ in range(int(rng.integers(0, 5))):  # pens, a phone, a mug, another sheet at the edge
        colour = tuple(float(c) for c in rng.uniform(20, 235, 3))
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        if rng.random() < 0.5:
            axes = (int(rng.integers(w // 40, w // 8)), int(rng.integers(h // 60, h // 10)))
            cv2.ellipse(bg, (x, y), axes, float(rng.uniform(0, 180)), 0, 360, colour, -1)
        else:
            size = np.array([rng.integers(w // 20, w // 4), rng.integers(h // 30, h // 5)])
            box = cv2.boxPoints(((x, y), (int(size[0]), int(size[1])), float(rng.uniform(0, 180))))
            cv2.fillPoly(bg, [box.astype(np.int32)], colour)
    if rng.random() < 0.3:  # a white sheet running out of the frame at one edge
        side = int(rng.integers(0, 4))
        depth = int(rng.uniform(0.06, 0.14) * (w if side % 2 else h))
        sheet = np.zeros((h, w), np.uint8)
        if side == 0:
            sheet[:depth] = 1
        elif side == 1:
            sheet[:, w - depth :] = 1
        elif side == 2:
            sheet[h - depth :] = 1
        else:
            sheet[:, :depth] = 1
        bg[sheet > 0] = rng.uniform(225, 245)
    return bg


def specimens(seed: int, count: int = 1) -> list[PhotoSpecimen]:
    """A set covering every subject, format and orientation: n = 0..count-1 each."""
    out: list[PhotoSpecimen] = []
    for n in range(count):
        s = sub_seed(seed, "photos", n) % 2**63
        kind = PAGE_KINDS[n % len(PAGE_KINDS)]
        for fmt, orientation in (("jpeg", 1), ("jpeg", 3), ("jpeg", 6), ("jpeg", 8), ("webp", 6), ("heic", 8)):
            out.append(photographed_page(kind, s, fmt=fmt, orientation=orientation))
        out.append(sideways_page(kind, s))
        out.append(landscape_certificate(s, orientation=6))
        out.append(two_page_spread(s, style="booklet"))
        out.append(two_page_spread(s, style="sheets", fmt="heic", orientation=6))
    return out


def write_set(out_dir: str | Path, seed: int = HELD_OUT_SEED, count: int = 1) -> dict:
    """Write every specimen of `specimens(seed, count)` and a manifest.json describing them."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    items = []
    for spec in specimens(seed, count):
        (out / spec.name).write_bytes(spec.data)
        items.append(spec.describe())
    manifest = {"specimen": True, "generator": GENERATOR, "seed": seed, "photos": items}
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m samples.photos", description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument("--seed", type=int, default=HELD_OUT_SEED)
    ap.add_argument("--count", type=int, default=1, help="specimens of each subject")
    args = ap.parse_args(argv)
    manifest = write_set(args.out, args.seed, args.count)
    print(f"wrote {len(manifest['photos'])} photos to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
