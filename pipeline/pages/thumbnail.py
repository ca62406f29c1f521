"""A small picture of one page, as the clerk sees it on the counter screen (rotation applied)."""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image, ImageOps

from pipeline.pages.preflight import FileInfo, FileType, decoder_errors
from pipeline.pages.sources import render_pdf_page, to_bgr, turn_clockwise

THUMBNAIL_DPI = 36  # a PDF page rendered this fine is ~300 px wide: enough for a 240 px thumbnail


def page_thumbnail(data: bytes, info: FileInfo, index: int, *, rotation: int = 0, width: int = 240) -> bytes:
    """Page `index` of a file that passed preflight, as a JPEG at most `width` pixels wide."""
    if info.file_type is FileType.PDF:
        image = render_pdf_page(data, index, THUMBNAIL_DPI)
    else:
        image = _image(data, info, index)
    image = turn_clockwise(image, rotation)
    h, w = image.shape[:2]
    if w > width:
        image = cv2.resize(image, (width, max(1, round(h * width / w))), interpolation=cv2.INTER_AREA)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 BGR image
        raise ValueError("JPEG encoding failed")
    return encoded.tobytes()


def _image(data: bytes, info: FileInfo, index: int) -> np.ndarray:
    with decoder_errors(info.file_type.value.upper()), Image.open(io.BytesIO(data)) as im:
        if index:
            im.seek(index)
        if im.format == "JPEG":
            # Decode at reduced size (JPEG draft mode): a 12 Mpx phone photo in a few ms.
            im.draft("RGB", (max(1, im.width // 8), max(1, im.height // 8)))
        return to_bgr(ImageOps.exif_transpose(im))
