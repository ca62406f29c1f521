"""Evidence handwriting : print for the components of one line, and the handwritten runs it decides."""

from __future__ import annotations

import math

import numpy as np

from models.document import Box
from pipeline.ocr.handwriting.ink import Ink, upper_median
from pipeline.ocr.handwriting.params import (
    COPY_NONE,
    COPY_SAME,
    CURSIVE_LENGTH,
    JOINED_LENGTH,
    LINE_COPY_SHARE,
    LLR_BLUE_BASE,
    LLR_BLUE_LETTER,
    LLR_BLUE_WORD,
    LLR_COPY,
    LLR_CURSIVE,
    LLR_JOINED,
    LLR_NO_TWIN,
    LLR_STEMS,
    LLR_TWIN,
    LONE_LINE_SCALE,
    NEIGHBOURS,
    PRINTED_GLYPH_LENGTH,
    REPORT_EVIDENCE,
    STEM_MIN_HEIGHT,
    SWITCH_PENALTY,
    TRIM_EVIDENCE,
    TWIN_TOLERANCE,
    TYPESET_GLYPHS,
    TYPESET_TWIN_SHARE,
)


def _glyph_evidence(ink: Ink, glyphs: np.ndarray, skew: float) -> tuple[np.ndarray, np.ndarray]:
    """Evidence per glyph body of one line (sorted left to right), and whether each has a twin."""
    n = len(glyphs)
    h = (ink.y1[glyphs] - ink.y0[glyphs]).astype(np.float32)
    ev = np.zeros(n, np.float32)
    twin = np.zeros(n, bool)
    if n >= 2:
        cx = (ink.x0[glyphs] + ink.x1[glyphs]) * 0.5
        bot = ink.y1[glyphs] - skew * cx
        top = ink.y0[glyphs] - skew * cx
        tol = TWIN_TOLERANCE[0] + TWIN_TOLERANCE[1] * h
        for k in range(1, min(NEIGHBOURS, n - 1) + 1):  # glyph i against glyph i + k
            d = np.maximum(np.abs(bot[k:] - bot[:-k]), np.abs(top[k:] - top[:-k]))
            twin[:-k] |= d <= tol[:-k]
            twin[k:] |= d <= tol[k:]
        ev += np.where(twin, LLR_TWIN, LLR_NO_TWIN)
    length = ink.perim[glyphs] / (2 * np.maximum(h, 1))
    d = ink.copy[glyphs]  # (NaN: not measured; inf: no other glyph of its size: no evidence either way)
    copied = d <= COPY_SAME
    # A letter printed once in a type used nowhere else (a caption in italics) has no copy either.
    lonely = ink.no_copy_llr * (1.0 if np.count_nonzero(copied) >= max(2, LINE_COPY_SHARE * n) else LONE_LINE_SCALE)
    ev += np.where(copied, LLR_COPY, np.where((d > COPY_NONE) & np.isfinite(d), lonely, 0.0))
    ev += np.where(length >= CURSIVE_LENGTH, LLR_CURSIVE, np.where(length >= JOINED_LENGTH, LLR_JOINED, 0.0))
    return ev, twin


def _colour_evidence(ink: Ink, glyphs: np.ndarray, word: np.ndarray, n_words: int) -> np.ndarray:
    """Per word written mostly in blue / violet: one pen for the whole word, so one piece of evidence,
    a little less for a word of one glyph's worth of ink (a joined-up word counts as several glyphs)."""
    h = np.maximum(ink.y1[glyphs] - ink.y0[glyphs], 1)
    letters = np.maximum(1.0, ink.perim[glyphs] / (2 * h) / PRINTED_GLYPH_LENGTH)
    area = ink.area[glyphs]
    blue_share = np.bincount(word, area * ink.blue[glyphs], minlength=n_words) / np.maximum(
        np.bincount(word, area, minlength=n_words), 1
    )
    size = np.bincount(word, letters, minlength=n_words)
    return np.where(blue_share >= 0.5, np.minimum(LLR_BLUE_WORD, LLR_BLUE_BASE + LLR_BLUE_LETTER * size), 0.0)


def _stem_evidence(ink: Ink, glyphs: np.ndarray, word: np.ndarray, n_words: int) -> np.ndarray:
    """Per word: typeset stems are parallel, so their tilts pile up in one peak; drawn ones spread out.

    `glyphs` are glyph bodies sorted left to right, `word` their word numbers (non-decreasing)."""
    out = np.zeros(n_words, np.float32)
    # Stems under ~12 px (analysis scale) are too short to measure a tilt to a few degrees.
    tall = (ink.y1[glyphs] - ink.y0[glyphs]) >= STEM_MIN_HEIGHT
    if np.count_nonzero(tall) < 3:
        return out
    g, wd = glyphs[tall], word[tall]
    starts = np.concatenate(([0], np.flatnonzero(wd[1:] != wd[:-1]) + 1))
    hist = np.add.reduceat(ink.stems[ink.stem_row[g]], starts, axis=0)
    count = np.diff(np.append(starts, len(g)))
    total = hist.sum(1)
    peak = (hist[:, :-2] + hist[:, 1:-1] + hist[:, 2:]).max(1) / np.maximum(total, 1e-6)
    bounds = np.array([b for b, _ in LLR_STEMS[:-1]])
    llr = np.array([v for _, v in LLR_STEMS], np.float32)[np.searchsorted(bounds, peak, side="right")]
    ok = (count >= 3) & (total > 0)
    out[wd[starts[ok]]] = llr[ok]
    return out


