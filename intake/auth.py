"""Who is calling: API keys (only their SHA-256 is kept) and the roles they carry."""

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
    AGENCY = "agency"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    role: Role
    subject: str  # staff user name, or the agency's code


def hash_key(key: str) -> str:
    # Keys are 256-bit random: a plain SHA-256 is enough, no slow hash needed.
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeys:
    def __init__(self, ctx: IntakeContext) -> None:
        self.ctx = ctx

    def create(self, role: Role, subject: str) -> str:
        """A new key, shown once; only its hash is kept."""
        if role == Role.AGENCY and subject not in self.ctx.organisation.agencies:
            raise ServiceError(ErrorCode.AGENCY_UNKNOWN, subject)
        key = f"sohoa_{role.value}_{secrets.token_urlsafe(32)}"
        with self.ctx.db.transaction() as s:
            s.add(ApiKeyRow(key_hash=hash_key(key), role=role.value, subject=subject))
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
        with self.ctx.db.transaction() as s:
            row = s.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == hash_key(key)))
            if row is None or row.revoked_at is not None:
                raise ServiceError(ErrorCode.AUTH_INVALID)
            return Principal(Role(row.role), row.subject)
