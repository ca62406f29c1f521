"""The catalogue of administrative units, 2025 and before, read once from
`models/data/admin_units_2025.json` (see the package's docstring for its sources)."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from pipeline.fields.address.keys import lookup_key, tone_lookup_key
from pipeline.fields.address.tokens import split_unit_type

DATA_FILE = "data/admin_units_2025.json"


@dataclass(frozen=True)
class AdminUnit:
    """A 2025 unit: a commune-level unit (5-digit code) or a province (2-digit code)."""

    code: str
    name: str
    province_code: str
    province_name: str


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """A unit of any level, 2025 or before, with its lookup keys."""

    level: str  # "province" (2025) | "old_province" | "district" | "old_ward" | "ward" (2025)
    code: str
    name: str
    kind: str  # unit type, from the name
    short: str  # name without its type word
    parent: str  # 2025 province (ward, old province), old province (district), old district (old ward)
    targets: tuple[str, ...] = ()  # old ward / island district: the 2025 ward codes it went to
    keys: tuple[str, ...] = ()  # lookup keys of the name with and without its type word

    @staticmethod
    def make(level: str, code: str, name: str, parent: str, targets: tuple[str, ...] = ()) -> CatalogueEntry:
        kind, short = split_unit_type(name)
        keys = tuple(dict.fromkeys((lookup_key(short), lookup_key(name))))
        return CatalogueEntry(level, code, name, kind, short, parent, targets, keys)


# an entry with the extra lookup keys the data lists for it (former and variant names)
Aliases = tuple[CatalogueEntry, Sequence[str]]


class NameIndex:
    """Lookup keys of one scope (a province's wards, a district's wards...)."""

    def __init__(self, entries: Sequence[CatalogueEntry], aliases: Iterable[Aliases] = ()) -> None:
        self.primary: dict[str, list[CatalogueEntry]] = {}
        self.alias: dict[str, list[CatalogueEntry]] = {}
        for entry in entries:
            for key in entry.keys:
                self.primary.setdefault(key, []).append(entry)
        for entry, keys in aliases:
            for key in keys:
                bucket = self.alias.setdefault(key, [])
                if entry not in bucket:
                    bucket.append(entry)
        # tolerant matching compares short names only, letters only
        self.fuzzy_keys: list[str] = []
        self.fuzzy_entries: list[CatalogueEntry] = []
        for entry in entries:
            key = entry.keys[0]
            if len(key) >= 4 and not any(c.isdigit() for c in key):
                self.fuzzy_keys.append(key)
                self.fuzzy_entries.append(entry)

    def get(self, key: str) -> tuple[list[CatalogueEntry], bool]:
        """The entries with that key, and whether it is an alias (a former or variant name)."""
        if key in self.primary:
            return self.primary[key], False
        return self.alias.get(key, []), True


class Catalogue:
    """The units of the data file and their lookup indexes. Read-only once built."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.source: dict[str, Any] = data["_source"]
        self.provinces: dict[str, AdminUnit] = {}
        self.wards: dict[str, AdminUnit] = {}
        self.old_provinces: dict[str, CatalogueEntry] = {}
        self.districts: dict[str, CatalogueEntry] = {}
        self.old_wards: dict[str, CatalogueEntry] = {}
        self._unions: dict[tuple[str, ...], NameIndex] = {}

        province_entries, province_aliases = self._read_provinces(data)
        ward_entries, ward_aliases = self._read_wards(data)
        self.province_index = NameIndex(province_entries, province_aliases)
        self.new_ward_index = {p: NameIndex(ward_entries[p], ward_aliases[p]) for p in self.provinces}
        self.all_new_ward_index = NameIndex(
            [u for us in ward_entries.values() for u in us], [x for xs in ward_aliases.values() for x in xs]
        )

        districts_by_province, district_aliases = self._read_districts(data)
        self.district_index = {p: NameIndex(districts_by_province[p], district_aliases[p]) for p in self.old_provinces}
        self.all_district_index = NameIndex(
            list(self.districts.values()), [x for xs in district_aliases.values() for x in xs]
        )

        self.old_wards_by_district, self.old_ward_aliases = self._read_old_wards(data)
        self.old_ward_index = {
            d: NameIndex(self.old_wards_by_district[d], self.old_ward_aliases[d]) for d in self.districts
        }
        self.old_ward_index_by_province = {
            p: NameIndex(
                [w for d in districts_by_province[p] for w in self.old_wards_by_district[d.code]],
                [x for d in districts_by_province[p] for x in self.old_ward_aliases[d.code]],
            )
            for p in self.old_provinces
        }

    def _read_provinces(self, data: dict[str, Any]) -> tuple[list[CatalogueEntry], list[Aliases]]:
        """The 2025 provinces and the 63 before: one index holds both."""
        entries: list[CatalogueEntry] = []
        aliases: list[Aliases] = []
        for code, name, extra in data["provinces"]:
            self.provinces[code] = AdminUnit(code, name, code, name)
            entry = CatalogueEntry.make("province", code, name, code)
            entries.append(entry)
            aliases.append((entry, extra))
        for code, name, new_code, extra in data["legacy_provinces"]:
            entry = CatalogueEntry.make("old_province", code, name, new_code)
            self.old_provinces[code] = entry
            entries.append(entry)
            aliases.append((entry, extra))
        return entries, aliases

    def _read_wards(self, data: dict[str, Any]) -> tuple[dict[str, list[CatalogueEntry]], dict[str, list[Aliases]]]:
        """The 2025 commune-level units, by province."""
        entries: dict[str, list[CatalogueEntry]] = {code: [] for code in self.provinces}
        aliases: dict[str, list[Aliases]] = {code: [] for code in self.provinces}
        for code, name, pcode, extra in data["wards"]:
            self.wards[code] = AdminUnit(code, name, pcode, self.provinces[pcode].name)
            entry = CatalogueEntry.make("ward", code, name, pcode, (code,))
            entries[pcode].append(entry)
            aliases[pcode].append((entry, extra))
        return entries, aliases

    def _read_districts(self, data: dict[str, Any]) -> tuple[dict[str, list[CatalogueEntry]], dict[str, list[Aliases]]]:
        """The old districts, by old province; a group name ("Kỳ Anh": a huyện and a thị xã)
        is an alias of each of its members."""
        entries: dict[str, list[CatalogueEntry]] = {code: [] for code in self.old_provinces}
        aliases: dict[str, list[Aliases]] = {code: [] for code in self.old_provinces}
        for code, name, pcode, extra, direct in data["legacy_districts"]:
            entry = CatalogueEntry.make("district", code, name, pcode, (direct,) if direct else ())
            self.districts[code] = entry
            entries[pcode].append(entry)
            aliases[pcode].append((entry, extra))
        for pcode, keys, members in data["district_groups"]:
            for member in members:
                aliases[pcode].append((self.districts[member], keys))
        return entries, aliases

    def _read_old_wards(self, data: dict[str, Any]) -> tuple[dict[str, list[CatalogueEntry]], dict[str, list[Aliases]]]:
        """The old wards, by old district."""
        entries: dict[str, list[CatalogueEntry]] = {code: [] for code in self.districts}
        aliases: dict[str, list[Aliases]] = {code: [] for code in self.districts}
        for code, name, dcode, targets, extra in data["legacy_wards"]:
            entry = CatalogueEntry.make("old_ward", code, name, dcode, tuple(targets))
            self.old_wards[code] = entry
            entries[dcode].append(entry)
            aliases[dcode].append((entry, extra))
        return entries, aliases

    @functools.cached_property
    def tone_names(self) -> frozenset[str]:
        """Tone-aware keys of every unit's name without its type word, all levels."""
        entries = [*self.old_provinces.values(), *self.districts.values(), *self.old_wards.values()]
        keys = {tone_lookup_key(u.short) for u in entries}
        units = [*self.provinces.values(), *self.wards.values()]
        keys |= {tone_lookup_key(split_unit_type(u.name)[1]) for u in units}
        return frozenset(keys)

    @functools.cached_property
    def name_keys(self) -> frozenset[str]:
        """Tone-insensitive keys of every unit's name without its type word, all levels."""
        entries = [*self.old_provinces.values(), *self.districts.values(), *self.old_wards.values()]
        keys = {lookup_key(u.short) for u in entries}
        units = [*self.provinces.values(), *self.wards.values()]
        keys |= {lookup_key(split_unit_type(u.name)[1]) for u in units}
        return frozenset(keys)

    @functools.cached_property
    def province_keys(self) -> frozenset[str]:
        """Tone-insensitive keys of every province's name without its type word, 2025 and older."""
        keys = {lookup_key(u.short) for u in self.old_provinces.values()}
        keys |= {lookup_key(split_unit_type(p.name)[1]) for p in self.provinces.values()}
        return frozenset(keys)

    def old_ward_index_for(self, district_codes: tuple[str, ...]) -> NameIndex:
        """The old wards of one district or, where a name stood for several, of all of them."""
        if len(district_codes) == 1:
            return self.old_ward_index[district_codes[0]]
        index = self._unions.get(district_codes)
        if index is None:
            built = NameIndex(
                [w for d in district_codes for w in self.old_wards_by_district[d]],
                [x for d in district_codes for x in self.old_ward_aliases[d]],
            )
            # two threads may both build it; setdefault keeps one, and they are equal anyway
            index = self._unions.setdefault(district_codes, built)
        return index


@functools.cache
def catalogue() -> Catalogue:
    """The catalogue, read on first use and kept. Threads that race at first use may each
    read the file; each gets an equal catalogue and one of them is kept."""
    text = resources.files("models").joinpath(DATA_FILE).read_text(encoding="utf-8")
    return Catalogue(json.loads(text))


def data_source() -> dict[str, Any]:
    """The `_source` header of the data file: packages, versions, digests, licences."""
    return catalogue().source


def provinces() -> tuple[AdminUnit, ...]:
    """The 34 provinces of 2025, by code."""
    return tuple(catalogue().provinces.values())


def wards(province_code: str | None = None) -> tuple[AdminUnit, ...]:
    """The 3,321 commune-level units of 2025 (or one province's), by code."""
    units = catalogue().wards.values()
    return tuple(u for u in units if province_code is None or u.province_code == province_code)
