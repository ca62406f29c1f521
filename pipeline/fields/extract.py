"""First fields from read lines: CCCD front and "Nhãn: giá trị" pairs on forms.

Pure functions over `PageText`. Labels are matched diacritic- and case-insensitively
(`fold`); values keep exactly what was read (NFC, tone marks). Statuses here are the
first, single-source ones: `ok` needs a value that passes its type check *and* a
confident read; issue-4 cross-checks (QR, MRZ) refine them later.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np
from rapidfuzz import fuzz

from models.document import Box, DocumentKind, Field, FieldStatus, PageText, TextLine
from models.fields import CONTINUING_WORDS, FIELD_SPECS, ValueType, field_spec
from models.kinds import OFFICIAL_KINDS, RULES_BY_KIND, Layout
from pipeline.fields.values import DATE, typed_value
from pipeline.layout.leaders import NOTE_DIGITS, without_note_marks
from pipeline.ocr.geometry import LevelBox, Levelling
from pipeline.text import fold, fold_in_place, nfc, slugify

_DIGIT_RUN = re.compile(r"(?<![\dA-Za-z<])(\d[\d .]{7,16}\d)(?![\dA-Za-z<])")
_NUMBERING = re.compile(r"^\s*(?:\d{1,2}|[a-zđ]|[IVX]{1,4})[.)]\s*", re.IGNORECASE)
_LEADERS = re.compile(r"[.…_·]{2,}")
_TRAILING_NUMBER = re.compile(r"\s+(?:\d{1,2}|[a-zđ])[.)]$")  # "... 3." before the next numbered label
# Bilingual card captions: "Họ và tên / Full name:" -> the Vietnamese part.
_BILINGUAL = re.compile(r"\s*[/|]\s*[A-Za-z][A-Za-z ,.'-]*$")

# Labels, Vietnamese before English (a bilingual caption "Nơi cư trú / Place of residence"
# names its field in Vietnamese), then longest first, so "Ngày, tháng, năm sinh" wins over
# "Ngày, tháng, năm".
_LABELS: list[tuple[str, str]] = [
    (fold(label), spec.name)
    for spec, label in sorted(
        ((spec, label) for spec in FIELD_SPECS for label in spec.labels),
        key=lambda pair: (pair[1].isascii(), -len(fold(pair[1]))),
    )
]
_CARD_ONLY_LABELS = {"so", "no"}  # too short to trust on free-form pages
# A card's English captions ("Nationality", not "Sex") as letters: misread, they head values.
_CAPTIONS = [
    c for s in FIELD_SPECS for lb in s.labels if lb.isascii() and len(c := re.sub(r"[^a-z]", "", fold(lb))) >= 5
]
_CAPTION_REST = re.compile(r"[/|]\s*[A-Za-z][^/|:]*:\s*$")  # "... / English caption:" ending a line
_CAPTION_SCORE = (72.0, 84.0)  # letters alike enough: before a colon or alone, and otherwise


@dataclass(frozen=True, slots=True)
class Candidate:
    name: str
    value: str
    page: int
    box: Box
    confidence: float  # the lowest of the lines the value was read from
    free_text: bool = False  # may wrap onto the next lines
    open_end: bool = False  # the text seems to go on past what was taken (cut at a wrap)


def _candidate(name: str, line: TextLine, start: int, end: int, page: int) -> Candidate:
    spec = field_spec(name)
    free = spec is None or spec.value_type == ValueType.TEXT
    return Candidate(name, _clean_value(line.text[start:end]), page, _sub_box(line, start, end), line.confidence, free)


def without_caption(text: str) -> str:
    """A card value without the English caption heading it ("Natlonalit Việt Nam"); "" for one alone."""
    words = list(re.finditer(r"\S+", text))
    end, best = 0, 0.0
    for k, word in enumerate(words[:4]):
        letters = re.sub(r"[^a-z]", "", fold(text[: word.end()]).lower())
        colon, last = word.group().endswith((":", ";")), k + 1 == len(words)
        score = max(fuzz.ratio(letters, caption) for caption in _CAPTIONS) if len(letters) >= 5 else 0.0
        if score >= _CAPTION_SCORE[0 if colon or last else 1] and score > best:
            end, best = word.end(), score
        if colon:
            break  # a caption ends at its colon
    return text[end:].lstrip(" :;")


def _lone_caption(line: TextLine) -> bool:
    """A misread English caption on a line of its own ("Fuil name"; one read right is a label)."""
    return not without_caption(line.text) and not find_labels(line.text, True)


def _sub_box(line: TextLine, start: int, end: int) -> Box:
    """Box of characters [start, end) of a line, by proportion of its width."""
    x0, y0, x1, y1 = line.box
    n = max(len(line.text), 1)
    width = x1 - x0
    return (x0 + int(width * start / n), y0, x0 + int(round(width * end / n)), y1)


def _clean_value(text: str) -> str:
    # A value that ends its sentence ("..., tỉnh Bình Định.") does not own the full stop; a
    # template's note marks (a blank slot's `…⁷…`) are no part of it.
    text = without_note_marks(_LEADERS.sub(" ", text))
    return _TRAILING_NUMBER.sub("", nfc(text)).strip(" :;,-").removesuffix(".").rstrip(" ,")


# --------------------------------------------------------------------------- values


def _status(valid: bool | None, confidence: float, threshold: float) -> FieldStatus:
    if valid is False:
        return FieldStatus.INVALID
    if confidence < threshold:
        return FieldStatus.NEEDS_REVIEW
    # A free-text value has no rule to check it: a confident single read is still
    # only "ok" if it is not empty; cross-source agreement comes with issue 4.
    return FieldStatus.OK


def make_field(cand: Candidate, threshold: float) -> Field | None:
    spec = field_spec(cand.name)
    value, valid = typed_value(spec.value_type, cand.value) if spec else (cand.value, None)
    if not value:
        return None
    return Field(
        value=value,
        confidence=cand.confidence,
        page=cand.page,
        box=cand.box,
        status=_status(valid, cand.confidence, threshold),
        detail={"may_continue": True} if cand.open_end else None,
    )


# --------------------------------------------------------------------------- labels


# After a label: optional English caption behind a separator ("Họ và tên / Full name:"),
# tolerating the separator as OCR misreads it ('|', 'I', 'í', '['), then the colon (at the
# end of a caption line, a colon misread as '.' or ';', or lost, is accepted).
_LABEL_TAIL = re.compile(r"\s*(?:[/|\\il\[(!]\s*[a-z][^:]{0,25}?)?(?::|[.;]?\s*$)")
_CARD_LEADER = re.compile(r"[.…:\s]*\s(?=\S)")
_NOTES_AS_SPACES = str.maketrans(NOTE_DIGITS, " " * len(NOTE_DIGITS))
_FUZZY_LABEL_MIN = 6  # shorter labels only match exactly
_FUZZY_LABEL_SCORE = 85.0  # ~one wrong letter in seven


@functools.cache
def _label_pattern(label: str) -> re.Pattern[str]:
    return re.compile(r"(?<![a-z0-9])" + re.escape(label) + r"(?![a-z0-9])")


def _label_spans(label: str, folded: str, fuzzy: bool) -> list[tuple[int, int]]:
    # An exact label is a plain substring of the folded line: most lines hold few labels.
    spans = [m.span() for m in _label_pattern(label).finditer(folded)] if label in folded else []
    if not spans and fuzzy and len(label) >= _FUZZY_LABEL_MIN:
        # A misread caption ("to và tên" for "Họ và tên") still marks where a value is.
        hit = fuzz.partial_ratio_alignment(label, folded, score_cutoff=_FUZZY_LABEL_SCORE)
        if hit is not None and hit.dest_end - hit.dest_start >= len(label) - 2:
            spans = [(hit.dest_start, hit.dest_end)]
    return spans


def find_labels(line_text: str, allow_short: bool) -> list[tuple[int, int, str]]:
    """Known labels in a line: (start, end, field name), found diacritic-insensitively and,
    for longer labels, tolerating an OCR slip; a label must be followed by its colon."""
    folded = fold_in_place(line_text).translate(_NOTES_AS_SPACES)  # `Họ và tên¹:` is a label
    found: list[tuple[int, int, str]] = []
    taken = [False] * len(folded)
    for fuzzy in (False, True):
        for label, name in _LABELS:
            if label in _CARD_ONLY_LABELS and not allow_short:
                continue
            for s, e in _label_spans(label, folded, fuzzy):
                tail = _LABEL_TAIL.match(folded, e)
                if tail is None and allow_short and s <= 4 and not fuzzy and label not in _CARD_ONLY_LABELS:
                    # Older cards (CMND) print "Họ tên ......" with a dotted leader, no colon.
                    tail = _CARD_LEADER.match(folded, e)
                if any(taken[s:e]) or not tail or any(taken[e : tail.end()]):
                    continue
                if ":" not in tail.group() and (s > 4 or (fuzzy and line_text.isupper())):
                    continue  # without its colon: a caption line's first words, not capitals ("NGUYỄN VĂN")
                found.append((s, tail.end(), name))
                for k in range(s, tail.end()):
                    taken[k] = True
    return sorted(found)


def _generic_pairs(line: TextLine) -> list[tuple[str, int, int]]:
    """Unknown "Nhãn: giá trị" pairs: (label slug, value start, value end)."""
    text = line.text
    colon = text.find(":")
    # "Nhãn: giá trị" has a space (or the line's end) after the colon; "C:1cm", "12:30" do not.
    if colon <= 0 or (colon + 1 < len(text) and not text[colon + 1].isspace()):
        return []
    label = _NUMBERING.sub("", _BILINGUAL.sub("", text[:colon]))
    if not label or len(label.split()) > 8 or not any(c.isalpha() for c in label):
        return []
    value = text[colon + 1 :]
    if not _clean_value(value):
        return []
    return [(slugify(label), colon + 1, len(text))]


def _level(line: TextLine, skew_degrees: float) -> LevelBox:
    """A line's box with the page's skew taken out: its centre height and true text height."""
    return Levelling.of(skew_degrees).line(line.box)


def _below(lines: list[TextLine], line: TextLine, skew: float) -> list[tuple[float, TextLine]]:
    """(vertical distance, line) for lines lower down in the same column (horizontal overlap)."""
    here = _level(line, skew)
    out = []
    for other in lines:
        if other is line or min(line.box[2], other.box[2]) <= max(line.box[0], other.box[0]):
            continue
        dy = _level(other, skew).cy - here.cy
        if dy > 0.5 * here.height:
            out.append((dy, other))
    return out


def line_pitch(lines: list[TextLine], skew: float = 0.0) -> float:
    """The page's ordinary distance from one line to the next (its leading), in pixels.

    Measured, not assumed: box conventions differ between the detector (padded boxes)
    and PDF text (tight boxes), and a paragraph gap is only "large" relative to this."""
    steps = [min(dy for dy, _ in below) for line in lines if (below := _below(lines, line, skew))]
    return float(np.percentile(steps, 25)) if steps else 0.0


def _line_below(lines: list[TextLine], line: TextLine, skew: float, pitch: float) -> TextLine | None:
    """The line right under `line`: same column, one ordinary line pitch lower."""
    below = [(dy, other) for dy, other in _below(lines, line, skew) if dy <= 1.3 * pitch]
    return min(below, key=lambda item: item[0])[1] if below else None


_BLOCK_REACH = 8  # line heights up or down that still count as the same block of text


def _reaches_margin(lines: list[TextLine], line: TextLine, skew: float) -> bool:
    """Whether a line runs to its block's right margin, i.e. may have wrapped (a wrap leaves
    less room than the next word, about two letter heights). The block is the lines nearby
    that start where it does: not a card's MRZ far below, which runs wider than its text."""
    here = _level(line, skew)
    h = here.height
    block = [
        ln.box[2]
        for ln in lines
        if abs(ln.box[0] - line.box[0]) <= 2 * h and abs(_level(ln, skew).cy - here.cy) <= _BLOCK_REACH * h
    ]
    return line.box[2] >= max(block, default=line.box[2]) - 2 * h


