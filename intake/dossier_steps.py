"""The steps of receiving a dossier, shared by the counter (`intake.dossiers`: one request, one
transaction, per step) and the online channel (`intake.online`: every step in one transaction,
all or nothing).

The checks of a file and the storing of its original come before any transaction; the steps
that write (`new_dossier`, `record_file`, `issue_receipt`) take the caller's open `Session`
and neither commit nor log the access: the caller does, once for its request.
"""

from __future__ import annotations

import io
import logging
import uuid
from dataclasses import dataclass
from typing import IO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.auth import Principal
from intake.codes import issue_code
from intake.components import Components, assess, existing_component, mark_duplicates
from intake.context import IntakeContext
from intake.errors import ServiceError
from intake.lookup import new_lookup_key
from intake.procedures import missing_documents
from intake.processing.jobs import JobState
from intake.processing.ray_pool import page_key
from intake.schemas import ApplicantBase
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


# --- before the transaction --------------------------------------------------------------------


def known_procedure(ctx: IntakeContext, code: str) -> Procedure:
    procedure = ctx.catalogue.get(code)
    if procedure is None:
        raise ServiceError(ErrorCode.PROCEDURE_UNKNOWN, code)
    return procedure


def competent_agency(ctx: IntakeContext, procedure: Procedure, agency_code: str | None) -> str:
    """The agency a new dossier goes to: the one named, or the procedure's own."""
    agency = agency_code or procedure.agency
    if agency not in ctx.organisation.agencies:
        raise ServiceError(ErrorCode.AGENCY_UNKNOWN, agency)
    if not procedure.is_competent(agency):
        raise ServiceError(ErrorCode.AGENCY_NOT_COMPETENT, agency)
    return agency


@dataclass(frozen=True, slots=True)
class Destination:
    """Where a new dossier is received and which agency handles it."""

    procedure: Procedure
    service_point: str
    agency: str


def _placed(place: str | None, detail: str) -> str:
    """A refusal's detail, naming the file when the call sends several."""
    if place is None:
        return detail
    return f"{place}: {detail}" if detail else place


def copy_capped(ctx: IntakeContext, stream: IO[bytes], sink: IO[bytes], place: str | None = None) -> str:
    """An upload copied to `sink`, size-capped while read (FILE_TOO_LARGE past the cap); its SHA-256."""
    max_bytes = min(ctx.settings.reading.limits.max_bytes, ctx.settings.intake.max_upload_bytes)
    try:
        sha256, _ = copy_hashed(stream, sink, max_bytes)
    except TooLarge as exc:
        raise ServiceError(ErrorCode.FILE_TOO_LARGE, _placed(place, f"tối đa {max_bytes / (1 << 20):.0f} MB")) from exc
    return sha256


def preflight_upload(ctx: IntakeContext, data: bytes, filename: str, place: str | None = None) -> FileInfo:
    """The preflight of an upload (kept with the file); a refusal is the service's error."""
    reading = ctx.settings.reading
    try:
        return preflight(data, filename, reading.limits, pdf_dpi=reading.pdf_dpi)
    except InputRefused as err:
        raise ServiceError(err.code, _placed(place, err.detail)) from err


@dataclass(frozen=True, slots=True)
class CheckedFile:
    """A file that passed the checks, its original stored: what `record_file` records."""

    filename: str  # as sent (kept as data)
    sha256: str
    object_key: str
    info: FileInfo
    quality: dict

    def source(self, named: str | None = None) -> str:
        """Where the file came from: as named, else a PDF is an upload and an image a scan."""
        return named or ("upload" if self.info.file_type is FileType.PDF else "scan")


def store_checked(ctx: IntakeContext, data: bytes, filename: str, info: FileInfo) -> CheckedFile:
    """The quality check of every page, then the original stored (StorageUnavailable: nothing
    is recorded, since nothing is recorded before the bytes it refers to are stored)."""
    quality = assess(ctx, data, info)
    stored = ctx.store.put_original(io.BytesIO(data))
    return CheckedFile(filename, stored.sha256, stored.key, info, quality)


