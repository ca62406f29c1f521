"""Builders for test input files, made in memory (no binary fixtures in the repository)."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from fpdf import FPDF
from fpdf.enums import TextMode
from PIL import Image, ImageDraw, ImageFont

TITLE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
NAME_LINE = "Họ và tên: Nguyễn Thị Phượng"

# Liberation Serif (as shipped here) has no glyphs for ộ, ư, ợ...: fpdf2 would drop them.
_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)


def vietnamese_font() -> str:
    for path in _FONT_CANDIDATES:
        if Path(path).exists():
            return path
    pytest.skip("no TrueType font with Vietnamese glyphs installed")


# --- PDFs ------------------------------------------------------------------------------


def _new_pdf(font_size: float = 12) -> FPDF:
    pdf = FPDF(format="A4")
    pdf.add_font("vn", "", vietnamese_font())
    pdf.set_font("vn", size=font_size)
    return pdf


def _write_lines(pdf: FPDF, lines: Sequence[str]) -> None:
    for line in lines:
        pdf.cell(text=line, new_x="LMARGIN", new_y="NEXT")


def text_pdf(pages: Sequence[Sequence[str]], configure: Callable[[FPDF], None] | None = None) -> bytes:
    """A born-digital PDF: one list of text lines per page."""
    pdf = _new_pdf()
    if configure:
        configure(pdf)
    for lines in pages:
        pdf.add_page()
        _write_lines(pdf, lines)
    return bytes(pdf.output())


def page_picture(width: int = 1240, height: int = 1754, text: str = "SCAN 123") -> Image.Image:
    """A white 'scanned' page with one black text block and a black bar."""
    im = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(im)
    draw.rectangle((width // 10, height // 10, width // 2, height // 10 + 40), fill="black")
    draw.text((width // 10, height // 5), text, fill="black", font=ImageFont.load_default(size=48))
    return im


def scan_pdf(pages: int = 1, invisible_text: str | None = None, visible_text: str | None = None) -> bytes:
    """Image-only A4 pages; optionally with an invisible OCR layer on top (render mode 3)
    or a little visible text (a scanner app's watermark)."""
    pdf = _new_pdf()
    for _ in range(pages):
        pdf.add_page()
        pdf.image(page_picture(), x=0, y=0, w=pdf.w, h=pdf.h)
        if visible_text:
            pdf.set_xy(20, 260)
            _write_lines(pdf, [visible_text])
        if invisible_text:
            pdf.text_mode = TextMode.INVISIBLE
            pdf.set_xy(20, 60)
            _write_lines(pdf, [invisible_text] * 5)
            pdf.text_mode = TextMode.FILL
    return bytes(pdf.output())


def mixed_pdf() -> bytes:
    """Page 1 typed, page 2 scanned, page 3 typed."""
    pdf = _new_pdf()
    pdf.add_page()
    _write_lines(pdf, [TITLE, NAME_LINE])
    pdf.add_page()
    pdf.image(page_picture(), x=0, y=0, w=pdf.w, h=pdf.h)
    pdf.add_page()
    _write_lines(pdf, ["Trang ba: Độc lập - Tự do - Hạnh phúc"])
    return bytes(pdf.output())


def landscape_rotated_pdf(text: str) -> bytes:
    """A portrait page with /Rotate 90 whose content is drawn sideways: upright when displayed."""
    pdf = _new_pdf(font_size=14)
    pdf.add_page()
    x, y = 40.0, 250.0
    with pdf.rotation(90, x=x, y=y):  # counter-clockwise in page space
        pdf.text(x, y, text)
    doc = pdfium.PdfDocument(bytes(pdf.output()))
    doc[0].set_rotation(90)  # clockwise on display: the sideways text reads left to right
    return save_pdf(doc)


def save_pdf(doc: pdfium.PdfDocument) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    doc.close()
    return buf.getvalue()


def encrypted_pdf(user_password: str | None) -> bytes:
    pdf = _new_pdf()
    pdf.set_encryption(owner_password="chu-so-huu", user_password=user_password)
    pdf.add_page()
    _write_lines(pdf, [TITLE, NAME_LINE])
    return bytes(pdf.output())


def zero_page_pdf() -> bytes:
    return save_pdf(pdfium.PdfDocument.new())


def pdf_with_page_size(width_pt: float, height_pt: float) -> bytes:
    pdf = FPDF(unit="pt", format=(width_pt, height_pt))
    pdf.add_page()
    return bytes(pdf.output())


# --- images ----------------------------------------------------------------------------


def image_bytes(im: Image.Image, fmt: str, **save_args: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **save_args)
    return buf.getvalue()


def small_jpeg() -> bytes:
    return image_bytes(page_picture(300, 400), "JPEG", quality=85)


def blank_png(width: int = 400, height: int = 300) -> bytes:
    """A white page: a valid upload whose content (its size) makes it a distinct file."""
    return image_bytes(Image.new("RGB", (width, height), "white"), "PNG")


def small_png() -> bytes:
    return image_bytes(page_picture(300, 400).convert("L"), "PNG")


def multipage_tiff(sizes: Sequence[tuple[int, int]]) -> bytes:
    frames = [page_picture(w, h) for w, h in sizes]
    return image_bytes(frames[0], "TIFF", save_all=True, append_images=frames[1:], compression="tiff_lzw")


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims width x height over one tiny IDAT: a decompression bomb's header."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
    )
