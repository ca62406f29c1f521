"""Who has a dossier open for review. Opening a dossier claims it for that reviewer; every
action of theirs on it renews the claim; another reviewer is refused (409 DOSSIER_CLAIMED)
until the claim is released (approval, send-back, sign-out) or lapses after
`settings.review.claim_idle_minutes` without an action. Run inside the caller's transaction,
on the dossier row it locked, so two reviewers never both hold one."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from intake import review_schemas
from intake.auth import Principal
from intake.context import IntakeContext
from intake.errors import ServiceError
from models.errors import ErrorCode
from storage.staff_tables import StaffUserRow
from storage.tables import DossierRow


def claim_lapses_at(ctx: IntakeContext, row: DossierRow) -> datetime | None:
    if row.claimed_by is None or row.claimed_at is None:
        return None
    return row.claimed_at + timedelta(minutes=ctx.settings.review.claim_idle_minutes)


def claim_holder(ctx: IntakeContext, row: DossierRow) -> str | None:
    """The reviewer holding the dossier now (None: free, or the claim lapsed)."""
    lapses = claim_lapses_at(ctx, row)
    return row.claimed_by if lapses is not None and ctx.clock.now() < lapses else None


def take_claim(ctx: IntakeContext, row: DossierRow, who: Principal, s: Session | None = None) -> None:
    """Claim (or renew) `row` for `who`; DOSSIER_CLAIMED, with the holder's name as detail
    (their full name when `s` is given and they have a staff account), when another reviewer
    holds it. `row` must be locked by the caller."""
    holder = claim_holder(ctx, row)
    if holder is not None and holder != who.subject:
        name = staff_names(s, [holder]).get(holder) if s is not None else None
        raise ServiceError(ErrorCode.DOSSIER_CLAIMED, f"{name} ({holder})" if name else holder)
    row.claimed_by, row.claimed_at = who.subject, ctx.clock.now()


def release_claim(row: DossierRow) -> None:
    row.claimed_by = row.claimed_at = None


def release_claims_of(s: Session, username: str) -> int:
    """Free every dossier `username` holds (signed out, or the account disabled); how many."""
    released = s.execute(
        update(DossierRow).where(DossierRow.claimed_by == username).values(claimed_by=None, claimed_at=None)
    )
    return cast(CursorResult, released).rowcount


def staff_names(s: Session, usernames: Iterable[str]) -> dict[str, str]:
    """The full names of the staff accounts among `usernames` (a key holder has none)."""
    wanted = {u for u in usernames if u}
    if not wanted:
        return {}
    rows = s.execute(select(StaffUserRow.username, StaffUserRow.full_name).where(StaffUserRow.username.in_(wanted)))
    return {username: full_name for username, full_name in rows if full_name}


def claim_public(ctx: IntakeContext, s: Session, row: DossierRow) -> review_schemas.ClaimPublic:
    """The claim `row` is under now (taken or renewed in this transaction)."""
    lapses = claim_lapses_at(ctx, row)
    assert row.code is not None and row.claimed_by is not None and row.claimed_at is not None and lapses is not None
    return review_schemas.ClaimPublic(
        code=row.code,
        claimed_by=row.claimed_by,
        claimed_by_name=staff_names(s, [row.claimed_by]).get(row.claimed_by),
        claimed_at=row.claimed_at.astimezone(ctx.clock.zone),
        expires_at=lapses.astimezone(ctx.clock.zone),
    )
