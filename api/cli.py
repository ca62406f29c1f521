"""`sohoa` command line.

`sohoa process PATH... [--out FILE.json]` — the stable contract described in the README:
JSON on stdout (or FILE), a progress bar on stderr, one line per refused file on stderr,
exit 0 when every file was read, 2 when some were refused (the others are still written),
3 on an internal error.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
from pathlib import Path

from models.errors import ErrorCode
from models.fields import FIELD_SPECS
from pipeline.errors import EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_OK, InputRefused

log = logging.getLogger("sohoa")


def _refusal(source: str, err: InputRefused) -> dict:
    return {"source": source, "code": str(err.code), "message": err.message_vi, "message_en": err.message_en}


def _write_json(payload: dict, out: Path | None) -> None:
    text = json.dumps(payload, ensure_ascii=False, indent=2)
    if out is None:
        sys.stdout.write(text + "\n")
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    # Write-then-rename: a crash never leaves a half-written result file.
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=out.parent, delete=False, suffix=".tmp") as fh:
        fh.write(text + "\n")
    os.replace(fh.name, out)


def cmd_process(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from api.settings import get_settings
    from pipeline.preflight import preflight
    from pipeline.reader import OcrEngines, read_document

    settings = get_settings()
    config = settings.reading
    engines = OcrEngines(config, settings.cache_dir)

    # Preflight everything first: bad files are reported at once, and the progress
    # bar knows the number of pages.
    accepted: list[tuple[str, bytes, object]] = []
    refused: list[dict] = []
    for path in args.paths:
        source = str(path)
        try:
            try:
                data = Path(path).read_bytes()
            except OSError as exc:
                raise InputRefused(ErrorCode.FILE_UNREADABLE, exc.strerror or type(exc).__name__) from exc
            info = preflight(data, Path(path).name, config.limits, pdf_dpi=config.pdf_dpi)
            accepted.append((source, data, info))
        except InputRefused as err:
            refused.append(_refusal(source, err))
            print(f"sohoa: {source}: {err.code}: {err.message_vi}", file=sys.stderr)

    documents: list[dict] = []
    internal_error = False
    total = sum(info.page_count for _, _, info in accepted)
    with tqdm(total=total, unit="trang", desc="Đang đọc", file=sys.stderr,
              disable=args.quiet or total <= 1, leave=False) as bar:
        for source, data, info in accepted:
            try:
                doc = read_document(data, source, config, engines, info=info, on_page=lambda _p: bar.update(1))
                documents.append(doc.to_dict())
            except InputRefused as err:
                refused.append(_refusal(source, err))
                print(f"sohoa: {source}: {err.code}: {err.message_vi}", file=sys.stderr)
            except Exception as exc:  # one broken file must not lose the others
                log.exception("internal error on %s", source)
                err = InputRefused(ErrorCode.INTERNAL, type(exc).__name__)
                refused.append(_refusal(source, err))
                print(f"sohoa: {source}: {err.code}: {err.message_vi}", file=sys.stderr)
                internal_error = True

    payload: dict = {"documents": documents}
    if refused:
        payload["errors"] = refused
    _write_json(payload, args.out)
    if internal_error:
        return EXIT_INTERNAL
    return EXIT_BAD_INPUT if refused else EXIT_OK


def cmd_fields(_args: argparse.Namespace) -> int:
    for spec in FIELD_SPECS:
        print(f"{spec.name:<16} {spec.value_type:<7} {spec.labels[0]} — {spec.description}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sohoa", description="Số Hóa: đọc và số hóa hồ sơ thủ tục hành chính.")
    sub = parser.add_subparsers(dest="command", required=True)

    process = sub.add_parser("process", help="read scanned pages and PDFs, print text and fields as JSON")
    process.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    process.add_argument("--out", type=Path, default=None, metavar="FILE.json", help="write JSON here, not stdout")
    process.add_argument("--quiet", action="store_true", help="no progress bar")
    process.set_defaults(func=cmd_process)

    fields = sub.add_parser("fields", help="list the field names of the output")
    fields.set_defaults(func=cmd_fields)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
