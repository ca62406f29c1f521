"""Request and response bodies of the HTTP API (Base / Create / Public naming).

Every text that comes in is checked here, at the boundary: NFC-normalized (whitespace runs,
line breaks included, become one space), bounded, and refused (422 `INVALID_REQUEST`) when it
holds a NUL or another control character, a lone surrogate or a direction override (U+202E…):
no database can store the first, the others disguise what a clerk or an agency reads. Numbers
are bounded to what the database holds; ID numbers and phones are ASCII digits after NFKC
(fullwidth `０` is `0`; Arabic-Indic `٠` is refused).
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime

from pydantic import BaseModel, Field, field_validator
from pydantic_core import PydanticCustomError

from pipeline.text import nfc

MAX_ID = 2**63 - 1  # the largest row id both databases hold (signed 64 bits); a larger one names nothing
MAX_PAGE_INDEX = 9_999  # a file's page index (preflight allows far fewer pages)
MAX_PART = 999  # which document of a file
# Unicode's explicit direction formatting: shown text that reads otherwise than it is stored.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
NO_CONTROLS = r"^[^\x00-\x1f\x7f-\x9f]*$"  # a path or query text: no NUL, no C0/C1 control


def unsafe_character(text: str) -> str | None:
    """The first character no stored or shown text may hold: a control character (NUL, ESC,
    C1…), a lone surrogate, a direction override or isolate; None when there is none."""
    for ch in text:
        if ch in BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Cs"):
            return ch
    return None


class NfcModel(BaseModel):
    @field_validator("*", mode="before")
    @classmethod
    def _nfc(cls, value):  # noqa: ANN001
        return nfc(value) if isinstance(value, str) else value

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value):  # noqa: ANN001
        if isinstance(value, str) and (ch := unsafe_character(value)) is not None:
            raise PydanticCustomError(
                "control_character",
                "character U+{codepoint} (NUL, control or direction override) is not allowed",
                {"codepoint": f"{ord(ch):04X}"},
            )
        return value


def _nfkc(value):  # noqa: ANN001, ANN202
    return unicodedata.normalize("NFKC", value) if isinstance(value, str) else value


class ApplicantBase(NfcModel):
    full_name: str = Field(min_length=1, max_length=200)
    id_number: str | None = Field(
        None, pattern=r"^[0-9]{12}$", description="Số định danh cá nhân: 12 ASCII digits (after NFKC)."
    )
    phone: str | None = Field(None, max_length=20, pattern=r"^[+(]?[0-9][0-9 .()-]*$", examples=["0912 345 678"])
    date_of_birth: str | None = Field(
        None, pattern=r"^[0-3][0-9]/[01][0-9]/[12][0-9]{3}$", description="DD/MM/YYYY.", examples=["05/09/1990"]
    )
    address: str | None = Field(None, max_length=300, description="Nơi cư trú, as the citizen gives it.")

    @field_validator("id_number", "phone", "date_of_birth", mode="before")
    @classmethod
    def _ascii_digits(cls, value):  # noqa: ANN001
        # Fullwidth and other compatibility digits become ASCII; other scripts' digits stay, and fail.
        return _nfkc(value)


class DossierCreate(NfcModel):
    procedure_code: str = Field(pattern=r"^[0-9]\.[0-9]{6}$", examples=["2.000635"])
    service_point_code: str = Field(min_length=1, max_length=64)
    agency_code: str | None = Field(None, max_length=64, description="Competent agency; default: the procedure's.")
    applicant: ApplicantBase


class ApplicantUpdate(NfcModel):
    applicant: ApplicantBase


class SubmitRequest(NfcModel):
    missing_reason: str | None = Field(
        None,
        min_length=3,
        max_length=1000,
        description="Why the dossier is received with a required document missing (recorded, printed on the receipt).",
    )


class ComponentUpdate(NfcModel):
    rotation: int | None = Field(None, description="Clockwise degrees: 0, 90, 180 or 270.")
    declared_kind: str | None = Field(None, max_length=32, description="The clerk's word on the document kind.")
    clear_declared_kind: bool = Field(False, description="Forget the clerk's kind: the check's likely kind counts.")
    declared_document: str | None = Field(
        None, max_length=300, description="Which required document of the procedure this file is ('' to forget)."
    )

    @field_validator("rotation")
    @classmethod
    def _quarter_turn(cls, value: int | None) -> int | None:
        if value is not None and value not in (0, 90, 180, 270):
            raise PydanticCustomError("rotation", "rotation must be 0, 90, 180 or 270")
        return value


class ComponentOrder(BaseModel):
    component_ids: list[int] = Field(max_length=1000, description="Every file of the dossier, in the new order.")


class QrPayloadIn(NfcModel):
    payload: str = Field(
        min_length=1, max_length=2000, description="The CCCD/căn cước QR text, as the scanner typed it."
    )


class ApplicantFromQr(BaseModel):
    """A citizen's card data read from its QR code: shown to the clerk, used once confirmed."""

    full_name: str
    id_number: str
    old_id_number: str | None
    date_of_birth: str | None
    sex: str | None
    address: str | None
    issued_on: str | None
    problems: list[str] = Field(default_factory=list, description="Values that break their rule (check them).")


