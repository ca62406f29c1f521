"""Identity-card cross-checks: QR payloads, the TD1 MRZ, the 12-digit number, card dates."""

from datetime import date

from models.idcards import CAN_CUOC, CHIP_CCCD
from pipeline.fields.idcheck import (
    card_expiry,
    date_problems,
    find_td1,
    icao_check_digit,
    id12_problems,
    parse_card_qr,
    parse_td1,
    same_name,
)
from samples.identity import mrz_td1

QR7 = "001099012345|123456789|Nguyễn Văn Hải|01011999|Nam|Số 1 phố Huế, Hoàn Kiếm, Hà Nội|15042021"
MRZ = ["IDVNM0990123459001099012345<<0", "9901018M3901016VNM<<<<<<<<<<<0", "NGUYEN<<VAN<HAI<<<<<<<<<<<<<<<"]


def test_qr_payload_parsed_by_field_count_and_raw_kept():
    qr = parse_card_qr(QR7)
    assert qr.valid and qr.raw == QR7
    assert qr.values["so_dinh_danh"] == "001099012345"
    assert qr.values["so_cmnd"] == "123456789"
    assert qr.values["ngay_sinh"] == "01/01/1999" and qr.values["ngay_cap"] == "15/04/2021"
    # The old-ID field may be empty.
    empty_old = parse_card_qr(QR7.replace("|123456789|", "||"))
    assert empty_old.valid and "so_cmnd" not in empty_old.values
    # Six fields: no old-ID slot.
    six = parse_card_qr("001099012345|Nguyễn Văn Hải|01011999|Nam|Hà Nội|15042021")
    assert six.valid and six.values["ho_va_ten"] == "Nguyễn Văn Hải"
    # Unknown trailing fields are kept, not failed on.
    longer = parse_card_qr(QR7 + "|01012039|X")
    assert longer.valid and longer.extra == ("01012039", "X")


def test_malformed_qr_payloads():
    assert parse_card_qr("https://example.vn/abc") is None  # not a card's code
    assert parse_card_qr("001099012345|a|b") is None  # too few fields
    assert parse_card_qr("00109901234X||A|01011999|Nam|HN|15042021") is None
    bad_date = parse_card_qr("001099012345||Nguyễn Văn Hải|31021999|Nam|Hà Nội|15042021")
    assert not bad_date.valid and "ngay_sinh is not a date" in bad_date.problems
    bad_sex = parse_card_qr("001099012345||Nguyễn Văn Hải|01011999|X|Hà Nội|15042021")
    assert not bad_sex.valid
    # The number's digits say male, born 1999: a female holder contradicts them.
    wrong = parse_card_qr("001099012345||Nguyễn Thị Hải|01011999|Nữ|Hà Nội|15042021")
    assert any("gender digit" in p for p in wrong.problems)


def test_td1_mrz_every_check_digit():
    mrz = parse_td1(MRZ)
    assert mrz.valid, mrz.checks
    assert mrz.id12 == "001099012345" and mrz.document_number == "099012345"
    assert mrz.birth_date(1900) == date(1999, 1, 1) and mrz.expiry_date() == date(2039, 1, 1)
    assert mrz.sex == "Nam" and mrz.name == "NGUYEN VAN HAI"
    assert set(mrz.checks) >= {"document_number", "id12", "birth", "expiry", "composite"}
    # The generator's MRZ agrees with the parser (independent construction).
    lines = mrz_td1("079304001122", date(2004, 2, 29), False, date(2029, 2, 28), "Trần", "Thị Thu")
    assert parse_td1(lines).valid


