"""The competent agency's side: list what is ready for it (keyset cursor), read the manifest,
download package files, acknowledge receipt, report national-catalogue statuses.
Another agency's dossier is answered exactly like a missing one."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake import schemas
from intake.auth import Principal
from intake.context import IntakeContext
from intake.errors import ServiceError
from intake.idempotency import IdempotentRequest, run_once
from intake.records import dossier_public, log_access
from models.dossier import NationalStatus, ProcessingState
from models.errors import ErrorCode
from storage.tables import DossierRow, StatusReportRow

# Statuses a competent agency may report once it holds the dossier.
AGENCY_STATUSES = frozenset(NationalStatus) - {NationalStatus.MOI_DANG_KY, NationalStatus.DUOC_TIEP_NHAN}
HANDED_OVER = (ProcessingState.VALIDATED.value, ProcessingState.DELIVERED.value)


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": last_id}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded))["after"]
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(value)
        return value
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise ServiceError(ErrorCode.INVALID_CURSOR) from exc


class AgencyDesk:
    def __init__(self, ctx: IntakeContext) -> None:
        self.ctx = ctx

    @staticmethod
    def _dossier(s: Session, who: Principal, code: str) -> DossierRow:
        row = s.scalar(select(DossierRow).where(DossierRow.code == code))
        if row is None or row.agency_code != who.subject or row.state not in HANDED_OVER:
            raise ServiceError(ErrorCode.DOSSIER_NOT_FOUND, code)
        return row

    def list(
        self, who: Principal, cursor: str | None, limit: int, include_delivered: bool = False
    ) -> schemas.AgencyListPublic:
        after = decode_cursor(cursor) if cursor else 0
        states = list(HANDED_OVER) if include_delivered else [ProcessingState.VALIDATED.value]
        with self.ctx.db.transaction() as s:
            rows = s.scalars(
                select(DossierRow)
                .where(DossierRow.agency_code == who.subject, DossierRow.state.in_(states), DossierRow.id > after)
                .order_by(DossierRow.id)
                .limit(limit + 1)
            ).all()
        more = len(rows) > limit
        rows = rows[:limit]
        return schemas.AgencyListPublic(
            items=[
                schemas.AgencyDossierPublic(
                    code=r.code,
                    procedure_code=r.procedure_code,
                    received_at=r.received_at,
                    due_date=date.fromisoformat(r.due_date) if r.due_date else None,
                    national_status=r.national_status,
                    approved_at=r.approved_at,
                )
                for r in rows
            ],
            next_cursor=encode_cursor(rows[-1].id) if more else None,
        )

    def _package(self, who: Principal, code: str, action: str, detail: str | None = None) -> tuple[str, dict]:
        """(package prefix, manifest) of an agency's dossier; the access is logged."""
        with self.ctx.db.transaction() as s:
            row = self._dossier(s, who, code)
            log_access(s, who, action, code, detail)
            prefix = row.package_prefix
        assert prefix is not None  # a handed-over dossier has its package
        with self.ctx.store.open(prefix + "manifest.json") as stream:
            return prefix, json.loads(stream.read())

    def manifest(self, who: Principal, code: str) -> dict:
        return self._package(who, code, "manifest")[1]

    def package_file(self, who: Principal, code: str, name: str) -> tuple[str, str | None, str]:
        """(object key, presigned URL or None, media type) of a file listed in the manifest."""
        prefix, manifest = self._package(who, code, "export", name)
        listed = {f["name"]: f["media_type"] for f in manifest["files"]} | {"manifest.json": "application/json"}
        if name not in listed:
            raise ServiceError(ErrorCode.FILE_NOT_FOUND, name)
        url = self.ctx.store.presigned_url(prefix + name, self.ctx.settings.storage.presign_seconds)
        return prefix + name, url, listed[name]

    def acknowledge(self, who: Principal, code: str) -> schemas.DossierPublic:
        with self.ctx.db.transaction() as s:
            row = self._dossier(s, who, code)
            if row.state == ProcessingState.VALIDATED.value:
                row.state = ProcessingState.DELIVERED.value
                row.acknowledged_at = self.ctx.clock.now()
                log_access(s, who, "acknowledge", code)
            s.flush()
            return dossier_public(s, row, self.ctx.catalogue)

    def report_status(
        self, who: Principal, code: str, report: schemas.StatusReport, idempotency_key: str | None = None
    ) -> schemas.DossierPublic:
        try:
            status = NationalStatus(report.status)
        except ValueError as exc:
            raise ServiceError(ErrorCode.STATUS_NOT_ALLOWED, str(report.status)) from exc
        if status not in AGENCY_STATUSES:
            raise ServiceError(ErrorCode.STATUS_NOT_ALLOWED, f"{int(status)} ({status.label_vi})")

        def work(s: Session) -> schemas.DossierPublic:
            row = self._dossier(s, who, code)
            if row.state != ProcessingState.DELIVERED.value:
                raise ServiceError(ErrorCode.DOSSIER_NOT_READY, "chưa xác nhận đã nhận hồ sơ")
            row.national_status = int(status)
            s.add(
                StatusReportRow(
                    dossier_id=row.id,
                    status=int(status),
                    note=report.note,
                    reported_by=who.subject,
                    at=self.ctx.clock.now(),
                )
            )
            s.flush()
            return dossier_public(s, row, self.ctx.catalogue)

        request = IdempotentRequest.of(
            idempotency_key, f"POST /agency/dossiers/{code}/status", report.model_dump_json()
        )
        return run_once(self.ctx.db, who, request, schemas.DossierPublic, work)
