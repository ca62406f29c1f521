"""Helpers shared by the intake service tests: settings for each backend set, a running API,
and a generated 10-page dossier with its truth."""

from __future__ import annotations

import io
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from intake.auth import Principal, Role
from intake.clock import Clock
from intake.processing.dispatcher import Dispatcher, DispatchSettings
from intake.processing.jobs import pipeline_version
from intake.processing.pool import LocalPool, StoredPageReader, WorkerSetup
from intake.schemas import ApplicantBase, DossierCreate
from intake.service import IntakeService, open_service
from intake.settings import Settings

BACKENDS = ("local-sqlite", "s3-postgres")
API = "/api/v1"


def make_settings(backend: str, request, tmp_path: Path, **overrides) -> Settings:  # noqa: ANN001
    values: dict = {
        "data_dir": tmp_path / "data",
        "cache_dir": tmp_path / "cache",
        "ray": {"workers": 2},
        "processing": {"lease_seconds": 5, "poll_seconds": 0.1},
        # Tests never let a webhook reach beyond this machine (a fuzzer registers any URL); their
        # receivers listen on loopback, over http.
        "webhooks": {"allowed_hosts": ["127.0.0.1"], "allow_http": True},
    }
    if backend == "s3-postgres":
        s3 = request.getfixturevalue("s3_server")
        pg = request.getfixturevalue("postgres_server")
        name = f"t{uuid.uuid4().hex[:16]}"
        values["database_url"] = pg.create_database(name)
        values["storage"] = s3.storage_settings(name)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(values.get(key), dict):
            values[key] = {**values[key], **value}
        else:
            values[key] = value
    return Settings(**values)


