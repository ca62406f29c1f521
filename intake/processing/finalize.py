"""A dossier whose last page job has ended: its files' kinds and fields from the page results,
then it waits for review, or for attention when a page could not be read.

The same interpretation runs again when a reviewer fixes the documents of a file (a kind, a
split, a merge: `components.reviewed_parts`, used instead of the reader's split) or turns a page
(its reading is redone). A value a reviewer confirmed or corrected stays if a document of the
same kind still holds its page, moved to that document; otherwise it is dropped (the caller
records which). Every field row that changes gets its version bumped, so a correction made on
the value as it was is refused as stale."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.processing.jobs import JobState
from models.document import DocumentKind, FileReading, PageText, PartReading, Source
from models.dossier import ProcessingState
from pipeline.config import ReadingConfig
from pipeline.errors import InputRefused
from pipeline.reader import FileSplit, interpret_files
from storage.tables import ComponentRow, DossierRow, FieldRow, JobRow, PageResultRow, PageRow

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DroppedField:
    """A reviewer's value no document of its kind holds any more after a re-interpretation."""

    component_id: int
    part: int
    name: str

    def __str__(self) -> str:
        return f"{self.component_id}/{self.part}/{self.name}"


def describe_failure(error: BaseException) -> str:
    """What a person reads in the dossier's attention reason: the root cause, not Ray's wrapper."""
    cause = getattr(error, "cause", None) or error  # RayTaskError carries the worker's exception
    if isinstance(cause, InputRefused):
        return f"{cause.code}: {cause.message_vi}"
    first_line = (str(cause).strip().splitlines() or [""])[0]
    return f"{type(cause).__name__}: {first_line[:300]}"


def finalize_dossier(s: Session, dossier: DossierRow, reading_config: ReadingConfig, version: str, today: date) -> None:
    """Kind and fields of every component from its pages' results (`interpret_dossier`); then
    the dossier waits for review, or for attention if a page could not be read."""
    failed = s.execute(
        select(JobRow.last_error, PageRow.index, ComponentRow.filename)
        .join(PageRow, PageRow.id == JobRow.page_id)
        .join(ComponentRow, ComponentRow.id == PageRow.component_id)
        .where(JobRow.dossier_id == dossier.id, JobRow.state == JobState.FAILED.value)
    ).all()
    dropped = interpret_dossier(s, dossier, reading_config, version, today)
    if dropped:  # field names and places only: no personal data in logs
        log.info("dossier %s: reviewer values no longer on a document of their kind: %s", dossier.code, dropped)
    if failed:
        dossier.state = ProcessingState.NEEDS_ATTENTION.value
        dossier.attention_reason = "; ".join(f"{name} trang {index + 1}: {err}" for err, index, name in failed)
    else:
        dossier.state = ProcessingState.NEEDS_REVIEW.value
        dossier.attention_reason = None


def interpret_dossier(
    s: Session, dossier: DossierRow, reading_config: ReadingConfig, version: str, today: date
) -> list[DroppedField]:
    """Documents and fields of every file of `dossier` that has a page read, all files at once
    (a form is checked against the card in another file), each file split as its reviewer said
    (`reviewed_parts`) or else as the reader finds. Reviewer values kept as the module says;
    returns the ones dropped."""
    files: list[tuple[str, list[PageText]]] = []
    components: list[ComponentRow] = []
    splits: list[FileSplit | None] = []
    for component in dossier.components:
        pages = []
        for page in component.pages:
            result = s.get(PageResultRow, (page.page_key, version))
            if result is not None:
                pages.append(PageText.from_dict(result.result))
        if pages:
            files.append((component.filename, pages))
            components.append(component)
            splits.append(reviewed_split(component))
    dropped: list[DroppedField] = []
    for component, reading in zip(components, interpret_files(files, reading_config, today, splits), strict=True):
        dropped += apply_reading(s, component, reading)
    return dropped


def reviewed_split(component: ComponentRow) -> FileSplit | None:
    """The reviewer's documents of a file, as the reader takes them; None: the reader splits it."""
    if not component.reviewed_parts:
        return None
    return [(DocumentKind(part["kind"]), [int(i) for i in part["pages"]]) for part in component.reviewed_parts]


