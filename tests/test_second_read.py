"""The second recognizer (AsterNet): real weights, verified; which lines it reads again; the
fields as it read them; and what its agreement or disagreement does to a field's status."""

import shutil
from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from models.document import DocumentKind, FieldStatus, PageText, Rereading, ReviewReason, TextLine, TextSource
from models.errors import ErrorCode
from pipeline.config import SecondReaderConfig
from pipeline.errors import InputRefused
from pipeline.fields.extract import extract_fields
from pipeline.fields.verify import PartInput, verify_parts
from pipeline.ocr.engines import Recognition
from pipeline.ocr.engines.aster import BUNDLED_FILES_SHA256, AsterRecognizer, _model_files, split_wide
from pipeline.ocr.lines import LineCrop
from pipeline.ocr.second_read import doubt_unsteady, has_marked_capital, second_fields, value_crop, value_starts
from tests.fixtures_files import vietnamese_font

TODAY = date(2026, 11, 21)
CT01 = [
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "TỜ KHAI THAY ĐỔI THÔNG TIN CƯ TRÚ",
    "Kính gửi: Công an phường Sài Gòn",
    "1. Họ, chữ đệm và tên: Trần Thị Thu Hằng",
    "2. Ngày, tháng, năm sinh: 29/02/2004",
    "4. Số định danh cá nhân: 079304001122",
    "5. Số điện thoại liên hệ: 0912345678",
]


