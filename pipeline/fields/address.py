"""Vietnamese addresses normalised to the administrative units in force since 1/7/2025.

Since 1/7/2025 Vietnam has 34 province-level units and 3,321 commune-level units and no
district level. Documents printed before that use the old three levels (ward or commune,
district, province; 63 provinces). The text is kept exactly as read (NFC) and the 2025 unit
is added beside it:

- an old ward merged whole into one new ward gives status "exact";
- an old ward split between several new wards ("nhập một phần") gives "ambiguous" with the
  candidate new wards: a reviewer decides, nothing is guessed;
- a unit that cannot be found gives "unknown" (the province may still be known).

Lookups are case- and diacritic-insensitive; returned names come from the data, with their
tone marks, in NFC. Where folding makes two names collide (Cẩm Giang / Cẩm Giàng), the tone
marks of the input decide. An OCR slip is forgiven only when exactly one name is within one
edit (two for names of 8+ letters), and `detail` says so; a tolerant match never turns an
ambiguous case exact. Province names are given in full ("Tỉnh Nghệ An", "Thành phố Hà Nội").

Data: `models/data/admin_units_2025.json`, built at development time by
`scripts/build_admin_units.py` from vietnam-provinces==2025.10.1 (the 34 provinces and 3,321
wards with their official codes; upstream declares GPL-3.0-or-later, the 2025.10.1 wheel
carries no licence; only official names and codes are copied) and vietnamadminunits==1.0.4
(MIT, Tran Ngoc Minh Hieu: the pre-2025 units and the old-to-new ward mapping). Its header
key `_source` records versions, file digests and licences. Nothing is downloaded at run time.
"""

from __future__ import annotations

import json
import re
import threading
import unicodedata
from dataclasses import dataclass
from importlib import resources

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from pipeline.text import strip_diacritics

DATA_FILE = "data/admin_units_2025.json"

EXACT, AMBIGUOUS, UNKNOWN = "exact", "ambiguous", "unknown"


@dataclass(frozen=True)
class AdminUnit:
    """A 2025 unit: a commune-level unit (5-digit code) or a province (2-digit code)."""

    code: str
    name: str
    province_code: str
    province_name: str


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


_TYPE_PREFIX = re.compile(r"^(?:thành phố|tp\.?|thị xã|tx\.?|thị trấn|tt\.?|đặc khu|tỉnh|quận|huyện|phường|xã)\s+",
                          re.IGNORECASE)


def spelled_as_catalogued(text: str) -> bool:
    """Every comma-separated part of `text` is a unit name of the catalogue (2025 or older,
    any level) spelled with the same tone marks, and the whole resolves to one 2025 unit.

    Lookups fold tone marks; this is the check that the marks as read are the real ones,
    so that a place name can be taken as validated. A street part makes it False."""
    parts = [p.strip() for p in unicodedata.normalize("NFC", text).split(",") if p.strip()]
    if not parts or _resolve(text, place=True).status != EXACT:
        return False
    names = _db().tone_names()
    return all(_tone_key(_TYPE_PREFIX.sub("", part)) in names for part in parts)


def ends_with_province(text: str) -> bool:
    """The address's last comma-separated part names a province or centrally-run city (2025 or
    one of the 63 before), with or without its type word. An address is written from the
    smallest unit to the largest: one that stops short of its province is incomplete or was
    cut short."""
    parts = [p.strip() for p in unicodedata.normalize("NFC", text).split(",") if p.strip()]
    return bool(parts) and _key(_TYPE_PREFIX.sub("", parts[-1])) in _db().province_keys()


def provinces() -> tuple[AdminUnit, ...]:
    """The 34 provinces of 2025, by code."""
    return tuple(_db().provinces.values())


def wards(province_code: str | None = None) -> tuple[AdminUnit, ...]:
    """The 3,321 commune-level units of 2025 (or one province's), by code."""
    units = _db().wards.values()
    return tuple(u for u in units if province_code is None or u.province_code == province_code)


# --- keys -----------------------------------------------------------------------------

_ETH = str.maketrans({"Ð": "Đ", "ð": "đ"})  # OCR reads Đ as the look-alike Icelandic eth
_ASCII_D = str.maketrans({"Ð": "D", "ð": "d", "Đ": "D", "đ": "d"})
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")
_LEADING_ZEROS = re.compile(r"(?<![0-9])0+(?=[0-9])")
_NON_KEY = re.compile(r"[^0-9a-z]+")