def apply_reading(s: Session, component: ComponentRow, reading: FileReading) -> list[DroppedField]:
    """Store a file's new reading: its kind, its documents and their fields. Reviewer values are
    kept (moved to the document of their kind that holds their page) or dropped; every other
    field row is replaced by what the reading found, or deleted when it found nothing there."""
    kept, dropped = _place_reviewed(component, reading.parts)
    plain = {(f.part, f.name): f for f in component.fields if not _reviewed(f)}
    found = {(i, name): value for i, part in enumerate(reading.parts) for name, value in part.fields.items()}
    gone = dropped + [row for key, row in plain.items() if key not in found or key in kept]
    for row in gone:  # deleted first: a kept row may move onto the place one of them held
        component.fields.remove(row)
    s.flush()
    moving = [(key, row) for key, row in kept.items() if row.part != key[0]]
    for n, (_key, row) in enumerate(moving):  # off any place another row may still hold
        row.part = -1 - n
    s.flush()
    for (part, _name), row in moving:
        row.part = part
        row.version = (row.version or 1) + 1
    for (part, name), value in found.items():
        if (part, name) in kept:
            continue  # a reviewer's value is final
        existing = plain.get((part, name))
        row = existing if existing is not None else FieldRow(name=name, part=part, version=1)
        if existing is None:
            component.fields.append(row)
        before = _snapshot(row)
        row.value, row.confidence, row.page = value.value, value.confidence, value.page
        row.box, row.status = list(value.box), str(value.status)
        row.sources, row.reason, row.detail = list(value.sources), value.reason, value.detail
        if row.id is not None and _snapshot(row) != before:
            row.version = (row.version or 1) + 1
    component.kind = str(reading.kind)
    component.parts = [{"kind": str(p.kind), "confidence": p.confidence, "pages": list(p.pages)} for p in reading.parts]
    s.flush()
    return [DroppedField(component.id, row.part, row.name) for row in dropped]


def _reviewed(row: FieldRow) -> bool:
    return Source.REVIEWER.value in (row.sources or [])


def _place_reviewed(
    component: ComponentRow, parts: Sequence[PartReading]
) -> tuple[dict[tuple[int, str], FieldRow], list[FieldRow]]:
    """Where each reviewer value goes in the new documents ({(part, name): row}), and the ones
    no document of their kind holds. Of two values of one name that land in one document, the
    one of the earlier document stays."""
    old_parts = component.parts or []
    kept: dict[tuple[int, str], FieldRow] = {}
    dropped: list[FieldRow] = []
    for row in sorted((f for f in component.fields if _reviewed(f)), key=lambda f: (f.part, f.id)):
        target = _reviewed_target(row, old_parts, parts)
        if target is None or (target, row.name) in kept:
            dropped.append(row)
        else:
            kept[(target, row.name)] = row
    return kept, dropped


def _reviewed_target(row: FieldRow, old_parts: list[dict], parts: Sequence[PartReading]) -> int | None:
    """The new document of a reviewer value: the one of its old document's kind holding its
    page (a value typed where the reading found none has no box: its old document's first page),
    unless that document's reading has the field on another of its pages: the value was about
    another place (two forms merged into one: the second one's name is not the first one's)."""
    if not 0 <= row.part < len(old_parts):
        # Typed for a document the stored reading never had: it stays where it was typed.
        return row.part if row.part < len(parts) else None
    old = old_parts[row.part]
    box = row.box or [0, 0, 0, 0]
    placed = box[2] > box[0]
    page = row.page if placed or not old.get("pages") else old["pages"][0]
    for index, part in enumerate(parts):
        if str(part.kind) == old.get("kind") and page in part.pages:
            read = part.fields.get(row.name)
            return None if placed and read is not None and read.page != page else index
    return None


def _snapshot(row: FieldRow) -> tuple:
    return (
        row.value,
        row.confidence,
        row.page,
        list(row.box or []),
        row.status,
        list(row.sources or []),
        row.reason,
        row.detail,
    )
