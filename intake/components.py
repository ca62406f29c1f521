"""A draft's components as the counter screen shapes them before submit: the quality check of
each page at upload, the dossier-wide duplicate check, deletion, rotation, the clerk's word on
a document's kind, order, thumbnails, and the checklist of required documents.

Every change is one transaction on the locked dossier; only a draft can be changed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake import schemas
from intake.auth import Principal
from intake.context import IntakeContext
from intake.errors import ServiceError
from intake.procedures import ChecklistItem, checklist, document_key, missing_documents
from intake.records import (
    COUNTER_EDITABLE,
    component_public,
    dossier_public,
    find_component,
    find_dossier,
    first_numbers,
    log_access,
    page_checks,
    require_state,
)
from models.document import DocumentKind
from models.errors import ErrorCode
from pipeline.pages.preflight import FileInfo
from pipeline.pages.quality import check_file, is_duplicate
from pipeline.pages.thumbnail import page_thumbnail
from storage.tables import ComponentRow, DossierRow

log = logging.getLogger(__name__)


def assess(ctx: IntakeContext, data: bytes, info: FileInfo, rotation: int = 0) -> dict:
    """The quality check of every page of a file, as stored with its component."""
    checks = check_file(data, info, ctx.settings.quality, rotation=rotation)
    qr_text = next((c.qr_text for c in checks if c.qr_text), None)
    return {
        "pages": [
            {
                "index": c.index,
                "codes": [code.value for code in c.codes],
                "fingerprint": c.fingerprint,
                "likely_kind": c.likely_kind,
                "kind_confidence": round(c.kind_confidence, 3),
                "measures": {k: round(v, 4) for k, v in c.measures.items()},
            }
            for c in checks
        ],
        "qr_text": qr_text,
    }


def mark_duplicates(ctx: IntakeContext, components: Sequence[ComponentRow]) -> None:
    """Flag each page that repeats an earlier page of the dossier (in the dossier's order);
    run after every addition, deletion or reordering so a flag never outlives its cause."""
    seen: list[str] = []
    for component in sorted(components, key=lambda c: c.position):
        if component.quality is None:
            continue
        pages = []
        for page in component.quality.get("pages", []):
            fingerprint = page.get("fingerprint")
            duplicate = bool(fingerprint) and any(is_duplicate(fingerprint, f, ctx.settings.quality) for f in seen)
            if fingerprint:
                seen.append(fingerprint)
            pages.append({**page, "duplicate": duplicate})
        if pages != component.quality.get("pages"):
            component.quality = {**component.quality, "pages": pages}  # a new object: JSON change tracked


def page_kinds(
    components: Sequence[ComponentRow], document_keys: dict[str, str] | None = None
) -> list[tuple[int, str | None]]:
    """(page number, document kind) for every page of the dossier. The clerk's word wins: a
    declared required document (as its `document_key`, by `document_keys`), then a declared
    kind; otherwise the kind read after OCR, else the quality check's likely kind."""
    document_keys = document_keys or {}
    numbers = first_numbers(list(components))
    pages: list[tuple[int, str | None]] = []
    for component in sorted(components, key=lambda c: c.position):
        read = {index: part.get("kind") for part in component.parts or [] for index in part.get("pages", [])}
        for check in page_checks(component, numbers[component.id]):
            declared = document_keys.get(component.declared_document or "")
            kind = declared or component.declared_kind or read.get(check["index"]) or check["kind"]
            pages.append((check["number"], kind))
    return pages


class Components:
    def __init__(self, ctx: IntakeContext) -> None:
        self.ctx = ctx

    def _draft(self, s: Session, who: Principal, ref: str) -> DossierRow:
        row = find_dossier(s, ref, who=who, lock=True)
        require_state(row, *COUNTER_EDITABLE)  # a draft, or a dossier sent back for papers
        return row

    def delete(self, who: Principal, ref: str, component_id: int) -> None:
        """Take a file out of a draft (a bad scan to be scanned again). The stored original
        stays in the object store: content-addressed, it may be another dossier's too."""
        with self.ctx.db.transaction() as s:
            row = self._draft(s, who, ref)
            component = find_component(s, row, component_id, ErrorCode.FILE_NOT_FOUND, str(component_id))
            row.components.remove(component)
            s.flush()
            mark_duplicates(self.ctx, row.components)
            log_access(s, who, "delete_file", row.public_id, f"{component_id}")

    def update(
        self, who: Principal, ref: str, component_id: int, body: schemas.ComponentUpdate
    ) -> schemas.ComponentPublic:
        """Rotation (the page as the clerk turned it) and the clerk's word on the document kind."""
        if body.declared_kind is not None and body.declared_kind not in set(DocumentKind):
            raise ServiceError(ErrorCode.INVALID_REQUEST, f"declared_kind: {body.declared_kind}")
        with self.ctx.db.transaction() as s:
            row = self._draft(s, who, ref)
            component = find_component(s, row, component_id, ErrorCode.FILE_NOT_FOUND, str(component_id))
            if body.rotation is not None:
                component.rotation = body.rotation
            if body.clear_declared_kind:
                component.declared_kind = None
            elif body.declared_kind is not None:
                component.declared_kind = body.declared_kind
            if body.declared_document is not None:
                component.declared_document = self._document(row, body.declared_document)
            s.flush()
            return self._public(row, component)

    def reorder(self, who: Principal, ref: str, body: schemas.ComponentOrder) -> schemas.DossierPublic:
        with self.ctx.db.transaction() as s:
            row = self._draft(s, who, ref)
            current = {c.id: c for c in row.components}
            if sorted(body.component_ids) != sorted(current):
                raise ServiceError(ErrorCode.ORDER_INVALID, f"{len(body.component_ids)}/{len(current)}")
            # Two steps: positions are unique within a dossier at every moment.
            for offset, component in enumerate(current.values(), start=1):
                component.position = -offset
            s.flush()
            for position, component_id in enumerate(body.component_ids, start=1):
                current[component_id].position = position
            s.flush()
            s.expire(row, ["components"])
            mark_duplicates(self.ctx, row.components)
            return dossier_public(s, row, self.ctx.catalogue)

    def thumbnail(self, who: Principal, ref: str, component_id: int, index: int) -> bytes:
        with self.ctx.db.reading() as s:
            row = find_dossier(s, ref, who=who)
            component = find_component(s, row, component_id, ErrorCode.FILE_NOT_FOUND, f"{component_id}/{index}")
            if not 0 <= index < component.page_count or component.file_info is None:
                raise ServiceError(ErrorCode.FILE_NOT_FOUND, f"{component_id}/{index}")
            key, info, rotation = component.object_key, FileInfo.from_dict(component.file_info), component.rotation
        with self.ctx.store.open(key) as stream:
            data = stream.read()
        return page_thumbnail(data, info, index, rotation=rotation or 0)

    def checklist(self, who: Principal, ref: str) -> schemas.ChecklistPublic:
        with self.ctx.db.reading() as s:
            row = find_dossier(s, ref, who=who)
            items = self.items(row)
        return checklist_public(items)

    def _document(self, row: DossierRow, name: str) -> str | None:
        """A required document's name as the catalogue spells it; '' forgets the clerk's word."""
        if not name:
            return None
        procedure = self.ctx.catalogue.get(row.procedure_code)
        names = [d.name for d in procedure.required_documents] if procedure else []
        if name not in names:
            raise ServiceError(ErrorCode.INVALID_REQUEST, f"declared_document: {name}")
        return name

    def items(self, row: DossierRow) -> list[ChecklistItem]:
        """The procedure's required documents, each present or not: by the kinds of the pages,
        and by the clerk's word on a file (a document no reader recognises)."""
        procedure = self.ctx.catalogue.get(row.procedure_code)
        if procedure is None:
            raise ServiceError(ErrorCode.PROCEDURE_UNKNOWN, row.procedure_code)
        keys = {d.name: document_key(d) for d in procedure.required_documents}
        return checklist(procedure, page_kinds(row.components, keys))

    @staticmethod
    def _public(row: DossierRow, component: ComponentRow) -> schemas.ComponentPublic:
        return component_public(component, first_number=first_numbers(row.components)[component.id])


def checklist_public(items: list[ChecklistItem]) -> schemas.ChecklistPublic:
    return schemas.ChecklistPublic(
        items=[
            schemas.ChecklistItemPublic(
                name=item.document.name,
                required=item.document.required,
                kinds=list(item.document.kinds),
                present=item.present,
                pages=list(item.pages),
            )
            for item in items
        ],
        missing=missing_documents(items),
    )


def existing_component(s: Session, dossier_id: int, sha256: str) -> ComponentRow | None:
    return s.scalar(
        select(ComponentRow).where(ComponentRow.dossier_id == dossier_id, ComponentRow.file_sha256 == sha256)
    )
