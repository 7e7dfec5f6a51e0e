"""From the database and the config to the plain data `bot/rules/schedule.py` decides on: which cells and
wards exist, who can be written to, the exceptions, moved meetings, roll calls, guidance sent, and what
was already decided. Also the names and addresses needed to write the messages."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import time, tzinfo
from typing import Iterable

from bot.core.config import RemindersConfig
from bot.rules import schedule
from bot.rules.schedule import Cell, Facts, Override, Settings, Slot, Ward
from storage import accounts, codec, meetings, org, reminders
from storage import recommendations as recommendation_store
from storage import guidance as guidance_store
from storage.db import Database

log = logging.getLogger(__name__)


def parse_time(text: str) -> time:
    hours, _sep, minutes = text.partition(":")
    return time(int(hours), int(minutes))


def settings_from_config(config: RemindersConfig, tz: tzinfo) -> Settings:
    slot = lambda day, at: Slot(day, parse_time(at))  # noqa: E731
    return Settings(
        slots={
            schedule.COMMITTEE: slot(config.committee_day, config.committee_time),
            schedule.MEETING: slot(config.meeting_day, config.meeting_time),
            schedule.FOLLOWUP: slot(config.followup_day, config.followup_time),
            schedule.GUIDANCE: slot(config.guidance_day, config.guidance_time),
            schedule.REPORT: slot(config.report_day, config.report_time),
            schedule.INSPECTION: slot(config.inspection_day, config.inspection_time),
            schedule.THEMATIC: slot(config.thematic_day, config.thematic_time),
        },
        inspection_months=frozenset(config.inspection_months),
        report_deadline_day=config.report_deadline_day,
        tz=tz,
    )


@dataclass
class Directory:
    """Who and what the reminders name: units, people (with their language), their chat accounts, and
    every secretary/deputy and ward staff member (joined or not, for `shcb schedule show`)."""

    units: dict[int, org.Unit] = field(default_factory=dict)
    people: dict[int, org.Person] = field(default_factory=dict)
    accounts: dict[int, list[accounts.Account]] = field(default_factory=dict)   # where to write (for_people)
    members: dict[int, list[int]] = field(default_factory=dict)   # unit id -> person ids meant to receive
    # recommendations named by a reminder: (rule, subject) -> items (the answers a cell received since its
    # previous meeting reminder; a ward's open items)
    recommendations: dict[tuple[str, int], list] = field(default_factory=dict)


async def guidance_sent(db: Database, pairs: Iterable[tuple[int, str]]) -> frozenset[tuple[int, str]]:
    """Which of these (ward id, period) have had their guidance sent to the cells."""
    pairs = list(pairs)
    if not pairs:
        return frozenset()
    found = set()
    for ward_id, period in pairs:
        if await guidance_store.sent_for_month(db, ward_id, period):
            found.add((ward_id, period))
    return frozenset(found)


async def load(db: Database, periods: Iterable[str], *, both_channels: bool, ward_ids: Iterable[int] | None = None,
               with_guidance: bool = True) -> tuple[Facts, Directory]:
    """The facts for these periods (optionally: for some wards only). `both_channels`: `[delivery]
    both_channels` (whether a person on two channels is written to on both)."""
    periods = list(periods)
    wards = await org.units_of_kind(db, "ward")
    if ward_ids is not None:
        wanted = set(ward_ids)
        wards = [ward for ward in wards if ward.id in wanted]
    ward_set = {ward.id for ward in wards}
    cells = [cell for cell in await org.units_of_kind(db, "cell") if cell.parent_id in ward_set]

    leaders = await org.current_members(db, [cell.id for cell in cells], org.CELL_LEADERS)
    staff = await org.current_members(db, [ward.id for ward in wards], [org.WARD_STAFF])
    directory = Directory(units={unit.id: unit for unit in wards + cells})
    for person, membership in leaders + staff:
        directory.people[person.id] = person
        directory.members.setdefault(membership.unit_id, []).append(person.id)
    directory.accounts = await accounts.for_people(db, directory.people, both=both_channels)
    reachable = {pid for pid, listed in directory.accounts.items() if any(not a.unreachable for a in listed)}

    def recipients(unit_id: int) -> tuple[int, ...]:
        return tuple(dict.fromkeys(pid for pid in directory.members.get(unit_id, []) if pid in reachable))

    overrides: dict[int, dict[str, Override]] = {}
    for row in await reminders.overrides(db):
        overrides.setdefault(row.unit_id, {})[row.rule] = Override(
            row.day, parse_time(row.time) if row.time else None)

    decided = frozenset(await reminders.decided(db, periods))
    # asked only for what is still to decide: after the 1st, nothing
    open_guidance = [(ward_id, period) for ward_id in sorted(ward_set) for period in periods
                     if (schedule.GUIDANCE, ward_id, period) not in decided] if with_guidance else []
    facts = Facts(
        cells=tuple(Cell(cell.id, cell.parent_id, recipients(cell.id)) for cell in cells),
        wards=tuple(Ward(ward.id, recipients(ward.id)) for ward in wards),
        overrides=overrides,
        moves=await meetings.moves(db, periods),
        decided=decided,
        roll_calls=frozenset(await meetings.with_roll_call(db, periods)),
        guidance_sent=await guidance_sent(db, open_guidance),
        thematic_held=frozenset(await meetings.thematic_held(
            db, sorted({month for period in periods for month in schedule.quarter_of(period)}))),
    )
    return facts, directory


async def load_recommendations(db: Database, directory: Directory, dues: Iterable[schedule.Due]) -> None:
    """For the meeting reminders: the answers each cell received since its previous meeting reminder
    (which listed those before), so that each answer reaches the members once; for the ward report: the
    ward's recommendations still open."""
    for due in dues:
        if due.rule == schedule.MEETING:
            since = await reminders.last_sent_before(db, schedule.MEETING, due.subject, codec.instant(due.at))
            found = await recommendation_store.answered_since(db, due.subject, since, codec.instant(due.at))
        elif due.rule == schedule.REPORT:
            found = await recommendation_store.open_items(db, ward_id=due.subject,
                                                          submitted_before=codec.instant(due.at))
        else:
            continue
        if found:
            directory.recommendations[(due.rule, due.subject)] = found
