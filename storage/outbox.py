"""The outbox: every message the bot sends on its own initiative is a row here before it is sent.

Writers enqueue (idempotently, by `dedup_key`) inside their own transaction; the sender
(`bot/delivery/sender.py`) claims due rows, sends them and records each result.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import aiosqlite

from storage.accounts import TELEGRAM
from storage.db import Database


@dataclass
class OutgoingMessage:
    """One message to one chat. `payload` is JSON-able: {"text", "parse_mode", "buttons", "attachments"}
    with buttons as rows of {"text", "callback_data"} and attachments as {"kind", "path" | "file_id",
    "filename", "caption"}."""

    kind: str
    chat_id: str
    payload: dict[str, Any]
    person_id: int | None = None
    ref: str | None = None
    dedup_key: str | None = None
    not_before: str | None = None
    platform: str = TELEGRAM


@dataclass(frozen=True)
class OutboxRow:
    id: int
    kind: str
    ref: str | None
    dedup_key: str | None
    person_id: int | None
    platform: str
    chat_id: str
    payload: dict[str, Any] = field(hash=False)
    status: str
    attempts: int
    not_before: str | None
    created_at: str
    sent_at: str | None
    message_id: str | None
    error: str | None
    parts_sent: int = 0       # parts of a split message already sent (migration 0004)


def row_to_outbox(row) -> OutboxRow:
    parts_sent = row["parts_sent"] if "parts_sent" in row.keys() else 0
    return OutboxRow(row["id"], row["kind"], row["ref"], row["dedup_key"], row["person_id"], row["platform"],
                     row["chat_id"], json.loads(row["payload"]), row["status"], row["attempts"],
                     row["not_before"], row["created_at"], row["sent_at"], row["message_id"], row["error"],
                     parts_sent)


def channel_key(dedup_key: str | None, platform: str) -> str | None:
    """A message's dedup key as stored: one per person and message is one per channel — a Telegram row
    keeps the key as written, another platform's adds "@platform" — so that a person written to on both
    channels gets one copy on each, and a second run of the same job adds none."""
    if dedup_key is None or platform == TELEGRAM:
        return dedup_key
    return f"{dedup_key}@{platform}"


def person_key(stored_key: str | None) -> str | None:
    """The dedup key as written, from a row's stored one (`channel_key` undone)."""
    return stored_key.rsplit("@", 1)[0] if stored_key and "@" in stored_key else stored_key


async def enqueue(conn: aiosqlite.Connection, messages: Iterable[OutgoingMessage], *, at: str) -> int:
    """Queue messages inside the caller's transaction (`async with db.transaction() as conn`).
    A message whose dedup_key is already queued is left out. Returns how many were added."""
    rows = [
        (m.kind, m.ref, channel_key(m.dedup_key, m.platform), m.person_id, m.platform, str(m.chat_id),
         json.dumps(m.payload, ensure_ascii=False), m.not_before, at)
        for m in messages
    ]
    before = conn.total_changes
    await conn.executemany(
        """INSERT INTO outbox (kind, ref, dedup_key, person_id, platform, chat_id, payload, not_before, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedup_key) DO NOTHING""",
        rows,
    )
    return conn.total_changes - before


async def by_ref(db: Database, ref: str) -> list[OutboxRow]:
    rows = await db.fetchall("SELECT * FROM outbox WHERE ref = ? ORDER BY id", (ref,))
    return [row_to_outbox(row) for row in rows]


# --- The sender's side (bot/delivery/sender.py) ---------------------------------------------------------------
# A row goes pending → sending (claimed, in one transaction, before any send) → sent | failed | unreachable,
# or back to pending with a later not_before (a retry). 'sending' rows found at start-up were in flight when
# the process died: they go back to pending and are sent again (at most the message in flight repeats).

FINAL_STATUSES = ("sent", "failed", "unreachable", "cancelled")


def _on(platforms: Sequence[str] | None) -> tuple[str, list[str]]:
    """SQL and parameters limiting a query to rows of these platforms (None: every platform)."""
    if platforms is None:
        return "", []
    names = list(platforms)
    return f" AND platform IN ({','.join('?' * len(names))})" if names else " AND 0", names


async def claim_due(db: Database, now: str, limit: int, *, platforms: Sequence[str] | None = None) -> list[OutboxRow]:
    """Mark up to `limit` due pending rows (not_before unset or <= now) as 'sending' and return them,
    oldest first, each attempt counted. With `platforms`, only rows of those platforms (the sender leaves
    a platform it has no channel for waiting)."""
    where, names = _on(platforms)
    async with db.transaction() as conn:
        cursor = await conn.execute(
            f"""UPDATE outbox SET status = 'sending', attempts = attempts + 1
               WHERE id IN (SELECT id FROM outbox WHERE status = 'pending'
                            AND (not_before IS NULL OR not_before <= ?){where} ORDER BY id LIMIT ?)
               RETURNING *""",
            (now, *names, limit),
        )
        rows = await cursor.fetchall()
    return sorted((row_to_outbox(row) for row in rows), key=lambda row: row.id)


