"""Reminders decided (sent or skipped) per (rule, subject, period), and per-unit schedule exceptions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import aiosqlite

from storage.db import Database

SENT, SKIPPED = "sent", "skipped"


@dataclass(frozen=True)
class LogEntry:
    rule: str
    subject: int
    period: str
    occurrence: str
    status: str
    reason: str
    due_at: str
    decided_at: str
    recipients: int


@dataclass(frozen=True)
class OverrideRow:
    unit_id: int
    rule: str
    day: int | None
    time: str | None      # 'HH:MM'
    set_at: str


async def decided(db: Database, periods: Iterable[str]) -> set[tuple[str, int, str, str]]:
    """(rule, subject, period, occurrence) of every reminder already sent or skipped in these periods."""
    wanted = list(periods)
    if not wanted:
        return set()
    rows = await db.fetchall(
        f"SELECT rule, subject, period, occurrence FROM reminders_log"
        f" WHERE period IN ({','.join('?' * len(wanted))})", wanted)
    return {(row["rule"], row["subject"], row["period"], row["occurrence"]) for row in rows}


async def record(conn: aiosqlite.Connection, *, rule: str, subject: int, period: str, occurrence: str = "",
                 status: str, reason: str, due_at: str, decided_at: str, recipients: int = 0) -> bool:
    """Record a decision inside the caller's transaction. False if that reminder was already decided
    (by another check that got there first): the caller must then queue nothing for it."""
    cursor = await conn.execute(
        """INSERT INTO reminders_log (rule, subject, period, occurrence, status, reason, due_at, decided_at,
                                        recipients)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (rule, subject, period, occurrence) DO NOTHING""",
        (rule, subject, period, occurrence, status, reason, due_at, decided_at, recipients),
    )
    return cursor.rowcount == 1


async def last_sent_before(db: Database, rule: str, subject: int, before: str) -> str | None:
    """When the latest reminder of `rule` for `subject` sent before `before` was due (None: never)."""
    return await db.fetchval(
        "SELECT max(due_at) FROM reminders_log WHERE rule = ? AND subject = ? AND status = 'sent' AND due_at < ?",
        (rule, subject, before))


async def log(db: Database, *, period: str | None = None, rule: str | None = None) -> list[LogEntry]:
    sql = "SELECT * FROM reminders_log WHERE 1 = 1"
    params: list = []
    if period:
        sql += " AND period = ?"
        params.append(period)
    if rule:
        sql += " AND rule = ?"
        params.append(rule)
    rows = await db.fetchall(sql + " ORDER BY id", params)
    return [LogEntry(r["rule"], r["subject"], r["period"], r["occurrence"], r["status"], r["reason"], r["due_at"], r["decided_at"],
                     r["recipients"]) for r in rows]


# --- per-ward and per-cell exceptions to the configured schedule ----------------------------------

async def overrides(db: Database) -> list[OverrideRow]:
    rows = await db.fetchall("SELECT * FROM schedule_overrides ORDER BY unit_id, rule")
    return [OverrideRow(r["unit_id"], r["rule"], r["day"], r["time"], r["set_at"]) for r in rows]


async def set_override(db: Database, *, unit_id: int, rule: str, day: int | None, time: str | None,
                       at: str) -> None:
    """Give the unit its own day and/or time for a rule; a field left None keeps what was set before."""
    await db.execute(
        """INSERT INTO schedule_overrides (unit_id, rule, day, time, set_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (unit_id, rule) DO UPDATE SET
               day = coalesce(excluded.day, schedule_overrides.day),
               time = coalesce(excluded.time, schedule_overrides.time),
               set_at = excluded.set_at""",
        (unit_id, rule, day, time, at),
    )


async def clear_override(db: Database, *, unit_id: int, rule: str | None = None) -> int:
    """Back to the configured schedule (for one rule, or all); how many exceptions were removed."""
    async with db.transaction() as conn:
        if rule is None:
            cursor = await conn.execute("DELETE FROM schedule_overrides WHERE unit_id = ?", (unit_id,))
        else:
            cursor = await conn.execute("DELETE FROM schedule_overrides WHERE unit_id = ? AND rule = ?",
                                        (unit_id, rule))
        return cursor.rowcount
