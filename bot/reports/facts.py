"""From the database to the reports' plain data: storage/reports.py reads the frozen roll-call rows, the
roll call's own counting function (bot/rules/attendance.py) counts them, bot/rules/reports.py aggregates.
So a past month's report reads what the secretary confirmed, whatever the roster says now."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain, repeat
from typing import Sequence

from bot.core.config import Config
from bot.rules import attendance
from bot.rules import reports as rules
from bot.rules.reports import Absent, CellMonth, Count, Recommendation
from storage import codec, org
from storage import reports as store
from storage.db import Database

SUMMARY_LENGTH = 120


def _count(phase: store.Phase, target: float) -> attendance.Count:
    statuses = chain.from_iterable(repeat(status, n) for status, n in phase.tally.items())
    return attendance.count(statuses, counted_present=phase.counted_present, guests=phase.guests, target=target)


def cell_month(recorded: store.Recorded, config: Config, items: Sequence[store.Item] = ()) -> CellMonth:
    meeting = config.meeting
    counts = {name: _count(phase, meeting.target) for name, phase in recorded.phases.items()}
    start, end = recorded.phases.get(attendance.START), recorded.phases.get(attendance.END)
    length = None
    if start and end:
        length = attendance.length(codec.parse_instant(start.taken_at), codec.parse_instant(end.taken_at),
                                   recorded.kind, minimum=meeting.minimum_minutes,
                                   minimum_both=meeting.minimum_minutes_both)
    absent = tuple(Absent(name, phase_name, status == "absent_excused", reason or "")
                   for phase_name in (attendance.START, attendance.END)
                   for name, status, reason in (recorded.phases[phase_name].absent if phase_name in recorded.phases else ()))
    statuses: dict[str, int] = {}
    for item in items:
        statuses[item.status] = statuses.get(item.status, 0) + 1

    def simple(name: str) -> Count | None:
        found = counts.get(name)
        return Count(found.present, found.eligible, found.meets_target) if found else None

    return CellMonth(
        recorded.cell_id, recorded.cell_name, recorded.ward_id, recorded.ward_name, recorded.month,
        start=simple(attendance.START), end=simple(attendance.END),
        length_minutes=length.minutes if length else None,
        minimum_minutes=attendance.minimum_minutes(recorded.kind, meeting.minimum_minutes,
                                                   meeting.minimum_minutes_both),
        length_ok=length.meets_minimum if length else (False if start else None),
        kind=recorded.kind, speakers=recorded.speakers, ward_member_attended=recorded.ward_member_attended,
        answers_reported=recorded.answers_reported, minutes_attached=recorded.minutes_attached,
        recommendations=statuses, absent=absent, meeting_day=recorded.held_on or recorded.meeting_day,
    )


def _recommendation(item: store.Item) -> Recommendation:
    summary = " ".join(item.content.split())
    if len(summary) > SUMMARY_LENGTH:
        summary = summary[:SUMMARY_LENGTH - 1] + "…"
    return Recommendation(item.code, item.cell_id, item.status, item.category, summary)


def _by_cell(items: Sequence[store.Item]) -> dict[int, list[store.Item]]:
    found: dict[int, list[store.Item]] = {}
    for item in items:
        found.setdefault(item.cell_id, []).append(item)
    return found


async def ward_report(db: Database, config: Config, ward: org.Unit, month: str) -> rules.WardReport:
    recorded = await store.months_of_cells(db, [month], ward_id=ward.id, names_month=month)
    items = await store.items_of_month(db, month, ward_id=ward.id)
    by_cell = _by_cell(items)
    rows = [cell_month(r, config, by_cell.get(r.cell_id, ())) for r in recorded]
    return rules.ward_report(ward.id, ward.name, month, rows, [_recommendation(i) for i in items])


@dataclass(frozen=True)
class CityMonth:
    report: rules.CityReport
    trend: list[rules.TrendPoint]


async def city_report(db: Database, config: Config, month: str, *, trend_months: int = 12) -> CityMonth:
    """The city's month and its twelve-month trend: one query for the cells' months, one for the
    recommendations."""
    months = rules.last_months(month, trend_months)
    recorded = await store.months_of_cells(db, months, names_month=month)
    items = await store.items_of_month(db, month)
    by_cell = _by_cell(items)
    rows = [cell_month(r, config, by_cell.get(r.cell_id, ()) if r.month == month else ()) for r in recorded]
    wards = {ward.id: ward.name for ward in await org.units_of_kind(db, "ward")}
    wards.update({row.ward_id: row.ward_name for row in rows})
    escalated = [_recommendation(i) for i in items if i.escalated]
    return CityMonth(rules.city_report(month, wards, rows, escalated), rules.trend(months, rows))


async def quarter_rows(db: Database, config: Config, quarter: str, *, ward_id: int | None = None) -> list[CellMonth]:
    """Every cell's three months of the quarter (one query)."""
    recorded = await store.months_of_cells(db, rules.quarter_months(quarter), ward_id=ward_id)
    return [cell_month(r, config) for r in recorded]
