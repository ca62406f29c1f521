"""Handwritten fill-ins: values written with a ballpoint pen instead of typed.

No handwriting font is installed, so each glyph of an installed (mostly italic) font is drawn
alone, warped (rotation, scale, slant, baseline jitter, mild elastic noise), thickened or
thinned unevenly, and pasted in pen ink. One writer (`Pen`) per document keeps the hand
consistent. The truth box of a handwritten run is the exact box of its ink.

`HandFill` is what the form renderers use: for each filled-in value it decides, from its own
random stream, whether the value is handwritten; with probability 0 it only delegates to the
typed helpers, so the page is byte-identical to a form rendered without it.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from pipeline.text import nfc
from samples import a4, graphics
from samples.canvas import INK, Box, Canvas, Color, labelled_wrapped, union
from samples.fonts import FAMILIES, FontSpec

_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
# Letter shapes the hand imitates (all cover the 134 Vietnamese letters; tests check it). Their
# outlines are reduced to a skeleton and redrawn with a round pen, so only the shapes remain.
HAND_FONTS: tuple[tuple[Path, float], ...] = (
    (FAMILIES["Noto Serif"]["I"], 1.0),
    (FAMILIES["Liberation Serif"]["I"], 0.5),
    (FAMILIES["Noto Sans"]["I"], 2.0),
    (FAMILIES["Liberation Sans"]["I"], 1.5),
    (FAMILIES["DejaVu Sans"]["I"], 1.0),
    (_DEJAVU / "DejaVuSansCondensed-Oblique.ttf", 1.5),
    (FAMILIES["Noto Sans"][""], 1.0),
    (FAMILIES["DejaVu Sans"][""], 0.7),
)
_UPRIGHT = {str(FAMILIES["Noto Sans"][""]), str(FAMILIES["DejaVu Sans"][""])}
# Ballpoint inks: blue, dark blue, black.
INKS: tuple[tuple[Color, float], ...] = (((30, 56, 170), 5.0), ((22, 36, 112), 3.0), ((30, 30, 36), 2.0))


@dataclass(frozen=True, slots=True)
class Pen:
    """One writer with one pen: the constant part of a hand."""

    font: str  # font file whose letter shapes the hand imitates
    ink: Color
    size_factor: float  # letter size relative to the typed body text
    slant: float  # shear added to the font's own: x += slant * height above the baseline
    stroke: float  # pen trace width, px at size 50
    rot_sd: float  # per-glyph rotation, degrees
    scale_sd: float  # per-glyph scale
    baseline_sd: float  # per-glyph baseline jitter, fraction of the size
    tracking: float  # advance factor between letters
    word_gap: float  # advance factor of a space
    elastic: float  # amplitude of the elastic wobble, px at size 50

    @staticmethod
    def random(rng: random.Random) -> Pen:
        fonts, fw = zip(*HAND_FONTS, strict=True)
        inks, iw = zip(*INKS, strict=True)
        font = str(rng.choices(fonts, weights=fw)[0])
        red, green, blue = (max(0, min(255, v + rng.randint(-10, 10))) for v in rng.choices(inks, weights=iw)[0])
        slant = rng.uniform(0.12, 0.32) if font in _UPRIGHT else rng.uniform(-0.1, 0.12)
        return Pen(
            font,
            (red, green, blue),
            rng.uniform(0.95, 1.05),
            slant,
            rng.uniform(3.0, 4.4),
            rng.uniform(2.0, 4.0),
            rng.uniform(0.03, 0.06),
            rng.uniform(0.02, 0.045),
            rng.uniform(0.9, 1.0),
            rng.uniform(1.0, 1.5),
            rng.uniform(0.6, 1.3),
        )


@dataclass(frozen=True, slots=True)
class _Glyph:
    ch: str
    adv: float
    sx: float  # horizontal scale
    sy: float  # vertical scale
    rot: float
    dy: float
    stroke: float  # this glyph's trace width, px
    pressure: float


@lru_cache(maxsize=64)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


@lru_cache(maxsize=8192)
def _mask(path: str, size: int, ch: str) -> tuple[np.ndarray, int, int]:
    """The glyph as a float mask with room around it, and its pen origin (left, baseline)."""
    font = _font(path, size)
    asc, desc = font.getmetrics()
    pad = size // 2 + 8
    w = math.ceil(font.getlength(ch)) + 2 * pad
    h = asc + desc + 2 * pad
    im = Image.new("L", (w, h), 0)
    ImageDraw.Draw(im).text((pad, pad + asc), ch, font=font, fill=255, anchor="ls")
    arr = np.asarray(im, np.float32) / 255.0
    arr.setflags(write=False)
    return arr, pad, pad + asc


def _space(size: int, pen: Pen, rng: random.Random) -> _Glyph:
    return _Glyph(" ", _font(pen.font, size).getlength(" ") * pen.word_gap * rng.uniform(0.85, 1.25), 1, 1, 0, 0, 0, 1)


def plan(text: str, size: int, pen: Pen, rng: random.Random) -> list[_Glyph]:
    """Per-glyph jitter, drawn before anything is placed so the run can be measured and wrapped."""
    font = _font(pen.font, size)
    out = []
    for ch in text:
        if ch == " ":
            out.append(_space(size, pen, rng))
            continue
        sy = min(1.15, max(0.87, rng.gauss(1.0, pen.scale_sd)))
        sx = sy * min(1.12, max(0.88, rng.gauss(1.0, pen.scale_sd)))
        out.append(
            _Glyph(
                ch,
                font.getlength(ch) * sx * pen.tracking * rng.uniform(0.96, 1.04),
                sx,
                sy,
                max(-7.0, min(7.0, rng.gauss(0, pen.rot_sd))),
                max(-2.0, min(2.0, rng.gauss(0, 1))) * pen.baseline_sd * size,
                max(2.4, pen.stroke * size / 50 * rng.uniform(0.85, 1.15)),
                rng.uniform(0.8, 1.0),
            )
        )
    return out


def width(glyphs: list[_Glyph]) -> float:
    return sum(g.adv for g in glyphs)


def _glyph_alpha(g: _Glyph, pen: Pen, size: int, nrng: np.random.Generator) -> tuple[np.ndarray, float, float]:
    """The glyph written by hand: its ink coverage (0..1) and its pen origin (left, baseline).

    Rotate, shear (slant) and scale about the pen origin with a smooth elastic wobble, then
    redraw the letter's skeleton with a round pen of the glyph's trace width. Letters with
    diacritics are worked at twice the size (then reduced) so small stacked marks survive."""
    ss = 1 if g.ch.isascii() else 2
    mask, ox, oy = _mask(pen.font, size * ss, g.ch)
    h, w = mask.shape
    th = math.radians(g.rot)
    rot = np.array([[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]])
    a = rot @ np.array([[1.0, -pen.slant], [0.0, 1.0]]) @ np.diag([g.sx, g.sy])
    ai = np.linalg.inv(a)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    dx, dy = xx - ox, yy - oy
    sx = (ox + ai[0, 0] * dx + ai[0, 1] * dy).astype(np.float32)
    sy = (oy + ai[1, 0] * dx + ai[1, 1] * dy).astype(np.float32)
    amp = pen.elastic * size * ss / 50
    cell = max(4, round(size * ss * 0.3))  # correlation length of the wobble: shapes bend, strokes stay smooth
    for grid in (sx, sy):
        grid += _smooth_noise(nrng, h, w, cell) * amp
    warped = cv2.remap(
        np.ascontiguousarray(mask), sx, sy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=(0,)
    )
    # No smoothing and a lowish threshold: stacked diacritics stay apart and thin hairlines stay
    # (a merged or lost tilde / circumflex changes the word).
    skeleton = cv2.ximgproc.thinning(np.where(warped > 0.35, 255, 0).astype(np.uint8))
    k = max(2, round(g.stroke * ss))
    trace = cv2.dilate(skeleton, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))).astype(np.float32) / 255
    trace = np.clip(cv2.GaussianBlur(trace, (0, 0), 0.7 * ss) * 1.25, 0, 1)
    # Uneven pressure along the stroke: a slow field between ~0.7 and 1.
    field = _smooth_noise(nrng, h, w, cell)
    field = (field - field.min()) / (float(np.ptp(field)) + 1e-6)
    alpha = trace * g.pressure * (0.7 + 0.3 * field)
    if ss > 1:
        hh, ww = h // ss, w // ss
        alpha = cv2.resize(alpha[: hh * ss, : ww * ss], (ww, hh), interpolation=cv2.INTER_AREA)
        alpha = np.clip(alpha * 1.1, 0, 1)
    return alpha, ox / ss, oy / ss


def _smooth_noise(nrng: np.random.Generator, h: int, w: int, cell: int) -> np.ndarray:
    """Zero-mean, unit-deviation smooth noise: coarse normal values, bicubically upsampled."""
    coarse = nrng.normal(0, 1, (h // cell + 2, w // cell + 2)).astype(np.float32)
    fine = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
    return (fine - float(fine.mean())) / (float(fine.std()) + 1e-6)


def draw_run(
    c: Canvas,
    x: float,
    y: float,
    glyphs: list[_Glyph],
    pen: Pen,
    size: int,
    nrng: np.random.Generator,
    *,
    drift: float = 0.0,
) -> Box:
    """Paste the glyphs from pen position (x, baseline y); returns the box of the ink."""
    boxes: list[Box] = []
    ink = np.array(pen.ink, np.float32)
    px = float(x)
    for g in glyphs:
        if g.ch != " ":
            alpha, ox, oy = _glyph_alpha(g, pen, size, nrng)
            base = y + g.dy + drift * (px - x)
            x0, y0 = round(px - ox), round(base - oy)
            ah, aw = alpha.shape
            cx0, cy0 = max(0, x0), max(0, y0)
            cx1, cy1 = min(c.width, x0 + aw), min(c.height, y0 + ah)
            if cx1 > cx0 and cy1 > cy0:
                a = alpha[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0][..., None]
                region = np.asarray(c.image.crop((cx0, cy0, cx1, cy1)), np.float32)
                mixed = region * (1 - a) + ink * a
                c.image.paste(Image.fromarray(np.clip(mixed + 0.5, 0, 255).astype(np.uint8)), (cx0, cy0))
                ys, xs = np.nonzero(a[..., 0] > 0.25)
                if len(xs):
                    boxes.append(
                        [cx0 + int(xs.min()), cy0 + int(ys.min()), cx0 + int(xs.max()) + 1, cy0 + int(ys.max()) + 1]
                    )
        px += g.adv
    if not boxes:  # entirely off the page: the renderer's overflow check will reject the layout
        cx, cy = min(max(0, round(x)), c.width), min(max(0, round(y)), c.height)
        return [cx, cy, cx, cy]
    return union(boxes)


def write(
    c: Canvas,
    x: float,
    y: float,
    text: str,
    size: int,
    pen: Pen,
    rng: random.Random,
    nrng: np.random.Generator,
    *,
    align: Literal["left", "center", "right"] = "left",
    record: bool = True,
) -> Box:
    """Write one handwritten run with its baseline at y; recorded as a truth line marked handwritten."""
    text = nfc(text)
    glyphs = plan(text, size, pen, rng)
    wd = width(glyphs)
    if align != "left":
        x = x - wd / 2 if align == "center" else x - wd
    box = draw_run(c, x, y, glyphs, pen, size, nrng, drift=rng.uniform(-0.004, 0.004))
    if record:
        c.lines.append({"text": text, "box": box, "handwritten": True})
    return box


def hand_seed(rng: random.Random, hand_rng: random.Random | None, probability: float) -> int | None:
    """Seed of the handwriting stream: from `hand_rng` if given, else derived from the layout rng's
    state WITHOUT drawing from it (so the layout stream is untouched). None when p = 0."""
    if probability <= 0:
        return None
    if hand_rng is not None:
        return hand_rng.randrange(2**63)
    return int.from_bytes(hashlib.sha256(repr(("handwriting", rng.getstate())).encode()).digest()[:8], "big")


class HandFill:
    """Typed-or-handwritten filling of form values (one writer per document)."""

    def __init__(self, probability: float = 0.0, seed: int | None = None) -> None:
        if not 0.0 <= probability <= 1.0:
            raise ValueError("handwriting probability must be in [0, 1]")
        self.p = probability
        self.fields: list[str] = []
        self.rng: random.Random | None = None
        if probability > 0:
            self.rng = random.Random(seed if seed is not None else 0)
            self.pen = Pen.random(self.rng)
            self.nrng = np.random.default_rng(self.rng.randrange(2**32))

    def extra(self) -> dict:
        """Document-level truth: {} when handwriting is off (truth stays as before)."""
        return {"handwritten_fields": list(self.fields)} if self.p > 0 else {}

    def decide(self) -> bool:
        if self.rng is None:
            return False
        return self.rng.random() < self.p

    def size(self, font: FontSpec) -> int:
        return round(font.size * self.pen.size_factor)

    def _write(self, c: Canvas, x: float, y: float, text: str, font: FontSpec, **kw: Any) -> Box:
        assert self.rng is not None
        return write(c, x, y, text, self.size(font), self.pen, self.rng, self.nrng, **kw)

    def _note(self, field_name: str | None, value: str, box: Box, c: Canvas) -> None:
        if field_name:
            c.field(field_name, value, box)
            self.fields.append(field_name)

    # --- the typed helpers' counterparts ---------------------------------------------------
    def labelled_wrapped(
        self,
        c: Canvas,
        x0: int,
        x1: int,
        y: int,
        label: str,
        value: str,
        font: FontSpec,
        leading: int,
        *,
        field_name: str | None = None,
        fill: Color = INK,
    ) -> int:
        """As `canvas.labelled_wrapped`; a handwritten value wraps at word breaks to [x0, x1]."""
        if not self.decide():
            return labelled_wrapped(c, x0, x1, y, label, value, font, leading, field_name=field_name, fill=fill)
        assert self.rng is not None
        label, value = nfc(label), nfc(value)
        c.text(x0, y, label, font, fill=fill)
        size = self.size(font)
        vx = x0 + c.length(f"{label} ", font)
        words = [plan(w, size, self.pen, self.rng) for w in value.split(" ")]
        space = [_space(size, self.pen, self.rng)]
        sp = width(space)
        lines: list[list[int]] = []
        cur_line: list[int] = []
        cur = float(vx)
        for i, wg in enumerate(words):
            wd = width(wg)
            if cur_line:
                if cur + sp + wd > x1:
                    lines.append(cur_line)
                    cur_line, cur = [], float(x0)
                else:
                    cur += sp
            elif not lines and cur + wd > x1:  # no room after the label: the value starts below
                lines.append([])
                cur = float(x0)
            cur_line.append(i)
            cur += wd
        lines.append(cur_line)
        boxes = []
        for k, idx in enumerate(lines):
            glyphs: list[_Glyph] = []
            for j, i in enumerate(idx):
                if j:
                    glyphs += space
                glyphs += words[i]
            text = " ".join(value.split(" ")[i] for i in idx)
            box = draw_run(
                c, vx if k == 0 else x0, y, glyphs, self.pen, size, self.nrng, drift=self.rng.uniform(-0.004, 0.004)
            )
            c.lines.append({"text": text, "box": box, "handwritten": True})
            boxes.append(box)
            y += leading
        self._note(field_name, value, union(boxes), c)
        return y

    def labelled(
        self,
        c: Canvas,
        x: float,
        y: float,
        label: str,
        value: str,
        font: FontSpec,
        *,
        field_name: str | None = None,
        fill: Color = INK,
    ) -> Box:
        """As `Canvas.labelled` (single line)."""
        if not self.decide():
            return c.labelled(x, y, label, value, font, field_name=field_name, fill=fill)
        label_box = c.text(x, y, label, font, fill=fill)
        vbox = self._write(c, x + c.length(f"{nfc(label)} ", font), y, value, font)
        self._note(field_name, nfc(value), vbox, c)
        return union([label_box, vbox])

    def value(
        self,
        c: Canvas,
        x: float,
        y: float,
        text: str,
        font: FontSpec,
        *,
        align: Literal["left", "center", "right"] = "left",
        field_name: str | None = None,
    ) -> Box:
        """A bare value (table cell): as `Canvas.text`, or handwritten."""
        if not self.decide():
            box = c.text(x, y, text, font, align=align)
            if field_name:
                c.field(field_name, text, box)
            return box
        box = self._write(c, x, y, text, font, align=align)
        self._note(field_name, nfc(text), box, c)
        return box

    def signature_block(
        self,
        c: Canvas,
        cx: float,
        y: int,
        title: str,
        note: str | None,
        name: str,
        family: str,
        rng: random.Random,
        *,
        size: int,
    ) -> int:
        """As `a4.signature_block`; the name under the signature may be handwritten."""
        if not self.decide():
            return a4.signature_block(c, cx, y, title, note, name, family, rng, size=size)
        c.text(cx, y, title, FontSpec(family, "B", size), align="center")
        y += round(size * 1.3)
        if note:
            c.text(cx, y, note, FontSpec(family, "I", size - 4), align="center")
        graphics.signature(c.image, (round(cx - 230), y + 40, round(cx + 230), y + 250), rng)
        y += 330
        self._write(c, cx, y, name, FontSpec(family, "", size), align="center")
        return y + round(size * 1.5)
