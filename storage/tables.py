"""The metadata database's tables (SQLAlchemy 2, typed declarative).

Schema changes go through Alembic (`storage/migrations/`); never create tables another way
in production. Times are stored in UTC; Vietnamese text is stored NFC.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UtcDateTime(TypeDecorator):
    """Aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):  # noqa: ANN001
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):  # noqa: ANN001
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class AgencyRow(Base):
    __tablename__ = "agencies"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))


class ServicePointRow(Base):
    __tablename__ = "service_points"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    receiving_unit: Mapped[str] = mapped_column(String(64))
    ward_code: Mapped[str | None] = mapped_column(String(16))


class ApiKeyRow(Base):
    """An API key: only its SHA-256 is kept (keys are 256-bit random, so no slow hash is needed)."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # counter | reviewer | supervisor | agency | online | admin
    subject: Mapped[str] = mapped_column(String(128))  # staff user name, or agency code
    # A counter's key belongs to one service point: it sees and changes only that point's dossiers.
    service_point_code: Mapped[str | None] = mapped_column(String(64))
    # Requests a minute this key may make (online intake keys); None = the role's default.
    per_minute: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class DossierRow(Base):
    __tablename__ = "dossiers"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True)  # before a code exists
    code: Mapped[str | None] = mapped_column(String(80), unique=True)  # mã hồ sơ, immutable once issued
    procedure_code: Mapped[str] = mapped_column(String(16))
    service_point_code: Mapped[str] = mapped_column(ForeignKey("service_points.code"))
    agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    applicant_name: Mapped[str] = mapped_column(String(200))
    applicant_id_number: Mapped[str | None] = mapped_column(String(12))
    applicant_phone: Mapped[str | None] = mapped_column(String(20))
    applicant_birth_date: Mapped[str | None] = mapped_column(String(10))  # DD/MM/YYYY as on the card
    applicant_address: Mapped[str | None] = mapped_column(String(300))
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    received_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # valid receipt: the clock starts
    received_by: Mapped[str | None] = mapped_column(String(128))  # the clerk who submitted (on the receipt)
    # Why the clerk received the dossier with a required document missing (recorded, printed).
    missing_reason: Mapped[str | None] = mapped_column(Text)
    due_date: Mapped[str | None] = mapped_column(String(10))  # appointment date, ISO, local calendar
    national_status: Mapped[int] = mapped_column(Integer, default=2)
    state: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    attention_reason: Mapped[str | None] = mapped_column(Text)
    approved_by: Mapped[str | None] = mapped_column(String(128))
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    package_prefix: Mapped[str | None] = mapped_column(String(200))
    # While an approval builds the package (state "approving"): which approval froze the dossier,
    # and since when (an approval that died is taken over, or released, after a timeout).
    approval_token: Mapped[str | None] = mapped_column(String(32))
    approval_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The procedure is a green-lane one (làn xanh) at submit: reviewed first.
    green_lane: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    # The reviewer who has the dossier open, and when they last acted on it: the claim lapses
    # after settings.review.claim_idle_minutes, on approval, on send-back and on sign-out.
    claimed_by: Mapped[str | None] = mapped_column(String(128), index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Unguessable key printed with the receipt's QR link: the public look-up needs code and key.
    lookup_key: Mapped[str | None] = mapped_column(String(32))
    # counter | online | postal (models.dossier.Channel)
    channel: Mapped[str] = mapped_column(String(16), default="counter", server_default="counter", index=True)
    # The sender's own reference for an online dossier (the portal's or online agent's), kept for the sync.
    external_reference: Mapped[str | None] = mapped_column(String(100))
    # Packages built for the dossier: 1 at the first hand-over, more when it is re-sent after a correction.
    package_revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # SHA-256 of the package's manifest.json as built: the manifest (and through it every file) is checked against it.
    package_manifest_sha256: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    components: Mapped[list[ComponentRow]] = relationship(
        back_populates="dossier", order_by="ComponentRow.position", cascade="all, delete-orphan"
    )

    __table_args__ = (
        # The agency's "ready for me" listing walks this index with a keyset cursor.
        Index("ix_dossiers_agency_state_id", "agency_code", "state", "id"),
        # The dashboard counts a period's dossiers per service point.
        Index("ix_dossiers_received_point", "received_at", "service_point_code"),
        Index("ix_dossiers_approved_at", "approved_at"),  # ... and hands over in a period
    )


class ComponentRow(Base):
    """A document of a dossier, stored as one original file (content-addressed)."""

    __tablename__ = "components"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64))
    object_key: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(16))  # scan | upload | born_digital
    page_count: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str | None] = mapped_column(String(32))  # the first document's kind
    # Documents found in the file, in order: [{"kind", "confidence", "pages": [index, ...]}].
    parts: Mapped[list | None] = mapped_column(JSON)
    # The preflight result (pipeline.pages.preflight.FileInfo.to_dict()): the file is checked once.
    file_info: Mapped[dict | None] = mapped_column(JSON)
    # The quality check at upload (intake.components): per page its warning codes, fingerprint
    # and likely kind; the card QR text when a page has one.
    quality: Mapped[dict | None] = mapped_column(JSON)
    rotation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # clockwise, set by the clerk
    declared_kind: Mapped[str | None] = mapped_column(String(32))  # the clerk's word on the document kind
    # The clerk's word on which required document of the procedure this file is (one no reader
    # recognises, such as a birth certificate from the hospital).
    declared_document: Mapped[str | None] = mapped_column(String(300))
    # A reviewer's word on the documents in the file, replacing the split the reader found:
    # [{"kind": str, "pages": [index, ...]}, ...] (intake/documents.py). None: the reader's split.
    reviewed_parts: Mapped[list | None] = mapped_column(JSON)
    uploaded_by: Mapped[str] = mapped_column(String(128))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    dossier: Mapped[DossierRow] = relationship(back_populates="components")
    pages: Mapped[list[PageRow]] = relationship(order_by="PageRow.index", cascade="all, delete-orphan")
    fields: Mapped[list[FieldRow]] = relationship(order_by="FieldRow.id", cascade="all, delete-orphan")

    __table_args__ = (
        UniqueConstraint("dossier_id", "file_sha256", name="uq_components_dossier_file"),
        UniqueConstraint("dossier_id", "position", name="uq_components_dossier_position"),
    )


class PageRow(Base):
    __tablename__ = "pages"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("components.id", ondelete="CASCADE"), index=True)
    index: Mapped[int] = mapped_column(Integer)
    page_key: Mapped[str] = mapped_column(String(64))  # content identity: SHA-256(file hash, page index)
    rotation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # a reviewer's turn, clockwise

    # A page is queued once, however many submits race.
    __table_args__ = (UniqueConstraint("component_id", "index", name="uq_pages_component_index"),)


class PageResultRow(Base):
    """One page's reading, keyed by page content and pipeline version: reprocessing is idempotent."""

    __tablename__ = "page_results"
    page_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    pipeline_version: Mapped[str] = mapped_column(String(64), primary_key=True)
    result: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class JobRow(Base):
    """A page job. State lives here, not in Ray: a crash or restart neither loses nor repeats work."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), unique=True)
    state: Mapped[str] = mapped_column(String(12), default="queued", index=True)  # queued|running|done|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class DispatcherRow(Base):
    """A running dispatcher's heartbeat: the jobs of one that stopped beating go back to the queue
    within seconds, instead of when their lease runs out."""

    __tablename__ = "dispatchers"
    owner: Mapped[str] = mapped_column(String(64), primary_key=True)  # = jobs.lease_owner
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    beat_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


class FieldRow(Base):
    __tablename__ = "fields"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("components.id", ondelete="CASCADE"), index=True)
    part: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # document within the file
    name: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float)
    page: Mapped[int] = mapped_column(Integer)
    box: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    sources: Mapped[list | None] = mapped_column(JSON)  # what the value rests on: ocr, qr, mrz, rule, reviewer, ...
    reason: Mapped[str | None] = mapped_column(String(32))  # why it needs review (ReviewReason)
    detail: Mapped[dict | None] = mapped_column(JSON)  # other sources' values, normalized unit, ...
    # Bumped by every change of value or status: a correction made on an older version is stale.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    edits: Mapped[list[ReviewEditRow]] = relationship(order_by="ReviewEditRow.id", cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("component_id", "part", "name", name="uq_fields_component_part_name"),)


class ReviewEditRow(Base):
    __tablename__ = "review_edits"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    field_id: Mapped[int] = mapped_column(ForeignKey("fields.id", ondelete="CASCADE"), index=True)
    reviewer: Mapped[str] = mapped_column(String(128))
    # "correct": the reviewer typed another value; "confirm": the value read was checked and kept.
    action: Mapped[str] = mapped_column(String(16), default="correct", server_default="correct")
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    old_value: Mapped[str] = mapped_column(Text)
    new_value: Mapped[str] = mapped_column(Text)


class StatusReportRow(Base):
    """National-catalogue statuses reported by the competent agency."""

    __tablename__ = "status_reports"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    status: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    reported_by: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AccessLogRow(Base):
    """Who viewed or exported which dossier (personal-data law)."""

    __tablename__ = "access_log"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    principal: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    dossier_code: Mapped[str] = mapped_column(String(80), index=True)
    detail: Mapped[str | None] = mapped_column(Text)


class CodeCounterRow(Base):
    """Daily sequence of dossier codes per receiving unit."""

    __tablename__ = "code_counters"
    unit: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class IdempotencyKeyRow(Base):
    """A create request's `Idempotency-Key`: a retry with the same body gets the first answer again."""

    __tablename__ = "idempotency_keys"
    principal: Mapped[str] = mapped_column(String(256), primary_key=True)  # Principal.identity
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    operation: Mapped[str] = mapped_column(String(300))  # method and route
    request_sha256: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict] = mapped_column(JSON)  # the first answer's body, given again to a retry
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class WorkstationRow(Base):
    """The draft open on a counter clerk's screen: where the scan station sends pages."""

    __tablename__ = "workstations"
    identity: Mapped[str] = mapped_column(String(256), primary_key=True)  # intake.auth.Principal.identity
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class SupplementRequestRow(Base):
    """A reviewer sent the dossier back to its counter: what is missing or wrong (form 02,
    Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ). The latest open one is the one printed."""

    __tablename__ = "supplement_requests"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    items: Mapped[list] = mapped_column(JSON)  # what the citizen must bring or correct, one line each
    note: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(128))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # the counter resubmitted the dossier
