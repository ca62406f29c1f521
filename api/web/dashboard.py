"""The dashboard's page (/bang-chi-so). Placeholder until the dashboard lands (issue 17)."""

from __future__ import annotations

from fastapi import FastAPI


def install_dashboard(app: FastAPI) -> None:
    """The supervisor's page and its static files."""
