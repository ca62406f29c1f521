"""What agencies are told about their dossiers: one event per change, written in the same
transaction as the change (the outbox), with a delivery row for each of the agency's active
webhooks. The feed (`GET /agency/events`) and the webhook senders (intake/webhooks.py) read
what is written here; nothing else writes events."""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.clock import Clock
from intake.context import IntakeContext
from storage.agency_tables import AgencyEventRow, WebhookDeliveryRow, WebhookRow
from storage.tables import DossierRow


class EventKind(StrEnum):
    READY = "dossier.ready"  # validated: its package waits for the agency
    RESENT = "dossier.resent"  # validated again after a correction: a new package revision
    ACKNOWLEDGED = "dossier.acknowledged"  # the agency confirmed receipt
    STATUS_REPORTED = "dossier.status_reported"  # the agency reported a national status


def handed_over_event(row: DossierRow) -> dict:
    """The data of a ready or re-sent event: enough to decide whether to fetch the package now."""
    return {
        "package_revision": row.package_revision,
        "procedure_code": row.procedure_code,
        "channel": row.channel,
        "national_status": row.national_status,
        "manifest": f"/api/v1/agency/dossiers/{row.code}/manifest",
    }


def record_event(s: Session, row: DossierRow, kind: EventKind, data: dict, clock: Clock) -> AgencyEventRow:
    """Add an event about `row` for its agency, and its pending deliveries, to the caller's
    transaction: both commit with the change, or neither does."""
    assert row.code is not None  # only submitted dossiers reach an agency
    event = AgencyEventRow(
        event_id=str(uuid.uuid4()),
        agency_code=row.agency_code,
        dossier_id=row.id,
        dossier_code=row.code,
        kind=kind.value,
        occurred_at=clock.now(),
        data=data,
    )
    s.add(event)
    s.flush()  # its id: the feed's order
    webhooks = s.scalars(
        select(WebhookRow.id).where(WebhookRow.agency_code == row.agency_code, WebhookRow.disabled_at.is_(None))
    ).all()
    for webhook_id in webhooks:
        s.add(
            WebhookDeliveryRow(
                webhook_id=webhook_id,
                event_id=event.id,
                dossier_id=row.id,
                state="pending",
                attempts=0,
                next_attempt_at=event.occurred_at,
            )
        )
    return event


class AgencyEvents:
    """An agency's ordered event feed (`GET /agency/events?cursor=`). Filled in by issue 18's feed work."""

    def __init__(self, ctx: IntakeContext) -> None:
        self.ctx = ctx
