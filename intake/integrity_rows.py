"""The database side of the integrity check: every reference between rows resolves (the
foreign keys say so, but a partial restore, a manual edit or a dump taken with them off can
break them), and every page of a dossier that was read has its reading."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, func, literal, or_, select
from sqlalchemy.orm import InstrumentedAttribute, aliased

from intake.integrity_core import Code, Scope
from intake.records import HANDED_OVER
from models.dossier import ProcessingState
from storage.tables import (
    AgencyRow,
    ComponentRow,
    DossierRow,
    FieldRow,
    JobRow,
    PageResultRow,
    PageRow,
    ReviewEditRow,
    ServicePointRow,
    StatusReportRow,
    SupplementRequestRow,
)


@dataclass(frozen=True, slots=True)
class Relation:
    """`reference` (a column of one table) must name an existing `target`; `dossier` is the
    column that says which dossier the row belongs to, where the row has one."""

    row_id: InstrumentedAttribute
    reference: InstrumentedAttribute
    target: InstrumentedAttribute
    dossier: InstrumentedAttribute | None = None


RELATIONS = (
    Relation(DossierRow.id, DossierRow.service_point_code, ServicePointRow.code, DossierRow.id),
    Relation(DossierRow.id, DossierRow.agency_code, AgencyRow.code, DossierRow.id),
    Relation(ComponentRow.id, ComponentRow.dossier_id, DossierRow.id, ComponentRow.dossier_id),
    Relation(PageRow.id, PageRow.component_id, ComponentRow.id),
    Relation(JobRow.id, JobRow.dossier_id, DossierRow.id, JobRow.dossier_id),
    Relation(JobRow.id, JobRow.page_id, PageRow.id, JobRow.dossier_id),
    Relation(FieldRow.id, FieldRow.component_id, ComponentRow.id),
    Relation(ReviewEditRow.id, ReviewEditRow.field_id, FieldRow.id),
    Relation(StatusReportRow.id, StatusReportRow.dossier_id, DossierRow.id, StatusReportRow.dossier_id),
    Relation(SupplementRequestRow.id, SupplementRequestRow.dossier_id, DossierRow.id, SupplementRequestRow.dossier_id),
)


def _column_name(column: InstrumentedAttribute) -> str:
    return f"{column.class_.__tablename__}.{column.key}"


def check_references(scope: Scope) -> None:
    """Rows whose reference names no row (with one dossier: that dossier's rows that say so)."""
    for relation in RELATIONS:
        if scope.dossier_id is not None and relation.dossier is None:
            continue
        _dangling(scope, relation)
        scope.progress("references", RELATIONS.index(relation) + 1, len(RELATIONS))


def _dangling(scope: Scope, relation: Relation) -> None:
    target_entity = aliased(relation.target.class_)
    target = getattr(target_entity, relation.target.key)
    owner = aliased(DossierRow)
    query = (
        select(relation.row_id, relation.reference, owner.code if relation.dossier is not None else literal(None))
        .select_from(relation.row_id.class_)
        .outerjoin(target_entity, relation.reference == target)
        .where(relation.reference.is_not(None), target.is_(None))
        .order_by(relation.row_id)
    )
    if relation.dossier is not None:
        query = query.outerjoin(owner, relation.dossier == owner.id)
        if scope.dossier_id is not None:
            query = query.where(relation.dossier == scope.dossier_id)
    for rows in scope.batches(query, lambda last: query.where(relation.row_id > last[0])):
        for row_id, value, code in rows:
            scope.add(
                Code.DANGLING_REFERENCE,
                dossier=code,
                table=relation.row_id.class_.__tablename__,
                row=row_id,
                target=_column_name(relation.target),
                value=value,
            )
    scope.report.checked["references"] += 1


# A dossier in these states was read: each of its pages has a result.
READ = (
    ProcessingState.NEEDS_REVIEW.value,
    ProcessingState.SENT_BACK.value,
    ProcessingState.APPROVING.value,
    *HANDED_OVER,
)
# ...and in these a reviewer works on it: a result of an older pipeline version is not shown.
IN_REVIEW = (ProcessingState.NEEDS_REVIEW.value, ProcessingState.SENT_BACK.value)


def check_page_results(scope: Scope) -> None:
    """A page of a dossier that was read has a result (a warning when none at all; a note when
    a dossier in review has only results of an older pipeline version)."""
    current = exists().where(
        PageResultRow.page_key == PageRow.page_key, PageResultRow.pipeline_version == scope.version
    )
    any_version = exists().where(PageResultRow.page_key == PageRow.page_key)
    base = (
        select(PageRow.id)
        .join(ComponentRow, ComponentRow.id == PageRow.component_id)
        .join(DossierRow, DossierRow.id == ComponentRow.dossier_id)
        .where(DossierRow.state.in_(READ))
    )
    if scope.dossier_id is not None:
        base = base.where(DossierRow.id == scope.dossier_id)
    with scope.db.reading() as s:
        scope.report.checked["pages"] += s.scalar(select(func.count()).select_from(base.subquery())) or 0
    query = (
        base.add_columns(PageRow.index, PageRow.component_id, DossierRow.code, any_version.label("read"))
        .where(or_(~any_version, ~current & DossierRow.state.in_(IN_REVIEW)))
        .order_by(PageRow.id)
    )
    for rows in scope.batches(query, lambda last: query.where(PageRow.id > last.id)):
        for row in rows:
            _report_page(scope, row)
    scope.progress("pages", scope.report.checked["pages"], scope.report.checked["pages"])


def _report_page(scope: Scope, row: Any) -> None:
    code = Code.PAGE_RESULT_OUTDATED if row.read else Code.PAGE_RESULT_MISSING
    scope.add(code, dossier=row.code, index=row.index, component=row.component_id)
