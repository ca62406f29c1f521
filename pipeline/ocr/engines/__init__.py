"""OCR engines behind small Protocols.

Real engines: `PaddleTextDetector` (PP-OCR detector through PaddleOCR on ONNX Runtime),
`TesseractRecognizer` (Tesseract 5 `vie`) and `AsterRecognizer` (AsterNet, the second
reader of field values). `ContourTextDetector` is a deterministic
OpenCV detector for fast tests of the stages around detection; it is never used to
prove the real detector works.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True, slots=True)
class DetectedLine:
    """A text line found on a page: a quadrilateral (4x2 float32, clockwise from top-left)."""

    quad: np.ndarray
    score: float

    @property
    def bbox(self) -> tuple[int, int, int, int]:
        x0, y0 = np.floor(self.quad.min(axis=0)).astype(int)
        x1, y1 = np.ceil(self.quad.max(axis=0)).astype(int)
        return int(x0), int(y0), int(x1), int(y1)


@dataclass(frozen=True, slots=True)
class Recognition:
    text: str  # NFC
    confidence: float  # 0..1
    char_confidences: tuple[float, ...] = ()  # per character of `text`, where the engine gives them
    # Where each word of `text` lies in the crop, where the engine gives it: (first
    # character's index in `text`, left x, right x).
    words: tuple[tuple[int, int, int], ...] = ()


class TextDetector(Protocol):
    def detect(self, image: np.ndarray) -> list[DetectedLine]:
        """Find text lines on a BGR uint8 page image."""
        ...


class TextRecognizer(Protocol):
    def recognize(self, line_image: np.ndarray) -> Recognition:
        """Read one line crop (grey or BGR uint8, text roughly horizontal)."""
        ...
