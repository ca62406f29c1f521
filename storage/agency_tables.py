"""The agencies' event feed and its webhooks.

`agency_events` is both the feed an agency reads (`GET /agency/events?cursor=`, ordered by id)
and the outbox: an event row, and one `webhook_deliveries` row per active webhook of its
agency, are written in the same transaction as the change they tell of, so an event exists
exactly when its change does. Senders then work through the deliveries (intake/webhooks.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.tables import Base, UtcDateTime


class AgencyEventRow(Base):
    """Something an agency is told about one of its dossiers (intake.events.EventKind)."""

    __tablename__ = "agency_events"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)  # feed order
    event_id: Mapped[str] = mapped_column(String(36), unique=True)  # UUID: the receiver's de-duplication key
    agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    dossier_code: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(40))  # dossier.ready | dossier.resent | ...
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    data: Mapped[dict] = mapped_column(JSON)

    __table_args__ = (Index("ix_agency_events_agency_id", "agency_code", "id"),)


class WebhookRow(Base):
    """A URL an agency registered to receive its events as signed POSTs. Disabled ones stay
    listed with their delivery log."""

    __tablename__ = "webhooks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    # HMAC-SHA256 key of the signature; shown to the agency once, at registration. Kept as is:
    # the sender needs it to sign (the database's own protection applies).
    secret: Mapped[str] = mapped_column(String(128))
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class WebhookDeliveryRow(Base):
    """One event to one webhook: pending until the receiver answers 2xx; each attempt counted,
    the last error kept. Of one webhook's deliveries for one dossier, only the oldest
    undelivered is sent (ordered per dossier); other dossiers' go on meanwhile."""

    __tablename__ = "webhook_deliveries"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id"))
    event_id: Mapped[int] = mapped_column(ForeignKey("agency_events.id"))
    dossier_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | delivered | dropped
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # A sender holds the delivery while it posts (several API processes may send).
    leased_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)  # the receiver's HTTP status
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("webhook_id", "event_id"),
        Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
        Index("ix_webhook_deliveries_order", "webhook_id", "dossier_id", "state", "event_id"),
    )