_LABEL_COLON = re.compile(r":(\s|$)")


def _is_continuation(line: TextLine | None, allow_short: bool) -> bool:
    return line is not None and not _LABEL_COLON.search(line.text) and not find_labels(line.text, allow_short)


def _wrap_kind(line: TextLine, above: TextLine, skew: float) -> str | None:
    """How `line` continues `above`: "left" (starts at the block's left edge, perhaps left of
    a first-line indent), "right" (right-aligned, as in a place-and-date line), or None
    (e.g. a centred caption under a value, like "Người yêu cầu")."""
    h = _level(above, skew).height
    if above.box[0] - 3 * h <= line.box[0] <= above.box[0] + h:
        return "left"
    if abs(line.box[2] - above.box[2]) <= h and line.box[0] > above.box[0] + h:
        return "right"
    return None


def _extend(
    cand: Candidate, last: TextLine, lines: list[TextLine], allow_short: bool, skew: float, pitch: float
) -> Candidate:
    """Free text that wrapped: add the lines below while the previous one reached the margin."""
    value, box, confidence = cand.value, cand.box, cand.confidence
    for _ in range(2):
        below = _line_below(lines, last, skew, pitch)
        if below is None or not (_reaches_margin(lines, last, skew) and _is_continuation(below, allow_short)):
            break
        wrap = _wrap_kind(below, last, skew)
        if wrap is None:
            break
        # The line's own trailing comma or colon (stripped from a value's end) stays between its parts.
        ends = last.text.rstrip()[-1:]
        value = f"{value}{ends if ends in ',;:' else ''} {_clean_value(below.text)}".strip()
        box = (
            min(box[0], below.box[0]),
            min(box[1], below.box[1]),
            max(box[2], below.box[2]),
            max(box[3], below.box[3]),
        )
        confidence = min(confidence, below.confidence)
        last = below
        if wrap == "right":  # a right-aligned block ends where its own lines do
            return Candidate(cand.name, value, cand.page, box, confidence, cand.free_text)
    # What was taken may be cut short: the line under it, at the block's edge, does not open an
    # item of its own ("cấp: Cục Cảnh sát ..." after "..., nơi"; "18/11/2021, nơi cấp: ..."
    # after "cấp ngày") though it did not read as a continuation; or the last line ends with a
    # comma; or the value ends with a word that needs more after it.
    below = _line_below(lines, last, skew, pitch)
    open_end = (
        (below is not None and _wrap_kind(below, last, skew) == "left" and not _opens_item(below.text))
        or last.text.rstrip().endswith((",", ":"))
        or ends_unfinished(value)
    )
    return Candidate(cand.name, value, cand.page, box, confidence, cand.free_text, open_end)