def _key(text: str) -> str:
    """Lookup key: no marks, no case, letters and digits only, no leading zeros ("Phường 05"
    -> "phuong5")."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(_ASCII_D)).encode("ascii", "ignore").decode()
    return _LEADING_ZEROS.sub("", _NON_KEY.sub("", ascii_text.lower()))


def _tone_key(text: str) -> str:
    """Accent-aware key that ignores where the tone mark sits ("Thuỷ" == "Thủy")."""
    words = []
    text = re.sub(r"['’‘`´]", "", text.translate(_ETH).casefold())
    for word in re.split(r"[\s\-–—,.]+", unicodedata.normalize("NFD", text)):
        if word:
            base = unicodedata.normalize("NFC", "".join(c for c in word if c not in _TONES))
            words.append(_LEADING_ZEROS.sub("", base) + "".join(sorted(c for c in word if c in _TONES)))
    return " ".join(words)


def _has_marks(text: str) -> bool:
    return strip_diacritics(text.translate(_ETH)) != text.translate(_ETH)


# unit types, as written in names and as abbreviated in addresses
TINH, THANH_PHO, QUAN, HUYEN, THI_XA, PHUONG, XA, THI_TRAN, DAC_KHU = (
    "tinh", "thanhpho", "quan", "huyen", "thixa", "phuong", "xa", "thitran", "dackhu",
)  # fmt: skip
_NAME_TYPES = (
    ("Thành phố ", THANH_PHO), ("Thị xã ", THI_XA), ("Thị trấn ", THI_TRAN), ("Đặc khu ", DAC_KHU),
    ("Tỉnh ", TINH), ("Quận ", QUAN), ("Huyện ", HUYEN), ("Phường ", PHUONG), ("Xã ", XA),
)  # fmt: skip
PROVINCE_KINDS = frozenset({TINH, THANH_PHO})
DISTRICT_KINDS = frozenset({QUAN, HUYEN, THI_XA, THANH_PHO})
WARD_KINDS = frozenset({PHUONG, XA, THI_TRAN, DAC_KHU})
_TWO_WORD_TYPES = {
    ("thanh", "pho"): THANH_PHO, ("thi", "xa"): THI_XA, ("thi", "tran"): THI_TRAN, ("dac", "khu"): DAC_KHU,
}  # fmt: skip
_ONE_WORD_TYPES = {
    "tinh": TINH, "tp": THANH_PHO, "thanhpho": THANH_PHO, "quan": QUAN, "huyen": HUYEN, "tx": THI_XA,
    "phuong": PHUONG, "xa": XA, "tt": THI_TRAN, "district": QUAN, "ward": PHUONG,
}  # fmt: skip
# single letters count only when written with a dot or before a number ("P.", "Q.3", "P5")
_LETTER_TYPES = {"p": PHUONG, "f": PHUONG, "q": QUAN, "h": HUYEN, "x": XA, "t": TINH}
_TYPE_WORD_KEYS = {PROVINCE_KINDS: ("tinh", "thanhpho"), DISTRICT_KINDS: ("quan", "huyen", "thixa", "thanhpho"),
                   WARD_KINDS: ("phuong", "thitran", "dackhu")}  # fmt: skip
_COUNTRY_KEYS = frozenset({"vietnam", "vn", "vnm"})


def _split_type(name: str) -> tuple[str, str]:
    """"Phường Kim Liên" -> ("phuong", "Kim Liên")."""
    for prefix, kind in _NAME_TYPES:
        if name.startswith(prefix):
            return kind, name[len(prefix) :].strip()
    return "", name


# --- data -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Unit:
    level: str  # "province" (2025) | "old_province" | "district" | "old_ward" | "ward" (2025)
    code: str
    name: str
    kind: str  # unit type, from the name
    short: str  # name without its type word
    parent: str  # 2025 province (ward, old province), old province (district), old district (old ward)
    targets: tuple[str, ...] = ()  # old ward / island district: the 2025 ward codes it went to
    keys: tuple[str, ...] = ()  # lookup keys of the name with and without its type word

    @staticmethod
    def make(level: str, code: str, name: str, parent: str, targets: tuple[str, ...] = ()) -> _Unit:
        kind, short = _split_type(name)
        keys = tuple(dict.fromkeys((_key(short), _key(name))))
        return _Unit(level, code, name, kind, short, parent, targets, keys)


class _Index:
    """Lookup keys of one scope (a province's wards, a district's wards...)."""

    def __init__(self, units, extra=None):
        self.primary: dict[str, list[_Unit]] = {}
        self.alias: dict[str, list[_Unit]] = {}
        for unit in units:
            for key in unit.keys:
                self.primary.setdefault(key, []).append(unit)
        for unit, keys in extra or ():
            for key in keys:
                bucket = self.alias.setdefault(key, [])
                if unit not in bucket:
                    bucket.append(unit)
        # tolerant matching compares short names only, letters only
        self.fuzzy_keys: list[str] = []
        self.fuzzy_units: list[_Unit] = []
        for unit in units:
            key = unit.keys[0]
            if len(key) >= 4 and not any(c.isdigit() for c in key):
                self.fuzzy_keys.append(key)
                self.fuzzy_units.append(unit)

    def get(self, key: str) -> tuple[list[_Unit], bool]:
        """The units with that key, and whether it is an alias (a former or variant name)."""
        if key in self.primary:
            return self.primary[key], False
        return self.alias.get(key, []), True


class _Db:
    def __init__(self, data: dict):
        self.source = data["_source"]
        self.provinces: dict[str, AdminUnit] = {}
        prov_units, prov_extra = [], []
        for code, name, extra in data["provinces"]:
            self.provinces[code] = AdminUnit(code, name, code, name)
            unit = _Unit.make("province", code, name, code)
            prov_units.append(unit)
            prov_extra.append((unit, extra))
        self.wards: dict[str, AdminUnit] = {}
        ward_units: dict[str, list[_Unit]] = {code: [] for code in self.provinces}
        ward_extra: dict[str, list] = {code: [] for code in self.provinces}
        for code, name, pcode, extra in data["wards"]:
            self.wards[code] = AdminUnit(code, name, pcode, self.provinces[pcode].name)
            unit = _Unit.make("ward", code, name, pcode, (code,))
            ward_units[pcode].append(unit)
            ward_extra[pcode].append((unit, extra))

        self.old_provinces: dict[str, _Unit] = {}
        for code, name, new_code, extra in data["legacy_provinces"]:
            unit = _Unit.make("old_province", code, name, new_code)
            self.old_provinces[code] = unit
            prov_units.append(unit)
            prov_extra.append((unit, extra))
        self.province_index = _Index(prov_units, prov_extra)

        self.districts: dict[str, _Unit] = {}
        dist_by_prov: dict[str, list[_Unit]] = {code: [] for code in self.old_provinces}
        dist_extra: dict[str, list] = {code: [] for code in self.old_provinces}
        for code, name, pcode, extra, direct in data["legacy_districts"]:
            unit = _Unit.make("district", code, name, pcode, (direct,) if direct else ())
            self.districts[code] = unit
            dist_by_prov[pcode].append(unit)
            dist_extra[pcode].append((unit, extra))
        for pcode, keys, members in data["district_groups"]:
            for member in members:
                dist_extra[pcode].append((self.districts[member], keys))

        self.old_wards: dict[str, _Unit] = {}
        old_by_dist: dict[str, list[_Unit]] = {code: [] for code in self.districts}
        old_extra: dict[str, list] = {code: [] for code in self.districts}
        for code, name, dcode, targets, extra in data["legacy_wards"]:
            unit = _Unit.make("old_ward", code, name, dcode, tuple(targets))
            self.old_wards[code] = unit
            old_by_dist[dcode].append(unit)
            old_extra[dcode].append((unit, extra))

        self.new_ward_index = {p: _Index(ward_units[p], ward_extra[p]) for p in self.provinces}
        self.all_new_ward_index = _Index(
            [u for us in ward_units.values() for u in us], [x for xs in ward_extra.values() for x in xs]
        )
        self.district_index = {p: _Index(dist_by_prov[p], dist_extra[p]) for p in self.old_provinces}
        self.all_district_index = _Index(list(self.districts.values()), [x for xs in dist_extra.values() for x in xs])
        self.old_wards_by_district = old_by_dist
        self.old_ward_extra = old_extra
        self.old_ward_index = {d: _Index(old_by_dist[d], old_extra[d]) for d in self.districts}
        self.old_ward_index_by_province = {
            p: _Index(
                [w for d in dist_by_prov[p] for w in old_by_dist[d.code]],
                [x for d in dist_by_prov[p] for x in old_extra[d.code]],
            )
            for p in self.old_provinces
        }
        self._union_cache: dict[tuple[str, ...], _Index] = {}
        self._tone_names: frozenset[str] | None = None
        self._province_keys: frozenset[str] | None = None
        self._lock = threading.Lock()

    def tone_names(self) -> frozenset[str]:
        """Tone-aware keys of every unit's name without its type word, all levels."""
        with self._lock:
            if self._tone_names is None:
                units = [*self.old_provinces.values(), *self.districts.values(), *self.old_wards.values()]
                keys = {_tone_key(u.short) for u in units}
                keys |= {_tone_key(_split_type(a.name)[1]) for a in [*self.provinces.values(), *self.wards.values()]}
                self._tone_names = frozenset(keys)
            return self._tone_names

    def province_keys(self) -> frozenset[str]:
        """Tone-insensitive keys of every province's name without its type word, 2025 and older."""
        with self._lock:
            if self._province_keys is None:
                keys = {_key(u.short) for u in self.old_provinces.values()}
                keys |= {_key(_split_type(p.name)[1]) for p in self.provinces.values()}
                self._province_keys = frozenset(keys)
            return self._province_keys

    def old_ward_index_for(self, district_codes: tuple[str, ...]) -> _Index:
        if len(district_codes) == 1:
            return self.old_ward_index[district_codes[0]]
        with self._lock:
            index = self._union_cache.get(district_codes)
            if index is None:
                index = _Index(
                    [w for d in district_codes for w in self.old_wards_by_district[d]],
                    [x for d in district_codes for x in self.old_ward_extra[d]],
                )
                self._union_cache[district_codes] = index
            return index


