"""The job loop between the database and the Ray worker pool.

Job state lives in the database (queued, running, done, failed, attempts), so a crash or
restart neither loses nor repeats work:
- a job is claimed with a lease; a dispatcher that dies stops renewing it, and any
  dispatcher takes the job back once the lease runs out;
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

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session

from models.document import PageText, Source
from models.dossier import ProcessingState
from pipeline.config import ReadingConfig
from pipeline.errors import InputRefused
from intake.processing.ray_pool import PageTask, WorkerPool
from pipeline.reader import interpret_files
from storage.db import Database
from storage.tables import ComponentRow, DossierRow, FieldRow, JobRow, PageResultRow, PageRow, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DispatchSettings:
    pipeline_version: str
    max_attempts: int = 3
    lease_seconds: float = 120.0
    poll_seconds: float = 0.5


class Dispatcher:
    def __init__(self, db: Database, pool: WorkerPool, reading: ReadingConfig, settings: DispatchSettings) -> None:
        self.db = db
        self.pool = pool
        self.reading = reading
        self.settings = settings
        self.owner = uuid.uuid4().hex
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_lease_check = 0.0

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="sohoa-dispatcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop claiming; give this dispatcher's running jobs back to the queue at once."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        try:
            with self.db.transaction() as s:
                s.execute(update(JobRow).where(JobRow.state == "running", JobRow.lease_owner == self.owner)
                          .values(state="queued", lease_owner=None, lease_until=None,
                                  attempts=case((JobRow.attempts > 0, JobRow.attempts - 1), else_=0)))
        except Exception:  # noqa: BLE001 - database gone: the leases run out by themselves
            log.warning("could not release running jobs; they return to the queue when their lease ends")

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.step()
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
        if time.monotonic() >= self._next_lease_check:
            # Leases are long next to the poll interval: renewing a few times per lease is enough.
            self._next_lease_check = time.monotonic() + self.settings.lease_seconds / 4
            progressed = self._renew_and_reclaim()
        for job_id, task in self._claim(self.pool.free_slots):
            if self._finish_from_cache(job_id):
                progressed = True
                continue
            self.pool.submit(task)
            progressed = True
        for task, result, error in self.pool.wait(timeout=self.settings.poll_seconds):
            progressed = True
            if error is None:
                self._record_success(task.job_id, result)
            else:
                self._record_failure(task.job_id, error)
        return progressed

    def _renew_and_reclaim(self) -> bool:
        now = utcnow()
        lease = now + timedelta(seconds=self.settings.lease_seconds)
        in_flight = [task.job_id for task in self.pool.in_flight]
        with self.db.transaction() as s:
            if in_flight:
                s.execute(update(JobRow).where(JobRow.id.in_(in_flight), JobRow.lease_owner == self.owner)
                          .values(lease_until=lease))
            # Jobs of a dispatcher that stopped renewing (crash, restart) go back to the queue.
            taken = s.execute(update(JobRow).where(JobRow.state == "running", JobRow.lease_until < now)
                              .values(state="queued", lease_owner=None, lease_until=None))
            return bool(taken.rowcount)

    def _claim(self, slots: int) -> list[tuple[int, PageTask]]:
        if slots <= 0:
            return []
        claimed = []
        lease = utcnow() + timedelta(seconds=self.settings.lease_seconds)
        with self.db.transaction() as s:
            rows = s.execute(
                select(JobRow.id, ComponentRow.object_key, ComponentRow.filename, PageRow.index)
                .join(PageRow, PageRow.id == JobRow.page_id)
                .join(ComponentRow, ComponentRow.id == PageRow.component_id)
                .join(DossierRow, DossierRow.id == JobRow.dossier_id)
                .where(JobRow.state == "queued")
                .order_by(DossierRow.due_date, JobRow.id)  # earliest appointment first
                .limit(slots)
            ).all()
            for job_id, key, filename, index in rows:
                # Conditional update: only one dispatcher wins a job.
                won = s.execute(update(JobRow).where(JobRow.id == job_id, JobRow.state == "queued")
                                .values(state="running", lease_owner=self.owner, lease_until=lease,
                                        attempts=JobRow.attempts + 1))
                if won.rowcount:
                    claimed.append((job_id, PageTask(job_id, key, filename, index)))
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
            job.attempts = max(0, job.attempts - 1)  # no reading happened
            self._mark_done(s, job)
            return True

    def _record_success(self, job_id: int, result: dict) -> None:
        with self.db.transaction() as s:
            job = s.get(JobRow, job_id)
            if job is None:
                return
            page = s.get(PageRow, job.page_id)
            key = (page.page_key, self.settings.pipeline_version)
            if s.get(PageResultRow, key) is None:  # kept even if the job was taken back: no re-read
                s.add(PageResultRow(page_key=key[0], pipeline_version=key[1], result=result))
                s.flush()
            if job.state != "running" or job.lease_owner != self.owner:
                return  # taken back meanwhile (lease ran out): its new owner finds the result cached
            self._mark_done(s, job)

    def _record_failure(self, job_id: int, error: BaseException) -> None:
        reason = describe_failure(error)
        log.warning("page job %s failed: %s", job_id, reason)
        with self.db.transaction() as s:
            job = s.get(JobRow, job_id)
            if job is None or job.state != "running" or job.lease_owner != self.owner:
                return
            job.last_error = reason
            job.lease_owner = job.lease_until = None
            if job.attempts < self.settings.max_attempts:
                job.state = "queued"  # bounded retry
                return
            job.state = "failed"
            s.flush()
            self._maybe_finish_dossier(s, job.dossier_id)

    def _mark_done(self, s: Session, job: JobRow) -> None:
        job.state = "done"
        job.lease_owner = job.lease_until = None
        s.flush()
        self._maybe_finish_dossier(s, job.dossier_id)

    def _maybe_finish_dossier(self, s: Session, dossier_id: int) -> None:
        open_jobs = s.scalar(select(func.count()).select_from(JobRow).where(
            JobRow.dossier_id == dossier_id, or_(JobRow.state == "queued", JobRow.state == "running")))
        if open_jobs:
            s.execute(update(DossierRow).where(DossierRow.id == dossier_id,
                                               DossierRow.state == ProcessingState.QUEUED.value)
                      .values(state=ProcessingState.PROCESSING.value))
            return
        dossier = s.get(DossierRow, dossier_id)
        finalize_dossier(s, dossier, self.reading, self.settings.pipeline_version)


def describe_failure(error: BaseException) -> str:
    """What a person reads in the dossier's attention reason: the root cause, not Ray's wrapper."""
    cause = getattr(error, "cause", None) or error  # RayTaskError carries the worker's exception
    if isinstance(cause, InputRefused):
        return f"{cause.code}: {cause.message_vi}"
    first_line = (str(cause).strip().splitlines() or [""])[0]
    return f"{type(cause).__name__}: {first_line[:300]}"


def finalize_dossier(s: Session, dossier: DossierRow, reading_config: ReadingConfig, version: str) -> None:
    """Kind and fields of every component from its pages' results; then the dossier waits for
    review, or for attention if a page could not be read. Reviewed fields are never touched."""
    failed = s.execute(select(JobRow.last_error, PageRow.index, ComponentRow.filename)
                       .join(PageRow, PageRow.id == JobRow.page_id)
                       .join(ComponentRow, ComponentRow.id == PageRow.component_id)
                       .where(JobRow.dossier_id == dossier.id, JobRow.state == "failed")).all()
    # All files at once: a form is checked against the card in another file of the dossier.
    files, components = [], []
    for component in dossier.components:
        pages = []
        for page in component.pages:
            row = s.get(PageResultRow, (page.page_key, version))
            if row is not None:
                pages.append(PageText.from_dict(row.result))
        if pages:
            files.append((component.filename, pages))
            components.append(component)
    for component, reading in zip(components, interpret_files(files, reading_config), strict=True):
        component.kind = str(reading.kind)
        component.parts = [{"kind": str(c.kind), "confidence": c.confidence, "pages": list(c.pages)}
                           for c in reading.parts]
        existing = {(f.part, f.name): f for f in component.fields}
        for part, found_fields in enumerate(c.fields for c in reading.parts):
            for name, found in found_fields.items():
                row = existing.get((part, name))
                if row is not None and Source.REVIEWER in (row.sources or []):
                    continue  # a reviewer's value is final
                if row is None:
                    row = FieldRow(name=name, part=part)
                    component.fields.append(row)
                row.value, row.confidence, row.page = found.value, found.confidence, found.page
                row.box, row.status = list(found.box), str(found.status)
                row.sources, row.reason, row.detail = list(found.sources), found.reason, found.detail
    if failed:
        dossier.state = ProcessingState.NEEDS_ATTENTION.value
        dossier.attention_reason = "; ".join(f"{name} trang {index + 1}: {err}" for err, index, name in failed)
    else:
        dossier.state = ProcessingState.NEEDS_REVIEW.value
        dossier.attention_reason = None

