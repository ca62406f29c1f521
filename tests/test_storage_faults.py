"""A store that cannot write answers 503 STORAGE_UNAVAILABLE with nothing recorded; the data files
are private to the service user; a database error never carries the statement's values.

- a full store: a 256 KiB tmpfs mounted over the object store (a user and mount namespace, with
  `unshare`), and in process a disk whose writes fail with ENOSPC (fsync);
- a read-only store: a read-only tmpfs mounted the same way (a directory made read-only does not
  stop root, which these tests may run as);
- files: the database and its WAL 0600, originals 0400, package files 0600, directories 0700;
- a failed statement's parameters (a name, an ID number) appear neither in the error nor in the log.
"""

from __future__ import annotations

import errno
import io
import logging
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select

from intake.auth import Principal, Role
from intake.schemas import ApplicantBase, DossierCreate
from intake.service import open_service
from intake.settings import Settings
from loopback.ports import free_port
from storage.tables import ComponentRow, DossierRow
from tests.intake_support import API, BACKENDS, make_settings, start_api
from tests.integrity_support import png, ready_for_review

CLERK = Principal(Role.COUNTER, "nv.tiepnhan", "HN-HOANKIEM")
REVIEWER = Principal(Role.REVIEWER, "kt.kiemtra")
SOHOA = str(Path(sys.executable).parent / "sohoa")


