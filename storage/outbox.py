"""The outbox: every message the bot sends on its own initiative is a row here before it is sent.

Writers enqueue (idempotently, by `dedup_key`) inside their own transaction; the sender
(`bot/sender.py`) claims due rows, sends them and records each result.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable

import aiosqlite

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
    platform: str = "telegram"


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


def row_to_outbox(row) -> OutboxRow:
    return OutboxRow(row["id"], row["kind"], row["ref"], row["dedup_key"], row["person_id"], row["platform"],
                     row["chat_id"], json.loads(row["payload"]), row["status"], row["attempts"],
                     row["not_before"], row["created_at"], row["sent_at"], row["message_id"], row["error"])


async def enqueue(conn: aiosqlite.Connection, messages: Iterable[OutgoingMessage], *, at: str) -> int:
    """Queue messages inside the caller's transaction (`async with db.transaction() as conn`).
    A message whose dedup_key is already queued is left out. Returns how many were added."""
    rows = [
        (m.kind, m.ref, m.dedup_key, m.person_id, m.platform, str(m.chat_id),
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
