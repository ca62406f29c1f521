"""Addresses normalised to the 2025 administrative units (pipeline/fields/address/).

Expected old-to-new mappings below were checked against the data shipped in
models/data/admin_units_2025.json (vietnamadminunits 1.0.4) and, for the HCMC and Hà Nội
rows, against the official conversion table (BangChuyendoiĐVHCmoi_cu, "Nhập toàn bộ" /
"Nhập một phần") in the VietnamProvinces repository.
"""

from __future__ import annotations

import dataclasses
import threading
import unicodedata
from collections import Counter

import pytest

from pipeline.fields import address
from pipeline.fields.address import AddressResolution, data_source, provinces, resolve_address, resolve_place, wards
from pipeline.text import strip_diacritics


def names(result: AddressResolution) -> set[str]:
    return {c.name for c in result.candidates}


# --- the catalogue ----------------------------------------------------------------------


def test_counts_of_the_2025_units():
    assert len(provinces()) == 34
    assert len(wards()) == 3321
    assert len({w.code for w in wards()}) == 3321
    kinds = Counter(w.name.split(" ")[0] for w in wards())
    assert (kinds["Xã"], kinds["Phường"], kinds["Đặc"]) == (2621, 687, 13)
    assert len(wards("01")) == 126  # Hà Nội
    assert len(wards("79")) == 168  # HCMC, with Bình Dương and Bà Rịa–Vũng Tàu
    hanoi = {p.code: p for p in provinces()}["01"]
    assert hanoi.name == "Thành phố Hà Nội" and hanoi.province_code == "01"
    assert all(len(w.code) == 5 and len(w.province_code) == 2 for w in wards())
    assert all(unicodedata.is_normalized("NFC", w.name) for w in wards())


def test_data_file_records_its_sources():
    src = data_source()
    assert src["new_units"]["package"] == "vietnam-provinces==2025.10.1"
    assert src["mapping"]["package"] == "vietnamadminunits==1.0.4"
    assert "MIT" in src["mapping"]["licence"] and "licence" in src["new_units"]
    assert src["counts"]["legacy_wards"] == src["counts"]["legacy_wards_whole"] + src["counts"]["legacy_wards_split"]


# --- the input forms --------------------------------------------------------------------


def test_new_two_level_addresses():
    r = resolve_address("Số 18, ngõ 42 phố Chùa Bộc, phường Kim Liên, thành phố Hà Nội")
    assert (r.status, r.ward.name, r.ward.code) == ("exact", "Phường Kim Liên", "00226")
    assert r.province.name == "Thành phố Hà Nội"
    assert r.legacy is False and r.candidates == ()
    r = resolve_address("12 Lê Lợi, Phường Sài Gòn, Thành phố Hồ Chí Minh")
    assert (r.status, r.ward.name, r.province.code, r.legacy) == ("exact", "Phường Sài Gòn", "79", False)


def test_old_three_level_address_split_ward_is_ambiguous():
    r = resolve_address("Số 18 phố Chùa Bộc, phường Trung Liệt, quận Đống Đa, thành phố Hà Nội")
    assert r.status == "ambiguous" and r.ward is None and r.legacy
    assert names(r) == TRUNG_LIET
    assert r.province.name == "Thành phố Hà Nội"
    assert "Trung Liệt" in r.detail and "partly merged into 3 wards" in r.detail


def test_old_three_level_address_whole_merge_is_exact():
    r = resolve_address("Xã Kim Liên, huyện Nam Đàn, tỉnh Nghệ An")
    assert (r.status, r.ward.name, r.province.name, r.legacy) == ("exact", "Xã Kim Liên", "Tỉnh Nghệ An", True)
    assert "merged whole" in r.detail


TRUNG_LIET = {"Phường Kim Liên", "Phường Ô Chợ Dừa", "Phường Đống Đa"}