_DB: _Db | None = None
_DB_LOCK = threading.Lock()


def _db() -> _Db:
    global _DB
    if _DB is None:
        with _DB_LOCK:
            if _DB is None:
                text = resources.files("models").joinpath(DATA_FILE).read_text(encoding="utf-8")
                _DB = _Db(json.loads(text))
    return _DB


def data_source() -> dict:
    """The `_source` header of the data file: packages, versions, digests, licences."""
    return _db().source


# --- tokens ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Tok:
    text: str
    key: str
    hard: bool  # first token of a comma-separated part
    soft: bool  # first token after a dash or parenthesis
    dotted: bool  # abbreviation written with a dot ("P.", "TP.")
    toned: bool = True  # the text carries tone marks: a name without them means none


_HARD_SPLIT = re.compile(r"[,;:\n\r|]+")
_SOFT_SPLIT = re.compile(r"[-–—()\[\]]+")
_LETTER_NUMBER = re.compile(r"^([PpFfQq])\.?(\d+)$")


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    toned = _has_marks(text)
    for segment in _HARD_SPLIT.split(text):
        hard = True
        for chunk in _SOFT_SPLIT.split(segment):
            soft = True
            pieces: list[tuple[str, bool]] = []
            for word in chunk.split():
                m = _LETTER_NUMBER.match(word)
                if m:
                    pieces += [(m.group(1), True), (m.group(2), False)]
                    continue
                parts = [p for p in re.split(r"(?<=\.)", word) if p.strip(".")]
                for part in parts:
                    pieces.append((part.rstrip("."), part.endswith(".")))
            # "T.P." -> "TP."; "T.X." -> "TX."; "T.T." -> "TT."
            merged: list[tuple[str, bool]] = []
            for piece, dotted in pieces:
                if (
                    merged
                    and dotted
                    and merged[-1][1]
                    and len(piece) == 1
                    and len(merged[-1][0]) == 1
                    and merged[-1][0].casefold() == "t"
                ):
                    merged[-1] = (merged[-1][0] + piece, True)
                else:
                    merged.append((piece, dotted))
            for piece, dotted in merged:
                key = _key(piece)
                if not key:
                    continue
                toks.append(_Tok(piece, key, hard, soft, dotted, toned))
                hard = soft = False
    return toks


