"""The integrity check behind `sohoa check` (after paperless-ngx's sanity checker): every stored
original and package file matches its SHA-256 and size, every reference between rows resolves,
every page that was read has its reading, and objects no row refers to are reported (never
deleted). Each finding has a level (error / warning / info), a stable code, the dossier's code
where there is one, the object key, and a message for the operator.

Safe on a live system: it only reads, in short read-only transactions of one batch of rows each,
and hashes objects in chunks outside them. A check is a small function of a `Scope`, listed in
`CHECKS`; one more is one more entry (`integrity_files.packages` gives the packages to walk).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import select

from intake.errors import ServiceError
from intake.integrity_core import (
    MESSAGES,
    CheckOptions,
    Code,
    Finding,
    Level,
    Progress,
    Report,
    Scope,
    finding,
    no_progress,
)
from intake.integrity_files import check_originals, check_orphans, check_packages
from intake.integrity_rows import check_page_results, check_references
from intake.integrity_signatures import check_signatures
from intake.processing.jobs import pipeline_version
from intake.settings import Settings
from intake.signing import trust_roots
from models.errors import ErrorCode
from storage.db import Database
from storage.objects import ObjectStore
from storage.tables import DossierRow

__all__ = ["CHECKS", "MESSAGES", "Check", "CheckOptions", "Code", "Finding", "Level", "Report", "check_integrity"]


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    run: Callable[[Scope], None]
    about: str
    wanted: Callable[[CheckOptions], bool] = lambda _options: True


CHECKS: tuple[Check, ...] = (
    Check("references", check_references, "every reference between rows resolves"),
    Check("originals", check_originals, "every original matches the SHA-256 and size recorded at intake"),
    Check("packages", check_packages, "every handed-over dossier's package matches its manifest"),
    Check(
        "signatures",
        check_signatures,
        "every package's manifest is as approved and every signed PDF's signature verifies",
        lambda options: options.hashing,
    ),
    Check("page_results", check_page_results, "every page that was read has its reading"),
    Check(
        "orphans",
        lambda scope: check_orphans(scope, scope.options.dossier),
        "objects no row refers to",
        lambda options: options.orphans,
    ),
)


def check_integrity(
    db: Database,
    store: ObjectStore,
    version: str,
    options: CheckOptions | None = None,
    progress: Progress = no_progress,
    checks: Sequence[Check] = CHECKS,
) -> Report:
    """Run `checks` over the database and the object store; the report of what they found.
    Refuses (DOSSIER_NOT_FOUND) a dossier code that names no dossier; a database or store that
    cannot be reached raises as everywhere (DatabaseUnavailable, StorageUnavailable)."""
    options = options or CheckOptions()
    report = Report()
    current, head = db.schema_revisions()
    if current != head:  # the queries below would meet columns that are not there yet
        report.add(finding(Code.SCHEMA_NOT_CURRENT, current=current or "-", head=head or "-"))
        return report
    dossier_id = _dossier_id(db, options.dossier) if options.dossier else None
    with ThreadPoolExecutor(max_workers=max(1, options.workers), thread_name_prefix="sohoa-check") as pool:
        scope = Scope(db, store, version, options, report, progress, pool, dossier_id)
        for check in checks:
            if check.wanted(options):
                report.checks.append(check.name)
                check.run(scope)
    return report


def _dossier_id(db: Database, code: str) -> int:
    with db.reading() as s:
        found = s.scalar(select(DossierRow.id).where(DossierRow.code == code))
    if found is None:
        raise ServiceError(ErrorCode.DOSSIER_NOT_FOUND, code)
    return found


def check_configured(
    settings: Settings, options: CheckOptions | None = None, progress: Progress = no_progress
) -> Report:
    """The check on the configured database and object store. Migrates nothing and seeds nothing
    (unlike `open_service`): a schema that is not current is reported."""
    # Package signatures must chain to the roots the deployment trusts (and, while the
    # development certificate signs, to its CA).
    roots = tuple(certificate.dump() for certificate in trust_roots(settings))
    options = dataclasses.replace(options or CheckOptions(), trust_roots=roots)
    db = Database(settings.resolved_database_url)
    try:
        return check_integrity(db, settings.object_store(), pipeline_version(settings.reading), options, progress)
    finally:
        db.dispose()
