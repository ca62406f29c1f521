"""A4 page geometry and the blocks every Vietnamese administrative page shares."""

from __future__ import annotations

import random
from datetime import date

from samples import graphics
from samples.canvas import A4_PX, Canvas
from samples.fonts import FontSpec, pt
from samples.identity import random_date

W, H = A4_PX
# Decree 30/2020 margins: top/bottom 20-25 mm, left 30-35 mm, right 15-20 mm (1 mm = 11.8 px).
LEFT, RIGHT, TOP, BOTTOM = 354, W - 213, 260, H - 260

NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"


def national_header(c: Canvas, cx: float, y: int, family: str, *, size_pt: float = 13) -> int:
    """Centred national header with the short rule under the motto; returns the next baseline."""
    c.text(cx, y, NATION, FontSpec(family, "B", pt(size_pt)), align="center")
    motto = FontSpec(family, "B", pt(size_pt + 1))
    box = c.text(cx, y + round(pt(size_pt) * 1.35), MOTTO, motto, align="center")
    c.hline(box[0], box[2], box[3] + 14, width=3)
    return box[3] + 14 + round(pt(size_pt) * 1.9)


def city_short(province: str) -> str:
    """Place in date lines: 'thành phố Hà Nội' -> 'Hà Nội'; HCMC -> 'TP. Hồ Chí Minh' (as usually typed)."""
    if province == "Thành phố Hồ Chí Minh":
        return "TP. Hồ Chí Minh"
    return province.removeprefix("thành phố ").removeprefix("tỉnh ")


def doc_date(rng: random.Random) -> date:
    """Documents are dated after the 1/7/2025 reform, so addresses use the 2-level form."""
    return random_date(rng, date(2025, 7, 15), date(2025, 12, 19))


def signature_block(
    c: Canvas, cx: float, y: int, title: str, note: str | None, name: str, family: str, rng: random.Random, *, size: int
) -> int:
    """Title (bold), note (italic), room for a signature (drawn), name (bold)."""
    c.text(cx, y, title, FontSpec(family, "B", size), align="center")
    y += round(size * 1.3)
    if note:
        c.text(cx, y, note, FontSpec(family, "I", size - 4), align="center")
    graphics.signature(c.image, (round(cx - 230), y + 40, round(cx + 230), y + 250), rng)
    y += 330
    c.text(cx, y, name, FontSpec(family, "B", size), align="center")
    return y + round(size * 1.5)


def phone_spaced(phone: str) -> str:
    return f"{phone[:4]} {phone[4:7]} {phone[7:]}"