def _segment_start(toks: list[_Tok], end: int) -> int:
    """Index of the first token of the comma-separated part holding toks[end - 1]."""
    i = end - 1
    while i > 0 and not toks[i].hard:
        i -= 1
    return max(i, 0)


def _prefix_before(toks: list[_Tok], start: int, lo: int) -> tuple[str, int] | None:
    """The unit type written just before toks[start] ("phường", "TP.", "Q."), and where it starts."""
    if start - 2 >= lo and not toks[start - 1].hard:
        pair = (toks[start - 2].key, toks[start - 1].key)
        if pair in _TWO_WORD_TYPES:
            return _TWO_WORD_TYPES[pair], start - 2
    if start - 1 >= lo:
        tok = toks[start - 1]
        if tok.key in _ONE_WORD_TYPES:
            return _ONE_WORD_TYPES[tok.key], start - 1
        if tok.key in _LETTER_TYPES and (tok.dotted or toks[start].key.isdigit()):
            return _LETTER_TYPES[tok.key], start - 1
    return None


# --- matching -------------------------------------------------------------------------

_MAX_NAME_TOKENS = 8


@dataclass(slots=True)
class _Match:
    start: int  # first token, type word included
    units: list[_Unit]
    kind: str  # the type written in the text, "" if none
    said: str  # the words read as the name
    edits: int = 0  # > 0: tolerant match
    alias: bool = False  # matched a former or variant name listed by the data


