"""Conversation drafts: where a person is in a multi-step flow, saved at every step."""

from __future__ import annotations

import contextvars
import json
from dataclasses import dataclass
from typing import Any

import aiosqlite

from storage.db import Database

# The update being handled in this task (set by bot/core/updates.py for each update; None in jobs and
# commands): `save` records it with the draft, in the same transaction as the change, so that the same
# update handed over again after a kill (applied, not yet marked handled) is known as applied.
APPLYING: contextvars.ContextVar[int | None] = contextvars.ContextVar("drafts_applying", default=None)


@dataclass(frozen=True)
class Draft:
    account_id: int
    flow: str
    step: str
    data: dict[str, Any]
    started_at: str
    updated_at: str
    update_id: int | None = None   # the update that last changed it (None: not an update, or before 0012)

    def applied(self, update_id: int) -> bool:
        """Whether that update (or a later one) has already changed this draft."""
        return self.update_id is not None and update_id <= self.update_id


async def load(db: Database, account_id: int) -> Draft | None:
    row = await db.fetchone("SELECT * FROM drafts WHERE account_id = ?", (account_id,))
    if row is None:
        return None
    return Draft(row["account_id"], row["flow"], row["step"], json.loads(row["data"]), row["started_at"],
                 row["updated_at"], row["update_id"])


async def save(target: Database | aiosqlite.Connection, account_id: int, flow: str, step: str,
               data: dict[str, Any], at: str) -> None:
    """Start or move a conversation on (in the caller's transaction when given its connection), noting the
    update applying the change (APPLYING)."""
    sql = """INSERT INTO drafts (account_id, flow, step, data, started_at, updated_at, update_id)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (account_id) DO UPDATE SET
                 started_at = CASE WHEN drafts.flow = excluded.flow THEN drafts.started_at ELSE excluded.started_at END,
                 flow = excluded.flow, step = excluded.step, data = excluded.data, updated_at = excluded.updated_at,
                 update_id = coalesce(excluded.update_id, drafts.update_id)"""
    params = (account_id, flow, step, json.dumps(data, ensure_ascii=False), at, at, APPLYING.get())
    await target.execute(sql, params)   # (a Database runs it as its own transaction)


async def clear(target: Database | aiosqlite.Connection, account_id: int) -> bool:
    """End the conversation (and any question about switching from it); True if there was one."""
    if isinstance(target, Database):
        async with target.transaction() as conn:
            return await clear(conn, account_id)
    await target.execute("DELETE FROM flow_switches WHERE account_id = ?", (account_id,))
    cursor = await target.execute("DELETE FROM drafts WHERE account_id = ?", (account_id,))
    return cursor.rowcount > 0


@dataclass(frozen=True)
class Switch:
    """A question waiting for an answer: "continue your unfinished draft, or discard it and start `to_flow`?"."""
    account_id: int
    to_flow: str
    draft_updated_at: str
    asked_at: str


async def ask_switch(db: Database, account_id: int, to_flow: str, draft_updated_at: str, at: str) -> None:
    await db.execute(
        """INSERT INTO flow_switches (account_id, to_flow, draft_updated_at, asked_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (account_id) DO UPDATE SET to_flow = excluded.to_flow,
               draft_updated_at = excluded.draft_updated_at, asked_at = excluded.asked_at""",
        (account_id, to_flow, draft_updated_at, at))


async def pending_switch(db: Database, account_id: int) -> Switch | None:
    row = await db.fetchone("SELECT * FROM flow_switches WHERE account_id = ?", (account_id,))
    return Switch(row["account_id"], row["to_flow"], row["draft_updated_at"], row["asked_at"]) if row else None


async def answer_switch(conn: aiosqlite.Connection, account_id: int, to_flow: str, draft_updated_at: str, *,
                        discard: bool) -> bool:
    """Inside the caller's transaction: take the answer to that very question (False when it is gone or the
    draft moved on since); with `discard`, the unfinished draft ends too."""
    cursor = await conn.execute(
        "DELETE FROM flow_switches WHERE account_id = ? AND to_flow = ? AND draft_updated_at = ?",
        (account_id, to_flow, draft_updated_at))
    if cursor.rowcount == 0:
        return False
    current = await (await conn.execute("SELECT updated_at FROM drafts WHERE account_id = ?",
                                        (account_id,))).fetchone()
    if current is None or current[0] != draft_updated_at:
        return False
    if discard:
        await conn.execute("DELETE FROM drafts WHERE account_id = ?", (account_id,))
    return True


async def take(conn: aiosqlite.Connection, account_id: int, flow: str, steps: tuple[str, ...], key: str,
               value: Any) -> bool:
    """Inside the caller's transaction: end the conversation only if it is still this one — in `flow`, at one
    of `steps`, with `data[key] == value` (e.g. the preview a button was shown for). False when it has moved
    on or ended (a second press, a stale preview): the caller then rolls back."""
    cursor = await conn.execute(
        f"DELETE FROM drafts WHERE account_id = ? AND flow = ? AND step IN ({','.join('?' * len(steps))})"
        " AND json_extract(data, '$.' || ?) = ?",
        (account_id, flow, *steps, key, value))
    return cursor.rowcount > 0
