"""Shared fixtures: real OCR engines are loaded once per test process."""

from __future__ import annotations

from pathlib import Path

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
