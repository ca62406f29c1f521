"""Finding a unit name of one scope at the end of a run of tokens, as written or with an OCR slip."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from pipeline.fields.address.catalogue import CatalogueEntry, NameIndex
from pipeline.fields.address.keys import tone_lookup_key
from pipeline.fields.address.tokens import TYPE_WORD_KEYS, WARD_KINDS, Token, segment_start, type_before

_MAX_NAME_TOKENS = 8


@dataclass(slots=True)
class NameMatch:
    start: int  # first token, type word included
    units: list[CatalogueEntry]
    kind: str  # the type written in the text, "" if none
    said: str  # the words read as the name
    edits: int = 0  # > 0: tolerant match
    alias: bool = False  # matched a former or variant name listed by the data


def _kind_ok(unit_kind: str, said_kind: str) -> bool:
    return not said_kind or unit_kind == said_kind


def _narrow(units: list[CatalogueEntry], kind: str, said: str, toned: bool) -> list[CatalogueEntry]:
    """Keep the units of the written type and, if the text has tone marks, of the same marks
    ("Nga Thanh" in an accented text is not "Nga Thành")."""
    units = list(dict.fromkeys(units))
    typed = [u for u in units if _kind_ok(u.kind, kind)]
    if typed:
        units = typed
    if len(units) > 1 and toned:
        said_key = tone_lookup_key(said)
        same_marks = [u for u in units if tone_lookup_key(u.short) == said_key]
        if same_marks:
            units = same_marks
    return units


def find(toks: list[Token], end: int, index: NameIndex, kinds: frozenset[str], anywhere: bool) -> NameMatch | None:
    """The longest unit name of `index` ending at toks[end - 1], within its comma part.
    Without a type word, the name must start a part unless `anywhere`."""
    if end <= 0:
        return None
    lo = segment_start(toks, end)
    best: NameMatch | None = None
    for start in range(end - 1, max(lo, end - _MAX_NAME_TOKENS) - 1, -1):
        prefix = type_before(toks, start, lo)
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
                best = NameMatch(begin, _narrow(units, kind, said, toks[start].toned), kind, said, alias=alias)
    return best


def find_tolerant(
    toks: list[Token], end: int, index: NameIndex, kinds: frozenset[str], anywhere: bool
) -> NameMatch | None:
    """An OCR slip: the whole part (or the name after a type word) within 1 edit (2 for long
    names) of exactly one unit."""
    if end <= 0 or not index.fuzzy_keys:
        return None
    for start, begin, kind in _tolerant_spans(toks, end, kinds, anywhere):
        key = "".join(t.key for t in toks[start:end])
        if len(key) < 4 or any(c.isdigit() for c in key):
            continue
        limit = 1 if len(key) <= 7 else 2
        found = process.extract(key, index.fuzzy_keys, scorer=Levenshtein.distance, score_cutoff=limit, limit=None)
        if len({k for k, _, _ in found}) == 1:  # one name (an old and a new province may share it)
            said = " ".join(t.text for t in toks[start:end])
            units = _narrow([index.fuzzy_entries[i] for _, _, i in found], kind, said, toned=False)
            if all(_kind_ok(u.kind, kind) for u in units):
                return NameMatch(begin, units, kind, said, edits=found[0][1])
    return None


def _tolerant_spans(toks: list[Token], end: int, kinds: frozenset[str], anywhere: bool) -> list[tuple[int, int, str]]:
    """Where a misread name ending at toks[end - 1] may start: (name start, start with its
    type word, the type), longest last; a type word of the level ends the search."""
    lo = segment_start(toks, end)
    spans: list[tuple[int, int, str]] = []
    for start in range(end - 1, max(lo, end - _MAX_NAME_TOKENS) - 1, -1):
        prefix = type_before(toks, start, lo)
        if prefix:
            if prefix[0] in kinds:
                spans.append((start, prefix[1], prefix[0]))
            break
        if toks[start].hard or toks[start].soft or anywhere:
            spans.append((start, start, ""))
    return spans


def lookup(
    toks: list[Token], end: int, index: NameIndex, kinds: frozenset[str], anywhere: bool, tolerant: bool
) -> NameMatch | None:
    if tolerant:
        return find_tolerant(toks, end, index, kinds, anywhere)
    return find(toks, end, index, kinds, anywhere)


def skip_type_words(toks: list[Token], end: int, kinds: frozenset[str]) -> int:
    """After a name matched without its type word, drop a misread type word left of it
    ("thành phou Hà Nội")."""
    if end <= 0 or toks[end].hard:
        return end
    lo = segment_start(toks, end)
    for n in (2, 1):
        if end - n >= lo and (toks[end - n].hard or toks[end - n].soft):
            key = "".join(t.key for t in toks[end - n : end])
            if any(Levenshtein.distance(key, w) <= 1 for w in TYPE_WORD_KEYS[kinds] if len(key) >= 4):
                return end - n
    return end


def ward_written(toks: list[Token], end: int, place: bool) -> bool:
    """Is there something left of `end` that was meant as a ward (a ward type word, or in a
    place name any word)?"""
    if end <= 0:
        return False
    if place:
        return True
    lo = segment_start(toks, end)
    for i in range(lo + 1, end):
        prefix = type_before(toks, i, lo)
        if prefix and prefix[0] in WARD_KINDS:
            return True
    return False
