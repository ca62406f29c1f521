"""Who has a dossier open for review. Opening a dossier claims it for that reviewer; every
action of theirs on it renews the claim; another reviewer is refused (409 DOSSIER_CLAIMED)
until the claim is released (approval, send-back, sign-out) or lapses after
`settings.review.claim_idle_minutes` without an action. Run inside the caller's transaction,
on the dossier row it locked, so two reviewers never both hold one."""

from __future__ import annotations

from datetime import datetime, timedelta

from intake.auth import Principal
from intake.context import IntakeContext
from intake.errors import ServiceError
from models.errors import ErrorCode
from storage.tables import DossierRow


def claim_lapses_at(ctx: IntakeContext, row: DossierRow) -> datetime | None:
    if row.claimed_by is None or row.claimed_at is None:
        return None
    return row.claimed_at + timedelta(minutes=ctx.settings.review.claim_idle_minutes)


def claim_holder(ctx: IntakeContext, row: DossierRow) -> str | None:
    """The reviewer holding the dossier now (None: free, or the claim lapsed)."""
    lapses = claim_lapses_at(ctx, row)
    return row.claimed_by if lapses is not None and ctx.clock.now() < lapses else None


def take_claim(ctx: IntakeContext, row: DossierRow, who: Principal) -> None:
    """Claim (or renew) `row` for `who`; DOSSIER_CLAIMED, with the holder's name as detail
    (`holder_name`), when another reviewer holds it. `row` must be locked by the caller."""
    holder = claim_holder(ctx, row)
    if holder is not None and holder != who.subject:
        raise ServiceError(ErrorCode.DOSSIER_CLAIMED, holder)
    row.claimed_by, row.claimed_at = who.subject, ctx.clock.now()


def release_claim(row: DossierRow) -> None:
    row.claimed_by = row.claimed_at = None
