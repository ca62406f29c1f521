"""Second, independent readings of the lines that carry field values.

A printed value read by one recognizer has nothing to be checked against unless the
dossier holds another rendering of it (the card's QR code, the date in words). A second
recognizer of an unrelated design (AsterNet beside Tesseract) reading the same line the
same way is such a check: the two make different mistakes (measured in
`benchmarks.fields`), so their agreeing, letter for letter with every tone mark, is
evidence the one alone is not.

Pure helpers: which lines of a page to read again and from where (`value_starts`), the
part of a line's crop that holds them (`value_crop`), and the fields as the second reader
read them (`second_fields`), for `pipeline.fields.verify` to compare. Only the values are read
again, not the labels before them: the time the second reader takes grows with the width
it reads, and a label is not what is being checked.
"""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import date
from difflib import SequenceMatcher

import cv2
import numpy as np

from models.document import Box, DocumentKind, Field, PageText, Rereading, TextLine, overlap
from pipeline.fields.classify import classify_page
from pipeline.fields.extract import extract_fields
from pipeline.ocr.engines import Recognition
from pipeline.ocr.lines import LineCrop, looks_like_mrz

# A line belongs to a field when this share of the smaller of the two boxes overlaps. A
# field's box is made of its lines' boxes (whole, or a part of one), so its own lines overlap
# it wholly; on small print the detector's boxes of neighbouring lines overlap by a third or
# more (a card's label line above its value), and a label read by the second reader is not
# what is checked.
_OVERLAP = 0.6


def _lines_of(box: Box, lines: list[TextLine]) -> list[int]:
    return [i for i, line in enumerate(lines) if max(overlap(box, line.box), overlap(line.box, box)) >= _OVERLAP]


