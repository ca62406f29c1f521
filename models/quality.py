"""Page quality codes of the counter's live check, what the clerk is told, and kind labels.

A code is part of the API contract (`quality: [{"page", "code", "message", "message_en"}]`):
never rename one. Every message names the page and says what to do about it, in Vietnamese
(what the clerk reads) with an English twin for other front-ends and logs.
"""

from __future__ import annotations

import unicodedata
from enum import StrEnum

from models.document import DocumentKind


class QualityCode(StrEnum):
    BLURRED = "BLURRED"
    TOO_DARK = "TOO_DARK"
    TOO_BRIGHT = "TOO_BRIGHT"
    LOW_RESOLUTION = "LOW_RESOLUTION"
    SKEWED = "SKEWED"
    CUT_OFF = "CUT_OFF"
    BLANK_PAGE = "BLANK_PAGE"
    GLARE = "GLARE"
    DUPLICATE_PAGE = "DUPLICATE_PAGE"


# {page} is the 1-based page number in the dossier.
_MESSAGES: dict[QualityCode, tuple[str, str]] = {
    QualityCode.BLURRED: (
        "Trang {page} bị mờ — quét lại",
        "Page {page} is blurred — scan it again",
    ),
    QualityCode.TOO_DARK: (
        "Trang {page} quá tối — tăng độ sáng rồi quét lại",
        "Page {page} is too dark — raise the brightness and scan it again",
    ),
    QualityCode.TOO_BRIGHT: (
        "Trang {page} quá sáng, chữ bị nhạt — giảm độ sáng rồi quét lại",
        "Page {page} is too bright, the text is washed out — lower the brightness and scan it again",
    ),
    QualityCode.LOW_RESOLUTION: (
        "Trang {page} có độ phân giải thấp — quét lại ở 300 dpi hoặc chụp gần hơn",
        "Page {page} has too low a resolution — scan it again at 300 dpi or take the photo closer",
    ),
    QualityCode.SKEWED: (
        "Trang {page} bị nghiêng — đặt thẳng giấy tờ rồi quét lại",
        "Page {page} is skewed — lay the document straight and scan it again",
    ),
    QualityCode.CUT_OFF: (
        "Trang {page} bị mất phần mép — đặt trọn giấy tờ trong khung rồi quét lại",
        "Page {page} is cut off at the edge — place the whole document inside the frame and scan it again",
    ),
    QualityCode.BLANK_PAGE: (
        "Trang {page} là trang trắng — xóa trang này hoặc quét đúng mặt có nội dung",
        "Page {page} is blank — delete it or scan the side that has content",
    ),
    QualityCode.GLARE: (
        "Trang {page} bị lóa sáng trên thẻ — nghiêng thẻ hoặc tắt đèn flash rồi chụp lại",
        "Page {page} has glare on the card — tilt the card or turn off the flash and take the photo again",
    ),
    QualityCode.DUPLICATE_PAGE: (
        "Trang {page} trùng với một trang đã có trong hồ sơ — xóa trang thừa",
        "Page {page} repeats a page already in the dossier — delete the extra page",
    ),
}


def quality_message(code: QualityCode, page: int, lang: str = "vi") -> str:
    """What the clerk is told about page `page` (1-based, in the dossier): "Trang 3 bị mờ — quét lại".

    `lang` is "vi" (NFC) or "en"."""
    vi, en = _MESSAGES[QualityCode(code)]
    if lang == "en":
        return en.format(page=page)
    if lang != "vi":
        raise ValueError(f"unknown language {lang!r}; expected 'vi' or 'en'")
    return unicodedata.normalize("NFC", vi.format(page=page))


_KIND_LABELS: dict[DocumentKind, tuple[str, str]] = {
    DocumentKind.CCCD_FRONT: ("Căn cước công dân (mặt trước)", "Citizen identity card (front)"),
    DocumentKind.CCCD_BACK: ("Căn cước công dân (mặt sau)", "Citizen identity card (back)"),
    DocumentKind.CAN_CUOC_FRONT: ("Thẻ căn cước (mặt trước)", "Identity card (front)"),
    DocumentKind.CAN_CUOC_BACK: ("Thẻ căn cước (mặt sau)", "Identity card (back)"),
    DocumentKind.CMND_FRONT: ("Chứng minh nhân dân (mặt trước)", "People's identity card (front)"),
    DocumentKind.GIAY_KHAI_SINH: ("Giấy khai sinh", "Birth certificate"),
    DocumentKind.TO_KHAI_KHAI_SINH: ("Tờ khai đăng ký khai sinh", "Birth registration form"),
    DocumentKind.CT01: ("Tờ khai thay đổi thông tin cư trú (CT01)", "Residence information change form (CT01)"),
    DocumentKind.DON: ("Đơn", "Application letter"),
    DocumentKind.CONG_VAN: ("Công văn", "Official letter"),
    DocumentKind.QUYET_DINH: ("Quyết định", "Decision"),
    DocumentKind.OTHER: ("Không xác định", "Unknown"),
}


def kind_label(kind: str, lang: str = "vi") -> str:
    """The label of a document kind (models.document.DocumentKind value); "Không xác định" for
    "other" and for anything that is not a known kind."""
    try:
        vi, en = _KIND_LABELS[DocumentKind(kind)]
    except ValueError:
        vi, en = _KIND_LABELS[DocumentKind.OTHER]
    if lang == "en":
        return en
    return unicodedata.normalize("NFC", vi)
