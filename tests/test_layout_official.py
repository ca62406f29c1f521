"""Official pages: the ruling lines of a table painted out before its cells are read
(pipeline.layout.tables.erase_rules), and signature stamps' values mended into their shape."""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.layout.stamps import clean_stamp_line, find_stamps
from pipeline.layout.tables import erase_rules

LH = 40  # text-line height in the drawn pages (an A4 page at 200 dpi)


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
