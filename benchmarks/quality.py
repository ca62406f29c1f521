"""The live quality check (issue 15): what it finds, what it raises on good pages, how fast.

    .venv/bin/python -m benchmarks.quality [--seed 7301] [--count 1] [--real DIR] [--no-real]
                                           [--no-latency] [--dump FILE.jsonl]
    .venv/bin/python -m benchmarks.quality --ocr-tolerance   # slow: what our OCR tolerates

Prints (1) per code and strength, the detection rate on generated pages carrying that defect,
and per code the false-alarm rate on good generated pages (clean, scanned, photographed), on
"hard" pages apart, and on pages carrying another defect; duplicates: found among rescans, and
false matches among all pairs of distinct documents; (2) false alarms on the real pages of
../shared/real-dev (nobody tuned on them; none is known to be defective); (3) latency per page
of `check_file`, p50/p95, alone and while `sohoa process` reads a dossier in another process.
Thresholds are tuned with `--seed 1000 --dump` (benchmarks.dataset.TUNING_SEED); report on the
held-out seed (the default). `--ocr-tolerance` reads pages skewed, blurred, darkened, brightened
and downscaled with the real pipeline and prints word recall and field accuracy per strength:
the measurements the thresholds stand on.

Generated pages, defects and strengths:

Good pages are the sample generator's own (`samples.generate`: clean, scanned, photo; "hard"
is kept apart: faint, noisy, 120-150 dpi of detail). A defect is applied to a good scanned or
photographed page; strengths are in the units that matter to reading (docs/QUALITY.md):

    BLURRED         Gaussian or motion blur of sigma 1.5 / 2 / 3 px on the canonical grid
                    (a sheet at 150 dpi, a card at 300 dpi; our OCR starts to lose at 1.5)
    TOO_DARK        exposure x0.40 / x0.28 / x0.18, with sensor noise
    TOO_BRIGHT      gamma 0.45 / 0.3 / 0.2 (ink washed towards the paper)
    LOW_RESOLUTION  a card at 120 / 100 / 80 dpi, a sheet at 60 / 50 / 40 dpi
    SKEWED          15 / 20 / 30 degrees
    CUT_OFF         8 / 15 / 25 % of the content cut away at one edge
    GLARE           (cards) a specular blob of radius 4 / 6 / 9 % of the card's width
    BLANK_PAGE      an empty sheet: scanned / photographed / hard scan with show-through
    DUPLICATE_PAGE  the same page made again: new noise / +-1 deg and shifted / another level

Every random draw comes from a generator seeded by (seed, purpose); same seed, same pages.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from benchmarks.dataset import HELD_OUT_SEED, TUNING_SEED
from models.quality import QualityCode
from pipeline.config import InputLimits
from pipeline.pages.preflight import preflight
from pipeline.pages.quality import PageCheck, QualityThresholds, check_file, is_duplicate
from pipeline.pages.quality.fingerprint import similarity
from samples.degrade import degrade
from samples.generate import CARD_KINDS, IMAGE_KINDS, encode_jpeg, generate_document, sub_seed

STRENGTHS = ("mild", "medium", "strong")
GOOD_LEVELS = ("clean", "scanned", "photo")
_BLUR = (1.5, 2.0, 3.0)
_DARK = (0.40, 0.28, 0.18)
_BRIGHT = (0.45, 0.30, 0.20)
_DPI_CARD = (120.0, 100.0, 80.0)
_DPI_SHEET = (60.0, 50.0, 40.0)
_SKEW = (15.0, 20.0, 30.0)
_CUT = (0.08, 0.15, 0.25)
_GLARE = (0.04, 0.06, 0.09)
CARD_CANONICAL_WIDTH = 1011  # px: 85.6 mm at 300 dpi
SHEET_CANONICAL_WIDTH = 1240  # px: 210 mm at 150 dpi


@dataclass(slots=True)
class Base:
    """A good page to degrade."""

    kind: str
    level: str
    seed: int
    rgb: np.ndarray  # HxWx3 uint8
    clean: np.ndarray  # the same page as drawn (before any degradation)
    card: bool
    content: tuple[int, int, int, int]  # box of all text on the page, pixels
    canon: float  # picture pixels per canonical pixel

    @property
    def name(self) -> str:
        return f"{self.kind}-{self.level}-{self.seed % 10_000:04d}"


@dataclass(slots=True)
class Variant:
    name: str
    code: QualityCode | None  # the defect it carries (None: a good page)
    strength: str  # "", or one of STRENGTHS
    data: bytes
    card: bool
    duplicate_of: str | None = None  # DUPLICATE_PAGE: the name of the good page it repeats
    kind: str = ""  # the document kind drawn (models.document.DocumentKind), "" for a blank page
    touching: bool = False  # a good page whose text already touches the picture's edge (the generator's framing)


def _content_box(truth_page: dict) -> tuple[int, int, int, int]:
    boxes = np.array([line["box"] for line in truth_page["lines"]], np.int64)
    return int(boxes[:, 0].min()), int(boxes[:, 1].min()), int(boxes[:, 2].max()), int(boxes[:, 3].max())


def bases(seed: int, count: int, levels: tuple[str, ...], kinds: tuple[str, ...] = IMAGE_KINDS) -> list[Base]:
    out = []
    for kind in kinds:
        card = kind in CARD_KINDS
        for n in range(count):
            doc_seed = sub_seed(seed, "quality", kind, n) % 2**63
            clean = generate_document(kind, "clean", doc_seed)
            clean_rgb = np.asarray(clean.pages[0].convert("RGB"))
            clean_box = _content_box(clean.truth["pages"][0])
            clean_canon = clean_rgb.shape[1] / (CARD_CANONICAL_WIDTH if card else SHEET_CANONICAL_WIDTH)
            for level in levels:
                doc = clean if level == "clean" else generate_document(kind, level, doc_seed)
                rgb = np.asarray(doc.pages[0].convert("RGB"))
                box = _content_box(doc.truth["pages"][0])
                # A photo shows the page smaller: scale by the content's width against the clean page's.
                canon = clean_canon * (box[2] - box[0]) / max(clean_box[2] - clean_box[0], 1)
                out.append(Base(kind, level, doc_seed, rgb, clean_rgb, card, box, canon))
    return out


def encode(rgb: np.ndarray, rng: np.random.Generator) -> bytes:
    return encode_jpeg(Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)), int(rng.integers(75, 92)))


def _png(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def good(base: Base) -> bytes:
    return _png(base.rgb) if base.level == "clean" else encode(base.rgb, np.random.default_rng(base.seed))


# --- the defects -------------------------------------------------------------------------


def blur(base: Base, s: int, rng: np.random.Generator) -> np.ndarray:
    sigma = _BLUR[s] * base.canon
    img = base.rgb.astype(np.float32)
    if rng.random() < 0.5:
        return cv2.GaussianBlur(img, (0, 0), sigma)
    length = max(3, int(round(sigma * np.sqrt(12))) | 1)  # a box of this length has this sigma
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0 / length
    matrix = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), float(rng.uniform(0, 180)), 1.0)
    turned = cv2.warpAffine(kernel, matrix, (length, length))
    return np.asarray(cv2.filter2D(img, -1, turned / turned.sum()))


def dark(base: Base, s: int, rng: np.random.Generator) -> np.ndarray:
    img = base.rgb.astype(np.float32) * _DARK[s]
    return img + rng.normal(0, 2.5, img.shape[:2]).astype(np.float32)[..., None]


def bright(base: Base, s: int, rng: np.random.Generator) -> np.ndarray:
    return 255.0 * (base.rgb.astype(np.float32) / 255.0) ** _BRIGHT[s]


def low_resolution(base: Base, s: int, rng: np.random.Generator) -> np.ndarray:
    # The page's own dpi: the canonical grid's (a card 300, a sheet 150) times its scale to it.
    native = (300.0 if base.card else 150.0) * base.canon
    target = (_DPI_CARD if base.card else _DPI_SHEET)[s]
    f = min(1.0, target / native)
    h, w = base.rgb.shape[:2]
    return cv2.resize(base.rgb, (max(8, round(w * f)), max(8, round(h * f))), interpolation=cv2.INTER_AREA)


def rotate(rgb: np.ndarray, angle: float) -> np.ndarray:
    h, w = rgb.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    c, s = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * s + w * c), int(h * c + w * s)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    border = tuple(float(v) for v in np.median(rgb[:8].reshape(-1, 3), axis=0))
    return cv2.warpAffine(rgb, m, (nw, nh), flags=cv2.INTER_LINEAR, borderValue=border)


def skew(base: Base, s: int, rng: np.random.Generator) -> np.ndarray:
    return rotate(base.rgb, _SKEW[s] * float(rng.choice([-1, 1])))


def cut_off(base: Base, s: int, rng: np.random.Generator) -> np.ndarray:
    x0, y0, x1, y1 = base.content
    side = int(rng.integers(0, 4))
    f = _CUT[s]
    if side == 0:
        return base.rgb[:, : int(x1 - f * (x1 - x0))]
    if side == 1:
        return base.rgb[:, int(x0 + f * (x1 - x0)) :]
    if side == 2:
        return base.rgb[int(y0 + f * (y1 - y0)) :, :]
    return base.rgb[: int(y1 - f * (y1 - y0)), :]


def glare(base: Base, s: int, rng: np.random.Generator) -> np.ndarray:
    x0, y0, x1, y1 = base.content
    radius = _GLARE[s] * (x1 - x0)
    cx, cy = rng.uniform(x0 + radius, x1 - radius), rng.uniform(y0 + radius, y1 - radius)
    h, w = base.rgb.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    aspect = rng.uniform(0.6, 1.0)
    r2 = ((xx - cx) / radius) ** 2 + ((yy - cy) / (radius * aspect)) ** 2
    light = 420.0 * np.exp(-r2 / 2.0)  # the core saturates, the rim fades into the card
    return base.rgb.astype(np.float32) + light[..., None]


def blank(seed: int, s: int) -> np.ndarray:
    """An empty A4 page, scanned (mild), photographed (medium) or a hard scan showing the back's text (strong)."""
    rng = np.random.default_rng(sub_seed(seed, "blank", s))
    page = Image.new("RGB", (2480, 3508), (255, 255, 255))
    if s == 2:
        # Show-through: the back page's text, mirrored, at 8 % contrast.
        back = generate_document("cong_van", "clean", sub_seed(seed, "back") % 2**63).pages[0].convert("L")
        mirrored = np.asarray(back, np.float32)[:, ::-1]
        page = Image.fromarray(np.repeat((255 - (255 - mirrored) * 0.08)[..., None], 3, axis=2).astype(np.uint8))
    level = ("scanned", "photo", "hard")[s]
    return np.asarray(degrade(page, level, rng).image)


