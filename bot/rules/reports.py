"""The monthly ward report and the city overview, as plain aggregation over plain data.

Before the 10th of each month a ward (đảng ủy phường) sums up its cells' (chi bộ) meetings: which cells met,
their attendance at the two roll calls against the target, the meeting's length against the minimum, its
kind, how many members spoke, whether the ward committee member in charge attended, and the cell's
recommendations (kiến nghị) by status. The city (Thành ủy) follows all wards.

The figures of each roll call come counted already (`Count`): storage counts the frozen per-member rows
with the one counting function of the roll call (bot/rules/attendance.py), so this module never counts
members itself and a past month's report does not move when the roster changes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

from bot.rules.text import fold

# The meeting's kind: regular (thường kỳ), thematic (chuyên đề), or both held together.
REGULAR, THEMATIC, BOTH = "regular", "thematic", "both"
KINDS = (REGULAR, THEMATIC, BOTH)
START, END = "start", "end"


@dataclass(frozen=True)
class Count:
    """One roll call as counted: present of eligible, and whether it meets the attendance target."""

    present: int
    eligible: int
    meets_target: bool

    @property
    def rate(self) -> float | None:
        return self.present / self.eligible if self.eligible else None


@dataclass(frozen=True)
class Absent:
    """A member absent at one roll call (as frozen when it was taken)."""

    name: str
    phase: str              # START or END
    excused: bool           # with a reason (có lý do)
    reason: str = ""


@dataclass(frozen=True)
class Recommendation:
    """One recommendation of the month, for the report's second sheet and the city's escalated list."""

    code: str               # e.g. KN-2612-0042
    cell_id: int
    status: str
    category: str = ""
    summary: str = ""


@dataclass(frozen=True)
class CellMonth:
    """What one cell recorded for one month. A cell with no roll call has `start` None: it did not report."""

    cell_id: int
    cell_name: str
    ward_id: int
    ward_name: str
    month: str                               # 'YYYY-MM'
    start: Count | None = None
    end: Count | None = None
    length_minutes: int | None = None        # from the two roll calls' times
    minimum_minutes: int | None = None       # the minimum for the meeting's kind
    length_ok: bool | None = None            # from the roll call's counting function
    kind: str | None = None                  # REGULAR, THEMATIC, BOTH
    speakers: int | None = None              # members who spoke
    ward_member_attended: bool | None = None
    answers_reported: bool | None = None     # answers to recommendations reported to members (None: none due)
    minutes_attached: bool = False           # a photo or document of the minutes
    recommendations: Mapping[str, int] = field(default_factory=dict)   # status -> how many
    absent: tuple[Absent, ...] = ()
    meeting_day: str | None = None           # ISO date the meeting was held (moved or regular)

    @property
    def reported(self) -> bool:
        return self.start is not None

    @property
    def under_target(self) -> bool:
        """A roll call taken and below the target (a cell that did not report is listed apart)."""
        return any(count is not None and not count.meets_target for count in (self.start, self.end))

    @property
    def thematic(self) -> bool:
        return self.kind in (THEMATIC, BOTH)


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Totals:
    """Sums over a set of cells (a ward, or the city) for one month."""

    cells: int
    reported: int
    start_present: int
    start_eligible: int
    end_present: int
    end_eligible: int
    under_target: int
    length_ok: int
    thematic: int
    speakers: int
    ward_member_attended: int
    recommendations: Mapping[str, int]

    @property
    def not_reported(self) -> int:
        return self.cells - self.reported

    @property
    def reporting_rate(self) -> float | None:
        return rate(self.reported, self.cells)

    @property
    def start_rate(self) -> float | None:
        return rate(self.start_present, self.start_eligible)

    @property
    def end_rate(self) -> float | None:
        return rate(self.end_present, self.end_eligible)

    @property
    def length_rate(self) -> float | None:
        return rate(self.length_ok, self.reported)

    @property
    def ward_member_rate(self) -> float | None:
        return rate(self.ward_member_attended, self.reported)


def totals(rows: Iterable[CellMonth]) -> Totals:
    rows = list(rows)
    held = [row for row in rows if row.reported]
    recommendations: Counter[str] = Counter()
    for row in rows:
        recommendations.update(row.recommendations)
    return Totals(
        cells=len(rows),
        reported=len(held),
        start_present=sum(row.start.present for row in held),
        start_eligible=sum(row.start.eligible for row in held),
        end_present=sum(row.end.present for row in held if row.end),
        end_eligible=sum(row.end.eligible for row in held if row.end),
        under_target=sum(1 for row in held if row.under_target),
        length_ok=sum(1 for row in held if row.length_ok),
        thematic=sum(1 for row in held if row.thematic),
        speakers=sum(row.speakers or 0 for row in held),
        ward_member_attended=sum(1 for row in held if row.ward_member_attended),
        recommendations=dict(recommendations),
    )


@dataclass(frozen=True)
class WardReport:
    ward_id: int
    ward_name: str
    month: str
    rows: tuple[CellMonth, ...]              # one per cell, by name
    totals: Totals
    recommendations: tuple[Recommendation, ...] = ()

    @property
    def not_reported(self) -> tuple[CellMonth, ...]:
        return tuple(row for row in self.rows if not row.reported)

    @property
    def under_target(self) -> tuple[CellMonth, ...]:
        return tuple(row for row in self.rows if row.reported and row.under_target)


def ward_report(ward_id: int, ward_name: str, month: str, rows: Iterable[CellMonth],
                recommendations: Iterable[Recommendation] = ()) -> WardReport:
    """The ward's report: its cells by name (those of other wards or months are left out)."""
    mine = sorted((row for row in rows if row.ward_id == ward_id and row.month == month),
                  key=lambda row: (fold(row.cell_name), row.cell_id))
    cell_ids = {row.cell_id for row in mine}
    return WardReport(ward_id, ward_name, month, tuple(mine), totals(mine),
                      tuple(r for r in recommendations if r.cell_id in cell_ids))


