"""The status of one value read from the page, from the other sources of the same value.

- The holder's card codes (QR, MRZ) agree or disagree with it: that decides (the print's tone
  marks kept; an address in the code's punctuation, as printed otherwise). On a card whose own
  QR code is canonical (`codes.qr_is_canonical`) the code's value is returned where the print
  differs, the difference noted (`print_differs`). The MRZ, without marks, confirms a name's
  letters only: its marks need the second reader too.
- Otherwise a reading that failed its type rule is `invalid`; one that may be cut short, or is
  read below the review threshold, needs review; a PDF's own text is `ok`.
- Read again by the second recognizer: `ok` when the two agree letter for letter (the second
  sure of every letter), or a rule of the field settles where they differ; the third reading
  may side with the second; otherwise review.
- Read once: `ok` only where a rule validates it (`rules.rule_ok`).
Agreement of readers is no evidence on a word they cannot write right (`readers`).
"""

from __future__ import annotations

import re
from dataclasses import replace

from models.document import Field, FieldStatus, ReviewReason
from models.fields import ValueType
from pipeline.fields.extract import without_caption
from pipeline.fields.idcheck import same_name, same_text
from pipeline.fields.values import normalize_value
from pipeline.fields.verify.canonical import place_as_printed
from pipeline.fields.verify.common import base_name, case_flipped, flag, value_type
from pipeline.fields.verify.readers import blind_letters, unwritable_spellings
from pipeline.fields.verify.rules import (
    PartContext,
    contradicted,
    mark_words_merged,
    mark_words_settle,
    rule_ok,
    settles,
    spelled,
)
from pipeline.fields.vocabulary import letters_of

# Values that are digits with separators in a fixed pattern: the digits are the value (the
# first reading is already normalized, say 16/06/2023, the second as read, say 1606/2023).
_DIGIT_VALUES = (ValueType.DATE, ValueType.ID12, ValueType.ID9, ValueType.PHONE)
_EXACT_VALUES = (ValueType.DATE, ValueType.ID12, ValueType.ID9, ValueType.GENDER)


def same(name: str, a: str, b: str, source_b: str) -> bool:
    """A code's value `b` for the field says what the reading `a` says (an MRZ, without marks,
    only the letters of a name)."""
    vtype = value_type(name)
    if vtype == ValueType.NAME or base_name(name) == "ho_va_ten":
        return same_name(a, b, ignore_diacritics=source_b == "mrz")
    if vtype in _EXACT_VALUES:
        return re.sub(r"\s", "", a) == re.sub(r"\s", "", b)
    return same_text(a, b)


def read_alike(name: str, a: str, b: str) -> bool:
    """Two recognizers' readings of one printed value: equal letter for letter, tone marks,
    case and punctuation included (spacing aside); for a date or a number, digit for digit,
    every digit (a thin slash the second reader drops is not part of the value; an English
    caption its crop took in before the value is not either)."""
    if not a:
        return False
    if value_type(name) in _DIGIT_VALUES:
        b = without_caption(b.lstrip(" /|"))  # the second crop may hold the caption ("Date of issue: ")
        digits = re.sub(r"\D", "", a)
        return bool(digits) and digits == re.sub(r"\D", "", b) and not re.search(r"[^\d\s/.,\-+()]", b)
    return " ".join(a.split()) == " ".join(b.split())


def _unwritable_words(name: str, value: str) -> list[str]:
    """Words of a Tesseract reading of a Vietnamese text that may stand for a syllable it cannot
    write (`readers`); an e-mail address or a number has none."""
    return unwritable_spellings(value) if value_type(name) in (ValueType.TEXT, ValueType.NAME) else []


