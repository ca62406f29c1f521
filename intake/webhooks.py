"""Agencies' webhooks: registration (a URL, a secret shown once), listing, disabling, and each
webhook's delivery log. The senders that post the deliveries are in intake/webhooks_sender.py.

A webhook receives the events recorded after its registration; what happened before is in the
feed (`GET /agency/events`). Disabling one drops its pending deliveries."""

from __future__ import annotations

import logging
import secrets
import uuid
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from intake.auth import Principal, Role
from intake.context import IntakeContext
from intake.errors import ServiceError
from intake.event_schemas import (
    DeliveryLogPublic,
    DeliveryPublic,
    WebhookCreate,
    WebhookCreatedPublic,
    WebhookListPublic,
    WebhookPublic,
)
from intake.idempotency import IdempotentRequest, run_once
from intake.webhook_urls import url_problem
from intake.webhooks_sender import Stoppable, start_webhook_sender
from models.errors import ErrorCode
from storage.agency_tables import AgencyEventRow, WebhookDeliveryRow, WebhookRow

__all__ = ["Stoppable", "Webhooks", "start_webhook_sender", "url_problem"]

log = logging.getLogger(__name__)

SECRET_BYTES = 32


def _public(row: WebhookRow, zone: ZoneInfo) -> WebhookPublic:
    return WebhookPublic(
        id=row.public_id,
        url=row.url,
        created_by=row.created_by,
        created_at=row.created_at.astimezone(zone),
        disabled_at=row.disabled_at.astimezone(zone) if row.disabled_at else None,
        active=row.disabled_at is None,
    )


class Webhooks:
    def __init__(self, ctx: IntakeContext) -> None:
        self.ctx = ctx

    def register(self, who: Principal, body: WebhookCreate, idempotency_key: str | None = None) -> WebhookCreatedPublic:
        """A new webhook of the caller's agency, receiving the events recorded from now on. Its
        secret is in this answer only (and in a replay of the same Idempotency-Key)."""
        if who.role != Role.AGENCY:  # an admin passes the route's role check but is no agency
            raise ServiceError(ErrorCode.FORBIDDEN, "chỉ cơ quan có thẩm quyền đăng ký địa chỉ nhận sự kiện")
        settings = self.ctx.settings.webhooks
        problem = url_problem(body.url, settings.allow_http, settings.allowed_hosts)
        if problem is not None:
            raise ServiceError(ErrorCode.WEBHOOK_URL_INVALID, problem)

        def work(s: Session) -> WebhookCreatedPublic:
            row = WebhookRow(
                public_id=str(uuid.uuid4()),
                agency_code=who.subject,
                url=body.url,
                secret=secrets.token_hex(SECRET_BYTES),
                created_by=who.identity,
                created_at=self.ctx.clock.now(),
            )
            s.add(row)
            s.flush()
            log.info("webhook %s registered by %s for agency %s", row.public_id, who.identity, who.subject)
            return WebhookCreatedPublic(**_public(row, self.ctx.clock.zone).model_dump(), secret=row.secret)

        request = IdempotentRequest.of(idempotency_key, "POST /agency/webhooks", body.model_dump_json())
        return run_once(self.ctx.db, who, request, WebhookCreatedPublic, work)

    def list(self, who: Principal) -> WebhookListPublic:
        """The agency's webhooks, active and disabled, oldest first; never their secrets."""
        with self.ctx.db.reading() as s:
            rows = s.scalars(select(WebhookRow).where(WebhookRow.agency_code == who.subject).order_by(WebhookRow.id))
            return WebhookListPublic(items=[_public(r, self.ctx.clock.zone) for r in rows])

    @staticmethod
    def _webhook(s: Session, who: Principal, public_id: str) -> WebhookRow:
        """The caller's webhook; another agency's is answered exactly like a missing one."""
        row = s.scalar(select(WebhookRow).where(WebhookRow.public_id == public_id))
        if row is None or row.agency_code != who.subject:
            raise ServiceError(ErrorCode.WEBHOOK_NOT_FOUND, public_id)
        return row

    def disable(self, who: Principal, public_id: str) -> WebhookPublic:
        """Stop sending to the webhook: its pending deliveries are dropped (the feed still has
        every event). Disabling a disabled webhook changes nothing."""
        with self.ctx.db.transaction() as s:
            row = self._webhook(s, who, public_id)
            if row.disabled_at is None:
                row.disabled_at = self.ctx.clock.now()
                s.execute(
                    update(WebhookDeliveryRow)
                    .where(WebhookDeliveryRow.webhook_id == row.id, WebhookDeliveryRow.state == "pending")
                    .values(state="dropped", leased_until=None)
                )
                log.info("webhook %s disabled by %s for agency %s", row.public_id, who.identity, who.subject)
            return _public(row, self.ctx.clock.zone)

    def deliveries(
        self,
        who: Principal,
        public_id: str,
        cursor: str | None,
        limit: int,
        state: Literal["pending", "delivered", "dropped"] | None = None,
    ) -> DeliveryLogPublic:
        """The webhook's delivery log, oldest first (keyset cursor), optionally of one state."""
        from intake.agency import decode_cursor, encode_cursor  # here: intake.agency records events

        after = decode_cursor(cursor) if cursor else 0
        zone = self.ctx.clock.zone
        with self.ctx.db.reading() as s:
            webhook = self._webhook(s, who, public_id)
            query = (
                select(WebhookDeliveryRow, AgencyEventRow)
                .join(AgencyEventRow, AgencyEventRow.id == WebhookDeliveryRow.event_id)
                .where(WebhookDeliveryRow.webhook_id == webhook.id, WebhookDeliveryRow.id > after)
                .order_by(WebhookDeliveryRow.id)
                .limit(limit)
            )
            if state is not None:
                query = query.where(WebhookDeliveryRow.state == state)
            rows = s.execute(query).tuples().all()
        items = [
            DeliveryPublic(
                event_id=event.event_id,
                sequence=event.id,
                type=event.kind,
                dossier_code=event.dossier_code,
                state=delivery.state,
                attempts=delivery.attempts,
                last_status=delivery.last_status,
                last_error=delivery.last_error,
                last_attempt_at=delivery.last_attempt_at.astimezone(zone) if delivery.last_attempt_at else None,
                next_attempt_at=delivery.next_attempt_at.astimezone(zone) if delivery.state == "pending" else None,
                delivered_at=delivery.delivered_at.astimezone(zone) if delivery.delivered_at else None,
            )
            for delivery, event in rows
        ]
        return DeliveryLogPublic(items=items, next_cursor=encode_cursor(rows[-1][0].id if rows else after))
