"""The online channel (tag "online"): the public-service portal and accredited online agents
submit a dossier with its files in one idempotent call, and follow their own dossiers.

Each online key has its own rate limit (`intake.online.OnlineIntake.admit`): past it, 429
TOO_MANY_REQUESTS with Retry-After."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse

from api.deps import Code, IdempotencyKey, Online, Service
from api.errors import error_body, error_response
from intake.auth import Principal
from intake.online import MISSING_KEY, RateLimited
from intake.online_schemas import OnlineDossierCreate, OnlineDossierPublic, OnlineStatusPublic
from intake.service import IntakeService
from models.errors import ErrorCode

MAX_DOSSIER_JSON = 64 * 1024  # the `dossier` part: an applicant and a few references

_DOSSIER_PART = (
    "JSON: " + ", ".join(OnlineDossierCreate.model_fields) + " (xem docs/ONLINE.md); "
    "procedure_code và applicant.full_name là bắt buộc."
)


def _over_limit(service: IntakeService, who: Principal) -> JSONResponse | None:
    """The key's request counted; past its limit, the refusal with Retry-After."""
    try:
        service.online.admit(who)
    except RateLimited as exc:
        refused = error_response(exc.code, exc.detail)
        refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    return None


def online_routes(router: APIRouter) -> None:
    """Adds this module's routes to the /api/v1 router (POST needs the upload body cap: api/app.py)."""

    @router.post(
        "/online/dossiers",
        tags=["online"],
        status_code=201,
        response_model=OnlineDossierPublic,
        responses={429: {"description": "Quá số yêu cầu mỗi phút của khóa (Retry-After: số giây chờ)."}},
    )
    def submit_online(
        request: Request,
        service: Service,
        who: Online,
        dossier: Annotated[str, Form(max_length=MAX_DOSSIER_JSON, description=_DOSSIER_PART)],
        files: Annotated[list[UploadFile] | None, File(description="Các tệp của hồ sơ, theo thứ tự.")] = None,
        idempotency_key: IdempotencyKey = None,
    ) -> OnlineDossierPublic | JSONResponse:
        """Nộp một hồ sơ trực tuyến kèm các tệp, trong một lần gọi: tạo hồ sơ (kênh "online",
        trạng thái quốc gia 1 — Mới đăng ký), kiểm tra từng tệp như tại quầy, cấp mã hồ sơ,
        ngày hẹn trả và xếp các trang vào hàng số hóa. Tất cả hoặc không: một tệp bị từ chối
        thì cả lần gọi bị từ chối (mã lỗi của tệp đó, số thứ tự và tên tệp trong `message`),
        không lưu gì. Bắt buộc `Idempotency-Key`: gửi lại cùng mã, cùng nội dung → đúng kết
        quả lần đầu; cùng mã, nội dung khác → 409 IDEMPOTENCY_KEY_REUSED."""
        if (refused := _over_limit(service, who)) is not None:
            return refused
        if not idempotency_key:  # the request as sent is incomplete: 400, like an unparsable body
            return JSONResponse(error_body(ErrorCode.INVALID_REQUEST, MISSING_KEY), status_code=400)
        sent = [(f.filename or "", f.file) for f in files or []]
        return service.online.submit(who, dossier, sent, idempotency_key, str(request.base_url))

    @router.get(
        "/online/dossiers/{code}",
        tags=["online"],
        response_model=OnlineStatusPublic,
        responses={429: {"description": "Quá số yêu cầu mỗi phút của khóa (Retry-After: số giây chờ)."}},
    )
    def online_status(code: Code, service: Service, who: Online) -> OnlineStatusPublic | JSONResponse:
        """Tình trạng một hồ sơ do chính khóa này gửi: trạng thái xử lý, trạng thái quốc gia,
        ngày hẹn trả, tiến độ số hóa. Hồ sơ của bên gửi khác: 404 như không có."""
        if (refused := _over_limit(service, who)) is not None:
            return refused
        return service.online.status(who, code)
