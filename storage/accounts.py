"""Chat accounts and their link to a roster person.

A person may have one linked account per platform (Telegram, Zalo). Lookups by the platform's own ids take
the platform explicitly (nothing defaults to Telegram); `for_people` says which account(s) the bot writes
to when it writes on its own: the one the person used last, or all of them (`[delivery] both_channels`).
"""

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
    last_used_at: str | None = None   # when the person last wrote from it (migration 0011)


_COLUMNS = ("id, platform, external_id, chat_id, person_id, language, display_name, linked_at, unreachable, "
            "last_used_at")


def _account(row) -> Account:
    return Account(row["id"], row["platform"], row["external_id"], row["chat_id"], row["person_id"],
                   row["language"], row["display_name"], row["linked_at"], bool(row["unreachable"]),
                   row["last_used_at"])


def _check(platform: str) -> str:
    if platform not in PLATFORMS:
        raise ValueError(f"unknown platform {platform!r}")
    return platform


async def get_by_external(db: Database, external_id: str | int, *, platform: str) -> Account | None:
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM accounts WHERE platform = ? AND external_id = ?",
                            (_check(platform), str(external_id)))
    return _account(row) if row else None


async def get_for_person(db: Database, person_id: int, *, platform: str) -> Account | None:
    """The person's account on that platform."""
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM accounts WHERE platform = ? AND person_id = ?",
                            (_check(platform), person_id))
    return _account(row) if row else None


def choose(linked: Iterable[Account], *, both: bool) -> list[Account]:
    """The accounts to write to among a person's linked accounts: the preferred one — reachable, used last
    (ISO instants compare as text), Telegram on a tie — or with `both` every one of them, preferred first."""
    ordered = sorted(linked, key=lambda a: (a.platform != TELEGRAM, a.id))
    ordered.sort(key=lambda a: a.last_used_at or a.linked_at or "", reverse=True)
    ordered.sort(key=lambda a: a.unreachable)   # stable: keeps the order above within each group
    return ordered if both else ordered[:1]


async def for_people(db: Database, person_ids: Iterable[int], *, both: bool) -> dict[int, list[Account]]:
    """Where the bot writes to each of these people who has a linked account, on any platform: the account
    they used last (a reachable one first), or all of them with `both` (`[delivery] both_channels`). People
    without an account are left out; every list has at least one account."""
    ids = list(dict.fromkeys(person_ids))
    if not ids:
        return {}
    every: dict[int, list[Account]] = {}
    for start in range(0, len(ids), 500):  # SQLite's parameter limit
        chunk = ids[start:start + 500]
        rows = await db.fetchall(
            f"SELECT {_COLUMNS} FROM accounts WHERE person_id IN ({','.join('?' * len(chunk))})", chunk)
        for row in rows:
            every.setdefault(row["person_id"], []).append(_account(row))
    return {person_id: choose(found, both=both) for person_id, found in every.items()}


async def of_person(db: Database, person_id: int) -> list[Account]:
    """Every account linked to the person, on every platform."""
    rows = await db.fetchall(f"SELECT {_COLUMNS} FROM accounts WHERE person_id = ? ORDER BY id", (person_id,))
    return [_account(row) for row in rows]


def used_before_another(account: Account, others: Iterable[Account]) -> bool:
    """Whether another of the person's accounts was used after this one (or at the same moment): then this
    account's use is news — the person switched channel — and worth recording. A person who stays on one
    channel costs no write at all."""
    mine = account.last_used_at or account.linked_at or ""
    return any((other.last_used_at or other.linked_at or "") >= mine
               for other in others if other.id != account.id)


async def touch(db: Database, account_id: int, at: str) -> None:
    """Record that the person used this account at `at` (see `used_before_another` for when)."""
    await db.execute("UPDATE accounts SET last_used_at = ? WHERE id = ?", (at, account_id))


async def link(db: Database, *, external_id: str | int, chat_id: str | int, person_id: int, at: str,
               platform: str, language: str | None = None, display_name: str | None = None) -> Account:
    """Create or update the account and link it to the person (one transaction)."""
    async with db.transaction() as conn:
        await link_in(conn, external_id=external_id, chat_id=chat_id, person_id=person_id, at=at,
                      language=language, display_name=display_name, platform=platform)
    account = await get_by_external(db, external_id, platform=platform)
    assert account is not None
    return account


async def link_in(conn: aiosqlite.Connection, *, external_id: str | int, chat_id: str | int, person_id: int,
                  at: str, platform: str, language: str | None = None, display_name: str | None = None) -> None:
    """`link` inside the caller's transaction (with the audit entry and the invite it goes with)."""
    await conn.execute(
        """INSERT INTO accounts (platform, external_id, chat_id, person_id, language, display_name,
                                 linked_at, created_at, last_used_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (platform, external_id) DO UPDATE SET
               chat_id = excluded.chat_id, person_id = excluded.person_id,
               language = coalesce(excluded.language, accounts.language),
               display_name = coalesce(excluded.display_name, accounts.display_name),
               linked_at = excluded.linked_at, unreachable = 0, last_used_at = excluded.last_used_at""",
        (_check(platform), str(external_id), str(chat_id), person_id, language, display_name, at, at, at),
    )


async def ensure(db: Database, *, external_id: str | int, chat_id: str | int, at: str, platform: str,
                 language: str | None = None, display_name: str | None = None) -> Account:
    """The account of this chat user, created unlinked the first time they write (a join in progress
    keeps its draft against it)."""
    await db.execute(
        """INSERT INTO accounts (platform, external_id, chat_id, language, display_name, created_at)
           VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (platform, external_id) DO UPDATE SET
               chat_id = excluded.chat_id,
               language = coalesce(accounts.language, excluded.language),
               display_name = coalesce(excluded.display_name, accounts.display_name)""",
        (_check(platform), str(external_id), str(chat_id), language, display_name, at),
    )
    account = await get_by_external(db, external_id, platform=platform)
    assert account is not None
    return account


async def unlink(target: Database | aiosqlite.Connection, account_id: int) -> None:
    """The account no longer speaks for its person (the audit log keeps who it was)."""
    sql, params = "UPDATE accounts SET person_id = NULL, linked_at = NULL WHERE id = ?", (account_id,)
    await target.execute(sql, params)   # (a Database runs it as its own transaction)


async def set_language(db: Database, account_id: int, language: str) -> None:
    """The language of an account not linked yet (a linked person's language is on the person)."""
    await db.execute("UPDATE accounts SET language = ? WHERE id = ?", (language, account_id))


async def linked(db: Database, *, platform: str) -> list[Account]:
    """Every account of that platform linked to a person."""
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM accounts WHERE platform = ? AND person_id IS NOT NULL ORDER BY id",
        (_check(platform),))
    return [_account(row) for row in rows]


async def set_unreachable(db: Database, account_id: int, unreachable: bool = True) -> None:
    await db.execute("UPDATE accounts SET unreachable = ? WHERE id = ?", (int(unreachable), account_id))
