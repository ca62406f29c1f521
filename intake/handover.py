"""A handed-over dossier's history for its agency, its national sync export, and reopening it
for a correction (re-sent with a new package revision)."""

from __future__ import annotations

from intake.context import IntakeContext


class Handover:
    def __init__(self, ctx: IntakeContext) -> None:
        self.ctx = ctx
