"""Shared fixtures: real OCR engines are loaded once per test process."""

from __future__ import annotations

import os
from pathlib import Path

from intake.processing.ray_pool import LOOPBACK_ENV

# Before any test module imports Ray: Ray reads these at import, and without them its
# processes listen on every interface (../shared/design/RUNNING-REAL-SERVICES.md).
os.environ.update(LOOPBACK_ENV)

import pytest

from pipeline.config import ReadingConfig


@pytest.fixture(scope="session")
def reading_config() -> ReadingConfig:
    return ReadingConfig()


@pytest.fixture(scope="session")
def engines(reading_config, tmp_path_factory):
    from pipeline.reader import OcrEngines

    return OcrEngines(reading_config, Path(tmp_path_factory.mktemp("sohoa-cache")))


@pytest.fixture(scope="session")
def page_reader(engines):
    return engines.page_reader


# --- real servers on loopback (marked `services`; session fixtures: once per test worker) ----


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    from loopback.s3server import start_s3_server

    server = start_s3_server(tmp_path_factory.mktemp("s3"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_server():
    import shutil
    import tempfile

    from loopback.pgserver import start_postgres

    # Not under pytest's 0700 tmp root: the server runs as the `postgres` user.
    workdir = Path(tempfile.mkdtemp(prefix="sohoa-pg-", dir="/tmp"))
    server = start_postgres(workdir)
    yield server
    server.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def local_ray():
    """One local, loopback-only Ray per test process (starting one takes seconds)."""
    import shutil
    import tempfile

    import ray

    from intake.processing.ray_pool import start_ray

    temp_dir = Path(tempfile.mkdtemp(prefix="sohoa-ray-", dir="/tmp"))  # short: Ray's socket paths
    start_ray(None, num_cpus=2, temp_dir=temp_dir, object_store_mb=200)
    yield temp_dir
    ray.shutdown()
    shutil.rmtree(temp_dir, ignore_errors=True)
