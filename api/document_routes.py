"""A reviewer's fixes to the documents of a file: kinds, split, merge, page rotation (issue 16).
Filled in by intake/documents.py's routes."""

from __future__ import annotations

from fastapi import APIRouter


def document_routes(router: APIRouter) -> None:
    """Register the document-fix routes on `router` (under /api/v1)."""
