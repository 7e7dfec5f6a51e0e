"""Attendance at a cell meeting: who counts, the rate, the 90 % target, the meeting's length, and until
when a month's roll calls and record may be corrected. Plain functions over plain data.

The two roll calls (điểm danh) of a meeting — at its start and at its end — each give every member of the
cell one status:

| status             | counted present | counted eligible | meaning                                    |
|--------------------|-----------------|------------------|--------------------------------------------|
| `present`          | yes             | yes              |                                            |
| `absent_excused`   | no              | yes              | absent with a reason                       |
| `absent_unexcused` | no              | yes              | absent without a reason                    |
| `exempt_absent`    | no              | **no**           | exempt from meetings (miễn sinh hoạt), absent: left out (Quy định 294-QĐ/TW) |
| `exempt_present`   | yes             | yes              | exempt, but attended: counts                |
| `unnamed`          | —               | yes              | a roll call taken by count (`có mặt 27`): the count says how many of these were present |

Guests (the ward committee member in charge, city committee members) are counted apart, never in the rate.
The rate is present ÷ eligible, compared exactly (as fractions) with the target (TP Thanh Hóa: 90 %).
A meeting lasts at least 90 minutes, 120 when the regular and the thematic meetings are held together
(Hướng dẫn 42-HD/BTCTW, 2025).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from typing import Iterable

PRESENT = "present"
ABSENT_EXCUSED = "absent_excused"
ABSENT_UNEXCUSED = "absent_unexcused"
EXEMPT_ABSENT = "exempt_absent"
EXEMPT_PRESENT = "exempt_present"
UNNAMED = "unnamed"
STATUSES = (PRESENT, ABSENT_EXCUSED, ABSENT_UNEXCUSED, EXEMPT_ABSENT, EXEMPT_PRESENT, UNNAMED)
ABSENT = (ABSENT_EXCUSED, ABSENT_UNEXCUSED)

# The kinds of meeting (the record's first step) and the grades a cell committee proposes.
REGULAR, THEMATIC, BOTH = "regular", "thematic", "both"      # thường kỳ, chuyên đề, both together
KINDS = (REGULAR, THEMATIC, BOTH)
GRADES = ("good", "fair", "average", "poor")                 # Tốt, Khá, Trung bình, Kém

START, END = "start", "end"


class CountError(ValueError):
    """Figures that cannot be: a count above the members counted, a negative one, an unknown status."""


@dataclass(frozen=True)
class Count:
    """The figures of one roll call."""

    eligible: int
    present: int
    absent_excused: int
    absent_unexcused: int
    absent_unnamed: int         # by count: members not present, not named
    exempt_present: int
    exempt_absent: int
    guests: int
    rate: Fraction | None       # present / eligible; None when nobody is eligible
    meets_target: bool

    @property
    def absent(self) -> int:
        return self.eligible - self.present


def target_fraction(target: float | Fraction) -> Fraction:
    """0.9 → 9/10 exactly (not the binary float's 0.90000000000000002220…)."""
    return target if isinstance(target, Fraction) else Fraction(str(target))


def count(statuses: Iterable[str], *, counted_present: int | None = None, guests: int = 0,
          target: float | Fraction = 0.9) -> Count:
    """The figures of a roll call from its members' statuses. `counted_present`: a roll call taken by count
    (`có mặt 27`): that many of the `unnamed` members were present (0 ≤ it ≤ their number). With nobody
    eligible the rate is None and the target is not missed (there was nobody to attend)."""
    tally = dict.fromkeys(STATUSES, 0)
    for status in statuses:
        if status not in tally:
            raise CountError(f"unknown roll-call status {status!r}")
        tally[status] += 1
    if guests < 0:
        raise CountError("guests cannot be negative")
    unnamed = tally[UNNAMED]
    if counted_present is None:
        if unnamed:
            raise CountError("members left unnamed need a count of those present")
        by_count = 0
    else:
        if not 0 <= counted_present <= unnamed:
            raise CountError(f"present by count must be between 0 and {unnamed}, not {counted_present}")
        by_count = counted_present
    present = tally[PRESENT] + tally[EXEMPT_PRESENT] + by_count
    eligible = tally[PRESENT] + tally[ABSENT_EXCUSED] + tally[ABSENT_UNEXCUSED] + tally[EXEMPT_PRESENT] + unnamed
    rate = Fraction(present, eligible) if eligible else None
    meets = rate is None or rate >= target_fraction(target)
    return Count(eligible, present, tally[ABSENT_EXCUSED], tally[ABSENT_UNEXCUSED], unnamed - by_count,
                 tally[EXEMPT_PRESENT], tally[EXEMPT_ABSENT], guests, rate, meets)


def toggle(status: str) -> str:
    """One tap on a member in the roll-call keyboard: present → absent with a reason → absent without →
    present; an exempt member: absent ⇄ present."""
    return {PRESENT: ABSENT_EXCUSED, ABSENT_EXCUSED: ABSENT_UNEXCUSED, ABSENT_UNEXCUSED: PRESENT,
            UNNAMED: ABSENT_EXCUSED,
            EXEMPT_ABSENT: EXEMPT_PRESENT, EXEMPT_PRESENT: EXEMPT_ABSENT}[status]


def initial_status(exempt: bool) -> str:
    """Where a roll call starts: everyone present, the exempt absent (they are not expected)."""
    return EXEMPT_ABSENT if exempt else PRESENT


def mark_absent(status: str, excused: bool = True) -> str:
    if status in (EXEMPT_ABSENT, EXEMPT_PRESENT):
        return EXEMPT_ABSENT
    return ABSENT_EXCUSED if excused else ABSENT_UNEXCUSED


def mark_present(status: str) -> str:
    return EXEMPT_PRESENT if status in (EXEMPT_ABSENT, EXEMPT_PRESENT) else PRESENT


# --- the meeting's length -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Length:
    minutes: int | None         # None: the end is not after the start (a typing mistake)
    minimum: int
    meets_minimum: bool


def minimum_minutes(kind: str | None, minimum: int = 90, minimum_both: int = 120) -> int:
    """90 minutes; 120 when the regular and thematic meetings are held together. Before the record says
    the kind, the regular minimum applies."""
    return minimum_both if kind == BOTH else minimum


def length(start: datetime, end: datetime, kind: str | None, *, minimum: int = 90,
           minimum_both: int = 120) -> Length:
    """The meeting's length from its two roll calls' times, against its minimum."""
    wanted = minimum_minutes(kind, minimum, minimum_both)
    seconds = (end - start).total_seconds()
    if seconds <= 0:
        return Length(None, wanted, False)
    minutes = int(seconds // 60)
    return Length(minutes, wanted, minutes >= wanted)


# --- corrections -------------------------------------------------------------------------------------


def corrections_deadline(month: str, deadline_day: int = 10) -> date:
    """The last day a month's roll calls and record can be corrected by the cell: the `deadline_day` of the
    next month (clamped to that month's end)."""
    year, number = int(month[:4]), int(month[5:7])
    year, number = (year + 1, 1) if number == 12 else (year, number + 1)
    return date(year, number, min(deadline_day, calendar.monthrange(year, number)[1]))


def may_correct(month: str, today: date, *, deadline_day: int = 10, reopened_until: date | None = None) -> bool:
    """Open for the cell: from the month itself until the deadline, or until the day ward staff reopened it
    to. A month not begun yet is not open."""
    if today < date(int(month[:4]), int(month[5:7]), 1):
        return False
    if today <= corrections_deadline(month, deadline_day):
        return True
    return reopened_until is not None and today <= reopened_until


def quarter_months(month: str) -> tuple[str, str, str]:
    """The three months of the quarter `month` is in ('2026-11' → 2026-10, 2026-11, 2026-12)."""
    year, number = int(month[:4]), int(month[5:7])
    first = (number - 1) // 3 * 3 + 1
    return tuple(f"{year:04d}-{m:02d}" for m in range(first, first + 3))  # type: ignore[return-value]


def is_thematic(kind: str | None) -> bool:
    return kind in (THEMATIC, BOTH)
