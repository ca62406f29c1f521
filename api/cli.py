"""`sohoa` command line.

`sohoa process PATH... [--out FILE.json]` — the stable contract described in the README:
JSON on stdout (or FILE), a progress bar on stderr, one line per refused file on stderr,
exit 0 when every file was read, 2 when some were refused (the others are still written),
3 on an internal error.

Every other command answers a refusal (bad arguments, an unknown agency or service point, a
setting that does not parse, a database or store that cannot be reached) with one line on
stderr, `sohoa COMMAND: CODE: message`, and exit 2; a fault of the program itself with one
line and exit 3. No traceback reaches the operator.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import NoReturn

from api import cli_check, cli_users, scan_station
from models.errors import ErrorCode
from models.fields import FIELD_SPECS
from pipeline.errors import EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_OK, InputRefused

log = logging.getLogger("sohoa")


class UsageError(Exception):
    """A command line that cannot be parsed: one line, exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse prints the whole usage and exits; the operator gets one line instead.
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def _port(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"invalid port {value!r}: 1 to 65535")
    return int(value)


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

    from intake.clock import SystemClock
    from intake.settings import get_settings
    from pipeline.pages.preflight import FileInfo, preflight
    from pipeline.reader import OcrEngines, interpret_files, read_pages

    settings = get_settings()
    config = settings.reading
    engines = OcrEngines(config, settings.cache_dir)

    # Preflight everything first: bad files are reported at once, and the progress
    # bar knows the number of pages.
    accepted: list[tuple[str, bytes, FileInfo]] = []
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

    files: list[tuple[str, list]] = []
    internal_error = False
    total = sum(info.page_count for _, _, info in accepted)
    with tqdm(
        total=total, unit="trang", desc="Đang đọc", file=sys.stderr, disable=args.quiet or total <= 1, leave=False
    ) as bar:
        for source, data, info in accepted:
            try:
                files.append(
                    (source, read_pages(data, source, config, engines, info=info, on_page=lambda _p: bar.update(1)))
                )
            except InputRefused as err:
                refused.append(_refusal(source, err))
                print(f"sohoa: {source}: {err.code}: {err.message_vi}", file=sys.stderr)
            except Exception as exc:  # one broken file must not lose the others
                log.exception("internal error on %s", source)
                internal = InputRefused(ErrorCode.INTERNAL, type(exc).__name__)
                refused.append(_refusal(source, internal))
                print(f"sohoa: {source}: {internal.code}: {internal.message_vi}", file=sys.stderr)
                internal_error = True

    # The files of one call are one dossier: a form is checked against the card beside it.
    today = SystemClock().now().date()  # Vietnam time, never the machine's UTC date
    readings = [reading.to_dict() for reading in interpret_files(files, config, today)]
    payload: dict = {"files": readings}
    if refused:
        payload["errors"] = refused
    _write_json(payload, args.out)
    if internal_error:
        return EXIT_INTERNAL
    return EXIT_BAD_INPUT if refused else EXIT_OK


def cmd_fields(_args: argparse.Namespace) -> int:
    for spec in FIELD_SPECS:
        label = spec.labels[0] if spec.labels else "(bố cục)"  # official documents: found by layout
        print(f"{spec.name:<16} {spec.value_type:<7} {label} — {spec.description}")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app
    from api.logs import configure_logging
    from intake.settings import get_settings

    settings = get_settings()
    configure_logging(settings.log)  # JSON lines (or text) with request ids, uvicorn's own included
    app = create_app(settings, process=not args.no_processing)
    # Our logging, not uvicorn's (log_config=None); our access line (request id, route template,
    # status, duration, no query string) instead of uvicorn's.
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, log_level=None, access_log=False)
    return EXIT_OK


