"""The citizen's public look-up of a dossier (/tra-cuu/{code}?k=KEY, opened from the receipt's
QR code): status and appointment date, nothing personal. Dossier codes are sequential, so
guessable: the look-up also needs the dossier's random key, printed in the QR link, and a code
without its key is answered exactly like an unknown one."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import date
from enum import IntEnum
from urllib.parse import quote

from sqlalchemy import Row, select

from intake.context import IntakeContext
from models.dossier import NationalStatus, ProcessingState
from storage.tables import DossierRow

# Crockford's base32 without I, L, O, U: no letter a citizen could mistake when typing it.
_KEY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
KEY_LENGTH = 10  # 50 bits


def new_lookup_key() -> str:
    return "".join(secrets.choice(_KEY_ALPHABET) for _ in range(KEY_LENGTH))


def lookup_url(base_url: str, code: str, key: str) -> str:
    """The public page of one dossier, as the receipt's QR code holds it."""
    return f"{base_url.rstrip('/')}/tra-cuu/{quote(code, safe='')}?k={quote(key, safe='')}"


# --- the look-up ---------------------------------------------------------------------------------

MAX_CODE = 100  # longer than any dossier code (80): such a text is looked up as no code at all
MAX_KEY = 64


class Step(IntEnum):
    """The citizen's view of a dossier's way, shown as a row of steps."""

    RECEIVED = 0  # Tiếp nhận
    DIGITISING = 1  # Số hóa
    CHECKING = 2  # Kiểm tra
    WITH_AGENCY = 3  # Chuyển cơ quan giải quyết
    RESULT = 4  # Có kết quả


STEP_LABELS = ("Tiếp nhận", "Số hóa", "Kiểm tra", "Chuyển cơ quan giải quyết", "Có kết quả")


@dataclass(frozen=True, slots=True)
class CitizenStatus:
    headline: str
    advice: str | None  # what the citizen should do, when anything
    step: Step | None  # None: the dossier left the usual way (refused, withdrawn, stopped)
    attention: bool = False  # the citizen must act (papers, fees)
    due_paused: bool = False  # the appointment date will be set again


CONTACT = "Vui lòng liên hệ bộ phận một cửa nơi đã nộp hồ sơ."

# The national status says more than ours once the agency has acted; before, ours does.
_BY_NATIONAL = {
    NationalStatus.KHONG_DUOC_TIEP_NHAN: CitizenStatus("Hồ sơ không được tiếp nhận", CONTACT, None, attention=True),
    NationalStatus.DANG_XU_LY: CitizenStatus("Cơ quan giải quyết đang xử lý hồ sơ", None, Step.WITH_AGENCY),
    NationalStatus.YEU_CAU_BO_SUNG: CitizenStatus(
        "Cần bổ sung giấy tờ — vui lòng liên hệ bộ phận một cửa",
        "Hồ sơ còn thiếu hoặc chưa đúng giấy tờ. Vui lòng mang giấy tờ bổ sung đến bộ phận một cửa nơi đã nộp"
        " hồ sơ; ngày hẹn trả kết quả sẽ được tính lại khi hồ sơ được bổ sung đầy đủ.",
        Step.CHECKING,
        attention=True,
        due_paused=True,
    ),
    NationalStatus.YEU_CAU_NGHIA_VU_TAI_CHINH: CitizenStatus(
        "Cần thực hiện nghĩa vụ tài chính — vui lòng liên hệ bộ phận một cửa", CONTACT, Step.WITH_AGENCY, True, True
    ),
    NationalStatus.CONG_DAN_RUT_HO_SO: CitizenStatus("Hồ sơ đã được rút theo yêu cầu của công dân", None, None),
    NationalStatus.DUNG_XU_LY: CitizenStatus("Hồ sơ đã dừng xử lý", CONTACT, None, attention=True),
    NationalStatus.DA_XU_LY_XONG: CitizenStatus(
        "Đã có kết quả — mời đến nhận",
        "Vui lòng mang giấy tiếp nhận hồ sơ và hẹn trả kết quả đến bộ phận một cửa nơi đã nộp hồ sơ để nhận.",
        Step.RESULT,
    ),
    NationalStatus.DA_TRA_KET_QUA: CitizenStatus("Đã trả kết quả", None, Step.RESULT),
}
_BY_STATE = {
    ProcessingState.QUEUED: CitizenStatus("Đã tiếp nhận, đang số hóa", None, Step.DIGITISING),
    ProcessingState.PROCESSING: CitizenStatus("Đã tiếp nhận, đang số hóa", None, Step.DIGITISING),
    ProcessingState.NEEDS_REVIEW: CitizenStatus("Đang kiểm tra", None, Step.CHECKING),
    ProcessingState.NEEDS_ATTENTION: CitizenStatus("Đang kiểm tra", None, Step.CHECKING),
    ProcessingState.SENT_BACK: _BY_NATIONAL[NationalStatus.YEU_CAU_BO_SUNG],
    ProcessingState.APPROVING: CitizenStatus("Đang kiểm tra", None, Step.CHECKING),
    ProcessingState.VALIDATED: CitizenStatus("Đã chuyển cơ quan giải quyết", None, Step.WITH_AGENCY),
    ProcessingState.DELIVERED: CitizenStatus("Cơ quan giải quyết đã nhận hồ sơ, đang xử lý", None, Step.WITH_AGENCY),
}


