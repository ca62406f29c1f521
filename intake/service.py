"""The intake service: what counter staff, reviewers and agencies can do, as plain methods.

HTTP routes (`api/app.py`) and the demo call these; each method is one or a few short
transactions, and nothing is recorded before the bytes it refers to are safely stored.
Errors are `ApiError`s with stable codes (models/errors.py) and HTTP statuses.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import secrets
import tempfile
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import BinaryIO
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from intake import schemas
from intake.settings import Settings
from models.calendar import WorkCalendar, vietnam_calendar
from models.catalogue import Organisation, ProcedureCatalogue, format_dossier_code
from models.document import FieldStatus, PageText, Source
from models.dossier import NationalStatus, ProcessingState
from models.errors import ErrorCode, error_message
from models.fields import FIELD_SPECS, REVIEW_REASONS_VI
from pipeline.errors import InputRefused
from pipeline.fields.extract import check_value
from pipeline.masking import mask_number
from pipeline.output.package import PackageFile, build_manifest, page_jpeg, searchable_pdf
from pipeline.pages.preflight import FileType, preflight
from intake.processing.ray_pool import page_key, pipeline_version
from pipeline.text import nfc
from storage.db import Database
from storage.objects import ObjectStore, TooLarge, copy_hashed
from storage.tables import (
    AccessLogRow,
    AgencyRow,
    ApiKeyRow,
    CodeCounterRow,
    ComponentRow,
    DossierRow,
    FieldRow,
    JobRow,
    PageResultRow,
    PageRow,
    ReviewEditRow,
    ServicePointRow,
    StatusReportRow,
    utcnow,
)

log = logging.getLogger(__name__)

MEDIA_TYPES = {FileType.PDF: "application/pdf", FileType.JPEG: "image/jpeg", FileType.PNG: "image/png",
               FileType.TIFF: "image/tiff"}

STATE_LABELS = {
    ProcessingState.DRAFT: "Đang tiếp nhận",
    ProcessingState.QUEUED: "Chờ số hóa",
    ProcessingState.PROCESSING: "Đang số hóa",
    ProcessingState.NEEDS_REVIEW: "Chờ kiểm tra",
    ProcessingState.NEEDS_ATTENTION: "Cần xử lý thủ công",
    ProcessingState.VALIDATED: "Đã kiểm tra, chờ cơ quan nhận",
    ProcessingState.DELIVERED: "Cơ quan đã nhận",
}

# Statuses a competent agency may report once it holds the dossier.
AGENCY_STATUSES = frozenset(NationalStatus) - {NationalStatus.MOI_DANG_KY, NationalStatus.DUOC_TIEP_NHAN}


class Role(StrEnum):
    COUNTER = "counter"
    REVIEWER = "reviewer"
    AGENCY = "agency"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    role: Role
    subject: str  # staff user name, or the agency's code


class ApiError(Exception):
    def __init__(self, status: int, code: ErrorCode, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}")
        self.status, self.code, self.detail = status, code, detail

    def body(self) -> dict:
        return {"code": str(self.code), "message": error_message(self.code, self.detail),
                "message_en": error_message(self.code, self.detail, lang="en")}


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": last_id}).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded))["after"]
        if not isinstance(value, int):
            raise ValueError
        return value
    except (ValueError, KeyError, TypeError) as exc:
        raise ApiError(400, ErrorCode.INVALID_CURSOR) from exc


class IntakeService:
    def __init__(self, settings: Settings, db: Database, store: ObjectStore, catalogue: ProcedureCatalogue,
                 organisation: Organisation, calendar: WorkCalendar | None = None) -> None:
        self.settings = settings
        self.db = db
        self.store = store
        self.catalogue = catalogue
        self.organisation = organisation
        self.zone = ZoneInfo(settings.intake.timezone)
        now = datetime.now(self.zone)
        self.calendar = calendar or vietnam_calendar(range(now.year - 1, now.year + 3))
        self.version = pipeline_version(settings.reading)

    # --- set-up ------------------------------------------------------------------------

    def seed_organisation(self) -> None:
        """Upsert agencies and service points from the organisation data file."""
        with self.db.transaction() as s:
            for agency in self.organisation.agencies.values():
                s.merge(AgencyRow(code=agency.code, name=agency.name))
            for entry in self.organisation.service_points.values():
                s.merge(ServicePointRow(code=entry.point.code, name=entry.point.name,
                                        receiving_unit=entry.receiving_unit, ward_code=entry.point.ward_code))

    def create_api_key(self, role: Role, subject: str) -> str:
        """A new key, shown once; only its hash is kept."""
        if role == Role.AGENCY and subject not in self.organisation.agencies:
            raise ApiError(404, ErrorCode.AGENCY_UNKNOWN, subject)
        key = f"sohoa_{role.value}_{secrets.token_urlsafe(32)}"
        with self.db.transaction() as s:
            s.add(ApiKeyRow(key_hash=hash_key(key), role=role.value, subject=subject))
        return key

    def list_api_keys(self) -> list[ApiKeyRow]:
        with self.db.transaction() as s:
            return list(s.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id)))

    def revoke_api_key(self, key_id: int) -> bool:
        """Revoked keys stay listed (who had access, until when) but no longer authenticate."""
        with self.db.transaction() as s:
            row = s.get(ApiKeyRow, key_id)
            if row is None:
                return False
            row.revoked_at = row.revoked_at or utcnow()
            return True

    def authenticate(self, key: str | None) -> Principal:
        if not key:
            raise ApiError(401, ErrorCode.AUTH_REQUIRED)
        with self.db.transaction() as s:
            row = s.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == hash_key(key)))
            if row is None or row.revoked_at is not None:
                raise ApiError(401, ErrorCode.AUTH_INVALID)
            return Principal(Role(row.role), row.subject)

    # --- helpers -----------------------------------------------------------------------

    @staticmethod
    def _find(s: Session, ref: str, *, lock: bool = False, whole: bool = False) -> DossierRow:
        """A dossier by code or public id; `whole` loads its components, pages, fields and edits."""
        query = select(DossierRow).where((DossierRow.code == ref) | (DossierRow.public_id == ref))
        if lock:
            query = query.with_for_update()
        if whole:
            components = selectinload(DossierRow.components)
            query = query.options(components.selectinload(ComponentRow.fields).selectinload(FieldRow.edits),
                                  components.selectinload(ComponentRow.pages))
        row = s.scalar(query)
        if row is None:
            raise ApiError(404, ErrorCode.DOSSIER_NOT_FOUND, ref)
        return row

    def _log_access(self, s: Session, who: Principal, action: str, code: str, detail: str | None = None) -> None:
        s.add(AccessLogRow(principal=who.subject, role=who.role.value, action=action, dossier_code=code,
                           detail=detail))

    @staticmethod
    def _require_state(row: DossierRow, *states: ProcessingState) -> None:
        if row.state not in {s.value for s in states}:
            raise ApiError(409, ErrorCode.DOSSIER_NOT_EDITABLE, STATE_LABELS[ProcessingState(row.state)].lower())

    def _component_public(self, c: ComponentRow, created: bool = True) -> schemas.ComponentPublic:
        return schemas.ComponentPublic(id=c.id, position=c.position, filename=c.filename, sha256=c.file_sha256,
                                       media_type=c.media_type, size_bytes=c.size_bytes, source=c.source,
                                       page_count=c.page_count, kind=c.kind, parts=c.parts or [],
                                       created=created)

    def _dossier_public(self, s: Session, row: DossierRow) -> schemas.DossierPublic:
        counts = dict(s.execute(select(JobRow.state, func.count()).where(JobRow.dossier_id == row.id)
                                .group_by(JobRow.state)).all())
        procedure = self.catalogue.get(row.procedure_code)
        state = ProcessingState(row.state)
        return schemas.DossierPublic(
            id=row.public_id, code=row.code, procedure_code=row.procedure_code,
            procedure_name=procedure.name if procedure else None, service_point_code=row.service_point_code,
            agency_code=row.agency_code, state=state.value, state_label=STATE_LABELS[state],
            national_status=row.national_status, national_status_label=NationalStatus(row.national_status).label_vi,
            received_at=row.received_at, due_date=date.fromisoformat(row.due_date) if row.due_date else None,
            attention_reason=row.attention_reason,
            components=[self._component_public(c) for c in row.components],
            progress=schemas.ProgressPublic(pages_total=sum(counts.values()), pages_done=counts.get("done", 0),
                                            pages_failed=counts.get("failed", 0)))

    # --- counter -----------------------------------------------------------------------

    def create_dossier(self, who: Principal, body: schemas.DossierCreate) -> schemas.DossierPublic:
        procedure = self.catalogue.get(body.procedure_code)
        if procedure is None:
            raise ApiError(422, ErrorCode.PROCEDURE_UNKNOWN, body.procedure_code)
        if body.service_point_code not in self.organisation.service_points:
            raise ApiError(422, ErrorCode.SERVICE_POINT_UNKNOWN, body.service_point_code)
        agency = body.agency_code or procedure.agency
        if agency not in self.organisation.agencies:
            raise ApiError(422, ErrorCode.AGENCY_UNKNOWN, agency)
        with self.db.transaction() as s:
            row = DossierRow(public_id=str(uuid.uuid4()), procedure_code=procedure.code,
                             service_point_code=body.service_point_code, agency_code=agency,
                             applicant_name=body.applicant.full_name, applicant_id_number=body.applicant.id_number,
                             applicant_phone=body.applicant.phone, created_by=who.subject,
                             state=ProcessingState.DRAFT.value, national_status=int(NationalStatus.DUOC_TIEP_NHAN))
            s.add(row)
            s.flush()
            log.info("dossier %s created by %s for %s", row.public_id, who.subject,
                     mask_number(body.applicant.id_number or ""))
            return self._dossier_public(s, row)

    def add_file(self, who: Principal, ref: str, filename: str, stream: BinaryIO,
                 source: str | None = None) -> schemas.ComponentPublic:
        """Store an uploaded file and attach it to a draft dossier; the same file twice is kept once."""
        filename = nfc(filename or "tep-khong-ten")[:255]
        with self.db.transaction() as s:
            self._require_state(self._find(s, ref), ProcessingState.DRAFT)
        limits = self.settings.reading.limits
        max_bytes = min(limits.max_bytes, self.settings.intake.max_upload_bytes)
        with tempfile.SpooledTemporaryFile(max_size=8 << 20) as spool:
            try:
                _sha, size = copy_hashed(stream, spool, max_bytes)
            except TooLarge as exc:
                raise ApiError(413, ErrorCode.FILE_TOO_LARGE, f"tối đa {max_bytes / (1 << 20):.0f} MB") from exc
            spool.seek(0)
            data = spool.read()
        try:
            info = preflight(data, filename, limits, pdf_dpi=self.settings.reading.pdf_dpi)
        except InputRefused as err:
            status = 415 if err.code in (ErrorCode.UNSUPPORTED_TYPE, ErrorCode.TYPE_MISMATCH) else 422
            if err.code in (ErrorCode.FILE_TOO_LARGE, ErrorCode.IMAGE_TOO_LARGE, ErrorCode.TOO_MANY_PAGES):
                status = 413
            raise ApiError(status, err.code, err.detail) from err
        stored = self.store.put_original(io.BytesIO(data))  # StorageUnavailable -> 503, nothing recorded
        kind_of_source = source or ("upload" if info.file_type is FileType.PDF else "scan")
        with self.db.transaction() as s:
            row = self._find(s, ref, lock=True)
            self._require_state(row, ProcessingState.DRAFT)
            existing = s.scalar(select(ComponentRow).where(ComponentRow.dossier_id == row.id,
                                                           ComponentRow.file_sha256 == stored.sha256))
            if existing is not None:
                return self._component_public(existing, created=False)
            position = (s.scalar(select(func.max(ComponentRow.position))
                                 .where(ComponentRow.dossier_id == row.id)) or 0) + 1
            component = ComponentRow(dossier_id=row.id, position=position, filename=filename,
                                     file_sha256=stored.sha256, object_key=stored.key,
                                     media_type=MEDIA_TYPES[info.file_type], size_bytes=size,
                                     source=kind_of_source, page_count=info.page_count, uploaded_by=who.subject)
            s.add(component)
            s.flush()
            return self._component_public(component)

    def submit(self, who: Principal, ref: str) -> schemas.DossierPublic:
        """Valid receipt: issue the code and appointment date, queue every page for OCR."""
        for attempt in range(3):
            try:
                return self._submit_once(who, ref)
            except IntegrityError:  # two first-of-the-day codes raced; the counter row now exists
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _submit_once(self, who: Principal, ref: str) -> schemas.DossierPublic:
        with self.db.transaction() as s:
            row = self._find(s, ref, lock=True)
            if row.code is not None and row.state != ProcessingState.DRAFT.value:
                return self._dossier_public(s, row)  # submitting twice is harmless
            self._require_state(row, ProcessingState.DRAFT)
            if not row.components:
                raise ApiError(422, ErrorCode.DOSSIER_EMPTY)
            received = utcnow()
            local = received.astimezone(self.zone)
            unit = self.organisation.service_points[row.service_point_code].receiving_unit
            day = local.date().isoformat()
            counter = s.get(CodeCounterRow, (unit, day), with_for_update=True)
            if counter is None:
                counter = CodeCounterRow(unit=unit, day=day, value=0)
                s.add(counter)
            counter.value += 1
            s.flush()
            procedure = self.catalogue.get(row.procedure_code)
            row.code = format_dossier_code(self.settings.intake.dossier_code_format, unit, local.date(),
                                           counter.value)
            row.received_at = received
            due = procedure.appointment_date(self.calendar, local.replace(tzinfo=None),
                                             self.settings.intake.green_lane_share)
            row.due_date = due.isoformat()
            row.state = ProcessingState.QUEUED.value
            for component in row.components:
                for index in range(component.page_count):
                    page = PageRow(component_id=component.id, index=index,
                                   page_key=page_key(component.file_sha256, index))
                    s.add(page)
                    s.flush()
                    s.add(JobRow(dossier_id=row.id, page_id=page.id, state="queued"))
            s.flush()
            log.info("dossier %s submitted by %s, due %s", row.code, who.subject, row.due_date)
            return self._dossier_public(s, row)

    def status(self, who: Principal, ref: str) -> schemas.DossierPublic:
        """For counter staff and reviewers (agencies have their own, filtered endpoints)."""
        with self.db.transaction() as s:
            return self._dossier_public(s, self._find(s, ref))

    # --- reviewer ----------------------------------------------------------------------

    def review_queue(self, who: Principal, limit: int = 50) -> list[schemas.QueueItemPublic]:
        to_review = (select(func.count()).select_from(FieldRow).join(ComponentRow)
                     .where(ComponentRow.dossier_id == DossierRow.id, FieldRow.status != FieldStatus.OK.value)
                     .correlate(DossierRow).scalar_subquery())
        with self.db.transaction() as s:
            rows = s.execute(
                select(DossierRow, to_review)
                .where(DossierRow.state.in_([ProcessingState.NEEDS_REVIEW.value,
                                             ProcessingState.NEEDS_ATTENTION.value]))
                .order_by(DossierRow.due_date, DossierRow.received_at).limit(limit)).all()
            return [schemas.QueueItemPublic(code=r.code, procedure_code=r.procedure_code, state=r.state,
                                            due_date=date.fromisoformat(r.due_date) if r.due_date else None,
                                            received_at=r.received_at, fields_to_review=n) for r, n in rows]

    def review_dossier(self, who: Principal, ref: str) -> schemas.ReviewDossierPublic:
        with self.db.transaction() as s:
            row = self._find(s, ref, whole=True)
            self._log_access(s, who, "view", row.code or row.public_id)
            texts = self._page_texts(s, row)
            components = []
            for c in row.components:
                pages = []
                for p in c.pages:
                    text = texts.get(p.page_key)
                    pages.append(schemas.PagePublic(
                        index=p.index, width=text.width if text else None, height=text.height if text else None,
                        text_source=str(text.text_source) if text else None,
                        lines=[schemas.LinePublic(text=ln.text, box=list(ln.box), confidence=ln.confidence)
                               for ln in (text.lines if text else [])]))
                fields = [_field_public(f) for f in c.fields]
                components.append(schemas.ReviewComponentPublic(
                    **self._component_public(c).model_dump(), pages=pages, fields=fields))
            return schemas.ReviewDossierPublic(
                dossier=self._dossier_public(s, row),
                applicant=schemas.ApplicantBase(full_name=row.applicant_name, id_number=row.applicant_id_number,
                                                phone=row.applicant_phone),
                components=components)

    def page_image(self, who: Principal, ref: str, component_id: int, index: int) -> bytes:
        """A page as JPEG, in the same pixels as its lines' and fields' boxes."""
        with self.db.transaction() as s:
            row = self._find(s, ref)
            component = s.get(ComponentRow, component_id)
            if component is None or component.dossier_id != row.id or not 0 <= index < component.page_count:
                raise ApiError(404, ErrorCode.FILE_NOT_FOUND, f"{component_id}/{index}")
            self._log_access(s, who, "view_page", row.code or row.public_id, f"{component_id}/{index}")
            key, filename = component.object_key, component.filename
        with self.store.open(key) as stream:
            original = stream.read()
        return page_jpeg(original, filename, index, self.settings.reading)

    def field_crop(self, who: Principal, ref: str, component_id: int, name: str, part: int = 0) -> bytes:
        """The part of the page a field was read from (a handwritten value, a doubtful reading)."""
        with self.db.transaction() as s:
            row = self._find(s, ref)
            component = s.get(ComponentRow, component_id)
            field = None if component is None or component.dossier_id != row.id else s.scalar(
                select(FieldRow).where(FieldRow.component_id == component.id, FieldRow.part == part,
                                       FieldRow.name == name))
            if field is None or not 0 <= field.page < component.page_count or field.box[2] <= field.box[0]:
                raise ApiError(404, ErrorCode.FIELD_NOT_FOUND, f"{component_id}/{name}")
            self._log_access(s, who, "view_page", row.code or row.public_id, f"{component_id}/{field.page}/{name}")
            key, filename, page, box = component.object_key, component.filename, field.page, tuple(field.box)
        with self.store.open(key) as stream:
            original = stream.read()
        return page_jpeg(original, filename, page, self.settings.reading, crop=box)

    def correct_field(self, who: Principal, ref: str, component_id: int, name: str,
                      value: str, part: int = 0) -> schemas.FieldPublic:
        """A reviewer's value: recorded with who, when, old and new; final for reprocessing."""
        value, valid = check_value(name, nfc(value).strip())
        if valid is False:
            raise ApiError(422, ErrorCode.FIELD_VALUE_INVALID, name)
        known = {spec.name for spec in FIELD_SPECS}
        with self.db.transaction() as s:
            row = self._find(s, ref, lock=True)
            self._require_state(row, ProcessingState.NEEDS_REVIEW, ProcessingState.NEEDS_ATTENTION)
            component = s.get(ComponentRow, component_id)
            if component is None or component.dossier_id != row.id:
                raise ApiError(404, ErrorCode.FIELD_NOT_FOUND, f"{component_id}/{name}")
            field = s.scalar(select(FieldRow).where(FieldRow.component_id == component.id, FieldRow.part == part,
                                                    FieldRow.name == name))
            if field is None:
                if name not in known:
                    raise ApiError(404, ErrorCode.FIELD_NOT_FOUND, name)
                # A field OCR missed: the reviewer types it from the page.
                field = FieldRow(component_id=component.id, part=part, name=name, value="", confidence=0.0, page=0,
                                 box=[0, 0, 0, 0], status=FieldStatus.NEEDS_REVIEW.value)
                s.add(field)
                s.flush()
            edit = ReviewEditRow(field_id=field.id, reviewer=who.subject, at=utcnow(), old_value=field.value,
                                 new_value=value)
            s.add(edit)
            field.value, field.confidence = value, 1.0
            field.status, field.sources, field.reason = FieldStatus.OK.value, [Source.REVIEWER.value], None
            self._log_access(s, who, "correct", row.code, name)
            s.flush()
            s.refresh(field)
            return _field_public(field)

    def retry_failed_pages(self, who: Principal, ref: str) -> schemas.DossierPublic:
        """After the cause of a page failure is fixed: read the failed pages again."""
        with self.db.transaction() as s:
            row = self._find(s, ref, lock=True)
            self._require_state(row, ProcessingState.NEEDS_ATTENTION)
            s.execute(update(JobRow).where(JobRow.dossier_id == row.id, JobRow.state == "failed")
                      .values(state="queued", attempts=0, last_error=None))
            row.state, row.attention_reason = ProcessingState.QUEUED.value, None
            self._log_access(s, who, "retry", row.code)
            s.flush()
            return self._dossier_public(s, row)

    def approve(self, who: Principal, ref: str) -> schemas.DossierPublic:
        """Build and store the validated package, then hand the dossier to its agency."""
        with self.db.transaction() as s:
            row = self._find(s, ref)
            if row.state == ProcessingState.VALIDATED.value:
                return self._dossier_public(s, row)
            if row.state in (ProcessingState.QUEUED.value, ProcessingState.PROCESSING.value):
                raise ApiError(409, ErrorCode.DOSSIER_NOT_READY, STATE_LABELS[ProcessingState(row.state)].lower())
            self._require_state(row, ProcessingState.NEEDS_REVIEW)
            code = row.code
        prefix = self._build_package(code)  # outside any transaction: may take seconds
        with self.db.transaction() as s:
            row = self._find(s, code, lock=True)
            self._require_state(row, ProcessingState.NEEDS_REVIEW)
            row.state = ProcessingState.VALIDATED.value
            row.package_prefix, row.approved_by, row.approved_at = prefix, who.subject, utcnow()
            self._log_access(s, who, "approve", row.code)
            s.flush()
            return self._dossier_public(s, row)

    def _page_texts(self, s: Session, row: DossierRow) -> dict[str, PageText]:
        """The dossier's page readings by page key, in one query."""
        keys = [p.page_key for c in row.components for p in c.pages]
        results = s.scalars(select(PageResultRow).where(PageResultRow.page_key.in_(keys),
                                                        PageResultRow.pipeline_version == self.version))
        return {r.page_key: PageText.from_dict(r.result) for r in results}

    def _build_package(self, code: str) -> str:
        with self.db.transaction() as s:
            row = self._find(s, code, whole=True)
            texts = self._page_texts(s, row)
            agency = s.get(AgencyRow, row.agency_code)
            point = s.get(ServicePointRow, row.service_point_code)
        files: list[PackageFile] = []
        components, all_fields = [], {}
        for c in row.components:
            pages = [texts[p.page_key] for p in c.pages if p.page_key in texts]
            with self.store.open(c.object_key) as stream:
                original = stream.read()
            pdf_name = f"components/{c.position:02d}-{c.kind or 'other'}.pdf"
            files.append(PackageFile(pdf_name, searchable_pdf(original, c.filename, pages, self.settings.reading,
                                                             title=f"{row.code} — {c.filename}"),
                                     "application/pdf"))
            fields = {_field_key(f): {"value": f.value, "confidence": round(f.confidence, 4), "page": f.page,
                               "box": list(f.box), "status": f.status,
                               "sources": f.sources or [], "reason": f.reason, "detail": f.detail,
                               "edits": [{"reviewer": e.reviewer, "at": e.at.isoformat(), "old": e.old_value,
                                          "new": e.new_value} for e in f.edits]} for f in c.fields}
            all_fields[f"{c.position:02d}-{c.kind or 'other'}"] = {n: f["value"] for n, f in fields.items()}
            components.append({"position": c.position, "kind": c.kind, "source": c.source,
                               "original": {"filename": c.filename, "sha256": c.file_sha256, "size": c.size_bytes,
                                            "media_type": c.media_type},
                               "searchable_pdf": pdf_name, "page_count": c.page_count, "fields": fields})
        procedure = self.catalogue.get(row.procedure_code)
        dossier = {
            "code": row.code, "procedure_code": row.procedure_code,
            "procedure_name": procedure.name if procedure else None,
            "catalogue": {"locality": self.catalogue.locality, "version": self.catalogue.version},
            "service_point": {"code": point.code, "name": point.name},
            "agency": {"code": agency.code, "name": agency.name},
            "applicant": {"full_name": row.applicant_name, "id_number": row.applicant_id_number,
                          "phone": row.applicant_phone},
            "received_at": row.received_at.isoformat(), "due_date": row.due_date,
            "national_status": row.national_status, "pipeline_version": self.version,
        }
        files.append(PackageFile("fields.json", json.dumps(all_fields, ensure_ascii=False, indent=2).encode(),
                                 "application/json"))
        manifest = build_manifest(dossier, components, files, utcnow().isoformat())
        prefix = f"packages/{row.code}/"
        for f in files:
            self.store.put(prefix + f.name, f.data, f.media_type)
        # The manifest goes last: a package without one was never finished.
        self.store.put(prefix + "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2).encode(),
                       "application/json")
        return prefix

    # --- agency ------------------------------------------------------------------------

    def _agency_dossier(self, s: Session, who: Principal, code: str) -> DossierRow:
        row = s.scalar(select(DossierRow).where(DossierRow.code == code))
        # Another agency's dossier is answered exactly like a missing one.
        if row is None or row.agency_code != who.subject or row.state not in (
                ProcessingState.VALIDATED.value, ProcessingState.DELIVERED.value):
            raise ApiError(404, ErrorCode.DOSSIER_NOT_FOUND, code)
        return row

    def agency_list(self, who: Principal, cursor: str | None, limit: int,
                    include_delivered: bool = False) -> schemas.AgencyListPublic:
        after = _decode_cursor(cursor) if cursor else 0
        states = [ProcessingState.VALIDATED.value]
        if include_delivered:
            states.append(ProcessingState.DELIVERED.value)
        with self.db.transaction() as s:
            rows = s.scalars(select(DossierRow)
                             .where(DossierRow.agency_code == who.subject, DossierRow.state.in_(states),
                                    DossierRow.id > after)
                             .order_by(DossierRow.id).limit(limit + 1)).all()
        more = len(rows) > limit
        rows = rows[:limit]
        return schemas.AgencyListPublic(
            items=[schemas.AgencyDossierPublic(
                code=r.code, procedure_code=r.procedure_code, received_at=r.received_at,
                due_date=date.fromisoformat(r.due_date) if r.due_date else None,
                national_status=r.national_status, approved_at=r.approved_at) for r in rows],
            next_cursor=_encode_cursor(rows[-1].id) if more else None)

    def _package(self, who: Principal, code: str, action: str, detail: str | None = None) -> tuple[str, dict]:
        """(package prefix, manifest) of an agency's dossier; the access is logged."""
        with self.db.transaction() as s:
            row = self._agency_dossier(s, who, code)
            self._log_access(s, who, action, code, detail)
            prefix = row.package_prefix
        with self.store.open(prefix + "manifest.json") as stream:
            return prefix, json.loads(stream.read())

    def manifest(self, who: Principal, code: str) -> dict:
        return self._package(who, code, "manifest")[1]

    def package_file(self, who: Principal, code: str, name: str) -> tuple[str, str | None, str]:
        """(object key, presigned URL or None, media type) of a file listed in the manifest."""
        prefix, manifest = self._package(who, code, "export", name)
        listed = {f["name"]: f["media_type"] for f in manifest["files"]} | {"manifest.json": "application/json"}
        if name not in listed:
            raise ApiError(404, ErrorCode.FILE_NOT_FOUND, name)
        url = self.store.presigned_url(prefix + name, self.settings.storage.presign_seconds)
        return prefix + name, url, listed[name]

    def acknowledge(self, who: Principal, code: str) -> schemas.DossierPublic:
        with self.db.transaction() as s:
            row = self._agency_dossier(s, who, code)
            if row.state == ProcessingState.VALIDATED.value:
                row.state = ProcessingState.DELIVERED.value
                row.acknowledged_at = utcnow()
                self._log_access(s, who, "acknowledge", code)
            s.flush()
            return self._dossier_public(s, row)

    def report_status(self, who: Principal, code: str, report: schemas.StatusReport) -> schemas.DossierPublic:
        try:
            status = NationalStatus(report.status)
        except ValueError as exc:
            raise ApiError(422, ErrorCode.STATUS_NOT_ALLOWED, str(report.status)) from exc
        if status not in AGENCY_STATUSES:
            raise ApiError(422, ErrorCode.STATUS_NOT_ALLOWED, f"{int(status)} ({status.label_vi})")
        with self.db.transaction() as s:
            row = self._agency_dossier(s, who, code)
            if row.state != ProcessingState.DELIVERED.value:
                raise ApiError(409, ErrorCode.DOSSIER_NOT_READY, "chưa xác nhận đã nhận hồ sơ")
            row.national_status = int(status)
            s.add(StatusReportRow(dossier_id=row.id, status=int(status), note=report.note, reported_by=who.subject))
            s.flush()
            return self._dossier_public(s, row)


def _field_key(f: FieldRow) -> str:
    """A field's key in a package: its name, qualified by document for the 2nd+ document of a file."""
    return f.name if not f.part else f"{f.part}.{f.name}"


def _field_public(f: FieldRow) -> schemas.FieldPublic:
    return schemas.FieldPublic(
        part=f.part or 0, name=f.name, value=f.value, confidence=f.confidence, page=f.page, box=list(f.box),
        status=f.status, sources=f.sources or [], reason=f.reason,
        reason_vi=REVIEW_REASONS_VI.get(f.reason) if f.reason else None, detail=f.detail,
        edits=[schemas.ReviewEditPublic(reviewer=e.reviewer, at=e.at, old_value=e.old_value, new_value=e.new_value)
               for e in f.edits])
