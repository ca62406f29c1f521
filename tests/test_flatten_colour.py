"""A document told from its desk by colour, outlines checked against the picture's edges, and the
harder phone photos of samples.photos (clutter, small in frame, turned, glare)."""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.config import InputLimits, ReadingConfig
from pipeline.pages.flatten import CARD_SIZE, edge_support, flatten_photo, locate
from pipeline.pages.preflight import preflight
from pipeline.pages.sources import page_source
from samples.photos import varied_document

ON = ReadingConfig(flatten_photos=True)


def _wood_with_card(quad: np.ndarray, size: tuple[int, int] = (1600, 1200)) -> np.ndarray:
    """A cream card with dark text bars on wood whose light streaks are as bright as the card."""
    w, h = size
    yy = np.arange(h, dtype=np.float32)[:, None]
    streak = (np.sin(yy / 9.0) + 1) / 2  # 0..1, across the whole width
    base = np.array([150, 200, 235], np.float32)  # BGR: pale wood
    desk = base * (0.6 + 0.5 * streak[..., None])  # light streaks as bright as the card
    desk = np.clip(np.broadcast_to(desk, (h, w, 3)), 0, 255).astype(np.uint8).copy()
    card = np.full((638, 1012, 3), (222, 228, 230), np.uint8)
    for y in range(120, 560, 70):
        cv2.rectangle(card, (300, y), (900, y + 22), (50, 50, 50), -1)
    src = np.array([[0, 0], [1012, 0], [1012, 638], [0, 638]], np.float32)
    matrix = cv2.getPerspectiveTransform(src, quad.astype(np.float32))
    return cv2.warpPerspective(card, matrix, size, dst=desk, borderMode=cv2.BORDER_TRANSPARENT)


QUAD = np.array([[300, 330], [1240, 200], [1310, 790], [370, 900]], np.float32)  # turned ~8 degrees


def _lab(image: np.ndarray) -> tuple[np.ndarray, float]:
    h, w = image.shape[:2]
    g = 640 / max(h, w)
    small = cv2.resize(image, (round(w * g), round(h * g)), interpolation=cv2.INTER_AREA)
    return cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_BGR2LAB).astype(np.float32), (0, 0), 1.5), g


def test_a_card_on_wood_as_bright_as_itself_is_found_by_colour() -> None:
    photo = _wood_with_card(QUAD)
    found = locate(photo)
    assert found is not None
    assert float(np.abs(found - QUAD).max()) < 5, found
    flat = flatten_photo(photo)  # bars, not letters: flattened as a landscape sheet, not a card
    assert flat is not None and flat.image.shape[1] > flat.image.shape[0]
    assert float(np.abs(flat.quad - QUAD).max()) < 5


def test_an_outline_cutting_through_the_document_has_no_edge_support() -> None:
    photo = _wood_with_card(QUAD)
    lab, g = _lab(photo)
    assert edge_support(lab, QUAD * g) >= 0.9
    cut = QUAD.copy()
    cut[2] = (QUAD[2] + QUAD[3]) / 2  # a side running diagonally through the card
    assert edge_support(lab, cut * g) < 0.5, edge_support(lab, cut * g)
    wide = QUAD + np.array([[-60, -60], [60, -60], [60, 60], [-60, 60]], np.float32)  # desk all round
    assert edge_support(lab, wide * g) < 0.5


def test_a_plain_desk_or_a_flat_grey_picture_yields_no_outline() -> None:
    grey = np.full((1200, 1600, 3), 128, np.uint8)
    assert locate(grey) is None and flatten_photo(grey) is None
    noise = np.random.default_rng(3).integers(0, 255, (1200, 1600, 3), dtype=np.uint8)
    assert flatten_photo(noise) is None


def test_varied_photos_are_seeded_and_vary() -> None:
    a = varied_document("cccd_front", 5)
    assert a.data == varied_document("cccd_front", 5).data
    sizes = set()
    for seed in range(4):
        photo = varied_document("cccd_front", seed)
        image = cv2.imdecode(np.frombuffer(photo.data, np.uint8), cv2.IMREAD_COLOR)
        sizes.add(image.shape[:2])
        assert photo.truth["kind"] == "cccd_front"
    assert len({varied_document("can_cuoc_front", s).data for s in range(3)}) == 3
    assert sizes <= {(1200, 1600), (1536, 2048)}


def test_a_varied_card_photo_found_is_flattened_to_the_card_grid_and_never_cut_wrong() -> None:
    """Wherever an outline is accepted on the varied photos, it is the card's own outline:
    its four corners lie near the card's true corners (never a quad through the card)."""
    found = 0
    for seed in range(6):
        photo = varied_document("cccd_front", seed)
        info = preflight(photo.data, "card.jpg", InputLimits())
        page = page_source(photo.data, info, ON, 0)
        if page.flattened is None:
            continue
        found += 1
        assert (page.width, page.height) == CARD_SIZE
        quad = page.flattened.quad
        sides = np.linalg.norm(np.roll(quad, -1, axis=0) - quad, axis=1)
        assert sides.max() / sides.min() < 2.2  # a card's outline, not a sliver of it
    assert found >= 2
