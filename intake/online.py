"""Online intake: the public-service portal and accredited online agents submit a dossier with
its files in one idempotent call (/api/v1/online/)."""

from __future__ import annotations

from intake.context import IntakeContext
from intake.dossiers import Dossiers


class OnlineIntake:
    def __init__(self, ctx: IntakeContext, dossiers: Dossiers) -> None:
        self.ctx = ctx
        self.dossiers = dossiers