def cmd_worker(args: argparse.Namespace) -> int:
    """Run a Ray node: the head (`--head`) or a worker joining `--address`. Blocks until stopped
    (SIGTERM, Ctrl-C); then none of the node's processes is left running."""
    from intake.processing.ray_pool import LOOPBACK_ENV, prepare_ray_home
    from intake.processing.ray_processes import run_ray_node

    if not args.head and not args.address:
        print("sohoa worker: give --address HOST:PORT of the Ray head, or --head", file=sys.stderr)
        return EXIT_BAD_INPUT
    command = ["ray", "start", "--block", "--disable-usage-stats"]
    if args.head:
        command += ["--head", f"--port={args.port}", "--include-dashboard=false"]
    else:
        command += [f"--address={args.address}"]
    if args.node_ip_address:
        command += [f"--node-ip-address={args.node_ip_address}"]
    if args.num_cpus is not None:  # 0 keeps OCR actors off this node (e.g. the head)
        command += [f"--num-cpus={args.num_cpus}"]
    if args.metrics_export_port:  # Ray's own Prometheus metrics of this node (docs/OBSERVABILITY.md)
        command += [f"--metrics-export-port={args.metrics_export_port}"]
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0")
    if args.temp_dir:
        command += [f"--temp-dir={args.temp_dir}"]
        # Ray's dashboard probes cloud metadata unless HOME holds ray_bootstrap_config.yaml.
        env["HOME"] = str(prepare_ray_home(Path(args.temp_dir) / "home"))
    if args.head and args.node_ip_address == "127.0.0.1":
        env.update(LOOPBACK_ENV)  # a loopback-only cluster (tests, one machine)
    ray_bin = Path(sys.executable).parent / "ray"
    command[0] = str(ray_bin) if ray_bin.exists() else "ray"
    # A child, not exec: `ray start` leaves its agents running for a while after it ends.
    code = run_ray_node(command, env, Path(args.temp_dir) if args.temp_dir else None)
    return EXIT_OK if code == 0 else EXIT_INTERNAL


def cmd_keys(args: argparse.Namespace) -> int:
    from intake.auth import Role
    from intake.service import open_service
    from intake.settings import get_settings

    if args.role in ("list", "revoke") and args.service_point:
        raise UsageError(f"--service-point is for a counter or online key, not for `keys {args.role}`")
    if args.per_minute is not None and args.role != "online":
        raise UsageError("--per-minute is for an online key")
    if args.role == "revoke" and not (args.subject or "").isdigit():
        raise UsageError(f"no key with id {args.subject!r} (see `sohoa keys list`)")
    if args.role not in ("list", "revoke"):
        if not args.subject:
            raise UsageError("give the staff user name, or the agency's code")
        if args.role in ("counter", "online") and not args.service_point:
            raise UsageError(f"a {args.role} key belongs to one service point: --service-point CODE")
    service = open_service(get_settings())
    if args.role == "list":
        for row in service.keys.list():
            revoked = f"revoked {row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "active"
            print(
                f"{row.id:>5}  {row.role:<9} {row.subject:<24} {row.service_point_code or '-':<16} "
                f"{f'{row.per_minute}/min' if row.per_minute else '-':<10} "
                f"created {row.created_at:%Y-%m-%d %H:%M}  {revoked}"
            )
        return EXIT_OK
    if args.role == "revoke":
        if not service.keys.revoke(int(args.subject)):
            raise UsageError(f"no key with id {args.subject!r} (see `sohoa keys list`)")
        return EXIT_OK
    print(service.keys.create(Role(args.role), args.subject, args.service_point, args.per_minute))
    return EXIT_OK


