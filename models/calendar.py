"""Working days of Vietnamese public agencies, for appointment (hẹn trả) dates.

Public holidays come from the maintained `holidays` library (Labour Code 2019, Art. 112,
with Tết and observed days); each year's public-sector day swaps are data
(`models/data/day_swaps.json`), because the Government issues them by dispatch.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from importlib import resources


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    holidays: frozenset[date]
    working_weekend_days: frozenset[date] = frozenset()
    extra_days_off: frozenset[date] = frozenset()

    def is_working_day(self, day: date) -> bool:
        if day in self.working_weekend_days:
            return True
        return day.weekday() < 5 and day not in self.holidays and day not in self.extra_days_off

    def next_working_day(self, day: date) -> date:
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def appointment_date(
        self, received: datetime, working_days: int, cutoff: time | None = None, shorten_share: float = 0.0
    ) -> date:
        """The date a result is due: `working_days` working days after valid receipt.

        A dossier received on a non-working day, or after the procedure's cutoff (e.g. 15:00
        for same-day civil-status copies), counts from the next working day. A green-lane
        ("làn xanh") procedure is shortened by `shorten_share` of its time, rounded up to
        whole days.
        """
        days = math.ceil(working_days * (1.0 - shorten_share)) if working_days else 0
        start = received.date()
        if not self.is_working_day(start) or (cutoff is not None and received.time() >= cutoff):
            start = self.next_working_day(start)
        due = start
        for _ in range(days):
            due = self.next_working_day(due)
        return due


def vietnam_calendar(years: range | list[int]) -> WorkCalendar:
    import holidays

    swaps = json.loads(resources.files("models").joinpath("data/day_swaps.json").read_text(encoding="utf-8"))
    return WorkCalendar(
        holidays=frozenset(holidays.country_holidays("VN", years=list(years)).keys()),
        working_weekend_days=frozenset(date.fromisoformat(d) for d in swaps["working_days"]),
        extra_days_off=frozenset(date.fromisoformat(d) for d in swaps["days_off"]),
    )
