"""A handed-over dossier's history and national sync export for its agency (tag "agency"), and
reopening a handed-over dossier for a correction (reviewer or supervisor, tag "review"). The
rules are `intake.handover`, `intake.history` and `intake.national_sync`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.deps import NO_STORE, AgencyUser, Code, Ref, Reviewer, Service
from intake import handover_schemas, schemas


def handover_routes(router: APIRouter) -> None:
    """Adds this module's routes to the /api/v1 router."""

    @router.get("/agency/dossiers/{code}/history", tags=["agency"], response_model=handover_schemas.HistoryPublic)
    def history(code: Code, service: Service, who: AgencyUser) -> handover_schemas.HistoryPublic:
        """Who received, digitized, reviewed, sent back, approved, reopened, re-sent, acknowledged
        and reported which status, and when (Vietnam time). Another agency's dossier: 404."""
        return service.handover.history(who, code)

    @router.get(
        "/agency/dossiers/{code}/sync",
        tags=["agency"],
        responses={200: {"description": "DongBoHoSoMC and CapNhatTienDoHoSoMC bodies (docs/NATIONAL-SYNC.md)"}},
    )
    def national_sync(code: Code, request: Request, service: Service, who: AgencyUser) -> JSONResponse:
        """The dossier in the shape one-stop software synchronises to the National Public Service
        Portal: the dossier push with its documents (links to this API's package downloads) and
        its processing history. Fields not confirmed from a public source are listed in
        docs/NATIONAL-SYNC.md."""
        body = service.handover.sync(who, code, str(request.base_url))
        return JSONResponse(body, headers=NO_STORE)

    @router.post("/review/dossiers/{ref}/reopen", tags=["reviewer"], response_model=schemas.DossierPublic)
    def reopen(ref: Ref, body: handover_schemas.Reopen, service: Service, who: Reviewer) -> schemas.DossierPublic:
        """A validated or delivered dossier back in review to correct it (409
        DOSSIER_NOT_REOPENABLE otherwise): its fields can be corrected again, and approving it
        builds the next package revision and tells the agency (dossier.resent). The agency
        keeps the previous revision until then."""
        return service.handover.reopen(who, ref, body)
