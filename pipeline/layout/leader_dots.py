"""Dotted leaders found in a line's crop, taken out before it is read and put back as `...`.

A recognizer reads a run of leader dots as noise: stray commas and quotes among the dots, the
note mark printed inside the run lost (`……7……` read as `.`), the whole line read as nothing
with no confidence when the run is long, or every crop of the line tried in turn because none
reads confidently (the time a form's page takes). The dots are easy to see instead: small round
marks on the baseline with nothing above them, in a row at a regular pitch. They are painted
out with the paper's colour, the rest of the line is read, and a `...` is put back in the
reading where each run was (by the words' places in the crop, `Recognition.words`).

What is not a leader: a full stop or a comma (one mark, or a comma's tail below the baseline),
a colon (a mark above it), the dot under ạ or ị (a letter above it), `i`'s dot (above the
baseline), dashes (at mid-height).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

LEADER = "..."
_DOT_SIZE = (0.03, 0.2)  # a dot's width and height, x the line's height
_DOT_SHAPE = (0.4, 2.5)  # width / height
_DOT_FILL = 0.45  # share of its bounding box a dot's ink fills
_ROUND = (0.6, 1.6)  # width / height of a dot seen alone, at any scale
_DOT_GAP = 0.6  # x a dot's size: the least median space between the dots of a leader alone
_BASELINE = (0.55, 1.25)  # a dot's centre, down from the box top, x the line's height
_CLEAR_ABOVE = 0.6  # x the line's height: no ink above a dot over this height
_PITCH = 1.0  # x the line's height: the most space between two dots of a run
_ROW = 0.12  # x the line's height: the most a run's dots' centres differ in height
_MIN_DOTS = 3
_GHOSTS = ("'", "`", "‘", "’")
_HIGH = 0.3  # x the line's height: ink ending this far below the box top, over a leader, is not the line's
_SPACE = 0.12  # x the line's height: a run further than this from a word is spaced from it


_ABOVE = 0.05  # x the line's height: a dot centred above the box top is the line above's
_MIN_DOTS_ABOVE = 6
# A writing line: the dots go on under the words written on it, apart from them by a gap.
_UNDER_GAP = 0.06  # x the line's height: clear ink right above a dot under a word
_MIN_DOTS_UNDER = 3
_MIN_DOTS_WRITING = 8  # a writing line without a blank part: a long row, at an even pitch


@dataclass(frozen=True, slots=True)
class LeaderRun:
    x0: int  # left of the first dot, in the crop
    x1: int  # right of the last dot
    dots: tuple[tuple[int, int, int, int], ...]  # each dot's x, y, width, height
    own: bool = True  # on the line's baseline (False: the line above's, in the crop's margin)
    # The dots that go on, at the run's height and pitch, under the words to its left: the
    # run is what a filled-in writing line leaves after its value, no blank slot.
    under: tuple[tuple[int, int, int, int], ...] = ()

    @property
    def piece(self) -> str:
        """What the run is put back as: `...`, nothing for the line above's or a filled line's."""
        return LEADER if self.own and not self.under else ""


def find_leader_runs(crop: np.ndarray, line_height: float, top: float) -> list[LeaderRun]:
    """The runs of leader dots of a grey line crop whose text box starts `top` pixels down and
    is `line_height` tall, left to right: the line's own, on its baseline, and the line
    above's that the crop's top margin takes in (a row of dots along a crop's top edge makes
    Tesseract read nothing of the line under it)."""
    if crop.size == 0 or line_height < 8:
        return []
    _, ink = cv2.threshold(crop, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    lo, hi = _DOT_SIZE[0] * line_height, _DOT_SIZE[1] * line_height
    dots, above_dots, under = [], [], []
    for k in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[k])
        if not (lo <= w <= hi and lo <= h <= hi and _DOT_SHAPE[0] <= w / h <= _DOT_SHAPE[1]):
            continue
        if area < _DOT_FILL * w * h:
            continue
        cy = y + h / 2 - top
        if cy < -_ABOVE * line_height:
            above_dots.append((x, y, w, h))
            continue
        if not (_BASELINE[0] * line_height <= cy <= _BASELINE[1] * line_height):
            continue
        above = ink[max(0, int(y - _CLEAR_ABOVE * line_height)) : y, x : x + w]
        if above.any():  # a letter's mark below it, a colon's lower dot, or a writing line's dot
            if not ink[max(0, int(y - _UNDER_GAP * line_height)) : y, x : x + w].any():
                under.append((x, y, w, h))
            continue
        dots.append((x, y, w, h))
    own = [
        LeaderRun(r[0][0], r[-1][0] + r[-1][2], tuple(r), under=_under_words(r, under, dots, line_height))
        for r in _rows(dots, line_height, ink, int(top + 0.35 * line_height))
        if len(r) >= _MIN_DOTS
    ]
    taken = {d for run in own for d in (*run.dots, *run.under)}
    lines = [
        LeaderRun(r[0][0], r[-1][0] + r[-1][2], (), own=False, under=tuple(r))
        for r in _writing_lines([d for d in (*under, *dots) if d not in taken], line_height)
        if len(set(r) & set(under)) >= _MIN_DOTS_UNDER
    ]
    above_runs = [
        LeaderRun(r[0][0], r[-1][0] + r[-1][2], tuple(r), own=False)
        for r in _rows(above_dots, line_height, ink)
        if len(r) >= _MIN_DOTS_ABOVE
    ]
    return sorted(own + lines + above_runs, key=lambda run: run.x0)


def _under_words(
    run: list[tuple[int, int, int, int]],
    under: list[tuple[int, int, int, int]],
    dots: list[tuple[int, int, int, int]],
    line_height: float,
) -> tuple[tuple[int, int, int, int], ...]:
    """The dots that carry the run on leftwards at its height and pitch, where there are at least
    `_MIN_DOTS_UNDER` of them and some have ink above them (`under`; `dots`: those without, in the
    gaps between letters): the run's line goes on under a written value. A mark under a letter
    (ạ, ị) keeps no leader's pitch."""
    gaps = [b[0] - (a[0] + a[2]) for a, b in zip(run, run[1:], strict=False)]
    most = 1.5 * float(np.median(gaps)) + 2
    chain, last = [], run[0]
    for dot in sorted([*under, *dots], reverse=True):
        if dot[0] + dot[2] > last[0]:
            continue
        if last[0] - (dot[0] + dot[2]) > most:
            break
        if abs((dot[1] + dot[3] / 2) - (last[1] + last[3] / 2)) <= _ROW * line_height:
            chain.append(dot)
            last = dot
    return tuple(chain) if len(chain) >= _MIN_DOTS_UNDER and set(chain) & set(under) else ()


