"""A cell's monthly meetings: moved for one month, and the meeting record (biên bản: kind, topic, speakers,
conclusions, proposed grade, minutes) that its secretary and deputy share. Roll calls are in
storage/roll_calls.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable

import aiosqlite

from storage.codec import day as day_text, parse_day
from storage.db import Database

START, END = "start", "end"


@dataclass(frozen=True)
class Meeting:
    id: int
    cell_id: int
    month: str                 # 'YYYY-MM'
    meeting_day: date | None   # the day it was moved to; None: the regular day
    moved_by: int | None
    moved_at: str | None


def _meeting(row) -> Meeting:
    return Meeting(row["id"], row["cell_id"], row["month"], parse_day(row["meeting_day"]), row["moved_by"],
                   row["moved_at"])


async def get(db: Database, cell_id: int, month: str) -> Meeting | None:
    row = await db.fetchone("SELECT * FROM meetings WHERE cell_id = ? AND month = ?", (cell_id, month))
    return _meeting(row) if row else None


async def ensure_meeting(conn: aiosqlite.Connection, cell_id: int, month: str, at: str) -> int:
    await conn.execute(
        "INSERT INTO meetings (cell_id, month, created_at) VALUES (?, ?, ?) ON CONFLICT (cell_id, month) DO NOTHING",
        (cell_id, month, at))
    async with conn.execute("SELECT id FROM meetings WHERE cell_id = ? AND month = ?", (cell_id, month)) as cursor:
        return (await cursor.fetchone())[0]


async def move(conn: aiosqlite.Connection, *, cell_id: int, month: str, from_day: date, to_day: date,
               by: int | None, at: str) -> int:
    """Move the month's meeting to `to_day`, inside the caller's transaction (with its audit entry and the
    notices to the other leaders). Returns the meeting's id."""
    meeting_id = await ensure_meeting(conn, cell_id, month, at)
    await conn.execute("UPDATE meetings SET meeting_day = ?, moved_by = ?, moved_at = ? WHERE id = ?",
                       (day_text(to_day), by, at, meeting_id))
    await conn.execute(
        "INSERT INTO meeting_moves (meeting_id, from_day, to_day, moved_by, moved_at) VALUES (?, ?, ?, ?, ?)",
        (meeting_id, day_text(from_day), day_text(to_day), by, at))
    return meeting_id


async def moves(db: Database, months: Iterable[str]) -> dict[tuple[int, str], int]:
    """(cell id, month) -> the day of the month its meeting was moved to."""
    wanted = list(months)
    if not wanted:
        return {}
    rows = await db.fetchall(
        f"SELECT cell_id, month, meeting_day FROM meetings WHERE meeting_day IS NOT NULL"
        f" AND month IN ({','.join('?' * len(wanted))})", wanted)
    return {(row["cell_id"], row["month"]): parse_day(row["meeting_day"]).day for row in rows}


async def move_history(db: Database, cell_id: int, month: str) -> list[tuple[date, date, int | None, str]]:
    """(from, to, by person, at) of every move of that meeting, oldest first."""
    rows = await db.fetchall(
        """SELECT mm.from_day, mm.to_day, mm.moved_by, mm.moved_at FROM meeting_moves mm
           JOIN meetings m ON m.id = mm.meeting_id WHERE m.cell_id = ? AND m.month = ? ORDER BY mm.id""",
        (cell_id, month))
    return [(parse_day(r["from_day"]), parse_day(r["to_day"]), r["moved_by"], r["moved_at"]) for r in rows]


async def has_roll_call(db: Database, cell_id: int, month: str) -> bool:
    """Has the month's meeting a saved roll call (of either phase)?"""
    return bool(await db.fetchval(
        """SELECT EXISTS (SELECT 1 FROM roll_calls r JOIN meetings m ON m.id = r.meeting_id
                          WHERE m.cell_id = ? AND m.month = ?)""", (cell_id, month)))


async def with_roll_call(db: Database, months: Iterable[str]) -> set[tuple[int, str]]:
    """(cell id, month) of every meeting with a saved start roll call in these months (the follow-up of
    the 4th and the ward report look for it)."""
    wanted = list(months)
    if not wanted:
        return set()
    rows = await db.fetchall(
        f"""SELECT DISTINCT m.cell_id, m.month FROM meetings m JOIN roll_calls r ON r.meeting_id = m.id
            WHERE r.phase = 'start' AND m.month IN ({','.join('?' * len(wanted))})""", wanted)
    return {(row["cell_id"], row["month"]) for row in rows}