def _line_image(text: str, size: int = 34) -> np.ndarray:
    font = ImageFont.truetype(vietnamese_font(), size)
    x0, y0, x1, y1 = font.getbbox(text)
    image = Image.new("L", (x1 + 2 * size, y1 + size), 255)
    ImageDraw.Draw(image).text((size, size // 2), text, fill=0, font=font)
    return np.asarray(image)


@pytest.fixture(scope="module")
def aster():
    return AsterRecognizer(SecondReaderConfig())


@pytest.mark.parametrize("text", ["Nguyễn Thị Phượng", "Số 12 ngõ 45 phố Hoàng Quốc Việt", "29/02/2004"])
def test_the_second_recognizer_reads_vietnamese_with_every_tone_mark(aster, text):
    rec = aster.recognize(_line_image(text))
    assert rec.text == text
    assert 0.5 < rec.confidence <= 1.0


def test_a_line_too_long_for_the_network_is_read_in_pieces_cut_between_words(aster):
    text = ", ".join(["Thôn Đông Xuân xã Quảng Phú huyện Quảng Trạch tỉnh Quảng Bình"] * 2)
    image = _line_image(text)
    assert image.shape[1] > 32 * image.shape[0]  # wider than the network takes at once
    assert len(split_wide(image, 32)) >= 2
    assert aster.recognize(image).text == text
    # A strip with no gap to cut at is not read (and does not crash the network).
    solid = np.zeros((32, 32 * 40), np.uint8)
    assert aster.recognize(solid).text == ""


def test_only_the_value_is_read_again_not_its_label(aster, engines):
    text = "1. Họ, chữ đệm và tên: Trần Thị Thu Hằng"
    crop = _line_image(text)
    first = engines.page_reader.recognizer.recognize(crop)
    assert first.text.strip() == text and first.words[0] == (0, first.words[0][1], first.words[0][2])
    start = first.text.index("Trần")
    line = LineCrop(crop, first.words)
    part, at = value_crop(line, start)
    assert at == start and part.shape[1] < crop.shape[1] * 0.6  # the label is left out
    second = Rereading(aster.recognize(part).text, 0.9, (), at)
    assert second.text == "Trần Thị Thu Hằng" and second.joined(first.text) == text
    # From the line's first word, or without the words' places, the whole line is read.
    assert value_crop(line, 0) == (crop, 0) and value_crop(LineCrop(crop, ()), start) == (crop, 0)
    # A start inside the label's last word (an index rounded down) keeps that word whole.
    part, at = value_crop(line, start - 2)
    assert at == text.index("tên:") and aster.recognize(part).text == "tên: Trần Thị Thu Hằng"


def test_weights_are_verified_before_use(tmp_path):
    model, vocab = _model_files(SecondReaderConfig())
    own = tmp_path / "aster"
    own.mkdir()
    shutil.copyfile(model, own / "asternet.onnx")
    shutil.copyfile(vocab, own / "vocab.json")
    good = SecondReaderConfig(model_dir=own, expected_sha256=BUNDLED_FILES_SHA256["asternet.onnx"])
    assert _model_files(good)[0] == own / "asternet.onnx"
    with pytest.raises(InputRefused) as err:
        _model_files(good.model_copy(update={"expected_sha256": "0" * 64}))
    assert err.value.code == ErrorCode.MODEL_INVALID
    (own / "vocab.json").unlink()
    with pytest.raises(InputRefused):
        _model_files(good)


def _page(texts, second=None):
    """A form page; `second` maps a line index to the second recognizer's text."""
    second = second or {}
    lines = [
        TextLine(
            t,
            (60, 40 + 45 * i, 60 + 22 * len(t), 80 + 45 * i),
            0.95,
            Rereading(second[i], 0.9) if i in second else None,
        )
        for i, t in enumerate(texts)
    ]
    return PageText(0, 2480, 3508, TextSource.OCR, lines)


def test_the_lines_read_again_are_those_holding_field_values():
    page = _page(CT01)
    chosen = value_starts(page, 0.8)
    assert list(chosen) == [2, 3, 4, 5, 6]  # not the motto, not the title
    # From where each value starts: the label is not read again.
    for i, start in chosen.items():
        value_at = page.lines[i].text.index(":") + 2
        assert start == value_at
    # A line read below the review threshold is not read again: its values go to review anyway.
    page.lines[3] = replace(page.lines[3], confidence=0.6)
    assert 3 not in value_starts(page, 0.8)


def test_a_line_keeps_its_second_reading_through_json():
    line = TextLine("Nguyễn Văn An", (1, 2, 3, 4), 0.91, Rereading("Nguyễn Văn An", 0.87))
    assert TextLine.from_dict(line.to_dict()) == line
    value_only = TextLine(
        "Tên: An", (1, 2, 3, 4), 0.91, Rereading("An", 0.87, (0.87, 0.9), 5), Rereading("Ân", 0.93, (), 5)
    )
    assert TextLine.from_dict(value_only.to_dict()) == value_only
    plain = TextLine("x", (1, 2, 3, 4), 0.5)
    assert "second" not in plain.to_dict() and TextLine.from_dict(plain.to_dict()) == plain


def test_only_values_whose_every_line_was_read_again_count():
    page = _page(CT01, {3: "1. Họ, chữ đệm và tên: Trần Thị Thu Hằng"})
    again = second_fields(DocumentKind.CT01, [page], 0.8, TODAY)
    assert set(again) == {"ho_va_ten"}  # the others' lines were read once: they would agree with themselves
    assert second_fields(DocumentKind.CT01, [_page(CT01)], 0.8, TODAY) == {}


def _verify(page, hand=()):
    page = replace(page, handwriting=list(hand))
    read = extract_fields(DocumentKind.CT01, [page], 0.8, TODAY)
    part = PartInput(
        DocumentKind.CT01,
        [page],
        read,
        second_fields(DocumentKind.CT01, [page], 0.8, TODAY),
        second_fields(DocumentKind.CT01, [page], 0.8, TODAY, reading="third"),
    )
    return verify_parts([part], review_threshold=0.8, ok_threshold=0.9, today=TODAY)[0]


def test_two_recognizers_agreeing_letter_for_letter_make_a_name_ok():
    alone = _verify(_page(CT01))["ho_va_ten"]
    assert alone.status == FieldStatus.NEEDS_REVIEW and alone.reason == ReviewReason.SINGLE_SOURCE
    agreed = _verify(_page(CT01, {3: CT01[3]}))["ho_va_ten"]
    assert agreed.status == FieldStatus.OK and agreed.sources == ("ocr", "ocr2")
    assert agreed.value == "Trần Thị Thu Hằng"


@pytest.mark.parametrize(
    "other",
    [
        "1. Họ, chữ đệm và tên: Trần Thị Thu Hàng",  # a tone mark
        "1. Họ, chữ đệm và tên: TRẦN THỊ THU HẰNG",  # case
        "1. Họ, chữ đệm và tên: Trần Thị Thu",  # cut short
    ],
)
def test_readings_that_differ_at_all_go_to_review_with_both_values(other):
    field = _verify(_page(CT01, {3: other}))["ho_va_ten"]
    assert field.status == FieldStatus.NEEDS_REVIEW and field.reason == ReviewReason.SOURCES_DISAGREE
    assert field.value == "Trần Thị Thu Hằng" and field.detail["ocr2_value"] == other.split(": ")[1]


def test_a_disagreeing_second_reading_overrules_a_well_formed_confident_date():
    assert _verify(_page(CT01))["ngay_sinh"].sources == ("ocr", "rule")  # ok on its format alone
    field = _verify(_page(CT01, {4: "2. Ngày, tháng, năm sinh: 29/02/2001"}))["ngay_sinh"]
    assert field.status == FieldStatus.NEEDS_REVIEW and field.detail["ocr2_value"] == "29/02/2001"


@pytest.mark.parametrize(
    "second, agrees",
    [
        ("2. Ngày, tháng, năm sinh: 2902/2004", True),  # a thin slash dropped: the digits are the date
        ("2. Ngày, tháng, năm sinh: 29-02-2004", True),
        ("2. Ngày, tháng, năm sinh: 2902/2064", False),  # one digit
        ("2. Ngày, tháng, năm sinh: 29/2/2004", True),  # the same date
        ("2. Ngày, tháng, năm sinh: 2/02/2004", False),  # a digit missing
        ("2. Ngày, tháng, năm sinh: 29/O2/2004", False),  # a letter for a digit
    ],
)
def test_a_date_agrees_digit_for_digit_whatever_its_separators(second, agrees):
    field = _verify(_page(CT01, {4: second}))["ngay_sinh"]
    assert field.value == "29/02/2004"
    if agrees:
        assert field.status == FieldStatus.OK and field.sources == ("ocr", "ocr2")
    else:
        assert field.status == FieldStatus.NEEDS_REVIEW and field.reason == ReviewReason.SOURCES_DISAGREE


def test_agreement_does_not_lift_a_low_confidence_reading_or_handwriting():
    page = _page(CT01, {3: CT01[3]})
    page.lines[3] = replace(page.lines[3], confidence=0.6)
    assert _verify(page)["ho_va_ten"].reason == ReviewReason.LOW_CONFIDENCE
    # The phone line is under a handwriting mark: the form was filled by hand, and two
    # readings of it agreeing are still readings, not a second source.
    hand = _verify(_page(CT01, {3: CT01[3], 6: CT01[6]}), hand=[(600, 305, 900, 355)])
    assert hand["so_dien_thoai"].reason == ReviewReason.HANDWRITTEN
    assert hand["ho_va_ten"].status == FieldStatus.NEEDS_REVIEW
    assert hand["ho_va_ten"].detail["form_filled_by_hand"] is True


def test_a_value_that_may_be_cut_short_is_never_ok_however_alike_it_reads():
    texts = [
        *CT01,
        "Giấy tờ tùy thân: Căn cước công dân số 079304001122, cấp ngày 15/04/2021, nơi",
        "cấp: Cục Cảnh sát quản lý hành chính về trật tự xã hội",
    ]
    page = _page(texts, {7: texts[7], 8: texts[8]})
    page.lines[7] = replace(page.lines[7], box=(60, 355, 2280, 395))  # a full line
    field = _verify(page)["giay_to_tuy_than"]
    assert field.status == FieldStatus.NEEDS_REVIEW and field.reason == ReviewReason.MAY_CONTINUE


def test_an_address_read_alike_but_stopping_short_of_its_province_goes_to_review():
    from pipeline.fields import address

    texts = [*CT01, "8. Nơi thường trú: Số 5 đường Lê Lợi, phường Sài Gòn"]
    page = _page(texts, {7: texts[7]})
    read = extract_fields(DocumentKind.CT01, [page], 0.8, TODAY)
    part = PartInput(DocumentKind.CT01, [page], read, second_fields(DocumentKind.CT01, [page], 0.8, TODAY))
    field = verify_parts([part], review_threshold=0.8, ok_threshold=0.9, today=TODAY, places=address)[0][
        "noi_thuong_tru"
    ]
    assert field.status == FieldStatus.NEEDS_REVIEW and field.reason == ReviewReason.MAY_CONTINUE
    texts[7] += ", Thành phố Hồ Chí Minh"
    page = _page(texts, {7: texts[7]})
    part = PartInput(
        DocumentKind.CT01,
        [page],
        extract_fields(DocumentKind.CT01, [page], 0.8, TODAY),
        second_fields(DocumentKind.CT01, [page], 0.8, TODAY),
    )
    field = verify_parts([part], review_threshold=0.8, ok_threshold=0.9, today=TODAY, places=address)[0][
        "noi_thuong_tru"
    ]
    assert field.status == FieldStatus.OK and field.sources == ("ocr", "ocr2")


def test_the_second_readings_doubt_counts_only_inside_the_value():
    from pipeline.ocr.second_read import value_confidence

    text = "1. Họ, chữ đệm và tên: NGUYỄN ĐỨC KIÊN"
    sure = [0.99] * len(text)
    label_doubt = list(sure)
    label_doubt[text.index("tên")] = 0.2
    assert value_confidence("NGUYỄN ĐỨC KIÊN", [Rereading(text, 0.2, tuple(label_doubt))]) == 0.99
    value_doubt = list(sure)
    value_doubt[text.index("Ễ")] = 0.41
    assert value_confidence("NGUYỄN ĐỨC KIÊN", [Rereading(text, 0.41, tuple(value_doubt))]) == 0.41
    # Readings alike, but the second reader doubted a letter: where both may slip the same way.
    page = _page(CT01, {3: CT01[3]})
    page.lines[3] = replace(
        page.lines[3], second=Rereading(CT01[3], 0.41, tuple(0.41 if ch == "ằ" else 0.99 for ch in CT01[3]))
    )
    field = _verify(page)["ho_va_ten"]
    assert field.status == FieldStatus.NEEDS_REVIEW and field.reason == ReviewReason.LOW_CONFIDENCE
    assert field.detail["ocr2_confidence"] == 0.41


def test_an_address_part_opening_with_a_unit_type_misread_by_a_tone_mark_is_not_ok():
    from pipeline.fields import address
    from pipeline.fields.verify import misread_type_words

    assert misread_type_words("Tố 38, đường Quốc Hương, phường Thảo Điền, Thành phố Hồ Chí Minh") == ["Tố"]
    assert misread_type_words("Tổ 38, đường Quốc Hương, phường Thảo Điền, Thành phố Hồ Chí Minh") == []
    assert misread_type_words("Tổ dân phố 5, phường Hà Đông, thành phố Hà Nội") == []
    assert misread_type_words("Ngô Đồng, Giao Thủy, Nam Định") == []  # a name, not ngõ
    # Both recognizers read the same hook of ổ as the stroke of ố: agreement is not enough.
    texts = [*CT01, "8. Nơi thường trú: Tố 38, đường Quốc Hương, phường Thảo Điền, Thành phố Hồ Chí Minh"]
    page = _page(texts, {7: texts[7]})
    part = PartInput(
        DocumentKind.CT01,
        [page],
        extract_fields(DocumentKind.CT01, [page], 0.8, TODAY),
        second_fields(DocumentKind.CT01, [page], 0.8, TODAY),
    )
    field = verify_parts([part], review_threshold=0.8, ok_threshold=0.9, today=TODAY, places=address)[0][
        "noi_thuong_tru"
    ]
    assert field.status == FieldStatus.NEEDS_REVIEW and field.reason == ReviewReason.RULE_FAILED


def test_a_closed_vocabulary_value_stands_against_a_second_reading_outside_it():
    texts = [*CT01, "3. Quốc tịch: Việt Nam"]
    field = _verify(_page(texts, {7: "3. Quốc tịch: Việt Nâm"}))["quoc_tich"]
    assert field.status == FieldStatus.OK and field.sources == ("ocr", "rule")
    assert field.detail["ocr2_value"] == "Việt Nâm"
    # A date has no such vocabulary: a second reading that differs sends it to review.
    field = _verify(_page(CT01, {4: "2. Ngày, tháng, năm sinh: 29/02/2001"}))["ngay_sinh"]
    assert field.reason == ReviewReason.SOURCES_DISAGREE


NAME_LINE = "1. Họ, chữ đệm và tên: Trần Thị Thu Hằng"


def _three_readings(first: str, second: str, second_sure: float, third: str | None, third_sure: float = 0.93):
    page = _page(CT01)
    start = NAME_LINE.index("Trần")
    chars = tuple([0.99] * (len(second) - 1) + [second_sure])
    page.lines[3] = TextLine(
        NAME_LINE[:start] + first,
        page.lines[3].box,
        0.95,
        Rereading(second, min(chars), chars, start),
        Rereading(third, third_sure, (), start) if third is not None else None,
    )
    return _verify(page)["ho_va_ten"]


def test_a_third_reading_siding_with_the_second_reader_settles_a_disagreement():
    field = _three_readings("Trần Thị Thu Hàng", "Trần Thị Thu Hằng", 0.9, "Trần Thị Thu Hằng")
    assert field.status == FieldStatus.OK and field.value == "Trần Thị Thu Hằng"
    assert field.sources == ("ocr2", "ocr3") and field.detail["read_value"] == "Trần Thị Thu Hàng"


@pytest.mark.parametrize(
    "second_sure, third, third_sure",
    [
        (0.9, None, 0.0),  # no third reading
        (0.9, "Trần Thị Thu Hàng", 0.93),  # the third sides with the first reader: two Tesseract models slip alike
        (0.9, "Trần Thị Thu Hẳng", 0.93),  # a third value
        (0.4, "Trần Thị Thu Hằng", 0.93),  # the second reader doubted a letter
        (0.9, "Trần Thị Thu Hằng", 0.6),  # the third is unsure
    ],
)
def test_a_disagreement_the_third_reading_does_not_settle_goes_to_review(second_sure, third, third_sure):
    field = _three_readings("Trần Thị Thu Hàng", "Trần Thị Thu Hằng", second_sure, third, third_sure)
    assert field.status == FieldStatus.NEEDS_REVIEW and field.reason == ReviewReason.SOURCES_DISAGREE
    assert field.value == "Trần Thị Thu Hàng" and field.detail["ocr2_value"] == "Trần Thị Thu Hằng"


def test_the_third_reader_is_tesseracts_model_for_the_vietnamese_script(engines):
    third = engines.third_reader
    assert third is not None
    text = "Sẹo chấm C:2cm dưới trước cánh mũi phải"
    assert third.recognize(_line_image(text)).text.strip() == text


CCCD_BACK = [
    "Đặc điểm nhân dạng / Personal identification:",
    "Nốt ruồi C:1,5cm dưới sau mép phải",
    "Ngày, tháng, năm / Date, month, year: 22/11/2022",
    "CỤC TRƯỞNG CỤC CẢNH SÁT",
]


def _card_back_mark(first: str, second: str, second_sure: float = 0.9):
    page = PageText(
        0,
        1012,
        638,
        TextSource.OCR,
        [TextLine(t, (60, 40 + 45 * i, 60 + 22 * len(t), 80 + 45 * i), 0.95) for i, t in enumerate(CCCD_BACK)],
    )
    chars = tuple([0.99] * (len(second) - 1) + [second_sure])
    page.lines[1] = replace(page.lines[1], text=first, second=Rereading(second, min(chars), chars, 0))
    read = extract_fields(DocumentKind.CCCD_BACK, [page], 0.8, TODAY)
    part = PartInput(DocumentKind.CCCD_BACK, [page], read, second_fields(DocumentKind.CCCD_BACK, [page], 0.8, TODAY))
    return verify_parts([part], review_threshold=0.8, ok_threshold=0.9, today=TODAY)[0]["dac_diem_nhan_dang"]


@pytest.mark.parametrize(
    "first, second",
    [
        ("Nốt ruồi C:1,5cm dưới sau mép phải", "Nốt ruổi C:1,5cm dưới sau mép phải"),  # the second slipped
        ("Nốt ruổi C:1,5cm dưới sau mép phải", "Nốt ruồi C:1,5cm dưới sau mép phải"),  # the first slipped
        ("Nốt ruồi C:1,5cm dưới sau mép phải", "Nốt ruới C:1.5cm dưới sau mép phải"),  # and a decimal point
    ],
)
def test_readings_differing_only_in_marks_are_settled_by_the_fields_vocabulary(first, second):
    field = _card_back_mark(first, second)
    assert field.status == FieldStatus.OK and field.value == "Nốt ruồi C:1,5cm dưới sau mép phải"
    assert field.sources == ("ocr", "ocr2", "rule")


@pytest.mark.parametrize(
    "first, second",
    [
        ("Nốt ruồi C:1,5cm dưới sau mép phải", "Nối ruồi C:1,5cm dưới sau mép phải"),  # letters differ
        ("Nốt ruồi C:1,5cm dưới sau mép phải", "Nốt ruồi C:2,5cm dưới sau mép phải"),  # a digit differs
        ("Nốt ruổi C:1,5cm dưới sau mép phải", "Nốt ruới C:1,5cm dưới sau mép phải"),  # neither is spelled so
        ("Nốt ruồi C:1cm ở mặt", "Nốt ruồi C:1cm ở mắt"),  # the vocabulary cannot tell mắt from mặt
        ("Nốt ruồi C:1,5cm dưới sau mép phải", "Nốt ruồi C:1.5cm dưới sau mép phải"),  # a measure is not a word of it
    ],
)
def test_readings_the_vocabulary_cannot_settle_go_to_review(first, second):
    field = _card_back_mark(first, second)
    assert field.status == FieldStatus.NEEDS_REVIEW and field.reason == ReviewReason.SOURCES_DISAGREE


def test_a_doubted_letter_in_an_agreed_reading_is_lifted_only_by_the_vocabulary():
    sure = _card_back_mark(CCCD_BACK[1], CCCD_BACK[1], second_sure=0.3)
    assert sure.status == FieldStatus.OK and sure.sources == ("ocr", "ocr2", "rule")
    # A name has no vocabulary: the same doubt sends it to review (test above, 0.41).
    mark = "Nốt ruồi C:1cm ở mắt"  # the letters fit two terms
    assert _card_back_mark(mark, mark, second_sure=0.3).reason == ReviewReason.LOW_CONFIDENCE


def test_a_marked_capital_is_what_two_crops_are_read_for():
    assert has_marked_capital("NGUYỄN VĂN AN") and has_marked_capital("Ủy ban")
    assert not has_marked_capital("NGUYEN VAN AN") and not has_marked_capital("nguyễn văn an")


def test_letters_that_change_with_the_crop_are_doubted():
    sure = tuple([0.95] * len("NGUYỄN ĐỨC KIÊN"))
    reading = Recognition("NGUYỄN ĐỨC KIÊN", 0.95, sure)
    doubted = doubt_unsteady(reading, Recognition("NGUYÊN ĐỨC KIÊN", 0.6, sure))
    assert doubted.confidence == 0.0 and doubted.char_confidences[4] == 0.0
    assert doubted.char_confidences[:4] == sure[:4] and doubted.char_confidences[5:] == sure[5:]
    assert doubt_unsteady(reading, Recognition("NGUYỄN ĐỨC KIÊN", 0.7, sure)) == reading
    # A doubted letter in the value keeps the two readers' agreement from making it ok.
    page = _page(CT01)
    start = NAME_LINE.index("Trần")
    value = "Trần Thị Thu Hằng"
    chars = tuple([0.95] * len(value))
    unsteady = doubt_unsteady(Recognition(value, 0.95, chars), Recognition("Trần Thị Thu Hăng", 0.9, chars))
    page.lines[3] = replace(
        page.lines[3], second=Rereading(value, unsteady.confidence, unsteady.char_confidences, start)
    )
    field = _verify(page)["ho_va_ten"]
    assert field.status == FieldStatus.NEEDS_REVIEW and field.reason == ReviewReason.LOW_CONFIDENCE


@pytest.mark.parametrize(
    "addressee, status",
    [
        ("Ủy ban nhân dân phường Hoàn Kiếm, thành phố Hà", FieldStatus.NEEDS_REVIEW),  # cut at the page edge
        ("Ủy ban nhân dân phường Kim Liên, thành", FieldStatus.NEEDS_REVIEW),  # cut at a wrap, in its type word
        ("Ủy ban nhân dân phường Hoàn Kiếm, thành phố Hà Nội", FieldStatus.OK),
        ("Công an phường Sài Gòn", FieldStatus.OK),  # no province named: nothing cut
    ],
)
def test_an_addressee_read_alike_but_naming_a_province_short_of_its_name_goes_to_review(addressee, status):
    from pipeline.fields import address

    texts = [t if not t.startswith("Kính gửi") else f"Kính gửi: {addressee}" for t in CT01]
    page = _page(texts, {2: texts[2]})
    part = PartInput(
        DocumentKind.CT01,
        [page],
        extract_fields(DocumentKind.CT01, [page], 0.8, TODAY),
        second_fields(DocumentKind.CT01, [page], 0.8, TODAY),
    )
    field = verify_parts([part], review_threshold=0.8, ok_threshold=0.9, today=TODAY, places=address)[0]["kinh_gui"]
    assert field.value == addressee and field.status == status
    if status == FieldStatus.NEEDS_REVIEW:
        assert field.reason == ReviewReason.MAY_CONTINUE


@pytest.mark.parametrize(
    ("place", "status"),
    [
        ("Số 124 phố Quang Trung, phường Hà Dông, thành phố Hà Nội", FieldStatus.NEEDS_REVIEW),  # Đ read as D
        ("Số 124 phố Quang Trung, phường Hà Đông, thành phố Hà Nội", FieldStatus.OK),
    ],
)
def test_an_address_read_alike_naming_a_unit_with_marks_no_unit_has_goes_to_review(place, status):
    # Both readers miss the bar of a small Đ on a photograph: their agreement is no evidence
    # where the catalogue knows the name only with it.
    from pipeline.fields import address

    texts = [*CT01, f"8. Nơi thường trú: {place}"]
    page = _page(texts, {7: texts[7]})
    part = PartInput(
        DocumentKind.CT01,
        [page],
        extract_fields(DocumentKind.CT01, [page], 0.8, TODAY),
        second_fields(DocumentKind.CT01, [page], 0.8, TODAY),
    )
    field = verify_parts([part], review_threshold=0.8, ok_threshold=0.9, today=TODAY, places=address)[0][
        "noi_thuong_tru"
    ]
    assert field.value == place and field.status == status, field