def _kind_ok(unit_kind: str, said_kind: str) -> bool:
    return not said_kind or unit_kind == said_kind


def _narrow(units: list[_Unit], kind: str, said: str, toned: bool) -> list[_Unit]:
    """Keep the units of the written type and, if the text has tone marks, of the same marks
    ("Nga Thanh" in an accented text is not "Nga Thành")."""
    units = list(dict.fromkeys(units))
    typed = [u for u in units if _kind_ok(u.kind, kind)]
    if typed:
        units = typed
    if len(units) > 1 and toned:
        said_key = _tone_key(said)
        same_marks = [u for u in units if _tone_key(u.short) == said_key]
        if same_marks:
            units = same_marks
    return units


def _find(toks, end, index: _Index, kinds, anywhere: bool) -> _Match | None:
    """The longest unit name of `index` ending at toks[end - 1], within its comma part.
    Without a type word, the name must start a part unless `anywhere`."""
    if end <= 0:
        return None
    lo = _segment_start(toks, end)
    best: _Match | None = None
    for start in range(end - 1, max(lo, end - _MAX_NAME_TOKENS) - 1, -1):
        prefix = _prefix_before(toks, start, lo)
        if prefix and prefix[0] not in kinds:
            continue  # a type of another level names another unit
        if not prefix and not anywhere and not (toks[start].hard or toks[start].soft):
            continue
        name_key = "".join(t.key for t in toks[start:end])
        units, alias = index.get(name_key)
        if not units and prefix:
            units, alias = index.get("".join(t.key for t in toks[prefix[1] : end]))
        if units:
            said = " ".join(t.text for t in toks[start:end])
            kind = prefix[0] if prefix else ""
            begin = prefix[1] if prefix else start
            if best is None or begin < best.start:
                best = _Match(begin, _narrow(units, kind, said, toks[start].toned), kind, said, alias=alias)
    return best


def _find_tolerant(toks, end, index: _Index, kinds, anywhere: bool) -> _Match | None:
    """An OCR slip: the whole part (or the name after a type word) within 1 edit (2 for long
    names) of exactly one unit."""
    if end <= 0 or not index.fuzzy_keys:
        return None
    lo = _segment_start(toks, end)
    spans: list[tuple[int, int, str]] = []  # (name start, overall start, kind)
    for start in range(end - 1, max(lo, end - _MAX_NAME_TOKENS) - 1, -1):
        prefix = _prefix_before(toks, start, lo)
        if prefix:
            if prefix[0] in kinds:
                spans.append((start, prefix[1], prefix[0]))
            break
        if toks[start].hard or toks[start].soft or anywhere:
            spans.append((start, start, ""))
    for start, begin, kind in spans:
        key = "".join(t.key for t in toks[start:end])
        if len(key) < 4 or any(c.isdigit() for c in key):
            continue
        limit = 1 if len(key) <= 7 else 2
        found = process.extract(key, index.fuzzy_keys, scorer=Levenshtein.distance, score_cutoff=limit, limit=None)
        if len({k for k, _, _ in found}) == 1:  # one name (an old and a new province may share it)
            said = " ".join(t.text for t in toks[start:end])
            units = _narrow([index.fuzzy_units[i] for _, _, i in found], kind, said, toned=False)
            if all(_kind_ok(u.kind, kind) for u in units):
                return _Match(begin, units, kind, said, edits=found[0][1])
    return None


