"""Agencies' webhooks: registration, and the senders that post each pending delivery, signed."""

from __future__ import annotations

from typing import Protocol

from intake.context import IntakeContext


class Stoppable(Protocol):
    def stop(self) -> None: ...


class Webhooks:
    def __init__(self, ctx: IntakeContext) -> None:
        self.ctx = ctx


def start_webhook_sender(ctx: IntakeContext) -> Stoppable | None:
    """The background sender of this process (None while none is built)."""
    return None
