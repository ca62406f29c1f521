"""Checks across the fields of one document, once each value is decided: renderings of one
value that must agree (a birth date in figures and in words), fields that contradict each
other (the number's digits against the birth year and sex, a card's dates), handwriting."""

from __future__ import annotations

from dataclasses import replace

from models.document import Box, Field, FieldStatus, PageText, ReviewReason, overlap
from models.idcards import CardGeneration
from models.kinds import KindRule, Layout
from pipeline.fields.extract import find_labels
from pipeline.fields.idcheck import (
    QrPayload,
    date_from_words,
    date_problems,
    format_date,
    id12_problems,
    parse_ddmmyyyy,
)
from pipeline.fields.verify.common import HANDWRITING_OVERLAP, confirmed, flag, handwritten, touches_handwriting
from pipeline.fields.verify.inputs import Thresholds

_WEAKER_THAN_HANDWRITING = (None, ReviewReason.SINGLE_SOURCE, ReviewReason.LOW_CONFIDENCE)
_CARD_DATES = (("ngay_sinh", "birth date"), ("ngay_cap", "issue date"), ("co_gia_tri_den", "expiry"))


def date_in_words(out: dict[str, Field], cfg: Thresholds) -> None:
    """A birth date written in figures and again in words: two renderings that must agree."""
    digits, words = out.get("ngay_sinh"), out.get("ngay_sinh_bang_chu")
    if digits is None or words is None or digits.status == FieldStatus.INVALID:
        return
    if {digits.reason, words.reason} - {None, ReviewReason.SINGLE_SOURCE}:
        return  # already doubtful for another reason (a code disagrees, handwriting...)
    said = date_from_words(words.value)
    if said is None:
        return
    if format_date(said) != digits.value:
        for name, f in (("ngay_sinh", digits), ("ngay_sinh_bang_chu", words)):
            out[name] = flag(
                f,
                FieldStatus.NEEDS_REVIEW,
                ReviewReason.SOURCES_DISAGREE,
                in_words=format_date(said),
                in_figures=digits.value,
            )
    elif min(digits.confidence, words.confidence) >= cfg.review_threshold:
        out["ngay_sinh"] = flag(replace(digits, sources=(*digits.sources[:1], "in_words")), FieldStatus.OK, None)
        out["ngay_sinh_bang_chu"] = flag(
            replace(words, sources=(*words.sources[:1], "in_figures")), FieldStatus.OK, None
        )


def _doubt_unconfirmed(out: dict[str, Field], names: tuple[str, ...], problems: list[str]) -> None:
    for name in names:
        f = out.get(name)
        if f is not None and f.status == FieldStatus.OK and not confirmed(f):
            out[name] = flag(f, FieldStatus.NEEDS_REVIEW, ReviewReason.RULE_FAILED, rule=problems)


def _number_against_birth_and_sex(out: dict[str, Field]) -> None:
    number, birth, sex = out.get("so_dinh_danh"), out.get("ngay_sinh"), out.get("gioi_tinh")
    if number is None or number.status == FieldStatus.INVALID:
        return
    born = parse_ddmmyyyy(birth.value) if birth else None
    problems = id12_problems(number.value, born.year if born else None, sex.value if sex else None)
    if not problems:
        return
    if number.status == FieldStatus.OK:  # even a number its codes confirm: a person must see which is wrong
        out["so_dinh_danh"] = flag(number, FieldStatus.NEEDS_REVIEW, ReviewReason.RULE_FAILED, rule=problems)
    _doubt_unconfirmed(out, ("ngay_sinh", "gioi_tinh"), problems)


def cross_field_rules(out: dict[str, Field], generation: CardGeneration | None, cfg: Thresholds) -> None:
    """Fields of one document that contradict each other: the number's digits against the
    birth year and sex; a card's dates against each other and today."""
    _number_against_birth_and_sex(out)
    birth_day, registered = (parse_ddmmyyyy(out[n].value) if n in out else None for n in ("ngay_sinh", "ngay_dang_ky"))
    if birth_day and registered and registered < birth_day:  # a birth is registered after it happens
        _doubt_unconfirmed(out, ("ngay_sinh", "ngay_dang_ky"), ["registration date before birth date"])
    dates = {n: parse_ddmmyyyy(out[n].value) if n in out else None for n, _ in _CARD_DATES}
    problems = date_problems(dates["ngay_sinh"], dates["ngay_cap"], dates["co_gia_tri_den"], cfg.today, generation)
    if not problems:
        return
    for name, what in _CARD_DATES:
        f = out.get(name)
        if f is not None and f"{what} in the future" in problems:
            out[name] = flag(f, FieldStatus.INVALID, ReviewReason.RULE_FAILED, rule=problems)
    _doubt_unconfirmed(out, tuple(name for name, _ in _CARD_DATES), problems)


