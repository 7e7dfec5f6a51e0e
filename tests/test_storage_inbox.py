from __future__ import annotations

from storage import inbox


async def test_an_update_is_taken_once_and_unhandled_until_marked(db):
    assert await inbox.add(db, "telegram", 7, '{"update_id": 7}', at="2026-12-01T10:00:00+07:00") is True
    assert await inbox.add(db, "telegram", 7, '{"update_id": 7}', at="2026-12-01T10:00:01+07:00") is False
    assert await inbox.add(db, "telegram", 5, '{"update_id": 5}', at="2026-12-01T10:00:02+07:00") is True
    assert await inbox.add(db, "zalo", 7, '{"update_id": 7}', at="2026-12-01T10:00:03+07:00") is True  # its own ids
    assert [(e.update_id, e.data) for e in await inbox.unhandled(db, "telegram")] == [(5, '{"update_id": 5}'),
                                                                                       (7, '{"update_id": 7}')]
    await inbox.mark_handled(db, "telegram", 5, at="2026-12-01T10:00:04+07:00")
    assert [e.update_id for e in await inbox.unhandled(db, "telegram")] == [7]
    assert [e.update_id for e in await inbox.unhandled(db, "zalo")] == [7]


async def test_prune_forgets_only_what_was_handled_before_then(db):
    await inbox.add(db, "telegram", 1, "{}", at="2026-11-29T10:00:00+07:00")
    await inbox.add(db, "telegram", 2, "{}", at="2026-11-29T10:00:00+07:00")
    await inbox.add(db, "telegram", 3, "{}", at="2026-12-01T10:00:00+07:00")
    for update_id in (1, 3):
        await inbox.mark_handled(db, "telegram", update_id, at="2026-12-01T10:00:00+07:00")
    assert await inbox.prune(db, "2026-11-30T10:00:00+07:00") == 1
    assert await inbox.add(db, "telegram", 3, "{}", at="2026-12-01T10:00:05+07:00") is False   # kept
    assert [e.update_id for e in await inbox.unhandled(db, "telegram")] == [2]


async def test_another_update_under_a_known_id_is_new(db):
    # (a restored database on another server, or Telegram's ids started afresh after a quiet week)
    await inbox.add(db, "telegram", 1, '{"update_id": 1, "message": {"text": "a"}}', at="2026-12-01T10:00:00+07:00")
    await inbox.mark_handled(db, "telegram", 1, at="2026-12-01T10:00:00+07:00")
    assert await inbox.add(db, "telegram", 1, '{"update_id": 1, "message": {"text": "a"}}',
                           at="2026-12-01T10:00:01+07:00") is False
    assert await inbox.add(db, "telegram", 1, '{"update_id": 1, "message": {"text": "b"}}',
                           at="2026-12-02T10:00:00+07:00") is True
    assert [e.data for e in await inbox.unhandled(db, "telegram")] == ['{"update_id": 1, "message": {"text": "b"}}']