# --- the meeting record -----------------------------------------------------------------------------------

RECORD_FIELDS = ("kind", "topic", "speakers", "ward_member_attended", "conclusions", "proposed_grade",
                 "minutes_file_id", "minutes_file_name", "minutes_kind", "answers_reported")


@dataclass(frozen=True)
class Record:
    """The month's meeting and its record, as saved (fields None when not given or skipped)."""

    meeting_id: int
    cell_id: int
    month: str
    held_on: date | None
    kind: str | None                 # regular, thematic, both
    topic: str | None
    speakers: int | None
    ward_member_attended: bool | None
    conclusions: str | None
    proposed_grade: str | None       # good, fair, average, poor (Tốt, Khá, Trung bình, Kém)
    minutes_file_id: str | None
    minutes_file_name: str | None
    minutes_kind: str | None         # photo, document
    answers_reported: bool | None
    saved_by: int | None
    saved_at: str | None
    rev: int                         # how many times it was saved
    reopened_until: date | None

    def fields(self) -> dict:
        return {name: getattr(self, name) for name in RECORD_FIELDS}


def _flag(value) -> bool | None:
    return None if value is None else bool(value)


def _record(row) -> Record:
    return Record(row["id"], row["cell_id"], row["month"], parse_day(row["held_on"]), row["kind"], row["topic"],
                  row["speakers"], _flag(row["ward_member_attended"]), row["conclusions"], row["proposed_grade"],
                  row["minutes_file_id"], row["minutes_file_name"], row["minutes_kind"],
                  _flag(row["answers_reported"]), row["record_saved_by"], row["record_saved_at"], row["record_rev"],
                  parse_day(row["reopened_until"]))


async def get_record(db: Database, cell_id: int, month: str) -> Record | None:
    row = await db.fetchone("SELECT * FROM meetings WHERE cell_id = ? AND month = ?", (cell_id, month))
    return _record(row) if row else None


async def get_record_by_id(db: Database, meeting_id: int) -> Record | None:
    row = await db.fetchone("SELECT * FROM meetings WHERE id = ?", (meeting_id,))
    return _record(row) if row else None


async def save_record(conn: aiosqlite.Connection, *, meeting_id: int, fields: dict, by: int | None, at: str,
                      expected_rev: int | None = None) -> bool:
    """Save the record's fields (those of RECORD_FIELDS given) inside the caller's transaction. With
    `expected_rev`, only if nobody saved it since that revision was read: False when someone did (the
    caller shows what they saved and asks)."""
    unknown = set(fields) - set(RECORD_FIELDS)
    if unknown:
        raise ValueError(f"not record fields: {sorted(unknown)}")
    values = {name: (int(value) if isinstance(value, bool) else value) for name, value in fields.items()}
    assignments = "".join(f"{name} = :{name}, " for name in values)
    sql = (f"UPDATE meetings SET {assignments}record_saved_by = :by, record_saved_at = :at, "
           f"record_rev = record_rev + 1 WHERE id = :id")
    params = {**values, "by": by, "at": at, "id": meeting_id}
    if expected_rev is not None:
        sql += " AND record_rev = :rev"
        params["rev"] = expected_rev
    cursor = await conn.execute(sql, params)
    return cursor.rowcount == 1


async def reopen(conn: aiosqlite.Connection, *, meeting_id: int, until: date, by: int | None, at: str) -> None:
    """Ward staff reopen a closed record (and its roll calls) for corrections until `until`."""
    await conn.execute("UPDATE meetings SET reopened_until = ?, reopened_by = ?, reopened_at = ? WHERE id = ?",
                       (until.isoformat(), by, at, meeting_id))


async def thematic_held(db: Database, months: Iterable[str]) -> set[tuple[int, str]]:
    """(cell id, month) of the meetings recorded as thematic (or both together) in these months."""
    wanted = list(months)
    if not wanted:
        return set()
    rows = await db.fetchall(
        f"SELECT cell_id, month FROM meetings WHERE kind IN ('thematic', 'both')"
        f" AND month IN ({','.join('?' * len(wanted))})", wanted)
    return {(row["cell_id"], row["month"]) for row in rows}
