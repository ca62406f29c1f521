"""Reading order on synthetic layouts (boxes only: the order stage sees no pixels)."""

import math

import numpy as np

from pipeline.ocr.order import OrderItem, reading_order


def _texts(items, order):
    return [items[i].text for i in order]


def _centred(cx, y, width, text, h=50):
    return OrderItem.from_box((cx - width / 2, y, cx + width / 2, y + h), text)


def test_two_column_header_reads_left_block_then_right_block():
    items = [
        _centred(600, 200, 560, "ỦY BAN NHÂN DÂN"),
        _centred(1750, 200, 1100, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
        _centred(600, 270, 600, "THÀNH PHỐ HÀ NỘI"),
        _centred(1750, 270, 700, "Độc lập - Tự do - Hạnh phúc"),
        _centred(600, 380, 420, "Số: 123/QĐ-UBND"),
        _centred(1750, 380, 900, "Hà Nội, ngày 05 tháng 12 năm 2025"),
        _centred(1240, 560, 380, "QUYẾT ĐỊNH"),
        OrderItem.from_box((200, 700, 2280, 750), "Căn cứ Luật Tổ chức chính quyền địa phương;"),
        OrderItem.from_box((200, 780, 2000, 830), "Xét đề nghị của Trung tâm Phục vụ hành chính công,"),
    ]
    shuffled = [items[i] for i in (8, 3, 6, 1, 0, 5, 7, 2, 4)]
    assert _texts(shuffled, reading_order(shuffled)) == [item.text for item in items[0::2][:3]] + [
        item.text for item in items[1::2][:3]
    ] + ["QUYẾT ĐỊNH", items[7].text, items[8].text]


def test_form_label_value_columns_read_row_by_row():
    labels = ["Họ và tên:", "Ngày sinh:", "Giới tính:", "Nơi thường trú:"]
    values = ["Nguyễn Thị Phượng", "12/03/1987", "Nữ", "Số 18 phố Hàng Bột"]
    items = []
    for row, (label, value) in enumerate(zip(labels, values, strict=False)):
        y = 300 + row * 80
        items.append(OrderItem.from_box((200, y, 200 + 40 * len(label), y + 50), label))
        items.append(OrderItem.from_box((1000, y + 3, 1000 + 40 * len(value), y + 53), value))
    order = reading_order(items[::-1])
    got = _texts(items[::-1], order)
    assert got == [t for pair in zip(labels, values, strict=False) for t in pair]


def test_same_row_fields_read_left_to_right_and_paragraphs_top_down():
    items = [
        OrderItem.from_box((200, 100, 700, 150), "Giới tính: Nam"),
        OrderItem.from_box((1100, 102, 1600, 152), "Dân tộc: Kinh"),
        OrderItem.from_box((200, 170, 2200, 220), "Nơi sinh: Bệnh viện Phụ sản Hà Nội"),
    ]
    shuffled = [items[2], items[1], items[0]]
    assert _texts(shuffled, reading_order(shuffled)) == [
        "Giới tính: Nam",
        "Dân tộc: Kinh",
        "Nơi sinh: Bệnh viện Phụ sản Hà Nội",
    ]


def test_skewed_page_keeps_row_order():
    angle = math.radians(3.0)
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    items = []
    for row in range(6):
        y = 200 + row * 70
        for col, x in enumerate((200, 1300)):
            quad = np.array([[x, y], [x + 900, y], [x + 900, y + 50], [x, y + 50]], float) @ rot.T
            items.append(OrderItem.from_quad(quad, f"{row}-{col}"))
    # 3° over a 2000 px wide page moves the right half by ~100 px: more than a line.
    order = reading_order(items, skew_degrees=3.0)
    assert _texts(items, order) == [f"{r}-{c}" for r in range(6) for c in range(2)]


def test_empty_and_single():
    assert reading_order([]) == []
    assert reading_order([OrderItem.from_box((0, 0, 10, 10), "x")]) == [0]
