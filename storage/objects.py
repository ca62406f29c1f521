"""Object storage for originals and derived files, behind one small Protocol.

Originals are content-addressed (key = SHA-256 of the bytes) and never overwritten: the
same file uploaded twice is stored once, and nothing can replace what a citizen handed
in. Backends: `LocalObjectStore` (a directory, the embedded default); an S3 backend
through the `minio` SDK comes with the intake service.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

_CHUNK = 1 << 20


class ObjectNotFound(KeyError):
    pass


@dataclass(frozen=True, slots=True)
class StoredObject:
    key: str
    size: int
    sha256: str
    created: bool  # False when identical content was already stored


class ObjectStore(Protocol):
    def put_original(self, stream: BinaryIO, max_bytes: int | None = None) -> StoredObject:
        """Store a stream under the SHA-256 of its content; never overwrites."""
        ...

    def open(self, key: str) -> BinaryIO: ...

    def exists(self, key: str) -> bool: ...

    def keys(self, prefix: str = "") -> Iterator[str]: ...


class TooLarge(ValueError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"stream exceeds {limit} bytes")
        self.limit = limit


def copy_hashed(stream: BinaryIO, sink: BinaryIO, max_bytes: int | None) -> tuple[str, int]:
    """Copy `stream` into `sink` in chunks: (SHA-256 hex, size). Refuses past `max_bytes`."""
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(_CHUNK):
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise TooLarge(max_bytes)
        digest.update(chunk)
        sink.write(chunk)
    return digest.hexdigest(), size


def original_key(sha256: str) -> str:
    """Key of an original: fanned out so no directory or prefix grows without bound."""
    return f"originals/{sha256[:2]}/{sha256[2:4]}/{sha256}"


class LocalObjectStore:
    """Objects as files under a root directory; writes are atomic (temp file + rename)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"key escapes the store: {key!r}")
        return path

    def put_original(self, stream: BinaryIO, max_bytes: int | None = None) -> StoredObject:
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as tmp:
                sha, size = copy_hashed(stream, tmp, max_bytes)
                tmp.flush()
                os.fsync(tmp.fileno())
            key = original_key(sha)
            target = self._path(key)
            if target.exists():
                return StoredObject(key, size, sha, created=False)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(tmp_name, 0o444)  # originals are read-only on disk too
            # link() fails if another writer got there first: the existing copy is kept.
            try:
                os.link(tmp_name, target)
            except FileExistsError:
                return StoredObject(key, size, sha, created=False)
            return StoredObject(key, size, sha, created=True)
        finally:
            Path(tmp_name).unlink(missing_ok=True)

    def open(self, key: str) -> BinaryIO:
        path = self._path(key)
        if not path.is_file():
            raise ObjectNotFound(key)
        return path.open("rb")

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def keys(self, prefix: str = "") -> Iterator[str]:
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.name.startswith(".incoming-"):
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    yield key


class S3ObjectStore:
    """Objects in an S3 bucket through the `minio` SDK (MinIO in production).

    Bucket versioning is switched on where the server supports it, so even a racing
    second upload of identical bytes (stat-then-put is not atomic) only adds a version.
    """

    def __init__(self, client, bucket: str) -> None:  # client: minio.Minio
        self.client = client
        self.bucket = bucket
        if not client.bucket_exists(bucket):
            client.make_bucket(bucket)
        try:
            from minio.commonconfig import ENABLED
            from minio.versioningconfig import VersioningConfig

            client.set_bucket_versioning(bucket, VersioningConfig(ENABLED))
        except Exception:  # noqa: BLE001 - a server without versioning still stores safely
            pass

    def put_original(self, stream: BinaryIO, max_bytes: int | None = None) -> StoredObject:
        # The key needs the hash, so the upload is spooled first (memory, then disk).
        with tempfile.SpooledTemporaryFile(max_size=16 * _CHUNK) as spool:
            sha, size = copy_hashed(stream, spool, max_bytes)
            key = original_key(sha)
            if self.exists(key):
                return StoredObject(key, size, sha, created=False)
            spool.seek(0)
            self.client.put_object(self.bucket, key, spool, size, metadata={"sha256": sha})
        return StoredObject(key, size, sha, created=True)

    def open(self, key: str) -> BinaryIO:
        from minio.error import S3Error

        try:
            return self.client.get_object(self.bucket, key)
        except S3Error as exc:
            if exc.code == "NoSuchKey":
                raise ObjectNotFound(key) from exc
            raise

    def exists(self, key: str) -> bool:
        from minio.error import S3Error

        try:
            self.client.stat_object(self.bucket, key)
            return True
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NotFound"):
                return False
            raise

    def keys(self, prefix: str = "") -> Iterator[str]:
        for obj in self.client.list_objects(self.bucket, prefix=prefix, recursive=True):
            yield obj.object_name
