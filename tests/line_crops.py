"""Drawn line crops for the layout tests: a crop the size the line reader cuts, letters'
stems and leader dots at known places."""

from __future__ import annotations

import cv2
import numpy as np

H = 48  # the crop's line height (RecognizerConfig.target_line_height)
TOP = 17  # where the line's box starts in the crop (margin_top x H)
BASELINE_DOTS = 54  # a leader's dots sitting on the baseline


def crop(width: int = 900) -> np.ndarray:
    return np.full((79, width), 255, np.uint8)


def letter(img: np.ndarray, x: int, tall: bool = True) -> None:
    """A letter's ink: a stem from cap height (or x-height) to the baseline at y = 56."""
    cv2.rectangle(img, (x, 32 if tall else 41), (x + 12, 56), (0,), -1)


def dots(img: np.ndarray, x0: int, n: int, y: int = BASELINE_DOTS, pitch: int = 11) -> None:
    for k in range(n):
        cv2.circle(img, (x0 + k * pitch, y), 2, (0,), -1)