def decide_read(
    name: str,
    f: Field,
    refs: list[tuple[str, str]],
    source: str,
    ctx: PartContext,
    second: Field | None = None,
    third: Field | None = None,
) -> Field:
    """Status of a value read from the page (`source`: "ocr" or "pdf_text"), given other
    sources' values for the same field (`refs`: the holder's card codes) and the second (and
    third) recognizer's reading of it."""
    if refs:
        return _against_codes(name, f, refs, source, ctx, second)
    single = replace(f, sources=(source,))
    if f.status == FieldStatus.INVALID:
        return flag(single, FieldStatus.INVALID, ReviewReason.RULE_FAILED)
    if (f.detail or {}).get("may_continue"):
        # Read right (even from a text layer) or not, the value may be cut short.
        return flag(single, FieldStatus.NEEDS_REVIEW, ReviewReason.MAY_CONTINUE)
    if source == "pdf_text":
        # A born-digital document's own text: nothing was guessed.
        return flag(single, FieldStatus.OK, None)
    if f.confidence < ctx.cfg.review_threshold:
        return flag(single, FieldStatus.NEEDS_REVIEW, ReviewReason.LOW_CONFIDENCE)
    if second is not None and source == "ocr":
        return _with_second_reading(name, f, second, third, ctx)
    if rule_ok(name, f, ctx):
        return flag(replace(f, sources=(source, "rule")), FieldStatus.OK, None)
    return flag(single, FieldStatus.NEEDS_REVIEW, ReviewReason.SINGLE_SOURCE)


def _against_codes(
    name: str, f: Field, refs: list[tuple[str, str]], source: str, ctx: PartContext, second: Field | None = None
) -> Field:
    agree = [src for src, v in refs if same(name, f.value, v, src)]
    disagree = {src: v for src, v in refs if not same(name, f.value, v, src)}
    settled = _marks_read_twice(f, second, ctx) and not _unwritable_words(name, f.value)
    if "qr" in disagree and ctx.qr_canonical and not settled:
        # The print's own reading is unsettled: the issuing authority's record is the value.
        # A print two recognizers read alike, surely, where both could have read otherwise (no
        # blind spot), and that still differs from the code is a real disagreement (another
        # card's code, a changed name): a reviewer decides.
        return _qr_over_print(name, f, refs, source)
    if f.status == FieldStatus.INVALID and (coded := _one_code_value(name, refs)) is not None:
        # The print read as no value of its type at all ("MẪU / SPECIMEN" over an expiry): as if
        # not read, the card's codes give it (`codes.from_codes`), the reading kept beside it.
        return flag(
            replace(f, value=coded, confidence=1.0, sources=tuple(src for src, _ in refs)),
            FieldStatus.OK,
            None,
            print_unreadable=True,
            read_value=f.value,
        )
    if disagree:
        value = f.value
        if f.status == FieldStatus.INVALID and "qr" in disagree:
            value = disagree["qr"]  # the code's value, not an impossible reading
        return flag(
            replace(f, value=value, sources=(source, *disagree)),
            FieldStatus.NEEDS_REVIEW,
            ReviewReason.SOURCES_DISAGREE,
            **{f"{src}_value": v for src, v in disagree.items()},
            read_value=f.value,
        )
    confirmed = replace(f, sources=(source, *agree))
    if agree == ["mrz"] and base_name(name) == "ho_va_ten" and f.confidence < ctx.cfg.review_threshold:
        # The MRZ confirms the letters, not the tone marks, of a doubtful reading.
        return flag(confirmed, FieldStatus.NEEDS_REVIEW, ReviewReason.LOW_CONFIDENCE)
    if source == "ocr" and "qr" not in agree and (unwritable := _unwritable_words(name, f.value)):
        # The MRZ has no marks, and the reader cannot write the one the word may have.
        return flag(confirmed, FieldStatus.NEEDS_REVIEW, ReviewReason.LOW_CONFIDENCE, reader_cannot_write=unwritable)
    if source == "ocr" and agree == ["mrz"] and blind_letters(f.value, "mrz") and not _marks_read_twice(f, second, ctx):
        # The MRZ, without marks, confirms the letters; the marks rest on one reading alone.
        return flag(confirmed, FieldStatus.NEEDS_REVIEW, ReviewReason.LOW_CONFIDENCE, marks_unconfirmed=True)
    if "qr" in agree and value_type(name) == ValueType.TEXT:
        # Free text agreed up to case and punctuation: the print's letters in the code's punctuation.
        confirmed = replace(confirmed, value=place_as_printed(f.value, dict(refs)["qr"]))
    return flag(confirmed, FieldStatus.OK, None)


