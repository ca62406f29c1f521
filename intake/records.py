"""Reading dossiers from the database and showing them: the lookups and public views that
the counter, review and agency parts of the service share."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true
from sqlalchemy.orm import Session, selectinload

from intake import schemas
from intake.applicant import applicant_from_qr
from intake.auth import Principal, Role
from intake.candidates import DocumentValues, field_candidates, other_documents
from intake.errors import ServiceError
from intake.filenames import display_filename
from intake.processing.jobs import JobState
from models.catalogue import ProcedureCatalogue
from models.document import PageText
from models.dossier import NationalStatus, ProcessingState
from models.errors import ErrorCode
from models.fields import REVIEW_REASONS_VI, field_spec
from models.quality import QualityCode, kind_label, quality_message
from pipeline.fields.verify.common import base_name
from storage.db import Database
from storage.tables import AccessLogRow, ComponentRow, DossierRow, FieldRow, JobRow, PageResultRow

STATE_LABELS = {
    ProcessingState.DRAFT: "Đang tiếp nhận",
    ProcessingState.QUEUED: "Chờ số hóa",
    ProcessingState.PROCESSING: "Đang số hóa",
    ProcessingState.NEEDS_REVIEW: "Chờ kiểm tra",
    ProcessingState.NEEDS_ATTENTION: "Cần xử lý thủ công",
    ProcessingState.SENT_BACK: "Trả về quầy, chờ bổ sung",
    ProcessingState.APPROVING: "Đang duyệt, lập gói bàn giao",
    ProcessingState.VALIDATED: "Đã kiểm tra, chờ cơ quan nhận",
    ProcessingState.DELIVERED: "Cơ quan đã nhận",
}


# A dossier is in its agency's hands once approved: only then does the agency see it.
HANDED_OVER = (ProcessingState.VALIDATED.value, ProcessingState.DELIVERED.value)
# The states in which the counter may add or remove files and submit: a draft, and a dossier a
# reviewer sent back for the citizen to supplement.
COUNTER_EDITABLE = (ProcessingState.DRAFT, ProcessingState.SENT_BACK)


def dossier_scope(who: Principal) -> ColumnElement[bool]:
    """The dossiers `who` may see, as a query condition; any other is answered like a missing one:
    a counter sees those received at its own service point, a reviewer the submitted ones (a
    draft is still the counter's, with the applicant's ID number), an agency its own once handed
    over (and still while reopened for a correction), an online key (the portal, an online
    agent) the online dossiers it sent, an admin all."""
    if who.role == Role.ADMIN:
        return true()
    if who.role == Role.COUNTER and who.service_point:
        return DossierRow.service_point_code == who.service_point
    if who.role in (Role.REVIEWER, Role.SUPERVISOR):
        return DossierRow.state != ProcessingState.DRAFT.value
    if who.role == Role.AGENCY:
        # Once handed over, always its: reopened for a correction, it still reads the last revision sent.
        handed_over = or_(DossierRow.state.in_(HANDED_OVER), DossierRow.package_revision >= 1)
        return and_(DossierRow.agency_code == who.subject, handed_over)
    if who.role == Role.ONLINE:
        return and_(DossierRow.channel == "online", DossierRow.created_by == who.subject)
    return false()


MAX_REF = 100  # a dossier code (80) or public id (36), with room


def _by_ref(ref: str) -> ColumnElement[bool]:
    # A text no dossier can carry (control characters, PostgreSQL refuses a NUL outright, or
    # too long) is refused before it reaches the database.
    if len(ref) > MAX_REF or not ref.isprintable():
        raise ServiceError(ErrorCode.INVALID_REQUEST, "ref")
    return or_(DossierRow.code == ref, DossierRow.public_id == ref)


def ensure_visible(db: Database, who: Principal, ref: str) -> None:
    """Refuse (404, as if missing) a dossier `who` may not see: the gate in front of every
    route that names a dossier."""
    condition = _by_ref(ref)
    with db.transaction() as s:
        if s.scalar(select(DossierRow.id).where(condition, dossier_scope(who))) is None:
            raise ServiceError(ErrorCode.DOSSIER_NOT_FOUND, ref)


def find_dossier(
    s: Session, ref: str, *, who: Principal | None = None, lock: bool = False, whole: bool = False
) -> DossierRow:
    """A dossier by code or public id, among those `who` may see (`dossier_scope`); `who` is
    None only for the service's own work (packaging, processing), never for a caller's request.
    `whole` loads its components, pages, fields and edits."""
    query = select(DossierRow).where(_by_ref(ref))
    if who is not None:
        query = query.where(dossier_scope(who))
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


def page_checks(c: ComponentRow, first_number: int) -> list[dict]:
    """The quality check's stored result per page, numbered in the dossier: index, number,
    likely kind and warning codes (DUPLICATE_PAGE as last recomputed for the whole dossier)."""
    stored = {p["index"]: p for p in (c.quality or {}).get("pages", [])}
    checks = []
    for index in range(c.page_count):
        page = stored.get(index, {})
        codes = list(page.get("codes", []))
        if page.get("duplicate"):
            codes.append(QualityCode.DUPLICATE_PAGE.value)
        checks.append({"index": index, "number": first_number + index, "kind": page.get("likely_kind"), "codes": codes})
    return checks


def component_public(c: ComponentRow, created: bool = True, first_number: int = 1) -> schemas.ComponentPublic:
    checks = page_checks(c, first_number)
    qr_text = (c.quality or {}).get("qr_text")
    return schemas.ComponentPublic(
        id=c.id,
        position=c.position,
        filename=display_filename(c.filename),  # shown; the name as sent stays data
        original_filename=c.filename,
        sha256=c.file_sha256,
        media_type=c.media_type,
        size_bytes=c.size_bytes,
        source=c.source,
        page_count=c.page_count,
        kind=c.kind,
        parts=c.parts or [],
        rotation=c.rotation or 0,
        declared_kind=c.declared_kind,
        declared_document=c.declared_document,
        quality=[
            schemas.QualityIssuePublic(
                page=check["number"],
                code=code,
                message=quality_message(QualityCode(code), check["number"], "vi"),
                message_en=quality_message(QualityCode(code), check["number"], "en"),
            )
            for check in checks
            for code in check["codes"]
        ],
        page_checks=[
            schemas.PageCheckPublic(
                index=check["index"],
                number=check["number"],
                likely_kind=check["kind"] or "other",
                likely_kind_label=kind_label(check["kind"] or "other"),
                codes=check["codes"],
            )
            for check in checks
        ],
        qr_applicant=applicant_from_qr(qr_text) if qr_text else None,
        created=created,
    )


def first_numbers(components: list[ComponentRow]) -> dict[int, int]:
    """Each component's first page number in the dossier, in the dossier's order."""
    numbers, next_number = {}, 1
    for c in sorted(components, key=lambda c: c.position):
        numbers[c.id] = next_number
        next_number += c.page_count
    return numbers


def applicant_public(row: DossierRow) -> schemas.ApplicantBase | None:
    if not row.applicant_name:
        return None
    return schemas.ApplicantBase(
        full_name=row.applicant_name,
        id_number=row.applicant_id_number,
        phone=row.applicant_phone,
        date_of_birth=row.applicant_birth_date,
        address=row.applicant_address,
    )


def dossier_public(s: Session, row: DossierRow, catalogue: ProcedureCatalogue) -> schemas.DossierPublic:
    counts = dict(
        s.execute(select(JobRow.state, func.count()).where(JobRow.dossier_id == row.id).group_by(JobRow.state)).all()
    )
    procedure = catalogue.get(row.procedure_code)
    state = ProcessingState(row.state)
    numbers = first_numbers(row.components)
    return schemas.DossierPublic(
        id=row.public_id,
        code=row.code,
        procedure_code=row.procedure_code,
        procedure_name=procedure.name if procedure else None,
        service_point_code=row.service_point_code,
        agency_code=row.agency_code,
        channel=row.channel,
        external_reference=row.external_reference,
        state=state.value,
        state_label=STATE_LABELS[state],
        national_status=row.national_status,
        national_status_label=NationalStatus(row.national_status).label_vi,
        received_at=row.received_at,
        due_date=date.fromisoformat(row.due_date) if row.due_date else None,
        attention_reason=row.attention_reason,
        applicant=applicant_public(row),
        received_by=row.received_by,
        missing_reason=row.missing_reason,
        components=[component_public(c, first_number=numbers[c.id]) for c in row.components],
        progress=schemas.ProgressPublic(
            pages_total=sum(counts.values()),
            pages_done=counts.get(JobState.DONE, 0),
            pages_failed=counts.get(JobState.FAILED, 0),
        ),
    )


# Fields found by layout, not by a printed caption: their names on the reviewer's screen.
_LAYOUT_LABELS = {
    "co_quan_ban_hanh": "Cơ quan ban hành",
    "so_ky_hieu": "Số, ký hiệu",
    "ngay_ban_hanh": "Ngày ban hành",
    "trich_yeu": "Trích yếu",
    "nguoi_ky": "Người ký",
    "chuc_vu_nguoi_ky": "Chức vụ người ký",
}


def field_label(name: str) -> str | None:
    """A field's Vietnamese caption (the field spec's first label); None for a form line's own slug."""
    spec = field_spec(name) or field_spec(base_name(name))
    if spec is None:
        return None
    return spec.labels[0] if spec.labels else _LAYOUT_LABELS.get(spec.name)


