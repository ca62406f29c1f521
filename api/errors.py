"""HTTP statuses for the service's stable error codes, and one error shape for every answer:
`{"code", "message" (Vietnamese), "message_en", "request_id"}` — the framework's own 404, 405
and 422 included, and a fault of the program (500 INTERNAL, its traceback only in the log)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.logs import current_request
from intake.errors import ServiceError
from intake.schemas import unsafe_character
from models.errors import ErrorCode
from storage.db import DatabaseUnavailable
from storage.objects import ObjectNotFound, StorageUnavailable

log = logging.getLogger(__name__)

HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.AUTH_REQUIRED: 401,
    ErrorCode.AUTH_INVALID: 401,
    ErrorCode.SIGNIN_FAILED: 401,
    ErrorCode.SESSION_EXPIRED: 401,
    ErrorCode.ACCOUNT_LOCKED: 429,
    ErrorCode.CSRF_INVALID: 403,
    ErrorCode.USER_UNKNOWN: 404,
    ErrorCode.USER_EXISTS: 409,
    ErrorCode.COMPONENTS_MISSING: 409,
    ErrorCode.NO_OPEN_DOSSIER: 409,
    ErrorCode.APPLICANT_MISSING: 409,
    ErrorCode.DOSSIER_CLAIMED: 409,
    ErrorCode.FIELD_STALE: 409,
    ErrorCode.QUEUE_EMPTY: 404,
    ErrorCode.TOO_MANY_REQUESTS: 429,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.INVALID_CURSOR: 400,
    ErrorCode.DOSSIER_NOT_FOUND: 404,
    ErrorCode.FIELD_NOT_FOUND: 404,
    ErrorCode.FILE_NOT_FOUND: 404,
    ErrorCode.WEBHOOK_NOT_FOUND: 404,
    ErrorCode.ROUTE_NOT_FOUND: 404,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.DOSSIER_NOT_EDITABLE: 409,
    ErrorCode.DOSSIER_NOT_READY: 409,
    ErrorCode.FIELDS_UNRESOLVED: 409,
    ErrorCode.APPROVAL_IN_PROGRESS: 409,
    ErrorCode.STATUS_ORDER_NOT_ALLOWED: 409,
    ErrorCode.IDEMPOTENCY_KEY_REUSED: 409,
    ErrorCode.DOSSIER_NOT_REOPENABLE: 409,
    ErrorCode.PACKAGE_TAMPERED: 409,
    ErrorCode.FILE_TOO_LARGE: 413,
    ErrorCode.REQUEST_TOO_LARGE: 413,
    ErrorCode.IMAGE_TOO_LARGE: 413,
    ErrorCode.TOO_MANY_PAGES: 413,
    ErrorCode.UNSUPPORTED_TYPE: 415,
    ErrorCode.TYPE_MISMATCH: 415,
    ErrorCode.INTERNAL: 500,
    ErrorCode.MODEL_INVALID: 500,
    ErrorCode.STORAGE_UNAVAILABLE: 503,
    ErrorCode.DATABASE_UNAVAILABLE: 503,
    ErrorCode.SIGNING_UNAVAILABLE: 503,
}
DEFAULT_STATUS = 422  # the request or its file cannot be used as sent


def http_status(code: ErrorCode) -> int:
    return HTTP_STATUS.get(code, DEFAULT_STATUS)


MAX_ECHO = 120  # characters of the request an error repeats (a value, a path, a field's place)


def echo(text: object, limit: int = MAX_ECHO) -> str:
    """What an error may repeat of the request: printable (no control, surrogate or direction
    character) and at most `limit` characters, so a 1 MB value is never sent back."""
    shown = "".join(ch for ch in str(text)[: limit + 1] if unsafe_character(ch) is None)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def error_body(code: ErrorCode, detail: str = "") -> dict:
    """The one error shape, with the id of the request it answers (also its X-Request-ID
    header and on its log lines): what a clerk reads out to support."""
    body: dict = ServiceError(code, echo(detail, 4 * MAX_ECHO)).body()
    request = current_request()
    body["request_id"] = request.request_id if request is not None else None
    if request is not None:
        request.error_code = str(code)  # counted by the HTTP metrics (refused uploads by code)
    return body


def error_response(code: ErrorCode, detail: str = "") -> JSONResponse:
    return JSONResponse(error_body(code, detail), status_code=http_status(code))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(_request: Request, exc: ServiceError) -> JSONResponse:
        response = error_response(exc.code, exc.detail)
        if exc.extra:  # e.g. FIELD_STALE's current field: what the caller must look at again
            response = JSONResponse({**error_body(exc.code, exc.detail), **exc.extra}, status_code=response.status_code)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def _framework_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return error_response(ErrorCode.ROUTE_NOT_FOUND, echo(request.url.path))
        if exc.status_code == 405:
            return error_response(ErrorCode.METHOD_NOT_ALLOWED, echo(request.method, 16))
        # 400: a body that cannot be parsed (malformed or too deep JSON, invalid UTF-8, broken multipart).
        body = error_body(ErrorCode.INVALID_REQUEST, "body" if exc.status_code == 400 else "")
        return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()[:10]
        places = [[p if isinstance(p, int) else echo(p, 40) for p in e["loc"][:8]] for e in errors]
        where = "; ".join(".".join(str(p) for p in place[1:]) or "body" for place in places[:5])
        body = error_body(ErrorCode.INVALID_REQUEST, where)
        body["errors"] = [{"loc": place, "msg": echo(e["msg"], 200)} for place, e in zip(places, errors, strict=True)]
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StorageUnavailable)
    async def _storage_down(_request: Request, exc: StorageUnavailable) -> JSONResponse:
        log.error("object storage unavailable: %s", exc)
        return error_response(ErrorCode.STORAGE_UNAVAILABLE)

    @app.exception_handler(ObjectNotFound)
    async def _object_missing(_request: Request, exc: ObjectNotFound) -> JSONResponse:
        log.error("object missing from storage: %s", exc)
        return error_response(ErrorCode.STORAGE_UNAVAILABLE)

    async def _db_down(_request: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, DBAPIError) and not isinstance(exc, OperationalError) and not exc.connection_invalidated:
            raise exc
        log.error("database unavailable: %s", type(exc).__name__)
        return error_response(ErrorCode.DATABASE_UNAVAILABLE)

    @app.exception_handler(Exception)
    async def _fault(_request: Request, exc: Exception) -> JSONResponse:
        # Starlette's last resort (ServerErrorMiddleware): the traceback goes to the log, with the
        # request id the answer carries; the caller gets the error shape, nothing of the fault.
        log.error("internal error: %s", type(exc).__name__, exc_info=exc)
        return error_response(ErrorCode.INTERNAL)

    app.add_exception_handler(OperationalError, _db_down)
    app.add_exception_handler(DatabaseUnavailable, _db_down)
    app.add_exception_handler(DBAPIError, _db_down)
