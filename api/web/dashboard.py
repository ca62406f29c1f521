"""The leaders' dashboard page "Bảng chỉ số" (/bang-chi-so), role `supervisor`: plain HTML, the
project's own JavaScript (charts drawn as SVG by dashboard-charts.js, no chart library) and CSS
under api/web/static/. The page holds no figures; it fetches them from GET /api/v1/dashboard with
the session cookie, and the API refuses any other role (403)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import FileResponse

from api.web import PAGE_HEADERS, STATIC_DIR

PATH = "/bang-chi-so"


def install_dashboard(app: FastAPI) -> None:
    """The supervisor's page (its static files are under /static, mounted by install_web)."""

    @app.get(PATH, include_in_schema=False)
    def dashboard_screen() -> FileResponse:
        return FileResponse(STATIC_DIR / "bangchiso.html", media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)
