"""Form templates: dotted leaders and note marks taken out of a line before it is read and put
back (`pipeline.layout.leader_dots`, `pipeline.layout.note_marks`), leaders cleaned in the text,
and checkboxes only where a form can have them."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from pipeline.layout.checkboxes import find_checkboxes, may_carry_checkboxes
from pipeline.layout.leader_dots import LEADER, clear_top_edge, erase_runs, find_leader_runs, only_dots, put_back
from pipeline.layout.leaders import clean_leaders, is_leader_only, without_note_marks
from pipeline.layout.note_marks import erase_marks, find_note_marks
from tests.line_crops import TOP, H
from tests.line_crops import crop as _crop
from tests.line_crops import dots as _dots
from tests.line_crops import letter as _letter

SERIF = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def test_leader_dots_on_the_baseline_are_a_run_and_other_dots_are_not() -> None:
    img = _crop()
    for x in (10, 30, 50):
        _letter(img, x)
    _dots(img, 80, 12)  # a leader after a label
    _letter(img, 300)
    _dots(img, 320, 1)  # a full stop
    for x in (400, 430, 460):  # dots under letters (ạ ị ọ): a letter above each
        _letter(img, x - 5, tall=False)
        _dots(img, x, 1, y=62)
    cv2.circle(img, (560, 44), 2, (0,), -1)  # a colon: its lower dot has one above it
    cv2.circle(img, (560, 54), 2, (0,), -1)
    _dots(img, 600, 2)  # two dots are no leader
    runs = find_leader_runs(img, H, TOP)
    assert [(r.x0 < 80 < r.x1 + 3, len(r.dots), r.own) for r in runs] == [(True, 12, True)]
    erased = erase_runs(img, runs)
    assert erased[50:60, 76:210].min() == 255  # the dots are gone
    assert erased[32:56, 10:22].max() == 0  # the letters are not


def test_dots_split_by_a_letter_are_no_run() -> None:
    """`v.v...`: a full stop, a letter, three dots: only the three are a leader."""
    img = _crop()
    _letter(img, 10, tall=False)
    _dots(img, 26, 1)
    _letter(img, 34, tall=False)
    _dots(img, 50, 3, pitch=8)
    runs = find_leader_runs(img, H, TOP)
    assert [len(r.dots) for r in runs] == [3]


def test_the_line_aboves_leader_in_the_margin_is_erased_not_put_back() -> None:
    img = _crop()
    _letter(img, 10)
    _dots(img, 40, 30, y=6)  # along the crop's top edge
    runs = find_leader_runs(img, H, TOP)
    assert [r.own for r in runs] == [False]
    assert erase_runs(img, runs)[:12].min() == 255
    assert put_back("A", [(0, 10, 22)], runs, H) == ("A", ((0, 10, 22),))


@dataclass(frozen=True)
class _Mark:
    x0: int
    x1: int
    piece: str


def test_marks_put_back_where_they_were_spaced_as_they_were() -> None:
    r = lambda a, b: _Mark(a, b, LEADER)  # noqa: E731
    words = [(0, 0, 40), (5, 50, 90), (10, 200, 210)]
    assert put_back("Kính gửi: 7", words, [r(92, 190), r(212, 400)], H)[0] == "Kính gửi:... 7..."
    marks = [r(30, 60), _Mark(62, 70, "2"), r(72, 190)]
    text, moved = put_back("3. chịu", [(0, 0, 20), (3, 200, 250)], marks, H)
    assert text == "3. ...2... chịu" and text[moved[1][0] :] == "chịu"  # words' places follow
    assert put_back("3. chịu", [(0, 0, 20), (3, 200, 250)], [r(22, 60)], H)[0] == "3.... chịu"  # no space: none
    assert put_back("TÊN CQ", [(0, 0, 40), (4, 60, 110)], [_Mark(112, 120, "1")], H)[0] == "TÊN CQ1"
    assert put_back("Tên cơ", [(0, 20, 60), (4, 75, 100)], [_Mark(0, 8, "1")], H)[0] == "1 Tên cơ"
    assert put_back("Tên", (), [_Mark(0, 8, "1")], H) == ("Tên", ())  # no places: as read


def test_raised_digits_are_note_marks_and_tone_marks_are_not() -> None:
    img = _crop()
    for x in (10, 30, 50):
        _letter(img, x)
    cv2.rectangle(img, (66, 30), (70, 44), (0,), -1)  # a raised "1" after the word
    cv2.rectangle(img, (110, 41), (122, 56), (0,), -1)  # a lower-case letter ...
    cv2.rectangle(img, (112, 30), (120, 36), (0,), -1)  # ... and its tone mark above it
    cv2.rectangle(img, (200, 42), (212, 56), (0,), -1)
    read: list[tuple[int, int]] = []

    def reader(crop: np.ndarray) -> str:
        read.append(crop.shape)
        return "1"

    marks = find_note_marks(img, H, TOP, reader)
    assert [(m.x0, m.piece) for m in marks] == [(66, "¹")] and len(read) == 1
    assert erase_marks(img, marks)[30:45, 66:71].min() == 255
    assert find_note_marks(img, H, TOP, lambda crop: "'") == []  # a quote stays in the line


def test_a_row_of_dots_alone_is_nothing_to_read() -> None:
    img = _crop(400)
    _dots(img, 20, 25, y=40, pitch=14)
    assert only_dots(img)
    _letter(img, 380)
    assert not only_dots(img)


@pytest.mark.parametrize("text", ["079092730094", "CĂN CƯỚC", "Giới tính / Sex: Nam"])
def test_a_bold_line_of_print_is_no_row_of_dots(text: str) -> None:
    # Bold capitals and digits are a row of alike, solid marks too (a card's number in red,
    # seen in grey): they stand closer together than a leader's dots.
    img = Image.new("L", (700, 79), 255)
    ImageDraw.Draw(img).text((20, 22), text, font=ImageFont.truetype(BOLD, 36), fill=0)
    assert not only_dots(np.asarray(img))


@pytest.mark.parametrize(
    ("read", "clean"),
    [
        ("Nơi thường trú: .", "Nơi thường trú: ..."),
        ("Kính gửi:.", "Kính gửi:..."),
        ("Tới dự..", "Tới dự..."),
        ("hội nghị v.v.", "hội nghị v.v."),
        ("Số: 12.", "Số: 12."),
        ("ngày 13.09.2024", "ngày 13.09.2024"),
        ("mục 2..", "mục 2.."),
    ],
)
def test_what_a_leader_leaves_at_a_lines_end_is_a_leader(read: str, clean: str) -> None:
    assert clean_leaders(read) == clean


def _finder(img: np.ndarray, x: int, y: int, module: int = 4) -> None:
    """A QR code's finder pattern: a 7-module frame, a gap, a 3-module square."""
    cv2.rectangle(img, (x, y), (x + 7 * module - 1, y + 7 * module - 1), (0,), -1)
    cv2.rectangle(img, (x + module, y + module), (x + 6 * module - 1, y + 6 * module - 1), (255,), -1)
    cv2.rectangle(img, (x + 2 * module, y + 2 * module), (x + 5 * module - 1, y + 5 * module - 1), (0,), -1)


