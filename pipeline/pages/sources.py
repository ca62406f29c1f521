"""Turn accepted file bytes into pages: a picture to OCR, or the PDF's own text lines.

One page in memory at a time (a generator). PDF pages are read page by page, so a
mixed PDF (typed pages + scanned annexes) gets text-layer lines where they are
trustworthy and a 300-dpi raster everywhere else.

PDF text comes from PDFium's text page (pypdfium2), not pdfplumber: pdfplumber parses
with pure-Python pdfminer at ~100 ms per dense page, PDFium does the same in ~10 ms,
and PDFium is also what renders, so text boxes and raster share one coordinate mapping.
"""

from __future__ import annotations

import ctypes
import io
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageOps

from models.document import TextLine
from pipeline.config import ReadingConfig
from pipeline.ocr.order import ordered_lines
from pipeline.pages.flatten import Flattened, flatten_photo
from pipeline.pages.preflight import (
    PDFIUM_LOCK,
    FileInfo,
    FileType,
    decoder_errors,
    open_pdf,
    pdf_pixels,
    pil_format,
    type_name,
)
from pipeline.text import ACCENTED_LETTERS, nfc

# A gap wider than this many line heights splits one PDF text row into two lines, the
# way a text detector splits "Ngày sinh: ...      Giới tính: ..." into two boxes.
_COLUMN_GAP_HEIGHTS = 3.0
# Shares of a page's real characters above which its text layer is not trusted.
_MAX_BROKEN_SHARE = 0.02  # U+FFFD, unmapped glyphs, control characters
_MAX_PRIVATE_USE_SHARE = 0.30  # symbol fonts / custom encodings (a few PUA bullets are fine)
_MAX_LEGACY_SHARE = 0.03  # TCVN3 / VNI fonts: Vietnamese written as Latin-1 mojibake
# A page mostly covered by one picture needs this much text of its own to count as typed.
_SCAN_IMAGE_SHARE = 0.5
_SCAN_MIN_TEXT_CHARS = 300
_SUBPIXEL = 64  # FPDF_PageToDevice returns ints: map onto a 64x finer grid


@dataclass(slots=True)
class PageSource:
    index: int
    width: int  # pixels of the page image as given (PDF: rendered at config.pdf_dpi)
    height: int
    image: np.ndarray | None  # BGR uint8 HxWx3; None when read from the PDF text layer
    text_lines: list[TextLine] | None  # PDF text-layer lines (pixels at pdf_dpi) or None
    dpi: float | None  # known resolution (PDF render dpi, or image DPI metadata)
    # A photographed document cut out of its photo and flattened (`image` is its picture, and
    # every box and size above is on it); None for a page read as it came.
    flattened: Flattened | None = None


def iter_pages(data: bytes, info: FileInfo, config: ReadingConfig) -> Iterator[PageSource]:
    """Yield the pages of a file that passed `preflight`, one at a time.

    Raises InputRefused(CORRUPT_FILE) if a page turns out undecodable mid-way.
    """
    if info.file_type is FileType.PDF:
        yield from _iter_pdf_pages(data, config)
    else:
        yield from _iter_image_pages(data, info, flattens(config))


