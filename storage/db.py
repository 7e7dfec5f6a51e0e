"""The SQLite database: one aiosqlite connection, WAL, foreign keys on, migrations applied at open.

Writes go through `transaction()`, which holds a lock so that coroutines sharing the connection never
interleave their statements inside one another's transaction, and which rolls back on any error so that
nothing half-written stays.
"""

from __future__ import annotations

import asyncio
import re
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any, AsyncIterator, Iterable

import aiosqlite

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[int, str, str]]:
    """(version, file name, SQL) for every migration shipped, in order."""
    found = []
    for entry in resources.files("storage.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [version for version, _, _ in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a number: {versions}")
    return found


class Database:
    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self.conn = conn
        self.path = path
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path, *, migrate: bool = True) -> "Database":
        connecting = aiosqlite.connect(str(path), isolation_level=None)
        try:
            conn = await connecting
        except BaseException:
            # aiosqlite stops its thread without waiting for it: wait, or it answers into a closed loop.
            thread = getattr(connecting, "_thread", None)
            if thread is not None and thread.is_alive():
                await asyncio.to_thread(thread.join, 5)
            raise
        try:
            conn.row_factory = aiosqlite.Row
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute("PRAGMA busy_timeout=10000")
            await conn.execute("PRAGMA synchronous=NORMAL")
            db = cls(conn, str(path))
            if migrate:
                await db.migrate()
        except BaseException:
            # Not a database, or a migration failed: close, or aiosqlite's thread keeps the process alive.
            await conn.close()
            raise
        return db

    @classmethod
    @asynccontextmanager
    async def connect(cls, path: str | Path, *, migrate: bool = True) -> AsyncIterator["Database"]:
        """`async with Database.connect(path) as db:` — opened (and migrated), closed however it ends."""
        db = await cls.open(path, migrate=migrate)
        try:
            yield db
        finally:
            await db.close()

    async def close(self) -> None:
        await self.conn.close()

    async def schema_version(self) -> int:
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0])

    async def migrate(self) -> list[int]:
        """Apply, in order and each in its own transaction, the migrations newer than the database."""
        applied = []
        current = await self.schema_version()
        for version, name, sql in migrations():
            if version <= current:
                continue
            async with self._write_lock:
                # executescript commits any open transaction first, so BEGIN/COMMIT are in the script.
                try:
                    await self.conn.executescript(
                        f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;"
                    )
                except Exception:
                    if self.conn.in_transaction:
                        await self.conn.execute("ROLLBACK")
                    raise
            applied.append(version)
        return applied

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any error."""
        async with self._write_lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            else:
                await self.conn.execute("COMMIT")

    # Reads outside a transaction.
    async def fetchall(self, sql: str, params: Iterable[Any] | dict = ()) -> list[aiosqlite.Row]:
        async with self.conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def fetchone(self, sql: str, params: Iterable[Any] | dict = ()) -> aiosqlite.Row | None:
        async with self.conn.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def fetchval(self, sql: str, params: Iterable[Any] | dict = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]
