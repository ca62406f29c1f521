"""Official pages: the header's rules read as the underscores the document holds
(pipeline.layout.gazette), and the ruling lines of a table painted out before its cells are
read (pipeline.layout.tables.erase_rules)."""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.layout.gazette import header_rules
from pipeline.layout.stamps import clean_stamp_line, find_stamps
from pipeline.layout.tables import erase_rules

LH = 40  # text-line height in the drawn pages (an A4 page at 200 dpi)
UNDERSCORE = 2339 * 4 / 842  # an underscore's width on such a page, in pixels


def _page(w: int = 1654, h: int = 2339) -> np.ndarray:
    return np.full((h, w), 255, np.uint8)


def _text(img: np.ndarray, box: tuple[int, int, int, int]) -> None:
    """Ink where a text line is: letter-sized strokes, none of them rule-long."""
    x0, y0, x1, y1 = box
    for x in range(x0, x1 - 10, 18):
        cv2.rectangle(img, (x, y0 + 8), (x + 10, y1 - 8), (0,), 2)


def _rule(img: np.ndarray, x0: int, x1: int, y: int, thick: int = 1) -> None:
    """A rule; 1 px at 200 dpi is 0.36 pt, an underscore's stroke of 7 pt type."""
    cv2.line(img, (x0, y), (x1, y), (0,), thick)


def _header() -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """The two-column header of a decree and its title, each with its rule below, a body line
    with an underlined word, and a footnote under its separator."""
    img = _page()
    boxes = [
        (380, 190, 620, 230),  # CHÍNH PHỦ
        (750, 190, 1510, 230),  # CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
        (890, 240, 1380, 280),  # Độc lập - Tự do - Hạnh phúc
        (720, 520, 1060, 560),  # Về công tác văn thư
        (250, 700, 1400, 740),  # body text, a word underlined
        (250, 1950, 1400, 1990),  # body text above the footnotes
        (250, 2060, 1400, 2100),  # a footnote
    ]
    boxes += [(250, 800 + 60 * k, 1400, 840 + 60 * k) for k in range(6)]  # the body
    for b in boxes:
        _text(img, b)
    _rule(img, 466, 540, 258)  # under CHÍNH PHỦ: 74 px
    _rule(img, 910, 1362, 305)  # under the motto: 452 px
    _rule(img, 840, 940, 588)  # under the title: 100 px
    _rule(img, 600, 800, 736)  # the underline of a word, inside its line's box
    _rule(img, 250, 650, 2030)  # a footnote separator, at the margin
    return img, boxes


def test_header_rules_read_as_underscores_under_their_lines() -> None:
    img, boxes = _header()
    rules = header_rules(img, boxes)
    assert [r.after for r in rules] == [0, 2, 3]
    counts = [len(r.text) for r in rules]
    for count, width in zip(counts, (74, 452, 100), strict=True):
        assert abs(count - width / UNDERSCORE) <= 1
    assert all(set(r.text) == {"_"} for r in rules)


def test_no_header_rule_from_underlines_footnote_rules_or_tables() -> None:
    img, boxes = _header()
    rules = header_rules(img, boxes)
    assert not any(r.box[1] > 700 for r in rules)  # the underlined word, the footnote separator
    # A table's rules meet each other: none of them is a header rule.
    table = _page()
    cells = [(300, 330, 700, 370), (820, 330, 1200, 370)] + [(250, 800 + 60 * k, 1400, 840 + 60 * k) for k in range(9)]
    for b in cells:
        _text(table, b)
    for y in (300, 400, 500):
        _rule(table, 280, 1220, y)
    for x in (280, 800, 1220):
        cv2.line(table, (x, 300), (x, 500), (0,), 2)
    assert header_rules(table, cells) == []
    # A rule far off the centre of the line above is no header rule either.
    off = _page()
    body = [(300, 200, 1300, 240)] + [(250, 800 + 60 * k, 1400, 840 + 60 * k) for k in range(9)]
    _text(off, body[0])
    _rule(off, 300, 420, 262)
    assert header_rules(off, body) == []
    # A rule drawn as a shape, 1 pt heavy, is no run of underscores typed.
    drawn = _page()
    _text(drawn, body[0])
    _rule(drawn, 700, 900, 262, thick=3)
    assert header_rules(drawn, body) == []
    thin = _page()
    _text(thin, body[0])
    _rule(thin, 700, 900, 262)
    assert len(header_rules(thin, body)) == 1


def test_header_rules_only_on_a_sheet() -> None:
    """A card, a crop or a note has no header rules: its size says nothing of an underscore's,
    and a line put between a label and its value would part them."""
    img, boxes = _header()
    assert len(header_rules(img, boxes)) == 3
    assert header_rules(img, boxes[:9]) == []  # a few lines: no document's page
    card = np.full((640, 1012), 255, np.uint8)  # a card's shape
    rows = [(200, 60 + 50 * k, 800, 95 + 50 * k) for k in range(11)]
    for b in rows:
        _text(card, b)
    _rule(card, 460, 540, 100)  # under the card's title, centred
    assert header_rules(card, rows) == []


