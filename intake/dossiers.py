"""The counter's work: create a dossier, attach the citizen's files, submit it (valid receipt:
code, appointment date, page jobs), follow its progress.

Nothing is recorded before the bytes it refers to are safely stored.
"""

from __future__ import annotations

import io
import logging
import tempfile
import uuid
from typing import BinaryIO

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from intake import schemas
from intake.applicant import applicant_from_image
from intake.auth import Principal, Role
from intake.codes import issue_code
from intake.components import Components, assess, existing_component, mark_duplicates
from intake.context import IntakeContext
from intake.errors import ServiceError
from intake.filenames import original_filename
from intake.idempotency import IdempotentRequest, run_once
from intake.lookup import new_lookup_key
from intake.procedures import missing_documents
from intake.processing.jobs import JobState
from intake.processing.ray_pool import page_key
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
from pipeline.errors import InputRefused
from pipeline.masking import mask_number
from pipeline.pages.preflight import FileInfo, FileType, preflight
from storage.objects import TooLarge, copy_hashed
from storage.tables import ComponentRow, DossierRow, JobRow, PageRow

log = logging.getLogger(__name__)

MEDIA_TYPES = {
    FileType.PDF: "application/pdf",
    FileType.JPEG: "image/jpeg",
    FileType.PNG: "image/png",
    FileType.TIFF: "image/tiff",
    FileType.HEIC: "image/heic",  # phone photos (the online channel's normal case)
    FileType.WEBP: "image/webp",
}


