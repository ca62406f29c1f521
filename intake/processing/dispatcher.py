"""The job loop between the database and a page pool (Ray actors, or threads of this process).

Job state lives in the database (queued, running, done, failed, attempts), so a crash or
restart neither loses nor repeats work:
- a job is claimed with a lease; every dispatcher beats a heartbeat (`heartbeat.py`): the jobs of
  one that died go back to the queue within seconds, and any job whose lease runs out (a holder
  alive but stuck) too;
- a page already read by this pipeline version (same page content) is not read again;
- a page that keeps failing ends `failed` after `max_attempts` and flags its dossier for
  attention; the dossier's other pages still complete.
When a dossier's last page is in, its fields are extracted and it waits for review.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from sqlalchemy import CursorResult, case, func, select, update
from sqlalchemy.orm import Session

from intake import metrics
from intake.clock import Clock
from intake.processing.finalize import describe_failure, finalize_dossier
from intake.processing.heartbeat import Heartbeat, reclaim_from_dead
from intake.processing.jobs import OPEN_JOB_STATES, JobState, PageTask, pipeline_version
from intake.processing.pool import PagePool, PoolLost
from intake.settings import Settings
from models.dossier import ProcessingState
from pipeline.config import ReadingConfig
from pipeline.pages.preflight import FileInfo
from storage.db import Database
from storage.tables import ComponentRow, DossierRow, JobRow, PageResultRow, PageRow, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DispatchSettings:
    pipeline_version: str
    max_attempts: int = 3
    lease_seconds: float = 120.0
    poll_seconds: float = 0.5
    heartbeat_seconds: float = 2.0  # how often a dispatcher says it is alive
    dead_after_seconds: float = 10.0  # silent this long: dead, its jobs go back to the queue

    @classmethod
    def of(cls, settings: Settings) -> DispatchSettings:
        """As configured (SOHOA_PROCESSING__*), for the configured reading."""
        processing = settings.processing
        return cls(
            pipeline_version(settings.reading),
            processing.max_attempts,
            processing.lease_seconds,
            processing.poll_seconds,
        )


class Dispatcher:
    def __init__(
        self,
        db: Database,
        pool: PagePool,
        reading: ReadingConfig,
        settings: DispatchSettings,
        clock: Clock,
        on_pool_lost: Callable[[], None] | None = None,
    ) -> None:
        self.db = db
        self.clock = clock  # the day fields are judged on (a date after it is impossible)
        self.pool = pool
        self.reading = reading
        self.settings = settings
        self.owner = uuid.uuid4().hex
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_lease_check = 0.0
        self._next_reclaim = 0.0
        self.heartbeat = Heartbeat(db, self.owner, settings.heartbeat_seconds)
        self.on_pool_lost = on_pool_lost  # called once the pool is gone for good (its jobs given back)

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        self.heartbeat.start()  # its own thread: a long step never looks like a death
        self._thread = threading.Thread(target=self.run, name="sohoa-dispatcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop claiming; give this dispatcher's running jobs back to the queue at once."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._give_back_running()
        self.heartbeat.stop()

    def _give_back_running(self) -> None:
        try:
            with self.db.transaction() as s:
                s.execute(
                    update(JobRow)
                    .where(JobRow.state == JobState.RUNNING.value, JobRow.lease_owner == self.owner)
                    .values(
                        state=JobState.QUEUED.value,
                        lease_owner=None,
                        lease_until=None,
                        attempts=case((JobRow.attempts > 0, JobRow.attempts - 1), else_=0),
                    )
                )
        except Exception:  # noqa: BLE001 - database gone: the leases run out by themselves
            log.warning("could not release running jobs; they return to the queue when their lease ends")

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.step()
            except PoolLost:
                log.error("the page pool is lost (Ray cluster gone): page jobs go back to the queue")
                self._give_back_running()
                if self.on_pool_lost is not None:
                    self.on_pool_lost()
                return
            except Exception:  # noqa: BLE001 - e.g. database down: keep the loop alive, retry
                log.exception("dispatcher step failed; retrying")
                busy = False
            if not busy:
                self._stop.wait(self.settings.poll_seconds)

    def run_until(self, done: Callable[[], bool], timeout: float) -> bool:
        """Drive the loop in the calling thread until `done()` (benchmarks and tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if done():
                return True
            if not self.step():
                time.sleep(self.settings.poll_seconds / 5)
        return done()

    # --- one turn of the loop ----------------------------------------------------------

    def step(self) -> bool:
        """Claim what fits, collect what finished. True when anything happened."""
        progressed = False
        self.heartbeat.beat_if_due()  # also when the loop is driven without start()
        if time.monotonic() >= self._next_reclaim:
            self._next_reclaim = time.monotonic() + self.settings.heartbeat_seconds
            with self.db.transaction() as s:
                progressed = bool(reclaim_from_dead(s, self.owner, self.settings.dead_after_seconds))
        if time.monotonic() >= self._next_lease_check:
            # Leases are long next to the poll interval: renewing a few times per lease is enough.
            self._next_lease_check = time.monotonic() + self.settings.lease_seconds / 4
            progressed = self._renew_and_reclaim() or progressed
        for job_id, task in self._claim(self.pool.free_slots):
            if self._finish_from_cache(job_id):
                progressed = True
                continue
            self.pool.submit(task)
            progressed = True
        for task, result, error in self.pool.wait(timeout=self.settings.poll_seconds):
            progressed = True
            metrics.page_finished(result, ok=error is None and result is not None)
            if error is None and result is not None:
                self._record_success(task, result)
            else:
                self._record_failure(task.job_id, error or RuntimeError("the pool returned no page"))
        return progressed

    def _renew_and_reclaim(self) -> bool:
        now = utcnow()
        lease = now + timedelta(seconds=self.settings.lease_seconds)
        in_flight = [task.job_id for task in self.pool.in_flight]
        with self.db.transaction() as s:
            if in_flight:
                s.execute(
                    update(JobRow)
                    .where(JobRow.id.in_(in_flight), JobRow.lease_owner == self.owner)
                    .values(lease_until=lease)
                )
            # Jobs of a dispatcher that stopped renewing (crash, restart) go back to the queue.
            lapsed = (
                update(JobRow)
                .where(JobRow.state == JobState.RUNNING.value, JobRow.lease_until < now)
                .values(state=JobState.QUEUED.value, lease_owner=None, lease_until=None)
            )
            return bool(cast(CursorResult, s.execute(lapsed)).rowcount)

    def _claim(self, slots: int) -> list[tuple[int, PageTask]]:
        if slots <= 0:
            return []
        claimed = []
        lease = utcnow() + timedelta(seconds=self.settings.lease_seconds)
        with self.db.transaction() as s:
            rows = s.execute(
                select(
                    JobRow.id,
                    ComponentRow.object_key,
                    ComponentRow.filename,
                    PageRow.index,
                    ComponentRow.file_info,
                    PageRow.rotation,
                    PageRow.page_key,
                )
                .join(PageRow, PageRow.id == JobRow.page_id)
                .join(ComponentRow, ComponentRow.id == PageRow.component_id)
                .join(DossierRow, DossierRow.id == JobRow.dossier_id)
                .where(JobRow.state == JobState.QUEUED.value)
                .order_by(DossierRow.due_date, JobRow.id)  # earliest appointment first
                .limit(slots)
            ).all()
            for job_id, key, filename, index, stored_info, rotation, page_key in rows:
                # Conditional update: only one dispatcher wins a job.
                take = (
                    update(JobRow)
                    .where(JobRow.id == job_id, JobRow.state == JobState.QUEUED.value)
                    .values(
                        state=JobState.RUNNING.value,
                        lease_owner=self.owner,
                        lease_until=lease,
                        attempts=JobRow.attempts + 1,
                    )
                )
                if cast(CursorResult, s.execute(take)).rowcount:
                    info = stored_file_info(stored_info)
                    task = PageTask(job_id, key, filename, index, info, rotation or 0, page_key)
                    claimed.append((job_id, task))
        return claimed

    def _finish_from_cache(self, job_id: int) -> bool:
        with self.db.transaction() as s:
            cached = s.execute(
                select(PageResultRow.page_key)
                .join(PageRow, PageRow.page_key == PageResultRow.page_key)
                .join(JobRow, JobRow.page_id == PageRow.id)
                .where(JobRow.id == job_id, PageResultRow.pipeline_version == self.settings.pipeline_version)
            ).first()
            if cached is None:
                return False
            job = s.get(JobRow, job_id)
            if job is None:
                return False
            job.attempts = max(0, job.attempts - 1)  # no reading happened
            self._mark_done(s, job)
            return True

    def _record_success(self, task: PageTask, result: dict) -> None:
        with self.db.transaction() as s:
            job = s.get(JobRow, task.job_id)
            if job is None:
                return
            page = s.get(PageRow, job.page_id)
            if page is None:
                return
            # Stored under the key the page had when it was claimed: turned since, it has another.
            key = (task.page_key or page.page_key, self.settings.pipeline_version)
            if s.get(PageResultRow, key) is None:  # kept even if the job was taken back: no re-read
                s.add(PageResultRow(page_key=key[0], pipeline_version=key[1], result=result))
                s.flush()
            if job.state != JobState.RUNNING or job.lease_owner != self.owner:
                return  # taken back meanwhile (lease ran out): its new owner finds the result cached
            if key[0] != page.page_key:
                return  # the page was turned while this reading ran: the job reads it again
            self._mark_done(s, job)

    def _record_failure(self, job_id: int, error: BaseException) -> None:
        reason = describe_failure(error)
        log.warning("page job %s failed: %s", job_id, reason)
        with self.db.transaction() as s:
            job = s.get(JobRow, job_id)
            if job is None or job.state != JobState.RUNNING or job.lease_owner != self.owner:
                return
            job.last_error = reason
            job.lease_owner = job.lease_until = None
            if job.attempts < self.settings.max_attempts:
                job.state = JobState.QUEUED.value  # bounded retry
                return
            job.state = JobState.FAILED.value
            s.flush()
            self._maybe_finish_dossier(s, job.dossier_id)

    def _mark_done(self, s: Session, job: JobRow) -> None:
        job.state = JobState.DONE.value
        job.lease_owner = job.lease_until = None
        s.flush()
        self._maybe_finish_dossier(s, job.dossier_id)

    def _maybe_finish_dossier(self, s: Session, dossier_id: int) -> None:
        open_jobs = s.scalar(
            select(func.count())
            .select_from(JobRow)
            .where(JobRow.dossier_id == dossier_id, JobRow.state.in_([state.value for state in OPEN_JOB_STATES]))
        )
        if open_jobs:
            s.execute(
                update(DossierRow)
                .where(DossierRow.id == dossier_id, DossierRow.state == ProcessingState.QUEUED.value)
                .values(state=ProcessingState.PROCESSING.value)
            )
            return
        dossier = s.get(DossierRow, dossier_id)
        if dossier is not None:
            finalize_dossier(s, dossier, self.reading, self.settings.pipeline_version, self.clock.now().date())


def stored_file_info(stored: dict | None) -> FileInfo | None:
    """The preflight result kept with the file; None (the worker checks the file) when absent or unreadable."""
    if not stored:
        return None
    try:
        return FileInfo.from_dict(stored)
    except (KeyError, TypeError, ValueError):
        log.warning("ignoring a malformed stored file_info: %r", stored)
        return None


def queued_jobs(db: Database) -> int:
    """Page jobs waiting for a reader, in every dispatcher's queue (one indexed count)."""
    with db.reading() as s:
        return s.scalar(select(func.count()).select_from(JobRow).where(JobRow.state == JobState.QUEUED.value)) or 0
