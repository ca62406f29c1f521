"""`Idempotency-Key`: a create request sent again (a retry after a timeout, a double click)
gets the first answer again instead of creating a second dossier, file or report.

The key is recorded in the same transaction as what the request created, so either both
exist or neither; of two requests racing with one key, the database lets one commit, and
the other is answered with what that one stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from intake.auth import Principal
from intake.errors import ServiceError
from models.errors import ErrorCode
from storage.db import Database
from storage.tables import IdempotencyKeyRow

Answer = TypeVar("Answer", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class IdempotentRequest:
    key: str  # the client's Idempotency-Key
    operation: str  # e.g. "POST /dossiers"
    request_sha256: str  # of what the request asks for; the same key with another body is refused

    @classmethod
    def of(cls, key: str | None, operation: str, content: str | bytes) -> IdempotentRequest | None:
        if not key:
            return None
        data = content.encode() if isinstance(content, str) else content
        return cls(key, operation, hashlib.sha256(data).hexdigest())


def _stored(s: Session, who: Principal, request: IdempotentRequest) -> dict | None:
    row = s.get(IdempotencyKeyRow, (who.identity, request.key))
    if row is None:
        return None
    if row.operation != request.operation or row.request_sha256 != request.request_sha256:
        raise ServiceError(ErrorCode.IDEMPOTENCY_KEY_REUSED)
    return row.response


def previous_answer(
    db: Database, who: Principal, request: IdempotentRequest | None, answer_type: type[Answer]
) -> Answer | None:
    """The answer a request with this key already got, if any (a resend after a lost reply)."""
    if request is None:
        return None
    with db.reading() as s:
        stored = _stored(s, who, request)
    return None if stored is None else answer_type.model_validate(stored)


def run_once(
    db: Database,
    who: Principal,
    request: IdempotentRequest | None,
    answer_type: type[Answer],
    work: Callable[[Session], Answer],
) -> Answer:
    """`work` in one transaction, at most once per idempotency key (when there is one)."""
    if request is None:
        with db.transaction() as s:
            return work(s)
    for attempt in range(2):
        try:
            with db.transaction() as s:
                stored = _stored(s, who, request)
                if stored is not None:
                    return answer_type.model_validate(stored)
                answer = work(s)
                s.add(
                    IdempotencyKeyRow(
                        principal=who.identity,
                        key=request.key,
                        operation=request.operation,
                        request_sha256=request.request_sha256,
                        response=answer.model_dump(mode="json"),
                    )
                )
                s.flush()
                return answer
        except IntegrityError:
            if attempt:  # not a twin's key: a real conflict
                raise
    raise AssertionError("unreachable")
