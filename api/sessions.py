"""Staff sign-in for the browser screens: POST, GET and DELETE /session, and the cookie's principal.

The session lives in the cookie `sohoa_session` (HttpOnly, SameSite=Strict, Path=/, Secure
over HTTPS or when `settings.staff.secure_cookies`); its CSRF token comes in the JSON answer
of POST and GET /session, and every POST, PUT, PATCH and DELETE made with the cookie must
send it back in `X-CSRF-Token`. Machine clients keep `X-API-Key` (no cookie, no CSRF token).
The rules behind it are `intake.staff.StaffAccounts`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from api.errors import error_response
from intake import schemas
from intake.auth import Principal
from intake.errors import ServiceError
from intake.service import IntakeService
from intake.staff import AccountLocked, SessionView
from models.errors import ErrorCode

COOKIE = "sohoa_session"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _service(request: Request) -> IntakeService:
    return request.app.state.service


def _public(view: SessionView) -> schemas.SessionPublic:
    return schemas.SessionPublic(
        username=view.username,
        full_name=view.full_name,
        role=view.role,
        service_point=view.service_point,
        service_point_name=view.service_point_name,
        csrf_token=view.csrf_token,
        expires_at=view.expires_at,
    )


def _secure(request: Request, service: IntakeService) -> bool:
    return request.url.scheme == "https" or service.ctx.settings.staff.secure_cookies is True


def _set_cookie(response: Response, request: Request, service: IntakeService, token: str) -> None:
    # No Max-Age: the cookie ends with the browser; the server ends the session before that.
    response.set_cookie(COOKIE, token, path="/", httponly=True, samesite="strict", secure=_secure(request, service))


def _clear_cookie(response: Response, request: Request, service: IntakeService) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=_secure(request, service))


def _same_origin(request: Request) -> None:
    """A sign-in posted from another site's page (login CSRF) is refused: browsers send Origin with it."""
    origin = request.headers.get("origin")
    if origin is None:
        return
    if urlsplit(origin).netloc.lower() != request.headers.get("host", "").lower():
        raise ServiceError(ErrorCode.CSRF_INVALID, "origin")


def session_principal(request: Request, service: IntakeService) -> Principal | None:
    """Who the session cookie signs in: None without a cookie; SESSION_EXPIRED for a cookie
    whose session has ended; CSRF_INVALID for a state-changing request without its token."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    view = service.staff.session(token)
    if request.method in UNSAFE_METHODS:
        service.staff.check_csrf(token, request.headers.get(CSRF_HEADER))
    return view.principal


def session_routes(router: APIRouter) -> None:
    @router.post("/session", tags=["session"], response_model=schemas.SessionPublic)
    def sign_in(body: schemas.SignIn, request: Request, response: Response) -> schemas.SessionPublic | JSONResponse:
        """Đăng nhập: đặt cookie phiên, trả mã CSRF. Sai nhiều lần liền: phải chờ (429, Retry-After)."""
        service = _service(request)
        _same_origin(request)
        try:
            signed = service.staff.sign_in(body.username, body.password, request.cookies.get(COOKIE))
        except AccountLocked as exc:
            locked = error_response(exc.code, exc.detail)
            locked.headers["Retry-After"] = str(exc.retry_after)
            return locked
        _set_cookie(response, request, service, signed.token)
        return _public(signed.session)

    @router.get("/session", tags=["session"], response_model=schemas.SessionPublic)
    def current(request: Request) -> schemas.SessionPublic | JSONResponse:
        """Phiên đang đăng nhập (và mã CSRF của nó); tính lại thời gian chờ."""
        service = _service(request)
        token = request.cookies.get(COOKIE)
        if not token:
            raise ServiceError(ErrorCode.AUTH_REQUIRED)
        try:
            return _public(service.staff.session(token, touch=True))
        except ServiceError as exc:
            ended = error_response(exc.code, exc.detail)
            _clear_cookie(ended, request, service)
            return ended

    @router.delete("/session", tags=["session"], status_code=204, response_class=Response)
    def sign_out(request: Request) -> Response:
        """Đăng xuất (cần X-CSRF-Token): các hồ sơ đang mở kiểm tra được trả lại hàng chờ. Phiên
        đã hết hạn: vẫn 204, cookie được xóa."""
        service = _service(request)
        token = request.cookies.get(COOKIE)
        view = None
        if token:
            try:
                view = service.staff.session(token)
            except ServiceError:
                token = None  # already ended: nothing left to protect
        if token and view is not None:
            service.staff.check_csrf(token, request.headers.get(CSRF_HEADER))
            if service.staff.sign_out(token):
                service.review_queue.release_claims(view.username)  # the dossiers left open are free for others
        response = Response(status_code=204)
        _clear_cookie(response, request, service)
        return response
