"""The product's Prometheus metrics (names start with `sohoa_`), recorded where things happen.

`REGISTRY` is this process's own registry (never prometheus_client's global default): the
dispatcher records finished pages into it, the Ray pool its live actors. Each app serves it on
/metrics (api/observability.py) with its own HTTP figures and a `QueueCollector` that reads
the database at scrape time. No label holds personal data: stages, outcomes, job states,
service point codes and Ray node ids only. The metrics are listed in docs/OBSERVABILITY.md.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import case, func, select

from intake.processing.jobs import JobState
from models.dossier import ProcessingState
from storage.agency_tables import AgencyEventRow, WebhookDeliveryRow
from storage.db import Database
from storage.tables import DossierRow, JobRow

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry(auto_describe=True)

PAGES_READ = Counter(
    "sohoa_pages_read",
    "Page jobs a reader finished: outcome ok (read) or failed (this attempt failed; it may be retried).",
    ["outcome"],
    registry=REGISTRY,
)
STAGE_SECONDS = Histogram(
    "sohoa_reading_stage_seconds",
    "Seconds one page spent in a reading stage (fetch, preflight, render, ocr, handwriting, barcodes, second_read).",
    ["stage"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
    registry=REGISTRY,
)
for _outcome in ("ok", "failed"):
    PAGES_READ.labels(_outcome)  # both series exist from the start (a rate needs a first zero)

STAGE_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")  # a result comes from a worker: bound what becomes a label


def page_finished(result: dict | None, *, ok: bool) -> None:
    """A page job ended in the dispatcher: read (`result`, with its stage timings) or failed."""
    PAGES_READ.labels("ok" if ok else "failed").inc()
    timings = result.get("timings") if ok and isinstance(result, dict) else None
    if not isinstance(timings, dict):
        return
    for stage, seconds in timings.items():
        if isinstance(stage, str) and STAGE_NAME.fullmatch(stage) and _seconds(seconds):
            STAGE_SECONDS.labels(stage).observe(float(seconds))


def _seconds(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value >= 0


class ActorsAlive(Collector):
    """`sohoa_ocr_actors_alive{node}`: the pool's last word on its live actors per Ray node; a
    node it no longer names (removed, dead) is no longer reported."""

    def __init__(self) -> None:
        self.by_node: dict[str, int] = {}

    def set(self, by_node: dict[str, int]) -> None:
        self.by_node = {str(node): int(count) for node, count in by_node.items()}  # one swap: scrapes see all or none

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily("sohoa_ocr_actors_alive", "Live OCR actors on each Ray node.", labels=["node"])
        for node, count in sorted(self.by_node.items()):
            family.add_metric([node], count)
        yield family


ACTORS = ActorsAlive()
REGISTRY.register(ACTORS)


def actors_alive(by_node: dict[str, int]) -> None:
    """The OCR pool's live actors per Ray node id, set whenever the pool changes."""
    ACTORS.set(by_node)


WEBHOOK_ATTEMPTS = Counter(
    "sohoa_webhook_attempts",
    "Posts to agencies' webhooks: delivered (2xx) or failed (another status, a timeout, no connection; retried).",
    ["outcome"],
    registry=REGISTRY,
)
for _outcome in ("delivered", "failed"):
    WEBHOOK_ATTEMPTS.labels(_outcome)


def webhook_attempted(*, delivered: bool) -> None:
    WEBHOOK_ATTEMPTS.labels("delivered" if delivered else "failed").inc()


# --- figures read from the database at scrape time ------------------------------------------

SCRAPE_SECONDS = 2.0  # the database figures must come within this, or the scrape goes on without them
WAITING_AGE_BUCKETS = (900, 3600, 4 * 3600, 8 * 3600, 86400, 2 * 86400, 5 * 86400)  # seconds since receipt


@dataclass(frozen=True)
class QueueFigures:
    jobs: dict[str, int]  # queued / running page jobs
    waiting: dict[str, tuple[int, float]]  # service point -> (dossiers waiting for review, oldest age in s)
    age_buckets: list[int]  # waiting dossiers received at most WAITING_AGE_BUCKETS[i] seconds ago
    waiting_total: int
    webhook_pending: int = 0  # deliveries to agencies' webhooks not yet answered 2xx
    webhook_oldest_age: float = 0.0  # seconds since the event of the oldest of them


