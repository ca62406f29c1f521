"""Pages of an uploaded file at a working size, with what is known of their real resolution.

Decoding is the largest fixed cost of the check, so it is cut early: a JPEG is decoded in the
DCT domain at 1/2, 1/4 or 1/8 scale when that still leaves `WORK_LONG_SIDE` pixels, and a PDF
page is rendered at a low dpi. The resolution check needs the *original* pixels, which the
`scale` field keeps (original pixels per working pixel), and a PDF page's scan resolution
comes from its largest embedded picture, not from the render.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageOps

from pipeline.config import ReadingConfig
from pipeline.pages.preflight import PDFIUM_LOCK, FileInfo, FileType, decoder_errors, open_pdf
from pipeline.pages.sources import iter_pages, to_bgr

WORK_LONG_SIDE = 1700  # px: a 300-dpi A4 JPEG decodes at 1/2 (1754 px), a card photo near full size
PDF_RENDER_DPI = 150  # a PDF page is measured at 150 dpi, the grid of a sheet
_PAGE_PICTURE_SHARE = 0.5  # a PDF page mostly covered by one picture is a scan
_MM_PER_INCH = 25.4


@dataclass(slots=True)
class WorkPage:
    index: int
    image: np.ndarray  # BGR uint8, long side <= WORK_LONG_SIDE (a PDF page: at PDF_RENDER_DPI)
    scale: float  # original pixels per working pixel (1.0: not reduced)
    dpi: float | None  # the original's resolution when it is known (scanner metadata, PDF picture)
    vector: bool  # a PDF page drawn without a page-sized picture: no blur or resolution to judge


def load_pages(data: bytes, info: FileInfo) -> Iterator[WorkPage]:
    """Every page of a file that passed preflight, one at a time, at working size."""
    if info.file_type is FileType.PDF:
        yield from _pdf_pages(data, info)
    elif info.file_type is FileType.JPEG:
        yield _jpeg_page(data)
    else:
        for source in iter_pages(data, info, ReadingConfig()):
            assert source.image is not None
            dpi = _plausible_dpi((source.dpi, source.dpi), source.width, source.height) if source.dpi else None
            yield _reduce(source.index, source.image, 1.0, dpi)


def _reduce(index: int, bgr: np.ndarray, scale: float, dpi: float | None) -> WorkPage:
    h, w = bgr.shape[:2]
    factor = WORK_LONG_SIDE / max(h, w)
    if factor < 1.0:
        bgr = cv2.resize(bgr, (max(1, round(w * factor)), max(1, round(h * factor))), interpolation=cv2.INTER_AREA)
        scale /= factor
    return WorkPage(index, np.ascontiguousarray(bgr), scale, dpi, False)


def _jpeg_page(data: bytes) -> WorkPage:
    with decoder_errors("JPEG"), Image.open(io.BytesIO(data), formats=["JPEG"]) as im:
        full_w, full_h = im.size
        dpi = _plausible_dpi(im.info.get("dpi"), full_w, full_h)
        factor = WORK_LONG_SIDE / max(full_w, full_h)
        if factor < 0.5:
            # draft() picks the largest DCT reduction that keeps at least the requested size.
            im.draft("RGB", (max(1, int(full_w * factor)), max(1, int(full_h * factor))))
        scale = full_w / im.size[0]
        upright = ImageOps.exif_transpose(im) if im.getexif().get(0x0112, 1) != 1 else im
        bgr = to_bgr(upright)
    return _reduce(0, bgr, scale, dpi)


def _plausible_dpi(value: object, width: int, height: int) -> float | None:
    """Scanner metadata, when it describes a sheet-sized original: cameras write 72 or 96 dpi,
    which would make a phone photo a metre wide, and that is ignored."""
    if not isinstance(value, tuple) or len(value) != 2:
        return None
    try:
        dpi = (float(value[0]) + float(value[1])) / 2
    except (TypeError, ValueError):
        return None
    if not 50 <= dpi <= 2400:
        return None
    long_mm = max(width, height) / dpi * _MM_PER_INCH
    return dpi if 60 <= long_mm <= 450 else None


# --- PDF -------------------------------------------------------------------------------


def _pdf_pages(data: bytes, info: FileInfo) -> Iterator[WorkPage]:
    for index in range(info.page_count):
        with PDFIUM_LOCK:
            doc = open_pdf(data)
            try:
                with decoder_errors("PDF"):
                    page = doc[index]
                    try:
                        picture_dpi = _page_picture_dpi(page)
                        bitmap = page.render(scale=PDF_RENDER_DPI / 72, may_draw_forms=False)
                        try:
                            bgr = bitmap.to_numpy().copy()
                        finally:
                            bitmap.close()
                    finally:
                        page.close()
            finally:
                doc.close()
        bgr = bgr[..., :3] if bgr.ndim == 3 else cv2.cvtColor(bgr, cv2.COLOR_GRAY2BGR)
        vector = picture_dpi is None
        scale = picture_dpi / PDF_RENDER_DPI if picture_dpi else 1.0
        yield WorkPage(index, np.ascontiguousarray(bgr), scale, picture_dpi or float(PDF_RENDER_DPI), vector)


def _page_picture_dpi(page: pdfium.PdfPage) -> float | None:
    """The resolution of the picture covering most of the page, if one covers half of it."""
    width, height = page.get_size()
    area = max(width * height, 1.0)
    best_share, best_dpi = 0.0, None
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=3):
        left, bottom, right, top = obj.get_bounds()
        w_pt, h_pt = abs(right - left), abs(top - bottom)
        share = min(w_pt * h_pt / area, 1.0)
        if share <= best_share:
            continue
        px_w, px_h = obj.get_px_size()
        if w_pt <= 0 or h_pt <= 0 or px_w <= 0 or px_h <= 0:
            continue
        # The picture may be turned on the page: match its long side to the long side.
        best_share, best_dpi = share, max(px_w, px_h) / (max(w_pt, h_pt) / 72)
    return best_dpi if best_share >= _PAGE_PICTURE_SHARE else None
