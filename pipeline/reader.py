"""The one orchestrator of reading: bytes -> preflight -> pages -> lines -> kind -> fields.

Engines are built once per worker (`OcrEngines`) and only when a page needs OCR, so
born-digital PDFs never pay for loading the detector.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from functools import cached_property
from pathlib import Path

import cv2

from models.document import Box, DocumentKind, FileReading, PageText, PartReading, Rereading, TextSource
from models.kinds import CARD_ASPECT, FORM_PAGE_LINES
from pipeline.config import ReadingConfig
from pipeline.fields.classify import Part, may_carry_card_code, split_pages
from pipeline.fields.extract import extract_fields
from pipeline.layout.page import apply_layout
from pipeline.ocr.barcodes import find_codes
from pipeline.ocr.engines import TextRecognizer
from pipeline.ocr.lines import PageOcr, PageReader
from pipeline.pages.preflight import FileInfo, preflight
from pipeline.pages.sources import PageSource, iter_pages, page_source, turn_clockwise

# A person's word on the documents of a file: each document's kind and its page indexes.
FileSplit = Sequence[tuple[DocumentKind, Sequence[int]]]


class StageClock:
    """Seconds one page spent in each reading stage (`time.perf_counter`), for the metrics of
    the page pool: which stage to speed up, or to give more CPU, is read from these."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started


class OcrEngines:
    """Lazily built detector + recognizer for one worker process."""

    def __init__(self, config: ReadingConfig, cache_dir: Path) -> None:
        self.config = config
        self.cache_dir = cache_dir

    @cached_property
    def page_reader(self) -> PageReader:
        from pipeline.ocr.engines.paddle_detector import PaddleTextDetector
        from pipeline.ocr.engines.tesseract import TesseractRecognizer, mrz_recognizer

        return PageReader(
            PaddleTextDetector(self.config.detector, self.cache_dir),
            TesseractRecognizer(self.config.recognizer),
            self.config.recognizer,
            mrz_recognizer(self.config.recognizer),
        )

    @cached_property
    def second_reader(self) -> TextRecognizer | None:
        if not self.config.second_reader.enabled:
            return None
        from pipeline.ocr.engines.aster import AsterRecognizer

        return AsterRecognizer(self.config.second_reader)

    @cached_property
    def third_reader(self) -> TextRecognizer | None:
        language = self.config.second_reader.third_language
        if not self.config.second_reader.enabled or not language:
            return None
        from pipeline.ocr.engines.tesseract import TesseractRecognizer

        return TesseractRecognizer(self.config.recognizer, language=language)


def read_page(source: PageSource, engines: OcrEngines, stages: StageClock | None = None) -> PageText:
    """One page's lines (its text layer, or OCR), codes, handwriting and second readings;
    `stages` gets the seconds each stage took."""
    if source.text_lines is not None:
        # pypdfium2 already gave the lines in reading order (pipeline.ocr.order).
        return PageText(source.index, source.width, source.height, TextSource.PDF_TEXT, source.text_lines)
    assert source.image is not None
    stages = stages or StageClock()
    with stages.stage("ocr"):  # detection, orientation and recognition of the lines
        ocr = engines.page_reader.read(source.image)
    handwriting = []
    if engines.config.handwriting:
        from pipeline.ocr.handwriting import find_handwriting

        with stages.stage("handwriting"):
            rgb = cv2.cvtColor(source.image, cv2.COLOR_BGR2RGB)
            handwriting = [mark.box for mark in find_handwriting(rgb, ocr.lines, ocr.skew_degrees)]
    page = PageText(
        source.index, source.width, source.height, TextSource.OCR, ocr.lines, ocr.skew_degrees, handwriting=handwriting
    )
    with stages.stage("barcodes"):
        page.codes = find_codes(source.image, enlarge=worth_enlarging(page))
    if engines.second_reader is not None:
        with stages.stage("second_read"):
            _read_values_again(page, ocr, engines, engines.second_reader)
    if engines.config.layout:
        # After the second reading (it finds lines by their place in the OCR's order).
        with stages.stage("layout"):  # ruled tables, checkboxes, signature stamps, leaders
            page = apply_layout(page, source.image)
    return page


