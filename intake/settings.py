"""The one typed settings object, read from the environment (prefix SOHOA_).

Nested sections use "__": SOHOA_READING__LIMITS__MAX_PAGES=200,
SOHOA_STORAGE__BACKEND=s3, SOHOA_STORAGE__S3_ENDPOINT=seaweedfs:8333,
SOHOA_DATABASE_URL=postgresql+psycopg://sohoa@db/sohoa, SOHOA_RAY__ADDRESS=ray-head:6379.
Everything defaults to the embedded set: a local storage directory, an SQLite file and a
local Ray, all under SOHOA_DATA_DIR.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipeline.config import ReadingConfig
from pipeline.pages.quality.settings import QualityThresholds
from storage.config import StorageSettings, open_object_store


class RaySettings(BaseModel):
    address: str | None = Field(None, description="An existing cluster (host:port); none = start a local Ray.")
    workers: int = Field(0, description="OCR actors; 0 = one per CPU of the cluster.")
    temp_dir: Path | None = Field(None, description="Local Ray's temp dir; default a fresh one under /tmp.")
    object_store_mb: int = 200
    # The elastic pool (intake/processing/ray_pool.py): follows the cluster's CPUs between these bounds.
    min_actors: int = Field(1, description="OCR actors kept even when the cluster has fewer free CPUs.")
    max_actors: int = Field(0, description="At most this many OCR actors; 0 = one per CPU of the cluster.")
    actor_memory_mb: int = Field(1500, description="An actor using more memory than this is replaced between pages.")
    resize_seconds: float = Field(5.0, description="How often the pool compares itself with the cluster's resources.")


class ProcessingSettings(BaseModel):
    max_attempts: int = Field(3, description="A page that fails this often flags its dossier for attention.")
    lease_seconds: float = Field(120.0, description="A running job not renewed for this long is taken back.")
    poll_seconds: float = 0.5


class IntakeSettings(BaseModel):
    dossier_code_format: str = Field("{unit}-{yymmdd}-{seq:04d}", description="Fields: unit, yymmdd, yyyymmdd, seq.")
    timezone: str = "Asia/Ho_Chi_Minh"
    green_lane_share: float = Field(0.3, description="Share of processing time cut for green-lane procedures.")
    max_upload_bytes: int = 100 * 1024 * 1024
    procedures_file: Path | None = None
    organisation_file: Path | None = None


class StaffSettings(BaseModel):
    """Staff sign-in and browser sessions (the screens). Machine clients keep X-API-Key."""

    idle_minutes: float = Field(30.0, description="A browser session unused this long is signed out.")
    max_session_hours: float = Field(12.0, description="A session ends after this long even if used.")
    lockout_after: int = Field(5, description="Failed sign-ins in a row before the account waits.")
    lockout_seconds: float = Field(30.0, description="First wait; doubles with each further failure.")
    lockout_max_seconds: float = Field(900.0, description="The longest wait.")
    secure_cookies: bool | None = Field(
        None, description="Secure flag on the cookie; None = set when the request came over HTTPS."
    )


class ReviewSettings(BaseModel):
    """The review workstation."""

    claim_idle_minutes: float = Field(
        15.0, description="A dossier a reviewer opened and left untouched this long is free for others."
    )


class LookupSettings(BaseModel):
    """The citizen's public look-up page (/tra-cuu/{code}), opened from the receipt's QR code."""

    public_url: str | None = Field(
        None,
        description="Base URL citizens reach the look-up page at (in the receipt's QR); None = the request's own.",
    )
    per_minute: int = Field(20, description="Look-ups one client address may make per minute.")


class WebhookSettings(BaseModel):
    """Events pushed to agencies' webhooks (intake/webhooks.py, docs/WEBHOOKS.md)."""

    timeout_seconds: float = Field(5.0, description="A receiver that has not answered in this long has failed.")
    backoff_seconds: float = Field(2.0, description="Wait before the first retry; doubles with each failure.")
    max_backoff_seconds: float = Field(600.0, description="The longest wait between two attempts.")
    poll_seconds: float = Field(0.5, description="How often a sender looks for due deliveries.")
    batch: int = Field(50, description="Deliveries a sender takes at once.")
    allow_http: bool = Field(False, description="Accept http:// webhook URLs (tests on loopback); https otherwise.")
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="When set, the only hosts a webhook may name: a host, or '.suffix' for a domain and below.",
    )
    senders: int = Field(4, description="Deliveries posted at once by one process (to different dossiers).")


class SigningSettings(BaseModel):
    """The center's signature on the package's searchable PDFs (PAdES; intake/signing.py)."""

    pkcs12_file: Path | None = Field(None, description="The center's key and certificate chain (PKCS#12).")
    pkcs12_password: SecretStr | None = None
    pkcs11_module: Path | None = Field(None, description="A PKCS#11 token's library (an HSM in production).")
    pkcs11_token_label: str | None = None
    pkcs11_key_label: str | None = None
    pkcs11_pin: SecretStr | None = None
    tsa_url: str | None = Field(None, description="RFC 3161 time-stamping authority; none = signing time only.")
    trust_roots: list[Path] = Field(default_factory=list, description="CA certificates a signature must chain to.")
    signer_unit: str = Field("Trung tâm Phục vụ hành chính công", description="The signing unit, in the signature.")
    location: str = Field("Việt Nam", description="Where the copies are made, in the signature.")
    development_certificate: bool = Field(
        True, description="With no key configured, sign with a self-made one under DATA_DIR (never in production)."
    )
    pdfa: bool = Field(True, description="Make the package's PDFs PDF/A-2b.")


class OnlineSettings(BaseModel):
    """Online intake: the public-service portal and accredited online agents (/api/v1/online/)."""

    per_minute: int = Field(60, description="Requests a minute an online key may make, unless the key sets its own.")
    max_files: int = Field(40, description="Files one online submission may carry.")


class LogSettings(BaseModel):
    format: Literal["json", "text"] = Field("json", description="json: one JSON object per line (production).")
    level: str = "INFO"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOHOA_", env_nested_delimiter="__", extra="ignore")

    cache_dir: Path = Field(Path.home() / ".cache" / "sohoa", description="Prepared model links, scratch.")
    data_dir: Path = Field(Path.home() / ".local" / "share" / "sohoa", description="Embedded storage and database.")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default sqlite:///DATA_DIR/sohoa.db.")
    reading: ReadingConfig = ReadingConfig()
    storage: StorageSettings = StorageSettings()
    ray: RaySettings = RaySettings()
    processing: ProcessingSettings = ProcessingSettings()
    intake: IntakeSettings = IntakeSettings()
    staff: StaffSettings = StaffSettings()
    quality: QualityThresholds = QualityThresholds()  # the quality check at upload (docs/QUALITY.md)
    review: ReviewSettings = ReviewSettings()
    lookup: LookupSettings = LookupSettings()
    log: LogSettings = LogSettings()
    webhooks: WebhookSettings = WebhookSettings()
    signing: SigningSettings = SigningSettings()
    online: OnlineSettings = OnlineSettings()

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'sohoa.db'}"

    def object_store(self):  # -> storage.objects.ObjectStore
        return open_object_store(self.storage, self.data_dir / "objects")

    def ray_temp_dir(self) -> Path:
        # Ray's socket paths must stay short (107 bytes): never nest it deep in DATA_DIR.
        return self.ray.temp_dir or Path("/tmp") / f"sohoa-ray-{os.getuid()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
