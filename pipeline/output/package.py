"""The validated digital dossier package (pure: bytes and records in, bytes and dicts out).

A package is:
- `manifest.json`: dossier metadata, components, fields with their sources, and the SHA-256
  of every file in the package;
- one searchable PDF per component: the page images with an invisible text layer
  (a born-digital PDF whose every page was read from its own text layer is already
  searchable and is passed through unchanged);
- `fields.json`: the fields alone, for systems that only want data.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from models.document import Box, PageText, TextSource
from pipeline.config import ReadingConfig
from pipeline.output.searchable_pdf import PageImage, build_searchable_pdf
from pipeline.pages.preflight import FileInfo, FileType
from pipeline.pages.sources import page_source, render_pdf_page, turn_clockwise

MANIFEST_VERSION = "sohoa-package/1"
_JPEG_QUALITY = 90


@dataclass(frozen=True, slots=True)
class PackageFile:
    name: str
    data: bytes  # as stored: a PDF signed
    media_type: str
    signature: dict | None = None  # a signed PDF's record (intake/signing.py SignatureRecord)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def describe(self) -> dict:
        described = {"name": self.name, "sha256": self.sha256, "size": len(self.data), "media_type": self.media_type}
        return described if self.signature is None else described | {"signature": self.signature}


def _jpeg(bgr: np.ndarray) -> bytes:
    ok, encoded = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, _JPEG_QUALITY])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return encoded.tobytes()


def _usable_as_is(original: bytes, file_type: FileType) -> bool:
    """A single JPEG/PNG page goes to the PDF builder as it came (which turns EXIF-rotated ones)."""
    if file_type not in (FileType.JPEG, FileType.PNG):
        return False
    with Image.open(io.BytesIO(original)) as im:
        return im.mode in ("RGB", "L", "1", "P", "RGBA")


def _turned(rotations: Mapping[int, int] | None) -> dict[int, int]:
    return {index: degrees % 360 for index, degrees in (rotations or {}).items() if degrees % 360}


def passes_through(info: FileInfo, pages: list[PageText], rotations: Mapping[int, int] | None = None) -> bool:
    """Whether `searchable_pdf` gives the original back: a born-digital PDF, every page read from
    its own text layer, none turned (such a file is not made here, so it is not claimed PDF/A)."""
    return (
        info.file_type is FileType.PDF
        and not _turned(rotations)
        and all(p.text_source == TextSource.PDF_TEXT for p in pages)
    )


def searchable_pdf(
    original: bytes,
    info: FileInfo,
    pages: list[PageText],
    config: ReadingConfig,
    title: str | None = None,
    rotations: Mapping[int, int] | None = None,
    pdfa: bool = True,
) -> bytes:
    """One component's searchable PDF, with the OCR text of `pages` laid invisibly over the images
    (PDF/A-2b with `pdfa`). `info` is the file's preflight result, kept from its upload (the file
    is not checked again). `rotations`: clockwise degrees by page index, for pages a reviewer
    turned (their readings are in the turned page's pixels, and so is their picture here)."""
    if passes_through(info, pages, rotations):
        return original
    rotations = _turned(rotations)
    pages = sorted(pages, key=lambda p: p.index)
    images = []
    for page in pages:
        turn = rotations.get(page.index, 0)
        if info.file_type is FileType.PDF:
            # Lines (from OCR or the text layer) are in pixels of this same rendering.
            image = turn_clockwise(render_pdf_page(original, page.index, config.pdf_dpi), turn)
            images.append(PageImage(_jpeg(image), page, float(config.pdf_dpi)))
            continue
        source = page_source(original, info, config, page.index)
        assert source.image is not None  # an image file's page is always decoded pixels
        dpi = source.dpi or 300.0
        # A flattened photo's lines lie on the flattened page: never the photo as it came.
        if info.page_count == 1 and not turn and source.flattened is None and _usable_as_is(original, info.file_type):
            images.append(PageImage(original, page, dpi))
        else:
            images.append(PageImage(_jpeg(turn_clockwise(source.image, turn)), page, dpi))
    return build_searchable_pdf(images, title=title, pdfa=pdfa)


def page_jpeg(
    original: bytes,
    info: FileInfo,
    index: int,
    config: ReadingConfig,
    crop: Box | None = None,
    rotation: int = 0,
) -> bytes:
    """One page as a JPEG in the pixel frame of its lines' and fields' boxes (reviewer screens);
    with `crop`, only that box and a margin of about one text line around it (a field's crop).
    `info` is the file's preflight result, kept from its upload; `rotation`: clockwise degrees
    a reviewer turned the page by (its boxes are in the turned page's pixels)."""
    if info.file_type is FileType.PDF:
        image = render_pdf_page(original, index, config.pdf_dpi)
    else:
        source = page_source(original, info, config, index)
        assert source.image is not None  # an image file's page is always decoded pixels
        image = source.image
    image = turn_clockwise(image, rotation)
    if crop is not None:
        x0, y0, x1, y1 = crop
        margin = max(8, (y1 - y0) // 2)
        h, w = image.shape[:2]
        image = image[max(0, y0 - margin) : min(h, y1 + margin), max(0, x0 - margin) : min(w, x1 + margin)]
    return _jpeg(image)


def build_manifest(dossier: dict, components: list[dict], files: list[PackageFile], generated_at: str) -> dict:
    """The manifest: what the package holds and how to check it (SHA-256 per file)."""
    return {
        "manifest_version": MANIFEST_VERSION,
        "generated_at": generated_at,
        "dossier": dossier,
        "components": components,
        "files": [f.describe() for f in files],
    }
