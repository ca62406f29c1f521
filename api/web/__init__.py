"""The clerk's screens, served by `sohoa serve` itself: sign-in (/signin) and the counter
screen "Tiếp nhận hồ sơ" (/quay).

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

STATIC_DIR = Path(__file__).parent / "static"
SESSION_COOKIE = "sohoa_session"

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


class _Assets(StaticFiles):
    """The screens' scripts and styles: checked again on every load (an upgrade is seen at once)."""

    def file_response(
        self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def _page(name: str) -> FileResponse:
    return FileResponse(STATIC_DIR / name, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)


def install_web(app: FastAPI) -> None:
    """Mount /static and the pages GET /, /signin and /quay on `app`."""
    app.mount("/static", _Assets(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    def home(request: Request) -> Response:
        # The counter screen checks the session itself (GET /api/v1/session) and sends an
        # expired one back to /signin; here a cookie is enough to pick the likelier page.
        target = "/quay" if request.cookies.get(SESSION_COOKIE) else "/signin"
        return RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})

    @app.get("/signin", include_in_schema=False)
    def signin() -> FileResponse:
        return _page("signin.html")

    @app.get("/quay", include_in_schema=False)
    def counter_screen() -> FileResponse:
        return _page("quay.html")
