"""The one typed settings object, read from the environment (prefix SOHOA_).

Nested sections use "__": SOHOA_READING__LIMITS__MAX_PAGES=200,
SOHOA_READING__DETECTOR__MODEL_DIR=/models/ppocr-det, SOHOA_CACHE_DIR=/var/cache/sohoa.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipeline.config import ReadingConfig


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOHOA_", env_nested_delimiter="__", extra="ignore")

    cache_dir: Path = Field(Path.home() / ".cache" / "sohoa", description="Prepared model links, scratch.")
    reading: ReadingConfig = ReadingConfig()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
