"""The applicant from a citizen's card QR code: typed by a counter's 2D scanner (a keyboard
wedge) or found on a photographed card. Read only: nothing is stored, and the clerk confirms
the data before it fills the dossier."""

from __future__ import annotations

from intake import schemas
from intake.errors import ServiceError
from models.errors import ErrorCode
from pipeline.config import ReadingConfig
from pipeline.fields.idcheck import parse_card_qr
from pipeline.ocr.barcodes import find_codes
from pipeline.pages.preflight import FileInfo
from pipeline.pages.sources import iter_pages

MAX_QR_PAGES = 4  # a card photo or a scan of both sides: the QR is on one of the first pages


def applicant_from_qr(payload: str) -> schemas.ApplicantFromQr | None:
    """The card data of a QR payload; None when the text is no card's payload. Keyboard-wedge
    scanners may end the text with a line break or type it with surrounding spaces."""
    parsed = parse_card_qr(payload.strip())
    if parsed is None:
        return None
    values = parsed.values
    return schemas.ApplicantFromQr(
        full_name=values.get("ho_va_ten", ""),
        id_number=values.get("so_dinh_danh", ""),
        old_id_number=values.get("so_cmnd") or None,
        date_of_birth=values.get("ngay_sinh") or None,
        sex=values.get("gioi_tinh") or None,
        address=values.get("noi_thuong_tru") or None,
        issued_on=values.get("ngay_cap") or None,
        problems=list(parsed.problems),
    )


def require_applicant_from_qr(payload: str) -> schemas.ApplicantFromQr:
    applicant = applicant_from_qr(payload)
    if applicant is None or not applicant.full_name:
        raise ServiceError(ErrorCode.QR_UNREADABLE, "không phải mã QR của thẻ căn cước")
    return applicant


def applicant_from_image(data: bytes, info: FileInfo, config: ReadingConfig) -> schemas.ApplicantFromQr:
    """The card data of the first card QR code found on the file's first pages."""
    for number, page in enumerate(iter_pages(data, info, config)):
        if number >= MAX_QR_PAGES:
            break
        if page.image is None:
            continue
        for code in find_codes(page.image):
            applicant = applicant_from_qr(code.text)
            if applicant is not None and applicant.full_name:
                return applicant
    raise ServiceError(ErrorCode.QR_UNREADABLE, "không tìm thấy mã QR của thẻ trên ảnh")
