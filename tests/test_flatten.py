"""Phone photos flattened before reading: the document cut out of the desk, its perspective
undone, its light evened; a scan, and a photo whose outline cannot be found, read as before."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from models.document import FieldStatus
from pipeline.config import InputLimits, ReadingConfig
from pipeline.output.package import page_jpeg
from pipeline.pages.flatten import CARD_SIZE, even_light, fills_frame, find_quad, flatten_photo
from pipeline.pages.preflight import preflight
from pipeline.pages.sources import page_source
from pipeline.reader import read_document
from samples.generate import encode_jpeg, encode_png, generate_document
from samples.photos import encode_photo

LIMITS = InputLimits()
ON = ReadingConfig()  # the default: a photo whose outline is certain is flattened
OFF = ReadingConfig(flatten_photos=False)  # photos read as they are


def _decode(data: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)


def _desk_photo(quad: np.ndarray, size: tuple[int, int] = (1600, 1200)) -> np.ndarray:
    """A white sheet with a few dark bars, warped onto a dark desk at `quad`."""
    page = np.full((700, 1000, 3), 235, np.uint8)
    for y in range(100, 640, 60):
        cv2.rectangle(page, (80, y), (900, y + 18), (40, 40, 40), -1)
    src = np.array([[0, 0], [1000, 0], [1000, 700], [0, 700]], np.float32)
    matrix = cv2.getPerspectiveTransform(src, quad.astype(np.float32))
    desk = np.full((size[1], size[0], 3), 70, np.uint8)
    return cv2.warpPerspective(page, matrix, size, dst=desk, borderMode=cv2.BORDER_TRANSPARENT)


def test_the_outline_of_a_sheet_seen_in_perspective_is_found_to_a_few_pixels() -> None:
    quad = np.array([[260, 180], [1380, 240], [1300, 1010], [300, 960]], np.float32)
    found = find_quad(cv2.cvtColor(_desk_photo(quad), cv2.COLOR_BGR2GRAY))
    assert found is not None
    assert float(np.abs(found - quad).max()) < 6, found


def test_a_sheet_filling_the_picture_has_no_outline() -> None:
    full = np.array([[0, 0], [1600, 0], [1600, 1200], [0, 1200]], np.float32)
    assert find_quad(cv2.cvtColor(_desk_photo(full), cv2.COLOR_BGR2GRAY)) is None


def test_light_is_evened_and_glare_is_left_white_not_filled_in() -> None:
    page = np.full((600, 800, 3), 230, np.float32)
    page[200:220, 100:700] = 30  # a line of text
    ramp = np.linspace(0.55, 1.0, 800, dtype=np.float32)[None, :, None]  # the lamp on the right
    lit = np.clip(page * ramp, 0, 255).astype(np.uint8)
    glare = np.zeros((600, 800), np.uint8)
    glare[400:460, 300:380] = 1
    lit[glare > 0] = 255
    out = even_light(lit, glare)
    paper = out[300:380, :, 0].astype(np.float32)
    left, right = float(paper[:, 20:120].mean()), float(paper[:, 680:780].mean())
    assert abs(left - right) < 12, (left, right)  # was 230 * 0.45 = 104 grey levels apart
    assert (out[glare > 0] == 255).all()
    assert float(out[205:215, 150:650].mean()) < 110  # the text stays dark


@pytest.fixture(scope="module")
def card_photo() -> tuple[bytes, dict]:
    doc = generate_document("cccd_front", "photo", 11)
    return encode_photo(_rgb(doc.page_files[0]), "jpeg"), doc.truth


def _rgb(data: bytes):
    from PIL import Image

    return Image.fromarray(cv2.cvtColor(_decode(data), cv2.COLOR_BGR2RGB))


def test_a_photographed_card_is_flattened_to_the_card_grid(card_photo) -> None:
    data, _ = card_photo
    info = preflight(data, "the.jpg", LIMITS)
    page = page_source(data, info, ON, 0)
    assert page.flattened is not None and page.flattened.card
    assert (page.width, page.height) == CARD_SIZE
    assert page.image is not None and page.image.shape[:2] == CARD_SIZE[::-1]
    assert abs(page.width / page.height - 85.6 / 54.0) < 0.01
    before = page_source(data, info, OFF, 0)
    assert before.flattened is None and (before.width, before.height) == (1600, 1200)


def test_the_reviewer_sees_the_flattened_page_its_boxes_are_on(card_photo) -> None:
    data, _ = card_photo
    info = preflight(data, "the.jpg", LIMITS)
    shown = _decode(page_jpeg(data, info, 0, ON))
    assert shown.shape[:2] == CARD_SIZE[::-1]


def test_a_photographed_card_reads_its_id_number(card_photo, engines) -> None:
    from datetime import date

    data, truth = card_photo
    reading = read_document(data, "the.jpg", ON, engines, today=date(2026, 3, 1))
    (part,) = reading.parts
    assert str(part.kind) == "cccd_front"
    number = part.fields["so_dinh_danh"]
    assert number.value == truth["fields"]["so_dinh_danh"]["value"]
    assert number.status is FieldStatus.OK


@pytest.mark.parametrize(("kind", "level"), [("cccd_front", "scanned"), ("don", "scanned"), ("ct01", "clean")])
def test_a_scan_is_left_exactly_as_it_is(kind: str, level: str) -> None:
    doc = generate_document(kind, level, 3)
    data = doc.page_files[0]
    info = preflight(data, None, LIMITS)
    page, before = page_source(data, info, ON, 0), page_source(data, info, OFF, 0)
    assert page.flattened is None
    assert page.image is not None and before.image is not None
    assert np.array_equal(page.image, before.image)
    assert (page.width, page.height, page.dpi) == (before.width, before.height, before.dpi)


@pytest.mark.parametrize(("kind", "level"), [("cccd_front", "scanned"), ("don", "scanned"), ("don", "hard")])
def test_a_scan_is_seen_to_fill_its_frame_before_any_outline_is_searched(kind: str, level: str) -> None:
    # The outline search costs a scanned A4 page about a quarter of a second: a scan's rim is
    # its paper, a photo's is the desk.
    assert fills_frame(_decode(generate_document(kind, level, 3).page_files[0]))
    assert not fills_frame(_decode(generate_document(kind, "photo", 3).page_files[0]))


def test_a_photo_whose_outline_cannot_be_found_is_read_as_before() -> None:
    """The sheet runs out of the picture on every side (a close-up): no corners to flatten to."""
    doc = generate_document("don", "photo", 3)
    photo = _decode(doc.page_files[0])
    h, w = photo.shape[:2]
    close_up = np.ascontiguousarray(photo[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4])
    assert flatten_photo(close_up) is None
    data = encode_jpeg(_rgb(cv2.imencode(".png", close_up)[1].tobytes()), 90)
    info = preflight(data, None, LIMITS)
    page, before = page_source(data, info, ON, 0), page_source(data, info, OFF, 0)
    assert page.flattened is None
    assert page.image is not None and before.image is not None and np.array_equal(page.image, before.image)


def test_a_png_card_on_a_dark_scanner_bed_is_cut_out() -> None:
    """Any image, not only a camera's: a card lying askew on a dark bed is a document to flatten."""
    quad = np.array([[300, 250], [1250, 300], [1220, 900], [280, 860]], np.float32)
    data = encode_png(_rgb(cv2.imencode(".png", _desk_photo(quad))[1].tobytes()))
    info = preflight(data, None, LIMITS)
    page = page_source(data, info, ON, 0)
    assert page.flattened is not None
    assert page.width > page.height and page.width < 1600