def _lookup(toks, end, index, kinds, anywhere, tolerant):
    if tolerant:
        return _find_tolerant(toks, end, index, kinds, anywhere)
    return _find(toks, end, index, kinds, anywhere)


def _skip_type_words(toks, end: int, kinds) -> int:
    """After a name matched without its type word, drop a misread type word left of it
    ("thành phou Hà Nội")."""
    if end <= 0 or toks[end].hard:
        return end
    lo = _segment_start(toks, end)
    for n in (2, 1):
        if end - n >= lo and (toks[end - n].hard or toks[end - n].soft):
            key = "".join(t.key for t in toks[end - n : end])
            if any(Levenshtein.distance(key, w) <= 1 for w in _TYPE_WORD_KEYS[kinds] if len(key) >= 4):
                return end - n
    return end


def _ward_written(toks, end: int, place: bool) -> bool:
    """Is there something left of `end` that was meant as a ward (a ward type word, or in a
    place name any word)?"""
    if end <= 0:
        return False
    if place:
        return True
    lo = _segment_start(toks, end)
    for i in range(lo + 1, end):
        prefix = _prefix_before(toks, i, lo)
        if prefix and prefix[0] in WARD_KINDS:
            return True
    return False


# --- resolution -----------------------------------------------------------------------


@dataclass(slots=True)
class _Outcome:
    status: str
    ward_codes: tuple[str, ...]
    province_code: str | None
    legacy: bool
    notes: list[str]


def _tolerance_note(match: _Match, unit: _Unit) -> str:
    edits = "edit" if match.edits == 1 else "edits"
    return f"tolerant match: read '{match.said}' as {unit.name} ({match.edits} {edits})"


def _old_ward_outcome(db: _Db, match: _Match, notes: list[str], district_given: bool) -> _Outcome:
    units = match.units
    targets = tuple(sorted({t for u in units for t in u.targets}))
    province = db.wards[targets[0]].province_code if targets else None
    if match.edits:
        notes.append(_tolerance_note(match, units[0]))
    if match.alias:
        notes.append(f"'{match.said}' is listed as a former or variant name of {' / '.join(u.name for u in units)}")
    if len(units) == 1:
        old = units[0]
        where = db.districts[old.parent].name
        if not district_given:
            where += ", district inferred: the only one of that name in the province"
        if len(targets) == 1:
            notes.append(f"old ward {old.name} ({where}) merged whole into {db.wards[targets[0]].name}")
        else:
            notes.append(f"old ward {old.name} ({where}) partly merged into {len(targets)} wards")
    else:
        places = ", ".join(f"{u.name} ({db.districts[u.parent].name})" for u in units)
        notes.append(f"{len(units)} old wards match '{match.said}': {places}")
        if len(targets) > 1:
            notes.append(f"they went to {len(targets)} wards")
    status = EXACT if len(targets) == 1 else AMBIGUOUS
    return _Outcome(status, targets, province, True, notes)


def _new_ward_outcome(db: _Db, match: _Match, notes: list[str], legacy: bool) -> _Outcome:
    codes = tuple(sorted(u.code for u in match.units))
    if match.edits:
        notes.append(_tolerance_note(match, match.units[0]))
    if match.alias:
        notes.append(f"'{match.said}' is listed as a variant name of {' / '.join(u.name for u in match.units)}")
    if len(codes) == 1:
        ward = db.wards[codes[0]]
        notes.append(f"2025 unit {ward.name}, {ward.province_name}")
        return _Outcome(EXACT, codes, ward.province_code, legacy, notes)
    notes.append(f"{len(codes)} 2025 units match '{match.said}' (tone marks would decide)")
    return _Outcome(AMBIGUOUS, codes, db.wards[codes[0]].province_code, legacy, notes)


def _district_targets(db: _Db, districts: list[_Unit]) -> tuple[str, ...]:
    codes = {t for d in districts for t in d.targets}
    codes |= {t for d in districts for w in db.old_wards_by_district[d.code] for t in w.targets}
    return tuple(sorted(codes))


