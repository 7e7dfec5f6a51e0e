"""The month's guidance: what was sent, to whom (the recipients as they were when it was confirmed),
and who confirmed receipt. Each recipient's copy is an outbox row with ref `ref(guidance_id)`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import aiosqlite

from storage.db import Database

SCHEDULED, SENDING, SENT, CANCELLED = "scheduled", "sending", "sent", "cancelled"


@dataclass(frozen=True)
class Guidance:
    id: int
    author_person_id: int | None
    scope_unit_id: int
    month: str
    text: str
    parse_mode: str | None
    audience: str
    status: str
    scheduled_at: str | None
    created_at: str
    sent_at: str | None
    resend_rounds: int
    content_key: str | None


@dataclass(frozen=True)
class Recipient:
    """A person the guidance is for, as the cell role they held when it was confirmed."""
    person_id: int
    cell_id: int
    role: str


@dataclass(frozen=True)
class Attachment:
    kind: str                # 'document' or 'photo'
    file_id: str | None = None
    path: str | None = None
    filename: str | None = None


def ref(guidance_id: int) -> str:
    """The outbox ref of a guidance's copies."""
    return f"guidance:{guidance_id}"


def _guidance(row) -> Guidance:
    return Guidance(row["id"], row["author_person_id"], row["scope_unit_id"], row["month"], row["text"],
                    row["parse_mode"], row["audience"], row["status"], row["scheduled_at"], row["created_at"],
                    row["sent_at"], row["resend_rounds"], row["content_key"])


async def create(conn: aiosqlite.Connection, *, author_person_id: int | None, scope_unit_id: int, month: str,
                 text: str, parse_mode: str | None, audience: str, status: str, scheduled_at: str | None,
                 created_at: str, cell_ids: Iterable[int], attachments: Iterable[Attachment],
                 recipients: Iterable[Recipient], content_key: str | None = None) -> int:
    """Write a confirmed guidance with its cells, attachments and recipients, in the caller's transaction."""
    cursor = await conn.execute(
        """INSERT INTO guidance (author_person_id, scope_unit_id, month, text, parse_mode, audience, status,
                                 scheduled_at, created_at, content_key)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (author_person_id, scope_unit_id, month, text, parse_mode, audience, status, scheduled_at, created_at,
         content_key),
    )
    guidance_id = cursor.lastrowid
    await conn.executemany("INSERT INTO guidance_cells (guidance_id, cell_id) VALUES (?, ?)",
                           [(guidance_id, cell_id) for cell_id in sorted(set(cell_ids))])
    await conn.executemany(
        "INSERT INTO guidance_attachments (guidance_id, position, kind, file_id, path, filename)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(guidance_id, position, a.kind, a.file_id, a.path, a.filename) for position, a in enumerate(attachments)],
    )
    await conn.executemany(
        "INSERT INTO guidance_recipients (guidance_id, person_id, cell_id, role, position) VALUES (?, ?, ?, ?, ?)",
        [(guidance_id, m.person_id, m.cell_id, m.role, position) for position, m in enumerate(recipients)],
    )
    return guidance_id


async def get(db: Database, guidance_id: int) -> Guidance | None:
    row = await db.fetchone("SELECT * FROM guidance WHERE id = ?", (guidance_id,))
    return _guidance(row) if row else None


async def latest(db: Database) -> Guidance | None:
    row = await db.fetchone("SELECT * FROM guidance ORDER BY id DESC LIMIT 1")
    return _guidance(row) if row else None


async def attachments(db: Database, guidance_id: int) -> list[Attachment]:
    rows = await db.fetchall(
        "SELECT kind, file_id, path, filename FROM guidance_attachments WHERE guidance_id = ? ORDER BY position",
        (guidance_id,))
    return [Attachment(row["kind"], row["file_id"], row["path"], row["filename"]) for row in rows]


async def cell_ids(db: Database, guidance_id: int) -> list[int]:
    rows = await db.fetchall("SELECT cell_id FROM guidance_cells WHERE guidance_id = ? ORDER BY cell_id",
                             (guidance_id,))
    return [row["cell_id"] for row in rows]


async def recipients(db: Database, guidance_id: int) -> list[Recipient]:
    rows = await db.fetchall(
        "SELECT person_id, cell_id, role FROM guidance_recipients WHERE guidance_id = ? ORDER BY position",
        (guidance_id,))
    return [Recipient(row["person_id"], row["cell_id"], row["role"]) for row in rows]


async def add_recipients(conn: aiosqlite.Connection, guidance_id: int, members: Iterable[Recipient]) -> None:
    """Recipients who became eligible after it was confirmed (a re-send reaches them too)."""
    start = (await (await conn.execute(
        "SELECT coalesce(max(position) + 1, 0) FROM guidance_recipients WHERE guidance_id = ?",
        (guidance_id,))).fetchone())[0]
    await conn.executemany(
        "INSERT INTO guidance_recipients (guidance_id, person_id, cell_id, role, position) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (guidance_id, person_id) DO NOTHING",
        [(guidance_id, m.person_id, m.cell_id, m.role, start + i) for i, m in enumerate(members)],
    )


async def is_recipient(db: Database, guidance_id: int, person_id: int) -> bool:
    return bool(await db.fetchval(
        "SELECT EXISTS (SELECT 1 FROM guidance_recipients WHERE guidance_id = ? AND person_id = ?)",
        (guidance_id, person_id)))


async def copy_statuses(db: Database, guidance_id: int) -> dict[int, list[str]]:
    """Each recipient's outbox statuses, oldest copy first (several after a re-send)."""
    rows = await db.fetchall(
        "SELECT person_id, status FROM outbox WHERE ref = ? AND person_id IS NOT NULL ORDER BY id",
        (ref(guidance_id),))
    found: dict[int, list[str]] = {}
    for row in rows:
        found.setdefault(row["person_id"], []).append(row["status"])
    return found


async def record_receipt(db: Database, guidance_id: int, person_id: int, at: str) -> bool:
    """Record that the person confirmed receipt; False when they had already."""
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "INSERT INTO guidance_receipts (guidance_id, person_id, received_at) VALUES (?, ?, ?)"
            " ON CONFLICT (guidance_id, person_id) DO NOTHING",
            (guidance_id, person_id, at))
        return cursor.rowcount > 0