def test_a_qr_codes_finder_patterns_are_no_checkboxes() -> None:
    img = np.full((1200, 1600), 255, np.uint8)
    label = (260, 400, 700, 430)
    cv2.putText(img, "Khong co viec lam", (262, 425), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0,), 2)
    cv2.rectangle(img, (220, 403), (244, 427), (0,), 2)  # a real box
    for x, y in ((1000, 600), (1100, 600), (1000, 700)):
        _finder(img, x, y)
    found = find_checkboxes(img, [label, (1000, 600, 1300, 640)])
    assert [(abs(c.box[0] - 220) <= 2, c.checked, c.label) for c in found] == [(True, False, 0)]


def test_no_checkbox_search_on_a_card() -> None:
    card = np.full((638, 1012), 255, np.uint8)
    cv2.rectangle(card, (220, 403), (244, 427), (0,), 2)
    assert not may_carry_checkboxes(1012, 638) and not may_carry_checkboxes(638, 1012)
    assert find_checkboxes(card, [(260, 400, 700, 430)]) == []
    assert may_carry_checkboxes(1654, 2339)  # an A4 page


def _form_page() -> np.ndarray:
    """An A4 form at 200 dpi: labels with dotted leaders, a note mark inside a leader and
    raised note marks after a heading and before a footnote."""
    img = Image.new("RGB", (1654, 2339), "white")
    draw = ImageDraw.Draw(img)
    font, small = ImageFont.truetype(SERIF, 36), ImageFont.truetype(SERIF, 22)
    x, y = 230, 300
    draw.text((x, y), "TÊN CƠ QUAN, TỔ CHỨC", font=font, fill="black")
    draw.text((x + draw.textlength("TÊN CƠ QUAN, TỔ CHỨC", font=font) + 2, y - 4), "2", font=small, fill="black")
    y += 120
    draw.text((x, y), "Kính gửi: " + "…" * 12, font=font, fill="black")
    end = x + draw.textlength("Kính gửi: " + "…" * 12, font=font)
    draw.text((end + 2, y - 4), "7", font=small, fill="black")
    draw.text((end + 18, y), "…" * 12, font=font, fill="black")
    y += 120
    draw.text((x, y), "Họ, chữ đệm và tên khai sinh: " + "." * 70, font=font, fill="black")
    y += 120
    draw.text((x, y - 4), "1", font=small, fill="black")
    draw.text((x + 16, y), "Tên cơ quan, tổ chức chủ quản trực tiếp (nếu có).", font=font, fill="black")
    return cv2.cvtColor(np.array(img), cv2.COLOR_RGB2BGR)