def test_header_rules_on_a_tilted_scan_still_counted() -> None:
    img, boxes = _header()
    turned = cv2.warpAffine(
        img, cv2.getRotationMatrix2D((827, 1170), 0.6, 1.0), (1654, 2339), borderValue=(255,), flags=cv2.INTER_LINEAR
    )
    rules = header_rules(turned, boxes)
    assert [r.after for r in rules] == [0, 2, 3]
    assert abs(len(rules[1].text) - 452 / UNDERSCORE) <= 2


def test_erase_rules_paints_out_a_tables_rules_not_its_text() -> None:
    img = _page()
    for y in (300, 400, 500):
        _rule(img, 280, 1220, y)
    for x in (280, 800, 1220):
        cv2.line(img, (x, 300), (x, 500), (0,), 2)
    word = (820, 420, 1000, 460)
    _text(img, word)
    # A tall letter's stem, standing alone (a large title's I), is no rule.
    cv2.line(img, (1400, 600), (1400, 600 + int(2.2 * LH)), (0,), 6)
    out = erase_rules(img, LH)
    assert out is not img and (img[300, 500] == 0 or img[301, 500] == 0)  # the input is kept
    assert out[295:306, 300:1200].min() > 128  # the horizontal rule is gone
    assert out[310:490, 276:285].min() > 128  # and the vertical one
    x0, y0, x1, y1 = word
    assert (out[y0:y1, x0:x1] < 128).sum() == (img[y0:y1, x0:x1] < 128).sum()  # the word is whole
    assert (out[600 : 600 + int(2.2 * LH), 1396:1405] < 128).sum() == (
        img[600 : 600 + int(2.2 * LH), 1396:1405] < 128
    ).sum()


def test_erase_rules_leaves_a_page_without_rules_as_it_is() -> None:
    img = _page()
    _text(img, (250, 700, 1400, 740))
    assert np.array_equal(erase_rules(img, LH), img)


def test_stamp_values_mended_only_into_their_shape() -> None:
    texts = [
        "Người ký: Sở Y tế",
        "Email: syt@tphcm.gov,vn",
        "Cơ quan: Thành phố Hồ Chí",
        "Minh",
        "Thời gian ký: 09.02.2021",
        "12:161 I +ố7:00",
    ]
    boxes = [(900, 400 + 34 * i, 1300, 430 + 34 * i) for i in range(6)]
    (stamp,) = find_stamps(texts, boxes)
    assert stamp.parts == {
        "signer": "Sở Y tế",
        "email": "syt@tphcm.gov.vn",
        "organisation": "Thành phố Hồ Chí Minh",
        "signed_at": "09.02.2021 12:16:11 +07:00",
    }
    assert [clean_stamp_line(t) for t in texts][1::4] == ["Email: syt@tphcm.gov.vn", "12:16:11 +07:00"]
    assert clean_stamp_line("Email: thongtinchinhphu(@chinhphu.vn") == "Email: thongtinchinhphu@chinhphu.vn"
    # A time that does not come out as HH:MM:SS (too few digits, an hour past 23) is left as read.
    assert clean_stamp_line("Thời gian ký: 13.09.2024 16:49:1 +07:00") == "Thời gian ký: 13.09.2024 16:49:1 +07:00"
    assert clean_stamp_line("Thời gian ký: 13.09.2024 25:49:11 +07:00") == "Thời gian ký: 13.09.2024 25:49:11 +07:00"
    assert clean_stamp_line("Thời gian ký: 13.09.2024 16:49:11 +07:00") == "Thời gian ký: 13.09.2024 16:49:11 +07:00"
    # Lines that are no stamp's keep their text.
    assert clean_stamp_line("Hà Nội, ngày 05 tháng 3 năm 2020") == "Hà Nội, ngày 05 tháng 3 năm 2020"


def test_a_copys_one_line_stamp_is_found_and_read() -> None:
    line = "SAO Y: VĂN PHÒNG ỦY BAN NHÂN DÂN; 25/07/2025 10:25:14 +07:00"
    (stamp,) = find_stamps(["Nơi nhận:", line], [(100, 100, 300, 130), (100, 2200, 1500, 2240)])
    assert stamp.lines == (1,)
    assert stamp.parts == {
        "copy": "SAO Y",
        "organisation": "VĂN PHÒNG ỦY BAN NHÂN DÂN",
        "signed_at": "25/07/2025 10:25:14 +07:00",
    }
    assert clean_stamp_line(line) == "SAO Y; VĂN PHÒNG ỦY BAN NHÂN DÂN; 25/07/2025 10:25:14 +07:00"
    assert find_stamps(["Sao y bản chính"], [(0, 0, 500, 30)]) == []
