"""The backup and restore runbook (deploy/BACKUP.md), played for real: PostgreSQL on loopback
dumped with `pg_dump -Fc` while the service holds approved packages in the S3 server (SeaweedFS),
the dump restored with `pg_restore` into a fresh database, a service pointed at it with the same
bucket: `sohoa check` finds every original and package intact, the agency gets every manifest and
file with the same SHA-256 as before, and what was written after the dump is reported as orphaned
objects (never as errors, never deleted). A file deleted from the versioned bucket comes back from
its last version."""

from __future__ import annotations

import glob
import hashlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from intake.integrity import Code, Level, check_integrity
from intake.schemas import ApplicantBase
from intake.service import IntakeService, open_service
from intake.settings import Settings
from storage.objects import S3ObjectStore
from storage.tables import ComponentRow, DossierRow
from tests.intake_support import API, RunningApi, make_settings, start_api, submit_files
from tests.integrity_support import png, ready_for_review
from tests.test_integrity_check import FILE_NAME, ID_NUMBER, NAME, PERSONAL, REVIEWER

pytestmark = [pytest.mark.services, pytest.mark.xdist_group("services")]

SOHOA = str(Path(sys.executable).parent / "sohoa")


def _pg_bin(name: str) -> str:
    """A PostgreSQL client program of the same (newest) version as the loopback server's."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        pytest.skip(f"{name} not found (apt-get install postgresql)")
    return found[-1]


def _libpq(url: str) -> str:
    """The SQLAlchemy URL as pg_dump and pg_restore take it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _approved(api: RunningApi, seed: int) -> str:
    """A dossier received, read (put in the database), approved: its package built and stored."""
    service = api.service
    applicant = ApplicantBase(full_name=NAME, id_number=ID_NUMBER)
    code = submit_files(service, (f"{FILE_NAME}-{seed}.png", png(seed)), applicant=applicant)
    ready_for_review(service, code, ("quoc_tich",))
    service.review.approve(REVIEWER, code)
    return code


def _package_as_the_agency_gets_it(api: RunningApi, code: str) -> dict[str, str]:
    """SHA-256 of the manifest and of every file, downloaded as the agency downloads them (a
    redirect to a short-lived link on the S3 server)."""
    agency = api.headers("agency")
    response = api.client.get(f"{API}/agency/dossiers/{code}/manifest", headers=agency)
    assert response.status_code == 200, response.text
    manifest = response.json()
    hashes = {"manifest.json": hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()}
    for entry in manifest["files"]:
        url = f"{API}/agency/dossiers/{code}/files/{entry['name']}"
        link = api.client.get(url, headers=agency, follow_redirects=False)
        assert link.status_code == 307  # a short-lived presigned URL on the S3 server
        got = httpx.get(link.headers["location"], timeout=30)
        assert got.status_code == 200, (entry["name"], got.status_code)
        hashes[entry["name"]] = hashlib.sha256(got.content).hexdigest()
        assert hashes[entry["name"]] == entry["sha256"]
    return hashes


