"""A page's fingerprint, to find the same page scanned twice in one dossier.

Two parts, one hex string:
- the layout: the ink of the straightened page, cropped to its content (margins, a shifted
  scan and a photo's desk do not count), levelled by its skew, averaged onto a 32 x 32 grid
  of 4-bit densities;
- what tells two people apart: a hash of the card's QR text, and 16-bit hashes of the numbers
  read in the kind check (an ID number, a date of birth, a document number), never the
  numbers themselves.

The layout alone cannot tell two citizens' căn cước apart (measured: 0.99 correlation, as
high as one card scanned twice), so `is_duplicate` decides on the QR text when both pages
have one, on the layout *and* the shared numbers when both have numbers, and on the layout
alone (a high bar) otherwise. docs/QUALITY.md has the measured margins.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import cv2
import numpy as np

GRID = 32
_VERSION = "q2"
_MAX_NUMBERS = 32
_JOINED_DIGITS = re.compile(r"(?<=\d)[ ./\-](?=\d)")  # 24/11/1983, 001 183 987 395
_NUMBER = re.compile(r"\d{4,}")
_YEAR = re.compile(r"(19|20)\d\d")  # a year alone is shared by too many pages to tell them apart


@dataclass(frozen=True, slots=True)
class Fingerprint:
    aspect: float  # content width / height
    grid: np.ndarray  # GRID x GRID float32, 0..15
    qr: str  # 8 hex digits of the QR text's hash; "" without a QR code
    numbers: frozenset[str]  # 4-hex hashes of the numbers read on the page


def numbers_in(text: str) -> frozenset[str]:
    """Hashes of the runs of 4+ digits in `text` (separators inside a number or date joined;
    a bare year left out)."""
    joined = _JOINED_DIGITS.sub("", text)
    numbers = {n for n in _NUMBER.findall(joined) if not _YEAR.fullmatch(n)}
    return frozenset(hashlib.sha256(n.encode()).hexdigest()[:4] for n in numbers)


def fingerprint(ink: np.ndarray, skew: float, text: str = "", qr_text: str | None = None) -> str:
    """Fingerprint of a page from its ink mask on the canonical grid, its skew (degrees), the
    text read in the kind check and its QR text."""
    mask = ink.astype(np.float32)
    if abs(skew) > 0.2:
        h, w = mask.shape
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), skew, 1.0)
        mask = np.asarray(cv2.warpAffine(mask, matrix, (w, h), flags=cv2.INTER_LINEAR), np.float32)
    ys, xs = np.nonzero(mask > 0.5)
    if len(xs) < 20:
        levels = np.zeros((GRID, GRID), np.uint8)
        aspect = 0
    else:
        # Content box without the outermost specks: 0.2 / 99.8 percentiles of the ink.
        x0, x1 = np.percentile(xs, (0.2, 99.8))
        y0, y1 = np.percentile(ys, (0.2, 99.8))
        x0, y0, x1, y1 = int(x0), int(y0), int(x1) + 1, int(y1) + 1
        cells = cv2.resize(mask[y0:y1, x0:x1], (GRID, GRID), interpolation=cv2.INTER_AREA)
        top = float(cells.max())
        levels = np.clip(np.rint(cells / top * 15.0), 0, 15).astype(np.uint8) if top > 0 else np.zeros_like(cells)
        aspect = int(np.clip(round((x1 - x0) / max(y1 - y0, 1) * 64), 1, 255))
    qr = hashlib.sha256(qr_text.encode()).hexdigest()[:8] if qr_text else "0" * 8
    numbers = sorted(numbers_in(text))[:_MAX_NUMBERS]
    return (
        _VERSION
        + f"{aspect:02x}"
        + "".join(f"{v:x}" for v in levels.ravel())
        + qr
        + f"{len(numbers):02x}"
        + "".join(numbers)
    )


def decode(print_: str) -> Fingerprint | None:
    """The parts of a fingerprint string; None if it is not one of ours."""
    head = len(_VERSION) + 2
    grid_end = head + GRID * GRID
    if not print_.startswith(_VERSION) or len(print_) < grid_end + 10:
        return None
    try:
        aspect = int(print_[len(_VERSION) : head], 16) / 64
        grid = _nibbles(print_[head:grid_end]).reshape(GRID, GRID)
        qr = print_[grid_end : grid_end + 8]
        count = int(print_[grid_end + 8 : grid_end + 10], 16)
        body = print_[grid_end + 10 :]
    except ValueError:
        return None
    if len(body) != 4 * count:
        return None
    numbers = frozenset(body[i : i + 4] for i in range(0, len(body), 4))
    return Fingerprint(aspect, grid, "" if qr == "0" * 8 else qr, numbers)


def _nibbles(text: str) -> np.ndarray:
    """Hex digits as float32 values 0..15 (ValueError on anything else)."""
    codes = np.frombuffer(text.encode("ascii"), np.uint8).astype(np.int16)
    values = np.where(codes >= ord("a"), codes - ord("a") + 10, codes - ord("0"))
    if values.min(initial=0) < 0 or values.max(initial=0) > 15:
        raise ValueError("not a hex string")
    return values.astype(np.float32)


def similarity(a: str, b: str) -> float:
    """Best correlation of two pages' layouts over the four quarter turns (0: unknown or blank)."""
    fa, fb = decode(a), decode(b)
    if fa is None or fb is None or fa.aspect <= 0 or fb.aspect <= 0:
        return 0.0
    grid_a = cv2.GaussianBlur(fa.grid, (0, 0), 0.7)  # a cell's worth of misalignment is forgiven
    grid_b = cv2.GaussianBlur(fb.grid, (0, 0), 0.7)
    if grid_a.std() < 1e-3 or grid_b.std() < 1e-3:
        return 0.0
    best = 0.0
    for turns in range(4):
        aspect = fb.aspect if turns % 2 == 0 else 1 / fb.aspect
        if not 0.8 <= aspect / fa.aspect <= 1.25:
            continue
        turned = np.rot90(grid_b, k=turns)
        best = max(best, float(np.corrcoef(grid_a.ravel(), turned.ravel())[0, 1]))
    return best


def shared_numbers(a: str, b: str) -> float | None:
    """Jaccard overlap of the numbers read on two pages; None when either has fewer than two."""
    fa, fb = decode(a), decode(b)
    if fa is None or fb is None or len(fa.numbers) < 2 or len(fb.numbers) < 2:
        return None
    return len(fa.numbers & fb.numbers) / len(fa.numbers | fb.numbers)


def same_qr(a: str, b: str) -> bool | None:
    """Whether two pages carry the same QR text; None unless both carry one."""
    fa, fb = decode(a), decode(b)
    if fa is None or fb is None or not fa.qr or not fb.qr:
        return None
    return fa.qr == fb.qr