@pytest.mark.parametrize(
    "text, fn, status, expected",
    [
        ("Trung Liệt, Đống Đa, Hà Nội", resolve_address, "ambiguous", TRUNG_LIET),
        ("Kim Liên, Nam Đàn, Nghệ An", resolve_place, "exact", {"Xã Kim Liên"}),
        ("Kim Liên, Nam Đàn, Nghệ An", resolve_address, "exact", {"Xã Kim Liên"}),
        ("Kim Liên - Nam Đàn - Nghệ An", resolve_place, "exact", {"Xã Kim Liên"}),
        ("Kim Liên Nam Đàn Nghệ An", resolve_place, "exact", {"Xã Kim Liên"}),
        ("Phường 5, Quận 3, Hồ Chí Minh", resolve_address, "exact", {"Phường Bàn Cờ"}),
        ("Phường 5, Quận 3, TP. Hồ Chí Minh", resolve_address, "exact", {"Phường Bàn Cờ"}),
        ("Phường 05, Quận 03, TP Hồ Chí Minh, Việt Nam", resolve_address, "exact", {"Phường Bàn Cờ"}),
    ],
)
def test_compact_card_forms(text, fn, status, expected):
    r = fn(text)
    got = {r.ward.name} if r.status == "exact" else names(r)
    assert (r.status, got, r.legacy) == (status, expected, True)


@pytest.mark.parametrize(
    "text, ward",
    [
        ("P. Bến Nghé, Q. 1, TP. HCM", "Phường Sài Gòn"),
        ("P.Bến Nghé, Q.1, Tp Hồ Chí Minh", "Phường Sài Gòn"),
        ("P.5, Q.3, TP.HCM", "Phường Bàn Cờ"),
        ("P5 Q3 TPHCM", "Phường Bàn Cờ"),
        ("phường 5 quận 3 t.p. hồ chí minh", "Phường Bàn Cờ"),
        ("X. Kim Liên, H. Nam Đàn, T. Nghệ An", "Xã Kim Liên"),
        ("TT. Nam Đàn, H. Nam Đàn, Nghệ An", "Xã Vạn An"),
        ("Thị trấn Nam Đàn, huyện Nam Đàn, tỉnh Nghệ An", "Xã Vạn An"),
        ("Phường Hưng Trí, TX. Kỳ Anh, Hà Tĩnh", "Phường Sông Trí"),
    ],
)
def test_abbreviations(text, ward):
    r = resolve_address(text)
    assert (r.status, r.ward.name, r.legacy) == ("exact", ward, True), r.detail


def test_same_old_ward_name_needs_the_district():
    # "Phường 1" exists in many HCMC districts; with the district it is unique
    for district, ward in [
        ("Quận 3", "Phường Bàn Cờ"),
        ("Quận Gò Vấp", "Phường Hạnh Thông"),
        ("Quận Tân Bình", "Phường Tân Sơn Hòa"),
        ("Quận Phú Nhuận", "Phường Cầu Kiệu"),
        ("Quận Bình Thạnh", "Phường Gia Định"),
    ]:
        r = resolve_address(f"Phường 1, {district}, Thành phố Hồ Chí Minh")
        assert (r.status, r.ward.name) == ("exact", ward), district
    # without the district: every old "Phường 5" of HCMC is a candidate
    r = resolve_address("Phường 5, TP. Hồ Chí Minh")
    assert r.status == "ambiguous" and len(r.candidates) >= 8 and "Phường Bàn Cờ" in names(r)
    assert r.province.code == "79"
    # without district and province
    r = resolve_address("Xã Tân Lập")
    assert (r.status, r.province) == ("unknown", None)


def test_province_inferred_from_an_old_district_known_in_one_province():
    r = resolve_address("Phường 5, Quận 3")
    assert (r.status, r.ward.name, r.province.code) == ("exact", "Phường Bàn Cờ", "79")
    assert "province inferred" in r.detail


def test_unknown_ward():
    r = resolve_address("Phường Không Tồn Tại, quận Đống Đa, thành phou Hà Nội")
    assert (r.status, r.ward, r.candidates) == ("unknown", None, ())
    assert r.province.name == "Thành phố Hà Nội" and r.legacy
    assert "not found in Quận Đống Đa" in r.detail


