"""HTTP statuses for the service's stable error codes, and one error shape for every answer:
`{"code", "message" (Vietnamese), "message_en"}` — the framework's own 404, 405 and 422 included."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from intake.errors import ServiceError
from models.errors import ErrorCode
from storage.db import DatabaseUnavailable
from storage.objects import ObjectNotFound, StorageUnavailable

log = logging.getLogger(__name__)

HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.AUTH_REQUIRED: 401,
    ErrorCode.AUTH_INVALID: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.INVALID_CURSOR: 400,
    ErrorCode.DOSSIER_NOT_FOUND: 404,
    ErrorCode.FIELD_NOT_FOUND: 404,
    ErrorCode.FILE_NOT_FOUND: 404,
    ErrorCode.ROUTE_NOT_FOUND: 404,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.DOSSIER_NOT_EDITABLE: 409,
    ErrorCode.DOSSIER_NOT_READY: 409,
    ErrorCode.FIELDS_UNRESOLVED: 409,
    ErrorCode.IDEMPOTENCY_KEY_REUSED: 409,
    ErrorCode.FILE_TOO_LARGE: 413,
    ErrorCode.IMAGE_TOO_LARGE: 413,
    ErrorCode.TOO_MANY_PAGES: 413,
    ErrorCode.UNSUPPORTED_TYPE: 415,
    ErrorCode.TYPE_MISMATCH: 415,
    ErrorCode.INTERNAL: 500,
    ErrorCode.MODEL_INVALID: 500,
    ErrorCode.STORAGE_UNAVAILABLE: 503,
    ErrorCode.DATABASE_UNAVAILABLE: 503,
}
DEFAULT_STATUS = 422  # the request or its file cannot be used as sent


def http_status(code: ErrorCode) -> int:
    return HTTP_STATUS.get(code, DEFAULT_STATUS)


def error_response(code: ErrorCode, detail: str = "") -> JSONResponse:
    return JSONResponse(ServiceError(code, detail).body(), status_code=http_status(code))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(_request: Request, exc: ServiceError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=http_status(exc.code))

    @app.exception_handler(StarletteHTTPException)
    async def _framework_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return error_response(ErrorCode.ROUTE_NOT_FOUND, request.url.path[:200])
        if exc.status_code == 405:
            return error_response(ErrorCode.METHOD_NOT_ALLOWED, request.method)
        body = ServiceError(ErrorCode.INVALID_REQUEST, str(exc.detail)[:200]).body()
        return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        where = "; ".join(".".join(str(p) for p in e["loc"][1:]) or "body" for e in exc.errors()[:5])
        body: dict = ServiceError(ErrorCode.INVALID_REQUEST, where).body()
        body["errors"] = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()[:20]]
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

    app.add_exception_handler(OperationalError, _db_down)
    app.add_exception_handler(DatabaseUnavailable, _db_down)
    app.add_exception_handler(DBAPIError, _db_down)
