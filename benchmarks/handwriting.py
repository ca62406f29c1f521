"""The handwriting detector alone: how much handwriting it finds, what print it marks, its speed.

    .venv/bin/python -m benchmarks.handwriting [--seed 7301] [--count 4] [--levels scanned]

On the sample generator's forms with half their values written by hand (`--handwriting 0.5`) and
on typed công văn. The generator's truth lines stand in for the OCR lines, so this measures the
detector, not the OCR (`benchmarks.fields` measures the whole pipeline). A handwritten line is
found when a mark is reported on it or covers 30 % of its box; a printed line is marked when a mark
is reported on it. Photographs are left out by default: the truth boxes of a photographed page
are the upright boxes of its tilted lines, so they take in their neighbours.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from benchmarks.dataset import HELD_OUT_SEED
from models.document import TextLine, overlap
from pipeline.ocr.handwriting import find_handwriting

FORMS = ("don", "ct01", "to_khai_khai_sinh", "giay_khai_sinh")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=HELD_OUT_SEED)
    parser.add_argument("--count", type=int, default=4, help="documents per kind")
    parser.add_argument("--levels", default="scanned")
    args = parser.parse_args(argv)

    from samples.generate import generate_document, sub_seed

    for level in args.levels.split(","):
        found = written = marked = printed = pages = 0
        seconds = 0.0
        for kind in (*FORMS, "cong_van"):
            for n in range(args.count):
                seed = sub_seed(args.seed, kind, n) % 2**63
                doc = (
                    generate_document(kind, level, seed, handwriting=0.5)
                    if kind in FORMS
                    else generate_document(kind, level, seed)
                )
                for truth, image in zip(doc.truth["pages"], doc.pages, strict=True):
                    lines = [TextLine(ln["text"], tuple(ln["box"]), 0.9) for ln in truth["lines"]]
                    start = time.perf_counter()
                    marks = find_handwriting(np.asarray(image), lines)
                    seconds += time.perf_counter() - start
                    pages += 1
                    on_line = {m.line_index for m in marks if m.line_index is not None}
                    for i, ln in enumerate(truth["lines"]):
                        if ln.get("handwritten"):
                            written += 1
                            found += i in on_line or any(overlap(lines[i].box, m.box) >= 0.3 for m in marks)
                        else:
                            printed += 1
                            marked += i in on_line
        print(
            f"{level}: handwritten lines found {found} of {written} ({100 * found / max(written, 1):.1f} %); "
            f"printed lines marked {marked} of {printed}; {1000 * seconds / max(pages, 1):.0f} ms per page "
            f"({pages} pages)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
