"""Citizen-filled A4 forms: birth-registration declaration, đơn đề nghị, CT01 residence form,
and the birth certificate (giấy khai sinh) those procedures lead to.

Values are typed into the form (as when filled on a computer), so each "Label: value" is one
drawn run and one truth line; fields carry the box of the value part. With `handwriting=p`
each value is instead handwritten with probability p (`samples.handwriting`): the label stays
a printed run, the value becomes its own truth line marked "handwritten".
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from samples import graphics
from samples.a4 import BOTTOM, LEFT, RIGHT, TOP, W, city_short, doc_date, national_header, phone_spaced, signature_block
from samples.canvas import Canvas, LayoutOverflow, Rendered, fit_retry, union
from samples.fonts import A4_FAMILIES, FontSpec, pick_family, pt
from samples.handwriting import HandFill, hand_seed
from samples.identity import Address, Person, ddmmyyyy, make_address, make_id12, make_person, random_date
from samples.words import date_words, formal_date

HOSPITALS = {
    "001": (
        "Bệnh viện Phụ sản Hà Nội, phường Giảng Võ, thành phố Hà Nội",
        "Bệnh viện Phụ sản Trung ương, phường Cửa Nam, thành phố Hà Nội",
    ),
    "079": (
        "Bệnh viện Từ Dũ, phường Cầu Ông Lãnh, Thành phố Hồ Chí Minh",
        "Bệnh viện Hùng Vương, phường Chợ Lớn, Thành phố Hồ Chí Minh",
    ),
}
ISSUER = "Cục Cảnh sát quản lý hành chính về trật tự xã hội"


def _city_code(p: Person) -> str:
    return "079" if "Hồ Chí Minh" in p.address.province else "001"


def _body(family: str, rng: random.Random, shrink: int) -> tuple[FontSpec, int]:
    """Body type: 13-14 pt as typed forms are; each `shrink` step tightens size and leading."""
    size = pt(rng.choice((13, 13, 14)) - 0.5 * shrink)
    return FontSpec(family, "", size), round(size * (rng.uniform(1.38, 1.46) - 0.025 * shrink))


def render_to_khai_khai_sinh(
    person: Person,
    rng: random.Random,
    family: str | None = None,
    *,
    handwriting: float = 0.0,
    hand_rng: random.Random | None = None,
) -> Rendered:
    """handwriting: probability that each filled-in value is handwritten (own stream: `hand_rng`)."""
    return fit_retry(
        _render_to_khai_khai_sinh,
        person,
        rng=rng,
        family=family,
        handwriting=handwriting,
        hand_seed=hand_seed(rng, hand_rng, handwriting),
    )


def _render_to_khai_khai_sinh(
    person: Person,
    *,
    rng: random.Random,
    family: str | None,
    shrink: int,
    handwriting: float = 0.0,
    hand_seed: int | None = None,
) -> Rendered:
    family = family or pick_family(rng, A4_FAMILIES)
    hand = HandFill(handwriting, hand_seed)
    c = Canvas(W, 3508)
    font, lead = _body(family, rng, shrink)
    bold = font.with_(style="B")
    when = doc_date(rng)
    # The family: `person` is one parent; the other parent and the child are drawn from rng.
    father_first = person.male
    other = make_person(
        random.Random(rng.randrange(2**32)),
        male=not person.male,
        birth_range=(person.birth.year - 4, min(person.birth.year + 4, 2003)),
        surname=None,
    )
    father, mother = (person, other) if father_first else (other, person)
    child = make_person(random.Random(rng.randrange(2**32)), birth_range=(2025, 2025), surname=father.surname)
    child_birth = random_date(rng, when - timedelta(days=55), when - timedelta(days=3))
    addr = person.address
    ward = addr.new_ward

    y = national_header(c, W / 2, TOP, family)
    c.text(W / 2, y + 20, "TỜ KHAI ĐĂNG KÝ KHAI SINH", FontSpec(family, "B", pt(15)), align="center")
    y += 20 + round(lead * 1.8)
    kinh_gui = f"Ủy ban nhân dân {ward}, {addr.province}"
    y = hand.labelled_wrapped(c, LEFT + 280, RIGHT, y, "Kính gửi:", kinh_gui, font, lead, field_name="kinh_gui")
    y += lead // 3
    y = hand.labelled_wrapped(
        c,
        LEFT,
        RIGHT,
        y,
        "Họ, chữ đệm, tên người yêu cầu:",
        person.full_name,
        font,
        lead,
        field_name="ho_ten_nguoi_yeu_cau",
    )
    y = hand.labelled_wrapped(c, LEFT, RIGHT, y, "Nơi cư trú:", addr.new_full, font, lead, field_name="noi_cu_tru")
    papers = f"Căn cước công dân số {person.id12}, cấp ngày {ddmmyyyy(person.card_issue)}, nơi cấp: {ISSUER}"
    y = hand.labelled_wrapped(c, LEFT, RIGHT, y, "Giấy tờ tùy thân:", papers, font, lead, field_name="giay_to_tuy_than")
    y = hand.labelled_wrapped(
        c,
        LEFT,
        RIGHT,
        y,
        "Quan hệ với người được khai sinh:",
        "Cha" if person.male else "Mẹ",
        font,
        lead,
        field_name="quan_he",
    )
    c.text(LEFT, y, "Đề nghị cơ quan đăng ký khai sinh cho người dưới đây:", bold)
    y += lead
    y = hand.labelled_wrapped(
        c, LEFT, RIGHT, y, "Họ, chữ đệm, tên:", child.full_name.upper(), font, lead, field_name="ho_va_ten"
    )
    y = hand.labelled_wrapped(
        c, LEFT, RIGHT, y, "Ngày, tháng, năm sinh:", ddmmyyyy(child_birth), font, lead, field_name="ngay_sinh"
    )
    y = hand.labelled_wrapped(
        c, LEFT + 100, RIGHT, y, "ghi bằng chữ:", date_words(child_birth), font.with_(style="I"), lead
    )
    x = LEFT
    for label, value, name in (
        ("Giới tính:", child.sex, "gioi_tinh"),
        ("Dân tộc:", "Kinh", "dan_toc"),
        ("Quốc tịch:", "Việt Nam", "quoc_tich"),
    ):
        box = hand.labelled(c, x, y, label, value, font, field_name=name)
        x = max(box[2] + 90, x + 560)
    y += lead
    birthplace = rng.choice(HOSPITALS[_city_code(person)])
    y = hand.labelled_wrapped(c, LEFT, RIGHT, y, "Nơi sinh:", birthplace, font, lead, field_name="noi_sinh")
    y = hand.labelled_wrapped(c, LEFT, RIGHT, y, "Quê quán:", father.hometown.full, font, lead, field_name="que_quan")
    for role, parent, key in (("mẹ", mother, "ho_ten_me"), ("cha", father, "ho_ten_cha")):
        y = hand.labelled_wrapped(
            c, LEFT, RIGHT, y, f"Họ, chữ đệm, tên người {role}:", parent.full_name, font, lead, field_name=key
        )
        x = LEFT
        for label, value in (
            ("Năm sinh:", str(parent.birth.year)),
            ("Dân tộc:", parent.ethnicity),
            ("Quốc tịch:", "Việt Nam"),
        ):
            box = hand.labelled(c, x, y, label, value, font)
            x = max(box[2] + 90, x + 560)
        y += lead
        where = addr.new_full if parent is person or rng.random() < 0.8 else make_address(rng).new_full
        y = hand.labelled_wrapped(c, LEFT, RIGHT, y, "Nơi cư trú:", where, font, lead)
    y += lead // 3
    y = c.paragraph(
        LEFT,
        RIGHT,
        y,
        "Tôi cam đoan nội dung đề nghị đăng ký khai sinh trên đây là đúng sự thật, "
        "được sự thỏa thuận nhất trí của các bên liên quan theo quy định pháp luật.",
        font,
        lead,
        indent=100,
    )
    y = c.paragraph(
        LEFT,
        RIGHT,
        y,
        "Tôi chịu hoàn toàn trách nhiệm trước pháp luật về nội dung cam đoan của mình.",
        font,
        lead,
        indent=100,
    )
    made = f"Làm tại: {ward}, {addr.province}, ngày {when.day:02d} tháng {when.month} năm {when.year}"
    ifont = font.with_(style="I")
    y += lead // 3
    if c.length(made, ifont) <= RIGHT - LEFT:
        c.text(RIGHT, y, made, ifont, align="right")
    else:  # too long for one line: place, then date
        c.text(RIGHT, y, f"Làm tại: {ward}, {addr.province},", ifont, align="right")
        y += lead
        c.text(RIGHT, y, f"ngày {when.day:02d} tháng {when.month} năm {when.year}", ifont, align="right")
    y += round(lead * 1.2)
    end = hand.signature_block(
        c,
        (W + LEFT) // 2 + 250,
        y,
        "Người yêu cầu",
        "(Ký, ghi rõ họ, chữ đệm, tên)",
        person.full_name,
        family,
        rng,
        size=font.size,
    )
    if end >= 3508 - 60:
        raise LayoutOverflow("to_khai layout overflow")
    return Rendered([c], family, hand.extra())


DON_SUBJECTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "ĐƠN ĐỀ NGHỊ",
        "Về việc cấp bản sao trích lục khai sinh",
        (
            "Tôi đã được đăng ký khai sinh tại {ward}. Nay tôi có nhu cầu sử dụng bản sao trích lục khai sinh "
            "để bổ sung hồ sơ {purpose}.",
            "Tôi đề nghị {agency} xem xét, cấp cho tôi {n} bản sao trích lục khai sinh.",
        ),
    ),
    (
        "ĐƠN ĐỀ NGHỊ",
        "Về việc xác nhận thông tin về cư trú",
        (
            "Tôi hiện đang cư trú tại địa chỉ nêu trên từ năm {year} đến nay. Để hoàn thiện hồ sơ {purpose}, "
            "tôi cần có văn bản xác nhận thông tin về cư trú.",
            "Kính đề nghị {agency} xem xét, xác nhận thông tin về cư trú cho tôi theo quy định.",
        ),
    ),
    (
        "ĐƠN ĐỀ NGHỊ",
        "Về việc hỗ trợ sửa chữa nhà ở",
        (
            "Gia đình tôi gồm {n} nhân khẩu, hiện đang sinh sống tại căn nhà đã xuống cấp nghiêm trọng, "
            "mái ngói bị dột và tường nhà bị nứt sau đợt mưa bão vừa qua.",
            "Do hoàn cảnh khó khăn, gia đình tôi không đủ kinh phí để sửa chữa. Kính đề nghị {agency} xem xét, "
            "hỗ trợ kinh phí sửa chữa nhà ở cho gia đình tôi.",
        ),
    ),
    (
        "ĐƠN ĐỀ NGHỊ",
        "Về việc cấp lại thẻ căn cước",
        (
            "Ngày {lost} tôi đã làm mất thẻ căn cước công dân trong khi đi công tác. Tôi đã trình báo với cơ quan "
            "công an nơi xảy ra sự việc.",
            "Kính đề nghị {agency} xem xét, giải quyết thủ tục cấp lại thẻ căn cước cho tôi theo quy định.",
        ),
    ),
    (
        "ĐƠN ĐỀ NGHỊ",
        "Về việc miễn, giảm học phí cho con",
        (
            "Con tôi hiện đang học lớp {n} tại trường trung học cơ sở trên địa bàn phường. Gia đình tôi thuộc diện "
            "hộ cận nghèo theo danh sách được phê duyệt năm {year}.",
            "Căn cứ chính sách miễn, giảm học phí hiện hành, kính đề nghị {agency} xem xét, giải quyết miễn, giảm "
            "học phí cho con tôi trong năm học 2025 - 2026.",
        ),
    ),
)
PURPOSES = ("xin việc làm", "đăng ký kết hôn", "nhập học cho con", "vay vốn ngân hàng", "chuyển công tác")


def render_don(
    person: Person,
    rng: random.Random,
    family: str | None = None,
    *,
    handwriting: float = 0.0,
    hand_rng: random.Random | None = None,
) -> Rendered:
    """handwriting: probability that each filled-in value is handwritten (own stream: `hand_rng`)."""
    return fit_retry(
        _render_don,
        person,
        rng=rng,
        family=family,
        handwriting=handwriting,
        hand_seed=hand_seed(rng, hand_rng, handwriting),
    )


def _render_don(
    person: Person,
    *,
    rng: random.Random,
    family: str | None,
    shrink: int,
    handwriting: float = 0.0,
    hand_seed: int | None = None,
) -> Rendered:
    family = family or pick_family(rng, A4_FAMILIES)
    hand = HandFill(handwriting, hand_seed)
    c = Canvas(W, 3508)
    font, lead = _body(family, rng, shrink)
    lead = round(lead * 1.08)  # a đơn is airy: one page, few lines
    when = doc_date(rng)
    addr = person.address
    title, subject, paragraphs = rng.choice(DON_SUBJECTS)
    agency = f"Ủy ban nhân dân {addr.new_ward}"

    y = national_header(c, W / 2, TOP, family)
    c.text(W / 2, y + 40, title, FontSpec(family, "B", pt(16)), align="center")
    y += 40 + round(lead * 1.1)
    c.text(W / 2, y, subject, font.with_(style="B"), align="center")
    y += round(lead * 1.7)
    y = hand.labelled_wrapped(
        c, LEFT + 280, RIGHT, y, "Kính gửi:", f"{agency}, {addr.province}", font, lead, field_name="kinh_gui"
    )
    y += lead // 2
    for label, value, name in (
        ("Tôi tên là:", person.full_name, "ho_va_ten"),
        ("Ngày sinh:", ddmmyyyy(person.birth), "ngay_sinh"),
        ("Số định danh cá nhân:", person.id12, "so_dinh_danh"),
        ("Nơi thường trú:", addr.new_full, "noi_thuong_tru"),
        ("Số điện thoại:", phone_spaced(person.phone), "so_dien_thoai"),
    ):
        y = hand.labelled_wrapped(c, LEFT, RIGHT, y, label, value, font, lead, field_name=name)
    y += lead // 3
    fill = {
        "ward": addr.new_ward,
        "purpose": rng.choice(PURPOSES),
        "agency": agency,
        "n": rng.randint(2, 6),
        "year": rng.randint(2008, 2022),
        "lost": ddmmyyyy(when - timedelta(days=rng.randint(5, 40))),
    }
    for para in paragraphs:
        y = c.paragraph(LEFT, RIGHT, y, para.format(**fill), font, lead, indent=110)
    y = c.paragraph(
        LEFT,
        RIGHT,
        y,
        "Tôi xin cam đoan những thông tin trên là đúng sự thật và chịu trách nhiệm "
        "trước pháp luật về nội dung đã kê khai.",
        font,
        lead,
        indent=110,
    )
    c.text(LEFT + 110, y, "Tôi xin trân trọng cảm ơn!", font)
    y += round(lead * 1.6)
    cx = (W + LEFT) // 2 + 250
    c.text(cx, y, formal_date(city_short(addr.province), when), font.with_(style="I"), align="center")
    y += lead
    end = hand.signature_block(
        c, cx, y, "Người làm đơn", "(Ký và ghi rõ họ tên)", person.full_name, family, rng, size=font.size
    )
    if end >= BOTTOM + 200:
        raise LayoutOverflow("don layout overflow")
    return Rendered([c], family, hand.extra())


RELATIONS = ("Vợ", "Chồng", "Con", "Con", "Mẹ", "Cha", "Cháu")
CT01_REQUESTS = (
    "Đăng ký thường trú vào hộ gia đình của chủ hộ tại địa chỉ nêu trên.",
    "Đăng ký tạm trú tại {addr} với thời hạn tạm trú đến ngày {until}.",
    "Điều chỉnh thông tin về cư trú trong Cơ sở dữ liệu về cư trú do thay đổi địa giới đơn vị hành chính.",
    "Tách hộ để đăng ký thường trú tại chỗ ở hợp pháp nêu trên.",
)


def _boxed_digits(
    c: Canvas,
    x: int,
    y: int,
    digits: str,
    font: FontSpec,
    cell: int,
    *,
    hand: HandFill | None = None,
    field_name: str | None = None,
) -> list[int]:
    """Digits in printed cells (as on CT01): one truth line, the box covering the digits' ink."""
    by_hand = hand is not None and hand.decide()
    top, bottom = y - round(font.size * 0.95), y + round(font.size * 0.3)
    boxes = []
    for i, d in enumerate(digits):
        x0 = x + i * cell
        c.draw.rectangle([x0, top, x0 + cell, bottom], outline=(40, 40, 40), width=2)
        if by_hand:
            assert hand is not None
            boxes.append(hand._write(c, x0 + cell / 2, y - 2, d, font, align="center", record=False))
        else:
            boxes.append(c.text(x0 + cell / 2, y, d, font, align="center", record=False))
    box = union(boxes)
    c.lines.append({"text": digits, "box": box, "handwritten": True} if by_hand else {"text": digits, "box": box})
    if field_name:
        c.field(field_name, digits, box)
        if by_hand:
            assert hand is not None
            hand.fields.append(field_name)
    return box


