"""Chip CCCD (2021–2024 layout), front and back, at ID-1 size (1012 x 638 px at 300 dpi)."""

from __future__ import annotations

import random

import numpy as np
from PIL import Image

from samples import graphics
from samples.canvas import CARD_PX, Canvas, Rendered, labelled_wrapped, union
from samples.fonts import CARD_FAMILIES, FontSpec, current_style, pick_family
from samples.identity import Person, ddmmyyyy, make_person, person_mrz, qr_payload

RED = (196, 30, 36)
DARK = (24, 24, 40)

# Identifying marks as printed on cards: feature, size, position relative to a face landmark.
MARKS = (
    "Nốt ruồi C:1cm trên sau đuôi mắt trái",
    "Sẹo chấm C:2cm dưới trước cánh mũi phải",
    "Nốt ruồi C:1,5cm dưới sau mép phải",
    "Sẹo chấm C:1cm trên trước đầu lông mày trái",
    "Nốt ruồi C:2cm dưới trước dái tai trái",
    "Sẹo chấm C:3cm trên sau cánh mũi trái",
)


def card_canvas(rng: random.Random, front: bool) -> Canvas:
    c = Canvas(*CARD_PX)
    base = (238, 243, 232) if front else (236, 238, 244)
    if current_style() == "alt":
        c.image.paste(alt_background(rng, front))
        return c
    bg = graphics.guilloche(CARD_PX, rng, base, (212, 226, 214) if front else (214, 218, 232))
    c.image.paste(bg)
    return c


def alt_background(rng: random.Random, front: bool) -> Image.Image:
    """The "alt" style's card background: colour bands, rosettes, a line screen, a watermark."""
    warm = [(226, 196, 200), (214, 222, 176), (238, 214, 160)]  # pink, green, yellow (the real card's)
    cool = [(196, 210, 232), (206, 196, 226), (188, 222, 214)]
    inks = warm if front else cool
    rng.shuffle(inks)
    return graphics.rosette(CARD_PX, rng, (246, 240, 228) if front else (236, 240, 246), inks)


def fit_font(c: Canvas, text: str, font: FontSpec, width: int, min_size: int) -> FontSpec:
    """Shrink the font until the text fits `width` (card fields have fixed room)."""
    while font.size > min_size and c.length(text, font) > width:
        font = font.with_(size=font.size - 1)
    return font


def render_cccd_front(person: Person, rng: random.Random) -> Rendered:
    family = pick_family(rng, CARD_FAMILIES)
    c = card_canvas(rng, front=True)
    reg = FontSpec(family, "", 22)
    bold = FontSpec(family, "B", 22)
    payload = qr_payload(person)

    graphics.emblem(c.image, 100, 92, 64)
    qr = graphics.qr_image(payload, 172)
    c.image.paste(qr, (CARD_PX[0] - 22 - qr.width, 16))
    qr_left = CARD_PX[0] - 22 - qr.width

    # Header: centred between emblem and QR, in reading order.
    cx = (172 + qr_left) // 2
    room = qr_left - 180
    c.text(
        cx,
        50,
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        fit_font(c, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold, room, 16),
        align="center",
        fill=DARK,
    )
    c.text(cx, 82, "Độc lập - Tự do - Hạnh phúc", FontSpec(family, "B", 21), align="center", fill=DARK)
    c.text(
        cx,
        134,
        "CĂN CƯỚC CÔNG DÂN",
        fit_font(c, "CĂN CƯỚC CÔNG DÂN", FontSpec(family, "B", 40), room, 28),
        align="center",
        fill=RED,
    )
    c.text(cx, 168, "Citizen Identity Card", FontSpec(family, "", 22), align="center", fill=DARK)

    graphics.photo_placeholder(c.image, (36, 214, 256, 500), rng)

    x = 286
    right = CARD_PX[0] - 24
    c.labelled(x, 232, "Số / No.:", person.id12, FontSpec(family, "B", 30), field_name="so_dinh_danh", fill=DARK)
    c.text(x, 272, "Họ và tên / Full name:", reg, fill=DARK)
    name_font = fit_font(c, person.name_upper, FontSpec(family, "B", 32), right - x, 22)
    c.field("ho_va_ten", person.name_upper, c.text(x, 312, person.name_upper, name_font, fill=DARK))
    c.labelled(x, 350, "Ngày sinh / Date of birth:", ddmmyyyy(person.birth), reg, field_name="ngay_sinh", fill=DARK)
    sex_box = c.labelled(x, 388, "Giới tính / Sex:", person.sex, reg, field_name="gioi_tinh", fill=DARK)
    nat_x = max(sex_box[2] + 40, 560)
    nat_font = fit_font(c, "Quốc tịch / Nationality: Việt Nam", reg, right - nat_x, 16)
    c.labelled(nat_x, 388, "Quốc tịch / Nationality:", "Việt Nam", nat_font, field_name="quoc_tich", fill=DARK)

    c.text(x, 426, "Quê quán / Place of origin:", reg, fill=DARK)
    origin = person.hometown.card
    ofont = fit_font(c, origin, FontSpec(family, "", 23), right - x, 17)
    c.field("que_quan", origin, c.text(x, 460, origin, ofont, fill=DARK))

    c.text(x, 498, "Nơi thường trú / Place of residence:", reg, fill=DARK)
    residence = person.address.card
    rfont = FontSpec(family, "", 23)
    lines = c.wrap(residence, rfont, right - x)
    while len(lines) > 2:  # two lines is all the card has room for
        rfont = rfont.with_(size=rfont.size - 1)
        lines = c.wrap(residence, rfont, right - x)
    boxes = [c.text(x, 532 + 34 * i, line, rfont, fill=DARK) for i, line in enumerate(lines)]
    c.field(
        "noi_thuong_tru", residence, [min(b[0] for b in boxes), boxes[0][1], max(b[2] for b in boxes), boxes[-1][3]]
    )

    if person.card_expiry is None:
        raise ValueError("card holder without an expiry date")
    expiry = ddmmyyyy(person.card_expiry)
    exp_font = fit_font(c, f"Có giá trị đến: {expiry}", FontSpec(family, "", 19), 250, 14)
    c.labelled(30, 540, "Có giá trị đến:", expiry, exp_font, field_name="co_gia_tri_den", fill=DARK)
    c.text(30, 618, "MẪU / SPECIMEN", FontSpec(family, "B", 18), fill=RED)
    return Rendered([c], family, {"qr_payload": payload})


