"""Reading accuracy on a generated set, ours beside plain whole-page Tesseract `vie`.

    .venv/bin/python -m benchmarks.accuracy [--seed 7301] [--count 4] [--levels clean,scanned,hard,photo]
        [--style alt]

Prints, per level: CER, CER with diacritics stripped, share of accented letters read
exactly, field exact match; and the CCCD-front card success rate (số định danh, họ và
tên, ngày sinh all exact). Both systems read the same files; text is compared row by row, matched by position on
the page (benchmarks.metrics.aligned_rows), so that only reading is measured.
`--style alt`: documents drawn another way (samples.generate's "alt" style: other type, card
backgrounds, print quality), image kinds only, on samples.generate.ALT_HELD_OUT_SEED unless --seed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import defaultdict

# One Tesseract thread, as in production; set before the engines are imported, which read it once.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from benchmarks.baseline import WholePageTesseract
from benchmarks.dataset import CACHE, HELD_OUT_SEED, Sample, load_set
from benchmarks.metrics import Tally, accented_letters, aligned_rows, char_errors, char_errors_no_marks
from models.document import DocumentKind, PageText, TextSource
from models.fields import FIELD_SPECS
from pipeline.config import ReadingConfig
from pipeline.fields.classify import classify_text
from pipeline.fields.extract import extract_fields
from pipeline.fields.values import normalize_value
from pipeline.pages.preflight import preflight
from pipeline.pages.sources import iter_pages, render_pdf_page
from pipeline.reader import OcrEngines, read_document

TARGET_CER = {"clean": 0.0025, "scanned": 0.003, "hard": 0.015}  # issue 19
CARD_FIELDS = ("so_dinh_danh", "ho_va_ten", "ngay_sinh")
KNOWN_FIELDS = {spec.name for spec in FIELD_SPECS}


class Scores:
    def __init__(self) -> None:
        self.cer = Tally()
        self.cer_plain = Tally()
        self.accents = Tally()  # (exact, total): rate = exact/total
        self.fields = Tally()  # (exact, total)
        self.cards = Tally()  # (cards with the 3 fields exact, cards)
        self.pdf_exact = Tally()  # (pdf text pages exact, pdf text pages)

    def add_page(self, truth_lines: list, lines: list) -> list[tuple[str, str]]:
        """Score one page; returns its (truth, read) row pairs that differ."""
        wrong = []
        for truth_text, text in aligned_rows(truth_lines, lines):
            errors = char_errors(truth_text, text)
            self.cer.add(errors)
            self.cer_plain.add(char_errors_no_marks(truth_text, text))
            self.accents.add(accented_letters(truth_text, text))
            if errors[0]:
                wrong.append((truth_text, text))
        return wrong

    def add_fields(self, kind: str, truth_fields: dict, fields: dict) -> None:
        for name, spec in truth_fields.items():
            if name not in KNOWN_FIELDS:
                continue
            got = fields.get(name)
            self.fields.add((int(got is not None and got["value"] == normalize_value(name, spec["value"])), 1))
        if kind == DocumentKind.CCCD_FRONT:
            ok = all(
                fields.get(n) is not None and fields[n]["value"] == truth_fields[n]["value"]
                for n in CARD_FIELDS
                if n in truth_fields
            )
            self.cards.add((int(ok), 1))


def _truth_pages(truth: dict) -> list[list]:
    return [[(ln["text"], ln["box"]) for ln in page["lines"]] for page in truth["pages"]]


def _baseline_document(baseline: WholePageTesseract, data: bytes, name: str, config: ReadingConfig) -> list[PageText]:
    info = preflight(data, name, config.limits)
    pages = []
    for src in iter_pages(data, info, config):
        image = src.image if src.image is not None else render_pdf_page(data, src.index, config.pdf_dpi)
        pages.append(PageText(src.index, src.width, src.height, TextSource.OCR, baseline.read(image)))
    return pages


def load_styled_set(seed: int, count: int, kinds: list[str] | None, levels: list[str], style: str) -> list[Sample]:
    """`benchmarks.dataset.load_set` for a generator style (image kinds only), cached the same way."""
    if style == "default":
        return load_set(seed, count, kinds, levels)
    from samples.generate import IMAGE_KINDS

    kinds = kinds or list(IMAGE_KINDS)
    out = CACHE / f"seed{seed}-n{count}-{'_'.join(kinds)}-{'_'.join(levels)}-style-{style}"
    manifest = out / "manifest.json"
    if not manifest.exists():  # in a child process, as load_set does
        command = [sys.executable, "-m", "samples.generate", "--out", str(out), "--seed", str(seed)]
        command += ["--count", str(count), "--levels", ",".join(levels), "--kinds", ",".join(kinds)]
        subprocess.run([*command, "--style", style], check=True)
    entries = json.loads(manifest.read_text(encoding="utf-8"))["documents"]
    return [Sample(out / e["file"], json.loads((out / e["truth"]).read_text(encoding="utf-8"))) for e in entries]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=None, help="default: the style's held-out seed")
    parser.add_argument("--count", type=int, default=4, help="documents per kind and level")
    parser.add_argument("--levels", default="clean,scanned,hard,photo")
    parser.add_argument("--kinds", default=None)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--show-errors", action="store_true", help="print lines that differ (synthetic data)")
    parser.add_argument("--style", choices=("default", "alt"), default="default", help="how documents are drawn")
    args = parser.parse_args(argv)

    from intake.clock import SystemClock
    from samples.generate import ALT_HELD_OUT_SEED

    if args.seed is None:
        args.seed = ALT_HELD_OUT_SEED if args.style == "alt" else HELD_OUT_SEED
    from intake.settings import get_settings

    settings = get_settings()
    config = settings.reading
    engines = OcrEngines(config, settings.cache_dir)
    baseline = None if args.no_baseline else WholePageTesseract(config.recognizer)
    levels = args.levels.split(",")
    samples = load_styled_set(args.seed, args.count, args.kinds.split(",") if args.kinds else None, levels, args.style)

    ours: dict[str, Scores] = defaultdict(Scores)
    base: dict[str, Scores] = defaultdict(Scores)
    by_kind: dict[tuple[str, str], Scores] = defaultdict(Scores)
    today = SystemClock().now().date()
    started = time.perf_counter()
    for n, sample in enumerate(samples, 1):
        data = sample.path.read_bytes()
        truth_texts = _truth_pages(sample.truth)
        doc = read_document(data, sample.path.name, config, engines, today=today).to_dict()
        for page, truth_lines in zip(doc["pages"], truth_texts, strict=True):
            lines = [(ln["text"], ln["box"]) for ln in page["lines"]]
            key = "born-digital PDF" if page["text_source"] == "pdf_text" else sample.level
            wrong = ours[key].add_page(truth_lines, lines)
            by_kind[(sample.kind, sample.level)].add_page(truth_lines, lines)
            if page["text_source"] == "pdf_text":
                ours[key].pdf_exact.add((int(not wrong), 1))
            if args.show_errors:
                for truth_text, text in wrong:
                    print(
                        f"  {sample.path.name}: T: {truth_text}\n  {' ' * len(sample.path.name)}  O: {text}",
                        file=sys.stderr,
                    )
        ours[sample.level].add_fields(sample.kind, sample.truth.get("fields", {}), doc["fields"])
        if baseline is not None:
            pages = _baseline_document(baseline, data, sample.path.name, config)
            for page, truth_lines in zip(pages, truth_texts, strict=True):
                lines = [(ln.text, ln.box) for ln in page.lines]
                source = doc["pages"][page.index]["text_source"] if page.index < len(doc["pages"]) else "ocr"
                base["born-digital PDF" if source == "pdf_text" else sample.level].add_page(truth_lines, lines)
            base_kind, _ = classify_text("\n".join(p.text for p in pages))
            fields = {
                k: v.to_dict() for k, v in extract_fields(base_kind, pages, config.review_confidence, today).items()
            }
            base[sample.level].add_fields(sample.kind, sample.truth.get("fields", {}), fields)
        print(f"\r{n}/{len(samples)} documents", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)

    print(
        f"Accuracy, style {args.style}, seed {args.seed}, {len(samples)} documents,"
        f" {time.perf_counter() - started:.0f} s"
    )
    print("ours = PP-OCR detection + Tesseract vie per line; tess = whole-page Tesseract vie\n")
    header = (
        f"{'level':<17}{'CER ours':>9}{'tess':>8}{'target':>8}  {'CER no marks':>12}{'tess':>8}"
        f"  {'accents ok':>10}{'tess':>8}  {'fields':>7}{'tess':>7}  {'cards':>8}{'tess':>8}"
    )
    print(header)
    print("-" * len(header))
    for level in [*levels, "born-digital PDF"]:
        if level not in ours:
            continue
        o, b = ours[level], base.get(level, Scores())
        target = TARGET_CER.get(level)
        print(
            f"{level:<17}{_pct(o.cer.rate):>9}{_pct(b.cer.rate):>8}{_pct(target) if target else '':>8}  "
            f"{_pct(o.cer_plain.rate):>12}{_pct(b.cer_plain.rate):>8}  "
            f"{_pct(_share(o.accents)):>10}{_pct(_share(b.accents)):>8}  "
            f"{_pct(_share(o.fields)):>7}{_pct(_share(b.fields)):>7}  "
            f"{_pct(_share(o.cards)):>8}{_pct(_share(b.cards)):>8}"
        )
    kinds = sorted({k for k, _ in by_kind})
    print(f"\nCER ours by kind: {'kind':<20}" + "".join(f"{lv:>10}" for lv in levels))
    for kind in kinds:
        cells = [_pct(by_kind[(kind, lv)].cer.rate) if (kind, lv) in by_kind else "" for lv in levels]
        print(f"{'':<18}{kind:<20}" + "".join(f"{c:>10}" for c in cells))
    pdf = ours.get("born-digital PDF")
    if pdf:
        print(f"\nborn-digital PDF pages with exact text: {pdf.pdf_exact.errors}/{pdf.pdf_exact.total}")
    print(
        "\nTargets: CER ≤ 0.25 % clean, ≤ 0.3 % scanned, ≤ 1.5 % hard; accents ≥ 99.5 %;"
        " CCCD front (số định danh, họ và tên, ngày sinh exact) ≥ 98 % of cards"
    )
    return 0


def _share(tally: Tally) -> float:
    return tally.errors / tally.total if tally.total else float("nan")


def _pct(value: float | None) -> str:
    if value is None or value != value:
        return "—"
    return f"{100 * value:.2f}%"


if __name__ == "__main__":
    sys.exit(main())
