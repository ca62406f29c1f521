"""Issue 19.1: no silent error from a reader's blind spot. What each source of a value cannot
write is data derived from its own character set (`models/data/reader_charsets.json`); two
sources agreeing is evidence only where each could have written otherwise."""

import json
import struct
import unicodedata
from datetime import date
from importlib import resources
from pathlib import Path

import pytest

from models.document import DocumentKind, FieldStatus, PageText, Rereading, ReviewReason, TextLine, TextSource
from models.fields import reader_blind_spots
from pipeline.config import ReadingConfig
from pipeline.errors import InputRefused
from pipeline.fields.extract import extract_fields
from pipeline.fields.verify import PartInput, verify_parts
from pipeline.fields.verify.readers import blind_letters
from pipeline.ocr.engines.tesseract import find_tessdata
from pipeline.ocr.second_read import second_fields
from pipeline.text import VIETNAMESE_LETTERS
from samples.identity import mrz_td1

TODAY = date(2026, 11, 21)
LETTERS = VIETNAMESE_LETTERS + VIETNAMESE_LETTERS.upper()
ID_AND_DATE_MARKS = "0123456789/.-:"


def _tesseract_charset(language: str) -> set[str]:
    config = ReadingConfig().recognizer.model_copy(update={"language": language})
    try:
        data = (Path(find_tessdata(config)) / f"{language}.traineddata").read_bytes()
    except InputRefused:
        pytest.skip(f"{language}.traineddata not installed")
    count = struct.unpack_from("<i", data, 0)[0]
    offsets = struct.unpack_from(f"<{count}q", data, 4)
    start = offsets[21]  # the LSTM recognizer's unicharset
    end = min([o for o in offsets if o > start] + [len(data)])
    return {line.split(" ", 1)[0] for line in data[start:end].decode("utf-8").splitlines()[1:]}


def _aster_charset() -> set[str]:
    return set(json.loads(resources.files("asterocr").joinpath("assets/vocab.json").read_text("utf-8"))["chars"])


def _written_instead(letter: str, charset: set[str]) -> str:
    bare = unicodedata.normalize("NFD", letter.replace("đ", "d").replace("Đ", "D"))
    while bare and unicodedata.normalize("NFC", bare) not in charset:
        bare = bare[:-1]
    return unicodedata.normalize("NFC", bare)


