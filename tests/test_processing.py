"""Processing on a real local Ray: faults do not lose or repeat work.

- an OCR actor killed in the middle of a dossier: the dossier still completes;
- a dispatcher that crashes (no clean stop): another one takes its jobs back when the
  leases run out, and every page is read and recorded once;
- the API restarts while dossiers are processing: they resume and complete;
- a page that keeps failing: bounded retries, then the dossier is flagged for attention
  while its other pages complete;
- page results are reused by content and pipeline version; a reviewer's value survives
  reprocessing;
- a multi-page PDF is downloaded once per actor, not once per page.
"""

from __future__ import annotations

import io
import os

import pytest
import ray
from sqlalchemy import func, select

from intake.auth import Principal, Role
from intake.processing.dispatcher import Dispatcher, DispatchSettings
from intake.processing.finalize import finalize_dossier
from intake.processing.jobs import JobState, pipeline_version
from intake.processing.pool import WorkerSetup
from intake.processing.ray_pool import WorkerPool
from intake.schemas import ApplicantBase, DossierCreate
from intake.service import open_service
from storage.tables import DossierRow, FieldRow, JobRow, PageResultRow
from tests.intake_support import API, GeneratedFile, make_settings, start_api, ten_page_dossier

pytestmark = [pytest.mark.services, pytest.mark.ocr, pytest.mark.xdist_group("services")]

CLERK = Principal(Role.COUNTER, "nv.tiepnhan", "HN-HOANKIEM")
REVIEWER = Principal(Role.REVIEWER, "kt.kiemtra")


@pytest.fixture
def env(request, tmp_path, local_ray):
    settings = make_settings("local-sqlite", request, tmp_path, processing={"lease_seconds": 3})
    service = open_service(settings)
    pools: list[WorkerPool] = []

    def dispatcher(max_attempts: int = 3) -> Dispatcher:
        pool = WorkerPool(
            WorkerSetup(settings.reading, settings.storage, settings.data_dir / "objects", settings.cache_dir), 2
        )
        pools.append(pool)
        return Dispatcher(
            service.db,
            pool,
            settings.reading,
            DispatchSettings(pipeline_version(settings.reading), max_attempts, settings.processing.lease_seconds, 0.1),
            service.ctx.clock,
        )

    yield settings, service, dispatcher
    for pool in pools:
        pool.shutdown()


def _submit(service, files) -> str:  # noqa: ANN001
    dossier = service.dossiers.create(
        CLERK,
        DossierCreate(
            procedure_code="2.000200", service_point_code="HN-HOANKIEM", applicant=ApplicantBase(full_name="Mẫu")
        ),
    )
    for f in files:
        service.dossiers.add_file(CLERK, dossier.id, f.name, io.BytesIO(f.data))
    return service.dossiers.submit(CLERK, dossier.id).code


def _state(service, code: str) -> str:  # noqa: ANN001
    with service.db.transaction() as s:
        return s.scalar(select(DossierRow.state).where(DossierRow.code == code))


def _finished(service, code: str):  # noqa: ANN001, ANN202
    return lambda: _state(service, code) not in ("queued", "processing")


def _jobs(service, code: str) -> list[JobRow]:  # noqa: ANN001
    with service.db.transaction() as s:
        dossier_id = s.scalar(select(DossierRow.id).where(DossierRow.code == code))
        return list(s.scalars(select(JobRow).where(JobRow.dossier_id == dossier_id).order_by(JobRow.id)))


def test_killed_actor_does_not_stop_the_dossier(env):
    _settings, service, make_dispatcher = env
    files = [f for f in ten_page_dossier() if not f.name.endswith(".pdf")][:4]
    code = _submit(service, files)
    dispatcher = make_dispatcher()
    pids = ray.get([actor.pid.remote() for actor in dispatcher.pool.actors])
    dispatcher.step()  # both actors now hold a page
    assert len(dispatcher.pool.in_flight) == 2
    victim = dispatcher.pool.actors[0]
    ray.kill(victim, no_restart=False)  # the process dies mid-page; Ray restarts the actor
    assert dispatcher.run_until(_finished(service, code), timeout=240)
    assert _state(service, code) == "needs_review"
    assert all(job.state == JobState.DONE for job in _jobs(service, code))
    assert ray.get(victim.pid.remote()) not in pids  # it is a new process


def test_crashed_dispatcher_jobs_are_taken_back_and_read_once(env):
    settings, service, make_dispatcher = env
    files = [f for f in ten_page_dossier() if not f.name.endswith(".pdf")][:3]
    code = _submit(service, files)
    crashed = make_dispatcher()
    crashed.step()  # claims two pages, then "dies": no stop, its leases stay behind
    for actor in crashed.pool.actors:
        ray.kill(actor, no_restart=True)
    assert {job.state for job in _jobs(service, code)} == {JobState.RUNNING, JobState.QUEUED}

    survivor = make_dispatcher()
    assert survivor.run_until(_finished(service, code), timeout=240)
    assert _state(service, code) == "needs_review"
    jobs = _jobs(service, code)
    assert all(job.state == JobState.DONE for job in jobs) and max(job.attempts for job in jobs) <= 2
    with service.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(PageResultRow)) == len(files)