def test_unknown_and_province_only():
    assert resolve_address("").status == "unknown"
    r = resolve_address("123 Nguyễn Trãi")
    assert (r.status, r.province) == ("unknown", None)
    r = resolve_place("Nghệ An")
    assert (r.status, r.ward, r.province.name) == ("unknown", None, "Tỉnh Nghệ An")


# --- the synthetic generator's examples -------------------------------------------------

GENERATOR_EXAMPLES = [
    # old ward, old district, province, status, 2025 ward(s) per the data
    ("Ô Chợ Dừa", "Đống Đa", "Hà Nội", "ambiguous", {"Phường Ô Chợ Dừa", "Phường Đống Đa"}),
    ("Trung Liệt", "Đống Đa", "Hà Nội", "ambiguous", TRUNG_LIET),
    ("Dịch Vọng Hậu", "Cầu Giấy", "Hà Nội", "ambiguous", {"Phường Cầu Giấy", "Phường Nghĩa Đô"}),
    ("Kim Mã", "Ba Đình", "Hà Nội", "ambiguous", {"Phường Giảng Võ", "Phường Ba Đình", "Phường Ngọc Hà"}),
    ("Hàng Bạc", "Hoàn Kiếm", "Hà Nội", "exact", {"Phường Hoàn Kiếm"}),
    ("Bến Nghé", "Quận 1", "Hồ Chí Minh", "exact", {"Phường Sài Gòn"}),
    ("Phường 5", "Quận 3", "Hồ Chí Minh", "exact", {"Phường Bàn Cờ"}),
]


@pytest.mark.parametrize("ward, district, province, status, expected", GENERATOR_EXAMPLES)
def test_generator_examples(ward, district, province, status, expected):
    for text in (f"{ward}, {district}, {province}", f"Số 1 phố Huế, {ward}, {district}, Thành phố {province}"):
        r = resolve_address(text)
        got = {r.ward.name} if r.status == "exact" else names(r)
        assert (r.status, got, r.legacy) == (status, expected, True), text


# --- tone marks, Unicode forms, OCR slips ---------------------------------------------


def test_tone_marks_kept_in_output_and_lookup_ignores_them():
    r = resolve_address("Trung Liet, Dong Da, Ha Noi")
    assert names(r) == TRUNG_LIET
    r = resolve_address("HANG BAC, HOAN KIEM, HA NOI")
    assert (r.ward.name, r.province.name) == ("Phường Hoàn Kiếm", "Thành phố Hà Nội")
    assert r.text == "HANG BAC, HOAN KIEM, HA NOI"  # the text as read


def test_nfd_input_gives_nfc_output():
    text = "Số 18 phố Chùa Bộc, phường Kim Liên, quận Đống Đa, thành phố Hà Nội"
    r = resolve_address(unicodedata.normalize("NFD", text))
    assert r.text == text and unicodedata.is_normalized("NFC", r.text)
    assert (r.status, r.ward.name) == ("exact", "Phường Kim Liên")
    assert unicodedata.is_normalized("NFC", r.ward.name) and unicodedata.is_normalized("NFC", r.detail)


def test_tone_marks_decide_between_names_that_fold_alike():
    assert resolve_address("Xã Cẩm Giàng, Hải Phòng").ward.name == "Xã Cẩm Giàng"
    assert resolve_address("Xã Cẩm Giang, Hải Phòng").ward.name == "Xã Cẩm Giang"
    r = resolve_address("Xa Cam Giang, Hai Phong")  # without marks: both, never a guess
    assert r.status == "ambiguous" and names(r) == {"Xã Cẩm Giang", "Xã Cẩm Giàng"}
    # an accented text that writes "Nga Thanh" means Nga Thanh, not Nga Thành
    r = resolve_address("Xã Nga Thanh, Huyện Nga Sơn, Tỉnh Thanh Hóa")
    assert r.status == "exact" and "Xã Nga Thanh" in r.detail


