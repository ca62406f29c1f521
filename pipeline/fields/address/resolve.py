"""An address mapped to its 2025 ward and province, or to the candidate wards."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from pipeline.fields.address.catalogue import AdminUnit, Catalogue, CatalogueEntry, NameIndex, catalogue
from pipeline.fields.address.keys import lookup_key, tone_lookup_key
from pipeline.fields.address.matching import (
    NameMatch,
    find,
    find_tolerant,
    lookup,
    skip_type_words,
    ward_written,
)
from pipeline.fields.address.tokens import (
    COUNTRY_KEYS,
    DISTRICT_KINDS,
    PROVINCE_KINDS,
    TINH,
    WARD_KINDS,
    Token,
    segment_start,
    tokenize,
    type_before,
    without_type_word,
)

EXACT, AMBIGUOUS, UNKNOWN = "exact", "ambiguous", "unknown"


@dataclass(frozen=True)
class AddressResolution:
    text: str  # the address as read, NFC, otherwise unchanged
    status: str  # "exact" | "ambiguous" | "unknown"
    ward: AdminUnit | None  # the 2025 commune-level unit when status == "exact"
    province: AdminUnit | None  # the 2025 province (may be known even when the ward is not)
    candidates: tuple[AdminUnit, ...]  # the possible 2025 wards when ambiguous
    legacy: bool  # True when the text used the old 3-level units
    detail: str  # short English reason


def resolve_address(text: str) -> AddressResolution:
    """A full address, street part first: "Số 18 phố Chùa Bộc, phường Trung Liệt, quận Đống Đa,
    thành phố Hà Nội", "..., Phường Sài Gòn, Thành phố Hồ Chí Minh", "Trung Liệt, Đống Đa, Hà Nội".
    Left of the ward is street: an unprefixed unit name must fill a whole comma- or dash-separated
    part to count, so that a street named like a ward is not taken for it."""
    return _resolve(text, place=False)


def resolve_place(text: str) -> AddressResolution:
    """A place name without street part (quê quán, nơi sinh): "Kim Liên, Nam Đàn, Nghệ An",
    also without separators ("Kim Liên Nam Đàn Nghệ An"). Every part is taken as a unit."""
    return _resolve(text, place=True)


def _comma_parts(text: str) -> list[str]:
    return [p.strip() for p in unicodedata.normalize("NFC", text).split(",") if p.strip()]


def spelled_as_catalogued(text: str) -> bool:
    """Every comma-separated part of `text` is a unit name of the catalogue (2025 or older,
    any level) spelled with the same tone marks, and the whole resolves to one 2025 unit.

    Lookups fold tone marks; this is the check that the marks as read are the real ones,
    so that a place name can be taken as validated. A street part makes it False."""
    parts = _comma_parts(text)
    if not parts or _resolve(text, place=True).status != EXACT:
        return False
    names = catalogue().tone_names
    return all(tone_lookup_key(without_type_word(part)) in names for part in parts)


def misspelled_units(text: str) -> list[str]:
    """Parts of an address that name a catalogued unit up to its marks, with marks no unit of
    the catalogue (2025 or older, any level) has ("phường Hà Dông" for Hà Đông): misread marks.
    A part the catalogue does not know at all (a street, a village) says nothing."""
    cat = catalogue()
    return [
        part
        for part in _comma_parts(text)
        if lookup_key(name := without_type_word(part)) in cat.name_keys and tone_lookup_key(name) not in cat.tone_names
    ]


def ends_with_province(text: str) -> bool:
    """The address's last comma-separated part names a province or centrally-run city (2025 or
    one of the 63 before), with or without its type word. An address is written from the
    smallest unit to the largest: one that stops short of its province is incomplete or was
    cut short."""
    parts = _comma_parts(text)
    return bool(parts) and lookup_key(without_type_word(parts[-1])) in catalogue().province_keys


# --- resolution -----------------------------------------------------------------------


@dataclass(slots=True)
class _Outcome:
    status: str
    ward_codes: tuple[str, ...]
    province_code: str | None
    legacy: bool
    notes: list[str]


def _tolerance_note(match: NameMatch, unit: CatalogueEntry) -> str:
    edits = "edit" if match.edits == 1 else "edits"
    return f"tolerant match: read '{match.said}' as {unit.name} ({match.edits} {edits})"


def _old_ward_outcome(cat: Catalogue, match: NameMatch, notes: list[str], district_given: bool) -> _Outcome:
    units = match.units
    targets = tuple(sorted({t for u in units for t in u.targets}))
    province = cat.wards[targets[0]].province_code if targets else None
    if match.edits:
        notes.append(_tolerance_note(match, units[0]))
    if match.alias:
        notes.append(f"'{match.said}' is listed as a former or variant name of {' / '.join(u.name for u in units)}")
    if len(units) == 1:
        old = units[0]
        where = cat.districts[old.parent].name
        if not district_given:
            where += ", district inferred: the only one of that name in the province"
        if len(targets) == 1:
            notes.append(f"old ward {old.name} ({where}) merged whole into {cat.wards[targets[0]].name}")
        else:
            notes.append(f"old ward {old.name} ({where}) partly merged into {len(targets)} wards")
    else:
        places = ", ".join(f"{u.name} ({cat.districts[u.parent].name})" for u in units)
        notes.append(f"{len(units)} old wards match '{match.said}': {places}")
        if len(targets) > 1:
            notes.append(f"they went to {len(targets)} wards")
    status = EXACT if len(targets) == 1 else AMBIGUOUS
    return _Outcome(status, targets, province, True, notes)


def _new_ward_outcome(cat: Catalogue, match: NameMatch, notes: list[str], legacy: bool) -> _Outcome:
    codes = tuple(sorted(u.code for u in match.units))
    if match.edits:
        notes.append(_tolerance_note(match, match.units[0]))
    if match.alias:
        notes.append(f"'{match.said}' is listed as a variant name of {' / '.join(u.name for u in match.units)}")
    if len(codes) == 1:
        ward = cat.wards[codes[0]]
        notes.append(f"2025 unit {ward.name}, {ward.province_name}")
        return _Outcome(EXACT, codes, ward.province_code, legacy, notes)
    notes.append(f"{len(codes)} 2025 units match '{match.said}' (tone marks would decide)")
    return _Outcome(AMBIGUOUS, codes, cat.wards[codes[0]].province_code, legacy, notes)


def _district_targets(cat: Catalogue, districts: list[CatalogueEntry]) -> tuple[str, ...]:
    codes = {t for d in districts for t in d.targets}
    codes |= {t for d in districts for w in cat.old_wards_by_district[d.code] for t in w.targets}
    return tuple(sorted(codes))


def _interpret(
    cat: Catalogue,
    toks: list[Token],
    end: int,
    old_codes: list[str],
    new_codes: list[str],
    place: bool,
    notes: list[str],
) -> _Outcome | None:
    """Resolve what is left of the province (ending at `end`), best interpretation first:
    old ward in its old district; 2025 ward; old ward without its district; old district
    alone. Exact lookups first, then tolerant ones."""
    for tolerant in (False, True):
        outcome = _interpret_pass(cat, toks, end, old_codes, new_codes, place, notes, tolerant)
        if outcome is not None:
            return outcome
    return None


def _interpret_pass(
    cat: Catalogue,
    toks: list[Token],
    end: int,
    old_codes: list[str],
    new_codes: list[str],
    place: bool,
    notes: list[str],
    tolerant: bool,
) -> _Outcome | None:
    new_match = _first_found(toks, end, [cat.new_ward_index[c] for c in new_codes], WARD_KINDS, place, tolerant)
    district_only: NameMatch | None = None
    for code in old_codes:
        d = lookup(toks, end, cat.district_index[code], DISTRICT_KINDS, place, tolerant)
        if d is None:
            continue
        if new_match is None or new_match.start >= d.start:  # else a longer 2025 name holds the district's
            outcome = _in_old_district(cat, toks, d, cat.old_provinces[code].parent, new_codes, place, notes)
            if outcome is not None:
                return outcome
            district_only = d
        break
    if new_match is not None:
        return _new_ward_reading(cat, new_match, district_only, notes)
    indexes = [cat.old_ward_index_by_province[c] for c in old_codes]
    old_ward = _first_found(toks, end, indexes, WARD_KINDS, place, tolerant)  # an old ward without its district
    if old_ward is not None:
        return _old_ward_outcome(cat, old_ward, list(notes), district_given=False)
    if district_only is not None:
        return _old_district_outcome(cat, district_only, notes)
    return None


def _first_found(
    toks: list[Token], end: int, indexes: list[NameIndex], kinds: frozenset[str], place: bool, tolerant: bool
) -> NameMatch | None:
    """The match in the first of `indexes` that has one."""
    for index in indexes:
        match = lookup(toks, end, index, kinds, place, tolerant)
        if match is not None:
            return match
    return None


def _in_old_district(
    cat: Catalogue,
    toks: list[Token],
    d: NameMatch,
    province_code: str,
    new_codes: list[str],
    place: bool,
    notes: list[str],
) -> _Outcome | None:
    """What is left of old district `d`: an old ward of it, a 2025 ward that took land from it,
    or a ward that was meant but is not found. None when nothing is written as a ward."""
    out_notes = list(notes)
    if d.edits:
        out_notes.append(_tolerance_note(d, d.units[0]))
    dend = skip_type_words(toks, d.start, DISTRICT_KINDS) if not d.kind else d.start
    windex = cat.old_ward_index_for(tuple(sorted(u.code for u in d.units)))
    w = lookup(toks, dend, windex, WARD_KINDS, place, tolerant=False)
    if w is None:
        w = lookup(toks, dend, windex, WARD_KINDS, place, tolerant=True)
    if w is not None:
        return _old_ward_outcome(cat, w, out_notes, district_given=True)
    names = " / ".join(u.name for u in d.units)
    covered = set(_district_targets(cat, d.units))
    for ncode in new_codes:  # a 2025 ward written with its old district, which it covers
        nw = lookup(toks, dend, cat.new_ward_index[ncode], WARD_KINDS, place, tolerant=False)
        if nw is not None and {u.code for u in nw.units} <= covered:
            return _new_ward_outcome(cat, nw, out_notes + [f"old district {names} ignored"], legacy=True)
    if ward_written(toks, dend, place):
        lo = segment_start(toks, dend)
        said = " ".join(t.text for t in toks[lo:dend])
        out_notes.append(f"ward '{said}' not found in {names}")
        return _Outcome(UNKNOWN, (), province_code, True, out_notes)
    return None


def _new_ward_reading(cat: Catalogue, new_match: NameMatch, d: NameMatch | None, notes: list[str]) -> _Outcome:
    """A 2025 ward; if the same words are also an old district (`d`), both."""
    if d is not None and not d.kind and not new_match.kind and d.start == new_match.start:
        # "Nam Đàn, Nghệ An": a 2025 commune and an old district of the same name
        codes = tuple(sorted(set(_district_targets(cat, d.units)) | {u.code for u in new_match.units}))
        names = " / ".join(u.name for u in d.units)
        out_notes = notes + [f"'{new_match.said}' is both a 2025 unit and old district {names}, "
                             f"which spans {len(codes)} wards"]  # fmt: skip
        return _Outcome(AMBIGUOUS, codes, cat.wards[codes[0]].province_code, True, out_notes)
    return _new_ward_outcome(cat, new_match, list(notes), legacy=False)


def _old_district_outcome(cat: Catalogue, d: NameMatch, notes: list[str]) -> _Outcome:
    """An old district with no ward given: the 2025 wards it went to."""
    codes = _district_targets(cat, d.units)
    out_notes = list(notes)
    if d.edits:
        out_notes.append(_tolerance_note(d, d.units[0]))
    names = " / ".join(u.name for u in d.units)
    if len(codes) == 1:
        ward = cat.wards[codes[0]]
        out_notes.append(f"old district {names} became {ward.name}")
        return _Outcome(EXACT, codes, ward.province_code, True, out_notes)
    out_notes.append(f"no ward given; old district {names} spans {len(codes)} wards")
    return _Outcome(AMBIGUOUS, codes, cat.wards[codes[0]].province_code, True, out_notes)


def _resolve(text: str, place: bool) -> AddressResolution:
    raw = unicodedata.normalize("NFC", text)
    cat = catalogue()
    toks = tokenize(raw)
    end = _before_country(toks)
    notes: list[str] = []
    prov = find(toks, end, cat.province_index, PROVINCE_KINDS, anywhere=True)
    if prov is None:
        prov = find_tolerant(toks, end, cat.province_index, PROVINCE_KINDS, anywhere=True)
        if prov is not None:
            notes.append(_tolerance_note(prov, prov.units[0]))
    if prov is not None:
        outcome = _with_province(cat, toks, prov, place, notes)
    else:
        end = _before_unknown_province(toks, end, notes)
        outcome = _without_province(cat, toks, end, place, notes)
    return _result(cat, raw, outcome)


def _before_country(toks: list[Token]) -> int:
    """Where the address ends without a trailing ", Việt Nam"."""
    end = len(toks)
    while end > 0:
        if toks[end - 1].key in COUNTRY_KEYS:
            n = 1
        elif end > 1 and toks[end - 2].key + toks[end - 1].key in COUNTRY_KEYS:
            n = 2
        else:
            break
        if not (toks[end - n].hard or toks[end - n].soft):
            break
        end -= n
    return end


def _before_unknown_province(toks: list[Token], end: int, notes: list[str]) -> int:
    """ "tỉnh Hà Tây": a province unknown before and after 2025 is set aside; the district may
    tell. Where the rest ends."""
    lo = segment_start(toks, end) if end else 0
    prefix = type_before(toks, lo + 1, lo) if end - lo >= 2 else None
    if prefix and prefix[0] == TINH and lo > 0:
        said = " ".join(t.text for t in toks[lo:end])
        notes.append(f"province '{said}' unknown")
        return lo
    return end


def _with_province(cat: Catalogue, toks: list[Token], prov: NameMatch, place: bool, notes: list[str]) -> _Outcome:
    new_codes = sorted({u.code if u.level == "province" else u.parent for u in prov.units})
    old_codes = [u.code for u in prov.units if u.level == "old_province"]
    province_code = new_codes[0] if len(new_codes) == 1 else None
    only_old = not any(u.level == "province" for u in prov.units)
    for u in prov.units:
        if u.level == "old_province" and only_old:
            new_name = cat.provinces[u.parent].name
            if lookup_key(new_name) == lookup_key(u.name):
                notes.append(f"'{prov.said}' is a former name of {new_name}")
            else:
                notes.append(f"old province {u.name} is part of {new_name} since 1/7/2025")
    rest = skip_type_words(toks, prov.start, PROVINCE_KINDS) if not prov.kind else prov.start
    outcome = _interpret(cat, toks, rest, old_codes, new_codes, place, notes)
    if outcome is not None:
        if only_old:
            outcome.legacy = True
        return outcome
    if rest > 0:
        lo = segment_start(toks, rest)
        said = " ".join(t.text for t in toks[lo:rest])
        notes.append(f"no unit '{said}' found in {prov.units[0].name}")
    else:
        notes.append("province only")
    return _Outcome(UNKNOWN, (), province_code, only_old, notes)


def _without_province(cat: Catalogue, toks: list[Token], end: int, place: bool, notes: list[str]) -> _Outcome:
    """No province written: an old district known in one province only ("Phường 5, Quận 3"),
    or a 2025 ward, written with its type, whose name is unique in the country."""
    d = find(toks, end, cat.all_district_index, DISTRICT_KINDS, place)
    if d is not None:
        by_province: dict[str, list[CatalogueEntry]] = {}
        for unit in d.units:
            by_province.setdefault(unit.parent, []).append(unit)
        found = []
        for old_code in by_province:
            old = cat.old_provinces[old_code]
            out = _interpret(cat, toks, end, [old_code], [old.parent], place, [])
            if out is not None and (out.status != UNKNOWN or len(by_province) == 1):
                found.append((old, out))
        if len(found) == 1:
            old, out = found[0]
            out.notes[:0] = notes + [f"province inferred from old district {d.units[0].name}: {old.name}"]
            out.legacy = True
            return out
        names = ", ".join(cat.old_provinces[c].name for c in by_province)
        return _Outcome(UNKNOWN, (), None, True, notes + [f"no province; '{d.said}' is a district in {names}"])
    w = find(toks, end, cat.all_new_ward_index, WARD_KINDS, place)
    if w is not None and w.kind:
        codes = {u.code for u in w.units}
        if len(codes) == 1:
            inferred = notes + ["province inferred: the only 2025 unit of that name"]
            return _new_ward_outcome(cat, w, inferred, legacy=False)
    return _Outcome(UNKNOWN, (), None, False, notes + ["no province found"])


def _result(cat: Catalogue, raw: str, outcome: _Outcome) -> AddressResolution:
    province = cat.provinces.get(outcome.province_code) if outcome.province_code else None
    if outcome.status == EXACT:
        ward = cat.wards[outcome.ward_codes[0]]
        return AddressResolution(
            raw, EXACT, ward, cat.provinces[ward.province_code], (), outcome.legacy, "; ".join(outcome.notes)
        )
    candidates = tuple(cat.wards[c] for c in outcome.ward_codes) if outcome.status == AMBIGUOUS else ()
    if candidates and province is None:
        provs = {c.province_code for c in candidates}
        if len(provs) == 1:
            province = cat.provinces[provs.pop()]
    return AddressResolution(raw, outcome.status, None, province, candidates, outcome.legacy, "; ".join(outcome.notes))