def render_cccd_front_alt(person: Person, rng: random.Random) -> Rendered:
    """Chip CCCD front with the real 2021 card's placement ("alt" style): values run on after
    their labels and wrap under them; the expiry is printed under the photo, its date on its own
    line or after the label; type sizes vary from card to card."""
    family = pick_family(rng, CARD_FAMILIES)
    c = card_canvas(rng, front=True)
    w = CARD_PX[0]
    size = rng.randint(20, 24)
    reg = FontSpec(family, "", size)
    payload = qr_payload(person)
    graphics.emblem(c.image, 92, 84, rng.randint(54, 64))
    qr = graphics.qr_image(payload, rng.choice((150, 160, 172)))
    qr_left = w - rng.randint(18, 30) - qr.width
    c.image.paste(qr, (qr_left, rng.randint(12, 24)))
    cx, room = (164 + qr_left) // 2, qr_left - 172
    top = rng.randint(40, 52)
    head = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    c.text(cx, top, head, fit_font(c, head, FontSpec(family, "B", 21), room, 15), align="center", fill=DARK)
    c.text(cx, top + 30, "Độc lập - Tự do - Hạnh phúc", FontSpec(family, "B", 20), align="center", fill=DARK)
    title = fit_font(c, "CĂN CƯỚC CÔNG DÂN", FontSpec(family, "B", rng.randint(36, 42)), room, 26)
    c.text(cx, top + 80, "CĂN CƯỚC CÔNG DÂN", title, align="center", fill=RED)
    c.text(cx, top + 110, "Citizen Identity Card", FontSpec(family, "I", 20), align="center", fill=DARK)

    px0, py0 = rng.randint(26, 40), rng.randint(190, 212)
    photo = (px0, py0, px0 + 210, py0 + 266)
    graphics.photo_placeholder(c.image, photo, rng)
    x, right = photo[2] + rng.randint(22, 34), w - 22
    y = py0 + rng.randint(22, 30)
    lead = size + rng.randint(12, 16)
    c.labelled(
        x, y, "Số / No.:", person.id12, reg, value_font=FontSpec(family, "B", size + 8), field_name="so_dinh_danh"
    )
    y += lead + 6
    c.text(x, y, "Họ và tên / Full name:", reg, fill=DARK)
    name_font = fit_font(c, person.name_upper, FontSpec(family, "B", size + 6), right - x, 18)
    y += lead + 4
    c.field("ho_va_ten", person.name_upper, c.text(x, y, person.name_upper, name_font, fill=DARK))
    y += lead
    c.labelled(x, y, "Ngày sinh / Date of birth:", ddmmyyyy(person.birth), reg, field_name="ngay_sinh", fill=DARK)
    y += lead
    sex_box = c.labelled(x, y, "Giới tính / Sex:", person.sex, reg, field_name="gioi_tinh", fill=DARK)
    nat_x = max(sex_box[2] + 30, x + 250)
    nat_font = fit_font(c, "Quốc tịch / Nationality: Việt Nam", reg, right - nat_x, 14)
    c.labelled(nat_x, y, "Quốc tịch / Nationality:", "Việt Nam", nat_font, field_name="quoc_tich", fill=DARK)
    y += lead
    small = reg.with_(size=size - 2)
    y = labelled_wrapped(
        c, x, right, y, "Quê quán / Place of origin:", person.hometown.card, small, lead - 2, field_name="que_quan"
    )
    labelled_wrapped(
        c,
        x,
        right,
        y,
        "Nơi thường trú / Place of residence:",
        person.address.card,
        small,
        lead - 2,
        field_name="noi_thuong_tru",
    )
    if person.card_expiry is None:
        raise ValueError("card holder without an expiry date")
    expiry = ddmmyyyy(person.card_expiry)
    efont = FontSpec(family, rng.choice(("", "I")), rng.randint(15, 18))
    ey = photo[3] + rng.randint(28, 36)
    if rng.random() < 0.5:  # label, then the date on the line below
        c.text(photo[0], ey, "Có giá trị đến:", efont, fill=DARK)
        c.field("co_gia_tri_den", expiry, c.text(photo[0] + 10, ey + 26, expiry, efont.with_(style=""), fill=DARK))
    else:
        efont = fit_font(c, f"Có giá trị đến: {expiry}", efont, photo[2] - photo[0] + 30, 13)
        c.labelled(photo[0], ey, "Có giá trị đến:", expiry, efont, field_name="co_gia_tri_den", fill=DARK)
    c.text(w - 250, 622, "MẪU / SPECIMEN", FontSpec(family, "B", 16), fill=RED)
    return Rendered([c], family, {"qr_payload": payload})