def _interpret(db: _Db, toks, end: int, old_codes, new_codes, place: bool, notes: list[str]) -> _Outcome | None:
    """Resolve what is left of the province (ending at `end`), best interpretation first:
    old ward in its old district; 2025 ward; old ward without its district; old district
    alone. Exact lookups first, then tolerant ones."""
    for tolerant in (False, True):
        new_match: _Match | None = None
        for ncode in new_codes:
            new_match = _lookup(toks, end, db.new_ward_index[ncode], WARD_KINDS, place, tolerant)
            if new_match is not None:
                break
        district_only: _Match | None = None
        for code in old_codes:
            d = _lookup(toks, end, db.district_index[code], DISTRICT_KINDS, place, tolerant)
            if d is None:
                continue
            if new_match is not None and new_match.start < d.start:
                break  # a longer 2025 name holds the district's ("Phường Xuân Hương - Đà Lạt")
            out_notes = list(notes)
            if d.edits:
                out_notes.append(_tolerance_note(d, d.units[0]))
            dend = _skip_type_words(toks, d.start, DISTRICT_KINDS) if not d.kind else d.start
            windex = db.old_ward_index_for(tuple(sorted(u.code for u in d.units)))
            w = _lookup(toks, dend, windex, WARD_KINDS, place, tolerant=False)
            if w is None:
                w = _lookup(toks, dend, windex, WARD_KINDS, place, tolerant=True)
            if w is not None:
                return _old_ward_outcome(db, w, out_notes, district_given=True)
            names = " / ".join(u.name for u in d.units)
            covered = set(_district_targets(db, d.units))
            for ncode in new_codes:  # a 2025 ward written with its old district, which it covers
                nw = _lookup(toks, dend, db.new_ward_index[ncode], WARD_KINDS, place, tolerant=False)
                if nw is not None and {u.code for u in nw.units} <= covered:
                    return _new_ward_outcome(db, nw, out_notes + [f"old district {names} ignored"], legacy=True)
            if _ward_written(toks, dend, place):
                lo = _segment_start(toks, dend)
                said = " ".join(t.text for t in toks[lo:dend])
                out_notes.append(f"ward '{said}' not found in {names}")
                return _Outcome(UNKNOWN, (), db.old_provinces[code].parent, True, out_notes)
            district_only = d
            break
        if new_match is not None:
            d = district_only
            if d is not None and not d.kind and not new_match.kind and d.start == new_match.start:
                # "Nam Đàn, Nghệ An": a 2025 commune and an old district of the same name
                codes = tuple(sorted(set(_district_targets(db, d.units)) | {u.code for u in new_match.units}))
                names = " / ".join(u.name for u in d.units)
                out_notes = notes + [f"'{new_match.said}' is both a 2025 unit and old district {names}, "
                                     f"which spans {len(codes)} wards"]  # fmt: skip
                return _Outcome(AMBIGUOUS, codes, db.wards[codes[0]].province_code, True, out_notes)
            return _new_ward_outcome(db, new_match, list(notes), legacy=False)
        for code in old_codes:  # an old ward without its district
            w = _lookup(toks, end, db.old_ward_index_by_province[code], WARD_KINDS, place, tolerant)
            if w is not None:
                return _old_ward_outcome(db, w, list(notes), district_given=False)
        if district_only is not None:
            d = district_only
            codes = _district_targets(db, d.units)
            out_notes = list(notes)
            if d.edits:
                out_notes.append(_tolerance_note(d, d.units[0]))
            names = " / ".join(u.name for u in d.units)
            if len(codes) == 1:
                ward = db.wards[codes[0]]
                out_notes.append(f"old district {names} became {ward.name}")
                return _Outcome(EXACT, codes, ward.province_code, True, out_notes)
            out_notes.append(f"no ward given; old district {names} spans {len(codes)} wards")
            return _Outcome(AMBIGUOUS, codes, db.wards[codes[0]].province_code, True, out_notes)
    return None


