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
    # Intake API (issue 3): the request, not the file, is at fault.
    AUTH_REQUIRED = "AUTH_REQUIRED"
    AUTH_INVALID = "AUTH_INVALID"
    FORBIDDEN = "FORBIDDEN"
    INVALID_REQUEST = "INVALID_REQUEST"
    DOSSIER_NOT_FOUND = "DOSSIER_NOT_FOUND"
    PROCEDURE_UNKNOWN = "PROCEDURE_UNKNOWN"
    SERVICE_POINT_UNKNOWN = "SERVICE_POINT_UNKNOWN"
    AGENCY_UNKNOWN = "AGENCY_UNKNOWN"
    DOSSIER_NOT_EDITABLE = "DOSSIER_NOT_EDITABLE"
    DOSSIER_EMPTY = "DOSSIER_EMPTY"
    DOSSIER_NOT_READY = "DOSSIER_NOT_READY"
    FIELD_NOT_FOUND = "FIELD_NOT_FOUND"
    FIELD_VALUE_INVALID = "FIELD_VALUE_INVALID"
    FILE_NOT_FOUND = "FILE_NOT_FOUND"
    INVALID_CURSOR = "INVALID_CURSOR"
    STATUS_NOT_ALLOWED = "STATUS_NOT_ALLOWED"
    FIELDS_UNRESOLVED = "FIELDS_UNRESOLVED"
    AGENCY_NOT_COMPETENT = "AGENCY_NOT_COMPETENT"
    STATUS_ORDER_NOT_ALLOWED = "STATUS_ORDER_NOT_ALLOWED"
    REQUEST_TOO_LARGE = "REQUEST_TOO_LARGE"
    APPROVAL_IN_PROGRESS = "APPROVAL_IN_PROGRESS"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    ROUTE_NOT_FOUND = "ROUTE_NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    STORAGE_UNAVAILABLE = "STORAGE_UNAVAILABLE"
    DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"
    # Staff sign-in and browser sessions
    SIGNIN_FAILED = "SIGNIN_FAILED"
    ACCOUNT_LOCKED = "ACCOUNT_LOCKED"
    SESSION_EXPIRED = "SESSION_EXPIRED"
    CSRF_INVALID = "CSRF_INVALID"
    USER_EXISTS = "USER_EXISTS"
    USER_UNKNOWN = "USER_UNKNOWN"
    # The counter screen
    COMPONENTS_MISSING = "COMPONENTS_MISSING"
    NO_OPEN_DOSSIER = "NO_OPEN_DOSSIER"
    QR_UNREADABLE = "QR_UNREADABLE"
    ORDER_INVALID = "ORDER_INVALID"
    APPLICANT_MISSING = "APPLICANT_MISSING"
    # The review workstation
    DOSSIER_CLAIMED = "DOSSIER_CLAIMED"
    FIELD_STALE = "FIELD_STALE"
    QUEUE_EMPTY = "QUEUE_EMPTY"
    PARTS_INVALID = "PARTS_INVALID"
    TOO_MANY_REQUESTS = "TOO_MANY_REQUESTS"
    # Agencies and the national system (issue 18)
    WEBHOOK_URL_INVALID = "WEBHOOK_URL_INVALID"
    WEBHOOK_NOT_FOUND = "WEBHOOK_NOT_FOUND"
    PACKAGE_TAMPERED = "PACKAGE_TAMPERED"
    SIGNING_UNAVAILABLE = "SIGNING_UNAVAILABLE"
    TWO_PAGES_IN_PHOTO = "TWO_PAGES_IN_PHOTO"
    DOSSIER_NOT_REOPENABLE = "DOSSIER_NOT_REOPENABLE"


