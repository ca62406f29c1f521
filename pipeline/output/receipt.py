"""The receipt a citizen takes home: *Giấy tiếp nhận hồ sơ và hẹn trả kết quả*.

Form 01 of Appendix I of Circular 03/2025/TT-VPCP (the same title as form 01 of Circular
01/2018/TT-VPCP): the receiving unit and the national motto, the title, the dossier code with
a QR code beside it, the applicant, the procedure, the documents received with their page
counts, the processing time, when the dossier was received and when the result is due, where
it will be returned, and the two signature blocks. The QR code opens the citizen's public
look-up of the dossier (its link, with the look-up key printed under the code as "Mã tra
cứu"); a receipt without a link holds the dossier code itself.

The sheet, its header, fields and signatures are those of every form (`pipeline.output.forms`).

Pure: data in, PDF bytes out; the only files read are the TrueType fonts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from fpdf.enums import Align, XPos, YPos

from pipeline.output.forms import (
    BLANK,
    DEFAULT_FONTS,
    FAMILY,
    PAPERS,
    VIETNAM,
    Sheet,
    SheetInfo,
    Signature,
    field,
    font_files,
    header,
    line_height,
    new_sheet,
    note,
    numbered,
    paper_size,
    qr,
    render_numbered,
    signatures,
    vietnamese_date,
    vietnamese_time,
)
from pipeline.text import nfc

__all__ = [
    "DEFAULT_FONTS", "PAPERS", "TITLE", "ReceiptData", "ReceiptDocument", "processing_time_text", "render_receipt",
    "vietnamese_date", "vietnamese_time",
]  # fmt: skip

TITLE = "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"
# mm on A4, quiet zone included: a look-up link of ~90 characters still reads from an A5 print
# scanned at 150 dpi (tests/test_receipt.py).
_QR_SIZE = 24.0


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
    lookup_url: str | None = None  # the public look-up page the QR code opens (intake.lookup.lookup_url)
    lookup_key: str | None = None  # printed as "Mã tra cứu", for a citizen typing the look-up by hand


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
    size = paper_size(paper)
    files = font_files(fonts)
    _check(data)
    code = nfc(data.dossier_code)
    info = SheetInfo(f"{TITLE.capitalize()} - {code}", nfc(data.procedure_name), data.received_at, f"Mã hồ sơ: {code}")

    def draw(total_pages: int | None) -> Sheet:
        pdf = new_sheet(size, files, info, total_pages)
        header(pdf, data.center_name, data.service_point_name)
        _title(pdf, data)
        _body(pdf, data)
        signatures(
            pdf,
            (
                Signature(0, "NGƯỜI NỘP HỒ SƠ", data.applicant_name),
                Signature(1, "NGƯỜI TIẾP NHẬN HỒ SƠ", data.clerk_name),
            ),
        )
        return pdf

    return render_numbered(draw)


def _check(data: ReceiptData) -> None:
    if data.received_at.tzinfo is None or data.received_at.utcoffset() is None:
        raise ValueError("received_at must be timezone-aware")
    if not nfc(data.dossier_code):
        raise ValueError("the dossier code is empty")
    processing_time_text(data.processing_days)
    for document in data.documents:
        if document.pages < 0:
            raise ValueError(f"document {document.name!r}: pages must not be negative, got {document.pages}")


def _title(pdf: Sheet, data: ReceiptData) -> None:
    """The title, "Mã hồ sơ" and "Mã tra cứu", centred; the QR code at the right margin beside
    them, or centred under them when the lines are too wide to leave it room."""
    s = pdf.scale
    code = nfc(data.dossier_code)
    top = pdf.get_y()
    qr_size = _QR_SIZE * s
    pdf.set_font(FAMILY, "B", 14 * s)
    widths = [pdf.get_string_width(TITLE)]
    pdf.multi_cell(pdf.epw, line_height(pdf, 14), TITLE, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1 * s)
    code_line = f"Mã hồ sơ: {code}"
    pdf.set_font(FAMILY, "B", 13 * s)
    widths.append(pdf.get_string_width(code_line))
    pdf.multi_cell(pdf.epw, line_height(pdf, 13), code_line, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if data.lookup_key:
        key_line = f"Mã tra cứu: {nfc(data.lookup_key)}"
        pdf.set_font(FAMILY, "", 12 * s)
        widths.append(pdf.get_string_width(key_line))
        pdf.multi_cell(pdf.epw, line_height(pdf, 12), key_line, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    text_end = pdf.get_y()
    symbol_text = nfc(data.lookup_url) if data.lookup_url else code
    room = pdf.epw / 2 - max(widths) / 2 - 3 * s
    if room >= qr_size:
        # Centre the symbol on the lines; its quiet zone may reach above them.
        qr_top = max(top + (text_end - top - qr_size) / 2, top - 6 * s)
        qr(pdf, symbol_text, pdf.l_margin + pdf.epw - qr_size, qr_top, qr_size)
        pdf.set_y(max(text_end, qr_top + qr_size) + 2 * s)
    else:
        qr(pdf, symbol_text, pdf.l_margin + (pdf.epw - qr_size) / 2, text_end, qr_size)
        pdf.set_y(text_end + qr_size + 2 * s)


def _body(pdf: Sheet, data: ReceiptData) -> None:
    s = pdf.scale
    lh = line_height(pdf, 13)
    pdf.set_font(FAMILY, "", 13 * s)
    pdf.set_x(pdf.l_margin)
    pdf.write(lh, f"{nfc(data.service_point_name)} tiếp nhận hồ sơ của:")
    pdf.ln(lh)
    pdf.set_y(pdf.get_y() + 0.6 * s)
    field(pdf, "Ông/Bà:", nfc(data.applicant_name), bold=True, lh=lh)
    field(pdf, "Địa chỉ:", nfc(data.applicant_address or "") or BLANK, lh=lh)
    field(pdf, "Số điện thoại:", nfc(data.applicant_phone or "") or BLANK, lh=lh)
    procedure = f"{nfc(data.procedure_name)} (mã thủ tục: {nfc(data.procedure_code)})"
    field(pdf, "Nội dung yêu cầu giải quyết:", procedure, lh=lh)
    field(pdf, "Thành phần hồ sơ nộp gồm:", "" if data.documents else "(không có)", lh=lh)
    numbered(pdf, [f"{nfc(d.name)} ({nfc(d.copies)}, {d.pages} trang)" for d in data.documents], lh)
    field(pdf, "Số lượng hồ sơ:", "01 (bộ)", lh=lh)
    field(pdf, "Thời gian giải quyết hồ sơ theo quy định là:", processing_time_text(data.processing_days), lh=lh)
    received = data.received_at.astimezone(VIETNAM)
    field(pdf, "Thời gian nhận hồ sơ:", f"{vietnamese_time(received)}, {vietnamese_date(received.date())}", lh=lh)
    due = vietnamese_date(data.appointment)
    if data.appointment_time is not None:
        due = f"{vietnamese_time(data.appointment_time)}, {due}"
    field(pdf, "Thời gian trả kết quả giải quyết hồ sơ:", due, bold=True, lh=lh)
    field(pdf, "Đăng ký nhận kết quả tại:", nfc(data.return_channel), lh=lh)
    if data.missing_reason and nfc(data.missing_reason):
        note(
            pdf,
            f"Ghi chú: Hồ sơ được tiếp nhận khi còn thiếu thành phần hồ sơ bắt buộc. Lý do: {nfc(data.missing_reason)}",
        )
