"""Storage settings and the one place that builds an object store from them."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr

from storage.objects import LocalObjectStore, ObjectStore, S3ObjectStore


class StorageSettings(BaseModel):
    backend: Literal["local", "s3"] = "local"
    local_dir: Path | None = Field(None, description="Local backend root; default DATA_DIR/objects.")
    s3_endpoint: str = "127.0.0.1:9000"
    s3_access_key: str = "sohoa"
    s3_secret_key: SecretStr = SecretStr("")
    s3_bucket: str = "sohoa"
    s3_secure: bool = False
    s3_region: str = "us-east-1"
    timeout_seconds: float = Field(5.0, description="Connect timeout; past it the API answers 503.")
    presign_seconds: int = Field(300, description="Lifetime of agencies' download links (S3).")


def open_object_store(settings: StorageSettings, default_local_dir: Path) -> ObjectStore:
    if settings.backend == "s3":
        return S3ObjectStore.connect(
            settings.s3_endpoint,
            settings.s3_access_key,
            settings.s3_secret_key.get_secret_value(),
            settings.s3_bucket,
            secure=settings.s3_secure,
            region=settings.s3_region,
            timeout=settings.timeout_seconds,
        )
    return LocalObjectStore(settings.local_dir or default_local_dir)
