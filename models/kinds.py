"""Document kinds: what identifies each one and which fields it carries, as data.

A page scores each kind: the weights of the kind's printed phrases found in its text
(diacritic- and case-insensitive), plus layout evidence (an ID-1 card shape, a QR code, a
machine-readable zone). The best kind wins when it reaches its `min_score` *and* beats
the runner-up clearly; otherwise the page is "other" — never a guess.

`fields` lists what a kind carries (names from models.fields), in printed order: it is
the reviewer's checklist and the benchmark's denominator. `number` names a kind's card
number field and its digit count, found anywhere on the card (it has no reliable label).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from models.document import DocumentKind


class Layout(StrEnum):
    CARD = "card"  # ID-1, 85.6 x 54 mm: width/height ~ 1.585
    PAGE = "page"  # A4 and other sheets


@dataclass(frozen=True, slots=True)
class KindRule:
    kind: DocumentKind
    phrases: tuple[tuple[str, float], ...]
    min_score: float
    layout: Layout
    fields: tuple[str, ...]
    multi_page: bool = False  # may continue on pages that carry no phrase of their own
    has_qr: bool = False
    has_mrz: bool = False
    number: tuple[str, int] | None = None
    # Phrases that rule the kind out (e.g. the căn cước front has no "Quê quán").
    excluded: tuple[str, ...] = ()


_CARD_HEADER = (("cộng hòa xã hội chủ nghĩa việt nam", 0.2),)

KIND_RULES: tuple[KindRule, ...] = (
    KindRule(
        DocumentKind.CCCD_FRONT,
        (
            ("căn cước công dân", 1.5),
            ("citizen identity card", 1.5),
            ("place of origin", 0.5),
            ("quê quán", 0.5),
            ("place of residence", 0.3),
            ("nơi thường trú", 0.5),
            ("có giá trị đến", 0.7),
            ("date of expiry", 0.3),
            ("full name", 0.3),
            ("date of birth", 0.3),
            ("họ và tên", 0.3),
            ("nationality", 0.2),
            *_CARD_HEADER,
        ),
        2.0,
        Layout.CARD,
        (
            "so_dinh_danh",
            "ho_va_ten",
            "ngay_sinh",
            "gioi_tinh",
            "quoc_tich",
            "que_quan",
            "noi_thuong_tru",
            "co_gia_tri_den",
        ),
        has_qr=True,
        number=("so_dinh_danh", 12),
    ),
    KindRule(
        DocumentKind.CCCD_BACK,
        (
            ("đặc điểm nhân dạng", 1.5),
            ("personal identification", 0.7),
            ("ngón trỏ trái", 0.5),
            ("ngón trỏ phải", 0.5),
            ("cục cảnh sát quản lý hành chính về trật tự xã hội", 1.0),
            ("cục trưởng", 0.5),
            ("date, month, year", 0.3),
            ("idvnm", 0.5),
        ),
        2.0,
        Layout.CARD,
        ("dac_diem_nhan_dang", "ngay_cap", "so_dinh_danh", "ngay_sinh", "gioi_tinh", "co_gia_tri_den"),
        has_mrz=True,
    ),
    KindRule(
        DocumentKind.CAN_CUOC_FRONT,
        (
            ("căn cước", 0.8),
            ("identity card", 0.5),
            ("họ, chữ đệm và tên khai sinh", 1.5),
            ("số định danh cá nhân", 0.7),
            ("personal identification number", 0.7),
            ("ngày, tháng, năm sinh", 0.4),
            *_CARD_HEADER,
        ),
        2.0,
        Layout.CARD,
        ("so_dinh_danh", "ho_va_ten", "ngay_sinh", "gioi_tinh", "quoc_tich"),
        number=("so_dinh_danh", 12),
        excluded=("căn cước công dân", "quê quán", "nơi thường trú", "có giá trị đến", "chứng minh nhân dân"),
    ),
    KindRule(
        DocumentKind.CAN_CUOC_BACK,
        (
            ("bộ công an", 1.0),
            ("ministry of public security", 1.0),
            ("nơi đăng ký khai sinh", 1.0),
            ("nơi cư trú", 0.7),
            ("place of residence", 0.2),
            ("ngày, tháng, năm hết hạn", 0.7),
            ("date of expiry", 0.2),
            ("ngày, tháng, năm cấp", 0.5),
            ("idvnm", 0.5),
        ),
        2.0,
        Layout.CARD,
        (
            "noi_cu_tru",
            "noi_dang_ky_khai_sinh",
            "ngay_cap",
            "co_gia_tri_den",
            "so_dinh_danh",
            "ho_va_ten",
            "ngay_sinh",
            "gioi_tinh",
        ),
        has_qr=True,
        has_mrz=True,
        excluded=("đặc điểm nhân dạng", "cục cảnh sát"),
    ),
    KindRule(
        DocumentKind.CMND_FRONT,
        (
            ("giấy chứng minh nhân dân", 2.0),
            ("chứng minh nhân dân", 1.0),
            ("nguyên quán", 0.7),
            ("nơi đkhk thường trú", 0.7),
            ("sinh ngày", 0.3),
            *_CARD_HEADER,
        ),
        2.0,
        Layout.CARD,
        ("so_cmnd", "ho_va_ten", "ngay_sinh", "que_quan", "noi_thuong_tru"),
        number=("so_cmnd", 9),
    ),
    KindRule(
        DocumentKind.GIAY_KHAI_SINH,
        (
            ("giấy khai sinh", 2.0),
            ("quyển số", 0.7),
            ("nơi đăng ký khai sinh", 0.3),
            ("ghi bằng chữ", 0.5),
            ("ngày, tháng, năm đăng ký", 0.7),
            ("họ, chữ đệm, tên người mẹ", 0.5),
            ("họ, chữ đệm, tên người cha", 0.5),
        ),
        2.0,
        Layout.PAGE,
        ("ho_va_ten", "ngay_sinh", "gioi_tinh", "dan_toc", "quoc_tich", "noi_sinh", "que_quan", "so_dinh_danh"),
        excluded=("tờ khai đăng ký khai sinh",),
    ),
    KindRule(
        DocumentKind.TO_KHAI_KHAI_SINH,
        (
            ("tờ khai đăng ký khai sinh", 3.0),
            ("đăng ký khai sinh", 1.0),
            ("người được khai sinh", 1.0),
            ("người yêu cầu", 0.3),
        ),
        1.5,
        Layout.PAGE,
        (
            "kinh_gui",
            "ho_ten_nguoi_yeu_cau",
            "noi_cu_tru",
            "ho_va_ten",
            "ngay_sinh",
            "gioi_tinh",
            "noi_sinh",
            "que_quan",
        ),
        multi_page=True,
    ),
    KindRule(
        DocumentKind.CT01,
        (
            ("tờ khai thay đổi thông tin cư trú", 3.0),
            ("mẫu ct01", 2.0),
            ("ct01", 1.0),
            ("thông tin cư trú", 1.0),
            ("chủ hộ", 0.5),
        ),
        1.5,
        Layout.PAGE,
        ("kinh_gui", "ho_va_ten", "ngay_sinh", "gioi_tinh", "so_dinh_danh", "so_dien_thoai", "email"),
        multi_page=True,
    ),
    KindRule(
        DocumentKind.DON,
        (
            ("đơn đề nghị", 2.0),
            ("đơn xin", 2.0),
            ("đơn trình bày", 2.0),
            ("đơn kiến nghị", 2.0),
            ("tôi tên là", 1.0),
            ("kính gửi", 0.5),
            ("xin chân thành cảm ơn", 0.5),
            ("người làm đơn", 1.0),
        ),
        1.5,
        Layout.PAGE,
        ("kinh_gui", "ho_va_ten", "ngay_sinh"),
        multi_page=True,
    ),
    KindRule(
        DocumentKind.QUYET_DINH,
        (
            ("quyết định:", 1.5),
            ("/qđ-", 1.5),
            ("quyết định", 0.5),
            ("căn cứ", 0.5),
            ("nơi nhận", 0.5),
            ("ủy ban nhân dân", 0.3),
            ("chủ tịch", 0.3),
        ),
        2.5,
        Layout.PAGE,
        ("co_quan_ban_hanh", "so_ky_hieu", "ngay_ban_hanh", "trich_yeu", "chuc_vu_nguoi_ky", "nguoi_ky"),
        multi_page=True,
    ),
    KindRule(
        DocumentKind.CONG_VAN,
        (
            ("v/v", 1.5),
            ("công văn", 1.0),
            ("nơi nhận", 0.7),
            ("kính gửi", 0.3),
            ("ủy ban nhân dân", 0.3),
            ("/ubnd", 0.7),
            ("tm. ủy ban nhân dân", 0.3),
            ("chủ tịch", 0.3),
        ),
        2.0,
        Layout.PAGE,
        ("co_quan_ban_hanh", "so_ky_hieu", "ngay_ban_hanh", "trich_yeu", "chuc_vu_nguoi_ky", "nguoi_ky"),
        multi_page=True,
        excluded=("/qđ-",),
    ),
)

RULES_BY_KIND = {rule.kind: rule for rule in KIND_RULES}
# Official documents: fields found by layout (pipeline.fields.official_doc), which applies their rules.
OFFICIAL_KINDS = frozenset({DocumentKind.CONG_VAN, DocumentKind.QUYET_DINH})

# Classification margins: the winner must reach its minimum and lead the runner-up by
# this share of its own score; a layout contradiction (an A4 kind on a card-shaped page)
# costs this much.
MIN_LEAD = 0.25
LAYOUT_PENALTY = 1.5
CARD_ASPECT = (1.45, 1.72)  # width/height of a card image, either orientation
# Words a card never prints: a page that carries one is a form about a card (a tờ khai
# căn cước, an đơn đề nghị cấp thẻ), whatever card it names.
NOT_ON_CARDS = ("tờ khai", "đơn đề nghị", "kính gửi")
# A sheet (not card-shaped) with at least this many lines is a page of text (a form, a
# letter), not a card nor a copy of a card's two sides on a sheet: no card kind is placed on it.
FORM_PAGE_LINES = 30
