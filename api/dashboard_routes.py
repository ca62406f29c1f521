"""The leaders' dashboard (Bảng chỉ số), role `supervisor`: indicators per service point and
city-wide for a period, and their CSV/XLSX export. Placeholder until the dashboard lands (issue 17)."""

from __future__ import annotations

from fastapi import APIRouter


def dashboard_routes(router: APIRouter) -> None:
    """The dashboard's JSON and export routes under /api/v1/dashboard."""
