"""The receipt a citizen takes home: *Giấy tiếp nhận hồ sơ và hẹn trả kết quả*.

Form 01 of Appendix I of Circular 03/2025/TT-VPCP (the same title as form 01 of Circular
01/2018/TT-VPCP): the receiving unit and the national motto, the title, the dossier code with
a QR code of it, the applicant, the procedure, the documents received with their page counts,
the processing time, when the dossier was received and when the result is due, where it will
be returned, and the two signature blocks.

Laid out the way Decree 30/2020 styles administrative documents: a Times-metric serif
(Liberation Serif, embedded as a subset so that every tone mark survives), the unit's name in
capitals on the left, the motto on the right, dates as "ngày 05 tháng 02 năm 2025" (the day
and months 1-2 zero-padded). A4 by default; on A5 everything scales by the same factor.

Pure: data in, PDF bytes out; the only files read are the TrueType fonts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import segno
from fpdf import FPDF
from fpdf.enums import Align, MethodReturnValue, XPos, YPos

from pipeline.text import nfc

TITLE = "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"
NATIONAL_TITLE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
PRODUCER = "Số Hóa"

# Liberation Serif has Times New Roman's metrics, the typeface of Vietnamese administrative
# documents. The v2 files (fonts-liberation2) cover all 134 Vietnamese letters; the v1 files
# in .../truetype/liberation/ lack ơ, ư, ạ ... and would print empty boxes.
_LIBERATION2 = Path("/usr/share/fonts/truetype/liberation2")
DEFAULT_FONTS: Mapping[str, Path] = {
    "": _LIBERATION2 / "LiberationSerif-Regular.ttf",
    "B": _LIBERATION2 / "LiberationSerif-Bold.ttf",
    "I": _LIBERATION2 / "LiberationSerif-Italic.ttf",
}
PAPERS: Mapping[str, tuple[float, float]] = {"A4": (210.0, 297.0), "A5": (148.0, 210.0)}

_FAMILY = "receipt-serif"
_PT = 25.4 / 72  # millimetres per point
_BLANK = "…" * 24  # a field left for the clerk to fill in by hand
# Sizes on A4 (mm and pt); every one is multiplied by page width / 210.
_MARGINS = (20.0, 15.0, 15.0, 15.0)  # left, top, right, bottom
_QR_SIZE = 24.0  # mm, quiet zone included
_QR_QUIET = 4  # modules of white around the symbol (ISO/IEC 18004)
_SIGN_SPACE = 24.0  # mm left blank for the signatures


@dataclass(frozen=True, slots=True)
class ReceiptDocument:
    """A document received, as listed under "Thành phần hồ sơ nộp gồm"."""

    name: str
    pages: int
    copies: str = "bản sao"  # or "bản chính"


@dataclass(frozen=True, slots=True)
class ReceiptData:
    dossier_code: str
    center_name: str  # the receiving unit: "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG THÀNH PHỐ HÀ NỘI"
    service_point_name: str  # "Điểm tiếp nhận phường Hoàn Kiếm"
    applicant_name: str
    applicant_address: str | None
    applicant_phone: str | None
    procedure_code: str
    procedure_name: str
    documents: tuple[ReceiptDocument, ...]
    processing_days: int  # working days; 0 = the same day
    received_at: datetime  # timezone-aware; printed in Vietnam time
    appointment: date  # when the result is due
    appointment_time: time | None  # None: the date alone is printed
    clerk_name: str
    missing_reason: str | None = None  # printed as a note: received with a required document missing
    return_channel: str = "Bộ phận Một cửa"


def vietnamese_date(day: date) -> str:
    """ "ngày 05 tháng 02 năm 2025", "ngày 15 tháng 3 năm 2025": Decree 30/2020 zero-pads the
    day below 10 and the months 1 and 2 (so that "tháng 1" cannot be turned into "tháng 11")."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def vietnamese_time(moment: time | datetime) -> str:
    """ "09 giờ 05 phút"."""
    return f"{moment.hour:02d} giờ {moment.minute:02d} phút"


def processing_time_text(days: int) -> str:
    """The processing time as the form states it: "5 ngày làm việc", or "trong ngày"."""
    if days < 0:
        raise ValueError(f"processing_days must not be negative, got {days}")
    return "trong ngày" if days == 0 else f"{days} ngày làm việc"