class Dossiers:
    def __init__(self, ctx: IntakeContext) -> None:
        self.ctx = ctx

    def create(
        self, who: Principal, body: schemas.DossierCreate, idempotency_key: str | None = None
    ) -> schemas.DossierPublic:
        procedure = self.ctx.catalogue.get(body.procedure_code)
        if procedure is None:
            raise ServiceError(ErrorCode.PROCEDURE_UNKNOWN, body.procedure_code)
        if body.service_point_code not in self.ctx.organisation.service_points:
            raise ServiceError(ErrorCode.SERVICE_POINT_UNKNOWN, body.service_point_code)
        if who.role == Role.COUNTER and body.service_point_code != who.service_point:
            raise ServiceError(ErrorCode.FORBIDDEN, f"điểm tiếp nhận {body.service_point_code}")
        agency = body.agency_code or procedure.agency
        if agency not in self.ctx.organisation.agencies:
            raise ServiceError(ErrorCode.AGENCY_UNKNOWN, agency)
        if not procedure.is_competent(agency):
            raise ServiceError(ErrorCode.AGENCY_NOT_COMPETENT, agency)

        def work(s: Session) -> schemas.DossierPublic:
            row = DossierRow(
                public_id=str(uuid.uuid4()),
                procedure_code=procedure.code,
                service_point_code=body.service_point_code,
                agency_code=agency,
                applicant_name=body.applicant.full_name,
                applicant_id_number=body.applicant.id_number,
                applicant_phone=body.applicant.phone,
                applicant_birth_date=body.applicant.date_of_birth,
                applicant_address=body.applicant.address,
                created_by=who.subject,
                state=ProcessingState.DRAFT.value,
                national_status=int(NationalStatus.DUOC_TIEP_NHAN),
            )
            s.add(row)
            s.flush()
            log_access(s, who, "create", row.public_id)
            log.info(
                "dossier %s created by %s for %s",
                row.public_id,
                who.subject,
                mask_number(body.applicant.id_number or ""),
            )
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
        limits = self.ctx.settings.reading.limits
        max_bytes = min(limits.max_bytes, self.ctx.settings.intake.max_upload_bytes)
        with tempfile.SpooledTemporaryFile(max_size=8 << 20) as spool:
            try:
                copy_hashed(stream, spool, max_bytes)
            except TooLarge as exc:
                raise ServiceError(ErrorCode.FILE_TOO_LARGE, f"tối đa {max_bytes / (1 << 20):.0f} MB") from exc
            spool.seek(0)
            data = spool.read()
        try:
            return data, preflight(data, filename, limits, pdf_dpi=self.ctx.settings.reading.pdf_dpi)
        except InputRefused as err:
            raise ServiceError(err.code, err.detail) from err

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
        quality = assess(self.ctx, data, info)  # before any lock: the clerk sees it with the answer
        stored = self.ctx.store.put_original(io.BytesIO(data))  # StorageUnavailable: nothing recorded
        kind_of_source = source or ("upload" if info.file_type is FileType.PDF else "scan")

        def work(s: Session) -> schemas.ComponentPublic:
            row = find_dossier(s, ref, who=who, lock=True)
            require_state(row, *COUNTER_EDITABLE)
            existing = existing_component(s, row.id, stored.sha256)
            if existing is not None:
                return component_public(
                    existing, created=False, first_number=first_numbers(row.components)[existing.id]
                )
            # Uploads to one dossier are serialised by its row lock (on SQLite, the write lock the
            # transaction took as it began), and UNIQUE(dossier_id, position) backs it up.
            position = (
                s.scalar(select(func.max(ComponentRow.position)).where(ComponentRow.dossier_id == row.id)) or 0
            ) + 1
            component = ComponentRow(
                dossier_id=row.id,
                position=position,
                filename=filename,
                file_sha256=stored.sha256,
                object_key=stored.key,
                media_type=MEDIA_TYPES[info.file_type],
                size_bytes=info.size_bytes,
                source=kind_of_source,
                page_count=info.page_count,
                file_info=info.to_dict(),
                quality=quality,
                uploaded_by=who.subject,
            )
            row.components.append(component)
            s.flush()
            mark_duplicates(self.ctx, row.components)
            s.flush()
            return component_public(component, first_number=first_numbers(row.components)[component.id])

        request = upload_request(
            idempotency_key, operation or f"POST /dossiers/{ref}/files", stored.sha256, filename, kind_of_source
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
            missing = missing_documents(Components(self.ctx).items(row))
            row.missing_reason = missing_reason if missing else None
            row.received_by = who.subject
            local = self.ctx.clock.now()
            unit = self.ctx.organisation.service_points[row.service_point_code].receiving_unit
            row.code = issue_code(s, self.ctx.settings.intake.dossier_code_format, unit, local.date())
            row.received_at = local
            due = procedure.appointment_date(
                self.ctx.calendar, local.replace(tzinfo=None), self.ctx.settings.intake.green_lane_share
            )
            row.due_date = due.isoformat()
            row.green_lane = procedure.green_lane  # reviewed first
            row.lookup_key = row.lookup_key or new_lookup_key()  # the citizen's look-up, printed in the QR link
            row.state = ProcessingState.QUEUED.value
            self._queue_pages(s, row)
            log.info("dossier %s submitted by %s, due %s", row.code, who.subject, row.due_date)
            if missing:
                log_access(s, who, "receive_incomplete", row.code, "; ".join(missing))
            return dossier_public(s, row, self.ctx.catalogue)

    def _check_complete(self, row: DossierRow, missing_reason: str | None) -> Procedure:
        """The procedure of a dossier that may be submitted: files, the applicant, and every
        required document (or the clerk's reason to receive it without)."""
        if not row.components:
            raise ServiceError(ErrorCode.DOSSIER_EMPTY)
        if not row.applicant_name.strip():
            raise ServiceError(ErrorCode.APPLICANT_MISSING)
        missing = missing_documents(Components(self.ctx).items(row))
        if missing and not missing_reason:
            raise ServiceError(ErrorCode.COMPONENTS_MISSING, "; ".join(missing))
        procedure = self.ctx.catalogue.get(row.procedure_code)
        if procedure is None:  # the catalogue changed since the dossier was created
            raise ServiceError(ErrorCode.PROCEDURE_UNKNOWN, row.procedure_code)
        return procedure

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
        self._queue_pages(s, row)
        log.info("dossier %s resubmitted by %s, due %s", row.code, who.subject, row.due_date)
        log_access(s, who, "resubmit", row.code)

    @staticmethod
    def _queue_pages(s: Session, row: DossierRow) -> None:
        """A page and its job for every page of the dossier that has none yet."""
        for component in row.components:
            have = {page.index for page in component.pages}
            for index in range(component.page_count):
                if index in have:
                    continue
                page = PageRow(component_id=component.id, index=index, page_key=page_key(component.file_sha256, index))
                s.add(page)
                s.flush()
                s.add(JobRow(dossier_id=row.id, page_id=page.id, state=JobState.QUEUED.value))
        s.flush()

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
