"""What command list (setMyCommands, chat scope) each linked chat was given last: a digest of it, and the
roles (as "role@unit" pairs) it was made for."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from storage.accounts import Account
from storage.db import Database
from storage.org import Person


@dataclass(frozen=True)
class Published:
    signature: str
    roles: str


async def published(db: Database) -> dict[int, Published]:
    """{account id: what it was given} for every chat given a list."""
    rows = await db.fetchall("SELECT account_id, signature, roles FROM command_lists")
    return {row["account_id"]: Published(row["signature"], row["roles"]) for row in rows}


async def published_for(db: Database, account_id: int) -> Published | None:
    row = await db.fetchone("SELECT signature, roles FROM command_lists WHERE account_id = ?", (account_id,))
    return Published(row["signature"], row["roles"]) if row else None


async def record(db: Database, account_id: int, signature: str, roles: str, at: str) -> None:
    await record_in(db, account_id, signature, roles, at)   # (a Database runs it as its own transaction)


async def record_in(target: Database | aiosqlite.Connection, account_id: int, signature: str, roles: str,
                    at: str) -> None:
    """Record the published list, in the caller's transaction when given its connection."""
    await target.execute(
        """INSERT INTO command_lists (account_id, signature, roles, published_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (account_id) DO UPDATE SET signature = excluded.signature, roles = excluded.roles,
                                                  published_at = excluded.published_at""",
        (account_id, signature, roles, at),
    )


async def linked_holdings(db: Database, *, platform: str) -> list[tuple[Account, Person, list[tuple[str, int]]]]:
    """Every linked account with its person and their current (role, unit) pairs in active units, in one
    query: what the periodic command-list check needs for thousands of chats."""
    rows = await db.fetchall(
        """SELECT a.id AS account_id, a.platform, a.external_id, a.chat_id, a.person_id, a.language AS account_language,
                  a.display_name, a.linked_at, a.unreachable, a.last_used_at,
                  p.full_name, p.phone, p.language, p.exempt, p.active,
                  m.role, m.unit_id
           FROM accounts a
           JOIN people p ON p.id = a.person_id
           LEFT JOIN memberships m ON m.person_id = p.id AND m.valid_to IS NULL
                AND m.unit_id IN (SELECT id FROM units WHERE active = 1)
           WHERE a.platform = ? ORDER BY a.id, m.id""",
        (platform,),
    )
    found: dict[int, tuple[Account, Person, list[tuple[str, int]]]] = {}
    for row in rows:
        entry = found.get(row["account_id"])
        if entry is None:
            account = Account(row["account_id"], row["platform"], row["external_id"], row["chat_id"], row["person_id"],
                              row["account_language"], row["display_name"], row["linked_at"], bool(row["unreachable"]),
                              row["last_used_at"])
            person = Person(row["person_id"], row["full_name"], row["phone"], row["language"], bool(row["exempt"]),
                            bool(row["active"]))
            entry = found[row["account_id"]] = (account, person, [])
        if row["role"] is not None:
            entry[2].append((row["role"], row["unit_id"]))
    return list(found.values())
