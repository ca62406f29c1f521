"""The sheet the one-stop-shop forms are printed on (form 01, the receipt; form 02, the request
to supplement the dossier): one family of layouts, from the same appendix.

Laid out the way Decree 30/2020 styles administrative documents: a Times-metric serif
(Liberation Serif, embedded as a subset so that every tone mark survives), the unit's name in
capitals on the left, the national title and motto on the right, dates as "ngày 05 tháng 02
năm 2025" (the day and months 1-2 zero-padded). A4 by default; on A5 everything scales by the
same factor. A form that runs past one page is numbered "Mã hồ sơ … - Trang 1/2".

Pure: data in, PDF bytes out; the only files read are the TrueType fonts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import segno
from fpdf import FPDF
from fpdf.enums import Align, MethodReturnValue, XPos, YPos

from pipeline.text import nfc

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

FAMILY = "form-serif"
PT = 25.4 / 72  # millimetres per point
BLANK = "…" * 24  # a field left for the clerk to fill in by hand
# Sizes on A4 (mm and pt); every one is multiplied by page width / 210.
_MARGINS = (20.0, 15.0, 15.0, 15.0)  # left, top, right, bottom
_QR_QUIET = 4  # modules of white around the symbol (ISO/IEC 18004)
_SIGN_SPACE = 24.0  # mm left blank for the signatures


def vietnamese_date(day: date) -> str:
    """ "ngày 05 tháng 02 năm 2025", "ngày 15 tháng 3 năm 2025": Decree 30/2020 zero-pads the
    day below 10 and the months 1 and 2 (so that "tháng 1" cannot be turned into "tháng 11")."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def vietnamese_time(moment: time | datetime) -> str:
    """ "09 giờ 05 phút"."""
    return f"{moment.hour:02d} giờ {moment.minute:02d} phút"


def paper_size(paper: str) -> tuple[float, float]:
    size = PAPERS.get(paper.upper())
    if size is None:
        raise ValueError(f"paper must be one of {', '.join(PAPERS)}, got {paper!r}")
    return size


def font_files(fonts: Mapping[str, Path] | None) -> dict[str, Path]:
    """The TrueType files of the styles "", "B", "I" (Liberation Serif unless `fonts` says
    otherwise); FileNotFoundError, naming the file, when one is missing."""
    chosen = {**DEFAULT_FONTS, **(fonts or {})}
    for style, path in chosen.items():
        if not Path(path).is_file():
            raise FileNotFoundError(
                f"TrueType font for the form (style {style or 'regular'!r}) not found: {path} "
                "(install the Debian package fonts-liberation2, or pass fonts=)"
            )
    return {style: Path(path) for style, path in chosen.items()}


@dataclass(frozen=True, slots=True)
class SheetInfo:
    """What the PDF says about itself, and the footer of a form longer than a page."""

    title: str
    subject: str
    created: datetime  # timezone-aware: the form's only date in its metadata
    footer: str  # "Mã hồ sơ: …", followed by " - Trang 1/2"


class Sheet(FPDF):
    """FPDF with the scale of the page and an optional footer ("Mã hồ sơ … - Trang 1/2")."""

    def __init__(self, size: tuple[float, float], scale: float, footer: str | None, total_pages: int | None) -> None:
        super().__init__(unit="mm", format=size)
        self.scale = scale
        self.footer_text = footer
        self.total_pages = total_pages

    def footer(self) -> None:
        if self.footer_text is None:
            return
        self.set_font(FAMILY, "I", 9 * self.scale)
        self.set_xy(self.l_margin, self.h - 10.5 * self.scale)  # inside the bottom margin
        self.cell(
            self.epw, 4 * self.scale, f"{self.footer_text} - Trang {self.page_no()}/{self.total_pages}", align=Align.C
        )


def new_sheet(size: tuple[float, float], fonts: Mapping[str, Path], info: SheetInfo, total_pages: int | None) -> Sheet:
    """A first page with the margins, fonts and metadata of every form."""
    scale = size[0] / PAPERS["A4"][0]
    pdf = Sheet(size, scale, None if total_pages is None else info.footer, total_pages)
    left, top, right, bottom = (m * scale for m in _MARGINS)
    pdf.set_margins(left, top, right)
    pdf.set_auto_page_break(True, margin=bottom)
    pdf.c_margin = 0
    pdf.set_creation_date(info.created)
    pdf.set_title(info.title)
    pdf.set_subject(info.subject)
    pdf.set_lang("vi")
    pdf.set_producer(PRODUCER)
    pdf.set_creator(PRODUCER)
    for style, path in fonts.items():
        pdf.add_font(FAMILY, style, str(path))
    pdf.add_page()
    return pdf


def render_numbered(draw: Callable[[int | None], Sheet]) -> bytes:
    """The form as PDF bytes: drawn once; drawn again with "Trang 1/2" footers when it runs
    past one page (the second pass lays out the same lines: the footer lies in the margin)."""
    sheet = draw(None)
    if sheet.pages_count > 1:
        sheet = draw(sheet.pages_count)
    return bytes(sheet.output())


def line_height(pdf: Sheet, size: float, leading: float = 1.5) -> float:
    return size * pdf.scale * PT * leading


