"""Second, independent readings of the lines that carry field values.

A printed value read by one recognizer has nothing to be checked against unless the
dossier holds another rendering of it (the card's QR code, the date in words). A second
recognizer of an unrelated design (AsterNet beside Tesseract) reading the same line the
same way is such a check: the two make different mistakes (measured in
`benchmarks.fields`), so their agreeing, letter for letter with every tone mark, is
evidence the one alone is not.

Pure helpers: which lines of a page to read again (`value_lines`), and the fields as the
second reader read them (`second_fields`), for `pipeline.verify` to compare.
"""

from __future__ import annotations

from dataclasses import replace

from models.document import Box, DocumentKind, Field, PageText, SecondReading, TextLine, overlap
from pipeline.classify import classify_page
from pipeline.fields import extract_fields
from pipeline.ocr import looks_like_mrz

# A line belongs to a field when this share of the smaller of the two boxes overlaps.
_OVERLAP = 0.3


def _lines_of(box: Box, lines: list[TextLine]) -> list[int]:
    return [i for i, line in enumerate(lines) if max(overlap(box, line.box), overlap(line.box, box)) >= _OVERLAP]


def value_lines(page: PageText, review_threshold: float) -> list[int]:
    """Indexes of the page's lines that hold field values, by the fields the page alone
    gives (its kind guessed on its own). Machine-readable zones are left out: their
    check digits are a stronger check than a second reading."""
    kind = classify_page(page).kind
    fields = extract_fields(kind, [page], review_threshold)
    chosen = {i for f in fields.values() for i in _lines_of(f.box, page.lines)}
    return sorted(i for i in chosen if not looks_like_mrz(page.lines[i].text))


def _as_second_read(page: PageText) -> PageText:
    lines = [replace(line, text=line.second.text, confidence=line.second.confidence, second=None)
             if line.second is not None else line for line in page.lines]
    return replace(page, lines=lines)


def second_fields(kind: DocumentKind, pages: list[PageText], review_threshold: float) -> dict[str, Field]:
    """The document's fields as the second recognizer read them: only values whose every
    line was read again (a line read once would only agree with itself)."""
    if not any(line.second is not None for page in pages for line in page.lines):
        return {}
    fields = extract_fields(kind, [_as_second_read(p) for p in pages], review_threshold)
    by_index = {p.index: p for p in pages}
    out = {}
    for name, f in fields.items():
        page = by_index.get(f.page)
        own = _lines_of(f.box, page.lines) if page is not None else []
        if own and all(page.lines[i].second is not None for i in own):
            readings = [page.lines[i].second for i in own]
            out[name] = replace(f, confidence=value_confidence(f.value, readings))
    return out


def value_confidence(value: str, readings: list[SecondReading]) -> float:
    """The probability of the value's least sure character (a doubtful letter in the label
    does not make the value doubtful; one in the value does). From where the value starts on
    its first line to its end, or to the end of each line it wraps over."""
    chars: list[float] = []
    for k, reading in enumerate(readings):
        if len(reading.char_confidences) != len(reading.text):
            return reading.confidence  # no per-character figures: the line's
        start = max(reading.text.find(value[:12]), 0) if k == 0 else 0
        end = start + len(value) if len(readings) == 1 and reading.text.find(value) >= 0 else len(reading.text)
        chars.extend(c for ch, c in zip(reading.text[start:end], reading.char_confidences[start:end], strict=True)
                     if not ch.isspace())
    return min(chars, default=0.0)
