"""Deterministic OpenCV text-line detector for fast tests of the surrounding stages.

Otsu binarization, a horizontal closing that joins letters into lines, and the
bounding boxes of what results. Works on clean, upright generated pages only; the
product always uses `PaddleTextDetector`.
"""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.ocr.engines import DetectedLine


class ContourTextDetector:
    def __init__(self, join_px: int = 41, join_py: int = 11, min_height: int = 8) -> None:
        self.join_px = join_px
        self.join_py = join_py  # joins tone marks to their letters
        self.min_height = min_height

    def detect(self, image: np.ndarray) -> list[DetectedLine]:
        grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        _, ink = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
        joined = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((self.join_py, self.join_px), np.uint8))
        contours, _ = cv2.findContours(joined, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        lines = []
        for contour in contours:
            x, y, w, h = cv2.boundingRect(contour)
            if h < self.min_height or w < self.min_height:
                continue
            quad = np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], dtype=np.float32)
            lines.append(DetectedLine(quad, 1.0))
        return sorted(lines, key=lambda line: (line.bbox[1], line.bbox[0]))
