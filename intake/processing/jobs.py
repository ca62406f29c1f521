"""Page jobs: their states as the database keeps them, the identity of what a job produces, and
the task a worker pool is handed for one job."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from pipeline.config import ReadingConfig
from pipeline.pages.preflight import FileInfo

READER_VERSION = "sohoa-read/2"  # 2: QR codes and handwriting regions in page results


class JobState(StrEnum):
    """`jobs.state`: queued -> running -> done, or back to queued (retry, lease lost), or failed."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


OPEN_JOB_STATES = (JobState.QUEUED, JobState.RUNNING)


def pipeline_version(config: ReadingConfig) -> str:
    """Identity of what produced a page result: code version plus every reading setting."""
    digest = hashlib.sha256(config.model_dump_json().encode()).hexdigest()[:16]
    return f"{READER_VERSION}+{digest}"


def page_key(file_sha256: str, index: int) -> str:
    """Content identity of a page: its file's SHA-256 and its index in that file."""
    return hashlib.sha256(f"{file_sha256}:{index}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class PageTask:
    """One page job as a worker reads it (picklable: it crosses to Ray actors)."""

    job_id: int
    object_key: str
    filename: str
    page_index: int
    # The preflight result stored with the file at upload: the worker neither checks the file
    # again nor trusts other bytes (size and SHA-256 must match). None for files stored before
    # it was kept: the worker preflights them as it always did.
    file_info: FileInfo | None = None
    # Clockwise degrees a reviewer turned the page by: the page is read turned.
    rotation: int = 0
    # The page key the reading is stored under, taken with the job: a page turned while it was
    # being read gets a new key, and the reading of the old picture never lands on it.
    page_key: str | None = None
