"""Bodies of the online channel (/api/v1/online/): what the public-service portal or an online
agent sends with a dossier, and what it gets back."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from intake.schemas import ApplicantBase, DossierPublic, NfcModel, ProgressPublic


class OnlineDossierCreate(NfcModel):
    """The `dossier` part of the multipart request; the files come as `files` parts, in order."""

    procedure_code: str = Field(pattern=r"^[0-9]\.[0-9]{6}$", examples=["2.000200"])
    agency_code: str | None = Field(None, max_length=64, description="Competent agency; default: the procedure's.")
    applicant: ApplicantBase
    external_reference: str | None = Field(
        None, min_length=1, max_length=100, description="The sender's own reference (its registration number)."
    )
    missing_reason: str | None = Field(
        None,
        min_length=3,
        max_length=1000,
        description="Why the dossier is sent with a required document missing (recorded, as at the counter).",
    )


class OnlineDossierPublic(DossierPublic):
    """The dossier as received: its code, national status 1 (Mới đăng ký), the appointment date
    (`due_date`), each file's quality result (`components[].quality`), and the citizen's look-up
    link as the receipt prints it."""

    lookup_url: str | None = Field(None, description="The citizen's look-up page (the receipt's QR code).")
    lookup_key: str | None = Field(None, description="The look-up key printed on the receipt.")


class OnlineStatusPublic(BaseModel):
    """Where one of the sender's dossiers stands (no personal data, no files)."""

    code: str
    external_reference: str | None
    channel: str
    state: str
    state_label: str = Field(description="Vietnamese, as the citizen's look-up shows it.")
    national_status: int
    national_status_label: str
    received_at: datetime | None
    due_date: date | None = Field(description="The appointment date.")
    progress: ProgressPublic
