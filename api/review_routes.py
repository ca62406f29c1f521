"""The reviewer's routes (role `reviewer` or `supervisor`): the queue and its filters, claiming a
dossier ("next", open, give up), a dossier with its pages, lines and fields, the checks of a
typed value, confirmations and corrections (each on the field's version), approval, sending a
dossier back to its counter, and the retry of failed pages. The rules are `intake.review`,
`intake.claims` and `intake.supplements`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import NO_STORE, ComponentId, FieldName, PageIndex, Part, Ref, Reviewer, Service
from intake import review_schemas, schemas
from intake.review_queue import QueueFilter

FIELD_PATH = "/review/dossiers/{ref}/components/{component_id}/fields/{name}"
_Filter = Annotated[str | None, Query(max_length=64, pattern=schemas.NO_CONTROLS)]


def _filters(service_point: str | None, procedure: str | None, agency: str | None) -> QueueFilter:
    return QueueFilter(service_point=service_point or None, procedure=procedure or None, agency=agency or None)


def review_routes(router: APIRouter) -> None:
    """Register the reviewer's routes on `router` (under /api/v1)."""
    _queue_routes(router)
    _dossier_routes(router)
    _field_routes(router)


def _queue_routes(router: APIRouter) -> None:
    @router.get("/review/queue", tags=["reviewer"], response_model=list[schemas.QueueItemPublic])
    def review_queue(
        service: Service,
        who: Reviewer,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        service_point: _Filter = None,
        procedure: _Filter = None,
        agency: _Filter = None,
    ) -> list[schemas.QueueItemPublic]:
        """Dossiers waiting for review: green lane (làn xanh) first, then by appointment date;
        each with the fields left to review, the days to the appointment and who has it open."""
        return service.review_queue.queue(who, limit, _filters(service_point, procedure, agency))

    @router.post("/review/next", tags=["reviewer"], response_model=review_schemas.ClaimPublic)
    def next_dossier(
        service: Service,
        who: Reviewer,
        service_point: _Filter = None,
        procedure: _Filter = None,
        agency: _Filter = None,
    ) -> review_schemas.ClaimPublic:
        """Claim the first dossier of the queue (with these filters) no other reviewer has open
        (404 QUEUE_EMPTY when there is none)."""
        return service.review_queue.next(who, _filters(service_point, procedure, agency))

    @router.post("/review/check", tags=["reviewer"], response_model=review_schemas.ValueCheckPublic)
    def check_value(
        body: review_schemas.ValueCheck, service: Service, _who: Reviewer
    ) -> review_schemas.ValueCheckPublic:
        """The checks a typed value gets when saved (type, ID-number structure, a real date not
        in the future, a catalogued 2025 unit), with their problems in Vietnamese. Nothing is stored."""
        return service.review.check(body.name, body.value)