def cmd_db(_args: argparse.Namespace) -> int:
    from intake.service import open_service
    from intake.settings import get_settings

    open_service(get_settings())  # migrates to head and seeds agencies and service points
    print("sohoa: database is up to date", file=sys.stderr)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from api.demo import run_demo
    from intake.settings import get_settings

    if not args.samples.is_dir():
        raise UsageError(f"--samples {args.samples}: no such directory")
    return run_demo(get_settings(), args.samples, args.out)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="sohoa", description="Số Hóa: đọc và số hóa hồ sơ thủ tục hành chính.")
    sub = parser.add_subparsers(dest="command", required=True)

    process = sub.add_parser("process", help="read scanned pages and PDFs, print text and fields as JSON")
    process.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    process.add_argument("--out", type=Path, default=None, metavar="FILE.json", help="write JSON here, not stdout")
    process.add_argument("--quiet", action="store_true", help="no progress bar")
    process.set_defaults(func=cmd_process)

    fields = sub.add_parser("fields", help="list the field names of the output")
    fields.set_defaults(func=cmd_fields)

    serve = sub.add_parser("serve", help="run the HTTP API (and, by default, the OCR dispatcher on Ray)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_port, default=8000)
    serve.add_argument("--no-processing", action="store_true", help="API only; another process dispatches OCR")
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run a Ray node: --head, or join a cluster with --address")
    worker.add_argument("--address", help="HOST:PORT of the Ray head to join")
    worker.add_argument("--head", action="store_true", help="start the cluster's head node")
    worker.add_argument("--port", type=_port, default=6379, help="head's port")
    worker.add_argument("--node-ip-address", help="this node's address (127.0.0.1 keeps Ray on loopback)")
    worker.add_argument("--num-cpus", type=int)
    worker.add_argument("--temp-dir", help="Ray's temp dir (keep it short)")
    worker.add_argument("--metrics-export-port", type=_port, help="serve Ray's own metrics of this node here")
    worker.set_defaults(func=cmd_worker)

    keys = sub.add_parser(
        "keys",
        help="create an API key (printed once; only its hash is stored), list keys, or revoke one: keys revoke ID",
    )
    keys.add_argument("role", choices=["counter", "reviewer", "agency", "online", "admin", "list", "revoke"])
    keys.add_argument(
        "subject",
        nargs="?",
        help="staff user name, the agency's code for role agency, the sender's name for role online "
        "(e.g. dvc-quocgia), or the key id to revoke",
    )
    keys.add_argument(
        "--service-point",
        metavar="CODE",
        help="a counter key's service point (it sees only that point's dossiers), or the point that receives "
        "an online key's dossiers (their codes come from its receiving unit); required for both",
    )
    keys.add_argument(
        "--per-minute",
        type=int,
        metavar="N",
        help="an online key's own limit of requests a minute (default: settings online.per_minute)",
    )
    keys.set_defaults(func=cmd_keys)

    cli_users.register(sub)
    cli_check.register(sub)
    db = sub.add_parser("db", help="migrate the database to the newest schema and load reference data")
    db.set_defaults(func=cmd_db)

    demo = sub.add_parser("demo", help="the whole flow on embedded defaults: counter, Ray OCR, review, agency")
    demo.add_argument("--samples", type=Path, default=Path("samples/examples"))
    demo.add_argument("--out", type=Path, default=Path("out/agency"))
    demo.set_defaults(func=cmd_demo)
    scan_station.register(sub)
    return parser


def _refusal_line(exc: BaseException) -> str | None:
    """One line for an error the operator can act on; None for a fault of the program."""
    from pydantic import ValidationError
    from sqlalchemy.exc import ArgumentError, OperationalError

    from intake.errors import ServiceError
    from models.catalogue import ReferenceDataError
    from storage.db import DatabaseUnavailable
    from storage.objects import StorageUnavailable

    if isinstance(exc, UsageError):
        return str(exc)
    if isinstance(exc, ServiceError | InputRefused):
        return f"{exc.code}: {ServiceError(exc.code, exc.detail).body()['message']}"
    if isinstance(exc, ValidationError):  # the settings, from SOHOA_* variables
        first = exc.errors()[0]
        name = "SOHOA_" + "__".join(str(part) for part in first["loc"]).upper()
        return f"{ErrorCode.INVALID_REQUEST}: {name}: {first['msg']}"
    if isinstance(exc, ReferenceDataError):
        return f"{ErrorCode.INVALID_REQUEST}: {exc}"
    if isinstance(exc, ArgumentError):
        return f"{ErrorCode.DATABASE_UNAVAILABLE}: SOHOA_DATABASE_URL: {exc}"
    if isinstance(exc, OperationalError | DatabaseUnavailable):
        message = ServiceError(ErrorCode.DATABASE_UNAVAILABLE).body()["message"]
        return f"{ErrorCode.DATABASE_UNAVAILABLE}: {message} ({type(exc.__cause__ or exc).__name__})"
    if isinstance(exc, StorageUnavailable):
        return f"{ErrorCode.STORAGE_UNAVAILABLE}: {ServiceError(ErrorCode.STORAGE_UNAVAILABLE).body()['message']}"
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{ErrorCode.FILE_UNREADABLE}: {where}{exc.strerror or type(exc).__name__}"
    if isinstance(exc, SystemExit) and isinstance(exc.code, str):  # the demo's own stops
        return exc.code.removeprefix("sohoa demo: ")
    return None


def _configure_logging() -> None:
    """Warnings and errors only, in the configured format (`serve` widens it to its level); a
    setting that does not parse leaves readable lines, and the command reports the setting."""
    from pydantic import ValidationError

    from api.logs import configure_logging
    from intake.settings import LogSettings, get_settings

    try:
        settings = get_settings().log
    except ValidationError:
        settings = LogSettings(format="text")
    configure_logging(settings, floor=logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    command = "sohoa"
    try:
        _configure_logging()
        args = build_parser().parse_args(argv)
        command = f"sohoa {args.command}"
        return args.func(args)
    except (Exception, SystemExit) as exc:
        if isinstance(exc, SystemExit) and not isinstance(exc.code, str):
            raise  # --help, or a command's own exit status
        line = _refusal_line(exc)
        if line is None:  # a fault of the program: still one line; the trace goes to the debug log
            log.debug("internal error", exc_info=True)
            print(f"{command}: {ErrorCode.INTERNAL}: {type(exc).__name__}: {exc}".splitlines()[0], file=sys.stderr)
            return EXIT_INTERNAL
        print(f"{command}: {' '.join(line.split())}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