class WorkstationOpen(NfcModel):
    dossier: str | None = Field(None, max_length=100, description="The draft to receive scans; null closes it.")


class WorkstationPublic(BaseModel):
    username: str
    dossier: str | None = Field(description="The open draft's public id, or null.")


class QualityIssuePublic(BaseModel):
    page: int = Field(description="The page's number in the dossier (1-based, in the dossier's order).")
    code: str = Field(
        description="BLURRED, TOO_DARK, TOO_BRIGHT, LOW_RESOLUTION, SKEWED, CUT_OFF, BLANK_PAGE, GLARE, DUPLICATE_PAGE"
    )
    message: str
    message_en: str


class PageCheckPublic(BaseModel):
    index: int = Field(description="The page's index in its file.")
    number: int = Field(description="Its number in the dossier (1-based).")
    likely_kind: str
    likely_kind_label: str
    codes: list[str]


class ChecklistItemPublic(BaseModel):
    name: str
    required: bool
    kinds: list[str]
    present: bool
    pages: list[int] = Field(description="Numbers of the pages that satisfy it.")


class ChecklistPublic(BaseModel):
    items: list[ChecklistItemPublic]
    missing: list[str] = Field(description="Required documents not found among the pages.")


class SignIn(BaseModel):
    username: str = Field(min_length=1, max_length=200, description="Tên đăng nhập.")
    password: str = Field(min_length=1, max_length=1024, description="Mật khẩu.")


class SessionPublic(BaseModel):
    username: str
    full_name: str
    role: str
    service_point: str | None
    service_point_name: str | None
    csrf_token: str = Field(description="Gửi lại trong header X-CSRF-Token với mọi POST/PUT/PATCH/DELETE.")
    expires_at: datetime = Field(description="Hết hạn nếu không dùng tiếp (giờ Việt Nam).")


class ErrorItem(BaseModel):
    loc: list[str | int] = Field(description='Where in the request, e.g. ["body", "applicant", "id_number"].')
    msg: str


class ErrorPublic(BaseModel):
    """Every error answer, the framework's own included. What it repeats of the request is bounded."""

    code: str
    message: str  # Vietnamese, for the clerk
    message_en: str
    errors: list[ErrorItem] | None = Field(None, description="For 422 INVALID_REQUEST: each refused value's place.")
    current: dict | None = Field(None, description="For 409 FIELD_STALE: the field as it is now.")
    may_keep: bool | None = Field(
        None, description="For 422 FIELD_VALUE_INVALID on a place: it may be kept with keep_unlisted_place."
    )
    request_id: str | None = Field(
        None, description="The request's id, as in its X-Request-ID header and in the server's log lines."
    )


