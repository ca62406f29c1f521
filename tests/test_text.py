import unicodedata

from pipeline.text import ACCENTED_LETTERS, fold, nfc, slugify, strip_diacritics


def test_nfc_composes_decomposed_marks_and_collapses_spaces():
    decomposed = unicodedata.normalize("NFD", "Nguyễn  Văn\tHải ")
    assert nfc(decomposed) == "Nguyễn Văn Hải"
    assert unicodedata.is_normalized("NFC", nfc(decomposed))


def test_strip_and_fold_are_for_matching_only():
    assert strip_diacritics("QUYẾT ĐỊNH Đồng") == "QUYET DINH Dong"
    assert fold("Ngày, tháng, năm sinh") == "ngay, thang, nam sinh"
    # Folding keeps one character per character: label positions carry over.
    text = "Họ, chữ đệm và tên khai sinh: NGUYỄN THỊ Ỷ"
    assert len(fold(text)) == len(text)


def test_slugify_gives_contract_field_names():
    assert slugify("Nơi thường trú:") == "noi_thuong_tru"
    assert slugify("Số định danh cá nhân") == "so_dinh_danh_ca_nhan"
    assert slugify("Họ, chữ đệm, tên") == "ho_chu_dem_ten"


def test_accented_letters_cover_all_vietnamese_forms():
    for letter in "ỵỴđĐộỘựỰẫẪ":
        assert letter in ACCENTED_LETTERS
    assert "a" not in ACCENTED_LETTERS
