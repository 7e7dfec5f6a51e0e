"""The month's guidance (hướng dẫn): which month it is for, who receives it, who may send it, and how
its delivery is going — plain functions over plain data.

Before the 1st of each month the ward party committee sends each of its cells the guidance for the
month's cell meeting; the city committee may send to all wards or chosen ones.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Iterable, Mapping

# Who receives it: the cell's secretary and deputy secretary (default), or the secretary only.
LEADERS, SECRETARIES = "leaders", "secretaries"
AUDIENCE_ROLES: dict[str, tuple[str, ...]] = {LEADERS: ("secretary", "deputy"), SECRETARIES: ("secretary",)}
# Who may send it, and to which cells: staff of a ward for that ward's cells, of the city for all.
SENDER_ROLES = ("ward_staff", "city_staff")
# After this day of the month a new guidance is for the next month.
NEXT_MONTH_AFTER_DAY = 20

# Statuses of one recipient's copy, from the outbox.
PENDING, SENT, FAILED, UNREACHABLE, NOT_JOINED = "pending", "sent", "failed", "unreachable", "not_joined"


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def next_month(month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"


def default_month(today: date, after_day: int = NEXT_MONTH_AFTER_DAY) -> str:
    """The month a guidance written today is for: next month after the 20th, else this month."""
    this = month_key(today)
    return next_month(this) if today.day > after_day else this


def month_choices(today: date) -> list[str]:
    """The months offered when composing: this month and the next."""
    this = month_key(today)
    return [this, next_month(this)]


_MONTH_PATTERNS = (
    re.compile(r"^(?P<year>\d{4})-(?P<month>\d{1,2})$"),
    re.compile(r"^(?:t|thang\s*)?(?P<month>\d{1,2})\s*[/.-]\s*(?P<year>\d{4})$", re.IGNORECASE),
)


def parse_month(text: str) -> str | None:
    """'2026-12', '12/2026', 'T12/2026' → '2026-12'; None when it is not a month."""
    cleaned = text.strip()
    for pattern in _MONTH_PATTERNS:
        match = pattern.match(cleaned)
        if match:
            year, month = int(match.group("year")), int(match.group("month"))
            if 1 <= month <= 12 and 2000 <= year <= 2100:
                return f"{year:04d}-{month:02d}"
    return None


def month_to_show(today: date, available: Iterable[str], after_day: int = NEXT_MONTH_AFTER_DAY) -> str | None:
    """Which month's guidance a secretary reads now: next month's once it has come (after the 20th),
    else this month's; None when neither has come."""
    months = set(available)
    this = month_key(today)
    if today.day > after_day and next_month(this) in months:
        return next_month(this)
    return this if this in months else None


@dataclass(frozen=True)
class Member:
    """A current cell role: person `person_id` is `role` of cell `cell_id`."""
    person_id: int
    cell_id: int
    role: str


def recipients(members: Iterable[Member], cell_ids: Iterable[int], audience: str) -> list[Member]:
    """Who gets the guidance: the audience's roles in the chosen cells, each person once (in the first
    of their cells), in the order given."""
    roles = AUDIENCE_ROLES[audience]
    cells = set(cell_ids)
    chosen: dict[int, Member] = {}
    for member in members:
        if member.cell_id in cells and member.role in roles and member.person_id not in chosen:
            chosen[member.person_id] = member
    return list(chosen.values())


def may_send_to(actor_roles: Iterable[tuple[str, int]], cell_ancestor_ids: Iterable[int]) -> bool:
    """Whether someone holding `actor_roles` ((role, unit id) pairs) may send guidance to a cell whose
    ancestors (the cell itself first, up to the city) are `cell_ancestor_ids`."""
    above = set(cell_ancestor_ids)
    return any(role in SENDER_ROLES and unit_id in above for role, unit_id in actor_roles)


def sender_units(actor_roles: Iterable[tuple[str, int]]) -> list[int]:
    """The units (wards, the city) whose cells this person may send guidance to."""
    return sorted({unit_id for role, unit_id in actor_roles if role in SENDER_ROLES})


_TIME = r"(?P<hour>\d{1,2})\s*(?::|h|g|giờ|gio)\s*(?P<minute>\d{2})?\s*(?:phút|phut|p)?"
_DATE = r"(?P<day>\d{1,2})\s*[/.-]\s*(?P<month>\d{1,2})(?:\s*[/.-]\s*(?P<year>\d{4}))?"
_ISO = r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
_SCHEDULE_PATTERNS = [
    re.compile(rf"^{_DATE}\s*(?:,|lúc|luc|at)?\s*{_TIME}$", re.IGNORECASE),
    re.compile(rf"^{_TIME}\s*(?:,|ngày|ngay|on)?\s*{_DATE}$", re.IGNORECASE),
    re.compile(rf"^{_ISO}(?:\s+|T){_TIME}$", re.IGNORECASE),
]
SCHEDULE_BAD_FORMAT, SCHEDULE_IN_PAST = "format", "past"


