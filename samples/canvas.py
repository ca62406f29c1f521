"""A page being drawn: PIL raster plus exact ground truth plus a replayable list of drawing ops.

Every text run is drawn with anchor "ls" (left, baseline) at integer pixel positions; its box
is `ImageDraw.textbbox` of that same call, so the truth is exactly what was drawn. The op list
lets `samples.pdfdoc` replay the same page as a born-digital PDF.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from PIL import Image, ImageDraw

from pipeline.text import nfc
from samples.fonts import FontSpec

Box = list[int]  # [x0, y0, x1, y1], x1/y1 exclusive
Color = tuple[int, int, int]
INK: Color = (22, 22, 24)

A4_PX = (2480, 3508)
CARD_PX = (1012, 638)  # ID-1, 85.6 x 54 mm at 300 dpi


@dataclass(frozen=True, slots=True)
class TextOp:
    x: int
    y: int  # baseline
    text: str
    font: FontSpec
    fill: Color


@dataclass(frozen=True, slots=True)
class LineOp:
    x0: int
    y0: int
    x1: int
    y1: int
    width: int
    fill: Color


@dataclass(slots=True)
class Canvas:
    width: int
    height: int
    background: Color = (255, 255, 255)
    image: Image.Image = field(init=False)
    draw: ImageDraw.ImageDraw = field(init=False)
    lines: list[dict] = field(default_factory=list)  # {"text", "box"} in reading order
    fields: dict[str, dict] = field(default_factory=dict)  # name -> {"value", "box"}
    ops: list[TextOp | LineOp] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.image = Image.new("RGB", (self.width, self.height), self.background)
        self.draw = ImageDraw.Draw(self.image)

    # --- measuring ---------------------------------------------------------------------
    @staticmethod
    def length(text: str, font: FontSpec) -> float:
        return font.pil.getlength(text)

    def bbox(self, x: int, y: int, text: str, font: FontSpec) -> Box:
        return [int(v) for v in self.draw.textbbox((x, y), text, font=font.pil, anchor="ls")]

    # --- drawing text ------------------------------------------------------------------
    def _run(self, x: int, y: int, text: str, font: FontSpec, fill: Color) -> Box:
        self.draw.text((x, y), text, font=font.pil, fill=fill, anchor="ls")
        self.ops.append(TextOp(x, y, text, font, fill))
        return self.bbox(x, y, text, font)

    def text(
        self,
        x: float,
        y: float,
        text: str,
        font: FontSpec,
        *,
        fill: Color = INK,
        align: Literal["left", "center", "right"] = "left",
        record: bool = True,
    ) -> Box:
        """Draw one run; x is the left edge, the centre or the right edge per `align`."""
        text = nfc(text)
        if align != "left":
            w = self.length(text, font)
            x = x - w / 2 if align == "center" else x - w
        box = self._run(round(x), round(y), text, font, fill)
        if record:
            self.lines.append({"text": text, "box": box})
        return box

    def labelled(
        self,
        x: float,
        y: float,
        label: str,
        value: str,
        font: FontSpec,
        *,
        field_name: str | None = None,
        fill: Color = INK,
        value_font: FontSpec | None = None,
    ) -> Box:
        """'Label: value' as ONE run (one truth line); the field box covers the value part only.

        With `value_font` the value is a second run in another font (two truth lines)."""
        label, value = nfc(label), nfc(value)
        if value_font is None:
            run = f"{label} {value}" if value else label
            box = self.text(x, y, run, font, fill=fill)
            if field_name:
                # The value's box where it sits inside the run (advance of "label " before it).
                vx = round(box[0] - self.bbox(0, 0, run, font)[0] + self.length(f"{label} ", font))
                vbox = self.bbox(vx, round(y), value, font) if value else box
                self.field(field_name, value, vbox)
            return box
        box = self.text(x, y, label, font, fill=fill)
        vx = round(x + self.length(label + " ", font))
        vbox = self.text(vx, y, value, value_font, fill=fill)
        if field_name:
            self.field(field_name, value, vbox)
        return [box[0], min(box[1], vbox[1]), vbox[2], max(box[3], vbox[3])]

    def field(self, name: str, value: str, box: Box) -> None:
        self.fields[name] = {"value": nfc(value), "box": list(box)}

    def justified(self, x0: int, x1: int, y: int, words: list[str], font: FontSpec, *, fill: Color = INK) -> Box:
        """One justified line: words drawn separately, recorded as ONE truth line (single spaces)."""
        words = [nfc(w) for w in words]
        widths = [self.length(w, font) for w in words]
        gap = (x1 - x0 - sum(widths)) / max(1, len(words) - 1)
        x = float(x0)
        boxes = []
        for w, wd in zip(words, widths, strict=True):
            boxes.append(self._run(round(x), y, w, font, fill))
            x += wd + gap
        box = [min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)]
        self.lines.append({"text": " ".join(words), "box": box})
        return box

    def hline(self, x0: float, x1: float, y: float, *, width: int = 3, fill: Color = INK) -> None:
        self.draw.line([(round(x0), round(y)), (round(x1), round(y))], fill=fill, width=width)
        self.ops.append(LineOp(round(x0), round(y), round(x1), round(y), width, fill))

    def vline(self, x: float, y0: float, y1: float, *, width: int = 3, fill: Color = INK) -> None:
        self.draw.line([(round(x), round(y0)), (round(x), round(y1))], fill=fill, width=width)
        self.ops.append(LineOp(round(x), round(y0), round(x), round(y1), width, fill))

    # --- paragraphs --------------------------------------------------------------------
    def wrap(self, text: str, font: FontSpec, width: float, first_width: float | None = None) -> list[str]:
        """Greedy word wrap; `first_width` lets the first line be shorter (indent or label)."""
        words = nfc(text).split(" ")
        lines: list[str] = []
        cur = ""
        limit = first_width if first_width is not None else width
        for w in words:
            cand = f"{cur} {w}" if cur else w
            if cur and self.length(cand, font) > limit:
                lines.append(cur)
                cur = w
                limit = width
            else:
                cur = cand
        if cur:
            lines.append(cur)
        return lines

    def paragraph(
        self,
        x0: int,
        x1: int,
        y: int,
        text: str,
        font: FontSpec,
        leading: int,
        *,
        indent: int = 0,
        justify: bool = True,
        fill: Color = INK,
    ) -> int:
        """Draw a wrapped paragraph with its first baseline at y; returns the next baseline."""
        lines = self.wrap(text, font, x1 - x0, x1 - x0 - indent)
        for i, line in enumerate(lines):
            lx = x0 + (indent if i == 0 else 0)
            last = i == len(lines) - 1
            if justify and not last and " " in line:
                self.justified(lx, x1, y, line.split(" "), font, fill=fill)
            else:
                self.text(lx, y, line, font, fill=fill)
            y += leading
        return y


@dataclass(slots=True)
class Rendered:
    """What a renderer returns: drawn pages plus document-level truth."""

    pages: list[Canvas]
    font: str
    extra: dict = field(default_factory=dict)  # e.g. {"qr_payload": ..., "mrz": [...]}


class LayoutOverflow(Exception):
    """The content did not fit the page; the renderer retries with tighter type."""


def fit_retry(render: Callable[..., Rendered], *args: Any, rng: random.Random, **kwargs: Any) -> Rendered:
    """Call `render(..., rng=rng, shrink=k)` for k = 0, 1, 2, ... until it fits.

    The rng state is restored before each try, so the content (names, dates, wording) is the
    same whatever the number of tries: only the type gets smaller."""
    state = rng.getstate()
    for shrink in range(5):
        rng.setstate(state)
        try:
            return render(*args, rng=rng, shrink=shrink, **kwargs)
        except LayoutOverflow:
            continue
    raise LayoutOverflow("content does not fit even at the smallest size")


def union(boxes: list[Box]) -> Box:
    return [min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)]


def labelled_wrapped(
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
    """'Label: value' wrapped to [x0, x1]; continuation lines start at x0. Returns next baseline.

    The first line is one run (label + start of value); the field box is the union of the value
    parts."""
    label, value = nfc(label), nfc(value)
    lines = c.wrap(f"{label} {value}", font, x1 - x0)
    if len(lines[0]) <= len(label):  # never split inside the label: move the value down whole
        lines = [label] + c.wrap(value, font, x1 - x0)
    value_boxes: list[Box] = []
    for i, line in enumerate(lines):
        box = c.text(x0, y, line, font, fill=fill)
        if i == 0:
            if len(line) > len(label):
                vx = round(x0 + c.length(f"{label} ", font))
                value_boxes.append(c.bbox(vx, y, line[len(label) + 1 :], font))
        else:
            value_boxes.append(box)
        y += leading
    if field_name:
        c.field(field_name, value, union(value_boxes))
    return y