@dataclass(frozen=True)
class CityReport:
    month: str
    wards: tuple[WardReport, ...]            # by name
    totals: Totals
    escalated: tuple[Recommendation, ...] = ()

    def most_missing(self, limit: int = 5) -> list[WardReport]:
        """The wards with the most cells that did not report (none listed when all reported)."""
        missing = [ward for ward in self.wards if ward.totals.not_reported]
        missing.sort(key=lambda ward: (-ward.totals.not_reported, fold(ward.ward_name)))
        return missing[:limit]


def city_report(month: str, wards: Mapping[int, str], rows: Iterable[CellMonth],
                escalated: Iterable[Recommendation] = ()) -> CityReport:
    """Every ward's report for the month (`wards`: id -> name), and the city's totals over all cells."""
    rows = [row for row in rows if row.month == month]
    by_ward: dict[int, list[CellMonth]] = {ward_id: [] for ward_id in wards}
    for row in rows:
        by_ward.setdefault(row.ward_id, []).append(row)
    reports = [ward_report(ward_id, wards.get(ward_id, ""), month, by_ward[ward_id]) for ward_id in by_ward]
    reports.sort(key=lambda ward: (fold(ward.ward_name), ward.ward_id))
    return CityReport(month, tuple(reports), totals(rows), tuple(escalated))


@dataclass(frozen=True)
class TrendPoint:
    month: str
    attendance_rate: float | None            # start roll calls: present / eligible over the city
    reporting_rate: float | None             # cells that reported / cells


def trend(months: Sequence[str], rows: Iterable[CellMonth]) -> list[TrendPoint]:
    """The city's attendance and reporting rate for each month (rows: one per cell and month, those that
    did not report included)."""
    by_month: dict[str, list[CellMonth]] = {month: [] for month in months}
    for row in rows:
        if row.month in by_month:
            by_month[row.month].append(row)
    points = []
    for month in months:
        summed = totals(by_month[month])
        points.append(TrendPoint(month, summed.start_rate, summed.reporting_rate))
    return points


def quarter_months(quarter: str) -> tuple[str, str, str]:
    """'2026-Q4' -> ('2026-10', '2026-11', '2026-12'); ValueError on anything else."""
    year_text, sep, number = quarter.upper().partition("-Q")
    if not sep or len(year_text) != 4 or not year_text.isdigit() or number not in ("1", "2", "3", "4"):
        raise ValueError(f"not a quarter YYYY-QN: {quarter!r}")
    first = (int(number) - 1) * 3 + 1
    return tuple(f"{year_text}-{month:02d}" for month in range(first, first + 3))  # type: ignore[return-value]


def quarter_of(month: str) -> str:
    year, number = month.split("-")
    return f"{year}-Q{(int(number) - 1) // 3 + 1}"


def last_months(month: str, count: int = 12) -> list[str]:
    """The `count` months ending with `month`, oldest first."""
    year, number = (int(part) for part in month.split("-"))
    index = year * 12 + number - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - count + 1, index + 1)]


def pick_by_name(units: Iterable[tuple[int, str]], query: str) -> list[int]:
    """The ids of units named `query` without regard to case or diacritics: the exact name if one is,
    else every name containing it ('nam ngan' finds 'Nam Ngạn')."""
    key = fold(query)
    if not key:
        return []
    units = list(units)
    exact = [unit_id for unit_id, name in units if fold(name) == key]
    return exact or [unit_id for unit_id, name in units if key in fold(name)]


def check_month(month: str, current: str) -> str | None:
    """Why a report month cannot be asked for: None if fine, MALFORMED or FUTURE."""
    year, sep, number = month.partition("-")
    if not (sep and len(year) == 4 and len(number) == 2 and (year + number).isdigit() and 1 <= int(number) <= 12):
        return MALFORMED
    return FUTURE if month > current else None


def check_quarter(quarter: str, current_month: str) -> str | None:
    try:
        first = quarter_months(quarter)[0]
    except ValueError:
        return MALFORMED
    return FUTURE if first > current_month else None


MALFORMED, FUTURE = "malformed", "future"
