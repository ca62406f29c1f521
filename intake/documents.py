"""A reviewer's fixes to the documents of a file (issue 16): a document's kind, a split at a
page, a merge, a page turned; and the page image every reviewer view draws boxes on.

Kinds, splits and merges are one thing: the reviewer's list of documents of a file, each with
its kind and pages (`components.reviewed_parts`). It replaces the reader's split at once: the
whole dossier is interpreted again in the same transaction (a form is checked against the card
in another file), and from then on whenever the dossier is finalized. A turned page is read
again: its job goes back to the queue under a new page key (its content is another picture).
Either way a value a reviewer confirmed or corrected stays if a document of the same kind still
holds its page (moved to that document), and is dropped otherwise; the access log records the
fix and the values dropped (`intake.processing.finalize`)."""

from __future__ import annotations

import hashlib
from collections import Counter

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from intake import review_schemas, schemas
from intake.auth import Principal
from intake.claims import take_claim
from intake.context import IntakeContext
from intake.errors import ServiceError
from intake.packaging import file_info
from intake.processing.finalize import interpret_dossier
from intake.processing.jobs import JobState, page_key
from intake.records import dossier_public, find_component, find_dossier, log_access, require_state
from models.document import DocumentKind, PageText
from models.dossier import ProcessingState
from models.errors import ErrorCode
from pipeline.output.package import page_jpeg
from pipeline.reader import turn_box
from storage.tables import ComponentRow, DossierRow, FieldRow, JobRow, PageResultRow, PageRow

REVIEWABLE = (ProcessingState.NEEDS_REVIEW, ProcessingState.NEEDS_ATTENTION)
# A page may also be turned while the dossier's pages are (again) being read: a reviewer turns
# one sideways page after another without waiting for each to be read.
TURNABLE = (*REVIEWABLE, ProcessingState.QUEUED, ProcessingState.PROCESSING)
TURNS = (90, 180, 270)
KINDS = frozenset(kind.value for kind in DocumentKind)


def turned_page_key(file_sha256: str, index: int, rotation: int) -> str:
    """Content identity of a page turned clockwise by `rotation` degrees: the key submit gives it
    (`intake.processing.jobs.page_key`) when not turned, another picture's key otherwise."""
    rotation %= 360
    if not rotation:
        return page_key(file_sha256, index)
    return hashlib.sha256(f"{file_sha256}:{index}:{rotation}".encode()).hexdigest()


def page_rotation(ctx: IntakeContext, component_id: int, index: int) -> int:
    """How far a reviewer turned a page (clockwise degrees; 0 for a page not yet submitted)."""
    with ctx.db.reading() as s:
        rotation = s.scalar(
            select(PageRow.rotation).where(PageRow.component_id == component_id, PageRow.index == index)
        )
    return rotation or 0


def page_image_bytes(
    ctx: IntakeContext, component: ComponentRow, index: int, crop: tuple[int, int, int, int] | None = None
) -> bytes:
    """A page of `component` as JPEG, in the pixels its lines' and fields' boxes are in: turned
    as the reviewer turned it."""
    rotation = page_rotation(ctx, component.id, index)
    with ctx.store.open(component.object_key) as stream:
        original = stream.read()
    info = file_info(ctx, component, original)
    return page_jpeg(original, info, index, ctx.settings.reading, crop=crop, rotation=rotation)


def check_parts(parts: list[review_schemas.DocumentPartIn], page_count: int) -> list[dict]:
    """The documents of a file as stored (`reviewed_parts`): known kinds, every page of the
    file in exactly one document, pages in order within each; PARTS_INVALID otherwise."""
    unknown = sorted({part.kind for part in parts} - KINDS)
    if unknown:
        raise ServiceError(ErrorCode.PARTS_INVALID, f"loại tài liệu không có: {', '.join(unknown)}")
    counts = Counter(i for part in parts for i in part.pages)
    seen, twice = set(counts), {i for i, n in counts.items() if n > 1}
    outside = sorted(i for i in seen if not 0 <= i < page_count)
    if outside:
        raise ServiceError(ErrorCode.PARTS_INVALID, f"tệp không có trang {_numbers(outside)}")
    if twice:
        raise ServiceError(ErrorCode.PARTS_INVALID, f"trang {_numbers(sorted(twice))} ở hơn một chỗ")
    missing = sorted(set(range(page_count)) - seen)
    if missing:
        raise ServiceError(ErrorCode.PARTS_INVALID, f"thiếu trang {_numbers(missing)}")
    return [{"kind": part.kind, "pages": sorted(part.pages)} for part in parts]


def _numbers(indexes: list[int]) -> str:
    """Page indexes as people number pages (from 1), a few of them."""
    shown = ", ".join(str(i + 1) for i in indexes[:10])
    return shown + ("…" if len(indexes) > 10 else "")


