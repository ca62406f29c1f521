"""Tuning constants of the handwriting detector (pipeline.ocr.handwriting), in one place."""

from __future__ import annotations

import math

# Colour (RGB pixel levels).
RED_EXCESS = 45  # R - max(G, B) above which a pixel is seal / stamp red, not ink
BLUE_EXCESS = 25  # a component's mean B - (R + G) / 2 at least this ...
BLUE_CHROMA = 30  # ... and its mean max - min channel spread at least this: blue / violet pen ink

# Shapes (analysis pixels, lengths relative to heights).
NEIGHBOURS = 6  # a glyph's twin is looked for this many places left and right
TWIN_TOLERANCE = (1.0, 0.03)  # same top / bottom: within 1 px + 3 % of the glyph height
CURSIVE_LENGTH = 5.0  # stroke length (half the boundary) / height of letters joined by the pen
JOINED_LENGTH = 4.0  # likely joined ('m', 'w' and merged type reach it too)
PRINTED_GLYPH_LENGTH = 2.2  # stroke length / height of a typical typeset glyph: one letter's worth
STEM_RANGE = 27.0  # stems: edges within +-27 degrees of vertical (|gx| > 2 |gy|) ...
STEM_BINS = 27  # ... in 2-degree bins
STEM_MIN_HEIGHT = 12  # shorter glyphs' stems are too short to measure a tilt to a few degrees
ANALYSIS_PIXELS = 2.6e6  # a page is analysed on at most this many pixels (an A4 page at 300 dpi: half size)
DESKEW_DEGREES = 1.5  # a page whose text is tilted more is analysed turned level
MAX_CLUSTER_FILL = 0.42  # outside OCR lines, a cluster with more ink in its box is a picture / code
COPY_GRID = 12  # glyph shapes are compared on a 12 x 12 grid of ink shares ...
COPY_SIZE_TOLERANCE = (1.0, 0.04)  # ... with glyphs of the same width and height (1 px + 4 %)
COPY_SAME = 0.05  # mean difference of the grids under which two glyphs are one type printed twice
COPY_NONE = 0.10  # nearest look-alike farther than this: no copy anywhere on the page
COPY_MAX_GLYPHS = 8000  # a page with more glyph-sized pieces (a dense A4 page has ~3,000) is not compared
LINE_COPY_SHARE = 0.2  # a line where fewer of the glyph bodies than this (or than 2) have a copy is in a
LONE_LINE_SCALE = 0.5  # type of its own, or all written: a missing copy tells this much less there

# Evidence: coarse log-likelihood ratios handwriting : print (positive = written by hand).
LLR_TWIN = -0.45  # glyph body with a twin (same top and bottom as a neighbour): typeset
LLR_NO_TWIN = 1.1  # without one
LLR_CURSIVE = 2.0  # glyph body of stroke length >= CURSIVE_LENGTH x height
LLR_JOINED = 1.2  # ... >= JOINED_LENGTH x height
LLR_COPY = -1.5  # glyph body with a copy elsewhere on the page (within COPY_SAME): typeset
LLR_NO_COPY = 0.8  # glyph body without a look-alike (beyond COPY_NONE), at most; on each page ...
COPY_SHRINK = 0.5  # ... this share of the log-ratio 0.9 : share of the page's glyphs without one
# Word of 3+ tall glyphs: share of stem strength within +-3 degrees of its peak (upper bound) -> LLR.
LLR_STEMS = ((0.25, 1.5), (0.35, 0.4), (0.45, 0.0), (math.inf, -1.0))
LLR_BLUE_BASE = 2.0  # word mostly in blue / violet ink: this,
LLR_BLUE_LETTER = 1.0  # plus this per letter's worth of ink,
LLR_BLUE_WORD = 6.0  # at most this
TYPESET_GLYPHS = 16  # a run of at least this many glyph bodies, ...
TYPESET_TWIN_SHARE = 0.85  # ... this share of them with a twin, reads as type: its colour counts for nothing

# Decision over the words of a line.
SWITCH_PENALTY = 2.5  # print <-> handwriting change between two words
TRIM_EVIDENCE = 1.5  # words at the ends of a run with less evidence are left out of it
REPORT_EVIDENCE = 4.0  # summed evidence of a run needed to report it