def _writing_lines(dots: list[tuple[int, int, int, int]], line_height: float) -> list[list[tuple[int, int, int, int]]]:
    """Rows of at least `_MIN_DOTS_WRITING` alike dots at an even pitch, whatever stands above
    them: a dotted writing line under the words written on it (its dots are no text)."""
    rows: list[list[tuple[int, int, int, int]]] = []
    for dot in sorted(dots):
        last = rows[-1][-1] if rows else None
        if (
            last is not None
            and dot[0] - (last[0] + last[2]) <= _PITCH * line_height
            and abs((dot[1] + dot[3] / 2) - (last[1] + last[3] / 2)) <= _ROW * line_height
        ):
            rows[-1].append(dot)
        else:
            rows.append([dot])
    even = []
    for row in rows:
        steps = np.diff([x for x, _, _, _ in row]).astype(float)
        pitch = float(np.median(steps)) if len(steps) else 0.0
        # Even: each step a whole number of pitches (a dot lost to a letter's stroke is a gap).
        off = np.abs(steps - pitch * np.maximum(np.round(steps / max(pitch, 1.0)), 1))
        if len(row) >= _MIN_DOTS_WRITING and float(off.max()) <= 0.25 * pitch + 2:
            even.append(row)
    return even


def _rows(
    dots: list[tuple[int, int, int, int]], line_height: float, ink: np.ndarray, top: int = 0
) -> list[list[tuple[int, int, int, int]]]:
    """Dots grouped into rows: each next to the last, at its height, with no ink between
    them below `top` (the full stops of `v.v.` are no run)."""
    runs: list[list[tuple[int, int, int, int]]] = []
    for dot in sorted(dots):
        last = runs[-1][-1] if runs else None
        if (
            last is not None
            and dot[0] - (last[0] + last[2]) <= _PITCH * line_height
            and abs((dot[1] + dot[3] / 2) - (last[1] + last[3] / 2)) <= _ROW * line_height
            and not ink[top : dot[1] + dot[3], last[0] + last[2] + 1 : dot[0] - 1].any()
        ):
            runs[-1].append(dot)
        else:
            runs.append([dot])
    return runs


