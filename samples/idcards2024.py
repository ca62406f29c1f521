"""Căn cước (from 1/7/2024, Luật Căn cước 2023), front and back, at ID-1 size (1012 x 638 px).

BRIEF §4.2: the front has no place of origin, residence, expiry or QR; the back has the QR
(top-right), Nơi cư trú in the new 2-level form, Nơi đăng ký khai sinh, issue and expiry dates,
the issuer (Bộ Công an) with seal and signature, and the TD1 MRZ.
"""

from __future__ import annotations

import random

from samples import graphics
from samples.canvas import CARD_PX, Canvas, Rendered, union
from samples.cards import DARK, RED, card_canvas, fit_font
from samples.fonts import CARD_FAMILIES, FontSpec, pick_family
from samples.identity import Person, birth_registration_place, can_cuoc_qr_payload, card_mrz, ddmmyyyy

NO_EXPIRY = "Không thời hạn"


def _wrapped_value(
    c: Canvas,
    x: int,
    right: int,
    y: int,
    value: str,
    font: FontSpec,
    lead: int,
    max_lines: int,
    field_name: str,
    min_size: int,
) -> int:
    """A value under its label, wrapped to at most `max_lines` lines (smaller type if needed)."""
    lines = c.wrap(value, font, right - x)
    while len(lines) > max_lines and font.size > min_size:
        font = font.with_(size=font.size - 1)
        lines = c.wrap(value, font, right - x)
    boxes = [c.text(x, y + lead * i, line, font, fill=DARK) for i, line in enumerate(lines)]
    c.field(field_name, value, union(boxes))
    return y + lead * len(lines)


def qr_extra_fields(person: Person) -> tuple[str, ...]:
    """Unknown trailing QR fields on about a third of the cards (own stream: a property of the card)."""
    rng = random.Random(f"can-cuoc-qr|{person.id12}|{person.card_issue.isoformat()}")
    if rng.random() >= 1 / 3:
        return ()
    expiry = ddmmyyyy(person.card_expiry, "") if person.card_expiry else ""
    return (expiry,) if rng.random() < 0.5 else (expiry, rng.choice(("V2", "01", "")))


def render_can_cuoc_front(person: Person, rng: random.Random) -> Rendered:
    family = pick_family(rng, CARD_FAMILIES)
    c = card_canvas(rng, front=True)
    w = CARD_PX[0]
    bold = FontSpec(family, "B", 22)
    lab = FontSpec(family, "", 19)

    graphics.emblem(c.image, 96, 88, 60)
    cx = (176 + w - 24) // 2
    room = w - 24 - 176
    c.text(
        cx,
        50,
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        fit_font(c, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold, room, 16),
        align="center",
        fill=DARK,
    )
    motto = c.text(cx, 82, "Độc lập - Tự do - Hạnh phúc", FontSpec(family, "B", 21), align="center", fill=DARK)
    c.hline(motto[0] + 30, motto[2] - 30, motto[3] + 6, width=2, fill=DARK)
    c.text(cx, 142, "CĂN CƯỚC", FontSpec(family, "B", 46), align="center", fill=RED)
    c.text(cx, 176, "IDENTITY CARD", FontSpec(family, "B", 21), align="center", fill=DARK)

    graphics.photo_placeholder(c.image, (34, 198, 244, 462), rng)
    graphics.chip(c.image, (70, 484, 196, 572))

    x, right = 276, w - 26
    c.text(
        x,
        226,
        "Số định danh cá nhân / Personal identification number:",
        fit_font(c, "Số định danh cá nhân / Personal identification number:", lab, right - x, 14),
        fill=DARK,
    )
    c.field("so_dinh_danh", person.id12, c.text(x, 268, person.id12, FontSpec(family, "B", 36), fill=RED))
    c.text(
        x,
        310,
        "Họ, chữ đệm và tên khai sinh / Full name:",
        fit_font(c, "Họ, chữ đệm và tên khai sinh / Full name:", lab, right - x, 14),
        fill=DARK,
    )
    name_font = fit_font(c, person.name_upper, FontSpec(family, "B", 32), right - x, 20)
    c.field("ho_va_ten", person.name_upper, c.text(x, 350, person.name_upper, name_font, fill=DARK))
    reg = FontSpec(family, "", 22)
    c.labelled(
        x,
        396,
        "Ngày, tháng, năm sinh / Date of birth:",
        ddmmyyyy(person.birth),
        fit_font(c, f"Ngày, tháng, năm sinh / Date of birth: {ddmmyyyy(person.birth)}", reg, right - x, 15),
        field_name="ngay_sinh",
        fill=DARK,
    )
    sex_box = c.labelled(x, 440, "Giới tính / Sex:", person.sex, reg, field_name="gioi_tinh", fill=DARK)
    nat_x = max(sex_box[2] + 36, 560)
    nat_font = fit_font(c, "Quốc tịch / Nationality: Việt Nam", reg, right - nat_x, 15)
    c.labelled(nat_x, 440, "Quốc tịch / Nationality:", "Việt Nam", nat_font, field_name="quoc_tich", fill=DARK)
    c.text(x, 612, "MẪU / SPECIMEN", FontSpec(family, "B", 18), fill=RED)
    return Rendered([c], family)