def header(pdf: Sheet, center_name: str, unit_name: str, dated: str | None = None) -> None:
    """The unit (capitals, the service point in bold) left; the national title and motto right;
    a short rule under each, as on every administrative document; `dated` ("Hà Nội, ngày …")
    in italics under the motto."""
    s = pdf.scale
    # The national title on one line, the rest of the width to the unit's (longer) name.
    pdf.set_font(FAMILY, "B", 12 * s)
    right_w = min(pdf.get_string_width(NATIONAL_TITLE) + 3 * s, pdf.epw * 0.55)
    left_w = pdf.epw - right_w
    right_x = pdf.l_margin + left_w
    top = pdf.t_margin
    lh = line_height(pdf, 12.5, 1.3)

    pdf.set_xy(pdf.l_margin, top)
    pdf.set_font(FAMILY, "", 12 * s)
    pdf.multi_cell(left_w, lh, nfc(center_name).upper(), align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "B", 12 * s)
    unit = nfc(unit_name).upper()
    pdf.multi_cell(left_w, lh, unit, align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
    rule = min(left_w * 0.4, pdf.get_string_width(unit))
    left_end = pdf.get_y() + 1.5 * s
    pdf.line(pdf.l_margin + (left_w - rule) / 2, left_end, pdf.l_margin + (left_w + rule) / 2, left_end)

    pdf.set_xy(right_x, top)
    pdf.set_font(FAMILY, "B", 12 * s)
    pdf.multi_cell(right_w, lh, NATIONAL_TITLE, align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "B", 13 * s)
    pdf.multi_cell(right_w, lh, MOTTO, align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
    motto_w = pdf.get_string_width(MOTTO)
    right_end = pdf.get_y() + 1.5 * s
    pdf.line(right_x + (right_w - motto_w) / 2, right_end, right_x + (right_w + motto_w) / 2, right_end)
    if dated:
        pdf.set_xy(right_x, right_end + 2 * s)
        pdf.set_font(FAMILY, "I", 13 * s)
        pdf.multi_cell(right_w, lh, nfc(dated), align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
        right_end = pdf.get_y()
    pdf.set_xy(pdf.l_margin, max(left_end, right_end) + 9 * s)


def qr(pdf: Sheet, text: str, x: float, y: float, size: float) -> None:
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


def field(pdf: Sheet, label: str, value: str, *, bold: bool = False, lh: float) -> None:
    """ "Label: value" as one paragraph; long values wrap back to the left margin."""
    s = pdf.scale
    pdf.set_x(pdf.l_margin)
    pdf.set_font(FAMILY, "", 13 * s)
    pdf.write(lh, f"{label} " if label else "")
    pdf.set_font(FAMILY, "B" if bold else "", 13 * s)
    pdf.write(lh, value)
    pdf.ln(lh)
    pdf.set_y(pdf.get_y() + 0.6 * s)


def numbered(pdf: Sheet, lines: Sequence[str], lh: float) -> None:
    """ "1. …", "2. …", each wrapped under its own text, indented under the paragraph above."""
    s = pdf.scale
    pdf.set_font(FAMILY, "", 13 * s)
    indent = 8 * s
    number_w = pdf.get_string_width(f"{len(lines)}.") + 2 * s
    text_x = pdf.l_margin + indent + number_w
    for i, line in enumerate(lines, 1):
        if pdf.get_y() + lh > pdf.page_break_trigger:
            pdf.add_page()
        y = pdf.get_y()
        pdf.set_xy(pdf.l_margin + indent, y)
        pdf.cell(number_w - 2 * s, lh, f"{i}.", align=Align.R)
        pdf.set_xy(text_x, y)
        pdf.multi_cell(pdf.epw - indent - number_w, lh, nfc(line), align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(pdf.get_y() + 0.6 * s)


def note(pdf: Sheet, text: str, size: float = 12) -> None:
    """A paragraph in italics across the page (a note under the form's fields), kept on one page."""
    pdf.set_font(FAMILY, "I", size * pdf.scale)
    lh = line_height(pdf, size)
    if pdf.get_y() + _line_count(pdf, pdf.epw, lh, nfc(text)) * lh > pdf.page_break_trigger:
        pdf.add_page()
    pdf.multi_cell(pdf.epw, lh, nfc(text), align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _line_count(pdf: Sheet, width: float, lh: float, text: str) -> int:
    """How many lines `text` takes in the current font at `width`."""
    lines = pdf.multi_cell(width, lh, text, dry_run=True, output=MethodReturnValue.LINES)
    assert isinstance(lines, list)
    return len(lines)


@dataclass(frozen=True, slots=True)
class Signature:
    """One signature block: its column (0 left, 1 right), the role and the name under it."""

    column: int
    role: str
    name: str


def signatures(pdf: Sheet, blocks: Sequence[Signature]) -> None:
    """Each block in its half of the page: the role in bold capitals, "(Ký và ghi rõ họ tên)",
    room to sign, the name. Kept together on one page."""
    s = pdf.scale
    column = pdf.epw / 2
    gutter = 3 * s  # each side of the middle: two long names never touch
    width = column - gutter
    lh = line_height(pdf, 13)
    pdf.set_font(FAMILY, "B", 13 * s)
    names = [nfc(b.name) for b in blocks]
    name_lines = max(_line_count(pdf, width, lh, n) for n in names)
    height = 4 * s + 2 * lh + _SIGN_SPACE * s + name_lines * lh
    if pdf.get_y() + height > pdf.page_break_trigger:
        pdf.add_page()
    top = pdf.get_y() + 4 * s
    for block, name in zip(blocks, names, strict=True):
        x = pdf.l_margin + (column + gutter if block.column else 0)
        pdf.set_xy(x, top)
        pdf.set_font(FAMILY, "B", 13 * s)
        pdf.multi_cell(width, lh, nfc(block.role), align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font(FAMILY, "I", 12 * s)
        pdf.multi_cell(width, lh, "(Ký và ghi rõ họ tên)", align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_xy(x, pdf.get_y() + _SIGN_SPACE * s)
        pdf.set_font(FAMILY, "B", 13 * s)
        pdf.multi_cell(width, lh, name, align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
