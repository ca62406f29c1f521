"""Defect 8b: a letter the first recognizer cannot write. Tesseract's models have no ỵ/Ỵ, so
they read "THUỴ" as "THUY", and the second reader often misses the same small dot: two readings
(or the MRZ, which has no marks) agreeing on such a word are no evidence."""

import struct
from datetime import date
from pathlib import Path

import pytest

from models.document import Barcode, DocumentKind, FieldStatus, PageText, Rereading, ReviewReason, TextLine, TextSource
from pipeline.config import ReadingConfig
from pipeline.errors import InputRefused
from pipeline.fields.extract import extract_fields
from pipeline.fields.verify import PartInput, verify_parts
from pipeline.fields.verify.readers import TESSERACT_CANNOT_WRITE, unwritable_spellings
from pipeline.ocr.engines.tesseract import find_tessdata
from pipeline.ocr.second_read import second_fields
from pipeline.text import VIETNAMESE_LETTERS
from samples.identity import mrz_td1

TODAY = date(2026, 11, 21)
_LSTM_UNICHARSET = 21  # tesseract's TessdataType: the LSTM recognizer's character set


def _unicharset(language: str) -> set[str]:
    """The characters a Tesseract LSTM model can write, from its traineddata."""
    config = ReadingConfig().recognizer.model_copy(update={"language": language})
    try:
        path = find_tessdata(config) / f"{language}.traineddata"
    except InputRefused:
        pytest.skip(f"{language}.traineddata not installed")
    data = Path(path).read_bytes()
    count = struct.unpack_from("<i", data, 0)[0]
    offsets = struct.unpack_from(f"<{count}q", data, 4)
    start = offsets[_LSTM_UNICHARSET]
    end = min([o for o in offsets if o > start] + [len(data)])
    lines = data[start:end].decode("utf-8").splitlines()[1:]
    return {line.split(" ", 1)[0] for line in lines}


@pytest.mark.parametrize("language", ["vie", "Vietnamese"])  # the first reader's model, the third's
def test_the_letters_listed_as_unwritable_are_those_the_tesseract_models_lack(language):
    letters = set(VIETNAMESE_LETTERS + VIETNAMESE_LETTERS.upper())
    assert letters - _unicharset(language) == set(TESSERACT_CANNOT_WRITE)


def test_words_that_may_stand_for_a_syllable_tesseract_cannot_write():
    assert unwritable_spellings("PHẠM THỊ THUY") == ["THUỴ"]
    assert unwritable_spellings("Nguyễn Thị My, tuổi Ty") == ["Mỵ", "Tỵ"]
    # No word is written with ỵ there: the y is what was printed.
    assert unwritable_spellings("PHẠM XUÂN HUY") == unwritable_spellings("NGUYỄN DUY") == []
    assert unwritable_spellings("Thị Thuỷ") == []  # a mark it can write


def _card(name: str, second: str | None = None, codes=()):
    texts = [
        "CĂN CƯỚC CÔNG DÂN",
        "Citizen Identity Card",
        "Số / No.: 001304012345",
        "Họ và tên / Full name:",
        name,
        "Ngày sinh / Date of birth: 01/01/2004",
        "Giới tính / Sex: Nữ",
    ]
    lines = [
        TextLine(
            t,
            (100, 100 + 60 * i, 100 + 25 * len(t), 150 + 60 * i),
            0.95,
            Rereading(second if t == name and second is not None else t, 0.9),
        )
        for i, t in enumerate(texts)
    ]
    page = PageText(0, 1012, 638, TextSource.OCR, lines, codes=list(codes))
    part = PartInput(
        DocumentKind.CCCD_FRONT,
        [page],
        extract_fields(DocumentKind.CCCD_FRONT, [page], 0.8, TODAY),
        second_fields(DocumentKind.CCCD_FRONT, [page], 0.8, TODAY),
    )
    return verify_parts([part], review_threshold=0.8, ok_threshold=0.9, today=TODAY)[0]["ho_va_ten"]


def test_two_readers_agreeing_on_a_y_that_may_be_ỵ_do_not_make_a_name_ok():
    field = _card("PHẠM THỊ THUY")
    assert field.value == "PHẠM THỊ THUY"
    assert field.status == FieldStatus.NEEDS_REVIEW and field.reason == ReviewReason.LOW_CONFIDENCE
    assert (field.detail or {})["reader_cannot_write"] == ["THUỴ"]
    # Where no word could hold the letter, the two readers' agreement stands.
    assert _card("PHẠM XUÂN HUY").status == FieldStatus.OK
    assert _card("NGUYỄN THỊ THUỶ").status == FieldStatus.OK


