"""Synthetic citizens: names, dates, 12-digit IDs, addresses, QR payload and TD1 MRZ.

Everything here is invented (random combinations of common name parts and real place
names); rules follow BRIEF §4.1–4.4 so that validators in the pipeline accept them.
All randomness comes from the `random.Random` passed in: no global state.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, timedelta

from pipeline.text import nfc, strip_diacritics

# --- names ---------------------------------------------------------------------------
# (surname, weight): rough national frequencies, so most people are Nguyễn as in real data.
SURNAMES: tuple[tuple[str, float], ...] = (
    ("Nguyễn", 31),
    ("Trần", 11),
    ("Lê", 9.5),
    ("Phạm", 7),
    ("Hoàng", 3),
    ("Huỳnh", 2.5),
    ("Phan", 4.5),
    ("Vũ", 2.5),
    ("Võ", 2),
    ("Đặng", 2),
    ("Bùi", 2),
    ("Đỗ", 1.5),
    ("Hồ", 1.3),
    ("Ngô", 1.3),
    ("Dương", 1),
    ("Lý", 0.6),
    ("Đinh", 0.8),
    ("Trịnh", 0.6),
    ("Quách", 0.3),
)
MIDDLE_MALE = (
    "Văn",
    "Hữu",
    "Đức",
    "Minh",
    "Quang",
    "Thành",
    "Công",
    "Đình",
    "Xuân",
    "Ngọc",
    "Mạnh",
    "Tiến",
    "Quốc",
    "Trọng",
    "Bảo",
)
MIDDLE_FEMALE = (
    "Thị",
    "Ngọc",
    "Thùy",
    "Thu",
    "Thanh",
    "Phương",
    "Minh",
    "Kim",
    "Bảo",
    "Diệu",
    "Mỹ",
    "Hồng",
    "Khánh",
    "Thị Thu",
    "Thị Minh",
    "Ngọc Bảo",
)
GIVEN_MALE = (
    "Hải",
    "Tuấn",
    "Dũng",
    "Hùng",
    "Cường",
    "Long",
    "Nam",
    "Phong",
    "Quân",
    "Thắng",
    "Vũ",
    "Hưởng",
    "Khải",
    "Sơn",
    "Trung",
    "Đạt",
    "Hiếu",
    "Lộc",
    "Nghĩa",
    "Quý",
    "Thịnh",
    "Tùng",
    "Kiên",
    "Việt",
    "Huy",
    "Đức",
    "Toản",
    "Khoa",
)
GIVEN_FEMALE = (
    "Hằng",
    "Phượng",
    "Quỳnh",
    "Nguyệt",
    "Khuê",
    "Thuỷ",
    "Thủy",
    "Lan",
    "Hương",
    "Trang",
    "Linh",
    "Huyền",
    "Yến",
    "Nhung",
    "Oanh",
    "Ỷ",
    "Duyên",
    "Hạnh",
    "Thảo",
    "Loan",
    "Nhi",
    "Vy",
    "Ngân",
    "Hường",
    "Diệp",
    "Tuyết",
    "Ánh",
    "Mỹ",
)

ETHNICITIES: tuple[tuple[str, float], ...] = (
    ("Kinh", 86),
    ("Tày", 2),
    ("Thái", 2),
    ("Mường", 2),
    ("Hoa", 1),
    ("Khmer", 1.5),
    ("Nùng", 1),
    ("H'Mông", 1),
    ("Dao", 0.8),
)

# --- places --------------------------------------------------------------------------
# GSO province codes (pre-2025, as embedded in IDs issued before the merger) -> name.
PROVINCE_CODES: dict[str, str] = {
    "001": "Hà Nội",
    "079": "Hồ Chí Minh",
    "031": "Hải Phòng",
    "048": "Đà Nẵng",
    "092": "Cần Thơ",
    "038": "Thanh Hóa",
    "040": "Nghệ An",
    "036": "Nam Định",
    "034": "Thái Bình",
    "030": "Hải Dương",
    "026": "Vĩnh Phúc",
    "027": "Bắc Ninh",
    "033": "Hưng Yên",
    "037": "Ninh Bình",
    "042": "Hà Tĩnh",
    "044": "Quảng Bình",
    "046": "Thừa Thiên Huế",
    "051": "Quảng Ngãi",
    "052": "Bình Định",
    "025": "Phú Thọ",
    "022": "Quảng Ninh",
    "083": "Bến Tre",
    "087": "Đồng Tháp",
    "089": "An Giang",
    "049": "Quảng Nam",
    "066": "Đắk Lắk",
    "075": "Đồng Nai",
}
# Birth-registration province of a synthetic person: mostly the two big cities.
ID_PROVINCE_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("001", 30),
    ("079", 22),
    ("031", 4),
    ("048", 3),
    ("092", 2),
    ("038", 4),
    ("040", 4),
    ("036", 3),
    ("034", 3),
    ("030", 2),
    ("026", 1.5),
    ("027", 2),
    ("033", 1.5),
    ("037", 1.5),
    ("042", 2),
    ("044", 1),
    ("046", 1.5),
    ("051", 1),
    ("052", 1.5),
    ("025", 1.5),
    ("022", 1.5),
    ("083", 1),
    ("087", 1),
    ("089", 1),
    ("049", 1.5),
    ("066", 1),
    ("075", 1.5),
)

# Old three-level home towns (xã / huyện / tỉnh), real units as they were before 7/2025.
# (unit, district, province code)
OLD_HOMETOWNS: tuple[tuple[str, str, str], ...] = (
    ("Xã Kim Liên", "huyện Nam Đàn", "040"),
    ("Xã Tiên Điền", "huyện Nghi Xuân", "042"),
    ("Xã Hoằng Lộc", "huyện Hoằng Hóa", "038"),
    ("Thị trấn Yên Định", "huyện Hải Hậu", "036"),
    ("Thị trấn Ngô Đồng", "huyện Giao Thủy", "036"),
    ("Xã Vũ Thắng", "huyện Kiến Xương", "034"),
    ("Thị trấn Thanh Hà", "huyện Thanh Hà", "030"),
    ("Thị trấn Lim", "huyện Tiên Du", "027"),
    ("Thị trấn Như Quỳnh", "huyện Văn Lâm", "033"),
    ("Xã Trường Yên", "huyện Hoa Lư", "037"),
    ("Thị trấn Tam Đảo", "huyện Tam Đảo", "026"),
    ("Xã Hy Cương", "thành phố Việt Trì", "025"),
    ("Xã Lộc Thủy", "huyện Lệ Thủy", "044"),
    ("Thị trấn Lấp Vò", "huyện Lấp Vò", "087"),
    ("Thị trấn Phú Mỹ", "huyện Phú Tân", "089"),
    ("Xã Bát Tràng", "huyện Gia Lâm", "001"),
    ("Thị trấn Phùng", "huyện Đan Phượng", "001"),
    ("Xã Tân Thông Hội", "huyện Củ Chi", "079"),
    ("Thị trấn Châu Ổ", "huyện Bình Sơn", "051"),
    ("Thị trấn Phú Phong", "huyện Tây Sơn", "052"),
    ("Thị trấn Núi Đèo", "huyện Thủy Nguyên", "031"),
    ("Xã Điện Phương", "thị xã Điện Bàn", "049"),
)


def province_label(code: str) -> str:
    """'tỉnh Nghệ An' / 'thành phố Hà Nội' / 'Thành phố Hồ Chí Minh' as written on forms."""
    name = PROVINCE_CODES[code]
    if code == "079":
        return "Thành phố Hồ Chí Minh"
    if code in ("001", "031", "048", "092"):
        return f"thành phố {name}"
    return f"tỉnh {name}"


# Wards of the two big cities: (old ward, old district, new ward after 7/2025, streets).
HANOI_WARDS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("Ô Chợ Dừa", "quận Đống Đa", "Ô Chợ Dừa", ("phố Hào Nam", "phố Xã Đàn", "đường La Thành")),
    ("Trung Liệt", "quận Đống Đa", "Kim Liên", ("phố Chùa Bộc", "phố Thái Hà", "phố Tây Sơn")),
    ("Dịch Vọng Hậu", "quận Cầu Giấy", "Cầu Giấy", ("phố Trần Thái Tông", "đường Xuân Thủy")),
    ("Kim Mã", "quận Ba Đình", "Giảng Võ", ("phố Kim Mã", "phố Núi Trúc", "phố Giảng Võ")),
    ("Hàng Bạc", "quận Hoàn Kiếm", "Hoàn Kiếm", ("phố Hàng Bạc", "phố Mã Mây", "phố Hàng Bè")),
    ("Nhân Chính", "quận Thanh Xuân", "Thanh Xuân", ("phố Lê Văn Lương", "phố Hoàng Đạo Thúy")),
    ("Bạch Đằng", "quận Hai Bà Trưng", "Hai Bà Trưng", ("phố Lò Đúc", "phố Bạch Đằng")),
    ("Yên Phụ", "quận Tây Hồ", "Tây Hồ", ("đường Yên Phụ", "phố Trích Sài")),
    ("Phúc Đồng", "quận Long Biên", "Việt Hưng", ("phố Hoa Lâm", "phố Phúc Lợi")),
    ("Định Công", "quận Hoàng Mai", "Định Công", ("phố Định Công", "đường Kim Giang")),
    ("Quang Trung", "quận Hà Đông", "Hà Đông", ("phố Quang Trung", "phố Tô Hiệu")),
    ("Dịch Vọng", "quận Cầu Giấy", "Nghĩa Đô", ("phố Hoàng Quốc Việt", "phố Nguyễn Khánh Toàn")),
)
HCMC_WARDS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("Bến Nghé", "Quận 1", "Sài Gòn", ("đường Lê Lợi", "đường Hai Bà Trưng", "đường Pasteur")),
    ("Tân Định", "Quận 1", "Tân Định", ("đường Trần Quang Khải", "đường Hai Bà Trưng")),
    ("Bến Thành", "Quận 1", "Bến Thành", ("đường Lê Thánh Tôn", "đường Phạm Hồng Thái")),
    ("Võ Thị Sáu", "Quận 3", "Xuân Hòa", ("đường Nguyễn Thị Minh Khai", "đường Võ Văn Tần")),
    ("Phường 5", "Quận 3", "Bàn Cờ", ("đường Nguyễn Đình Chiểu", "đường Cao Thắng")),
    ("Phường 7", "quận Phú Nhuận", "Phú Nhuận", ("đường Phan Xích Long", "đường Phan Đăng Lưu")),
    ("Phường 2", "quận Tân Bình", "Tân Sơn Nhất", ("đường Hoàng Văn Thụ", "đường Trường Sơn")),
    ("Phường 17", "quận Gò Vấp", "Hạnh Thông", ("đường Quang Trung", "đường Lê Đức Thọ")),
    ("Thảo Điền", "thành phố Thủ Đức", "An Khánh", ("đường Xuân Thủy", "đường Quốc Hương")),
    ("Phường 25", "quận Bình Thạnh", "Thạnh Mỹ Tây", ("đường Điện Biên Phủ", "đường Ung Văn Khiêm")),
)


@dataclass(frozen=True, slots=True)
class Address:
    """One dwelling, written in the pre-7/2025 (3-level) and post-7/2025 (2-level) forms."""

    street: str  # "Số 18, ngõ 42 phố Chùa Bộc"
    old_ward: str  # "phường Trung Liệt"
    old_district: str  # "quận Đống Đa"
    new_ward: str  # "phường Kim Liên"
    province: str  # "thành phố Hà Nội"

    @property
    def old_full(self) -> str:
        return f"{self.street}, {self.old_ward}, {self.old_district}, {self.province}"

    @property
    def new_full(self) -> str:
        return f"{self.street}, {self.new_ward}, {self.province}"

    @property
    def card(self) -> str:
        """Compact form printed on chip CCCDs: unit words dropped, 'Hà Nội' not 'thành phố Hà Nội'."""
        ward = self.old_ward.removeprefix("phường ")
        district = self.old_district.removeprefix("quận ").removeprefix("thành phố ")
        city = self.province.removeprefix("thành phố ").removeprefix("Thành phố ")
        # Numbered wards keep their word ("Phường 5, Quận 3"): a bare "5" would be ambiguous.
        return f"{self.street}, {ward}, {district}, {city}"


@dataclass(frozen=True, slots=True)
class Hometown:
    unit: str  # "Xã Kim Liên"
    district: str  # "huyện Nam Đàn"
    province_code: str

    @property
    def full(self) -> str:
        return f"{self.unit}, {self.district}, {province_label(self.province_code)}"

    @property
    def card(self) -> str:
        unit = self.unit.split(" ", 1)[1].removeprefix("trấn ")
        district = self.district.split(" ", 1)[1].removeprefix("phố ").removeprefix("xã ")
        return f"{unit}, {district}, {PROVINCE_CODES[self.province_code]}"


@dataclass(frozen=True, slots=True)
class Person:
    surname: str
    middle: str
    given: str
    male: bool
    birth: date
    id12: str
    old_cmnd: str  # "" when the person never had a 9-digit CMND
    ethnicity: str
    hometown: Hometown
    address: Address
    phone: str
    card_issue: date
    card_expiry: date | None  # None: the card never expires (holder 58 or older at issue)

    @property
    def full_name(self) -> str:
        return nfc(f"{self.surname} {self.middle} {self.given}")

    @property
    def name_upper(self) -> str:
        return self.full_name.upper()

    @property
    def sex(self) -> str:
        return "Nam" if self.male else "Nữ"

    @property
    def email(self) -> str:
        base = strip_diacritics(f"{self.given}{self.surname}").lower().replace(" ", "")
        return f"{base}{self.birth.year % 100:02d}@gmail.com"


def ddmmyyyy(d: date, sep: str = "/") -> str:
    return f"{d.day:02d}{sep}{d.month:02d}{sep}{d.year}"


def _weighted(rng: random.Random, items: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([i[0] for i in items], weights=[i[1] for i in items])[0]


def gender_century_digit(birth_year: int, male: bool) -> int:
    """G of PPP G YY RRRRRR: even male / odd female, century = 1900 + 100*(G//2)."""
    century_index = (birth_year - 1900) // 100
    if not 0 <= century_index <= 4:
        raise ValueError(f"birth year {birth_year} outside the ID scheme")
    return 2 * century_index + (0 if male else 1)


def make_id12(rng: random.Random, province_code: str, birth_year: int, male: bool) -> str:
    g = gender_century_digit(birth_year, male)
    return f"{province_code}{g}{birth_year % 100:02d}{rng.randrange(10**6):06d}"


def card_expiry(birth: date, issued: date) -> date | None:
    """CCCD validity: until the 25th/40th/60th birthday; a card issued within two years before
    a milestone runs to the next one (Luật Căn cước công dân 2014, Art. 21)."""
    for age in (25, 40, 60):
        milestone = _add_years(birth, age)
        if issued < _add_years(milestone, -2):
            return milestone
    return None  # issued within two years of the 60th birthday: "Không thời hạn"


# Căn cước (Luật Căn cước 2023, in force 1/7/2024): renew at 14, 25, 40 and 60.
CAN_CUOC_FIRST_ISSUE = date(2024, 7, 1)
CAN_CUOC_MILESTONES = (14, 25, 40, 60)


def can_cuoc_expiry(birth: date, issued: date) -> date | None:
    """Căn cước validity: until the 14th/25th/40th/60th birthday; a card issued within two years
    before a milestone runs to the next one; from two years before 60 on it never expires
    (Luật Căn cước 2023, Art. 21)."""
    for age in CAN_CUOC_MILESTONES:
        milestone = _add_years(birth, age)
        if issued < _add_years(milestone, -2):
            return milestone
    return None  # "Không thời hạn"


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def random_date(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def make_address(rng: random.Random, city_code: str | None = None) -> Address:
    city_code = city_code or rng.choice(("001", "001", "079"))
    wards = HANOI_WARDS if city_code == "001" else HCMC_WARDS
    old_ward, old_district, new_ward, streets = rng.choice(wards)
    street = rng.choice(streets)
    form = rng.random()
    if form < 0.45:
        line = f"Số {rng.randint(2, 199)}, ngõ {rng.randint(3, 320)} {street}"
    elif form < 0.8:
        line = f"Số {rng.randint(2, 250)} {street}"
    else:
        line = f"Tổ {rng.randint(1, 40)}, {street}"
    old_ward_label = old_ward if old_ward.startswith("Phường ") else f"phường {old_ward}"
    return Address(line, old_ward_label, old_district, f"phường {new_ward}", province_label(city_code))


def make_phone(rng: random.Random) -> str:
    prefix = rng.choice(("091", "094", "098", "097", "096", "090", "093", "088", "086", "035", "038"))
    rest = f"{rng.randrange(10**7):07d}"
    return f"{prefix}{rest}"


def make_person(
    rng: random.Random,
    *,
    male: bool | None = None,
    birth_range: tuple[int, int] = (1967, 2006),
    surname: str | None = None,
    id_provinces: tuple[tuple[str, float], ...] = ID_PROVINCE_WEIGHTS,
) -> Person:
    male = rng.random() < 0.5 if male is None else male
    middle = rng.choice(MIDDLE_MALE if male else MIDDLE_FEMALE)
    given = rng.choice(GIVEN_MALE if male else GIVEN_FEMALE)
    surname = surname or _weighted(rng, SURNAMES)
    birth = random_date(rng, date(birth_range[0], 1, 1), date(birth_range[1], 12, 31))
    province = _weighted(rng, id_provinces)  # one draw whatever the table: same stream either way
    id12 = make_id12(rng, province, birth.year, male)
    # A 9-digit CMND existed for people who were adults before chip cards (2021).
    old_cmnd = f"{rng.randrange(10**8, 10**9)}" if birth.year < 2002 and rng.random() < 0.7 else ""
    hometown = Hometown(*rng.choice(OLD_HOMETOWNS))
    address = make_address(rng)
    # Chip CCCDs were issued from 2021 to 30/6/2024; holders are at least 14 then.
    start = max(date(2021, 1, 15), _add_years(birth, 14))
    issue = random_date(rng, start, max(start, date(2024, 6, 28)))
    return Person(
        surname,
        middle,
        given,
        male,
        birth,
        id12,
        old_cmnd,
        _weighted(rng, ETHNICITIES),
        hometown,
        address,
        make_phone(rng),
        issue,
        card_expiry(birth, issue),
    )


# Birth registered in one of the two big cities: their new (post-7/2025) wards are known here,
# so "Nơi đăng ký khai sinh" can be written in the new 2-level form and agree with the ID's PPP.
CITY_ID_PROVINCES: tuple[tuple[str, float], ...] = (("001", 30), ("079", 22))


def with_can_cuoc(person: Person, rng: random.Random) -> Person:
    """The same citizen holding a Căn cước issued between 1/7/2024 and 30/6/2026.

    `card_issue` / `card_expiry` become the new card's; everything else is unchanged."""
    start = max(CAN_CUOC_FIRST_ISSUE, person.birth + timedelta(days=30))
    issue = random_date(rng, start, max(start, date(2026, 6, 30)))
    return replace(person, card_issue=issue, card_expiry=can_cuoc_expiry(person.birth, issue))


def with_old_cmnd(person: Person, rng: random.Random) -> Person:
    """The same citizen, sure to have had a 9-digit CMND (kept if already there)."""
    if person.old_cmnd:
        return person
    return replace(person, old_cmnd=f"{rng.randrange(10**8, 10**9)}")


def birth_registration_place(person: Person, rng: random.Random) -> str:
    """'Phường Kim Liên, Thành phố Hà Nội': a new-style ward in the province of the ID's PPP.

    Only Hà Nội and HCMC have ward tables here; other provinces fall back to the province name."""
    code = person.id12[:3]
    city = {"001": "Thành phố Hà Nội", "079": "Thành phố Hồ Chí Minh"}.get(code)
    if city is None:
        return province_label(code)[0].upper() + province_label(code)[1:]
    wards = HANOI_WARDS if code == "001" else HCMC_WARDS
    return f"Phường {rng.choice(wards)[2]}, {city}"


# --- QR and MRZ ----------------------------------------------------------------------


def qr_payload(person: Person) -> str:
    """`số CCCD|số CMND cũ|Họ và tên|DDMMYYYY|Nam/Nữ|địa chỉ|ngày cấp DDMMYYYY` (BRIEF §4.3)."""
    fields = (
        person.id12,
        person.old_cmnd,
        person.full_name,
        ddmmyyyy(person.birth, ""),
        person.sex,
        person.address.card,
        ddmmyyyy(person.card_issue, ""),
    )
    return nfc("|".join(fields))


def can_cuoc_qr_payload(person: Person, extra: tuple[str, ...] = ()) -> str:
    """QR of the 2024 Căn cước (layout not confirmed, BRIEF §4.3): the chip-CCCD order with the
    NEW 2-level address, then `extra` unknown trailing fields that parsers must tolerate."""
    fields = (
        person.id12,
        person.old_cmnd,
        person.full_name,
        ddmmyyyy(person.birth, ""),
        person.sex,
        person.address.new_full,
        ddmmyyyy(person.card_issue, ""),
        *extra,
    )
    return nfc("|".join(fields))


def _mrz_value(ch: str) -> int:
    if ch.isdigit():
        return int(ch)
    if ch == "<":
        return 0
    if "A" <= ch <= "Z":
        return ord(ch) - ord("A") + 10
    raise ValueError(f"not an MRZ character: {ch!r}")


def icao_check_digit(data: str) -> str:
    """ICAO 9303 check digit: weights 7-3-1, digits as is, A=10..Z=35, '<'=0, sum mod 10."""
    weights = (7, 3, 1)
    return str(sum(_mrz_value(c) * weights[i % 3] for i, c in enumerate(data)) % 10)


def mrz_name(surname: str, given_names: str) -> str:
    """Line-3 name field: no diacritics, upper case, spaces -> '<', padded to 30."""

    def clean(s: str) -> str:
        return "<".join(strip_diacritics(s).upper().replace("'", "").split())

    return f"{clean(surname)}<<{clean(given_names)}"[:30].ljust(30, "<")


def mrz_td1(id12: str, birth: date, male: bool, expiry: date | None, surname: str, given_names: str) -> list[str]:
    """Vietnamese CCCD TD1 MRZ (BRIEF §4.4): three 30-character lines.

    expiry None (a card without expiry): the field is '<<<<<<', its check digit '0'."""
    if len(id12) != 12 or not id12.isdigit():
        raise ValueError("id12 must be 12 digits")
    short = id12[3:]
    line1 = f"IDVNM{short}{icao_check_digit(short)}{id12}<<{icao_check_digit(id12)}"
    dob = birth.strftime("%y%m%d")
    exp = expiry.strftime("%y%m%d") if expiry is not None else "<" * 6
    line2 = f"{dob}{icao_check_digit(dob)}{'M' if male else 'F'}{exp}{icao_check_digit(exp)}VNM{'<' * 11}"
    # Composite: line 1 positions 6-30, line 2 positions 1-7, 9-15 and 19-29 (ICAO TD1).
    composite = line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29]
    line2 += icao_check_digit(composite)
    line3 = mrz_name(surname, given_names)
    assert len(line1) == len(line2) == len(line3) == 30
    return [line1, line2, line3]


def person_mrz(person: Person) -> list[str]:
    if person.card_expiry is None:
        raise ValueError("no expiry date: not a card holder of the 2021-2024 generation")
    return mrz_td1(
        person.id12, person.birth, person.male, person.card_expiry, person.surname, f"{person.middle} {person.given}"
    )


def card_mrz(person: Person) -> list[str]:
    """MRZ of whatever card `person` holds, an expiry of None included (Căn cước after 58)."""
    return mrz_td1(
        person.id12, person.birth, person.male, person.card_expiry, person.surname, f"{person.middle} {person.given}"
    )
