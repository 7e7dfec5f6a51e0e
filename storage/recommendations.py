"""Recommendations (kiến nghị), their attachments and their append-only history.

A submission and each status change are written together with their history row (and, when given, the
outbox messages and the audit entry they cause) in one transaction. A change is conditional on the status
it starts from (`UPDATE … WHERE status = ?`): of two staff acting on the same item at once, one wins and
the other is told it changed meanwhile; nothing is written twice. The rules are bot/rules/recommendations.py
(the status strings below are the same as there).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import aiosqlite

from storage import audit, outbox
from storage.db import Database
from storage.outbox import OutgoingMessage


NEW, RESOLVED, CITY_RESOLVED, ESCALATED = "new", "resolved", "city_resolved", "escalated"
CLOSED = (RESOLVED, CITY_RESOLVED)
OPEN = ("new", "received", "returned", "escalated", "city_returned")
SUBMIT = "submit"


@dataclass(frozen=True)
class Attachment:
    kind: str                 # 'photo' or 'document'
    file_id: str
    filename: str | None = None


@dataclass(frozen=True)
class Recommendation:
    id: int
    code: str
    month: str
    category: str
    content: str
    source: str
    urgency: str
    status: str
    cell_id: int
    ward_id: int
    submitted_by: int
    submitted_at: str
    updated_at: str
    escalated_at: str | None
    answer: str | None
    answered_by: int | None
    answered_at: str | None
    attachments: tuple[Attachment, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    recommendation_id: int
    at: str
    actor_person_id: int | None
    action: str
    from_status: str | None
    to_status: str
    text: str | None


@dataclass(frozen=True)
class NewRecommendation:
    category: str
    content: str
    source: str
    urgency: str
    cell_id: int
    ward_id: int
    submitted_by: int
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class StatusCount:
    cell_id: int
    status: str
    count: int


def _item(row, attachments: Sequence[Attachment] = ()) -> Recommendation:
    return Recommendation(row["id"], row["code"], row["month"], row["category"], row["content"], row["source"],
                          row["urgency"], row["status"], row["cell_id"], row["ward_id"], row["submitted_by"],
                          row["submitted_at"], row["updated_at"], row["escalated_at"], row["answer"],
                          row["answered_by"], row["answered_at"], tuple(attachments))


def _history(row) -> HistoryEntry:
    return HistoryEntry(row["id"], row["recommendation_id"], row["at"], row["actor_person_id"], row["action"],
                        row["from_status"], row["to_status"], row["text"])


def _placeholders(values: Sequence) -> str:
    return ",".join("?" * len(values)) or "NULL"


async def _audit(conn: aiosqlite.Connection, entry: dict[str, Any] | None, item_id: int, code: str) -> None:
    if entry:
        detail = {"recommendation": item_id, "code": code, **(entry.get("detail") or {})}
        await audit.record(conn, **{**entry, "detail": detail})


# --- Writing --------------------------------------------------------------------------------------------


async def submit(db: Database, new: NewRecommendation, *, month: str, at: str, make_code: Callable[[str, int], str],
                 messages: Callable[["Recommendation"], Iterable[OutgoingMessage]] = lambda item: (),
                 audit_entry: dict[str, Any] | None = None,
                 draft_account_id: int | None = None) -> Recommendation | None:
    """Record a submission with the next tracking code of the month (`make_code(month, seq)`, unique in the
    city), its attachments, its first history row, the notices it causes (`messages(item)`, once the code
    is known) and its audit entry, and end the submitter's draft — all in one transaction. With a draft
    account given, None (and nothing written) when that draft is already gone: a second confirmation."""
    async with db.transaction() as conn:
        if draft_account_id is not None:
            cursor = await conn.execute("DELETE FROM drafts WHERE account_id = ?", (draft_account_id,))
            if cursor.rowcount != 1:   # confirmed twice (or the draft was cancelled): submit nothing
                return None
        async with conn.execute("SELECT coalesce(max(seq), 0) + 1 FROM recommendations WHERE month = ?",
                                (month,)) as cursor:
            seq = (await cursor.fetchone())[0]
        code = make_code(month, seq)
        cursor = await conn.execute(
            """INSERT INTO recommendations (code, month, seq, category, content, source, urgency, status, cell_id,
                   ward_id, submitted_by, submitted_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (code, month, seq, new.category, new.content, new.source, new.urgency, NEW, new.cell_id,
             new.ward_id, new.submitted_by, at, at))
        item_id = cursor.lastrowid
        await conn.executemany(
            "INSERT INTO recommendation_attachments (recommendation_id, position, kind, file_id, filename)"
            " VALUES (?, ?, ?, ?, ?)",
            [(item_id, i, a.kind, a.file_id, a.filename) for i, a in enumerate(new.attachments)])
        await conn.execute(
            "INSERT INTO recommendation_history (recommendation_id, at, actor_person_id, action, from_status,"
            " to_status, text) VALUES (?, ?, ?, ?, NULL, ?, NULL)",
            (item_id, at, new.submitted_by, SUBMIT, NEW))
        async with conn.execute("SELECT * FROM recommendations WHERE id = ?", (item_id,)) as cursor:
            item = _item(await cursor.fetchone(), new.attachments)
        await outbox.enqueue(conn, list(messages(item)), at=at)
        await _audit(conn, audit_entry, item_id, code)
    return item


