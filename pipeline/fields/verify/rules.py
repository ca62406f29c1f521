"""The rules a field's value is held to, as a table: field -> its row (`FIELD_RULES`), value
type -> its format (`FORMAT_RULES`). Adding a field's rule is adding a row.

A row says
- `spelling`: the field's closed vocabulary (nationalities, ethnic groups, identifying-mark
  terms, catalogued places): whether a text is spelled as it spells it, tone marks and all.
  Two readings alike but doubted, or differing only in marks, are settled by it;
- `on_read`: a rule that validates a single read above the review threshold (a vocabulary;
  an addressee naming a known body and a catalogued unit);
- `on_sure_read`: a rule that validates a read at `ok_threshold` (the sex the number's digit
  gives; an expiry that is the milestone birthday the card's generation dictates);
- `stands_against`: whether the rule stands against a second reading that differs (the other
  is outside the vocabulary: a slip rarely lands on another member);
- `contradicted`: the vocabulary says a reading is misread (outside a closed list; a mark word
  spelled with marks no term gives it): readers agreeing on it slipped alike, and a third
  reading siding with the second settles nothing. An identifying mark read wholly in the
  vocabulary's words is settled against a second reading that differs only in marks that make
  its words none of them, measures alike (`mark_words_settle`);
- `finish`: checks on the decided value (an address placed in a 2025 unit, complete to its
  province).
A rule returns None where it does not apply to the document (no catalogue given, a form's
expiry): the next check decides. A value whose type has a closed format (`FORMAT_RULES`) is
`ok` on a single confident read of a document without codes; names and free text never are.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from models.document import Field, FieldStatus
from models.fields import ADDRESS_FIELDS, GENDER_VALUES, ValueType
from models.idcards import CARD_NATIONALITIES, ETHNIC_GROUPS, IDENTIFYING_MARK_TERMS, CardGeneration
from models.kinds import OFFICIAL_KINDS, KindRule
from pipeline.fields.idcheck import (
    card_expiry,
    expiry_is_milestone,
    format_date,
    id12_problems,
    parse_ddmmyyyy,
)
from pipeline.fields.values import NO_EXPIRY
from pipeline.fields.verify.common import base_name, case_flipped, value_type
from pipeline.fields.verify.inputs import PartInput, PlaceCatalogue, Thresholds
from pipeline.fields.verify.places import (
    addressee_catalogued,
    checked_address,
    checked_addressee,
    place_spelled_as_catalogued,
)
from pipeline.fields.vocabulary import TermVocabulary, letters_of
from pipeline.text import nfc

_DATE_SHAPE = re.compile(r"\d{2}/\d{2}/\d{4}")


@dataclass(slots=True)
class PartContext:
    """One document being decided, and what its rules look at beside the value."""

    part: PartInput
    cfg: Thresholds
    places: PlaceCatalogue | None
    kind_rule: KindRule | None
    generation: CardGeneration | None  # the card's, for its dates
    decided: dict[str, Field] = field(default_factory=dict)  # so far (the birth date before the expiry)
    # The card's own QR code decoded, passed its checks and matches the card: its values are the
    # card's (`codes.qr_is_canonical`); a print that differs is flagged, not the value.
    qr_canonical: bool = False
    issued: str | None = None  # the card's issue date as its codes or its print give it, DD/MM/YYYY

    @property
    def has_codes(self) -> bool:
        """A card with a QR code or an MRZ: a printed value they do not confirm is suspect."""
        return self.kind_rule is not None and (self.kind_rule.has_qr or self.kind_rule.has_mrz)


Rule = Callable[[str, PartContext], bool | None]


@dataclass(frozen=True, slots=True)
class FieldRule:
    """A row of `FIELD_RULES` (the module's docstring says what each part does)."""

    spelling: Rule | None = None  # spelled as the field's closed vocabulary spells it
    on_read: Rule | None = None  # validates a read above the review threshold
    on_sure_read: Rule | None = None  # validates a read at the ok threshold
    stands_against: Callable[[str, PartContext], bool] | None = None  # (the other reading, ...)
    # the reading has a word the field's vocabulary spells otherwise: a mark misread
    contradicted: Rule | None = None
    finish: Callable[[Field, PartContext], Field] | None = None  # checks on the decided value


def vocabulary_key(text: str) -> str:
    """Case, hyphens and spacing do not matter in a closed vocabulary; tone marks do."""
    return " ".join(re.sub(r"[-‐–]", " ", text).casefold().split())


_ETHNIC_KEYS = frozenset(vocabulary_key(e) for e in ETHNIC_GROUPS)
_MARK_TERMS = TermVocabulary(IDENTIFYING_MARK_TERMS)


def _nationality(text: str, ctx: PartContext) -> bool:
    return text in CARD_NATIONALITIES


def _ethnic_group(text: str, ctx: PartContext) -> bool:
    return vocabulary_key(text) in _ETHNIC_KEYS


def _mark_terms(text: str, ctx: PartContext) -> bool:
    return _MARK_TERMS.spells(text)


def _spellings_by_letters(terms: tuple[str, ...]) -> dict[str, frozenset[str]]:
    """Each word of a vocabulary's terms, by its letters without marks: the spellings it has."""
    out: dict[str, set[str]] = {}
    for term in terms:
        for word in nfc(term).casefold().split():
            out.setdefault(letters_of(word), set()).add(word)
    return {letters: frozenset(words) for letters, words in out.items()}


_MARK_WORDS = _spellings_by_letters(IDENTIFYING_MARK_TERMS)


def _marks_contradicted(text: str, ctx: PartContext) -> bool:
    """A word whose letters the vocabulary knows, with marks it never has ("chăm" where the
    terms spell "chấm" and "chàm"): one of its marks was misread."""
    for token in nfc(text).casefold().split():
        if re.search(r"\d", token):
            continue  # a measure
        for part in token.split(":"):
            word = part.strip(".,;:()/-–")
            known = _MARK_WORDS.get(letters_of(word))
            if word and known is not None and word not in known:
                return True
    return False


def _catalogued_place(text: str, ctx: PartContext) -> bool | None:
    return place_spelled_as_catalogued(text, ctx.places)


def _catalogued_addressee(text: str, ctx: PartContext) -> bool | None:
    return addressee_catalogued(text, ctx.places)


def _sex_of_the_number(text: str, ctx: PartContext) -> bool:
    """The number's gender digit agrees (a document without a number has nothing against it)."""
    number = ctx.part.fields.get("so_dinh_danh")
    return number is None or not id12_problems(number.value, sex=text)


def _milestone_expiry(text: str, ctx: PartContext) -> bool | None:
    """A card's expiry is the milestone birthday its generation dictates, from a confirmed
    birth date (and, where the card's issue date is known, the one milestone it dictates:
    `idcheck.card_expiry`); None on a document that is not a card."""
    if ctx.generation is None:
        return None
    birth = ctx.decided.get("ngay_sinh")
    born = parse_ddmmyyyy(birth.value) if birth is not None and birth.status == FieldStatus.OK else None
    if born is None:
        return False
    issued = parse_ddmmyyyy(ctx.issued or "")
    if issued is not None:
        # Birth and issue dates say which milestone, or none left ("Không thời hạn").
        due = card_expiry(born, issued, ctx.generation)
        return text == (NO_EXPIRY if due is None else format_date(due))
    expiry = parse_ddmmyyyy(text)
    return expiry is not None and expiry_is_milestone(born, expiry, ctx.generation)


def _outside(member: Rule) -> Callable[[str, PartContext], bool]:
    return lambda other, ctx: not member(other, ctx)


def _on_a_card(other: str, ctx: PartContext) -> bool:
    return ctx.generation is not None


def _address(f: Field, ctx: PartContext) -> Field:
    return checked_address(f, ctx.places)


def _addressee(f: Field, ctx: PartContext) -> Field:
    return checked_addressee(f, ctx.places)


_PLACE = FieldRule(spelling=_catalogued_place, on_read=_catalogued_place, finish=_address)

FIELD_RULES: dict[str, FieldRule] = {
    "quoc_tich": FieldRule(
        spelling=_nationality,
        on_read=_nationality,
        stands_against=_outside(_nationality),
        contradicted=_outside(_nationality),
    ),
    "dan_toc": FieldRule(
        spelling=_ethnic_group,
        on_read=_ethnic_group,
        stands_against=_outside(_ethnic_group),
        contradicted=_outside(_ethnic_group),
    ),
    "dac_diem_nhan_dang": FieldRule(spelling=_mark_terms, contradicted=_marks_contradicted),
    "kinh_gui": FieldRule(on_read=_catalogued_addressee, finish=_addressee),
    "gioi_tinh": FieldRule(
        on_sure_read=_sex_of_the_number, stands_against=lambda other, ctx: other not in GENDER_VALUES
    ),
    "co_gia_tri_den": FieldRule(on_sure_read=_milestone_expiry, stands_against=_on_a_card),
    **{name: _PLACE for name in ADDRESS_FIELDS},
}


def date_in_shape(value: str) -> bool:
    """DD/MM/YYYY (or a card's "no expiry"): the only shape a date is `ok` in."""
    return bool(_DATE_SHAPE.fullmatch(value)) or value == NO_EXPIRY


# Value types a rule can validate on a single confident read (a closed format whose misreads
# mostly break it); names and free text always need a second source.
FORMAT_RULES: dict[ValueType, Callable[[str], bool]] = {
    ValueType.DATE: date_in_shape,
    # A foreign-birth code (not starting with 0) is rare: it needs a person, not only its format.
    ValueType.ID12: lambda value: value.startswith("0"),
    ValueType.ID9: lambda value: True,
    ValueType.GENDER: lambda value: True,
    ValueType.PHONE: lambda value: True,
    ValueType.EMAIL: lambda value: True,
}


def field_rule(name: str) -> FieldRule:
    return FIELD_RULES.get(base_name(name), FieldRule())


def spelled(name: str, text: str, ctx: PartContext) -> bool:
    """`text` is spelled as the field's closed vocabulary spells it, tone marks and all."""
    if case_flipped(text):
        return False  # "phƯờng": a letter's case flipped inside a word is a troubled reading
    spelling = field_rule(name).spelling
    return bool(spelling is not None and spelling(text, ctx))


_MEASURE_DIGITS = str.maketrans("lI|OoS", "111005")  # a measure's digits as a reader misshapes them


def _is_measure(token: str) -> bool:
    return bool(re.search(r"\d", token)) or token.casefold().startswith("c:")


def mark_words_settle(name: str, first: str, second: str, ctx: PartContext) -> bool:
    """An identifying mark the first reader read wholly in the mark vocabulary's words, and the
    second word for word alike but for marks that make a word no word of the vocabulary
    ("dải" for "dái", "chăm" for "chấm"), or a digit shaped as a letter in a measure ("C:lcm"):
    the vocabulary settles the words; the measures, which have none, must be the same digits."""
    if field_rule(name).spelling is not _mark_terms or not spelled(name, first, ctx):
        return False
    a, b = nfc(first).casefold().split(), nfc(second).casefold().split()
    measures = [[t.translate(_MEASURE_DIGITS) for t in words if _is_measure(t)] for words in (a, b)]
    if len(a) != len(b) or measures[0] != measures[1]:
        return False
    for x, y in zip(a, b, strict=True):
        if x != y and not (_is_measure(x) and _is_measure(y)) and (letters_of(x) != letters_of(y) or _mark_word(y)):
            return False
    return True


def mark_words_merged(name: str, first: str, second: str, ctx: PartContext) -> str | None:
    """An identifying mark two readers read with the same letters and digits, each misreading
    a mark somewhere ("Seo chấm" and "Sẹo chăm"): word by word, the one the mark vocabulary
    spells so (its letters have one spelling there), where the whole then spells its terms."""
    if field_rule(name).spelling is not _mark_terms or letters_of(first) != letters_of(second):
        return None
    a, b = nfc(first).split(), nfc(second).split()
    if len(a) != len(b):
        return None
    words = []
    for x, y in zip(a, b, strict=True):
        if x == y:
            words.append(x)
        elif _is_measure(x) or _is_measure(y):
            return None  # a measure has no vocabulary: read alike to the character, or not settled
        elif _mark_word(x.casefold()) != _mark_word(y.casefold()):
            words.append(x if _mark_word(x.casefold()) else y)
        else:
            return None  # both words of the vocabulary, or neither: nothing settles the marks
    merged = " ".join(words)
    return merged if spelled(name, merged, ctx) else None


def _mark_word(token: str) -> bool:
    """A word of the mark vocabulary's terms, spelled as they spell it."""
    word = token.strip(".,;:()/-–")
    return word in _MARK_WORDS.get(letters_of(word), ())


def contradicted(name: str, text: str, ctx: PartContext) -> bool:
    """The field's closed vocabulary says `text` is misread: outside a closed list (a
    nationality), or a word spelled with marks the vocabulary never gives it. Readers that
    agree on such a reading slipped alike (both miss a small stacked mark)."""
    rule = field_rule(name).contradicted
    return bool(rule is not None and rule(text, ctx))


def _verdict(rule: Rule | None, text: str, ctx: PartContext) -> bool | None:
    return None if rule is None else rule(text, ctx)


def rule_ok(name: str, f: Field, ctx: PartContext) -> bool:
    """A rule validates this single reading of the value."""
    if case_flipped(f.value):
        return False  # "phƯờng": a letter's case flipped inside a word is a troubled reading
    if ctx.part.kind in OFFICIAL_KINDS:
        return f.status == FieldStatus.OK  # pipeline.fields.official_doc applied its rules
    row = field_rule(name)
    if (verdict := _verdict(row.on_read, f.value, ctx)) is not None:
        return verdict
    if f.confidence < ctx.cfg.ok_threshold:
        return False
    if (verdict := _verdict(row.on_sure_read, f.value, ctx)) is not None:
        return verdict
    if ctx.has_codes:
        return False  # a card with codes: a printed value unconfirmed by them is suspect
    format_rule = FORMAT_RULES.get(value_type(name))
    return format_rule is not None and format_rule(f.value)


def settles(name: str, f: Field, other: str, ctx: PartContext) -> bool:
    """A rule that stands against a second reading that differs: the expiry exactly as the
    card's generation dictates from the confirmed birth date; a member of a closed
    vocabulary that the other reading is not (a slip rarely lands on another member)."""
    stands_against = field_rule(name).stands_against
    return stands_against is not None and stands_against(other, ctx) and rule_ok(name, f, ctx)


def finished(name: str, f: Field, ctx: PartContext) -> Field:
    """The field's own checks on its decided value (`FieldRule.finish`)."""
    finish = field_rule(name).finish
    return f if finish is None else finish(f, ctx)