def test_mrz_with_a_wrong_check_digit_is_not_valid():
    for line, pos in ((0, 14), (0, 29), (1, 6), (1, 14), (1, 29)):
        lines = list(MRZ)
        digit = lines[line][pos]
        lines[line] = lines[line][:pos] + str((int(digit) + 1) % 10) + lines[line][pos + 1 :]
        assert not parse_td1(lines).valid, (line, pos)
    # A misread digit in the birth date breaks its check digit and the composite.
    lines = list(MRZ)
    lines[1] = "9901028" + lines[1][7:]
    parsed = parse_td1(lines)
    assert not parsed.checks["birth"] or not parsed.checks["composite"]
    # OCR reading O for 0 in a numeric field is read by position, and checked.
    lines = list(MRZ)
    lines[1] = "99O1018" + lines[1][7:]
    assert parse_td1(lines).valid
    assert parse_td1(MRZ[:2]) is None
    assert find_td1(["BỘ CÔNG AN", *MRZ, "x"]).valid


def test_id12_structure():
    assert id12_problems("001099012345", 1999, "Nam") == []
    assert id12_problems("079304001122", 2004, "Nữ") == []
    assert "birth year does not match digits 4-6" in id12_problems("001099012345", 1998)
    assert "gender digit does not match sex" in id12_problems("001099012345", sex="Nữ")
    assert id12_problems("0010990123") == ["not 12 digits"]
    assert any("province" in p for p in id12_problems("003099012345"))  # no province 003
    assert id12_problems("840099012345") == []  # a country code: births registered abroad


def test_impossible_and_inconsistent_card_dates():
    today = date(2026, 11, 21)
    birth = date(1999, 1, 1)
    assert date_problems(birth, date(2021, 4, 15), date(2024, 1, 1), today, CHIP_CCCD) == []
    assert "issue date not after birth date" in date_problems(birth, date(1998, 1, 1), None, today)
    assert "expiry date not after issue date" in date_problems(birth, date(2021, 4, 15), date(2021, 1, 1), today)
    assert "birth date in the future" in date_problems(date(2027, 1, 1), None, None, today)
    assert "issue date in the future" in date_problems(birth, date(2027, 1, 1), None, today)
    assert any("milestone" in p for p in date_problems(birth, None, date(2039, 1, 2), today, CHIP_CCCD))
    assert card_expiry(birth, date(2021, 4, 15), CHIP_CCCD) == date(2024, 1, 1)
    assert card_expiry(birth, date(2022, 6, 1), CHIP_CCCD) == date(2039, 1, 1)  # within 2 years of 25
    assert card_expiry(date(2015, 5, 5), date(2025, 1, 1), CAN_CUOC) == date(2029, 5, 5)


def test_names_compared_with_and_without_tone_marks():
    assert same_name("NGUYỄN VĂN HẢI", "Nguyễn Văn Hải", ignore_diacritics=False)
    assert not same_name("NGUYỄN VĂN HẢI", "Nguyễn Văn Hài", ignore_diacritics=False)
    assert same_name("NGUYỄN VĂN HẢI", "NGUYEN VAN HAI", ignore_diacritics=True)
    assert same_name("ĐỖ THỊ ÁNH", "DO THI ANH", ignore_diacritics=True)
    assert icao_check_digit("001099012345") == 0


def test_dates_written_in_words():
    from pipeline.fields.idcheck import date_from_words

    assert date_from_words("Ngày mười ba, tháng tư, năm hai nghìn không trăm hai mươi ba") == date(2023, 4, 13)
    assert date_from_words("Ngày hai mươi mốt, tháng năm, năm một nghìn chín trăm chín mươi lăm") == date(1995, 5, 21)
    assert date_from_words("ngày mồng một tháng giêng năm hai nghìn linh năm") == date(2005, 1, 1)
    assert date_from_words("Ngày ba mươi, tháng mười hai, năm hai nghìn không trăm mười") == date(2010, 12, 30)
    assert date_from_words("Ngày ba mươi mốt, tháng hai, năm hai nghìn") is None  # no 31 February
    assert date_from_words("Ngày mười ba, tháng tư") is None
    # A misread word is not a number word, even if it folds to one.
    assert date_from_words("Ngày chín, tháng mười hai, năm hai nghìn không trắm mười hai") is None
