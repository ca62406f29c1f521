"""A dossier's history as its agency sees it: who received, digitized, reviewed, sent back,
resubmitted, approved, reopened, re-sent, acknowledged and reported which status, and when.

Nothing new is recorded for it: every entry is read from what the service already keeps (the
dossier row, its jobs and page results, the reviewers' edits, the supplement requests, the
status reports, the access log and the agency events). Staff are named by their accounts'
full names where they have one. The national sync export's QuaTrinhXuLy is this same list."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.claims import staff_names
from intake.context import IntakeContext
from intake.events import EventKind
from models.dossier import Channel, NationalStatus
from storage.agency_tables import AgencyEventRow
from storage.tables import (
    AccessLogRow,
    ComponentRow,
    DossierRow,
    FieldRow,
    JobRow,
    PageResultRow,
    PageRow,
    ReviewEditRow,
    StatusReportRow,
    SupplementRequestRow,
)

# The actions, in the order they happen when two share a time.
ACTIONS = (
    "received",
    "digitized",
    "reviewed",
    "sent_back",
    "resubmitted",
    "approved",
    "reopened",
    "resent",
    "acknowledged",
    "status_reported",
)
ACTION_LABELS = {
    "received": "Tiếp nhận hồ sơ",
    "digitized": "Số hóa, nhận dạng xong",
    "reviewed": "Kiểm tra kết quả số hóa",
    "sent_back": "Yêu cầu bổ sung, hoàn thiện hồ sơ",
    "resubmitted": "Công dân bổ sung, nộp lại hồ sơ",
    "approved": "Duyệt, chuyển cơ quan giải quyết",
    "reopened": "Mở lại hồ sơ để đính chính",
    "resent": "Đính chính xong, gửi lại gói hồ sơ",
    "acknowledged": "Cơ quan giải quyết xác nhận đã nhận",
    "status_reported": "Cơ quan giải quyết cập nhật trạng thái",
}
_FINISHED_JOBS = ("done", "failed")


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: datetime  # aware; shown in Vietnam time
    action: str  # one of ACTIONS
    by: str | None  # a user name, an agency code; None: the service itself (reading)
    unit: str | None  # the unit that acted: service point, center or agency, by name
    detail: str | None = None
    national_status: int | None = None  # TrangThaiHoSo after the step (filled by `dossier_history`)
    by_name: str | None = None


def dossier_history(ctx: IntakeContext, s: Session, row: DossierRow) -> list[HistoryEntry]:
    """Every step of `row`'s handling, in time order, each with the national status after it."""
    units = _Units(ctx, row)
    log = _access_log(s, row)
    entries: list[HistoryEntry] = []
    if row.received_at is not None:
        entries.append(HistoryEntry(row.received_at, "received", row.received_by, units.point))
    requests = s.scalars(
        select(SupplementRequestRow).where(SupplementRequestRow.dossier_id == row.id).order_by(SupplementRequestRow.id)
    ).all()
    entries += _supplements(requests, log.get("resubmit", []), units)
    entries += _readings(s, row, [r.resolved_at for r in requests if r.resolved_at is not None], units)
    events = s.scalars(
        select(AgencyEventRow).where(AgencyEventRow.dossier_id == row.id).order_by(AgencyEventRow.id)
    ).all()
    entries += _hand_overs(events, log.get("approve", []), units)
    entries += [HistoryEntry(a.at, "reopened", a.principal, units.center, a.detail) for a in log.get("reopen", [])]
    entries += [
        HistoryEntry(e.occurred_at, "acknowledged", row.agency_code, units.agency, _revision(e.data))
        for e in events
        if e.kind == EventKind.ACKNOWLEDGED.value
    ]
    entries += _status_reports(s, row, units)
    boundaries = sorted(e.at for e in entries if e.action in ("sent_back", "approved", "resent", "reopened"))
    entries += _reviews(s, row, boundaries, units)
    entries.sort(key=lambda e: (e.at, ACTIONS.index(e.action)))
    return _named(s, _with_statuses(row, entries))


class _Units:
    """The names of the units that act on a dossier: its service point, the center that
    receives for it, its agency."""

    def __init__(self, ctx: IntakeContext, row: DossierRow) -> None:
        point = ctx.organisation.service_points.get(row.service_point_code)
        self.point = point.point.name if point else row.service_point_code
        center = ctx.organisation.agencies.get(point.receiving_unit) if point else None
        self.center = center.name if center else self.point
        agency = ctx.organisation.agencies.get(row.agency_code)
        self.agency = agency.name if agency else row.agency_code


def _access_log(s: Session, row: DossierRow) -> dict[str, list[AccessLogRow]]:
    """The recorded actions that tell who approved, resubmitted and reopened, oldest first."""
    assert row.code is not None
    rows = s.scalars(
        select(AccessLogRow)
        .where(AccessLogRow.dossier_code == row.code, AccessLogRow.action.in_(("approve", "resubmit", "reopen")))
        .order_by(AccessLogRow.id)
    )
    found: dict[str, list[AccessLogRow]] = {}
    for entry in rows:
        found.setdefault(entry.action, []).append(entry)
    return found


def _supplements(
    requests: Iterable[SupplementRequestRow], resubmits: list[AccessLogRow], units: _Units
) -> list[HistoryEntry]:
    """Each send-back, and the resubmission that resolved it (by the clerk the access log names)."""
    entries, resolved = [], 0
    for request in requests:
        detail = "; ".join(request.items) + (f" — {request.note}" if request.note else "")
        entries.append(HistoryEntry(request.requested_at, "sent_back", request.requested_by, units.center, detail))
        if request.resolved_at is not None:
            clerk = resubmits[resolved].principal if resolved < len(resubmits) else None
            entries.append(HistoryEntry(request.resolved_at, "resubmitted", clerk, units.point))
            resolved += 1
    return entries