def render_receipt(data: ReceiptData, *, paper: str = "A4", fonts: Mapping[str, Path] | None = None) -> bytes:
    """The receipt as PDF bytes: `paper` "A4" or "A5"; `fonts` maps the styles "", "B", "I" to
    TrueType files (Liberation Serif by default).

    The same data give the same bytes (the only date written is `received_at`). Raises
    ValueError for an unknown paper size, a naive `received_at`, an empty dossier code or a
    negative count; FileNotFoundError, naming the file, when a font is missing.
    """
    size = PAPERS.get(paper.upper())
    if size is None:
        raise ValueError(f"paper must be one of {', '.join(PAPERS)}, got {paper!r}")
    files = _font_files(fonts)
    _check(data)
    sheet = _draw(data, size, files, total_pages=None)
    if sheet.pages_count > 1:
        # Only a receipt that runs past one page needs "Trang 1/2" (the second pass lays out
        # the same lines: the footer lies in the bottom margin).
        sheet = _draw(data, size, files, total_pages=sheet.pages_count)
    return bytes(sheet.output())


def _font_files(fonts: Mapping[str, Path] | None) -> dict[str, Path]:
    chosen = {**DEFAULT_FONTS, **(fonts or {})}
    for style, path in chosen.items():
        if not Path(path).is_file():
            raise FileNotFoundError(
                f"TrueType font for the receipt (style {style or 'regular'!r}) not found: {path} "
                "(install the Debian package fonts-liberation2, or pass fonts=)"
            )
    return {style: Path(path) for style, path in chosen.items()}


def _check(data: ReceiptData) -> None:
    if data.received_at.tzinfo is None or data.received_at.utcoffset() is None:
        raise ValueError("received_at must be timezone-aware")
    if not nfc(data.dossier_code):
        raise ValueError("the dossier code is empty")
    processing_time_text(data.processing_days)
    for document in data.documents:
        if document.pages < 0:
            raise ValueError(f"document {document.name!r}: pages must not be negative, got {document.pages}")


class _Sheet(FPDF):
    """FPDF with the scale of the page and an optional footer ("Mã hồ sơ … - Trang 1/2")."""

    def __init__(self, size: tuple[float, float], scale: float, footer: str | None, total_pages: int | None) -> None:
        super().__init__(unit="mm", format=size)
        self.scale = scale
        self.footer_text = footer
        self.total_pages = total_pages

    def footer(self) -> None:
        if self.footer_text is None:
            return
        self.set_font(_FAMILY, "I", 9 * self.scale)
        self.set_xy(self.l_margin, self.h - 10.5 * self.scale)  # inside the bottom margin
        self.cell(
            self.epw, 4 * self.scale, f"{self.footer_text} - Trang {self.page_no()}/{self.total_pages}", align=Align.C
        )


def _draw(data: ReceiptData, size: tuple[float, float], fonts: Mapping[str, Path], total_pages: int | None) -> _Sheet:
    scale = size[0] / PAPERS["A4"][0]
    code = nfc(data.dossier_code)
    footer = None if total_pages is None else f"Mã hồ sơ: {code}"
    pdf = _Sheet(size, scale, footer, total_pages)
    left, top, right, bottom = (m * scale for m in _MARGINS)
    pdf.set_margins(left, top, right)
    pdf.set_auto_page_break(True, margin=bottom)
    pdf.c_margin = 0
    pdf.set_creation_date(data.received_at)
    pdf.set_title(f"{TITLE.capitalize()} - {code}")
    pdf.set_subject(nfc(data.procedure_name))
    pdf.set_lang("vi")
    pdf.set_producer(PRODUCER)
    pdf.set_creator(PRODUCER)
    for style, path in fonts.items():
        pdf.add_font(_FAMILY, style, str(path))
    pdf.add_page()
    _header(pdf, data)
    _title(pdf, code)
    _body(pdf, data)
    _signatures(pdf, data)
    return pdf


def _line_height(pdf: _Sheet, size: float, leading: float = 1.5) -> float:
    return size * pdf.scale * _PT * leading