class Documents:
    def __init__(self, ctx: IntakeContext) -> None:
        self.ctx = ctx

    def set_parts(self, who: Principal, ref: str, component_id: int, body: review_schemas.DocumentParts) -> None:
        """The reviewer's documents of one file (kinds, split, merge): saved, and the whole
        dossier interpreted again with them in this transaction (fields of every document
        extracted and checked against the others'). Reviewer values are kept where a document of
        their kind holds their page, dropped otherwise; the access log records both."""
        with self.ctx.db.transaction() as s:
            row = self._claimed(s, who, ref, REVIEWABLE)
            component = find_component(s, row, component_id, ErrorCode.FILE_NOT_FOUND, str(component_id))
            component.reviewed_parts = check_parts(body.parts, component.page_count)
            s.flush()
            today = self.ctx.clock.now().date()
            dropped = interpret_dossier(s, row, self.ctx.settings.reading, self.ctx.version, today)
            summary = "; ".join(f"{p['kind']} {_numbers(p['pages'])}" for p in component.reviewed_parts)
            detail = f"{component_id}: {summary}" + (f" — bỏ: {', '.join(map(str, dropped))}" if dropped else "")
            log_access(s, who, "fix_documents", row.code or row.public_id, detail)

    def rotate_page(
        self, who: Principal, ref: str, component_id: int, index: int, degrees: int
    ) -> schemas.DossierPublic:
        """Turn a page clockwise by `degrees` (90, 180, 270 more than now) and have it read
        again: its job goes back to the queue under the turned picture's key, and the dossier
        waits for its pages; when the last one is in, it is finalized as ever. The boxes of the
        page's fields are turned at once, so that they stay on the page image, which is drawn
        turned from now on."""
        if degrees not in TURNS:
            raise ServiceError(ErrorCode.INVALID_REQUEST, "degrees: 90, 180, 270")
        with self.ctx.db.transaction() as s:
            row = self._claimed(s, who, ref, TURNABLE)
            component = find_component(s, row, component_id, ErrorCode.FILE_NOT_FOUND, f"{component_id}/{index}")
            page = s.scalar(select(PageRow).where(PageRow.component_id == component.id, PageRow.index == index))
            if page is None:
                raise ServiceError(ErrorCode.FILE_NOT_FOUND, f"{component_id}/{index}")
            self._turn_field_boxes(s, component, page, degrees)
            page.rotation = ((page.rotation or 0) + degrees) % 360
            page.page_key = turned_page_key(component.file_sha256, index, page.rotation)
            s.execute(
                update(JobRow)
                .where(JobRow.page_id == page.id)
                .values(state=JobState.QUEUED.value, attempts=0, last_error=None, lease_owner=None, lease_until=None)
            )
            row.state, row.attention_reason = ProcessingState.QUEUED.value, None
            code = row.code or row.public_id
            log_access(s, who, "rotate_page", code, f"{component_id}/{index}: +{degrees} = {page.rotation}")
            s.flush()
            return dossier_public(s, row, self.ctx.catalogue)

    def _claimed(self, s: Session, who: Principal, ref: str, states: tuple[ProcessingState, ...]) -> DossierRow:
        """The dossier, row locked, in one of `states`, claimed (or the claim renewed) for `who`."""
        row = find_dossier(s, ref, who=who, lock=True)
        require_state(row, *states)
        take_claim(self.ctx, row, who)
        return row

    def _turn_field_boxes(self, s: Session, component: ComponentRow, page: PageRow, degrees: int) -> None:
        """The boxes of the page's fields, turned with it (a reviewer's value keeps its box
        through the new reading); they are in the pixels of the page as turned so far."""
        size = self._turned_size(s, component, page)
        if size is None:
            return  # never read: no field has a place on it
        width, height = size
        fields = s.scalars(select(FieldRow).where(FieldRow.component_id == component.id, FieldRow.page == page.index))
        for field in fields:
            x0, y0, x1, y1 = (int(v) for v in field.box)
            if x1 <= x0 or y1 <= y0:
                continue  # typed where the reading found nothing: no place on the page
            field.box = list(turn_box((x0, y0, x1, y1), width, height, degrees))
            field.version = (field.version or 1) + 1

    def _turned_size(self, s: Session, component: ComponentRow, page: PageRow) -> tuple[int, int] | None:
        """The page's width and height as turned now, from a reading of it at any turn (turned
        again before its new reading is in, it has none at its present turn)."""
        for rotation in sorted(TURNS + (0,), key=lambda r: r != page.rotation):
            key = turned_page_key(component.file_sha256, page.index, rotation)
            result = s.get(PageResultRow, (key, self.ctx.version))
            if result is not None:
                read = PageText.from_dict(result.result)
                quarter = (rotation - (page.rotation or 0)) % 180 == 90
                return (read.height, read.width) if quarter else (read.width, read.height)
        return None
