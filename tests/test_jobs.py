"""The page-job state machine on SQLite with pages read in this process (`LocalPool`), no Ray:

- a claimed job runs under its dispatcher's lease, and only one dispatcher wins it;
- a dispatcher that stops renewing its leases (crash) loses its jobs to another one once they lapse;
- a page that keeps failing ends `failed` after the bounded retries and the dossier needs attention;
- a page already read (same content, same pipeline version) is not read again;
- a dispatcher that stops gives its running jobs back at once;
- the file's preflight result kept at upload travels with the page jobs: a 3-page PDF is checked
  once (at upload) and downloaded once per worker, not once per page (defect 6).

Born-digital PDFs are read from their text layer, so the real reader runs without OCR engines.
"""

from __future__ import annotations

import io
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select, update

import intake.dossiers  # noqa: F401 - imported before the preflight spy looks for who calls preflight
import pipeline.reader  # noqa: F401 - as above
from intake.auth import Principal, Role
from intake.processing.dispatcher import Dispatcher, DispatchSettings
from intake.processing.jobs import JobState, PageTask, pipeline_version
from intake.processing.pool import LocalPool, ReadPage, StoredPageReader, WorkerSetup
from intake.schemas import ApplicantBase, DossierCreate
from intake.service import IntakeService, open_service
from intake.settings import Settings
from models.errors import ErrorCode
from pipeline.errors import InputRefused
from pipeline.pages import preflight as preflight_module
from pipeline.pages.preflight import FileInfo, FileType, preflight
from storage.tables import ComponentRow, DossierRow, JobRow, PageResultRow
from tests.intake_support import make_settings

CLERK = Principal(Role.COUNTER, "nv.tiepnhan", "HN-HOANKIEM")
REVIEWER = Principal(Role.REVIEWER, "kt.kiemtra")


@dataclass(frozen=True)
class SampleFile:
    name: str
    data: bytes


@pytest.fixture(scope="module")
def pdfs() -> list[SampleFile]:
    """Two born-digital PDFs: 3 pages and 2 pages."""
    from samples.generate import generate_document

    files = [
        SampleFile(f"cong-van-{seed}.pdf", generate_document("pdf_born_digital", "clean", seed).pdf_bytes or b"")
        for seed in (0, 1)
    ]
    assert [preflight(f.data, f.name, Settings().reading.limits).page_count for f in files] == [3, 2]
    return files


@dataclass
class Reading:
    """Readers made for local pools, wrapped so that a test can count, hold or fail reads."""

    setup: WorkerSetup
    readers: list[StoredPageReader] = field(default_factory=list)
    reads: list[PageTask] = field(default_factory=list)
    gate: threading.Event = field(default_factory=threading.Event)  # held readers wait for it
    fail: Callable[[PageTask], BaseException | None] = lambda _task: None

    def reader(self, *, held: bool = False) -> ReadPage:
        stored = StoredPageReader(self.setup)
        self.readers.append(stored)

        def read(task: PageTask) -> dict:
            if held:
                self.gate.wait(30)
            self.reads.append(task)
            error = self.fail(task)
            if error is not None:
                raise error
            return stored.read(task)

        return read

    def pool(self, size: int = 2, *, held: bool = False) -> LocalPool:
        return LocalPool(lambda: self.reader(held=held), size)