def render_ct01(
    person: Person,
    rng: random.Random,
    family: str | None = None,
    *,
    handwriting: float = 0.0,
    hand_rng: random.Random | None = None,
) -> Rendered:
    """handwriting: probability that each filled-in value is handwritten (own stream: `hand_rng`)."""
    return fit_retry(
        _render_ct01,
        person,
        rng=rng,
        family=family,
        handwriting=handwriting,
        hand_seed=hand_seed(rng, hand_rng, handwriting),
    )


def _render_ct01(
    person: Person,
    *,
    rng: random.Random,
    family: str | None,
    shrink: int,
    handwriting: float = 0.0,
    hand_seed: int | None = None,
) -> Rendered:
    family = family or pick_family(rng, A4_FAMILIES)
    hand = HandFill(handwriting, hand_seed)
    c = Canvas(W, 3508)
    font, lead = _body(family, rng, shrink)
    bold = font.with_(style="B")
    small = FontSpec(family, "I", pt(11))
    when = doc_date(rng)
    addr = person.address
    head = (
        person
        if rng.random() < 0.5
        else make_person(random.Random(rng.randrange(2**32)), birth_range=(1955, 1985), surname=person.surname)
    )
    # "Mẫu CT01 ..." note, top-right, then the national header.
    c.text(RIGHT, TOP - 60, "Mẫu CT01 ban hành kèm theo Thông tư số 66/2023/TT-BCA", small, align="right")
    c.text(RIGHT, TOP - 60 + round(small.size * 1.3), "ngày 17/11/2023 của Bộ trưởng Bộ Công an", small, align="right")
    y = national_header(c, W / 2, TOP + 150, family)
    c.text(W / 2, y + 20, "TỜ KHAI THAY ĐỔI THÔNG TIN CƯ TRÚ", FontSpec(family, "B", pt(15)), align="center")
    y += 20 + round(lead * 1.7)
    y = hand.labelled_wrapped(
        c,
        LEFT + 280,
        RIGHT,
        y,
        "Kính gửi:",
        f"Công an {addr.new_ward}, {addr.province}",
        font,
        lead,
        field_name="kinh_gui",
    )
    y += lead // 3
    y = hand.labelled_wrapped(
        c, LEFT, RIGHT, y, "1. Họ, chữ đệm và tên:", person.name_upper, font, lead, field_name="ho_va_ten"
    )
    hand.labelled(c, LEFT, y, "2. Ngày, tháng, năm sinh:", ddmmyyyy(person.birth), font, field_name="ngay_sinh")
    hand.labelled(c, LEFT + 1150, y, "3. Giới tính:", person.sex, font, field_name="gioi_tinh")
    y += round(lead * 1.1)
    label_box = c.text(LEFT, y, "4. Số định danh cá nhân:", font)
    if rng.random() < 0.6:
        cell = round(font.size * 0.95)
        _boxed_digits(c, label_box[2] + 40, y, person.id12, font, cell, hand=hand, field_name="so_dinh_danh")
    else:
        hand.value(c, label_box[2] + 24, y, person.id12, font, field_name="so_dinh_danh")
    y += round(lead * 1.1)
    hand.labelled(c, LEFT, y, "5. Số điện thoại liên hệ:", person.phone, font, field_name="so_dien_thoai")
    if LEFT + 1100 + c.length(f"6. Email: {person.email}", font) > RIGHT:  # long address: own line
        y += lead
        hand.labelled(c, LEFT, y, "6. Email:", person.email, font, field_name="email")
    else:
        hand.labelled(c, LEFT + 1100, y, "6. Email:", person.email, font, field_name="email")
    y += lead
    y = hand.labelled_wrapped(
        c, LEFT, RIGHT, y, "7. Họ, chữ đệm và tên chủ hộ:", head.name_upper, font, lead, field_name="ho_ten_chu_ho"
    )
    relation = "Chủ hộ" if head is person else rng.choice(RELATIONS)
    y = hand.labelled_wrapped(
        c, LEFT, RIGHT, y, "8. Mối quan hệ với chủ hộ:", relation, font, lead, field_name="quan_he_chu_ho"
    )
    request = rng.choice(CT01_REQUESTS).format(addr=addr.new_full, until=ddmmyyyy(when + timedelta(days=365 * 2)))
    y = hand.labelled_wrapped(
        c, LEFT, RIGHT, y, "9. Nội dung đề nghị:", request, font, lead, field_name="noi_dung_de_nghi"
    )
    c.text(LEFT, y, "10. Những thành viên trong hộ gia đình cùng thay đổi:", font)
    y += round(lead * 0.6)
    y = _members_table(c, y, family, rng, person, hand)
    y += round(lead * 1.2)
    ifont = font.with_(style="I")
    c.text(RIGHT, y, formal_date(city_short(addr.province), when), ifont, align="right")
    y += round(lead * 1.2)
    lx, rx = LEFT + 420, (W + LEFT) // 2 + 330
    c.text(lx, y, "Ý KIẾN CỦA CHỦ HỘ", bold, align="center")
    end = hand.signature_block(
        c, rx, y, "NGƯỜI KÊ KHAI", "(Ký, ghi rõ họ tên)", person.full_name, family, rng, size=font.size
    )
    c.text(
        lx,
        y + round(font.size * 1.3),
        "(Ghi rõ nội dung và ký, ghi rõ họ tên)",
        ifont.with_(size=font.size - 4),
        align="center",
    )
    if head is not person:
        graphics.signature(c.image, (lx - 200, y + 100, lx + 200, y + 290), rng)
    hand.value(c, lx, y + 330, head.full_name, bold, align="center")
    if end >= 3508 - 60:
        raise LayoutOverflow("ct01 layout overflow")
    return Rendered([c], family, hand.extra())