def _one_code_value(name: str, refs: list[tuple[str, str]]) -> str | None:
    """The value every code gives alike, in stored form; never a name (the MRZ strips its marks)."""
    values = {normalize_value(name, v) for _, v in refs}
    return values.pop() if len(values) == 1 and base_name(name) != "ho_va_ten" else None


def _marks_read_twice(f: Field, second: Field | None, ctx: PartContext) -> bool:
    """The second recognizer read the value mark for mark as the first, sure of every letter."""
    return (
        second is not None
        and " ".join(f.value.split()) == " ".join(second.value.split())
        and second.confidence >= ctx.cfg.second_threshold
    )


def _qr_over_print(name: str, f: Field, refs: list[tuple[str, str]], source: str) -> Field:
    """The card's canonical QR code differs from its print: the code's value is the card's (in
    stored form; `canonical` puts a name in the card's capitals), `ok` where every other code
    says the same; the print that differs is recorded beside it, not a reason for review."""
    codes = dict(refs)
    value = normalize_value(name, codes["qr"])
    others = [src for src in codes if src != "qr"]
    noted = flag(
        replace(f, value=value, confidence=1.0, sources=("qr", *others)),
        FieldStatus.OK,
        None,
        print_differs=True,
        read_value=f.value,
        read_source=source,
    )
    if all(same(name, value, codes[src], src) for src in others):
        return noted
    return flag(
        replace(noted, sources=("qr", *others, source)),
        FieldStatus.NEEDS_REVIEW,
        ReviewReason.SOURCES_DISAGREE,
        **{f"{src}_value": codes[src] for src in others},
    )


def _with_second_reading(name: str, f: Field, second: Field, third: Field | None, ctx: PartContext) -> Field:
    if read_alike(name, f.value, second.value) and not case_flipped(f.value):
        return _read_alike_twice(name, f, second, ctx)
    if settles(name, f, second.value, ctx):
        return flag(replace(f, sources=("ocr", "rule")), FieldStatus.OK, None, ocr2_value=second.value)
    if (marked := _marks_settled(name, f.value, second.value, ctx)) is not None:
        return flag(
            replace(f, value=marked, sources=("ocr", "ocr2", "rule")),
            FieldStatus.OK,
            None,
            **({"ocr2_value": second.value} if marked == f.value else {"read_value": f.value}),
        )
    if mark_words_settle(name, f.value, second.value, ctx):
        return flag(replace(f, sources=("ocr", "ocr2", "rule")), FieldStatus.OK, None, ocr2_value=second.value)
    if (merged := mark_words_merged(name, f.value, second.value, ctx)) is not None:
        return flag(
            replace(f, value=merged, sources=("ocr", "ocr2", "rule")),
            FieldStatus.OK,
            None,
            read_value=f.value,
            ocr2_value=second.value,
        )
    if (
        third is not None
        and second.confidence < ctx.cfg.second_threshold
        and third.confidence >= ctx.cfg.review_threshold
        and letters_of(third.value) == letters_of(f.value)
        and mark_words_settle(name, f.value, third.value, ctx)
    ):
        # AsterNet unsure of its letters; the script model reads the first reading's letters,
        # and the vocabulary, which has one spelling for them, settles the marks.
        return flag(
            replace(f, sources=("ocr", "ocr3", "rule")),
            FieldStatus.OK,
            None,
            ocr2_value=second.value,
            ocr3_value=third.value,
        )
    if (sided := _third_sides(name, f, second, third, ctx)) is not None:
        return sided
    # Two readers that differ: one of them misread, even a value whose format is fine.
    return flag(
        replace(f, sources=("ocr", "ocr2")),
        FieldStatus.NEEDS_REVIEW,
        ReviewReason.SOURCES_DISAGREE,
        ocr2_value=second.value,
        read_value=f.value,
    )


