"""`sohoa check` (intake/integrity.py): on a real service whose dossiers were approved into real
packages (the product's own packaging code; only the OCR step is put in the database the way
tests/integrity_support.py does), a clean store has no finding and exits 0; each fault the check
promises to find, made for real in the store or the database, is found with its code, its dossier
and its object key, and nothing else is; the command run as an operator runs it exits 1, and never
prints a name, an ID number or a file name as sent."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from intake.auth import Principal, Role
from intake.integrity import CheckOptions, Code, Level, Report, check_integrity
from intake.schemas import ApplicantBase
from intake.service import IntakeService, open_service
from intake.settings import Settings
from storage.objects import LocalObjectStore, S3ObjectStore
from storage.tables import ComponentRow, DossierRow
from tests.intake_support import BACKENDS, make_settings, submit_files
from tests.integrity_support import command_environment, png, ready_for_review

pytestmark = [pytest.mark.services, pytest.mark.xdist_group("services")]

REVIEWER = Principal(Role.REVIEWER, "kt.kiemtra")
SOHOA = str(Path(sys.executable).parent / "sohoa")
# Personal data the dossiers carry (in the database and in the packages' manifests): never in a report.
NAME, ID_NUMBER, FILE_NAME = "Trần Bí Mật", "079123456789", "cccd-Tran-Bi-Mat"
PERSONAL = (NAME, ID_NUMBER, FILE_NAME, "Tran-Bi-Mat")


@dataclass
class Dossier:
    code: str
    original: str  # its first component's object key
    component_id: int
    package: list[str]  # keys of its package files (manifest listed)


def _dossier(service: IntakeService, seed: int, *, approve: bool = True) -> Dossier:
    applicant = ApplicantBase(full_name=NAME, id_number=ID_NUMBER)
    code = submit_files(service, (f"{FILE_NAME}-{seed}.png", png(seed)), applicant=applicant)
    ready_for_review(service, code, ("quoc_tich",))
    package: list[str] = []
    if approve:
        service.review.approve(REVIEWER, code)
        with service.db.reading() as s:
            prefix = s.scalar(select(DossierRow.package_prefix).where(DossierRow.code == code))
        assert prefix == f"packages/{code}/"
        with service.store.open(prefix + "manifest.json") as stream:
            package = [prefix + f["name"] for f in json.loads(stream.read())["files"]] + [prefix + "manifest.json"]
    with service.db.reading() as s:
        component = s.execute(
            select(ComponentRow.id, ComponentRow.object_key).join(DossierRow).where(DossierRow.code == code)
        ).one()
    return Dossier(code, component.object_key, component.id, package)


@dataclass
class World:
    settings: Settings
    service: IntakeService
    dossiers: list[Dossier]  # three validated, the last waiting for review

    def check(self, **options) -> Report:  # noqa: ANN003
        return check_integrity(self.service.db, self.service.store, self.service.ctx.version, CheckOptions(**options))

    def env(self) -> dict[str, str]:
        """The variables an operator's `sohoa check` reads to find this database and store."""
        return command_environment(self.settings)

    def sohoa_check(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [SOHOA, "check", *args], env=self.env(), capture_output=True, text=True, timeout=120, check=False
        )
        told = done.stdout + done.stderr
        assert not [p for p in PERSONAL if p in told], told  # no personal data, whatever the outcome
        return done


@pytest.fixture
def world(request, tmp_path) -> Iterator[World]:
    backend = getattr(request, "param", "local-sqlite")
    settings = make_settings(backend, request, tmp_path)
    service = open_service(settings)
    dossiers = [_dossier(service, seed) for seed in (11, 12, 13)] + [_dossier(service, 14, approve=False)]
    yield World(settings, service, dossiers)
    service.db.dispose()


# --- faults made for real, in the store itself (not through the product) -------------------------


def _read(world: World, key: str) -> bytes:
    with world.service.store.open(key) as stream:
        return stream.read()


def _overwrite(world: World, key: str, data: bytes) -> None:
    store = world.service.store
    if isinstance(store, LocalObjectStore):
        path = store.root / key
        path.chmod(0o600)  # originals are 0400 on disk
        path.write_bytes(data)
    else:
        assert isinstance(store, S3ObjectStore)
        store.client.put_object(store.bucket, key, io.BytesIO(data), len(data))  # a new version


def _delete(world: World, key: str) -> None:
    store = world.service.store
    if isinstance(store, LocalObjectStore):
        (store.root / key).unlink()
    else:
        assert isinstance(store, S3ObjectStore)
        store.client.remove_object(store.bucket, key)  # a delete marker: the latest version is gone
    assert not store.exists(key)