def rescan(base: Base, s: int, rng: np.random.Generator) -> np.ndarray:
    """The same page made again: new noise (mild), also turned and shifted (medium), another level (strong)."""
    level = base.level if s < 2 else ("photo" if base.level != "photo" else "scanned")
    again = np.asarray(degrade(Image.fromarray(base.clean), level, rng, card=base.card).image)
    if s >= 1:
        again = rotate(again, float(rng.uniform(-1.5, 1.5)))
        dx, dy = (int(v) for v in rng.integers(-30, 31, 2))
        again = np.roll(again, (dy, dx), axis=(0, 1))
        again = np.clip(again.astype(np.float32) * rng.uniform(0.9, 1.1), 0, 255)
    return again


_DEFECTS = {
    QualityCode.BLURRED: blur,
    QualityCode.TOO_DARK: dark,
    QualityCode.TOO_BRIGHT: bright,
    QualityCode.LOW_RESOLUTION: low_resolution,
    QualityCode.SKEWED: skew,
    QualityCode.CUT_OFF: cut_off,
    QualityCode.GLARE: glare,
}


def variants(seed: int, count: int, defect_count: int = 1) -> Iterator[Variant]:
    """Good pages (`count` documents per kind), "hard" pages (code None, strength "hard"), then
    every defect at every strength on the scanned and photographed pages of the first
    `defect_count` documents of each kind."""
    good_bases = bases(seed, count, GOOD_LEVELS)
    for base in good_bases:
        x0, y0, x1, y1 = base.content
        h, w = base.rgb.shape[:2]
        touching = min(x0, y0, w - x1, h - y1) <= 3
        yield Variant(base.name, None, "", good(base), base.card, kind=base.kind, touching=touching)
    for base in bases(seed, defect_count, ("hard",)):
        data = encode(base.rgb, np.random.default_rng(base.seed))
        yield Variant(base.name, None, "hard", data, base.card, kind=base.kind)
    first = {sub_seed(seed, "quality", kind, n) % 2**63 for kind in IMAGE_KINDS for n in range(defect_count)}
    damaged = [b for b in good_bases if b.level != "clean" and b.seed in first]
    for code, make in _DEFECTS.items():
        for s, strength in enumerate(STRENGTHS):
            for base in damaged:
                if code == QualityCode.GLARE and not base.card:
                    continue
                rng = np.random.default_rng(sub_seed(seed, code, s, base.name))
                yield Variant(
                    f"{base.name}-{code}-{strength}", code, strength, encode(make(base, s, rng), rng), base.card
                )
    for s, strength in enumerate(STRENGTHS):
        for n in range(max(2, 4 * count)):
            rng = np.random.default_rng(sub_seed(seed, "blank", s, n))
            yield Variant(
                f"blank-{strength}-{n}", QualityCode.BLANK_PAGE, strength, encode(blank(seed + n, s), rng), False
            )
    for s, strength in enumerate(STRENGTHS):
        for base in damaged:
            rng = np.random.default_rng(sub_seed(seed, "rescan", s, base.name))
            yield Variant(
                f"{base.name}-again-{strength}",
                QualityCode.DUPLICATE_PAGE,
                strength,
                encode(rescan(base, s, rng), rng),
                base.card,
                duplicate_of=base.name,
                kind=base.kind,
            )