def _readings(s: Session, row: DossierRow, resubmitted: list[datetime], units: _Units) -> list[HistoryEntry]:
    """When the last page of each reading finished: the first reading starts at receipt, one more
    at each resubmission. The latest is told by the jobs (all finished); an earlier one by the
    page results first stored in its time (a page read before is not read again)."""
    if row.received_at is None:
        return []
    jobs = s.execute(select(JobRow.state, JobRow.updated_at).where(JobRow.dossier_id == row.id)).all()
    if not jobs:
        return []
    starts = [row.received_at, *sorted(resubmitted)]
    entries = []
    if len(starts) > 1:
        read_at = s.scalars(
            select(PageResultRow.created_at)
            .join(PageRow, PageRow.page_key == PageResultRow.page_key)
            .join(ComponentRow, ComponentRow.id == PageRow.component_id)
            .where(ComponentRow.dossier_id == row.id)
        ).all()
        for begin, end in zip(starts, starts[1:], strict=False):
            within = [t for t in read_at if begin <= t < end]
            if within:
                entries.append(HistoryEntry(max(within), "digitized", None, units.center))
    if all(state in _FINISHED_JOBS for state, _ in jobs):
        done = sum(1 for state, _ in jobs if state == "done")
        failed = len(jobs) - done
        detail = f"{done} trang đã đọc" + (f", {failed} trang lỗi" if failed else "")
        entries.append(HistoryEntry(max(at for _, at in jobs), "digitized", None, units.center, detail))
    return entries


def _revision(data: dict | None) -> str | None:
    revision = (data or {}).get("package_revision")
    return f"gói lần {revision}" if revision else None


def _hand_overs(events: Iterable[AgencyEventRow], approvals: list[AccessLogRow], units: _Units) -> list[HistoryEntry]:
    """Each approval: its time and package revision from its event, its reviewer from the access
    log (both are written in the approval's transaction, so the n-th of each go together)."""
    kinds = {EventKind.READY.value: "approved", EventKind.RESENT.value: "resent"}
    entries = []
    for index, event in enumerate(e for e in events if e.kind in kinds):
        reviewer = approvals[index].principal if index < len(approvals) else None
        entries.append(
            HistoryEntry(event.occurred_at, kinds[event.kind], reviewer, units.center, _revision(event.data))
        )
    return entries


def _status_reports(s: Session, row: DossierRow, units: _Units) -> list[HistoryEntry]:
    reports = s.scalars(
        select(StatusReportRow).where(StatusReportRow.dossier_id == row.id).order_by(StatusReportRow.id)
    ).all()
    entries = []
    for report in reports:
        status = NationalStatus(report.status)
        detail = f"{int(status)} ({status.label_vi})" + (f" — {report.note}" if report.note else "")
        entry = HistoryEntry(report.at, "status_reported", report.reported_by, units.agency, detail, int(status))
        entries.append(entry)
    return entries


def _reviews(s: Session, row: DossierRow, boundaries: list[datetime], units: _Units) -> list[HistoryEntry]:
    """One entry per reviewer per review round (rounds end at a send-back, an approval or a
    reopening): how many values they confirmed and corrected, from their first to last edit."""
    edits = s.execute(
        select(ReviewEditRow.reviewer, ReviewEditRow.action, ReviewEditRow.at)
        .join(FieldRow, FieldRow.id == ReviewEditRow.field_id)
        .join(ComponentRow, ComponentRow.id == FieldRow.component_id)
        .where(ComponentRow.dossier_id == row.id)
        .order_by(ReviewEditRow.at, ReviewEditRow.id)
    ).all()
    rounds: dict[tuple[int, str], list[tuple[str, datetime]]] = {}
    for reviewer, action, at in edits:
        rounds.setdefault((bisect_right(boundaries, at), reviewer), []).append((action, at))
    entries = []
    for (_, reviewer), done in rounds.items():
        confirmed = sum(1 for action, _ in done if action == "confirm")
        corrected = len(done) - confirmed
        first, last = done[0][1], done[-1][1]
        detail = f"{confirmed} giá trị xác nhận, {corrected} giá trị sửa; từ {first.isoformat()} đến {last.isoformat()}"
        entries.append(HistoryEntry(last, "reviewed", reviewer, units.center, detail))
    return entries


def _with_statuses(row: DossierRow, entries: list[HistoryEntry]) -> list[HistoryEntry]:
    """Each entry with the national status (TrangThaiHoSo) the dossier had after it."""
    status = int(NationalStatus.MOI_DANG_KY if row.channel == Channel.ONLINE.value else NationalStatus.DUOC_TIEP_NHAN)
    after = {"sent_back": int(NationalStatus.YEU_CAU_BO_SUNG), "resubmitted": int(NationalStatus.DUOC_TIEP_NHAN)}
    placed = []
    for entry in entries:
        if entry.national_status is not None:
            status = entry.national_status
        elif entry.action in after:
            status = after[entry.action]
        elif entry.action in ("approved", "resent") and status == NationalStatus.MOI_DANG_KY:
            status = int(NationalStatus.DUOC_TIEP_NHAN)  # an online registration accepted by its approval
        placed.append(replace(entry, national_status=status))
    return placed


def _named(s: Session, entries: list[HistoryEntry]) -> list[HistoryEntry]:
    names = staff_names(s, [e.by for e in entries if e.by])
    return [replace(e, by_name=names.get(e.by)) if e.by else e for e in entries]