def ends_unfinished(value: str) -> bool:
    """A value ending with a word that needs more after it ("..., thành phố", "cấp ngày"), but
    not an enumeration of such words ("các phường, xã": wards and communes)."""
    words = value.casefold().rstrip(" ,.;:").split()

    def ending(words: list[str]) -> str | None:
        return next((w for w in CONTINUING_WORDS if " ".join(words[-len(w.split()) :]) == w), None)

    last = ending(words)
    if last is None:
        return False
    head = words[: -len(last.split())]
    listed = bool(head) and head[-1].endswith(",") and ending([w.rstrip(",;") for w in head]) is not None
    return not listed


def _opens_item(text: str) -> bool:
    """A line that starts something new: numbered ("5. ", "b) ") or with a capital letter."""
    if _NUMBERING.match(text):
        return True
    first = next((c for c in text if c.isalnum()), "")
    return first.isupper()


def key_value_candidates(pages: Iterable[PageText], allow_short_labels: bool = False) -> list[Candidate]:
    out: list[Candidate] = []
    for page in pages:
        lines = page.lines
        pitch = line_pitch(lines, page.skew_degrees)
        for line in lines:
            labels = find_labels(line.text, allow_short_labels)
            found: list[tuple[Candidate, TextLine]] = []
            if not labels:
                found = [
                    (_candidate(slug, line, start, end, page.index), line) for slug, start, end in _generic_pairs(line)
                ]
            for k, (s, e, name) in enumerate(labels):
                end = labels[k + 1][0] if k + 1 < len(labels) else len(line.text)
                if allow_short_labels:  # a card: an English caption the label's pattern missed, or took
                    # the value with ("Quốc tịch / Natlonality Việt Nam:", the colon read at the end)
                    if not line.text[e:end].strip() and (sep := re.search(r"[/|]", line.text[s:e])):
                        after = line.text[s + sep.end() : end].strip(" :;")  # a caption found in it, a value
                        e = s + sep.end() if without_caption(after).rstrip(" :;") not in ("", after) else e
                    e += len(line.text[e:end]) - len(without_caption(line.text[e:end]))
                    if k + 1 == len(labels) and _CAPTION_REST.search(line.text[e:end]):
                        e = end  # the rest of a caption a slip cut short ("tên khai sinft / FuÌÍ tarme:")
                cand = _candidate(name, line, e, end, page.index)
                if any(c.isalnum() for c in cand.value):  # "Có giá trị đến: / Date of expiry:": no value
                    found.append((cand, line))
                elif k + 1 == len(labels):
                    # Card layout: the caption on one line, the value under it.
                    below = _line_below(lines, line, page.skew_degrees, pitch)
                    if below is not None and allow_short_labels and _lone_caption(below):  # the value is under it
                        below = _line_below(lines, below, page.skew_degrees, pitch)
                    if below is not None and _is_continuation(below, allow_short_labels):
                        found.append((_candidate(name, below, 0, len(below.text), page.index), below))
            for cand, last in found:
                last_on_line = cand is found[-1][0]
                if cand.free_text and last_on_line:
                    cand = _extend(cand, last, lines, allow_short_labels, page.skew_degrees, pitch)
                out.append(cand)
    return out


