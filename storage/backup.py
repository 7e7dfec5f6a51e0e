"""Backups of the database: SQLite's own online backup (`sqlite3.Connection.backup`), safe while the bot
runs and writes (it copies one consistent snapshot, WAL included), and the checks that tell a good copy.

The copy is written beside its destination under a temporary name and renamed into place only when
complete, so an interrupted backup never leaves a half file under the name an admin would restore.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from storage.db import migrations

# The tables the one-line summary counts (the rest are only checked readable).
COUNTED = ("people", "accounts", "meetings", "recommendations")


@dataclass(frozen=True)
class BackupCheck:
    ok: bool
    problem: str | None         # "integrity", "newer", "not_shcb" or "unreadable" when not ok
    detail: str | None          # SQLite's first integrity message, or the unreadable table
    schema_version: int
    shipped_version: int
    counts: dict[str, int]


def _backup_sync(source: str, destination: str, busy_timeout_ms: int) -> None:
    target = Path(destination)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(handle)
    try:
        src = sqlite3.connect(source, timeout=busy_timeout_ms / 1000)  # only read from
        try:
            dst = sqlite3.connect(temporary)
            try:
                src.backup(dst)  # all pages in one step: one read snapshot, consistent with the WAL
                # A self-contained file: no -wal beside it to forget (the bot switches back to WAL at start).
                dst.execute("PRAGMA journal_mode=DELETE")
            finally:
                dst.close()
        finally:
            src.close()
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


async def backup(source: str | Path, destination: str | Path, *, busy_timeout_ms: int = 10_000) -> None:
    """Copy the database at `source` into the new file `destination` (replaced if it exists)."""
    await asyncio.to_thread(_backup_sync, str(source), str(destination), busy_timeout_ms)


def _verify_sync(path: str) -> BackupCheck:
    shipped = migrations()[-1][0]
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA query_only=ON")  # a check never writes the copy
        result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if result != ["ok"]:
            return BackupCheck(False, "integrity", result[0], version, shipped, {})
        if version == 0:
            return BackupCheck(False, "not_shcb", None, version, shipped, {})
        if version > shipped:
            return BackupCheck(False, "newer", None, version, shipped, {})
        tables = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        missing = [name for name in COUNTED if name not in tables]
        if missing:
            return BackupCheck(False, "unreadable", missing[0], version, shipped, {})
        counts = {}
        for name in tables:  # every table read through, not only the counted ones
            try:
                counts[name] = int(conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])
            except sqlite3.DatabaseError:
                return BackupCheck(False, "unreadable", name, version, shipped, {})
        return BackupCheck(True, None, None, version, shipped, {name: counts[name] for name in COUNTED})
    finally:
        conn.close()


async def verify(path: str | Path) -> BackupCheck:
    """Check the backup at `path`. sqlite3.Error when it is not a database at all."""
    return await asyncio.to_thread(_verify_sync, str(path))
