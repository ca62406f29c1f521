"""Document kind of each page from its text and layout, and an upload split into documents.

Pure functions over `PageText`. A page's kind comes with a confidence (the winner's lead
over the runner-up); a page nothing places is "other". Splitting walks the pages in
order: a placed page starts a new document unless it continues one of the same
multi-page kind; an unplaced page continues the document before it when that kind runs
over several pages (page 2 of a công văn has no heading of its own).
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz

from models.document import DocumentKind, PageText
from models.kinds import (
    CARD_ASPECT,
    FORM_PAGE_LINES,
    KIND_RULES,
    LAYOUT_PENALTY,
    MIN_LEAD,
    NOT_ON_CARDS,
    RULES_BY_KIND,
    Layout,
)
from pipeline.fields.idcheck import find_td1
from pipeline.text import fold

_FUZZY_MIN = 8  # shorter phrases only count read exactly
_FUZZY_SCORE = 88.0  # about one letter wrong in eight

_FOLDED = [
    (
        rule,
        [(fold(p), w) for p, w in rule.phrases],
        [fold(p) for p in (*rule.excluded, *(NOT_ON_CARDS if rule.layout == Layout.CARD else ()))],
    )
    for rule in KIND_RULES
]


@dataclass(frozen=True, slots=True)
class KindGuess:
    kind: DocumentKind
    confidence: float  # 0..1: 0 for "other"
    score: float


def _card_shaped(page: PageText) -> bool:
    w, h = max(page.width, page.height), max(min(page.width, page.height), 1)
    return CARD_ASPECT[0] <= w / h <= CARD_ASPECT[1]


def may_carry_card_code(page: PageText) -> bool:
    """Whether a page could be a card with a QR code (so worth a slower look for a small one):
    card-shaped, or its text places it as a card kind with a code, or nowhere."""
    kind = classify_page(page).kind
    rule = RULES_BY_KIND.get(kind)
    return _card_shaped(page) or kind == DocumentKind.OTHER or (rule is not None and rule.has_qr)


def _text_page(page: PageText) -> bool:
    """A sheet of many lines (a form or letter), not a card alone: a page that names a card
    in its title ("TỜ KHAI CĂN CƯỚC") is about the card, not the card."""
    return not _card_shaped(page) and len(page.lines) >= FORM_PAGE_LINES


def kind_scores(
    text: str,
    *,
    card_shaped: bool | None = None,
    has_qr: bool = False,
    has_mrz: bool = False,
    text_page: bool = False,
    fuzzy: bool = False,
) -> dict[DocumentKind, float]:
    """Each kind's score; `fuzzy`: a phrase counts also where it was misread by a letter or
    two ("hộ công án" for "bộ công an")."""
    folded = fold(text)
    scores = {}
    for rule, phrases, excluded in _FOLDED:
        if any(e in folded for e in excluded) or (text_page and rule.layout == Layout.CARD):
            continue
        score = sum(w for p, w in phrases if p in folded or (fuzzy and _misread_in(p, folded)))
        if rule.has_mrz and has_mrz:
            score += 1.0
        if rule.has_qr and has_qr:
            score += 0.5
        if card_shaped and rule.layout == Layout.PAGE:
            score -= LAYOUT_PENALTY
        scores[rule.kind] = score
    return scores


def _decide(scores: dict[DocumentKind, float]) -> KindGuess:
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if not ranked:
        return KindGuess(DocumentKind.OTHER, 0.0, 0.0)
    (best, top), runner = ranked[0], (ranked[1][1] if len(ranked) > 1 else 0.0)
    rule = RULES_BY_KIND[best]
    lead = (top - max(runner, 0.0)) / top if top > 0 else 0.0
    if top < rule.min_score or lead < MIN_LEAD:
        return KindGuess(DocumentKind.OTHER, 0.0, top)
    # Confidence: how far past its minimum the winner is, times how clearly it leads.
    confidence = min(1.0, top / (2 * rule.min_score)) * 0.5 + 0.5 * min(1.0, lead)
    return KindGuess(best, round(confidence, 3), top)


def classify_text(text: str) -> tuple[DocumentKind, float]:
    """(kind, score) from text alone; OTHER when no kind is clearly placed."""
    guess = _decide(kind_scores(text))
    return guess.kind, guess.score


def _misread_in(phrase: str, folded: str) -> bool:
    return len(phrase) >= _FUZZY_MIN and fuzz.partial_ratio(phrase, folded, score_cutoff=_FUZZY_SCORE) > 0


def classify_page(page: PageText) -> KindGuess:
    has_mrz = find_td1([line.text for line in page.lines]) is not None
    facts = {
        "card_shaped": _card_shaped(page),
        "has_qr": bool(page.codes),
        "has_mrz": has_mrz,
        "text_page": _text_page(page),
    }
    guess = _decide(kind_scores(page.text, **facts))
    if guess.kind == DocumentKind.OTHER:
        # Faint or spread print misreads a letter of a phrase here and there: placed by its
        # phrases read nearly right, still with the winner's lead over the rest.
        guess = _decide(kind_scores(page.text, fuzzy=True, **facts))
    return guess


@dataclass(frozen=True, slots=True)
class Part:
    """One document found in an upload: its kind and the pages it spans (indexes into the upload)."""

    kind: DocumentKind
    confidence: float
    pages: tuple[int, ...]


def split_pages(pages: list[PageText]) -> list[Part]:
    """An upload's pages as documents by kind, in order."""
    parts: list[Part] = []
    for position, page in enumerate(pages):
        guess = classify_page(page)
        last = parts[-1] if parts else None
        continues = (
            last is not None
            and last.kind != DocumentKind.OTHER
            and RULES_BY_KIND[last.kind].multi_page
            and guess.kind in (DocumentKind.OTHER, last.kind)
            and not _starts_document(page, guess)
        )
        if continues:
            assert last is not None
            parts[-1] = Part(last.kind, last.confidence, (*last.pages, position))
        elif last is not None and last.kind == DocumentKind.OTHER and guess.kind == DocumentKind.OTHER:
            parts[-1] = Part(last.kind, 0.0, (*last.pages, position))
        else:
            parts.append(Part(guess.kind, guess.confidence, (position,)))
    return parts


def _starts_document(page: PageText, guess: KindGuess) -> bool:
    """A page whose top carries the national heading begins a new document even when it is
    of the same kind as the one before (two đơn in a row)."""
    if guess.kind == DocumentKind.OTHER:
        return False
    top = fold(" ".join(line.text for line in page.lines[:6]))
    return "cong hoa xa hoi chu nghia viet nam" in top
