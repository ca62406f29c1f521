"""Request and response bodies of a dossier's history, its national sync export and reopening
it for a correction (issue 18)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from intake.schemas import NfcModel


class HistoryItemPublic(BaseModel):
    at: datetime = Field(description="Vietnam time, with its offset.")
    action: str = Field(
        description="received, digitized, reviewed, sent_back, resubmitted, approved, reopened, resent, "
        "acknowledged or status_reported."
    )
    action_label: str = Field(description="The action in Vietnamese.")
    by: str | None = Field(description="A staff user name or an agency code; null: the service's own reading.")
    by_name: str | None = Field(None, description="The staff account's full name, where there is one.")
    unit: str | None = Field(description="The service point, center or agency that acted, by name.")
    detail: str | None = None
    national_status: int | None = Field(None, description="TrangThaiHoSo (1-10) after this step.")


class HistoryPublic(BaseModel):
    dossier_code: str
    items: list[HistoryItemPublic]


class Reopen(NfcModel):
    reason: str = Field(
        min_length=1, max_length=2000, pattern=r"\S", description="Why the dossier is reopened: what is corrected."
    )
