"""A card's machine-readable parts (QR code, MRZ) and what they say about its holder.

Every card record of a dossier, by ID number, is an `Identity`: a form is checked against the
card of the same person, a card's front against its back's MRZ.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from models.document import Box, Field, FieldStatus, PageText
from models.fields import PERSON_FIELDS
from pipeline.fields.idcheck import (
    QrPayload,
    Td1Mrz,
    find_td1,
    format_date,
    id12_century,
    id12_problems,
    parse_card_qr,
    td1_checked_number,
)
from pipeline.fields.verify.common import base_name
from pipeline.fields.verify.inputs import PartInput
from pipeline.text import fold

# What a card's codes say that only the card itself prints (the QR's address is the residence).
CARD_ONLY_FIELDS = frozenset({"noi_thuong_tru", "noi_cu_tru", "ngay_cap", "co_gia_tri_den", "so_cmnd"})


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


@dataclass(frozen=True, slots=True)
class CardCodes:
    """A document's own machine-readable parts, and what they say about its holder."""

    qr: QrPayload | None
    qr_box: Box | None
    qr_page: int
    mrz: Td1Mrz | None
    identities: list[Identity]


def codes_of(part: PartInput) -> CardCodes:
    qr, qr_box, qr_page = _qr_of(part.pages)
    mrz = _mrz_of(part.pages)
    return CardCodes(qr, qr_box, qr_page, mrz, _identities(qr, mrz))


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


def _identities(qr: QrPayload | None, mrz: Td1Mrz | None) -> list[Identity]:
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


def dossier_identities(codes: list[CardCodes]) -> dict[str, Identity]:
    """Every card record of the dossier, by ID number (a card's two sides merged)."""
    identities: dict[str, Identity] = {}
    for ident in (i for c in codes for i in c.identities):
        identities.setdefault(ident.id12, Identity(ident.id12)).merge(ident)
    return identities


def holder_of(part: PartInput, codes: CardCodes, identities: dict[str, Identity]) -> Identity | None:
    """The card record this document is about: its own codes, else its printed number."""
    qr, mrz = codes.qr, codes.mrz
    for candidate in (
        qr.values.get("so_dinh_danh") if qr and qr.valid else None,
        mrz.id12 if mrz and mrz.valid else None,
        part.fields["so_dinh_danh"].value if "so_dinh_danh" in part.fields else None,
    ):
        if candidate and candidate in identities:
            return identities[candidate]
    return None


def holder_values(holder: Identity | None, name: str, on_card: bool) -> list[tuple[str, str]]:
    """Values the holder's card codes give for field `name` of a document (`on_card`: a card's
    own side); a form's address or dates are not the card's."""
    if holder is None or name != base_name(name):
        return []
    if not (name in PERSON_FIELDS or (name in CARD_ONLY_FIELDS and on_card)):
        return []
    return holder.values.get("noi_thuong_tru" if name == "noi_cu_tru" else name, [])


def from_codes(name: str, refs: list[tuple[str, str]], box: Box, page: int) -> Field | None:
    """A field only the card's codes carry (the MRZ's number on a card back)."""
    by_source = dict(refs)
    if "qr" in by_source:
        return Field(by_source["qr"], 1.0, page, box, FieldStatus.OK, ("qr",))
    if "mrz" in by_source and base_name(name) != "ho_va_ten":  # never the stripped name as a value
        return Field(by_source["mrz"], 1.0, page, box, FieldStatus.OK, ("mrz",))
    return None


def mrz_place(pages: list[PageText]) -> tuple[Box, int] | None:
    """Where the MRZ's three lines lie, and on which page."""
    for page in pages:
        rows = [ln for ln in page.lines if len(ln.text.replace(" ", "")) == 30 and "<" in ln.text]
        if rows:
            return (
                min(r.box[0] for r in rows),
                min(r.box[1] for r in rows),
                max(r.box[2] for r in rows),
                max(r.box[3] for r in rows),
            ), page.index
    return None


