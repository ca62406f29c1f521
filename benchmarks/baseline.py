"""Plain whole-page Tesseract `vie` (its own layout analysis), the benchmarks' baseline."""

from __future__ import annotations

import os

import cv2
import numpy as np
from PIL import Image

from models.document import TextLine
from pipeline.config import RecognizerConfig
from pipeline.ocr.engines.tesseract import find_tessdata
from pipeline.text import nfc


class WholePageTesseract:
    def __init__(self, config: RecognizerConfig | None = None) -> None:
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
        import tesserocr

        config = config or RecognizerConfig()
        self._tesserocr = tesserocr
        self._api = tesserocr.PyTessBaseAPI(
            path=str(find_tessdata(config)) + os.sep,
            lang=config.language,
            psm=tesserocr.PSM.AUTO,
            oem=tesserocr.OEM.LSTM_ONLY,
        )

    def read(self, image: np.ndarray) -> list[TextLine]:
        """Lines with boxes, as Tesseract segments the page."""
        tess = self._tesserocr
        self._api.SetImage(Image.fromarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB)))
        self._api.Recognize()
        lines: list[TextLine] = []
        iterator = self._api.GetIterator()
        level = tess.RIL.TEXTLINE
        if iterator is None:
            return lines
        while True:
            text = iterator.GetUTF8Text(level) if not iterator.Empty(level) else ""
            box = iterator.BoundingBox(level)
            if text and text.strip() and box:
                lines.append(TextLine(nfc(text), tuple(box), iterator.Confidence(level) / 100.0))
            if not iterator.Next(level):
                break
        return lines
