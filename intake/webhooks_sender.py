"""The webhook sender of one API process: it claims due deliveries with a lease and posts each
event, signed, to its webhook, until the receiver answers 2xx (docs/WEBHOOKS.md).

- At least once: a delivery stays pending until a 2xx is recorded. A failure (any other status,
  a timeout, a refused connection) is counted and retried after a back-off that doubles up to
  `max_backoff_seconds`; retries never give up on their own. A process killed mid-post leaves
  its delivery leased: the lease expires and a sender (this one restarted, or another's) posts
  it again. The receiver de-duplicates by event id.
- Ordered per dossier: of one webhook's deliveries for one dossier only the oldest undelivered
  is ever claimed, so the next waits for it (its back-off included); other dossiers go on.
- Several processes: a claim is a conditional UPDATE (still pending, due, not leased), so of
  two senders racing for one delivery exactly one wins, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import queue
import random
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, cast

import httpx
from sqlalchemy import ColumnElement, CursorResult, and_, exists, or_, select, update
from sqlalchemy.orm import Session, aliased

from intake import metrics
from intake.context import IntakeContext
from intake.events import envelope_body
from intake.settings import WebhookSettings
from intake.webhook_urls import url_problem
from storage.agency_tables import AgencyEventRow, WebhookDeliveryRow, WebhookRow

log = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 1.0  # how long stop() lets a post in flight finish and be recorded
MAX_ERROR = 300  # characters of an error kept in the delivery log
USER_AGENT = "SoHoa-Webhooks/1"


class Stoppable(Protocol):
    def stop(self) -> None: ...


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`X-SoHoa-Signature`: v1=hex HMAC-SHA256 keyed with the secret's text, over
    "<timestamp>." followed by the body's exact bytes."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def lease_seconds(settings: WebhookSettings) -> float:
    """How long a claimed delivery is held: a post's whole timeout, twice, and a margin to
    record its outcome. A holder that died lets it go after this long."""
    return 2 * settings.timeout_seconds + 5.0


def backoff_seconds(settings: WebhookSettings, attempts: int) -> float:
    """The wait after the `attempts`-th failure: doubling, capped, with up to 10 % jitter so
    many deliveries failing at once do not all come back at the same instant."""
    wait = min(settings.max_backoff_seconds, settings.backoff_seconds * 2.0 ** min(attempts - 1, 40))
    return wait * random.uniform(0.9, 1.0)  # noqa: S311 (spreading retries, not a secret)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery this sender holds until `lease`, with what it posts."""

    delivery_id: int
    lease: datetime
    attempts: int
    url: str
    secret: str
    event_id: str
    body: bytes


@dataclass(frozen=True, slots=True)
class Outcome:
    at: datetime  # when the attempt began
    delivered: bool
    status: int | None
    error: str | None


def _due(now: datetime) -> list[ColumnElement[bool]]:
    """Conditions of a delivery a sender may claim now (the claim's UPDATE repeats them)."""
    return [
        WebhookDeliveryRow.state == "pending",
        WebhookDeliveryRow.next_attempt_at <= now,
        or_(WebhookDeliveryRow.leased_until.is_(None), WebhookDeliveryRow.leased_until < now),
    ]


def _oldest_of_its_dossier() -> ColumnElement[bool]:
    """No earlier undelivered delivery of the same webhook and dossier (due or not)."""
    earlier = aliased(WebhookDeliveryRow)
    return ~exists().where(
        and_(
            earlier.webhook_id == WebhookDeliveryRow.webhook_id,
            earlier.dossier_id == WebhookDeliveryRow.dossier_id,
            earlier.state == "pending",
            earlier.event_id < WebhookDeliveryRow.event_id,
        )
    )