def _unique(candidates: list[Candidate]) -> dict[str, Candidate]:
    """First occurrence keeps the name; later ones get _2, _3 (e.g. a child's and a parent's name)."""
    result: dict[str, Candidate] = {}
    for cand in candidates:
        name, n = cand.name, 1
        while name in result:
            n += 1
            name = f"{cand.name}_{n}"
        result[name] = cand
    return result


# --------------------------------------------------------------------------- documents


def _card_number(pages: list[PageText], name: str, digits: int) -> Candidate | None:
    """A card's number: the first run of exactly `digits` digits (its caption is unreliable)."""
    for page in pages:
        for line in page.lines:
            for match in _DIGIT_RUN.finditer(line.text):
                found = re.sub(r"[ .]", "", match.group(1))
                if len(found) == digits:
                    start, end = match.span(1)
                    return Candidate(name, found, page.index, _sub_box(line, start, end), line.confidence)
    return None


_EXPIRY_CAPTION = fold("Có giá trị đến")
_EXPIRY_CAPTION_SCORE = 75.0  # ~two slips in fourteen letters: a date must stand at its place too


def _expiry_caption(text: str) -> bool:
    """Whether a line opens with the expiry caption, read right or with a slip or two ("Có giá
    ví đến", its colon lost): looser than a label anywhere, as the date beside or under it
    must be found as well, and no other field's label may be on the line."""
    labels = find_labels(text, True)
    if any(name == "co_gia_tri_den" for _s, _e, name in labels):
        return True
    folded = fold_in_place(text)
    hit = fuzz.partial_ratio_alignment(_EXPIRY_CAPTION, folded, score_cutoff=_EXPIRY_CAPTION_SCORE)
    return (
        not labels
        and hit is not None
        and hit.dest_start <= 2
        and hit.dest_end - hit.dest_start >= len(_EXPIRY_CAPTION) - 2
    )


