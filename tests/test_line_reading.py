"""Line reading on what cards and filled-in forms print: bilingual captions' slashes, dotted
writing lines under a written value, and small print on a large page (issue 19)."""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from pipeline.layout.leader_dots import LEADER, erase_runs, find_leader_runs
from pipeline.ocr.engines import DetectedLine
from pipeline.ocr.preprocess import mend_slashes, small_print_block
from tests.line_crops import TOP, H
from tests.line_crops import crop as _crop
from tests.line_crops import dots as _dots
from tests.line_crops import letter as _letter

BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
UNDER = 62  # a writing line's dots, under the written value
SANS = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def test_a_writing_line_under_a_written_value_is_no_blank_slot() -> None:
    """`Họ tên ĐỖ THỊ MINH THỦY ..........`: the dots run on under the value; what is left of
    them after it is erased but put back as nothing (the line is filled in)."""
    img = _crop()
    for x in range(10, 250, 20):  # the written value, standing on the dotted line
        _letter(img, x)
    _dots(img, 12, 35, y=UNDER)  # the writing line: under the value, then on past it
    runs = find_leader_runs(img, H, TOP)
    assert len(runs) == 1 and runs[0].x0 >= 250
    assert len(runs[0].under) >= 10 and runs[0].piece == ""
    erased = erase_runs(img, runs)
    assert erased[59:66, 8:400].min() == 255  # the dots under the value are gone too
    assert erased[32:56, 10:22].max() == 0  # the letters are not


def test_a_blank_slot_after_a_label_is_still_a_leader() -> None:
    img = _crop()
    for x in (10, 30, 50):
        _letter(img, x)
    _dots(img, 80, 20, y=UNDER)
    runs = find_leader_runs(img, H, TOP)
    assert [(len(r.under), r.piece) for r in runs] == [(0, LEADER)]


def test_dots_under_letters_before_a_leader_stay_the_letters() -> None:
    """`Thị ạ ọ......`: the marks under letters keep no leader's pitch or height; they are
    neither erased nor taken for a filled line."""
    img = _crop()
    for x in (10, 40, 70):
        _letter(img, x, tall=False)
        cv2.circle(img, (x + 6, 64), 2, (0,), -1)  # the dot under ạ
    _dots(img, 100, 15, y=54)
    runs = find_leader_runs(img, H, TOP)
    assert [(len(r.under), r.piece) for r in runs] == [(0, LEADER)]
    assert erase_runs(img, runs)[62:67, 14:80].min() == 0


def _line(text: str, font: str = BOLD, size: int = 34) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
    """A grey crop of `text` (48 px line height) and each word's (start, left x, right x)."""
    face = ImageFont.truetype(font, size)
    image = Image.new("L", (40 + int(face.getlength(text)), 79), 255)
    ImageDraw.Draw(image).text((20, 20), text, font=face, fill=0)
    words, at = [], 0
    for word in text.split(" "):
        start = text.index(word, at)
        left = 20 + int(face.getlength(text[:start]))
        words.append((start, left, left + int(face.getlength(word))))
        at = start + len(word)
    return np.asarray(image), words


def test_a_slash_read_as_an_upright_stroke_is_written_as_a_slash() -> None:
    crop, words = _line("Số / No.: 001193581163")
    assert mend_slashes(crop, "Số I No.: 001193581163", words, 48) == "Số / No.: 001193581163"
    assert mend_slashes(crop, "Số [ No.: 001193581163", words, 48) == "Số / No.: 001193581163"


def test_an_upright_stroke_is_not_taken_for_a_slash() -> None:
    for text in ("Phần I Điều 1", "Mục l và 2", "Chú ý ! Hết"):
        crop, words = _line(text, SANS)
        assert mend_slashes(crop, text, words, 48) == text


def _box(x0: float, y0: float, x1: float, y1: float) -> DetectedLine:
    return DetectedLine(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32), 0.9)


def test_small_print_on_a_large_page_is_detected_again_in_its_block() -> None:
    card = [_box(460, 220 + 45 * k, 1080, 250 + 45 * k) for k in range(12)]
    block = small_print_block(card, 2480, 3508, 960)
    assert block is not None
    x0, y0, x1, y1 = block
    assert x0 <= 460 and y0 <= 220 and x1 >= 1080 and y1 >= 745 and max(x1 - x0, y1 - y0) < 1000
    # A page of text, a page the detector sees whole, and a detector without a limit: no block.
    page = [_box(200, 200 + 60 * k, 2300, 240 + 60 * k) for k in range(40)]
    assert small_print_block(page, 2480, 3508, 960) is None
    assert small_print_block(card, 1012, 638, 960) is None
    assert small_print_block(card, 2480, 3508, 0) is None


def test_a_writing_line_filled_to_its_end_is_erased_and_put_back_as_nothing() -> None:
    """`... đường Pasteur, phường`: the value fills the dotted line; its dots (some in the gaps
    between letters, some under them) are no text and no slot."""
    img = _crop(600)
    for x in range(10, 560, 20):
        _letter(img, x)
    _dots(img, 12, 50, y=UNDER)
    runs = find_leader_runs(img, H, TOP)
    assert runs and all(r.piece == "" and not r.own for r in runs)
    assert sum(len(r.under) for r in runs) >= 40
    assert erase_runs(img, runs)[59:66, 8:570].min() == 255
