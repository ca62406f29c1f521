"""The review queue and who has which dossier open: the queue (green lane first, then by
appointment date), opening (claiming) a dossier, "next", and giving claims up. The claim rule
itself is `intake.claims`; what a reviewer does inside a dossier is `intake.review`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, true

from intake import review_schemas, schemas
from intake.auth import Principal
from intake.claims import claim_holder, claim_public, release_claim, release_claims_of, staff_names, take_claim
from intake.context import IntakeContext
from intake.errors import ServiceError
from intake.records import dossier_scope, find_dossier, log_access, require_state
from intake.review import REVIEWABLE, UNRESOLVED
from models.errors import ErrorCode
from storage.tables import ComponentRow, DossierRow, FieldRow

NEXT_CANDIDATES = 20  # dossiers "next" passes over, in queue order, before it says the queue is empty


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """The queue's filters (None: any)."""

    service_point: str | None = None
    procedure: str | None = None
    agency: str | None = None

    def condition(self) -> ColumnElement[bool]:
        wanted = (
            (DossierRow.service_point_code, self.service_point),
            (DossierRow.procedure_code, self.procedure),
            (DossierRow.agency_code, self.agency),
        )
        return and_(true(), *(column == value for column, value in wanted if value is not None))


QUEUE_ORDER = (DossierRow.green_lane.desc(), DossierRow.due_date, DossierRow.received_at, DossierRow.id)


class ReviewQueue:
    def __init__(self, ctx: IntakeContext) -> None:
        self.ctx = ctx

    @staticmethod
    def _waiting(who: Principal, filters: QueueFilter, *columns: ColumnElement) -> Select:
        """The dossiers waiting for review that `who` may see (with `columns`), in queue order."""
        return (
            select(DossierRow, *columns)
            .where(DossierRow.state.in_([state.value for state in REVIEWABLE]), dossier_scope(who), filters.condition())
            .order_by(*QUEUE_ORDER)
        )

    def queue(
        self, who: Principal, limit: int = 50, filters: QueueFilter | None = None
    ) -> list[schemas.QueueItemPublic]:
        """Green-lane dossiers first, then by appointment date and time of receipt; each with how
        many fields need a person, days to the appointment (Vietnam date) and who has it open."""
        to_review = (
            select(func.count())
            .select_from(FieldRow)
            .join(ComponentRow)
            .where(ComponentRow.dossier_id == DossierRow.id, FieldRow.status.in_(UNRESOLVED))
            .correlate(DossierRow)
            .scalar_subquery()
        )
        today = self.ctx.clock.now().date()
        with self.ctx.db.reading() as s:
            rows = s.execute(self._waiting(who, filters or QueueFilter(), to_review).limit(limit)).all()
            holders = {r.id: claim_holder(self.ctx, r) for r, _n in rows}
            names = staff_names(s, (h for h in holders.values() if h))
            return [self._queue_item(r, n, today, holders[r.id], names) for r, n in rows]

    def _queue_item(
        self, r: DossierRow, to_review: int, today: date, holder: str | None, names: dict[str, str]
    ) -> schemas.QueueItemPublic:
        due = date.fromisoformat(r.due_date) if r.due_date else None
        procedure = self.ctx.catalogue.get(r.procedure_code)
        assert r.code is not None  # a dossier waiting for review was submitted
        return schemas.QueueItemPublic(
            code=r.code,
            procedure_code=r.procedure_code,
            procedure_name=procedure.name if procedure else None,
            service_point_code=r.service_point_code,
            agency_code=r.agency_code,
            state=r.state,
            green_lane=bool(r.green_lane),
            channel=r.channel,
            due_date=due,
            due_in_days=(due - today).days if due else None,
            received_at=r.received_at,
            fields_to_review=to_review,
            claimed_by=holder,
            claimed_by_name=names.get(holder) if holder else None,
        )

    # --- claims -----------------------------------------------------------------------------

    def claim(self, who: Principal, ref: str) -> review_schemas.ClaimPublic:
        """Open the dossier for review: claim it, or renew one's own claim; DOSSIER_CLAIMED
        while another reviewer holds it."""
        with self.ctx.db.transaction() as s:
            row = find_dossier(s, ref, who=who, lock=True)
            require_state(row, *REVIEWABLE)
            take_claim(self.ctx, row, who, s)
            s.flush()
            log_access(s, who, "claim", row.code or row.public_id)
            return claim_public(self.ctx, s, row)

    def release(self, who: Principal, ref: str) -> None:
        """Give one's own claim up (the dossier left unfinished); another reviewer's live claim
        is theirs to give up (DOSSIER_CLAIMED)."""
        with self.ctx.db.transaction() as s:
            row = find_dossier(s, ref, who=who, lock=True)
            holder = claim_holder(self.ctx, row)
            if holder is not None and holder != who.subject:
                take_claim(self.ctx, row, who, s)  # refused, with the holder's name
            release_claim(row)

    def next(self, who: Principal, filters: QueueFilter | None = None) -> review_schemas.ClaimPublic:
        """Claim the first dossier of the queue no other reviewer holds (free, lapsed, or one's
        own). Two reviewers asking at once never get the same one: on PostgreSQL the one row
        picked is locked as it is read (the others skip it and take the next), on SQLite the
        transaction holds the write lock from its start."""
        lapsed_before = self.ctx.clock.now() - timedelta(minutes=self.ctx.settings.review.claim_idle_minutes)
        free = or_(
            DossierRow.claimed_by.is_(None),
            DossierRow.claimed_at.is_(None),
            DossierRow.claimed_at <= lapsed_before,
            DossierRow.claimed_by == who.subject,
        )
        waiting = self._waiting(who, filters or QueueFilter()).where(free)
        passed: list[int] = []
        with self.ctx.db.transaction() as s:
            for _ in range(NEXT_CANDIDATES):
                # One row at a time: locking more would hold rows others could take.
                row = s.scalar(waiting.where(DossierRow.id.not_in(passed)).limit(1).with_for_update(skip_locked=True))
                if row is None:
                    break
                if claim_holder(self.ctx, row) not in (None, who.subject):
                    passed.append(row.id)  # claimed by another since it was read
                    continue
                take_claim(self.ctx, row, who, s)
                s.flush()
                log_access(s, who, "claim", row.code or row.public_id)
                return claim_public(self.ctx, s, row)
        raise ServiceError(ErrorCode.QUEUE_EMPTY)

    def release_claims(self, username: str) -> int:
        """Free every dossier `username` holds (at sign-out)."""
        with self.ctx.db.transaction() as s:
            return release_claims_of(s, username)
