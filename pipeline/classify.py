"""Document kind from the read text (keyword rules from models.kinds)."""

from __future__ import annotations

from models.document import DocumentKind
from models.kinds import KIND_RULES
from pipeline.text import fold

_FOLDED_RULES = [
    (rule.kind, [(fold(phrase), weight) for phrase, weight in rule.phrases], rule.min_score)
    for rule in KIND_RULES
]


def classify_text(text: str) -> tuple[DocumentKind, float]:
    """(kind, score) for a document's text; OTHER when no rule reaches its minimum."""
    folded = fold(text)
    best, best_score = DocumentKind.OTHER, 0.0
    for kind, phrases, min_score in _FOLDED_RULES:
        score = sum(weight for phrase, weight in phrases if phrase in folded)
        if score >= min_score and score > best_score:
            best, best_score = kind, score
    return best, best_score