_CARD_CODES = frozenset({"qr", "mrz"})


def not_ok_by_hand(f: Field, pages: dict[int, PageText], card: bool = False) -> Field:
    """A handwritten value is never `ok`; and "handwritten" tells the reviewer more than
    "single source". On an identity card (`card`) values are printed by the authority: ink
    the detector takes for writing there (a halftone or ink-spread print, glare on a photo)
    over a value the card's own code confirms is not a reason for doubt — the value is the
    code's record, whoever drew the ink."""
    if card and f.status == FieldStatus.OK and _CARD_CODES & set(f.sources):
        return f
    if card and (not _under_card_marks(f, pages) or _print_taken_for_writing(pages.get(f.page))):
        return f
    if handwritten(f, pages) and (f.status == FieldStatus.OK or f.reason in _WEAKER_THAN_HANDWRITING):
        status = FieldStatus.NEEDS_REVIEW if f.status == FieldStatus.OK else f.status
        return flag(f, status, ReviewReason.HANDWRITTEN)
    return f


_CARD_MARK_REACH = 3.0  # line heights a mark may run past the value's box along its line


def _under_card_marks(f: Field, pages: dict[int, PageText]) -> bool:
    """A card value lies under a mark that is about the value's own extent. A mark that runs
    along the value's line well past it (over the printed caption before it, or the next
    field) took the card's print for writing (a halftone or ink-spread print, a photo's blur):
    it says nothing of the value."""
    page = pages.get(f.page)
    if page is None:
        return False
    x0, y0, x1, y1 = f.box
    reach = _CARD_MARK_REACH * max(y1 - y0, 1)
    return any(
        overlap(f.box, mark) >= HANDWRITING_OVERLAP and mark[0] >= x0 - reach and mark[2] <= x1 + reach
        for mark in page.handwriting
    )


def _print_taken_for_writing(page: PageText | None) -> bool:
    """A mark lies over most of a card's printed caption (a field's label as the OCR matched
    it): the detector takes this card's print for writing, and its marks say nothing here."""
    if page is None:
        return False
    for line in page.lines:
        x0, y0, x1, y1 = line.box
        step = (x1 - x0) / max(len(line.text), 1)
        for s, e, _name in find_labels(line.text, True):
            label: Box = (x0 + int(step * s), y0, x0 + int(step * e), y1)
            if any(overlap(label, mark) >= 0.5 for mark in page.handwriting):
                return True
    return False


def filled_by_hand(out: dict[str, Field], pages: dict[int, PageText], rule: KindRule | None) -> None:
    """A form whose own fields are partly handwritten was filled in by hand: the detector
    misses some handwriting (neat black print), so its other values need more than their
    format — only values confirmed by a second source stay `ok`."""
    if rule is None or rule.layout != Layout.PAGE:
        return
    if not any(touches_handwriting(out[name], pages) for name in rule.fields if name in out):
        return
    for name, f in out.items():
        if f.status == FieldStatus.OK and not confirmed(f):
            out[name] = flag(f, FieldStatus.NEEDS_REVIEW, ReviewReason.HANDWRITTEN, form_filled_by_hand=True)


def note_qr_oddities(out: dict[str, Field], qr: QrPayload | None) -> None:
    """Beside each value the QR code gave: its unknown trailing fields and problems, raw text."""
    if qr is None or not (qr.extra or qr.problems):
        return
    note = {"qr_extra_fields": list(qr.extra), "qr_problems": list(qr.problems), "qr_raw": qr.raw}
    for name, f in out.items():
        if "qr" in f.sources:
            out[name] = flag(f, f.status, f.reason, **{k: v for k, v in note.items() if v})
