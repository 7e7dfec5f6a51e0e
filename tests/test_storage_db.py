from __future__ import annotations

import asyncio
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


_INSERT_CITY = "INSERT INTO units (kind, name, name_key, created_at) VALUES ('city', ?, ?, 't')"


async def test_a_read_never_sees_another_tasks_uncommitted_write(db):
    written, read = asyncio.Event(), asyncio.Event()

    async def writer():
        with pytest.raises(RuntimeError):
            async with db.transaction() as conn:
                await conn.execute(_INSERT_CITY, ("Uncommitted", "uncommitted"))
                # Its own transaction sees the row, through the same API as everyone else.
                assert await db.fetchval("SELECT count(*) FROM units") == 1
                written.set()
                await read.wait()
                raise RuntimeError("rolled back")

    async def reader():
        await written.wait()
        try:
            return await db.fetchval("SELECT count(*) FROM units")
        finally:
            read.set()

    _, seen = await asyncio.gather(writer(), reader())
    assert seen == 0
    assert await db.fetchval("SELECT count(*) FROM units") == 0


async def test_two_write_transactions_never_interleave(db):
    order: list[str] = []
    first_inside = asyncio.Event()

    async def first():
        async with db.transaction() as conn:
            order.append("first begins")
            first_inside.set()
            await conn.execute(_INSERT_CITY, ("A", "a"))
            await asyncio.sleep(0.05)  # the second task runs meanwhile, and must wait
            order.append("first ends")

    async def second():
        await first_inside.wait()
        async with db.transaction() as conn:
            order.append("second begins")
            # It sees the first one's row: that transaction committed before this one began.
            assert await db.fetchval("SELECT count(*) FROM units") == 1
            await conn.execute(_INSERT_CITY, ("B", "b"))

    await asyncio.gather(first(), second())
    assert order == ["first begins", "first ends", "second begins"]
    assert await db.fetchval("SELECT count(*) FROM units") == 2


async def test_one_statement_is_its_own_transaction_and_waits_for_another_tasks(db):
    """`db.execute`: one statement, committed alone, counted as a commit; it never slips into another task's
    open transaction on the writer connection (which would commit or roll back with it)."""
    from storage.db import commits_tracked, track_commits
    first_inside = asyncio.Event()

    async def rolled_back():
        with pytest.raises(RuntimeError):
            async with db.transaction() as conn:
                await conn.execute(_INSERT_CITY, ("A", "a"))
                first_inside.set()
                await asyncio.sleep(0.05)   # the single statement is made meanwhile, and must wait
                raise RuntimeError("rolled back")

    async def single():
        await first_inside.wait()
        track_commits()
        changed = await db.execute(_INSERT_CITY, ("B", "b"))
        return changed, commits_tracked()

    _, (changed, commits) = await asyncio.gather(rolled_back(), single())
    assert (changed, commits) == (1, 1)
    assert [row[0] for row in await db.fetchall("SELECT name FROM units")] == ["B"]
    assert await db.execute("UPDATE units SET name = 'C' WHERE name = 'nobody'") == 0


async def test_one_statement_inside_a_transaction_is_part_of_it(db):
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await db.execute(_INSERT_CITY, ("A", "a"))
            assert await db.fetchval("SELECT count(*) FROM units") == 1
            raise RuntimeError("rolled back")
    assert await db.fetchval("SELECT count(*) FROM units") == 0
    with pytest.raises(sqlite3.IntegrityError):   # a failed one leaves nothing either
        await db.execute("INSERT INTO units (kind, name, name_key, created_at) VALUES ('planet', 'B', 'b', 't')")
    assert await db.fetchval("SELECT count(*) FROM units") == 0


async def test_a_task_started_inside_a_transaction_reads_committed_data_only(db):
    async with db.transaction() as conn:
        await conn.execute(_INSERT_CITY, ("A", "a"))
        # A child task copies the context but is not part of the transaction.
        assert await asyncio.create_task(db.fetchval("SELECT count(*) FROM units")) == 0
    assert await db.fetchval("SELECT count(*) FROM units") == 1


async def test_a_nested_transaction_is_refused_rather_than_deadlocking(db):
    async with db.transaction():
        with pytest.raises(RuntimeError, match="already in a transaction"):
            async with db.transaction():
                pass


async def test_a_read_begun_after_a_commit_sees_it_while_other_reads_run(db):
    """Each read has its own snapshot: one started after a commit sees it, whatever other reads are doing."""
    async def busy_reads():
        for _ in range(30):
            await db.fetchall("SELECT * FROM units")

    async def write_then_read():
        for i in range(30):
            async with db.transaction() as conn:
                await conn.execute(_INSERT_CITY, (f"C{i}", f"c{i}"))
            assert await db.fetchval("SELECT count(*) FROM units") == i + 1

    await asyncio.gather(busy_reads(), busy_reads(), write_then_read())


async def test_a_file_that_is_not_a_database_is_refused_and_leaves_no_thread_running(tmp_path):
    import sqlite3
    import threading

    path = tmp_path / "notes.sqlite3"
    path.write_text("not a database", encoding="utf-8")
    def workers() -> set[threading.Thread]:
        return {thread for thread in threading.enumerate() if "_connection_worker_thread" in thread.name}

    # (the threads themselves, not their number: one of an earlier test's closed database may still be
    # finishing, and ends meanwhile)
    before = workers()
    with pytest.raises(sqlite3.DatabaseError):
        await Database.open(path)
    with pytest.raises(sqlite3.OperationalError):
        await Database.open(tmp_path / "no" / "such" / "folder.sqlite3")
    # aiosqlite's worker thread would keep the process alive after the error (a hang at exit).
    assert workers() <= before