def test_a_qr_code_that_writes_the_word_confirms_it():
    qr = Barcode("QRCode", "001304012345||Phạm Thị Thuy|01012004|Nữ|Số 1 phố Huế, Hà Nội|15042021", (800, 10, 990, 200))
    field = _card("PHẠM THỊ THUY", codes=[qr])
    assert field.status == FieldStatus.OK and "qr" in field.sources
    # The code writes the mark the reader could not: the card's code is its value, the print flagged.
    qr = Barcode("QRCode", qr.text.replace("Thuy", "Thuỵ"), qr.box)
    field = _card("PHẠM THỊ THUY", codes=[qr])
    assert field.value == "PHẠM THỊ THUỴ" and field.status == FieldStatus.OK and field.sources == ("qr",)
    assert (field.detail or {})["print_differs"] is True


def test_the_mrz_which_has_no_marks_does_not_confirm_such_a_word():
    front = [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "CĂN CƯỚC",
        "IDENTITY CARD",
        "Số định danh cá nhân / Personal identification number: 079304001122",
        "Họ, chữ đệm và tên khai sinh / Full name:",
        "PHẠM THỊ THUY",
        "Ngày, tháng, năm sinh / Date of birth: 29/02/2004",
        "Giới tính / Sex: Nữ",
    ]
    back = ["BỘ CÔNG AN", *mrz_td1("079304001122", date(2004, 2, 29), False, date(2029, 2, 28), "Phạm", "Thị Thuỵ")]

    def page(texts):
        return PageText(
            0,
            1012,
            638,
            TextSource.OCR,
            [TextLine(t, (60, 40 + 45 * i, 60 + 22 * len(t), 80 + 45 * i), 0.95) for i, t in enumerate(texts)],
        )

    parts = [
        PartInput(kind, [page(texts)], extract_fields(kind, [page(texts)], 0.8, TODAY))
        for kind, texts in ((DocumentKind.CAN_CUOC_FRONT, front), (DocumentKind.CAN_CUOC_BACK, back))
    ]
    fields = verify_parts(parts, review_threshold=0.8, ok_threshold=0.9, today=TODAY)[0]
    assert fields["so_dinh_danh"].status == FieldStatus.OK  # the MRZ confirms what has no marks
    name = fields["ho_va_ten"]
    assert name.status == FieldStatus.NEEDS_REVIEW and "mrz" in name.sources
    assert (name.detail or {})["reader_cannot_write"] == ["THUỴ"]


def test_the_third_reader_siding_with_the_second_on_such_a_word_settles_nothing():
    texts = ["TỜ KHAI THAY ĐỔI THÔNG TIN CƯ TRÚ", "1. Họ, chữ đệm và tên: Phạm Thị Thủy"]
    start = texts[1].index("Phạm")
    page = PageText(
        0,
        2480,
        3508,
        TextSource.OCR,
        [
            TextLine(texts[0], (60, 40, 800, 80), 0.95),
            TextLine(
                texts[1],
                (60, 85, 900, 125),
                0.95,
                Rereading("Phạm Thị Thuy", 0.9, (), start),
                Rereading("Phạm Thị Thuy", 0.93, (), start),
            ),
        ],
    )
    part = PartInput(
        DocumentKind.CT01,
        [page],
        extract_fields(DocumentKind.CT01, [page], 0.8, TODAY),
        second_fields(DocumentKind.CT01, [page], 0.8, TODAY),
        second_fields(DocumentKind.CT01, [page], 0.8, TODAY, reading="third"),
    )
    field = verify_parts([part], review_threshold=0.8, ok_threshold=0.9, today=TODAY)[0]["ho_va_ten"]
    assert field.status == FieldStatus.NEEDS_REVIEW and field.reason == ReviewReason.SOURCES_DISAGREE
    assert field.value == "Phạm Thị Thủy" and (field.detail or {})["ocr2_value"] == "Phạm Thị Thuy"


def test_an_email_address_read_alike_is_not_held_to_vietnamese_syllables():
    texts = ["TỜ KHAI THAY ĐỔI THÔNG TIN CƯ TRÚ", "6. Email: thuy.ly94@gmail.com"]
    page = PageText(
        0,
        2480,
        3508,
        TextSource.OCR,
        [
            TextLine(t, (60, 40 + 45 * i, 60 + 22 * len(t), 80 + 45 * i), 0.95, Rereading(t, 0.9))
            for i, t in enumerate(texts)
        ],
    )
    part = PartInput(
        DocumentKind.CT01,
        [page],
        extract_fields(DocumentKind.CT01, [page], 0.8, TODAY),
        second_fields(DocumentKind.CT01, [page], 0.8, TODAY),
    )
    field = verify_parts([part], review_threshold=0.8, ok_threshold=0.9, today=TODAY)[0]["email"]
    assert field.status == FieldStatus.OK and field.sources == ("ocr", "ocr2")
