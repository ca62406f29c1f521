"""Sending a dossier back to its counter for the citizen to supplement (issue 16).

Instead of approving, a reviewer records what is missing or wrong: the dossier leaves the
queue (state `sent_back`, national status 5 "Yêu cầu bổ sung giấy tờ", which pauses the clock),
the reviewer's claim ends, and the counter that received it lists it and prints form 02
(*Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ*) for the citizen. When the citizen comes back, the
counter adds (or removes) files and submits again (`Dossiers.submit`): the dossier is queued
for reading again, national status 2, the request resolved, and a new appointment date
counted from the resubmission (`resubmission_due_date`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from intake import review_schemas, schemas
from intake.auth import Principal
from intake.claims import release_claim, staff_names
from intake.context import IntakeContext
from intake.errors import ServiceError
from intake.receipts import form_heading
from intake.records import STATE_LABELS, dossier_public, dossier_scope, find_dossier, log_access
from intake.review import Review
from models.catalogue import Procedure
from models.dossier import NationalStatus, ProcessingState
from models.errors import ErrorCode
from pipeline.output.forms import PAPERS
from pipeline.output.supplement import SupplementData, render_supplement_request
from pipeline.text import nfc
from storage.tables import DossierRow, SupplementRequestRow

MAX_ITEM = 500  # characters of one line of the request
MAX_LISTED = 200  # sent-back dossiers one counter's list shows


def resubmission_due_date(ctx: IntakeContext, procedure: Procedure, resubmitted: datetime) -> date:
    """The appointment date of a dossier received back complete: the procedure's whole
    processing time, counted from the resubmission as from a valid receipt. While the citizen
    supplements, the clock is stopped (national status 5, `models.dossier.CLOCK_PAUSED`).
    UNCONFIRMED: the rule follows the secondary reading of Decree 61/2018 art. 19 (as amended by
    Decree 107/2021; now Decree 118/2025) that a supplemented dossier is received anew; the
    texts were not read. One function, so that a deployment changes it in one place."""
    local = resubmitted.astimezone(ctx.clock.zone).replace(tzinfo=None)
    return procedure.appointment_date(ctx.calendar, local, ctx.settings.intake.green_lane_share)


def resolve_open_requests(s: Session, row: DossierRow, at: datetime) -> None:
    """The counter resubmitted the dossier: its open requests are resolved."""
    s.execute(
        update(SupplementRequestRow)
        .where(SupplementRequestRow.dossier_id == row.id, SupplementRequestRow.resolved_at.is_(None))
        .values(resolved_at=at)
    )


def clean_items(items: list[str]) -> list[str]:
    """The request's lines as stored: NFC, trimmed, none empty, none too long, no control or
    direction character (the body's model checks only its plain text fields)."""
    cleaned = [" ".join(nfc(item).split()) for item in items]
    cleaned = [item for item in cleaned if item]
    if not cleaned:
        raise ServiceError(ErrorCode.INVALID_REQUEST, "items: ghi ít nhất một nội dung cần bổ sung")
    for item in cleaned:
        if len(item) > MAX_ITEM or schemas.unsafe_character(item) is not None:
            raise ServiceError(
                ErrorCode.INVALID_REQUEST, f"items: mỗi dòng tối đa {MAX_ITEM} ký tự, không ký tự điều khiển"
            )
    return cleaned


class Supplements:
    def __init__(self, ctx: IntakeContext, review: Review, staff_name: Callable[[str], str | None]) -> None:
        self.ctx = ctx
        self.review = review
        self.staff_name = staff_name  # a staff account's full name, when there is one

    def send_back(self, who: Principal, ref: str, body: review_schemas.SendBack) -> schemas.DossierPublic:
        """The reviewer's request to supplement: recorded, the dossier handed back to its
        counter, the claim released. Refused while another reviewer holds the dossier."""
        items = clean_items(body.items)
        note = nfc(body.note).strip() if body.note else None
        with self.ctx.db.transaction() as s:
            row = self.review.locked_reviewable(s, who, ref)
            now = self.ctx.clock.now()
            s.add(
                SupplementRequestRow(
                    dossier_id=row.id, items=items, note=note or None, requested_by=who.subject, requested_at=now
                )
            )
            row.state = ProcessingState.SENT_BACK.value
            row.national_status = int(NationalStatus.YEU_CAU_BO_SUNG)
            release_claim(row)
            log_access(s, who, "send_back", row.code or row.public_id, f"{len(items)} nội dung")
            s.flush()
            return dossier_public(s, row, self.ctx.catalogue)

    def sent_back(self, who: Principal) -> list[review_schemas.SentBackPublic]:
        """The dossiers sent back to the caller's service point, latest request first, each
        with its open request."""
        query = (
            select(DossierRow, SupplementRequestRow)
            .join(SupplementRequestRow, SupplementRequestRow.dossier_id == DossierRow.id)
            .where(
                DossierRow.state == ProcessingState.SENT_BACK.value,
                dossier_scope(who),
                SupplementRequestRow.resolved_at.is_(None),
            )
            .order_by(SupplementRequestRow.requested_at.desc(), SupplementRequestRow.id.desc())
        )
        with self.ctx.db.transaction() as s:
            latest: dict[int, tuple[DossierRow, SupplementRequestRow]] = {}
            for row, request in s.execute(query).tuples():
                latest.setdefault(row.id, (row, request))
            chosen = list(latest.values())[:MAX_LISTED]
            names = staff_names(s, (request.requested_by for _row, request in chosen))
            listed = []
            for row, request in chosen:
                log_access(s, who, "view_status", row.code or row.public_id)
                listed.append(
                    review_schemas.SentBackPublic(
                        dossier=dossier_public(s, row, self.ctx.catalogue), request=self._public(request, names)
                    )
                )
            return listed

    def _public(self, request: SupplementRequestRow, names: dict[str, str]) -> review_schemas.SupplementRequestPublic:
        return review_schemas.SupplementRequestPublic(
            items=list(request.items),
            note=request.note,
            requested_by=request.requested_by,
            requested_by_name=names.get(request.requested_by),
            requested_at=request.requested_at.astimezone(self.ctx.clock.zone),
        )

    def pdf(self, who: Principal, ref: str, paper: str = "A4") -> bytes:
        """Form 02 of the dossier's latest request (its open one), as the counter prints it for
        the citizen; the one who prints it signs as the person giving guidance. Recorded."""
        if paper not in PAPERS:
            raise ServiceError(ErrorCode.INVALID_REQUEST, f"paper: {paper}")
        with self.ctx.db.transaction() as s:
            row = find_dossier(s, ref, who=who)
            request = s.scalar(
                select(SupplementRequestRow)
                .where(SupplementRequestRow.dossier_id == row.id)
                .order_by(SupplementRequestRow.resolved_at.is_not(None), SupplementRequestRow.id.desc())
                .limit(1)
            )
            if request is None or row.code is None or row.received_at is None:
                raise ServiceError(ErrorCode.DOSSIER_NOT_EDITABLE, STATE_LABELS[ProcessingState(row.state)].lower())
            data = self._data(row, request, who)
            log_access(s, who, "print_supplement_request", row.code)
        return render_supplement_request(data, paper=paper)

    def _data(self, row: DossierRow, request: SupplementRequestRow, who: Principal) -> SupplementData:
        return SupplementData(
            **form_heading(self.ctx, row),
            items=tuple(request.items),
            reason=request.note,
            requested_at=request.requested_at.astimezone(self.ctx.clock.zone),
            guide_name=self.staff_name(who.subject) or who.subject,
            place=self.ctx.catalogue.locality or None,
        )
