"""The SQLite database: two aiosqlite connections on one file in WAL mode, foreign keys on, migrations
applied at open.

Writes go through `transaction()` (BEGIN IMMEDIATE … COMMIT, ROLLBACK on any error), on the writer
connection, one task at a time: a lock keeps two tasks' write transactions from interleaving. Reads
(`fetchone`, `fetchall`, `fetchval`) go to separate, read-only connections, which in WAL mode see only
committed data — so no task ever reads another task's uncommitted writes. Each read has a reader
connection to itself while it runs (a small pool): two statements on one connection would share one
snapshot, and a read could then miss a commit that happened just before it began. Reads made by the task that
holds the transaction, while it holds it, go to the writer connection instead, so that the task sees its
own writes (which task holds it is kept per task, in a context variable).
"""

from __future__ import annotations

import asyncio
import contextvars
import re
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Iterable

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


# The transaction the current task is in: (database, task). Kept with the task so that a read made inside
# it goes to the writer connection; the task is recorded too, because a task created inside a transaction
# copies this variable but is not part of the transaction.
_CURRENT: contextvars.ContextVar[tuple["Database", asyncio.Task | None] | None] = contextvars.ContextVar(
    "storage_db_transaction", default=None)


# Commits made since `track_commits()` in the current task (the bot starts counting for each update, so
# that its error handler knows whether something was already saved when a later step failed).
_COMMITS: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("storage_db_commits", default=None)


def track_commits() -> None:
    """Start counting the commits of the current task (and of what it awaits) from zero."""
    _COMMITS.set([0])


def commits_tracked() -> int:
    """Commits since `track_commits()` in this task (0 if it never started counting)."""
    box = _COMMITS.get()
    return box[0] if box else 0


# How long SQLite itself retries a statement that meets another connection's lock (seconds) before it fails
# with `database is locked` (sqlite3.OperationalError, SQLITE_BUSY): `[storage] busy_timeout_seconds`.
BUSY_TIMEOUT = 10.0


def is_busy(error: BaseException) -> bool:
    """Whether `error` is SQLite giving up on a lock another connection or program held too long."""
    import sqlite3
    if not isinstance(error, sqlite3.OperationalError):
        return False
    name = getattr(error, "sqlite_errorname", "") or ""
    return name.startswith("SQLITE_BUSY") or "database is locked" in str(error)


