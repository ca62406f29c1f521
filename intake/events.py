"""What agencies are told about their dossiers: one event per change, written in the same
transaction as the change (the outbox), with a delivery row for each of the agency's active
webhooks. The feed (`GET /agency/events`) and the webhook senders (intake/webhooks.py) read
what is written here; nothing else writes events."""

from __future__ import annotations

import uuid
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.auth import Principal
from intake.clock import Clock
from intake.context import IntakeContext
from intake.event_schemas import EventFeedPublic, EventPublic
from storage.agency_tables import AgencyEventRow, WebhookDeliveryRow, WebhookRow
from storage.tables import AgencyRow, DossierRow


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
    _one_writer_per_agency(s, row.agency_code)
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


def _one_writer_per_agency(s: Session, agency_code: str) -> None:
    """Hold the agency's row until the caller commits, before the event takes its id. Ids are
    handed out when inserted but seen when committed: without this, two transactions could
    commit an agency's events out of id order on PostgreSQL, and a feed reader resuming after
    the later id would never see the earlier one (nor would a sender keep a dossier's order).
    FOR NO KEY UPDATE: dossiers may still be inserted for the agency meanwhile. SQLite has
    one writer at a time anyway and ignores the clause."""
    s.execute(select(AgencyRow.code).where(AgencyRow.code == agency_code).with_for_update(key_share=True))


def envelope(row: AgencyEventRow, zone: ZoneInfo) -> EventPublic:
    """The event as the feed lists it and as a webhook receives it."""
    return EventPublic(
        id=row.event_id,
        sequence=row.id,
        type=row.kind,
        occurred_at=row.occurred_at.astimezone(zone),
        agency_code=row.agency_code,
        dossier_code=row.dossier_code,
        data=row.data,
    )


def envelope_body(row: AgencyEventRow, zone: ZoneInfo) -> bytes:
    """The exact bytes a webhook POST carries and its signature covers."""
    return envelope(row, zone).model_dump_json().encode()


class AgencyEvents:
    """An agency's ordered event feed (`GET /agency/events?cursor=`): the fallback of its
    webhooks, and the way to catch up on what happened before one was registered."""

    def __init__(self, ctx: IntakeContext) -> None:
        self.ctx = ctx

    def feed(self, who: Principal, cursor: str | None, limit: int) -> EventFeedPublic:
        """The agency's events after `cursor`, oldest first. `next_cursor` is always given: after
        the last item, or the cursor sent when nothing is new, so a poller just sends it back."""
        from intake.agency import decode_cursor, encode_cursor  # here: intake.agency records events

        after = decode_cursor(cursor) if cursor else 0
        with self.ctx.db.reading() as s:
            rows = s.scalars(
                select(AgencyEventRow)
                .where(AgencyEventRow.agency_code == who.subject, AgencyEventRow.id > after)
                .order_by(AgencyEventRow.id)
                .limit(limit)
            ).all()
            items = [envelope(r, self.ctx.clock.zone) for r in rows]
        return EventFeedPublic(items=items, next_cursor=encode_cursor(items[-1].sequence if items else after))