# --- in the caller's transaction ---------------------------------------------------------------


def new_dossier(
    s: Session,
    who: Principal,
    to: Destination,
    applicant: ApplicantBase,
    national_status: NationalStatus,
    channel: str = "counter",
    external_reference: str | None = None,
) -> DossierRow:
    """A draft dossier for the applicant."""
    row = DossierRow(
        public_id=str(uuid.uuid4()),
        procedure_code=to.procedure.code,
        service_point_code=to.service_point,
        agency_code=to.agency,
        applicant_name=applicant.full_name,
        applicant_id_number=applicant.id_number,
        applicant_phone=applicant.phone,
        applicant_birth_date=applicant.date_of_birth,
        applicant_address=applicant.address,
        created_by=who.subject,
        state=ProcessingState.DRAFT.value,
        national_status=int(national_status),
        channel=channel,
        external_reference=external_reference,
    )
    s.add(row)
    s.flush()
    log.info(
        "%s dossier %s created by %s for %s",
        channel,
        row.public_id,
        who.subject,
        mask_number(applicant.id_number or ""),
    )
    return row


def record_file(
    s: Session, ctx: IntakeContext, who: Principal, row: DossierRow, checked: CheckedFile, source: str
) -> tuple[ComponentRow, bool]:
    """The file as the dossier's next component, then the dossier-wide duplicate-page check;
    the same file twice is kept once (its first component, and False: not created)."""
    existing = existing_component(s, row.id, checked.sha256)
    if existing is not None:
        return existing, False
    # Uploads to one dossier are serialised by its row lock (on SQLite, the write lock the
    # transaction took as it began), and UNIQUE(dossier_id, position) backs it up.
    position = (s.scalar(select(func.max(ComponentRow.position)).where(ComponentRow.dossier_id == row.id)) or 0) + 1
    info = checked.info
    component = ComponentRow(
        dossier_id=row.id,
        position=position,
        filename=checked.filename,
        file_sha256=checked.sha256,
        object_key=checked.object_key,
        media_type=MEDIA_TYPES[info.file_type],
        size_bytes=info.size_bytes,
        source=source,
        page_count=info.page_count,
        file_info=info.to_dict(),
        quality=checked.quality,
        uploaded_by=who.subject,
    )
    row.components.append(component)
    s.flush()
    mark_duplicates(ctx, row.components)
    s.flush()
    return component, True


def documents_missing(ctx: IntakeContext, row: DossierRow, missing_reason: str | None) -> list[str]:
    """The required documents the dossier lacks: COMPONENTS_MISSING unless there is a reason
    to receive it without them."""
    missing = missing_documents(Components(ctx).items(row))
    if missing and not missing_reason:
        raise ServiceError(ErrorCode.COMPONENTS_MISSING, "; ".join(missing))
    return missing


def issue_receipt(
    s: Session, ctx: IntakeContext, who: Principal, row: DossierRow, procedure: Procedure, missing_reason: str | None
) -> tuple[str, list[str]]:
    """Valid receipt of a draft: the code of its service point's receiving unit, the appointment
    date, the citizen's look-up key, every page queued for reading. The code, and the documents
    it was received without (for `missing_reason`)."""
    missing = documents_missing(ctx, row, missing_reason)
    row.missing_reason = missing_reason if missing else None
    row.received_by = who.subject
    local = ctx.clock.now()
    unit = ctx.organisation.service_points[row.service_point_code].receiving_unit
    row.code = code = issue_code(s, ctx.settings.intake.dossier_code_format, unit, local.date())
    row.received_at = local
    due = procedure.appointment_date(ctx.calendar, local.replace(tzinfo=None), ctx.settings.intake.green_lane_share)
    row.due_date = due.isoformat()
    row.green_lane = procedure.green_lane  # reviewed first
    row.lookup_key = row.lookup_key or new_lookup_key()  # the citizen's look-up, printed in the QR link
    row.state = ProcessingState.QUEUED.value
    queue_pages(s, row)
    return code, missing


def queue_pages(s: Session, row: DossierRow) -> None:
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