@dataclass
class Env:
    settings: Settings
    service: IntakeService
    reading: Reading
    pools: list[LocalPool] = field(default_factory=list)

    def dispatcher(self, pool: LocalPool, *, max_attempts: int = 3, lease_seconds: float = 30.0) -> Dispatcher:
        self.pools.append(pool)
        return Dispatcher(
            self.service.db,
            pool,
            self.settings.reading,
            DispatchSettings(pipeline_version(self.settings.reading), max_attempts, lease_seconds, poll_seconds=0.05),
            self.service.ctx.clock,
        )

    def submit(self, *files: SampleFile) -> str:
        dossier = self.service.dossiers.create(
            CLERK,
            DossierCreate(
                procedure_code="2.000200", service_point_code="HN-HOANKIEM", applicant=ApplicantBase(full_name="Mẫu")
            ),
        )
        for f in files:
            self.service.dossiers.add_file(CLERK, dossier.id, f.name, io.BytesIO(f.data))
        code = self.service.dossiers.submit(CLERK, dossier.id).code
        assert code is not None
        return code

    def drive(self, dispatchers: list[Dispatcher], done: Callable[[], bool], timeout: float) -> bool:
        """Turn several dispatchers' loops in this thread, as their threads would."""
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                return False
            for dispatcher in dispatchers:
                dispatcher.step()
        return True

    def state(self, code: str) -> str:
        with self.service.db.transaction() as s:
            return s.scalar(select(DossierRow.state).where(DossierRow.code == code)) or ""

    def finished(self, code: str) -> Callable[[], bool]:
        return lambda: self.state(code) not in ("queued", "processing")

    def jobs(self, code: str) -> list[JobRow]:
        with self.service.db.transaction() as s:
            dossier_id = s.scalar(select(DossierRow.id).where(DossierRow.code == code))
            return list(s.scalars(select(JobRow).where(JobRow.dossier_id == dossier_id).order_by(JobRow.id)))

    def page_results(self) -> int:
        with self.service.db.transaction() as s:
            return s.scalar(select(func.count()).select_from(PageResultRow)) or 0


@pytest.fixture
def env(request, tmp_path) -> Iterator[Env]:
    settings = make_settings("local-sqlite", request, tmp_path)
    service = open_service(settings)
    setup = WorkerSetup(settings.reading, settings.storage, settings.data_dir / "objects", settings.cache_dir)
    env = Env(settings, service, Reading(setup))
    yield env
    env.reading.gate.set()  # held readers return, so that their threads end
    for pool in env.pools:
        pool.shutdown()


@pytest.fixture
def preflight_calls(monkeypatch) -> list[str]:
    """Every call of the real `preflight`, wherever it was imported (upload, reader, worker)."""
    calls: list[str] = []
    real = preflight_module.preflight

    def counting(data: bytes, filename: str | None, *args, **kwargs) -> FileInfo:  # noqa: ANN002, ANN003
        calls.append(filename or "")
        return real(data, filename, *args, **kwargs)

    for module in list(sys.modules.values()):
        if getattr(module, "preflight", None) is real:
            monkeypatch.setattr(module, "preflight", counting)
    return calls


# --- the stored preflight result -----------------------------------------------------------


def test_file_info_survives_a_json_round_trip(pdfs):
    info = preflight(pdfs[0].data, pdfs[0].name, Settings().reading.limits)
    stored = json.loads(json.dumps(info.to_dict()))
    assert stored == {"file_type": "pdf", "page_count": 3, "size_bytes": len(pdfs[0].data), "sha256": info.sha256}
    assert FileInfo.from_dict(stored) == info and FileInfo.from_dict(stored).file_type is FileType.PDF
    with pytest.raises(ValueError):
        FileInfo.from_dict({**stored, "page_count": "3"})
    with pytest.raises(ValueError):
        FileInfo.from_dict({**stored, "file_type": "docx"})


# --- the state machine -----------------------------------------------------------------------


def test_a_claimed_job_runs_under_one_dispatchers_lease_and_completes(env, pdfs):
    code = env.submit(pdfs[0])
    first = env.dispatcher(env.reading.pool(size=2, held=True))
    other = env.dispatcher(env.reading.pool(size=2, held=True))
    first.step()
    other.step()  # finds nothing left to claim but the third page
    jobs = env.jobs(code)
    assert [job.state for job in jobs] == [JobState.RUNNING] * 3
    assert sorted(job.lease_owner for job in jobs) == sorted([first.owner, first.owner, other.owner])
    assert all(job.attempts == 1 for job in jobs)
    # The page jobs carry the preflight result kept at upload.
    assert {task.file_info for task in first.pool.in_flight} == {
        preflight(pdfs[0].data, pdfs[0].name, env.settings.reading.limits)
    }

    env.reading.gate.set()
    assert env.drive([first, other], env.finished(code), timeout=60)
    assert env.state(code) == "needs_review"
    assert [(job.state, job.attempts, job.lease_owner) for job in env.jobs(code)] == [(JobState.DONE, 1, None)] * 3
    assert env.page_results() == 3