def only_dots(crop: np.ndarray) -> bool:
    """Whether a crop holds nothing but a row of alike dots (a leader the detector boxed on its
    own, at any scale): nothing in it to read."""
    if crop.size == 0:
        return False
    _, ink = cv2.threshold(crop, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if count - 1 < 2 * _MIN_DOTS:
        return False
    marks = stats[1:][np.argsort(stats[1:, 0])]
    w, h, area = marks[:, 2].astype(float), marks[:, 3].astype(float), marks[:, 4].astype(float)
    size = float(np.median(np.maximum(w, h)))
    centres = marks[:, 1] + h / 2
    # Spaced apart: a word's letters (a bold line of capitals or digits is a row of alike,
    # solid marks too) stand closer than their size; a leader's dots stand further.
    gaps = marks[1:, 0] - (marks[:-1, 0] + marks[:-1, 2])
    return bool(
        np.all((w / h >= _ROUND[0]) & (w / h <= _ROUND[1]) & (area >= _DOT_FILL * w * h))
        and np.all(np.maximum(w, h) <= 1.6 * size)
        and np.ptp(centres) <= size
        and float(np.median(gaps)) >= _DOT_GAP * size
    )


def clear_top_edge(crop: np.ndarray, line_height: float, top: float, runs: Sequence[LeaderRun] = ()) -> np.ndarray:
    """The crop without the line above's descenders and marks that its top margin takes in,
    which a recognizer reads as letters where a leader's dots leave the crop otherwise empty:
    ink cut by the crop's top edge that stays above the line's box (`top`), and ink high up
    over a leader of the line (`runs`), where it has no letter to carry a mark."""
    _, ink = cv2.threshold(crop, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    spans = [(run.x0, run.x1) for run in runs if run.own]
    cut = []
    for k in range(1, count):
        x, y, w, h = (int(v) for v in stats[k][:4])
        cut_off = y == 0 and y + h <= top
        over_leader = y + h <= top + _HIGH * line_height and any(a <= x and x + w <= b for a, b in spans)
        if cut_off or over_leader:
            cut.append(k)
    if not cut:
        return crop
    out = crop.copy()
    out[np.isin(labels, cut)] = int(np.percentile(crop, 90))
    return out


def erase_runs(crop: np.ndarray, runs: Sequence[LeaderRun]) -> np.ndarray:
    """The crop with the runs' dots painted over with the paper's colour."""
    if not runs:
        return crop
    out = crop.copy()
    paper = int(np.percentile(crop, 90))
    for run in runs:
        for x, y, w, h in (*run.dots, *run.under):
            out[max(0, y - 1) : y + h + 1, max(0, x - 1) : x + w + 1] = paper
    return out


class Mark(Protocol):
    """Something taken out of a crop before it was read, to be put back in its reading."""

    @property
    def x0(self) -> int: ...
    @property
    def x1(self) -> int: ...
    @property
    def piece(self) -> str: ...


def put_back(
    text: str, words: Sequence[tuple[int, int, int]], marks: Sequence[Mark], line_height: float
) -> tuple[str, tuple[tuple[int, int, int], ...]]:
    """`text` (read from the crop with `marks` erased; its words' places `words`) with each
    mark's piece where it was (a leader run's `...`, a note mark's digits), spaced from its
    neighbours as far as it was from them, and the words' places moved along. Marks in one
    gap between words come in their order, runs of leaders side by side as one. Without the
    words' places, the text is given back as it is."""
    marks = sorted((m for m in marks if m.piece), key=lambda m: m.x0)
    if not marks or not words or not text.strip():
        return text, tuple(words)
    near = _SPACE * line_height
    gaps: dict[int, list[Mark]] = {}  # gap after word k (-1: before the first) -> its marks
    for mark in marks:
        before = [k for k in range(len(words)) if words[k][2] <= mark.x0 + 2]
        after = [k for k in range(len(words)) if words[k][1] >= mark.x1 - 2]
        if before and after and before[-1] + 1 != after[0]:
            continue  # a word read over the mark: no clear place for it
        gaps.setdefault(before[-1] if before else -1, []).append(mark)
    edits = []
    for k, held in gaps.items():
        nxt = k + 1 if k + 1 < len(words) else None
        piece, right = "", words[k][2] if k >= 0 else None
        for mark in held:
            if piece.endswith(LEADER) and mark.piece == LEADER:
                right = mark.x1
                continue
            piece += (" " if right is not None and mark.x0 - right > near else "") + mark.piece
            right = mark.x1
        if nxt is not None and right is not None and words[nxt][1] - right > near:
            piece += " "
        start = _word_end(text, words, k) if k >= 0 else 0
        end = words[nxt][0] if nxt is not None else start  # after the last word: spaces stay
        if nxt is not None and text[end : end + 1] in _GHOSTS and len(text) > end + 1 and text[end + 1].isalnum():
            end += 1  # a quote read where the mark was erased, stuck to the next word (`'Tên`)
        edits.append((start, end, piece))
    edits.sort()
    out, at = [], 0
    for start, end, piece in edits:
        out += [text[at:start], piece]
        at = end
    out.append(text[at:])
    return "".join(out), tuple((_moved(s, edits), x0, x1) for s, x0, x1 in words)


def _moved(at: int, edits: list[tuple[int, int, str]]) -> int:
    """Where position `at` of a text lies after `edits` (start, end, piece) made to it; a
    position inside a replaced span goes to the end of its piece."""
    shift = 0
    for start, end, piece in edits:
        if end <= at:
            shift += len(piece) - (end - start)
        elif start <= at:
            return start + shift + len(piece)
    return at + shift


def _word_end(text: str, words: Sequence[tuple[int, int, int]], k: int) -> int:
    """Where word `k` of `text` ends (its start, then up to the next space)."""
    start = words[k][0]
    end = text.find(" ", start)
    return len(text.rstrip()) if end < 0 else end


_REACH = 30  # x the line's height: how far along the line a leader is followed
_STEP = 1.2  # x the line's height: the most space between two marks of a leader followed
_SMALL = 0.55  # x the line's height: a dot or a note mark (larger: a letter, where it stops)
_LOW_DOT = 0.25  # x the line's height: a leader's dot (in the lower half of the line)
_LEADER_PITCH = 0.6  # x the line's height: the most a leader's dots are apart on average


def leader_reach(
    ink: np.ndarray, box: tuple[int, int, int, int], height: float, stops: Sequence[int]
) -> tuple[int, int]:
    """How far a line's leaders go on past its box to the left and to the right (pixels): a text
    detector boxes the words of a form's line and leaves out the dots after a label and the note
    mark among them (`Kính gửi: ……⁷……`). `ink`: the page's ink (non-zero); `box`: the line's
    (x0, y0, x1, y1); `stops`: left and right edges of the other lines on its row, which a
    leader is not followed into. Only a run of dots (and small marks among them) is followed;
    a letter ends it."""
    x0, y0, x1, y1 = box
    h_img, w_img = ink.shape
    top, bottom = max(0, y0), min(h_img, int(y1 + 0.1 * height))
    right_end = min([w_img, int(x1 + _REACH * height)] + [s for s in stops if s >= x1])
    left_end = max([0, int(x0 - _REACH * height)] + [s for s in stops if s <= x0])
    right = _followed(ink[top:bottom, x1:right_end], height, y0 - top, y1 - top)
    left = _followed(ink[top:bottom, left_end:x0][:, ::-1], height, y0 - top, y1 - top)
    return left, right


def _followed(band: np.ndarray, height: float, y0: int, y1: int) -> int:
    """How far from the band's left edge a chain of dots and small marks runs (0: no leader:
    fewer than three dots, or dots out of one row or far apart, as the marks of the next line
    the band takes in are)."""
    if band.size == 0:
        return 0
    count, _, stats, _ = cv2.connectedComponentsWithStats((band > 0).astype(np.uint8), connectivity=8)
    at, dots = 0, []
    for x, y, w, h, area in sorted(tuple(int(v) for v in s) for s in stats[1:count]):
        if x - at > _STEP * height or max(w, h) > _SMALL * height:
            break  # a gap, or a letter: the leader ends
        round_dot = _DOT_SHAPE[0] <= w / h <= _DOT_SHAPE[1] and area >= _DOT_FILL * w * h
        if max(w, h) <= _LOW_DOT * height and round_dot and y + h / 2 >= y0 + 0.5 * (y1 - y0):
            dots.append((x, y + h / 2))
        at = max(at, x + w)
    if len(dots) < _MIN_DOTS or at <= 0:
        return 0
    heights = [cy for _, cy in dots]
    pitch = (dots[-1][0] - dots[0][0]) / (len(dots) - 1)
    if max(heights) - min(heights) > _ROW * height or pitch > _LEADER_PITCH * height:
        return 0
    return at + int(0.1 * height)