# --- the run -----------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
REAL_DEV = ROOT.parent / "shared" / "real-dev"


@dataclass(slots=True)
class Result:
    variant: Variant
    codes: tuple[str, ...]
    measures: dict[str, float]
    fingerprint: str
    seconds: float
    kind: str = ""  # the likely kind the check gave
    original: str = ""  # DUPLICATE_PAGE: the fingerprint of the page it repeats


def _check(data: bytes, thresholds: QualityThresholds) -> tuple[list[PageCheck], float]:
    info = preflight(data, None, InputLimits())
    started = time.perf_counter()
    pages = check_file(data, info, thresholds)
    return pages, time.perf_counter() - started


def _rate(hits: int, total: int) -> str:
    return f"{100 * hits / total:5.1f} % ({hits}/{total})" if total else "    -"


def _check_one(data: bytes, settings: dict) -> tuple[tuple[str, ...], dict[str, float], str, str, float]:
    """One generated page in a worker process: (codes, measures, fingerprint, likely kind, seconds)."""
    pages, seconds = _check(data, QualityThresholds(**settings))
    page = pages[0]
    return tuple(str(c) for c in page.codes), page.measures, page.fingerprint, page.likely_kind, seconds


def generated(
    seed: int, count: int, defect_count: int, thresholds: QualityThresholds, dump: Path | None, jobs: int
) -> list[Result]:
    """Check every generated page, `jobs` at a time (the pages are made here meanwhile)."""
    pages = list(variants(seed, count, defect_count)) if jobs <= 1 else variants(seed, count, defect_count)
    results = []
    settings = thresholds.model_dump()
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [(variant, pool.submit(_check_one, variant.data, settings)) for variant in pages]
        for variant, future in futures:
            codes, measures, fingerprint, kind, seconds = future.result()
            results.append(Result(variant, codes, measures, fingerprint, seconds, kind))
    printed = {r.variant.name: r.fingerprint for r in results if r.variant.code is None}
    for result in results:
        if result.variant.duplicate_of is not None:
            result.original = printed[result.variant.duplicate_of]
            result.measures = {**result.measures, "similarity": similarity(result.fingerprint, result.original)}
    if dump:
        with dump.open("w", encoding="utf-8") as out:
            for r in results:
                row = {
                    "name": r.variant.name,
                    "code": r.variant.code,
                    "strength": r.variant.strength,
                    "card": r.variant.card,
                    "codes": r.codes,
                    "measures": r.measures,
                    "fingerprint": r.fingerprint,
                    "original": r.original,
                    "kind": r.kind,
                }
                out.write(json.dumps(row) + "\n")
    return results


