"""The dossier (hồ sơ thủ tục hành chính) and what it is made of.

Acceptance is location-independent (phi địa giới): the service point that received a
dossier and the agency competent to decide it are separate. Business status follows the
national 10-value catalogue (TrangThaiHoSo, DVCQG); our own processing state (OCR,
review, hand-over) is a separate dimension (docs/DOMAIN.md#dossier-statuses).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum


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
