"""Accuracy measures shared by the benchmarks (pure functions)."""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz.distance import Levenshtein

from pipeline.text import ACCENTED_LETTERS, nfc, strip_diacritics

Line = tuple[str, Sequence[float]]  # (text, box x0 y0 x1 y1)


def _rows(lines: Sequence[Line]) -> list[list[int]]:
    """Indices of lines grouped into rows, top down: side by side (no horizontal overlap) and
    overlapping vertically by at least half the smaller height. The first condition keeps
    consecutive lines of a skewed scan apart, whose boxes overlap vertically."""
    order = sorted(range(len(lines)), key=lambda i: (lines[i][1][1] + lines[i][1][3]) / 2)
    rows: list[list[int]] = []
    for i in order:
        box = lines[i][1]
        if rows:
            top = min(lines[k][1][1] for k in rows[-1])
            bottom = max(lines[k][1][3] for k in rows[-1])
            beside = all(min(box[2], lines[k][1][2]) <= max(box[0], lines[k][1][0]) for k in rows[-1])
            if beside and min(bottom, box[3]) - max(top, box[1]) >= 0.5 * min(box[3] - box[1], bottom - top):
                rows[-1].append(i)
                continue
        rows.append([i])
    return rows


def _join(lines: Sequence[Line], indices: Sequence[int]) -> str:
    return " ".join(nfc(lines[i][0]) for i in sorted(indices, key=lambda i: lines[i][1][0]))


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def aligned_rows(truth: Sequence[Line], predicted: Sequence[Line]) -> list[tuple[str, str]]:
    """(truth row text, predicted text) pairs, matched by position on the page.

    Each predicted line goes to the truth line whose box it overlaps best (IoU), and so to that
    line's row; a row's prediction is its lines left to right. Predicted lines that
    overlap no truth line are paired with "" (pure insertions). This measures reading
    alone: it does not depend on an engine's reading order or on how it splits a row
    into boxes.
    """
    truth = [(t, b) for t, b in truth if nfc(t)]
    predicted = [(t, b) for t, b in predicted if nfc(t)]
    rows = _rows(truth)
    row_of = {i: r for r, row in enumerate(rows) for i in row}
    assigned: list[list[int]] = [[] for _ in rows]
    pairs: list[tuple[str, str]] = []
    for j, (text, box) in enumerate(predicted):
        overlaps = [iou(box, tb) for _, tb in truth]
        best = max(range(len(truth)), key=overlaps.__getitem__, default=None)
        if best is None or overlaps[best] <= 0:
            pairs.append(("", text))
        else:
            assigned[row_of[best]].append(j)
    for r, row in enumerate(rows):
        pairs.append((_join(truth, row), _join(predicted, assigned[r])))
    return pairs


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
            exact += sum(c in ACCENTED_LETTERS for c in t[block.src_start : block.src_end])
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
