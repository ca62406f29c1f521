"""The thresholds of the live quality check, as settings (mounted as `Settings.quality`).

Every default was chosen from measurements (docs/QUALITY.md, `python -m benchmarks.quality`):
generated pages degraded at several strengths on a tuning seed, checked on a held-out seed and
on real pages nobody tuned on. The measures they apply to are described in `measure.py`.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class QualityThresholds(BaseModel):
    """Limits of the per-page quality check at upload (codes in models.quality.QualityCode)."""

    blur_min_sharpness_card: float = Field(
        0.44,
        description="BLURRED (a card) below this edge sharpness: the steepest grey step across an edge over "
        "the contrast around it, on the card at 300 dpi, in the edge direction that is blurriest.",
    )
    blur_min_sharpness_sheet: float = Field(
        0.40,
        description="BLURRED (a sheet) below this edge sharpness, measured on the sheet at 150 dpi.",
    )
    dark_max_paper: float = Field(
        80.0,
        description="TOO_DARK when the paper (90th percentile of grey, 0..255) is darker than this "
        "(our OCR still reads a page at 35 % exposure, paper near 82, and starts to lose fields at 25 %).",
    )
    bright_min_ink: float = Field(
        155.0,
        description="TOO_BRIGHT when the ink (its darkest strokes: the 10th percentile of grey under the ink, "
        "0..255) is lighter than this ...",
    )
    bright_max_contrast: float = Field(
        100.0,
        description="... and the paper stands this little above the ink (grey levels); both must hold.",
    )
    min_dpi_page: float = Field(
        90.0,
        description="LOW_RESOLUTION for a sheet (A4 assumed: 297 mm on the long side) below this many dots per inch "
        "(our OCR reads 13-pt print down to 70 dpi; 90 leaves room for 10-pt print).",
    )
    min_dpi_card: float = Field(
        140.0,
        description="LOW_RESOLUTION for an ID-1 card (85.6 mm long) below this many dots per inch: its 6-7 pt "
        "print reads at 150 dpi and loses a quarter of the fields at 120.",
    )
    max_skew_degrees: float = Field(
        12.0,
        description="SKEWED when the text lines (a photographed document: its edges) slope more than this "
        "(degrees, either way). Our OCR reads lines at any slope to 30 degrees, but field extraction on forms "
        "loses about 4 % of fields from 6 to 12 degrees and 15 % at 20.",
    )
    cut_off_min_edge_ink: float = Field(
        0.05,
        description="CUT_OFF when ink comes within half a letter height of one picture edge (a card: touches it) "
        "along this share of the edge's length; also when a card leaves the photo, or a scanned card filling the "
        "picture is no longer 85.6 x 54 mm in shape.",
    )
    blank_max_ink_share: float = Field(
        0.0015,
        description="BLANK_PAGE when ink blobs larger than specks (strokes clearly darker than the paper around "
        "them) cover less than this share of the page.",
    )
    glare_min_share: float = Field(
        0.004,
        description="GLARE when saturated, colourless blobs cover at least this share of a card (its QR code's "
        "white quiet zone left out, and not when the whole card is blown out: that is TOO_BRIGHT).",
    )
    duplicate_min_similarity: float = Field(
        0.97,
        description="DUPLICATE_PAGE, pages without numbers or QR code: when their layouts (32 x 32 ink grids) "
        "correlate at least this much.",
    )
    duplicate_min_layout: float = Field(
        0.6,
        description="DUPLICATE_PAGE, pages with numbers: their layouts must correlate at least this much ...",
    )
    duplicate_min_shared_numbers: float = Field(
        0.5,
        description="... and this share of the numbers read on either (ID, dates, document numbers) must be on both. "
        "Two cards with QR codes are the same page exactly when their QR texts are.",
    )
    read_kind: bool = Field(
        True,
        description="Read the card, or a sheet's top third, with Tesseract at 150-200 dpi to guess the document "
        "kind and to read the numbers that tell duplicates apart (about 0.1-0.25 s a page). Off: every kind is "
        "'other' and duplicates are judged on layout and QR code alone.",
    )