def _dossier_routes(router: APIRouter) -> None:
    claim_path = "/review/dossiers/{ref}/claim"

    @router.post(claim_path, tags=["reviewer"], response_model=review_schemas.ClaimPublic)
    def claim(ref: Ref, service: Service, who: Reviewer) -> review_schemas.ClaimPublic:
        """Open the dossier for review (or renew one's claim): 409 DOSSIER_CLAIMED while another
        reviewer has it open. The claim lapses after the configured idle minutes."""
        return service.review_queue.claim(who, ref)

    @router.delete(claim_path, tags=["reviewer"], status_code=204, response_class=Response)
    def release(ref: Ref, service: Service, who: Reviewer) -> Response:
        """Give up one's claim: the dossier is free for others."""
        service.review_queue.release(who, ref)
        return Response(status_code=204)

    @router.get("/review/dossiers/{ref}", tags=["reviewer"], response_model=schemas.ReviewDossierPublic)
    def review_dossier(ref: Ref, service: Service, who: Reviewer) -> schemas.ReviewDossierPublic:
        """The dossier with its pages, lines and fields (each with its version and candidates).
        Viewing does not claim it."""
        return service.review.dossier(who, ref)

    @router.get(
        "/review/dossiers/{ref}/components/{component_id}/pages/{index}/image",
        tags=["reviewer"],
        response_class=Response,
        responses={200: {"content": {"image/jpeg": {}}}},
    )
    def page_image(ref: Ref, component_id: ComponentId, index: PageIndex, service: Service, who: Reviewer) -> Response:
        return Response(
            service.review.page_image(who, ref, component_id, index), media_type="image/jpeg", headers=NO_STORE
        )

    @router.post("/review/dossiers/{ref}/retry", tags=["reviewer"], response_model=schemas.DossierPublic)
    def retry(ref: Ref, service: Service, who: Reviewer) -> schemas.DossierPublic:
        return service.review.retry_failed_pages(who, ref)

    @router.post("/review/dossiers/{ref}/approve", tags=["reviewer"], response_model=schemas.DossierPublic)
    def approve(ref: Ref, service: Service, who: Reviewer) -> schemas.DossierPublic:
        """Refused (409 FIELDS_UNRESOLVED) while a field still needs a reviewer's confirmation or
        correction, and (409 DOSSIER_CLAIMED) while another reviewer has the dossier open."""
        return service.review.approve(who, ref)

    @router.post("/review/dossiers/{ref}/send-back", tags=["reviewer"], response_model=schemas.DossierPublic)
    def send_back(ref: Ref, body: review_schemas.SendBack, service: Service, who: Reviewer) -> schemas.DossierPublic:
        """Instead of approving: what the citizen must add or correct; the dossier goes back to
        its counter, which prints form 02 (Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ)."""
        return service.supplements.send_back(who, ref, body)


def _field_routes(router: APIRouter) -> None:
    @router.get(
        FIELD_PATH + "/crop",
        tags=["reviewer"],
        response_class=Response,
        responses={200: {"content": {"image/jpeg": {}}}},
    )
    def field_crop(
        ref: Ref, component_id: ComponentId, name: FieldName, service: Service, who: Reviewer, part: Part = 0
    ) -> Response:
        """The field's region of its page, as JPEG: what the reviewer compares the value with."""
        return Response(
            service.review.field_crop(who, ref, component_id, name, part), media_type="image/jpeg", headers=NO_STORE
        )

    @router.put(FIELD_PATH, tags=["reviewer"], response_model=schemas.FieldPublic)
    def correct_field(
        ref: Ref,
        component_id: ComponentId,
        name: FieldName,
        body: schemas.FieldUpdate,
        service: Service,
        who: Reviewer,
        part: Part = 0,
    ) -> schemas.FieldPublic:
        """Another value, typed from the page or picked among the candidates (`source`). `part`:
        which document of the file, when one upload holds several. Checked as `POST /review/check`
        checks it (422 FIELD_VALUE_INVALID); made on an older `version`: 409 FIELD_STALE with the
        field as it is now (`current`)."""
        return service.review.correct_field(
            who,
            ref,
            component_id,
            name,
            body.value,
            part,
            version=body.version,
            source=body.source,
            keep_unlisted_place=body.keep_unlisted_place,
        )

    @router.post(FIELD_PATH + "/confirm", tags=["reviewer"], response_model=schemas.FieldPublic)
    def confirm_field(
        ref: Ref,
        component_id: ComponentId,
        name: FieldName,
        service: Service,
        who: Reviewer,
        part: Part = 0,
        body: review_schemas.FieldConfirm | None = None,
    ) -> schemas.FieldPublic:
        """The value as read is right: kept, and recorded as confirmed (who, when); the same
        checks and version rule as a correction."""
        body = body or review_schemas.FieldConfirm()
        return service.review.confirm_field(
            who, ref, component_id, name, part, version=body.version, keep_unlisted_place=body.keep_unlisted_place
        )
