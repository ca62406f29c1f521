"""The staff's screens, served by `sohoa serve` itself: sign-in (/signin), the counter screen
"Tiếp nhận hồ sơ" (/quay), the reviewer's screen "Kiểm tra hồ sơ" (/kiem-tra: the queue;
/kiem-tra/{code}: one dossier) and the leaders' "Bảng chỉ số" (/bang-chi-so, api/web/dashboard.py).

Plain HTML, the project's own JavaScript modules and CSS under api/web/static/, served from
/static/: nothing is loaded from another host (the Content-Security-Policy says so too).
The pages hold no personal data; they fetch it from the JSON API with the session cookie,
and send the session's CSRF token with every state-changing request.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from api.sessions import COOKIE as SESSION_COOKIE
from api.sessions import session_principal
from intake.auth import Role
from intake.errors import ServiceError

STATIC_DIR = Path(__file__).parent / "static"
# Each role's screen; the page checks the session again itself (GET /api/v1/session).
HOME_BY_ROLE = {
    Role.COUNTER: "/quay",
    Role.REVIEWER: "/kiem-tra",
    Role.SUPERVISOR: "/bang-chi-so",  # the center's leaders: the dashboard, with a link to /kiem-tra
    Role.ADMIN: "/kiem-tra",
}

# Only this origin: scripts, styles, images (thumbnails; blob: previews), the receipt in a frame.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "frame-src 'self' blob:",  # the receipt PDF, printed from a hidden frame
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
# The review screen's viewer (OpenSeadragon, vendored) adds one fixed style element of its own;
# it alone is allowed, by its hash: nothing else inline.
VIEWER_STYLE = "'sha256-9xTiqzfwFaL2SGb1rmr8gysEwVVjIvqWAgmZgqFqpEE='"
REVIEW_PAGE_HEADERS = {
    **PAGE_HEADERS,
    "Content-Security-Policy": CONTENT_SECURITY_POLICY.replace("style-src 'self'", f"style-src 'self' {VIEWER_STYLE}"),
}


class _Assets(StaticFiles):
    """The screens' scripts and styles: checked again on every load (an upgrade is seen at once)."""

    def file_response(
        self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def _page(name: str, headers: dict[str, str] = PAGE_HEADERS) -> FileResponse:
    return FileResponse(STATIC_DIR / name, media_type="text/html; charset=utf-8", headers=headers)


def _home(request: Request) -> str:
    """The signed-in user's screen, else the sign-in page."""
    if not request.cookies.get(SESSION_COOKIE):
        return "/signin"
    try:
        who = session_principal(request, request.app.state.service)
    except ServiceError:  # ended: sign in again
        return "/signin"
    return HOME_BY_ROLE.get(who.role, "/signin") if who else "/signin"


def install_web(app: FastAPI) -> None:
    """Mount /static and the pages GET /, /signin, /quay, /kiem-tra and /kiem-tra/{code} on `app`."""
    app.mount("/static", _Assets(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    def home(request: Request) -> Response:
        return RedirectResponse(_home(request), status_code=303, headers={"Cache-Control": "no-store"})

    @app.get("/signin", include_in_schema=False)
    def signin() -> FileResponse:
        return _page("signin.html")

    @app.get("/quay", include_in_schema=False)
    def counter_screen() -> FileResponse:
        return _page("quay.html")

    @app.get("/kiem-tra", include_in_schema=False)
    def review_queue() -> FileResponse:
        return _page("kiemtra.html", REVIEW_PAGE_HEADERS)

    @app.get("/kiem-tra/{code}", include_in_schema=False)
    def review_dossier(code: str) -> FileResponse:  # noqa: ARG001 - the page reads it from its URL
        return _page("kiemtra.html", REVIEW_PAGE_HEADERS)
