from __future__ import annotations

import sqlite3

import pytest

from storage.db import Database, migrations


async def test_migrations_apply_in_order_on_an_empty_database(tmp_path):
    db = await Database.open(tmp_path / "a.sqlite3")
    try:
        assert await db.schema_version() == migrations()[-1][0]   # numbers are reserved per branch: gaps allowed
        assert (await db.fetchval("PRAGMA journal_mode")) == "wal"
        assert (await db.fetchval("PRAGMA foreign_keys")) == 1
    finally:
        await db.close()


async def test_migrations_on_an_existing_database_apply_only_what_is_new(tmp_path):
    path = tmp_path / "b.sqlite3"
    db = await Database.open(path, migrate=False)
    # An older database: only the first migration applied, with data in it.
    version, _name, sql = migrations()[0]
    await db.conn.executescript(f"BEGIN;{sql}\nPRAGMA user_version = {version};COMMIT;")
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO units (kind, name, name_key, created_at) VALUES ('city', 'X', 'x', 't')")
    applied = await db.migrate()
    assert applied == [v for v, _, _ in migrations()][1:]
    assert await db.fetchval("SELECT name FROM units") == "X"
    assert await db.migrate() == []
    await db.close()


async def test_a_failed_transaction_leaves_nothing(db):
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO units (kind, name, name_key, created_at) VALUES ('city', 'A', 'a', 't')")
            await conn.execute("INSERT INTO units (kind, name, name_key, created_at) VALUES ('planet', 'B', 'b', 't')")
    assert await db.fetchval("SELECT count(*) FROM units") == 0


async def test_foreign_keys_are_enforced(db):
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO memberships (person_id, unit_id, role, valid_from) VALUES (99, 99, 'member', '2026-01-01')")


async def test_connect_closes_the_database_even_when_the_work_fails(tmp_path):
    with pytest.raises(RuntimeError):
        async with Database.connect(tmp_path / "c.sqlite3") as db:
            assert await db.schema_version() == migrations()[-1][0]
            raise RuntimeError("the work failed")
    with pytest.raises(ValueError):  # sqlite3 refuses a closed connection
        await db.fetchval("SELECT 1")
