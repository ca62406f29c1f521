"""OCR of one page image: detect lines, fix quarter-turn orientation, crop, recognize.

Boxes come back in pixels of the page image as given (before any turn), lines in
reading order (pipeline.ocr.order).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from models.document import TextLine
from pipeline.config import RecognizerConfig
from pipeline.layout.leader_dots import (
    LEADER,
    Mark,
    clear_top_edge,
    erase_runs,
    find_leader_runs,
    leader_reach,
    only_dots,
    put_back,
)
from pipeline.layout.note_marks import erase_marks, find_note_marks
from pipeline.layout.tables import erase_rules
from pipeline.ocr.engines import DetectedLine, Recognition, TextDetector, TextRecognizer
from pipeline.ocr.engines.tesseract import looks_like_mrz, normalize_mrz_line
from pipeline.ocr.order import OrderItem, reading_order
from pipeline.ocr.preprocess import (
    estimate_skew,
    line_angle,
    mend_slashes,
    percentiles,
    remove_rules,
    rotate_quarter,
    small_print_block,
    stretch_contrast,
    unrotate_points,
    vertical_share,
)

# Readings at or above this confidence are kept without trying other crops.
_SURE = 0.90
# Lines read below this confidence are read again from denoised crops.
_RETRY_BELOW = 0.75
_RETRY_ACCEPT = 0.60
_DENOISED_VARIANTS = (
    lambda crop: cv2.medianBlur(crop, 5),
    lambda crop: stretch_contrast(cv2.fastNlMeansDenoising(crop, None, 25, 7, 21)),
)

_QUOTES = ("'", '"', "“", "”", "‘", "’", "`", "''", ",,")  # raised marks that are no note's digits

# Upright text reads with high confidence; below this the 180° test is run.
_UPRIGHT_CONFIDENT = 0.80
_ORIENTATION_SAMPLE = 3


def _expanded_quad(quad: np.ndarray, config: RecognizerConfig) -> tuple[np.ndarray, float, float]:
    """The line's rotated rectangle grown by the margins: (4x2 quad, its width, its height)."""
    p0, p1, p2, p3 = quad.astype(np.float32)
    width = max(float(np.linalg.norm(p1 - p0)), 1.0)
    height = max(float(np.linalg.norm(p3 - p0)), 1.0)
    u = (p1 - p0) / width
    v = (p3 - p0) / height
    mx, mt, mb = config.margin_x * height, config.margin_top * height, config.margin_bottom * height
    grown = np.stack(
        [
            p0 - u * mx - v * mt,
            p1 + u * mx - v * mt,
            p2 + u * mx + v * mb,
            p3 - u * mx + v * mb,
        ]
    ).astype(np.float32)
    return grown, width + 2 * mx, height + mt + mb


def crop_line(
    grey: np.ndarray,
    quad: np.ndarray,
    config: RecognizerConfig,
    neighbours: Sequence[np.ndarray] = (),
) -> np.ndarray:
    """Straightened crop of one detected line (`painted_crop`)."""
    return painted_crop(grey, quad, config, neighbours)[0]