async def transition(db: Database, item_id: int, *, action: str, from_status: str, to_status: str,
                     actor_person_id: int | None, at: str, text: str | None = None,
                     messages: Iterable[OutgoingMessage] = (), audit_entry: dict[str, Any] | None = None,
                     draft_account_id: int | None = None) -> bool:
    """Move an item from `from_status` to `to_status`, only if it is still in `from_status`: with its
    history row, the messages it sends, its audit entry, and the actor's draft ended — one transaction.
    False (and nothing written) when the item had moved meanwhile."""
    answer = text if to_status in CLOSED else None
    async with db.transaction() as conn:
        cursor = await conn.execute(
            """UPDATE recommendations SET status = ?, updated_at = ?,
                   escalated_at = CASE WHEN ? = 'escalated' THEN coalesce(escalated_at, ?) ELSE escalated_at END,
                   answer = coalesce(?, answer),
                   answered_by = CASE WHEN ? IS NOT NULL THEN ? ELSE answered_by END,
                   answered_at = CASE WHEN ? IS NOT NULL THEN ? ELSE answered_at END
               WHERE id = ? AND status = ?""",
            (to_status, at, to_status, at, answer, answer, actor_person_id, answer, at, item_id, from_status))
        if cursor.rowcount != 1:
            return False
        await conn.execute(
            "INSERT INTO recommendation_history (recommendation_id, at, actor_person_id, action, from_status,"
            " to_status, text) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (item_id, at, actor_person_id, action, from_status, to_status, text))
        await outbox.enqueue(conn, list(messages), at=at)
        async with conn.execute("SELECT code FROM recommendations WHERE id = ?", (item_id,)) as cur:
            code = (await cur.fetchone())[0]
        await _audit(conn, audit_entry, item_id, code)
        if draft_account_id is not None:
            await conn.execute("DELETE FROM drafts WHERE account_id = ?", (draft_account_id,))
    return True


# --- Reading --------------------------------------------------------------------------------------------


async def _with_attachments(db: Database, rows) -> list[Recommendation]:
    ids = [row["id"] for row in rows]
    files: dict[int, list[Attachment]] = {}
    if ids:
        for a in await db.fetchall(
                f"SELECT * FROM recommendation_attachments WHERE recommendation_id IN ({_placeholders(ids)})"
                " ORDER BY recommendation_id, position", ids):
            files.setdefault(a["recommendation_id"], []).append(Attachment(a["kind"], a["file_id"], a["filename"]))
    return [_item(row, files.get(row["id"], ())) for row in rows]


async def get(db: Database, item_id: int) -> Recommendation | None:
    rows = await db.fetchall("SELECT * FROM recommendations WHERE id = ?", (item_id,))
    found = await _with_attachments(db, rows)
    return found[0] if found else None


async def by_code(db: Database, code: str) -> Recommendation | None:
    rows = await db.fetchall("SELECT * FROM recommendations WHERE code = ?", (code,))
    found = await _with_attachments(db, rows)
    return found[0] if found else None


async def history(db: Database, item_id: int) -> list[HistoryEntry]:
    rows = await db.fetchall("SELECT * FROM recommendation_history WHERE recommendation_id = ? ORDER BY id",
                             (item_id,))
    return [_history(row) for row in rows]


async def for_cell(db: Database, cell_id: int, *, limit: int = 50) -> list[Recommendation]:
    """A cell's items, newest first."""
    rows = await db.fetchall("SELECT * FROM recommendations WHERE cell_id = ? ORDER BY id DESC LIMIT ?",
                             (cell_id, limit))
    return await _with_attachments(db, rows)


async def inbox(db: Database, *, cell_ids: Iterable[int] | None = None, escalated: bool = False,
                statuses: Iterable[str] | None = None, category: str | None = None,
                offset: int = 0, limit: int = 8) -> tuple[list[Recommendation], int]:
    """A page of items, urgent and oldest first, and how many match in all: of these cells (a ward's
    inbox), or every escalated one (the city's); optionally only some statuses, one category."""
    where, params = [], []
    if cell_ids is not None:
        ids = list(cell_ids)
        where.append(f"cell_id IN ({_placeholders(ids)})")
        params += ids
    if escalated:
        where.append("escalated_at IS NOT NULL")
    if statuses is not None:
        wanted = list(statuses)
        where.append(f"status IN ({_placeholders(wanted)})")
        params += wanted
    if category is not None:
        where.append("category = ?")
        params.append(category)
    clause = " AND ".join(where) or "1 = 1"
    total = await db.fetchval(f"SELECT count(*) FROM recommendations WHERE {clause}", params)
    rows = await db.fetchall(
        f"SELECT * FROM recommendations WHERE {clause}"
        " ORDER BY (urgency = 'urgent') DESC, submitted_at, id LIMIT ? OFFSET ?", params + [limit, offset])
    return await _with_attachments(db, rows), total


async def inbox_summary(db: Database, *, cell_ids: Iterable[int] | None = None,
                        escalated: bool = False) -> dict[tuple[str, str], int]:
    """(status, category) -> count, for the inbox's overview."""
    where, params = [], []
    if cell_ids is not None:
        ids = list(cell_ids)
        where.append(f"cell_id IN ({_placeholders(ids)})")
        params += ids
    if escalated:
        where.append("escalated_at IS NOT NULL")
    clause = " AND ".join(where) or "1 = 1"
    rows = await db.fetchall(
        f"SELECT status, category, count(*) AS n FROM recommendations WHERE {clause} GROUP BY status, category",
        params)
    return {(row["status"], row["category"]): row["n"] for row in rows}


async def count_by_cell_and_status(db: Database, month: str, *, ward_id: int | None = None) -> list[StatusCount]:
    """For the reports: a ward's items submitted in `month` (the city's when `ward_id` is None), counted by
    cell and current status, in one query."""
    sql = "SELECT cell_id, status, count(*) AS n FROM recommendations WHERE month = ?"
    params: list[Any] = [month]
    if ward_id is not None:
        sql += " AND ward_id = ?"
        params.append(ward_id)
    rows = await db.fetchall(sql + " GROUP BY cell_id, status ORDER BY cell_id, status", params)
    return [StatusCount(row["cell_id"], row["status"], row["n"]) for row in rows]


async def open_items(db: Database, *, ward_id: int | None = None, statuses: Iterable[str] = OPEN,
                     month: str | None = None, submitted_before: str | None = None) -> list[Recommendation]:
    """Items not closed (or in `statuses`): of one ward, of one month, submitted by an instant."""
    wanted = list(statuses)
    sql = f"SELECT * FROM recommendations WHERE status IN ({_placeholders(wanted)})"
    params: list[Any] = wanted
    if ward_id is not None:
        sql += " AND ward_id = ?"
        params.append(ward_id)
    if month is not None:
        sql += " AND month = ?"
        params.append(month)
    if submitted_before is not None:
        sql += " AND submitted_at <= ?"
        params.append(submitted_before)
    rows = await db.fetchall(sql + " ORDER BY submitted_at, id", params)
    return [_item(row) for row in rows]


async def submitted_between(db: Database, start: str, end: str, *, urgency: str | None = None) -> list[Recommendation]:
    """Items submitted in [start, end), oldest first (the daily digest)."""
    sql = "SELECT * FROM recommendations WHERE submitted_at >= ? AND submitted_at < ?"
    params: list[Any] = [start, end]
    if urgency is not None:
        sql += " AND urgency = ?"
        params.append(urgency)
    rows = await db.fetchall(sql + " ORDER BY ward_id, submitted_at, id", params)
    return [_item(row) for row in rows]


async def answered_since(db: Database, cell_id: int, since: str | None, until: str) -> list[Recommendation]:
    """The cell's items answered (resolved by the ward or the city) in [since, until): what the secretary
    reports to the members at the next meeting."""
    sql = "SELECT * FROM recommendations WHERE cell_id = ? AND status IN (?, ?) AND answered_at < ?"
    params: list[Any] = [cell_id, RESOLVED, CITY_RESOLVED, until]
    if since is not None:
        sql += " AND answered_at >= ?"
        params.append(since)
    rows = await db.fetchall(sql + " ORDER BY answered_at, id", params)
    return [_item(row) for row in rows]


# --- Notices sent once (digests, overdue flags) --------------------------------------------------------


async def notice_decided(db: Database, kind: str, subjects: Iterable[int], period: str) -> set[int]:
    wanted = list(subjects)
    if not wanted:
        return set()
    rows = await db.fetchall(
        f"SELECT subject FROM recommendation_notices WHERE kind = ? AND period = ? AND subject IN"
        f" ({_placeholders(wanted)})", [kind, period, *wanted])
    return {row["subject"] for row in rows}


async def record_notice(conn: aiosqlite.Connection, *, kind: str, subject: int, period: str, at: str,
                        items: int) -> bool:
    """Inside the caller's transaction (with the notice's outbox rows): False when already decided, and
    the caller must then queue nothing."""
    cursor = await conn.execute(
        "INSERT INTO recommendation_notices (kind, subject, period, decided_at, items) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (kind, subject, period) DO NOTHING", (kind, subject, period, at, items))
    return cursor.rowcount == 1
