"""Routes of issue 18 (filled in by its work)."""

from __future__ import annotations

from fastapi import APIRouter


def handover_routes(router: APIRouter) -> None:
    """Adds this module's routes to the /api/v1 router."""
