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

# Which national status may follow which (TrangThaiHoSo). The catalogue's codes and labels are
# secondary but consistent across integrators (docs/DOMAIN.md#dossier-statuses); no published
# transition table was found, so this one is derived from what each status means and is NOT
# confirmed: a deployment corrects it here. Reading: online registration (1) is accepted (2) or
# refused (3); an accepted dossier is handled (4), or at once sent back for papers (5) or fees
# (6), refused by the competent agency (3), withdrawn (7) or stopped (8); while handled it may
# pause for papers or fees and resume (5, 6 -> 4), be withdrawn or stopped, or finish (9, also
# straight after fees are paid); a finished result is returned (10). 3, 7, 8 and 10 are final.
NATIONAL_STATUS_TRANSITIONS: dict[NationalStatus, frozenset[NationalStatus]] = {
    NationalStatus.MOI_DANG_KY: frozenset({NationalStatus.DUOC_TIEP_NHAN, NationalStatus.KHONG_DUOC_TIEP_NHAN}),
    NationalStatus.DUOC_TIEP_NHAN: frozenset(
        {
            NationalStatus.KHONG_DUOC_TIEP_NHAN,
            NationalStatus.DANG_XU_LY,
            NationalStatus.YEU_CAU_BO_SUNG,
            NationalStatus.YEU_CAU_NGHIA_VU_TAI_CHINH,
            NationalStatus.CONG_DAN_RUT_HO_SO,
            NationalStatus.DUNG_XU_LY,
        }
    ),
    NationalStatus.DANG_XU_LY: frozenset(
        {
            NationalStatus.YEU_CAU_BO_SUNG,
            NationalStatus.YEU_CAU_NGHIA_VU_TAI_CHINH,
            NationalStatus.CONG_DAN_RUT_HO_SO,
            NationalStatus.DUNG_XU_LY,
            NationalStatus.DA_XU_LY_XONG,
        }
    ),
    NationalStatus.YEU_CAU_BO_SUNG: frozenset(
        {NationalStatus.DANG_XU_LY, NationalStatus.CONG_DAN_RUT_HO_SO, NationalStatus.DUNG_XU_LY}
    ),
    NationalStatus.YEU_CAU_NGHIA_VU_TAI_CHINH: frozenset(
        {
            NationalStatus.DANG_XU_LY,
            NationalStatus.CONG_DAN_RUT_HO_SO,
            NationalStatus.DUNG_XU_LY,
            NationalStatus.DA_XU_LY_XONG,
        }
    ),
    NationalStatus.DA_XU_LY_XONG: frozenset({NationalStatus.DA_TRA_KET_QUA}),
    NationalStatus.KHONG_DUOC_TIEP_NHAN: frozenset(),
    NationalStatus.CONG_DAN_RUT_HO_SO: frozenset(),
    NationalStatus.DUNG_XU_LY: frozenset(),
    NationalStatus.DA_TRA_KET_QUA: frozenset(),
}


def status_may_follow(current: NationalStatus, new: NationalStatus) -> bool:
    return new in NATIONAL_STATUS_TRANSITIONS[current]


class ProcessingState(StrEnum):
    """Where Số Hóa's own work on a dossier stands (independent of the national status)."""

    DRAFT = "draft"  # being assembled at the counter
    QUEUED = "queued"  # submitted, waiting for OCR workers
    PROCESSING = "processing"
    NEEDS_REVIEW = "needs_review"  # fields wait for a reviewer
    NEEDS_ATTENTION = "needs_attention"  # a page kept failing: a person must look
    SENT_BACK = "sent_back"  # a reviewer asked for papers (form 02): back at its counter until resubmitted
    APPROVING = "approving"  # approved, frozen while its package is built: no correction lands now
    VALIDATED = "validated"  # approved by a reviewer, package built
    DELIVERED = "delivered"  # acknowledged by the competent agency


class Channel(StrEnum):
    """How a dossier reached the center (kênh tiếp nhận); reported on the dashboard and to agencies."""

    COUNTER = "counter"  # brought to a service point's counter
    ONLINE = "online"  # the public-service portal or an accredited online agent
    POSTAL = "postal"  # by post (bưu chính công ích)


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
