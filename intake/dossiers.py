"""The counter's work: create a dossier, attach the citizen's files, submit it (valid receipt:
code, appointment date, page jobs), follow its progress.

Nothing is recorded before the bytes it refers to are safely stored.
"""

from __future__ import annotations

import logging
import tempfile
from typing import BinaryIO

from sqlalchemy import update
from sqlalchemy.orm import Session

from intake import schemas
from intake.applicant import applicant_from_image
from intake.auth import Principal, Role
from intake.components import Components
from intake.context import IntakeContext
from intake.dossier_steps import (
    Destination,
    competent_agency,
    copy_capped,
    documents_missing,
    issue_receipt,
    known_procedure,
    new_dossier,
    preflight_upload,
    queue_pages,
    record_file,
    store_checked,
)
from intake.errors import ServiceError
from intake.filenames import original_filename
from intake.idempotency import IdempotentRequest, run_once
from intake.procedures import missing_documents
from intake.processing.jobs import JobState
from intake.records import (
    COUNTER_EDITABLE,
    component_public,
    dossier_public,
    find_dossier,
    first_numbers,
    log_access,
    require_state,
)
from intake.supplements import resolve_open_requests, resubmission_due_date
from models.catalogue import Procedure
from models.dossier import NationalStatus, ProcessingState
from models.errors import ErrorCode
from pipeline.pages.preflight import FileInfo
from storage.tables import DossierRow, JobRow

log = logging.getLogger(__name__)