def worth_enlarging(page: PageText) -> bool:
    """Whether a page that shows no QR code as it is should be searched again enlarged (for a
    card's small code, `find_codes`): a page that may be a card (`may_carry_card_code`), unless
    it is a sheet of text (as many lines as a form, not card-shaped). A sheet is scanned at a
    document's resolution, where a card's code printed at its size is above the decoder's
    module size as it is; enlarging an A4 page twice costs about 0.4 s of a core."""
    long, short = max(page.width, page.height), max(min(page.width, page.height), 1)
    card_shaped = CARD_ASPECT[0] <= long / short <= CARD_ASPECT[1]
    return may_carry_card_code(page) and (card_shaped or len(page.lines) < FORM_PAGE_LINES)


def _read_values_again(page: PageText, ocr: PageOcr, engines: OcrEngines, second: TextRecognizer) -> None:
    """The values of doubtful lines read again by the second reader (and by a third where the two differ)."""
    from pipeline.ocr.second_read import doubt_unsteady, has_marked_capital, value_crop, value_starts

    for i, start in value_starts(page, engines.config.review_confidence).items():
        line_crop = ocr.crops[i]
        crop, start = value_crop(line_crop, start)
        rec = second.recognize(crop)
        line = page.lines[i]
        if line_crop.read_from is not None and has_marked_capital(line.text[start:] + rec.text):
            # Tesseract read this line from another crop: the value is read from that one too,
            # and what changes between the two is doubted (`doubt_unsteady`).
            other, _ = value_crop(line_crop.read_from, start)
            rec = doubt_unsteady(rec, second.recognize(other))
        reading = Rereading(rec.text, rec.confidence, rec.char_confidences, start)
        third = None
        if " ".join(reading.text.split()) != " ".join(line.text[start:].split()) and engines.third_reader:
            # The two differ: a third reading may side with one of them (pipeline.fields.verify).
            rec = engines.third_reader.recognize(crop)
            third = Rereading(rec.text.strip(), rec.confidence, (), start)
        page.lines[i] = replace(line, second=reading, third=third)


def read_pages(
    data: bytes,
    source: str,
    config: ReadingConfig,
    engines: OcrEngines,
    info: FileInfo | None = None,
    on_page: Callable[[PageText], None] | None = None,
) -> list[PageText]:
    """Read one file's pages; raises `InputRefused` for a file that cannot be read."""
    info = info or preflight(data, Path(source).name, config.limits, pdf_dpi=config.pdf_dpi)
    pages: list[PageText] = []
    for source_page in iter_pages(data, info, config):
        page = read_page(source_page, engines)
        pages.append(page)
        if on_page:
            on_page(page)
    return pages


def read_document(
    data: bytes,
    source: str,
    config: ReadingConfig,
    engines: OcrEngines,
    info: FileInfo | None = None,
    on_page: Callable[[PageText], None] | None = None,
    *,
    today: date,
) -> FileReading:
    """Read and interpret one file on its own; `today` is the caller's date in Vietnam time."""
    return interpret_files([(source, read_pages(data, source, config, engines, info, on_page))], config, today)[0]


def read_one_page(
    data: bytes,
    filename: str,
    index: int,
    config: ReadingConfig,
    engines: OcrEngines,
    info: FileInfo | None = None,
    rotation: int = 0,
    stages: StageClock | None = None,
) -> PageText:
    """Read page `index` of a file alone: the unit of work a worker does for a page job.
    `info` is the file's preflight result when it is known (kept at upload): no second check.
    `rotation`: clockwise degrees a reviewer turned the page by; it is read, and its boxes are,
    in the turned page's pixels. `stages` gets the seconds each stage took (`StageClock`)."""
    stages = stages or StageClock()
    if info is None:
        with stages.stage("preflight"):
            info = preflight(data, filename, config.limits, pdf_dpi=config.pdf_dpi)
    with stages.stage("render"):  # the page's picture (decoded, rasterized, turned) or text layer
        source = turned_source(page_source(data, info, config, index), rotation)
    return read_page(source, engines, stages)


