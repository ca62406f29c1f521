"""Helpers of the integrity tests (concurrency, crashes, storage faults): small distinct images,
many calls released at once, and a dossier put where OCR would leave it."""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from PIL import Image
from sqlalchemy import select

from intake.service import IntakeService
from intake.settings import Settings
from models.document import PageText, TextSource
from storage.tables import ComponentRow, DossierRow, FieldRow, JobRow, PageResultRow, PageRow

WIDTH, HEIGHT = 120, 90


def png(seed: int) -> bytes:
    """A small image, distinct per seed (its colour), always WIDTH x HEIGHT px."""
    buffer = io.BytesIO()
    Image.new("RGB", (WIDTH, HEIGHT), (seed % 256, seed // 256 % 256, 99)).save(buffer, format="PNG")
    return buffer.getvalue()


def at_once(calls: list[Callable[[], object]]) -> list:
    """Run the calls on as many threads, released together; their results in order."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], object]) -> object:
        start.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def ready_for_review(service: IntakeService, code: str, names: tuple[str, ...] = ()) -> list[int]:
    """The submitted dossier `code` as OCR would leave it (its reading is other tests' business):
    pages read (blank), `names` read as confident fields of its first component, waiting for
    review. Returns its components' ids."""
    with service.db.transaction() as s:
        row = s.scalar(select(DossierRow).where(DossierRow.code == code))
        assert row is not None
        components = list(s.scalars(select(ComponentRow).where(ComponentRow.dossier_id == row.id)))
        for name in names:
            s.add(
                FieldRow(
                    component_id=components[0].id,
                    part=0,
                    name=name,
                    value="Việt Nam",
                    confidence=0.99,
                    page=0,
                    box=[0, 0, 10, 10],
                    status="ok",
                    sources=["ocr"],
                )
            )
        for job in s.scalars(select(JobRow).where(JobRow.dossier_id == row.id)):
            job.state = "done"
        for page in s.scalars(select(PageRow).join(ComponentRow).where(ComponentRow.dossier_id == row.id)):
            text = PageText(page.index, WIDTH, HEIGHT, TextSource.OCR)
            s.merge(PageResultRow(page_key=page.page_key, pipeline_version=service.ctx.version, result=text.to_dict()))
        row.state = "needs_review"
        return [c.id for c in components]


def command_environment(settings: Settings, **more: str) -> dict[str, str]:
    """The variables an operator's `sohoa` command reads to find this database and store."""
    env = {
        **os.environ,
        "SOHOA_DATA_DIR": str(settings.data_dir),
        "SOHOA_CACHE_DIR": str(settings.cache_dir),
        **more,
    }
    if settings.database_url:
        env["SOHOA_DATABASE_URL"] = settings.database_url
    storage = settings.storage
    if storage.backend == "s3":
        env |= {
            "SOHOA_STORAGE__BACKEND": "s3",
            "SOHOA_STORAGE__S3_ENDPOINT": storage.s3_endpoint,
            "SOHOA_STORAGE__S3_ACCESS_KEY": storage.s3_access_key,
            "SOHOA_STORAGE__S3_SECRET_KEY": storage.s3_secret_key.get_secret_value(),
            "SOHOA_STORAGE__S3_BUCKET": storage.s3_bucket,
        }
    return env
