"""Metrics (/metrics, Prometheus) and the request id of every request and log line.
Placeholder until observability lands (issue 17)."""

from __future__ import annotations

from fastapi import FastAPI

from intake.settings import Settings


def install_observability(app: FastAPI, settings: Settings) -> None:
    """Request ids, HTTP metrics and the /metrics route."""
