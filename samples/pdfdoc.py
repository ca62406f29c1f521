"""Born-digital PDF writer: replays Canvas drawing ops with fpdf2 and embedded TrueType fonts.

Coordinates are the canvas's 300-dpi pixels times 72/300, so the truth boxes of the canvas
(pixels at 300 dpi) are also the boxes of the PDF text rendered at 300 dpi.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, datetime

from fpdf import FPDF
from PIL import Image, ImageDraw

from samples.canvas import Canvas, LineOp, TextOp

PT_PER_PX = 72 / 300
SPECIMEN_NOTE = "SPECIMEN - synthetic data, sohoa"
# Fixed dates keep the file byte-identical for a given seed.
_FIXED_DATE = datetime(2025, 12, 5, 0, 0, 0, tzinfo=UTC)


def _new_pdf(title: str) -> FPDF:
    pdf = FPDF(unit="pt", format=(2480 * PT_PER_PX, 3508 * PT_PER_PX))
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.set_title(title)
    pdf.set_subject(SPECIMEN_NOTE)
    pdf.set_keywords("specimen synthetic sohoa")
    pdf.set_author("sohoa-samples/1")
    pdf.set_creator("sohoa-samples/1")
    pdf.set_producer("sohoa-samples/1 (fpdf2)")
    pdf.set_creation_date(_FIXED_DATE)
    return pdf


def _font_key(op: TextOp) -> str:
    return op.font.family.replace(" ", "")


def _ensure_font(pdf: FPDF, op: TextOp, loaded: set[tuple[str, str]]) -> None:
    key = (_font_key(op), op.font.style)
    if key not in loaded:
        pdf.add_font(key[0], key[1], str(op.font.path))
        loaded.add(key)


def _draw_canvas(pdf: FPDF, canvas: Canvas, loaded: set[tuple[str, str]]) -> None:
    for op in canvas.ops:
        if isinstance(op, TextOp):
            _ensure_font(pdf, op, loaded)
            pdf.set_font(_font_key(op), op.font.style, op.font.size * PT_PER_PX)
            pdf.set_text_color(*op.fill)
            pdf.text(op.x * PT_PER_PX, op.y * PT_PER_PX, op.text)
        elif isinstance(op, LineOp):
            pdf.set_draw_color(*op.fill)
            pdf.set_line_width(op.width * PT_PER_PX)
            pdf.line(op.x0 * PT_PER_PX, op.y0 * PT_PER_PX, op.x1 * PT_PER_PX, op.y1 * PT_PER_PX)


def write_pdf(pages: Sequence[Canvas | bytes], title: str) -> bytes:
    """Pages are canvases (text layer) or JPEG bytes (an image-only scanned page, full A4)."""
    pdf = _new_pdf(title)
    loaded: set[tuple[str, str]] = set()
    for page in pages:
        pdf.add_page()
        if isinstance(page, Canvas):
            _draw_canvas(pdf, page, loaded)
        else:
            pdf.image(io.BytesIO(page), x=0, y=0, w=pdf.w, h=pdf.h)
    return bytes(pdf.output())


def replay_raster(canvas: Canvas) -> Image.Image:
    """What the PDF page shows (text and rules only), rasterised at 300 dpi with the same fonts."""
    img = Image.new("RGB", (canvas.width, canvas.height), (255, 255, 255))
    d = ImageDraw.Draw(img)
    for op in canvas.ops:
        if isinstance(op, TextOp):
            d.text((op.x, op.y), op.text, font=op.font.pil, fill=op.fill, anchor="ls")
        else:
            d.line([(op.x0, op.y0), (op.x1, op.y1)], fill=op.fill, width=op.width)
    return img
