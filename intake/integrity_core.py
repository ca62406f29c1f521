"""What the integrity check is made of (intake/integrity.py runs it): findings with a level, a
stable code and an operator's message; the report that collects them; the scope every check
works in (database, object store, options, progress); and the streaming helpers checks share.

A check reads only: short read-only transactions of one batch of rows each (no lock is held
while objects are hashed), objects streamed and hashed in chunks, never a whole bucket in memory.
Messages carry dossier codes, object keys, row ids and hashes: never a name, an ID number or a
file name as the citizen sent it (personal data).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import Select

from storage.db import Database
from storage.objects import ObjectNotFound, ObjectStore

CHUNK = 1 << 20  # bytes read at a time while hashing
T = TypeVar("T")
R = TypeVar("R")


class Level(StrEnum):
    ERROR = "error"  # data lost or altered, or a reference broken: the product's promise is broken
    WARNING = "warning"  # to look at, nothing lost: orphans, a page without its reading
    INFO = "info"  # expected on a live system: a package being built, readings of an older pipeline


LEVEL_VI = {Level.ERROR: "LỖI", Level.WARNING: "CẢNH BÁO", Level.INFO: "THÔNG TIN"}


class Code(StrEnum):
    SCHEMA_NOT_CURRENT = "SCHEMA_NOT_CURRENT"
    ORIGINAL_MISSING = "ORIGINAL_MISSING"
    ORIGINAL_CHECKSUM_MISMATCH = "ORIGINAL_CHECKSUM_MISMATCH"
    PACKAGE_MISSING = "PACKAGE_MISSING"
    PACKAGE_MANIFEST_INVALID = "PACKAGE_MANIFEST_INVALID"
    PACKAGE_FILE_MISSING = "PACKAGE_FILE_MISSING"
    PACKAGE_FILE_MISMATCH = "PACKAGE_FILE_MISMATCH"
    PACKAGE_IN_PROGRESS = "PACKAGE_IN_PROGRESS"
    PACKAGE_MANIFEST_ALTERED = "PACKAGE_MANIFEST_ALTERED"
    PACKAGE_SIGNATURE_INVALID = "PACKAGE_SIGNATURE_INVALID"
    DANGLING_REFERENCE = "DANGLING_REFERENCE"
    PAGE_RESULT_MISSING = "PAGE_RESULT_MISSING"
    PAGE_RESULT_OUTDATED = "PAGE_RESULT_OUTDATED"
    ORPHAN_OBJECT = "ORPHAN_OBJECT"


# Each code's level and its message (Vietnamese for the operator, English beside it).
MESSAGES: dict[Code, tuple[Level, str, str]] = {
    Code.SCHEMA_NOT_CURRENT: (
        Level.ERROR,
        "Cơ sở dữ liệu chưa ở lược đồ mới nhất ({current} ≠ {head}): chạy `sohoa db` rồi kiểm tra lại.",
        "The database schema is not current ({current} ≠ {head}): run `sohoa db`, then check again.",
    ),
    Code.ORIGINAL_MISSING: (
        Level.ERROR,
        "Không tìm thấy bản gốc của thành phần #{component} (vị trí {position}) trong kho lưu trữ.",
        "The original of component #{component} (position {position}) is not in the object store.",
    ),
    Code.ORIGINAL_CHECKSUM_MISMATCH: (
        Level.ERROR,
        "Bản gốc của thành phần #{component} đã bị thay đổi: SHA-256 {found} ({found_size} byte) khác "
        "{expected} ({expected_size} byte) đã ghi khi tiếp nhận.",
        "The original of component #{component} was altered: SHA-256 {found} ({found_size} bytes), "
        "recorded {expected} ({expected_size} bytes) at intake.",
    ),
    Code.PACKAGE_MISSING: (
        Level.ERROR,
        "Hồ sơ đã bàn giao ({state}) nhưng không có gói dữ liệu: {reason}.",
        "The dossier was handed over ({state}) but has no package: {reason_en}.",
    ),
    Code.PACKAGE_MANIFEST_INVALID: (
        Level.ERROR,
        "manifest.json của gói không đúng: {reason}.",
        "The package's manifest.json is wrong: {reason_en}.",
    ),
    Code.PACKAGE_FILE_MISSING: (
        Level.ERROR,
        "Thiếu tệp {name} của gói dữ liệu (có trong manifest.json).",
        "The package file {name} (listed in manifest.json) is missing.",
    ),
    Code.PACKAGE_FILE_MISMATCH: (
        Level.ERROR,
        "Tệp {name} của gói dữ liệu không khớp manifest.json: SHA-256 {found} ({found_size} byte), "
        "manifest ghi {expected} ({expected_size} byte).",
        "The package file {name} does not match manifest.json: SHA-256 {found} ({found_size} bytes), "
        "listed {expected} ({expected_size} bytes).",
    ),
    Code.PACKAGE_IN_PROGRESS: (
        Level.INFO,
        "Gói dữ liệu đang được tạo (hồ sơ đang duyệt): bỏ qua lần này.",
        "The package is being built (the dossier is being approved): skipped this time.",
    ),
    Code.PACKAGE_MANIFEST_ALTERED: (
        Level.ERROR,
        "manifest.json của gói đã bị thay đổi sau khi duyệt: {reason}.",
        "The package's manifest.json was changed after approval: {reason_en}.",
    ),
    Code.PACKAGE_SIGNATURE_INVALID: (
        Level.ERROR,
        "Tệp {name} của gói không còn khớp chữ ký số của trung tâm: {reason}.",
        "The package file {name} no longer matches the center's signature: {reason_en}.",
    ),
    Code.DANGLING_REFERENCE: (
        Level.ERROR,
        "Dòng {table} #{row} trỏ tới {target} = {value}, không tồn tại.",
        "Row {table} #{row} refers to {target} = {value}, which does not exist.",
    ),
    Code.PAGE_RESULT_MISSING: (
        Level.WARNING,
        "Trang {index} của thành phần #{component} chưa có kết quả đọc nào, dù hồ sơ đã qua bước đọc.",
        "Page {index} of component #{component} has no reading, though the dossier was read.",
    ),
    Code.PAGE_RESULT_OUTDATED: (
        Level.INFO,
        "Trang {index} của thành phần #{component} chỉ có kết quả đọc của phiên bản xử lý cũ.",
        "Page {index} of component #{component} has readings of an older pipeline version only.",
    ),
    Code.ORPHAN_OBJECT: (
        Level.WARNING,
        "Đối tượng trong kho không được cơ sở dữ liệu tham chiếu ({reason}); không xóa — xem deploy/BACKUP.md.",
        "An object no database row refers to ({reason_en}); not deleted — see deploy/BACKUP.md.",
    ),
}


@dataclass(frozen=True, slots=True)
class Finding:
    level: Level
    code: Code
    message: str
    message_en: str
    dossier: str | None = None
    object_key: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level.value,
            "code": self.code.value,
            "dossier": self.dossier,
            "object_key": self.object_key,
            "message": self.message,
            "message_en": self.message_en,
        }


def finding(code: Code, *, dossier: str | None = None, key: str | None = None, **detail: object) -> Finding:
    level, vi, en = MESSAGES[code]
    return Finding(level, code, vi.format(**detail), en.format(**detail), dossier, key)


@dataclass
class Report:
    """What a run found. Findings past `max_findings` are counted, not kept (a restore from an
    old dump can leave millions of orphans)."""

    max_findings: int = 10_000
    findings: list[Finding] = field(default_factory=list)
    levels: Counter[Level] = field(default_factory=Counter)
    codes: Counter[Code] = field(default_factory=Counter)
    checked: Counter[str] = field(default_factory=Counter)  # originals, package_files, objects, ...
    checks: list[str] = field(default_factory=list)

    def add(self, item: Finding) -> None:
        self.levels[item.level] += 1
        self.codes[item.code] += 1
        if len(self.findings) < self.max_findings:
            self.findings.append(item)

    @property
    def errors(self) -> int:
        return self.levels[Level.ERROR]

    @property
    def warnings(self) -> int:
        return self.levels[Level.WARNING]

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.errors == 0,
            "summary": {
                "errors": self.errors,
                "warnings": self.warnings,
                "info": self.levels[Level.INFO],
                "by_code": {code.value: n for code, n in sorted(self.codes.items())},
                "checked": dict(sorted(self.checked.items())),
                "findings_left_out": sum(self.levels.values()) - len(self.findings),
            },
            "checks": self.checks,
            "findings": [f.to_dict() for f in self.findings],
        }


# (stage, items done so far, the total when known)
Progress = Callable[[str, int, int | None], None]


def no_progress(_stage: str, _done: int, _total: int | None) -> None:
    return None


@dataclass(frozen=True, slots=True)
class CheckOptions:
    dossier: str | None = None  # one dossier's code: its files and rows only
    hashing: bool = True  # False (--quick): only whether each object exists
    orphans: bool = True
    workers: int = 4  # objects hashed at once (an S3 server answers faster to several)
    batch: int = 200  # rows per read-only transaction
    trust_roots: tuple[bytes, ...] | None = (
        None  # DER certificates a package signature must chain to; None: not checked
    )


@dataclass
class Scope:
    """What a check works with. `dossier_id` is set when the run is limited to one dossier."""

    db: Database
    store: ObjectStore
    version: str  # the pipeline version whose page results count
    options: CheckOptions
    report: Report
    progress: Progress
    pool: ThreadPoolExecutor
    dossier_id: int | None = None

    def add(self, code: Code, *, dossier: str | None = None, key: str | None = None, **detail: object) -> None:
        self.report.add(finding(code, dossier=dossier, key=key, **detail))

    def batches(self, query: Select, after: Callable[[Any], Any]) -> Iterator[Sequence[Any]]:
        """The rows of `query` (ordered by a unique key), a batch per short read-only transaction;
        `after(query, last_row)` is the query for the rows past the batch's last (keyset)."""
        current = query
        while True:
            with self.db.reading() as s:
                rows = s.execute(current.limit(self.options.batch)).all()
            if not rows:
                return
            yield rows
            if len(rows) < self.options.batch:
                return
            current = after(rows[-1])

    def map(self, work: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """`work` over a batch on the check's threads, results in order."""
        return list(self.pool.map(work, items))


@dataclass(frozen=True, slots=True)
class ObjectState:
    """An object as found: missing, or its SHA-256 and size (None when not hashed)."""

    present: bool
    sha256: str | None = None
    size: int | None = None

    def matches(self, sha256: str, size: int) -> bool:
        return self.present and (self.sha256 is None or (self.sha256 == sha256 and self.size == size))


def examine(store: ObjectStore, key: str, hashing: bool) -> ObjectState:
    """Whether `key` is stored and, when `hashing`, its SHA-256 and size, read in chunks."""
    if not hashing:
        return ObjectState(store.exists(key))
    digest, size = hashlib.sha256(), 0
    try:
        with store.open(key) as stream:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
    except ObjectNotFound:
        return ObjectState(False)
    return ObjectState(True, digest.hexdigest(), size)


def short(sha256: str | None) -> str:
    """A hash as messages show it (the key or the JSON report has it whole)."""
    return (sha256 or "?")[:12]
