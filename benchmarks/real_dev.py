"""Character error rate on real Vietnamese official pages: the `real-dev` development set.

    .venv/bin/python -m benchmarks.real_dev [--set ../shared/real-dev] [--category born_digital,...]
        [--variant page,scan] [--limit N] [--baseline] [--json OUT] [--show-errors]

Every item of the set (manifest.jsonl: born-digital pages rendered at 200 dpi, blank form
templates, crops of e-signature stamps) is read twice by the product's reader
(`pipeline.reader.read_pages`, as the other benchmarks do): the clean render `page.png` and its
scan-like copy `scan_sim.jpg`. Per category and variant, and per item, it prints:

- CER: edits / reference characters, micro-averaged (total edits / total characters). Reading
  order is not counted: each line read is matched to the ground-truth line it overlaps most
  (`benchmarks.metrics.aligned_rows`, boxes of the scan-like copy turned by its recorded
  rotation), and text is compared row by row;
- page CER: the whole page as one string in the reader's order against the ground truth's
  geometric order (the definition of the set's own `score.py`; tables and two-column blocks
  pay for order there);
- WBF1: F1 of the multiset of words (order-free).

Both sides are normalised as the set's `score.py` documents (its rules are copied here, not
imported, so that the benchmark runs where the set sits elsewhere): Unicode NFC; "…" becomes
"..." and every run of three or more dots is dropped (dotted leaders are not text); all
whitespace collapsed to one space, ends stripped. score.py, build.py and the README are the
set's own project files; the pages are Vietnamese state documents, outside copyright (Luật
Sở hữu trí tuệ, Art. 15).

This is a development set: report on it, prefer general methods over fixes for its pages.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

# One Tesseract thread, as in production; set before the engines are imported, which read it once.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from rapidfuzz.distance import Levenshtein

from benchmarks.metrics import Line, aligned_rows

DEFAULT_SET = Path(__file__).resolve().parent.parent.parent / "shared" / "real-dev"
CATEGORIES = ("born_digital", "form_template", "signature_stamp")
VARIANTS = {"page": "image", "scan": "scan_sim"}  # variant -> manifest key of its file
# The targets (born-digital renders, their scan-like copies, form templates).
TARGETS = {("born_digital", "page"): 0.015, ("born_digital", "scan"): 0.025, ("form_template", "page"): 0.03}
_DOTS = re.compile(r"\.{3,}")
_WS = re.compile(r"\s+")


def normalize(text: str) -> str:
    """score.py's normalisation: NFC; "…" -> "..."; runs of >= 3 dots dropped; whitespace collapsed."""
    text = unicodedata.normalize("NFC", text).replace("\u2026", "...")
    return _WS.sub(" ", _DOTS.sub("", text)).strip()


def word_bag_f1(predicted: str, reference: str) -> float:
    p, r = Counter(predicted.split()), Counter(reference.split())
    if not p and not r:
        return 1.0
    hit = sum((p & r).values())
    if not hit:
        return 0.0
    precision, recall = hit / sum(p.values()), hit / sum(r.values())
    return 2 * precision * recall / (precision + recall)


def matched_errors(truth: Sequence[Line], predicted: Sequence[Line]) -> tuple[int, int]:
    """(edits, reference characters), rows matched by position: reading order does not count."""
    edits = chars = 0
    for truth_text, text in aligned_rows(truth, predicted):
        ref, got = normalize(truth_text), normalize(text)
        edits += Levenshtein.distance(got, ref)
        chars += len(ref)
    return edits, chars


def rotated_box(box: Sequence[float], degrees: float, width: int, height: int) -> list[float]:
    """`box` of an image turned `degrees` counter-clockwise about its centre, size kept (PIL's
    `Image.rotate(expand=False)`, as build.py made scan_sim.jpg): the bbox of its turned corners."""
    a = math.radians(degrees)
    cx, cy = width / 2, height / 2
    xs, ys = [], []
    for x, y in ((box[0], box[1]), (box[2], box[1]), (box[2], box[3]), (box[0], box[3])):
        dx, dy = x - cx, y - cy
        xs.append(cx + dx * math.cos(a) + dy * math.sin(a))
        ys.append(cy - dx * math.sin(a) + dy * math.cos(a))
    return [max(0.0, min(xs)), max(0.0, min(ys)), min(float(width), max(xs)), min(float(height), max(ys))]


@dataclass(slots=True)
class ItemResult:
    id: str
    category: str
    variant: str
    ref_chars: int
    edits: int  # position-matched
    page_ref_chars: int
    page_edits: int  # reader order against geometric order (score.py)
    wbf1: float
    seconds: float
    base_edits: int | None = None  # whole-page Tesseract, position-matched

    @property
    def cer(self) -> float:
        return self.edits / max(1, self.ref_chars)

    @property
    def page_cer(self) -> float:
        return self.page_edits / max(1, self.page_ref_chars)


