"""The decision per field: `ok`, `needs_review` or `invalid`, from every source a dossier has.

Sources of a value: the printed text as read (OCR, or a PDF's own text layer), the same
print read by a second recognizer of unrelated design (`pipeline.ocr.second_read`), a card's QR
code, a card's MRZ. A field is
- `ok` when two independent sources agree (two recognizers only letter for letter, each sure
  of every letter of the value), or when a rule validates it (MRZ check digits, a closed
  vocabulary, a date that must be a milestone birthday) on a confident read that the second
  recognizer, where it read the value, does not contradict; or when two recognizers agree on
  the letters and the field's closed vocabulary says which tone marks are right;
- `invalid` when it fails a rule (impossible date, malformed number);
- `needs_review` otherwise: low confidence, sources that disagree, nothing to check it
  against, handwriting, an address unit that cannot be placed, a value that may have been cut
  short at a line wrap (or an address stopping short of its province).
A single low-confidence read is never `ok`; a handwritten value is never `ok`. When the
printed text and the MRZ agree, the value is the printed one (with tone marks), never the
MRZ's stripped form.

Pure: `verify_parts` takes the documents of one dossier (or one `sohoa process` call) and
returns their fields with final statuses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Protocol

from models.document import Box, DocumentKind, Field, FieldStatus, PageText, ReviewReason, TextSource, overlap
from models.fields import ADDRESS_FIELDS, ADDRESS_TYPE_WORDS, ADDRESSEE_BODIES, PERSON_FIELDS, ValueType, field_spec
from models.idcards import (
    CAN_CUOC,
    CARD_NATIONALITIES,
    CHIP_CCCD,
    CMND,
    ETHNIC_GROUPS,
    IDENTIFYING_MARK_TERMS,
    CardGeneration,
)
from models.kinds import OFFICIAL_KINDS, RULES_BY_KIND, KindRule, Layout
from pipeline.fields.idcheck import (
    QrPayload,
    Td1Mrz,
    date_from_words,
    date_problems,
    expiry_is_milestone,
    find_td1,
    format_date,
    id12_century,
    id12_problems,
    parse_card_qr,
    parse_ddmmyyyy,
    same_name,
    same_text,
)
from pipeline.text import fold
from pipeline.fields.vocabulary import TermVocabulary, letters_of

GENERATIONS: dict[DocumentKind, CardGeneration] = {
    DocumentKind.CCCD_FRONT: CHIP_CCCD, DocumentKind.CCCD_BACK: CHIP_CCCD,
    DocumentKind.CAN_CUOC_FRONT: CAN_CUOC, DocumentKind.CAN_CUOC_BACK: CAN_CUOC,
    DocumentKind.CMND_FRONT: CMND,
}
# Value types a rule can validate on a single confident read (a closed format whose
# misreads mostly break it); names and free text always need a second source.
_RULE_TYPES = frozenset({ValueType.DATE, ValueType.ID12, ValueType.ID9, ValueType.GENDER, ValueType.PHONE,
                         ValueType.EMAIL})
_HANDWRITING_OVERLAP = 0.3  # share of a field's box under handwriting that makes it handwritten
# What a card's codes say that only the card itself prints (the QR's address is the residence).
_CARD_ONLY_FIELDS = frozenset({"noi_thuong_tru", "noi_cu_tru", "ngay_cap", "co_gia_tri_den", "so_cmnd"})
_WEAKER_THAN_HANDWRITING = (None, ReviewReason.SINGLE_SOURCE, ReviewReason.LOW_CONFIDENCE)


def _case_flipped(text: str) -> bool:
    """An upper-case letter right after a lower-case one inside a word ("phƯờng")."""
    return any(a.islower() and b.isupper() for a, b in zip(text, text[1:], strict=False))


def _addressee_unit(text: str) -> str | None:
    """"Ủy ban nhân dân phường Ba Đình" -> "phường Ba Đình": the unit after a known body."""
    folded = text.casefold()
    for body in ADDRESSEE_BODIES:
        if folded.startswith(body.casefold() + " "):
            return text[len(body):].strip()
    return None


def misread_type_words(address: str) -> list[str]:
    """Words opening a numbered part of the address ("Tổ 38", "Ngõ 165", "Số 5") that are a
    unit type up to tone marks but not exactly ("Tố 38"): the closed vocabulary a reading of
    the street part can be held to. Before a name ("Ngô Đồng", "Ngô Quyền") such a word may be
    the name itself, so only numbered parts are held to it."""
    found = []
    for part in address.split(","):
        words = part.split()
        for type_word in ADDRESS_TYPE_WORDS:
            n = len(type_word.split())
            head = " ".join(words[:n])
            if len(words) > n and words[n][:1].isdigit() and fold(head) == fold(type_word):
                if head.casefold() != type_word:
                    found.append(head)
                break
    return found


def _vocabulary_key(text: str) -> str:
    """Case, hyphens and spacing do not matter in a closed vocabulary; tone marks do."""
    return " ".join(re.sub(r"[-‐–]", " ", text).casefold().split())


_ETHNIC_KEYS = frozenset(_vocabulary_key(e) for e in ETHNIC_GROUPS)
# Free-text fields written in a small vocabulary of terms.
_TERM_VOCABULARIES = {"dac_diem_nhan_dang": TermVocabulary(IDENTIFYING_MARK_TERMS)}


@dataclass(slots=True)
class PartInput:
    """One document of the dossier as read: kind, its pages, fields from its text."""

    kind: DocumentKind
    pages: list[PageText]
    fields: dict[str, Field]
    second: dict[str, Field] = field(default_factory=dict)  # the same values by the second reader
    third: dict[str, Field] = field(default_factory=dict)  # by the third, where the first two differ


@dataclass(slots=True)
class Identity:
    """What a card's machine-readable parts say about its holder: field -> (source, value)."""

    id12: str
    values: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def add(self, name: str, source: str, value: str) -> None:
        if value and (source, value) not in self.values.get(name, []):
            self.values.setdefault(name, []).append((source, value))

    def merge(self, other: Identity) -> None:
        for name, values in other.values.items():
            for source, value in values:
                self.add(name, source, value)