def field_public(f: FieldRow, others: Sequence[tuple[str, str]] = ()) -> schemas.FieldPublic:
    """A field as the reviewer sees it; `others`: (label, value) of the same field on the
    dossier's other documents of the same person (`intake.candidates.other_documents`)."""
    return schemas.FieldPublic(
        part=f.part or 0,
        name=f.name,
        label=field_label(f.name),
        value=f.value,
        confidence=f.confidence,
        page=f.page,
        box=list(f.box),
        status=f.status,
        sources=f.sources or [],
        reason=f.reason,
        reason_vi=REVIEW_REASONS_VI.get(f.reason) if f.reason else None,
        detail=f.detail,
        version=f.version or 1,
        candidates=field_candidates(f.name, f.value, f.sources or [], f.detail, others),
        edits=[
            schemas.ReviewEditPublic(
                action=e.action, reviewer=e.reviewer, at=e.at, old_value=e.old_value, new_value=e.new_value
            )
            for e in f.edits
        ],
    )


def document_values(components: Sequence[ComponentRow]) -> list[DocumentValues]:
    """Each document of the dossier (a part of a file) with its fields' values, labelled by its
    kind and its file's number in the dossier: "Tờ khai (tệp 2)"."""
    documents = []
    for number, c in enumerate(sorted(components, key=lambda c: c.position), 1):
        parts: dict[int, dict[str, str]] = {}
        for f in c.fields:
            parts.setdefault(f.part or 0, {})[f.name] = f.value
        for part, values in sorted(parts.items()):
            found = c.parts or []
            kind = found[part].get("kind") if part < len(found) else c.kind
            label = f"{kind_label(kind or 'other')} (tệp {number})"
            documents.append(DocumentValues((c.id, part), label, values))
    return documents


def fields_public(components: Sequence[ComponentRow]) -> dict[int, list[schemas.FieldPublic]]:
    """Every field of the dossier, by component id, each with its candidates from the others."""
    documents = document_values(components)
    by_key = {d.key: d for d in documents}
    public: dict[int, list[schemas.FieldPublic]] = {}
    for c in components:
        public[c.id] = [
            field_public(f, other_documents(f.name, by_key[(c.id, f.part or 0)], documents)) for f in c.fields
        ]
    return public


def field_public_in(components: Sequence[ComponentRow], field: FieldRow) -> schemas.FieldPublic:
    """One field of the dossier, with its candidates from the dossier's other documents."""
    documents = document_values(components)
    mine = next((d for d in documents if d.key == (field.component_id, field.part or 0)), None)
    return field_public(field, other_documents(field.name, mine, documents) if mine else ())


def field_key(f: FieldRow) -> str:
    """A field's key in a package: its name, qualified by document for the 2nd+ document of a file."""
    return f.name if not f.part else f"{f.part}.{f.name}"