def _card_expiry(pages: list[PageText]) -> Candidate | None:
    """The chip card's expiry, printed under the photo: "Có giá trị đến:" (perhaps with its
    "Date of expiry" caption) and the date beside it in a box of its own, or a line or two
    below it; the nearest date there."""
    for page in pages:
        for label in page.lines:
            if not _expiry_caption(label.text):
                continue
            x0, y0, x1, y1 = label.box
            h = max(y1 - y0, 1)
            near = []
            for line in page.lines:
                lx0, ly0, lx1, ly1 = line.box
                cy = (ly0 + ly1) / 2
                beside = y0 <= cy <= y1 and lx0 >= x1 - h and lx0 - x1 <= 4 * h
                below = y1 <= cy <= y1 + 3 * h and lx0 < x1 and lx1 > x0 - h
                others = {name for _s, _e, name in find_labels(line.text, True)} - {"co_gia_tri_den"}
                if line is not label and (beside or below) and not others and (found := DATE.search(line.text)):
                    near.append((cy - (y0 + y1) / 2, lx0 - x0, line, found))
            if near:
                _dy, _dx, line, found = min(near, key=lambda item: (item[0], item[1]))
                start, end = found.span()
                return Candidate(
                    "co_gia_tri_den", line.text[start:end], page.index, _sub_box(line, start, end), line.confidence
                )
    return None


