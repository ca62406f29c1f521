"""`sohoa check`: the integrity check of stored originals, packages and database references
(intake/integrity.py) on the configured database and object store. It only reads: safe to run
on a live system, and after every restore (deploy/BACKUP.md).

    sohoa check [--json] [--dossier CODE] [--quick] [--no-orphans] [--strict] [--jobs N] [--quiet]

Exit status: 0 nothing wrong (warnings and notes may be printed), 1 errors found (with
`--strict`, warnings too), 2 the check could not run (one line on stderr: a bad argument, an
unknown dossier, a database or store that cannot be reached), 3 a fault of the program.
The report names dossiers by code and objects by key: never a name, an ID number or a file name.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from pipeline.errors import EXIT_OK

if TYPE_CHECKING:
    from intake.integrity import Report

EXIT_PROBLEMS = 1  # errors found (or warnings, with --strict)
SHOWN_PER_CODE = 50  # lines per finding code in the human report; --json has them all

STAGES = {
    "references": "Tham chiếu giữa các dòng (references)",
    "originals": "Bản gốc (originals)",
    "packages": "Gói dữ liệu (packages)",
    "pages": "Kết quả đọc trang (page results)",
    "objects": "Đối tượng trong kho (objects)",
}
LEVELS = {"error": "LỖI", "warning": "CẢNH BÁO", "info": "THÔNG TIN"}


def _progress_bar(quiet: bool) -> tuple[Callable[[str, int, int | None], None], Callable[[], None]]:
    """A progress bar on stderr per stage (only on a terminal); and what closes the last one."""
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def update(stage: str, done: int, total: int | None) -> None:
        if quiet:
            return
        if stage not in bars:
            for bar in bars.values():
                bar.close()
            bars.clear()
            bars[stage] = tqdm(desc=STAGES.get(stage, stage), total=total, file=sys.stderr, disable=None, leave=False)
        bar = bars[stage]
        bar.total = total
        bar.update(done - bar.n)

    def close() -> None:
        for bar in bars.values():
            bar.close()

    return update, close


def _print_human(report: Report) -> None:
    shown: dict[str, int] = {}
    for f in report.findings:
        shown[f.code] = shown.get(f.code, 0) + 1
        if shown[f.code] <= SHOWN_PER_CODE:
            print(f"{LEVELS[f.level]:<10} {f.code:<27} {f.dossier or '-':<22} {f.object_key or '-'}\n    {f.message}")
    summary = report.to_dict()["summary"]
    for code, n in summary["by_code"].items():
        if n > SHOWN_PER_CODE:
            print(f"... {code}: {n - SHOWN_PER_CODE} phát hiện khác (more findings; --json lists them all)")
    checked = summary["checked"]
    print(
        f"Kiểm tra toàn vẹn (integrity check): {report.errors} lỗi (errors), {report.warnings} cảnh báo "
        f"(warnings), {summary['info']} thông tin (notes); đã kiểm {checked.get('originals', 0)} bản gốc "
        f"(originals), {checked.get('packages', 0)} gói / {checked.get('package_files', 0)} tệp gói "
        f"(packages / files), {checked.get('signatures', 0)} chữ ký số (signatures), "
        f"{checked.get('pages', 0)} trang (pages), {checked.get('objects', 0)} đối tượng "
        f"trong kho (objects listed)."
    )
    print("KẾT QUẢ: KHÔNG CÓ LỖI (clean)" if report.errors == 0 else "KẾT QUẢ: CÓ LỖI (errors found)")


def cmd_check(args: argparse.Namespace) -> int:
    from api.cli import UsageError
    from intake.integrity import CheckOptions, check_configured
    from intake.settings import get_settings

    if args.jobs < 1 or args.jobs > 64:
        raise UsageError(f"--jobs {args.jobs}: 1 to 64")
    options = CheckOptions(dossier=args.dossier, hashing=not args.quick, orphans=not args.no_orphans, workers=args.jobs)
    progress, close = _progress_bar(args.quiet)
    try:
        report = check_configured(get_settings(), options, progress)
    finally:
        close()
    if args.json:
        sys.stdout.write(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        _print_human(report)
    failing = report.errors + (report.warnings if args.strict else 0)
    return EXIT_PROBLEMS if failing else EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    check = sub.add_parser(
        "check",
        help="verify stored originals and packages against their SHA-256, the database's references, and orphans",
        description="Exit 0: no errors; 1: errors found (--strict: or warnings); 2: could not check; 3: internal.",
    )
    check.add_argument("--json", action="store_true", help="the whole report as JSON on stdout")
    check.add_argument("--dossier", metavar="CODE", help="one dossier only (its files, rows and package area)")
    check.add_argument("--quick", action="store_true", help="only whether each object exists (no hashing)")
    check.add_argument("--no-orphans", action="store_true", help="do not list the store for objects no row uses")
    check.add_argument("--strict", action="store_true", help="warnings (orphans, missing readings) also exit 1")
    check.add_argument("--jobs", type=int, default=4, metavar="N", help="objects hashed at once (default 4)")
    check.add_argument("--quiet", action="store_true", help="no progress bar")
    check.set_defaults(func=cmd_check)
