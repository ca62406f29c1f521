"""Stable error codes for refused input, with the message a counter clerk reads.

Codes are part of the API and CLI contract: never rename one. Messages are Vietnamese
(what staff see) with an English gloss for logs and integrators.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    FILE_EMPTY = "FILE_EMPTY"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    FILE_UNREADABLE = "FILE_UNREADABLE"
    UNSUPPORTED_TYPE = "UNSUPPORTED_TYPE"
    TYPE_MISMATCH = "TYPE_MISMATCH"
    CORRUPT_FILE = "CORRUPT_FILE"
    ENCRYPTED_PDF = "ENCRYPTED_PDF"
    TOO_MANY_PAGES = "TOO_MANY_PAGES"
    IMAGE_TOO_LARGE = "IMAGE_TOO_LARGE"
    IMAGE_TOO_SMALL = "IMAGE_TOO_SMALL"
    NO_PAGES = "NO_PAGES"
    MODEL_INVALID = "MODEL_INVALID"
    INTERNAL = "INTERNAL"


_MESSAGES: dict[ErrorCode, tuple[str, str]] = {
    ErrorCode.FILE_EMPTY: ("Tệp rỗng, không có nội dung.", "The file is empty."),
    ErrorCode.FILE_TOO_LARGE: (
        "Tệp quá lớn ({detail}). Vui lòng quét lại với độ phân giải 300 dpi hoặc chia nhỏ tệp.",
        "The file is too large ({detail}).",
    ),
    ErrorCode.FILE_UNREADABLE: ("Không đọc được tệp ({detail}).", "The file cannot be read ({detail})."),
    ErrorCode.UNSUPPORTED_TYPE: (
        "Định dạng tệp không được hỗ trợ ({detail}). Chấp nhận: PDF, JPEG, PNG, TIFF.",
        "Unsupported file type ({detail}). Accepted: PDF, JPEG, PNG, TIFF.",
    ),
    ErrorCode.TYPE_MISMATCH: (
        "Phần mở rộng của tệp không khớp với nội dung ({detail}). Vui lòng kiểm tra lại tệp.",
        "The file name's extension does not match its content ({detail}).",
    ),
    ErrorCode.CORRUPT_FILE: (
        "Tệp bị hỏng hoặc không hoàn chỉnh ({detail}). Vui lòng quét hoặc tải lại.",
        "The file is corrupt or truncated ({detail}).",
    ),
    ErrorCode.ENCRYPTED_PDF: (
        "Tệp PDF được đặt mật khẩu hoặc mã hóa. Vui lòng gỡ mật khẩu rồi nộp lại.",
        "The PDF is password-protected or encrypted.",
    ),
    ErrorCode.TOO_MANY_PAGES: (
        "Tệp có quá nhiều trang ({detail}). Vui lòng chia thành nhiều tệp.",
        "The file has too many pages ({detail}).",
    ),
    ErrorCode.IMAGE_TOO_LARGE: (
        "Ảnh quá lớn ({detail}). Vui lòng quét với độ phân giải 300 dpi.",
        "The image is too large ({detail}); possible decompression bomb.",
    ),
    ErrorCode.IMAGE_TOO_SMALL: (
        "Ảnh quá nhỏ để đọc ({detail}). Vui lòng quét lại với độ phân giải cao hơn.",
        "The image is too small to read ({detail}).",
    ),
    ErrorCode.NO_PAGES: ("Tệp không có trang nào.", "The file has no pages."),
    ErrorCode.MODEL_INVALID: (
        "Lỗi hệ thống: mô hình nhận dạng không hợp lệ ({detail}). Vui lòng báo quản trị viên.",
        "OCR model files are missing or fail their checksum ({detail}).",
    ),
    ErrorCode.INTERNAL: (
        "Lỗi hệ thống khi xử lý tệp ({detail}). Vui lòng báo quản trị viên.",
        "Internal error while processing the file ({detail}).",
    ),
}


def error_message(code: ErrorCode, detail: str = "", lang: str = "vi") -> str:
    vi, en = _MESSAGES[code]
    text = vi if lang == "vi" else en
    text = text.format(detail=detail) if "{detail}" in text else text
    # Drop the empty "()" left when no detail was given.
    return text.replace(" ()", "")
