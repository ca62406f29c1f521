"""Helpers of the webhook tests and benchmark: a receiving server on loopback that an agency
would run (it verifies each signature and its timestamp, de-duplicates by event id, and can be
told to fail, to time out, to hold requests, or to come back), and events produced cheaply
(dossiers put where OCR would leave them, approved, acknowledged, status reported)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy import select

from intake.auth import Principal, Role
from intake.schemas import StatusReport
from intake.service import IntakeService
from storage.agency_tables import AgencyEventRow, WebhookDeliveryRow
from tests.intake_support import submit_files
from tests.integrity_support import png, ready_for_review

REPLAY_WINDOW = 300  # seconds: a receiver refuses a timestamp further off than this
AGENCY = Principal(Role.AGENCY, "000.00.20.H26")  # the agency of procedure 2.000200
REVIEWER = Principal(Role.REVIEWER, "kt.kiemtra")
IN_PROGRESS, PAPERS_ASKED = 4, 5  # national statuses an agency may report back and forth


def verify(secret: str, headers: dict[str, str], body: bytes, now: float | None = None) -> bool:
    """What docs/WEBHOOKS.md tells an agency to check: the HMAC of "<timestamp>." + body, and
    a timestamp within the replay window."""
    timestamp = headers.get("x-sohoa-timestamp", "")
    if not timestamp.isdigit() or abs((now or time.time()) - int(timestamp)) > REPLAY_WINDOW:
        return False
    expected = "v1=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers.get("x-sohoa-signature", ""))


@dataclass
class Arrival:
    event: dict
    verified: bool
    header_id: str
    at: float


@dataclass
class Receiver:
    """An agency's receiver. `mode`: "ok" (204), "fail" (500), "slow" (sleeps `delay` seconds
    then answers 200), "hold" (answers only once `release()` is called). `fail_every`: every
    n-th request fails with 500 whatever the mode."""

    secret: str = ""
    mode: str = "ok"
    delay: float = 0.0
    fail_every: int = 0
    arrivals: list[Arrival] = field(default_factory=list)
    requests: int = 0
    held: threading.Event = field(default_factory=threading.Event)  # a request is being held
    _release: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    def start(self, port: int = 0) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = receiver._answer(dict(self.headers.items()), body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sohoa/events"

    def stop(self) -> None:
        self.release()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def release(self) -> None:
        self._release.set()

    def hold(self) -> None:
        self._release.clear()
        self.held.clear()
        self.mode = "hold"

    def _answer(self, headers: dict[str, str], body: bytes) -> int:
        headers = {k.lower(): v for k, v in headers.items()}
        with self._lock:
            self.requests += 1
            failing = self.mode == "fail" or (self.fail_every and self.requests % self.fail_every == 0)
        if failing:
            return 500
        if self.mode == "slow":
            time.sleep(self.delay)
        elif self.mode == "hold":
            self.held.set()
            self._release.wait()
            return 200  # to a sender that may be gone: its delivery is posted again
        event = json.loads(body)
        with self._lock:
            self.arrivals.append(
                Arrival(
                    event, verify(self.secret, headers, body), headers.get("x-sohoa-event-id", ""), time.monotonic()
                )
            )
        return 204

    def unique(self) -> dict[str, Arrival]:
        """The first arrival of each event id: what a de-duplicating receiver acts on."""
        first: dict[str, Arrival] = {}
        with self._lock:
            for arrival in self.arrivals:
                first.setdefault(arrival.event["id"], arrival)
        return first


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not in {timeout} s: {what}"
        time.sleep(0.05)


def ready_dossier(service: IntakeService, seed: int) -> str:
    """A dossier received, as OCR would leave it, approved: one dossier.ready event. Its code."""
    code = submit_files(service, (f"giay-to-{seed}.png", png(seed)))
    ready_for_review(service, code, ("quoc_tich",))
    assert service.review.approve(REVIEWER, code).state == "validated"
    return code


def status_reports(service: IntakeService, code: str, count: int) -> None:
    """`count` status reports on an acknowledged dossier (in progress, papers asked, ...): one
    dossier.status_reported event each."""
    current = service.agency.acknowledge(AGENCY, code).national_status
    for n in range(count):
        status = IN_PROGRESS if current != IN_PROGRESS else PAPERS_ASKED
        current = service.agency.report_status(
            AGENCY, code, StatusReport(status=status, note=f"lần {n}")
        ).national_status


def events_of(service: IntakeService, agency: str = AGENCY.subject) -> list[tuple[str, str, int]]:
    """(event id, dossier code, sequence) of every event recorded for the agency, in order."""
    with service.db.reading() as s:
        rows = s.execute(
            select(AgencyEventRow.event_id, AgencyEventRow.dossier_code, AgencyEventRow.id)
            .where(AgencyEventRow.agency_code == agency)
            .order_by(AgencyEventRow.id)
        ).all()
    return [(r[0], r[1], r[2]) for r in rows]


def delivery_states(service: IntakeService) -> dict[str, int]:
    with service.db.reading() as s:
        states = list(s.scalars(select(WebhookDeliveryRow.state)))
    return {state: states.count(state) for state in set(states)}


def in_order_per_dossier(receiver: Receiver) -> bool:
    """The first arrival of each event (what a de-duplicating receiver acts on) comes in the
    dossier's order. A later duplicate may come after a newer event: an attempt the sender gave
    up on (timeout) that the receiver still finished; de-duplication discards it."""
    last: dict[str, int] = {}
    for arrival in receiver.unique().values():
        code, sequence = arrival.event["dossier_code"], arrival.event["sequence"]
        if sequence <= last.get(code, 0):
            return False
        last[code] = sequence
    return True
