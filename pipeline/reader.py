"""The one orchestrator of reading: bytes -> preflight -> pages -> lines -> kind -> fields.

Engines are built once per worker (`OcrEngines`) and only when a page needs OCR, so
born-digital PDFs never pay for loading the detector.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from pathlib import Path

from models.document import DocumentKind, DocumentReading, Field, PageText, TextSource
from pipeline.classify import classify_text
from pipeline.config import ReadingConfig
from pipeline.fields import extract_fields
from pipeline.ocr import PageReader
from pipeline.preflight import FileInfo, preflight
from pipeline.sources import PageSource, iter_pages, page_source


class OcrEngines:
    """Lazily built detector + recognizer for one worker process."""

    def __init__(self, config: ReadingConfig, cache_dir: Path) -> None:
        self.config = config
        self.cache_dir = cache_dir

    @cached_property
    def page_reader(self) -> PageReader:
        from pipeline.engines.paddle_detector import PaddleTextDetector
        from pipeline.engines.tesseract import TesseractRecognizer, mrz_recognizer

        return PageReader(
            PaddleTextDetector(self.config.detector, self.cache_dir),
            TesseractRecognizer(self.config.recognizer),
            self.config.recognizer,
            mrz_recognizer(self.config.recognizer),
        )


def read_page(source: PageSource, engines: OcrEngines) -> PageText:
    if source.text_lines is not None:
        # pypdfium2 already gave the lines in reading order (pipeline.order).
        return PageText(source.index, source.width, source.height, TextSource.PDF_TEXT, source.text_lines)
    assert source.image is not None
    ocr = engines.page_reader.read(source.image)
    return PageText(source.index, source.width, source.height, TextSource.OCR, ocr.lines, ocr.skew_degrees)


def read_document(
    data: bytes,
    source: str,
    config: ReadingConfig,
    engines: OcrEngines,
    info: FileInfo | None = None,
    on_page: Callable[[PageText], None] | None = None,
) -> DocumentReading:
    """Read one file's bytes; raises `InputRefused` for a file that cannot be read."""
    info = info or preflight(data, Path(source).name, config.limits, pdf_dpi=config.pdf_dpi)
    pages: list[PageText] = []
    for page_source in iter_pages(data, info, config):
        page = read_page(page_source, engines)
        pages.append(page)
        if on_page:
            on_page(page)
    kind, fields = interpret_pages(pages, config)
    return DocumentReading(source=source, kind=kind, pages=pages, fields=fields)


def read_one_page(data: bytes, filename: str, index: int, config: ReadingConfig, engines: OcrEngines) -> PageText:
    """Read page `index` of a file alone: the unit of work a Ray worker does for a page job."""
    info = preflight(data, filename, config.limits, pdf_dpi=config.pdf_dpi)
    return read_page(page_source(data, info, config, index), engines)


def interpret_pages(pages: list[PageText], config: ReadingConfig) -> tuple[DocumentKind, dict[str, Field]]:
    """A document's kind and fields from its pages' text (pure; pages may come from many workers)."""
    kind, _score = classify_text("\n".join(p.text for p in pages))
    return kind, extract_fields(kind, pages, config.review_confidence)
