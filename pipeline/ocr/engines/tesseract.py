"""Tesseract 5 `vie` line recognizer through tesserocr (one API object per worker).

Tesseract's `vie` model has 132 of the 134 Vietnamese letter forms (no ỵ/Ỵ, both rare);
stock PP-OCR recognizers have at most 46, which is why PaddleOCR only detects here.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from models.errors import ErrorCode
from pipeline.config import RecognizerConfig
from pipeline.errors import InputRefused
from pipeline.ocr.engines import Recognition
from pipeline.text import nfc

_DEBIAN_TESSDATA = (
    Path("/usr/share/tesseract-ocr/5/tessdata"),
    Path("/usr/share/tesseract-ocr/4.00/tessdata"),
    Path("/usr/share/tessdata"),
)


def find_tessdata(config: RecognizerConfig) -> Path:
    candidates = [config.tessdata_dir] if config.tessdata_dir else []
    if os.environ.get("TESSDATA_PREFIX"):
        candidates.append(Path(os.environ["TESSDATA_PREFIX"]))
    candidates.extend(_DEBIAN_TESSDATA)
    for path in candidates:
        if path and (Path(path) / f"{config.language}.traineddata").exists():
            return Path(path)
    raise InputRefused(
        ErrorCode.MODEL_INVALID,
        f"{config.language}.traineddata not found (apt: tesseract-ocr-vie, tesseract-ocr-script-viet)",
    )


class TesseractRecognizer:
    """Reads one text line per call (page segmentation mode 7, LSTM engine)."""

    def __init__(self, config: RecognizerConfig, language: str | None = None, whitelist: str | None = None) -> None:
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # one worker per core
        import tesserocr

        self.config = config
        language = language or config.language
        self._api = tesserocr.PyTessBaseAPI(
            path=str(find_tessdata(config.model_copy(update={"language": language}))) + os.sep,
            lang=language,
            psm=tesserocr.PSM.SINGLE_LINE,
            oem=tesserocr.OEM.LSTM_ONLY,
        )
        # Crops are rescaled to a known text height; tell Tesseract so it does not guess.
        self._api.SetVariable("user_defined_dpi", "300")
        if whitelist:
            self._api.SetVariable("tessedit_char_whitelist", whitelist)

    def recognize(self, line_image: np.ndarray) -> Recognition:
        grey = line_image if line_image.ndim == 2 else cv2.cvtColor(line_image, cv2.COLOR_BGR2GRAY)
        self._api.SetImage(Image.fromarray(grey))
        text = nfc(self._api.GetUTF8Text())
        confidence = max(0.0, float(self._api.MeanTextConf())) / 100.0 if text else 0.0
        return Recognition(text, confidence, words=self._word_spans(text) if text.strip() else ())

    def _word_spans(self, text: str) -> tuple[tuple[int, int, int], ...]:
        """Each recognized word's place in `text` and its left and right x in the crop."""
        import tesserocr

        level, spans, at = tesserocr.RIL.WORD, [], 0
        for word in tesserocr.iterate_level(self._api.GetIterator(), level):
            word_text, box = nfc(word.GetUTF8Text(level) or ""), word.BoundingBox(level)
            start = text.find(word_text, at) if word_text else -1
            if start < 0 or box is None:
                return ()  # words and line text do not match up: no spans rather than wrong ones
            spans.append((start, int(box[0]), int(box[2])))
            at = start + len(word_text)
        return tuple(spans)

    def close(self) -> None:
        self._api.End()


MRZ_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"


def mrz_recognizer(config: RecognizerConfig) -> TesseractRecognizer:
    """Tesseract `eng` limited to the ICAO 9303 alphabet, for machine-readable zones.

    `vie` reads the OCR-B digits of a card's MRZ as accented letters (6 -> ó); the MRZ
    alphabet has no such letters, so the lines are re-read with it.
    """
    return TesseractRecognizer(config, language="eng", whitelist=MRZ_ALPHABET)


def looks_like_mrz(text: str) -> bool:
    """A machine-readable-zone line: long, in capitals/digits/'<', with '<' fillers."""
    compact = text.replace(" ", "")
    if len(compact) < 20 or compact.count("<") < 2:
        return False
    plain = sum(c.isascii() and (c.isupper() or c.isdigit() or c == "<") for c in compact)
    return plain >= 0.7 * len(compact)


MRZ_TD1_LENGTH = 30


def normalize_mrz_line(text: str) -> str:
    """Spaces out; a TD1 line ending in filler is brought to its fixed 30 characters.

    Runs of '<' are where OCR miscounts; fillers carry no data, so only the trailing
    run is lengthened or shortened, never a character with content."""
    compact = text.replace(" ", "")
    body = compact.rstrip("<")
    tail = len(compact) - len(body)
    if tail >= 2 and len(body) < MRZ_TD1_LENGTH:
        return body + "<" * (MRZ_TD1_LENGTH - len(body))
    return compact