def test_jobs_of_a_dispatcher_that_died_are_taken_back_when_the_lease_runs_out(env, pdfs):
    code = env.submit(pdfs[0])
    crashed = env.dispatcher(env.reading.pool(size=3, held=True), lease_seconds=1.0)
    crashed.step()  # claims all three pages, then never runs again: its leases stay behind
    assert {job.lease_owner for job in env.jobs(code)} == {crashed.owner}

    survivor = env.dispatcher(env.reading.pool(size=2), lease_seconds=1.0)
    survivor.step()
    assert all(job.lease_owner == crashed.owner for job in env.jobs(code)), "taken before the lease ran out"
    assert survivor.run_until(env.finished(code), timeout=60)
    assert env.state(code) == "needs_review"
    assert [(job.state, job.attempts, job.lease_owner) for job in env.jobs(code)] == [(JobState.DONE, 2, None)] * 3

    # The crashed dispatcher's readers finish late: nothing is recorded twice or changed.
    env.reading.gate.set()
    crashed.run_until(lambda: not crashed.pool.in_flight, timeout=30)
    assert env.page_results() == 3
    assert [(job.state, job.lease_owner) for job in env.jobs(code)] == [(JobState.DONE, None)] * 3


def test_a_page_that_keeps_failing_ends_failed_and_the_dossier_needs_attention(env, pdfs):
    code = env.submit(pdfs[0], pdfs[1])
    env.reading.fail = lambda task: (
        OSError("đọc trang thất bại") if task.filename == pdfs[1].name and task.page_index == 1 else None
    )
    dispatcher = env.dispatcher(env.reading.pool(size=2), max_attempts=2)
    assert dispatcher.run_until(env.finished(code), timeout=60)

    assert env.state(code) == "needs_attention"
    jobs = env.jobs(code)
    failed = [job for job in jobs if job.state == JobState.FAILED]
    assert len(failed) == 1 and failed[0].attempts == 2 and "OSError: đọc trang thất bại" in failed[0].last_error
    assert [job.state for job in jobs].count(JobState.DONE) == 4
    assert sum(1 for task in env.reading.reads if task.job_id == failed[0].id) == 2  # bounded
    status = env.service.dossiers.status(CLERK, code)
    assert f"{pdfs[1].name} trang 2" in status.attention_reason
    assert status.progress.pages_done == 4 and status.progress.pages_failed == 1

    # Once the cause is gone, a reviewer has the failed page read again.
    env.reading.fail = lambda _task: None
    assert env.service.review.retry_failed_pages(REVIEWER, code).state == "queued"
    assert dispatcher.run_until(env.finished(code), timeout=60)
    assert env.state(code) == "needs_review"


def test_a_page_already_read_is_not_read_again(env, pdfs):
    first = env.submit(pdfs[0])
    dispatcher = env.dispatcher(env.reading.pool(size=2))
    assert dispatcher.run_until(env.finished(first), timeout=60)
    reads = len(env.reading.reads)

    second = env.submit(pdfs[0])  # the same file in another dossier
    assert dispatcher.run_until(env.finished(second), timeout=60)
    assert env.state(second) == "needs_review"
    assert len(env.reading.reads) == reads == 3
    assert [(job.state, job.attempts) for job in env.jobs(second)] == [(JobState.DONE, 0)] * 3
    assert env.page_results() == 3