class PlaceCatalogue(Protocol):
    """The administrative units (pipeline.fields.address is the real one)."""

    def resolve_address(self, text: str) -> Any: ...

    def spelled_as_catalogued(self, text: str) -> bool: ...

    def ends_with_province(self, text: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class Thresholds:
    review_threshold: float  # below: low confidence
    ok_threshold: float  # a single rule-validated read needs at least this
    today: date
    second_threshold: float = 0.5  # the second recognizer's least sure character in the value


@dataclass(frozen=True, slots=True)
class _CardCodes:
    """A document's own machine-readable parts, and what they say about its holder."""

    qr: QrPayload | None
    qr_box: Box | None
    qr_page: int
    mrz: Td1Mrz | None
    identities: list[Identity]


def _codes_of(part: PartInput) -> _CardCodes:
    qr, qr_box, qr_page = _qr_of(part.pages)
    mrz = _mrz_of(part.pages)
    return _CardCodes(qr, qr_box, qr_page, mrz, _identity_from(qr, mrz))


def _qr_of(pages: list[PageText]) -> tuple[QrPayload | None, Box | None, int]:
    for page in pages:
        for code in page.codes:
            parsed = parse_card_qr(code.text)
            if parsed is not None:
                return parsed, code.box, page.index
    return None, None, 0


def _mrz_of(pages: list[PageText]) -> Td1Mrz | None:
    for page in pages:
        found = find_td1([line.text for line in page.lines])
        if found is not None:
            return found
    return None


def _identity_from(qr: QrPayload | None, mrz: Td1Mrz | None) -> list[Identity]:
    out: dict[str, Identity] = {}
    if qr is not None and qr.valid:
        ident = out.setdefault(qr.values["so_dinh_danh"], Identity(qr.values["so_dinh_danh"]))
        for name, value in qr.values.items():
            ident.add(name, "qr", value)
    if mrz is not None and mrz.valid and mrz.id12 and not id12_problems(mrz.id12):
        ident = out.setdefault(mrz.id12, Identity(mrz.id12))
        ident.add("so_dinh_danh", "mrz", mrz.id12)
        birth = mrz.birth_date(id12_century(mrz.id12))
        if birth is not None:
            ident.add("ngay_sinh", "mrz", format_date(birth))
        expiry = mrz.expiry_date()
        if expiry is not None:
            ident.add("co_gia_tri_den", "mrz", format_date(expiry))
        # Sex is outside every MRZ check digit: it counts only when the number's digit agrees.
        if mrz.sex and not id12_problems(mrz.id12, sex=mrz.sex):
            ident.add("gioi_tinh", "mrz", mrz.sex)
        ident.add("ho_va_ten", "mrz", mrz.name)
    return list(out.values())


def _value_type(name: str) -> ValueType:
    spec = field_spec(_base(name))
    return spec.value_type if spec else ValueType.TEXT


def _same(name: str, a: str, b: str, source_b: str) -> bool:
    vtype = _value_type(name)
    if vtype == ValueType.NAME or _base(name) == "ho_va_ten":
        return same_name(a, b, ignore_diacritics=source_b == "mrz")
    if vtype in (ValueType.DATE, ValueType.ID12, ValueType.ID9, ValueType.GENDER):
        return re.sub(r"\s", "", a) == re.sub(r"\s", "", b)
    return same_text(a, b)


def _base(name: str) -> str:
    return re.sub(r"_\d+$", "", name)


def _handwritten(f: Field, pages: dict[int, PageText]) -> bool:
    page = pages.get(f.page)
    return page is not None and any(overlap(f.box, r) >= _HANDWRITING_OVERLAP for r in page.handwriting)


def _touches_handwriting(f: Field, pages: dict[int, PageText]) -> bool:
    """A mark lies over part of the field (a wrapped value written on one of its lines), or the
    field over most of a mark."""
    page = pages.get(f.page)
    return page is not None and any(max(overlap(f.box, r), overlap(r, f.box)) >= _HANDWRITING_OVERLAP
                                    for r in page.handwriting)


def _flag(f: Field, status: FieldStatus, reason: ReviewReason | None, **detail: object) -> Field:
    merged = {**(f.detail or {}), **{k: v for k, v in detail.items() if v is not None}} or None
    return replace(f, status=status, reason=reason, detail=merged)


def _text_source(f: Field, pages: dict[int, PageText]) -> str:
    page = pages.get(f.page)
    return "pdf_text" if page is not None and page.text_source == TextSource.PDF_TEXT else "ocr"


# Values that are digits with separators in a fixed pattern: the digits are the value (the
# first reading is already normalized, say 16/06/2023, the second as read, say 1606/2023).
_DIGIT_VALUES = (ValueType.DATE, ValueType.ID12, ValueType.ID9, ValueType.PHONE)


def _read_alike(name: str, a: str, b: str) -> bool:
    """Two recognizers' readings of one printed value: equal letter for letter, tone marks,
    case and punctuation included (spacing aside); for a date or a number, digit for digit,
    every digit (a thin slash the second reader drops is not part of the value)."""
    if not a:
        return False
    if _value_type(name) in _DIGIT_VALUES:
        digits = re.sub(r"\D", "", a)
        return bool(digits) and digits == re.sub(r"\D", "", b) and not re.search(r"[^\d\s/.,\-+()]", b)
    return " ".join(a.split()) == " ".join(b.split())


def _third_sides(name: str, f: Field, second: Field, third: Field | None, cfg: Thresholds) -> Field | None:
    """Where the first two readings differ, the third (Tesseract's model for the Vietnamese
    script, another network than `vie`) settles the value only when it reads it exactly as the
    second reader (AsterNet) does, surely, and AsterNet is sure of every letter: two
    unrelated designs agree. Siding with the first reader settles nothing: two Tesseract
    models slip alike (both read a small "Sẹo" as "Seo", where AsterNet read it right).
    """
    if third is None or third.confidence < cfg.review_threshold or third.status == FieldStatus.INVALID:
        return None
    if _case_flipped(third.value):
        return None
    if _read_alike(name, third.value, second.value) and second.confidence >= cfg.second_threshold:
        return _flag(replace(f, value=third.value, confidence=min(third.confidence, f.confidence),
                             sources=("ocr2", "ocr3")), FieldStatus.OK, None,
                     read_value=f.value, ocr2_confidence=round(second.confidence, 3))
    return None


def _marks_settled(name: str, first: str, second: str, spelled: Callable[[str, str], bool]) -> str | None:
    """Two readings with the same letters that differ only in marks (or punctuation): the one
    the field's vocabulary spells so, where exactly one is (`pipeline.fields.vocabulary`)."""
    if first == second or _case_flipped(first) or _case_flipped(second) or letters_of(first) != letters_of(second):
        return None
    first_spelled, second_spelled = spelled(name, first), spelled(name, second)
    if first_spelled != second_spelled:
        return first if first_spelled else second
    return None


def _never_spelled(name: str, text: str) -> bool:
    return False


def _decide_read(name: str, f: Field, refs: list[tuple[str, str]], source: str, cfg: Thresholds,
                 rule_ok: Callable[[str, Field], bool], second: Field | None = None,
                 settles: Callable[[str, Field, str], bool] | None = None, third: Field | None = None,
                 spelled: Callable[[str, str], bool] = _never_spelled) -> Field:
    """Status of a value read from the page, given other sources' values for the same field,
    the second (and third) recognizer's reading of it, and whether a text is spelled as the
    field's closed vocabulary spells it (`spelled`)."""
    agree = [src for src, v in refs if _same(name, f.value, v, src)]
    disagree = {src: v for src, v in refs if not _same(name, f.value, v, src)}
    if disagree:
        value = f.value
        if f.status == FieldStatus.INVALID and "qr" in disagree:
            value = disagree["qr"]  # the code's value, not an impossible reading
        return _flag(replace(f, value=value, sources=(source, *disagree)), FieldStatus.NEEDS_REVIEW,
                     ReviewReason.SOURCES_DISAGREE, **{f"{src}_value": v for src, v in disagree.items()},
                     read_value=f.value)
    if agree:
        if agree == ["mrz"] and _base(name) == "ho_va_ten" and f.confidence < cfg.review_threshold:
            # The MRZ confirms the letters, not the tone marks, of a doubtful reading.
            return _flag(replace(f, sources=(source, "mrz")), FieldStatus.NEEDS_REVIEW, ReviewReason.LOW_CONFIDENCE)
        value = f.value
        if "qr" in agree and _value_type(name) == ValueType.TEXT:
            value = dict(refs)["qr"]  # free text agreed up to punctuation: the code's exact text
        return _flag(replace(f, value=value, sources=(source, *agree)), FieldStatus.OK, None)
    if f.status == FieldStatus.INVALID:
        return _flag(replace(f, sources=(source,)), FieldStatus.INVALID, ReviewReason.RULE_FAILED)
    if (f.detail or {}).get("may_continue"):
        # Read right (even from a text layer) or not, the value may be cut short.
        return _flag(replace(f, sources=(source,)), FieldStatus.NEEDS_REVIEW, ReviewReason.MAY_CONTINUE)
    if source == "pdf_text":
        # A born-digital document's own text: nothing was guessed.
        return _flag(replace(f, sources=(source,)), FieldStatus.OK, None)
    if f.confidence < cfg.review_threshold:
        return _flag(replace(f, sources=(source,)), FieldStatus.NEEDS_REVIEW, ReviewReason.LOW_CONFIDENCE)
    if second is not None and source == "ocr":
        if _read_alike(name, f.value, second.value) and not _case_flipped(f.value):
            if second.confidence >= cfg.second_threshold:
                return _flag(replace(f, sources=(source, "ocr2")), FieldStatus.OK, None,
                             ocr2_confidence=round(second.confidence, 3))
            if spelled(name, f.value):
                # Both slipping alike would have to land on another spelling of the vocabulary.
                return _flag(replace(f, sources=(source, "ocr2", "rule")), FieldStatus.OK, None,
                             ocr2_confidence=round(second.confidence, 3))
            # Alike, but the second reader doubted a letter: the spot where both may slip
            # the same way (a small stacked mark, as on a photographed capital Ễ).
            return _flag(replace(f, sources=(source, "ocr2")), FieldStatus.NEEDS_REVIEW,
                         ReviewReason.LOW_CONFIDENCE, ocr2_confidence=round(second.confidence, 3))
        if settles is not None and settles(name, f, second.value):
            return _flag(replace(f, sources=(source, "rule")), FieldStatus.OK, None, ocr2_value=second.value)
        if (marked := _marks_settled(name, f.value, second.value, spelled)) is not None:
            return _flag(replace(f, value=marked, sources=(source, "ocr2", "rule")), FieldStatus.OK, None,
                         **({"ocr2_value": second.value} if marked == f.value else {"read_value": f.value}))
        if (sided := _third_sides(name, f, second, third, cfg)) is not None:
            return sided
        # Two readers that differ: one of them misread, even a value whose format is fine.
        return _flag(replace(f, sources=(source, "ocr2")), FieldStatus.NEEDS_REVIEW, ReviewReason.SOURCES_DISAGREE,
                     ocr2_value=second.value, read_value=f.value)
    if rule_ok(name, f):
        return _flag(replace(f, sources=(source, "rule")), FieldStatus.OK, None)
    return _flag(replace(f, sources=(source,)), FieldStatus.NEEDS_REVIEW, ReviewReason.SINGLE_SOURCE)


def _from_machine(name: str, refs: list[tuple[str, str]], box: Box, page: int) -> Field | None:
    """A field only the card's codes carry (the MRZ's number on a card back)."""
    by_source = dict(refs)
    if "qr" in by_source:
        return Field(by_source["qr"], 1.0, page, box, FieldStatus.OK, ("qr",))
    if "mrz" in by_source and _base(name) != "ho_va_ten":  # never the stripped name as a value
        return Field(by_source["mrz"], 1.0, page, box, FieldStatus.OK, ("mrz",))
    return None


def _mrz_box(pages: list[PageText]) -> tuple[Box, int] | None:
    for page in pages:
        rows = [ln for ln in page.lines if len(ln.text.replace(" ", "")) == 30 and "<" in ln.text]
        if rows:
            return (min(r.box[0] for r in rows), min(r.box[1] for r in rows), max(r.box[2] for r in rows),
                    max(r.box[3] for r in rows)), page.index
    return None


def verify_parts(parts: list[PartInput], *, review_threshold: float, ok_threshold: float,
                 today: date | None = None, places: PlaceCatalogue | None = None,
                 second_threshold: float = 0.5) -> list[dict[str, Field]]:
    """Final fields of every document of a dossier, in the order given."""
    cfg = Thresholds(review_threshold, ok_threshold, today or date.today(), second_threshold)
    codes = [_codes_of(part) for part in parts]
    identities: dict[str, Identity] = {}  # every card record of the dossier, by ID number
    for ident in (i for c in codes for i in c.identities):
        identities.setdefault(ident.id12, Identity(ident.id12)).merge(ident)
    return [_verify_part(part, c, identities, cfg, places) for part, c in zip(parts, codes, strict=True)]


def _holder(part: PartInput, codes: _CardCodes, identities: dict[str, Identity]) -> Identity | None:
    """The card record this document is about: its own codes, else its printed number."""
    qr, mrz = codes.qr, codes.mrz
    for candidate in (qr.values.get("so_dinh_danh") if qr and qr.valid else None,
                      mrz.id12 if mrz and mrz.valid else None,
                      part.fields["so_dinh_danh"].value if "so_dinh_danh" in part.fields else None):
        if candidate and candidate in identities:
            return identities[candidate]
    return None


def _verify_part(part: PartInput, codes: _CardCodes, identities: dict[str, Identity], cfg: Thresholds,
                 places: PlaceCatalogue | None) -> dict[str, Field]:
    pages = {p.index: p for p in part.pages}
    rule = RULES_BY_KIND.get(part.kind)
    holder = _holder(part, codes, identities)
    generation = GENERATIONS.get(part.kind)
    out: dict[str, Field] = {}
    fields = dict(part.fields)

    def refs_for(name: str) -> list[tuple[str, str]]:
        """Values the holder's card codes give for this field."""
        if holder is None or not (name in PERSON_FIELDS or (name in _CARD_ONLY_FIELDS and part.kind in GENERATIONS)):
            return []  # a form's address or dates are not the card's
        return holder.values.get("noi_thuong_tru" if name == "noi_cu_tru" else name, [])

    def spelled(name: str, text: str) -> bool:
        """`text` is spelled as the field's closed vocabulary spells it, tone marks and all."""
        base = _base(name)
        if _case_flipped(text):
            return False  # "phƯờng": a letter's case flipped inside a word is a troubled reading
        if base == "quoc_tich":
            return text in CARD_NATIONALITIES
        if base == "dan_toc":
            return _vocabulary_key(text) in _ETHNIC_KEYS
        if base in _TERM_VOCABULARIES:
            return _TERM_VOCABULARIES[base].spells(text)
        if places is not None and base in ADDRESS_FIELDS:
            # A place written only with catalogued unit names, tone marks as catalogued
            # (after a body, as in "Ủy ban nhân dân phường X, ..." for a place of registration).
            return places.spelled_as_catalogued(_addressee_unit(text) or text)
        return False

    def rule_ok(name: str, f: Field) -> bool:
        base = _base(name)
        if _case_flipped(f.value):
            return False  # "phƯờng": a letter's case flipped inside a word is a troubled reading
        if part.kind in OFFICIAL_KINDS:
            return f.status == FieldStatus.OK  # pipeline.fields.official_doc applied its rules
        if base in ("quoc_tich", "dan_toc") or (places is not None and base in ADDRESS_FIELDS):
            return spelled(name, f.value)
        if places is not None and base == "kinh_gui":
            body = _addressee_unit(f.value)
            return body is not None and places.spelled_as_catalogued(body)
        if f.confidence < cfg.ok_threshold:
            return False
        spec = field_spec(base)
        if base == "gioi_tinh":
            number = fields.get("so_dinh_danh")
            return number is None or not id12_problems(number.value, sex=f.value)
        if base == "co_gia_tri_den" and generation is not None:
            birth = out.get("ngay_sinh")
            expiry = parse_ddmmyyyy(f.value)
            return (birth is not None and birth.status == FieldStatus.OK and expiry is not None
                    and expiry_is_milestone(parse_ddmmyyyy(birth.value), expiry, generation))
        if rule is not None and (rule.has_qr or rule.has_mrz):
            return False  # a card with codes: a printed value unconfirmed by them is suspect
        if spec is not None and spec.value_type == ValueType.ID12 and not f.value.startswith("0"):
            return False  # a foreign-birth code is rare: it needs a person, not only its format
        return spec is not None and spec.value_type in _RULE_TYPES

    def settles(name: str, f: Field, other: str) -> bool:
        """A rule that stands against a second reading that differs: the expiry exactly as the
        card's generation dictates from the confirmed birth date; a member of a closed
        vocabulary that the other reading is not (a slip rarely lands on another member)."""
        base = _base(name)
        if base == "co_gia_tri_den" and generation is not None:
            return rule_ok(name, f)
        if base == "quoc_tich":
            return rule_ok(name, f) and other not in CARD_NATIONALITIES
        if base == "dan_toc":
            return rule_ok(name, f) and _vocabulary_key(other) not in _ETHNIC_KEYS
        if base == "gioi_tinh":
            return rule_ok(name, f) and other not in ("Nam", "Nữ")
        return False

    # Printed values first (dates of birth before expiries: the milestone rule uses it).
    order = sorted(fields, key=lambda n: (n != "so_dinh_danh", n != "ngay_sinh", n == "co_gia_tri_den"))
    for name in order:
        f = fields[name]
        source = _text_source(f, pages)
        decided = _decide_read(name, f, refs_for(_base(name)) if name == _base(name) else [], source, cfg, rule_ok,
                               part.second.get(name), settles, part.third.get(name), spelled)
        out[name] = decided

    # Fields only the card's own codes carry (e.g. the back: number, birth, expiry from the MRZ).
    if rule is not None and codes.identities:
        mrz_place = _mrz_box(part.pages)
        for name in rule.fields:
            refs = codes.identities[0].values.get(name, [])
            if name in out or not refs:
                continue
            if "qr" in dict(refs) and codes.qr_box:
                box, page = codes.qr_box, codes.qr_page
            else:
                box, page = mrz_place or ((0, 0, 0, 0), 0)
            made = _from_machine(name, refs, box, page)
            if made is not None:
                out[name] = made

    _date_in_words(out, cfg)
    _cross_field_rules(part, out, generation, cfg)
    for name in list(out):
        if _base(name) in ADDRESS_FIELDS and places is not None:
            out[name] = _with_unit(out[name], places.resolve_address)
            f = out[name]
            if f.status == FieldStatus.OK and not _confirmed(f) and not places.ends_with_province(f.value):
                # Read right, perhaps, but stopping short of its province: cut at a wrap, or incomplete.
                out[name] = _flag(f, FieldStatus.NEEDS_REVIEW, ReviewReason.MAY_CONTINUE, no_province=True)
            elif f.status == FieldStatus.OK and not _confirmed(f) and (words := misread_type_words(f.value)):
                out[name] = _flag(f, FieldStatus.NEEDS_REVIEW, ReviewReason.RULE_FAILED,
                                  rule=[f"not a unit type as written: {w}" for w in words])
        elif _base(name) == "kinh_gui" and places is not None:
            f = out[name]
            last = f.value.rsplit(",", 1)[-1].strip().casefold()
            if (f.status == FieldStatus.OK and not _confirmed(f) and last.startswith(("tỉnh ", "thành phố "))
                    and not places.ends_with_province(f.value)):
                # "..., thành phố Hà": a province named short of its name was cut (at a wrap, a page edge).
                out[name] = _flag(f, FieldStatus.NEEDS_REVIEW, ReviewReason.MAY_CONTINUE, no_province=True)
        f = out[name]
        if _handwritten(f, pages) and (f.status == FieldStatus.OK or f.reason in _WEAKER_THAN_HANDWRITING):
            # Never ok; and "handwritten" tells the reviewer more than "single source".
            status = FieldStatus.NEEDS_REVIEW if f.status == FieldStatus.OK else f.status
            out[name] = _flag(f, status, ReviewReason.HANDWRITTEN)
    _filled_by_hand(out, pages, rule)
    qr = codes.qr
    if qr is not None and (qr.extra or qr.problems):
        note = {"qr_extra_fields": list(qr.extra), "qr_problems": list(qr.problems), "qr_raw": qr.raw}
        for name, f in out.items():
            if "qr" in f.sources:
                out[name] = _flag(f, f.status, f.reason, **{k: v for k, v in note.items() if v})
    return {name: out[name] for name in _ordered(out, fields)}


def _filled_by_hand(out: dict[str, Field], pages: dict[int, PageText], rule: KindRule | None) -> None:
    """A form whose own fields are partly handwritten was filled in by hand: the detector
    misses some handwriting (neat black print), so its other values need more than their
    format — only values confirmed by a second source stay `ok`."""
    if rule is None or rule.layout != Layout.PAGE:
        return
    if not any(_touches_handwriting(out[name], pages) for name in rule.fields if name in out):
        return
    for name, f in out.items():
        if f.status == FieldStatus.OK and not _confirmed(f):
            out[name] = _flag(f, FieldStatus.NEEDS_REVIEW, ReviewReason.HANDWRITTEN, form_filled_by_hand=True)


def _ordered(out: dict[str, Field], read: dict[str, Field]) -> list[str]:
    return [n for n in read if n in out] + [n for n in out if n not in read]


def _confirmed(f: Field) -> bool:
    """Rests on a second source (a code, the date in words), not only on readings of the
    value (one recognizer's or two) and its format."""
    return bool(set(f.sources) - {"ocr", "ocr2", "ocr3", "pdf_text", "rule"})


def _date_in_words(out: dict[str, Field], cfg: Thresholds) -> None:
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
            out[name] = _flag(f, FieldStatus.NEEDS_REVIEW, ReviewReason.SOURCES_DISAGREE,
                              in_words=format_date(said), in_figures=digits.value)
    elif min(digits.confidence, words.confidence) >= cfg.review_threshold:
        out["ngay_sinh"] = _flag(replace(digits, sources=(*digits.sources[:1], "in_words")), FieldStatus.OK, None)
        out["ngay_sinh_bang_chu"] = _flag(replace(words, sources=(*words.sources[:1], "in_figures")),
                                          FieldStatus.OK, None)


def _cross_field_rules(part: PartInput, out: dict[str, Field], generation: CardGeneration | None,
                       cfg: Thresholds) -> None:
    """Fields of one document that contradict each other: the number's digits against the
    birth year and sex; a card's dates against each other and today."""
    number, birth, sex = out.get("so_dinh_danh"), out.get("ngay_sinh"), out.get("gioi_tinh")
    if number is not None and number.status != FieldStatus.INVALID:
        year = parse_ddmmyyyy(birth.value).year if birth and parse_ddmmyyyy(birth.value) else None
        problems = id12_problems(number.value, year, sex.value if sex else None)
        if problems:
            for name in ("so_dinh_danh", "ngay_sinh", "gioi_tinh"):
                f = out.get(name)
                if f is not None and f.status == FieldStatus.OK and (name == "so_dinh_danh" or not _confirmed(f)):
                    out[name] = _flag(f, FieldStatus.NEEDS_REVIEW, ReviewReason.RULE_FAILED, rule=problems)
    birth_day, registered = (parse_ddmmyyyy(out[n].value) if n in out else None for n in ("ngay_sinh", "ngay_dang_ky"))
    if birth_day and registered and registered < birth_day:  # a birth is registered after it happens
        for name in ("ngay_sinh", "ngay_dang_ky"):
            if out[name].status == FieldStatus.OK and not _confirmed(out[name]):
                out[name] = _flag(out[name], FieldStatus.NEEDS_REVIEW, ReviewReason.RULE_FAILED,
                                  rule=["registration date before birth date"])
    dates = {n: parse_ddmmyyyy(out[n].value) if n in out else None for n in ("ngay_sinh", "ngay_cap", "co_gia_tri_den")}
    problems = date_problems(dates["ngay_sinh"], dates["ngay_cap"], dates["co_gia_tri_den"], cfg.today, generation)
    if not problems:
        return
    for name, what in (("ngay_sinh", "birth date"), ("ngay_cap", "issue date"), ("co_gia_tri_den", "expiry")):
        f = out.get(name)
        if f is None:
            continue
        if f"{what} in the future" in problems:
            out[name] = _flag(f, FieldStatus.INVALID, ReviewReason.RULE_FAILED, rule=problems)
        elif f.status == FieldStatus.OK and not _confirmed(f):
            out[name] = _flag(f, FieldStatus.NEEDS_REVIEW, ReviewReason.RULE_FAILED, rule=problems)


def _with_unit(f: Field, resolve_address: Callable) -> Field:
    """The 2025 unit beside the address as read; a unit that cannot be placed needs a person."""
    res = resolve_address(f.value)
    unit = {"status": res.status, "legacy": res.legacy}
    if res.ward is not None:
        unit.update(ward=res.ward.name, ward_code=res.ward.code)
    if res.province is not None:
        unit.update(province=res.province.name if res.ward is None else res.ward.province_name,
                    province_code=res.province.code if res.ward is None else res.ward.province_code)
    if res.candidates:
        unit["candidates"] = [{"ward": c.name, "ward_code": c.code} for c in res.candidates]
    f = _flag(f, f.status, f.reason, unit=unit)
    if res.status == "ambiguous" and f.status != FieldStatus.INVALID:
        return _flag(f, FieldStatus.NEEDS_REVIEW, ReviewReason.AMBIGUOUS_UNIT)
    if res.status == "unknown" and f.status == FieldStatus.OK:
        return _flag(f, FieldStatus.NEEDS_REVIEW, ReviewReason.UNKNOWN_UNIT)
    return f

