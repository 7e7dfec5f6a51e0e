"""storage/meetings.py: moved meetings and the shape of roll calls."""

from __future__ import annotations

from datetime import date

import pytest

from storage import meetings

AT = "2026-12-01T02:00:00+00:00"


async def _cells(db, n=2):
    return [row["id"] for row in await db.fetchall("SELECT id FROM units WHERE kind = 'cell' ORDER BY id LIMIT ?",
                                                   (n,))]


async def test_move_keeps_the_latest_day_and_the_history(roster_db):
    db = roster_db
    cell, other = await _cells(db)
    person = await db.fetchval("SELECT person_id FROM memberships WHERE unit_id = ? AND role = 'secretary'", (cell,))
    async with db.transaction() as conn:
        first = await meetings.move(conn, cell_id=cell, month="2026-12", from_day=date(2026, 12, 3),
                                    to_day=date(2026, 12, 5), by=person, at=AT)
    async with db.transaction() as conn:
        second = await meetings.move(conn, cell_id=cell, month="2026-12", from_day=date(2026, 12, 5),
                                     to_day=date(2026, 12, 9), by=person, at=AT)
    assert first == second
    assert await meetings.moves(db, ["2026-12", "2027-01"]) == {(cell, "2026-12"): 9}
    meeting = await meetings.get(db, cell, "2026-12")
    assert meeting.meeting_day == date(2026, 12, 9) and meeting.moved_by == person
    assert [(a.day, b.day) for a, b, _by, _at in await meetings.move_history(db, cell, "2026-12")] == [(3, 5), (5, 9)]
    assert await meetings.get(db, other, "2026-12") is None