def queue_figures(db: Database, now: datetime) -> QueueFigures:
    """The queue and the review backlog: grouped counts over indexed states only (bounded work,
    bounded rows: two job states, one row per service point)."""
    open_states = (JobState.QUEUED.value, JobState.RUNNING.value)
    waiting = DossierRow.state == ProcessingState.NEEDS_REVIEW.value
    with db.reading() as s:
        jobs = dict.fromkeys(open_states, 0)
        for state, count in s.execute(
            select(JobRow.state, func.count()).where(JobRow.state.in_(open_states)).group_by(JobRow.state)
        ):
            jobs[state] = count
        by_point: dict[str, tuple[int, float]] = {}
        for point, count, oldest in s.execute(
            select(DossierRow.service_point_code, func.count(), func.min(DossierRow.received_at))
            .where(waiting)
            .group_by(DossierRow.service_point_code)
        ):
            by_point[point] = (count, max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0)
        within = [
            func.coalesce(func.sum(case((DossierRow.received_at >= now - timedelta(seconds=b), 1), else_=0)), 0)
            for b in WAITING_AGE_BUCKETS
        ]
        row = s.execute(select(func.count(), *within).where(waiting)).one()
        pending, oldest_event = s.execute(
            select(func.count(), func.min(AgencyEventRow.occurred_at))
            .select_from(WebhookDeliveryRow)
            .join(AgencyEventRow, WebhookDeliveryRow.event_id == AgencyEventRow.id)
            .where(WebhookDeliveryRow.state == "pending")
        ).one()
    webhook_age = max(0.0, (now - oldest_event).total_seconds()) if oldest_event is not None else 0.0
    return QueueFigures(jobs, by_point, [int(n) for n in row[1:]], int(row[0]), int(pending), webhook_age)


@dataclass(eq=False)  # registered by identity
class QueueCollector(Collector):
    """Queue depth and the review backlog, read at each scrape from the app's database (bound
    late: the service opens at startup). A database that does not answer within SCRAPE_SECONDS
    leaves these figures out of that scrape, `sohoa_database_metrics_up` 0 and
    `sohoa_scrape_errors_total` one more; one slow query at a time (a hung database never piles
    up threads)."""

    database: Callable[[], Database | None]
    now: Callable[[], datetime]
    errors: int = 0
    running: Future[QueueFigures] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def collect(self) -> Iterator[Metric]:
        figures = self._figures()
        up = GaugeMetricFamily("sohoa_database_metrics_up", "1 when this scrape read the database's figures.")
        up.add_metric([], 1 if figures is not None else 0)
        yield up
        yield CounterMetricFamily(
            "sohoa_scrape_errors", "Scrapes that could not read the database's figures.", value=self.errors
        )
        if figures is not None:
            yield from _queue_families(figures)

    def _figures(self) -> QueueFigures | None:
        db = self.database()
        if db is None:
            return None
        with self.lock:
            if self.running is None or self.running.done():
                pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sohoa-metrics")
                self.running = pool.submit(queue_figures, db, self.now())
                pool.shutdown(wait=False)
            running = self.running
        try:
            return running.result(timeout=SCRAPE_SECONDS)
        except FutureTimeout:
            reason = "timed out"
        except Exception as exc:  # noqa: BLE001 - a scrape reports what it can; the reason is logged
            reason = type(exc).__name__
        with self.lock:
            self.errors += 1
        log.warning("metrics: database figures not read: %s", reason)
        return None


def _queue_families(figures: QueueFigures) -> Iterator[Metric]:
    jobs = GaugeMetricFamily("sohoa_page_jobs", "Page jobs queued or being read now.", labels=["state"])
    for state, count in sorted(figures.jobs.items()):
        jobs.add_metric([state], count)
    yield jobs
    waiting = GaugeMetricFamily(
        "sohoa_review_waiting_dossiers", "Dossiers read and waiting for a reviewer.", labels=["service_point"]
    )
    oldest = GaugeMetricFamily(
        "sohoa_review_waiting_oldest_age_seconds",
        "Seconds since the receipt of the oldest dossier waiting for a reviewer.",
        labels=["service_point"],
    )
    for point, (count, age) in sorted(figures.waiting.items()):
        waiting.add_metric([point], count)
        oldest.add_metric([point], age)
    yield waiting
    yield oldest
    # A gauge histogram (OpenMetrics): how the dossiers waiting now spread by age. Its optional
    # _gsum is left out: a sum of ages has no portable SQL over SQLite and PostgreSQL.
    ages = Metric(
        "sohoa_review_waiting_age_seconds",
        "Dossiers waiting for a reviewer now, by seconds since their receipt (city-wide).",
        "gaugehistogram",
    )
    for bound, count in zip(
        (*WAITING_AGE_BUCKETS, math.inf), (*figures.age_buckets, figures.waiting_total), strict=True
    ):
        ages.add_sample(ages.name + "_bucket", {"le": _le(bound)}, count)
    ages.add_sample(ages.name + "_gcount", {}, figures.waiting_total)
    yield ages
    yield GaugeMetricFamily(
        "sohoa_webhook_pending_deliveries",
        "Events not yet accepted by an agency's webhook (retried with back-off).",
        value=figures.webhook_pending,
    )
    yield GaugeMetricFamily(
        "sohoa_webhook_oldest_pending_age_seconds",
        "Seconds since the event of the oldest delivery an agency's webhook has not accepted.",
        value=figures.webhook_oldest_age,
    )


def _le(seconds: float) -> str:
    return "+Inf" if math.isinf(seconds) else f"{float(seconds):g}"