def turn_clockwise(image: np.ndarray, degrees: int) -> np.ndarray:
    """A page as the clerk turned it: clockwise by a multiple of 90 degrees (the input is kept)."""
    turns = (degrees // 90) % 4
    return np.ascontiguousarray(np.rot90(image, k=-turns)) if turns else image


def page_source(data: bytes, info: FileInfo, config: ReadingConfig, index: int) -> PageSource:
    """One page of a file that passed `preflight`: what a worker reads for one page job."""
    if not 0 <= index < info.page_count:
        raise IndexError(f"page {index} out of range 0..{info.page_count - 1}")
    if info.file_type is FileType.PDF:
        with PDFIUM_LOCK:
            doc = open_pdf(data)
            try:
                with decoder_errors("PDF"):
                    return _pdf_page(doc, index, config.pdf_dpi, config.pdf_min_text_chars)
            finally:
                doc.close()
    for page in _iter_image_pages(data, info, flattens(config)):
        if page.index == index:
            return page
    raise IndexError(f"page {index} not found")


def render_pdf_page(data: bytes, index: int, dpi: int) -> np.ndarray:
    """Rasterize one PDF page (as displayed: /Rotate and CropBox applied) to BGR uint8."""
    with PDFIUM_LOCK:
        doc = open_pdf(data)
        try:
            if not 0 <= index < len(doc):
                raise IndexError(f"page {index} out of range 0..{len(doc) - 1}")
            with decoder_errors("PDF"):
                page = doc[index]
                try:
                    return _render(page, dpi)
                finally:
                    page.close()
        finally:
            doc.close()


# --- images ----------------------------------------------------------------------------


def flattens(config: ReadingConfig) -> bool:
    """Whether photographed documents are flattened before reading (`flatten_photos`): the
    document cut out of the photo and warped upright when its outline is certain, the photo as
    it is otherwise (pipeline.pages.flatten; figures in docs/PHOTOS.md)."""
    return config.flatten_photos


def _iter_image_pages(data: bytes, info: FileInfo, flatten: bool = True) -> Iterator[PageSource]:
    name = type_name(info.file_type)
    with decoder_errors(name):
        im = Image.open(io.BytesIO(data), formats=[pil_format(info.file_type)])
    try:
        for index in range(info.page_count):
            with decoder_errors(name):
                page = _image_page(im, index)
            yield flattened_page(page) if flatten else page  # the consumer's exceptions are its own
    finally:
        im.close()


def flattened_page(page: PageSource) -> PageSource:
    """A photographed document cut out and flattened (pipeline.pages.flatten); any other page
    (a scan: the page fills the picture, straight) exactly as it is."""
    if page.image is None:
        return page
    flat = flatten_photo(page.image)
    if flat is None:
        return page
    height, width = flat.image.shape[:2]
    # A card is put on its 300-dpi grid; a sheet's resolution is that of the photo over A4.
    dpi = 300.0 if flat.card else max(width, height) / (297.0 / 25.4) if abs(flat.aspect - 1.4142) < 0.01 else None
    return PageSource(page.index, width, height, flat.image, None, dpi, flat)


def _image_page(im: Image.Image, index: int) -> PageSource:
    if index:
        im.seek(index)
    im.load()
    dpi = _image_dpi(im.info.get("dpi"))
    # The page as given is the page as the camera meant it: upright by EXIF.
    upright = ImageOps.exif_transpose(im) if im.getexif().get(0x0112, 1) != 1 else im
    bgr = to_bgr(upright)
    return PageSource(index, bgr.shape[1], bgr.shape[0], bgr, None, dpi)


def _image_dpi(dpi: object) -> float | None:
    if not isinstance(dpi, Iterable):
        return None
    try:
        x, y = (float(v) for v in dpi)
    except (TypeError, ValueError):
        return None
    value = (x + y) / 2
    # (1, 1) and similar mean "not recorded"; very high values are bogus metadata.
    return value if 20 <= value <= 4800 else None


def to_bgr(im: Image.Image) -> np.ndarray:
    """Any PIL mode -> BGR uint8 HxWx3; transparency is composited on white paper."""
    if im.mode in ("I", "I;16", "I;16L", "I;16B", "I;16N", "F"):
        gray = _scale_to_uint8(np.asarray(im))
        return cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    if im.mode == "L":
        return cv2.cvtColor(np.asarray(im), cv2.COLOR_GRAY2BGR)
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info:
        rgba = im.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        rgb = Image.alpha_composite(paper, rgba).convert("RGB")
    else:
        rgb = im.convert("RGB")  # 1, P, CMYK, YCbCr, RGB
    return cv2.cvtColor(np.asarray(rgb), cv2.COLOR_RGB2BGR)


def _scale_to_uint8(arr: np.ndarray) -> np.ndarray:
    """16-bit / int / float grey to 8-bit: full-range 16-bit is divided down, not clipped."""
    values = arr.astype(np.float32)
    top = float(values.max()) if values.size else 0.0
    if np.issubdtype(arr.dtype, np.floating) and top <= 1.0:
        values = values * 255.0
    elif top > 255.0:
        low = float(values.min())
        values = values / 257.0 if top <= 65535.0 and low >= 0 else (values - low) * (255.0 / (top - low))
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


# --- PDF -------------------------------------------------------------------------------


def _iter_pdf_pages(data: bytes, config: ReadingConfig) -> Iterator[PageSource]:
    with PDFIUM_LOCK:
        doc = open_pdf(data)  # once per call; pages are loaded and closed one by one
    try:
        with PDFIUM_LOCK:
            count = len(doc)
        for index in range(count):
            with PDFIUM_LOCK, decoder_errors("PDF"):
                page = _pdf_page(doc, index, config.pdf_dpi, config.pdf_min_text_chars)
            yield page
    finally:
        with PDFIUM_LOCK:
            doc.close()


def _pdf_page(doc: pdfium.PdfDocument, index: int, dpi: int, min_chars: int) -> PageSource:
    page = doc[index]
    try:
        width_pt, height_pt = page.get_size()  # as displayed: CropBox, /Rotate applied
        width, height = pdf_pixels(width_pt, dpi), pdf_pixels(height_pt, dpi)
        lines = _text_layer_lines(page, width, height, min_chars)
        if lines is not None:
            return PageSource(index, width, height, None, lines, float(dpi))
        image = _render(page, dpi)
        return PageSource(index, image.shape[1], image.shape[0], image, None, float(dpi))
    finally:
        page.close()


def _render(page: pdfium.PdfPage, dpi: int) -> np.ndarray:
    bitmap = page.render(scale=dpi / 72, may_draw_forms=False)
    try:
        # Copy out of PDFium's buffer (and drop any row padding) before freeing it.
        return bitmap.to_numpy().copy()
    finally:
        bitmap.close()


class _Affine(NamedTuple):
    """PDF user space (points, y up) -> page pixels, exactly as PDFium renders the page."""

    a: float
    b: float
    c: float
    d: float
    e: float
    f: float

    def boxes(self, ltrb: np.ndarray) -> np.ndarray:
        """(n, 4) left, top, right, bottom in points -> (n, 4) x0, y0, x1, y1 in pixels."""
        xs = self.a * ltrb[:, [0, 2]] + self.b * ltrb[:, [1, 3]] + self.e
        ys = self.c * ltrb[:, [0, 2]] + self.d * ltrb[:, [1, 3]] + self.f
        return np.stack([xs.min(1), ys.min(1), xs.max(1), ys.max(1)], axis=1)


def _page_to_pixels(page: pdfium.PdfPage, width: int, height: int) -> _Affine:
    """Read PDFium's display matrix (rotation, CropBox offset, scale) off three points."""
    dx, dy = ctypes.c_int(), ctypes.c_int()

    def device(x: float, y: float) -> tuple[float, float]:
        pdfium_c.FPDF_PageToDevice(page, 0, 0, width * _SUBPIXEL, height * _SUBPIXEL, 0, x, y, dx, dy)
        return dx.value / _SUBPIXEL, dy.value / _SUBPIXEL

    e, f = device(0.0, 0.0)
    ax, ay = device(1000.0, 0.0)
    bx, by = device(0.0, 1000.0)
    return _Affine((ax - e) / 1000, (bx - e) / 1000, (ay - f) / 1000, (by - f) / 1000, e, f)


class PageChars(NamedTuple):
    """A PDF page's visible text, one entry per character in PDFium's reading order."""

    text: str  # includes the spaces and line breaks PDFium inferred
    boxes: np.ndarray  # (n, 4) float pixels x0, y0, x1, y1; NaN rows for whitespace
    unmapped: int  # glyphs PDFium could not map to Unicode


def _text_layer_lines(page: pdfium.PdfPage, width: int, height: int, min_chars: int) -> list[TextLine] | None:
    """The page's text lines if its text layer can be trusted, else None (OCR it)."""
    if _has_filled_form_text(page):
        return None  # typed-in form values live in annotations, not in the text layer
    content = _scan_content(page)
    if content.text_under_image:
        return None  # the text is someone else's OCR hidden under the page picture
    textpage = page.get_textpage()
    try:
        to_px = _page_to_pixels(page, width, height)
        chars = _page_chars(textpage, to_px, width, height, content.invisible_text)
    finally:
        textpage.close()
    if content.image_share >= _SCAN_IMAGE_SHARE:
        # A page-sized picture with a little text on it (a scanner's watermark, a page
        # number, a stamp) is a scan: its few characters are not the page's content.
        min_chars = max(min_chars, _SCAN_MIN_TEXT_CHARS)
    if not text_layer_usable(chars.text, chars.unmapped, min_chars):
        return None
    return _build_lines(chars, width, height)


def _page_chars(
    textpage: pdfium.PdfTextPage, to_px: _Affine, width: int, height: int, skip_invisible: bool
) -> PageChars:
    raw = textpage.raw
    count = pdfium_c.FPDFText_CountChars(raw)
    text = textpage.get_text_range(0, count) if count > 0 else ""
    if len(text) != count:  # characters beyond the BMP: UTF-16 lost the 1:1 indexing
        text = "".join(chr(min(pdfium_c.FPDFText_GetUnicode(raw, i), 0x10FFFF)) for i in range(count))
    # Invisible text (render mode 3) is someone else's OCR over a scan: drop it, so such a
    # page has no text of its own and is OCR'd by us. Per-char lookups only when needed.
    invisible = _invisible_char_test(raw) if skip_invisible else None
    rect = pdfium_c.FS_RECTF()
    keep = np.ones(count, dtype=bool)
    ltrb = np.full((count, 4), np.nan)
    unmapped = 0
    for i, ch in enumerate(text):
        if ch.isspace():
            continue
        if invisible is not None and invisible(i):
            keep[i] = False
            continue
        pdfium_c.FPDFText_GetLooseCharBox(raw, i, rect)
        ltrb[i] = (rect.left, rect.top, rect.right, rect.bottom)
        unmapped += pdfium_c.FPDFText_HasUnicodeMapError(raw, i) == 1
    boxes = to_px.boxes(ltrb)
    cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    outside = ~((cx >= 0) & (cx < width) & (cy >= 0) & (cy < height))  # NaN compares False
    keep &= ~(outside & ~np.isnan(cx))  # glyphs outside the CropBox are not on the page
    if not keep.all():
        text = "".join(ch for ch, k in zip(text, keep, strict=True) if k)
        boxes = boxes[keep]
    return PageChars(text, boxes, unmapped)


class _Content(NamedTuple):
    invisible_text: bool  # some text is drawn in render mode 3 (an OCR layer)
    image_share: float  # share of the page area under its largest picture
    text_under_image: bool  # a page-sized picture is painted over earlier text


def _scan_content(page: pdfium.PdfPage) -> _Content:
    """One pass over the page objects in painting order (raw API: wrappers cost ~5 us each).

    Scan-plus-OCR tools hide their text in one of two ways: render mode 3 (invisible),
    or visible text painted first and the page picture on top of it.
    """
    width, height = page.get_size()
    page_area = max(width * height, 1.0)
    invisible = covered = seen_text = False
    largest = 0.0
    x0, y0, x1, y1 = (ctypes.c_float() for _ in range(4))  # left, bottom, right, top
    for i in range(pdfium_c.FPDFPage_CountObjects(page)):
        top = pdfium_c.FPDFPage_GetObject(page, i)
        has_text, has_invisible, has_image = _subtree_kinds(top)
        invisible |= has_invisible
        # Bounds inside a form XObject are in the form's space: use the top-level
        # object's bounds (an over-estimate for forms, which errs towards OCR).
        if has_image and pdfium_c.FPDFPageObj_GetBounds(top, x0, y0, x1, y1):
            share = min(abs(x1.value - x0.value) * abs(y1.value - y0.value) / page_area, 1.0)
            largest = max(largest, share)
            covered |= seen_text and share >= _SCAN_IMAGE_SHARE
        seen_text |= has_text
    return _Content(invisible, largest, covered)


def _subtree_kinds(obj: object, depth: int = 0) -> tuple[bool, bool, bool]:
    """(visible text, invisible text, image) anywhere in `obj`, descending into forms."""
    kind = pdfium_c.FPDFPageObj_GetType(obj) if obj else -1
    if kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
        hidden = pdfium_c.FPDFTextObj_GetTextRenderMode(obj) == pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE
        return not hidden, hidden, False
    if kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
        return False, False, True
    if kind != pdfium_c.FPDF_PAGEOBJ_FORM or depth >= 8:
        return False, False, False
    text = hidden = image = False
    for i in range(pdfium_c.FPDFFormObj_CountObjects(obj)):
        sub = _subtree_kinds(pdfium_c.FPDFFormObj_GetObject(obj, i), depth + 1)
        text, hidden, image = text or sub[0], hidden or sub[1], image or sub[2]
    return text, hidden, image


def _invisible_char_test(raw: pdfium_c.FPDF_TEXTPAGE) -> Callable[[int], bool]:
    modes: dict[int | None, bool] = {}

    def invisible(index: int) -> bool:
        obj = pdfium_c.FPDFText_GetTextObject(raw, index)
        key = ctypes.cast(obj, ctypes.c_void_p).value
        if key not in modes:
            mode = pdfium_c.FPDFTextObj_GetTextRenderMode(obj) if key else 0
            modes[key] = mode == pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE
        return modes[key]

    return invisible


def _has_filled_form_text(page: pdfium.PdfPage) -> bool:
    for i in range(pdfium_c.FPDFPage_GetAnnotCount(page)):
        annot = pdfium_c.FPDFPage_GetAnnot(page, i)
        if not annot:
            continue
        try:
            subtype = pdfium_c.FPDFAnnot_GetSubtype(annot)
            key = {pdfium_c.FPDF_ANNOT_WIDGET: b"V", pdfium_c.FPDF_ANNOT_FREETEXT: b"Contents"}.get(subtype)
            # Byte length of a UTF-16 string with its terminator: > 2 means non-empty.
            if key and pdfium_c.FPDFAnnot_GetStringValue(annot, key, None, 0) > 2:
                return True
        finally:
            pdfium_c.FPDFPage_CloseAnnot(annot)
    return False


# --- is the text layer trustworthy? ----------------------------------------------------

_CID = re.compile(r"\(cid:\d+\)")
_BROKEN = re.compile("[\ufffd\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # replacement, controls
_PRIVATE_USE = re.compile("[\ue000-\uf8ff\U000f0000-\U0010ffff]")
# Latin-1 letters and signs that Vietnamese never uses but that TCVN3 (.VnTime) and VNI
# fonts produce when their glyphs are read as Latin-1: "Céng hßa x· héi", "COÄNG HOØA".
_LEGACY_VN = re.compile(
    "["
    + "".join(
        re.escape(chr(c)) for c in range(0xA1, 0x100) if chr(c) not in ACCENTED_LETTERS and chr(c) not in "°«»©®±§×÷¼½¾"
    )
    + "]"
)


def text_layer_usable(text: str, unmapped: int, min_chars: int) -> bool:
    """Enough real characters, and not the garbage of a font without a Unicode map."""
    real = "".join(text.split())
    n = len(real)
    if n < min_chars or _CID.search(real):
        return False
    broken = unmapped + len(_BROKEN.findall(real))
    legacy = len(_LEGACY_VN.findall(real))
    return (
        broken / n <= _MAX_BROKEN_SHARE
        and len(_PRIVATE_USE.findall(real)) / n <= _MAX_PRIVATE_USE_SHARE
        and (legacy < 3 or legacy / n <= _MAX_LEGACY_SHARE)
    )


# --- lines -----------------------------------------------------------------------------

_SPACE_BEFORE_MARK = re.compile(r"\s+(?=[\u0300-\u036f])")
_LIGATURES = re.compile("[\ufb00-\ufb06]")
_LINE_BREAK = re.compile(r"[\r\n]+")


def _clean(text: str) -> str:
    text = _SPACE_BEFORE_MARK.sub("", text)  # "Nguye ̂ ̃n": marks drawn as separate glyphs
    text = _LIGATURES.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    return nfc(_BROKEN.sub(" ", text))


def _build_lines(chars: PageChars, width: int, height: int) -> list[TextLine]:
    lines: list[TextLine] = []
    start = 0
    for brk in [*_LINE_BREAK.finditer(chars.text), None]:
        end = brk.start() if brk else len(chars.text)
        for a, b in _column_splits(chars.boxes[start:end]):
            line = _make_line(chars.text[start + a : start + b], chars.boxes[start + a : start + b], width, height)
            if line is not None:
                lines.append(line)
        start = brk.end() if brk else end
    return ordered_lines(lines)


def _column_splits(boxes: np.ndarray) -> list[tuple[int, int]]:
    """Split one PDFium line where a gap wider than a few line heights opens on the same row."""
    ink = np.flatnonzero(~np.isnan(boxes[:, 0]))
    if len(ink) < 2:
        return [(0, len(boxes))]
    prev, nxt = boxes[ink[:-1]], boxes[ink[1:]]
    line_h = np.maximum(np.nanmax(boxes[:, 3]) - np.nanmin(boxes[:, 1]), 1.0)
    overlap = np.minimum(prev[:, 3], nxt[:, 3]) - np.maximum(prev[:, 1], nxt[:, 1])
    same_row = overlap > 0.5 * np.minimum(prev[:, 3] - prev[:, 1], nxt[:, 3] - nxt[:, 1])
    # Vertical or rotated runs (no row overlap) are left as PDFium grouped them.
    cuts = ink[1:][same_row & (nxt[:, 0] - prev[:, 2] > _COLUMN_GAP_HEIGHTS * line_h)]
    edges = [0, *cuts.tolist(), len(boxes)]
    return list(zip(edges[:-1], edges[1:], strict=True))


def _make_line(text: str, boxes: np.ndarray, width: int, height: int) -> TextLine | None:
    clean = _clean(text)
    if not clean or np.isnan(boxes[:, 0]).all():
        return None
    x0, y0 = np.nanmin(boxes[:, 0]), np.nanmin(boxes[:, 1])
    x1, y1 = np.nanmax(boxes[:, 2]), np.nanmax(boxes[:, 3])
    box = (max(0, math.floor(x0)), max(0, math.floor(y0)), min(width, math.ceil(x1)), min(height, math.ceil(y1)))
    if box[2] <= box[0] or box[3] <= box[1]:
        return None
    return TextLine(clean, box, 1.0)