def _header(pdf: _Sheet, data: ReceiptData) -> None:
    """The unit (capitals, the service point in bold) left; the national title and motto right;
    a short rule under each, as on every administrative document."""
    s = pdf.scale
    # The national title on one line, the rest of the width to the unit's (longer) name.
    pdf.set_font(_FAMILY, "B", 12 * s)
    right_w = min(pdf.get_string_width(NATIONAL_TITLE) + 3 * s, pdf.epw * 0.55)
    left_w = pdf.epw - right_w
    right_x = pdf.l_margin + left_w
    top = pdf.t_margin
    lh = _line_height(pdf, 12.5, 1.3)

    pdf.set_xy(pdf.l_margin, top)
    pdf.set_font(_FAMILY, "", 12 * s)
    pdf.multi_cell(left_w, lh, nfc(data.center_name).upper(), align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(_FAMILY, "B", 12 * s)
    unit = nfc(data.service_point_name).upper()
    pdf.multi_cell(left_w, lh, unit, align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
    rule = min(left_w * 0.4, pdf.get_string_width(unit))
    left_end = pdf.get_y() + 1.5 * s
    pdf.line(pdf.l_margin + (left_w - rule) / 2, left_end, pdf.l_margin + (left_w + rule) / 2, left_end)

    pdf.set_xy(right_x, top)
    pdf.set_font(_FAMILY, "B", 12 * s)
    pdf.multi_cell(right_w, lh, NATIONAL_TITLE, align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(_FAMILY, "B", 13 * s)
    pdf.multi_cell(right_w, lh, MOTTO, align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
    motto_w = pdf.get_string_width(MOTTO)
    right_end = pdf.get_y() + 1.5 * s
    pdf.line(right_x + (right_w - motto_w) / 2, right_end, right_x + (right_w + motto_w) / 2, right_end)
    pdf.set_xy(pdf.l_margin, max(left_end, right_end) + 9 * s)


def _title(pdf: _Sheet, code: str) -> None:
    """The title and "Mã hồ sơ", centred; the QR code of the dossier code at the right margin
    beside them, or centred under them when the lines are too wide to leave it room."""
    s = pdf.scale
    top = pdf.get_y()
    qr_size = _QR_SIZE * s
    pdf.set_font(_FAMILY, "B", 14 * s)
    title_w = pdf.get_string_width(TITLE)
    pdf.multi_cell(pdf.epw, _line_height(pdf, 14), TITLE, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1 * s)
    code_line = f"Mã hồ sơ: {code}"
    pdf.set_font(_FAMILY, "B", 13 * s)
    code_w = pdf.get_string_width(code_line)
    pdf.multi_cell(pdf.epw, _line_height(pdf, 13), code_line, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    text_end = pdf.get_y()
    room = pdf.epw / 2 - max(title_w, code_w) / 2 - 3 * s
    if room >= qr_size:
        # Centre the symbol on the two lines; its quiet zone may reach above them.
        qr_top = max(top + (text_end - top - qr_size) / 2, top - 6 * s)
        _qr(pdf, code, pdf.l_margin + pdf.epw - qr_size, qr_top, qr_size)
        pdf.set_y(max(text_end, qr_top + qr_size) + 2 * s)
    else:
        _qr(pdf, code, pdf.l_margin + (pdf.epw - qr_size) / 2, text_end, qr_size)
        pdf.set_y(text_end + qr_size + 2 * s)


def _qr(pdf: _Sheet, text: str, x: float, y: float, size: float) -> None:
    """The QR code as vector squares (sharp at any zoom and print resolution), each row's runs
    of dark modules drawn as one rectangle."""
    symbol = segno.make_qr(text, error="m")
    rows = [list(row) for row in symbol.matrix_iter(scale=1, border=0)]
    module = size / (len(rows) + 2 * _QR_QUIET)
    origin_x, origin_y = x + _QR_QUIET * module, y + _QR_QUIET * module
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            # A hair taller than a module: no white seam between rows when rasterised.
            pdf.rect(origin_x + start * module, origin_y + r * module, (c - start) * module, module * 1.02, style="F")


def _field(pdf: _Sheet, label: str, value: str, *, bold: bool = False, lh: float) -> None:
    """ "Label: value" as one paragraph; long values wrap back to the left margin."""
    s = pdf.scale
    pdf.set_x(pdf.l_margin)
    pdf.set_font(_FAMILY, "", 13 * s)
    pdf.write(lh, f"{label} ")
    pdf.set_font(_FAMILY, "B" if bold else "", 13 * s)
    pdf.write(lh, value)
    pdf.ln(lh)
    pdf.set_y(pdf.get_y() + 0.6 * s)


def _body(pdf: _Sheet, data: ReceiptData) -> None:
    s = pdf.scale
    lh = _line_height(pdf, 13)
    pdf.set_font(_FAMILY, "", 13 * s)
    pdf.set_x(pdf.l_margin)
    pdf.write(lh, f"{nfc(data.service_point_name)} tiếp nhận hồ sơ của:")
    pdf.ln(lh)
    pdf.set_y(pdf.get_y() + 0.6 * s)
    _field(pdf, "Ông/Bà:", nfc(data.applicant_name), bold=True, lh=lh)
    _field(pdf, "Địa chỉ:", nfc(data.applicant_address or "") or _BLANK, lh=lh)
    _field(pdf, "Số điện thoại:", nfc(data.applicant_phone or "") or _BLANK, lh=lh)
    procedure = f"{nfc(data.procedure_name)} (mã thủ tục: {nfc(data.procedure_code)})"
    _field(pdf, "Nội dung yêu cầu giải quyết:", procedure, lh=lh)
    _field(pdf, "Thành phần hồ sơ nộp gồm:", "" if data.documents else "(không có)", lh=lh)
    _documents(pdf, data.documents, lh)
    _field(pdf, "Số lượng hồ sơ:", "01 (bộ)", lh=lh)
    _field(pdf, "Thời gian giải quyết hồ sơ theo quy định là:", processing_time_text(data.processing_days), lh=lh)
    received = data.received_at.astimezone(VIETNAM)
    _field(pdf, "Thời gian nhận hồ sơ:", f"{vietnamese_time(received)}, {vietnamese_date(received.date())}", lh=lh)
    due = vietnamese_date(data.appointment)
    if data.appointment_time is not None:
        due = f"{vietnamese_time(data.appointment_time)}, {due}"
    _field(pdf, "Thời gian trả kết quả giải quyết hồ sơ:", due, bold=True, lh=lh)
    _field(pdf, "Đăng ký nhận kết quả tại:", nfc(data.return_channel), lh=lh)
    if data.missing_reason and nfc(data.missing_reason):
        pdf.set_font(_FAMILY, "I", 12 * s)
        note = (
            f"Ghi chú: Hồ sơ được tiếp nhận khi còn thiếu thành phần hồ sơ bắt buộc. Lý do: {nfc(data.missing_reason)}"
        )
        pdf.multi_cell(pdf.epw, _line_height(pdf, 12), note, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _documents(pdf: _Sheet, documents: tuple[ReceiptDocument, ...], lh: float) -> None:
    """ "1. Tờ khai đăng ký khai sinh (bản chính, 1 trang)", wrapped under its own text."""
    s = pdf.scale
    pdf.set_font(_FAMILY, "", 13 * s)
    indent = 8 * s
    number_w = pdf.get_string_width(f"{len(documents)}.") + 2 * s
    text_x = pdf.l_margin + indent + number_w
    for i, document in enumerate(documents, 1):
        if pdf.get_y() + lh > pdf.page_break_trigger:
            pdf.add_page()
        y = pdf.get_y()
        pdf.set_xy(pdf.l_margin + indent, y)
        pdf.cell(number_w - 2 * s, lh, f"{i}.", align=Align.R)
        pdf.set_xy(text_x, y)
        line = f"{nfc(document.name)} ({nfc(document.copies)}, {document.pages} trang)"
        pdf.multi_cell(pdf.epw - indent - number_w, lh, line, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(pdf.get_y() + 0.6 * s)


def _line_count(pdf: _Sheet, width: float, lh: float, text: str) -> int:
    """How many lines `text` takes in the current font at `width`."""
    lines = pdf.multi_cell(width, lh, text, dry_run=True, output=MethodReturnValue.LINES)
    assert isinstance(lines, list)
    return len(lines)


def _signatures(pdf: _Sheet, data: ReceiptData) -> None:
    """Applicant left, clerk right: the role in bold capitals, "(Ký và ghi rõ họ tên)", room to
    sign, the name. Kept together on one page."""
    s = pdf.scale
    column = pdf.epw / 2
    gutter = 3 * s  # each side of the middle: two long names never touch
    width = column - gutter
    lh = _line_height(pdf, 13)
    pdf.set_font(_FAMILY, "B", 13 * s)
    names = [nfc(data.applicant_name), nfc(data.clerk_name)]
    name_lines = max(_line_count(pdf, width, lh, n) for n in names)
    height = 4 * s + 2 * lh + _SIGN_SPACE * s + name_lines * lh
    if pdf.get_y() + height > pdf.page_break_trigger:
        pdf.add_page()
    top = pdf.get_y() + 4 * s
    for x, role, name in (
        (pdf.l_margin, "NGƯỜI NỘP HỒ SƠ", names[0]),
        (pdf.l_margin + column + gutter, "NGƯỜI TIẾP NHẬN HỒ SƠ", names[1]),
    ):
        pdf.set_xy(x, top)
        pdf.set_font(_FAMILY, "B", 13 * s)
        pdf.multi_cell(width, lh, role, align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font(_FAMILY, "I", 12 * s)
        pdf.multi_cell(width, lh, "(Ký và ghi rõ họ tên)", align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_xy(x, pdf.get_y() + _SIGN_SPACE * s)
        pdf.set_font(_FAMILY, "B", 13 * s)
        pdf.multi_cell(width, lh, name, align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
