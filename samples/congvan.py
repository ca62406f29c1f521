"""Công văn / quyết định of a People's Committee: two-column header, body, Nơi nhận, signer.

The same layout code makes the one-page scanned kinds (`cong_van`, `quyet_dinh`) and the 2-3
page born-digital text (`samples.pdfdoc`): pages are Canvas objects that also record drawing ops.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from samples import graphics
from samples.a4 import BOTTOM, LEFT, MOTTO, NATION, RIGHT, TOP, W, city_short, doc_date, signature_block
from samples.canvas import A4_PX, Box, Canvas, LayoutOverflow, Rendered, fit_retry, union
from samples.fonts import A4_FAMILIES, FontSpec, pick_family, pt
from samples.identity import make_address, make_person
from samples.words import formal_date

QD_SUBJECTS = (
    "Về việc phê duyệt danh sách hộ gia đình được hỗ trợ kinh phí sửa chữa nhà ở năm 2025",
    "Về việc thành lập Tổ công tác số hóa hồ sơ, kết quả giải quyết thủ tục hành chính",
    "Về việc công bố danh mục thủ tục hành chính tiếp nhận tại Trung tâm Phục vụ hành chính công",
    "Về việc ban hành Quy chế tiếp nhận, giải quyết hồ sơ trực tuyến trên địa bàn",
)
CV_SUBJECTS = (
    "V/v tăng cường công tác số hóa hồ sơ, kết quả giải quyết thủ tục hành chính",
    "V/v rà soát, cập nhật dữ liệu dân cư trên địa bàn",
    "V/v triển khai thu nhận hồ sơ cấp thẻ căn cước",
    "V/v báo cáo kết quả thực hiện Đề án 06 năm 2025",
)
BASIS = (
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025;",
    "Căn cứ Luật Cư trú ngày 13 tháng 11 năm 2020;",
    "Căn cứ Luật Căn cước ngày 27 tháng 11 năm 2023;",
    "Căn cứ Nghị định số 107/2021/NĐ-CP ngày 06 tháng 12 năm 2021 của Chính phủ sửa đổi, bổ sung một số "
    "điều của Nghị định số 61/2018/NĐ-CP về thực hiện cơ chế một cửa, một cửa liên thông trong giải quyết "
    "thủ tục hành chính;",
)
QD_ARTICLES = (
    "Điều 1. {action}, kèm theo Quyết định này.",
    "Điều 2. Quyết định này có hiệu lực kể từ ngày ký.",
    "Điều 3. Chánh Văn phòng HĐND và UBND {unit_lower}, Trưởng phòng Văn hóa - Xã hội, Giám đốc Trung tâm "
    "Phục vụ hành chính công và các cá nhân có liên quan chịu trách nhiệm thi hành Quyết định này./.",
)
QD_ACTIONS = {
    QD_SUBJECTS[0]: "Phê duyệt danh sách {n} hộ gia đình được hỗ trợ kinh phí sửa chữa nhà ở năm 2025 "
    "với tổng kinh phí {money} đồng (có danh sách chi tiết",
    QD_SUBJECTS[1]: "Thành lập Tổ công tác số hóa hồ sơ, kết quả giải quyết thủ tục hành chính gồm {n} thành "
    "viên (có danh sách",
    QD_SUBJECTS[2]: "Công bố danh mục {n} thủ tục hành chính tiếp nhận tại Trung tâm Phục vụ hành chính công "
    "(có danh mục",
    QD_SUBJECTS[3]: "Ban hành Quy chế tiếp nhận, giải quyết hồ sơ trực tuyến trên địa bàn (có Quy chế",
}
CV_POINTS = (
    "Tổ chức rà soát toàn bộ hồ sơ thủ tục hành chính đã tiếp nhận từ ngày 01/7/2025 đến nay; bảo đảm "
    "100% hồ sơ được số hóa và lưu trữ trên Hệ thống thông tin giải quyết thủ tục hành chính.",
    "Phân công cán bộ, công chức thực hiện việc quét, nhận dạng và đối chiếu thông tin trên giấy tờ với Cơ sở "
    "dữ liệu quốc gia về dân cư trước khi trả kết quả cho người dân.",
    "Kết quả số hóa phải bảo đảm rõ nét, đầy đủ các trang, đúng thứ tự; các trường thông tin bắt buộc như họ, "
    "chữ đệm và tên, ngày sinh, số định danh cá nhân phải được nhập chính xác.",
    "Định kỳ trước ngày 25 hằng tháng, các đơn vị tổng hợp kết quả thực hiện, gửi về Văn phòng HĐND và UBND "
    "{unit_lower} để theo dõi, báo cáo.",
    "Tăng cường tuyên truyền, hướng dẫn người dân sử dụng tài khoản định danh điện tử mức độ 2 khi nộp hồ sơ "
    "trực tuyến; hạn chế yêu cầu người dân xuất trình giấy tờ đã có trong cơ sở dữ liệu.",
    "Bố trí máy quét, máy tính có cấu hình phù hợp tại bộ phận Một cửa; kiểm tra chất lượng bản quét trước khi "
    "chuyển hồ sơ sang bộ phận chuyên môn giải quyết.",
    "Không yêu cầu công dân nộp bản sao giấy khai sinh, giấy xác nhận cư trú khi các thông tin này đã được "
    "khai thác từ Cơ sở dữ liệu quốc gia về dân cư.",
    "Hướng dẫn tổ dân phố rà soát, lập danh sách công dân chưa được cấp thẻ căn cước, người chưa kích hoạt "
    "tài khoản định danh điện tử để tổ chức thu nhận lưu động.",
    "Chủ động phối hợp với Công an {unit_lower} trong việc xác thực thông tin công dân, xử lý các trường hợp "
    "thông tin trên giấy tờ chưa thống nhất với dữ liệu dân cư.",
    "Lưu trữ bản điện tử của hồ sơ theo đúng thời hạn quy định; bảo đảm an toàn, bảo mật dữ liệu cá nhân "
    "của người dân trong quá trình khai thác, sử dụng.",
)
CV_SECTIONS = ("I. MỤC ĐÍCH, YÊU CẦU", "II. NỘI DUNG THỰC HIỆN", "III. TỔ CHỨC THỰC HIỆN")
CV_SECTION_TEXT = (
    "Nâng cao chất lượng, hiệu quả giải quyết thủ tục hành chính; giảm thời gian đi lại, chi phí cho người dân "
    "và doanh nghiệp; từng bước hình thành kho dữ liệu số phục vụ chỉ đạo, điều hành.",
    "Việc triển khai phải bảo đảm đúng quy định của pháp luật, thống nhất, đồng bộ; gắn trách nhiệm của người "
    "đứng đầu với kết quả thực hiện.",
    "Văn phòng HĐND và UBND {unit_lower} là đầu mối theo dõi, đôn đốc; tổng hợp khó khăn, vướng mắc, báo cáo "
    "Chủ tịch UBND {unit_lower} xem xét, chỉ đạo giải quyết.",
)


@dataclass(slots=True)
class Flow:
    """Pages that fill top to bottom; page numbers from page 2 on (Decree 30/2020)."""

    family: str
    size: int
    pages: list[Canvas] = field(default_factory=list)
    y: int = TOP

    def __post_init__(self) -> None:
        self.pages.append(Canvas(*A4_PX))

    @property
    def c(self) -> Canvas:
        return self.pages[-1]

    def ensure(self, height: int) -> None:
        if self.y + height > BOTTOM:
            self.pages.append(Canvas(*A4_PX))
            self.c.text(W / 2, TOP - 90, str(len(self.pages)), FontSpec(self.family, "", self.size), align="center")
            self.y = TOP + 40

    def paragraph(self, text: str, font: FontSpec, lead: int, *, indent: int = 118, justify: bool = True) -> None:
        lines = self.c.wrap(text, font, RIGHT - LEFT, RIGHT - LEFT - indent)
        for i, line in enumerate(lines):
            self.ensure(lead)
            x = LEFT + (indent if i == 0 else 0)
            if justify and i < len(lines) - 1 and " " in line:
                self.c.justified(x, RIGHT, self.y, line.split(" "), font)
            else:
                self.c.text(x, self.y, line, font)
            self.y += lead


def _issuer(rng: random.Random, city: str, ward: str) -> list[tuple[str, str]]:
    """Left-column name lines as (text, style)."""
    if rng.random() < 0.5:
        return [("ỦY BAN NHÂN DÂN", "B"), (city.upper(), "B")]
    return [("ỦY BAN NHÂN DÂN", "B"), (ward.upper(), "B")]


DOC_TYPES = ("cong_van", "quyet_dinh")


def render_cong_van(
    rng: random.Random, *, pages: int = 1, family: str | None = None, doc_type: str | None = None
) -> Rendered:
    """pages=1: one-page quyết định or công văn (8-20 body lines); pages=2|3: long công văn.

    doc_type None (the born-digital PDF's path, kept as it was): a one-page document is a quyết
    định or a công văn at random. doc_type "cong_van" / "quyet_dinh": exactly that type, and the
    signer is recorded too (fields nguoi_ky, chuc_vu_nguoi_ky)."""
    if doc_type is not None and doc_type not in DOC_TYPES:
        raise ValueError(f"doc_type must be one of {DOC_TYPES}")
    if doc_type == "quyet_dinh" and pages != 1:
        raise ValueError("a quyết định is one page here")
    return fit_retry(_render_cong_van, rng=rng, pages=pages, family=family, doc_type=doc_type)


def render_quyet_dinh(rng: random.Random, *, family: str | None = None) -> Rendered:
    return render_cong_van(rng, family=family, doc_type="quyet_dinh")


@dataclass(frozen=True, slots=True)
class _Letter:
    """What one công văn / quyết định says and in which type, drawn before any of it is laid out."""

    family: str
    size: int
    lead: int
    pages: int
    doc_type: str | None
    issuer: list[tuple[str, str]]
    unit: str  # "THÀNH PHỐ HÀ NỘI" / "PHƯỜNG KIM LIÊN"
    unit_lower: str  # how the body text names the unit: "phường Kim Liên" / "thành phố Hà Nội"
    city: str
    is_qd: bool
    by_chairman: bool
    number: int
    code: str
    when: date
    subject: str
    font: FontSpec
    bold: FontSpec  # body headings are told apart by this very object (`is`)
    ital: FontSpec


Body = list[tuple[str, FontSpec, bool]]  # (paragraph, font, justified)


def _draw_letter(rng: random.Random, pages: int, family: str | None, shrink: int, doc_type: str | None) -> _Letter:
    # The order of the rng calls is the content: keep it when changing this.
    family = family or pick_family(rng, A4_FAMILIES)
    size = pt((rng.choice((13, 14)) if pages == 1 else 14) - 0.5 * shrink)
    lead = round(size * rng.uniform(1.3, 1.45))
    addr = make_address(rng)
    city = addr.province
    ward = addr.new_ward
    issuer = _issuer(rng, city, ward)
    unit = issuer[1][0]
    unit_lower = ward if unit.startswith("PHƯỜNG") else city
    is_qd = pages == 1 and rng.random() < 0.5  # drawn whatever doc_type says: same stream after it
    if doc_type is not None:
        is_qd = doc_type == "quyet_dinh"
    # A quyết định is issued either by the Chủ tịch (signed in his own name) or by the committee
    # (signed "TM. ỦY BAN NHÂN DÂN"); the legacy path always wrote the former's heading.
    by_chairman = doc_type != "quyet_dinh" or rng.random() < 0.5
    number = rng.randint(12, 4890)
    code = "QĐ-UBND" if is_qd else rng.choice(("UBND-VP", "UBND-VHXH", "UBND"))
    when = doc_date(rng)
    subject = rng.choice(QD_SUBJECTS if is_qd else CV_SUBJECTS)
    font = FontSpec(family, "", size)
    return _Letter(
        family,
        size,
        lead,
        pages,
        doc_type,
        issuer,
        unit,
        unit_lower,
        city,
        is_qd,
        by_chairman,
        number,
        code,
        when,
        subject,
        font,
        font.with_(style="B"),
        font.with_(style="I"),
    )


def _draw_header(c: Canvas, letter: _Letter) -> int:
    """The two-column header: the whole left block, then the whole right block; returns the y below it."""
    family = letter.family
    nation_font = FontSpec(family, "B", pt(12.5))
    nation_w = c.length(NATION, nation_font)
    rcx = RIGHT - nation_w / 2 + 20
    lcx = LEFT + 330
    hsize = pt(13)
    y0 = TOP
    name_boxes: list[Box] = []
    for i, (text, style) in enumerate(letter.issuer):
        name_boxes.append(
            c.text(lcx, y0 + i * round(hsize * 1.3), text, FontSpec(family, style, hsize), align="center")
        )
    rule_y = name_boxes[-1][3] + 14
    c.hline(lcx - 120, lcx + 120, rule_y, width=3)
    c.field("co_quan_ban_hanh", " ".join(t for t, _ in letter.issuer), union(name_boxes))
    so_y = rule_y + round(hsize * 1.9)
    number_code = f"{letter.number}/{letter.code}"
    so_box = c.labelled(
        lcx - c.length(f"Số: {number_code}", FontSpec(family, "", hsize)) / 2,
        so_y,
        "Số:",
        number_code,
        FontSpec(family, "", hsize),
        field_name="so_ky_hieu",
    )
    left_bottom = so_box[3]
    if not letter.is_qd:  # công văn: the trích yếu sits under the number, in the left column
        vfont = FontSpec(family, "", pt(12))
        vv_lines = c.wrap(letter.subject, vfont, 760)
        boxes = [
            c.text(lcx, so_y + round(vfont.size * 1.5) + i * round(vfont.size * 1.25), line, vfont, align="center")
            for i, line in enumerate(vv_lines)
        ]
        c.field("trich_yeu", letter.subject, union(boxes))
        left_bottom = boxes[-1][3]
    c.text(rcx, y0, NATION, nation_font, align="center")
    motto = c.text(rcx, y0 + round(hsize * 1.3), MOTTO, FontSpec(family, "B", pt(13.5)), align="center")
    c.hline(motto[0], motto[2], motto[3] + 14, width=3)
    when = letter.when
    date_text = formal_date(city_short(letter.city), when)
    c.labelled(
        rcx - c.length(date_text, letter.ital) / 2,
        so_y,
        f"{city_short(letter.city)},",
        date_text.split(", ", 1)[1],
        letter.ital,
        field_name="ngay_ban_hanh",
    )
    c.fields["ngay_ban_hanh"]["value"] = f"{when.day:02d}/{when.month:02d}/{when.year}"
    return max(left_bottom, so_y)


def _quyet_dinh_title_and_body(rng: random.Random, flow: Flow, letter: _Letter, fill: dict[str, object]) -> Body:
    """Draws the title block (QUYẾT ĐỊNH, trích yếu, issuing authority); returns the body to lay out."""
    c, lead, ital = flow.c, letter.lead, letter.ital
    tfont = FontSpec(letter.family, "B", pt(14))
    c.text(W / 2, flow.y, "QUYẾT ĐỊNH", tfont, align="center")
    flow.y += lead
    boxes = []
    for line in c.wrap(letter.subject, tfont, RIGHT - LEFT - 300):
        boxes.append(c.text(W / 2, flow.y, line, tfont, align="center"))
        flow.y += lead
    c.field("trich_yeu", letter.subject, union(boxes))
    c.hline(W / 2 - 160, W / 2 + 160, boxes[-1][3] + 28, width=3)
    flow.y += round(lead * 0.6)
    unit = letter.unit
    authority = f"CHỦ TỊCH ỦY BAN NHÂN DÂN {unit}" if letter.by_chairman else f"ỦY BAN NHÂN DÂN {unit}"
    for line in c.wrap(authority, tfont, RIGHT - LEFT):
        c.text(W / 2, flow.y, line, tfont, align="center")
        flow.y += lead
    flow.y += lead // 3
    body: Body = [(b, ital, True) for b in rng.sample(BASIS, rng.randint(2, 3))]
    body.append(
        (f"Theo đề nghị của Trưởng phòng Văn hóa - Xã hội tại Tờ trình số {rng.randint(5, 300)}/TTr-VHXH.", ital, True)
    )
    body.append(("QUYẾT ĐỊNH:", letter.bold, False))
    action = QD_ACTIONS[letter.subject].format(**fill)
    body += [(a.format(action=action, **fill), letter.font, True) for a in QD_ARTICLES]
    return body


def _cong_van_points(rng: random.Random, letter: _Letter, fill: dict[str, object]) -> Body:
    """The numbered points: two or three on one page, in three headed sections on a long công văn."""
    font = letter.font
    if letter.pages == 1:
        points = rng.sample(CV_POINTS, rng.randint(2, 3))
        return [(f"{i}. {p.format(**fill)}", font, True) for i, p in enumerate(points, 1)]
    body: Body = []
    pool = rng.sample(CV_POINTS, len(CV_POINTS))
    per = [3, 4, 3] if letter.pages == 3 else [2, 3, 2]
    k = 0
    for s, (head, text) in enumerate(zip(CV_SECTIONS, CV_SECTION_TEXT, strict=True)):
        body.append((head, letter.bold, False))
        body.append((text.format(**fill), font, True))
        for _ in range(per[s] + (2 if letter.pages == 3 else 0)):
            body.append((f"{k % len(pool) + 1}. {pool[k % len(pool)].format(**fill)}", font, True))
            k += 1
    return body


def _cong_van_addressee_and_body(rng: random.Random, flow: Flow, letter: _Letter, fill: dict[str, object]) -> Body:
    """Draws the Kính gửi line; returns the body to lay out."""
    font, unit_lower = letter.font, letter.unit_lower
    recipient = rng.choice(("Các phòng chuyên môn thuộc UBND", "Trung tâm Phục vụ hành chính công", "Công an")) + (
        f" {unit_lower}" if letter.unit.startswith("PHƯỜNG") else " các phường, xã"
    )
    flow.c.labelled(
        W / 2 - flow.c.length(f"Kính gửi: {recipient}", font) / 2,
        flow.y,
        "Kính gửi:",
        recipient,
        font,
        field_name="kinh_gui",
    )
    flow.y += round(letter.lead * 1.5)
    intro = (
        f"Thực hiện Đề án phát triển ứng dụng dữ liệu về dân cư, định danh và xác thực điện tử phục vụ "
        f"chuyển đổi số quốc gia (Đề án 06), Ủy ban nhân dân {unit_lower} đề nghị các đơn vị triển khai "
        f"một số nội dung sau:"
    )
    body: Body = [(intro, font, True)]
    body += _cong_van_points(rng, letter, fill)
    body.append(
        (
            f"Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, đề nghị các đơn vị phản ánh kịp thời "
            f"về Văn phòng HĐND và UBND {unit_lower} để được hướng dẫn.",
            font,
            True,
        )
    )
    body.append((f"Ủy ban nhân dân {unit_lower} đề nghị các đơn vị nghiêm túc triển khai thực hiện./.", font, True))
    return body


def _body_line_count(c: Canvas, body: Body) -> int:
    return sum(len(c.wrap(t, f, RIGHT - LEFT, RIGHT - LEFT - 118)) for t, f, _ in body)


def _lay_out_body(flow: Flow, letter: _Letter, body: Body) -> None:
    lead = letter.lead
    if letter.pages == 1:  # keep 8-20 body lines: drop optional middle paragraphs if longer
        while _body_line_count(flow.c, body) > 20 and len(body) > 4:
            body.pop(1)
    for text, f, _justified in body:
        if f is letter.bold:  # "QUYẾT ĐỊNH:" (centred) and section headings (left)
            flow.ensure(lead)
            if text == "QUYẾT ĐỊNH:":
                flow.c.text(W / 2, flow.y, text, f, align="center")
            else:
                flow.c.text(LEFT, flow.y, text, f)
            flow.y += lead
            continue
        flow.paragraph(text, f, lead)
    flow.y += round(lead * 0.5)


def _draw_recipients_and_signer(rng: random.Random, flow: Flow, letter: _Letter) -> int:
    """Nơi nhận (left block) then the signer (right block); returns the y below the signature block."""
    flow.ensure(780)
    c = flow.c
    y = flow.y
    family, size, doc_type = letter.family, letter.size, letter.doc_type
    nn = FontSpec(family, "BI", pt(12))
    small = FontSpec(family, "", pt(11))
    c.text(LEFT, y, "Nơi nhận:", nn)
    recips = [
        "- Như Điều 3;" if letter.is_qd else "- Như trên;",
        f"- Chủ tịch UBND {letter.unit_lower};",
        "- Các Phó Chủ tịch UBND;",
        "- Lưu: VT, VP.",
    ]
    for i, r in enumerate(recips):
        c.text(LEFT, y + round(nn.size * 1.25) + i * round(small.size * 1.3), r, small)
    signer = make_person(random.Random(rng.randrange(2**32)), birth_range=(1966, 1980))
    deputy = rng.random() < 0.4
    scx = RIGHT - 430
    # A quyết định of the Chủ tịch is signed in his own name (no "TM."); a công văn or a quyết định
    # of the committee on its behalf. The legacy path (doc_type None) always printed "TM.".
    titles = [] if doc_type == "quyet_dinh" and letter.by_chairman else ["TM. ỦY BAN NHÂN DÂN"]
    titles += ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"] if deputy else ["CHỦ TỊCH"]
    offsets = (0, 1.3, 2.6)
    title_boxes = [
        c.text(scx, y + round(size * offsets[i]), t, letter.bold, align="center") for i, t in enumerate(titles[:-1])
    ]
    ty = y + round(size * offsets[len(titles) - 1])
    graphics.seal(c.image, scx - 120, ty + 190, 150)
    first_signer_line = len(c.lines)
    end = signature_block(c, scx, ty, titles[-1], None, signer.full_name, family, rng, size=size)
    if doc_type is not None:
        title_boxes.append(c.lines[first_signer_line]["box"])
        c.field("chuc_vu_nguoi_ky", " ".join(titles), union(title_boxes))
        c.field("nguoi_ky", signer.full_name, c.lines[first_signer_line + 1]["box"])
    return end


def _render_cong_van(
    *, rng: random.Random, pages: int, family: str | None, shrink: int, doc_type: str | None = None
) -> Rendered:
    letter = _draw_letter(rng, pages, family, shrink, doc_type)
    flow = Flow(letter.family, letter.size)
    flow.y = _draw_header(flow.c, letter) + round(letter.lead * 1.7)
    fill: dict[str, object] = {
        "unit_lower": letter.unit_lower,
        "n": rng.randint(6, 48),
        "money": f"{rng.randint(120, 980)}.{rng.randint(0, 999):03d}.000",
    }
    if letter.is_qd:
        body = _quyet_dinh_title_and_body(rng, flow, letter, fill)
    else:
        body = _cong_van_addressee_and_body(rng, flow, letter, fill)
    _lay_out_body(flow, letter, body)
    end = _draw_recipients_and_signer(rng, flow, letter)
    if end >= A4_PX[1] - 40 or (pages == 1 and len(flow.pages) > 1):
        raise LayoutOverflow("cong_van does not fit")
    return Rendered(flow.pages, letter.family)