def render_cccd_back(person: Person, rng: random.Random) -> Rendered:
    family = pick_family(rng, CARD_FAMILIES)
    c = card_canvas(rng, front=False)
    nrng = np.random.default_rng(rng.randrange(2**32))
    small = FontSpec(family, "", 17)

    # Fingerprints, left index then right index, captions under each.
    for i in range(2):
        x0 = 30 + i * 215
        c.draw.rectangle([x0, 28, x0 + 200, 268], outline=(120, 120, 130), width=2)
        graphics.fingerprint(c.image, (x0 + 30, 48, x0 + 170, 248), nrng)
    for i, caption in enumerate(("Ngón trỏ trái", "Ngón trỏ phải")):
        c.text(30 + i * 215 + 100, 295, caption, small, align="center", fill=DARK)
    graphics.chip(c.image, (70, 320, 200, 410))

    x, right = 480, CARD_PX[0] - 24
    lab = FontSpec(family, "", 19)
    c.text(
        x,
        52,
        "Đặc điểm nhân dạng / Personal identification:",
        fit_font(c, "Đặc điểm nhân dạng / Personal identification:", lab, right - x, 14),
        fill=DARK,
    )
    mark = rng.choice(MARKS)
    mfont = fit_font(c, mark, FontSpec(family, "", 22), right - x, 15)
    c.field("dac_diem_nhan_dang", mark, c.text(x, 86, mark, mfont, fill=DARK))
    issue = ddmmyyyy(person.card_issue)
    dfont = fit_font(c, f"Ngày, tháng, năm / Date, month, year: {issue}", lab, right - x, 14)
    c.labelled(x, 130, "Ngày, tháng, năm / Date, month, year:", issue, dfont, field_name="ngay_cap", fill=DARK)
    cx = (x + right) // 2
    tfont = FontSpec(family, "B", 19)
    t2 = "QUẢN LÝ HÀNH CHÍNH VỀ TRẬT TỰ XÃ HỘI"
    tfont = fit_font(c, t2, tfont, right - x, 14)
    c.text(cx, 172, "CỤC TRƯỞNG CỤC CẢNH SÁT", tfont, align="center", fill=DARK)
    c.text(cx, 198, t2, tfont, align="center", fill=DARK)
    graphics.seal(c.image, cx - 70, 282, 62)
    graphics.signature(c.image, (cx - 40, 222, cx + 150, 330), rng, width=3)
    signer = make_person(random.Random(rng.randrange(2**32)), male=True, birth_range=(1965, 1975))
    c.text(cx, 372, signer.full_name, FontSpec(family, "B", 22), align="center", fill=DARK)

    # MRZ: OCR-B at the ICAO pitch (30 characters over ~ 930 px).
    mrz = person_mrz(person)
    probe = FontSpec("OCR-B", "", 100)
    size = int(100 * 31 / (c.length("0" * 30, probe) / 30))
    mfont = FontSpec("OCR-B", "", size)
    for i, line in enumerate(mrz):
        c.text(40, 492 + 58 * i, line, mfont, fill=(20, 20, 20))
    return Rendered([c], family, {"mrz": mrz})


