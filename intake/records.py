"""Reading dossiers from the database and showing them: the lookups and public views that
the counter, review and agency parts of the service share."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from intake import schemas
from intake.auth import Principal
from intake.errors import ServiceError
from intake.processing.jobs import JobState
from models.catalogue import ProcedureCatalogue
from models.document import PageText
from models.dossier import NationalStatus, ProcessingState
from models.errors import ErrorCode
from models.fields import REVIEW_REASONS_VI
from storage.tables import AccessLogRow, ComponentRow, DossierRow, FieldRow, JobRow, PageResultRow

STATE_LABELS = {
    ProcessingState.DRAFT: "Đang tiếp nhận",
    ProcessingState.QUEUED: "Chờ số hóa",
    ProcessingState.PROCESSING: "Đang số hóa",
    ProcessingState.NEEDS_REVIEW: "Chờ kiểm tra",
    ProcessingState.NEEDS_ATTENTION: "Cần xử lý thủ công",
    ProcessingState.VALIDATED: "Đã kiểm tra, chờ cơ quan nhận",
    ProcessingState.DELIVERED: "Cơ quan đã nhận",
}


def find_dossier(s: Session, ref: str, *, lock: bool = False, whole: bool = False) -> DossierRow:
    """A dossier by code or public id; `whole` loads its components, pages, fields and edits."""
    query = select(DossierRow).where((DossierRow.code == ref) | (DossierRow.public_id == ref))
    if lock:
        query = query.with_for_update()
    if whole:
        components = selectinload(DossierRow.components)
        query = query.options(
            components.selectinload(ComponentRow.fields).selectinload(FieldRow.edits),
            components.selectinload(ComponentRow.pages),
        )
    row = s.scalar(query)
    if row is None:
        raise ServiceError(ErrorCode.DOSSIER_NOT_FOUND, ref)
    return row


def find_component(s: Session, dossier: DossierRow, component_id: int, missing: ErrorCode, detail: str) -> ComponentRow:
    component = s.get(ComponentRow, component_id)
    if component is None or component.dossier_id != dossier.id:
        raise ServiceError(missing, detail)
    return component


def require_state(row: DossierRow, *states: ProcessingState) -> None:
    if row.state not in {s.value for s in states}:
        raise ServiceError(ErrorCode.DOSSIER_NOT_EDITABLE, STATE_LABELS[ProcessingState(row.state)].lower())


def log_access(s: Session, who: Principal, action: str, code: str, detail: str | None = None) -> None:
    """Personal-data law: every view, correction and export of a dossier is recorded."""
    s.add(AccessLogRow(principal=who.subject, role=who.role.value, action=action, dossier_code=code, detail=detail))


def page_texts(s: Session, row: DossierRow, version: str) -> dict[str, PageText]:
    """The dossier's page readings by page key, in one query."""
    keys = [p.page_key for c in row.components for p in c.pages]
    results = s.scalars(
        select(PageResultRow).where(PageResultRow.page_key.in_(keys), PageResultRow.pipeline_version == version)
    )
    return {r.page_key: PageText.from_dict(r.result) for r in results}


def component_public(c: ComponentRow, created: bool = True) -> schemas.ComponentPublic:
    return schemas.ComponentPublic(
        id=c.id,
        position=c.position,
        filename=c.filename,
        sha256=c.file_sha256,
        media_type=c.media_type,
        size_bytes=c.size_bytes,
        source=c.source,
        page_count=c.page_count,
        kind=c.kind,
        parts=c.parts or [],
        created=created,
    )


def dossier_public(s: Session, row: DossierRow, catalogue: ProcedureCatalogue) -> schemas.DossierPublic:
    counts = dict(
        s.execute(select(JobRow.state, func.count()).where(JobRow.dossier_id == row.id).group_by(JobRow.state)).all()
    )
    procedure = catalogue.get(row.procedure_code)
    state = ProcessingState(row.state)
    return schemas.DossierPublic(
        id=row.public_id,
        code=row.code,
        procedure_code=row.procedure_code,
        procedure_name=procedure.name if procedure else None,
        service_point_code=row.service_point_code,
        agency_code=row.agency_code,
        state=state.value,
        state_label=STATE_LABELS[state],
        national_status=row.national_status,
        national_status_label=NationalStatus(row.national_status).label_vi,
        received_at=row.received_at,
        due_date=date.fromisoformat(row.due_date) if row.due_date else None,
        attention_reason=row.attention_reason,
        components=[component_public(c) for c in row.components],
        progress=schemas.ProgressPublic(
            pages_total=sum(counts.values()),
            pages_done=counts.get(JobState.DONE, 0),
            pages_failed=counts.get(JobState.FAILED, 0),
        ),
    )


def field_public(f: FieldRow) -> schemas.FieldPublic:
    return schemas.FieldPublic(
        part=f.part or 0,
        name=f.name,
        value=f.value,
        confidence=f.confidence,
        page=f.page,
        box=list(f.box),
        status=f.status,
        sources=f.sources or [],
        reason=f.reason,
        reason_vi=REVIEW_REASONS_VI.get(f.reason) if f.reason else None,
        detail=f.detail,
        edits=[
            schemas.ReviewEditPublic(
                action=e.action, reviewer=e.reviewer, at=e.at, old_value=e.old_value, new_value=e.new_value
            )
            for e in f.edits
        ],
    )


def field_key(f: FieldRow) -> str:
    """A field's key in a package: its name, qualified by document for the 2nd+ document of a file."""
    return f.name if not f.part else f"{f.part}.{f.name}"
