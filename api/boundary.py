"""The HTTP boundary, before any route runs: a byte cap on every request body, counted while
the body streams in (a chunked upload declares no length) and enforced by no longer reading;
no control character in a path or a query; and download headers that a file's name cannot
break (RFC 6266 / RFC 5987)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response
from intake.filenames import display_filename
from intake.schemas import unsafe_character
from models.errors import ErrorCode

MULTIPART_OVERHEAD = 1 << 16  # part headers and boundaries around an uploaded file


@dataclass(frozen=True, slots=True)
class BodyLimit:
    max_bytes: int
    code: ErrorCode  # FILE_TOO_LARGE for uploads, REQUEST_TOO_LARGE for the rest
    detail: str


class BodyTooLarge(StarletteHTTPException):
    """Raised from `receive` at the first chunk past the cap. An HTTPException, so the framework
    passes it on unchanged from wherever it reads the body (JSON or multipart parsing)."""

    def __init__(self, limit: BodyLimit) -> None:
        super().__init__(status_code=413, detail=limit.detail)
        self.limit = limit


class RequestBoundary:
    """ASGI middleware: `limit_for(scope)` bounds each request's body. A declared length over
    the cap is refused before a byte is read; otherwise the bytes are counted as they arrive
    and the request fails with 413 at the chunk that crosses the cap: nothing after it is read
    or spooled to disk (the server then closes the connection)."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[Scope], BodyLimit]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if (where := _control_characters(scope)) is not None:
            await error_response(ErrorCode.INVALID_REQUEST, f"{where}: ký tự điều khiển")(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = _declared_length(scope)
        if declared is not None and declared > limit.max_bytes:
            await error_response(limit.code, limit.detail)(scope, receive, send)
            return
        received = 0

        async def capped_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit.max_bytes:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, capped_receive, send)


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length" and value.isdigit():
            return int(value)
    return None


def _control_characters(scope: Scope) -> str | None:
    """'path' or 'query' when the decoded path or query holds a NUL or another control character."""
    if unsafe_character(scope.get("path", "")) is not None:
        return "path"
    query = scope.get("query_string", b"").decode("latin-1")
    pairs = parse_qsl(query, keep_blank_values=True, errors="replace")
    if any(unsafe_character(key + value) is not None for key, value in pairs):
        return "query"
    return None


def install_request_boundary(app: FastAPI, limit_for: Callable[[Scope], BodyLimit]) -> None:
    app.add_middleware(RequestBoundary, limit_for=limit_for)

    @app.exception_handler(BodyTooLarge)
    async def _too_large(_request: Request, exc: BodyTooLarge) -> JSONResponse:
        return error_response(exc.limit.code, exc.limit.detail)


def content_disposition(name: str) -> str:
    """`attachment` with the file's display name: a plain ASCII `filename` for old clients and
    the exact name as RFC 5987 `filename*` (UTF-8, percent-encoded): no quote, backslash,
    line break or path can reach the header."""
    shown = display_filename(name)
    fallback = "".join(ch if " " <= ch <= "~" and ch not in '"\\%;' else "_" for ch in shown)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(shown, safe='')}"
