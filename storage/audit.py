"""The audit log: who did what, when, from which account. Rows are only ever added."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiosqlite

from storage.db import Database


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    action: str
    actor_person_id: int | None
    platform: str | None
    actor_external_id: str | None
    unit_id: int | None
    subject_person_id: int | None
    detail: dict[str, Any]


async def record(
    target: Database | aiosqlite.Connection, *, at: str, action: str, actor_person_id: int | None = None,
    platform: str | None = None, actor_external_id: str | int | None = None, unit_id: int | None = None,
    subject_person_id: int | None = None, detail: dict[str, Any] | None = None,
) -> None:
    """Add an entry: inside the caller's transaction when given its connection, else in one of its own.
    Phones in `detail` must already be masked (bot/rules/phone.py)."""
    params = (at, action, actor_person_id, platform,
              None if actor_external_id is None else str(actor_external_id), unit_id, subject_person_id,
              json.dumps(detail or {}, ensure_ascii=False, sort_keys=True))
    sql = ("INSERT INTO audit_log (at, action, actor_person_id, platform, actor_external_id, unit_id,"
           " subject_person_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
    await target.execute(sql, params)   # (a Database runs it as its own transaction)


async def entries(db: Database, *, since: str | None = None, unit_ids: list[int] | None = None,
                  limit: int | None = None) -> list[AuditEntry]:
    sql = "SELECT * FROM audit_log WHERE 1 = 1"
    params: list = []
    if since:
        sql += " AND at >= ?"
        params.append(since)
    if unit_ids is not None:
        sql += f" AND unit_id IN ({','.join('?' * len(unit_ids)) or 'NULL'})"
        params += unit_ids
    sql += " ORDER BY at, id"
    if limit:
        sql += " LIMIT ?"
        params.append(limit)
    rows = await db.fetchall(sql, params)
    return [AuditEntry(r["id"], r["at"], r["action"], r["actor_person_id"], r["platform"], r["actor_external_id"],
                       r["unit_id"], r["subject_person_id"], json.loads(r["detail"])) for r in rows]


async def wrong_codes(db: Database, *, platform: str, external_id: str | int, since: str) -> int:
    """Invite codes this chat account sent since `since` that were refused (unknown, used or expired)."""
    return await db.fetchval(
        """SELECT count(*) FROM audit_log WHERE at >= ? AND action = 'join.refused' AND platform = ?
           AND actor_external_id = ?
           AND json_extract(detail, '$.reason') IN ('invite_unknown', 'invite_used', 'invite_expired')""",
        (since, platform, str(external_id)))
