"""The one form a name, a place and a date take, whatever source gave the value (the print as
read, a card's QR code, its MRZ); `models.fields` says which.

- A person's name as the document prints it: in capitals on an identity card, whose QR code
  writes it in title case; on other documents as written there. Tone marks stay where they
  sit; the MRZ's unmarked capitals are a check, never the value.
- A place as the document prints it, letters and case; where a card's QR code carries the same
  place, in the code's punctuation (exact, where a reading's may not be).
- A date DD/MM/YYYY where its digits say it unambiguously; `ok` in no other shape.
"""

from __future__ import annotations

from dataclasses import replace

from models.document import DocumentKind, Field, FieldStatus, ReviewReason
from models.fields import ValueType
from models.kinds import RULES_BY_KIND, Layout
from pipeline.fields.values import NO_EXPIRY, parse_date
from pipeline.fields.verify.common import flag, value_type
from pipeline.text import nfc

CARD_KINDS = frozenset(kind for kind, rule in RULES_BY_KIND.items() if rule.layout == Layout.CARD)


def place_as_printed(printed: str, code_text: str) -> str:
    """`code_text` with each letter and digit as `printed` has it (the two agree up to case and
    punctuation); `printed` where they do not line up."""
    printed_chars = iter(c for c in printed if c.isalnum())
    out = []
    for c in code_text:
        if not c.isalnum():
            out.append(c)
            continue
        p = next(printed_chars, None)
        if p is None or p.casefold() != c.casefold():
            return printed
        out.append(p)
    return printed if next(printed_chars, None) is not None else "".join(out)


def person_name(value: str, kind: DocumentKind) -> str:
    """A person's name in its canonical form on a document of `kind`."""
    return nfc(value).upper() if kind in CARD_KINDS else value


def date_value(value: str) -> tuple[str, bool] | None:
    """A date value in DD/MM/YYYY (or a card's "no expiry"), and whether it is a real date;
    None where the value is not one date whose digits say it unambiguously."""
    if value == NO_EXPIRY:
        return value, True
    return parse_date(value, whole=True)


def shaped_date(name: str, f: Field) -> Field:
    """A date as read, put in DD/MM/YYYY where its digits say one date unambiguously (before
    it is held to its rules); anything else as it is."""
    if value_type(name) != ValueType.DATE:
        return f
    dated = date_value(f.value)
    return (
        f
        if dated is None or dated[0] == f.value
        else flag(replace(f, value=dated[0]), f.status, f.reason, read_value=f.value)
    )


def canonical(name: str, f: Field, kind: DocumentKind) -> Field:
    """`f` with its value in the canonical form for its type; a date that cannot be put in
    shape is never `ok`."""
    vtype = value_type(name)
    if vtype == ValueType.NAME:
        return replace(f, value=person_name(f.value, kind))
    if vtype != ValueType.DATE:
        return f
    f = shaped_date(name, f)
    dated = date_value(f.value)
    if f.status == FieldStatus.OK and (dated is None or not dated[1]):
        return flag(f, FieldStatus.NEEDS_REVIEW, ReviewReason.RULE_FAILED, rule=["not a real date in DD/MM/YYYY"])
    return f
