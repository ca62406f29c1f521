"""Online intake: the public-service portal and accredited online agents submit a dossier with
its files in one idempotent call (/api/v1/online/).

The call is all-or-nothing. Every file is read, checked (preflight, the quality check) and
stored first, with nothing recorded; then one transaction creates the dossier, its files and
its receipt (code, appointment date, page jobs) and records the Idempotency-Key. Any refusal
(a file, the checklist) rolls the whole of it back: no dossier row, no component. Originals
stored before a refusal stay in the object store as orphans: content-addressed, a retry reuses
them, and `sohoa check` lists them.

The dossier then is a counter dossier in every way but its channel ("online"), its national
status (1, Mới đăng ký, until a reviewer's approval accepts it) and who received it (the key).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO

from pydantic import ValidationError
from sqlalchemy.orm import Session

from intake.auth import Principal, Role
from intake.clock import VIETNAM
from intake.context import IntakeContext
from intake.dossier_steps import (
    CheckedFile,
    Destination,
    competent_agency,
    copy_capped,
    issue_receipt,
    known_procedure,
    new_dossier,
    preflight_upload,
    record_file,
    store_checked,
)
from intake.errors import ServiceError
from intake.filenames import display_filename, original_filename
from intake.idempotency import IdempotentRequest, previous_answer, run_once
from intake.lookup import lookup_url
from intake.online_schemas import OnlineDossierCreate, OnlineDossierPublic, OnlineStatusPublic
from intake.ratelimit import SlidingWindowLimiter
from intake.records import STATE_LABELS, dossier_public, find_dossier, log_access
from models.dossier import NationalStatus, ProcessingState
from models.errors import ErrorCode
from storage.tables import DossierRow

log = logging.getLogger(__name__)

CHANNEL = "online"
OPERATION = "POST /online/dossiers"
MISSING_KEY = (
    "thiếu tiêu đề Idempotency-Key: mỗi hồ sơ gửi trực tuyến cần một mã riêng; "
    "khi gửi lại (mất kết nối, hết thời gian chờ) hãy dùng đúng mã đó"
)


class RateLimited(ServiceError):
    """TOO_MANY_REQUESTS with how long to wait (the HTTP answer's Retry-After)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(ErrorCode.TOO_MANY_REQUESTS, f"thử lại sau {retry_after} giây")
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class ReceivedFile:
    """One file of the call, hashed within the upload cap; read again, checked and stored by
    `_check` (one file in memory at a time)."""

    index: int  # 0-based, in the order sent
    filename: str  # as sent (kept as data)
    stream: BinaryIO  # seekable: an upload's spooled file
    sha256: str

    @property
    def place(self) -> str:
        return file_place(self.index, self.filename)


def file_place(index: int, filename: str) -> str:
    """Which file, for a refusal's detail: its number in the call and its safe name."""
    return f'tệp {index + 1} "{display_filename(filename)}"'


class OnlineIntake:
    def __init__(self, ctx: IntakeContext) -> None:
        self.ctx = ctx
        self.limiter = SlidingWindowLimiter(60.0)  # per key, in this process

    # --- the rate limit ------------------------------------------------------------------------

    def admit(self, who: Principal) -> None:
        """Count one request of an online key: RateLimited past its `per_minute` (the key's own,
        or settings.online.per_minute). Only online keys are limited here."""
        if who.role != Role.ONLINE:
            return
        limit = who.per_minute or self.ctx.settings.online.per_minute
        wait = self.limiter.hit(who.identity, limit)
        if wait is not None:
            log.info("online key of %s over its limit of %d a minute", who.subject, limit)
            raise RateLimited(wait)

    # --- the call ------------------------------------------------------------------------------

    def submit(
        self,
        who: Principal,
        dossier_json: str | bytes,
        files: Sequence[tuple[str, BinaryIO]],
        idempotency_key: str | None,
        base_url: str | None = None,
    ) -> OnlineDossierPublic:
        """Create, fill and submit one online dossier, or nothing at all (see the module).
        `base_url`: the look-up link's address when no public one is configured (as the receipt)."""
        if not idempotency_key:
            raise ServiceError(ErrorCode.INVALID_REQUEST, MISSING_KEY)
        point = self._service_point(who)
        body = _parse(dossier_json)
        received = self._receive_all(files)
        request = IdempotentRequest.of(idempotency_key, OPERATION, _fingerprint(body, received))
        done = previous_answer(self.ctx.db, who, request, OnlineDossierPublic)
        if done is not None:  # a retry after a lost answer: the first answer, nothing redone
            return done
        procedure = known_procedure(self.ctx, body.procedure_code)
        to = Destination(procedure, point, competent_agency(self.ctx, procedure, body.agency_code))
        checked = [self._check(f) for f in received]  # any refusal: nothing recorded

        def work(s: Session) -> OnlineDossierPublic:
            return self._answer(s, self._record(s, who, to, body, checked), base_url)

        return run_once(self.ctx.db, who, request, OnlineDossierPublic, work)

    def status(self, who: Principal, code: str) -> OnlineStatusPublic:
        """Where one of the sender's own dossiers stands; any other is 404 as if missing."""
        with self.ctx.db.transaction() as s:
            row = find_dossier(s, code, who=who)
            log_access(s, who, "view_status", row.code or row.public_id)
            public = dossier_public(s, row, self.ctx.catalogue)
            assert row.code is not None  # an online dossier is received in the call that creates it
            return OnlineStatusPublic(
                code=row.code,
                external_reference=row.external_reference,
                channel=row.channel,
                state=public.state,
                state_label=STATE_LABELS[ProcessingState(row.state)],
                national_status=row.national_status,
                national_status_label=public.national_status_label,
                received_at=row.received_at.astimezone(VIETNAM) if row.received_at else None,
                due_date=public.due_date,
                progress=public.progress,
            )

    # --- before anything is recorded -----------------------------------------------------------

    def _service_point(self, who: Principal) -> str:
        """The point that receives the key's dossiers (its receiving unit makes the code)."""
        point = who.service_point
        if point is None or point not in self.ctx.organisation.service_points:
            raise ServiceError(ErrorCode.FORBIDDEN, "khóa trực tuyến chưa gắn điểm tiếp nhận; hãy cấp khóa mới")
        return point

    def _receive_all(self, files: Sequence[tuple[str, BinaryIO]]) -> list[ReceivedFile]:
        if not files:
            raise ServiceError(ErrorCode.DOSSIER_EMPTY)
        most = self.ctx.settings.online.max_files
        if len(files) > most:
            raise ServiceError(ErrorCode.INVALID_REQUEST, f"files: tối đa {most} tệp trong một hồ sơ")
        return [self._read(index, name, stream) for index, (name, stream) in enumerate(files)]

    def _read(self, index: int, name: str, stream: BinaryIO) -> ReceivedFile:
        """The file hashed, size-capped while read (the counter's cap, per file)."""
        filename = original_filename(name)
        with open(os.devnull, "wb") as nowhere:
            sha256 = copy_capped(self.ctx, stream, nowhere, file_place(index, filename))
        stream.seek(0)
        return ReceivedFile(index, filename, stream, sha256)

    def _check(self, f: ReceivedFile) -> CheckedFile:
        """The counter's checks of one file (preflight, then the quality check of every page),
        then the original stored; a refusal names the file."""
        data = f.stream.read()
        return store_checked(self.ctx, data, f.filename, preflight_upload(self.ctx, data, f.filename, f.place))

    # --- the one transaction -------------------------------------------------------------------

    def _record(
        self, s: Session, who: Principal, to: Destination, body: OnlineDossierCreate, checked: list[CheckedFile]
    ) -> DossierRow:
        """The counter's steps, all in this one transaction: the dossier, its files in the order
        sent (the same file twice is kept once), its receipt by the counter's rule (every
        required document or a reason for its absence; code, appointment date, page jobs)."""
        row = new_dossier(
            s,
            who,
            to,
            body.applicant,
            NationalStatus.MOI_DANG_KY,  # an online registration, not yet accepted
            CHANNEL,
            body.external_reference,
        )
        for f in checked:
            record_file(s, self.ctx, who, row, f, f.source())
        code, missing = issue_receipt(s, self.ctx, who, row, to.procedure, body.missing_reason)
        log_access(s, who, "receive_online", code, "; ".join(missing) or None)
        log.info("online dossier %s received from %s, due %s", code, who.subject, row.due_date)
        return row

    def _answer(self, s: Session, row: DossierRow, base_url: str | None) -> OnlineDossierPublic:
        public = dossier_public(s, row, self.ctx.catalogue)
        base = self.ctx.settings.lookup.public_url or base_url
        assert row.code is not None and row.lookup_key is not None
        link = lookup_url(base, row.code, row.lookup_key) if base else None
        return OnlineDossierPublic(**public.model_dump(), lookup_url=link, lookup_key=row.lookup_key)


def _parse(dossier_json: str | bytes) -> OnlineDossierCreate:
    try:
        return OnlineDossierCreate.model_validate_json(dossier_json)
    except ValidationError as err:
        where = "; ".join(".".join(str(p) for p in e["loc"]) or "dossier" for e in err.errors()[:5])
        raise ServiceError(ErrorCode.INVALID_REQUEST, f"dossier: {where}") from err


def _fingerprint(body: OnlineDossierCreate, received: list[ReceivedFile]) -> str:
    """What the call asks for, for its Idempotency-Key: the dossier and each file (bytes, name)."""
    return json.dumps(
        {"dossier": body.model_dump(mode="json"), "files": [[f.sha256, f.filename] for f in received]},
        sort_keys=True,
        ensure_ascii=False,
    )
