"""The draft open on a counter clerk's screen, where the clerk's scan station sends what the
scanner writes (`sohoa scan-station`). The screen opens a draft as the clerk starts receiving
a citizen's papers; submitting it, or opening another, moves the station on."""

from __future__ import annotations

import hashlib
import io
from typing import BinaryIO

from sqlalchemy.orm import Session

from intake import schemas
from intake.auth import Principal, Role
from intake.context import IntakeContext
from intake.dossiers import Dossiers, upload_request
from intake.errors import ServiceError
from intake.filenames import original_filename
from intake.idempotency import previous_answer
from intake.records import COUNTER_EDITABLE, find_dossier, require_state
from models.errors import ErrorCode
from storage.tables import DossierRow, WorkstationRow

# A dossier the counter may add pages to: a draft, or one sent back for papers.
OPEN_STATES = frozenset(state.value for state in COUNTER_EDITABLE)


class Workstations:
    def __init__(self, ctx: IntakeContext, dossiers: Dossiers) -> None:
        self.ctx = ctx
        self.dossiers = dossiers

    @staticmethod
    def _own(who: Principal, username: str) -> None:
        # A clerk's station is the clerk's own: no one opens or feeds another's screen.
        if who.role != Role.COUNTER or who.subject != username:
            raise ServiceError(ErrorCode.FORBIDDEN, f"quầy {username}")

    def open(self, who: Principal, username: str, body: schemas.WorkstationOpen) -> schemas.WorkstationPublic:
        self._own(who, username)
        with self.ctx.db.transaction() as s:
            dossier_id = None
            if body.dossier:
                row = find_dossier(s, body.dossier, who=who)
                require_state(row, *COUNTER_EDITABLE)
                dossier_id = row.id
            station = s.get(WorkstationRow, who.identity)
            if station is None:
                s.add(WorkstationRow(identity=who.identity, dossier_id=dossier_id))
            else:
                station.dossier_id = dossier_id
            return schemas.WorkstationPublic(username=username, dossier=self._public_id(s, dossier_id))

    def get(self, who: Principal, username: str) -> schemas.WorkstationPublic:
        self._own(who, username)
        with self.ctx.db.reading() as s:
            station = s.get(WorkstationRow, who.identity)
            return schemas.WorkstationPublic(
                username=username, dossier=self._public_id(s, station.dossier_id if station else None)
            )

    def add_file(
        self,
        who: Principal,
        username: str,
        filename: str,
        stream: BinaryIO,
        idempotency_key: str | None = None,
    ) -> schemas.ComponentPublic:
        """A scanned file for the draft open on the clerk's screen (409 NO_OPEN_DOSSIER when
        none is: the station keeps the file and tries again)."""
        self._own(who, username)
        operation = f"POST /counter/workstations/{username}/files"
        data = stream.read(self.ctx.settings.intake.max_upload_bytes + 1)  # add_file refuses what is over
        name = original_filename(filename)
        request = upload_request(idempotency_key, operation, hashlib.sha256(data).hexdigest(), name, "scan")
        # A resend after a lost reply gets its first answer, wherever the screen has moved since.
        sent = previous_answer(self.ctx.db, who, request, schemas.ComponentPublic)
        if sent is not None:
            return sent.model_copy(update={"created": False})
        with self.ctx.db.reading() as s:
            station = s.get(WorkstationRow, who.identity)
            row = s.get(DossierRow, station.dossier_id) if station and station.dossier_id else None
            if row is None or row.state not in OPEN_STATES:
                raise ServiceError(ErrorCode.NO_OPEN_DOSSIER, username)
            ref = row.public_id
        return self.dossiers.add_file(who, ref, filename, io.BytesIO(data), "scan", idempotency_key, operation)

    @staticmethod
    def _public_id(s: Session, dossier_id: int | None) -> str | None:
        if dossier_id is None:
            return None
        row = s.get(DossierRow, dossier_id)
        return row.public_id if row is not None and row.state in OPEN_STATES else None
