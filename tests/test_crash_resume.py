"""A crash costs seconds, never a lost, repeated or stuck dossier.

- a dispatcher that dies stops beating its heartbeat: another one takes its page jobs back within
  seconds, not when their 120 s lease runs out; one whose process ended on this machine at once;
- an approval whose package cannot be built thaws the dossier; one that died mid-build is taken
  over, or released by a correction, after the approval timeout;
- `kill -9` of `sohoa serve` while pages are read: a restarted server ends the dead one's Ray
  processes, resumes and finishes the dossier; the crash-to-resume time is measured.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, update

from intake.auth import Principal, Role
from intake.errors import ServiceError
from intake.processing.dispatcher import Dispatcher, DispatchSettings
from intake.processing.heartbeat import this_machine
from intake.processing.jobs import JobState, PageTask, pipeline_version
from intake.processing.pool import LocalPool, StoredPageReader, WorkerSetup
from intake.review import APPROVAL_TIMEOUT
from intake.service import IntakeService, open_service
from intake.settings import Settings
from loopback.ports import free_port
from storage.objects import StorageUnavailable
from storage.tables import DispatcherRow, DossierRow, JobRow, PageResultRow, utcnow
from tests.intake_support import dossier_state, make_settings, submit_files, ten_page_dossier
from tests.integrity_support import png, ready_for_review
from tests.process_support import kill_left, processes_left, processes_using

REVIEWER = Principal(Role.REVIEWER, "kt.kiemtra")
SOHOA = str(Path(sys.executable).parent / "sohoa")


# --- heartbeats ------------------------------------------------------------------------------


@pytest.fixture
def local(request, tmp_path) -> Iterator[tuple[Settings, IntakeService]]:
    settings = make_settings("local-sqlite", request, tmp_path)
    service = open_service(settings)
    yield settings, service
    service.db.dispose()


@pytest.fixture(scope="module")
def born_digital() -> bytes:
    """A 3-page born-digital PDF: read from its text layer, without OCR engines."""
    from samples.generate import generate_document

    return generate_document("pdf_born_digital", "clean", 0).pdf_bytes or b""


def _dispatcher(settings: Settings, service: IntakeService, gate: threading.Event | None = None) -> Dispatcher:
    """A dispatcher reading pages in this process, with a 120 s lease and a fast heartbeat; with
    `gate`, its readers hold each page until the gate opens."""
    setup = WorkerSetup(settings.reading, settings.storage, settings.data_dir / "objects", settings.cache_dir)

    def make_reader():  # noqa: ANN202
        reader = StoredPageReader(setup)

        def read(task: PageTask) -> dict:
            if gate is not None:
                gate.wait(30)
            return reader.read(task)

        return read

    timing = DispatchSettings(
        pipeline_version(settings.reading),
        lease_seconds=120.0,
        poll_seconds=0.05,
        heartbeat_seconds=0.2,
        dead_after_seconds=1.0,
    )
    return Dispatcher(service.db, LocalPool(make_reader, 3), settings.reading, timing, service.ctx.clock)


def _jobs(service: IntakeService, code: str) -> list[JobRow]:
    with service.db.transaction() as s:
        dossier_id = s.scalar(select(DossierRow.id).where(DossierRow.code == code))
        return list(s.scalars(select(JobRow).where(JobRow.dossier_id == dossier_id).order_by(JobRow.id)))


def test_the_jobs_of_a_dispatcher_that_stopped_beating_return_in_seconds_not_after_the_lease(local, born_digital):
    settings, service = local
    code = submit_files(service, ("cong-van.pdf", born_digital))
    gate = threading.Event()
    crashed = _dispatcher(settings, service, gate)
    crashed.step()  # claims the three pages, then its process "dies": no more beats, no more steps
    assert {job.lease_owner for job in _jobs(service, code)} == {crashed.owner}
    survivor = _dispatcher(settings, service)
    try:
        started = time.monotonic()
        assert survivor.run_until(lambda: dossier_state(service, code) == "needs_review", timeout=30)
        taken_back_in = time.monotonic() - started
    finally:
        gate.set()
        crashed.pool.shutdown()
        survivor.pool.shutdown()
    assert taken_back_in < 10, f"{taken_back_in:.1f} s: the 120 s lease was waited out"
    assert [(job.state, job.lease_owner) for job in _jobs(service, code)] == [(JobState.DONE, None)] * 3
    with service.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(PageResultRow)) == 3
        # The dead dispatcher's heartbeat is gone; the survivor's stays until it stops.
        assert list(s.scalars(select(DispatcherRow.owner))) == [survivor.owner]


def test_a_dispatcher_whose_process_ended_on_this_machine_is_dead_at_once(local, born_digital):
    settings, service = local
    code = submit_files(service, ("cong-van.pdf", born_digital))
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True)
    with service.db.transaction() as s:  # it beat a moment ago, then was killed
        s.add(DispatcherRow(owner="da-chet", host=this_machine(), pid=int(ended.stdout), beat_at=utcnow()))
        s.execute(
            update(JobRow)
            .where(JobRow.state == JobState.QUEUED.value)
            .values(state=JobState.RUNNING.value, lease_owner="da-chet", lease_until=utcnow() + timedelta(hours=1))
        )
    survivor = _dispatcher(settings, service)
    survivor.settings = replace(survivor.settings, dead_after_seconds=600.0)  # not by its silence
    try:
        assert survivor.run_until(lambda: dossier_state(service, code) == "needs_review", timeout=30)
    finally:
        survivor.pool.shutdown()
    assert [job.state for job in _jobs(service, code)] == [JobState.DONE] * 3


# --- approvals that do not finish ---------------------------------------------------------------


def test_an_approval_whose_package_cannot_be_stored_thaws_the_dossier(local, monkeypatch):
    _settings, service = local
    code = submit_files(service, ("to-khai.png", png(1)))
    (component_id,) = ready_for_review(service, code, ("quoc_tich",))

    def storage_full(*_args: object, **_kwargs: object) -> None:
        raise StorageUnavailable("local store cannot write: ENOSPC")

    monkeypatch.setattr(service.store, "put", storage_full)
    with pytest.raises(StorageUnavailable):
        service.review.approve(REVIEWER, code)
    assert dossier_state(service, code) == "needs_review"  # not frozen for ever
    service.review.correct_field(REVIEWER, code, component_id, "quoc_tich", "Lào")
    monkeypatch.undo()
    assert service.review.approve(REVIEWER, code).state == "validated"


def _freeze_as_if_an_approval_died(service: IntakeService, code: str, minutes_ago: float) -> None:
    with service.db.transaction() as s:
        s.execute(
            update(DossierRow)
            .where(DossierRow.code == code)
            .values(
                state="approving",
                approval_token="chet-giua-chung",
                approval_started_at=service.ctx.clock.now() - timedelta(minutes=minutes_ago),
            )
        )


def test_an_approval_that_died_mid_build_is_taken_over_or_released_after_the_timeout(local):
    _settings, service = local
    code = submit_files(service, ("to-khai.png", png(2)))
    (component_id,) = ready_for_review(service, code, ("quoc_tich",))
    timeout_minutes = APPROVAL_TIMEOUT.total_seconds() / 60

    _freeze_as_if_an_approval_died(service, code, minutes_ago=1)  # still building, as far as we know
    for act in (
        lambda: service.review.correct_field(REVIEWER, code, component_id, "quoc_tich", "Lào"),
        lambda: service.review.confirm_field(REVIEWER, code, component_id, "quoc_tich"),
        lambda: service.review.approve(REVIEWER, code),
    ):
        with pytest.raises(ServiceError) as refused:
            act()
        assert refused.value.code == "APPROVAL_IN_PROGRESS"

    _freeze_as_if_an_approval_died(service, code, minutes_ago=timeout_minutes + 1)
    assert service.review.correct_field(REVIEWER, code, component_id, "quoc_tich", "Lào").value == "Lào"
    assert dossier_state(service, code) == "needs_review"  # the correction released the dead freeze

    _freeze_as_if_an_approval_died(service, code, minutes_ago=timeout_minutes + 1)
    assert service.review.approve(REVIEWER, code).state == "validated"  # taken over
    with service.store.open(f"packages/{code}/fields.json") as stream:
        delivered = json.loads(stream.read())
    assert next(iter(delivered.values()))["quoc_tich"]["value"] == "Lào"


# --- kill -9 of the API ---------------------------------------------------------------------------


class _Server:
    """`sohoa serve` on a free loopback port, as a child process."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [SOHOA, "serve", "--port", str(self.port)], env=env, stdout=subprocess.DEVNULL, stderr=log.open("ab")
        )
        self.log = log
        self.base = f"http://127.0.0.1:{self.port}/api/v1"

    def wait_ready(self, http: httpx.Client, key: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if http.get(f"{self.base}/procedures", headers={"X-API-Key": key}).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert self.process.poll() is None and time.monotonic() < deadline, self.log.read_text()[-3000:]
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _progress(http: httpx.Client, server: _Server, key: str, code: str) -> dict:
    return http.get(f"{server.base}/dossiers/{code}", headers={"X-API-Key": key}).json()


@pytest.mark.services
@pytest.mark.ocr
@pytest.mark.xdist_group("services")
def test_kill_9_of_the_api_costs_seconds_and_leaves_no_ray_process(tmp_path):
    ray_dir = Path(tempfile.mkdtemp(prefix="sohoa-rk-", dir="/tmp"))  # short: Ray's socket paths
    env = {
        **os.environ,
        "SOHOA_DATA_DIR": str(tmp_path / "data"),
        "SOHOA_CACHE_DIR": str(tmp_path / "cache"),
        "SOHOA_RAY__TEMP_DIR": str(ray_dir),
        "SOHOA_RAY__WORKERS": "2",
    }
    settings = Settings(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    service = open_service(settings)
    counter = service.keys.create(Role.COUNTER, "nv.tiepnhan", service_point="HN-HOANKIEM")
    files = [(f.name, f.data) for f in ten_page_dossier() if not f.name.endswith(".pdf")][:6]
    code = submit_files(service, *files)

    def held_by(owner: str | None) -> int:
        with service.db.transaction() as s:
            return s.scalar(select(func.count()).select_from(JobRow).where(JobRow.lease_owner == owner)) or 0

    first = second = None
    left: list[str] = []
    try:
        with httpx.Client(timeout=60) as http:
            first = _Server(env, tmp_path / "first.log")
            first.wait_ready(http, counter)
            while (progress := _progress(http, first, counter, code))["progress"]["pages_done"] < 1:
                assert progress["state"] in ("queued", "processing"), progress
                time.sleep(0.1)
            first.process.send_signal(signal.SIGKILL)  # in the middle of the dossier
            killed_at = time.monotonic()
            first.process.wait()
            with service.db.transaction() as s:
                owners = set(s.scalars(select(JobRow.lease_owner).where(JobRow.state == JobState.RUNNING.value)))
                done_at_kill = s.scalar(
                    select(func.count()).select_from(JobRow).where(JobRow.state == JobState.DONE.value)
                )
            assert len(owners) == 1 and done_at_kill < len(files), (owners, done_at_kill)
            (dead_owner,) = owners
            held_at_kill = held_by(dead_owner)  # pages the dead server was reading
            old_sessions = [d for d in ray_dir.glob("session_2*") if d.is_dir()]
            assert len(old_sessions) == 1

            second = _Server(env, tmp_path / "second.log")
            second.wait_ready(http, counter)
            restarted_at = time.monotonic()
            left = processes_using(old_sessions[0])
            assert not left, "the dead server's Ray processes are still running:\n" + "\n".join(left)
            resumed_at = None
            while (progress := _progress(http, second, counter, code))["state"] in ("queued", "processing"):
                if resumed_at is None and held_by(dead_owner) == 0:
                    resumed_at = time.monotonic()  # the dead server's pages are back in work
                assert time.monotonic() - killed_at < 600, progress
                time.sleep(0.1)
            finished_at = time.monotonic()
    finally:
        for server in (first, second):
            if server is not None:
                server.stop()
        left_at_end = processes_left(ray_dir)
        kill_left(left + left_at_end)
        shutil.rmtree(ray_dir, ignore_errors=True)
    assert progress["state"] == "needs_review" and progress["progress"]["pages_done"] == len(files)
    assert not left_at_end, "a stopped server left Ray processes:\n" + "\n".join(left_at_end)
    resumed_at = resumed_at or finished_at
    figures = {
        "pages": len(files),
        "pages_done_at_kill": done_at_kill,
        "pages_held_by_the_dead_server": held_at_kill,
        "restart_s": round(restarted_at - killed_at, 1),
        "crash_to_resume_s": round(resumed_at - killed_at, 1),
        "crash_to_finished_s": round(finished_at - killed_at, 1),
    }
    print("kill -9 figures:", json.dumps(figures))
    # The dead server's pages are back in work seconds after the crash, not after the 120 s lease.
    assert resumed_at - killed_at < 60, figures
    with service.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(PageResultRow)) == len(files)  # none lost
        assert s.scalar(select(func.count()).select_from(JobRow)) == len(files)  # none queued twice
    service.db.dispose()
