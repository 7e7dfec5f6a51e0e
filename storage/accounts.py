"""Chat accounts and their link to a roster person."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import aiosqlite

from storage.db import Database

TELEGRAM = "telegram"
ZALO = "zalo"
PLATFORMS = (TELEGRAM, ZALO)


@dataclass(frozen=True)
class Account:
    id: int
    platform: str
    external_id: str
    chat_id: str
    person_id: int | None
    language: str | None
    display_name: str | None
    linked_at: str | None
    unreachable: bool


_COLUMNS = "id, platform, external_id, chat_id, person_id, language, display_name, linked_at, unreachable"


def _account(row) -> Account:
    return Account(row["id"], row["platform"], row["external_id"], row["chat_id"], row["person_id"],
                   row["language"], row["display_name"], row["linked_at"], bool(row["unreachable"]))


async def get_by_external(db: Database, external_id: str | int, platform: str = TELEGRAM) -> Account | None:
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM accounts WHERE platform = ? AND external_id = ?",
                            (platform, str(external_id)))
    return _account(row) if row else None


async def get_for_person(db: Database, person_id: int, platform: str = TELEGRAM) -> Account | None:
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM accounts WHERE platform = ? AND person_id = ?",
                            (platform, person_id))
    return _account(row) if row else None


async def for_people(db: Database, person_ids: Iterable[int], platform: str = TELEGRAM) -> dict[int, Account]:
    """The linked account of each of these people that has one."""
    ids = list(person_ids)
    if not ids:
        return {}
    found: dict[int, Account] = {}
    for start in range(0, len(ids), 500):  # SQLite's parameter limit
        chunk = ids[start:start + 500]
        rows = await db.fetchall(
            f"SELECT {_COLUMNS} FROM accounts WHERE platform = ? AND person_id IN ({','.join('?' * len(chunk))})",
            [platform, *chunk],
        )
        found.update({row["person_id"]: _account(row) for row in rows})
    return found


async def link(db: Database, *, external_id: str | int, chat_id: str | int, person_id: int, at: str,
               language: str | None = None, display_name: str | None = None,
               platform: str = TELEGRAM) -> Account:
    """Create or update the account and link it to the person (one transaction)."""
    async with db.transaction() as conn:
        await link_in(conn, external_id=external_id, chat_id=chat_id, person_id=person_id, at=at,
                      language=language, display_name=display_name, platform=platform)
    account = await get_by_external(db, external_id, platform)
    assert account is not None
    return account


async def link_in(conn: aiosqlite.Connection, *, external_id: str | int, chat_id: str | int, person_id: int,
                  at: str, language: str | None = None, display_name: str | None = None,
                  platform: str = TELEGRAM) -> None:
    """`link` inside the caller's transaction (with the audit entry and the invite it goes with)."""
    await conn.execute(
        """INSERT INTO accounts (platform, external_id, chat_id, person_id, language, display_name,
                                 linked_at, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (platform, external_id) DO UPDATE SET
               chat_id = excluded.chat_id, person_id = excluded.person_id,
               language = coalesce(excluded.language, accounts.language),
               display_name = coalesce(excluded.display_name, accounts.display_name),
               linked_at = excluded.linked_at, unreachable = 0""",
        (platform, str(external_id), str(chat_id), person_id, language, display_name, at, at),
    )


async def ensure(db: Database, *, external_id: str | int, chat_id: str | int, at: str,
                 language: str | None = None, display_name: str | None = None,
                 platform: str = TELEGRAM) -> Account:
    """The account of this chat user, created unlinked the first time they write (a join in progress
    keeps its draft against it)."""
    async with db.transaction() as conn:
        await conn.execute(
            """INSERT INTO accounts (platform, external_id, chat_id, language, display_name, created_at)
               VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT (platform, external_id) DO UPDATE SET
                   chat_id = excluded.chat_id,
                   language = coalesce(accounts.language, excluded.language),
                   display_name = coalesce(excluded.display_name, accounts.display_name)""",
            (platform, str(external_id), str(chat_id), language, display_name, at),
        )
    account = await get_by_external(db, external_id, platform)
    assert account is not None
    return account


async def unlink(target: Database | aiosqlite.Connection, account_id: int) -> None:
    """The account no longer speaks for its person (the audit log keeps who it was)."""
    sql, params = "UPDATE accounts SET person_id = NULL, linked_at = NULL WHERE id = ?", (account_id,)
    if isinstance(target, Database):
        async with target.transaction() as conn:
            await conn.execute(sql, params)
    else:
        await target.execute(sql, params)


async def set_language(db: Database, account_id: int, language: str) -> None:
    """The language of an account not linked yet (a linked person's language is on the person)."""
    async with db.transaction() as conn:
        await conn.execute("UPDATE accounts SET language = ? WHERE id = ?", (language, account_id))


async def linked(db: Database, platform: str = TELEGRAM) -> list[Account]:
    """Every account linked to a person."""
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM accounts WHERE platform = ? AND person_id IS NOT NULL ORDER BY id", (platform,))
    return [_account(row) for row in rows]


async def set_unreachable(db: Database, account_id: int, unreachable: bool = True) -> None:
    async with db.transaction() as conn:
        await conn.execute("UPDATE accounts SET unreachable = ? WHERE id = ?", (int(unreachable), account_id))