def _sohoa_check(settings: Settings) -> subprocess.CompletedProcess[str]:
    storage = settings.storage
    env = {
        **os.environ,
        "SOHOA_DATA_DIR": str(settings.data_dir),
        "SOHOA_CACHE_DIR": str(settings.cache_dir),
        "SOHOA_DATABASE_URL": settings.database_url or "",
        "SOHOA_STORAGE__BACKEND": "s3",
        "SOHOA_STORAGE__S3_ENDPOINT": storage.s3_endpoint,
        "SOHOA_STORAGE__S3_ACCESS_KEY": storage.s3_access_key,
        "SOHOA_STORAGE__S3_SECRET_KEY": storage.s3_secret_key.get_secret_value(),
        "SOHOA_STORAGE__S3_BUCKET": storage.s3_bucket,
    }
    done = subprocess.run(
        [SOHOA, "check", "--json", "--quiet"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert not [p for p in PERSONAL if p in done.stdout + done.stderr]
    return done


def test_a_dump_restored_into_a_fresh_database_finds_every_package_intact(request, tmp_path, postgres_server):
    settings = make_settings("s3-postgres", request, tmp_path)
    service = open_service(settings)
    with start_api(settings, process=False, service=service) as api:
        codes = [_approved(api, seed) for seed in (21, 22, 23)]
        ack = api.client.post(f"{API}/agency/dossiers/{codes[0]}/ack", headers=api.headers("agency"))
        assert ack.json()["state"] == "delivered"  # a delivered dossier's package is kept the same
        keys = api.keys  # stored hashed in the database: the restore brings them back
        before = {code: _package_as_the_agency_gets_it(api, code) for code in codes}

        dump = tmp_path / "sohoa.dump"
        subprocess.run(
            [_pg_bin("pg_dump"), "-Fc", "-f", str(dump), _libpq(settings.resolved_database_url)],
            check=True,
            capture_output=True,
        )
        # Work goes on after the dump: this dossier's objects are newer than the database backup.
        later = _approved(api, 24)
        with service.store.open(f"packages/{later}/manifest.json") as stream:
            later_files = [f"packages/{later}/{f['name']}" for f in json.loads(stream.read())["files"]]
        with service.db.reading() as s:
            later_original = s.scalar(select(ComponentRow.object_key).join(DossierRow).where(DossierRow.code == later))
    service.db.dispose()

    restored_url = postgres_server.create_database(f"r{uuid.uuid4().hex[:16]}")
    restore = subprocess.run(
        [_pg_bin("pg_restore"), "--no-owner", "--exit-on-error", "-d", _libpq(restored_url), str(dump)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert restore.returncode == 0, restore.stderr
    restored = settings.model_copy(update={"database_url": restored_url})

    done = _sohoa_check(restored)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["summary"]["errors"] == 0
    assert report["summary"]["checked"]["originals"] == 3 and report["summary"]["checked"]["packages"] == 3
    # The objects written after the dump are there, no row of the restored database refers to them.
    orphans = {f["object_key"] for f in report["findings"] if f["code"] == "ORPHAN_OBJECT"}
    assert orphans == {later_original, f"packages/{later}/manifest.json", *later_files}
    assert {f["code"] for f in report["findings"]} == {"ORPHAN_OBJECT"}

    service = open_service(restored)  # what `sohoa db` does after a restore: already current
    with start_api(restored, process=False, service=service, keys=False) as api:
        api.keys.update(keys)
        after = {code: _package_as_the_agency_gets_it(api, code) for code in codes}
        missing = api.client.get(f"{API}/agency/dossiers/{later}/manifest", headers=api.headers("agency"))
        assert missing.status_code == 404  # the restored database never heard of it
    assert after == before

    # A package file deleted by mistake in the versioned bucket: found, and brought back from its
    # last version as the runbook says.
    key = f"packages/{codes[1]}/fields.json"
    _delete_and_bring_back(service, key)
    service.db.dispose()


def _delete_and_bring_back(service: IntakeService, key: str) -> None:
    from minio.commonconfig import CopySource

    store = service.store
    assert isinstance(store, S3ObjectStore)
    store.client.remove_object(store.bucket, key)  # a delete marker; the last version stays
    report = check_integrity(service.db, store, service.ctx.version)
    assert [(f.code, f.object_key) for f in report.findings if f.level is Level.ERROR] == [
        (Code.PACKAGE_FILE_MISSING, key)
    ]
    versions = [v for v in store.client.list_objects(store.bucket, prefix=key, include_version=True)]
    kept = [v for v in versions if not v.is_delete_marker]
    assert len(kept) == 1 and len(versions) == 2
    store.client.copy_object(store.bucket, key, CopySource(store.bucket, key, version_id=kept[0].version_id))
    again = check_integrity(service.db, store, service.ctx.version)
    assert again.errors == 0  # the orphans of the dossier approved after the dump are still there
    assert key not in {f.object_key for f in again.findings}
