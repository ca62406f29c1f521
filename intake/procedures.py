"""The procedure catalogue at the counter: finding a procedure, and checking a dossier's pages
against the procedure's required documents (thành phần hồ sơ).

Search matches a code prefix or the name, tone marks and case optional ("khai sinh",
"KHAI SINH" and "đăng ký khai sinh" all find "Đăng ký khai sinh"; đ folds to d), words in any
order, best first.

The checklist rule (docs/DOMAIN.md#required-documents-and-fees): a page satisfies a required
document when its kind is one of the document's `kinds`, or when the clerk declared the page to
be that document (its `document_key`). A page counts for at most one document: as many
required documents as possible get a page of their own, then optional ones (a maximum
matching, so one card page never stands for two identity papers); a page not needed for that
joins a present document that accepts its kind, preferably one whose page has the same kind
(a form's second page, a card's back).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from models.catalogue import Procedure, ProcedureCatalogue, RequiredDocument
from pipeline.text import fold, nfc, slugify, strip_diacritics, tone_key

_WORD = re.compile(r"[^\W_]+")
_CODE = re.compile(r"[0-9][0-9.]*")

# Ranks, best first.
_EXACT_CODE, _CODE_PREFIX, _NAME_STARTS, _NAME_PHRASE, _ALL_WORDS = range(5)


def _words(folded: str) -> list[str]:
    return _WORD.findall(folded)


def _phrase_at(name: list[str], query: list[str], start: int) -> bool:
    """`query` occurs in `name` at `start`, its last word possibly cut short (typing)."""
    if start + len(query) > len(name):
        return False
    *whole, last = query
    return name[start : start + len(whole)] == whole and name[start + len(whole)].startswith(last)


@lru_cache(maxsize=8192)
def _name_words(name: str) -> tuple[str, ...]:
    return tuple(_words(fold(name)))


def _name_rank(name: str, query: list[str]) -> int | None:
    words = list(_name_words(name))
    if not all(any(w.startswith(q) for w in words) for q in query):
        return None
    if _phrase_at(words, query, 0):
        return _NAME_STARTS
    if any(_phrase_at(words, query, i) for i in range(1, len(words))):
        return _NAME_PHRASE
    return _ALL_WORDS


def _marks_differ(name: str, q: str) -> bool:
    """Whether a query word typed with marks is written otherwise in the name ("bản" vs "ban").
    Tone placement does not count ("hoà" == "hòa"); a query without marks never differs."""
    typed = [w for w in _WORD.findall(nfc(q).casefold()) if w != strip_diacritics(w)]
    if not typed:
        return False
    words = _WORD.findall(nfc(name).casefold())
    keys = {tone_key(w) for w in words}
    return not all(tone_key(t) in keys or any(w.startswith(t) for w in words) for t in typed)


def _code_rank(code: str, q: str) -> int | None:
    if code == q or code.replace(".", "") == q.replace(".", ""):
        return _EXACT_CODE
    if code.startswith(q) or ("." not in q and code.replace(".", "").startswith(q)):
        return _CODE_PREFIX
    return None


def search_procedures(catalogue: ProcedureCatalogue, q: str | None, limit: int = 50) -> list[Procedure]:
    """Procedures whose code starts with `q` or whose name holds every word of `q` (tone
    marks, case and order optional), best first: the exact code, code prefixes, names that
    start with the query, names holding it as a phrase, names holding all its words. Ties:
    the query's own tone marks, shorter names, catalogue order. No query: all, in order."""
    procedures = list(catalogue.procedures.values())
    limit = max(limit, 0)
    text = nfc(q or "")
    if not text:
        return procedures[:limit]
    query = _words(fold(text))
    compact = text.replace(" ", "")
    code_like = bool(_CODE.fullmatch(compact))
    ranked: list[tuple[int, bool, int, int, Procedure]] = []
    for index, procedure in enumerate(procedures):
        rank = _code_rank(procedure.code, compact) if code_like else None
        if rank is None and query and not code_like:
            rank = _name_rank(procedure.name, query)
        if rank is not None:
            marks = _marks_differ(procedure.name, text)
            ranked.append((rank, marks, len(_name_words(procedure.name)), index, procedure))
    ranked.sort(key=lambda r: r[:4])
    return [r[4] for r in ranked[:limit]]


@lru_cache(maxsize=1024)
def document_key(document: RequiredDocument) -> str:
    """The value a clerk declares for a page that is this document when no kind the reader
    knows fits it (a giấy chứng sinh): the document's name as a slug,
    e.g. "van_ban_uy_quyen_neu_nop_thay"."""
    return slugify(document.name)


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    document: RequiredDocument
    present: bool
    pages: tuple[int, ...]  # dossier page numbers counted for it, ascending


def _accepts(document: RequiredDocument, kind: str | None) -> bool:
    if not kind:
        return False
    kind = unicodedata.normalize("NFC", kind)
    return kind in document.kinds or kind == document_key(document)


def checklist(procedure: Procedure, pages: Sequence[tuple[int, str | None]]) -> list[ChecklistItem]:
    """Each required document of `procedure`, present or not, with the pages counted for it.
    `pages` are (dossier page number, kind found or declared, None when unknown)."""
    documents = procedure.required_documents
    ordered = sorted(range(len(pages)), key=lambda i: pages[i][0])
    candidates = [[p for p in ordered if _accepts(doc, pages[p][1])] for doc in documents]
    owner: dict[int, int] = {}  # page index -> document index

    def augment(d: int, seen: set[int]) -> bool:
        free = next((p for p in candidates[d] if p not in owner), None)
        if free is not None:  # a page nobody holds yet, the earliest: no reshuffle needed
            owner[free] = d
            return True
        for p in candidates[d]:
            if p not in seen:
                seen.add(p)
                if augment(owner[p], seen):
                    owner[p] = d
                    return True
        return False

    # Required documents first: Kuhn's augmentations never unmatch a matched document.
    for d in sorted(range(len(documents)), key=lambda d: not documents[d].required):
        augment(d, set())
    matched_kind = {d: pages[p][1] for p, d in owner.items()}
    assigned: dict[int, list[int]] = {d: [p] for p, d in owner.items()}
    for p in ordered:
        if p in owner:
            continue
        takers = [d for d in range(len(documents)) if d in assigned and _accepts(documents[d], pages[p][1])]
        if takers:
            same = [d for d in takers if matched_kind[d] == pages[p][1]]
            assigned[(same or takers)[0]].append(p)
    return [
        ChecklistItem(doc, d in assigned, tuple(sorted(pages[p][0] for p in assigned.get(d, []))))
        for d, doc in enumerate(documents)
    ]


def missing_documents(items: Sequence[ChecklistItem]) -> list[str]:
    """Names of the required documents (required=True) that no page satisfies."""
    return [item.document.name for item in items if item.document.required and not item.present]
