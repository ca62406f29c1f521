"""The one clock of the intake service: business dates and times are Vietnam time.

Every date a person reads (a dossier code's day, the appointment date, when a field was
confirmed) comes from a `Clock`, never from the machine's own date, which is UTC on servers.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


class Clock(Protocol):
    zone: ZoneInfo

    def now(self) -> datetime:
        """The current time, aware, in `zone`."""
        ...


class SystemClock:
    def __init__(self, zone: ZoneInfo = VIETNAM) -> None:
        self.zone = zone

    def now(self) -> datetime:
        return datetime.now(self.zone)


class FixedClock:
    """A clock that says what it is told (tests, and reproducible runs); `advance` moves it on."""

    def __init__(self, at: datetime, zone: ZoneInfo = VIETNAM) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self.zone = zone
        self.at = at.astimezone(zone)

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)
