"""Role changes made in chat (a ward replacing a cell's secretary). What changes is decided by
`bot.rules.access.plan_replacement`; this writes it. Memberships are ended, never deleted, so past records
still point at who made them."""

from __future__ import annotations

import aiosqlite

from storage.db import Database


async def cell_memberships(db: Database, cell_id: int) -> list[tuple[int, int, str]]:
    """The cell's current memberships of active people: (membership id, person id, role)."""
    rows = await db.fetchall(
        "SELECT m.id, m.person_id, m.role FROM memberships m JOIN people p ON p.id = m.person_id"
        " WHERE m.unit_id = ? AND m.valid_to IS NULL AND p.active = 1 ORDER BY m.id",
        (cell_id,),
    )
    return [(row["id"], row["person_id"], row["role"]) for row in rows]


async def apply(conn: aiosqlite.Connection, cell_id: int, *, ended: tuple[int, ...],
                opened: tuple[tuple[int, str], ...], today: str) -> None:
    """Inside the caller's transaction: end first (one current secretary per cell), then open."""
    await conn.executemany(
        "UPDATE memberships SET valid_to = max(?, valid_from) WHERE id = ? AND unit_id = ? AND valid_to IS NULL",
        [(today, membership_id, cell_id) for membership_id in ended],
    )
    await conn.executemany(
        "INSERT INTO memberships (person_id, unit_id, role, valid_from) VALUES (?, ?, ?, ?)",
        [(person_id, cell_id, role, today) for person_id, role in opened],
    )
