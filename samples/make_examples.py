"""Regenerate the small committed example set in samples/examples/ (seed 20251205).

    python -m samples.make_examples [--out samples/examples]

Every file is synthetic and marked SPECIMEN (image metadata, PDF subject, truth JSON).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from samples.generate import GENERATOR, generate_document, sub_seed, write_document

SEED = 20251205
EXAMPLES: tuple[tuple[str, str], ...] = (
    ("cccd_front", "clean"),
    ("cccd_front", "scanned"),
    ("cccd_front", "photo"),
    ("cccd_back", "scanned"),
    ("to_khai_khai_sinh", "scanned"),
    ("don", "clean"),
    ("ct01", "scanned"),
    ("cong_van", "clean"),
    ("pdf_born_digital", "clean"),
    ("pdf_mixed", "scanned"),
)


def make_examples(out: Path) -> dict:
    docs = []
    for kind, level in EXAMPLES:
        seed = sub_seed(SEED, kind, 0) % 2**63  # same content as write_set(..., seed=SEED) document 000
        doc = generate_document(kind, level, seed)
        stem = f"{kind}-{level}-000"
        file_name, truth_name = write_document(doc, out, stem)
        docs.append(
            {
                "kind": kind,
                "level": level,
                "index": 0,
                "seed": seed,
                "file": file_name,
                "truth": truth_name,
                "pages": len(doc.truth["pages"]),
            }
        )
    manifest = {"specimen": True, "generator": GENERATOR, "seed": SEED, "documents": docs}
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return manifest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).parent / "examples"))
    make_examples(Path(ap.parse_args().out))


if __name__ == "__main__":
    main()
