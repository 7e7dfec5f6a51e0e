"""The inbox of updates taken from the Bot API server (table `inbox`, migration 0012): written when an
update is taken, before the server is told it may forget it; marked handled when the application is done
with it. What is taken and not handled is handed to the application again after a restart."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database


@dataclass(frozen=True)
class Entry:
    platform: str
    update_id: int
    data: str          # the update's JSON
    received_at: str


async def add(db: Database, platform: str, update_id: int, data: str, at: str) -> bool:
    """Record an update taken; False when this very update is there already (the server sent it again, not
    having been told it was taken before a kill: it is handed on from here, not a second time). Another
    update under a known id (another server after a restore, or Telegram starting its ids afresh after a
    quiet week) is new: it replaces the old row."""
    changed = await db.execute(
        """INSERT INTO inbox (platform, update_id, data, received_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (platform, update_id) DO UPDATE SET data = excluded.data,
               received_at = excluded.received_at, handled_at = NULL
           WHERE inbox.data != excluded.data""",
        (platform, update_id, data, at))
    return changed > 0


async def mark_handled(db: Database, platform: str, update_id: int, at: str) -> None:
    await db.execute("UPDATE inbox SET handled_at = ? WHERE platform = ? AND update_id = ? AND handled_at IS NULL",
                     (at, platform, update_id))


async def unhandled(db: Database, platform: str) -> list[Entry]:
    """The updates taken and not handled, oldest first."""
    rows = await db.fetchall("SELECT * FROM inbox WHERE platform = ? AND handled_at IS NULL ORDER BY update_id",
                             (platform,))
    return [Entry(row["platform"], row["update_id"], row["data"], row["received_at"]) for row in rows]


async def prune(db: Database, received_before: str) -> int:
    """Forget handled updates taken before then (long confirmed to the server); how many."""
    async with db.transaction() as conn:
        cursor = await conn.execute("DELETE FROM inbox WHERE handled_at IS NOT NULL AND received_at < ?",
                                    (received_before,))
        return cursor.rowcount