@pytest.mark.parametrize(
    "source, charset",
    [
        ("ocr", lambda: _tesseract_charset("vie")),
        ("ocr3", lambda: _tesseract_charset("Vietnamese")),
        ("ocr2", _aster_charset),
        ("mrz", lambda: set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<")),
    ],
)
def test_the_blind_spots_are_those_of_each_sources_own_character_set(source, charset):
    chars = charset() | {" "}
    mrz = source == "mrz"
    derived = {c: _written_instead(c.upper() if mrz else c, chars) for c in LETTERS if c not in chars}
    assert reader_blind_spots()[source] == derived
    data = json.loads(resources.files("models").joinpath("data/reader_charsets.json").read_text("utf-8"))
    assert data["sources"][source]["cannot_write_punctuation"] == [c for c in ID_AND_DATE_MARKS if c not in chars]


def test_what_the_readers_cannot_write():
    assert reader_blind_spots()["ocr"] == reader_blind_spots()["ocr3"] == {"ỵ": "y", "Ỵ": "Y"}
    assert reader_blind_spots()["ocr2"] == {}  # AsterNet writes all 134 marked letters
    # Every lower-case letter and every marked capital (all but A-Z's 22 Vietnamese capitals).
    assert set(reader_blind_spots()["mrz"]) == {c for c in LETTERS if not ("A" <= c <= "Z")}
    # The MRZ cannot write a mark: a marked letter, or a bare one that may stand for one, is blind.
    assert blind_letters("NGUYỄN THỊ NHUNG", "mrz") == ["U", "Y", "Ễ", "Ị", "U"]
    assert blind_letters("BÌNH", "ocr") == blind_letters("BÌNH", "ocr2") == [] and blind_letters("BÌNH", "mrz") == ["Ì"]
    assert blind_letters("PHẠM THỊ THUY", "ocr") == ["Y"] and blind_letters("PHẠM THỊ THUY", "ocr2") == []


def _card(name: str, second: str | None = None, dob: str = "01/01/2004"):
    texts = [
        "CĂN CƯỚC CÔNG DÂN",
        "Citizen Identity Card",
        "Số / No.: 001304012345",
        "Họ và tên / Full name:",
        name,
        f"Ngày sinh / Date of birth: {dob}",
        "Giới tính / Sex: Nữ",
    ]
    lines = [
        TextLine(
            t,
            (100, 100 + 60 * i, 100 + 25 * len(t), 150 + 60 * i),
            0.95,
            Rereading(second if t == name and second is not None else t.replace(dob, dob.replace(" ", "")), 0.9),
        )
        for i, t in enumerate(texts)
    ]
    page = PageText(0, 1012, 638, TextSource.OCR, lines)
    part = PartInput(
        DocumentKind.CCCD_FRONT,
        [page],
        extract_fields(DocumentKind.CCCD_FRONT, [page], 0.8, TODAY),
        second_fields(DocumentKind.CCCD_FRONT, [page], 0.8, TODAY),
    )
    return verify_parts([part], review_threshold=0.8, ok_threshold=0.9, today=TODAY)[0]


def test_thuy_read_alike_by_both_readers_is_not_ok():
    # Printed "THUỴ": `vie` cannot write ỵ; AsterNet, missing the dot, reads as `vie` does.
    name = _card("NGUYỄN THỊ THUY", second="NGUYỄN THỊ THUY")["ho_va_ten"]
    assert name.status == FieldStatus.NEEDS_REVIEW and (name.detail or {})["reader_cannot_write"] == ["THUỴ"]


@pytest.mark.parametrize("dob", ["12/ 03/1990", "12/03 /1990", "1 2/03/1990"])
def test_a_date_with_a_space_inside_read_alike_is_its_digits(dob):
    # Digits all there (two of day, two of month, four of year): the space hides nothing.
    birth = _card("NGUYỄN THỊ NHUNG", dob=dob)["ngay_sinh"]
    assert birth.value == "12/03/1990"


def test_a_date_part_short_of_its_digits_beside_a_space_is_never_ok():
    # "2 /03/1990": a faint first digit of the day lost where the space is ("12/03/1990"?).
    birth = _card("NGUYỄN THỊ NHUNG", dob="2 /03/1990")["ngay_sinh"]
    assert birth.status != FieldStatus.OK


def _can_cuoc(second_name: str | None):
    front = [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "CĂN CƯỚC",
        "IDENTITY CARD",
        "Số định danh cá nhân / Personal identification number: 079304001122",
        "Họ, chữ đệm và tên khai sinh / Full name:",
        "NGUYÊN THỊ NHUNG",
        "Ngày, tháng, năm sinh / Date of birth: 29/02/2004",
        "Giới tính / Sex: Nữ",
    ]
    back = ["BỘ CÔNG AN", *mrz_td1("079304001122", date(2004, 2, 29), False, date(2029, 2, 28), "Nguyễn", "Thị Nhung")]

    def page(texts, second=None):
        return PageText(
            0,
            1012,
            638,
            TextSource.OCR,
            [
                TextLine(
                    t,
                    (60, 40 + 45 * i, 60 + 22 * len(t), 80 + 45 * i),
                    0.95,
                    Rereading(second if second and t == front[5] else t, 0.9),
                )
                for i, t in enumerate(texts)
            ],
        )

    pages = [page(front, second_name), page(back)]
    kinds = [DocumentKind.CAN_CUOC_FRONT, DocumentKind.CAN_CUOC_BACK]
    parts = [
        PartInput(k, [p], extract_fields(k, [p], 0.8, TODAY), second_fields(k, [p], 0.8, TODAY) if second_name else {})
        for k, p in zip(kinds, pages, strict=True)
    ]
    return verify_parts(parts, review_threshold=0.8, ok_threshold=0.9, today=TODAY)[0]["ho_va_ten"]


def test_the_mrz_which_cannot_write_marks_does_not_confirm_them():
    # "NGUYÊN" misread for "NGUYỄN": the MRZ's NGUYEN agrees with both; it could not have said otherwise.
    alone = _can_cuoc(None)
    assert alone.status == FieldStatus.NEEDS_REVIEW and alone.reason == ReviewReason.LOW_CONFIDENCE
    assert (alone.detail or {})["marks_unconfirmed"] is True
    # The second reader reading the marks otherwise: still not ok.
    assert _can_cuoc("NGUYỄN THỊ NHUNG").status == FieldStatus.NEEDS_REVIEW
    # The second reader, which writes every mark, reading them alike confirms them.
    read_twice = _can_cuoc("NGUYÊN THỊ NHUNG")
    assert read_twice.status == FieldStatus.OK and "mrz" in read_twice.sources