def load_items(root: Path, categories: Sequence[str] | None = None, limit: int | None = None) -> list[dict]:
    """Manifest records in file order, of the given categories, at most `limit`."""
    items = []
    for line in (root / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        if categories and rec["category"] not in categories:
            continue
        items.append(rec)
    return items[:limit] if limit is not None else items


def truth_lines(root: Path, rec: dict, variant: str, size: tuple[int, int]) -> list[Line]:
    """Ground-truth lines with boxes in the pixels of the variant's image."""
    lines = json.loads((root / rec["gt_lines"]).read_text(encoding="utf-8"))
    out: list[Line] = [(ln["text"], ln["bbox_px"]) for ln in lines]
    if variant == "scan":
        meta = json.loads((root / rec["meta"]).read_text(encoding="utf-8"))
        angle = float(meta.get("scan_sim", {}).get("rotation_deg", 0.0))
        out = [(text, rotated_box(box, angle, *size)) for text, box in out]
    return out


def score_item(
    rec: dict, variant: str, truth: list[Line], reference: str, predicted: list[Line], seconds: float
) -> ItemResult:
    edits, chars = matched_errors(truth, predicted)
    page_ref = normalize(reference)
    page_got = normalize("\n".join(text for text, _ in predicted))
    return ItemResult(
        id=rec["id"],
        category=rec["category"],
        variant=variant,
        ref_chars=chars,
        edits=edits,
        page_ref_chars=len(page_ref),
        page_edits=Levenshtein.distance(page_got, page_ref),
        wbf1=word_bag_f1(page_got, page_ref),
        seconds=seconds,
    )


def _padding(size: tuple[int, int], min_side: int) -> tuple[int, int]:
    """(left, top) paper to add so that both sides reach `min_side` (centred); (0, 0) if none."""
    return (
        (max(0, min_side - size[0] + 1) // 2 + 1, max(0, min_side - size[1] + 1) // 2 + 1)
        if min(size) < min_side
        else (0, 0)
    )


def _pad(image: Any, truth: list[Line], pad: tuple[int, int]) -> tuple[Any, list[Line]]:
    """The image on a margin of its own edge colour (median), truth boxes moved with it."""
    import cv2
    import numpy as np

    edge = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
    colour = [int(v) for v in np.median(edge, axis=0)]
    left, top = pad
    out = cv2.copyMakeBorder(image, top, top, left, left, cv2.BORDER_CONSTANT, value=colour)
    moved: list[Line] = [(t, [b[0] + left, b[1] + top, b[2] + left, b[3] + top]) for t, b in truth]
    return out, moved


def _read_lines(pages: list, size: tuple[int, int]) -> list[Line]:
    """The reader's lines in the image's pixels (a page may be read at another scale)."""
    out: list[Line] = []
    for page in pages:
        sx = size[0] / page.width if page.width else 1.0
        sy = size[1] / page.height if page.height else 1.0
        out += [(ln.text, [ln.box[0] * sx, ln.box[1] * sy, ln.box[2] * sx, ln.box[3] * sy]) for ln in page.lines]
    return out


def run(
    root: Path,
    items: list[dict],
    variants: Sequence[str],
    *,
    baseline: bool = False,
    show_errors: bool = False,
    progress: bool = True,
) -> list[ItemResult]:
    """Read and score every (item, variant)."""
    import cv2
    import numpy as np

    from intake.settings import get_settings
    from pipeline.reader import OcrEngines, read_pages

    settings = get_settings()
    config = settings.reading
    engines = OcrEngines(config, settings.cache_dir)
    base = None
    if baseline:
        from benchmarks.baseline import WholePageTesseract

        base = WholePageTesseract(config.recognizer)
    results: list[ItemResult] = []
    jobs = [(rec, v) for rec in items for v in variants]
    for n, (rec, variant) in enumerate(jobs, 1):
        path = root / rec[VARIANTS[variant]]
        data = path.read_bytes()
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        size = (int(image.shape[1]), int(image.shape[0]))
        truth = truth_lines(root, rec, variant, size)
        pad = _padding(size, config.limits.min_page_side)
        if pad != (0, 0):  # a stamp crop, under the reader's smallest page: set on paper around it
            image, truth = _pad(image, truth, pad)
            size = (int(image.shape[1]), int(image.shape[0]))
            data = cv2.imencode(".png", image)[1].tobytes()
            path = path.with_suffix(".png")
        reference = (root / rec["gt"]).read_text(encoding="utf-8")
        started = time.perf_counter()
        predicted = _read_lines(read_pages(data, path.name, config, engines), size)
        result = score_item(rec, variant, truth, reference, predicted, time.perf_counter() - started)
        if base is not None:
            result.base_edits = matched_errors(truth, [(ln.text, ln.box) for ln in base.read(image)])[0]
        results.append(result)
        if show_errors:
            for truth_text, text in aligned_rows(truth, predicted):
                if normalize(truth_text) != normalize(text):
                    print(f"  {rec['id']} {variant}\n    T: {truth_text}\n    O: {text}", file=sys.stderr)
        if progress:
            print(f"\r{n}/{len(jobs)} {rec['id']} {variant}      ", end="", file=sys.stderr, flush=True)
    if progress:
        print(file=sys.stderr)
    return results


def summary(results: list[ItemResult]) -> dict[str, dict]:
    """Per "category/variant": micro CER (matched and page), mean WBF1, items, baseline CER."""
    groups: dict[str, list[ItemResult]] = defaultdict(list)
    for r in results:
        groups[f"{r.category}/{r.variant}"].append(r)
    out = {}
    for key, rs in sorted(groups.items()):
        chars = sum(r.ref_chars for r in rs)
        entry = {
            "items": len(rs),
            "cer": sum(r.edits for r in rs) / max(1, chars),
            "page_cer": sum(r.page_edits for r in rs) / max(1, sum(r.page_ref_chars for r in rs)),
            "wbf1": sum(r.wbf1 for r in rs) / len(rs),
            "seconds": sum(r.seconds for r in rs),
        }
        if all(r.base_edits is not None for r in rs):
            entry["tesseract_cer"] = sum(r.base_edits or 0 for r in rs) / max(1, chars)
        out[key] = entry
    return out


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.2f}%"


def report(results: list[ItemResult]) -> None:
    print(f"{'item':<46}{'variant':>8}{'CER':>9}{'page CER':>10}{'WBF1':>8}{'tess':>9}{'s':>6}")
    for r in results:
        base = _pct(r.base_edits / max(1, r.ref_chars)) if r.base_edits is not None else ""
        print(f"{r.id:<46}{r.variant:>8}{_pct(r.cer):>9}{_pct(r.page_cer):>10}{r.wbf1:>8.3f}{base:>9}{r.seconds:>6.1f}")
    print()
    print(f"{'category/variant':<28}{'items':>6}{'CER':>9}{'target':>8}{'page CER':>10}{'WBF1':>8}{'tess':>9}")
    for key, s in summary(results).items():
        category, variant = key.split("/")
        target = TARGETS.get((category, variant))
        tess = _pct(s["tesseract_cer"]) if "tesseract_cer" in s else ""
        print(
            f"{key:<28}{s['items']:>6}{_pct(s['cer']):>9}{_pct(target) if target else '':>8}"
            f"{_pct(s['page_cer']):>10}{s['wbf1']:>8.3f}{tess:>9}"
        )
    total = sum(r.seconds for r in results)
    print(f"\n{len(results)} pages read in {total:.0f} s ({total / max(1, len(results)):.1f} s a page)")
    print("CER: rows matched by position (order not counted); page CER: reader order, as score.py")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", type=Path, default=Path(os.environ.get("SOHOA_REAL_DEV", DEFAULT_SET)))
    parser.add_argument("--category", default=None, help=f"comma list from {','.join(CATEGORIES)}")
    parser.add_argument("--variant", default="page,scan", help="page (clean render), scan (scan-like copy)")
    parser.add_argument("--limit", type=int, default=None, help="first N items (after --category)")
    parser.add_argument("--baseline", action="store_true", help="whole-page Tesseract beside, same pages")
    parser.add_argument("--json", type=Path, default=None, help="write per-item results and the summary here")
    parser.add_argument("--show-errors", action="store_true", help="print rows that differ")
    args = parser.parse_args(argv)
    if not (args.set / "manifest.jsonl").exists():
        parser.error(f"no real-dev set at {args.set} (manifest.jsonl missing)")
    categories = [c for c in (args.category or "").split(",") if c]
    variants = [v for v in args.variant.split(",") if v]
    bad = [c for c in categories if c not in CATEGORIES] + [v for v in variants if v not in VARIANTS]
    if bad:
        parser.error(f"unknown category/variant: {', '.join(bad)}")
    items = load_items(args.set, categories, args.limit)
    results = run(args.set, items, variants, baseline=args.baseline, show_errors=args.show_errors)
    report(results)
    if args.json:
        payload = {"items": [asdict(r) for r in results], "summary": summary(results)}
        args.json.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
