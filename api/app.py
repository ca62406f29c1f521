"""The HTTP API (FastAPI), versioned under /api/v1.

- counter (role `counter`): create a dossier, upload files, submit, poll its status;
- reviewer (role `reviewer`): the queue by due date, a dossier with pages, lines and
  fields, corrections, approval;
- agency (role `agency`, one key per agency): list what is ready, fetch the manifest,
  download files, acknowledge, report national-catalogue statuses.
Every error is JSON {code, message (Vietnamese), message_en}; storage or database outages
are 503 with nothing half-written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from fastapi.security import APIKeyHeader
from sqlalchemy.exc import DBAPIError, OperationalError

from intake import schemas
from intake.service import ApiError, IntakeService, Principal, Role
from intake.processing.runner import start_processing
from intake.settings import Settings
from models.catalogue import load_organisation, load_procedures
from models.errors import ErrorCode
from storage.db import Database, DatabaseUnavailable
from storage.objects import ObjectNotFound, StorageUnavailable

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
ERRORS = {status: {"model": schemas.ErrorPublic} for status in (400, 401, 403, 404, 409, 413, 415, 422, 503)}


def build_service(settings: Settings, db: Database | None = None) -> IntakeService:
    db = db or Database(settings.resolved_database_url)
    db.upgrade()
    service = IntakeService(settings, db, settings.object_store(),
                            load_procedures(settings.intake.procedures_file),
                            load_organisation(settings.intake.organisation_file))
    service.seed_organisation()
    return service


def create_app(settings: Settings, *, process: bool = True, service: IntakeService | None = None) -> FastAPI:
    """The API. With `process`, this process also runs the Ray pool and the job dispatcher."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Iterator[None]:
        app.state.service = service or build_service(settings)
        app.state.processing = start_processing(settings, app.state.service.db) if process else None
        try:
            yield
        finally:
            if app.state.processing is not None:
                app.state.processing.stop()

    app = FastAPI(title="Số Hóa API", version="1", lifespan=lifespan,
                  description="Tiếp nhận, số hóa và bàn giao hồ sơ thủ tục hành chính.")
    _install_error_handlers(app)

    @app.middleware("http")
    async def refuse_oversized_uploads(request: Request, call_next):  # noqa: ANN001, ANN202
        # By the declared length, before the body is read and spooled to disk.
        if request.method == "POST" and request.url.path.endswith("/files"):
            limit = min(settings.intake.max_upload_bytes, settings.reading.limits.max_bytes)
            declared = request.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit + (1 << 16):  # + multipart overhead
                return _error(413, ErrorCode.FILE_TOO_LARGE, f"tối đa {limit / (1 << 20):.0f} MB")
        return await call_next(request)
    app.include_router(_routes(), prefix=API_PREFIX)
    return app


def _error(status: int, code: ErrorCode, detail: str = "") -> JSONResponse:
    return JSONResponse(ApiError(status, code, detail).body(), status_code=status)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        where = "; ".join(".".join(str(p) for p in e["loc"][1:]) or "body" for e in exc.errors()[:5])
        body = ApiError(422, ErrorCode.INVALID_REQUEST, where).body()
        body["errors"] = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()[:20]]
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StorageUnavailable)
    async def _storage_down(_request: Request, exc: StorageUnavailable) -> JSONResponse:
        log.error("object storage unavailable: %s", exc)
        return _error(503, ErrorCode.STORAGE_UNAVAILABLE)

    @app.exception_handler(ObjectNotFound)
    async def _object_missing(_request: Request, exc: ObjectNotFound) -> JSONResponse:
        log.error("object missing from storage: %s", exc)
        return _error(503, ErrorCode.STORAGE_UNAVAILABLE)

    async def _db_down(_request: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, DBAPIError) and not isinstance(exc, OperationalError) and not exc.connection_invalidated:
            raise exc
        log.error("database unavailable: %s", type(exc).__name__)
        return _error(503, ErrorCode.DATABASE_UNAVAILABLE)

    app.add_exception_handler(OperationalError, _db_down)
    app.add_exception_handler(DatabaseUnavailable, _db_down)
    app.add_exception_handler(DBAPIError, _db_down)


_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="Khóa truy cập (API key).")


def get_service(request: Request) -> IntakeService:
    return request.app.state.service


Service = Annotated[IntakeService, Depends(get_service)]


def require(*roles: Role) -> Callable[..., Principal]:
    def dependency(service: Service, key: Annotated[str | None, Depends(_api_key)]) -> Principal:
        principal = service.authenticate(key)
        if principal.role not in roles and principal.role != Role.ADMIN:
            raise ApiError(403, ErrorCode.FORBIDDEN, principal.role.value)
        return principal

    return dependency


Counter = Annotated[Principal, Depends(require(Role.COUNTER))]
Reviewer = Annotated[Principal, Depends(require(Role.REVIEWER))]
Staff = Annotated[Principal, Depends(require(Role.COUNTER, Role.REVIEWER))]
AgencyUser = Annotated[Principal, Depends(require(Role.AGENCY))]