def parse_schedule(text: str, now: datetime) -> tuple[datetime | None, str | None]:
    """A date and time typed by a person, read in `now`'s zone (Vietnam time):
    '30/11/2026 07:00', '30/11 7h30', '7:00 30/11', '2026-11-30 07:00'. A date without a year is the
    next such date. Returns (instant, None), or (None, SCHEDULE_BAD_FORMAT / SCHEDULE_IN_PAST)."""
    cleaned = " ".join(text.strip().split())
    for pattern in _SCHEDULE_PATTERNS:
        match = pattern.match(cleaned)
        if not match:
            continue
        parts = match.groupdict()
        hour, minute = int(parts["hour"]), int(parts["minute"] or 0)
        day, month = int(parts["day"]), int(parts["month"])
        year = int(parts["year"]) if parts.get("year") else now.year
        try:
            when = datetime.combine(date(year, month, day), time(hour, minute), tzinfo=now.tzinfo)
            if not parts.get("year") and when <= now:
                when = when.replace(year=year + 1)
        except ValueError:
            return None, SCHEDULE_BAD_FORMAT
        if when <= now:
            return None, SCHEDULE_IN_PAST
        return when, None
    return None, SCHEDULE_BAD_FORMAT


def schedule_example(now: datetime) -> str:
    """An example of a send time for the prompts, always ahead of `now`: tomorrow at 07:00, written the
    way `parse_schedule` reads it ('02/12/2026 07:00')."""
    tomorrow = now.date() + timedelta(days=1)
    return f"{tomorrow:%d/%m/%Y} 07:00"


def copy_status(outbox_statuses: Iterable[str]) -> str:
    """One recipient's delivery status from the statuses of their copies (the first send and any
    re-sends, oldest first): delivered once is delivered; else the latest copy tells."""
    statuses = list(outbox_statuses)
    if not statuses:
        return NOT_JOINED
    if "sent" in statuses:
        return SENT
    latest = statuses[-1]
    if latest in ("pending", "sending"):
        return PENDING
    if latest == "unreachable":
        return UNREACHABLE
    if latest == "cancelled":
        return PENDING if len(statuses) == 1 else copy_status(statuses[:-1])
    return FAILED


@dataclass
class CellProgress:
    cell_id: int
    recipients: int = 0
    sent: int = 0
    received: int = 0          # pressed "Đã nhận"
    pending: int = 0
    failed: int = 0
    unreachable: int = 0
    not_joined: int = 0        # no chat account yet: nothing can be sent to them
    not_delivered: list[tuple[int, str]] = field(default_factory=list)   # (person id, status)
    not_confirmed: list[int] = field(default_factory=list)               # delivered, not pressed


@dataclass
class Progress:
    cells: list[CellProgress]
    total: CellProgress

    @property
    def finished(self) -> bool:
        """Nothing is waiting to be sent any more."""
        return self.total.pending == 0


def progress(recipients_: Iterable[Member], statuses: Mapping[int, str], received: Iterable[int]) -> Progress:
    """Delivery per cell (in the order of first appearance) and in total. `statuses` maps a person to
    their `copy_status`; `received` is who pressed "Đã nhận"."""
    confirmed = set(received)
    cells: "OrderedDict[int, CellProgress]" = OrderedDict()
    total = CellProgress(cell_id=0)
    for member in recipients_:
        cell = cells.setdefault(member.cell_id, CellProgress(member.cell_id))
        status = statuses.get(member.person_id, NOT_JOINED)
        for counter in (cell, total):
            counter.recipients += 1
            if status == SENT:
                counter.sent += 1
                if member.person_id in confirmed:
                    counter.received += 1
                else:
                    counter.not_confirmed.append(member.person_id)
            else:
                setattr(counter, status, getattr(counter, status) + 1)
                counter.not_delivered.append((member.person_id, status))
    return Progress(list(cells.values()), total)


def resend_targets(recipients_: Iterable[Member], received: Iterable[int]) -> list[Member]:
    """Who a re-send goes to: every recipient who has not confirmed receipt."""
    confirmed = set(received)
    return [member for member in recipients_ if member.person_id not in confirmed]
