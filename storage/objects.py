"""Object storage for originals and derived files, behind one small Protocol.

Originals are content-addressed (key = SHA-256 of the bytes) and never overwritten: the
same file uploaded twice is stored once, and nothing can replace what a citizen handed
in. Derived files (validated packages) are written under their own keys with `put`.
Backends: `LocalObjectStore` (a directory, the embedded default) and `S3ObjectStore`
(the `minio` SDK; SeaweedFS in production, any S3 server works). A backend that cannot be reached raises
`StorageUnavailable`, which the API turns into 503.
"""

from __future__ import annotations

import errno
import hashlib
import io
import logging
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, BinaryIO, Protocol, cast

if TYPE_CHECKING:
    from minio import Minio

_CHUNK = 1 << 20
log = logging.getLogger(__name__)


class ObjectNotFound(KeyError):
    pass


class StorageUnavailable(RuntimeError):
    """The object store cannot be reached or refused to work; nothing was recorded."""


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

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        """Write a derived object (never under originals/)."""
        ...

    def open(self, key: str) -> BinaryIO: ...

    def exists(self, key: str) -> bool: ...

    def keys(self, prefix: str = "") -> Iterator[str]: ...

    def presigned_url(self, key: str, seconds: int) -> str | None:
        """A short-lived download link, or None where the backend has none (local)."""
        ...


class TooLarge(ValueError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"stream exceeds {limit} bytes")
        self.limit = limit


def copy_hashed(stream: IO[bytes], sink: IO[bytes], max_bytes: int | None) -> tuple[str, int]:
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


def private_dirs(path: Path, top: Path | None = None) -> None:
    """Create `path` and its missing parents as directories only the service user can enter
    (0700): the store holds ID card scans. `mkdir(parents=True)` would give the parents the
    default mode."""
    missing = []
    while not path.exists() and path != top and path.parent != path:
        missing.append(path)
        path = path.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=0o700)
        except FileExistsError:  # another writer made it meanwhile
            pass


@contextmanager
def _local_io(what: str) -> Iterator[None]:
    """A local disk that refuses to work (full, read-only, failing) makes the store unavailable:
    the API answers 503 and, since files are stored before anything refers to them, nothing is
    recorded. A missing object stays `ObjectNotFound`."""
    try:
        yield
    except FileNotFoundError as exc:
        raise ObjectNotFound(what) from exc
    except OSError as exc:
        reason = errno.errorcode.get(exc.errno or 0, type(exc).__name__)
        raise StorageUnavailable(f"local store cannot {what}: {reason}") from exc