def _members_table(c: Canvas, y: int, family: str, rng: random.Random, person: Person, hand: HandFill) -> int:
    """Grid table: header row (wrapped captions) and 1-3 member rows. Returns the bottom y."""
    hfont = FontSpec(family, "B", pt(11))
    cfont = FontSpec(family, "", pt(11))
    cols = (
        ("TT", 110),
        ("Họ, chữ đệm và tên", 560),
        ("Ngày, tháng, năm sinh", 330),
        ("Giới tính", 210),
        ("Số định danh cá nhân", 440),
        ("Mối quan hệ với chủ hộ", 263),
    )
    xs = [LEFT]
    for _, w in cols:
        xs.append(xs[-1] + w)
    lead = round(hfont.size * 1.25)
    wrapped = [c.wrap(title, hfont, w - 24) for title, w in cols]
    n_head = max(len(w) for w in wrapped)
    head_h = n_head * lead + 30
    members = [
        make_person(random.Random(rng.randrange(2**32)), surname=person.surname) for _ in range(rng.randint(1, 3))
    ]
    row_h = round(cfont.size * 1.9)
    bottom = y + head_h + row_h * len(members)
    for x in xs:
        c.vline(x, y, bottom, width=2)
    c.hline(xs[0], xs[-1], y, width=2)
    c.hline(xs[0], xs[-1], y + head_h, width=2)
    # Header: line i of every caption, left to right, so truth stays in reading order.
    for i in range(n_head):
        for (_title, w), lines, x0 in zip(cols, wrapped, xs, strict=False):  # xs: one edge more than columns
            if i < len(lines):
                off = (n_head - len(lines)) * lead // 2  # centre short captions vertically
                c.text(x0 + w / 2, y + 15 + round(hfont.size * 0.95) + off + i * lead, lines[i], hfont, align="center")
    ry = y + head_h
    for k, m in enumerate(members, 1):
        base = ry + round(row_h * 0.68)
        cells = (str(k), m.full_name, ddmmyyyy(m.birth), m.sex, m.id12, rng.choice(RELATIONS))
        for (_title, w), x0, value in zip(cols, xs, cells, strict=False):  # xs: one edge more than columns
            hand.value(c, x0 + w / 2, base, value, cfont, align="center")
        ry += row_h
        c.hline(xs[0], xs[-1], ry, width=2)
    return bottom


