"""Invite codes: single-use, time-limited codes that link a chat account to a roster person.

Whether a code may be used is decided by `bot.rules.access.invite_status`; this module stores codes and
marks them used (only once, even if two accounts race for the same code).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

import aiosqlite

from storage import audit
from storage.db import Database

# No 0/O, 1/I/L: codes are sometimes read aloud or typed from paper.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10


@dataclass(frozen=True)
class Invite:
    id: int
    code: str
    person_id: int
    created_by: int | None
    created_at: str
    expires_at: str
    used_at: str | None
    used_by_account: int | None


_COLUMNS = "id, code, person_id, created_by, created_at, expires_at, used_at, used_by_account"


def _invite(row) -> Invite:
    return Invite(row["id"], row["code"], row["person_id"], row["created_by"], row["created_at"],
                  row["expires_at"], row["used_at"], row["used_by_account"])


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str:
    """As typed or as carried by the deep link: trimmed, upper case."""
    return text.strip().upper()


_TYPED_SEPARATORS = re.compile(r"[\s\-_.]+")


def typed_code(text: str, *, loose: bool = False) -> str | None:
    """The invite code in a message typed by hand (Zalo), spaces, dashes and case aside: a word made only
    of the code alphabet, of the code's length — or, when the person was asked for a code (`loose`), any
    6 to 16 plain letters and digits, so that a mistyped code is answered as a wrong code. None otherwise."""
    word = _TYPED_SEPARATORS.sub("", text.strip()).upper()
    if len(word) == CODE_LENGTH and all(c in ALPHABET for c in word):
        return word
    if loose and 6 <= len(word) <= 16 and word.isascii() and word.isalnum():
        return word
    return None


async def create(conn: aiosqlite.Connection, *, person_id: int, created_by: int | None, created_at: str,
                 expires_at: str) -> Invite:
    """A new code for the person, inside the caller's transaction."""
    for _attempt in range(5):
        code = new_code()
        cursor = await conn.execute(
            "INSERT INTO invites (code, person_id, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (code) DO NOTHING",
            (code, person_id, created_by, created_at, expires_at),
        )
        if cursor.rowcount:
            return Invite(cursor.lastrowid, code, person_id, created_by, created_at, expires_at, None, None)
    raise RuntimeError("could not draw an unused invite code")  # 31**10 codes: never in practice


async def get_by_code(db: Database, code: str) -> Invite | None:
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM invites WHERE code = ?", (normalize_code(code),))
    return _invite(row) if row else None


async def for_person(db: Database, person_id: int) -> list[Invite]:
    rows = await db.fetchall(f"SELECT {_COLUMNS} FROM invites WHERE person_id = ? ORDER BY id", (person_id,))
    return [_invite(row) for row in rows]


async def mark_used(conn: aiosqlite.Connection, invite_id: int, *, account_id: int, at: str) -> bool:
    """Inside the caller's transaction; False if the code was used meanwhile."""
    cursor = await conn.execute(
        "UPDATE invites SET used_at = ?, used_by_account = ? WHERE id = ? AND used_at IS NULL",
        (at, account_id, invite_id),
    )
    return cursor.rowcount == 1


async def issue(db: Database, *, person_id: int, created_by: int | None, created_at: str, expires_at: str,
                unit_id: int | None, detail: dict, platform: str | None = None,
                actor_external_id: str | int | None = None) -> Invite:
    """Create a code and its audit entry ('invite.created') in one transaction."""
    async with db.transaction() as conn:
        invite = await create(conn, person_id=person_id, created_by=created_by, created_at=created_at,
                              expires_at=expires_at)
        await audit.record(conn, at=created_at, action="invite.created", actor_person_id=created_by,
                           platform=platform, actor_external_id=actor_external_id, unit_id=unit_id,
                           subject_person_id=person_id, detail={**detail, "invite_id": invite.id})
    return invite


def deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username.lstrip('@')}?start={code}"
