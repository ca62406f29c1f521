"""Font families with full Vietnamese coverage, loaded by (family, style, pixel size)."""

from __future__ import annotations

import importlib.util
import random
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

# liberation2 (fonts-liberation2, v2.1): the v1 files in .../truetype/liberation/ lack 92 of the
# 134 Vietnamese letters (no ơ, ư, ạ, ặ, ế ...) and would draw tofu boxes.
_LIB = Path("/usr/share/fonts/truetype/liberation2")
_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
_NOTO = Path("/usr/share/fonts/truetype/noto")
# DejaVu Sans Condensed as the pinned opencv-contrib-python wheel ships it (cv2/qt/fonts): not in
# fonts-dejavu-core, so it is taken from the wheel rather than from an unlisted Debian package.
_CV2_SPEC = importlib.util.find_spec("cv2")
_CV2_FONTS = Path(_CV2_SPEC.origin).parent / "qt" / "fonts" if _CV2_SPEC and _CV2_SPEC.origin else Path("/nonexistent")

# family -> style ("", "B", "I", "BI") -> file. Every file here covers all 134 Vietnamese letters.
FAMILIES: dict[str, dict[str, Path]] = {
    "Liberation Serif": {
        s: _LIB / f"LiberationSerif-{n}.ttf"
        for s, n in (("", "Regular"), ("B", "Bold"), ("I", "Italic"), ("BI", "BoldItalic"))
    },
    "Liberation Sans": {
        s: _LIB / f"LiberationSans-{n}.ttf"
        for s, n in (("", "Regular"), ("B", "Bold"), ("I", "Italic"), ("BI", "BoldItalic"))
    },
    "DejaVu Serif": {
        s: _DEJAVU / f"DejaVuSerif{n}.ttf"
        for s, n in (("", ""), ("B", "-Bold"), ("I", "-Italic"), ("BI", "-BoldItalic"))
    },
    "DejaVu Sans": {
        s: _DEJAVU / f"DejaVuSans{n}.ttf"
        for s, n in (("", ""), ("B", "-Bold"), ("I", "-Oblique"), ("BI", "-BoldOblique"))
    },
    "Noto Serif": {
        s: _NOTO / f"NotoSerif-{n}.ttf"
        for s, n in (("", "Regular"), ("B", "Bold"), ("I", "Italic"), ("BI", "BoldItalic"))
    },
    "Noto Sans": {
        s: _NOTO / f"NotoSans-{n}.ttf"
        for s, n in (("", "Regular"), ("B", "Bold"), ("I", "Italic"), ("BI", "BoldItalic"))
    },
    # The families below are used by the "alt" style only (see `style`): cards and forms made
    # another way, in type nobody tuned the reader on.
    "DejaVu Sans Condensed": {
        s: _CV2_FONTS / f"DejaVuSansCondensed{n}.ttf"
        for s, n in (("", ""), ("B", "-Bold"), ("I", "-Oblique"), ("BI", "-BoldOblique"))
    },
    "Noto Sans Display": {
        s: _NOTO / f"NotoSansDisplay-{n}.ttf"
        for s, n in (("", "Regular"), ("B", "Bold"), ("I", "Italic"), ("BI", "BoldItalic"))
    },
    "Noto Serif Display": {
        s: _NOTO / f"NotoSerifDisplay-{n}.ttf"
        for s, n in (("", "Regular"), ("B", "Bold"), ("I", "Italic"), ("BI", "BoldItalic"))
    },
    "Liberation Mono": {
        s: _LIB / f"LiberationMono-{n}.ttf"
        for s, n in (("", "Regular"), ("B", "Bold"), ("I", "Italic"), ("BI", "BoldItalic"))
    },
}
OCRB = Path("/usr/share/fonts/opentype/ocr-b/OCRB.otf")

# Liberation Serif (Times metrics) is what government forms are typed in; the rest add variety.
A4_FAMILIES: tuple[tuple[str, float], ...] = (
    ("Liberation Serif", 6),
    ("DejaVu Serif", 1),
    ("Noto Serif", 1.5),
    ("Noto Sans", 0.7),
    ("DejaVu Sans", 0.5),
)
CARD_FAMILIES: tuple[tuple[str, float], ...] = (("Liberation Sans", 3), ("Noto Sans", 2), ("DejaVu Sans", 1))
# The "alt" style: none of the families above.
ALT_A4_FAMILIES: tuple[tuple[str, float], ...] = (
    ("Noto Serif Display", 3),
    ("DejaVu Sans Condensed", 1.5),
    ("Noto Sans Display", 1),
    ("Liberation Mono", 0.4),
)
ALT_CARD_FAMILIES: tuple[tuple[str, float], ...] = (
    ("DejaVu Sans Condensed", 2),
    ("Noto Sans Display", 2),
    ("Noto Serif Display", 1),
)
STYLES = ("default", "alt")
_STYLE: ContextVar[str] = ContextVar("sample_style", default="default")
_ALT_TABLES = {A4_FAMILIES: ALT_A4_FAMILIES, CARD_FAMILIES: ALT_CARD_FAMILIES}

PX_PER_PT = 300 / 72  # everything is laid out at 300 dpi


def missing_vietnamese(path: Path) -> str:
    """Vietnamese letters the font file has no glyph for ('' when it covers all 134)."""
    from fontTools.ttLib import TTFont  # only needed for this check

    from pipeline.text import VIETNAMESE_LETTERS

    cmap = TTFont(str(path)).getBestCmap()
    return "".join(c for c in VIETNAMESE_LETTERS + VIETNAMESE_LETTERS.upper() if ord(c) not in cmap)


@contextmanager
def style(name: str) -> Iterator[None]:
    """Draw in style `name` inside the block: "alt" swaps the default font tables for the alt ones."""
    if name not in STYLES:
        raise ValueError(f"style must be one of {STYLES}")
    token = _STYLE.set(name)
    try:
        yield
    finally:
        _STYLE.reset(token)


def current_style() -> str:
    return _STYLE.get()


def pick_family(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    """One family of `table` by weight (one draw of `rng` in every style)."""
    if _STYLE.get() == "alt":
        table = _ALT_TABLES.get(table, table)
    return rng.choices([f for f, _ in table], weights=[w for _, w in table])[0]


@dataclass(frozen=True, slots=True)
class FontSpec:
    family: str
    style: str  # "", "B", "I", "BI"
    size: int  # pixels at 300 dpi

    @property
    def path(self) -> Path:
        return OCRB if self.family == "OCR-B" else FAMILIES[self.family][self.style]

    @property
    def pil(self) -> ImageFont.FreeTypeFont:
        return _load(str(self.path), self.size)

    def with_(self, *, style: str | None = None, size: int | None = None) -> FontSpec:
        return FontSpec(self.family, self.style if style is None else style, self.size if size is None else size)


def pt(points: float) -> int:
    """Font size in points -> pixels at 300 dpi."""
    return round(points * PX_PER_PT)


@lru_cache(maxsize=256)
def _load(path: str, size: int) -> ImageFont.FreeTypeFont:
    # A cache, not state: the same (file, size) always yields an equivalent font object.
    return ImageFont.truetype(path, size)