def code_only_fields(
    fields_of_kind: tuple[str, ...], part: PartInput, codes: CardCodes, decided: dict[str, Field]
) -> dict[str, Field]:
    """Fields the card's own codes carry that its print did not give (e.g. the back: number,
    birth, expiry from the MRZ), placed on the code they come from."""
    if not codes.identities:
        return {}
    out: dict[str, Field] = {}
    where_mrz = mrz_place(part.pages)
    for name in fields_of_kind:
        refs = codes.identities[0].values.get(name, [])
        if name in decided or not refs:
            continue
        if "qr" in dict(refs) and codes.qr_box:
            box, page = codes.qr_box, codes.qr_page
        else:
            box, page = where_mrz or ((0, 0, 0, 0), 0)
        made = from_codes(name, refs, box, page)
        if made is not None:
            out[name] = made
    return out


def qr_is_canonical(part: PartInput, holder: Identity | None, same: Callable[[str, str, str, str], bool]) -> bool:
    """The card's QR code is the holder's record to return (the issuing authority's own, with
    error correction): it decoded and passed its own checks (a holder's QR values come only from
    such a code: the number's structure, real dates, the number's digits agreeing with birth year
    and sex), the card's MRZ, where read, says nothing else, and the card side is the same card
    (its printed number or the digits of its birth date, or the MRZ's number, even where only its
    first line's check digits hold, are the code's;
    or its number is misread in a digit or two and its name read nearly as the code's). `same` compares two
    sources' values of a field (`decide.same`)."""
    if holder is None or not any(src == "qr" for refs in holder.values.values() for src, _ in refs):
        return False
    for name, refs in holder.values.items():
        by_source = dict(refs)
        if "qr" in by_source and "mrz" in by_source and not same(name, by_source["qr"], by_source["mrz"], "mrz"):
            return False
    qr_values = {name: v for name, refs in holder.values.items() for src, v in refs if src == "qr"}
    printed = {name: f.value for name, f in part.fields.items()}
    return (
        printed.get("so_dinh_danh") == qr_values.get("so_dinh_danh")
        or _same_digits(printed.get("ngay_sinh"), qr_values.get("ngay_sinh"), 8)
        or ("mrz", holder.id12) in holder.values.get("so_dinh_danh", [])
        or _near_number_and_name(printed, qr_values)
        or _mrz_number_is(part.pages, qr_values.get("so_dinh_danh"))
    )


def _mrz_number_is(pages: list[PageText], number: str | None) -> bool:
    """The side's MRZ gives this number under its first line's own two check digits (the
    document number's and the 12-digit number's), its other lines misread or not: the code's
    card is this one."""
    return number is not None and any(td1_checked_number([ln.text for ln in p.lines]) == number for p in pages)


_NEAR_DIGITS = 2  # a printed number misread in at most this many places ...
_NEAR_NAME = 80.0  # ... beside a printed name this alike (its letters without marks, 0-100)


def _same_digits(printed: str | None, coded: str | None, count: int) -> bool:
    """The printed value's digits are the code's, all `count` of them ("0101 1981" as read)."""
    digits = re.sub(r"\D", "", printed or "")
    return len(digits) == count and digits == re.sub(r"\D", "", coded or "")


def _near_number_and_name(printed: dict[str, str], qr: dict[str, str]) -> bool:
    """A photographed card's print misread in a digit or two of its number, with its name read
    nearly as the code's: the same card (another person's code would differ in both)."""
    number, coded = re.sub(r"\D", "", printed.get("so_dinh_danh", "")), qr.get("so_dinh_danh", "")
    if len(number) != len(coded) or sum(a != b for a, b in zip(number, coded, strict=True)) > _NEAR_DIGITS:
        return False
    name, coded_name = (
        re.sub(r"[^a-zđ]", "", fold(v).lower()) for v in (printed.get("ho_va_ten", ""), qr.get("ho_va_ten", ""))
    )
    return bool(name and coded_name) and fuzz.ratio(name, coded_name) >= _NEAR_NAME