def report_generated(results: list[Result], thresholds: QualityThresholds) -> None:
    good = [r for r in results if r.variant.code is None and r.variant.strength == ""]
    hard = [r for r in results if r.variant.strength == "hard"]
    print(
        f"\nGenerated pages: {len(good)} good (clean, scanned, photo), {len(hard)} hard, "
        f"{len(results) - len(good) - len(hard)} with a defect"
    )
    print(
        f"{'code':16s} {'mild':>18s} {'medium':>18s} {'strong':>18s}   {'false alarms: good':>22s} "
        f"{'hard':>16s} {'other defect':>18s}"
    )
    for code in QualityCode:
        cells = []
        for strength in STRENGTHS:
            carrying = [r for r in results if r.variant.code == code and r.variant.strength == strength]
            if code == QualityCode.DUPLICATE_PAGE:
                hits = sum(is_duplicate(r.fingerprint, r.original, thresholds) for r in carrying)
            else:
                hits = sum(str(code) in r.codes for r in carrying)
            cells.append(_rate(hits, len(carrying)))
        if code == QualityCode.DUPLICATE_PAGE:
            false_good, false_hard, false_other = _false_duplicates(good, thresholds), "", ""
        else:
            false_good = _rate(sum(str(code) in r.codes for r in good), len(good))
            false_hard = _rate(sum(str(code) in r.codes for r in hard), len(hard))
            others = [r for r in results if r.variant.code not in (None, code, QualityCode.DUPLICATE_PAGE)]
            false_other = _rate(sum(str(code) in r.codes for r in others), len(others))
        print(
            f"{code:16s} {cells[0]:>18s} {cells[1]:>18s} {cells[2]:>18s}   {false_good:>22s} {false_hard:>16s} "
            f"{false_other:>18s}"
        )
    flagged = [r for r in good if r.codes]
    for r in flagged:
        note = " (its text touches the picture's edge as generated)" if r.variant.touching else ""
        print(f"  good page flagged: {r.variant.name}: {', '.join(r.codes)}{note}")
    for label, subset in (("good", good), ("hard", hard)):
        right = sum(r.kind == r.variant.kind for r in subset)
        cards = [r for r in subset if r.variant.card]
        card_right = sum(r.kind == r.variant.kind for r in cards)
        print(
            f"likely kind right on {label} pages: {_rate(right, len(subset))} (cards {_rate(card_right, len(cards))})"
        )