def test_api_restart_resumes_processing(request, tmp_path, local_ray):
    settings = make_settings("local-sqlite", request, tmp_path)
    files = [f for f in ten_page_dossier() if not f.name.endswith(".pdf")][:4]
    service = open_service(settings)
    with start_api(settings, service=service) as api:
        dossier = api.new_dossier()
        for f in files:
            assert api.upload(dossier["id"], f.name, f.data).status_code == 201
        code = api.client.post(f"{API}/dossiers/{dossier['id']}/submit", headers=api.headers("counter")).json()["code"]
    # The API went down right after the submit; a new process on the same database and storage:
    assert _state(service, code) in ("queued", "processing")
    with start_api(settings, service=open_service(settings)) as api:
        done = api.wait_processed(code)
    assert done["state"] == "needs_review" and done["progress"]["pages_done"] == 4


def test_a_page_that_keeps_failing_flags_the_dossier_and_the_others_complete(env):
    settings, service, make_dispatcher = env
    files = [f for f in ten_page_dossier() if not f.name.endswith(".pdf")][:2]
    code = _submit(service, files)
    # The stored original of the second file is damaged after acceptance (disk fault).
    with service.db.transaction() as s:
        dossier = s.scalar(select(DossierRow).where(DossierRow.code == code))
        damaged = settings.data_dir / "objects" / dossier.components[1].object_key
    os.chmod(damaged, 0o644)
    damaged.write_bytes(damaged.read_bytes()[:2000])
    dispatcher = make_dispatcher(max_attempts=2)
    assert dispatcher.run_until(_finished(service, code), timeout=240)
    assert _state(service, code) == "needs_attention"
    good, bad = _jobs(service, code)
    assert good.state == JobState.DONE
    assert bad.state == JobState.FAILED and bad.attempts == 2 and "CORRUPT_FILE" in (bad.last_error or "")
    status = service.dossiers.status(CLERK, code)
    assert files[1].name in status.attention_reason and status.progress.pages_failed == 1

    # Once the file is restored, a reviewer has the failed page read again.
    damaged.write_bytes(files[1].data)
    assert service.review.retry_failed_pages(REVIEWER, code).state == "queued"
    assert dispatcher.run_until(_finished(service, code), timeout=240)
    assert _state(service, code) == "needs_review"
    assert [job.state for job in _jobs(service, code)] == [JobState.DONE, JobState.DONE]


def test_page_results_are_reused_and_reviewed_values_survive_reprocessing(env):
    settings, service, make_dispatcher = env
    card = next(f for f in ten_page_dossier() if f.kind == "cccd_front")
    first = _submit(service, [card])
    dispatcher = make_dispatcher()
    assert dispatcher.run_until(_finished(service, first), timeout=240)

    # The same page in another dossier is not read again.
    second = _submit(service, [card])
    assert dispatcher.run_until(_finished(service, second), timeout=60)
    assert [job.attempts for job in _jobs(service, second)] == [0]
    with service.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(PageResultRow)) == 1

    review = service.review.dossier(REVIEWER, first)
    component = review.components[0]
    service.review.correct_field(REVIEWER, first, component.id, "ho_va_ten", "TRẦN THỊ SỬA")
    with service.db.transaction() as s:
        dossier = s.scalar(select(DossierRow).where(DossierRow.code == first))
        finalize_dossier(
            s, dossier, settings.reading, pipeline_version(settings.reading), service.ctx.clock.now().date()
        )
    with service.db.transaction() as s:
        names = dict(
            s.execute(select(FieldRow.name, FieldRow.value).where(FieldRow.component_id == component.id)).all()
        )
    assert names["ho_va_ten"] == "TRẦN THỊ SỬA"
    assert names["so_dinh_danh"] == card.truth_fields["so_dinh_danh"]


def test_a_multi_page_pdf_is_downloaded_once_per_actor(env):
    from samples.generate import generate_document

    _settings, service, make_dispatcher = env
    pdf = generate_document("pdf_born_digital", "clean", 0).pdf_bytes
    code = _submit(service, [GeneratedFile("cong-van.pdf", pdf or b"", 3, "pdf_born_digital", {})])
    dispatcher = make_dispatcher()
    assert dispatcher.run_until(_finished(service, code), timeout=120)
    assert [job.state for job in _jobs(service, code)] == [JobState.DONE] * 3
    # Two actors, three pages: each actor fetched the file once.
    assert ray.get([actor.downloads.remote() for actor in dispatcher.pool.actors]) == [1, 1]


def test_local_ray_listens_on_loopback_only(local_ray):
    import psutil

    ray.get(ray.remote(lambda: 1).remote())  # a worker process exists too
    family = {psutil.Process().pid} | {p.pid for p in psutil.Process().children(recursive=True)}
    listening = [c for c in psutil.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN and c.pid in family]
    assert listening
    assert {c.laddr.ip for c in listening} <= {"127.0.0.1", "::ffff:127.0.0.1"}
