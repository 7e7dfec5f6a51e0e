"""What the reports read: every cell's meetings of some months — the record and, per roll call, the frozen
per-member rows tallied by status — in ONE query per report, and the recommendations of a month in one
more. The counting itself is bot/rules/attendance.py's (see bot/reports/facts.py); nothing here counts
"present" or "eligible"."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Sequence

from storage.db import Database

ABSENT_STATUSES = ("absent_excused", "absent_unexcused")


@dataclass(frozen=True)
class Phase:
    """One saved roll call: its members' statuses as frozen (status -> how many), named absentees."""

    taken_at: str                        # UTC instant
    guests: int
    counted_present: int | None          # taken by count (`có mặt 27`)
    tally: dict[str, int] = field(hash=False)
    absent: tuple[tuple[str, str, str | None], ...] = ()   # (name, status, reason), by number


@dataclass(frozen=True)
class Recorded:
    """A cell's month: its record (None fields when nothing was recorded) and its roll calls by phase."""

    cell_id: int
    cell_name: str
    ward_id: int
    ward_name: str
    month: str
    meeting_day: str | None              # ISO date it was moved to
    held_on: str | None                  # ISO date of the start roll call
    kind: str | None
    speakers: int | None
    ward_member_attended: bool | None
    answers_reported: bool | None
    minutes_attached: bool
    phases: dict[str, Phase] = field(hash=False)


@dataclass(frozen=True)
class Item:
    code: str
    cell_id: int
    ward_id: int
    status: str
    category: str
    content: str
    escalated: bool


def _flag(value) -> bool | None:
    return None if value is None else bool(value)


async def months_of_cells(db: Database, months: Sequence[str], *, ward_id: int | None = None,
                          names_month: str | None = None) -> list[Recorded]:
    """One row per cell and month (cells of `ward_id`, or of the whole city), whether it met or not. Cells
    closed since are included for the months they recorded. Absentees are named only for `names_month`
    (the report's own month; the trend needs figures only)."""
    months = list(months)
    if not months:
        return []
    params: dict = {f"m{i}": month for i, month in enumerate(months)}
    params.update(ward_id=ward_id, names_month=names_month)
    values = ", ".join(f"(:m{i})" for i in range(len(months)))
    absent_in = ", ".join(f"'{status}'" for status in ABSENT_STATUSES)
    rows = await db.fetchall(
        f"""WITH months(month) AS (VALUES {values})
            SELECT c.id AS cell_id, c.name AS cell_name, w.id AS ward_id, w.name AS ward_name, mo.month,
                   m.meeting_day, m.held_on, m.kind, m.speakers, m.ward_member_attended, m.answers_reported,
                   m.minutes_file_id IS NOT NULL AS minutes_attached,
                   r.phase, r.taken_at, r.guests, r.counted_present,
                   (SELECT json_group_object(status, n) FROM
                        (SELECT status, count(*) AS n FROM roll_call_members WHERE roll_call_id = r.id
                         GROUP BY status)) AS tally,
                   CASE WHEN mo.month = :names_month THEN
                       (SELECT json_group_array(json_array(full_name, status, reason)) FROM
                            (SELECT full_name, status, reason FROM roll_call_members
                             WHERE roll_call_id = r.id AND status IN ({absent_in}) ORDER BY number))
                   END AS absent
            FROM units c
            JOIN units w ON w.id = c.parent_id AND w.kind = 'ward'
            CROSS JOIN months mo
            LEFT JOIN meetings m ON m.cell_id = c.id AND m.month = mo.month
            LEFT JOIN roll_calls r ON r.meeting_id = m.id
            WHERE c.kind = 'cell' AND (c.active = 1 OR r.id IS NOT NULL)
              AND (:ward_id IS NULL OR w.id = :ward_id)
            ORDER BY w.id, c.id, mo.month""", params)
    found: dict[tuple[int, str], Recorded] = {}
    for row in rows:
        key = (row["cell_id"], row["month"])
        recorded = found.get(key)
        if recorded is None:
            recorded = found[key] = Recorded(
                row["cell_id"], row["cell_name"], row["ward_id"], row["ward_name"], row["month"],
                row["meeting_day"], row["held_on"], row["kind"], row["speakers"],
                _flag(row["ward_member_attended"]), _flag(row["answers_reported"]), bool(row["minutes_attached"]),
                {})
        if row["phase"] is not None:
            recorded.phases[row["phase"]] = Phase(
                row["taken_at"], row["guests"], row["counted_present"], json.loads(row["tally"] or "{}"),
                tuple(tuple(item) for item in json.loads(row["absent"] or "[]")))
    return list(found.values())


async def items_of_month(db: Database, month: str, *, ward_id: int | None = None) -> list[Item]:
    """The recommendations submitted in `month` by the ward's cells (the city's when `ward_id` is None)."""
    rows = await db.fetchall(
        """SELECT code, cell_id, ward_id, status, category, content, escalated_at IS NOT NULL AS escalated
           FROM recommendations WHERE month = :month AND (:ward_id IS NULL OR ward_id = :ward_id)
           ORDER BY seq""", {"month": month, "ward_id": ward_id})
    return [Item(r["code"], r["cell_id"], r["ward_id"], r["status"], r["category"], r["content"], bool(r["escalated"]))
            for r in rows]