def _read_alike_twice(name: str, f: Field, second: Field, ctx: PartContext) -> Field:
    both = replace(f, sources=("ocr", "ocr2"))
    sure = round(second.confidence, 3)
    if contradicted(name, f.value, ctx):
        # Alike, but spelled as the field's vocabulary never spells it: both slipped on a mark.
        return flag(both, FieldStatus.NEEDS_REVIEW, ReviewReason.LOW_CONFIDENCE, ocr2_confidence=sure)
    unwritable = _unwritable_words(name, f.value)
    if second.confidence >= ctx.cfg.second_threshold and not unwritable:
        return flag(both, FieldStatus.OK, None, ocr2_confidence=sure)
    if spelled(name, f.value, ctx):
        # Both slipping alike would have to land on another spelling of the vocabulary.
        return flag(replace(f, sources=("ocr", "ocr2", "rule")), FieldStatus.OK, None, ocr2_confidence=sure)
    if unwritable:
        # The first reader cannot write the mark the word may have ("THUY" for "THUỴ"), and the
        # second misses the same small mark: their agreement there is no evidence.
        return flag(
            both,
            FieldStatus.NEEDS_REVIEW,
            ReviewReason.LOW_CONFIDENCE,
            ocr2_confidence=sure,
            reader_cannot_write=unwritable,
        )
    # Alike, but the second reader doubted a letter: the spot where both may slip the same way
    # (a small stacked mark, as on a photographed capital Ễ).
    return flag(both, FieldStatus.NEEDS_REVIEW, ReviewReason.LOW_CONFIDENCE, ocr2_confidence=sure)


def _marks_settled(name: str, first: str, second: str, ctx: PartContext) -> str | None:
    """Two readings with the same letters that differ only in marks (or punctuation): the one
    the field's vocabulary spells so, where exactly one is (`pipeline.fields.vocabulary`)."""
    if first == second or case_flipped(first) or case_flipped(second) or letters_of(first) != letters_of(second):
        return None
    first_spelled, second_spelled = spelled(name, first, ctx), spelled(name, second, ctx)
    if first_spelled != second_spelled:
        return first if first_spelled else second
    return None


def _third_sides(name: str, f: Field, second: Field, third: Field | None, ctx: PartContext) -> Field | None:
    """Where the first two readings differ, the third (Tesseract's model for the Vietnamese
    script, another network than `vie`) settles the value only when it reads it exactly as the
    second reader (AsterNet) does, surely, and AsterNet is sure of every letter: two
    unrelated designs agree. Siding with the first reader settles nothing: two Tesseract
    models slip alike (both read a small "Sẹo" as "Seo", where AsterNet read it right). Nor
    does a word the third reader cannot write right (`readers`), nor a reading the field's
    vocabulary contradicts (`rules.contradicted`: AsterNet and the script model both read a
    small "chấm" as "chăm").
    """
    cfg = ctx.cfg
    if third is None or third.confidence < cfg.review_threshold or third.status == FieldStatus.INVALID:
        return None
    if case_flipped(third.value) or _unwritable_words(name, third.value) or contradicted(name, third.value, ctx):
        return None  # nor a reading the field's vocabulary says is misread ("Sẹo chăm" for "Sẹo chấm")
    if read_alike(name, third.value, second.value) and second.confidence >= cfg.second_threshold:
        return flag(
            replace(f, value=third.value, confidence=min(third.confidence, f.confidence), sources=("ocr2", "ocr3")),
            FieldStatus.OK,
            None,
            read_value=f.value,
            ocr2_confidence=round(second.confidence, 3),
        )
    return None
