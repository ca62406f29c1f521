"""QR codes found on page images (zxing-cpp), on generated cards."""

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from pipeline.ocr.barcodes import find_codes
from samples.generate import generate_document


def _image(doc) -> np.ndarray:
    return cv2.cvtColor(np.array(Image.open(io.BytesIO(doc.page_files[0])).convert("RGB")), cv2.COLOR_RGB2BGR)


@pytest.mark.parametrize("level", ["clean", "scanned", "photo"])
def test_the_card_qr_code_is_decoded_exactly_with_its_box(level):
    doc = generate_document("cccd_front", level, 4242)
    image = _image(doc)
    codes = find_codes(image)
    assert [c.text for c in codes] == [doc.truth["qr_payload"]]
    x0, y0, x1, y1 = codes[0].box
    h, w = image.shape[:2]
    assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
    assert x0 > w / 2  # top-right of the card


def test_a_page_without_a_code_gives_none_and_a_damaged_code_gives_none():
    assert find_codes(_image(generate_document("don", "scanned", 7))) == []
    image = _image(generate_document("cccd_front", "clean", 4242))
    (code,) = find_codes(image)
    x0, y0, x1, y1 = code.box
    image[y0:y1, x0 : (x0 + x1) // 2] = 255  # half the code wiped out: nothing, never a partial guess
    assert find_codes(image) == []
