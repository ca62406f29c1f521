"""How often the two-page rule (pipeline/pages/spread.py) is wrong, on everything we have.

    python -m samples.photo_figures [--seed N] [--count K] [--real DIR]

- false positives: every page of samples.generate (every kind x level, `count` documents),
  the single-page photos of samples.photos (portrait, sideways, landscape certificate), and
  every image of the real-dev set (`page.png`, `scan_sim.jpg`) as it is and photographed;
- false negatives: the two-page photos of samples.photos (booklets, sheets).

Each picture is judged twice: by `find_spread` on the upright grey picture (the rule alone,
whatever the file type) and by `preflight` on the file's bytes (what a clerk gets: PNG and
TIFF scans are not checked for two pages). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from models.errors import ErrorCode
from pipeline.config import InputLimits
from pipeline.errors import InputRefused
from pipeline.pages.preflight import preflight
from pipeline.pages.spread import find_spread
from samples.degrade import LEVELS
from samples.generate import KINDS, generate_document, supported
from samples.photos import HELD_OUT_SEED, encode_photo, photograph, specimens, two_page_spread

REAL_DEV = Path(__file__).resolve().parents[2] / "shared" / "real-dev"


def _judge(upright: Image.Image, data: bytes, name: str) -> tuple[bool, bool]:
    """(the rule says two pages, preflight refuses with TWO_PAGES_IN_PHOTO)."""
    rule = find_spread(np.asarray(upright.convert("L"))) is not None
    try:
        preflight(data, name, InputLimits())
        refused = False
    except InputRefused as exc:
        refused = exc.code is ErrorCode.TWO_PAGES_IN_PHOTO
    return rule, refused


def _generated(seed: int, count: int) -> Iterator[tuple[str, Image.Image, bytes, str]]:
    for kind in KINDS:
        for level in LEVELS:
            if not supported(kind, level):
                continue
            for n in range(count):
                doc = generate_document(kind, level, seed + n)
                for i, page in enumerate(doc.pages):
                    data = doc.page_files[i] if doc.page_files else _jpeg(page)
                    ext = "png" if data.startswith(b"\x89PNG") else "jpg"
                    yield f"generate/{kind}-{level}-{n}-p{i}", page, data, f"x.{ext}"


def _jpeg(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="JPEG", quality=85)
    return buf.getvalue()


def _real(root: Path, seed: int) -> Iterator[tuple[str, Image.Image, bytes, str]]:
    for item in sorted(p for p in (root / "items").iterdir() if p.is_dir()):
        for file in ("page.png", "scan_sim.jpg"):
            path = item / file
            if not path.exists():
                continue
            data = path.read_bytes()
            image = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
            yield f"real-dev/{item.name}/{file}", image, data, file
        photo = photograph(Image.open(item / "page.png"), seed, "real-dev", item.name)
        yield f"real-dev/{item.name}/photographed", photo, encode_photo(photo, "jpeg", 6), "photo.jpg"


def figures(seed: int, count: int, real: Path | None, extra_spreads: int = 0) -> dict:
    singles: list[tuple[str, Image.Image, bytes, str]] = list(_generated(seed, count))
    spreads: list[tuple[str, Image.Image, bytes, str]] = []
    for n in range(extra_spreads):
        for style in ("booklet", "sheets"):
            spec = two_page_spread(seed + 1000 + n, style=style, orientation=(1, 6, 8, 3)[n % 4])
            spreads.append((f"photos/extra/{spec.name}", spec.upright, spec.data, spec.name))
    for spec in specimens(seed, count):
        target = spreads if spec.two_pages else singles
        target.append((f"photos/{spec.name}", spec.upright, spec.data, spec.name))
    if real is not None and (real / "items").is_dir():
        singles.extend(_real(real, seed))
    false_pos = [(name, *_judge(img, data, fname)) for name, img, data, fname in singles]
    caught = [(name, *_judge(img, data, fname)) for name, img, data, fname in spreads]
    return {
        "seed": seed,
        "single_pages": len(singles),
        "false_positives_rule": sorted(n for n, rule, _ in false_pos if rule),
        "false_positives_preflight": sorted(n for n, _, refused in false_pos if refused),
        "two_page_photos": len(spreads),
        "missed_rule": sorted(n for n, rule, _ in caught if not rule),
        "missed_preflight": sorted(n for n, _, refused in caught if not refused),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m samples.photo_figures", description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=HELD_OUT_SEED)
    ap.add_argument("--count", type=int, default=2, help="documents per kind and level / photos per subject")
    ap.add_argument("--spreads", type=int, default=10, help="more two-page photos of each style")
    ap.add_argument("--real", type=Path, default=REAL_DEV, help="the real-dev folder (read only)")
    args = ap.parse_args(argv)
    json.dump(figures(args.seed, args.count, args.real, args.spreads), sys.stdout, ensure_ascii=False, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