class Database:
    READERS = 8  # reader connections at most; a read waits for a free one beyond that

    def __init__(self, conn: aiosqlite.Connection, path: str, reader: aiosqlite.Connection | None = None,
                 *, busy_timeout: float = BUSY_TIMEOUT) -> None:
        self.conn = conn                  # the writer: transactions and migrations only
        self.path = path
        self.busy_timeout = busy_timeout
        self._write_lock = asyncio.Lock()
        self._idle: list[aiosqlite.Connection] = [reader] if reader is not None else []
        self._readers: list[aiosqlite.Connection] = list(self._idle)
        self._reader_free = asyncio.Condition()
        self._closed = False
        self._trace: Callable[[str], None] | None = None   # see traced()

    @classmethod
    async def open(cls, path: str | Path, *, migrate: bool = True, busy_timeout: float = BUSY_TIMEOUT) -> "Database":
        conn = await _connect(path, busy_timeout=busy_timeout)
        try:
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA synchronous=NORMAL")
            reader = await _connect(path, read_only=True, busy_timeout=busy_timeout)
        except BaseException:
            await conn.close()
            raise
        db = cls(conn, str(path), reader, busy_timeout=busy_timeout)
        if migrate:
            try:
                await db.migrate()
            except BaseException:
                await db.close()
                raise
        return db

    @classmethod
    @asynccontextmanager
    async def connect(cls, path: str | Path, *, migrate: bool = True,
                      busy_timeout: float = BUSY_TIMEOUT) -> AsyncIterator["Database"]:
        """`async with Database.connect(path) as db:` — opened (and migrated), closed however it ends."""
        db = await cls.open(path, migrate=migrate, busy_timeout=busy_timeout)
        try:
            yield db
        finally:
            await db.close()

    async def close(self) -> None:
        self._closed = True
        try:
            for reader in self._readers:
                if reader is not None:  # (None: one still opening; it closes itself when returned)
                    await reader.close()
        finally:
            self._readers.clear()
            self._idle.clear()
            await self.conn.close()

    @asynccontextmanager
    async def _reader(self) -> AsyncIterator[aiosqlite.Connection]:
        """A reader connection for this read alone."""
        if self._closed:
            raise ValueError("the database is closed")
        async with self._reader_free:
            while not self._idle and len(self._readers) >= self.READERS:
                await self._reader_free.wait()
            if self._idle:
                reader = self._idle.pop()
            else:
                reader = None
                self._readers.append(None)  # (reserved while it opens)
        if reader is None:
            try:
                reader = await _connect(self.path, read_only=True, busy_timeout=self.busy_timeout)
            except BaseException:
                self._readers.remove(None)
                raise
            self._readers[self._readers.index(None)] = reader
            if self._trace is not None:
                await reader.set_trace_callback(self._trace)
        try:
            yield reader
        finally:
            async with self._reader_free:
                if self._closed:
                    await reader.close()
                else:
                    self._idle.append(reader)
                self._reader_free.notify()

    @asynccontextmanager
    async def traced(self, callback: Callable[[str], None]) -> AsyncIterator[None]:
        """Every statement run meanwhile, on the writer and on every reader, passed to `callback` (how the
        tests and benchmarks count the queries a report costs)."""
        self._trace = callback
        connections = [self.conn, *(reader for reader in self._readers if reader is not None)]
        for connection in connections:
            await connection.set_trace_callback(callback)
        try:
            yield
        finally:
            self._trace = None
            for connection in [self.conn, *(reader for reader in self._readers if reader is not None)]:
                await connection.set_trace_callback(None)

    def in_transaction(self) -> bool:
        """Whether the current task is inside this database's `transaction()`."""
        current = _CURRENT.get()
        return current is not None and current[0] is self and current[1] is asyncio.current_task()

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
        """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any error; one task at a time. Not re-entrant: a task
        already in a transaction passes its connection on instead of opening another."""
        if self.in_transaction():
            raise RuntimeError("already in a transaction of this database: use its connection")
        async with self._write_lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            token = _CURRENT.set((self, asyncio.current_task()))
            try:
                yield self.conn
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            else:
                await self.conn.execute("COMMIT")
                box = _COMMITS.get()
                if box is not None:
                    box[0] += 1
            finally:
                _CURRENT.reset(token)

    async def execute(self, sql: str, params: Iterable[Any] | dict = ()) -> int:
        """One write statement as a transaction of its own (SQLite's autocommit makes one statement atomic),
        in one round trip to the writer's thread instead of three; inside the current task's transaction, a
        statement of it. How many rows it changed."""
        if self.in_transaction():
            return (await self.conn.execute(sql, params)).rowcount
        async with self._write_lock:
            changed = (await self.conn.execute(sql, params)).rowcount
        box = _COMMITS.get()
        if box is not None:
            box[0] += 1
        return changed

    # Reads: committed data, or the current task's own transaction. Each is one round trip to the
    # connection's thread (execute and fetch together), not three (execute, fetch, close the cursor).
    async def fetchall(self, sql: str, params: Iterable[Any] | dict = ()) -> list[aiosqlite.Row]:
        if self.in_transaction():
            return list(await self.conn.execute_fetchall(sql, params))
        async with self._reader() as reader:
            return list(await reader.execute_fetchall(sql, params))

    async def fetchone(self, sql: str, params: Iterable[Any] | dict = ()) -> aiosqlite.Row | None:
        """The first row (every caller's query is on a key or has a LIMIT, so fetching all costs nothing)."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, params: Iterable[Any] | dict = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]


async def _connect(path: str | Path, *, read_only: bool = False,
                   busy_timeout: float = BUSY_TIMEOUT) -> aiosqlite.Connection:
    connecting = aiosqlite.connect(str(path), isolation_level=None)
    try:
        conn = await connecting
    except BaseException:
        # aiosqlite stops its thread without waiting for it: wait, or it answers into a closed loop.
        thread = getattr(connecting, "_thread", None)
        if thread is not None and thread.is_alive():
            await asyncio.to_thread(thread.join, 5)
        raise
    conn.row_factory = aiosqlite.Row
    try:
        # Not a database (or unreadable): close, or aiosqlite's thread keeps the process alive.
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        if read_only:
            await conn.execute("PRAGMA query_only=ON")  # a write slipped onto a reader fails loudly
    except BaseException:
        await conn.close()
        raise
    return conn
