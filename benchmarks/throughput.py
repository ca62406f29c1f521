"""Throughput and memory of one reading worker (one core), ours beside whole-page Tesseract.

    .venv/bin/python -m benchmarks.throughput [--seed 7301] [--count 3] [--pages N]

One process, one thread for every engine (ONNX Runtime intra-op 1, Tesseract
OMP_THREAD_LIMIT=1): the figure is pages per minute per core. Peak RSS is the process's
high-water mark after loading the models and reading every page. Each figure is given by
wall time and by the process's CPU time: on a machine other work shares, the CPU time is
the steadier measure of one core's work (both are the same on an idle machine). The CPU
time of the scanned pages is also given by stage (the reader's stages, the file's decoding
and the interpretation of its fields): which stage to speed up is read from these.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING

# One thread per engine, as in production; set before the engines are imported, which read it once.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

from benchmarks.baseline import WholePageTesseract
from benchmarks.dataset import HELD_OUT_SEED, load_set
from models.document import PageText
from pipeline.pages.preflight import preflight
from pipeline.pages.sources import iter_pages
from pipeline.reader import OcrEngines, StageClock, interpret_files, read_document, read_page

if TYPE_CHECKING:
    import numpy as np  # imported for real by the engines, after the thread limits

A4_KINDS = ["to_khai_khai_sinh", "don", "ct01", "cong_van"]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class CpuStageClock(StageClock):
    """The reader's stages timed by the process's CPU time (the machine is shared)."""

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.process_time()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.process_time() - started


def read_timed(data: bytes, name: str, engines: OcrEngines, stages: StageClock, today: date) -> list[PageText]:
    """`read_document`, step for step, with each stage's time in `stages` (the file's decoding
    and preflight as "decode", the fields' interpretation as "interpret"); its pages."""
    config = engines.config
    with stages.stage("decode"):
        info = preflight(data, name, config.limits, pdf_dpi=config.pdf_dpi)
        pages = iter_pages(data, info, config)
        source = next(pages, None)
    read = []
    while source is not None:
        read.append(read_page(source, engines, stages))
        with stages.stage("decode"):
            source = next(pages, None)
    with stages.stage("interpret"):
        interpret_files([(name, read)], config, today)
    return read


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=HELD_OUT_SEED)
    parser.add_argument("--count", type=int, default=3, help="scanned A4 documents per kind")
    parser.add_argument("--pages", type=int, default=0, help="read only the first N scanned documents (0: all)")
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args(argv)

    from intake.clock import SystemClock
    from intake.settings import get_settings

    settings = get_settings()
    config = settings.reading
    config.detector.threads = 1
    scans = load_set(args.seed, args.count, A4_KINDS, ["scanned"])
    if args.pages:
        scans = scans[: args.pages]
    pdfs = load_set(args.seed, max(args.count, 3), ["pdf_born_digital"], ["clean"])

    started = time.perf_counter()
    engines = OcrEngines(config, settings.cache_dir)
    _ = engines.page_reader
    load_s = time.perf_counter() - started
    rss_after_load = _peak_rss_mb()

    today = SystemClock().now().date()
    # Warm-up page (first inference allocates buffers), not counted.
    read_document(scans[0].path.read_bytes(), scans[0].path.name, config, engines, today=today)

    pages = 0
    dims: set[tuple[int, int]] = set()
    stages = CpuStageClock()
    started, cpu_started = time.perf_counter(), time.process_time()
    for sample in scans:
        read = read_timed(sample.path.read_bytes(), sample.path.name, engines, stages, today)
        pages += len(read)
        dims.update((p.width, p.height) for p in read)
    ocr_s, ocr_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak = _peak_rss_mb()

    pdf_pages = 0
    pdf_s = pdf_cpu = 0.0
    for sample in pdfs:
        data = sample.path.read_bytes()
        t0, c0 = time.perf_counter(), time.process_time()
        doc = read_document(data, sample.path.name, config, engines, today=today)
        pdf_s, pdf_cpu = pdf_s + time.perf_counter() - t0, pdf_cpu + time.process_time() - c0
        pdf_pages += sum(p.text_source == "pdf_text" for p in doc.pages)

    print(f"Throughput, seed {args.seed}: {pages} scanned A4 pages {sorted(dims)} px (300 dpi)")
    print(f"  models loaded in {load_s:.1f} s, RSS after load {rss_after_load:.0f} MB")
    print(
        f"  ours : {ocr_s / pages:.2f} s/page = {60 * pages / ocr_s:.1f} pages/min/core"
        f"   (target ≥ 40)   peak RSS {peak:.0f} MB (target ≤ 1024)"
    )
    print(f"         by CPU time {ocr_cpu / pages:.2f} s/page = {60 * pages / ocr_cpu:.1f} pages/min/core")
    by_stage = sorted(stages.seconds.items(), key=lambda kv: -kv[1])
    print("         CPU s/page by stage: " + ", ".join(f"{name} {sec / pages:.3f}" for name, sec in by_stage))
    if pdf_pages:
        print(
            f"  born-digital PDF text pages: {pdf_pages} in {pdf_s:.2f} s = {pdf_pages / pdf_s:.1f} pages/s"
            f" (target ≥ 20); by CPU time {pdf_pages / pdf_cpu:.1f} pages/s"
        )

    if not args.no_baseline:
        baseline = WholePageTesseract(config.recognizer)
        images: list[np.ndarray] = []
        for sample in scans:
            data = sample.path.read_bytes()
            info = preflight(data, sample.path.name, config.limits)
            for src in iter_pages(data, info, config):
                assert src.image is not None  # scanned pages are pictures, never a PDF text layer
                images.append(src.image)
        started, cpu_started = time.perf_counter(), time.process_time()
        for image in images:
            baseline.read(image)
        base_s, base_cpu = time.perf_counter() - started, time.process_time() - cpu_started
        print(
            f"  tess : {base_s / len(images):.2f} s/page = {60 * len(images) / base_s:.1f} pages/min/core"
            f" (whole-page Tesseract vie, same pages)"
        )
        per_page = base_cpu / len(images)
        print(f"         by CPU time {per_page:.2f} s/page = {60 / per_page:.1f} pages/min/core")
    return 0


if __name__ == "__main__":
    sys.exit(main())
