"""Seconds to sign one package PDF and to verify it (pyHanko; PAdES B-B with a PKCS#12 key, RSA
2048), for package PDFs of a few page counts made by the product's own PDF builder.

    .venv/bin/python -m benchmarks.signing [--pages 1,10,40] [--repeat 5]

Prints, per size: the PDF's size, the median seconds to sign (incremental update, signature
included) and to verify (hash, CMS check, chain to the CA), and to hash it alone, which is
what the agency download adds beside the verification (intake/signing_checks.py). The key is
the development certificate, made in a temporary DATA_DIR (same RSA 2048 as a PKCS#12 key).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image

from intake.clock import FixedClock
from intake.settings import Settings
from intake.signing import open_signer, trust_roots, verify_pdf
from models.document import PageText, TextLine, TextSource
from pipeline.output.searchable_pdf import PageImage, build_searchable_pdf


def _page(index: int, rng: np.random.Generator) -> PageImage:
    """An A4 page at 200 dpi of noise-speckled paper (a JPEG about the size of a real scan's)."""
    width, height = 1654, 2339
    pixels = (rng.normal(235, 12, (height, width, 3))).clip(0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=85)
    lines = [
        TextLine(f"Dòng {n} của trang {index + 1}", (100, 100 + 60 * n, 1200, 150 + 60 * n), 0.9) for n in range(30)
    ]
    return PageImage(buffer.getvalue(), PageText(index, width, height, TextSource.OCR, lines), 200.0)


def _median(work, repeat: int) -> float:  # noqa: ANN001
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", default="1,10,40")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(18)
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder) / "data")
        print(f"{'pages':>5} {'MB':>7} {'sign s':>8} {'verify s':>9} {'sha256 s':>9}")
        with open_signer(settings, FixedClock(datetime(2026, 12, 6, tzinfo=UTC))) as signer:
            roots = trust_roots(settings)
            for count in (int(n) for n in args.pages.split(",")):
                pdf = build_searchable_pdf([_page(i, rng) for i in range(count)])
                signed, _record = signer.sign(pdf)
                assert verify_pdf(signed, roots).ok
                sign = _median(lambda pdf=pdf: signer.sign(pdf), args.repeat)
                verify = _median(lambda signed=signed: verify_pdf(signed, roots), args.repeat)
                digest = _median(lambda signed=signed: hashlib.sha256(signed).hexdigest(), args.repeat)
                print(f"{count:>5} {len(signed) / 1e6:>7.2f} {sign:>8.3f} {verify:>9.3f} {digest:>9.4f}")


if __name__ == "__main__":
    main()
