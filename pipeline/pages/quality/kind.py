"""The likely document kind of a page, cheaply: card shape, QR code, and a quick Tesseract read.

A card is read whole at 200 dpi; a sheet only by its top strip (the title block: "TỜ KHAI
ĐĂNG KÝ KHAI SINH", "ĐƠN ĐỀ NGHỊ", "V/v ...") at 150 dpi. The text goes through the same
classifier as the full reading (`pipeline.fields.classify`), with the card shape and the QR
code as layout evidence, so the counter's guess and the final kind agree on the same rules.
One Tesseract instance per thread (tesserocr is single-threaded per instance).
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

import cv2
import numpy as np
from PIL import Image

from models.document import Barcode, DocumentKind, PageText, TextLine, TextSource
from pipeline.config import RecognizerConfig
from pipeline.fields.classify import classify_page
from pipeline.ocr.engines.tesseract import find_tessdata
from pipeline.text import nfc

if TYPE_CHECKING:
    import tesserocr

HEADER_SHARE = 0.32  # the top third of a sheet holds its title block
CARD_READ_WIDTH = 674  # px: a card read at 200 dpi (85.6 mm)
SHEET_READ_WIDTH = 1240  # px: a sheet read at 150 dpi (210 mm)
_local = threading.local()


def _api() -> tesserocr.PyTessBaseAPI:
    api = getattr(_local, "api", None)
    if api is None:
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
        import tesserocr

        api = tesserocr.PyTessBaseAPI(
            path=str(find_tessdata(RecognizerConfig())) + os.sep,
            lang="vie",
            psm=tesserocr.PSM.AUTO,
            oem=tesserocr.OEM.LSTM_ONLY,
        )
        _local.api = api
    return api


def read_lines(grey: np.ndarray, dpi: int) -> list[TextLine]:
    """Text lines of a greyscale picture, with boxes in its pixels."""
    import tesserocr

    api = _api()
    api.SetImage(Image.fromarray(grey))
    api.SetVariable("user_defined_dpi", str(dpi))
    api.Recognize()
    lines = []
    level = tesserocr.RIL.TEXTLINE
    for item in tesserocr.iterate_level(api.GetIterator(), level):
        try:
            text = nfc((item.GetUTF8Text(level) or "").strip())
        except RuntimeError:  # tesserocr's "No text returned": a region with no letters
            continue
        box = item.BoundingBox(level)
        if text and box is not None:
            lines.append(TextLine(text, (box[0], box[1], box[2], box[3]), item.Confidence(level) / 100.0))
    api.Clear()
    return lines


def guess_kind(doc_grey: np.ndarray, card: bool, codes: list[Barcode], read: bool) -> tuple[DocumentKind, float, str]:
    """(kind, confidence 0..1, text read) of a document straightened onto its canonical grid."""
    h, w = doc_grey.shape
    if not read:
        return DocumentKind.OTHER, 0.0, ""
    if card:
        factor = min(1.0, CARD_READ_WIDTH / max(w, h))
        strip = doc_grey
        dpi = 200
    else:
        factor = min(1.0, SHEET_READ_WIDTH / min(w, h))
        strip = doc_grey[: max(1, round(h * HEADER_SHARE)), :]
        dpi = 150
    if factor < 1.0:
        strip = cv2.resize(strip, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    lines = read_lines(strip, dpi)
    # The classifier sees the whole document's shape (card or sheet), not the strip's.
    page = PageText(0, w, h, TextSource.OCR, lines, codes=list(codes))
    guess = classify_page(page)
    return guess.kind, guess.confidence, page.text
