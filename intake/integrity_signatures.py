"""The signatures part of `sohoa check`: for every handed-over dossier's package, manifest.json
still has the SHA-256 recorded at approval, and each signed PDF's signature verifies (intact,
by the certificate the manifest names, chained to the trust roots when the run has them).

A file's bytes against the manifest are the packages check's (intake/integrity_files.py): a
changed PDF is reported there as PACKAGE_FILE_MISMATCH and here as PACKAGE_SIGNATURE_INVALID
(both true: a changed byte breaks the hash and the signature). Messages carry codes, keys and
short hashes, never personal data.
"""

from __future__ import annotations

from functools import partial

from asn1crypto import x509 as asn1_x509
from sqlalchemy import select

from intake.integrity_core import Code, Scope
from intake.integrity_files import MANIFEST, PackageRef, packages
from intake.signing_checks import PDF, Problem, manifest_problem, signature_problem, spool
from storage.objects import ObjectNotFound
from storage.tables import DossierRow


def trust_of(scope: Scope) -> list[asn1_x509.Certificate] | None:
    """The run's trust roots (DER, from the settings: intake/integrity.py check_configured), or
    None when the run was given none: then only integrity is checked, not the chain."""
    roots = scope.options.trust_roots
    return None if roots is None else [asn1_x509.Certificate.load(der) for der in roots]


def check_signatures(scope: Scope) -> None:
    """Each handed-over package: its manifest against the recorded SHA-256, its PDFs' signatures."""
    roots = trust_of(scope)
    for refs in packages(scope):
        readable = [ref for ref in refs if ref.problem is None and ref.prefix]
        recorded = _recorded_hashes(scope, [ref.dossier_id for ref in readable])
        altered = scope.map(partial(_manifest_problem, scope, recorded), readable)
        for ref, problem in zip(readable, altered, strict=True):
            if problem is not None:
                key, reasons = f"{ref.prefix}{MANIFEST}", {"reason": problem.reason, "reason_en": problem.reason_en}
                scope.add(Code.PACKAGE_MANIFEST_ALTERED, dossier=ref.code, key=key, **reasons)
        pdfs = [(ref, entry) for ref in readable for entry in ref.files() if _signed_pdf(entry)]
        problems = scope.map(lambda item: _pdf_problem(scope, item[0], item[1], roots), pdfs)
        for (ref, entry), problem in zip(pdfs, problems, strict=True):
            if problem is not None:
                key = f"{ref.prefix}{entry['name']}"
                scope.add(
                    Code.PACKAGE_SIGNATURE_INVALID,
                    dossier=ref.code,
                    key=key,
                    name=entry["name"],
                    reason=problem.reason,
                    reason_en=problem.reason_en,
                )
        scope.report.checked["signatures"] += len(pdfs)
        scope.progress("signatures", scope.report.checked["signatures"], None)


def _signed_pdf(entry: object) -> bool:
    return isinstance(entry, dict) and entry.get("media_type") == PDF and isinstance(entry.get("name"), str)


def _recorded_hashes(scope: Scope, dossier_ids: list[int]) -> dict[int, str | None]:
    with scope.db.reading() as s:
        rows = s.execute(
            select(DossierRow.id, DossierRow.package_manifest_sha256).where(DossierRow.id.in_(dossier_ids))
        ).all()
    return {row.id: row.package_manifest_sha256 for row in rows}


def _manifest_problem(scope: Scope, hashes: dict[int, str | None], ref: PackageRef) -> Problem | None:
    recorded = hashes.get(ref.dossier_id)
    if not recorded:
        return None  # approved before the hash was recorded
    try:
        with scope.store.open(f"{ref.prefix}{MANIFEST}") as stream:
            return manifest_problem(stream.read(), recorded)
    except ObjectNotFound:
        return None  # the packages check reports it


def _pdf_problem(
    scope: Scope, ref: PackageRef, entry: dict, roots: list[asn1_x509.Certificate] | None
) -> Problem | None:
    if ".." in entry["name"].split("/") or entry["name"].startswith("/"):
        return None  # an entry outside its package: the packages check reports the manifest
    try:
        _sha, _size, spooled = spool(scope.store, f"{ref.prefix}{entry['name']}")
    except ObjectNotFound:
        return None  # the packages check reports it missing
    with spooled:
        return signature_problem(spooled, entry, roots)
