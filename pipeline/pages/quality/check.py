"""The live quality check of one uploaded file: one `PageCheck` per page, in well under a second.

For each page: find the document in the picture, decide card or sheet (shape, QR code, text
size), straighten it onto the canonical grid, take the measures, compare them with the
thresholds, guess the kind, and fingerprint it. DUPLICATE_PAGE is the caller's to set, across
the dossier, with `is_duplicate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from models.document import Barcode, DocumentKind
from models.quality import QualityCode
from pipeline.ocr.barcodes import find_codes
from pipeline.pages.preflight import FileInfo
from pipeline.pages.quality import measure as m
from pipeline.pages.quality.fingerprint import fingerprint, same_qr, shared_numbers, similarity
from pipeline.pages.quality.kind import guess_kind
from pipeline.pages.quality.load import WorkPage, load_pages
from pipeline.pages.quality.settings import QualityThresholds
from pipeline.pages.sources import turn_clockwise

_CARD_KINDS = frozenset(
    {
        DocumentKind.CCCD_FRONT,
        DocumentKind.CCCD_BACK,
        DocumentKind.CAN_CUOC_FRONT,
        DocumentKind.CAN_CUOC_BACK,
        DocumentKind.CMND_FRONT,
    }
)
# A scan's frame is the paper: ID-1 is 1.585 long to short, A4 1.414.
_SCAN_CARD_ASPECT = (1.50, 1.70)
_SCAN_SHEET_ASPECT = (1.30, 1.50)
# Letter height over the document's short side, where the shape does not tell: 0.022-0.049
# on the generated cards, 0.015-0.025 on sheets (photos: their quad can be a little off).
_SCAN_CARD_TEXT = 0.026
_PHOTO_CARD_TEXT = 0.030
# A card cut by a scanner's crop is no longer 85.6 x 54 mm: this far off, it lost a side.
_CARD_ASPECT_CUT = (1.45, 1.75)
_GLARE_MAX = 0.5  # a "card" half white is a sheet of paper, not a reflection
_GLARE_MAX_MEDIAN = 245.0  # a card mostly blown out is overexposed (TOO_BRIGHT), not reflecting a lamp


@dataclass(frozen=True)
class PageCheck:
    index: int  # page index within the file (0-based)
    codes: tuple[QualityCode, ...]  # warnings, in QualityCode order; DUPLICATE_PAGE is set by the caller
    measures: dict[str, float]  # what the codes were decided on (see docs/QUALITY.md)
    fingerprint: str  # hex perceptual fingerprint, for `is_duplicate`
    likely_kind: str  # models.document.DocumentKind value; "other" when not placed
    kind_confidence: float  # 0..1
    qr_text: str | None  # the text of a QR code on the page (a CCCD / căn cước card's)


def check_file(data: bytes, info: FileInfo, thresholds: QualityThresholds, *, rotation: int = 0) -> list[PageCheck]:
    """Check every page of a file that passed `preflight`; `rotation` (clockwise degrees, a
    multiple of 90) is applied to each page first."""
    if rotation % 90:
        raise ValueError("rotation must be a multiple of 90 degrees")
    return [check_page(page, thresholds, rotation) for page in load_pages(data, info)]


def is_duplicate(a: str, b: str, thresholds: QualityThresholds) -> bool:
    """Whether two page fingerprints are the same page scanned again.

    Two cards with QR codes are the same card side when their QR texts are; two pages with
    numbers on them (an ID number, a date, a document number) when their layouts agree and
    they share most numbers; other pages when their layouts agree closely."""
    qr = same_qr(a, b)
    if qr is not None:
        return qr
    layout = similarity(a, b)
    shared = shared_numbers(a, b)
    if shared is not None:
        return layout >= thresholds.duplicate_min_layout and shared >= thresholds.duplicate_min_shared_numbers
    return layout >= thresholds.duplicate_min_similarity


@dataclass
class _Doc:
    """The document on its canonical grid, with the measures every check starts from."""

    card: bool
    image: np.ndarray  # BGR
    grey: np.ndarray
    paper: float
    ink_level: float
    noise: float
    ink: np.ndarray  # uint8 0/1

    @classmethod
    def take(cls, image: np.ndarray, region: m.Region, card: bool) -> _Doc:
        doc = m.straighten(image, region, card)
        grey = cv2.cvtColor(doc, cv2.COLOR_BGR2GRAY)
        paper = m.exposure(grey)
        noise = m.noise_level(grey)
        ink = m.ink_mask(grey, paper, noise)
        if region.paper is not None and not region.rectified:
            # An upright box around a document that runs out of the photo holds desk in its corners.
            k = max(3, round(0.03 * max(grey.shape)))
            on_paper = m.straighten(cv2.erode(region.paper, np.ones((k, k), np.uint8)), region, card)
            ink &= (on_paper > 127).astype(np.uint8)
        return cls(card, doc, grey, paper, m.ink_level(grey, ink), noise, ink)

    @cached_property
    def blobs(self) -> m.Blobs:
        return m.Blobs.of(self.ink)

    @property
    def text_share(self) -> float:
        return self.blobs.text_height() / max(min(self.grey.shape), 1)


def check_page(page: WorkPage, t: QualityThresholds, rotation: int = 0) -> PageCheck:
    image = turn_clockwise(page.image, rotation)
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    region = m.locate(grey)
    photo = region.quad is not None
    codes = find_codes(image, enlarge=photo or m.CARD_ASPECT[0] <= region.aspect <= m.CARD_ASPECT[1])
    qr_text = codes[0].text if codes else None
    qr_card = _is_card_payload(qr_text)

    # Card or sheet: a card's QR code says so; a scan's frame has the paper's own shape (once
    # its skew is taken out); a photo's perspective hides the shape, but a card's letters are
    # two to three times larger against its size than a sheet's.
    doc = _Doc.take(image, region, qr_card or (not photo and m.CARD_ASPECT[0] <= region.aspect <= m.CARD_ASPECT[1]))
    skew = region.angle if region.rectified else m.skew_angle(doc.ink)
    aspect = region.aspect if photo else m.unrotated_aspect(grey.shape[1], grey.shape[0], skew)
    if qr_card:
        card = True
    elif not photo and _SCAN_CARD_ASPECT[0] <= aspect <= _SCAN_CARD_ASPECT[1]:
        card = True
    elif not photo and _SCAN_SHEET_ASPECT[0] <= aspect < _SCAN_SHEET_ASPECT[1]:
        card = False
    else:
        card = doc.text_share >= (_PHOTO_CARD_TEXT if photo else _SCAN_CARD_TEXT)
    if card != doc.card:
        doc = _Doc.take(image, region, card)

    kind, confidence, text = guess_kind(doc.grey, doc.card, codes, t.read_kind)
    if (kind in _CARD_KINDS) != doc.card and kind != DocumentKind.OTHER and not qr_card:
        doc = _Doc.take(image, region, not doc.card)  # the words outrank the shape
    card = doc.card

    text_h = doc.blobs.text_height()
    # Ink this close to an edge was cut, or nearly: half a letter on a sheet (whose margins are
    # 15-30 mm), but only touching on a card, whose print runs to 1 mm of its edge.
    band = 2.0 if card else max(2.0, 0.5 * text_h)
    edge = doc.blobs.edge_ink(band=band, min_size=max(3.0, 0.4 * text_h))
    if region.paper is not None:
        # In a photo, content is cut only where ink on the paper meets the picture's edge.
        paper = m.exposure(grey)
        on_paper = m.ink_mask(grey, paper, m.noise_level(grey)) & (region.paper > 0).astype(np.uint8)
        scale = 1 / max(m.canonical_size(region, card)[2], 1e-3)  # working px per canonical px
        edge = m.Blobs.of(on_paper).edge_ink(band=band * scale, min_size=max(3.0, 0.4 * text_h * scale))
    dpi = page.dpi if page.dpi and not photo else m.effective_dpi(region.long_px * page.scale, card)
    glare = m.glare_share(doc.image, _qr_box(codes, region, doc.image, image.shape[1])) if card else 0.0
    measures = {
        "paper": doc.paper,
        "ink": doc.ink_level,
        "median": m.median_level(doc.grey),
        "noise": round(doc.noise, 2),
        "ink_share": round(doc.blobs.content_share(), 5),
        "sharpness": round(m.sharpness(doc.grey, doc.paper, doc.ink_level), 4),
        "skew_degrees": round(float(skew), 2),
        "edge_ink": round(edge, 4),
        "dpi": round(float(dpi), 1),
        "glare": round(glare, 5),
        "text_height": text_h,
        "text_share": round(doc.text_share, 4),
        "aspect": round(float(aspect), 3),
        "card": float(card),
        "photo": float(photo),
        "touches_frame": float(region.touches_frame),
        "vector": float(page.vector),
    }
    return PageCheck(
        page.index,
        decide(measures, t),
        measures,
        fingerprint(doc.ink, 0.0 if region.rectified else skew, text, qr_text),
        str(kind),
        float(confidence),
        qr_text,
    )


def decide(x: dict[str, float], t: QualityThresholds) -> tuple[QualityCode, ...]:
    """The warnings a page's measures call for (DUPLICATE_PAGE aside)."""
    if x["ink_share"] < t.blank_max_ink_share:
        # Nothing else about an empty page is worth saying; an empty black one is a dark picture.
        return (QualityCode.TOO_DARK,) if x["paper"] < t.dark_max_paper else (QualityCode.BLANK_PAGE,)
    card, photo, vector = x["card"] > 0, x["photo"] > 0, x["vector"] > 0
    found = set()
    if not vector and x["sharpness"] < (t.blur_min_sharpness_card if card else t.blur_min_sharpness_sheet):
        found.add(QualityCode.BLURRED)
    if x["paper"] < t.dark_max_paper:
        found.add(QualityCode.TOO_DARK)
    if x["ink"] > t.bright_min_ink and x["paper"] - x["ink"] < t.bright_max_contrast:
        found.add(QualityCode.TOO_BRIGHT)
    if not vector and x["dpi"] < (t.min_dpi_card if card else t.min_dpi_page):
        found.add(QualityCode.LOW_RESOLUTION)
    if abs(x["skew_degrees"]) > t.max_skew_degrees:
        found.add(QualityCode.SKEWED)
    content_cut = x["edge_ink"] >= t.cut_off_min_edge_ink
    if photo:
        # A card must be whole in the picture; a sheet's content must not meet the picture's edge.
        cut = (card and x["touches_frame"] > 0) or content_cut
    else:
        # A scanned card that fills the picture but is not 85.6 x 54 mm lost a side.
        cut = content_cut or (card and not _CARD_ASPECT_CUT[0] <= x["aspect"] <= _CARD_ASPECT_CUT[1])
    if cut:
        found.add(QualityCode.CUT_OFF)
    # A reflection is a patch; a card white all over is overexposed (TOO_BRIGHT says so).
    if card and t.glare_min_share <= x["glare"] <= _GLARE_MAX and x["median"] < _GLARE_MAX_MEDIAN:
        found.add(QualityCode.GLARE)
    return tuple(code for code in QualityCode if code in found)


def _is_card_payload(text: str | None) -> bool:
    """A CCCD / căn cước QR: `12 digits|...|name|DDMMYYYY|...` (at least 6 fields)."""
    if not text:
        return False
    fields = text.split("|")
    return len(fields) >= 6 and len(fields[0]) == 12 and fields[0].isdigit()


def _qr_box(
    codes: list[Barcode], region: m.Region, doc: np.ndarray, image_width: int
) -> tuple[int, int, int, int] | None:
    """The QR code's box (with its quiet zone) on the straightened document, roughly."""
    if not codes:
        return None
    x0, y0, x1, y1 = codes[0].box
    if region.quad is not None:
        h, w = doc.shape[:2]
        matrix = cv2.getPerspectiveTransform(region.quad, np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32))
        pts = cv2.perspectiveTransform(np.array([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]], np.float32), matrix)[0]
        x0, y0 = pts.min(axis=0)
        x1, y1 = pts.max(axis=0)
    else:
        f = doc.shape[1] / max(image_width, 1)
        x0, y0, x1, y1 = x0 * f, y0 * f, x1 * f, y1 * f
    pad = 0.15 * (x1 - x0)
    return int(x0 - pad), int(y0 - pad), int(x1 + pad), int(y1 + pad)