def _runs(word_ev: list[float]) -> list[tuple[int, int]]:
    """Viterbi over words: state 0 print (evidence 0), 1 handwriting (evidence = word LLR)."""
    n = len(word_ev)
    score = [0.0, word_ev[0] - SWITCH_PENALTY]  # a line starts in print
    back: list[tuple[int, int]] = []
    for k in range(1, n):
        p_from = (score[0], score[1] - SWITCH_PENALTY)
        h_from = (score[0] - SWITCH_PENALTY + word_ev[k], score[1] + word_ev[k])
        back.append((int(p_from[1] > p_from[0]), int(h_from[1] > h_from[0])))
        score = [max(p_from), max(h_from)]
    state = int(score[1] > score[0])
    states = [state]
    for k in range(n - 2, -1, -1):
        state = back[k][state]
        states.append(state)
    states.reverse()
    runs, start = [], None
    for k, s in enumerate(states + [0]):
        if s and start is None:
            start = k
        elif not s and start is not None:
            runs.append((start, k))
            start = None
    return runs


def handwritten_runs(
    ink: Ink, comps: np.ndarray, height: float, skew: float, line_index: int | None
) -> list[tuple[Box, float, int | None]]:
    """Handwritten runs among the components of one line (or of one cluster outside the lines)."""
    h = ink.y1[comps] - ink.y0[comps]
    sig = comps[h >= max(3.0, 0.2 * height)]
    if len(sig) == 0:
        return []
    sig = sig[np.argsort(ink.x0[sig], kind="stable")]
    hs = (ink.y1[sig] - ink.y0[sig]).astype(np.float32)
    # Words: a gap wider than half the taller neighbour, or a change between blue and not blue.
    right = np.maximum.accumulate(ink.x1[sig])
    gap = ink.x0[sig][1:] - right[:-1]
    blue = ink.blue[sig]
    split = (gap > 0.5 * np.maximum(hs[1:], hs[:-1])) | ((gap > 0) & (blue[1:] != blue[:-1]))
    word = np.concatenate(([0], np.cumsum(split)))
    n_words = int(word[-1]) + 1
    starts = np.concatenate(([0], np.flatnonzero(split) + 1, [len(sig)]))
    # Glyph bodies: not the diacritics, dots and commas of their word (below 0.55 of its median height).
    by_height = hs[np.lexsort((hs, word))]
    median = by_height[(starts[:-1] + starts[1:]) // 2]
    main = hs >= np.maximum(0.3 * upper_median(hs), 0.55 * median[word])
    ev = np.zeros(len(sig), np.float32)
    twin = np.zeros(len(sig), bool)
    ev[main], twin[main] = _glyph_evidence(ink, sig[main], skew)
    colour = _colour_evidence(ink, sig[main], word[main], n_words)
    word_ev = (
        np.bincount(word, ev, minlength=n_words) + _stem_evidence(ink, sig[main], word[main], n_words) + colour
    ).tolist()
    out = []
    for a, b in _runs(word_ev):
        # A run may have swallowed a weak neighbour (a short printed label): shed weak end words.
        while b - a > 1 and word_ev[a] < TRIM_EVIDENCE:
            a += 1
        while b - a > 1 and word_ev[b - 1] < TRIM_EVIDENCE:
            b -= 1
        total = sum(word_ev[a:b])
        # A long stretch of blue words whose glyphs share baselines and heights like type is type
        # whatever its colour (a letterhead printed in blue): its colour is no evidence then.
        lo, hi = a, b
        while lo > 0 and colour[lo - 1] > 0:
            lo -= 1
        while hi < n_words and colour[hi] > 0:
            hi += 1
        bodies = np.count_nonzero(main[starts[lo] : starts[hi]])
        if bodies >= TYPESET_GLYPHS and np.count_nonzero(twin[starts[lo] : starts[hi]]) >= TYPESET_TWIN_SHARE * bodies:
            total -= float(colour[a:b].sum())
        if total < REPORT_EVIDENCE:
            continue
        members = sig[starts[a] : starts[b]]
        x0, x1 = ink.x0[members].min(), ink.x1[members].max()
        y0, y1 = ink.y0[members].min(), ink.y1[members].max()
        # Diacritics and dots over the run belong to it.
        small = comps[(ink.x0[comps] >= x0) & (ink.x1[comps] <= x1)]
        y0 = min(y0, ink.y0[small].min(initial=y0))
        y1 = max(y1, ink.y1[small].max(initial=y1))
        f = ink.f
        box = (int(x0 * f), int(y0 * f), int(min(x1 * f, ink.width)), int(min(y1 * f, ink.height)))
        score = 1.0 / (1.0 + math.exp(-(total - REPORT_EVIDENCE) / 3.0 - 0.5))
        out.append((box, round(score, 3), line_index))
    return out