async def receipts(db: Database, guidance_id: int) -> dict[int, str]:
    """{person id: when they confirmed}."""
    rows = await db.fetchall("SELECT person_id, received_at FROM guidance_receipts WHERE guidance_id = ?",
                             (guidance_id,))
    return {row["person_id"]: row["received_at"] for row in rows}


async def set_status(conn: aiosqlite.Connection, guidance_id: int, status: str, *, sent_at: str | None = None) -> None:
    await conn.execute("UPDATE guidance SET status = ?, sent_at = coalesce(?, sent_at) WHERE id = ?",
                       (status, sent_at, guidance_id))


async def cancel_if_scheduled(conn: aiosqlite.Connection, guidance_id: int, now: str) -> bool:
    """Inside the caller's transaction: mark a scheduled guidance whose time has not come cancelled.
    False when there is no such guidance, it is not scheduled, or its time has come."""
    cursor = await conn.execute(
        "UPDATE guidance SET status = ? WHERE id = ? AND status = ? AND coalesce(scheduled_at, '') > ?",
        (CANCELLED, guidance_id, SCHEDULED, now))
    return cursor.rowcount == 1


async def next_resend_round(conn: aiosqlite.Connection, guidance_id: int) -> int:
    await conn.execute("UPDATE guidance SET resend_rounds = resend_rounds + 1, status = ? WHERE id = ?",
                       (SENDING, guidance_id))
    row = await (await conn.execute("SELECT resend_rounds FROM guidance WHERE id = ?", (guidance_id,))).fetchone()
    return row[0]


async def find_by_content_key(db: Database, content_key: str) -> Guidance | None:
    """A command-line broadcast of the same content, scope and month that was not cancelled."""
    row = await db.fetchone(
        "SELECT * FROM guidance WHERE content_key = ? AND status != 'cancelled' ORDER BY id DESC LIMIT 1",
        (content_key,))
    return _guidance(row) if row else None


async def recent_for_scopes(db: Database, unit_ids: Iterable[int], limit: int = 5) -> list[Guidance]:
    """The latest guidance sent for these scopes (a ward's staff see their ward's and the city's)."""
    ids = list(unit_ids)
    if not ids:
        return []
    rows = await db.fetchall(
        f"SELECT * FROM guidance WHERE scope_unit_id IN ({','.join('?' * len(ids))}) ORDER BY id DESC LIMIT ?",
        [*ids, limit])
    return [_guidance(row) for row in rows]


# "Gone out": sent now (or its scheduled time has come and its copies are being sent), or settled.
_DELIVERED = (
    "(g.status IN ('sending', 'sent') OR EXISTS (SELECT 1 FROM outbox o WHERE o.ref = 'guidance:' || g.id"
    " AND o.status IN ('sending', 'sent')))"
)


async def sent_for_month(db: Database, ward_unit_id: int, month: str) -> bool:
    """Whether guidance for `month` has gone out to cells of this ward (from the ward or from the city):
    sent, or being sent — a scheduled one counts from its time on."""
    return bool(await db.fetchval(
        f"""WITH RECURSIVE tree(id) AS (
                SELECT ? UNION ALL SELECT units.id FROM units JOIN tree ON units.parent_id = tree.id)
            SELECT EXISTS (
                SELECT 1 FROM guidance g JOIN guidance_cells c ON c.guidance_id = g.id
                WHERE g.month = ? AND g.status != 'cancelled' AND c.cell_id IN (SELECT id FROM tree)
                AND {_DELIVERED})""",
        (ward_unit_id, month)))


async def for_cell(db: Database, cell_id: int, month: str | None = None) -> list[Guidance]:
    """Guidance that has gone out to this cell (for one month, or all), oldest first."""
    sql = (f"SELECT g.* FROM guidance g JOIN guidance_cells c ON c.guidance_id = g.id "
           f"WHERE c.cell_id = ? AND g.status != 'cancelled' AND {_DELIVERED}")
    params: list = [cell_id]
    if month is not None:
        sql += " AND g.month = ?"
        params.append(month)
    rows = await db.fetchall(sql + " ORDER BY g.id", params)
    return [_guidance(row) for row in rows]


async def current_for_cell(db: Database, cell_id: int, month: str) -> Guidance | None:
    """The latest guidance for `month` delivered to this cell."""
    found = await for_cell(db, cell_id, month)
    return found[-1] if found else None


async def months_for_cell(db: Database, cell_id: int) -> list[str]:
    return sorted({g.month for g in await for_cell(db, cell_id)})


async def unsettled(db: Database, now: str) -> list[Guidance]:
    """Guidance being sent, or scheduled for a time that has come, and not yet marked sent."""
    rows = await db.fetchall(
        "SELECT * FROM guidance WHERE status = 'sending' OR (status = 'scheduled' AND scheduled_at <= ?)", (now,))
    return [_guidance(row) for row in rows]