class ComponentPublic(BaseModel):
    id: int
    position: int
    filename: str = Field(
        description="The name to show: no folders, control or direction characters; bounded (intake.filenames)."
    )
    original_filename: str | None = Field(
        None, description="The name as sent, verbatim: data only, never a path, to be escaped wherever shown."
    )
    sha256: str
    media_type: str
    size_bytes: int
    source: str
    page_count: int
    kind: str | None
    parts: list[dict] = Field(
        default_factory=list, description="Documents found in the file, in order: kind, confidence, pages."
    )
    rotation: int = 0
    declared_kind: str | None = None
    declared_document: str | None = None
    quality: list[QualityIssuePublic] = Field(
        default_factory=list, description="The quality check's warnings for this file's pages."
    )
    page_checks: list[PageCheckPublic] = Field(default_factory=list)
    qr_applicant: ApplicantFromQr | None = Field(None, description="Card data from a QR code found on a page.")
    created: bool = Field(description="False when the same file was already in the dossier.")


class ProgressPublic(BaseModel):
    pages_total: int
    pages_done: int
    pages_failed: int


class DossierPublic(BaseModel):
    id: str  # public id, usable before the code exists
    code: str | None
    procedure_code: str
    procedure_name: str | None
    service_point_code: str
    agency_code: str
    channel: str = Field("counter", description="How the dossier reached the center: counter, online, postal.")
    external_reference: str | None = Field(None, description="The online sender's own reference, if any.")
    state: str
    state_label: str
    national_status: int
    national_status_label: str
    received_at: datetime | None
    due_date: date | None
    attention_reason: str | None
    applicant: ApplicantBase | None = Field(None, description="For the counter that received it.")
    received_by: str | None = None
    missing_reason: str | None = None
    components: list[ComponentPublic]
    progress: ProgressPublic


class ReviewEditPublic(BaseModel):
    action: str = Field(description="correct: another value typed; confirm: the value read was checked and kept.")
    reviewer: str
    at: datetime
    old_value: str
    new_value: str


class CandidatePublic(BaseModel):
    """One value a source gives for a field, for the reviewer to pick (key 1, 2, 3… on screen)."""

    source: str = Field(description="ocr, ocr2, ocr3, qr, mrz, in_words, in_figures, or other_document.")
    label: str = Field(description='Vietnamese, e.g. "Chữ in", "Mã QR", "MRZ", "Tờ khai (tệp 2)".')
    value: str


class FieldPublic(BaseModel):
    part: int = 0  # which document of the file (a scanned PDF may hold a card's two sides and a form)
    name: str
    label: str | None = None  # Vietnamese, for the reviewer's screen (the field spec's first label)
    value: str
    confidence: float
    page: int
    box: list[int]
    status: str
    sources: list[str] = []  # what the value rests on: ocr, pdf_text, qr, mrz, rule, reviewer
    reason: str | None = None  # why it needs review (stable code)
    reason_vi: str | None = None  # the same, for the reviewer's screen
    detail: dict | None = None  # other sources' values, normalized administrative unit, ...
    version: int = Field(1, description="Send it back with a correction: a stale one is refused (FIELD_STALE).")
    candidates: list[CandidatePublic] = Field(
        default_factory=list, description="Every distinct value the sources give, where they disagree."
    )
    edits: list[ReviewEditPublic]


class LinePublic(BaseModel):
    text: str
    box: list[int]
    confidence: float


class PagePublic(BaseModel):
    index: int
    rotation: int = Field(0, description="Clockwise degrees a reviewer turned the page; its image and boxes are so.")
    width: int | None
    height: int | None
    text_source: str | None
    lines: list[LinePublic]


class ReviewComponentPublic(ComponentPublic):
    pages: list[PagePublic]
    fields: list[FieldPublic]


class ReviewDossierPublic(BaseModel):
    dossier: DossierPublic
    applicant: ApplicantBase
    components: list[ReviewComponentPublic]


class QueueItemPublic(BaseModel):
    code: str
    procedure_code: str
    procedure_name: str | None = None
    service_point_code: str | None = None
    agency_code: str | None = None
    state: str
    green_lane: bool = False
    channel: str = Field("counter", description="How the dossier reached the center: counter, online, postal.")
    due_date: date | None
    due_in_days: int | None = Field(None, description="Calendar days until the appointment, Vietnam time; < 0 late.")
    received_at: datetime | None
    fields_to_review: int
    claimed_by: str | None = Field(None, description="The reviewer who has it open now (user name).")
    claimed_by_name: str | None = None