class LocalObjectStore:
    """Objects as files under a root directory; writes are atomic (temp file + rename). The files
    and directories are private to the service user (0600 / 0700; originals 0400)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        private_dirs(self.root)
        try:
            if self.root.stat().st_mode & 0o077:  # made before the store kept itself private
                self.root.chmod(0o700)
        except OSError as exc:  # e.g. a read-only file system: writes answer 503 until it is fixed
            log.warning("cannot make %s private: %s", self.root, exc)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"key escapes the store: {key!r}")
        return path

    def put_original(self, stream: BinaryIO, max_bytes: int | None = None) -> StoredObject:
        with _local_io("store an original"):
            return self._put_original(stream, max_bytes)

    def _put_original(self, stream: BinaryIO, max_bytes: int | None) -> StoredObject:
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
            private_dirs(target.parent, self.root)
            os.chmod(tmp_name, 0o400)  # originals are read-only on disk too
            # link() fails if another writer got there first: the existing copy is kept.
            try:
                os.link(tmp_name, target)
            except FileExistsError:
                return StoredObject(key, size, sha, created=False)
            return StoredObject(key, size, sha, created=True)
        finally:
            Path(tmp_name).unlink(missing_ok=True)

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        if key.startswith("originals/"):
            raise ValueError("originals are written by put_original only")
        target = self._path(key)
        with _local_io(f"write {key}"):
            private_dirs(target.parent, self.root)
            fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")  # 0600
            try:
                with os.fdopen(fd, "wb") as tmp:
                    tmp.write(data)
                    tmp.flush()
                    os.fsync(tmp.fileno())
                os.replace(tmp_name, target)
            finally:
                Path(tmp_name).unlink(missing_ok=True)

    def presigned_url(self, key: str, seconds: int) -> str | None:
        return None

    def open(self, key: str) -> BinaryIO:
        path = self._path(key)
        if not path.is_file():
            raise ObjectNotFound(key)
        with _local_io(f"read {key}"):
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
    """Objects in an S3 bucket through the `minio` SDK (SeaweedFS in production).

    Bucket versioning is switched on where the server supports it, so even a racing
    second upload of identical bytes (stat-then-put is not atomic) only adds a version.
    The constructor does no I/O: an API whose S3 server is down still starts and answers
    503 until the server is back.
    """

    def __init__(self, client: Minio, bucket: str) -> None:
        self.client = client
        self.bucket = bucket
        self._bucket_ready = False
        self._bucket_lock = threading.Lock()  # uploads at once: one thread creates the bucket

    @classmethod
    def connect(
        cls,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        *,
        secure: bool = False,
        region: str = "us-east-1",
        timeout: float = 5.0,
    ) -> S3ObjectStore:
        import urllib3
        from minio import Minio

        # Short timeouts and one retry: a clerk waiting at the counter gets a 503 in
        # seconds rather than minio's default minutes of retrying.
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=timeout, read=max(timeout, 60.0)),
            retries=urllib3.Retry(total=1, backoff_factor=0.2, status_forcelist=(500, 502, 503, 504)),
            maxsize=16,
        )
        client = Minio(
            endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region, http_client=http
        )
        return cls(client, bucket)

    @contextmanager
    def _reachable(self) -> Iterator[None]:
        import urllib3
        from minio.error import S3Error, ServerError

        try:
            yield
        except (urllib3.exceptions.HTTPError, OSError, ServerError) as exc:
            raise StorageUnavailable(f"S3 server unreachable: {type(exc).__name__}") from exc
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NotFound", "NoSuchBucket"):  # nothing stored there yet
                raise ObjectNotFound(exc.object_name or "") from exc
            raise StorageUnavailable(f"S3 error {exc.code}") from exc

    def ensure_bucket(self) -> None:
        if self._bucket_ready:
            return
        with self._bucket_lock:
            if not self._bucket_ready:
                self._create_bucket()

    def _create_bucket(self) -> None:
        from minio.error import S3Error

        with self._reachable():
            if not self.client.bucket_exists(self.bucket):
                try:
                    self.client.make_bucket(self.bucket)
                except S3Error as exc:  # another process made it meanwhile
                    if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                        raise
            try:
                from minio.commonconfig import ENABLED
                from minio.versioningconfig import VersioningConfig

                self.client.set_bucket_versioning(self.bucket, VersioningConfig(ENABLED))
            except Exception as exc:  # noqa: BLE001 - a server without versioning still stores safely
                # ... but the backup runbook (deploy/BACKUP.md) counts on versions: say so.
                log.warning("bucket versioning not enabled on %s: %s", self.bucket, type(exc).__name__)
        self._bucket_ready = True

    def put_original(self, stream: BinaryIO, max_bytes: int | None = None) -> StoredObject:
        self.ensure_bucket()
        # The key needs the hash, so the upload is spooled first (memory, then disk).
        with tempfile.SpooledTemporaryFile(max_size=16 * _CHUNK) as spool:
            sha, size = copy_hashed(stream, spool, max_bytes)
            key = original_key(sha)
            if self.exists(key):
                return StoredObject(key, size, sha, created=False)
            spool.seek(0)
            with self._reachable():
                # A binary file object that typeshed types as IO[bytes], minio as BinaryIO.
                self.client.put_object(self.bucket, key, cast(BinaryIO, spool), size, metadata={"sha256": sha})
        return StoredObject(key, size, sha, created=True)

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        if key.startswith("originals/"):
            raise ValueError("originals are written by put_original only")
        self.ensure_bucket()
        with self._reachable():
            self.client.put_object(self.bucket, key, io.BytesIO(data), len(data), content_type=content_type)

    def open(self, key: str) -> BinaryIO:
        with self._reachable():
            # urllib3's response is a readable binary stream (io.IOBase with read, close, with-block).
            return cast(BinaryIO, self.client.get_object(self.bucket, key))

    def exists(self, key: str) -> bool:
        try:
            with self._reachable():
                self.client.stat_object(self.bucket, key)
            return True
        except ObjectNotFound:
            return False

    def keys(self, prefix: str = "") -> Iterator[str]:
        # Names as they are listed (a page of 1000 at a time): a bucket of millions never sits in memory.
        with self._reachable():
            for obj in self.client.list_objects(self.bucket, prefix=prefix, recursive=True):
                yield obj.object_name

    def presigned_url(self, key: str, seconds: int) -> str | None:
        with self._reachable():
            return self.client.presigned_get_object(self.bucket, key, expires=timedelta(seconds=seconds))