async def recover_in_flight(db: Database) -> int:
    """Put rows left 'sending' by a process that died back to pending. Only call this while holding the
    sender lock (no other sender running). Returns how many."""
    async with db.transaction() as conn:
        cursor = await conn.execute("UPDATE outbox SET status = 'pending' WHERE status = 'sending'")
        return cursor.rowcount


async def release(db: Database, ids: Iterable[int]) -> None:
    """Claimed rows not sent after all (the sender stops): back to pending, the attempt not counted."""
    id_list = list(ids)
    if not id_list:
        return
    async with db.transaction() as conn:
        await conn.executemany(
            "UPDATE outbox SET status = 'pending', attempts = max(attempts - 1, 0) "
            "WHERE id = ? AND status = 'sending'",
            [(row_id,) for row_id in id_list],
        )


async def mark_part_sent(db: Database, row_id: int, parts_sent: int, message_id: str | None) -> None:
    """One more part of a split message went out (the first part's message id is kept)."""
    await db.execute(
        "UPDATE outbox SET parts_sent = ?, message_id = coalesce(message_id, ?) WHERE id = ?",
        (parts_sent, message_id, row_id),
    )


async def mark_sent(db: Database, row_id: int, *, message_id: str | None, parts_sent: int, at: str) -> None:
    await db.execute(
        """UPDATE outbox SET status = 'sent', sent_at = ?, parts_sent = ?, error = NULL,
               message_id = coalesce(message_id, ?) WHERE id = ?""",
        (at, parts_sent, message_id, row_id),
    )


async def mark_sent_many(db: Database, sent: Iterable[tuple[int, str | None, int, str]]) -> None:
    """Several rows sent, recorded in one transaction: (row id, message id, parts sent, sent at)."""
    async with db.transaction() as conn:
        await conn.executemany(
            """UPDATE outbox SET status = 'sent', sent_at = ?, parts_sent = ?, error = NULL,
                   message_id = coalesce(message_id, ?) WHERE id = ?""",
            [(at, parts_sent, message_id, row_id) for row_id, message_id, parts_sent, at in sent],
        )


async def mark_retry(db: Database, row_id: int, *, not_before: str, error: str) -> None:
    """A failure worth retrying later: back to pending, due again at `not_before`."""
    await db.execute("UPDATE outbox SET status = 'pending', not_before = ?, error = ? WHERE id = ?",
                     (not_before, error[:500], row_id))


async def mark_final(db: Database, row_id: int, status: str, error: str) -> None:
    """'failed' (Telegram refused it, or retries ran out) or 'unreachable' (the person blocked the bot)."""
    if status not in ("failed", "unreachable"):
        raise ValueError(status)
    await db.execute("UPDATE outbox SET status = ?, error = ? WHERE id = ?", (status, error[:500], row_id))


async def cancel_pending(conn: aiosqlite.Connection, ref: str) -> int:
    """Within the caller's transaction: rows of `ref` not sent yet will not be sent."""
    cursor = await conn.execute("UPDATE outbox SET status = 'cancelled' WHERE ref = ? AND status = 'pending'",
                                (ref,))
    return cursor.rowcount


async def counts_by_status(db: Database, ref: str) -> dict[str, int]:
    rows = await db.fetchall("SELECT status, count(*) AS n FROM outbox WHERE ref = ? GROUP BY status", (ref,))
    return {row["status"]: row["n"] for row in rows}


async def open_count(db: Database, ref: str) -> int:
    """Rows of `ref` still to be sent (pending, whenever due, or being sent)."""
    return await db.fetchval(
        "SELECT count(*) FROM outbox WHERE ref = ? AND status IN ('pending', 'sending')", (ref,))


async def next_due(db: Database, *, platforms: Sequence[str] | None = None) -> str | None:
    """The earliest not_before among pending rows (None when none waits for a time)."""
    where, names = _on(platforms)
    return await db.fetchval(f"SELECT min(not_before) FROM outbox WHERE status = 'pending'{where}", names)


async def has_due(db: Database, now: str, *, platforms: Sequence[str] | None = None) -> bool:
    where, names = _on(platforms)
    return bool(await db.fetchval(
        f"SELECT EXISTS (SELECT 1 FROM outbox WHERE status = 'pending' AND (not_before IS NULL OR not_before <= ?)"
        f"{where})", (now, *names)))


async def waiting_retries(db: Database, *, platforms: Sequence[str] | None = None) -> int:
    """Pending rows that were tried already and wait for their back-off."""
    where, names = _on(platforms)
    return await db.fetchval(f"SELECT count(*) FROM outbox WHERE status = 'pending' AND attempts > 0{where}", names)


async def due_elsewhere(db: Database, now: str, platforms: Sequence[str]) -> dict[str, int]:
    """Due pending rows of platforms NOT among `platforms`, counted per platform (no channel to send
    them through in this process)."""
    names = list(platforms)
    rows = await db.fetchall(
        f"""SELECT platform, count(*) AS n FROM outbox WHERE status = 'pending'
            AND (not_before IS NULL OR not_before <= ?) AND platform NOT IN ({','.join('?' * len(names))})
            GROUP BY platform""", (now, *names))
    return {row["platform"]: row["n"] for row in rows}
