"""The reviewer's work inside a dossier (the queue and opening one: `intake.review_queue`): its
pages, lines and fields, confirming or correcting each doubtful field, and approval, which
hands the dossier to its agency. A dossier is approved only when no field is left doubtful:
every `needs_review` or `invalid` value was confirmed or corrected by a person, recorded
with who and when.

Two reviewers never overwrite each other: a dossier another reviewer holds refuses their
actions (DOSSIER_CLAIMED), and every change of a field bumps its version, so a correction made
on an older one is refused (FIELD_STALE) with the field as it is now. Typed values are held to
the same checks as the pipeline's readings (`pipeline.fields.typed_check`)."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from intake import review_schemas, schemas
from intake.auth import Principal
from intake.candidates import PICKABLE_SOURCES
from intake.claims import release_claim, take_claim
from intake.context import IntakeContext
from intake.documents import page_image_bytes
from intake.errors import ServiceError
from intake.events import EventKind, handed_over_event, record_event
from intake.packaging import build_package
from intake.processing.jobs import JobState
from intake.records import (
    STATE_LABELS,
    component_public,
    dossier_public,
    field_label,
    field_public_in,
    fields_public,
    find_component,
    find_dossier,
    log_access,
    page_texts,
    require_state,
)
from models.document import FieldStatus, Source
from models.dossier import NationalStatus, ProcessingState
from models.errors import ErrorCode
from models.fields import FIELD_SPECS
from pipeline.fields.typed_check import check_typed, is_place_field
from pipeline.text import nfc
from storage.tables import ComponentRow, DossierRow, FieldRow, JobRow, ReviewEditRow

log = logging.getLogger(__name__)

UNRESOLVED = (FieldStatus.NEEDS_REVIEW.value, FieldStatus.INVALID.value)
REVIEWABLE = (ProcessingState.NEEDS_REVIEW, ProcessingState.NEEDS_ATTENTION)
# An approval that has not finished its package after this long died with its process: another
# approval takes the frozen dossier over, a correction or confirmation releases it.
APPROVAL_TIMEOUT = timedelta(minutes=10)


def stale_version(field: FieldRow, version: int | None) -> bool:
    """A change made on another version of the field than the one stored now."""
    return version is not None and version != (field.version or 1)


class Review:
    def __init__(self, ctx: IntakeContext) -> None:
        self.ctx = ctx

    def dossier(self, who: Principal, ref: str) -> schemas.ReviewDossierPublic:
        with self.ctx.db.transaction() as s:
            row = find_dossier(s, ref, who=who, whole=True)
            log_access(s, who, "view", row.code or row.public_id)
            texts = page_texts(s, row, self.ctx.version)
            fields = fields_public(row.components)
            components = []
            for c in row.components:
                pages = []
                for p in c.pages:
                    text = texts.get(p.page_key)
                    pages.append(
                        schemas.PagePublic(
                            index=p.index,
                            rotation=p.rotation or 0,
                            width=text.width if text else None,
                            height=text.height if text else None,
                            text_source=str(text.text_source) if text else None,
                            lines=[
                                schemas.LinePublic(text=ln.text, box=list(ln.box), confidence=ln.confidence)
                                for ln in (text.lines if text else [])
                            ],
                        )
                    )
                components.append(
                    schemas.ReviewComponentPublic(**component_public(c).model_dump(), pages=pages, fields=fields[c.id])
                )
            return schemas.ReviewDossierPublic(
                dossier=dossier_public(s, row, self.ctx.catalogue),
                applicant=schemas.ApplicantBase(
                    full_name=row.applicant_name, id_number=row.applicant_id_number, phone=row.applicant_phone
                ),
                components=components,
            )

    def _page(self, component: ComponentRow, index: int, crop: tuple[int, int, int, int] | None = None) -> bytes:
        return page_image_bytes(self.ctx, component, index, crop)

    def page_image(self, who: Principal, ref: str, component_id: int, index: int) -> bytes:
        """A page as JPEG, in the same pixels as its lines' and fields' boxes."""
        with self.ctx.db.transaction() as s:
            row = find_dossier(s, ref, who=who)
            component = find_component(s, row, component_id, ErrorCode.FILE_NOT_FOUND, f"{component_id}/{index}")
            if not 0 <= index < component.page_count:
                raise ServiceError(ErrorCode.FILE_NOT_FOUND, f"{component_id}/{index}")
            log_access(s, who, "view_page", row.code or row.public_id, f"{component_id}/{index}")
        return self._page(component, index)

    def field_crop(self, who: Principal, ref: str, component_id: int, name: str, part: int = 0) -> bytes:
        """The part of the page a field was read from (a handwritten value, a doubtful reading)."""
        with self.ctx.db.transaction() as s:
            row = find_dossier(s, ref, who=who)
            component = find_component(s, row, component_id, ErrorCode.FIELD_NOT_FOUND, f"{component_id}/{name}")
            field = self._field(s, component, name, part)
            if field is None or not 0 <= field.page < component.page_count or field.box[2] <= field.box[0]:
                raise ServiceError(ErrorCode.FIELD_NOT_FOUND, f"{component_id}/{name}")
            log_access(s, who, "view_page", row.code or row.public_id, f"{component_id}/{field.page}/{name}")
            page, box = field.page, (field.box[0], field.box[1], field.box[2], field.box[3])
        return self._page(component, page, crop=box)

    @staticmethod
    def _field(s: Session, component: ComponentRow, name: str, part: int) -> FieldRow | None:
        return s.scalar(
            select(FieldRow).where(FieldRow.component_id == component.id, FieldRow.part == part, FieldRow.name == name)
        )

    def check(self, name: str, value: str) -> review_schemas.ValueCheckPublic:
        """What a typed value would be stored as, and the checks it fails (shown as it is typed)."""
        stored, problems = check_typed(name, value, self.ctx.clock.now().date())
        return review_schemas.ValueCheckPublic(
            value=stored, valid=not problems, problems=problems, may_keep=bool(problems) and is_place_field(name)
        )

    def _checked(self, name: str, value: str, keep_unlisted_place: bool = False) -> tuple[str, bool]:
        """`value` as stored, and whether it is a place kept outside the catalogue at the
        reviewer's word; FIELD_VALUE_INVALID naming the field and every failed check otherwise."""
        stored, problems = check_typed(name, value, self.ctx.clock.now().date())
        if problems and keep_unlisted_place and is_place_field(name):
            return stored, True
        if problems:
            # `may_keep`: only the place check failed; the reviewer may keep it (keep_unlisted_place).
            extra = {"may_keep": True} if is_place_field(name) else None
            detail = f"{field_label(name) or name}: {'; '.join(problems)}"
            raise ServiceError(ErrorCode.FIELD_VALUE_INVALID, detail, extra=extra)
        return stored, False

    def correct_field(
        self,
        who: Principal,
        ref: str,
        component_id: int,
        name: str,
        value: str,
        part: int = 0,
        *,
        version: int | None = None,
        source: str | None = None,
        keep_unlisted_place: bool = False,
    ) -> schemas.FieldPublic:
        """A reviewer's value: recorded with who, when, old and new; final for reprocessing.
        `version`: the field's version it was typed on (stale: FIELD_STALE); `source`: the
        candidate picked (recorded beside "reviewer"); `keep_unlisted_place`: a place outside
        the catalogue kept on purpose (marked `unlisted_place` in the field's detail)."""
        if source is not None and source not in PICKABLE_SOURCES:
            raise ServiceError(ErrorCode.INVALID_REQUEST, f"source: {source}")
        value, unlisted = self._checked(name, nfc(value).strip(), keep_unlisted_place)
        with self.ctx.db.transaction() as s:
            row, component = self._reviewable(s, who, ref, component_id, name)
            field = self._field(s, component, name, part)
            if field is None:
                if name not in {spec.name for spec in FIELD_SPECS}:
                    raise ServiceError(ErrorCode.FIELD_NOT_FOUND, name)
                # A field OCR missed: the reviewer types it from the page.
                field = FieldRow(
                    component_id=component.id,
                    part=part,
                    name=name,
                    value="",
                    confidence=0.0,
                    page=0,
                    box=[0, 0, 0, 0],
                    status=FieldStatus.NEEDS_REVIEW.value,
                    version=1,
                )
                s.add(field)
                s.flush()
            else:
                self._refuse_stale(row, field, version)
            sources = [Source.REVIEWER.value, *([source] if source else [])]
            self._resolve(s, who, field, "correct", value, sources, unlisted)
            log_access(s, who, "correct", row.code or row.public_id, name)
            s.flush()
            s.refresh(field)
            return field_public_in(row.components, field)

    def confirm_field(
        self,
        who: Principal,
        ref: str,
        component_id: int,
        name: str,
        part: int = 0,
        *,
        version: int | None = None,
        keep_unlisted_place: bool = False,
    ) -> schemas.FieldPublic:
        """The reviewer checked the value against the page and keeps it as read: recorded like a
        correction (who, when, the value kept). A value that fails its field's checks cannot be
        confirmed, only corrected."""
        with self.ctx.db.transaction() as s:
            row, component = self._reviewable(s, who, ref, component_id, name)
            field = self._field(s, component, name, part)
            if field is None:
                raise ServiceError(ErrorCode.FIELD_NOT_FOUND, f"{component_id}/{name}")
            self._refuse_stale(row, field, version)
            if not field.value.strip():
                raise ServiceError(ErrorCode.FIELD_VALUE_INVALID, field_label(name) or name)
            value, unlisted = self._checked(name, field.value, keep_unlisted_place)
            sources = [Source.REVIEWER.value, *(x for x in field.sources or [] if x != Source.REVIEWER.value)]
            self._resolve(s, who, field, "confirm", value, sources, unlisted)
            log_access(s, who, "confirm", row.code or row.public_id, name)
            s.flush()
            s.refresh(field)
            return field_public_in(row.components, field)

    @staticmethod
    def _refuse_stale(row: DossierRow, field: FieldRow, version: int | None) -> None:
        """FIELD_STALE, with the field as it is now, for a change made on an older version."""
        if stale_version(field, version):
            current = field_public_in(row.components, field)
            raise ServiceError(ErrorCode.FIELD_STALE, field.name, extra={"current": current.model_dump(mode="json")})

    def _reviewable(
        self, s: Session, who: Principal, ref: str, component_id: int, name: str
    ) -> tuple[DossierRow, ComponentRow]:
        """The dossier (`locked_reviewable`) and the component whose field is confirmed or corrected."""
        row = self.locked_reviewable(s, who, ref)
        return row, find_component(s, row, component_id, ErrorCode.FIELD_NOT_FOUND, f"{component_id}/{name}")

    def locked_reviewable(self, s: Session, who: Principal, ref: str) -> DossierRow:
        """The dossier a reviewer changes (a field, a document, sent back), its row locked and
        claimed (or its claim renewed) for `who`: refused while another reviewer holds it, and
        while an approval has frozen it (its package must hold every value a reviewer was told
        is kept); a freeze whose approval died is released."""
        row = find_dossier(s, ref, who=who, lock=True)
        if row.state == ProcessingState.APPROVING.value:
            if not self._abandoned(row):
                raise ServiceError(ErrorCode.APPROVAL_IN_PROGRESS, row.code or "")
            log.warning("approval of %s started %s never finished; released", row.code, row.approval_started_at)
            row.state, row.approval_token, row.approval_started_at = ProcessingState.NEEDS_REVIEW.value, None, None
        require_state(row, *REVIEWABLE)
        take_claim(self.ctx, row, who, s)
        return row

    def _resolve(
        self,
        s: Session,
        who: Principal,
        field: FieldRow,
        action: str,
        value: str,
        sources: list[str],
        unlisted_place: bool = False,
    ) -> None:
        s.add(
            ReviewEditRow(
                field_id=field.id,
                reviewer=who.subject,
                action=action,
                at=self.ctx.clock.now(),
                old_value=field.value,
                new_value=value,
            )
        )
        field.value, field.confidence = value, 1.0
        field.status, field.sources, field.reason = FieldStatus.OK.value, sources, None
        field.version = (field.version or 1) + 1
        # The agency is told a place was kept outside the catalogue on the reviewer's word.
        detail = {k: v for k, v in (field.detail or {}).items() if k != "unlisted_place"}
        field.detail = {**detail, "unlisted_place": True} if unlisted_place else (detail or None)

    def retry_failed_pages(self, who: Principal, ref: str) -> schemas.DossierPublic:
        """After the cause of a page failure is fixed: read the failed pages again. The dossier
        leaves the queue until read: the reviewer's claim ends (another's refuses the retry)."""
        with self.ctx.db.transaction() as s:
            row = find_dossier(s, ref, who=who, lock=True)
            require_state(row, ProcessingState.NEEDS_ATTENTION)
            take_claim(self.ctx, row, who, s)
            s.execute(
                update(JobRow)
                .where(JobRow.dossier_id == row.id, JobRow.state == JobState.FAILED.value)
                .values(state=JobState.QUEUED.value, attempts=0, last_error=None)
            )
            row.state, row.attention_reason = ProcessingState.QUEUED.value, None
            release_claim(row)
            log_access(s, who, "retry", row.code or row.public_id)
            s.flush()
            return dossier_public(s, row, self.ctx.catalogue)

    def _check_approvable(self, s: Session, row: DossierRow) -> None:
        if row.state in (ProcessingState.QUEUED.value, ProcessingState.PROCESSING.value):
            raise ServiceError(ErrorCode.DOSSIER_NOT_READY, STATE_LABELS[ProcessingState(row.state)].lower())
        require_state(row, ProcessingState.NEEDS_REVIEW)
        unresolved = s.scalar(
            select(func.count())
            .select_from(FieldRow)
            .join(ComponentRow)
            .where(ComponentRow.dossier_id == row.id, FieldRow.status.in_(UNRESOLVED))
        )
        if unresolved:
            raise ServiceError(ErrorCode.FIELDS_UNRESOLVED, str(unresolved))

    def approve(self, who: Principal, ref: str) -> schemas.DossierPublic:
        """Hand the dossier to its agency: freeze it (of approvals at once, one wins; corrections
        are refused while it is frozen), build the package from that frozen state, then mark it
        validated. A package that cannot be built (storage down) thaws the dossier; an approval
        that died with its process is taken over after `APPROVAL_TIMEOUT`. Refused while another
        reviewer holds the dossier; approved, it is no one's."""
        token = uuid.uuid4().hex
        with self.ctx.db.transaction() as s:
            row = find_dossier(s, ref, who=who, lock=True)
            if row.state == ProcessingState.VALIDATED.value:
                return dossier_public(s, row, self.ctx.catalogue)
            take_claim(self.ctx, row, who, s)
            self._freeze(s, row, token)
            code = row.code
        assert code is not None  # a dossier waiting for review was submitted
        try:
            package = build_package(self.ctx, code)  # outside any transaction: may take seconds
        except BaseException:
            self._thaw(code, token)
            raise
        with self.ctx.db.transaction() as s:
            row = find_dossier(s, code, lock=True)
            if row.state != ProcessingState.APPROVING.value or row.approval_token != token:
                raise ServiceError(ErrorCode.APPROVAL_IN_PROGRESS, code)  # timed out and taken over
            row.state = ProcessingState.VALIDATED.value
            row.approval_token = row.approval_started_at = None
            row.package_prefix, row.package_manifest_sha256 = package.prefix, package.manifest_sha256
            row.approved_by, row.approved_at = who.subject, self.ctx.clock.now()
            row.package_revision = (row.package_revision or 0) + 1
            if row.national_status == NationalStatus.MOI_DANG_KY:
                # An online registration: the reviewer's check is the center's acceptance of it.
                row.national_status = int(NationalStatus.DUOC_TIEP_NHAN)
            kind = EventKind.READY if row.package_revision == 1 else EventKind.RESENT
            record_event(s, row, kind, handed_over_event(row), self.ctx.clock)
            release_claim(row)
            log_access(s, who, "approve", code)
            s.flush()
            return dossier_public(s, row, self.ctx.catalogue)

    def _abandoned(self, row: DossierRow) -> bool:
        """A freeze whose approval has not finished after `APPROVAL_TIMEOUT` died with its process."""
        started = row.approval_started_at
        return started is None or self.ctx.clock.now() - started > APPROVAL_TIMEOUT

    def _freeze(self, s: Session, row: DossierRow, token: str) -> None:
        """Freeze a dossier that may be approved (its row is locked) under this approval's token."""
        if row.state == ProcessingState.APPROVING.value:
            if not self._abandoned(row):
                raise ServiceError(ErrorCode.APPROVAL_IN_PROGRESS, row.code or "")
            log.warning("approval of %s started %s never finished; taken over", row.code, row.approval_started_at)
        else:
            self._check_approvable(s, row)
        # Conditional as well as locked: of two approvals past the checks, one changes the state.
        same_freeze = (
            DossierRow.approval_token.is_(None)
            if row.approval_token is None
            else DossierRow.approval_token == row.approval_token
        )
        frozen = s.execute(
            update(DossierRow)
            .where(DossierRow.id == row.id, DossierRow.state == row.state, same_freeze)
            .values(
                state=ProcessingState.APPROVING.value, approval_token=token, approval_started_at=self.ctx.clock.now()
            )
        )
        if not cast(CursorResult, frozen).rowcount:
            raise ServiceError(ErrorCode.APPROVAL_IN_PROGRESS, row.code or "")

    def _thaw(self, code: str, token: str) -> None:
        """The package could not be built: the dossier goes back to review, unless taken over."""
        try:
            with self.ctx.db.transaction() as s:
                s.execute(
                    update(DossierRow)
                    .where(
                        DossierRow.code == code,
                        DossierRow.state == ProcessingState.APPROVING.value,
                        DossierRow.approval_token == token,
                    )
                    .values(state=ProcessingState.NEEDS_REVIEW.value, approval_token=None, approval_started_at=None)
                )
        except Exception:  # noqa: BLE001 - the build's own error is what the caller hears
            log.exception("could not thaw %s after a failed approval; it thaws after %s", code, APPROVAL_TIMEOUT)
