"""Human summary of a `sohoa process` JSON file (used by scripts/demo.sh).

ID numbers are masked: the summary goes to a terminal that others may see.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pipeline.masking import mask_value


def summarize(payload: dict) -> str:
    out = []
    for doc in payload.get("documents", []):
        pages = doc["pages"]
        sources = ",".join(sorted({p["text_source"] for p in pages}))
        out.append(f"{doc['source']}: {doc['kind']} — {len(pages)} trang ({sources})")
        for name, field in doc["fields"].items():
            out.append(f"    {name:<24} {mask_value(name, field['value']):<40} {field['status']}"
                       f"  ({field['confidence']:.2f})")
    for err in payload.get("errors", []):
        out.append(f"{err['source']}: TỪ CHỐI {err['code']}: {err['message']}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    print(summarize(json.loads(Path(args[0]).read_text(encoding="utf-8"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