# Birth certificate (giấy khai sinh, bản chính; BRIEF §4.5) -----------------------------------
# (hospital, old ward + district, new ward): addresses are written in the form in force on the
# registration date (3-level before 1/7/2025, 2-level after).
GKS_HOSPITALS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "001": (
        ("Bệnh viện Phụ sản Hà Nội", "phường Ngọc Khánh, quận Ba Đình", "phường Giảng Võ"),
        ("Bệnh viện Phụ sản Trung ương", "phường Hàng Bông, quận Hoàn Kiếm", "phường Cửa Nam"),
    ),
    "079": (
        ("Bệnh viện Từ Dũ", "phường Phạm Ngũ Lão, Quận 1", "phường Cầu Ông Lãnh"),
        ("Bệnh viện Hùng Vương", "Phường 12, Quận 5", "phường Chợ Lớn"),
    ),
}
REFORM_DAY = date(2025, 7, 1)


def render_giay_khai_sinh(
    person: Person,
    rng: random.Random,
    family: str | None = None,
    *,
    handwriting: float = 0.0,
    hand_rng: random.Random | None = None,
) -> Rendered:
    """Birth certificate of `person`'s child (person is a parent and the one who registered it)."""
    return fit_retry(
        _render_giay_khai_sinh,
        person,
        rng=rng,
        family=family,
        handwriting=handwriting,
        hand_seed=hand_seed(rng, hand_rng, handwriting),
    )