def citizen_status(state: ProcessingState, national: NationalStatus) -> CitizenStatus:
    """Where the dossier stands, in words for the citizen (never the staff's own terms)."""
    if state == ProcessingState.SENT_BACK:  # ours is the fresher word until resubmission
        return _BY_STATE[state]
    return _BY_NATIONAL.get(national) or _BY_STATE.get(state) or _BY_STATE[ProcessingState.QUEUED]


@dataclass(frozen=True, slots=True)
class LookupResult:
    """What the public page shows: nothing personal (no name, number, address, document)."""

    code: str
    procedure_name: str
    status: CitizenStatus
    national_status_label: str
    received_on: date | None
    due_date: date | None
    service_point_name: str


_DUMMY_KEY = new_lookup_key().encode()  # compared when there is no key to compare with


def normalise_key(key: str) -> str:
    """A key as typed: case, spaces and dashes ignored, Crockford's look-alikes read as digits."""
    return key[:MAX_KEY].strip().upper().replace(" ", "").replace("-", "").translate(_LOOKALIKES)


_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def look_up(ctx: IntakeContext, code: str, key: str | None) -> LookupResult | None:
    """The dossier with this code, when `key` is its look-up key; None for anything else. Every
    answer costs one query and one constant-time comparison, found or not, so neither a missing
    dossier nor a wrong key answers faster."""
    wanted = code.strip() if len(code) <= MAX_CODE and code.isprintable() else ""
    given = normalise_key(key or "").encode()
    with ctx.db.reading() as s:
        found = s.execute(
            select(
                DossierRow.procedure_code,
                DossierRow.state,
                DossierRow.national_status,
                DossierRow.received_at,
                DossierRow.due_date,
                DossierRow.service_point_code,
                DossierRow.lookup_key,
            ).where(DossierRow.code == wanted, DossierRow.state != ProcessingState.DRAFT.value)
        ).first()
    stored = found.lookup_key.encode() if found is not None and found.lookup_key else None
    matches = hmac.compare_digest(stored or _DUMMY_KEY, given)
    if found is None or stored is None or not matches or not given:
        return None
    return _result(ctx, wanted, found)


def _result(ctx: IntakeContext, code: str, found: Row) -> LookupResult:
    procedure = ctx.catalogue.get(found.procedure_code)
    point = ctx.organisation.service_points.get(found.service_point_code)
    national = NationalStatus(found.national_status)
    return LookupResult(
        code=code,
        procedure_name=procedure.name if procedure else found.procedure_code,
        status=citizen_status(ProcessingState(found.state), national),
        national_status_label=national.label_vi,
        received_on=found.received_at.astimezone(ctx.clock.zone).date() if found.received_at else None,
        due_date=date.fromisoformat(found.due_date) if found.due_date else None,
        service_point_name=point.point.name if point else found.service_point_code,
    )
