"""The one clock. Nothing else in shcb reads the wall clock, so tests and the demo can run a month in
seconds. Every time it gives is aware and in Vietnam time (Asia/Ho_Chi_Minh) whatever the host's zone."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo

# The one definition of the zone: the default of `[locale] timezone`, and of every clock and translator.
VIETNAM_TIME_ZONE = "Asia/Ho_Chi_Minh"
VN_TZ = ZoneInfo(VIETNAM_TIME_ZONE)


class Clock(Protocol):
    tz: tzinfo

    def now(self) -> datetime: ...


class SystemClock:
    """The real time, in the configured zone."""

    def __init__(self, tz: tzinfo = VN_TZ) -> None:
        self.tz = tz

    def now(self) -> datetime:
        return datetime.now(self.tz)


class ManualClock:
    """A clock that moves only when told: for tests, `shcb tick --now` and the demo's simulated month."""

    def __init__(self, start: datetime, tz: tzinfo = VN_TZ) -> None:
        if start.tzinfo is None:
            start = start.replace(tzinfo=tz)
        self.tz = tz
        self._now = start.astimezone(tz)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            when = when.replace(tzinfo=self.tz)
        self._now = when.astimezone(self.tz)

    def advance(self, delta: timedelta) -> None:
        self._now = self._now + delta


def parse_instant(text: str, tz: tzinfo = VN_TZ) -> datetime:
    """An ISO date-time from the command line; without an offset it is read as Vietnam time."""
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    return when.astimezone(tz)
