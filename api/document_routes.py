"""A reviewer's fixes to the documents of a file: kinds, split, merge, page rotation (issue 16).
The work is `intake.documents.Documents`'."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ComponentId, PageIndex, Ref, Reviewer, Service
from intake import review_schemas, schemas

COMPONENT_PATH = "/review/dossiers/{ref}/components/{component_id}"


def document_routes(router: APIRouter) -> None:
    """Register the document-fix routes on `router` (under /api/v1)."""

    @router.put(COMPONENT_PATH + "/parts", tags=["reviewer"], response_model=schemas.ReviewDossierPublic)
    def set_parts(
        ref: Ref, component_id: ComponentId, body: review_schemas.DocumentParts, service: Service, who: Reviewer
    ) -> schemas.ReviewDossierPublic:
        """The documents of one file as the reviewer sees them: change a kind, split the file at a
        page, merge documents. Every page of the file in exactly one document (else 422
        PARTS_INVALID). The dossier's fields are extracted again with this split; reviewer values
        stay where a document of their kind holds their page. Takes the reviewer's claim."""
        service.documents.set_parts(who, ref, component_id, body)
        return service.review.dossier(who, ref)

    @router.post(COMPONENT_PATH + "/pages/{index}/rotate", tags=["reviewer"], response_model=schemas.DossierPublic)
    def rotate_page(
        ref: Ref,
        component_id: ComponentId,
        index: PageIndex,
        body: review_schemas.PageRotation,
        service: Service,
        who: Reviewer,
    ) -> schemas.DossierPublic:
        """Turn a page clockwise by 90, 180 or 270 degrees more: it is read again (the dossier
        goes back to the queue until it is), and its image is drawn turned. Takes the claim."""
        return service.documents.rotate_page(who, ref, component_id, index, body.degrees)