def painted_crop(
    grey: np.ndarray,
    quad: np.ndarray,
    config: RecognizerConfig,
    neighbours: Sequence[np.ndarray] = (),
) -> tuple[np.ndarray, bool]:
    """Straightened crop of one detected line with margins for tone marks, scaled.

    The quad's own rotated rectangle is warped to a horizontal strip, so skewed and
    photographed lines come out level. The margins above and below keep the marks of
    ẫ, Ộ, ự inside the crop (a tight detector box cuts them off); the parts of
    neighbouring lines that the margins take in are painted out with the paper's
    colour, since Tesseract reads nothing from a strip holding two half lines. Ruled
    lines are removed and speckle is filtered where the crop is noisy. With whether any
    of the neighbours' ink was painted out (if not, the crop is the one without neighbours).
    """
    grown, out_w_px, out_h_px = _expanded_quad(quad, config)
    h, w = grey.shape
    x0, y0 = np.maximum(np.floor(grown.min(axis=0)).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(grown.max(axis=0)).astype(int) + 1, (w, h))
    if x1 <= x0 or y1 <= y0:
        return np.full((8, 8), 255, np.uint8), False
    region = grey[y0:y1, x0:x1]
    offset = np.array([x0, y0], dtype=np.float32)
    scale = config.target_line_height / max(float(np.linalg.norm(quad[3] - quad[0])), 1.0)
    size = (max(8, int(round(out_w_px * scale))), max(8, int(round(out_h_px * scale))))
    target = np.array([[0, 0], [size[0] - 1, 0], [size[0] - 1, size[1] - 1], [0, size[1] - 1]], np.float32)
    matrix = cv2.getPerspectiveTransform((grown - offset).astype(np.float32), target)
    crop = cv2.warpPerspective(region, matrix, size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    # Scanner speckle (hard scans) turns into stray marks and broken letters; a 3x3
    # median removes it. Only on noisy crops: on clean ones it blunts thin strokes.
    if speckle_level(stretch_contrast(crop)) > SPECKLE_MEDIAN_THRESHOLD:
        crop = cv2.medianBlur(crop, 3)
    # Rules go first, on the straightened crop where they are level and still whole;
    # then the neighbours are painted out (painting first would cut rules into
    # letter-sized stubs).
    crop = remove_rules(crop, config.target_line_height)
    near = [n for n in neighbours if _overlaps(n, x0, y0, x1, y1)]
    painted = False
    if near:
        paint = _neighbour_mask(region, quad - offset, [n - offset for n in near])
        paint = cv2.warpPerspective(paint, matrix, size, flags=cv2.INTER_NEAREST)
        if paint.any():
            # Only the neighbours' ink goes (with its anti-aliased rim): painting whole
            # boxes would leave paper-coloured rectangles whose edges read as strokes.
            _, ink = cv2.threshold(crop, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
            ink = cv2.dilate(ink, np.ones((3, 3), np.uint8))
            out = (paint > 0) & (ink > 0)
            painted = bool(out.any())
            crop[out] = int(percentiles(crop, (75,))[0])
    return stretch_contrast(crop), painted


# Mean change (grey levels) a 3x3 median makes to a contrast-stretched crop: 1-6 on clean
# and ordinary scans, 8 and more on speckled ones (measured on the tuning set).
SPECKLE_MEDIAN_THRESHOLD = 6.0


def speckle_level(crop: np.ndarray) -> float:
    return float(cv2.absdiff(crop, cv2.medianBlur(crop, 3)).mean())


# Detector boxes are padded: a neighbour's box may cover our own tone marks (the tilde
# over a capital Ễ under a caption line). Marks are small and sit within a sliver of our
# letters; a neighbour's own marks sit further off, by the line spacing.
_NEIGHBOUR_CORE_TRIM = 0.2
_MARK_MAX_HEIGHT = 0.45  # x our box height
_MARK_GAP = 0.15  # x our box height


def _core(quad: np.ndarray) -> np.ndarray:
    """The quad with top and bottom moved inwards by a share of its height."""
    p0, p1, p2, p3 = quad.astype(np.float32)
    down_left, down_right = (p3 - p0) * _NEIGHBOUR_CORE_TRIM, (p2 - p1) * _NEIGHBOUR_CORE_TRIM
    return np.stack([p0 + down_left, p1 + down_right, p2 - down_right, p3 - down_left])


def _neighbour_mask(region: np.ndarray, own: np.ndarray, neighbours: list[np.ndarray]) -> np.ndarray:
    """Pixels of the region to paint out: neighbouring boxes, less our own box, less ink
    components that are our tone marks (small, outside the neighbour's core, right next to
    our letters)."""
    paint: np.ndarray = np.zeros(region.shape, np.uint8)
    for other in neighbours:
        cv2.fillPoly(paint, [np.round(other).astype(np.int32)], (1,))
    own_mask: np.ndarray = np.zeros(region.shape, np.uint8)
    cv2.fillPoly(own_mask, [np.round(own).astype(np.int32)], (1,))
    paint[own_mask > 0] = 0
    _, ink = cv2.threshold(region, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    contested = ink & paint
    if not contested.any():
        return paint
    cores: np.ndarray = np.zeros(region.shape, np.uint8)
    for other in neighbours:
        cv2.fillPoly(cores, [np.round(_core(other)).astype(np.int32)], (1,))
    own_height = float(np.linalg.norm(own[3] - own[0]))
    gap = max(2, int(round(_MARK_GAP * own_height)))
    # Our letters, grown by the small gap a mark keeps from them.
    near_ours = cv2.dilate(ink & own_mask, np.ones((2 * gap + 1, 3), np.uint8))
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(contested, connectivity=8)
    h, w = region.shape
    for k in range(1, count):
        cx = min(max(int(round(centroids[k, 0])), 0), w - 1)
        cy = min(max(int(round(centroids[k, 1])), 0), h - 1)
        if cores[cy, cx] or stats[k, cv2.CC_STAT_HEIGHT] > _MARK_MAX_HEIGHT * own_height:
            continue
        component = labels == k
        if near_ours[component].any():
            paint[component] = 0
    return paint


def _overlaps(quad: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> bool:
    qx0, qy0 = quad.min(axis=0)
    qx1, qy1 = quad.max(axis=0)
    return qx0 < x1 and qx1 > x0 and qy0 < y1 and qy1 > y0


def _flip_quad(quad: np.ndarray, w: int, h: int) -> np.ndarray:
    """The same quad on the picture turned by 180°, points again from top-left clockwise."""
    flipped = np.stack([w - 1 - quad[:, 0], h - 1 - quad[:, 1]], axis=1)
    return flipped[[2, 3, 0, 1]].astype(np.float32)


def _along_leaders(grey: np.ndarray, lines: list[DetectedLine]) -> list[DetectedLine]:
    """The lines, each grown along its row over the leader dots that go on past its box
    (`pipeline.layout.leader_dots.leader_reach`); a line with none is the same object."""
    if not lines:
        return lines
    _, ink = cv2.threshold(grey, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    boxes = [(*np.floor(ln.quad.min(axis=0)).astype(int), *np.ceil(ln.quad.max(axis=0)).astype(int)) for ln in lines]
    out = []
    for k, line in enumerate(lines):
        x0, y0, x1, y1 = (int(v) for v in boxes[k])
        row = [
            b
            for j, b in enumerate(boxes)
            if j != k and min(y1, b[3]) - max(y0, b[1]) >= 0.5 * min(y1 - y0, b[3] - b[1])
        ]
        stops = [int(b[0]) for b in row if b[0] >= x1] + [int(b[2]) for b in row if b[2] <= x0]
        left, right = leader_reach(ink, (x0, y0, x1, y1), line_angle(line.quad)[2], stops)
        if not (left or right):
            out.append(line)
            continue
        p0, p1, p2, p3 = line.quad.astype(np.float32)
        u = (p1 - p0) / max(float(np.linalg.norm(p1 - p0)), 1.0)
        quad = np.stack([p0 - u * left, p1 + u * right, p2 + u * right, p3 - u * left]).astype(np.float32)
        out.append(DetectedLine(quad, line.score))
    return out


def _with_leaders(rec: Recognition, runs: Sequence[Mark], line_height: float) -> Recognition:
    """A reading of a crop whose leader dots and note marks were erased, with a `...` where
    each run was and each mark's digits where it was."""
    if not runs:
        return rec
    text, words = put_back(rec.text, rec.words, runs, line_height)
    if text == rec.text:
        return rec
    return Recognition(text, rec.confidence, (), words)


def _has_content(text: str) -> bool:
    return any(c.isalnum() for c in text)


def _scribble(rec: Recognition, height: float, typical_height: float) -> bool:
    """A signature or flourish: a box far taller than the page's text lines that reads as
    junk (almost no letters, or no confidence). Handwritten fields are issue 4's; these
    are not text at all."""
    if height < 1.8 * typical_height:
        return False
    return rec.confidence < 0.3 or sum(c.isalnum() for c in rec.text) < 3


@dataclass(frozen=True, slots=True)
class LineCrop:
    """A line's crop with the default margins and scale, whichever crop its reading came from,
    and the reading's words placed in it (`Recognition.words`). Other recognizers read this
    one: the crop the first reader was surest of is a choice that follows its own mistakes,
    and a second reader given only that crop is led into the same ones. Neither crop is the
    better one for every line (on tuning sets each made one capital's mark go wrong where the
    other did not), so a value with a marked capital is read from both (`pipeline.reader`)."""

    image: np.ndarray
    words: tuple[tuple[int, int, int], ...]
    # The crop the reading came from and its words there, where it is another crop.
    read_from: LineCrop | None = None


@dataclass(slots=True)
class PageOcr:
    lines: list[TextLine]
    quarter_turns: int  # counter-clockwise turns applied to read the page
    skew_degrees: float
    crops: list[LineCrop]  # each line's default crop, as `lines`


class PageReader:
    """Reads page images with one detector and one recognizer (one instance per worker)."""

    def __init__(
        self,
        detector: TextDetector,
        recognizer: TextRecognizer,
        config: RecognizerConfig,
        mrz_recognizer: TextRecognizer | None = None,
    ) -> None:
        self.detector = detector
        self.recognizer = recognizer
        self.config = config
        self.mrz_recognizer = mrz_recognizer
        roomy = config.model_copy(update={"margin_top": max(config.margin_top, 0.5)})
        self._crop_variants = (
            (config, True),
            (config, False),
            (roomy, True),
            (roomy.model_copy(update={"target_line_height": round(config.target_line_height * 4 / 3)}), True),
            (roomy.model_copy(update={"target_line_height": round(config.target_line_height * 5 / 6)}), True),
        )
        self._reach = max(c.margin_x for c, _ in self._crop_variants) + max(
            max(c.margin_top, c.margin_bottom) for c, _ in self._crop_variants
        )

    def _within_reach(self, quad: np.ndarray, neighbours: Sequence[np.ndarray]) -> list[np.ndarray]:
        """The neighbours whose boxes come near enough to the line to enter any of its crops
        (a superset of those `painted_crop` paints out, in their order): one array test for
        all instead of one per neighbour per crop."""
        if not neighbours:
            return []
        height = max(float(np.linalg.norm(quad[3] - quad[0])), 1.0)
        # A grown corner moves by at most the side margin plus the top or bottom one.
        reach = self._reach * height + 2
        (x0, y0), (x1, y1) = quad.min(axis=0) - reach, quad.max(axis=0) + reach
        stacked = np.stack(neighbours)
        low, high = stacked.min(axis=1), stacked.max(axis=1)
        near = (low[:, 0] < x1) & (high[:, 0] > x0) & (low[:, 1] < y1) & (high[:, 1] > y0)
        return [n for n, keep in zip(neighbours, near.tolist(), strict=True) if keep]

    def _read_text(self, crop: np.ndarray) -> str:
        """A note mark's reading: digits by the recognizer, else by the one limited to capitals
        and digits where there is one (`vie` reads a lone `8` as `§`)."""
        text = self.recognizer.recognize(crop).text.strip()
        if not text.isdigit() and text not in _QUOTES and self.mrz_recognizer is not None:
            text = self.mrz_recognizer.recognize(crop).text.strip()
        return text

    def _recognize(
        self, grey: np.ndarray, quad: np.ndarray, neighbours: Sequence[np.ndarray] = ()
    ) -> tuple[Recognition, LineCrop]:
        """The line's reading and its crops (`LineCrop`: the default one, and the one read where another)."""
        # The default crop first; an unsure reading is tried again through other crops
        # (neighbours left in, more room above for stacked marks such as the tilde of a
        # capital Ễ, other scales) and the reading the recognizer is surest of is kept.
        best_crop: np.ndarray | None = None
        best: Recognition | None = None
        best_height = 0
        default: np.ndarray | None = None
        neighbours = self._within_reach(quad, neighbours)
        first = painted_crop(grey, quad, self.config, neighbours)  # the first variant's crop
        if only_dots(first[0]):  # a leader boxed on its own: nothing to read
            return Recognition(LEADER, 1.0), LineCrop(first[0], ())
        default_painted = False
        best_runs: list[Mark] = []
        for config, paint in self._crop_variants:
            if not paint and not default_painted:
                continue  # nothing was painted out: the same crop as the painted one, read already
            crop, painted = first if default is None else painted_crop(grey, quad, config, neighbours if paint else ())
            # Leader dots go before reading, and come back as `...` (`pipeline.layout.leader_dots`).
            height = config.target_line_height
            leaders = find_leader_runs(crop, height, config.margin_top * height)
            crop = erase_runs(crop, leaders)
            if any(run.own for run in leaders):  # a form's line: what the line above left goes too
                crop = clear_top_edge(crop, height, config.margin_top * height, leaders)
            # Raised note marks are read on their own (`pipeline.layout.note_marks`).
            notes = find_note_marks(crop, height, config.margin_top * height, self._read_text)
            crop = erase_marks(crop, notes)
            runs: list[Mark] = [*leaders, *notes]
            if default is None:
                default, default_painted = crop, painted
            rec = self.recognizer.recognize(crop)
            if best is None or rec.confidence > best.confidence:
                best_crop, best, best_height, best_runs = crop, rec, height, runs
            if best.confidence >= _SURE:
                break
        # The first variant (the default crop, painted) is never skipped: there is always a reading.
        assert best_crop is not None and best is not None and default is not None
        crop, rec = best_crop, _with_leaders(best, best_runs, best_height)
        # Every variant keeps the default side margins (a share of the line's height) and
        # scales both ways alike, so a word's place scales with the target height.
        ratio = self.config.target_line_height / best_height
        default_crop = LineCrop(
            default,
            tuple((c, round(x0 * ratio), round(x1 * ratio)) for c, x0, x1 in rec.words),
            None if crop is default else LineCrop(crop, rec.words),
        )
        if rec.confidence < _RETRY_BELOW:
            # Blurred, speckled or faint lines: read again through stronger denoising
            # and keep whichever reading the recognizer is most sure of, if it is
            # reasonably sure (denoised signatures and stamps read as confident junk).
            for variant in _DENOISED_VARIANTS:
                retry = self.recognizer.recognize(variant(crop))
                if retry.confidence > max(rec.confidence, _RETRY_ACCEPT):
                    rec = _with_leaders(retry, best_runs, best_height)
        slashed = mend_slashes(crop, rec.text, rec.words, best_height)  # `Số / No.` read `Số I No.`
        if slashed != rec.text:
            rec = Recognition(slashed, rec.confidence, rec.char_confidences, rec.words)
        if self.mrz_recognizer is not None and looks_like_mrz(rec.text):
            mrz = self.mrz_recognizer.recognize(crop)
            if len(mrz.text.replace(" ", "")) >= 20:
                return Recognition(normalize_mrz_line(mrz.text), mrz.confidence), default_crop
        return rec, default_crop

    def _sample_lines(self, lines: list[DetectedLine]) -> list[DetectedLine]:
        wide = [line for line in lines if line_angle(line.quad)[1] >= 3 * line_angle(line.quad)[2]]
        return sorted(wide, key=lambda line: -line_angle(line.quad)[1])[:_ORIENTATION_SAMPLE]

    def _upside_down(
        self, grey: np.ndarray, lines: list[DetectedLine]
    ) -> tuple[bool, dict[int, tuple[Recognition, LineCrop]]]:
        """Compare recognition confidence of a few long lines read as they are and turned.
        With the readings of the sample lines in the orientation chosen, by their index in
        `lines`: the page's reading uses them instead of reading those lines again."""
        sample = self._sample_lines(lines)
        if not sample:
            return False, {}
        h, w = grey.shape
        quads = [line.quad for line in lines]
        at = {id(line): k for k, line in enumerate(lines)}

        def read_sample(image: np.ndarray, flip: bool) -> dict[int, tuple[Recognition, LineCrop]]:
            def place(q: np.ndarray) -> np.ndarray:
                return _flip_quad(q, w, h) if flip else q

            readings = {}
            for line in sample:
                others = [place(q) for q in quads if q is not line.quad]
                readings[at[id(line)]] = self._recognize(image, place(line.quad), others)
            return readings

        def mean_confidence(readings: dict[int, tuple[Recognition, LineCrop]]) -> float:
            return float(np.mean([rec.confidence for rec, _ in readings.values()]))

        upright = read_sample(grey, flip=False)
        if mean_confidence(upright) >= _UPRIGHT_CONFIDENT:
            return False, upright
        flipped = read_sample(rotate_quarter(grey, 2), flip=True)
        if mean_confidence(flipped) >= 0.6 and mean_confidence(flipped) > mean_confidence(upright) + 0.15:
            return True, flipped
        return False, upright

    def _small_print(self, image: np.ndarray, lines: list[DetectedLine]) -> list[DetectedLine]:
        """The page's lines, detected again in the block they lie in where it is small
        (`small_print_block`) and that finds more of them."""
        limit = getattr(getattr(self.detector, "config", None), "limit_side_len", 0)
        block = small_print_block(lines, image.shape[1], image.shape[0], int(limit or 0))
        if block is None:
            return lines
        x0, y0, x1, y1 = block
        found = self.detector.detect(np.ascontiguousarray(image[y0:y1, x0:x1]))
        offset = np.array([x0, y0], np.float32)
        return [DetectedLine(ln.quad + offset, ln.score) for ln in found] if len(found) > len(lines) else lines

    def read(self, image: np.ndarray) -> PageOcr:
        orig_h, orig_w = image.shape[:2]
        grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        turns = 0
        lines = self.detector.detect(image)
        if vertical_share(lines) > 0.6:
            turns = 1
            lines = self.detector.detect(rotate_quarter(image, turns))
        lines = self._small_print(rotate_quarter(image, turns), lines)
        upright_grey = rotate_quarter(grey, turns)
        if lines:
            # A ruled cell's rules, read as letters or as reason to read nothing at all, are
            # painted out of what the lines are cut from (pipeline.layout.tables.erase_rules).
            upright_grey = erase_rules(upright_grey, float(np.median([line_angle(ln.quad)[2] for ln in lines])))
        # The lines read to decide the orientation are read as the page's lines are: their
        # readings are kept, not read again.
        flip, known = self._upside_down(upright_grey, lines)
        if flip:
            h, w = upright_grey.shape
            lines = [DetectedLine(_flip_quad(line.quad, w, h), line.score) for line in lines]
            turns += 2
            upright_grey = rotate_quarter(upright_grey, 2)

        # A form's leaders (and the note marks among them) are read with the line they follow.
        followed = _along_leaders(upright_grey, lines)
        known = {k: v for k, v in known.items() if followed[k] is lines[k]}
        lines = followed
        skew = estimate_skew(lines)
        items: list[OrderItem] = []
        recognized: list[tuple[np.ndarray, Recognition, LineCrop]] = []
        quads = [line.quad for line in lines]
        heights = [line_angle(q)[2] for q in quads]
        typical = float(np.median(heights)) if heights else 0.0
        for k, line in enumerate(lines):
            rec, default_crop = known.get(k) or self._recognize(upright_grey, line.quad, quads[:k] + quads[k + 1 :])
            if not _has_content(rec.text) or _scribble(rec, heights[k], typical):
                continue
            recognized.append((line.quad, rec, default_crop))
            items.append(OrderItem.from_quad(line.quad, rec.text))

        text_lines: list[TextLine] = []
        crops: list[LineCrop] = []
        for index in reading_order(items, skew_degrees=skew):
            quad, rec, crop = recognized[index]
            crops.append(crop)
            points = unrotate_points(quad, turns, orig_w, orig_h)
            x0, y0 = np.floor(points.min(axis=0)).astype(int)
            x1, y1 = np.ceil(points.max(axis=0)).astype(int)
            box = (max(0, int(x0)), max(0, int(y0)), min(orig_w, int(x1)), min(orig_h, int(y1)))
            text_lines.append(TextLine(rec.text, box, rec.confidence))
        return PageOcr(text_lines, turns % 4, skew, crops)
