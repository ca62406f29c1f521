"""The agencies' event feed and webhooks (docs/WEBHOOKS.md): role agency, tag "agency"."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi import Path as PathParam

from api.deps import AgencyUser, IdempotencyKey, Service
from intake import schemas
from intake.event_schemas import (
    DeliveryLogPublic,
    EventFeedPublic,
    WebhookCreate,
    WebhookCreatedPublic,
    WebhookListPublic,
    WebhookPublic,
)

WebhookId = Annotated[str, PathParam(max_length=64, pattern=schemas.NO_CONTROLS, description="The webhook's id.")]
Cursor = Annotated[str | None, Query(max_length=200, description="next_cursor of the previous page.")]
Limit = Annotated[int, Query(ge=1, le=500)]


def agency_event_routes(router: APIRouter) -> None:
    """Adds this module's routes to the /api/v1 router."""

    @router.get("/agency/events", tags=["agency"], response_model=EventFeedPublic)
    def events(service: Service, who: AgencyUser, cursor: Cursor = None, limit: Limit = 100) -> EventFeedPublic:
        """The agency's events in order (dossier ready, re-sent, acknowledged, status reported):
        send `next_cursor` back to get what came after. The same items webhooks receive."""
        return service.events.feed(who, cursor, limit)

    @router.post("/agency/webhooks", tags=["agency"], status_code=201, response_model=WebhookCreatedPublic)
    def register_webhook(
        body: WebhookCreate, service: Service, who: AgencyUser, idempotency_key: IdempotencyKey = None
    ) -> WebhookCreatedPublic:
        """Receive the events recorded from now on as signed POSTs to `url` (https). The
        `secret` of the signatures is in this answer only: keep it."""
        return service.webhooks.register(who, body, idempotency_key)

    @router.get("/agency/webhooks", tags=["agency"], response_model=WebhookListPublic)
    def list_webhooks(service: Service, who: AgencyUser) -> WebhookListPublic:
        return service.webhooks.list(who)

    @router.delete("/agency/webhooks/{webhook_id}", tags=["agency"], response_model=WebhookPublic)
    def disable_webhook(webhook_id: WebhookId, service: Service, who: AgencyUser) -> WebhookPublic:
        """Stop sending to this webhook; its undelivered events are dropped (the feed keeps them)."""
        return service.webhooks.disable(who, webhook_id)

    @router.get("/agency/webhooks/{webhook_id}/deliveries", tags=["agency"], response_model=DeliveryLogPublic)
    def deliveries(
        webhook_id: WebhookId,
        service: Service,
        who: AgencyUser,
        cursor: Cursor = None,
        limit: Limit = 100,
        state: Literal["pending", "delivered", "dropped"] | None = None,
    ) -> DeliveryLogPublic:
        """The webhook's delivery log: per event, its state, attempts, last status and error."""
        return service.webhooks.deliveries(who, webhook_id, cursor, limit, state)