def _resolve(text: str, place: bool) -> AddressResolution:
    raw = unicodedata.normalize("NFC", text)
    db = _db()
    toks = _tokenize(raw)
    end = len(toks)
    while end > 0:  # a trailing ", Việt Nam"
        if toks[end - 1].key in _COUNTRY_KEYS:
            n = 1
        elif end > 1 and toks[end - 2].key + toks[end - 1].key in _COUNTRY_KEYS:
            n = 2
        else:
            break
        if not (toks[end - n].hard or toks[end - n].soft):
            break
        end -= n
    notes: list[str] = []

    prov = _find(toks, end, db.province_index, PROVINCE_KINDS, anywhere=True)
    if prov is None:
        prov = _find_tolerant(toks, end, db.province_index, PROVINCE_KINDS, anywhere=True)
        if prov is not None:
            notes.append(_tolerance_note(prov, prov.units[0]))
    outcome: _Outcome | None = None
    province_code: str | None = None
    if prov is not None:
        new_codes = sorted({u.code if u.level == "province" else u.parent for u in prov.units})
        old_codes = [u.code for u in prov.units if u.level == "old_province"]
        province_code = new_codes[0] if len(new_codes) == 1 else None
        only_old = not any(u.level == "province" for u in prov.units)
        for u in prov.units:
            if u.level == "old_province" and only_old:
                new_name = db.provinces[u.parent].name
                if _key(new_name) == _key(u.name):
                    notes.append(f"'{prov.said}' is a former name of {new_name}")
                else:
                    notes.append(f"old province {u.name} is part of {new_name} since 1/7/2025")
        rest = _skip_type_words(toks, prov.start, PROVINCE_KINDS) if not prov.kind else prov.start
        outcome = _interpret(db, toks, rest, old_codes, new_codes, place, notes)
        if outcome is not None and only_old:
            outcome.legacy = True
        if outcome is None:
            if rest > 0:
                lo = _segment_start(toks, rest)
                said = " ".join(t.text for t in toks[lo:rest])
                notes.append(f"no unit '{said}' found in {prov.units[0].name}")
            else:
                notes.append("province only")
            outcome = _Outcome(UNKNOWN, (), province_code, only_old, notes)
    else:
        lo = _segment_start(toks, end) if end else 0
        prefix = _prefix_before(toks, lo + 1, lo) if end - lo >= 2 else None
        if prefix and prefix[0] == TINH and lo > 0:
            # "tỉnh Hà Tây": a province unknown before and after 2025; the district may tell
            said = " ".join(t.text for t in toks[lo:end])
            notes.append(f"province '{said}' unknown")
            end = lo
        outcome = _without_province(db, toks, end, place, notes)
    return _result(db, raw, outcome)


def _without_province(db: _Db, toks, end: int, place: bool, notes: list[str]) -> _Outcome:
    """No province written: an old district known in one province only ("Phường 5, Quận 3"),
    or a 2025 ward, written with its type, whose name is unique in the country."""
    d = _find(toks, end, db.all_district_index, DISTRICT_KINDS, place)
    if d is not None:
        by_province: dict[str, list[_Unit]] = {}
        for unit in d.units:
            by_province.setdefault(unit.parent, []).append(unit)
        found = []
        for old_code in by_province:
            old = db.old_provinces[old_code]
            out = _interpret(db, toks, end, [old_code], [old.parent], place, [])
            if out is not None and (out.status != UNKNOWN or len(by_province) == 1):
                found.append((old, out))
        if len(found) == 1:
            old, out = found[0]
            out.notes[:0] = notes + [f"province inferred from old district {d.units[0].name}: {old.name}"]
            out.legacy = True
            return out
        names = ", ".join(db.old_provinces[c].name for c in by_province)
        return _Outcome(UNKNOWN, (), None, True, notes + [f"no province; '{d.said}' is a district in {names}"])
    w = _find(toks, end, db.all_new_ward_index, WARD_KINDS, place)
    if w is not None and w.kind:
        codes = {u.code for u in w.units}
        if len(codes) == 1:
            inferred = notes + ["province inferred: the only 2025 unit of that name"]
            return _new_ward_outcome(db, w, inferred, legacy=False)
    return _Outcome(UNKNOWN, (), None, False, notes + ["no province found"])


def _result(db: _Db, raw: str, outcome: _Outcome) -> AddressResolution:
    province = db.provinces.get(outcome.province_code) if outcome.province_code else None
    if outcome.status == EXACT:
        ward = db.wards[outcome.ward_codes[0]]
        return AddressResolution(
            raw, EXACT, ward, db.provinces[ward.province_code], (), outcome.legacy, "; ".join(outcome.notes)
        )
    candidates = tuple(db.wards[c] for c in outcome.ward_codes) if outcome.status == AMBIGUOUS else ()
    if candidates and province is None:
        provs = {c.province_code for c in candidates}
        if len(provs) == 1:
            province = db.provinces[provs.pop()]
    return AddressResolution(raw, outcome.status, None, province, candidates, outcome.legacy, "; ".join(outcome.notes))