def _false_duplicates(good: list[Result], thresholds: QualityThresholds) -> str:
    """Pairs of good pages of different documents taken for one page (same kind: same template)."""
    docs = [(r.variant.name.rsplit("-", 2)[0], r.variant.name.rsplit("-", 1)[1], r) for r in good]
    pairs = same_kind = false = false_same = 0
    for i, (kind_a, seed_a, a) in enumerate(docs):
        for kind_b, seed_b, b in docs[i + 1 :]:
            if (kind_a, seed_a) == (kind_b, seed_b):
                continue  # the same document at two levels is the same page
            pairs += 1
            hit = is_duplicate(a.fingerprint, b.fingerprint, thresholds)
            false += hit
            if kind_a == kind_b:
                same_kind += 1
                false_same += hit
    return f"{_rate(false, pairs)}; same kind {_rate(false_same, same_kind)}"


def _pct(values: list[float], p: float) -> float:
    return float(np.percentile(values, p)) if values else float("nan")


def real_pages(folder: Path, thresholds: QualityThresholds, jobs: int) -> None:
    items = sorted(p for p in (folder / "items").iterdir() if p.is_dir()) if (folder / "items").is_dir() else []
    if not items:
        print(f"\nReal pages: none found under {folder}")
        return
    # Each document as a clean render and as a simulated office scan; the e-signature stamp
    # crops (st*) are not pages.
    paths = [
        item / file
        for item in items
        if not item.name.startswith("st")
        for file in ("page.png", "scan_sim.jpg")
        if (item / file).exists()
    ]
    settings = thresholds.model_dump()
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        checked = list(pool.map(_check_one, [p.read_bytes() for p in paths], [settings] * len(paths)))
    rows = [
        (p.parent.name, p.name, codes, measures, kind)
        for p, (codes, measures, _, kind, _) in zip(paths, checked, strict=True)
    ]
    documents = len({p.parent for p in paths})
    print(f"\nReal pages ({folder}): {len(rows)} pages of {documents} documents, none known to be defective")
    for name in ("page.png", "scan_sim.jpg"):
        subset = [r for r in rows if r[1] == name]
        flagged = [r for r in subset if r[2]]
        per_code = {c: sum(str(c) in r[2] for r in subset) for c in QualityCode}
        print(
            f"  {name:13s} false alarms: {_rate(len(flagged), len(subset))}   "
            + ", ".join(f"{c} {n}" for c, n in per_code.items() if n)
        )
    for item_id, file, codes, measures, _ in rows:
        if codes:
            shown = " ".join(f"{k}={v}" for k, v in measures.items() if k in _SHOWN)
            print(f"    {item_id}/{file}: {', '.join(codes)}  {shown}")
    kinds = Counter(kind for *_, kind in rows)
    print("  likely kinds: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))


_SHOWN = ("sharpness", "paper", "ink", "dpi", "skew_degrees", "edge_ink", "ink_share", "glare")


def latency(seed: int, thresholds: QualityThresholds, rounds: int) -> None:
    files = _latency_files(seed)
    alone = _time_pages(files, thresholds, rounds)
    print(
        f"\nLatency per page, single thread ({len(files)} files, {rounds} rounds; "
        f"{', '.join(name for name, _ in files)}):"
    )
    _print_times("alone", alone)
    no_read = _time_pages(files, thresholds.model_copy(update={"read_kind": False}), rounds)
    _print_times("alone, without the Tesseract kind read (read_kind=False)", no_read)
    with tempfile.TemporaryDirectory() as tmp, _reading_load(Path(tmp), seed):
        loaded = _time_pages(files, thresholds, rounds)
    _print_times("while a dossier is being read (one `sohoa process` per core)", loaded)


def _print_times(label: str, times: dict[str, list[float]]) -> None:
    everything = sorted(t for values in times.values() for t in values)
    print(
        f"  {label}: p50 {1000 * _pct(everything, 50):.0f} ms, p95 {1000 * _pct(everything, 95):.0f} ms, "
        f"max {1000 * max(everything):.0f} ms"
    )
    for name, values in times.items():
        print(f"    {name:34s} p50 {1000 * _pct(values, 50):5.0f} ms  p95 {1000 * _pct(values, 95):5.0f} ms")


def _latency_files(seed: int) -> list[tuple[str, bytes]]:
    out = []
    for kind, level, label in (
        ("ct01", "scanned", "A4 scan 300 dpi JPEG"),
        ("don", "clean", "A4 300 dpi PNG"),
        ("to_khai_khai_sinh", "photo", "A4 phone photo"),
        ("cccd_front", "scanned", "card scan"),
        ("cccd_front", "photo", "card phone photo"),
        ("pdf_mixed", "scanned", "PDF: typed + scanned page"),
    ):
        doc = generate_document(kind, level, sub_seed(seed, "latency", kind) % 2**63)
        out.append((label, doc.pdf_bytes if doc.pdf_bytes is not None else doc.page_files[0]))
    # A 12-megapixel phone photo: the decoder's 1/2 draft matters most here.
    big = generate_document("cccd_front", "photo", sub_seed(seed, "latency", "big") % 2**63).pages[0]
    big = big.resize((4000, 3000), Image.Resampling.BICUBIC)
    out.append(("card photo 12 Mpx", encode_jpeg(big, 88)))
    return out


def _time_pages(files: list[tuple[str, bytes]], thresholds: QualityThresholds, rounds: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name, _ in files}
    for _ in range(rounds):
        for name, data in files:
            pages, seconds = _check(data, thresholds)
            times[name].append(seconds / len(pages))
    return times


@contextmanager
def _reading_load(folder: Path, seed: int) -> Iterator[None]:
    """A dossier being read beside the check, as on the production box: one `sohoa process`
    per core (the server runs one reading worker per CPU), each restarted when it finishes."""
    paths = []
    for n, kind in enumerate(("to_khai_khai_sinh", "ct01", "don", "cong_van", "giay_khai_sinh", "cccd_front")):
        doc = generate_document(kind, "scanned", sub_seed(seed, "load", kind) % 2**63)
        path = folder / f"page{n}.jpg"
        path.write_bytes(doc.page_files[0])
        paths.append(str(path))
    workers = os.cpu_count() or 2
    stop = threading.Event()
    reading = [threading.Event() for _ in range(workers)]
    runs: list[int] = []
    env = {**os.environ, "OMP_THREAD_LIMIT": "1", "OMP_NUM_THREADS": "1"}

    def keep_reading(slot: int) -> None:
        command = [str(ROOT / ".venv" / "bin" / "sohoa"), "process", "--quiet", "--out", str(folder / f"{slot}.json")]
        while not stop.is_set():
            proc = subprocess.Popen([*command, *paths], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            runs.append(slot)
            while proc.poll() is None and not stop.is_set():
                if _cpu_seconds(proc.pid) > 4.0:
                    reading[slot].set()  # past loading its models: reading
                time.sleep(0.2)
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=30)
            reading[slot].set()

    threads = [threading.Thread(target=keep_reading, args=(slot,), daemon=True) for slot in range(workers)]
    for thread in threads:
        thread.start()
    for event in reading:
        event.wait(timeout=120)
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        print(f"  (load: {workers} x `sohoa process` on {len(paths)} scanned pages, {len(runs)} run(s) in all)")


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- what our OCR tolerates --------------------------------------------------------------


def ocr_tolerance(seed: int, count: int) -> None:
    """Word recall and field accuracy of the real reading pipeline against each degradation."""
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    from intake.settings import get_settings
    from pipeline.fields.values import normalize_value
    from pipeline.reader import OcrEngines, read_document

    settings = get_settings()
    config = settings.reading
    config.detector.threads = 1
    config.second_reader.enabled = False
    engines = OcrEngines(config, settings.cache_dir)
    studies: dict[str, tuple[tuple[float, ...], tuple[str, ...]]] = {
        "skew (degrees)": ((0, 3, 6, 9, 12, 20), ("cccd_front", "to_khai_khai_sinh", "ct01", "don", "giay_khai_sinh")),
        "resolution (dpi)": (
            (300, 200, 150, 120, 100, 80, 60, 50),
            ("cccd_front", "can_cuoc_back", "to_khai_khai_sinh", "ct01"),
        ),
        "blur (sigma px at 300 dpi)": (
            (0, 1, 2, 3, 4, 6),
            ("cccd_front", "can_cuoc_back", "to_khai_khai_sinh", "ct01"),
        ),
        "exposure (x)": ((1.0, 0.5, 0.35, 0.25, 0.15), ("cccd_front", "to_khai_khai_sinh", "ct01")),
        "gamma": ((1.0, 0.6, 0.4, 0.25, 0.15), ("cccd_front", "to_khai_khai_sinh", "ct01")),
    }
    for study, (values, kinds) in studies.items():
        tallies: dict[tuple[bool, float], list[float]] = {}
        for kind in kinds:
            for n in range(count):
                doc = generate_document(kind, "scanned", sub_seed(seed, "tolerance", kind, n) % 2**63)
                rgb = np.asarray(doc.pages[0].convert("RGB"))
                truth = [line["text"] for line in doc.truth["pages"][0]["lines"]]
                for value in values:
                    image = _tolerance_variant(study, rgb, value)
                    buf = io.BytesIO()
                    Image.fromarray(image).save(buf, format="PNG", compress_level=1)
                    reading = read_document(buf.getvalue(), "page.png", config, engines, today=date(2025, 6, 1))
                    got = [line.text for page in reading.pages for line in page.lines]
                    right = total = 0
                    for name, spec in doc.truth["fields"].items():
                        try:
                            want = normalize_value(name, spec["value"])
                        except (KeyError, ValueError):
                            continue
                        field = reading.fields.get(name)
                        total += 1
                        right += int(field is not None and field.value == want)
                    tally = tallies.setdefault((kind in CARD_KINDS, value), [0.0, 0.0, 0.0, 0.0])
                    tally[0] += _word_recall(truth, got)
                    tally[1] += 1
                    tally[2] += right
                    tally[3] += total
        print(f"\nOCR against {study} ({count} document(s) per kind, seed {seed}):")
        for (card, value), (recall, runs, hits, fields) in sorted(tallies.items()):
            layout = "card " if card else "sheet"
            print(f"  {layout} {value:6g}: word recall {recall / runs:.3f}, fields {_rate(int(hits), int(fields))}")


def _tolerance_variant(study: str, rgb: np.ndarray, value: float) -> np.ndarray:
    if study.startswith("skew"):
        return rotate(rgb, value) if value else rgb
    if study.startswith("resolution"):
        f = value / 300.0
        return cv2.resize(rgb, None, fx=f, fy=f, interpolation=cv2.INTER_AREA) if f < 1 else rgb
    if study.startswith("blur"):
        return cv2.GaussianBlur(rgb, (0, 0), value) if value else rgb
    noise = np.random.default_rng(1).normal(0, 2.5, rgb.shape[:2])[..., None]
    if study.startswith("exposure"):
        return np.clip(rgb.astype(np.float32) * value + noise, 0, 255).astype(np.uint8)
    return (255.0 * (rgb.astype(np.float32) / 255.0) ** value).astype(np.uint8)


def _word_recall(truth: list[str], got: list[str]) -> float:
    want, have = Counter(w for t in truth for w in t.split()), Counter(w for t in got for w in t.split())
    return sum((want & have).values()) / max(1, sum(want.values()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=HELD_OUT_SEED)
    parser.add_argument("--count", type=int, default=2, help="good documents per kind")
    parser.add_argument("--defect-count", type=int, default=1, help="documents per kind that get each defect")
    parser.add_argument(
        "--real", type=Path, default=REAL_DEV, help="real-dev folder (items/<id>/page.png, scan_sim.jpg)"
    )
    parser.add_argument("--no-real", action="store_true")
    parser.add_argument("--no-generated", action="store_true")
    parser.add_argument("--no-latency", action="store_true")
    parser.add_argument("--rounds", type=int, default=3, help="latency rounds over the latency files")
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="processes checking generated pages (not the latency)"
    )
    parser.add_argument("--dump", type=Path, default=None, help="write every generated page's measures (JSON lines)")
    parser.add_argument("--ocr-tolerance", action="store_true", help="only measure what the OCR tolerates (slow)")
    args = parser.parse_args(argv)
    if args.ocr_tolerance:
        ocr_tolerance(TUNING_SEED if args.seed == HELD_OUT_SEED else args.seed, max(args.count, 2))
        return 0
    thresholds = QualityThresholds()
    print(
        f"Quality check, seed {args.seed}{' (held out)' if args.seed == HELD_OUT_SEED else ''}; "
        f"thresholds: {thresholds.model_dump()}"
    )
    started = time.perf_counter()
    if not args.no_generated:
        results = generated(args.seed, args.count, args.defect_count, thresholds, args.dump, args.jobs)
        report_generated(results, thresholds)
    if not args.no_real:
        real_pages(args.real, thresholds, args.jobs)
    if not args.no_latency:
        latency(args.seed, thresholds, args.rounds)
    print(f"\n({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
