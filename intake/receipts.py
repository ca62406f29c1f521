"""The receipt and appointment slip (Giấy tiếp nhận hồ sơ và hẹn trả kết quả, form 01) of a
submitted dossier, as the counter prints it for the citizen. Its QR code opens the citizen's
public look-up of the dossier (`intake.lookup`), at `settings.lookup.public_url`, else at the
address the counter reached the service at. Every print is recorded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TypedDict

from intake.auth import Principal
from intake.components import Components, page_kinds
from intake.context import IntakeContext
from intake.errors import ServiceError
from intake.lookup import lookup_url
from intake.records import STATE_LABELS, find_dossier, log_access
from models.dossier import ProcessingState
from models.errors import ErrorCode
from models.quality import kind_label
from pipeline.output.receipt import ReceiptData, ReceiptDocument, render_receipt
from storage.tables import DossierRow

PAPERS = ("A4", "A5")


class FormHeading(TypedDict):
    """What the counter's forms (01, the receipt; 02, the supplement request) say of the dossier."""

    dossier_code: str
    center_name: str
    service_point_name: str
    applicant_name: str
    applicant_address: str | None
    applicant_phone: str | None
    procedure_code: str
    procedure_name: str
    received_at: datetime


def form_heading(ctx: IntakeContext, row: DossierRow) -> FormHeading:
    """The receiving unit, service point, applicant and procedure of a received dossier."""
    assert row.code is not None and row.received_at is not None
    procedure = ctx.catalogue.get(row.procedure_code)
    point = ctx.organisation.service_points[row.service_point_code]
    unit = ctx.organisation.agencies.get(point.receiving_unit)
    return FormHeading(
        dossier_code=row.code,
        center_name=(unit.name if unit else point.point.name).upper(),
        service_point_name=point.point.name,
        applicant_name=row.applicant_name,
        applicant_address=row.applicant_address,
        applicant_phone=row.applicant_phone,
        procedure_code=row.procedure_code,
        procedure_name=procedure.name if procedure else row.procedure_code,
        received_at=row.received_at.astimezone(ctx.clock.zone),
    )


class Receipts:
    def __init__(
        self, ctx: IntakeContext, components: Components, staff_name: Callable[[str], str | None] | None = None
    ) -> None:
        self.ctx = ctx
        self.components = components
        self.staff_name = staff_name or (lambda _username: None)  # a clerk's full name, when known

    def pdf(self, who: Principal, ref: str, paper: str = "A4", base_url: str | None = None) -> bytes:
        """The receipt; `base_url`: where the request reached the service (the look-up link's
        base when no public address is configured)."""
        if paper not in PAPERS:
            raise ServiceError(ErrorCode.INVALID_REQUEST, f"paper: {paper}")
        with self.ctx.db.transaction() as s:
            row = find_dossier(s, ref, who=who)
            if row.code is None or row.received_at is None or row.due_date is None:
                raise ServiceError(ErrorCode.DOSSIER_NOT_EDITABLE, STATE_LABELS[ProcessingState(row.state)].lower())
            data = self.data(row, base_url)
            log_access(s, who, "print_receipt", row.code)
        return render_receipt(data, paper=paper)

    def data(self, row: DossierRow, base_url: str | None = None) -> ReceiptData:
        assert row.code is not None and row.received_at is not None and row.due_date is not None
        base = self.ctx.settings.lookup.public_url or base_url
        procedure = self.ctx.catalogue.get(row.procedure_code)
        clerk = row.received_by or row.created_by
        return ReceiptData(
            **form_heading(self.ctx, row),
            documents=self.documents(row),
            processing_days=procedure.processing_days if procedure else 0,
            appointment=date.fromisoformat(row.due_date),
            appointment_time=None,
            clerk_name=self.staff_name(clerk) or clerk,
            missing_reason=row.missing_reason,
            lookup_url=lookup_url(base, row.code, row.lookup_key) if base and row.lookup_key else None,
            lookup_key=row.lookup_key,
        )

    def documents(self, row: DossierRow) -> tuple[ReceiptDocument, ...]:
        """The received documents with their page counts: each required document found, then the
        pages no required document claims, by kind."""
        items = self.components.items(row)
        claimed = {number for item in items if item.present for number in item.pages}
        documents = [ReceiptDocument(item.document.name, len(item.pages)) for item in items if item.present]
        others: dict[str, int] = {}
        for number, kind in page_kinds(row.components):
            if number not in claimed:
                label = kind_label(kind or "other")
                others[label] = others.get(label, 0) + 1
        documents.extend(ReceiptDocument(label, pages) for label, pages in others.items())
        return tuple(documents)
