"""Bodies of the agencies' event feed and webhooks (Base / Create / Public naming, as
intake/schemas.py). The feed's items and a webhook POST's body are the same envelope."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from intake.schemas import NfcModel

MAX_URL = 2000  # characters: the webhooks.url column
DeliveryState = Literal["pending", "delivered", "dropped"]


class EventPublic(BaseModel):
    """One event, as the feed lists it and as a webhook receives it (its exact JSON)."""

    id: str = Field(description="The event's UUID: the receiver's de-duplication key.")
    sequence: int = Field(description="The feed's order (ascending; gaps are other agencies' events).")
    type: str = Field(examples=["dossier.ready"])
    occurred_at: datetime = Field(description="Vietnam time, with its offset.")
    agency_code: str
    dossier_code: str
    data: dict


class EventFeedPublic(BaseModel):
    items: list[EventPublic]
    next_cursor: str = Field(description="Always given: send it back to resume after the last item.")


class WebhookCreate(NfcModel):
    url: str = Field(min_length=1, max_length=MAX_URL, examples=["https://motcua.example.gov.vn/sohoa/events"])


class WebhookPublic(BaseModel):
    id: str
    url: str
    created_by: str
    created_at: datetime
    disabled_at: datetime | None
    active: bool


class WebhookCreatedPublic(WebhookPublic):
    secret: str = Field(description="HMAC-SHA256 key of the signatures; shown this once only.")


class WebhookListPublic(BaseModel):
    items: list[WebhookPublic]


class DeliveryPublic(BaseModel):
    """One event to one webhook: the delivery log's line."""

    event_id: str
    sequence: int
    type: str
    dossier_code: str
    state: DeliveryState
    attempts: int
    last_status: int | None = Field(description="The receiver's HTTP status at the last attempt.")
    last_error: str | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None = Field(description="When a pending delivery is tried next.")
    delivered_at: datetime | None


class DeliveryLogPublic(BaseModel):
    items: list[DeliveryPublic]
    next_cursor: str