CMND_BLUE = (226, 236, 246)


def _dotted(c: Canvas, x0: int, x1: int, y: int) -> None:
    """Printed dot leader under a CMND field line (graphics, not text)."""
    for x in range(x0, x1, 9):
        c.draw.ellipse([x, y, x + 2, y + 2], fill=(90, 100, 120))


def _cmnd_field(
    c: Canvas,
    x: int,
    right: int,
    y: int,
    label: str,
    value: str,
    lfont: FontSpec,
    vfont: FontSpec,
    lead: int,
    max_lines: int,
    field_name: str,
    *,
    shown: str | None = None,
) -> int:
    """Printed label, typed value after it on `max_lines` dotted lines; continuation lines start at x.

    `shown` is the text as printed when it differs from the truth value (dates). Returns next y."""
    label_box = c.text(x, y, label, lfont, fill=DARK)
    vx = label_box[2] + 14
    text = shown if shown is not None else value
    font = vfont
    lines = c.wrap(text, font, right - x, right - vx)
    while len(lines) > max_lines and font.size > 15:
        font = font.with_(size=font.size - 1)
        lines = c.wrap(text, font, right - x, right - vx)
    boxes = []
    for i in range(max(len(lines), max_lines)):
        lx = vx if i == 0 else x
        _dotted(c, lx, right, y + lead * i + 6)
        if i < len(lines):
            boxes.append(c.text(lx, y + lead * i, lines[i], font, fill=(30, 30, 60)))
    c.field(field_name, value, union(boxes))
    return y + lead * max(len(lines), max_lines)


def render_cmnd_front(person: Person, rng: random.Random) -> Rendered:
    """Old 9-digit CMND (1999 model) front: emblem and photo left, fields on dotted lines right."""
    if not person.old_cmnd:
        raise ValueError("person without a 9-digit CMND")
    family = pick_family(rng, CARD_FAMILIES)
    c = Canvas(*CARD_PX)
    if current_style() == "alt":
        c.image.paste(alt_background(rng, front=True))
    else:
        c.image.paste(graphics.guilloche(CARD_PX, rng, (232, 240, 248), (206, 220, 238)))
    w = CARD_PX[0]
    graphics.emblem(c.image, 150, 138, 98)
    graphics.photo_placeholder(c.image, (58, 262, 242, 520), rng)

    x, right = 292, w - 26
    cx = (x + right) // 2
    bold = FontSpec(family, "B", 22)
    c.text(
        cx,
        48,
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        fit_font(c, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold, right - x, 16),
        align="center",
        fill=DARK,
    )
    motto = c.text(cx, 80, "Độc lập - Tự do - Hạnh phúc", FontSpec(family, "B", 21), align="center", fill=DARK)
    c.hline(motto[0] + 20, motto[2] - 20, motto[3] + 6, width=2, fill=DARK)
    c.text(
        cx,
        140,
        "GIẤY CHỨNG MINH NHÂN DÂN",
        fit_font(c, "GIẤY CHỨNG MINH NHÂN DÂN", FontSpec(family, "B", 38), right - x, 26),
        align="center",
        fill=RED,
    )
    num_font = FontSpec(family, "B", 40)
    so = "SỐ"
    sw = c.length(f"{so} {person.old_cmnd}", num_font)
    c.labelled(cx - sw / 2, 196, so, person.old_cmnd, num_font, field_name="so_cmnd", fill=RED)

    lfont = FontSpec(family, "", 22)
    vfont = FontSpec(family, "B", 24)
    lead = 44
    y = _cmnd_field(c, x, right, 252, "Họ tên", person.name_upper, lfont, vfont, lead, 2, "ho_va_ten")
    y = _cmnd_field(
        c,
        x,
        right,
        y,
        "Sinh ngày",
        ddmmyyyy(person.birth),
        lfont,
        vfont.with_(style=""),
        lead,
        1,
        "ngay_sinh",
        shown=ddmmyyyy(person.birth, "-"),
    )
    y = _cmnd_field(
        c, x, right, y, "Nguyên quán", person.hometown.full, lfont, vfont.with_(style=""), lead, 2, "que_quan"
    )
    _cmnd_field(
        c,
        x,
        right,
        y,
        "Nơi ĐKHK thường trú",
        person.address.old_full,
        lfont,
        vfont.with_(style=""),
        lead,
        2,
        "noi_thuong_tru",
    )
    c.text(58, 612, "MẪU / SPECIMEN", FontSpec(family, "B", 18), fill=RED)
    return Rendered([c], family)
