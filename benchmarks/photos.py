"""Phone photos read with and without flattening: card and form fields `ok`, and their precision.

    .venv/bin/python -m benchmarks.photos [--seed 182026] [--count 4] [--kinds cccd_front,...] [--show-wrong]
        [--style alt] [--modes off,on]

Each document of `samples.generate` at the "photo" level (a card or an A4 form laid on a desk,
seen in perspective, lit unevenly: samples.degrade) is read twice by the real pipeline: as it
was before issue 19 (flattening off: the photo read as it is) and with the document cut out and
flattened (pipeline/pages/flatten.py). Per group it prints the share of truth fields marked `ok`,
the precision of `ok` (value equal to the truth), wrong values left unflagged, and how many
photos were flattened. The default seed is the photos' held-out seed (samples.photos), never
tuned on. `--varied` photographs each document the harder way of samples.photos.varied_document
(clutter, small in frame, turned, glare, blur, JPEG quality). Slow (a card ~2 s, a form ~6 s
per reading on one core): keep --count small.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from benchmarks.fields import Tally, percent_of, score_document
from pipeline.reader import OcrEngines, interpret_files, read_pages

CARD_FRONTS = ("cccd_front", "can_cuoc_front")
CARD_BACKS = ("cccd_back", "can_cuoc_back")
FORMS = ("to_khai_khai_sinh", "ct01", "don", "giay_khai_sinh")


def main(argv: list[str] | None = None) -> int:
    from intake.clock import SystemClock
    from intake.settings import get_settings
    from pipeline.pages.preflight import preflight
    from pipeline.pages.sources import iter_pages
    from samples.generate import generate_document, sub_seed
    from samples.photos import HELD_OUT_SEED, varied_document

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=HELD_OUT_SEED)
    parser.add_argument("--count", type=int, default=4, help="photos per kind")
    parser.add_argument("--kinds", default=",".join((*CARD_FRONTS, *FORMS)))
    parser.add_argument("--modes", default="off,on", help="flattening off, on, or both")
    parser.add_argument("--show-wrong", action="store_true")
    parser.add_argument("--varied", action="store_true", help="harder photos (samples.photos.varied_document)")
    parser.add_argument("--style", choices=("default", "alt"), default="default", help="how documents are drawn")
    args = parser.parse_args(argv)

    settings = get_settings()
    base = settings.reading
    engines = OcrEngines(base, settings.cache_dir)
    today = SystemClock().now().date()
    modes = args.modes.split(",")
    tallies: dict[tuple[str, str], Tally] = defaultdict(Tally)
    flattened: dict[tuple[str, str], int] = defaultdict(int)
    page_seconds: dict[tuple[str, str], float] = defaultdict(float)
    started = time.perf_counter()
    for kind in args.kinds.split(","):
        group = "card fronts" if kind in CARD_FRONTS else "card backs" if kind in CARD_BACKS else "forms"
        for n in range(args.count):
            seed = sub_seed(args.seed, "photos-benchmark", kind, n) % 2**63
            if args.varied:
                photo = varied_document(kind, seed, style=args.style)
                data, truth = photo.data, photo.truth
            else:
                doc = generate_document(kind, "photo", seed, style=args.style)
                data, truth = doc.page_files[0], doc.truth
            name = f"{kind}-photo-{n:03d}.jpg"
            info = preflight(data, name, base.limits, pdf_dpi=base.pdf_dpi)
            for mode in modes:
                config = base.model_copy(update={"flatten_photos": mode == "on"})
                began = time.perf_counter()
                flattened[(group, mode)] += sum(p.flattened is not None for p in iter_pages(data, info, config))
                page_seconds[(group, mode)] += time.perf_counter() - began
                pages = read_pages(data, name, config, engines, info)
                reading = interpret_files([(name, pages)], config, today)[0]
                if args.show_wrong:
                    print(f"\n{name} flatten {mode}:", file=sys.stderr)
                tallies[(group, mode)].add(score_document(truth, reading.parts, args.show_wrong))
            print(f"\r{kind} {n + 1}/{args.count}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    header = (
        f"{'group':12} {'flatten':7} {'docs':>4} {'flattened':>9} {'fields':>6} "
        f"{'ok share':>9} {'ok prec':>9} {'wrong ok':>8} {'s/photo':>8}"
    )
    print(header)
    print("-" * len(header))
    for (group, mode), t in sorted(tallies.items()):
        print(
            f"{group:12} {mode:7} {t.docs:4d} {flattened[(group, mode)]:9d} {t.fields:6d} "
            f"{percent_of(t.ok, t.fields)} {percent_of(t.ok_right, t.ok)} {t.wrong_unflagged:8d} "
            f"{page_seconds[(group, mode)] / max(t.docs, 1):8.2f}"
        )
    print("s/photo: decoding the photo (and flattening it when on), before any reading")
    print(
        f"{'varied' if args.varied else 'generator'} photos, style {args.style}, seed {args.seed}, "
        f"{args.count} per kind, {time.perf_counter() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
