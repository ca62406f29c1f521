"""Events per second through the outbox to a slow agency receiver, and how long each waits.

    .venv/bin/python -m benchmarks.webhooks [--events 400] [--dossiers 20] [--delay 0.05]
        [--senders 4] [--backoff 2.0] [--out out/webhooks.json]

A service on embedded SQLite under a temporary directory, `--dossiers` submitted dossiers of
the agency of procedure 2.000200, one webhook pointing at a receiver on 127.0.0.1 that takes
`--delay` seconds per request. `--events` events are recorded round-robin over the dossiers,
each in its own transaction (`intake.events.record_event`, as every change does), while this
process's sender (`intake.webhooks.start_webhook_sender`, as `sohoa serve` runs it) delivers.
Two runs: the receiver answering 204 every time, and failing (500) every third request.
Reported per run: events/s (events / time from the first commit to the last first arrival),
p50 / p95 delivery latency (first arrival minus the event's time), duplicates, and whether the
first arrival of each event came in its dossier's order. On a loaded machine the figures are
noisy: say so next to them.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import statistics
import tempfile
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from PIL import Image
from sqlalchemy import func, select

from intake.auth import Principal, Role
from intake.event_schemas import WebhookCreate
from intake.events import EventKind, record_event
from intake.schemas import ApplicantBase, DossierCreate
from intake.service import IntakeService, open_service
from intake.settings import Settings
from intake.webhooks import start_webhook_sender
from storage.agency_tables import WebhookDeliveryRow
from storage.tables import DossierRow

CLERK = Principal(Role.COUNTER, "nv.tiepnhan", "HN-HOANKIEM")
AGENCY = Principal(Role.AGENCY, "000.00.20.H26")


class SlowReceiver:
    """Takes `delay` seconds per request; fails (500) every `fail_every`-th; keeps the first
    arrival time of each event id."""

    def __init__(self, delay: float, fail_every: int) -> None:
        self.delay, self.fail_every = delay, fail_every
        self.requests = 0
        self.first: dict[str, tuple[float, dict]] = {}
        self.order: list[dict] = []  # first arrivals, in arrival order
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = receiver.answer(body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/events"

    def answer(self, body: bytes) -> int:
        with self.lock:
            self.requests += 1
            if self.fail_every and self.requests % self.fail_every == 0:
                return 500
        time.sleep(self.delay)
        event = json.loads(body)
        with self.lock:
            if event["id"] not in self.first:
                self.first[event["id"]] = (time.time(), event)
                self.order.append(event)
        return 204

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _png(seed: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 90), (seed % 256, 40, 99)).save(buffer, format="PNG")
    return buffer.getvalue()


def _dossiers(service: IntakeService, count: int) -> list[str]:
    codes = []
    for n in range(count):
        dossier = service.dossiers.create(
            CLERK,
            DossierCreate(
                procedure_code="2.000200", service_point_code="HN-HOANKIEM", applicant=ApplicantBase(full_name="Mẫu")
            ),
        )
        service.dossiers.add_file(CLERK, dossier.id, f"giay-to-{n}.png", io.BytesIO(_png(n)))
        code = service.dossiers.submit(CLERK, dossier.id).code
        assert code is not None
        codes.append(code)
    return codes


def _pending(service: IntakeService) -> int:
    with service.db.reading() as s:
        return s.scalar(select(func.count()).where(WebhookDeliveryRow.state == "pending")) or 0


def run(args: argparse.Namespace, fail_every: int) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="sohoa-wh-"))
    webhooks = {"allow_http": True, "senders": args.senders, "backoff_seconds": args.backoff}
    settings = Settings(data_dir=workdir / "data", cache_dir=workdir / "cache", webhooks=webhooks)
    service = open_service(settings)
    receiver = SlowReceiver(args.delay, fail_every)
    sender = None
    try:
        codes = _dossiers(service, args.dossiers)
        service.webhooks.register(AGENCY, WebhookCreate(url=receiver.url))
        sender = start_webhook_sender(service.ctx)
        occurred: dict[str, datetime] = {}
        started = time.time()
        for n in range(args.events):
            with service.db.transaction() as s:
                row = s.scalars(select(DossierRow).where(DossierRow.code == codes[n % len(codes)])).one()
                recorded = record_event(s, row, EventKind.STATUS_REPORTED, {"n": n}, service.ctx.clock)
                occurred[recorded.event_id] = recorded.occurred_at
        produced = time.time() - started
        deadline = time.monotonic() + args.timeout
        while _pending(service) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = _pending(service)
    finally:
        if sender is not None:
            sender.stop()
        receiver.stop()
        service.db.dispose()
        shutil.rmtree(workdir, ignore_errors=True)
    latencies = sorted(at - occurred[event_id].timestamp() for event_id, (at, _e) in receiver.first.items())
    last = max(at for at, _e in receiver.first.values())
    ordered, seen = True, dict[str, int]()
    for event in receiver.order:
        ordered = ordered and event["sequence"] > seen.get(event["dossier_code"], 0)
        seen[event["dossier_code"]] = event["sequence"]
    return {
        "receiver": f"{args.delay * 1000:.0f} ms per request" + (f", 500 every {fail_every}rd" if fail_every else ""),
        "events": args.events,
        "dossiers": args.dossiers,
        "senders": args.senders,
        "undelivered": left,
        "delivered": len(receiver.first),
        "requests": receiver.requests,
        "committed_per_second": round(args.events / produced, 1),
        "events_per_second": round(len(receiver.first) / (last - started), 1),
        "latency_p50_s": round(statistics.median(latencies), 3),
        "latency_p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 3),
        "order_per_dossier_held": ordered,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=400)
    parser.add_argument("--dossiers", type=int, default=20)
    parser.add_argument("--delay", type=float, default=0.05, help="seconds the receiver takes per request")
    parser.add_argument("--senders", type=int, default=4, help="settings.webhooks.senders")
    parser.add_argument("--backoff", type=float, default=2.0, help="settings.webhooks.backoff_seconds")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    results = [run(args, 0), run(args, 3)]
    for result in results:
        print(json.dumps(result, ensure_ascii=False))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