def test_unique_ocr_slip_is_resolved_and_flagged():
    r = resolve_address("Xã Kim Liêm, huyện Nam Đàn, tỉnh Nghệ An")
    assert (r.status, r.ward.name) == ("exact", "Xã Kim Liên")
    assert "tolerant match" in r.detail and "Kim Liêm" in r.detail
    r = resolve_address("Phường Sài Gòm, TP HCM")
    assert (r.status, r.ward.name) == ("exact", "Phường Sài Gòn") and "tolerant match" in r.detail
    r = resolve_address("Xã Kim Liên, huyện Nam Đàn, tỉnh Nghe Anh")
    assert (r.status, r.province.name) == ("exact", "Tỉnh Nghệ An") and "tolerant match" in r.detail
    # Ð (U+00D0) read for Đ
    assert resolve_address("Phường Ðống Ða, Hà Nội").ward.name == "Phường Đống Đa"


def test_tolerant_match_never_makes_an_ambiguous_case_exact():
    r = resolve_address("Phường Trung Liệl, Quận Đống Đa, Hà Nội")  # slip on a split ward
    assert r.status == "ambiguous" and len(r.candidates) == 3 and "tolerant match" in r.detail
    r = resolve_address("Phường Hàng Bạcc, quận Hoàn Kiếm, Hà Nội")  # close to Hàng Bạc and Hàng Bài
    assert r.status == "unknown"
    r = resolve_address("Phường Không Tồn Tại, Quận Đống Đa, Hà Nội")
    assert r.status == "unknown"


# --- provinces that changed ---------------------------------------------------------------


def test_merged_old_province_gives_the_2025_province():
    r = resolve_address("Phường Vị Xuyên, Thành phố Nam Định, Tỉnh Nam Định")
    assert (r.status, r.ward.name, r.legacy) == ("exact", "Phường Nam Định", True)
    assert r.province.name == "Tỉnh Ninh Bình"
    assert "Tỉnh Nam Định is part of Tỉnh Ninh Bình" in r.detail
    r = resolve_address("Huyện Côn Đảo, Tỉnh Bà Rịa - Vũng Tàu")  # an island district without wards
    assert (r.status, r.ward.name, r.province.code) == ("exact", "Đặc khu Côn Đảo", "79")
    r = resolve_address("Phường Thủy Biều, Thành phố Huế, Thừa Thiên Huế")
    assert (r.ward.name, r.province.name, r.legacy) == ("Phường Thủy Xuân", "Thành phố Huế", True)


def test_province_too_old_is_not_a_province():
    r = resolve_address("Xã Tân Lập, Huyện Đan Phượng, tỉnh Hà Tây")
    assert "province 'tỉnh Hà Tây' unknown" in r.detail
    assert r.province.name == "Thành phố Hà Nội" and "inferred" in r.detail  # from the old district


# --- streets, old districts, mixed forms --------------------------------------------------


def test_street_named_like_a_ward_is_not_the_ward():
    r = resolve_address("18 Nguyễn Thái Bình, Quận 1, TP HCM")
    assert r.status == "ambiguous" and "no ward given" in r.detail
    assert names(r) == {"Phường Sài Gòn", "Phường Bến Thành", "Phường Tân Định", "Phường Cầu Ông Lãnh"}
    r = resolve_address("Phường Nguyễn Thái Bình, Quận 1, TP HCM")
    assert names(r) == {"Phường Sài Gòn", "Phường Bến Thành"}


def test_name_of_a_2025_commune_and_of_an_old_district():
    r = resolve_place("Nam Đàn, Nghệ An")
    assert r.status == "ambiguous" and {"Xã Nam Đàn", "Xã Kim Liên"} <= names(r)
    r = resolve_address("Xã Nam Đàn, Nghệ An")
    assert (r.status, r.ward.name, r.legacy) == ("exact", "Xã Nam Đàn", False)
    r = resolve_address("Phường Cầu Giấy, Hà Nội")
    assert (r.status, r.ward.name) == ("exact", "Phường Cầu Giấy")