@pytest.mark.ocr
def test_a_form_reads_its_note_marks_and_leaders_without_stray_marks(page_reader) -> None:
    texts = [clean_leaders(line.text) for line in page_reader.read(_form_page()).lines]
    joined = " | ".join(texts)
    assert "TÊN CƠ QUAN, TỔ CHỨC²" in joined  # not "CHỨC?"
    assert any(t.startswith("Kính gửi:") and "⁷" in t for t in texts), joined  # the leader's mark
    assert any(t.startswith("Họ, chữ đệm và tên khai sinh:") and t.endswith(LEADER) for t in texts), joined
    assert any(t.startswith("¹ Tên cơ quan") for t in texts), joined  # not "! Tên"
    stray = set("!?*'`’„\"|")
    assert not any(c in stray for t in texts for c in t), joined


def test_a_quote_read_where_a_mark_was_erased_goes() -> None:
    text, moved = put_back("'Tên cơ", [(0, 20, 60), (5, 75, 100)], [_Mark(0, 8, "1")], H)
    assert text == "1 Tên cơ" and text[moved[0][0] :].startswith("Tên") and text[moved[1][0] :] == "cơ"


def test_the_line_aboves_marks_over_a_leader_go_and_this_lines_tone_marks_stay() -> None:
    img = _crop()
    _letter(img, 10)
    cv2.rectangle(img, (12, 10), (20, 14), (0,), -1)  # a tone mark over the letter (in the margin)
    _dots(img, 40, 30)
    cv2.rectangle(img, (200, 0), (204, 8), (0,), -1)  # a descender of the line above, cut by the edge
    cv2.rectangle(img, (300, 12), (306, 20), (0,), -1)  # a mark of the line above, over the leader
    runs = find_leader_runs(img, H, TOP)
    out = clear_top_edge(erase_runs(img, runs), H, TOP, runs)
    assert out[0:9, 200:205].min() == 255 and out[12:21, 300:307].min() == 255
    assert out[10:15, 12:21].max() == 0 and out[32:56, 10:22].max() == 0


def test_a_slot_with_a_note_mark_is_still_blank() -> None:
    assert is_leader_only("…⁷…") and is_leader_only("..., ngày ... tháng ... năm ...⁵") is False
    assert is_leader_only(" ...³... ") and not is_leader_only("...7...")
    assert without_note_marks("Họ và tên¹: Nguyễn Văn An") == "Họ và tên: Nguyễn Văn An"
