"""What reminder is due when: the monthly schedule of the cell meeting, as plain functions.

The month of a cell (chi bộ) turns around its meeting day:

| rule          | default           | to whom                              | condition                           |
|---------------|-------------------|--------------------------------------|-------------------------------------|
| `committee`   | 2nd 07:00         | the cell's secretary and deputies    | — (the cell committee, chi ủy, meets) |
| `meeting`     | 3rd 07:00         | the cell's secretary and deputies    | — (the cell meets; two roll calls)  |
| `followup`    | 4th 09:00         | the cell's secretary and deputies    | no roll call recorded for the month |
| `guidance`    | 1st 08:00         | the ward's staff                     | the ward's guidance not yet sent    |
| `report`      | 8th 08:00         | the ward's staff                     | — (report due by the 10th, counts)  |
| `inspection`  | 1st 08:00 in 3, 6, 9, 12 | the ward's staff              | the month is an inspection month    |
| `thematic`    | 1st 09:00 in 3, 6, 9, 12 | the cell's secretary and deputies | no thematic meeting (chuyên đề) recorded yet in the quarter (one is due each quarter) |

Where the days come from, for one cell and one month ("period", 'YYYY-MM'):
- the configured day of each rule, replaced by a per-ward override, replaced by a per-cell override;
- the committee reminder and the follow-up are placed *relative to the meeting*: by the gap between
  their configured days and the meeting's (defaults: the day before, the day after), unless an override
  gives them a day of their own. So a ward whose meeting is on the 5th gets its committee reminder on
  the 4th and its follow-up on the 6th without saying so;
- a day past the month's end falls on its last day (31 in November → the 30th; in February → 28/29);
- a meeting moved for one month ("hoãn sang ngày 5") moves the three by the same number of days, keeping
  their gaps: meeting on D → committee D−1, meeting reminder D, follow-up D+1 (with the defaults). A gap
  may cross the month's end (meeting moved to the 30th → follow-up on the 1st of the next month); the
  reminder still belongs to its meeting's period.

Each reminder is decided once per (rule, subject, period, occurrence). The occurrence is '' except for a
moved meeting, where it is the new meeting day: a meeting postponed on its own day, after its reminder
went out, gets its reminders again for the new day (once each), and moving it back to the regular day
finds the regular reminders already decided.

Deciding at an instant `now` (`due`): a reminder whose time has come and that was not already decided
for its (rule, subject, period) is
- skipped as not needed when its condition no longer holds (guidance sent, roll call recorded);
- sent if `now` is still the same Vietnam day as its time (catch-up after downtime: still useful);
- skipped as late if that day has passed (the bot was down across it), or as having nobody to go to
  if, by then, nobody it is meant for has joined the bot (on its own day it waits for them);
and the caller records the decision, so that it is never taken twice.

Times are Vietnam time: `now` may be in any zone, it is converted first.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Iterable, Mapping
from zoneinfo import ZoneInfo

from bot.rules.text import fold

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

# Rule ids, as stored in reminders_log and schedule_overrides.
COMMITTEE, MEETING, FOLLOWUP = "committee", "meeting", "followup"
GUIDANCE, REPORT, INSPECTION = "guidance", "report", "inspection"
THEMATIC = "thematic"
CELL_RULES = (COMMITTEE, MEETING, FOLLOWUP)   # placed around the meeting day
WARD_RULES = (GUIDANCE, REPORT, INSPECTION)
QUARTER_CELL_RULES = (THEMATIC,)              # to a cell, on a fixed day of a quarter's last month
RULES = CELL_RULES + WARD_RULES + QUARTER_CELL_RULES

# Decisions and their reasons.
SEND, SKIP = "sent", "skipped"
ON_TIME, LATE, NOBODY, NOT_NEEDED = "on_time", "late", "no_recipients", "not_needed"


@dataclass(frozen=True)
class Slot:
    """When a rule fires in a month: a day of the month (1–31, clamped to its end) and a time."""

    day: int
    at: time


@dataclass(frozen=True)
class Override:
    """A per-ward or per-cell change of one rule: its day, its time, or both (None keeps the other)."""

    day: int | None = None
    at: time | None = None


@dataclass(frozen=True)
class Settings:
    """The configured schedule (the `[reminders]` section)."""

    slots: Mapping[str, Slot]
    inspection_months: frozenset[int] = frozenset({3, 6, 9, 12})
    report_deadline_day: int = 10
    tz: tzinfo = VIETNAM

    @classmethod
    def defaults(cls) -> "Settings":
        return cls(slots={
            COMMITTEE: Slot(2, time(7, 0)), MEETING: Slot(3, time(7, 0)), FOLLOWUP: Slot(4, time(9, 0)),
            GUIDANCE: Slot(1, time(8, 0)), REPORT: Slot(8, time(8, 0)), INSPECTION: Slot(1, time(8, 0)),
        })

    def with_thematic(self, slot: "Slot | None" = None) -> "Settings":
        """These settings with the quarterly thematic reminder (the config always has it; `defaults()`
        leaves it out so the month's plan of the three cell reminders reads on its own)."""
        return Settings({**self.slots, THEMATIC: slot or Slot(1, time(9, 0))}, self.inspection_months,
                        self.report_deadline_day, self.tz)


@dataclass(frozen=True)
class Cell:
    id: int
    ward_id: int
    recipients: tuple[int, ...] = ()   # person ids of its secretary and deputies who can be written to


@dataclass(frozen=True)
class Ward:
    id: int
    recipients: tuple[int, ...] = ()   # person ids of its staff who can be written to


@dataclass(frozen=True)
class Facts:
    """Everything `due` needs, loaded from the database by the caller for the periods it asks about."""

    cells: tuple[Cell, ...] = ()
    wards: tuple[Ward, ...] = ()
    # unit id (ward or cell) -> rule -> override
    overrides: Mapping[int, Mapping[str, Override]] = field(default_factory=dict)
    # (cell id, period) -> the day of the month the meeting was moved to
    moves: Mapping[tuple[int, str], int] = field(default_factory=dict)
    # (rule, subject id, period, occurrence) already sent or skipped
    decided: frozenset[tuple[str, int, str, str]] = frozenset()
    # (cell id, period) with a roll call recorded
    roll_calls: frozenset[tuple[int, str]] = frozenset()
    # (ward id, period) whose guidance has been sent to its cells
    guidance_sent: frozenset[tuple[int, str]] = frozenset()
    # (cell id, period) whose meeting was recorded as thematic (or regular and thematic together)
    thematic_held: frozenset[tuple[int, str]] = frozenset()


@dataclass(frozen=True)
class Planned:
    """One reminder of one period: which rule, about which unit (cell or ward), when."""

    rule: str
    subject: int          # the cell's id for cell rules, the ward's id for ward rules
    period: str           # 'YYYY-MM' of the meeting month it belongs to
    at: datetime          # Vietnam time
    meeting_on: date | None = None   # cell rules: the day of the meeting they are about
    moved: bool = False              # cell rules: that meeting was moved for this month

    @property
    def occurrence(self) -> str:
        return occurrence_of(self.moved, self.meeting_on)

    @property
    def key(self) -> tuple[str, int, str, str]:
        return self.rule, self.subject, self.period, self.occurrence


@dataclass(frozen=True)
class Due:
    """A decision `due` takes: send this reminder now, or skip it for good, and why."""

    rule: str
    subject: int
    period: str
    at: datetime
    action: str                      # SEND or SKIP
    reason: str                      # ON_TIME, LATE, NOBODY, NOT_NEEDED
    recipients: tuple[int, ...] = ()
    meeting_on: date | None = None
    moved: bool = False
    # ward report: its cells without a roll call for the period, and how many cells it has
    cells_without_roll_call: tuple[int, ...] = ()
    cell_count: int = 0
    deadline: date | None = None     # ward report: due by this day

    @property
    def occurrence(self) -> str:
        return occurrence_of(self.moved, self.meeting_on)

    @property
    def key(self) -> tuple[str, int, str, str]:
        return self.rule, self.subject, self.period, self.occurrence


def occurrence_of(moved: bool, meeting_on: date | None) -> str:
    return meeting_on.isoformat() if moved and meeting_on else ""


# --- periods and days ---------------------------------------------------------------------------

def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def parse_period(period: str) -> tuple[int, int]:
    """'2026-12' -> (2026, 12); ValueError on anything else."""
    year_text, _, month_text = period.partition("-")
    if len(year_text) != 4 or len(month_text) != 2 or not (year_text + month_text).isdigit():
        raise ValueError(f"not a period YYYY-MM: {period!r}")
    year, month = int(year_text), int(month_text)
    if not 1 <= month <= 12:
        raise ValueError(f"not a period YYYY-MM: {period!r}")
    return year, month


def shift_period(period: str, months: int) -> str:
    year, month = parse_period(period)
    index = year * 12 + (month - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def last_day(period: str) -> int:
    year, month = parse_period(period)
    return calendar.monthrange(year, month)[1]


def day_in(period: str, day: int) -> date:
    """The day of that month; a day past the month's end falls on its last day."""
    if day < 1:
        raise ValueError(f"day of month must be at least 1, not {day}")
    year, month = parse_period(period)
    return date(year, month, min(day, last_day(period)))


def local(now: datetime, tz: tzinfo = VIETNAM) -> datetime:
    if now.tzinfo is None:
        raise ValueError("naive datetime: pass an aware one")
    return now.astimezone(tz)


# --- the plan of a month ------------------------------------------------------------------------

def _override(facts: Facts, unit_ids: Iterable[int], rule: str) -> Override:
    """The most specific override of a rule: the later unit in `unit_ids` wins, field by field."""
    day, at = None, None
    for unit_id in unit_ids:
        found = facts.overrides.get(unit_id, {}).get(rule)
        if found is not None:
            day = found.day if found.day is not None else day
            at = found.at if found.at is not None else at
    return Override(day, at)


def cell_slots(settings: Settings, facts: Facts, cell: Cell, period: str) -> dict[str, tuple[date, time]]:
    """The regular (not moved) days and times of a cell's three reminders in a month."""
    units = (cell.ward_id, cell.id)
    meeting = _override(facts, units, MEETING)
    base = settings.slots[MEETING]
    meeting_on = day_in(period, meeting.day or base.day)
    result = {MEETING: (meeting_on, meeting.at or base.at)}
    for rule in (COMMITTEE, FOLLOWUP):
        own = _override(facts, units, rule)
        slot = settings.slots[rule]
        if own.day is not None:
            on = day_in(period, own.day)
        else:
            on = meeting_on + timedelta(days=slot.day - base.day)
        result[rule] = (on, own.at or slot.at)
    return result


def plan_cell(settings: Settings, facts: Facts, cell: Cell, period: str) -> list[Planned]:
    """A cell's three reminders of a month, the meeting's move applied."""
    slots = cell_slots(settings, facts, cell, period)
    regular_meeting = slots[MEETING][0]
    moved_day = facts.moves.get((cell.id, period))
    shift = timedelta(0)
    if moved_day is not None:
        shift = day_in(period, moved_day) - regular_meeting
    moved = moved_day is not None and shift != timedelta(0)
    meeting_on = regular_meeting + shift
    return [
        Planned(rule, cell.id, period, datetime.combine(on + shift, at, tzinfo=settings.tz), meeting_on, moved)
        for rule in CELL_RULES
        for on, at in [slots[rule]]
    ]


def plan_ward(settings: Settings, facts: Facts, ward: Ward, period: str) -> list[Planned]:
    """A ward's reminders of a month (the inspection one only in inspection months)."""
    _year, month = parse_period(period)
    planned = []
    for rule in WARD_RULES:
        if rule == INSPECTION and month not in settings.inspection_months:
            continue
        own = _override(facts, (ward.id,), rule)
        slot = settings.slots[rule]
        on = day_in(period, own.day or slot.day)
        planned.append(Planned(rule, ward.id, period, datetime.combine(on, own.at or slot.at, tzinfo=settings.tz)))
    return planned


def quarter_of(period: str) -> tuple[str, str, str]:
    """The three periods of the quarter `period` is in."""
    year, month = parse_period(period)
    first = (month - 1) // 3 * 3 + 1
    return tuple(f"{year:04d}-{m:02d}" for m in range(first, first + 3))  # type: ignore[return-value]


def plan_thematic(settings: Settings, facts: Facts, cell: Cell, period: str) -> list[Planned]:
    """In a quarter's last month: the reminder that a thematic meeting is due (checked when it fires)."""
    slot = settings.slots.get(THEMATIC)
    if slot is None or parse_period(period)[1] % 3 != 0:
        return []
    own = _override(facts, (cell.ward_id, cell.id), THEMATIC)
    on = day_in(period, own.day or slot.day)
    return [Planned(THEMATIC, cell.id, period, datetime.combine(on, own.at or slot.at, tzinfo=settings.tz))]


def plan(settings: Settings, facts: Facts, period: str) -> list[Planned]:
    """Every reminder of a month, in time order (then rule, then subject)."""
    planned = [p for ward in facts.wards for p in plan_ward(settings, facts, ward, period)]
    planned += [p for cell in facts.cells for p in plan_cell(settings, facts, cell, period)]
    planned += [p for cell in facts.cells for p in plan_thematic(settings, facts, cell, period)]
    order = {rule: index for index, rule in enumerate(RULES)}
    return sorted(planned, key=lambda p: (p.at, order[p.rule], p.subject))


def periods_around(now: datetime, tz: tzinfo = VIETNAM) -> tuple[str, str, str]:
    """The periods whose reminders may fall on the month of `now`: a moved meeting's follow-up can spill
    into the next month, an early meeting's committee reminder into the previous one."""
    current = period_of(local(now, tz).date())
    return shift_period(current, -1), current, shift_period(current, 1)


# --- deciding -----------------------------------------------------------------------------------

def _needed(planned: Planned, facts: Facts) -> bool:
    if planned.rule == FOLLOWUP:
        return (planned.subject, planned.period) not in facts.roll_calls
    if planned.rule == GUIDANCE:
        return (planned.subject, planned.period) not in facts.guidance_sent
    if planned.rule == THEMATIC:
        return not any((planned.subject, month) in facts.thematic_held for month in quarter_of(planned.period))
    return True


def decide(planned: Planned, now: datetime, facts: Facts, recipients: tuple[int, ...],
           tz: tzinfo = VIETNAM) -> tuple[str, str] | None:
    """(action, reason) for one planned reminder at `now`, or None when nothing is to be decided yet
    (its time has not come, or it is its day and nobody to send it to has joined yet)."""
    now_local = local(now, tz)
    if planned.at > now_local:
        return None
    if not _needed(planned, facts):
        return SKIP, NOT_NEEDED
    same_day = now_local.date() == planned.at.astimezone(tz).date()
    if same_day:
        return (SEND, ON_TIME) if recipients else None
    return SKIP, (LATE if recipients else NOBODY)


def due(now: datetime, facts: Facts, settings: Settings | None = None,
        periods: Iterable[str] | None = None) -> list[Due]:
    """The reminders to send or to skip for good at `now`, not already decided; in time order."""
    settings = settings or Settings.defaults()
    periods = tuple(periods) if periods is not None else periods_around(now, settings.tz)
    cells = {cell.id: cell for cell in facts.cells}
    wards = {ward.id: ward for ward in facts.wards}
    cells_of_ward: dict[int, list[int]] = {}
    for cell in facts.cells:
        cells_of_ward.setdefault(cell.ward_id, []).append(cell.id)
    result = []
    for period in periods:
        for planned in plan(settings, facts, period):
            if planned.key in facts.decided:
                continue
            if planned.rule in CELL_RULES or planned.rule in QUARTER_CELL_RULES:
                recipients = cells[planned.subject].recipients
            else:
                recipients = wards[planned.subject].recipients
            decision = decide(planned, now, facts, recipients, settings.tz)
            if decision is None:
                continue
            action, reason = decision
            extra: dict = {}
            if planned.rule == REPORT:
                ward_cells = cells_of_ward.get(planned.subject, [])
                extra = dict(
                    cells_without_roll_call=tuple(c for c in ward_cells if (c, period) not in facts.roll_calls),
                    cell_count=len(ward_cells),
                    deadline=day_in(period, settings.report_deadline_day),
                )
            result.append(Due(planned.rule, planned.subject, planned.period, planned.at, action, reason,
                              recipients if action == SEND else (), planned.meeting_on, planned.moved, **extra))
    return result


# --- moving a meeting ---------------------------------------------------------------------------

# Why a move to `day` is refused.
PAST, NOT_IN_MONTH = "past", "not_in_month"


def check_move(today: date, day: int) -> str | None:
    """A meeting is moved within the current month, to today or a later day of it: None if `day` is
    acceptable, else PAST or NOT_IN_MONTH."""
    if not 1 <= day <= last_day(period_of(today)):
        return NOT_IN_MONTH
    if day < today.day:
        return PAST
    return None


# Typed requests to move the meeting, matched on folded text (no case, no diacritics): "hoãn sang ngày 5",
# "Hoan sinh hoat den ngay 05", "dời họp sang ngày 5", "chuyển sang ngày 5", "move to day 5",
# "move the meeting to the 5th".
_MOVE_PATTERNS = (
    re.compile(r"^(?:hoan|doi|chuyen|lui)(?: (?:lich|buoi))?(?: (?:sinh hoat|hop))?(?: chi bo)?"
               r" (?:sang|den|toi|vao|qua) (?:ngay )?(\d{1,3})\.?$"),
    re.compile(r"^(?:move|postpone)(?: (?:the|this month'?s|our))?(?: meeting)? to(?: the)?(?: day)?"
               r" (\d{1,3})(?:st|nd|rd|th)?\.?$"),
)


def parse_move_request(text: str) -> int | None:
    """The day asked for by a typed "move the meeting" request, or None if the text is not one.
    The day is not checked here (see `check_move`): "hoãn sang ngày 45" is a request for day 45."""
    folded = fold(text)
    for pattern in _MOVE_PATTERNS:
        match = pattern.match(folded)
        if match:
            return int(match.group(1))
    return None