def turned_source(source: PageSource, degrees: int) -> PageSource:
    """The page turned clockwise by a multiple of 90 degrees: its picture, or its text layer's
    line boxes (a born-digital page keeps its exact text)."""
    turns = (degrees // 90) % 4
    if not turns:
        return source
    width, height = (source.height, source.width) if turns % 2 else (source.width, source.height)
    image = turn_clockwise(source.image, degrees) if source.image is not None else None
    lines = source.text_lines
    if lines is not None:
        lines = [replace(line, box=turn_box(line.box, source.width, source.height, degrees)) for line in lines]
    return replace(source, width=width, height=height, image=image, text_lines=lines)


def turn_box(box: Box, width: int, height: int, degrees: int) -> Box:
    """A box on a `width` x `height` page, on the same page turned clockwise by `degrees`
    (a multiple of 90)."""
    x0, y0, x1, y1 = box
    turns = (degrees // 90) % 4
    if turns == 1:
        return (height - y1, x0, height - y0, x1)
    if turns == 2:
        return (width - x1, height - y1, width - x0, height - y0)
    if turns == 3:
        return (y0, width - x1, y1, width - x0)
    return box


def interpret_files(
    files: list[tuple[str, list[PageText]]],
    config: ReadingConfig,
    today: date,
    splits: Sequence[FileSplit | None] | None = None,
) -> list[FileReading]:
    """Documents, kinds and verified fields of a dossier's files (pure; pages may come from
    many workers). Each file is split into documents; every document's fields are checked
    against the others' (a form against the card of the same person, a card's two sides).
    `splits`, one per file: a reviewer's documents for that file, used instead of the reader's
    split (None: the reader splits it); a page with no reading is left out of its document, and
    a document left with no page is dropped.
    `today` is the caller's date in Vietnam time (never the machine's UTC date): a date after it
    is impossible."""
    from pipeline.fields import address
    from pipeline.fields.verify import PartInput, verify_parts
    from pipeline.ocr.second_read import second_fields

    forced = list(splits) if splits is not None else [None] * len(files)
    if len(forced) != len(files):
        raise ValueError("one split (or None) per file")
    split_files = [
        (source, pages, split_pages(pages) if split is None else _forced_parts(pages, split))
        for (source, pages), split in zip(files, forced, strict=True)
    ]
    inputs = []
    for _source, pages, parts in split_files:
        for part in parts:
            part_pages = [pages[i] for i in part.pages]
            read = extract_fields(part.kind, part_pages, config.review_confidence, today)
            again = second_fields(part.kind, part_pages, config.review_confidence, today)
            third = second_fields(part.kind, part_pages, config.review_confidence, today, reading="third")
            inputs.append(PartInput(part.kind, part_pages, read, again, third))
    verified = iter(
        verify_parts(
            inputs,
            review_threshold=config.review_confidence,
            ok_threshold=config.ok_confidence,
            today=today,
            places=address,
            second_threshold=config.second_reader.agree_confidence,
            qr_over_print=config.card_qr_over_print,
        )
    )
    readings = []
    for source, pages, parts in split_files:
        parts_read = [
            PartReading(part.kind, part.confidence, tuple(pages[i].index for i in part.pages), next(verified))
            for part in parts
        ]
        first = parts_read[0] if parts_read else PartReading(DocumentKind.OTHER, 0.0, ())
        readings.append(FileReading(source, first.kind, pages, first.fields, parts_read))
    return readings


def _forced_parts(pages: list[PageText], split: FileSplit) -> list[Part]:
    """A person's split of a file as the reader's `Part`s (positions in `pages`), sure of each
    kind (confidence 1: a person said so)."""
    position = {page.index: i for i, page in enumerate(pages)}
    parts = []
    for kind, indexes in split:
        held = tuple(sorted(position[i] for i in set(indexes) if i in position))
        if held:
            parts.append(Part(DocumentKind(kind), 1.0, held))
    return parts
