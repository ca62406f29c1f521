"""Machine-checkable redundancy of Vietnamese identity cards (pure functions).

- the QR payload: '|'-separated, parsed by field count, raw string kept;
- the TD1 MRZ: every ICAO 9303 check digit verified;
- the 12-digit number's structure (province or country code, gender-and-century digit);
- dates: real, and consistent (issue after birth, expiry after issue, expiry a milestone).

Nothing here repairs a value: a check passes or says why not.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from models.idcards import PROVINCE_CODES_ID12, QR_FIELDS_6, QR_FIELDS_7, CardGeneration
from pipeline.text import fold, nfc

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- dates


def parse_ddmmyyyy(text: str) -> date | None:
    """'15042021', '15/04/2021' or '15-04-2021' -> a real date, else None."""
    digits = re.sub(r"[/.\-\s]", "", text or "")
    if not re.fullmatch(r"\d{8}", digits):
        return None
    try:
        return date(int(digits[4:]), int(digits[2:4]), int(digits[:2]))
    except ValueError:
        return None


def format_date(d: date) -> str:
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def card_expiry(birth: date, issued: date, generation: CardGeneration) -> date | None:
    """The expiry a card of `generation` issued on `issued` must carry; None: no expiry."""
    for age in generation.milestone_ages:
        milestone = _add_years(birth, age)
        if issued < _add_years(milestone, -generation.renew_window_years):
            return milestone
    return None


def expiry_is_milestone(birth: date, expiry: date, generation: CardGeneration) -> bool:
    """An expiry date is always one of the holder's milestone birthdays."""
    return any(_add_years(birth, age) == expiry for age in generation.milestone_ages)


def date_problems(
    birth: date | None, issue: date | None, expiry: date | None, today: date, generation: CardGeneration | None = None
) -> list[str]:
    """Consistency of a card's dates; [] when nothing contradicts."""
    problems = []
    if birth is not None:
        if birth > today:
            problems.append("birth date in the future")
        if birth.year < 1900:
            problems.append("birth date before 1900")
    if issue is not None:
        problems += _issue_problems(birth, issue, today, generation)
    if expiry is not None:
        problems += _expiry_problems(birth, issue, expiry, generation)
    return problems


def _issue_problems(birth: date | None, issue: date, today: date, generation: CardGeneration | None) -> list[str]:
    problems = []
    if issue > today:
        problems.append("issue date in the future")
    if birth is not None and issue <= birth:
        problems.append("issue date not after birth date")
    if generation is not None:
        if issue < generation.issued_from or (generation.issued_until and issue > generation.issued_until):
            problems.append(f"issue date outside the {generation.name} issuing period")
        youngest = generation.min_age_at_issue
        if birth is not None and youngest and issue < _add_years(birth, youngest):
            problems.append("holder too young for this card at issue")
    return problems


def _expiry_problems(
    birth: date | None, issue: date | None, expiry: date, generation: CardGeneration | None
) -> list[str]:
    problems = []
    if issue is not None and expiry <= issue:
        problems.append("expiry date not after issue date")
    if birth is not None and expiry <= birth:
        problems.append("expiry date not after birth date")
    if generation is not None and birth is not None:
        if issue is not None:
            if card_expiry(birth, issue, generation) != expiry:
                problems.append("expiry date does not follow from birth and issue dates")
        elif not expiry_is_milestone(birth, expiry, generation):
            problems.append("expiry date is not a milestone birthday")
    return problems


# Vietnamese number words, as dates are written out on civil-status papers ("ghi bằng chữ").
# Matched with their tone marks: a misread word ("trắm") is not a number word.
_DIGIT_WORDS = {
    "không": 0,
    "một": 1,
    "mốt": 1,
    "hai": 2,
    "ba": 3,
    "bốn": 4,
    "tư": 4,
    "năm": 5,
    "lăm": 5,
    "nhăm": 5,
    "sáu": 6,
    "bảy": 7,
    "tám": 8,
    "chín": 9,
}
_MONTH_WORDS = {"giêng": 1, "chạp": 12}
_SKIP_WORDS = frozenset({"linh", "lẻ", "mồng", "mùng"})  # "hai nghìn linh năm"; "mồng một"
_DATE_WORDS = re.compile(r"ngày\s+(.+?)[,\s]+tháng\s+(.+?)[,\s]+năm\s+(.+?)[.\s]*$")


