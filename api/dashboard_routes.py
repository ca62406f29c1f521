"""The leaders' dashboard (Bảng chỉ số), role `supervisor` (and admin): the indicators per
service point and city-wide for a period, and their CSV/XLSX export. The figures and their
definitions are `intake.indicators` and docs/INDICATORS.md.

The answers hold counts and durations, no personal data: they are not written to the access
log (which records who saw which dossier); each export is logged with who made it."""

from __future__ import annotations

import logging
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from api.boundary import content_disposition
from api.deps import Service, require
from intake import schemas
from intake.auth import Principal, Role
from intake.indicators_export import filename, to_csv, to_xlsx
from intake.indicators_schemas import DashboardPublic

log = logging.getLogger(__name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Supervisor = Annotated[Principal, Depends(require(Role.SUPERVISOR))]
First = Annotated[
    date | None,
    Query(alias="from", description="First day (YYYY-MM-DD, Vietnam calendar), inclusive; default: the 1st."),
]
Last = Annotated[date | None, Query(alias="to", description="Last day, inclusive; default: today.")]
Point = Annotated[
    str | None,
    Query(max_length=64, pattern=schemas.NO_CONTROLS, description="One service point's code; default: every one."),
]


def dashboard_routes(router: APIRouter) -> None:
    """The dashboard's JSON and export routes under /api/v1/dashboard."""

    @router.get("/dashboard", tags=["dashboard"], response_model=DashboardPublic)
    def dashboard(
        service: Service, _who: Supervisor, first: First = None, last: Last = None, service_point: Point = None
    ) -> DashboardPublic:
        """The indicators of every service point (or of one) and of the city for the period,
        with one entry per day for the charts. A period that ends before it starts or is longer
        than 366 days is 422 INVALID_REQUEST; an unknown point, 422 SERVICE_POINT_UNKNOWN."""
        return service.indicators.dashboard(first, last, service_point or None)

    @router.get(
        "/dashboard/export.csv",
        tags=["dashboard"],
        response_class=Response,
        responses={200: {"content": {"text/csv": {}}}},
    )
    def export_csv(
        service: Service, who: Supervisor, first: First = None, last: Last = None, service_point: Point = None
    ) -> Response:
        """The dashboard as CSV (UTF-8 with BOM): one row per service point, then the city."""
        figures = service.indicators.dashboard(first, last, service_point or None)
        return _download(to_csv(figures), "text/csv; charset=utf-8", filename(figures, "csv"), who)

    @router.get(
        "/dashboard/export.xlsx",
        tags=["dashboard"],
        response_class=Response,
        responses={200: {"content": {XLSX: {}}}},
    )
    def export_xlsx(
        service: Service, who: Supervisor, first: First = None, last: Last = None, service_point: Point = None
    ) -> Response:
        """The dashboard as an Excel workbook: the same rows and numbers as the CSV."""
        figures = service.indicators.dashboard(first, last, service_point or None)
        return _download(to_xlsx(figures), XLSX, filename(figures, "xlsx"), who)


def _download(body: bytes, media_type: str, name: str, who: Principal) -> Response:
    log.info("dashboard export %s by %s", name, who.subject)
    return Response(body, media_type=media_type, headers={"Content-Disposition": content_disposition(name)})
