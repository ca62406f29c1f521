"""The HTTP API (FastAPI), versioned under /api/v1.

- counter (role `counter`): create a dossier, upload files, submit, poll its status;
- reviewer (role `reviewer`): the queue, claims, a dossier with pages, lines and fields,
  checks, confirmations and corrections, approval, sending back (api/review_routes.py);
- agency (role `agency`, one key per agency): list what is ready, fetch the manifest,
  download files, acknowledge, report national-catalogue statuses.
Every error is JSON {code, message (Vietnamese), message_en} (api/errors.py); storage or
database outages are 503 with nothing half-written. Create requests take an
`Idempotency-Key` header: a retry with the same key and body gets the first answer again.
The API docs (/docs) load Swagger UI from a pinned package, not from a CDN.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, StreamingResponse
from fastapi_offline import FastAPIOffline
from starlette.types import Scope

from api.agency_event_routes import agency_event_routes
from api.boundary import MULTIPART_OVERHEAD, BodyLimit, content_disposition, install_request_boundary
from api.dashboard_routes import dashboard_routes
from api.deps import (
    NO_STORE,
    AgencyUser,
    Code,
    ComponentId,
    Counter,
    IdempotencyKey,
    PackageName,
    PageIndex,
    Ref,
    Service,
    Staff,
    Username,
)
from api.document_routes import document_routes
from api.errors import install_error_handlers
from api.handover_routes import handover_routes
from api.observability import install_observability
from api.online_routes import online_routes
from api.review_routes import review_routes
from api.sessions import session_routes
from api.web import install_web
from api.web.dashboard import install_dashboard
from api.web.lookup import install_lookup
from intake import review_schemas, schemas
from intake.applicant import require_applicant_from_qr
from intake.health import readiness
from intake.procedures import search_procedures
from intake.processing.runner import start_processing
from intake.service import IntakeService, open_service
from intake.settings import Settings
from intake.webhooks import start_webhook_sender
from models.errors import ErrorCode

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": schemas.ErrorPublic} for status in (400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 503)
}
MAX_REQUEST_BYTES = 1 << 20  # a JSON body (the largest real one, a note or a value, is a few KB)


def create_app(settings: Settings, *, process: bool = True, service: IntakeService | None = None) -> FastAPI:
    """The API. With `process`, this process also runs the page workers and the job dispatcher."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.service = service or open_service(settings)
        app.state.processing = (
            start_processing(settings, app.state.service.db, app.state.service.ctx.clock) if process else None
        )
        app.state.webhook_sender = start_webhook_sender(app.state.service.ctx)  # every API process sends
        try:
            yield
        finally:
            if app.state.webhook_sender is not None:
                app.state.webhook_sender.stop()
            if app.state.processing is not None:
                app.state.processing.stop()

    app = FastAPIOffline(
        title="Số Hóa API",
        version="1",
        lifespan=lifespan,
        description="Tiếp nhận, số hóa và bàn giao hồ sơ thủ tục hành chính.",
    )
    install_error_handlers(app)
    install_observability(app, settings)

    upload_cap = min(settings.intake.max_upload_bytes, settings.reading.limits.max_bytes)
    uploads = BodyLimit(
        upload_cap + MULTIPART_OVERHEAD, ErrorCode.FILE_TOO_LARGE, f"tối đa {upload_cap / (1 << 20):.0f} MB"
    )
    others = BodyLimit(MAX_REQUEST_BYTES, ErrorCode.REQUEST_TOO_LARGE, f"tối đa {MAX_REQUEST_BYTES >> 10} KB")
    # An online submission carries its files in one body; each file is capped again as it is read.
    online = BodyLimit(
        settings.online.max_files * (upload_cap + MULTIPART_OVERHEAD) + MAX_REQUEST_BYTES,
        ErrorCode.REQUEST_TOO_LARGE,
        f"tối đa {settings.online.max_files} tệp, mỗi tệp {upload_cap / (1 << 20):.0f} MB",
    )

    def body_limit(scope: Scope) -> BodyLimit:
        # Every body is capped while it streams, declared length or not (chunked).
        if scope["method"] == "POST" and scope["path"] == f"{API_PREFIX}/online/dossiers":
            return online
        upload = scope["path"].endswith(("/files", "/from-image"))
        return uploads if scope["method"] == "POST" and upload else others

    install_request_boundary(app, body_limit)

    @app.middleware("http")
    async def no_shared_caches(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        # API answers carry personal data (names, ID numbers, scans): no cache may keep them.
        response = await call_next(request)
        if request.url.path.startswith(API_PREFIX):
            response.headers.setdefault("Cache-Control", NO_STORE["Cache-Control"])
        return response

    app.include_router(_routes(), prefix=API_PREFIX)
    _probe_routes(app)
    install_web(app)
    install_lookup(app)
    install_dashboard(app)
    return app


def _probe_routes(app: FastAPI) -> None:
    """Liveness and readiness for compose and Kubernetes probes: no sign-in, no data."""

    @app.get("/healthz", include_in_schema=False)
    def alive() -> JSONResponse:
        return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})

    @app.get("/readyz", include_in_schema=False)
    def ready(request: Request) -> JSONResponse:
        """503 while the database (or its schema), the object store or Ray is not there."""
        service: IntakeService = request.app.state.service
        report = readiness(service.db, service.store, runs_workers=request.app.state.processing is not None)
        body = {"status": "ready" if report.ready else "not_ready", "checks": report.checks}
        return JSONResponse(body, status_code=200 if report.ready else 503, headers={"Cache-Control": "no-store"})