class FieldUpdate(NfcModel):
    value: str = Field(max_length=2000)
    version: int | None = Field(
        None, ge=1, le=2**31 - 1, description="The field's version the value was typed on; stale → 409 FIELD_STALE."
    )
    source: str | None = Field(
        None, max_length=32, description="The candidate picked (e.g. qr), recorded beside `reviewer`."
    )
    keep_unlisted_place: bool = Field(
        False, description="Keep a place outside the 2025 catalogue (e.g. a birthplace abroad); marked in `detail`."
    )


class AgencyDossierPublic(BaseModel):
    code: str
    procedure_code: str
    received_at: datetime | None
    due_date: date | None
    national_status: int
    approved_at: datetime | None


class AgencyListPublic(BaseModel):
    items: list[AgencyDossierPublic]
    next_cursor: str | None


class StatusReport(NfcModel):
    status: int = Field(ge=0, le=999, description="TrangThaiHoSo code from the national catalogue (1-10).")
    note: str | None = Field(None, max_length=2000)


class RequiredDocumentPublic(BaseModel):
    name: str
    required: bool
    kinds: list[str] = Field(description="Document kinds that satisfy it (models/kinds.py).")


class ProcedurePublic(BaseModel):
    code: str
    name: str
    agency: str = Field(description="The competent agency by default.")
    agencies: list[str] = Field(description="Every agency the catalogue lists as competent, the default first.")
    processing_days: int
    cutoff: str | None
    green_lane: bool
    fee: str = ""
    required_documents: list[RequiredDocumentPublic] = Field(default_factory=list)


# --- the package manifest (pipeline.output.package.build_manifest) ------------------------


class ManifestSignature(BaseModel):
    """The center's PAdES signature on a package PDF (docs/SIGNING.md)."""

    signer: str = Field(description="The signing certificate's subject common name.")
    unit: str = Field(description="The signing unit, as in the signature.")
    certificate_sha256: str = Field(description="SHA-256 of the signing certificate (DER).")
    signed_at: datetime = Field(description="Signing time, Vietnam time.")
    timestamped: bool = Field(description="A time-stamping authority's token is in the signature (PAdES B-T).")
    pdfa: str | None = Field(description='"2B": a PDF/A-2b made here; null: passed through as received.')


class ManifestFile(BaseModel):
    name: str
    sha256: str = Field(description="Of the file as stored (a PDF: signed).")
    size: int
    media_type: str
    signature: ManifestSignature | None = Field(None, description="PDFs only.")


class ManifestEdit(BaseModel):
    action: str
    reviewer: str
    at: datetime
    old: str
    new: str


class ManifestField(BaseModel):
    value: str
    confidence: float
    page: int
    box: list[int]
    status: str = Field(description="ok, or confirmed/corrected by a reviewer (see edits).")
    sources: list[str]
    reason: str | None
    detail: dict | None
    confirmed_by: str | None = Field(None, description="The reviewer who confirmed or corrected it; null: as read.")
    edits: list[ManifestEdit]


class ManifestOriginal(BaseModel):
    filename: str
    sha256: str
    size: int
    media_type: str


class ManifestComponent(BaseModel):
    position: int
    kind: str | None
    source: str
    original: ManifestOriginal
    searchable_pdf: str
    page_count: int
    fields: dict[str, ManifestField]


class ManifestParty(BaseModel):
    code: str
    name: str


class ManifestCatalogue(BaseModel):
    locality: str
    version: str


class ManifestDossier(BaseModel):
    code: str
    procedure_code: str
    procedure_name: str | None
    catalogue: ManifestCatalogue
    service_point: ManifestParty
    agency: ManifestParty
    applicant: ApplicantBase
    received_at: datetime | None
    due_date: date | None
    national_status: int
    channel: str = "counter"  # counter | online | postal (packages built before channels were kept: counter)
    package_revision: int = 1  # more than 1: re-sent after a correction
    pipeline_version: str


class ManifestPublic(BaseModel):
    manifest_version: str
    generated_at: datetime
    dossier: ManifestDossier
    components: list[ManifestComponent]
    files: list[ManifestFile] = Field(description="Every file of the package but the manifest, with its SHA-256.")
