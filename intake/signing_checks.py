"""Checking a stored package against what was signed and recorded: the manifest against the
SHA-256 kept in the database at approval, each file against the manifest, each PDF's signature
(intake/signing.py verify_pdf). Used by `sohoa check` (intake/integrity_signatures.py) and,
file by file, by the agency download (intake/agency.py), which refuses a tampered file with
PACKAGE_TAMPERED rather than serve it.

Objects are streamed: hashed a chunk at a time while spooled (in memory up to SPOOL_BYTES, then
on disk), so the signature is checked on the very bytes hashed, and no file is held whole in
memory past that size.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

from asn1crypto import x509 as asn1_x509

from intake.context import IntakeContext
from intake.errors import ServiceError
from intake.signing import trust_roots, verify_pdf
from models.errors import ErrorCode
from storage.objects import ObjectStore

log = logging.getLogger(__name__)

CHUNK = 1 << 20
SPOOL_BYTES = 16 << 20
PDF = "application/pdf"


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a stored package file cannot be relied on (Vietnamese for the operator, English beside)."""

    reason: str
    reason_en: str


def manifest_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_problem(data: bytes, recorded: str | None) -> Problem | None:
    """The manifest as stored against the SHA-256 recorded at approval (None for packages
    approved before it was recorded: nothing to compare)."""
    if recorded and manifest_sha256(data) != recorded:
        return Problem(
            f"SHA-256 của manifest.json khác giá trị ghi khi duyệt ({recorded[:12]})",
            f"manifest.json's SHA-256 differs from the one recorded at approval ({recorded[:12]})",
        )
    return None


def spool(store: ObjectStore, key: str) -> tuple[str, int, IO[bytes]]:
    """(SHA-256, size, the bytes spooled and rewound) of an object, read a chunk at a time.
    ObjectNotFound when it is not there; the caller closes the spool."""
    digest, size = hashlib.sha256(), 0
    spooled = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115  (the caller closes it)
    try:
        with store.open(key) as stream:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                spooled.write(chunk)
                size += len(chunk)
    except BaseException:
        spooled.close()
        raise
    spooled.seek(0)
    return digest.hexdigest(), size, spooled


def signature_problem(stream: IO[bytes], entry: dict, roots: Sequence[asn1_x509.Certificate] | None) -> Problem | None:
    """A PDF's signature against its manifest entry: intact and valid, covering the whole file,
    by the certificate the manifest names, chained to `roots` (None: the chain is not checked)."""
    recorded = entry.get("signature")
    if not isinstance(recorded, dict):
        return None  # not signed when it was packaged (a package older than signing)
    check = verify_pdf(stream, roots or [])
    if not check.intact or not check.valid or check.problems:
        detail = "; ".join(check.problems) or ("signed bytes changed" if not check.intact else "signature invalid")
        return Problem(f"chữ ký số không còn nguyên vẹn ({detail})", f"the signature does not verify ({detail})")
    if check.certificate_sha256 != recorded.get("certificate_sha256"):
        return Problem(
            "chữ ký số không phải của chứng thư ghi trong manifest.json",
            "signed with another certificate than manifest.json records",
        )
    if roots is not None and not check.trusted:
        return Problem(
            "chứng thư ký không thuộc chuỗi tin cậy đã cấu hình",
            "the signing certificate does not chain to a trust root",
        )
    return None


def file_problem(
    store: ObjectStore, key: str, entry: dict, roots: Sequence[asn1_x509.Certificate] | None
) -> Problem | None:
    """One package file against its manifest entry (SHA-256, size) and, for a PDF, its signature."""
    sha, size, spooled = spool(store, key)
    with spooled:
        if sha != entry.get("sha256") or size != entry.get("size"):
            return Problem(
                f"SHA-256 {sha[:12]} ({size} byte) khác manifest.json", f"SHA-256 {sha[:12]} ({size} bytes) differs"
            )
        if entry.get("media_type") == PDF:
            return signature_problem(spooled, entry, roots)
    return None


def verify_download(ctx: IntakeContext, prefix: str, recorded: str | None, manifest_bytes: bytes, name: str) -> None:
    """Before a package file is served or presigned: the manifest matches the hash recorded at
    approval, the file matches the manifest, a PDF's signature verifies. Otherwise
    ServiceError(PACKAGE_TAMPERED), logged as an error with the object key."""
    key = prefix + name
    problem = manifest_problem(manifest_bytes, recorded)
    if problem is None and name != "manifest.json":
        entry = next(f for f in json.loads(manifest_bytes)["files"] if f.get("name") == name)
        problem = file_problem(ctx.store, key, entry, trust_roots(ctx.settings))  # ObjectNotFound as before
    if problem is not None:
        log.error("package file withheld, it does not match what was signed: %s (%s)", key, problem.reason_en)
        raise ServiceError(ErrorCode.PACKAGE_TAMPERED, name)