def _routes() -> APIRouter:
    router = APIRouter(responses=ERRORS)
    session_routes(router)
    _catalogue_routes(router)
    _counter_routes(router)
    _screen_routes(router)
    review_routes(router)
    document_routes(router)
    dashboard_routes(router)
    _agency_routes(router)
    agency_event_routes(router)
    handover_routes(router)
    online_routes(router)
    return router


def _catalogue_routes(router: APIRouter) -> None:
    @router.get("/procedures", tags=["catalogue"], response_model=list[schemas.ProcedurePublic])
    def procedures(
        service: Service,
        _who: Staff,
        q: Annotated[str | None, Query(max_length=200, pattern=schemas.NO_CONTROLS)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> list[schemas.ProcedurePublic]:
        """The catalogue; `q` finds by code or name, tone marks and case optional, best first."""
        found = search_procedures(service.ctx.catalogue, q, limit) if q else service.ctx.catalogue.procedures.values()
        return [
            schemas.ProcedurePublic(
                code=p.code,
                name=p.name,
                agency=p.agency,
                agencies=list(dict.fromkeys((p.agency, *p.agencies))),
                processing_days=p.processing_days,
                cutoff=p.cutoff.strftime("%H:%M") if p.cutoff else None,
                green_lane=p.green_lane,
                fee=p.fee,
                required_documents=[
                    schemas.RequiredDocumentPublic(name=d.name, required=d.required, kinds=list(d.kinds))
                    for d in p.required_documents
                ],
            )
            for p in found
        ]


def _counter_routes(router: APIRouter) -> None:
    @router.post("/dossiers", tags=["counter"], status_code=201, response_model=schemas.DossierPublic)
    def create_dossier(
        body: schemas.DossierCreate, service: Service, who: Counter, idempotency_key: IdempotencyKey = None
    ) -> schemas.DossierPublic:
        return service.dossiers.create(who, body, idempotency_key)

    @router.post("/dossiers/{ref}/files", tags=["counter"], status_code=201, response_model=schemas.ComponentPublic)
    def upload_file(
        ref: Ref,
        service: Service,
        who: Counter,
        file: Annotated[UploadFile, File()],
        source: Annotated[str | None, Form(pattern="^(scan|upload|born_digital)$")] = None,
        idempotency_key: IdempotencyKey = None,
    ) -> schemas.ComponentPublic | JSONResponse:
        component = service.dossiers.add_file(who, ref, file.filename or "", file.file, source, idempotency_key)
        if not component.created:
            return JSONResponse(component.model_dump(mode="json"), status_code=200)
        return component

    @router.patch("/dossiers/{ref}", tags=["counter"], response_model=schemas.DossierPublic)
    def update_applicant(
        ref: Ref, body: schemas.ApplicantUpdate, service: Service, who: Counter
    ) -> schemas.DossierPublic:
        """The applicant of a draft (typed, or confirmed from the card's QR code)."""
        return service.dossiers.update_applicant(who, ref, body)

    @router.post("/dossiers/{ref}/submit", tags=["counter"], response_model=schemas.DossierPublic)
    def submit(
        ref: Ref, service: Service, who: Counter, body: schemas.SubmitRequest | None = None
    ) -> schemas.DossierPublic:
        """Valid receipt. Refused (409 COMPONENTS_MISSING) while a required document of the
        procedure is missing, unless `missing_reason` says why it is received all the same."""
        return service.dossiers.submit(who, ref, body)

    @router.get("/dossiers/{ref}", tags=["counter"], response_model=schemas.DossierPublic)
    def dossier_status(ref: Ref, service: Service, who: Staff) -> schemas.DossierPublic:
        return service.dossiers.status(who, ref)


def _agency_routes(router: APIRouter) -> None:
    @router.get("/agency/dossiers", tags=["agency"], response_model=schemas.AgencyListPublic)
    def agency_list(
        service: Service,
        who: AgencyUser,
        cursor: str | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        include_delivered: bool = False,
    ) -> schemas.AgencyListPublic:
        return service.agency.list(who, cursor, limit, include_delivered)

    @router.get("/agency/dossiers/{code}/manifest", tags=["agency"], response_model=schemas.ManifestPublic)
    def manifest(code: Code, service: Service, who: AgencyUser) -> dict:
        return service.agency.manifest(who, code)

    @router.get(
        "/agency/dossiers/{code}/files/{name:path}",
        tags=["agency"],
        responses={
            307: {"description": "Redirect to a short-lived presigned URL (S3)"},
            200: {
                "description": "The file, streamed (local storage): a searchable PDF or a JSON file",
                "content": {"application/pdf": {}, "application/json": {}},
            },
        },
    )
    def download(code: Code, name: PackageName, service: Service, who: AgencyUser) -> Response:
        key, url, media_type = service.agency.package_file(who, code, name)
        if url is not None:
            return RedirectResponse(url, status_code=307)
        stream = service.store.open(key)

        def chunks() -> Iterator[bytes]:
            with stream:
                while chunk := stream.read(1 << 20):
                    yield chunk

        return StreamingResponse(
            chunks(), media_type=media_type, headers={"Content-Disposition": content_disposition(name), **NO_STORE}
        )

    @router.post("/agency/dossiers/{code}/ack", tags=["agency"], response_model=schemas.DossierPublic)
    def acknowledge(code: Code, service: Service, who: AgencyUser) -> schemas.DossierPublic:
        return service.agency.acknowledge(who, code)

    @router.post("/agency/dossiers/{code}/status", tags=["agency"], response_model=schemas.DossierPublic)
    def report_status(
        code: Code,
        body: schemas.StatusReport,
        service: Service,
        who: AgencyUser,
        idempotency_key: IdempotencyKey = None,
    ) -> schemas.DossierPublic:
        return service.agency.report_status(who, code, body, idempotency_key)


def _screen_routes(router: APIRouter) -> None:
    """What the counter screen needs besides the dossier itself: the applicant from a card's QR
    code, the pages before submit (delete, rotate, kind, order, thumbnails), the checklist, the
    receipt, and the draft open on the clerk's screen for the scan station."""
    file_path = "/dossiers/{ref}/files/{component_id}"

    @router.post("/applicant/from-qr", tags=["counter"], response_model=schemas.ApplicantFromQr)
    def applicant_qr(body: schemas.QrPayloadIn, _who: Counter) -> schemas.ApplicantFromQr:
        """The card data of a CCCD/căn cước QR payload (typed by a keyboard-wedge scanner). Nothing is stored."""
        return require_applicant_from_qr(body.payload)

    @router.post("/applicant/from-image", tags=["counter"], response_model=schemas.ApplicantFromQr)
    def applicant_image(service: Service, who: Counter, file: Annotated[UploadFile, File()]) -> schemas.ApplicantFromQr:
        """The card data of the QR code on a photographed or scanned card. Nothing is stored."""
        return service.dossiers.applicant_from_image(who, file.filename or "", file.file)

    @router.delete(file_path, tags=["counter"], status_code=204, response_class=Response)
    def delete_file(ref: Ref, component_id: ComponentId, service: Service, who: Counter) -> Response:
        service.components.delete(who, ref, component_id)
        return Response(status_code=204)

    @router.patch(file_path, tags=["counter"], response_model=schemas.ComponentPublic)
    def update_file(
        ref: Ref, component_id: ComponentId, body: schemas.ComponentUpdate, service: Service, who: Counter
    ) -> schemas.ComponentPublic:
        return service.components.update(who, ref, component_id, body)

    @router.put("/dossiers/{ref}/order", tags=["counter"], response_model=schemas.DossierPublic)
    def order_files(ref: Ref, body: schemas.ComponentOrder, service: Service, who: Counter) -> schemas.DossierPublic:
        return service.components.reorder(who, ref, body)

    @router.get(
        file_path + "/pages/{index}/thumbnail",
        tags=["counter"],
        response_class=Response,
        responses={200: {"content": {"image/jpeg": {}}}},
    )
    def thumbnail(ref: Ref, component_id: ComponentId, index: PageIndex, service: Service, who: Counter) -> Response:
        return Response(service.components.thumbnail(who, ref, component_id, index), media_type="image/jpeg")

    @router.get("/dossiers/{ref}/checklist", tags=["counter"], response_model=schemas.ChecklistPublic)
    def checklist(ref: Ref, service: Service, who: Staff) -> schemas.ChecklistPublic:
        return service.components.checklist(who, ref)

    @router.get(
        "/dossiers/{ref}/receipt.pdf",
        tags=["counter"],
        response_class=Response,
        responses={200: {"content": {"application/pdf": {}}}},
    )
    def receipt(
        ref: Ref,
        request: Request,
        service: Service,
        who: Counter,
        paper: Annotated[str, Query(pattern="^A[45]$", description="A4 (default) or A5.")] = "A4",
    ) -> Response:
        """Giấy tiếp nhận hồ sơ và hẹn trả kết quả (form 01), for a submitted dossier. Its QR
        code opens the citizen's look-up page (at SOHOA_LOOKUP__PUBLIC_URL, else at this address)."""
        pdf = service.receipts.pdf(who, ref, paper, base_url=str(request.base_url))
        return Response(
            pdf, media_type="application/pdf", headers={"Content-Disposition": content_disposition(f"{ref}.pdf")}
        )

    @router.get("/counter/sent-back", tags=["counter"], response_model=list[review_schemas.SentBackPublic])
    def sent_back(service: Service, who: Counter) -> list[review_schemas.SentBackPublic]:
        """Dossiers a reviewer sent back to the caller's service point, with what to supplement.
        The counter adds (or removes) files and submits again: the dossier is read again."""
        return service.supplements.sent_back(who)

    @router.get(
        "/dossiers/{ref}/supplement-request.pdf",
        tags=["counter"],
        response_class=Response,
        responses={200: {"content": {"application/pdf": {}}}},
    )
    def supplement_request(
        ref: Ref,
        service: Service,
        who: Staff,
        paper: Annotated[str, Query(pattern="^A[45]$", description="A4 (default) or A5.")] = "A4",
    ) -> Response:
        """Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (form 02), for a dossier sent back."""
        pdf = service.supplements.pdf(who, ref, paper)
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": content_disposition(f"{ref}-bo-sung.pdf")},
        )

    station_path = "/counter/workstations/{username}"

    @router.get(station_path, tags=["counter"], response_model=schemas.WorkstationPublic)
    def workstation(username: Username, service: Service, who: Counter) -> schemas.WorkstationPublic:
        return service.workstations.get(who, username)

    @router.put(station_path, tags=["counter"], response_model=schemas.WorkstationPublic)
    def open_on_workstation(
        username: Username, body: schemas.WorkstationOpen, service: Service, who: Counter
    ) -> schemas.WorkstationPublic:
        """The draft open on the clerk's screen: where the clerk's scan station sends pages."""
        return service.workstations.open(who, username, body)

    @router.post(station_path + "/files", tags=["counter"], status_code=201, response_model=schemas.ComponentPublic)
    def scan_to_workstation(
        username: Username,
        service: Service,
        who: Counter,
        file: Annotated[UploadFile, File()],
        idempotency_key: IdempotencyKey = None,
    ) -> schemas.ComponentPublic | JSONResponse:
        """A file from the clerk's scan station, for the draft open on the clerk's screen
        (409 NO_OPEN_DOSSIER when none is open)."""
        component = service.workstations.add_file(who, username, file.filename or "", file.file, idempotency_key)
        if not component.created:
            return JSONResponse(component.model_dump(mode="json"), status_code=200)
        return component
