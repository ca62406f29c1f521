"""A field's closed vocabulary of words, and whether a reading is spelled as it spells them.

Two recognizers can agree on a value's letters and differ in a tone mark (AsterNet reading
the small "ruồi" of a card's identifying marks as "ruổi"), or agree on both while one of
them doubts a mark. Where the field is written in a small vocabulary, and the letters of
each part of the reading fit exactly one of its terms, the vocabulary says which marks are
right: a slip that lands on another term's spelling needs two terms with the same letters,
and the reading is then not taken as spelled (`spells` is False). Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pipeline.text import fold, nfc

_EDGE_PUNCTUATION = ".,;:()/-–"


class TermVocabulary:
    """Terms of one or a few words (`models.idcards.IDENTIFYING_MARK_TERMS`)."""

    def __init__(self, terms: Iterable[str]) -> None:
        self._by_letters: dict[tuple[str, ...], set[str]] = {}
        for term in terms:
            words = tuple(nfc(term).casefold().split())
            self._by_letters.setdefault(tuple(_letters(w) for w in words), set()).add(" ".join(words))
        self._longest = max((len(k) for k in self._by_letters), default=0)

    def spells(self, text: str) -> bool:
        """Every word of `text` (measures aside: any part with a digit) falls in a run of words
        whose letters fit exactly one term, spelled as that term, tone marks and all (case
        aside). Runs are taken longest first, from the left."""
        words = _words(text)
        if all(w is None for w in words):
            return False  # nothing (or only measures) to spell
        i = 0
        while i < len(words):
            if words[i] is None:  # a measure
                i += 1
                continue
            for n in range(min(self._longest, len(words) - i), 0, -1):
                run = words[i : i + n]
                if any(w is None for w in run):
                    continue
                terms = self._by_letters.get(tuple(_letters(w) for w in run))  # type: ignore[arg-type]
                if terms is not None:
                    if len(terms) != 1 or " ".join(run) not in terms:  # type: ignore[arg-type]
                        return False
                    i += n
                    break
            else:
                return False
        return True


def _letters(word: str) -> str:
    """The word's letters without their marks; đ stays a letter of its own ("dưới" is not "đuôi")."""
    return "".join("đ" if c == "đ" else fold(c) for c in word)


def letters_of(text: str) -> str:
    """What two readings that differ only in marks have alike: letters and digits, đ kept."""
    return "".join(_letters(c) for c in nfc(text).casefold() if c.isalnum())


def _words(text: str) -> list[str | None]:
    """Lower-case words with the punctuation at their edges removed; None for a measure
    ("C:1,5cm", "2cm"); "C:" and "cm" standing alone are words."""
    out: list[str | None] = []
    for token in nfc(text).casefold().split():
        if re.search(r"\d", token):
            out.append(None)
            continue
        for part in token.split(":"):
            part = part.strip(_EDGE_PUNCTUATION)
            if part:
                out.append(part)
    return out
