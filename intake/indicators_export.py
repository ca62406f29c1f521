"""The dashboard's export (CSV and XLSX): one row per service point and one for the city, with
Vietnamese headers and the same rounded numbers in both files. The CSV is UTF-8 with a byte
order mark (Excel then reads the Vietnamese right), comma-separated, dates DD/MM/YYYY, numbers
with a decimal point; the XLSX holds typed cells (dates as dates shown DD/MM/YYYY, numbers as
numbers). Definitions: docs/INDICATORS.md."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from intake.indicators_schemas import DashboardPublic, FiguresBase

CITY = "Toàn thành phố"
DATE_FORMAT = "%d/%m/%Y"
Cell = str | int | float | date | None


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    value: Callable[[FiguresBase], int | float | None]
    number_format: str = "0"


def _percent(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


def _tenths(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _hundredths(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


COLUMNS: tuple[Column, ...] = (
    Column("Hồ sơ tiếp nhận", lambda f: f.received),
    Column("Tiếp nhận tại quầy", lambda f: f.received_by_channel.counter),
    Column("Tiếp nhận trực tuyến", lambda f: f.received_by_channel.online),
    Column("Tiếp nhận qua bưu chính", lambda f: f.received_by_channel.postal),
    Column("Số trang số hóa", lambda f: f.pages_digitized),
    Column("Tỷ lệ trường chấp nhận không cần kiểm tra (%)", lambda f: _percent(f.fields_unreviewed_share), "0.0"),
    Column("Số lần sửa trung bình mỗi hồ sơ", lambda f: _hundredths(f.corrections_per_dossier), "0.00"),
    Column("Hồ sơ đã bàn giao", lambda f: f.handed_over),
    Column("Thời gian tiếp nhận → bàn giao, trung vị (giờ)", lambda f: _tenths(f.handover_hours_p50), "0.0"),
    Column("Thời gian tiếp nhận → bàn giao, p95 (giờ)", lambda f: _tenths(f.handover_hours_p95), "0.0"),
    Column("Tỷ lệ bàn giao trước hạn (%)", lambda f: _percent(f.early_share), "0.0"),
    Column("Tỷ lệ bàn giao trước hạn, đúng hạn (%)", lambda f: _percent(f.on_time_share), "0.0"),
    Column("Tỷ lệ hồ sơ làn xanh (%)", lambda f: _percent(f.green_lane_share), "0.0"),
    Column("Hồ sơ quá hạn hiện nay", lambda f: f.overdue_now),
)
HEADERS = ("Mã điểm", "Điểm tiếp nhận", "Từ ngày", "Đến ngày", *(c.header for c in COLUMNS))


def rows(dashboard: DashboardPublic) -> list[list[Cell]]:
    """The export's rows under HEADERS: the service points, then the city."""
    period: list[Cell] = [dashboard.date_from, dashboard.date_to]
    out: list[list[Cell]] = []
    for point in dashboard.points:
        out.append([point.code, point.name, *period, *(c.value(point) for c in COLUMNS)])
    out.append(["", CITY, *period, *(c.value(dashboard.city) for c in COLUMNS)])
    return out


def filename(dashboard: DashboardPublic, extension: str) -> str:
    where = f"_{dashboard.service_point}" if dashboard.service_point else ""
    return f"bang-chi-so{where}_{dashboard.date_from.isoformat()}_{dashboard.date_to.isoformat()}.{extension}"


def to_csv(dashboard: DashboardPublic) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    for row in rows(dashboard):
        writer.writerow(["" if v is None else v.strftime(DATE_FORMAT) if isinstance(v, date) else v for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(dashboard: DashboardPublic) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has its sheet
    sheet.title = "Bảng chỉ số"
    sheet.append(list(HEADERS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    formats = ["@", "@", "DD/MM/YYYY", "DD/MM/YYYY", *(c.number_format for c in COLUMNS)]
    for row in rows(dashboard):
        sheet.append(row)
        for cell, number_format in zip(sheet[sheet.max_row], formats, strict=True):
            cell.number_format = number_format
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)  # the city's row
    sheet.freeze_panes = "C2"
    sheet.column_dimensions["A"].width = 14
    sheet.column_dimensions["B"].width = 44
    for index in range(3, len(HEADERS) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 16
    sheet.row_dimensions[1].height = 48
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
