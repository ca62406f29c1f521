"""The leaders' indicators (Bảng chỉ số): per service point and city-wide, for a period of
Vietnam calendar days. Each figure is defined once, in docs/INDICATORS.md (the section named
beside it here and in `intake.indicators_schemas`), in the words of the national
service-quality index (Decision 766/QĐ-TTg) where they match.

Computed from the database only, in SQL: one grouped query per kind of figure, by service
point; the city's counts are the points' sums. A period's edges are Vietnam midnights turned
into UTC instants, so the received-at index serves the range. Percentiles (time to hand-over)
are percentile_cont's linear interpolation, computed portably: window functions (row_number
and count over each point) return only the two ordered durations each percentile needs per
point, on SQLite and PostgreSQL alike, so no city's durations are fetched.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, exists, extract, func, literal, literal_column, or_, select
from sqlalchemy.orm import Session

from intake.context import IntakeContext
from intake.errors import ServiceError
from intake.indicators_schemas import (
    ChannelCountsPublic,
    DashboardPublic,
    DayPublic,
    FiguresPublic,
    PointFiguresPublic,
)
from models.dossier import Channel, ProcessingState
from models.errors import ErrorCode
from storage.tables import ComponentRow, DossierRow, FieldRow, ReviewEditRow

# INDICATORS.md#handed-over: the package is built and the dossier is the agency's to take.
HANDED_OVER = (ProcessingState.VALIDATED.value, ProcessingState.DELIVERED.value)
# INDICATORS.md#overdue-now: received and still on our side. A dossier sent back for papers
# (sent_back) waits for the citizen: its clock is paused, it is not counted overdue.
OPEN = tuple(
    s.value
    for s in (
        ProcessingState.QUEUED,
        ProcessingState.PROCESSING,
        ProcessingState.NEEDS_REVIEW,
        ProcessingState.NEEDS_ATTENTION,
        ProcessingState.APPROVING,
    )
)
CHANNELS = frozenset(c.value for c in Channel)
CORRECT = "correct"  # review_edits.action of a reviewer's other value (INDICATORS.md#corrections)
MAX_PERIOD_DAYS = 366  # a year, leap day included: longer periods are refused (INDICATORS.md#period)
PERCENTILES = (50, 95)  # per cent: the median and the 95th percentile of the time to hand-over


@dataclass(frozen=True, slots=True)
class Period:
    """Vietnam calendar days `first`..`last`, both included (INDICATORS.md#period)."""

    first: date
    last: date

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The UTC instants [midnight starting `first`, midnight ending `last`) in `zone`."""
        start = datetime.combine(self.first, time(), zone)
        end = datetime.combine(self.last + timedelta(days=1), time(), zone)
        return start.astimezone(UTC), end.astimezone(UTC)


def period_of(first: date | None, last: date | None, today: date) -> Period:
    """The period asked for; by default this month so far. Refused (INVALID_REQUEST) when it
    ends before it starts or spans more than MAX_PERIOD_DAYS days."""
    last = last or today
    first = first or last.replace(day=1)
    if last < first:
        raise ServiceError(ErrorCode.INVALID_REQUEST, "kỳ báo cáo: ngày kết thúc trước ngày bắt đầu")
    if (last - first).days + 1 > MAX_PERIOD_DAYS:
        raise ServiceError(ErrorCode.INVALID_REQUEST, f"kỳ báo cáo dài quá {MAX_PERIOD_DAYS} ngày")
    return Period(first, last)


@dataclass
class _Tally:
    """One service point's (or the city's) counts as the queries return them."""

    channels: dict[str, int] = field(default_factory=dict)
    green_lane: int = 0
    reviewed: int = 0
    pages: int = 0
    fields_total: int = 0
    fields_unreviewed: int = 0
    corrections: int = 0
    handed_over: int = 0
    with_due: int = 0
    early: int = 0
    on_time: int = 0
    overdue: int = 0
    hours: dict[int, float | None] = field(default_factory=dict)

    def add(self, other: _Tally) -> None:
        for channel, n in other.channels.items():
            self.channels[channel] = self.channels.get(channel, 0) + n
        for name in (
            "green_lane",
            "reviewed",
            "pages",
            "fields_total",
            "fields_unreviewed",
            "corrections",
            "handed_over",
            "with_due",
            "early",
            "on_time",
            "overdue",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def figures(self) -> dict[str, Any]:
        received = sum(self.channels.values())
        return {
            "received": received,
            "received_by_channel": ChannelCountsPublic(**self.channels),
            "pages_digitized": self.pages,
            "reviewed_dossiers": self.reviewed,
            "fields_total": self.fields_total,
            "fields_unreviewed": self.fields_unreviewed,
            "fields_unreviewed_share": _share(self.fields_unreviewed, self.fields_total),
            "corrections": self.corrections,
            "corrections_per_dossier": _share(self.corrections, self.reviewed),
            "handed_over": self.handed_over,
            "handover_hours_p50": self.hours.get(50),
            "handover_hours_p95": self.hours.get(95),
            "with_due_date": self.with_due,
            "handed_over_early": self.early,
            "handed_over_on_time": self.on_time,
            "early_share": _share(self.early, self.with_due),
            "on_time_share": _share(self.on_time, self.with_due),
            "green_lane": self.green_lane,
            "green_lane_share": _share(self.green_lane, received),
            "overdue_now": self.overdue,
        }


def _share(part: int, whole: int) -> float | None:
    """part / whole; None (shown as "—") when nothing was counted."""
    return part / whole if whole else None


class Indicators:
    def __init__(self, ctx: IntakeContext) -> None:
        self.ctx = ctx

    def today(self) -> date:
        return self.ctx.clock.now().date()

    def dashboard(self, first: date | None, last: date | None, service_point: str | None) -> DashboardPublic:
        """The figures of every service point (or of `service_point`) and of the city for the
        period, and the daily series of the selection."""
        today = self.today()
        period = period_of(first, last, today)
        points = self.ctx.organisation.service_points
        if service_point is not None and service_point not in points:
            raise ServiceError(ErrorCode.SERVICE_POINT_UNKNOWN, service_point)
        with self.ctx.db.reading() as s:
            query = _Query(s, self.ctx.clock.now().tzinfo or self.ctx.clock.zone, period, today)
            city = query.tallies(None)
            by_point = query.tallies(service_point) if service_point else city
            series = query.series(service_point)
            hours = query.hours(by_point=True, point=service_point)
            city_hours = query.hours(by_point=False, point=None)
        total = _Tally()
        for tally in city.values():
            total.add(tally)
        total.hours = city_hours.get("", {})
        shown = [service_point] if service_point else list(points)
        rows = []
        for code in shown:
            tally = by_point.get(code, _Tally())
            tally.hours = hours.get(code, {})
            rows.append(PointFiguresPublic(code=code, name=points[code].point.name, **tally.figures()))
        return DashboardPublic(
            date_from=period.first,
            date_to=period.last,
            today=today,
            service_point=service_point,
            city=FiguresPublic(**total.figures()),
            points=rows,
            series=[
                series.get(day, DayPublic(day=day, received_by_channel=ChannelCountsPublic(), handed_over=0))
                for day in period.days()
            ],
        )


class _Query:
    """The dashboard's queries on one session: each grouped by service point."""

    def __init__(self, s: Session, zone: Any, period: Period, today: date) -> None:
        self.s, self.period, self.today = s, period, today
        self.zone = zone if isinstance(zone, ZoneInfo) else ZoneInfo(str(zone))
        self.dialect = s.get_bind().dialect.name
        self.start, self.end = period.bounds(self.zone)

    # --- who counts ------------------------------------------------------------------------

    def received_in(self) -> ColumnElement[bool]:
        """INDICATORS.md#received: received_at within the period."""
        return and_(DossierRow.received_at >= self.start, DossierRow.received_at < self.end)

    def handed_over_in(self) -> ColumnElement[bool]:
        """INDICATORS.md#handed-over: handed over (approved_at) within the period."""
        return and_(
            DossierRow.state.in_(HANDED_OVER), DossierRow.approved_at >= self.start, DossierRow.approved_at < self.end
        )

    # --- dialect: the local day of an instant, and a duration in seconds -------------------

    def local_day(self, column: Any) -> ColumnElement[str]:
        """The Vietnam calendar day of a stored UTC instant, as 'YYYY-MM-DD' (due_date's form)."""
        # Written into the SQL, not bound: a grouped-by expression must read the same in SELECT
        # and GROUP BY (PostgreSQL compares them as text). Both texts are checked here.
        if self.dialect == "postgresql":
            zone = _sql_text(self.zone.key)
            return func.to_char(func.timezone(literal_column(zone), column), literal_column("'YYYY-MM-DD'"))
        # SQLite keeps UTC text: shift by the zone's offset (Vietnam: UTC+7, no daylight saving since 1975).
        offset = datetime.combine(self.period.first, time(), self.zone).utcoffset() or timedelta()
        return func.date(column, literal_column(_sql_text(f"{int(offset.total_seconds() // 60):+d} minutes")))

    def seconds(self) -> ColumnElement[Any]:
        """approved_at − received_at in seconds (INDICATORS.md#handover-time)."""
        if self.dialect == "postgresql":
            return extract("epoch", DossierRow.approved_at - DossierRow.received_at)
        return (func.julianday(DossierRow.approved_at) - func.julianday(DossierRow.received_at)) * 86400.0

    # --- the figures -----------------------------------------------------------------------

    def tallies(self, point: str | None) -> dict[str, _Tally]:
        only = [DossierRow.service_point_code == point] if point else []
        tallies: dict[str, _Tally] = defaultdict(_Tally)
        self._received(tallies, only)
        self._pages(tallies, only)
        self._fields(tallies, only)
        self._handed_over(tallies, only)
        self._overdue(tallies, only)
        return tallies

    def _received(self, tallies: dict[str, _Tally], only: list) -> None:
        point = DossierRow.service_point_code
        rows = self.s.execute(
            select(
                point,
                DossierRow.channel,
                func.count(),
                func.sum(case((DossierRow.green_lane, 1), else_=0)),
                func.sum(case((DossierRow.state.in_(HANDED_OVER), 1), else_=0)),
            )
            .where(self.received_in(), *only)
            .group_by(point, DossierRow.channel)
        )
        for code, channel, n, green, reviewed in rows:
            tally = tallies[code]
            channel = channel if channel in CHANNELS else Channel.COUNTER.value
            tally.channels[channel] = tally.channels.get(channel, 0) + n
            tally.green_lane += int(green or 0)
            tally.reviewed += int(reviewed or 0)

    def _pages(self, tallies: dict[str, _Tally], only: list) -> None:
        point = DossierRow.service_point_code
        rows = self.s.execute(
            select(point, func.coalesce(func.sum(ComponentRow.page_count), 0))
            .join(DossierRow, ComponentRow.dossier_id == DossierRow.id)
            .where(self.received_in(), *only)
            .group_by(point)
        )
        for code, pages in rows:
            tallies[code].pages = int(pages)

    def _fields(self, tallies: dict[str, _Tally], only: list) -> None:
        """INDICATORS.md#fields-unreviewed and #corrections, on the reviewed cohort."""
        point = DossierRow.service_point_code
        cohort = (self.received_in(), DossierRow.state.in_(HANDED_OVER), *only)
        touched = exists().where(ReviewEditRow.field_id == FieldRow.id)
        fields = self.s.execute(
            select(point, func.count(FieldRow.id), func.sum(case((touched, 0), else_=1)))
            .select_from(FieldRow)
            .join(ComponentRow, FieldRow.component_id == ComponentRow.id)
            .join(DossierRow, ComponentRow.dossier_id == DossierRow.id)
            .where(*cohort)
            .group_by(point)
        )
        for code, total, unreviewed in fields:
            tallies[code].fields_total, tallies[code].fields_unreviewed = int(total), int(unreviewed or 0)
        corrections = self.s.execute(
            select(point, func.count(ReviewEditRow.id))
            .select_from(ReviewEditRow)
            .join(FieldRow, ReviewEditRow.field_id == FieldRow.id)
            .join(ComponentRow, FieldRow.component_id == ComponentRow.id)
            .join(DossierRow, ComponentRow.dossier_id == DossierRow.id)
            .where(ReviewEditRow.action == CORRECT, *cohort)
            .group_by(point)
        )
        for code, n in corrections:
            tallies[code].corrections = int(n)

    def _handed_over(self, tallies: dict[str, _Tally], only: list) -> None:
        """INDICATORS.md#handed-over, #early and #on-time: the hand-over day against due_date."""
        point = DossierRow.service_point_code
        day, due = self.local_day(DossierRow.approved_at), DossierRow.due_date
        rows = self.s.execute(
            select(
                point,
                func.count(),
                func.sum(case((due.is_not(None), 1), else_=0)),
                func.sum(case((and_(due.is_not(None), day < due), 1), else_=0)),
                func.sum(case((and_(due.is_not(None), day <= due), 1), else_=0)),
            )
            .where(self.handed_over_in(), *only)
            .group_by(point)
        )
        for code, n, with_due, early, on_time in rows:
            tally = tallies[code]
            tally.handed_over, tally.with_due = int(n), int(with_due or 0)
            tally.early, tally.on_time = int(early or 0), int(on_time or 0)

    def _overdue(self, tallies: dict[str, _Tally], only: list) -> None:
        """INDICATORS.md#overdue-now: not bound to the period; measured against the clock's today."""
        point = DossierRow.service_point_code
        rows = self.s.execute(
            select(point, func.count())
            .where(DossierRow.state.in_(OPEN), DossierRow.due_date < self.today.isoformat(), *only)
            .group_by(point)
        )
        for code, n in rows:
            tallies[code].overdue = int(n)

    def series(self, point: str | None) -> dict[date, DayPublic]:
        """Per Vietnam day of the period: dossiers received by channel, dossiers handed over."""
        only = [DossierRow.service_point_code == point] if point else []
        days: dict[date, DayPublic] = {}

        def entry(day: str) -> DayPublic:
            key = date.fromisoformat(day)
            return days.setdefault(key, DayPublic(day=key, received_by_channel=ChannelCountsPublic(), handed_over=0))

        received_day = self.local_day(DossierRow.received_at)
        for day, channel, n in self.s.execute(
            select(received_day, DossierRow.channel, func.count())
            .where(self.received_in(), *only)
            .group_by(received_day, DossierRow.channel)
        ):
            counts = entry(day).received_by_channel
            name = channel if channel in CHANNELS else Channel.COUNTER.value
            setattr(counts, name, getattr(counts, name) + n)
        handed_day = self.local_day(DossierRow.approved_at)
        for day, n in self.s.execute(
            select(handed_day, func.count()).where(self.handed_over_in(), *only).group_by(handed_day)
        ):
            entry(day).handed_over = n
        return days

    def hours(self, *, by_point: bool, point: str | None) -> dict[str, dict[int, float | None]]:
        """PERCENTILES of the time to hand-over, in hours, per point (or for the city under ""):
        percentile_cont, from at most two ordered durations per percentile and point."""
        seconds = self.seconds()
        key = DossierRow.service_point_code if by_point else literal("")
        partition = [DossierRow.service_point_code] if by_point else None
        only = [DossierRow.service_point_code == point] if point else []
        ranked = (
            select(
                key.label("point"),
                seconds.label("seconds"),
                (func.row_number().over(partition_by=partition, order_by=seconds) - 1).label("rank"),
                func.count().over(partition_by=partition).label("n"),
            )
            .where(self.handed_over_in(), *only)
            .subquery()
        )
        # Integer division: the rank below each percentile's position, the same on both databases.
        wanted = [ranked.c.rank == (ranked.c.n - 1) * p // 100 + step for p in PERCENTILES for step in (0, 1)]
        rows = self.s.execute(select(ranked.c.point, ranked.c.n, ranked.c.rank, ranked.c.seconds).where(or_(*wanted)))
        ordered: dict[str, dict[int, float]] = defaultdict(dict)
        counts: dict[str, int] = {}
        for code, n, rank, value in rows:
            ordered[code][int(rank)] = float(value)
            counts[code] = int(n)
        return {code: {p: _interpolate(ordered[code], counts[code], p) for p in PERCENTILES} for code in counts}


def _sql_text(text: str) -> str:
    """A quoted SQL string literal of a zone name or a date modifier (nothing else gets here)."""
    if not re.fullmatch(r"[A-Za-z0-9_/+: -]{1,64}", text):
        raise ValueError(f"not a zone or a modifier: {text!r}")
    return f"'{text}'"


def _interpolate(values: dict[int, float], n: int, percent: int) -> float:
    """percentile_cont(percent / 100) of n ordered values, from the two around its position, in hours."""
    lower, remainder = divmod((n - 1) * percent, 100)
    low = values[lower]
    high = values.get(lower + 1, low)
    return (low + (high - low) * remainder / 100) / 3600.0