def render_can_cuoc_back(person: Person, rng: random.Random) -> Rendered:
    family = pick_family(rng, CARD_FAMILIES)
    c = card_canvas(rng, front=False)
    w = CARD_PX[0]
    payload = can_cuoc_qr_payload(person, qr_extra_fields(person))
    qr = graphics.qr_image(payload, 200)
    qr_left = w - 22 - qr.width
    c.image.paste(qr, (qr_left, 18))

    x = 30
    lab = FontSpec(family, "", 19)
    val = FontSpec(family, "", 22)
    top_right = qr_left - 24
    c.text(x, 46, "Nơi cư trú / Place of residence:", lab, fill=DARK)
    y = _wrapped_value(c, x, top_right, 80, person.address.new_full, val, 31, 2, "noi_cu_tru", 16)
    c.text(x, y + 8, "Nơi đăng ký khai sinh / Place of birth:", lab, fill=DARK)
    place = birth_registration_place(person, rng)
    y = _wrapped_value(c, x, top_right, y + 42, place, val, 31, 2, "noi_dang_ky_khai_sinh", 16)

    issue = ddmmyyyy(person.card_issue)
    expiry = ddmmyyyy(person.card_expiry) if person.card_expiry else NO_EXPIRY
    dates_right = 600
    y += 16
    dfont = fit_font(c, f"Ngày, tháng, năm hết hạn / Date of expiry: {expiry}", lab, dates_right - x, 14)
    c.labelled(x, y, "Ngày, tháng, năm cấp / Date of issue:", issue, dfont, field_name="ngay_cap", fill=DARK)
    c.labelled(
        x, y + 36, "Ngày, tháng, năm hết hạn / Date of expiry:", expiry, dfont, field_name="co_gia_tri_den", fill=DARK
    )

    # Issuer block, right, between the QR and the MRZ.
    icx = (dates_right + w - 20) // 2
    ty = max(y - 20, 252)
    c.text(icx, ty, "BỘ CÔNG AN", FontSpec(family, "B", 22), align="center", fill=DARK)
    c.text(
        icx,
        ty + 26,
        "MINISTRY OF PUBLIC SECURITY",
        fit_font(c, "MINISTRY OF PUBLIC SECURITY", FontSpec(family, "", 16), w - 20 - dates_right, 12),
        align="center",
        fill=DARK,
    )
    graphics.seal(c.image, icx - 40, ty + 100, 56)
    graphics.signature(c.image, (icx - 20, ty + 50, icx + 150, ty + 140), rng, width=3)
    c.text(x, y + 84, "MẪU / SPECIMEN", FontSpec(family, "B", 18), fill=RED)

    mrz = card_mrz(person)
    probe = FontSpec("OCR-B", "", 100)
    size = int(100 * 31 / (c.length("0" * 30, probe) / 30))
    mfont = FontSpec("OCR-B", "", size)
    for i, line in enumerate(mrz):
        c.text(40, 492 + 58 * i, line, mfont, fill=(20, 20, 20))
    return Rendered([c], family, {"qr_payload": payload, "mrz": mrz})
