"""Pure page-geometry and contrast stages on generated pictures and quads."""

import math

import cv2
import numpy as np

from pipeline.ocr.engines import DetectedLine
from pipeline.ocr.preprocess import (
    estimate_skew,
    remove_rules,
    rotate_quarter,
    stretch_contrast,
    unrotate_points,
    vertical_share,
)


def _quad(cx, cy, w, h, degrees=0.0):
    t = math.radians(degrees)
    u, v = np.array([math.cos(t), math.sin(t)]), np.array([-math.sin(t), math.cos(t)])
    c = np.array([cx, cy])
    return np.array(
        [c - u * w / 2 - v * h / 2, c + u * w / 2 - v * h / 2, c + u * w / 2 + v * h / 2, c - u * w / 2 + v * h / 2],
        np.float32,
    )


def test_skew_is_the_median_angle_of_long_lines():
    lines = [DetectedLine(_quad(1000, 200 + 70 * i, 1500, 50, 1.5), 0.9) for i in range(8)]
    lines.append(DetectedLine(_quad(300, 900, 60, 50, 40.0), 0.9))  # a short blob says nothing
    assert abs(estimate_skew(lines) - 1.5) < 0.05
    assert estimate_skew([]) == 0.0


def test_upright_lines_reveal_a_quarter_turned_page():
    flat = [DetectedLine(_quad(500, 100 + 60 * i, 900, 45), 0.9) for i in range(5)]
    standing = [DetectedLine(_quad(100 + 60 * i, 500, 45, 900), 0.9) for i in range(5)]
    assert vertical_share(flat) == 0.0
    assert vertical_share(standing) == 1.0


def test_quarter_turns_map_points_back_to_the_picture_as_given():
    image = np.zeros((30, 50), np.uint8)
    image[5, 40] = 255
    for k in range(4):
        turned = rotate_quarter(image, k)
        y, x = np.argwhere(turned == 255)[0]
        back = unrotate_points(np.array([[x, y]], np.float32), k, 50, 30)
        assert back.round().astype(int).tolist() == [[40, 5]]
    assert image[5, 40] == 255 and image.sum() == 255  # input untouched


def test_rules_are_removed_and_letters_kept():
    crop = np.full((80, 600), 235, np.uint8)
    cv2.putText(crop, "Nguyen 1983", (20, 52), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 20, 3)
    letters = crop < 128
    ruled = crop.copy()
    ruled[8:10, :] = 20  # table rule above
    ruled[70:72, :] = 20  # and below
    ruled[8:72, 300:302] = 20  # a cell wall joining them
    cleaned = remove_rules(ruled, line_height=48)
    assert (cleaned[8:10, :] > 128).mean() > 0.95
    assert (cleaned[20:60, 300:302] > 128).mean() > 0.9
    # Nearly all letter ink survives (only where the wall crossed a letter).
    assert (cleaned[letters] < 128).mean() > 0.95
    assert ruled[9, 5] == 20  # input untouched


def test_contrast_stretch_lifts_faint_ink():
    faint = np.full((40, 200), 200, np.uint8)
    faint[15:25, 20:180] = 170
    out = stretch_contrast(faint)
    assert out[20, 100] < 30 and out[2, 2] > 225
    blank = np.full((40, 200), 250, np.uint8)
    assert np.array_equal(stretch_contrast(blank), blank)
