"""What every route of the API depends on: the service, the caller (API key or a signed-in
browser's session) with its role, and the bounded path, query and header values. Route modules
(`api/app.py`, `api/review_routes.py`, `api/document_routes.py`) import them from here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from fastapi import Path as PathParam
from fastapi.security import APIKeyHeader

from api.sessions import session_principal
from intake import schemas
from intake.auth import Principal, Role
from intake.errors import ServiceError
from intake.records import ensure_visible
from intake.service import IntakeService
from models.errors import ErrorCode

NO_STORE = {"Cache-Control": "private, no-store"}  # personal data: no shared caches

_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="Khóa truy cập (API key).")


def get_service(request: Request) -> IntakeService:
    return request.app.state.service


Service = Annotated[IntakeService, Depends(get_service)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        pattern=r"^[\x20-\x7e]+$",
        description="Gửi lại cùng mã → nhận lại đúng kết quả lần đầu.",
    ),
]
# Path and query values, bounded where they come in: a number past what the database holds or
# a text with a control character is 422 INVALID_REQUEST, never a database error.
Ref = Annotated[
    str, PathParam(max_length=100, pattern=schemas.NO_CONTROLS, description="Mã hồ sơ hoặc mã định danh (id).")
]
Code = Annotated[str, PathParam(max_length=100, pattern=schemas.NO_CONTROLS, description="Mã hồ sơ.")]
ComponentId = Annotated[int, PathParam(ge=1, le=schemas.MAX_ID)]
PageIndex = Annotated[int, PathParam(ge=0, le=schemas.MAX_PAGE_INDEX)]
FieldName = Annotated[str, PathParam(max_length=64, pattern=schemas.NO_CONTROLS)]
Part = Annotated[int, Query(ge=0, le=schemas.MAX_PART, description="Which document of the file (0: the first).")]
PackageName = Annotated[str, PathParam(max_length=200, pattern=schemas.NO_CONTROLS)]
Username = Annotated[str, PathParam(max_length=128, pattern=schemas.NO_CONTROLS, description="A staff user name.")]


DOSSIER_PARAMS = ("ref", "code")  # the path parameters that name a dossier


def require(*roles: Role) -> Callable[..., Principal]:
    """The caller (an API key, or a signed-in browser's session cookie with its CSRF token on
    every change), its role among `roles` (or admin), and, on a route that names a dossier, one
    the caller may see: another service point's, a draft for a reviewer, another agency's is 404
    as if missing (`intake.records.dossier_scope`), before the route runs."""

    def dependency(request: Request, service: Service, key: Annotated[str | None, Depends(_api_key)]) -> Principal:
        principal = (None if key else session_principal(request, service)) or service.keys.authenticate(key)
        if principal.role not in roles and principal.role != Role.ADMIN:
            raise ServiceError(ErrorCode.FORBIDDEN, principal.role.value)
        for name in DOSSIER_PARAMS:
            if name in request.path_params:
                ensure_visible(service.db, principal, request.path_params[name])
        return principal

    return dependency


Counter = Annotated[Principal, Depends(require(Role.COUNTER))]
Reviewer = Annotated[Principal, Depends(require(Role.REVIEWER, Role.SUPERVISOR))]
Staff = Annotated[Principal, Depends(require(Role.COUNTER, Role.REVIEWER, Role.SUPERVISOR))]
AgencyUser = Annotated[Principal, Depends(require(Role.AGENCY))]
# The portal and online agents; their per-key rate limit is counted by the online routes.
Online = Annotated[Principal, Depends(require(Role.ONLINE))]
