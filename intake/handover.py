"""A handed-over dossier's history for its agency, its national sync export, and reopening it
for a correction (re-sent with a new package revision).

Reopening puts a validated or delivered dossier back in review: its fields can be corrected
as in any review, and approving it again builds the next package revision under its own
prefix and tells the agency (`dossier.resent`, recorded by `Review.approve`). The agency keeps
reading the revision it has until then: the dossier's package prefix only moves when the new
revision's approval commits."""

from __future__ import annotations

import json
from typing import cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from intake import handover_schemas, national_sync, schemas
from intake.auth import Principal
from intake.claims import take_claim
from intake.context import IntakeContext
from intake.errors import ServiceError
from intake.history import ACTION_LABELS, HistoryEntry, dossier_history
from intake.records import HANDED_OVER, STATE_LABELS, dossier_public, find_dossier, log_access
from models.dossier import ProcessingState
from models.errors import ErrorCode
from storage.tables import AgencyRow, DossierRow


class Handover:
    def __init__(self, ctx: IntakeContext) -> None:
        self.ctx = ctx

    def history(self, who: Principal, code: str) -> handover_schemas.HistoryPublic:
        """Who did what to the dossier, and when (Vietnam time). Another agency's dossier, or
        one not handed over, is answered like a missing one; every read is recorded."""
        with self.ctx.db.transaction() as s:
            row = find_dossier(s, code, who=who)
            entries = dossier_history(self.ctx, s, row)
            log_access(s, who, "history", code)
        return handover_schemas.HistoryPublic(dossier_code=code, items=[self._item(e) for e in entries])

    def _item(self, entry: HistoryEntry) -> handover_schemas.HistoryItemPublic:
        return handover_schemas.HistoryItemPublic(
            at=entry.at.astimezone(self.ctx.clock.zone),
            action=entry.action,
            action_label=ACTION_LABELS[entry.action],
            by=entry.by,
            by_name=entry.by_name,
            unit=entry.unit,
            detail=entry.detail,
            national_status=entry.national_status,
        )

    def sync(self, who: Principal, code: str, base_url: str = "") -> dict:
        """The dossier as one-stop software pushes it to the national portal (`intake.national_sync`):
        its package as the agency reads it, its history as progress entries. `base_url`: where
        this API is reached, for the documents' links. The read is recorded (it names the applicant)."""
        with self.ctx.db.transaction() as s:
            row = find_dossier(s, code, who=who)
            entries = dossier_history(self.ctx, s, row)
            dossier = self._dossier(s, row)
            prefix = row.package_prefix
            log_access(s, who, "sync", code)
        if prefix is None:  # handed over without a package: not a dossier an agency can have
            raise ServiceError(ErrorCode.DOSSIER_NOT_FOUND, code)
        with self.ctx.store.open(prefix + "manifest.json") as stream:
            manifest = json.loads(stream.read())
        procedure = self.ctx.catalogue.get(row.procedure_code)
        context = national_sync.sync_context(dossier, manifest, entries, procedure, base_url.rstrip("/"))
        return national_sync.export(context)

    def _dossier(self, s: Session, row: DossierRow) -> dict:
        """The dossier's own values the export draws on, in our names."""
        procedure = self.ctx.catalogue.get(row.procedure_code)
        agency = s.get(AgencyRow, row.agency_code)
        return {
            "code": row.code,
            "procedure_code": row.procedure_code,
            "procedure_name": procedure.name if procedure else None,
            "channel": row.channel,
            "national_status": row.national_status,
            "received_at": row.received_at,
            "due_date": row.due_date,
            "applicant": {
                "full_name": row.applicant_name,
                "id_number": row.applicant_id_number,
                "phone": row.applicant_phone,
            },
            "agency": {"code": row.agency_code, "name": agency.name if agency else row.agency_code},
            "package_revision": row.package_revision,
            "resent": (row.package_revision or 0) > 1,
        }

    def reopen(self, who: Principal, ref: str, body: handover_schemas.Reopen) -> schemas.DossierPublic:
        """A validated or delivered dossier back in review for a correction, claimed by `who`;
        the reason is recorded. Any other state: DOSSIER_NOT_REOPENABLE."""
        reason = body.reason.strip()
        with self.ctx.db.transaction() as s:
            row = find_dossier(s, ref, who=who, lock=True)
            current = row.state
            if current not in HANDED_OVER:
                raise ServiceError(ErrorCode.DOSSIER_NOT_REOPENABLE, STATE_LABELS[ProcessingState(current)].lower())
            # Conditional on the state just read: of two reopenings (or a reopening and the
            # agency's acknowledgement) at once, the database lets one change it.
            moved = s.execute(
                update(DossierRow)
                .where(DossierRow.id == row.id, DossierRow.state == current)
                .values(state=ProcessingState.NEEDS_REVIEW.value)
            )
            if cast(CursorResult, moved).rowcount != 1:
                raise ServiceError(ErrorCode.DOSSIER_NOT_REOPENABLE, "trạng thái vừa thay đổi")
            s.refresh(row)
            take_claim(self.ctx, row, who, s)
            assert row.code is not None  # handed over: it has its code
            log_access(s, who, "reopen", row.code, reason)
            s.flush()
            return dossier_public(s, row, self.ctx.catalogue)
