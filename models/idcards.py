"""Rules of Vietnamese identity cards, as data (BRIEF §4.1–4.4).

Unconfirmed points are kept here, not in code: the căn cước (2024) QR layout is assumed
to follow the chip CCCD's; validity milestones are from the 2014 and 2023 laws as
summarised in secondary sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class CardGeneration:
    name: str
    issued_from: date
    issued_until: date | None
    # Birthdays at which a card expires; a card issued within `renew_window_years` before a
    # milestone runs to the next one; none left -> no expiry.
    milestone_ages: tuple[int, ...]
    renew_window_years: int = 2
    min_age_at_issue: int = 0


CHIP_CCCD = CardGeneration("cccd_chip", date(2021, 1, 1), date(2024, 6, 30), (25, 40, 60), min_age_at_issue=14)
CAN_CUOC = CardGeneration("can_cuoc", date(2024, 7, 1), None, (14, 25, 40, 60))
CMND = CardGeneration("cmnd", date(1957, 1, 1), date(2021, 12, 31), (), min_age_at_issue=14)

# The QR payload of a card (BRIEF §4.3): fields in this order, separated by '|'.
QR_FIELDS_7 = ("so_dinh_danh", "so_cmnd", "ho_va_ten", "ngay_sinh", "gioi_tinh", "noi_thuong_tru", "ngay_cap")
# Seen in some parsers: no slot for the old CMND number.
QR_FIELDS_6 = ("so_dinh_danh", "ho_va_ten", "ngay_sinh", "gioi_tinh", "noi_thuong_tru", "ngay_cap")

# Nationalities printed on Vietnamese cards: a closed vocabulary.
CARD_NATIONALITIES = ("Việt Nam",)

# The 54 ethnic groups of Vietnam (GSO list, Decision 121-TCTK/PPCĐ, 1979) as written on
# civil-status papers, with common variant spellings: a closed vocabulary for "Dân tộc".
ETHNIC_GROUPS = (
    "Kinh",
    "Tày",
    "Thái",
    "Mường",
    "Khmer",
    "Khơ-me",
    "Hoa",
    "Nùng",
    "Mông",
    "H'Mông",
    "Dao",
    "Gia Rai",
    "Gia-rai",
    "Ê Đê",
    "Ê-đê",
    "Ba Na",
    "Ba-na",
    "Sán Chay",
    "Chăm",
    "Cơ Ho",
    "Xơ Đăng",
    "Sán Dìu",
    "Hrê",
    "Ra Glai",
    "Mnông",
    "Thổ",
    "Xtiêng",
    "Stiêng",
    "Khơ Mú",
    "Bru-Vân Kiều",
    "Bru - Vân Kiều",
    "Cơ Tu",
    "Giáy",
    "Tà Ôi",
    "Mạ",
    "Giẻ-Triêng",
    "Co",
    "Chơ Ro",
    "Xinh Mun",
    "Hà Nhì",
    "Chu Ru",
    "Lào",
    "Kháng",
    "La Chí",
    "Phù Lá",
    "La Hủ",
    "La Ha",
    "Pà Thẻn",
    "Chứt",
    "Lự",
    "Lô Lô",
    "Mảng",
    "Cờ Lao",
    "Bố Y",
    "Cống",
    "Ngái",
    "Si La",
    "Pu Péo",
    "Rơ Măm",
    "Brâu",
    "Ơ Đu",
)

# Words of "Đặc điểm nhân dạng" (identifying marks, card back): the police describe a mark by
# its kind, its distance ("C:1cm", cách 1cm) and its place beside a feature of the face, in a
# small formulaic vocabulary. Several-word terms keep apart words whose letters are the same
# ("dái tai", earlobe, beside "dài", long; "đuôi mắt", eye, beside "mặt", face). Measures
# (anything with a digit) are not words of it.
IDENTIFYING_MARK_TERMS = (
    # kinds of mark
    "sẹo",
    "sẹo chấm",
    "sẹo lồi",
    "sẹo thâm",
    "sẹo dài",
    "nốt ruồi",
    "nốt",
    "vết",
    "vết chàm",
    "vết bớt",
    "bớt",
    "chàm",
    "mụn cơm",
    "mụn ruồi",
    "hình xăm",
    "xăm",
    "tàn nhang",
    "chấm",
    # measure and look
    "c",
    "cm",
    "mm",
    "cách",
    "dài",
    "rộng",
    "tròn",
    "đường kính",
    "to",
    "nhỏ",
    "đen",
    "nâu",
    "màu",
    "đậm",
    "nhạt",
    # places
    "trên",
    "dưới",
    "trước",
    "sau",
    "giữa",
    "chính giữa",
    "ngoài",
    "trong",
    "bên",
    "phía",
    "ở",
    "tại",
    "của",
    "và",
    "gần",
    "cạnh",
    "phải",
    "trái",
    # features of the face and head
    "đầu",
    "đuôi",
    "lông mày",
    "đầu lông mày",
    "đuôi lông mày",
    "chân mày",
    "đầu mày",
    "đuôi mày",
    "mày",
    "mắt",
    "khóe mắt",
    "đuôi mắt",
    "mí mắt",
    "mũi",
    "cánh mũi",
    "sống mũi",
    "đầu mũi",
    "chóp mũi",
    "nhân trung",
    "mép",
    "môi",
    "môi trên",
    "môi dưới",
    "cằm",
    "má",
    "gò má",
    "trán",
    "thái dương",
    "tai",
    "dái tai",
    "vành tai",
    "cổ",
    "gáy",
    "hàm",
    "quai hàm",
    "mặt",
)

# Province codes of the 12-digit number (pre-2025 GSO codes, 3 digits; Circular 07/2016).
# Codes not starting with 0 are country codes for births registered abroad (accepted as such).
PROVINCE_CODES_ID12 = frozenset(
    {
        "001",
        "002",
        "004",
        "006",
        "008",
        "010",
        "011",
        "012",
        "014",
        "015",
        "017",
        "019",
        "020",
        "022",
        "024",
        "025",
        "026",
        "027",
        "030",
        "031",
        "033",
        "034",
        "035",
        "036",
        "037",
        "038",
        "040",
        "042",
        "044",
        "045",
        "046",
        "048",
        "049",
        "051",
        "052",
        "054",
        "056",
        "058",
        "060",
        "062",
        "064",
        "066",
        "067",
        "068",
        "070",
        "072",
        "074",
        "075",
        "077",
        "079",
        "080",
        "082",
        "083",
        "084",
        "086",
        "087",
        "089",
        "091",
        "092",
        "093",
        "094",
        "095",
        "096",
    }
)
