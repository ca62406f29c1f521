"""What reads page jobs: the `PagePool` the dispatcher drives, the reader every worker runs, and
`LocalPool`, which reads pages in this process (threads) with the same reader and engines.

The Ray pool (`intake.processing.ray_pool.WorkerPool`) runs the same `StoredPageReader` inside
each actor; `LocalPool` exists so that the job state machine can be tested, and run, without Ray.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from intake.processing.jobs import PageTask
from models.errors import ErrorCode
from pipeline.config import ReadingConfig
from pipeline.errors import InputRefused
from pipeline.pages.preflight import FileInfo, preflight
from storage.config import StorageSettings

log = logging.getLogger(__name__)

# (task, result, None) when the page was read, (task, None, error) when it was not.
PageOutcome = tuple[PageTask, dict | None, BaseException | None]
ReadPage = Callable[[PageTask], dict]


class PoolLost(RuntimeError):
    """The pool's readers are out of reach for good (a Ray cluster that stayed down, or came back
    as a new cluster that no longer knows this process): the process must join it again."""


class PagePool(Protocol):
    """Page readers, one page in flight per reader (a fixed number, or following a Ray cluster)."""

    @property
    def free_slots(self) -> int: ...

    @property
    def in_flight(self) -> list[PageTask]: ...

    def submit(self, task: PageTask) -> None:
        """Start reading `task` on a free reader (only called while `free_slots` > 0)."""

    def wait(self, timeout: float) -> list[PageOutcome]:
        """The pages finished so far, waiting up to `timeout` seconds for the first."""
        ...

    def shutdown(self) -> None: ...


@dataclass(frozen=True, slots=True)
class WorkerSetup:
    """What a worker needs to build its own engines and object store (picklable)."""

    reading: ReadingConfig
    storage: StorageSettings
    local_dir: Path
    cache_dir: Path


@dataclass(frozen=True, slots=True)
class StoredFile:
    object_key: str
    data: bytes
    info: FileInfo


class StoredPageReader:
    """Reads one page of a stored original per call. Keeps the last file it read (bytes and
    preflight result), so the pages of one file that come to the same worker download it once."""

    def __init__(self, setup: WorkerSetup) -> None:
        from pipeline.reader import OcrEngines
        from storage.config import open_object_store

        self.reading = setup.reading
        self.store = open_object_store(setup.storage, setup.local_dir)
        self.engines = OcrEngines(setup.reading, setup.cache_dir)
        self.last_file: StoredFile | None = None
        self.downloads = 0  # files fetched from the object store (read by tests)

    def read(self, task: PageTask) -> dict:
        from pipeline.reader import StageClock, read_one_page

        stages = StageClock()  # seconds per stage, for the metrics (intake/metrics.py)
        try:
            with stages.stage("fetch"):
                file = self.stored_file(task)
            page = read_one_page(
                file.data, task.filename, task.page_index, self.reading, self.engines, file.info, task.rotation, stages
            )
        except BaseException:
            self.last_file = None  # a retry fetches the stored original afresh
            raise
        return {**page.to_dict(), "skew_degrees": page.skew_degrees, "timings": stages.seconds}

    def stored_file(self, task: PageTask) -> StoredFile:
        if self.last_file is not None and self.last_file.object_key == task.object_key:
            return self.last_file
        self.last_file = None  # one file at a time: let the previous one go before fetching
        with self.store.open(task.object_key) as stream:
            data = stream.read()
        self.downloads += 1
        if task.file_info is not None:
            check_stored_bytes(data, task.file_info)
            info = task.file_info
        else:  # stored before uploads kept their preflight result: check it here, once
            info = preflight(data, task.filename, self.reading.limits, pdf_dpi=self.reading.pdf_dpi)
        self.last_file = StoredFile(task.object_key, data, info)
        return self.last_file


def check_stored_bytes(data: bytes, info: FileInfo) -> None:
    """Without a preflight, nothing else would notice a stored original damaged after upload."""
    if len(data) != info.size_bytes or hashlib.sha256(data).hexdigest() != info.sha256:
        raise InputRefused(
            ErrorCode.CORRUPT_FILE,
            f"bản lưu trữ của tệp không khớp với tệp đã nhận ({len(data)} / {info.size_bytes} byte)",
        )


class LocalPool:
    """`size` readers on threads of this process; each reader is made once by `make_reader` and
    keeps its own engines and last file, like a Ray actor."""

    def __init__(self, make_reader: Callable[[], ReadPage], size: int = 1) -> None:
        self._readers = [make_reader() for _ in range(max(1, size))]
        self._idle = list(self._readers)
        self._in_flight: dict[Future[dict], tuple[PageTask, ReadPage]] = {}
        self._threads = ThreadPoolExecutor(max_workers=len(self._readers), thread_name_prefix="sohoa-page")

    @property
    def free_slots(self) -> int:
        return len(self._idle)

    @property
    def in_flight(self) -> list[PageTask]:
        return [task for task, _reader in self._in_flight.values()]

    def submit(self, task: PageTask) -> None:
        reader = self._idle.pop()
        self._in_flight[self._threads.submit(reader, task)] = (task, reader)

    def wait(self, timeout: float) -> list[PageOutcome]:
        if not self._in_flight:
            return []
        done, _pending = wait_futures(list(self._in_flight), timeout=timeout, return_when=FIRST_COMPLETED)
        finished: list[PageOutcome] = []
        for future in done:
            task, reader = self._in_flight.pop(future)
            self._idle.append(reader)
            error = future.exception()
            finished.append((task, None, error) if error is not None else (task, future.result(), None))
        return finished

    def shutdown(self) -> None:
        # Pages still being read finish on their threads; nobody collects them (as with killed actors).
        self._threads.shutdown(wait=False, cancel_futures=True)
        self._idle, self._in_flight = [], {}
