"""The object-store side of the integrity check: every original matches the SHA-256 and size
recorded at intake, every package file matches its manifest, and no object is left that no row
refers to (reported, never deleted)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from sqlalchemy import func, or_, select

from intake.integrity_core import Code, ObjectState, Scope, examine, short
from intake.records import HANDED_OVER
from models.dossier import ProcessingState
from storage.objects import ObjectNotFound, ObjectStore
from storage.tables import ComponentRow, DossierRow

MANIFEST = "manifest.json"
APPROVING = ProcessingState.APPROVING.value
LISTING_BATCH = 500  # object keys looked up in the database at a time
_REVISION = re.compile(r"r([2-9]|[1-9][0-9]+)")  # a revision's folder: r2, r3, ...


def check_originals(scope: Scope) -> None:
    """Each component's original is stored, with the SHA-256 and size recorded at intake."""
    query = (
        select(
            ComponentRow.id,
            ComponentRow.object_key,
            ComponentRow.file_sha256,
            ComponentRow.size_bytes,
            ComponentRow.position,
            DossierRow.code,
        )
        .outerjoin(DossierRow, DossierRow.id == ComponentRow.dossier_id)
        .order_by(ComponentRow.id)
    )
    counting = select(func.count()).select_from(ComponentRow)
    if scope.dossier_id is not None:
        query = query.where(ComponentRow.dossier_id == scope.dossier_id)
        counting = counting.where(ComponentRow.dossier_id == scope.dossier_id)
    with scope.db.reading() as s:
        total = s.scalar(counting) or 0
    done = 0
    hashing = scope.options.hashing
    for rows in scope.batches(query, lambda last: query.where(ComponentRow.id > last.id)):
        states = scope.map(lambda row: examine(scope.store, row.object_key, hashing), rows)
        for row, state in zip(rows, states, strict=True):
            _report_original(scope, row, state)
        done += len(rows)
        scope.report.checked["originals"] += len(rows)
        scope.progress("originals", done, total)


def _report_original(scope: Scope, row: Any, state: ObjectState) -> None:
    where = {"dossier": row.code, "key": row.object_key}
    if not state.present:
        scope.add(Code.ORIGINAL_MISSING, **where, component=row.id, position=row.position)
    elif not state.matches(row.file_sha256, row.size_bytes):
        scope.add(
            Code.ORIGINAL_CHECKSUM_MISMATCH,
            **where,
            component=row.id,
            found=short(state.sha256),
            found_size=state.size,
            expected=short(row.file_sha256),
            expected_size=row.size_bytes,
        )


# --- packages ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PackageRef:
    """A handed-over (or being approved) dossier's package as stored: its manifest when it could
    be read, else why not (a code, the key concerned, the message's details)."""

    dossier_id: int
    code: str
    state: str
    prefix: str | None
    manifest: dict | None
    problem: tuple[Code, str | None, dict[str, str]] | None = None

    def files(self) -> list[dict]:
        return list(self.manifest.get("files", [])) if self.manifest else []


def read_manifest(store: ObjectStore, prefix: str) -> dict:
    """A package's manifest.json (ObjectNotFound when absent, ValueError when not a manifest)."""
    with store.open(prefix + MANIFEST) as stream:
        manifest = json.loads(stream.read())
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), list):
        raise ValueError("no list of files")
    return manifest


def _package(store: ObjectStore, row: Any) -> PackageRef:
    ref = {"dossier_id": row.id, "code": row.code, "state": row.state, "prefix": row.package_prefix}
    if row.state == APPROVING:
        return PackageRef(**ref, manifest=None, problem=(Code.PACKAGE_IN_PROGRESS, None, {}))
    if not row.package_prefix:
        missing = {"reason": "chưa ghi nơi lưu gói", "reason_en": "no package location recorded", "state": row.state}
        return PackageRef(**ref, manifest=None, problem=(Code.PACKAGE_MISSING, None, missing))
    key = row.package_prefix + MANIFEST
    try:
        return PackageRef(**ref, manifest=read_manifest(store, row.package_prefix))
    except ObjectNotFound:
        missing = {"reason": "không có manifest.json", "reason_en": "no manifest.json", "state": row.state}
        return PackageRef(**ref, manifest=None, problem=(Code.PACKAGE_MISSING, key, missing))
    except (ValueError, UnicodeDecodeError):
        invalid = {"reason": "không đọc được (JSON hỏng)", "reason_en": "not readable (broken JSON)"}
        return PackageRef(**ref, manifest=None, problem=(Code.PACKAGE_MANIFEST_INVALID, key, invalid))


