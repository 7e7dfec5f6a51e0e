"""Conversation drafts: where a person is in a multi-step flow, saved at every step."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiosqlite

from storage.db import Database


@dataclass(frozen=True)
class Draft:
    account_id: int
    flow: str
    step: str
    data: dict[str, Any]
    started_at: str
    updated_at: str


async def load(db: Database, account_id: int) -> Draft | None:
    row = await db.fetchone("SELECT * FROM drafts WHERE account_id = ?", (account_id,))
    if row is None:
        return None
    return Draft(row["account_id"], row["flow"], row["step"], json.loads(row["data"]), row["started_at"],
                 row["updated_at"])


async def save(target: Database | aiosqlite.Connection, account_id: int, flow: str, step: str,
               data: dict[str, Any], at: str) -> None:
    """Start or move a conversation on (in the caller's transaction when given its connection)."""
    sql = """INSERT INTO drafts (account_id, flow, step, data, started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (account_id) DO UPDATE SET
                 started_at = CASE WHEN drafts.flow = excluded.flow THEN drafts.started_at ELSE excluded.started_at END,
                 flow = excluded.flow, step = excluded.step, data = excluded.data, updated_at = excluded.updated_at"""
    params = (account_id, flow, step, json.dumps(data, ensure_ascii=False), at, at)
    if isinstance(target, Database):
        async with target.transaction() as conn:
            await conn.execute(sql, params)
    else:
        await target.execute(sql, params)


async def clear(target: Database | aiosqlite.Connection, account_id: int) -> bool:
    """End the conversation; True if there was one."""
    sql, params = "DELETE FROM drafts WHERE account_id = ?", (account_id,)
    if isinstance(target, Database):
        async with target.transaction() as conn:
            cursor = await conn.execute(sql, params)
            return cursor.rowcount > 0
    cursor = await target.execute(sql, params)
    return cursor.rowcount > 0


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