_MESSAGES: dict[ErrorCode, tuple[str, str]] = {
    ErrorCode.FILE_EMPTY: ("Tệp rỗng, không có nội dung.", "The file is empty."),
    ErrorCode.FILE_TOO_LARGE: (
        "Tệp quá lớn ({detail}). Vui lòng quét lại với độ phân giải 300 dpi hoặc chia nhỏ tệp.",
        "The file is too large ({detail}).",
    ),
    ErrorCode.FILE_UNREADABLE: ("Không đọc được tệp ({detail}).", "The file cannot be read ({detail})."),
    ErrorCode.UNSUPPORTED_TYPE: (
        "Định dạng tệp không được hỗ trợ ({detail}). Chấp nhận: PDF, JPEG, PNG, TIFF, HEIC, WebP.",
        "Unsupported file type ({detail}). Accepted: PDF, JPEG, PNG, TIFF, HEIC, WebP.",
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
    ErrorCode.AUTH_REQUIRED: (
        "Chưa đăng nhập. Vui lòng đăng nhập (hoặc gửi khóa truy cập X-API-Key).",
        "Not signed in: sign in, or send an API key (X-API-Key).",
    ),
    ErrorCode.AUTH_INVALID: ("Khóa truy cập không hợp lệ hoặc đã bị thu hồi.", "Invalid or revoked API key."),
    ErrorCode.FORBIDDEN: (
        "Tài khoản của bạn không có quyền thực hiện thao tác này.",
        "Your role may not do this ({detail}).",
    ),
    ErrorCode.INVALID_REQUEST: ("Dữ liệu gửi lên không hợp lệ ({detail}).", "Invalid request ({detail})."),
    ErrorCode.DOSSIER_NOT_FOUND: ("Không tìm thấy hồ sơ {detail}.", "Dossier {detail} not found."),
    ErrorCode.PROCEDURE_UNKNOWN: (
        "Mã thủ tục hành chính không có trong danh mục ({detail}).",
        "Unknown procedure code ({detail}).",
    ),
    ErrorCode.SERVICE_POINT_UNKNOWN: ("Không có điểm tiếp nhận này ({detail}).", "Unknown service point ({detail})."),
    ErrorCode.AGENCY_UNKNOWN: ("Không có cơ quan này ({detail}).", "Unknown agency ({detail})."),
    ErrorCode.DOSSIER_NOT_EDITABLE: (
        "Hồ sơ đang ở trạng thái {detail}, không thể thực hiện thao tác này.",
        "The dossier is {detail}; this action is not possible now.",
    ),
    ErrorCode.DOSSIER_EMPTY: (
        "Hồ sơ chưa có tệp nào. Vui lòng quét hoặc tải lên giấy tờ trước khi nộp.",
        "The dossier has no files yet.",
    ),
    ErrorCode.DOSSIER_NOT_READY: (
        "Hồ sơ chưa sẵn sàng ({detail}). Vui lòng thử lại sau.",
        "The dossier is not ready ({detail}).",
    ),
    ErrorCode.FIELD_NOT_FOUND: ("Không có trường thông tin này ({detail}).", "No such field ({detail})."),
    ErrorCode.FIELD_VALUE_INVALID: (
        "Giá trị không hợp lệ cho trường {detail}.",
        "Invalid value for field {detail}.",
    ),
    ErrorCode.FILE_NOT_FOUND: ("Không có tệp này trong hồ sơ ({detail}).", "No such file in the package ({detail})."),
    ErrorCode.INVALID_CURSOR: ("Con trỏ phân trang không hợp lệ.", "Invalid pagination cursor."),
    ErrorCode.STATUS_NOT_ALLOWED: (
        "Trạng thái {detail} không được phép ở bước này.",
        "Status {detail} is not allowed here.",
    ),
    ErrorCode.FIELDS_UNRESOLVED: (
        "Còn {detail} trường thông tin chưa được kiểm tra. Vui lòng xác nhận hoặc sửa từng trường trước khi duyệt.",
        "{detail} field(s) still need a reviewer's confirmation or correction.",
    ),
    ErrorCode.AGENCY_NOT_COMPETENT: (
        "Cơ quan {detail} không có thẩm quyền giải quyết thủ tục này. Vui lòng chọn cơ quan theo danh mục thủ tục.",
        "Agency {detail} is not competent for this procedure.",
    ),
    ErrorCode.STATUS_ORDER_NOT_ALLOWED: (
        "Không thể chuyển trạng thái hồ sơ {detail}.",
        "This status change is not allowed ({detail}).",
    ),
    ErrorCode.REQUEST_TOO_LARGE: (
        "Dữ liệu gửi lên quá lớn ({detail}).",
        "The request body is too large ({detail}).",
    ),
    ErrorCode.APPROVAL_IN_PROGRESS: (
        "Hồ sơ đang được lập gói bàn giao; không thể sửa hay duyệt lại lúc này.",
        "The dossier's package is being built; it cannot be changed or approved again now.",
    ),
    ErrorCode.IDEMPOTENCY_KEY_REUSED: (
        "Mã yêu cầu (Idempotency-Key) này đã được dùng cho một yêu cầu khác. Vui lòng tạo mã mới.",
        "This Idempotency-Key was used for a different request.",
    ),
    ErrorCode.ROUTE_NOT_FOUND: ("Không có địa chỉ này trong hệ thống ({detail}).", "No such route ({detail})."),
    ErrorCode.METHOD_NOT_ALLOWED: (
        "Thao tác {detail} không dùng được ở địa chỉ này.",
        "Method {detail} is not allowed here.",
    ),
    ErrorCode.STORAGE_UNAVAILABLE: (
        "Kho lưu trữ tạm thời không truy cập được. Hồ sơ chưa bị thay đổi; vui lòng thử lại sau ít phút.",
        "Object storage is unavailable; nothing was changed. Retry later.",
    ),
    ErrorCode.DATABASE_UNAVAILABLE: (
        "Cơ sở dữ liệu tạm thời không truy cập được. Hồ sơ chưa bị thay đổi; vui lòng thử lại sau ít phút.",
        "The database is unavailable; nothing was changed. Retry later.",
    ),
    ErrorCode.SIGNIN_FAILED: (
        "Tên đăng nhập hoặc mật khẩu không đúng.",
        "Wrong user name or password.",
    ),
    ErrorCode.ACCOUNT_LOCKED: (
        "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {detail}.",
        "Too many failed sign-ins; try again in {detail}.",
    ),
    ErrorCode.SESSION_EXPIRED: (
        "Phiên làm việc đã hết hạn. Vui lòng đăng nhập lại.",
        "The session has expired; sign in again.",
    ),
    ErrorCode.CSRF_INVALID: (
        "Yêu cầu không hợp lệ (thiếu mã bảo vệ). Vui lòng tải lại trang và thử lại.",
        "Missing or wrong CSRF token; reload the page and retry.",
    ),
    ErrorCode.USER_EXISTS: ("Tài khoản {detail} đã tồn tại.", "User {detail} already exists."),
    ErrorCode.USER_UNKNOWN: ("Không có tài khoản {detail}.", "No user {detail}."),
    ErrorCode.COMPONENTS_MISSING: (
        "Hồ sơ còn thiếu thành phần bắt buộc: {detail}. Bổ sung giấy tờ, hoặc ghi rõ lý do tiếp nhận khi còn thiếu.",
        "Required documents are missing: {detail}. Add them, or give the reason to receive the dossier anyway.",
    ),
    ErrorCode.NO_OPEN_DOSSIER: (
        "Quầy {detail} chưa mở hồ sơ nào để nhận trang quét. Vui lòng mở hồ sơ trên màn hình tiếp nhận.",
        "Counter {detail} has no dossier open to receive scans.",
    ),
    ErrorCode.QR_UNREADABLE: (
        "Không đọc được mã QR của thẻ căn cước ({detail}). Vui lòng quét lại hoặc nhập tay.",
        "The card's QR code could not be read ({detail}).",
    ),
    ErrorCode.ORDER_INVALID: (
        "Thứ tự tệp không hợp lệ: phải liệt kê đúng và đủ các tệp của hồ sơ ({detail}).",
        "Invalid order: list every file of the dossier exactly once ({detail}).",
    ),
    ErrorCode.APPLICANT_MISSING: (
        "Chưa có thông tin người nộp hồ sơ (họ và tên).",
        "The applicant's name is missing.",
    ),
    ErrorCode.DOSSIER_CLAIMED: (
        "Hồ sơ đang được {detail} kiểm tra. Vui lòng chọn hồ sơ khác.",
        "Another reviewer ({detail}) has this dossier open.",
    ),
    ErrorCode.FIELD_STALE: (
        "Trường {detail} vừa được người khác thay đổi. Giá trị hiện tại được hiển thị; vui lòng kiểm tra lại.",
        "Field {detail} changed since you loaded it; the current value is returned.",
    ),
    ErrorCode.QUEUE_EMPTY: (
        "Không còn hồ sơ nào chờ kiểm tra.",
        "No dossier is waiting for review.",
    ),
    ErrorCode.PARTS_INVALID: (
        "Cách chia tài liệu không hợp lệ: mỗi trang của tệp phải thuộc đúng một tài liệu ({detail}).",
        "Invalid documents: every page of the file must belong to exactly one document ({detail}).",
    ),
    ErrorCode.TOO_MANY_REQUESTS: (
        "Quá nhiều yêu cầu. Vui lòng thử lại sau {detail} giây.",
        "Too many requests; try again in {detail} seconds.",
    ),
    ErrorCode.WEBHOOK_URL_INVALID: (
        "Địa chỉ nhận sự kiện không hợp lệ ({detail}).",
        "Invalid webhook URL ({detail}).",
    ),
    ErrorCode.WEBHOOK_NOT_FOUND: ("Không có địa chỉ nhận sự kiện này ({detail}).", "No such webhook ({detail})."),
    ErrorCode.PACKAGE_TAMPERED: (
        "Tệp {detail} của gói hồ sơ không khớp với bản đã ký hoặc danh mục tệp; không gửi tệp này. Đã báo quản trị.",
        "Package file {detail} does not match its signature or the manifest; it is withheld.",
    ),
    ErrorCode.SIGNING_UNAVAILABLE: (
        "Không ký số được bản số hóa ({detail}). Vui lòng báo quản trị hệ thống.",
        "The digitized copies could not be signed ({detail}).",
    ),
    ErrorCode.TWO_PAGES_IN_PHOTO: (
        "Ảnh chụp có hai trang giấy cạnh nhau ({detail}). Vui lòng chụp riêng từng trang.",
        "The photo shows two pages side by side ({detail}); photograph each page alone.",
    ),
    ErrorCode.DOSSIER_NOT_REOPENABLE: (
        "Chỉ mở lại để đính chính được hồ sơ đã chuyển cơ quan giải quyết ({detail}).",
        "Only a dossier handed over to its agency can be reopened for a correction ({detail}).",
    ),
}


def error_message(code: ErrorCode, detail: str = "", lang: str = "vi") -> str:
    vi, en = _MESSAGES[code]
    text = vi if lang == "vi" else en
    text = text.format(detail=detail) if "{detail}" in text else text
    # Drop the empty "()" left when no detail was given.
    return text.replace(" ()", "")