def _flip_one_byte(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def _found(report: Report, level: Level) -> set[tuple[str, str | None, str | None]]:
    return {(f.code.value, f.dossier, f.object_key) for f in report.findings if f.level is level}


# --- clean ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("world", BACKENDS, indirect=True)
def test_a_clean_store_has_no_finding_and_the_command_exits_0(world):
    report = world.check()
    assert report.findings == []
    validated = world.dossiers[:3]
    assert report.checked["originals"] == len(world.dossiers)
    assert report.checked["packages"] == len(validated)
    assert report.checked["package_files"] == sum(len(d.package) - 1 for d in validated)  # the manifest lists the rest
    assert report.checked["objects"] == len(world.dossiers) + sum(len(d.package) for d in validated)
    assert report.checked["pages"] == len(world.dossiers)

    done = world.sohoa_check()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "KHÔNG CÓ LỖI" in done.stdout and "0 lỗi" in done.stdout
    done = world.sohoa_check("--json", "--quiet")
    assert done.returncode == 0
    assert json.loads(done.stdout)["summary"]["errors"] == 0


# --- each fault, its finding ------------------------------------------------------------------


@pytest.mark.parametrize("world", BACKENDS, indirect=True)
def test_each_fault_is_found_with_its_code_dossier_and_key(world):
    a, b, c, d = world.dossiers
    # A's original: one byte changed where it is stored.
    original = _read(world, a.original)
    _overwrite(world, a.original, _flip_one_byte(original, len(original) // 2))
    # B's package: its searchable PDF deleted, its fields.json altered.
    pdf = next(k for k in b.package if k.endswith(".pdf"))
    _delete(world, pdf)
    fields = next(k for k in b.package if k.endswith("fields.json"))
    _overwrite(world, fields, _read(world, fields) + b" ")
    # C's original deleted from the store (its component row stays).
    _delete(world, c.original)
    # D's component row pointed at an object that is not there (D's own original is left orphaned).
    missing = "originals/00/00/" + "0" * 64
    with world.service.db.transaction() as s:
        s.execute(update(ComponentRow).where(ComponentRow.id == d.component_id).values(object_key=missing))
    # Objects no row refers to: a scan stored but never recorded, a stray file in a package's area.
    stray = world.service.store.put_original(io.BytesIO(png(99))).key
    world.service.store.put(f"packages/{a.code}/components/99-other.pdf", b"%PDF-1.7 stray")

    report = world.check()
    assert _found(report, Level.ERROR) == {
        (Code.ORIGINAL_CHECKSUM_MISMATCH, a.code, a.original),
        (Code.PACKAGE_FILE_MISSING, b.code, pdf),
        (Code.PACKAGE_FILE_MISMATCH, b.code, fields),
        (Code.ORIGINAL_MISSING, c.code, c.original),
        (Code.ORIGINAL_MISSING, d.code, missing),
    }
    assert _found(report, Level.WARNING) == {
        (Code.ORPHAN_OBJECT, None, stray),
        (Code.ORPHAN_OBJECT, None, d.original),
        (Code.ORPHAN_OBJECT, a.code, f"packages/{a.code}/components/99-other.pdf"),
    }
    mismatch = next(f for f in report.findings if f.code is Code.ORIGINAL_CHECKSUM_MISMATCH)
    assert f"#{a.component_id}" in mismatch.message and "SHA-256" in mismatch.message
    assert all(f.message and f.message_en and f.message != f.message_en for f in report.findings)

    done = world.sohoa_check("--json", "--quiet")
    assert done.returncode == 1, done.stderr
    listed = json.loads(done.stdout)
    assert {(f["code"], f["dossier"], f["object_key"]) for f in listed["findings"] if f["level"] == "error"} == {
        (str(code), dossier, key) for code, dossier, key in _found(report, Level.ERROR)
    }
    assert listed["summary"]["errors"] == 5 and listed["summary"]["warnings"] == 3
    human = world.sohoa_check("--quiet")
    assert human.returncode == 1
    assert "CÓ LỖI" in human.stdout and "5 lỗi" in human.stdout and "3 cảnh báo" in human.stdout
    for code, dossier, key in _found(report, Level.ERROR):
        assert any(code in line and dossier in line and key in line for line in human.stdout.splitlines()), code


# --- rows that point at nothing ---------------------------------------------------------------


def _without_foreign_keys(world: World, statements: list[str]) -> None:
    """Run `statements` with the foreign keys off, as a partial restore or a hand edit would."""
    url = world.settings.resolved_database_url
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:  # foreign keys are off by default
            for statement in statements:
                conn.execute(statement)
        return
    with world.service.db.engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))  # no FK triggers (superuser)
        for statement in statements:
            conn.execute(text(statement))


@pytest.mark.parametrize("world", BACKENDS, indirect=True)
def test_rows_that_point_at_nothing_are_found(world):
    a, b, _c, _d = world.dossiers
    _without_foreign_keys(
        world,
        [
            # B's component and its pages gone; its jobs and fields left behind.
            f"DELETE FROM pages WHERE component_id = {b.component_id}",
            f"DELETE FROM components WHERE id = {b.component_id}",
            # A's agency removed from the organisation's table.
            f"UPDATE dossiers SET agency_code = 'KHONG.CO.H26' WHERE code = '{a.code}'",
        ],
    )
    report = world.check()
    dangling = [f for f in report.findings if f.code is Code.DANGLING_REFERENCE]
    assert {(f.dossier, f.message.split(" trỏ tới ")[1].split(" =")[0]) for f in dangling} == {
        (a.code, "agencies.code"),
        (b.code, "pages.id"),  # the job of B's page
        (None, "components.id"),  # the field of B's component: the row says no dossier
    }
    assert all(f.level is Level.ERROR for f in dangling)
    assert "KHONG.CO.H26" in next(f.message for f in dangling if f.dossier == a.code)
    # B's package still lists the original the database lost; that original is now no one's.
    assert (Code.PACKAGE_MANIFEST_INVALID, b.code, f"packages/{b.code}/manifest.json") in _found(report, Level.ERROR)
    assert (Code.ORPHAN_OBJECT, None, b.original) in _found(report, Level.WARNING)
    assert world.sohoa_check("--quiet").returncode == 1


# --- options, refusals, what the command says ----------------------------------------------------


def test_one_dossier_quick_strict_and_refusals(world):
    a, b, c, _d = world.dossiers
    _overwrite(world, a.original, _flip_one_byte(_read(world, a.original), 40))
    _delete(world, c.original)
    stray = world.service.store.put_original(io.BytesIO(png(98))).key

    # One dossier: its findings only.
    assert _found(world.check(dossier=a.code), Level.ERROR) == {(Code.ORIGINAL_CHECKSUM_MISMATCH, a.code, a.original)}
    assert world.check(dossier=b.code).findings == []
    # Quick: what is missing, without reading any object through.
    quick = world.check(hashing=False)
    assert _found(quick, Level.ERROR) == {(Code.ORIGINAL_MISSING, c.code, c.original)}
    assert (Code.ORPHAN_OBJECT, None, stray) in _found(world.check(), Level.WARNING)
    assert world.check(orphans=False).codes[Code.ORPHAN_OBJECT] == 0

    # Warnings alone pass, unless --strict.
    world.service.store.put(f"packages/{b.code}/old.pdf", b"%PDF-1.7 old")
    assert world.sohoa_check("--dossier", b.code, "--quiet").returncode == 0
    strict = world.sohoa_check("--dossier", b.code, "--strict", "--quiet")
    assert strict.returncode == 1 and "ORPHAN_OBJECT" in strict.stdout
    assert stray not in strict.stdout  # another area than B's package

    unknown = world.sohoa_check("--dossier", "KHONG-CO-0000")
    assert unknown.returncode == 2
    assert unknown.stderr.startswith("sohoa check: DOSSIER_NOT_FOUND") and len(unknown.stderr.splitlines()) == 1
    bad = world.sohoa_check("--jobs", "0")
    assert bad.returncode == 2 and len(bad.stderr.splitlines()) == 1


def test_a_database_not_migrated_is_reported_not_changed(tmp_path):
    settings = Settings(data_dir=tmp_path / "empty", cache_dir=tmp_path / "cache")
    env = {**os.environ, "SOHOA_DATA_DIR": str(settings.data_dir), "SOHOA_CACHE_DIR": str(settings.cache_dir)}
    done = subprocess.run([SOHOA, "check", "--json", "--quiet"], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stderr
    assert [f["code"] for f in json.loads(done.stdout)["findings"]] == ["SCHEMA_NOT_CURRENT"]
    with sqlite3.connect(settings.data_dir / "sohoa.db") as conn:  # the check created no table
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone() == (0,)