class Dossiers:
    def __init__(self, ctx: IntakeContext) -> None:
        self.ctx = ctx

    def create(
        self, who: Principal, body: schemas.DossierCreate, idempotency_key: str | None = None
    ) -> schemas.DossierPublic:
        procedure = known_procedure(self.ctx, body.procedure_code)
        if body.service_point_code not in self.ctx.organisation.service_points:
            raise ServiceError(ErrorCode.SERVICE_POINT_UNKNOWN, body.service_point_code)
        if who.role == Role.COUNTER and body.service_point_code != who.service_point:
            raise ServiceError(ErrorCode.FORBIDDEN, f"điểm tiếp nhận {body.service_point_code}")
        to = Destination(procedure, body.service_point_code, competent_agency(self.ctx, procedure, body.agency_code))

        def work(s: Session) -> schemas.DossierPublic:
            row = new_dossier(s, who, to, body.applicant, NationalStatus.DUOC_TIEP_NHAN)
            log_access(s, who, "create", row.public_id)
            return dossier_public(s, row, self.ctx.catalogue)

        request = IdempotentRequest.of(idempotency_key, "POST /dossiers", body.model_dump_json())
        return run_once(self.ctx.db, who, request, schemas.DossierPublic, work)

    def update_applicant(self, who: Principal, ref: str, body: schemas.ApplicantUpdate) -> schemas.DossierPublic:
        """The applicant of a draft, as the clerk corrected it (or confirmed it from the card's QR)."""
        with self.ctx.db.transaction() as s:
            row = find_dossier(s, ref, who=who, lock=True)
            require_state(row, ProcessingState.DRAFT)
            applicant = body.applicant
            row.applicant_name = applicant.full_name
            row.applicant_id_number = applicant.id_number
            row.applicant_phone = applicant.phone
            row.applicant_birth_date = applicant.date_of_birth
            row.applicant_address = applicant.address
            log_access(s, who, "update_applicant", row.public_id)
            return dossier_public(s, row, self.ctx.catalogue)

    def applicant_from_image(self, who: Principal, filename: str, stream: BinaryIO) -> schemas.ApplicantFromQr:
        """The card data of the QR code on a card photo, for the clerk to confirm; nothing stored."""
        data, info = self._receive(stream, original_filename(filename))
        log.info("card QR read from an image by %s", who.subject)
        return applicant_from_image(data, info, self.ctx.settings.reading)

    def _receive(self, stream: BinaryIO, filename: str) -> tuple[bytes, FileInfo]:
        """The upload's bytes, size-capped while read, and the preflight result (kept with the file)."""
        with tempfile.SpooledTemporaryFile(max_size=8 << 20) as spool:
            copy_capped(self.ctx, stream, spool)
            spool.seek(0)
            data = spool.read()
        return data, preflight_upload(self.ctx, data, filename)

    def add_file(
        self,
        who: Principal,
        ref: str,
        filename: str,
        stream: BinaryIO,
        source: str | None = None,
        idempotency_key: str | None = None,
        operation: str | None = None,
    ) -> schemas.ComponentPublic:
        """Store an uploaded file and attach it to a draft dossier (or one sent back for the
        citizen to supplement); the same file twice is kept once. `operation` names the request
        for its Idempotency-Key (default: this dossier's upload)."""
        filename = original_filename(filename)  # kept as data; shown and exported via display_filename
        with self.ctx.db.reading() as s:  # a quick refusal before the bytes are read; checked again below
            require_state(find_dossier(s, ref, who=who), *COUNTER_EDITABLE)
        data, info = self._receive(stream, filename)
        checked = store_checked(self.ctx, data, filename, info)  # before any lock: the clerk sees the quality
        kind_of_source = checked.source(source)

        def work(s: Session) -> schemas.ComponentPublic:
            row = find_dossier(s, ref, who=who, lock=True)
            require_state(row, *COUNTER_EDITABLE)
            component, created = record_file(s, self.ctx, who, row, checked, kind_of_source)
            return component_public(
                component, created=created, first_number=first_numbers(row.components)[component.id]
            )

        request = upload_request(
            idempotency_key, operation or f"POST /dossiers/{ref}/files", checked.sha256, filename, kind_of_source
        )
        return run_once(self.ctx.db, who, request, schemas.ComponentPublic, work)

    def submit(self, who: Principal, ref: str, body: schemas.SubmitRequest | None = None) -> schemas.DossierPublic:
        """Valid receipt: issue the code and appointment date, queue every page for OCR.
        Idempotent and atomic: submits of one dossier at once are serialised by the database
        (the dossier's row lock; on SQLite the write lock each transaction takes as it begins),
        so the first issues the code and queues the pages, the others answer that same code.
        A dossier sent back for the citizen to supplement is submitted again the same way
        (`_resubmit`)."""
        return self._submit_once(who, ref, (body.missing_reason if body else None) or None)

    def _submit_once(self, who: Principal, ref: str, missing_reason: str | None) -> schemas.DossierPublic:
        with self.ctx.db.transaction() as s:
            row = find_dossier(s, ref, who=who, lock=True)
            if row.code is not None and row.state not in {state.value for state in COUNTER_EDITABLE}:
                return dossier_public(s, row, self.ctx.catalogue)  # submitting twice is harmless
            require_state(row, *COUNTER_EDITABLE)
            procedure = self._check_complete(row, missing_reason)
            if row.state == ProcessingState.SENT_BACK.value:
                self._resubmit(s, who, row, procedure, missing_reason)
                return dossier_public(s, row, self.ctx.catalogue)
            code, missing = issue_receipt(s, self.ctx, who, row, procedure, missing_reason)
            log.info("dossier %s submitted by %s, due %s", code, who.subject, row.due_date)
            if missing:
                log_access(s, who, "receive_incomplete", code, "; ".join(missing))
            return dossier_public(s, row, self.ctx.catalogue)

    def _check_complete(self, row: DossierRow, missing_reason: str | None) -> Procedure:
        """The procedure of a dossier that may be submitted: files, the applicant, and every
        required document (or the clerk's reason to receive it without)."""
        if not row.components:
            raise ServiceError(ErrorCode.DOSSIER_EMPTY)
        if not row.applicant_name.strip():
            raise ServiceError(ErrorCode.APPLICANT_MISSING)
        documents_missing(self.ctx, row, missing_reason)
        return known_procedure(self.ctx, row.procedure_code)  # the catalogue may have changed since

    def _resubmit(
        self, s: Session, who: Principal, row: DossierRow, procedure: Procedure, missing_reason: str | None
    ) -> None:
        """The citizen brought what was asked: the dossier is read again (new pages queued; the
        pages read before finish from the cache), national status 2, the request resolved, a
        new appointment date counted from now (`resubmission_due_date`). The code stays."""
        assert row.code is not None
        now = self.ctx.clock.now()
        missing = missing_documents(Components(self.ctx).items(row))
        row.missing_reason = (missing_reason or row.missing_reason) if missing else None
        row.due_date = resubmission_due_date(self.ctx, procedure, now).isoformat()
        row.national_status = int(NationalStatus.DUOC_TIEP_NHAN)
        row.state, row.attention_reason = ProcessingState.QUEUED.value, None
        resolve_open_requests(s, row, now)
        s.execute(
            update(JobRow)
            .where(JobRow.dossier_id == row.id)
            .values(state=JobState.QUEUED.value, attempts=0, last_error=None, lease_owner=None, lease_until=None)
        )
        queue_pages(s, row)
        log.info("dossier %s resubmitted by %s, due %s", row.code, who.subject, row.due_date)
        log_access(s, who, "resubmit", row.code)

    def status(self, who: Principal, ref: str) -> schemas.DossierPublic:
        """For counter staff (their own service point's dossiers) and reviewers (submitted ones);
        agencies have their own, filtered endpoints. Every read is logged."""
        with self.ctx.db.transaction() as s:
            row = find_dossier(s, ref, who=who)
            log_access(s, who, "view_status", row.code or row.public_id)
            return dossier_public(s, row, self.ctx.catalogue)


def upload_request(
    key: str | None, operation: str, sha256: str, filename: str, source: str
) -> IdempotentRequest | None:
    """An upload's identity for its Idempotency-Key: the bytes, the name, the source."""
    return IdempotentRequest.of(key, operation, f"{sha256}\n{filename}\n{source}")
