"""A cell's monthly meetings: moved for one month, and their roll calls (storage shape only: the
roll-call conversation is a later feature; the reminders read whether a month has one)."""

from __future__ import annotations

import json
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


async def _ensure(conn: aiosqlite.Connection, cell_id: int, month: str, at: str) -> int:
    await conn.execute(
        "INSERT INTO meetings (cell_id, month, created_at) VALUES (?, ?, ?) ON CONFLICT (cell_id, month) DO NOTHING",
        (cell_id, month, at))
    async with conn.execute("SELECT id FROM meetings WHERE cell_id = ? AND month = ?", (cell_id, month)) as cursor:
        return (await cursor.fetchone())[0]


async def move(conn: aiosqlite.Connection, *, cell_id: int, month: str, from_day: date, to_day: date,
               by: int | None, at: str) -> int:
    """Move the month's meeting to `to_day`, inside the caller's transaction (with its audit entry and the
    notices to the other leaders). Returns the meeting's id."""
    meeting_id = await _ensure(conn, cell_id, month, at)
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


async def record_roll_call(db: Database, *, cell_id: int, month: str, phase: str, taken_at: str,
                           taken_by: int | None, present: list[int],
                           absent: list[dict] | None = None) -> int:
    """Record (or replace) one roll call of the month's meeting; `absent` items are
    {"person_id", "excused": bool, "reason": str}. Returns the roll call's id."""
    if phase not in (START, END):
        raise ValueError(f"roll call phase must be {START!r} or {END!r}, not {phase!r}")
    absent = absent or []
    details = json.dumps({"present": present, "absent": absent}, ensure_ascii=False)
    async with db.transaction() as conn:
        meeting_id = await _ensure(conn, cell_id, month, taken_at)
        await conn.execute(
            """INSERT INTO roll_calls (meeting_id, phase, taken_at, taken_by, present, absent, details)
               VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (meeting_id, phase) DO UPDATE SET taken_at = excluded.taken_at,
                   taken_by = excluded.taken_by, present = excluded.present, absent = excluded.absent,
                   details = excluded.details""",
            (meeting_id, phase, taken_at, taken_by, len(present), len(absent), details))
        async with conn.execute("SELECT id FROM roll_calls WHERE meeting_id = ? AND phase = ?",
                                (meeting_id, phase)) as cursor:
            return (await cursor.fetchone())[0]


async def has_roll_call(db: Database, cell_id: int, month: str) -> bool:
    return bool(await db.fetchval(
        """SELECT EXISTS (SELECT 1 FROM roll_calls r JOIN meetings m ON m.id = r.meeting_id
                          WHERE m.cell_id = ? AND m.month = ?)""", (cell_id, month)))


async def with_roll_call(db: Database, months: Iterable[str]) -> set[tuple[int, str]]:
    """(cell id, month) of every meeting with at least one roll call in these months."""
    wanted = list(months)
    if not wanted:
        return set()
    rows = await db.fetchall(
        f"""SELECT DISTINCT m.cell_id, m.month FROM meetings m JOIN roll_calls r ON r.meeting_id = m.id
            WHERE m.month IN ({','.join('?' * len(wanted))})""", wanted)
    return {(row["cell_id"], row["month"]) for row in rows}