class WebhookSender:
    """One loop thread that claims, `settings.senders` threads that post."""

    def __init__(self, ctx: IntakeContext) -> None:
        self.ctx = ctx
        self.settings = ctx.settings.webhooks
        self._stopping = threading.Event()
        self._wake = threading.Event()  # a post finished: claim again without waiting
        self._work: queue.Queue[Claimed | None] = queue.Queue()
        self._busy = 0
        self._lock = threading.Lock()
        self._client = httpx.Client(
            timeout=self.settings.timeout_seconds, follow_redirects=False, headers={"User-Agent": USER_AGENT}
        )
        self._threads = [threading.Thread(target=self._loop, name="webhook-claims", daemon=True)] + [
            threading.Thread(target=self._post_each, name=f"webhook-post-{n}", daemon=True)
            for n in range(max(1, self.settings.senders))
        ]

    def start(self) -> WebhookSender:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        """Claim nothing more; a post in flight has STOP_GRACE_SECONDS to finish and be recorded,
        otherwise its delivery stays pending and leased (sent again once the lease expires)."""
        self._stopping.set()
        self._wake.set()
        for _ in self._threads[1:]:
            self._work.put(None)
        for thread in self._threads:
            thread.join(STOP_GRACE_SECONDS / len(self._threads))
        if not any(t.is_alive() for t in self._threads):
            self._client.close()

    # --- claiming -----------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stopping.is_set():
            with self._lock:
                free = max(1, self.settings.senders) - self._busy
            claimed: list[Claimed] = []
            if free > 0:
                try:
                    claimed = self.claim(min(free, self.settings.batch))
                except Exception:  # the database away a moment: try again at the next poll
                    log.warning("webhook sender could not claim deliveries", exc_info=True)
            for item in claimed:
                with self._lock:
                    self._busy += 1
                self._work.put(item)
            if not claimed or len(claimed) == free:
                self._wake.wait(self.settings.poll_seconds)
                self._wake.clear()

    def claim(self, limit: int) -> list[Claimed]:
        """Up to `limit` due deliveries, each the oldest undelivered of its (webhook, dossier),
        leased to this sender. Those of a disabled webhook are dropped instead."""
        now = self.ctx.clock.now()
        with self.ctx.db.reading() as s:
            candidates = s.scalars(
                select(WebhookDeliveryRow.id)
                .where(*_due(now), _oldest_of_its_dossier())
                .order_by(WebhookDeliveryRow.event_id)
                .limit(limit * 2)  # others' senders may win some of them
            ).all()
        if not candidates:
            return []
        lease = now + timedelta(seconds=lease_seconds(self.settings))
        claimed: list[Claimed] = []
        with self.ctx.db.transaction() as s:
            for delivery_id in candidates:
                if len(claimed) == limit:
                    break
                won = s.execute(
                    update(WebhookDeliveryRow)
                    .where(WebhookDeliveryRow.id == delivery_id, *_due(now))
                    .values(leased_until=lease)
                )
                if cast(CursorResult, won).rowcount == 1:
                    item = self._load(s, delivery_id, lease)
                    if item is not None:
                        claimed.append(item)
        return claimed

    def _load(self, s: Session, delivery_id: int, lease: datetime) -> Claimed | None:
        delivery, webhook, event = s.execute(
            select(WebhookDeliveryRow, WebhookRow, AgencyEventRow)
            .join(WebhookRow, WebhookRow.id == WebhookDeliveryRow.webhook_id)
            .join(AgencyEventRow, AgencyEventRow.id == WebhookDeliveryRow.event_id)
            .where(WebhookDeliveryRow.id == delivery_id)
        ).one()
        if webhook.disabled_at is not None:  # disabled while this was due
            delivery.state, delivery.leased_until = "dropped", None
            return None
        return Claimed(
            delivery_id=delivery.id,
            lease=lease,
            attempts=delivery.attempts,
            url=webhook.url,
            secret=webhook.secret,
            event_id=event.event_id,
            body=envelope_body(event, self.ctx.clock.zone),
        )

    # --- posting ------------------------------------------------------------------------------

    def _post_each(self) -> None:
        while (item := self._work.get()) is not None:
            try:
                outcome = self.post(item)
                metrics.webhook_attempted(delivered=outcome.delivered)
                self.record(item, outcome)
            except Exception:  # recorded nothing: the lease expires and it is posted again
                log.warning("webhook delivery %s not recorded", item.delivery_id, exc_info=True)
            finally:
                with self._lock:
                    self._busy -= 1
                self._wake.set()

    def post(self, item: Claimed) -> Outcome:
        """One attempt: the envelope's exact bytes, signed; 2xx delivers, nothing else does."""
        at = self.ctx.clock.now()
        timestamp = int(at.timestamp())
        headers = {
            "Content-Type": "application/json",
            "X-SoHoa-Event-Id": item.event_id,
            "X-SoHoa-Timestamp": str(timestamp),
            "X-SoHoa-Signature": signature(item.secret, timestamp, item.body),
        }
        # Registered before the deployment narrowed its allowed hosts: never contacted now.
        problem = url_problem(item.url, self.settings.allow_http, self.settings.allowed_hosts)
        if problem is not None:
            return Outcome(at, False, None, f"not sent: {problem}"[:MAX_ERROR])
        try:
            response = self._client.post(item.url, content=item.body, headers=headers)
        except httpx.TimeoutException:
            return Outcome(at, False, None, f"timeout: no answer in {self.settings.timeout_seconds:g} s")
        except httpx.HTTPError as exc:
            return Outcome(at, False, None, f"{type(exc).__name__}: {exc}"[:MAX_ERROR])
        status = response.status_code
        if 200 <= status < 300:
            return Outcome(at, True, status, None)
        error = f"HTTP {status}" + (" (redirects are not followed)" if response.is_redirect else "")
        return Outcome(at, False, status, error)

    def record(self, item: Claimed, outcome: Outcome) -> None:
        """The attempt, on the delivery this sender still holds (a sender that lost its lease
        records nothing: the delivery was or will be posted again)."""
        values: dict = {
            "attempts": WebhookDeliveryRow.attempts + 1,
            "last_attempt_at": outcome.at,
            "last_status": outcome.status,
            "last_error": outcome.error,
            "leased_until": None,
        }
        if outcome.delivered:
            values |= {"state": "delivered", "delivered_at": self.ctx.clock.now()}
        else:
            wait = backoff_seconds(self.settings, item.attempts + 1)
            values["next_attempt_at"] = self.ctx.clock.now() + timedelta(seconds=wait)
        with self.ctx.db.transaction() as s:
            s.execute(
                update(WebhookDeliveryRow)
                .where(
                    WebhookDeliveryRow.id == item.delivery_id,
                    WebhookDeliveryRow.state == "pending",
                    WebhookDeliveryRow.leased_until == item.lease,
                )
                .values(**values)
            )


def start_webhook_sender(ctx: IntakeContext) -> Stoppable:
    """This process's sender, started (every API process runs one; they share the work)."""
    return WebhookSender(ctx).start()
