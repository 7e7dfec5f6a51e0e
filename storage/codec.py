"""How instants and days are stored: instants as ISO 8601 in UTC (so text order is time order), days as
ISO dates in Vietnam time, the calendar the meetings keep."""

from __future__ import annotations

from datetime import date, datetime, timezone


def instant(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime: pass an aware one from the clock")
    return value.astimezone(timezone.utc).isoformat(timespec="seconds")


def parse_instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def day(value: date) -> str:
    return value.isoformat()


def parse_day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)