def test_a_stopped_dispatcher_gives_its_jobs_back_at_once(env, pdfs):
    code = env.submit(pdfs[0])
    stopping = env.dispatcher(env.reading.pool(size=2, held=True))  # a long lease: only stop() frees them
    stopping.step()
    assert [job.state for job in env.jobs(code)].count(JobState.RUNNING) == 2
    stopping.stop()
    assert [(job.state, job.attempts, job.lease_owner) for job in env.jobs(code)] == [(JobState.QUEUED, 0, None)] * 3

    successor = env.dispatcher(env.reading.pool(size=2))
    assert successor.run_until(env.finished(code), timeout=60)
    assert [(job.state, job.attempts) for job in env.jobs(code)] == [(JobState.DONE, 1)] * 3


# --- defect 6: one preflight per file, one download per worker ------------------------------------


@pytest.mark.parametrize("workers", [1, 2])
def test_a_multi_page_pdf_is_preflighted_at_upload_only_and_downloaded_once_per_worker(
    env, pdfs, preflight_calls, workers
):
    code = env.submit(pdfs[0])
    assert preflight_calls == [pdfs[0].name]  # the upload's check
    dispatcher = env.dispatcher(env.reading.pool(size=workers))
    assert dispatcher.run_until(env.finished(code), timeout=60)
    assert env.state(code) == "needs_review" and env.page_results() == 3
    assert preflight_calls == [pdfs[0].name]  # no page job checked the file again
    assert [reader.downloads for reader in env.reading.readers] == [1] * workers


def test_a_file_stored_before_uploads_kept_their_check_is_checked_once_per_download(env, pdfs, preflight_calls):
    code = env.submit(pdfs[0])
    with env.service.db.transaction() as s:
        s.execute(update(ComponentRow).values(file_info=None))
    dispatcher = env.dispatcher(env.reading.pool(size=1))
    assert dispatcher.run_until(env.finished(code), timeout=60)
    assert env.state(code) == "needs_review"
    assert preflight_calls == [pdfs[0].name] * 2  # upload, then the one worker's download
    assert env.reading.readers[0].downloads == 1


def test_a_stored_original_damaged_after_upload_fails_its_pages_until_restored(env, pdfs):
    code = env.submit(pdfs[0])
    with env.service.db.transaction() as s:
        key = s.scalar(
            select(ComponentRow.object_key).where(
                ComponentRow.file_sha256 == preflight(pdfs[0].data, pdfs[0].name, env.settings.reading.limits).sha256
            )
        )
    stored = env.settings.data_dir / "objects" / key
    stored.chmod(0o644)
    stored.write_bytes(pdfs[0].data[:-4000] + b"\n%%EOF\n")  # still looks like a PDF; not what was received
    dispatcher = env.dispatcher(env.reading.pool(size=1), max_attempts=2)
    assert dispatcher.run_until(env.finished(code), timeout=60)
    assert env.state(code) == "needs_attention"
    assert all(job.state == JobState.FAILED and ErrorCode.CORRUPT_FILE in job.last_error for job in env.jobs(code))

    # The worker kept none of the damaged bytes: once restored, the pages are read.
    stored.write_bytes(pdfs[0].data)
    env.service.review.retry_failed_pages(REVIEWER, code)
    assert dispatcher.run_until(env.finished(code), timeout=60)
    assert env.state(code) == "needs_review"


def test_a_failing_read_reports_the_refusal_to_the_dossier(env, pdfs):
    code = env.submit(pdfs[1])
    env.reading.fail = lambda _task: InputRefused(ErrorCode.CORRUPT_FILE, "trang hỏng")
    dispatcher = env.dispatcher(env.reading.pool(size=1), max_attempts=1)
    assert dispatcher.run_until(env.finished(code), timeout=60)
    reason = env.service.dossiers.status(CLERK, code).attention_reason
    assert reason.startswith(f"{pdfs[1].name} trang 1: CORRUPT_FILE: ") and "trang hỏng" in reason
