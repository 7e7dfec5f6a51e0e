"""The inspector's scores of the quarterly evaluation's manual criteria, one row per cell, quarter and
criterion, written as each is given (so a scoring left half-way keeps what was scored)."""

from __future__ import annotations

from typing import Iterable

import aiosqlite

from storage.db import Database


async def scores(db: Database, quarter: str, cell_ids: Iterable[int] | None = None) -> dict[int, dict[str, float]]:
    """cell id -> criterion key -> points, for the quarter (every cell, or these)."""
    rows = await db.fetchall("SELECT cell_id, criterion, points FROM evaluation_scores WHERE quarter = ?", (quarter,))
    wanted = None if cell_ids is None else set(cell_ids)
    found: dict[int, dict[str, float]] = {}
    for row in rows:
        if wanted is None or row["cell_id"] in wanted:
            found.setdefault(row["cell_id"], {})[row["criterion"]] = row["points"]
    return found


async def set_score(conn: aiosqlite.Connection, *, cell_id: int, quarter: str, criterion: str, points: float,
                    by: int | None, at: str) -> None:
    """Inside the caller's transaction (with the draft's next step)."""
    await conn.execute(
        """INSERT INTO evaluation_scores (cell_id, quarter, criterion, points, scored_by, scored_at)
           VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (cell_id, quarter, criterion) DO UPDATE SET points = excluded.points,
               scored_by = excluded.scored_by, scored_at = excluded.scored_at""",
        (cell_id, quarter, criterion, points, by, at))
