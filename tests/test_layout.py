"""Layout of real pages: ruled tables read row by row, checkboxes, e-signature stamps,
form leaders, and a form about a card told from the card (pipeline.layout, classify)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from models.document import DocumentKind, PageText, Rereading, TextLine, TextSource
from pipeline.fields.classify import classify_page
from pipeline.layout.checkboxes import CHECKED, UNCHECKED, find_checkboxes
from pipeline.layout.leaders import clean_leaders, is_leader_only, shifted
from pipeline.layout.page import apply_layout
from pipeline.layout.stamps import clean_stamp_line, find_stamps
from pipeline.layout.tables import find_tables

LH = 30  # text-line height in the drawn pages


def _page(w: int = 1654, h: int = 2339) -> np.ndarray:
    return np.full((h, w), 255, np.uint8)


def _text(img: np.ndarray, box: tuple[int, int, int, int]) -> None:
    """Ink where a text line is: short strokes, no rule-long ones."""
    x0, y0, x1, y1 = box
    for x in range(x0, x1 - 8, 14):
        cv2.rectangle(img, (x, y0 + 6), (x + 8, y1 - 6), (0,), 2)


def _grid(img: np.ndarray, xs: list[int], ys: list[int]) -> None:
    for y in ys:
        cv2.line(img, (xs[0], y), (xs[-1], y), (0,), 2)
    for x in xs:
        cv2.line(img, (x, ys[0]), (x, ys[-1]), (0,), 2)


def test_ruled_table_is_read_row_by_row_cell_by_cell() -> None:
    img = _page()
    xs, ys = [200, 400, 900, 1400], [300, 400, 540, 640]
    _grid(img, xs, ys)
    # Row 1: one line per cell; row 2: the middle cell wraps over two lines.
    boxes = [
        (220, 335, 300, 365),
        (420, 335, 700, 365),
        (920, 335, 1100, 365),
        (220, 420, 260, 450),
        (420, 420, 880, 450),
        (420, 480, 700, 510),
        (920, 420, 1300, 450),
        (220, 575, 260, 605),
    ]
    for b in boxes:
        _text(img, b)
    # The page's own order interleaves the cells row by row of text lines.
    reading = [0, 1, 2, 3, 4, 6, 5, 7]
    tables = find_tables(img, boxes, reading)
    assert len(tables) == 1
    table = tables[0]
    assert [[len(c.lines) for c in row] for row in table.rows] == [[1, 1, 1], [1, 2, 1], [1, 0, 0]]
    assert table.line_order() == [0, 1, 2, 3, 4, 5, 6, 7]  # the wrapped cell's lines together


def test_no_table_without_rules_nor_from_underlines() -> None:
    img = _page()
    boxes = [(200, 300 + 50 * i, 1200, 330 + 50 * i) for i in range(10)]
    for b in boxes:
        _text(img, b)
    cv2.line(img, (600, 260), (1000, 260), (0,), 2)  # the rule under a heading
    assert find_tables(img, boxes) == []


def test_checkboxes_found_checked_or_not_and_attached_to_their_text() -> None:
    img = _page()
    label_a, label_b = (260, 400, 700, 430), (260, 460, 700, 490)
    for b in (label_a, label_b):
        _text(img, b)
    cv2.rectangle(img, (220, 403), (244, 427), (0,), 2)  # empty
    cv2.rectangle(img, (220, 463), (244, 487), (0,), 2)
    cv2.line(img, (224, 475), (231, 483), (0,), 3)  # a tick
    cv2.line(img, (231, 483), (241, 466), (0,), 3)
    found = find_checkboxes(img, [label_a, label_b])
    assert [(c.checked, c.label) for c in found] == [(False, 0), (True, 1)]
    assert [c.glyph for c in found] == [UNCHECKED, CHECKED]


def test_letters_and_filled_squares_are_no_checkboxes() -> None:
    img = _page()
    cv2.circle(img, (300, 300), 11, (0,), 2)  # an o
    cv2.rectangle(img, (400, 290), (424, 314), (0,), -1)  # a filled bullet
    cv2.rectangle(img, (500, 290), (700, 314), (0,), 2)  # a long frame
    assert find_checkboxes(img, [(280, 285, 720, 318)]) == []


@pytest.mark.parametrize(
    ("read", "clean"),
    [
        ("...”.., ngày... tháng.... năm ...", "..., ngày... tháng... năm ..."),
        ("Email (nếu có):..", "Email (nếu có):..."),
        ("Kính gửi: .......’..:.....", "Kính gửi: ..."),
        ("Số: ..../..../....", "Số: .../.../..."),
        ("Họ tên:______ Nguyễn Văn A", "Họ tên:... Nguyễn Văn A"),
        # No leaders: times, dates, abbreviations, a sentence's full stop.
        ("Thời gian ký: 13.09.2024 16:49:11 +07:00", "Thời gian ký: 13.09.2024 16:49:11 +07:00"),
        ("v.v. hết.", "v.v. hết."),
        ("Điều 1. Phạm vi", "Điều 1. Phạm vi"),
    ],
)
def test_leaders_read_without_stray_marks(read: str, clean: str) -> None:
    assert clean_leaders(read) == clean


def test_leader_helpers() -> None:
    assert is_leader_only("....:.....")
    assert not is_leader_only("Ngày ....")
    text = "Họ tên: .......... Nguyễn"
    assert clean_leaders(text)[shifted(text, text.index("Nguyễn")) :] == "Nguyễn"


def test_signature_stamp_found_cleaned_and_read_into_parts() -> None:
    texts = [
        "Nơi nhận:",
        "gNgười ký: CỔNG THÔNG TIN ĐIỆN TỬ CHÍNH PHỦ",
        "'Email: thongtinchinhphu@chinhphu.vn",
        "Cơ quan: Thành phố Hồ Chí",
        "Minh",
        "|Thời gian ký: 13.09.2024",
        "16:49:11 +07:00",
    ]
    boxes = [(100, 100, 300, 130)] + [(900, 400 + 34 * i, 1400, 430 + 34 * i) for i in range(6)]
    stamps = find_stamps(texts, boxes)
    assert len(stamps) == 1
    assert stamps[0].lines == (1, 2, 3, 4, 5, 6)
    assert stamps[0].parts == {
        "signer": "CỔNG THÔNG TIN ĐIỆN TỬ CHÍNH PHỦ",
        "email": "thongtinchinhphu@chinhphu.vn",
        "organisation": "Thành phố Hồ Chí Minh",
        "signed_at": "13.09.2024 16:49:11 +07:00",
    }
    assert clean_stamp_line("qThời gian ký: 1") == "Thời gian ký: 1"
    assert clean_stamp_line("Người ký: A") == "Người ký: A"
    assert find_stamps(["Người ký hợp đồng là ông A"], [(0, 0, 500, 30)]) == []


def test_apply_layout_orders_table_cleans_text_and_round_trips() -> None:
    img = _page()
    _grid(img, [200, 400, 900], [300, 400, 540])
    boxes = [(220, 335, 300, 365), (420, 335, 700, 365), (220, 420, 260, 450), (420, 420, 880, 450)]
    boxes += [(420, 480, 700, 510), (200, 700, 800, 730)]
    for b in boxes:
        _text(img, b)
    cv2.rectangle(img, (160, 703), (184, 727), (0,), 2)  # a checkbox before the last line
    texts = ["STT", "Tên", "1", "Đăng ký lưu hành", "chế phẩm", "LÌ Không có việc làm ....’..."]
    order = [0, 1, 2, 3, 4, 5]
    lines = [TextLine(texts[i], boxes[i], 0.9) for i in order]
    lines[5] = TextLine(texts[5], (150, 700, 800, 730), 0.9, Rereading("việc làm", 0.9, (), 12))
    page = PageText(0, img.shape[1], img.shape[0], TextSource.OCR, lines)
    out = apply_layout(page, img)
    assert [line.text for line in out.lines] == [
        "STT",
        "Tên",
        "1",
        "Đăng ký lưu hành",
        "chế phẩm",
        "☐ Không có việc làm ...",
    ]
    last = out.lines[-1]
    assert last.second is not None and last.second.joined(last.text).startswith("☐ Không có việc làm")
    assert [[c for c in row] for row in out.tables[0].rows] == [["STT", "Tên"], ["1", "Đăng ký lưu hành chế phẩm"]]
    assert [(c.checked, c.label) for c in out.checkboxes] == [(False, "☐ Không có việc làm ...")]
    again = PageText.from_dict(out.to_dict())
    assert again.tables == out.tables and again.checkboxes == out.checkboxes


def test_results_stored_before_layout_still_read() -> None:
    old = {"index": 0, "width": 10, "height": 10, "text_source": "ocr", "lines": [], "codes": []}
    page = PageText.from_dict(old)
    assert page.tables == [] and page.checkboxes == [] and page.stamps == []
    assert "tables" not in page.to_dict()  # nothing found, nothing added to the contract


def _lines(texts: list[str]) -> list[TextLine]:
    return [TextLine(t, (100, 60 * i, 1400, 60 * i + 40), 0.9) for i, t in enumerate(texts)]


def test_a_form_about_a_card_is_not_the_card() -> None:
    form = [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "TỜ KHAI CĂN CƯỚC",
        "1. Họ, chữ đệm và tên khai sinh: ....",
        "2. Ngày, tháng, năm sinh: ..../..../....",
        "3. Giới tính: ....",
        "4. Số định danh cá nhân: ....",
        "5. Quốc tịch: ....",
        "6. Nơi cư trú: ....",
    ] + [f"{n}. Mục {n}: ...." for n in range(7, 32)]
    page = PageText(0, 1654, 2339, TextSource.OCR, _lines(form))
    assert classify_page(page).kind not in {DocumentKind.CAN_CUOC_FRONT, DocumentKind.CCCD_FRONT}
    # Without its title the same many-line sheet is still no card either.
    page = PageText(0, 1654, 2339, TextSource.OCR, _lines(form[:2] + ["CĂN CƯỚC"] + form[3:]))
    assert classify_page(page).kind not in {DocumentKind.CAN_CUOC_FRONT, DocumentKind.CCCD_FRONT}


def test_a_card_alone_or_copied_on_a_sheet_stays_a_card() -> None:
    card = [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "CĂN CƯỚC",
        "Họ, chữ đệm và tên khai sinh / Full name: NGUYỄN VĂN A",
        "Ngày, tháng, năm sinh / Date of birth: 01/01/1990",
        "Giới tính / Sex: Nam",
        "Quốc tịch / Nationality: Việt Nam",
        "Số định danh cá nhân / Personal identification number: 001090000001",
    ]
    assert classify_page(PageText(0, 1000, 630, TextSource.OCR, _lines(card))).kind == DocumentKind.CAN_CUOC_FRONT
    # A photocopy of the card on an A4 sheet: few lines, still the card.
    assert classify_page(PageText(0, 1654, 2339, TextSource.OCR, _lines(card))).kind == DocumentKind.CAN_CUOC_FRONT


def test_a_card_back_in_faint_print_is_placed_by_its_phrases_read_nearly_right() -> None:
    # Spread print (as read from a real scan of another card design): no phrase exact, the
    # machine-readable zone alone cannot tell a căn cước's back from a CCCD's.
    back = [
        "Nưi tư HúÚ PÍitce of rexidence:",
        "Xứi đáng kÝ Khái sinh PHaee of bírtli:",
        "Mất Hưng. nâth cất! Đate e6 Íssue: 12 07 2+",
        "Ngắy, thẳng, nâtn Hết Hạn - Đ2ate ofeNpiirx: 23 052031.",
        "HỘ CÔNG ÁN",
        "IDVNM1715242662079171524266<<2",
        "7105258F3105250VNM<<<<<<<<<<<8",
        "LE<<KIM<THAO<<<<<<<<<<<<<<<<<<",
    ]
    assert classify_page(PageText(0, 1012, 638, TextSource.OCR, _lines(back))).kind == DocumentKind.CAN_CUOC_BACK
    # Nearly-right phrases never place a page that holds none of them.
    other = ["Hóa đơn bán hàng", "Cửa hàng tạp hóa Minh Châu", "Tổng cộng: 120.000 đồng"]
    assert classify_page(PageText(0, 1012, 638, TextSource.OCR, _lines(other))).kind == DocumentKind.OTHER
