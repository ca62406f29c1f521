"""Document kinds and the printed phrases that identify them, as data.

Phrases are matched diacritic- and case-insensitively against a document's text. A kind
scores the weights of its phrases found; the best score wins if it reaches `min_score`,
otherwise the document is "other" (never a guess). Issue 4 adds layout and confidence.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.document import DocumentKind


@dataclass(frozen=True, slots=True)
class KindRule:
    kind: DocumentKind
    phrases: tuple[tuple[str, float], ...]
    min_score: float = 1.0


KIND_RULES: tuple[KindRule, ...] = (
    KindRule(DocumentKind.CCCD_FRONT, (
        ("căn cước công dân", 1.0), ("citizen identity card", 1.0), ("identity card", 0.5),
        ("full name", 0.5), ("date of birth", 0.5), ("place of origin", 0.5),
        ("place of residence", 0.5), ("có giá trị đến", 0.5), ("date of expiry", 0.5),
        ("số định danh cá nhân", 0.3), ("nationality", 0.3),
    ), min_score=1.5),
    KindRule(DocumentKind.CCCD_BACK, (
        ("đặc điểm nhân dạng", 1.0), ("personal identification", 1.0), ("idvnm", 1.5),
        ("ngón trỏ", 0.5), ("left index finger", 0.5), ("right index finger", 0.5),
        ("cục cảnh sát quản lý hành chính về trật tự xã hội", 0.5), ("date, month, year", 0.5),
    ), min_score=1.5),
    KindRule(DocumentKind.TO_KHAI_KHAI_SINH, (
        ("tờ khai đăng ký khai sinh", 3.0), ("đăng ký khai sinh", 1.0), ("người được khai sinh", 1.0),
        ("người yêu cầu", 0.3),
    ), min_score=1.5),
    KindRule(DocumentKind.CT01, (
        ("tờ khai thay đổi thông tin cư trú", 3.0), ("mẫu ct01", 2.0), ("ct01", 1.0),
        ("thông tin cư trú", 1.0), ("chủ hộ", 0.5),
    ), min_score=1.5),
    KindRule(DocumentKind.DON, (
        ("đơn đề nghị", 2.0), ("đơn xin", 2.0), ("đơn trình bày", 2.0), ("đơn kiến nghị", 2.0),
        ("tôi tên là", 1.0), ("kính gửi", 0.5), ("xin chân thành cảm ơn", 0.5), ("người làm đơn", 1.0),
    ), min_score=1.5),
    KindRule(DocumentKind.CONG_VAN, (
        ("quyết định", 1.0), ("công văn", 1.0), ("nơi nhận", 1.0), ("tm. ủy ban nhân dân", 1.0),
        ("ủy ban nhân dân", 0.5), ("căn cứ", 0.5), ("v/v", 1.0), ("chủ tịch", 0.5),
        ("/qđ-", 1.0), ("/ubnd", 1.0),
    ), min_score=2.0),
)
