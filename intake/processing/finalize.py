"""A dossier whose last page job has ended: its files' kinds and fields from the page results,
then it waits for review, or for attention when a page could not be read."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.processing.jobs import JobState
from models.document import PageText, Source
from models.dossier import ProcessingState
from pipeline.config import ReadingConfig
from pipeline.errors import InputRefused
from pipeline.reader import interpret_files
from storage.tables import ComponentRow, DossierRow, FieldRow, JobRow, PageResultRow, PageRow


def describe_failure(error: BaseException) -> str:
    """What a person reads in the dossier's attention reason: the root cause, not Ray's wrapper."""
    cause = getattr(error, "cause", None) or error  # RayTaskError carries the worker's exception
    if isinstance(cause, InputRefused):
        return f"{cause.code}: {cause.message_vi}"
    first_line = (str(cause).strip().splitlines() or [""])[0]
    return f"{type(cause).__name__}: {first_line[:300]}"


def finalize_dossier(s: Session, dossier: DossierRow, reading_config: ReadingConfig, version: str, today: date) -> None:
    """Kind and fields of every component from its pages' results; then the dossier waits for
    review, or for attention if a page could not be read. Reviewed fields are never touched."""
    failed = s.execute(
        select(JobRow.last_error, PageRow.index, ComponentRow.filename)
        .join(PageRow, PageRow.id == JobRow.page_id)
        .join(ComponentRow, ComponentRow.id == PageRow.component_id)
        .where(JobRow.dossier_id == dossier.id, JobRow.state == JobState.FAILED.value)
    ).all()
    # All files at once: a form is checked against the card in another file of the dossier.
    files, components = [], []
    for component in dossier.components:
        pages = []
        for page in component.pages:
            result = s.get(PageResultRow, (page.page_key, version))
            if result is not None:
                pages.append(PageText.from_dict(result.result))
        if pages:
            files.append((component.filename, pages))
            components.append(component)
    for component, reading in zip(components, interpret_files(files, reading_config, today), strict=True):
        component.kind = str(reading.kind)
        component.parts = [
            {"kind": str(c.kind), "confidence": c.confidence, "pages": list(c.pages)} for c in reading.parts
        ]
        existing = {(f.part, f.name): f for f in component.fields}
        for part, found_fields in enumerate(c.fields for c in reading.parts):
            for name, found in found_fields.items():
                row = existing.get((part, name))
                if row is not None and Source.REVIEWER in (row.sources or []):
                    continue  # a reviewer's value is final
                if row is None:
                    row = FieldRow(name=name, part=part)
                    component.fields.append(row)
                row.value, row.confidence, row.page = found.value, found.confidence, found.page
                row.box, row.status = list(found.box), str(found.status)
                row.sources, row.reason, row.detail = list(found.sources), found.reason, found.detail
    if failed:
        dossier.state = ProcessingState.NEEDS_ATTENTION.value
        dossier.attention_reason = "; ".join(f"{name} trang {index + 1}: {err}" for err, index, name in failed)
    else:
        dossier.state = ProcessingState.NEEDS_REVIEW.value
        dossier.attention_reason = None