def test_2025_ward_written_with_its_old_district():
    r = resolve_address("Phường Sài Gòn, Quận 1, TP HCM")
    assert (r.status, r.ward.name) == ("exact", "Phường Sài Gòn") and "ignored" in r.detail
    # a 2025 commune that took nothing from that old district is not accepted
    assert resolve_address("Xã Bình Minh, Huyện Sơn Tịnh, Tỉnh Quảng Ngãi").status == "unknown"


# --- the whole data set, both ways --------------------------------------------------------


def test_every_old_ward_maps_as_the_data_says():
    units = address.catalogue()
    for w in units.old_wards.values():
        d = units.districts[w.parent]
        p = units.old_provinces[d.parent]
        r = resolve_address(f"Số 1, {w.name}, {d.name}, {p.name}")
        got = (r.ward.code,) if r.status == "exact" else tuple(sorted(c.code for c in r.candidates))
        assert got == tuple(sorted(w.targets)), (w.name, d.name, p.name, r.detail)
        assert r.status == ("exact" if len(w.targets) == 1 else "ambiguous") and r.legacy


def test_every_2025_ward_resolves_to_itself():
    for ward in wards():
        r = resolve_address(f"12 Lê Lợi, {ward.name}, {ward.province_name}")
        assert (r.status, r.ward, r.legacy) == ("exact", ward, False), r.detail
        plain = resolve_address(strip_diacritics(f"{ward.name}, {ward.province_name}"))
        assert plain.status == "exact" or ward in plain.candidates


# --- API properties -----------------------------------------------------------------------


def test_results_are_frozen():
    r = resolve_address("Hàng Bạc, Hoàn Kiếm, Hà Nội")
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.status = "unknown"
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.ward.name = "x"


def test_concurrent_first_use_gives_every_thread_the_same_answer():
    address.catalogue.cache_clear()  # the next call is the first use
    start = threading.Barrier(8)
    results, errors = [], []

    def work():
        try:
            start.wait()
            results.append(resolve_address("Phường 5, Quận 3, TP. Hồ Chí Minh").ward.code)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and results == ["27160"] * 8
    assert address.catalogue() is address.catalogue()  # kept after first use, not read again


def test_public_keys_for_the_data_builder():
    # scripts/build_admin_units.py derives the data's extra keys with these
    assert address.lookup_key("Phường 05") == "phuong5" and address.lookup_key("Ðống Đa") == "dongda"
    assert address.tone_lookup_key("Phường Thuỷ Biều") == address.tone_lookup_key("phường thủy-biều")
    assert address.tone_lookup_key("Ea H'leo") == address.tone_lookup_key("Ea Hleo")
    assert address.tone_lookup_key("Phường 05") == address.tone_lookup_key("Phường 5")
    assert address.tone_lookup_key("Cẩm Giang") != address.tone_lookup_key("Cẩm Giàng")
    assert address.split_unit_type("Thị trấn Nam Đàn") == (address.THI_TRAN, "Nam Đàn")
    assert address.split_unit_type("Nam Đàn") == ("", "Nam Đàn")


def test_an_address_ends_with_its_province_or_it_is_incomplete():
    from pipeline.fields.address import ends_with_province

    assert ends_with_province("Số 5 đường Lê Lợi, phường Sài Gòn, Thành phố Hồ Chí Minh")
    assert ends_with_province("Kim Liên, Nam Đàn, Nghệ An")  # old province, no type word
    assert ends_with_province("xã Kim Liên, tỉnh Nghe An")  # matched without tone marks
    assert ends_with_province("Tổ 1, TP. Hà Nội")
    assert not ends_with_province("Thị trấn Núi Đèo, huyện Thủy Nguyên")  # stops at the district
    assert not ends_with_province("Ủy ban nhân dân Phường 25, quận Bình Thạnh")
    assert not ends_with_province("")