def _routes() -> APIRouter:
    router = APIRouter(responses=ERRORS)

    @router.get("/procedures", tags=["catalogue"], response_model=list[schemas.ProcedurePublic])
    def procedures(service: Service, _who: Staff) -> list[schemas.ProcedurePublic]:
        return [schemas.ProcedurePublic(code=p.code, name=p.name, agency=p.agency,
                                        processing_days=p.processing_days,
                                        cutoff=p.cutoff.strftime("%H:%M") if p.cutoff else None,
                                        green_lane=p.green_lane) for p in service.catalogue.procedures.values()]

    # --- counter -----------------------------------------------------------------------

    @router.post("/dossiers", tags=["counter"], status_code=201, response_model=schemas.DossierPublic)
    def create_dossier(body: schemas.DossierCreate, service: Service, who: Counter) -> schemas.DossierPublic:
        return service.create_dossier(who, body)

    @router.post("/dossiers/{ref}/files", tags=["counter"], status_code=201, response_model=schemas.ComponentPublic)
    def upload_file(ref: str, service: Service, who: Counter, file: Annotated[UploadFile, File()],
                    source: Annotated[str | None, Form(pattern="^(scan|upload|born_digital)$")] = None
                    ) -> schemas.ComponentPublic | JSONResponse:
        component = service.add_file(who, ref, file.filename or "", file.file, source)
        if not component.created:
            return JSONResponse(component.model_dump(mode="json"), status_code=200)
        return component

    @router.post("/dossiers/{ref}/submit", tags=["counter"], response_model=schemas.DossierPublic)
    def submit(ref: str, service: Service, who: Counter) -> schemas.DossierPublic:
        return service.submit(who, ref)

    @router.get("/dossiers/{ref}", tags=["counter"], response_model=schemas.DossierPublic)
    def dossier_status(ref: str, service: Service, who: Staff) -> schemas.DossierPublic:
        return service.status(who, ref)

    # --- reviewer ----------------------------------------------------------------------

    @router.get("/review/queue", tags=["reviewer"], response_model=list[schemas.QueueItemPublic])
    def review_queue(service: Service, who: Reviewer,
                     limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[schemas.QueueItemPublic]:
        return service.review_queue(who, limit)

    @router.get("/review/dossiers/{ref}", tags=["reviewer"], response_model=schemas.ReviewDossierPublic)
    def review_dossier(ref: str, service: Service, who: Reviewer) -> schemas.ReviewDossierPublic:
        return service.review_dossier(who, ref)

    @router.get("/review/dossiers/{ref}/components/{component_id}/pages/{index}/image", tags=["reviewer"],
                response_class=Response, responses={200: {"content": {"image/jpeg": {}}}})
    def page_image(ref: str, component_id: int, index: int, service: Service, who: Reviewer) -> Response:
        return Response(service.page_image(who, ref, component_id, index), media_type="image/jpeg",
                        headers={"Cache-Control": "private, no-store"})  # personal data: no shared caches

    @router.get("/review/dossiers/{ref}/components/{component_id}/fields/{name}/crop", tags=["reviewer"],
                response_class=Response, responses={200: {"content": {"image/jpeg": {}}}})
    def field_crop(ref: str, component_id: int, name: str, service: Service, who: Reviewer, part: int = 0) -> Response:
        """The field's region of its page, as JPEG: what the reviewer compares the value with."""
        return Response(service.field_crop(who, ref, component_id, name, part), media_type="image/jpeg",
                        headers={"Cache-Control": "private, no-store"})

    @router.put("/review/dossiers/{ref}/components/{component_id}/fields/{name}", tags=["reviewer"],
                response_model=schemas.FieldPublic)
    def correct_field(ref: str, component_id: int, name: str, body: schemas.FieldUpdate, service: Service,
                      who: Reviewer, part: int = 0) -> schemas.FieldPublic:
        """`part`: which document of the file, when one upload holds several (see the component's parts)."""
        return service.correct_field(who, ref, component_id, name, body.value, part)

    @router.post("/review/dossiers/{ref}/retry", tags=["reviewer"], response_model=schemas.DossierPublic)
    def retry(ref: str, service: Service, who: Reviewer) -> schemas.DossierPublic:
        return service.retry_failed_pages(who, ref)

    @router.post("/review/dossiers/{ref}/approve", tags=["reviewer"], response_model=schemas.DossierPublic)
    def approve(ref: str, service: Service, who: Reviewer) -> schemas.DossierPublic:
        return service.approve(who, ref)

    # --- agency ------------------------------------------------------------------------

    @router.get("/agency/dossiers", tags=["agency"], response_model=schemas.AgencyListPublic)
    def agency_list(service: Service, who: AgencyUser, cursor: str | None = None,
                    limit: Annotated[int, Query(ge=1, le=500)] = 100,
                    include_delivered: bool = False) -> schemas.AgencyListPublic:
        return service.agency_list(who, cursor, limit, include_delivered)

    @router.get("/agency/dossiers/{code}/manifest", tags=["agency"])
    def manifest(code: str, service: Service, who: AgencyUser) -> dict:
        return service.manifest(who, code)

    @router.get("/agency/dossiers/{code}/files/{name:path}", tags=["agency"],
                responses={307: {"description": "Redirect to a short-lived presigned URL (S3)"},
                           200: {"description": "The file, streamed (local storage)"}})
    def download(code: str, name: str, service: Service, who: AgencyUser):  # noqa: ANN202
        key, url, media_type = service.package_file(who, code, name)
        if url is not None:
            return RedirectResponse(url, status_code=307)
        stream = service.store.open(key)

        def chunks() -> Iterator[bytes]:
            with stream:
                while chunk := stream.read(1 << 20):
                    yield chunk

        filename = name.rsplit("/", 1)[-1]
        return StreamingResponse(chunks(), media_type=media_type,
                                 headers={"Content-Disposition": f'attachment; filename="{filename}"'})

    @router.post("/agency/dossiers/{code}/ack", tags=["agency"], response_model=schemas.DossierPublic)
    def acknowledge(code: str, service: Service, who: AgencyUser) -> schemas.DossierPublic:
        return service.acknowledge(who, code)

    @router.post("/agency/dossiers/{code}/status", tags=["agency"], response_model=schemas.DossierPublic)
    def report_status(code: str, body: schemas.StatusReport, service: Service,
                      who: AgencyUser) -> schemas.DossierPublic:
        return service.report_status(who, code, body)

    return router

