"""Who is calling: API keys (only their SHA-256 is kept) and the roles they carry.

A counter key belongs to one service point: its holder sees and changes only the dossiers
received there (`intake.records.dossier_scope`). An online key (the portal, an online agent)
belongs to the point that receives its dossiers, sees only the dossiers it sent, and may carry
its own rate limit (`per_minute`)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select

from intake.context import IntakeContext
from intake.errors import ServiceError
from models.errors import ErrorCode
from storage.tables import ApiKeyRow, utcnow


class Role(StrEnum):
    COUNTER = "counter"
    REVIEWER = "reviewer"
    SUPERVISOR = "supervisor"  # staff who lead a center: sees what reviewers see (issue 16 adds more)
    AGENCY = "agency"
    ONLINE = "online"  # the public-service portal or an accredited online agent: submits online dossiers
    ADMIN = "admin"


POINT_ROLES = (Role.COUNTER, Role.ONLINE)  # keys bound to one service point
MAX_PER_MINUTE = 100_000


@dataclass(frozen=True, slots=True)
class Principal:
    role: Role
    subject: str  # staff user name, or the agency's code
    service_point: str | None = None  # a counter's or an online key's service point; None for other roles
    per_minute: int | None = None  # an online key's own rate limit (None: settings.online.per_minute)

    @property
    def identity(self) -> str:
        """Who this is across roles and points (two counters may share a user name at two points)."""
        return ":".join((self.role.value, self.service_point or "", self.subject))


def hash_key(key: str) -> str:
    # Keys are 256-bit random: a plain SHA-256 is enough, no slow hash needed.
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeys:
    def __init__(self, ctx: IntakeContext) -> None:
        self.ctx = ctx

    def create(self, role: Role, subject: str, service_point: str | None = None, per_minute: int | None = None) -> str:
        """A new key, shown once; only its hash is kept. A counter key needs its service point,
        and so does an online key (the point that receives its dossiers: its receiving unit
        makes their codes); no other role has one. Only an online key has its own limit."""
        if not subject.strip():
            raise ServiceError(ErrorCode.INVALID_REQUEST, "subject")
        if role == Role.AGENCY and subject not in self.ctx.organisation.agencies:
            raise ServiceError(ErrorCode.AGENCY_UNKNOWN, subject)
        if role in POINT_ROLES:
            if not service_point:
                raise ServiceError(ErrorCode.INVALID_REQUEST, "service_point: khóa này phải gắn với điểm tiếp nhận")
            if service_point not in self.ctx.organisation.service_points:
                raise ServiceError(ErrorCode.SERVICE_POINT_UNKNOWN, service_point)
        elif service_point is not None:
            raise ServiceError(ErrorCode.INVALID_REQUEST, "service_point: chỉ khóa quầy, khóa trực tuyến gắn với điểm")
        if per_minute is not None and (role != Role.ONLINE or not 1 <= per_minute <= MAX_PER_MINUTE):
            raise ServiceError(ErrorCode.INVALID_REQUEST, f"per_minute: chỉ khóa trực tuyến, 1–{MAX_PER_MINUTE}")
        key = f"sohoa_{role.value}_{secrets.token_urlsafe(32)}"
        row = ApiKeyRow(
            key_hash=hash_key(key),
            role=role.value,
            subject=subject,
            service_point_code=service_point,
            per_minute=per_minute,
        )
        with self.ctx.db.transaction() as s:
            s.add(row)
        return key

    def list(self) -> list[ApiKeyRow]:
        with self.ctx.db.transaction() as s:
            return list(s.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id)))

    def revoke(self, key_id: int) -> bool:
        """Revoked keys stay listed (who had access, until when) but no longer authenticate."""
        with self.ctx.db.transaction() as s:
            row = s.get(ApiKeyRow, key_id)
            if row is None:
                return False
            row.revoked_at = row.revoked_at or utcnow()
            return True

    def authenticate(self, key: str | None) -> Principal:
        if not key:
            raise ServiceError(ErrorCode.AUTH_REQUIRED)
        with self.ctx.db.reading() as s:  # every request: never wait for a writer
            row = s.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == hash_key(key)))
            if row is None or row.revoked_at is not None:
                raise ServiceError(ErrorCode.AUTH_INVALID)
            role = Role(row.role)
            if role in POINT_ROLES and not row.service_point_code:
                # A key made before keys were bound to a point: it opens nothing until replaced.
                raise ServiceError(ErrorCode.FORBIDDEN, "khóa chưa gắn điểm tiếp nhận; hãy cấp khóa mới")
            point = row.service_point_code if role in POINT_ROLES else None
            return Principal(role, row.subject, point, row.per_minute if role == Role.ONLINE else None)
