from __future__ import annotations

from storage import accounts, drafts


async def _account(db):
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "INSERT INTO people (full_name, name_key, phone, created_at, updated_at) VALUES ('A', 'a', '84912000001', 't', 't')")
        person_id = cursor.lastrowid
    return await accounts.link(db, external_id=1, chat_id=1, person_id=person_id, at="t", platform=accounts.TELEGRAM)


async def test_a_draft_survives_reopening_the_database(tmp_path):
    from storage.db import Database

    db = await Database.open(tmp_path / "d.sqlite3")
    account = await _account(db)
    await drafts.save(db, account.id, "guidance.compose", "text", {"text": "Nội dung"}, at="2026-11-27T02:00:00+00:00")
    await drafts.save(db, account.id, "guidance.compose", "audience", {"text": "Nội dung", "audience": "all"},
                      at="2026-11-27T02:01:00+00:00")
    await db.close()
    reopened = await Database.open(db.path)
    try:
        draft = await drafts.load(reopened, account.id)
        assert draft.step == "audience" and draft.data == {"text": "Nội dung", "audience": "all"}
        assert draft.started_at == "2026-11-27T02:00:00+00:00"
        assert await drafts.clear(reopened, account.id) is True
        assert await drafts.load(reopened, account.id) is None
        assert await drafts.clear(reopened, account.id) is False
    finally:
        await reopened.close()


async def test_a_new_flow_restarts_the_clock(db):
    account = await _account(db)
    await drafts.save(db, account.id, "a", "1", {}, at="t1")
    await drafts.save(db, account.id, "b", "1", {}, at="t2")
    assert (await drafts.load(db, account.id)).started_at == "t2"


async def test_a_draft_records_the_update_that_last_changed_it(db):
    account = await _account(db)
    await drafts.save(db, account.id, "a", "1", {}, at="t1")             # not an update (a job, a command)
    assert (await drafts.load(db, account.id)).update_id is None
    token = drafts.APPLYING.set(41)
    try:
        await drafts.save(db, account.id, "a", "2", {}, at="t2")
    finally:
        drafts.APPLYING.reset(token)
    await drafts.save(db, account.id, "a", "3", {}, at="t3")             # outside an update: kept
    draft = await drafts.load(db, account.id)
    assert draft.update_id == 41
    assert draft.applied(40) and draft.applied(41) and not draft.applied(42)