@dataclass
class RunningApi:
    client: TestClient
    service: IntakeService
    keys: dict[str, str] = field(default_factory=dict)

    def headers(self, who: str) -> dict[str, str]:
        return {"X-API-Key": self.keys[who]}

    def new_dossier(self, procedure: str = "2.000200", agency: str | None = None) -> dict:
        body = {
            "procedure_code": procedure,
            "service_point_code": "HN-HOANKIEM",
            "applicant": {"full_name": "Nguyễn Thị Mẫu", "id_number": "001199000001"},
        }
        if agency:
            body["agency_code"] = agency
        response = self.client.post(f"{API}/dossiers", json=body, headers=self.headers("counter"))
        assert response.status_code == 201, response.text
        return response.json()

    def upload(self, ref: str, name: str, data: bytes):  # noqa: ANN201
        return self.client.post(
            f"{API}/dossiers/{ref}/files", files={"file": (name, data)}, headers=self.headers("counter")
        )

    def wait_processed(self, ref: str, timeout: float = 240.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            body = self.client.get(f"{API}/dossiers/{ref}", headers=self.headers("counter")).json()
            if body["state"] not in ("queued", "processing"):
                return body
            time.sleep(0.25)
        raise AssertionError(f"dossier {ref} still processing after {timeout} s")


def start_api(settings: Settings, *, process: bool = True, service: IntakeService | None = None, keys: bool = True):  # noqa: ANN201
    """A context manager: the API (with Ray processing unless told not) and keys for each role: the
    counter at HN-HOANKIEM (where `new_dossier` creates), another counter at HN-BADINH, a
    reviewer, the agency of procedure 2.000200 and another agency."""
    service = service or open_service(settings)
    keys = (
        {
            "counter": service.keys.create(Role.COUNTER, "nv.tiepnhan", service_point="HN-HOANKIEM"),
            "other_counter": service.keys.create(Role.COUNTER, "nv.badinh", service_point="HN-BADINH"),
            "reviewer": service.keys.create(Role.REVIEWER, "kt.kiemtra"),
            "agency": service.keys.create(Role.AGENCY, "000.00.20.H26"),
            "other_agency": service.keys.create(Role.AGENCY, "000.00.30.H26"),
            "admin": service.keys.create(Role.ADMIN, "qt.quantri"),  # e.g. the leaders' dashboard
            "online": service.keys.create(Role.ONLINE, "dvc-quocgia", service_point="HN-HOANKIEM"),  # the portal
        }
        if keys
        else {}
    )

    class _Context:
        def __enter__(self) -> RunningApi:
            self.client = TestClient(create_app(settings, process=process, service=service))
            self.client.__enter__()
            return RunningApi(self.client, service, keys)

        def __exit__(self, *exc) -> None:  # noqa: ANN002
            self.client.__exit__(*exc)

    return _Context()


@dataclass
class GeneratedFile:
    name: str
    data: bytes
    pages: int
    kind: str
    truth_fields: dict[str, str]


def ten_page_dossier(seed: int = 4242) -> list[GeneratedFile]:
    """Six card and form images, a born-digital PDF and a mixed PDF, topped up to exactly 10 pages."""
    from samples.generate import generate_document

    files: list[GeneratedFile] = []
    for offset, kind in enumerate(
        (
            "pdf_born_digital",
            "pdf_mixed",
            "cccd_front",
            "cccd_back",
            "to_khai_khai_sinh",
            "don",
            "ct01",
            "cong_van",
            "cccd_front",
            "don",
            "ct01",
            "cong_van",
        )
    ):
        if sum(f.pages for f in files) == 10:
            break
        doc = generate_document(kind, "clean", seed + offset)
        truth = {name: spec["value"] for name, spec in doc.truth.get("fields", {}).items()}
        if doc.pdf_bytes is not None:
            if sum(f.pages for f in files) + len(doc.pages) > 10:
                continue
            files.append(GeneratedFile(f"{kind}-{offset}.pdf", doc.pdf_bytes, len(doc.pages), kind, truth))
        else:
            ext = "jpg" if doc.page_files[0][:2] == b"\xff\xd8" else "png"
            files.append(GeneratedFile(f"{kind}-{offset}.{ext}", doc.page_files[0], 1, kind, truth))
    assert sum(f.pages for f in files) == 10
    return files


ERROR_KEYS = {"code", "message", "message_en", "request_id"}  # request_id: the X-Request-ID header


def assert_error(response, status: int | tuple[int, ...], code: str | None = None) -> dict:
    """The answer is a refusal in the one error shape (with `errors` on a 422), and its body."""
    statuses = (status,) if isinstance(status, int) else status
    assert response.status_code in statuses, (response.status_code, response.text[:500])
    body = response.json()
    assert ERROR_KEYS <= set(body) <= ERROR_KEYS | {"errors", "current", "may_keep"}, body
    assert all(isinstance(body[k], str) and body[k] for k in ERROR_KEYS), body
    assert body["request_id"] == response.headers["x-request-id"], body  # what a clerk quotes to support
    if code is not None:
        assert body["code"] == code, body
    return body


CLERK = Principal(Role.COUNTER, "nv.tiepnhan", "HN-HOANKIEM")


def submit_files(service: IntakeService, *files: tuple[str, bytes], applicant: ApplicantBase | None = None) -> str:
    """A dossier of `files` (name, bytes) submitted at the counter, as a clerk would: its code."""
    dossier = service.dossiers.create(
        CLERK,
        DossierCreate(
            procedure_code="2.000200",
            service_point_code="HN-HOANKIEM",
            applicant=applicant or ApplicantBase(full_name="Mẫu"),
        ),
    )
    for name, data in files:
        service.dossiers.add_file(CLERK, dossier.id, name, io.BytesIO(data))
    code = service.dossiers.submit(CLERK, dossier.id).code
    assert code is not None
    return code


def dossier_state(service: IntakeService, code: str) -> str:
    from sqlalchemy import select

    from storage.tables import DossierRow

    with service.db.transaction() as s:
        return s.scalar(select(DossierRow.state).where(DossierRow.code == code)) or ""


def in_process_dispatcher(settings: Settings, service: IntakeService, clock: Clock) -> tuple[LocalPool, Dispatcher]:
    """The real dispatcher over one reader in this process (no Ray): a test drives it with
    `run_until`; the caller shuts the pool down."""
    setup = WorkerSetup(settings.reading, settings.storage, settings.data_dir / "objects", settings.cache_dir)
    pool = LocalPool(lambda: StoredPageReader(setup).read, 1)
    timing = DispatchSettings(pipeline_version(settings.reading), 2, 60.0, poll_seconds=0.05)
    return pool, Dispatcher(service.db, pool, settings.reading, timing, clock)
