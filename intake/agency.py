"""The competent agency's side: list what is ready for it (keyset cursor), read the manifest,
download package files, acknowledge receipt, report national-catalogue statuses.
Another agency's dossier is answered exactly like a missing one."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import date
from typing import cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from intake import schemas
from intake.auth import Principal
from intake.context import IntakeContext
from intake.errors import ServiceError
from intake.events import EventKind, record_event
from intake.idempotency import IdempotentRequest, run_once
from intake.records import HANDED_OVER, dossier_public, log_access
from intake.signing_checks import verify_download
from models.dossier import NationalStatus, ProcessingState, status_may_follow
from models.errors import ErrorCode
from storage.tables import DossierRow, StatusReportRow

# Statuses a competent agency may report once it holds the dossier.
AGENCY_STATUSES = frozenset(NationalStatus) - {NationalStatus.MOI_DANG_KY, NationalStatus.DUOC_TIEP_NHAN}


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": last_id}).encode()).decode().rstrip("=")


MAX_CURSOR = 64  # characters; the cursors this service issues have about 20


def decode_cursor(cursor: str) -> int:
    """The row id a cursor of ours points after. Anything else is 400 INVALID_CURSOR, never a
    database error: a long or non-base64 text, JSON that is not {"after": id} (5,000 levels
    deep included), an id outside the database's range (2**63, -1) or of another type (true, 1.5)."""
    if not cursor or len(cursor) > MAX_CURSOR or not cursor.isascii():
        raise ServiceError(ErrorCode.INVALID_CURSOR)
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, RecursionError, binascii.Error) as exc:
        raise ServiceError(ErrorCode.INVALID_CURSOR) from exc
    value = decoded.get("after") if isinstance(decoded, dict) else None
    if type(value) is not int or not 0 <= value <= schemas.MAX_ID:
        raise ServiceError(ErrorCode.INVALID_CURSOR)
    return value


class AgencyDesk:
    def __init__(self, ctx: IntakeContext) -> None:
        self.ctx = ctx

    @staticmethod
    def _dossier(s: Session, who: Principal, code: str) -> DossierRow:
        row = s.scalar(select(DossierRow).where(DossierRow.code == code))
        # Reopened for a correction, it stays the agency's: package_prefix is the last revision sent.
        handed_over = row is not None and (row.state in HANDED_OVER or (row.package_revision or 0) >= 1)
        if row is None or row.agency_code != who.subject or not handed_over:
            raise ServiceError(ErrorCode.DOSSIER_NOT_FOUND, code)
        return row

    def list(
        self, who: Principal, cursor: str | None, limit: int, include_delivered: bool = False
    ) -> schemas.AgencyListPublic:
        after = decode_cursor(cursor) if cursor else 0
        states = list(HANDED_OVER) if include_delivered else [ProcessingState.VALIDATED.value]
        with self.ctx.db.reading() as s:
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

    def _package(
        self, who: Principal, code: str, action: str, detail: str | None = None
    ) -> tuple[str, str | None, bytes]:
        """(package prefix, the manifest's SHA-256 recorded at approval, manifest.json as stored)
        of an agency's dossier; the access is logged."""
        with self.ctx.db.transaction() as s:
            row = self._dossier(s, who, code)
            log_access(s, who, action, code, detail)
            prefix, recorded = row.package_prefix, row.package_manifest_sha256
        assert prefix is not None  # a handed-over dossier has its package
        with self.ctx.store.open(prefix + "manifest.json") as stream:
            return prefix, recorded, stream.read()

    def manifest(self, who: Principal, code: str) -> dict:
        return json.loads(self._package(who, code, "manifest")[2])

    def package_file(self, who: Principal, code: str, name: str) -> tuple[str, str | None, str]:
        """(object key, presigned URL or None, media type) of a file listed in the manifest, once
        checked against the manifest and its signature (PACKAGE_TAMPERED otherwise)."""
        prefix, recorded, manifest_bytes = self._package(who, code, "export", name)
        manifest = json.loads(manifest_bytes)
        listed = {f["name"]: f["media_type"] for f in manifest["files"]} | {"manifest.json": "application/json"}
        if name not in listed:
            raise ServiceError(ErrorCode.FILE_NOT_FOUND, name)
        verify_download(self.ctx, prefix, recorded, manifest_bytes, name)
        url = self.ctx.store.presigned_url(prefix + name, self.ctx.settings.storage.presign_seconds)
        return prefix + name, url, listed[name]

    def acknowledge(self, who: Principal, code: str) -> schemas.DossierPublic:
        with self.ctx.db.transaction() as s:
            row = self._dossier(s, who, code)
            if row.state == ProcessingState.VALIDATED.value:
                row.state = ProcessingState.DELIVERED.value
                row.acknowledged_at = self.ctx.clock.now()
                record_event(s, row, EventKind.ACKNOWLEDGED, {"package_revision": row.package_revision}, self.ctx.clock)
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
            current = NationalStatus(row.national_status)
            if status == current:  # the same report again: nothing changes
                return dossier_public(s, row, self.ctx.catalogue)
            change = f"{int(current)} ({current.label_vi}) → {int(status)} ({status.label_vi})"
            if not status_may_follow(current, status):
                raise ServiceError(ErrorCode.STATUS_ORDER_NOT_ALLOWED, change)
            # Conditional on the status just read: of two reports racing from one status, the
            # database lets exactly one move it (SQLite included, which ignores FOR UPDATE).
            moved = s.execute(
                update(DossierRow)
                .where(DossierRow.id == row.id, DossierRow.national_status == int(current))
                .values(national_status=int(status))
            )
            if cast(CursorResult, moved).rowcount != 1:
                raise ServiceError(ErrorCode.STATUS_ORDER_NOT_ALLOWED, change + ": trạng thái vừa thay đổi")
            s.add(
                StatusReportRow(
                    dossier_id=row.id,
                    status=int(status),
                    note=report.note,
                    reported_by=who.subject,
                    at=self.ctx.clock.now(),
                )
            )
            record_event(
                s,
                row,
                EventKind.STATUS_REPORTED,
                {"national_status": int(status), "label": status.label_vi, "note": report.note},
                self.ctx.clock,
            )
            s.flush()
            return dossier_public(s, row, self.ctx.catalogue)

        request = IdempotentRequest.of(
            idempotency_key, f"POST /agency/dossiers/{code}/status", report.model_dump_json()
        )
        return run_once(self.ctx.db, who, request, schemas.DossierPublic, work)