def _start_in(line: TextLine, f: Field) -> int:
    """Where the value starts in the line's text: the value's opening as read, else where the
    field's box starts (a share of the line's width by characters, `pipeline.fields.extract`). A value
    wrapped from the line above starts at the margin, which gives 0. Either way, an index
    too early only means more of the line is read again."""
    text, (x0, _, x1, _) = line.text, line.box
    # `_sub_box` rounds the left edge down, by less than a pixel: round the index back up.
    start = 0 if f.box[0] <= x0 or x1 <= x0 else min(len(text), -(-(f.box[0] - x0) * len(text) // (x1 - x0)))
    found = text.find(f.value[:12], start) if f.value else -1
    if found >= 0:
        return found
    while start < len(text) and text[start].isspace():
        start += 1
    return start


def value_starts(page: PageText, review_threshold: float) -> dict[int, int]:
    """The page's lines that hold field values (by the fields the page alone gives, its kind
    guessed on its own), each with the index in its text where its first value starts.
    Left out: machine-readable zones (their check digits are a stronger check than a second
    reading) and lines read below `review_threshold` (their values go to review however the
    second reader reads them)."""
    kind = classify_page(page).kind
    # Only where the values lie matters here, not their status: no date bounds them.
    fields = extract_fields(kind, [page], review_threshold, today=date.max)
    starts: dict[int, int] = {}
    for f in fields.values():
        own = _lines_of(f.box, page.lines)
        for i in own:
            start = _start_in(page.lines[i], f) if i == own[0] else 0
            starts[i] = min(start, starts.get(i, start))
    return {
        i: s
        for i, s in sorted(starts.items())
        if page.lines[i].confidence >= review_threshold and not looks_like_mrz(page.lines[i].text)
    }


def value_crop(line: LineCrop, start: int) -> tuple[np.ndarray, int]:
    """The part of a line's crop from the word where its value starts (`start`, an index in the
    first reading), and that word's index in the reading; the whole crop and 0 where the words'
    places are unknown or the value starts the line. Cut in the gap before the word, with a
    little paper added on the cut side, as the second reader expects around a line."""
    crop, words = line.image, line.words
    k = sum(1 for w in words if w[0] <= start) - 1  # the word the start lies in (words are in order)
    if k <= 0:
        return crop, 0
    char_start, x0, _ = words[k]
    previous_end = words[k - 1][2]
    cut = max(previous_end, x0 - crop.shape[0] // 4) if previous_end < x0 else x0
    if cut <= 0 or cut >= crop.shape[1]:
        return crop, 0
    pad = crop.shape[0] // 3
    return cv2.copyMakeBorder(crop[:, cut:], 0, 0, pad, 0, cv2.BORDER_REPLICATE), char_start


def _as_read_by(page: PageText, reading: str) -> PageText:
    """The page as the second (or third) recognizer read it. For the third: a line it did not
    read is one the first two read alike, so their text."""
    lines = []
    for line in page.lines:
        again = getattr(line, reading)
        if again is not None:
            line = replace(line, text=again.joined(line.text), confidence=again.confidence)
        lines.append(replace(line, second=None, third=None))
    return replace(page, lines=lines)


def second_fields(
    kind: DocumentKind, pages: list[PageText], review_threshold: float, today: date, reading: str = "second"
) -> dict[str, Field]:
    """The document's fields as the second recognizer (`reading="third"`: the third) read
    them: only values whose every line was read again (a line read once would only agree
    with itself); for the third, values it read at least a line of."""
    if not any(getattr(line, reading) is not None for page in pages for line in page.lines):
        return {}
    fields = extract_fields(kind, [_as_read_by(p, reading) for p in pages], review_threshold, today)
    by_index = {p.index: p for p in pages}
    out = {}
    for name, f in fields.items():
        page = by_index.get(f.page)
        own = [page.lines[i] for i in _lines_of(f.box, page.lines)] if page is not None else []
        if not own or not all(line.second is not None for line in own):
            continue
        readings = [getattr(line, reading) for line in own if getattr(line, reading) is not None]
        if readings:
            out[name] = replace(f, confidence=value_confidence(f.value, readings))
    return out


def value_confidence(value: str, readings: list[Rereading]) -> float:
    """The probability of the value's least sure character (a doubtful letter in the label
    does not make the value doubtful; one in the value does). From where the value starts on
    its first line to its end, or to the end of each line it wraps over."""
    chars: list[float] = []
    for k, reading in enumerate(readings):
        if len(reading.char_confidences) != len(reading.text):
            return reading.confidence  # no per-character figures: the line's
        start = max(reading.text.find(value[:12]), 0) if k == 0 else 0
        end = start + len(value) if len(readings) == 1 and reading.text.find(value) >= 0 else len(reading.text)
        chars.extend(
            c
            for ch, c in zip(reading.text[start:end], reading.char_confidences[start:end], strict=True)
            if not ch.isspace()
        )
    return min(chars, default=0.0)


def has_marked_capital(text: str) -> bool:
    """A capital letter carrying a mark (Ễ, Ủ, Ấ). Over a capital a font squeezes its marks,
    stacked ones most, into the little room above the cap height: the smallest marks of a
    line, which two recognizers can lose alike."""
    return any(c.isupper() and len(unicodedata.normalize("NFD", c)) > 1 for c in text)


def doubt_unsteady(reading: Recognition, other: Recognition) -> Recognition:
    """`reading` with no confidence left in the characters that `other`, the same recognizer's
    reading of another crop of the same value, reads differently: a letter that changes with
    the crop is a guess, however sure the network was of either."""
    if len(reading.char_confidences) != len(reading.text):
        return reading
    confidences = list(reading.char_confidences)
    for op, a0, a1, _, _ in SequenceMatcher(None, reading.text, other.text, autojunk=False).get_opcodes():
        if op != "equal":
            for k in range(a0, max(a1, a0 + 1)):
                if k < len(confidences):
                    confidences[k] = 0.0
    return replace(reading, confidence=min(confidences, default=0.0), char_confidences=tuple(confidences))
