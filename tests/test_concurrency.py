"""Integrity under concurrency, on SQLite and on PostgreSQL: 20 clients at once, several rounds
(a race that shows in one run of three is caught).

- 20 parallel submits of one dossier: one code for every caller, its pages queued once;
- 20 parallel uploads of different files to one dossier: unique positions, and every file of the
  package matches its manifest SHA-256 (no package name collides);
- 20 dossiers submitted at once at one service point: unique, gapless daily codes, no 5xx;
- approvals and corrections at once: at most one approval wins; `fields.json` matches its manifest
  SHA-256; a correction is either in the package or refused with 409, never a 200 left out.

The clients are threads sharing the API's test client: each request runs on the API's own
thread pool, as under uvicorn, so their transactions really overlap.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
from collections import Counter
from collections.abc import Callable
from functools import partial

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from intake.auth import Principal, Role
from intake.schemas import DossierCreate
from intake.service import open_service
from pipeline.fields.address import wards
from storage.tables import AccessLogRow, CodeCounterRow, ComponentRow, DossierRow, FieldRow, JobRow, PageRow
from tests.intake_support import API, BACKENDS, RunningApi, make_settings, start_api
from tests.integrity_support import at_once, png, ready_for_review

pytestmark = [pytest.mark.services, pytest.mark.xdist_group("services")]

CLIENTS = 20
ROUNDS = 5
TEXT_FIELDS = (
    "quoc_tich",
    "que_quan",
    "noi_thuong_tru",
    "dan_toc",
    "ton_giao",
    "noi_sinh",
    "noi_cu_tru",
    "noi_tam_tru",
    "noi_o_hien_tai",
    "trich_yeu",
)


@pytest.fixture(params=BACKENDS)
def api(request, tmp_path):
    settings = make_settings(request.param, request, tmp_path)
    service = open_service(settings)
    try:
        with start_api(settings, process=False, service=service) as running:
            yield running
    finally:
        service.db.dispose()


def _submit(api: RunningApi, ref: str):  # noqa: ANN202
    return api.client.post(f"{API}/dossiers/{ref}/submit", headers=api.headers("counter"))


def _no_server_errors(responses: list) -> None:
    errors = [(r.status_code, r.text[:200]) for r in responses if r.status_code >= 500]
    assert not errors, errors


def _sequence(code: str) -> int:
    return int(code.rsplit("-", 1)[1])


def test_parallel_submits_of_one_dossier_issue_one_code_and_queue_each_page_once(api):
    issued: list[str] = []
    for round_ in range(ROUNDS):
        dossier = api.new_dossier()
        for i in range(3):
            assert api.upload(dossier["id"], f"trang-{i}.png", png(100 * round_ + i)).status_code == 201
        responses = at_once([partial(_submit, api, dossier["id"])] * CLIENTS)
        _no_server_errors(responses)
        assert {r.status_code for r in responses} == {200}, [r.text[:200] for r in responses if r.status_code != 200]
        codes = {r.json()["code"] for r in responses}
        assert len(codes) == 1, codes  # every caller was told the same code
        issued += codes
        with api.service.db.transaction() as s:
            dossier_id = s.scalar(select(DossierRow.id).where(DossierRow.public_id == dossier["id"]))
            pages = s.scalar(
                select(func.count())
                .select_from(PageRow)
                .join(ComponentRow, ComponentRow.id == PageRow.component_id)
                .where(ComponentRow.dossier_id == dossier_id)
            )
            jobs = s.scalar(select(func.count()).select_from(JobRow).where(JobRow.dossier_id == dossier_id))
        assert (pages, jobs) == (3, 3)
    assert [_sequence(c) for c in issued] == list(range(1, ROUNDS + 1))  # no code spent on a duplicate


def _approve(api: RunningApi, code: str):  # noqa: ANN202
    return api.client.post(f"{API}/review/dossiers/{code}/approve", headers=api.headers("reviewer"))


def _package(api: RunningApi, code: str) -> tuple[dict, dict[str, bytes]]:
    """The manifest and every file it lists, as the store holds them."""
    prefix = f"packages/{code}/"
    with api.service.store.open(prefix + "manifest.json") as stream:
        manifest = json.loads(stream.read())
    files = {}
    for entry in manifest["files"]:
        with api.service.store.open(prefix + entry["name"]) as stream:
            files[entry["name"]] = stream.read()
    return manifest, files


def _assert_package_matches_its_manifest(manifest: dict, files: dict[str, bytes]) -> None:
    names = [entry["name"] for entry in manifest["files"]]
    assert len(names) == len(set(names)), Counter(names).most_common(3)
    for entry in manifest["files"]:
        assert hashlib.sha256(files[entry["name"]]).hexdigest() == entry["sha256"], entry["name"]


def test_parallel_uploads_to_one_dossier_get_unique_positions_and_an_intact_package(api):
    for round_ in range(ROUNDS):
        dossier = api.new_dossier()
        images = [png(1000 + 100 * round_ + i) for i in range(CLIENTS)]
        responses = at_once(
            [partial(api.upload, dossier["id"], f"giay-to-{i}.png", data) for i, data in enumerate(images)]
        )
        _no_server_errors(responses)
        assert [r.status_code for r in responses] == [201] * CLIENTS, [r.text[:200] for r in responses]
        positions = sorted(r.json()["position"] for r in responses)
        assert positions == list(range(1, CLIENTS + 1))
        code = _submit(api, dossier["id"]).json()["code"]
        ready_for_review(api.service, code)
        assert _approve(api, code).status_code == 200
        manifest, files = _package(api, code)
        pdfs = [name for name in files if name.startswith("components/")]
        assert len(pdfs) == CLIENTS
        _assert_package_matches_its_manifest(manifest, files)
        assert {c["original"]["sha256"] for c in manifest["components"]} == {
            hashlib.sha256(data).hexdigest() for data in images
        }


def test_dossiers_submitted_at_once_at_one_point_get_unique_gapless_codes(api):
    codes: list[str] = []
    for round_ in range(ROUNDS):
        refs = []
        for i in range(CLIENTS):
            dossier = api.new_dossier()
            assert api.upload(dossier["id"], "don.png", png(3000 + 100 * round_ + i)).status_code == 201
            refs.append(dossier["id"])
        responses = at_once([partial(_submit, api, ref) for ref in refs])
        _no_server_errors(responses)
        assert [r.status_code for r in responses] == [200] * CLIENTS, [r.text[:200] for r in responses]
        codes += [r.json()["code"] for r in responses]
        assert sorted(_sequence(c) for c in codes) == list(range(1, len(codes) + 1))  # unique and gapless
    with api.service.db.transaction() as s:
        assert s.scalar(select(func.sum(CodeCounterRow.value))) == len(codes)


def _correct(api: RunningApi, code: str, component_id: int, name: str, value: str):  # noqa: ANN202
    return api.client.put(
        f"{API}/review/dossiers/{code}/components/{component_id}/fields/{name}",
        json={"value": value},
        headers=api.headers("reviewer"),
    )


def test_approval_freezes_the_dossier_against_parallel_approvals_and_corrections(api):
    for round_ in range(ROUNDS):
        dossier = api.new_dossier()
        assert api.upload(dossier["id"], "to-khai.png", png(5000 + round_)).status_code == 201
        code = _submit(api, dossier["id"]).json()["code"]
        (component_id,) = ready_for_review(api.service, code, TEXT_FIELDS)
        approvals = CLIENTS - len(TEXT_FIELDS)
        # Distinct catalogued units: a reviewer's place must name one (pipeline.fields.typed_check).
        units = wards()[round_ * len(TEXT_FIELDS) :]
        values = {name: f"{unit.name}, {unit.province_name}" for name, unit in zip(TEXT_FIELDS, units, strict=False)}
        calls: list[Callable[[], object]] = [partial(_approve, api, code)] * approvals
        calls += [partial(_correct, api, code, component_id, name, values[name]) for name in TEXT_FIELDS]
        responses = at_once(calls)
        _no_server_errors(responses)
        for response in responses[:approvals]:
            assert response.status_code == 200 or (
                response.status_code == 409 and response.json()["code"] == "APPROVAL_IN_PROGRESS"
            ), response.text[:200]
        with api.service.db.transaction() as s:
            approved = s.scalar(
                select(func.count())
                .select_from(AccessLogRow)
                .where(AccessLogRow.dossier_code == code, AccessLogRow.action == "approve")
            )
        assert approved == 1  # at most one approval won (and one did)
        assert _approve(api, code).json()["state"] == "validated"
        manifest, files = _package(api, code)
        _assert_package_matches_its_manifest(manifest, files)
        delivered = next(iter(json.loads(files["fields.json"]).values()))
        for name, response in zip(TEXT_FIELDS, responses[approvals:], strict=True):
            if response.status_code == 200:  # a correction the reviewer was told is kept is delivered
                assert delivered[name]["value"] == response.json()["value"] == values[name]
            else:
                assert response.status_code == 409, response.text[:200]
                assert response.json()["code"] in ("APPROVAL_IN_PROGRESS", "DOSSIER_NOT_EDITABLE")
                assert delivered[name]["value"] == "Việt Nam"


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_read_neither_waits_for_a_writer_nor_may_write(backend, request, tmp_path):
    service = open_service(make_settings(backend, request, tmp_path))
    db = service.db
    try:
        with db.transaction() as writer:
            writer.add(CodeCounterRow(unit="000.00.01.H26", day="2026-12-01", value=7))
            writer.flush()  # holds the write lock (SQLite) and the new row's lock until it ends
            started = time.monotonic()
            with db.reading() as s:  # a snapshot: the uncommitted row is not seen, and not waited for
                assert s.get(CodeCounterRow, ("000.00.01.H26", "2026-12-01")) is None
            assert time.monotonic() - started < 2
        if backend == "s3-postgres":  # where the database can refuse it, a write in a read is refused
            with pytest.raises(DBAPIError), db.reading() as s:
                s.add(CodeCounterRow(unit="000.00.01.H26", day="2026-12-02", value=1))
                s.flush()
    finally:
        db.dispose()


def test_the_upgrade_keeps_every_row_and_one_of_each_page_that_parallel_submits_queued_twice(request, tmp_path):
    """On SQLite a migration rebuilds a table to change a constraint: the rows that refer to it
    must survive (no cascade while it is dropped); the pages a race queued twice are kept once."""
    service = open_service(make_settings("local-sqlite", request, tmp_path))
    clerk = Principal(Role.COUNTER, "nv.tiepnhan", "HN-HOANKIEM")
    body = {"procedure_code": "2.000200", "service_point_code": "HN-HOANKIEM", "applicant": {"full_name": "Mẫu"}}
    dossier = service.dossiers.create(clerk, DossierCreate.model_validate(body))
    service.dossiers.add_file(clerk, dossier.id, "a.png", io.BytesIO(png(9)))
    code = service.dossiers.submit(clerk, dossier.id).code
    assert code is not None
    ready_for_review(service, code, ("quoc_tich",))
    service.db.downgrade("0003")  # the schema before positions and pages were unique
    with service.db.engine.begin() as connection:  # what a race left behind
        connection.exec_driver_sql(
            'INSERT INTO pages (component_id, "index", page_key) SELECT component_id, "index", page_key FROM pages'
        )
        connection.exec_driver_sql(
            "INSERT INTO jobs (dossier_id, page_id, state, attempts, updated_at) "
            "SELECT dossier_id, page_id + 1, state, attempts, updated_at FROM jobs"
        )
    service.db.upgrade()
    with service.db.transaction() as s:
        counts = [s.scalar(select(func.count()).select_from(t)) for t in (ComponentRow, FieldRow, PageRow, JobRow)]
    assert counts == [1, 1, 1, 1]
    service.db.dispose()