def packages(scope: Scope) -> Iterator[list[PackageRef]]:
    """Every package the database says exists (validated and delivered dossiers, those being
    approved, and those reopened for a correction: their last revision sent), a batch at a time,
    manifests read. Other checks of packages (e.g. that a package's PDFs carry a valid
    signature) walk the same batches."""
    query = (
        select(DossierRow.id, DossierRow.code, DossierRow.state, DossierRow.package_prefix)
        .where(or_(DossierRow.state.in_([*HANDED_OVER, APPROVING]), DossierRow.package_revision >= 1))
        .order_by(DossierRow.id)
    )
    if scope.dossier_id is not None:
        query = query.where(DossierRow.id == scope.dossier_id)
    for rows in scope.batches(query, lambda last: query.where(DossierRow.id > last.id)):
        yield scope.map(lambda row: _package(scope.store, row), rows)


def _safe_entry(entry: object) -> bool:
    """A manifest's file entry that names a file inside its package, with a hash and a size."""
    if not isinstance(entry, dict):
        return False
    name, sha, size = entry.get("name"), entry.get("sha256"), entry.get("size")
    return (
        isinstance(name, str)
        and bool(name)
        and not name.startswith("/")
        and ".." not in name.split("/")
        and isinstance(sha, str)
        and type(size) is int
    )


def _manifest_problem(ref: PackageRef, originals: Sequence[str]) -> tuple[str, str] | None:
    """Why a readable manifest does not describe this dossier (Vietnamese, English), or None."""
    manifest = ref.manifest or {}
    dossier = manifest.get("dossier")
    if not isinstance(dossier, dict) or dossier.get("code") != ref.code:
        return "mã hồ sơ trong manifest khác", "the manifest's dossier code differs"
    if not all(_safe_entry(entry) for entry in ref.files()):
        return "danh sách tệp có mục không hợp lệ", "an entry of the file list is invalid"
    components = manifest.get("components")
    listed = sorted(
        str(c.get("original", {}).get("sha256"))
        for c in (components if isinstance(components, list) else [])
        if isinstance(c, dict) and isinstance(c.get("original"), dict)
    )
    if listed != sorted(originals):
        return (
            "bản gốc trong manifest khác các thành phần trong cơ sở dữ liệu",
            "the manifest's originals differ from the database's components",
        )
    return None


def check_packages(scope: Scope) -> None:
    """Each handed-over dossier has its package: a manifest that describes it, and every file the
    manifest lists stored with the SHA-256 and size listed."""
    hashing = scope.options.hashing
    for refs in packages(scope):
        originals = _originals_of(scope, [ref.dossier_id for ref in refs])
        files: list[tuple[PackageRef, dict]] = []
        for ref in refs:
            if ref.problem is not None:
                code, key, detail = ref.problem
                scope.add(code, dossier=ref.code, key=key, **detail)
            elif reason := _manifest_problem(ref, originals.get(ref.dossier_id, [])):
                key = (ref.prefix or "") + MANIFEST
                scope.add(
                    Code.PACKAGE_MANIFEST_INVALID, dossier=ref.code, key=key, reason=reason[0], reason_en=reason[1]
                )
            else:
                files += [(ref, entry) for entry in ref.files()]
        states = scope.map(lambda item: examine(scope.store, f"{item[0].prefix}{item[1]['name']}", hashing), files)
        for (ref, entry), state in zip(files, states, strict=True):
            _report_package_file(scope, ref, entry, state)
        scope.report.checked["packages"] += len(refs)
        scope.report.checked["package_files"] += len(files)
        scope.progress("packages", scope.report.checked["packages"], None)


def _originals_of(scope: Scope, dossier_ids: list[int]) -> dict[int, list[str]]:
    with scope.db.reading() as s:
        rows = s.execute(
            select(ComponentRow.dossier_id, ComponentRow.file_sha256).where(ComponentRow.dossier_id.in_(dossier_ids))
        ).all()
    found: dict[int, list[str]] = {}
    for dossier_id, sha in rows:
        found.setdefault(dossier_id, []).append(sha)
    return found


def _report_package_file(scope: Scope, ref: PackageRef, entry: dict, state: ObjectState) -> None:
    key, name = f"{ref.prefix}{entry['name']}", entry["name"]
    if not state.present:
        scope.add(Code.PACKAGE_FILE_MISSING, dossier=ref.code, key=key, name=name)
    elif not state.matches(entry["sha256"], entry["size"]):
        scope.add(
            Code.PACKAGE_FILE_MISMATCH,
            dossier=ref.code,
            key=key,
            name=name,
            found=short(state.sha256),
            found_size=state.size,
            expected=short(entry["sha256"]),
            expected_size=entry["size"],
        )