def _render_giay_khai_sinh(
    person: Person,
    *,
    rng: random.Random,
    family: str | None,
    shrink: int,
    handwriting: float = 0.0,
    hand_seed: int | None = None,
) -> Rendered:
    family = family or pick_family(rng, A4_FAMILIES)
    hand = HandFill(handwriting, hand_seed)
    c = Canvas(W, 3508)
    font, lead = _body(family, rng, shrink)
    other = make_person(
        random.Random(rng.randrange(2**32)),
        male=not person.male,
        birth_range=(person.birth.year - 4, min(person.birth.year + 3, 2004)),
    )
    father, mother = (person, other) if person.male else (other, person)
    earliest = min(max(date(2010, 1, 1), date(max(father.birth.year, mother.birth.year) + 18, 6, 1)), date(2025, 1, 1))
    birth = random_date(rng, earliest, date(2025, 10, 15))
    registered = birth + timedelta(days=rng.randint(1, 60))
    child = make_person(
        random.Random(rng.randrange(2**32)), birth_range=(birth.year, birth.year), surname=father.surname
    )
    city = _city_code(person)
    child_id = make_id12(rng, city, birth.year, child.male)  # PPP = province where the birth is registered
    new_style = registered >= REFORM_DAY
    addr = person.address

    def where(a: Address) -> str:
        return a.new_full if new_style else a.old_full

    # --- header ----------------------------------------------------------------------------
    graphics.emblem(c.image, W // 2, TOP + 20, 100)
    y = national_header(c, W / 2, TOP + 230, family)
    c.text(W / 2, y + 30, "GIẤY KHAI SINH", FontSpec(family, "B", pt(20)), align="center")
    c.text(W / 2, y + 30 + round(pt(20) * 1.2), "(Bản chính)", font.with_(style="I"), align="center")
    y += 30 + round(pt(20) * 1.2) + round(lead * 1.6)
    hand.labelled(c, LEFT, y, "Số:", str(rng.randint(1, 480)), font, field_name="so_giay_khai_sinh")
    hand.labelled(
        c, W // 2 + 300, y, "Quyển số:", f"{rng.randint(1, 3):02d}/{registered.year}", font, field_name="quyen_so"
    )
    y += round(lead * 1.4)

    # --- the child -------------------------------------------------------------------------
    y = hand.labelled_wrapped(
        c, LEFT, RIGHT, y, "Họ, chữ đệm, tên:", child.full_name.upper(), font, lead, field_name="ho_va_ten"
    )
    y = hand.labelled_wrapped(
        c, LEFT, RIGHT, y, "Ngày, tháng, năm sinh:", ddmmyyyy(birth), font, lead, field_name="ngay_sinh"
    )
    y = hand.labelled_wrapped(
        c, LEFT + 100, RIGHT, y, "ghi bằng chữ:", date_words(birth), font, lead, field_name="ngay_sinh_bang_chu"
    )
    x = LEFT
    for label, value, name in (
        ("Giới tính:", child.sex, "gioi_tinh"),
        ("Dân tộc:", father.ethnicity, "dan_toc"),
        ("Quốc tịch:", "Việt Nam", "quoc_tich"),
    ):
        box = hand.labelled(c, x, y, label, value, font, field_name=name)
        x = max(box[2] + 90, x + 560)
    y += lead
    hospital, old_unit, new_ward = rng.choice(GKS_HOSPITALS[city])
    birthplace = f"{hospital}, {new_ward if new_style else old_unit}, {addr.province}"
    y = hand.labelled_wrapped(c, LEFT, RIGHT, y, "Nơi sinh:", birthplace, font, lead, field_name="noi_sinh")
    y = hand.labelled_wrapped(c, LEFT, RIGHT, y, "Quê quán:", father.hometown.full, font, lead, field_name="que_quan")
    y = hand.labelled_wrapped(
        c, LEFT, RIGHT, y, "Số định danh cá nhân:", child_id, font, lead, field_name="so_dinh_danh"
    )

    # --- the parents -----------------------------------------------------------------------
    for role, parent, key in (("mẹ", mother, "me"), ("cha", father, "cha")):
        y += lead // 4
        y = hand.labelled_wrapped(
            c,
            LEFT,
            RIGHT,
            y,
            f"Họ, chữ đệm, tên người {role}:",
            parent.full_name.upper(),
            font,
            lead,
            field_name=f"ho_ten_{key}",
        )
        x = LEFT
        for label, value, name in (
            ("Năm sinh:", str(parent.birth.year), f"nam_sinh_{key}"),
            ("Dân tộc:", parent.ethnicity, f"dan_toc_{key}"),
            ("Quốc tịch:", "Việt Nam", f"quoc_tich_{key}"),
        ):
            box = hand.labelled(c, x, y, label, value, font, field_name=name)
            x = max(box[2] + 90, x + 560)
        y += lead
        home = where(addr) if parent is person or rng.random() < 0.85 else where(make_address(rng))
        y = hand.labelled_wrapped(c, LEFT, RIGHT, y, "Nơi cư trú:", home, font, lead, field_name=f"noi_cu_tru_{key}")

    # --- registration ----------------------------------------------------------------------
    y += lead // 4
    if person.old_cmnd and registered < person.card_issue:
        papers = f"Chứng minh nhân dân số {person.old_cmnd}"
    else:
        papers = f"Căn cước công dân số {person.id12}"
    y = hand.labelled_wrapped(
        c,
        LEFT,
        RIGHT,
        y,
        "Họ, chữ đệm, tên người đi khai sinh:",
        person.full_name.upper(),
        font,
        lead,
        field_name="ho_ten_nguoi_di_khai_sinh",
    )
    y = hand.labelled_wrapped(c, LEFT, RIGHT, y, "Giấy tờ tùy thân:", papers, font, lead, field_name="giay_to_tuy_than")
    if new_style:
        registrar = f"Ủy ban nhân dân {addr.new_ward}, {addr.province}"
    else:
        registrar = f"Ủy ban nhân dân {addr.old_ward}, {addr.old_district}, {addr.province}"
    y = hand.labelled_wrapped(
        c, LEFT, RIGHT, y, "Nơi đăng ký khai sinh:", registrar, font, lead, field_name="noi_dang_ky_khai_sinh"
    )
    y = hand.labelled_wrapped(
        c, LEFT, RIGHT, y, "Ngày, tháng, năm đăng ký:", ddmmyyyy(registered), font, lead, field_name="ngay_dang_ky"
    )

    # --- signer (official: typed, sealed) ----------------------------------------------------
    y += round(lead * 0.8)
    cx = (W + LEFT) // 2 + 250
    signer = make_person(random.Random(rng.randrange(2**32)), birth_range=(1966, 1982))
    title = rng.choice(("Chủ tịch", "Phó Chủ tịch", "Phó Chủ tịch"))
    graphics.seal(c.image, cx - 170, y + 300, 150)
    end = signature_block(
        c,
        cx,
        y,
        "NGƯỜI KÝ GIẤY KHAI SINH",
        "(Ký, ghi rõ họ, chữ đệm, tên, chức vụ và đóng dấu)",
        signer.full_name,
        family,
        rng,
        size=font.size,
    )
    c.text(cx, end - round(font.size * 0.2), title, font, align="center")
    if end + lead >= 3508 - 60:
        raise LayoutOverflow("giay_khai_sinh layout overflow")
    return Rendered([c], family, hand.extra())
