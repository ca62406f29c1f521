"""Checks of a place: spelled as the catalogue of administrative units spells it, placed in a
2025 unit, complete to its province, its unit-type words as written.

The catalogue is what `verify_parts` is given as `places` (pipeline.fields.address is the real
one); only its three methods (`PlaceCatalogue`) are used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from models.document import Field, FieldStatus, ReviewReason
from models.fields import ADDRESS_TYPE_WORDS, ADDRESSEE_BODIES
from pipeline.fields.verify.common import confirmed, flag
from pipeline.fields.verify.inputs import PlaceCatalogue
from pipeline.text import fold


def addressee_unit(text: str) -> str | None:
    """ "Ủy ban nhân dân phường Ba Đình" -> "phường Ba Đình": the unit after a known body."""
    folded = text.casefold()
    for body in ADDRESSEE_BODIES:
        if folded.startswith(body.casefold() + " "):
            return text[len(body) :].strip()
    return None


def place_spelled_as_catalogued(text: str, places: PlaceCatalogue | None) -> bool | None:
    """A place written only with catalogued unit names, tone marks as catalogued (after a body,
    as in "Ủy ban nhân dân phường X, ..." for a place of registration); None without a catalogue."""
    if places is None:
        return None
    return places.spelled_as_catalogued(addressee_unit(text) or text)


def addressee_catalogued(text: str, places: PlaceCatalogue | None) -> bool | None:
    """A known body followed by a catalogued unit ("Công an phường Sài Gòn"); None without a catalogue."""
    if places is None:
        return None
    body = addressee_unit(text)
    return body is not None and places.spelled_as_catalogued(body)


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


def with_unit(f: Field, resolve_address: Callable[[str], Any]) -> Field:
    """The 2025 unit beside the address as read; a unit that cannot be placed needs a person."""
    res = resolve_address(f.value)
    unit = {"status": res.status, "legacy": res.legacy}
    if res.ward is not None:
        unit.update(ward=res.ward.name, ward_code=res.ward.code)
    if res.province is not None:
        unit.update(
            province=res.province.name if res.ward is None else res.ward.province_name,
            province_code=res.province.code if res.ward is None else res.ward.province_code,
        )
    if res.candidates:
        unit["candidates"] = [{"ward": c.name, "ward_code": c.code} for c in res.candidates]
    f = flag(f, f.status, f.reason, unit=unit)
    if res.status == "ambiguous" and f.status != FieldStatus.INVALID:
        return flag(f, FieldStatus.NEEDS_REVIEW, ReviewReason.AMBIGUOUS_UNIT)
    if res.status == "unknown" and f.status == FieldStatus.OK:
        return flag(f, FieldStatus.NEEDS_REVIEW, ReviewReason.UNKNOWN_UNIT)
    return f


def checked_address(f: Field, places: PlaceCatalogue | None) -> Field:
    """An address placed in its 2025 unit; `ok` only when, unconfirmed by a code, it runs to its
    province and its numbered parts open with unit types as written."""
    if places is None:
        return f
    f = with_unit(f, places.resolve_address)
    if f.status != FieldStatus.OK or confirmed(f):
        return f
    if not places.ends_with_province(f.value):
        # Read right, perhaps, but stopping short of its province: cut at a wrap, or incomplete.
        return flag(f, FieldStatus.NEEDS_REVIEW, ReviewReason.MAY_CONTINUE, no_province=True)
    if misspelled := places.misspelled_units(f.value):
        # A unit's name with marks no unit has: both readers missed a small mark (Đ read as D).
        return flag(
            f,
            FieldStatus.NEEDS_REVIEW,
            ReviewReason.RULE_FAILED,
            rule=[f"not a unit's name as written: {part}" for part in misspelled],
        )
    if words := misread_type_words(f.value):
        return flag(
            f,
            FieldStatus.NEEDS_REVIEW,
            ReviewReason.RULE_FAILED,
            rule=[f"not a unit type as written: {w}" for w in words],
        )
    return f


def checked_addressee(f: Field, places: PlaceCatalogue | None) -> Field:
    """ "..., thành phố Hà": a province named short of its name was cut (at a wrap, a page edge)."""
    if places is None or f.status != FieldStatus.OK or confirmed(f):
        return f
    last = f.value.rsplit(",", 1)[-1].strip().casefold()
    named_short = last.startswith(("tỉnh ", "thành phố ")) and not places.ends_with_province(f.value)
    if named_short or _type_word_start(last):
        return flag(f, FieldStatus.NEEDS_REVIEW, ReviewReason.MAY_CONTINUE, no_province=True)
    return f


def _type_word_start(part: str) -> bool:
    """ "thành", "thị", "tỉnh": a unit's type word (or its first word) with no name after it,
    where a line ended before the name."""
    return any(word == part or word.startswith(part + " ") for word in (*_UNIT_TYPE_WORDS, *ADDRESS_TYPE_WORDS))


_UNIT_TYPE_WORDS = ("tỉnh", "thành phố", "quận", "huyện", "thị xã", "thị trấn", "phường", "xã", "đặc khu")
