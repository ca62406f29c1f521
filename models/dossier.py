"""The dossier (hồ sơ thủ tục hành chính) and what it is made of.

Acceptance is location-independent (phi địa giới): the service point that received a
dossier and the agency competent to decide it are separate. Business status follows the
national 10-value catalogue (TrangThaiHoSo, DVCQG); our own processing state (OCR,
review, hand-over) is a separate dimension, as the domain brief asks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum

from models.document import Box, DocumentKind, FieldStatus


class NationalStatus(IntEnum):
    """TrangThaiHoSo as synchronised with the National Public Service Portal."""

    MOI_DANG_KY = 1  # submitted online, not yet accepted
    DUOC_TIEP_NHAN = 2  # accepted by the one-stop counter
    KHONG_DUOC_TIEP_NHAN = 3  # refused
    DANG_XU_LY = 4  # with the specialist unit
    YEU_CAU_BO_SUNG = 5  # supplement requested (clock paused)
    YEU_CAU_NGHIA_VU_TAI_CHINH = 6  # fees or taxes due (clock paused)
    CONG_DAN_RUT_HO_SO = 7  # withdrawn by the citizen
    DUNG_XU_LY = 8  # stopped
    DA_XU_LY_XONG = 9  # result ready
    DA_TRA_KET_QUA = 10  # returned to the citizen

    @property
    def label_vi(self) -> str:
        return NATIONAL_STATUS_LABELS[self]


NATIONAL_STATUS_LABELS: dict[NationalStatus, str] = {
    NationalStatus.MOI_DANG_KY: "Mới đăng ký",
    NationalStatus.DUOC_TIEP_NHAN: "Được tiếp nhận",
    NationalStatus.KHONG_DUOC_TIEP_NHAN: "Không được tiếp nhận",
    NationalStatus.DANG_XU_LY: "Đang xử lý",
    NationalStatus.YEU_CAU_BO_SUNG: "Yêu cầu bổ sung giấy tờ",
    NationalStatus.YEU_CAU_NGHIA_VU_TAI_CHINH: "Yêu cầu thực hiện nghĩa vụ tài chính",
    NationalStatus.CONG_DAN_RUT_HO_SO: "Công dân yêu cầu rút hồ sơ",
    NationalStatus.DUNG_XU_LY: "Dừng xử lý",
    NationalStatus.DA_XU_LY_XONG: "Đã xử lý xong",
    NationalStatus.DA_TRA_KET_QUA: "Đã trả kết quả",
}

# Statuses during which the processing-time clock does not run.
CLOCK_PAUSED = frozenset({NationalStatus.YEU_CAU_BO_SUNG, NationalStatus.YEU_CAU_NGHIA_VU_TAI_CHINH})


class ProcessingState(StrEnum):
    """Where Số Hóa's own work on a dossier stands (independent of the national status)."""

    DRAFT = "draft"  # being assembled at the counter
    QUEUED = "queued"  # submitted, waiting for OCR workers
    PROCESSING = "processing"
    NEEDS_REVIEW = "needs_review"  # fields wait for a reviewer
    NEEDS_ATTENTION = "needs_attention"  # a page kept failing: a person must look
    VALIDATED = "validated"  # approved by a reviewer, package built
    DELIVERED = "delivered"  # acknowledged by the competent agency


class ComponentSource(StrEnum):
    SCAN = "scan"  # scanned at the counter
    UPLOAD = "upload"  # a file brought or sent by the citizen
    BORN_DIGITAL = "born_digital"  # a born-digital PDF


class Provenance(StrEnum):
    OCR = "ocr"
    PDF_TEXT = "pdf_text"
    QR = "qr"
    MRZ = "mrz"
    REVIEWER = "reviewer"


@dataclass(frozen=True, slots=True)
class ServicePoint:
    """A counter location (điểm tiếp nhận) of a Public Administrative Service Center."""

    code: str
    name: str
    ward_code: str | None = None  # 5-digit administrative unit code (2025 catalogue)


@dataclass(frozen=True, slots=True)
class Agency:
    """A competent agency (cơ quan có thẩm quyền); `code` is its electronic ID (QCVN 102)."""

    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Applicant:
    full_name: str  # NFC, tone marks kept
    id_number: str | None = None  # personal data: masked in logs (pipeline.masking)
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class ReviewEdit:
    """A reviewer's correction of a field: who, when, from what, to what."""

    field_name: str
    reviewer: str
    at: datetime
    old_value: str
    new_value: str


@dataclass(slots=True)
class DossierField:
    name: str
    value: str
    confidence: float
    page: int  # index within the component
    box: Box
    status: FieldStatus
    provenance: Provenance
    edits: list[ReviewEdit] = field(default_factory=list)

    @property
    def reviewed(self) -> bool:
        """A reviewer's value is final: reprocessing never overwrites it."""
        return self.provenance == Provenance.REVIEWER


@dataclass(slots=True)
class DossierPage:
    index: int
    sha256: str  # content hash of the page image or source file page
    width: int
    height: int


@dataclass(slots=True)
class Component:
    """One document of a dossier (thành phần hồ sơ): a kind, its pages and its fields."""

    kind: DocumentKind
    source: ComponentSource
    file_sha256: str  # the original, stored content-addressed and never overwritten
    pages: list[DossierPage] = field(default_factory=list)
    fields: dict[str, DossierField] = field(default_factory=dict)


@dataclass(slots=True)
class Dossier:
    code: str  # mã hồ sơ, issued at submission, immutable
    procedure_code: str  # mã TTHC, e.g. 2.000635
    service_point: ServicePoint  # where it was received
    agency: Agency  # who decides it (may be anywhere in the city)
    applicant: Applicant
    received_at: datetime
    due_at: datetime | None
    status: NationalStatus = NationalStatus.DUOC_TIEP_NHAN
    state: ProcessingState = ProcessingState.DRAFT
    components: list[Component] = field(default_factory=list)