def _noise_png(side: int = 320) -> bytes:
    """An image that does not compress: larger than the tiny store."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buffer, format="PNG")
    return buffer.getvalue()


def _components(settings: Settings) -> int:
    service = open_service(settings)
    try:
        with service.db.transaction() as s:
            return s.scalar(select(func.count()).select_from(ComponentRow)) or 0
    finally:
        service.db.dispose()


# --- in process: a disk whose writes fail ---------------------------------------------------------


def test_a_store_whose_disk_is_full_answers_503_and_records_nothing(request, tmp_path, monkeypatch):
    settings = make_settings("local-sqlite", request, tmp_path)
    with start_api(settings, process=False) as api:
        dossier = api.new_dossier()
        assert api.upload(dossier["id"], "don.png", png(1)).status_code == 201
        code = api.client.post(f"{API}/dossiers/{dossier['id']}/submit", headers=api.headers("counter")).json()["code"]
        ready_for_review(api.service, code)
        late = api.new_dossier()

        def full(_fd: int) -> None:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(os, "fsync", full)  # what the store calls before a file counts as written
        response = api.upload(late["id"], "cccd.png", png(2))
        assert response.status_code == 503 and response.json()["code"] == "STORAGE_UNAVAILABLE", response.text
        response = api.client.post(f"{API}/review/dossiers/{code}/approve", headers=api.headers("reviewer"))
        assert response.status_code == 503 and response.json()["code"] == "STORAGE_UNAVAILABLE", response.text
        monkeypatch.undo()

        with api.service.db.transaction() as s:
            assert s.scalar(select(func.count()).select_from(ComponentRow)) == 1  # the first file only
            assert s.scalar(select(DossierRow.state).where(DossierRow.code == code)) == "needs_review"
        objects = settings.data_dir / "objects"
        assert not [p for p in objects.rglob(".incoming-*")], "a half-written file was left behind"
        # Space is back: the same requests succeed.
        assert api.upload(late["id"], "cccd.png", png(2)).status_code == 201
        response = api.client.post(f"{API}/review/dossiers/{code}/approve", headers=api.headers("reviewer"))
        assert response.status_code == 200 and response.json()["state"] == "validated"


# --- a real full or read-only file system over the store ------------------------------------------


def _can_mount() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", "mount -t tmpfs tmpfs /mnt"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


@pytest.fixture
def store_on_tmpfs(request, tmp_path):
    """`sohoa serve` (API only) whose object store is a tmpfs mounted with `options` in a namespace
    of its own; yields (base URL, counter key, settings) for a mount option string."""
    if not _can_mount():
        pytest.skip("no user and mount namespaces here (unshare): the in-process ENOSPC test covers it")
    started: list[subprocess.Popen] = []

    def start(options: str) -> tuple[str, str, Settings]:
        data = tmp_path / f"data-{len(started)}"
        settings = Settings(data_dir=data, cache_dir=tmp_path / "cache")
        service = open_service(settings)  # migrate, keys; creates data/objects (the mount point)
        key = service.keys.create(Role.COUNTER, "nv.tiepnhan", service_point="HN-HOANKIEM")
        service.db.dispose()
        port = free_port()
        script = f'mount -t tmpfs -o {options} tmpfs "$1" && exec "$2" serve --no-processing --port {port}'
        log = (tmp_path / f"serve-{len(started)}.log").open("wb")
        process = subprocess.Popen(
            ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script, "sh", str(data / "objects"), SOHOA],
            env={**os.environ, "SOHOA_DATA_DIR": str(data), "SOHOA_CACHE_DIR": str(tmp_path / "cache")},
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        started.append(process)
        base = f"http://127.0.0.1:{port}{API}"
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/procedures", headers={"X-API-Key": key}).status_code == 200:
                    return base, key, settings
            except httpx.TransportError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, log.name
            time.sleep(0.2)

    yield start
    for process in started:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _new_dossier(http: httpx.Client, base: str, key: str) -> str:
    body = {
        "procedure_code": "2.000200",
        "service_point_code": "HN-HOANKIEM",
        "applicant": {"full_name": "Nguyễn Thị Mẫu", "id_number": "001199000001"},
    }
    response = http.post(f"{base}/dossiers", json=body, headers={"X-API-Key": key})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _upload(http: httpx.Client, base: str, key: str, ref: str, data: bytes) -> httpx.Response:
    return http.post(f"{base}/dossiers/{ref}/files", files={"file": ("anh.png", data)}, headers={"X-API-Key": key})


@pytest.mark.services
def test_a_full_file_system_under_the_store_answers_503_with_nothing_recorded(store_on_tmpfs):
    base, key, settings = store_on_tmpfs("size=256k")
    big = _noise_png()
    assert len(big) > 256 * 1024
    with httpx.Client(timeout=60) as http:
        ref = _new_dossier(http, base, key)
        assert _upload(http, base, key, ref, png(3)).status_code == 201  # what fits is stored
        response = _upload(http, base, key, ref, big)
        assert response.status_code == 503 and response.json()["code"] == "STORAGE_UNAVAILABLE", response.text
        assert "thử lại" in response.json()["message"]
        listed = http.get(f"{base}/dossiers/{ref}", headers={"X-API-Key": key}).json()["components"]
        assert len(listed) == 1
        assert _upload(http, base, key, ref, png(4)).status_code == 201  # no space was leaked
    assert _components(settings) == 2


@pytest.mark.services
def test_a_read_only_file_system_under_the_store_answers_503_with_nothing_recorded(store_on_tmpfs):
    base, key, settings = store_on_tmpfs("ro")
    with httpx.Client(timeout=60) as http:
        ref = _new_dossier(http, base, key)
        response = _upload(http, base, key, ref, png(5))
        assert response.status_code == 503 and response.json()["code"] == "STORAGE_UNAVAILABLE", response.text
        assert http.get(f"{base}/dossiers/{ref}", headers={"X-API-Key": key}).json()["components"] == []
    assert _components(settings) == 0


# --- files private to the service user ----------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_data_files_and_directories_are_private_to_the_service_user(tmp_path):
    old_umask = os.umask(0o022)  # the usual default: files 0644 unless the service says otherwise
    try:
        settings = Settings(data_dir=tmp_path / "new" / "data", cache_dir=tmp_path / "cache")
        service = open_service(settings)
        dossier = service.dossiers.create(
            CLERK,
            DossierCreate(
                procedure_code="2.000200", service_point_code="HN-HOANKIEM", applicant=ApplicantBase(full_name="Mẫu")
            ),
        )
        service.dossiers.add_file(CLERK, dossier.id, "cccd.png", io.BytesIO(png(6)))
        code = service.dossiers.submit(CLERK, dossier.id).code
        assert code is not None
        ready_for_review(service, code)
        service.review.approve(REVIEWER, code)
    finally:
        os.umask(old_umask)
    data = settings.data_dir
    database = [data / name for name in ("sohoa.db", "sohoa.db-wal", "sohoa.db-shm") if (data / name).exists()]
    assert len(database) == 3
    objects = data / "objects"
    files = [p for p in objects.rglob("*") if p.is_file()]
    originals = [p for p in files if p.relative_to(objects).parts[0] == "originals"]
    assert len(originals) == 1 and len(files) > 3
    wrong = {str(p): oct(_mode(p)) for p in database + files if _mode(p) & 0o077 or p in originals and _mode(p) & 0o377}
    wrong |= {str(p): oct(_mode(p)) for p in [data, *objects.rglob("*")] if p.is_dir() and _mode(p) != 0o700}
    assert not wrong
    service.db.dispose()
    # A database file made before files were kept private is made private when opened.
    os.chmod(data / "sohoa.db", 0o644)
    open_service(settings).db.dispose()
    assert _mode(data / "sohoa.db") == 0o600


# --- database errors never carry the values --------------------------------------------------------


@pytest.mark.services
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_failed_statement_logs_and_raises_without_its_values(backend, request, tmp_path, caplog):
    settings = make_settings(backend, request, tmp_path)
    service = open_service(settings)
    secret_name, secret_id = "Trần Bí Mật", "079123456789"
    dossier = service.dossiers.create(
        CLERK,
        DossierCreate(
            procedure_code="2.000200", service_point_code="HN-HOANKIEM", applicant=ApplicantBase(full_name="Mẫu")
        ),
    )
    caplog.set_level(logging.DEBUG)
    with pytest.raises(Exception) as failed:  # noqa: PT011 - whatever the driver raises
        with service.db.transaction() as s:
            s.add(
                DossierRow(
                    public_id=dossier.id,  # taken: the insert fails
                    procedure_code="2.000200",
                    service_point_code="HN-HOANKIEM",
                    agency_code="000.00.20.H26",
                    applicant_name=secret_name + ("\x00" if backend == "s3-postgres" else ""),
                    applicant_id_number=secret_id,
                    created_by="nv.tiepnhan",
                )
            )
    logging.getLogger("test").exception("the failure as a server would log it", exc_info=failed.value)
    service.db.dispose()
    told = f"{failed.value}\n{failed.value!r}\n{caplog.text}"
    assert "INSERT INTO dossiers" in told  # the statement is still there to diagnose
    assert secret_id not in told and secret_name not in told