# --- orphans ----------------------------------------------------------------------------------


def _chunks(keys: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(keys)
    while chunk := list(islice(iterator, size)):
        yield chunk


class _Listed:
    """The file names of the packages last looked at (keys come sorted: a package's together)."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store
        self.names: dict[str, set[str]] = {}

    def __call__(self, prefix: str) -> set[str]:
        if prefix not in self.names:
            if len(self.names) > 64:
                self.names.clear()
            try:
                manifest = read_manifest(self.store, prefix)
                self.names[prefix] = {str(f.get("name")) for f in manifest["files"] if isinstance(f, dict)}
            except (ObjectNotFound, ValueError, UnicodeDecodeError):
                self.names[prefix] = set()  # the packages check reports the manifest itself
            self.names[prefix].add(MANIFEST)
        return self.names[prefix]


def check_orphans(scope: Scope, code: str | None = None) -> None:
    """Objects no row refers to: an original no component uses, a package file of no approved
    dossier or not in its manifest, anything outside originals/ and packages/. Reported, never
    deleted (a restore from an older dump leaves the newer objects so: deploy/BACKUP.md). With
    one dossier, only its package's area is listed."""
    listed = _Listed(scope.store)
    keys = scope.store.keys(f"packages/{code}/" if code else "")
    for chunk in _chunks(keys, LISTING_BATCH):
        originals = [k for k in chunk if k.startswith("originals/")]
        in_packages = [k for k in chunk if k.startswith("packages/") and k.count("/") >= 2]
        for key in sorted(set(chunk) - set(originals) - set(in_packages)):
            scope.add(
                Code.ORPHAN_OBJECT,
                key=key,
                reason="ngoài các vùng originals/ và packages/",
                reason_en="outside originals/ and packages/",
            )
        _orphan_originals(scope, originals)
        _orphan_package_files(scope, in_packages, listed)
        scope.report.checked["objects"] += len(chunk)
        scope.progress("objects", scope.report.checked["objects"], None)


def _orphan_originals(scope: Scope, keys: list[str]) -> None:
    if not keys:
        return
    with scope.db.reading() as s:
        used = set(s.scalars(select(ComponentRow.object_key).where(ComponentRow.object_key.in_(keys))))
    for key in keys:
        if key not in used:
            scope.add(
                Code.ORPHAN_OBJECT,
                key=key,
                reason="không thành phần hồ sơ nào dùng bản gốc này",
                reason_en="no component uses this original",
            )


def package_revision_of(key: str) -> tuple[str, int]:
    """The package prefix and revision a key under packages/ belongs to: `packages/{code}/...`
    is revision 1, `packages/{code}/r{n}/...` revision n (intake/packaging.py)."""
    parts = key.split("/")
    if len(parts) > 3 and (match := _REVISION.fullmatch(parts[2])):
        return f"packages/{parts[1]}/{parts[2]}/", int(match.group(1))
    return f"packages/{parts[1]}/", 1


def _handed_over_revision(row: Any) -> int:
    """The last revision handed over (kept by the dossier even while reopened for a correction);
    a row that predates revisions counts its package prefix's."""
    revision = row.package_revision or 0
    if row.package_prefix:
        revision = max(revision, package_revision_of(row.package_prefix + MANIFEST)[1])
    return revision


def _orphan_package_files(scope: Scope, keys: list[str], listed: _Listed) -> None:
    """A package file is referenced while its dossier has handed that revision over (any
    revision up to its last: the agency may hold an older one) and its manifest lists it."""
    if not keys:
        return
    codes = {key.split("/")[1] for key in keys}
    with scope.db.reading() as s:
        rows = s.execute(
            select(DossierRow.code, DossierRow.state, DossierRow.package_prefix, DossierRow.package_revision).where(
                DossierRow.code.in_(codes)
            )
        ).all()
    dossiers = {row.code: row for row in rows}
    for key in keys:
        code = key.split("/")[1]
        prefix, revision = package_revision_of(key)
        row = dossiers.get(code)
        handed_over = _handed_over_revision(row) if row is not None else 0
        if row is not None and row.state == APPROVING and revision == handed_over + 1:
            continue  # being built right now
        if row is None:
            reason = (f"không có hồ sơ {code}", f"no dossier {code}")
        elif revision > handed_over:
            reason = (f"hồ sơ {code} chưa có gói đã duyệt", f"dossier {code} has no approved package")
        elif key[len(prefix) :] not in listed(prefix):
            reason = ("không có trong manifest.json của gói", "not listed in the package's manifest.json")
        else:
            continue
        scope.add(Code.ORPHAN_OBJECT, dossier=code, key=key, reason=reason[0], reason_en=reason[1])
