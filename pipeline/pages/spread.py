"""Two pages in one photo: an open booklet photographed flat, or two sheets laid side by side.

Such a photo cannot be read as one page (the reading order, the fields and the page count
would all be wrong), so preflight refuses it with TWO_PAGES_IN_PHOTO and the clerk or the
citizen photographs each page alone. The test is deliberately conservative, because a
refusal of a good photo costs a citizen a trip: every one of these must hold.

- The picture is landscape (upright, EXIF applied by the caller).
- A dark seam runs top to bottom near the middle of the paper: the gutter's shadow of a
  booklet, or the table seen between two sheets. It is found in at least 6 of 8 horizontal
  bands, at nearly the same place in each, wider than a ruled line and darker than the paper
  by a fifth at least. A table's vertical rules are thin; a landscape page has no seam at all.
- Paper on both sides of the seam, each side page-like: portrait-ish (height / width
  0.9 to 2.2, an A-format page is 1.41) and of similar widths.

Pure: a grey picture in, a `Spread` (what was seen) or None out.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

WORK_WIDTH = 800  # the picture is judged at this width (cheap; the seam is a wide feature)
_MIN_LANDSCAPE = 1.15  # width / height: two portrait pages side by side are about 1.41
_MIN_PAPER_SHARE = 0.3  # of the picture that is bright paper
_ROW_PAPER = 0.25  # a row (column) belongs to the paper when this much of it is paper
_COLUMN_PAPER = 0.5
_MIN_PAPER_HEIGHT = 0.4  # of the picture's height
_BANDS = 8
_MIN_BANDS_WITH_SEAM = 6
_SEARCH = (0.3, 0.7)  # the seam is looked for in this part of the paper's width
_MIN_DEPTH = 0.2  # the seam is darker than the paper by this share at least
_MIN_SEAM_WIDTH = 0.008  # of the working width: ~6 px, wider than any ruled line
_MAX_SEAM_WIDTH = 0.25  # of the paper's width
_MAX_SEAM_DRIFT = 0.06  # of the working width, between the bands (perspective tilts the seam)
_FLANK = (0.04, 0.16)  # the paper beside the seam, in shares of the paper's width
_MIN_FLANK_BRIGHTNESS = 0.85  # of the paper level
_PAGE_ASPECT = (0.9, 2.2)  # height / width of each side
_MAX_SIDE_RATIO = 1.7  # wider side / narrower side


@dataclass(frozen=True, slots=True)
class Spread:
    seam: float  # where the seam runs, as a share of the picture's width
    left: float  # each side's width, as a share of the picture's width
    right: float

    def describe(self) -> str:
        """What was seen, for the clerk (Vietnamese; the refusal's detail)."""
        return (
            f"một khe tối chạy dọc ở {self.seam:.0%} chiều ngang ảnh, "
            f"hai bên là hai trang rộng {self.left:.0%} và {self.right:.0%}"
        )


def find_spread(gray: np.ndarray) -> Spread | None:
    """The two pages side by side in `gray` (uint8, upright), or None for anything else."""
    if gray.ndim != 2 or gray.shape[1] < _MIN_LANDSCAPE * gray.shape[0] or gray.shape[0] < 32:
        return None
    work = _working(gray)
    h, w = work.shape
    _, mask = cv2.threshold(work, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    if mask.mean() < _MIN_PAPER_SHARE:
        return None
    rows = np.flatnonzero(mask.mean(axis=1) >= _ROW_PAPER)
    if len(rows) == 0 or rows[-1] - rows[0] < _MIN_PAPER_HEIGHT * h:
        return None
    top, bottom = int(rows[0]), int(rows[-1]) + 1
    margin = (bottom - top) * 15 // 100  # perspective and curled corners live near the edges
    inner = slice(top + margin, bottom - margin)
    cols = np.flatnonzero(mask[inner].mean(axis=0) >= _COLUMN_PAPER)
    if len(cols) < 2:
        return None
    left, right = int(cols[0]), int(cols[-1]) + 1
    seams = _band_seams(work[inner], left, right)
    if len(seams) < _MIN_BANDS_WITH_SEAM or max(seams) - min(seams) > _MAX_SEAM_DRIFT * w:
        return None
    seam = float(np.median(seams))
    left_w, right_w = seam - left, right - seam
    height = bottom - top
    for side in (left_w, right_w):
        if side <= 0 or not _PAGE_ASPECT[0] <= height / side <= _PAGE_ASPECT[1]:
            return None
    if max(left_w, right_w) / min(left_w, right_w) > _MAX_SIDE_RATIO:
        return None
    return Spread(seam / w, left_w / w, right_w / w)


def _working(gray: np.ndarray) -> np.ndarray:
    h, w = gray.shape
    if w != WORK_WIDTH:
        size = (WORK_WIDTH, max(1, round(h * WORK_WIDTH / w)))
        gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA if w > WORK_WIDTH else cv2.INTER_LINEAR)
    return cv2.GaussianBlur(gray, (0, 0), 1.0)


def _band_seams(rows: np.ndarray, left: int, right: int) -> list[int]:
    """The seam's x in each horizontal band of the paper that has one."""
    found = []
    for band in np.array_split(rows, _BANDS, axis=0):
        if band.shape[0] == 0:
            continue
        # The median of each column: text and ruled lines are too sparse to move it.
        profile = np.median(band, axis=0).astype(np.float32)
        profile = np.convolve(profile, np.ones(3, np.float32) / 3, mode="same")
        x = _seam_in(profile, left, right)
        if x is not None:
            found.append(x)
    return found


def _seam_in(profile: np.ndarray, left: int, right: int) -> int | None:
    paper_w = right - left
    level = float(np.percentile(profile[left:right], 80))
    lo, hi = left + int(_SEARCH[0] * paper_w), left + int(_SEARCH[1] * paper_w)
    if level <= 0 or hi - lo < 3:
        return None
    x = lo + int(np.argmin(profile[lo:hi]))
    depth = level - float(profile[x])
    if depth < _MIN_DEPTH * level:
        return None
    dark = profile < level - depth / 2
    start, end = x, x + 1
    while start > left and dark[start - 1]:
        start -= 1
    while end < right and dark[end]:
        end += 1
    width = end - start
    if width < _MIN_SEAM_WIDTH * len(profile) or width > _MAX_SEAM_WIDTH * paper_w:
        return None
    near, far = int(_FLANK[0] * paper_w), int(_FLANK[1] * paper_w)
    flanks = (profile[max(left, start - far) : max(left, start - near)], profile[end + near : min(right, end + far)])
    if any(len(f) == 0 or float(np.median(f)) < _MIN_FLANK_BRIGHTNESS * level for f in flanks):
        return None
    return (start + end) // 2