_CARD_KINDS = frozenset(k for k, rule in RULES_BY_KIND.items() if rule.layout == Layout.CARD)


def extract_fields(kind: DocumentKind, pages: list[PageText], review_threshold: float, today: date) -> dict[str, Field]:
    """A document's fields as read, each with its single-source status (`pipeline.fields.verify`
    then decides with the other sources). `today` is the caller's date in Vietnam time (an
    official document's issue date cannot be later)."""
    if kind in OFFICIAL_KINDS:
        from pipeline.fields.official_doc import extract_official_fields

        # Found by layout; a công văn's "Kính gửi:" is an ordinary labelled line.
        official = extract_official_fields(pages, review_threshold, today)
        for cand in key_value_candidates(pages):
            if cand.name == "kinh_gui" and "kinh_gui" not in official and (made := make_field(cand, review_threshold)):
                official["kinh_gui"] = made
        return official
    is_card = kind in _CARD_KINDS
    candidates = key_value_candidates(pages, allow_short_labels=is_card)
    rule = RULES_BY_KIND.get(kind)
    if is_card and rule is not None:
        candidates = [c for c in candidates if field_spec(c.name) is not None]
        if rule.number is not None:
            name, digits = rule.number
            number = _card_number(pages, name, digits)
            candidates = [c for c in candidates if c.name not in ("so_dinh_danh", "so_cmnd")]
            if number:
                candidates.insert(0, number)
    expiry_read = any(c.name == "co_gia_tri_den" and typed_value(ValueType.DATE, c.value)[1] for c in candidates)
    if is_card and not expiry_read and (expiry := _card_expiry(pages)) is not None:
        candidates = [*(c for c in candidates if c.name != "co_gia_tri_den"), expiry]
    fields: dict[str, Field] = {}
    for name, cand in _unique(candidates).items():
        made = make_field(cand, review_threshold)
        if made is not None:
            fields[name] = made
    return fields
