"""The staff accounts' tables: users, browser sessions, failed sign-ins and the sign-in record.

Passwords are kept only as Argon2 hashes, session tokens only as their SHA-256. Times are
stored in UTC (`UtcDateTime`) and come from the service's clock.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.tables import Base, UtcDateTime


class StaffUserRow(Base):
    """A person who signs in to the screens: a counter clerk (bound to one service point),
    a reviewer or a supervisor. Disabled accounts stay listed (who had access, until when)."""

    __tablename__ = "staff_users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)  # ASCII lowercase, digits, . - _
    full_name: Mapped[str] = mapped_column(String(200))  # NFC
    role: Mapped[str] = mapped_column(String(16))  # counter | reviewer | supervisor
    service_point_code: Mapped[str | None] = mapped_column(String(64))  # counters only
    password_hash: Mapped[str] = mapped_column(String(255))  # Argon2id, PHC string
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class StaffSessionRow(Base):
    """A signed-in browser: only the SHA-256 of its cookie's token is kept."""

    __tablename__ = "staff_sessions"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SigninFailureRow(Base):
    """Failed sign-ins in a row for one user name, known or not (the answer must not tell
    which): after enough of them the name waits until `locked_until`."""

    __tablename__ = "staff_signin_failures"
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(UtcDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class StaffEventRow(Base):
    """The record of sign-ins (done, failed, refused while locked), sign-outs and account changes."""

    __tablename__ = "staff_events"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    action: Mapped[str] = mapped_column(String(32))
    username: Mapped[str] = mapped_column(String(64), index=True)  # an unknown name is kept masked
    actor: Mapped[str | None] = mapped_column(String(128))  # who changed an account (the CLI's operator)
    detail: Mapped[str | None] = mapped_column(Text)