def date_from_words(text: str) -> date | None:
    """'Ngày mười ba, tháng tư, năm hai nghìn không trăm hai mươi ba' -> 13/04/2023; None
    when it is not such a date or a word is not a number word as spelled."""
    found = _DATE_WORDS.search(nfc(text).casefold())
    if not found:
        return None
    day_words, month_words, year_words = found.groups()
    month = _MONTH_WORDS.get(month_words.strip()) or _words_number(month_words)
    day, year = _words_number(day_words), _words_number(year_words)
    if day is None or month is None or year is None:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _words_number(words_text: str) -> int | None:
    total = group = last = 0
    words = words_text.replace(",", " ").split()
    if not words:
        return None
    for word in words:
        if word in _DIGIT_WORDS:
            last = _DIGIT_WORDS[word]
            group += last
        elif word == "mười":  # ten
            last = 10
            group += 10
        elif word == "mươi":  # the digit before, as tens
            group += last * 9
            last = 0
        elif word == "trăm":
            group += last * 99
            last = 0
        elif word in ("nghìn", "ngàn"):
            total += group * 1000
            group = last = 0
        elif word in _SKIP_WORDS:
            continue
        else:
            return None
    return total + group


# --------------------------------------------------------------------------- 12-digit number


def id12_problems(number: str, birth_year: int | None = None, sex: str | None = None) -> list[str]:
    """Structure of a personal ID `PPP G YY RRRRRR`; [] when plausible (there is no check digit)."""
    if not re.fullmatch(r"[0-9]{12}", number or ""):  # ASCII digits only: \d would take any script's
        return ["not 12 digits"]
    problems = []
    place, g, yy = number[:3], int(number[3]), int(number[4:6])
    if place.startswith("0") and place not in PROVINCE_CODES_ID12:
        problems.append(f"unknown province code {place}")
    if place == "000":
        problems.append("province code 000")
    century = 1900 + 100 * (g // 2)
    if century > 2100:
        problems.append("century digit out of range")
    if birth_year is not None and century + yy != birth_year:
        problems.append("birth year does not match digits 4-6")
    if sex is not None and (g % 2 == 0) != (sex == "Nam"):
        problems.append("gender digit does not match sex")
    return problems


def id12_century(number: str) -> int | None:
    return 1900 + 100 * (int(number[3]) // 2) if re.fullmatch(r"\d{12}", number or "") else None


# --------------------------------------------------------------------------- QR


@dataclass(frozen=True, slots=True)
class QrPayload:
    raw: str
    values: dict[str, str]  # field name (models.fields) -> value as encoded, NFC
    extra: tuple[str, ...] = ()  # unknown trailing fields, kept
    problems: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        return not self.problems


def parse_card_qr(text: str) -> QrPayload | None:
    """A card's QR payload, parsed by field count; None when it is not a card payload at all.

    7 fields (the old-ID field may be empty) is the known layout; 6 fields lack the old-ID
    slot; more than 7 keeps the unknown trailing fields (logged, not failed on). Dates
    become DD/MM/YYYY; a field that breaks its rule is listed in `problems`."""
    raw = nfc(text or "")
    parts = [p.strip() for p in raw.strip().split("|")]
    if len(parts) < 6 or not re.fullmatch(r"\d{12}", parts[0]):
        return None
    names = QR_FIELDS_7 if len(parts) >= 7 else QR_FIELDS_6
    values = dict(zip(names, parts, strict=False))
    extra = tuple(parts[len(names) :])
    if extra:
        log.info("card QR payload has %d unknown trailing field(s); kept", len(extra))
    problems = []
    for name in ("ngay_sinh", "ngay_cap"):
        d = parse_ddmmyyyy(values.get(name, ""))
        if d is None:
            problems.append(f"{name} is not a date")
        else:
            values[name] = format_date(d)
    if values.get("so_cmnd") and not re.fullmatch(r"\d{9}|\d{12}", values["so_cmnd"]):
        problems.append("old ID number is not 9 or 12 digits")
    sex = values.get("gioi_tinh", "")
    if fold(sex) not in ("nam", "nu"):
        problems.append("sex is not Nam/Nữ")
    if not values.get("ho_va_ten"):
        problems.append("name is empty")
    birth = parse_ddmmyyyy(values.get("ngay_sinh", ""))
    problems += [
        f"ID number: {p}"
        for p in id12_problems(
            values["so_dinh_danh"], birth.year if birth else None, sex if fold(sex) in ("nam", "nu") else None
        )
    ]
    values = {k: v for k, v in values.items() if v}
    return QrPayload(raw, values, extra, tuple(problems))


# --------------------------------------------------------------------------- MRZ

TD1_LENGTH = 30
_MRZ_LINE = re.compile(r"^[A-Z0-9<]{30}$")
# OCR confusions that ICAO 9303 readers resolve by position: in numeric fields a letter
# is the digit it resembles. Check digits then decide whether the reading holds.
_AS_DIGIT = str.maketrans(
    {"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "Z": "2", "S": "5", "B": "8", "G": "6", "T": "7"}
)


def icao_check_digit(data: str) -> int:
    """ICAO 9303: weights 7-3-1; digits as is, A-Z = 10-35, '<' = 0; sum mod 10."""
    total = 0
    for i, ch in enumerate(data):
        if ch.isdigit():
            v = int(ch)
        elif ch == "<":
            v = 0
        elif "A" <= ch <= "Z":
            v = ord(ch) - 55
        else:
            raise ValueError(f"not an MRZ character: {ch!r}")
        total += v * (7, 3, 1)[i % 3]
    return total % 10


def _digit_ok(data: str, check: str) -> bool:
    return check.isdigit() and icao_check_digit(data) == int(check)


@dataclass(frozen=True, slots=True)
class Td1Mrz:
    lines: tuple[str, str, str]
    document_number: str  # positions 6-14 of line 1
    id12: str | None  # the optional data field (positions 16-29) when it holds 12 digits
    birth_yymmdd: str
    sex: str | None  # "Nam" | "Nữ" | None
    expiry_yymmdd: str
    nationality: str
    surname: str
    given_names: str
    checks: dict[str, bool] = field(default_factory=dict)  # check-digit name -> holds

    @property
    def valid(self) -> bool:
        """Every check digit holds (document number, ID, birth, expiry, composite)."""
        return bool(self.checks) and all(self.checks.values())

    @property
    def name(self) -> str:
        return " ".join(f"{self.surname} {self.given_names}".split())

    def birth_date(self, century: int | None) -> date | None:
        """YYMMDD with the century the 12-digit number gives."""
        return _yymmdd(self.birth_yymmdd, century)

    def expiry_date(self) -> date | None:
        return _yymmdd(self.expiry_yymmdd, 2000)


def _yymmdd(text: str, century: int | None) -> date | None:
    """YYMMDD in the given century; None without one (an MRZ alone does not say which)."""
    if century is None or not re.fullmatch(r"\d{6}", text):
        return None
    yy, mm, dd = int(text[:2]), int(text[2:4]), int(text[4:])
    year = century + yy
    try:
        return date(year, mm, dd)
    except ValueError:
        return None


def _numeric(segment: str) -> str:
    return segment.translate(_AS_DIGIT)


def parse_td1(lines: Sequence[str]) -> Td1Mrz | None:
    """Three 30-character TD1 lines -> fields and the verdict of every check digit.

    None when the lines are not a TD1 identity-card MRZ (wrong shape or document code)."""
    if len(lines) != 3:
        return None
    l1, l2, l3 = (line.replace(" ", "").upper() for line in lines)
    if not all(_MRZ_LINE.match(line) for line in (l1, l2, l3)) or l1[0] not in "IAC":
        return None
    number, number_check = l1[5:14], _numeric(l1[14])
    optional = l1[15:29]
    id12 = None
    checks = {"document_number": _digit_ok(number, number_check)}
    if re.fullmatch(r"[0-9OQDILZSBGT]{12}<<", optional):
        # Vietnamese cards: the 12-digit number in the optional field, its check digit at 30.
        id12 = _numeric(optional[:12])
        checks["id12"] = _digit_ok(id12, _numeric(l1[29]))
        checks["document_number_is_id_tail"] = number == id12[3:]
    birth, birth_check = _numeric(l2[0:6]), _numeric(l2[6])
    expiry, expiry_check = _numeric(l2[8:14]), _numeric(l2[14])
    checks["birth"] = _digit_ok(birth, birth_check)
    checks["expiry"] = _digit_ok(expiry, expiry_check)
    # The composite over the same fields as read by position (digits where digits belong).
    l1_data = number + number_check + (id12 + "<<" + _numeric(l1[29]) if id12 else l1[15:30])
    composite = l1_data + birth + birth_check + expiry + expiry_check + l2[18:29]
    checks["composite"] = _digit_ok(composite, _numeric(l2[29]))
    sex = {"M": "Nam", "F": "Nữ"}.get(l2[7])
    surname, _, given = l3.partition("<<")
    return Td1Mrz(
        lines=(l1, l2, l3),
        document_number=number,
        id12=id12,
        birth_yymmdd=birth,
        sex=sex,
        expiry_yymmdd=expiry,
        nationality=l2[15:18],
        surname=surname.replace("<", " ").strip(),
        given_names=given.replace("<", " ").strip(),
        checks=checks,
    )


def find_td1(texts: Sequence[str]) -> Td1Mrz | None:
    """The TD1 MRZ among a page's lines (three consecutive 30-character MRZ lines)."""
    compact = [t.replace(" ", "").upper() for t in texts]
    for i in range(len(compact) - 2):
        if all(len(c) == TD1_LENGTH and "<" in c for c in compact[i : i + 3]):
            parsed = parse_td1(compact[i : i + 3])
            if parsed is not None:
                return parsed
    return None


def td1_checked_number(texts: Sequence[str]) -> str | None:
    """The 12-digit number of a Vietnamese TD1 MRZ's first line where that line's own two
    check digits hold (the document number's and the number's) and the document number is the
    number's tail: the card's number though its other lines are misread or cut."""
    for text in texts:
        line = text.replace(" ", "").upper()
        if len(line) != TD1_LENGTH or not _MRZ_LINE.match(line) or line[0] not in "IAC":
            continue
        number, optional = line[5:14], line[15:29]
        if not re.fullmatch(r"[0-9OQDILZSBGT]{12}<<", optional):
            continue
        id12 = _numeric(optional[:12])
        if _digit_ok(number, _numeric(line[14])) and _digit_ok(id12, _numeric(line[29])) and number == id12[3:]:
            return id12
    return None


# --------------------------------------------------------------------------- same person


def same_name(a: str, b: str, *, ignore_diacritics: bool) -> bool:
    """Names equal up to case and spacing; with `ignore_diacritics` (an MRZ) also up to tone marks."""

    def norm(s: str) -> str:
        s = nfc(s).replace("<", " ")
        s = fold(s) if ignore_diacritics else s.casefold()
        return " ".join(s.replace("đ", "d" if ignore_diacritics else "đ").split())

    return bool(a and b) and norm(a) == norm(b)


def same_text(a: str, b: str) -> bool:
    """Free text (an address) equal up to case, spacing and punctuation; tone marks count."""

    def norm(s: str) -> str:
        return " ".join(re.sub(r"[,.;:\-/]", " ", nfc(s).casefold()).split())

    return bool(a and b) and norm(a) == norm(b)
