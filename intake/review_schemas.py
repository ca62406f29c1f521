"""Request and response bodies of the review workstation (issue 16): claims, the typed-value
check, document fixes, send-back. The dossier, field and queue bodies are in intake/schemas.py."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from intake.schemas import DossierPublic, NfcModel


class ClaimPublic(BaseModel):
    code: str
    claimed_by: str
    claimed_by_name: str | None = None
    claimed_at: datetime
    expires_at: datetime = Field(description="Free for others after this, unless the reviewer acts again.")


class FieldConfirm(BaseModel):
    version: int | None = Field(None, ge=1, le=2**31 - 1, description="The version confirmed; stale → FIELD_STALE.")
    keep_unlisted_place: bool = Field(False, description="Keep a place outside the 2025 catalogue (e.g. abroad).")


class ValueCheck(NfcModel):
    name: str = Field(max_length=64, description="The field's name, e.g. so_dinh_danh, ngay_sinh, noi_cu_tru.")
    value: str = Field(max_length=2000)


class ValueCheckPublic(BaseModel):
    value: str = Field(description="The value as it would be stored (e.g. a date as DD/MM/YYYY).")
    valid: bool
    problems: list[str] = Field(default_factory=list, description="Vietnamese, one per failed check.")
    may_keep: bool = Field(
        False, description="Only the place check failed: the reviewer may keep the value (keep_unlisted_place)."
    )


class SendBack(NfcModel):
    items: list[str] = Field(min_length=1, max_length=30, description="What is missing or wrong, one line each.")
    note: str | None = Field(None, max_length=2000)


class SupplementRequestPublic(BaseModel):
    items: list[str]
    note: str | None
    requested_by: str
    requested_by_name: str | None = None
    requested_at: datetime


class SentBackPublic(BaseModel):
    """A dossier a reviewer sent back to the counter that received it."""

    dossier: DossierPublic
    request: SupplementRequestPublic


class DocumentPartIn(BaseModel):
    kind: str = Field(max_length=32, description="A document kind (models/kinds.py).")
    pages: list[int] = Field(min_length=1, max_length=2000, description="Page indexes of the file, in order.")


class DocumentParts(BaseModel):
    """A reviewer's word on the documents in one file: every page in exactly one document."""

    parts: list[DocumentPartIn] = Field(min_length=1, max_length=500)


class PageRotation(BaseModel):
    degrees: int = Field(description="Clockwise: 90, 180 or 270 more than now.")
