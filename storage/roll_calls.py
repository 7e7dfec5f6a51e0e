"""Roll calls (điểm danh): one row per member per roll call, the eligible set frozen when it was taken, and
the figures confirmed then (computed by bot/rules/attendance.py). Also the month's figures of every cell
of a ward or of the city in one query, for the reports."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Iterable

import aiosqlite

from storage.codec import parse_day
from storage.db import Database
from storage.meetings import ensure_meeting

START, END = "start", "end"
ABSENT_STATUSES = ("absent_excused", "absent_unexcused")


@dataclass(frozen=True)
class MemberMark:
    """One member in one roll call, as frozen then."""

    person_id: int
    number: int          # 1, 2, … in the order shown
    full_name: str
    role: str            # secretary, deputy, member
    exempt: bool
    status: str          # bot/rules/attendance.py STATUSES
    reason: str | None = None


@dataclass(frozen=True)
class RollCall:
    id: int
    meeting_id: int
    cell_id: int
    month: str
    phase: str           # 'start' or 'end'
    taken_at: str        # when it was taken (UTC instant; the secretary may correct it)
    taken_by: int | None
    saved_at: str | None
    eligible: int
    present: int
    guests: int
    guest_note: str | None
    counted_present: int | None
    revision: int
    members: tuple[MemberMark, ...] = ()


async def save(conn: aiosqlite.Connection, *, cell_id: int, month: str, phase: str, taken_at: str,
               taken_by: int | None, saved_at: str, members: Iterable[MemberMark], eligible: int, present: int,
               guests: int = 0, guest_note: str | None = None, counted_present: int | None = None,
               held_on: date | None = None) -> int:
    """Record (or correct: replace) one roll call of a month's meeting inside the caller's transaction, its
    member rows and figures together. `held_on`: the meeting's day (set with the start roll call).
    Returns the roll call's id."""
    if phase not in (START, END):
        raise ValueError(f"roll call phase must be {START!r} or {END!r}, not {phase!r}")
    members = list(members)
    meeting_id = await ensure_meeting(conn, cell_id, month, saved_at)
    await conn.execute(
        """INSERT INTO roll_calls (meeting_id, phase, taken_at, taken_by, present, absent, eligible, guests,
                                   guest_note, counted_present, saved_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (meeting_id, phase) DO UPDATE SET taken_at = excluded.taken_at,
               taken_by = excluded.taken_by, present = excluded.present, absent = excluded.absent,
               eligible = excluded.eligible, guests = excluded.guests, guest_note = excluded.guest_note,
               counted_present = excluded.counted_present, saved_at = excluded.saved_at,
               revision = roll_calls.revision + 1""",
        (meeting_id, phase, taken_at, taken_by, present, eligible - present, eligible, guests, guest_note,
         counted_present, saved_at))
    async with conn.execute("SELECT id FROM roll_calls WHERE meeting_id = ? AND phase = ?",
                            (meeting_id, phase)) as cursor:
        roll_call_id = (await cursor.fetchone())[0]
    await conn.execute("DELETE FROM roll_call_members WHERE roll_call_id = ?", (roll_call_id,))
    await conn.executemany(
        """INSERT INTO roll_call_members (roll_call_id, person_id, number, full_name, role, exempt, status, reason)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        [(roll_call_id, m.person_id, m.number, m.full_name, m.role, int(m.exempt), m.status, m.reason)
         for m in members])
    if held_on is not None:
        await conn.execute("UPDATE meetings SET held_on = ? WHERE id = ?", (held_on.isoformat(), meeting_id))
    return roll_call_id


def _roll_call(row, members: tuple[MemberMark, ...]) -> RollCall:
    return RollCall(row["id"], row["meeting_id"], row["cell_id"], row["month"], row["phase"], row["taken_at"],
                    row["taken_by"], row["saved_at"], row["eligible"], row["present"], row["guests"],
                    row["guest_note"], row["counted_present"], row["revision"], members)


async def members_of(db: Database, roll_call_id: int) -> tuple[MemberMark, ...]:
    rows = await db.fetchall(
        "SELECT * FROM roll_call_members WHERE roll_call_id = ? ORDER BY number", (roll_call_id,))
    return tuple(MemberMark(r["person_id"], r["number"], r["full_name"], r["role"], bool(r["exempt"]), r["status"],
                            r["reason"]) for r in rows)


async def of_meeting(db: Database, cell_id: int, month: str) -> dict[str, RollCall]:
    """The month's saved roll calls of a cell, by phase, with their members."""
    rows = await db.fetchall(
        """SELECT r.*, m.cell_id, m.month FROM roll_calls r JOIN meetings m ON m.id = r.meeting_id
           WHERE m.cell_id = ? AND m.month = ?""", (cell_id, month))
    return {row["phase"]: _roll_call(row, await members_of(db, row["id"])) for row in rows}


async def get(db: Database, cell_id: int, month: str, phase: str) -> RollCall | None:
    return (await of_meeting(db, cell_id, month)).get(phase)


# --- the month of every cell, for the reports ---------------------------------------------------------


@dataclass(frozen=True)
class Absentee:
    number: int
    full_name: str
    excused: bool        # absent with a reason (absent_excused) or without
    reason: str | None


@dataclass(frozen=True)
class Figures:
    """One saved roll call, as frozen."""

    taken_at: str        # UTC instant
    eligible: int
    present: int
    guests: int
    counted_present: int | None     # taken by count (`có mặt 27`): absentees are then not named
    absent: tuple[Absentee, ...]


@dataclass(frozen=True)
class CellMonth:
    """A cell's meeting of one month as recorded: what the ward's and the city's reports read."""

    cell_id: int
    cell_name: str
    ward_id: int
    ward_name: str
    month: str
    meeting_id: int | None       # None: nothing recorded (no move, no roll call)
    moved_to: date | None        # the day the meeting was moved to, if it was
    held_on: date | None         # the day of its start roll call
    start: Figures | None
    end: Figures | None
    kind: str | None             # regular, thematic, both (the record)
    topic: str | None
    speakers: int | None
    ward_member_attended: bool | None
    conclusions: str | None
    proposed_grade: str | None   # good, fair, average, poor
    minutes_file_id: str | None
    answers_reported: bool | None
    record_saved_at: str | None


def _absent_json(alias: str) -> str:
    return (f"""(SELECT json_group_array(json_array(x.number, x.full_name, x.status, x.reason)) FROM
                 (SELECT number, full_name, status, reason FROM roll_call_members
                  WHERE roll_call_id = {alias}.id AND status IN ('absent_excused', 'absent_unexcused')
                  ORDER BY number) AS x)""")


_MONTH_SQL = f"""
SELECT c.id AS cell_id, c.name AS cell_name, w.id AS ward_id, w.name AS ward_name,
       m.id AS meeting_id, m.meeting_day, m.held_on, m.kind, m.topic, m.speakers, m.ward_member_attended,
       m.conclusions, m.proposed_grade, m.minutes_file_id, m.answers_reported, m.record_saved_at,
       s.id AS s_id, s.taken_at AS s_taken_at, s.eligible AS s_eligible, s.present AS s_present,
       s.guests AS s_guests, s.counted_present AS s_counted, {_absent_json('s')} AS s_absent,
       e.id AS e_id, e.taken_at AS e_taken_at, e.eligible AS e_eligible, e.present AS e_present,
       e.guests AS e_guests, e.counted_present AS e_counted, {_absent_json('e')} AS e_absent
FROM units c
JOIN units w ON w.id = c.parent_id AND w.kind = 'ward'
LEFT JOIN meetings m ON m.cell_id = c.id AND m.month = :month
LEFT JOIN roll_calls s ON s.meeting_id = m.id AND s.phase = 'start'
LEFT JOIN roll_calls e ON e.meeting_id = m.id AND e.phase = 'end'
WHERE c.kind = 'cell' AND (c.active = 1 OR s.id IS NOT NULL)
  AND (:ward_id IS NULL OR w.id = :ward_id)
ORDER BY w.name, w.id, c.name, c.id
"""


def _figures(row, prefix: str) -> Figures | None:
    if row[f"{prefix}_id"] is None:
        return None
    absent = tuple(Absentee(number, name, status == "absent_excused", reason)
                   for number, name, status, reason in json.loads(row[f"{prefix}_absent"] or "[]"))
    return Figures(row[f"{prefix}_taken_at"], row[f"{prefix}_eligible"], row[f"{prefix}_present"],
                   row[f"{prefix}_guests"], row[f"{prefix}_counted"], absent)


def _flag(value) -> bool | None:
    return None if value is None else bool(value)


async def month_figures(db: Database, month: str, ward_id: int | None = None) -> list[CellMonth]:
    """Every cell of one ward (or of the whole city when `ward_id` is None) for one month 'YYYY-MM': its
    frozen roll-call figures with the absent members named, and its record — in ONE query. Cells closed
    since are included when they recorded that month."""
    rows = await db.fetchall(_MONTH_SQL, {"month": month, "ward_id": ward_id})
    return [CellMonth(
        row["cell_id"], row["cell_name"], row["ward_id"], row["ward_name"], month, row["meeting_id"],
        parse_day(row["meeting_day"]), parse_day(row["held_on"]), _figures(row, "s"), _figures(row, "e"),
        row["kind"], row["topic"], row["speakers"], _flag(row["ward_member_attended"]), row["conclusions"],
        row["proposed_grade"], row["minutes_file_id"], _flag(row["answers_reported"]), row["record_saved_at"],
    ) for row in rows]


async def record(db: Database, **values) -> int:
    """`save` in a transaction of its own (the command line, the demo's and the tests' set-up)."""
    async with db.transaction() as conn:
        return await save(conn, saved_at=values.pop("saved_at", values["taken_at"]), **values)
