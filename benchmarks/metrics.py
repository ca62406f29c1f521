"""Accuracy measures shared by the benchmarks (pure functions)."""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz.distance import Levenshtein

from pipeline.text import ACCENTED_LETTERS, nfc, strip_diacritics

Line = tuple[str, Sequence[float]]  # (text, box x0 y0 x1 y1)


def canonical_text(lines: Sequence[Line]) -> str:
    """Page text in one canonical order, the same for truth and for every engine:
    rows (lines overlapping vertically) top to bottom, left to right within a row.

    Benchmarks compare recognition, so they must not depend on the engine's own reading
    order or on how it splits a row into boxes."""
    items = sorted(((nfc(t), b) for t, b in lines if nfc(t)), key=lambda item: (item[1][1] + item[1][3]) / 2)
    rows: list[list[tuple[str, Sequence[float]]]] = []
    for text, box in items:
        if rows:
            row = rows[-1]
            top = min(b[1] for _, b in row)
            bottom = max(b[3] for _, b in row)
            overlap = min(bottom, box[3]) - max(top, box[1])
            if overlap >= 0.5 * min(box[3] - box[1], bottom - top):
                row.append((text, box))
                continue
        rows.append([(text, box)])
    return "\n".join(" ".join(t for t, _ in sorted(row, key=lambda item: item[1][0])) for row in rows)


def _squash(text: str) -> str:
    return " ".join(text.split())


def char_errors(truth: str, predicted: str) -> tuple[int, int]:
    """(edit distance, truth length) on whitespace-normalized NFC text."""
    t, p = _squash(nfc(truth)), _squash(nfc(predicted))
    return Levenshtein.distance(t, p), len(t)


def char_errors_no_marks(truth: str, predicted: str) -> tuple[int, int]:
    return char_errors(strip_diacritics(truth), strip_diacritics(predicted))


def accented_letters(truth: str, predicted: str) -> tuple[int, int]:
    """(accented letters of the truth read exactly, accented letters in the truth)."""
    t, p = _squash(nfc(truth)), _squash(nfc(predicted))
    total = sum(c in ACCENTED_LETTERS for c in t)
    exact = 0
    for block in Levenshtein.opcodes(t, p):
        if block.tag == "equal":
            exact += sum(c in ACCENTED_LETTERS for c in t[block.src_start:block.src_end])
    return exact, total


class Tally:
    """Sums of (errors, total) pairs, printed as a rate."""

    def __init__(self) -> None:
        self.errors = 0
        self.total = 0

    def add(self, pair: tuple[int, int]) -> None:
        self.errors += pair[0]
        self.total += pair[1]

    @property
    def rate(self) -> float:
        return self.errors / self.total if self.total else float("nan")
