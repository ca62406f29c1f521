"""The reading's shortcuts (issue 19, speed) give the same results as the long way round:
no line crop read twice, the same percentiles as numpy's, the same crops with fewer
neighbours looked at, and a card's QR code found where the enlarged search is skipped."""

from __future__ import annotations

import hashlib
import io

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from models.document import PageText, TextLine, TextSource
from pipeline.config import RecognizerConfig
from pipeline.ocr.barcodes import find_codes
from pipeline.ocr.engines import Recognition
from pipeline.ocr.engines.contour_detector import ContourTextDetector
from pipeline.ocr.lines import PageReader, painted_crop
from pipeline.ocr.preprocess import percentiles, stretch_contrast
from pipeline.reader import worth_enlarging
from samples.generate import generate_document

SERIF = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"
LINES = [
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "Họ và tên: Nguyễn Thị Phượng",
    "Nơi thường trú: Số 18 ngõ 45 phố Hàng Bột, phường Văn Miếu",
    "Quê quán: xã Nghĩa Hưng, tỉnh Ninh Bình",
]


def _page(lines=LINES) -> np.ndarray:
    """A4 at 300 dpi, lines set tight (tone marks reach into the next line's margin)."""
    img = Image.new("RGB", (2480, 3508), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(SERIF, 54)
    for i, text in enumerate(lines):
        draw.text((220, 300 + i * 70), text, font=font, fill="black")
    return cv2.cvtColor(np.array(img), cv2.COLOR_RGB2BGR)


class _Recording:
    """A recognizer that notes every crop it is given before passing it on."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.crops: list[bytes] = []

    def recognize(self, line_image: np.ndarray) -> Recognition:
        self.crops.append(hashlib.sha256(line_image.tobytes() + repr(line_image.shape).encode()).digest())
        return self.inner.recognize(line_image)


class _AlwaysSure:
    def recognize(self, line_image: np.ndarray) -> Recognition:
        return Recognition("Nguyễn", 0.95)


def test_each_line_is_read_once_on_an_upright_page_orientation_included():
    recognizer = _Recording(_AlwaysSure())
    page = _page()
    detected = ContourTextDetector().detect(page)
    ocr = PageReader(ContourTextDetector(), recognizer, RecognizerConfig()).read(page)
    assert len(ocr.lines) == len(detected) == len(LINES)
    # The lines read to decide the orientation are not read again for the page.
    assert len(recognizer.crops) == len(detected)


@pytest.mark.ocr
@pytest.mark.parametrize("turns", [0, 2])
def test_no_crop_is_read_twice_and_the_page_reads_the_same(page_reader, turns):
    recognizer = _Recording(page_reader.recognizer)
    reader = PageReader(page_reader.detector, recognizer, page_reader.config, page_reader.mrz_recognizer)
    ocr = reader.read(np.ascontiguousarray(np.rot90(_page(), turns)))
    assert [line.text for line in ocr.lines] == LINES
    assert ocr.quarter_turns == turns
    assert len(set(recognizer.crops)) == len(recognizer.crops)


def test_percentiles_are_numpys_to_the_bit_and_the_stretch_is_unchanged():
    rng = np.random.default_rng(19)
    for i in range(400):
        h, w = int(rng.integers(1, 90)), int(rng.integers(1, 500))
        if i % 3 == 0:
            grey = rng.integers(0, 256, (h, w), dtype=np.uint8)
        elif i % 3 == 1:  # ink on paper: two clusters
            grey = np.where(rng.random((h, w)) < 0.2, rng.integers(0, 60), rng.integers(180, 256)).astype(np.uint8)
        else:  # a faint, narrow range (a blank or grey crop)
            grey = rng.integers(200, 200 + int(rng.integers(1, 20)), (h, w), dtype=np.uint8)
        if i % 5 == 0:
            grey = grey[:, ::2]  # not contiguous
        qs = (0, 1, 33.3, 75, 90, 99, 100)
        ours = percentiles(grey, qs)
        assert all(type(v) is np.float64 for v in ours)
        assert ours == list(np.percentile(grey, qs))
        lo, hi = np.percentile(grey, (1, 99))
        expected = grey if hi - lo < 8 else np.clip((grey.astype(np.float32) - lo) * (255.0 / (hi - lo)), 0, 255)
        assert np.array_equal(stretch_contrast(grey), expected.astype(np.uint8))


def test_neighbours_out_of_reach_change_no_crop_and_an_unpainted_crop_is_the_plain_one():
    page = _page()
    grey = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
    config = RecognizerConfig()
    reader = PageReader(ContourTextDetector(), _AlwaysSure(), config)
    quads = [line.quad for line in ContourTextDetector().detect(page)]
    # Far-off lines: the same text lower down the page, out of reach of the first lines' crops.
    far = [q + np.array([0, 2000], np.float32) for q in quads]
    painted_any = False
    for k, quad in enumerate(quads):
        others = quads[:k] + quads[k + 1 :] + far
        near = reader._within_reach(quad, others)
        assert len(near) < len(others)
        for variant, _ in reader._crop_variants:
            crop, painted = painted_crop(grey, quad, variant, others)
            assert np.array_equal(crop, painted_crop(grey, quad, variant, near)[0])
            painted_any |= painted
            if not painted:
                assert np.array_equal(crop, painted_crop(grey, quad, variant, ())[0])
    assert painted_any  # the page's lines are set tight enough for some painting


def _image(doc) -> np.ndarray:
    return cv2.cvtColor(np.array(Image.open(io.BytesIO(doc.page_files[0])).convert("RGB")), cv2.COLOR_RGB2BGR)


@pytest.mark.parametrize("level", ["clean", "scanned"])
def test_a_card_copied_on_a_sheet_is_found_without_the_enlarged_search(level):
    doc = generate_document("cccd_front", level, 4242)
    card = _image(doc)  # the generator's cards are 300 dpi: 1012 px for 85.6 mm
    sheet = np.full((3508, 2480, 3), 255, np.uint8)
    h, w = card.shape[:2]
    sheet[2200 : 2200 + h, 700 : 700 + w] = card
    assert [c.text for c in find_codes(sheet, enlarge=False)] == [doc.truth["qr_payload"]]
    # Grey or colour, the same codes.
    assert find_codes(cv2.cvtColor(sheet, cv2.COLOR_BGR2GRAY), enlarge=False) == find_codes(sheet, enlarge=False)


def _text_page(width: int, height: int, n_lines: int) -> PageText:
    lines = [TextLine(f"dòng chữ số {i}", (100, 100 + 40 * i, 900, 130 + 40 * i), 0.95) for i in range(n_lines)]
    return PageText(0, width, height, TextSource.OCR, lines)


def test_the_enlarged_search_is_kept_for_cards_and_short_pages_and_skipped_on_sheets_of_text():
    assert not worth_enlarging(_text_page(2480, 3508, 40))  # a sheet of text, kind unknown
    assert worth_enlarging(_text_page(2480, 3508, 8))  # few lines, kind unknown: may be a card photo
    assert worth_enlarging(_text_page(1012, 638, 40))  # card-shaped, however many lines it reads as
