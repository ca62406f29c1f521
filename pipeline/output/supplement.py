"""The request to supplement a dossier the citizen takes home: *Phiếu yêu cầu bổ sung, hoàn
thiện hồ sơ*.

Form 02 of the same appendix as the receipt (form 01): Appendix I of Circular 03/2025/TT-VPCP,
form 02 of Circular 01/2018/TT-VPCP before it. The official layouts were not read (see
docs/DOMAIN.md and ../shared/domain/BRIEF.md, §1.3: the content below is that of widely
reproduced templates, *unconfirmed*): the receiving unit and the national motto with the place
and date, the title, the dossier code, whose dossier and for which procedure, when it was
received, "Yêu cầu hoàn thiện hồ sơ gồm những nội dung sau:" with what to add or correct, one
per line, the reason, whom to ask, and the signature of the person who gives the guidance
("NGƯỜI HƯỚNG DẪN").

The sheet, its header, fields and signature are the receipt's (`pipeline.output.forms`).

Pure: data in, PDF bytes out; the only files read are the TrueType fonts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from fpdf.enums import Align, XPos, YPos

from pipeline.output.forms import (
    BLANK,
    FAMILY,
    VIETNAM,
    Sheet,
    SheetInfo,
    Signature,
    field,
    font_files,
    header,
    line_height,
    new_sheet,
    numbered,
    paper_size,
    render_numbered,
    signatures,
    vietnamese_date,
    vietnamese_time,
)
from pipeline.text import nfc

TITLE = "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ"


@dataclass(frozen=True, slots=True)
class SupplementData:
    dossier_code: str
    center_name: str  # the receiving unit
    service_point_name: str  # where the citizen brings the papers back
    applicant_name: str
    applicant_address: str | None
    applicant_phone: str | None
    procedure_code: str
    procedure_name: str
    received_at: datetime  # timezone-aware: when the dossier was received
    items: tuple[str, ...]  # what to add or correct, one per line
    reason: str | None  # why (the reviewer's note)
    requested_at: datetime  # timezone-aware: the date the form is dated
    guide_name: str  # who gives the guidance and signs ("NGƯỜI HƯỚNG DẪN")
    place: str | None = None  # the locality before the date: "Hà Nội, ngày …"


def render_supplement_request(
    data: SupplementData, *, paper: str = "A4", fonts: Mapping[str, Path] | None = None
) -> bytes:
    """Form 02 as PDF bytes (`paper` "A4" or "A5"); the same data give the same bytes.
    ValueError for an unknown paper, a naive time, an empty code or no item."""
    size = paper_size(paper)
    files = font_files(fonts)
    _check(data)
    code = nfc(data.dossier_code)
    info = SheetInfo(f"{TITLE.capitalize()} - {code}", nfc(data.procedure_name), data.requested_at, f"Mã hồ sơ: {code}")
    requested = data.requested_at.astimezone(VIETNAM).date()
    dated = vietnamese_date(requested)
    dated = f"{nfc(data.place)}, {dated}" if data.place else dated[:1].upper() + dated[1:]

    def draw(total_pages: int | None) -> Sheet:
        pdf = new_sheet(size, files, info, total_pages)
        header(pdf, data.center_name, data.service_point_name, dated)
        _title(pdf, code)
        _body(pdf, data)
        signatures(pdf, (Signature(1, "NGƯỜI HƯỚNG DẪN", data.guide_name),))
        return pdf

    return render_numbered(draw)


def _check(data: SupplementData) -> None:
    for moment in (data.received_at, data.requested_at):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("received_at and requested_at must be timezone-aware")
    if not nfc(data.dossier_code):
        raise ValueError("the dossier code is empty")
    if not any(nfc(item).strip() for item in data.items):
        raise ValueError("a request to supplement lists at least one item")


def _title(pdf: Sheet, code: str) -> None:
    s = pdf.scale
    pdf.set_font(FAMILY, "B", 14 * s)
    pdf.multi_cell(pdf.epw, line_height(pdf, 14), TITLE, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1 * s)
    pdf.set_font(FAMILY, "B", 13 * s)
    pdf.multi_cell(
        pdf.epw, line_height(pdf, 13), f"Mã hồ sơ: {code}", align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.set_y(pdf.get_y() + 4 * s)


def _body(pdf: Sheet, data: SupplementData) -> None:
    lh = line_height(pdf, 13)
    field(pdf, "Hồ sơ của:", f"Ông/Bà {nfc(data.applicant_name)}", bold=True, lh=lh)
    field(pdf, "Địa chỉ:", nfc(data.applicant_address or "") or BLANK, lh=lh)
    field(pdf, "Số điện thoại:", nfc(data.applicant_phone or "") or BLANK, lh=lh)
    procedure = f"{nfc(data.procedure_name)} (mã thủ tục: {nfc(data.procedure_code)})"
    field(pdf, "Nội dung yêu cầu giải quyết:", procedure, lh=lh)
    received = data.received_at.astimezone(VIETNAM)
    field(pdf, "Thời gian nhận hồ sơ:", f"{vietnamese_time(received)}, {vietnamese_date(received.date())}", lh=lh)
    field(pdf, "Yêu cầu hoàn thiện hồ sơ gồm những nội dung sau:", "", lh=lh)
    numbered(pdf, [item for item in data.items if nfc(item).strip()], lh)
    if data.reason and nfc(data.reason).strip():
        field(pdf, "Lý do:", nfc(data.reason), lh=lh)
    contact = (
        "Trong quá trình hoàn thiện hồ sơ, nếu có vướng mắc, Ông/Bà liên hệ "
        f"{nfc(data.guide_name)}, {nfc(data.service_point_name)} để được hướng dẫn."
    )
    field(pdf, "", contact, lh=lh)
