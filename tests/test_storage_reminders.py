"""storage/reminders.py: a decision is recorded once per (rule, subject, period, occurrence); exceptions."""

from __future__ import annotations

import pytest

from storage import reminders

AT = "2026-12-02T00:00:00+00:00"


async def _record(db, **changes):
    fields = dict(rule="committee", subject=5, period="2026-12", status="sent", reason="on_time", due_at=AT,
                  decided_at=AT, recipients=2)
    fields.update(changes)
    async with db.transaction() as conn:
        return await reminders.record(conn, **fields)


async def test_a_decision_is_recorded_once(db):
    assert await _record(db) is True
    assert await _record(db, status="skipped", reason="late") is False   # the first decision stands
    assert await _record(db, occurrence="2026-12-05") is True             # a moved meeting's own reminder
    assert await _record(db, period="2027-01") is True
    assert await reminders.decided(db, ["2026-12"]) == {("committee", 5, "2026-12", ""),
                                                        ("committee", 5, "2026-12", "2026-12-05")}
    entries = await reminders.log(db, period="2026-12")
    assert [(e.status, e.reason, e.recipients) for e in entries] == [("sent", "on_time", 2), ("sent", "on_time", 2)]
    assert await reminders.decided(db, []) == set()


async def test_a_failed_transaction_records_nothing(db):
    with pytest.raises(RuntimeError):
        async with db.transaction() as conn:
            await reminders.record(conn, rule="meeting", subject=1, period="2026-12", status="sent",
                                   reason="on_time", due_at=AT, decided_at=AT)
            raise RuntimeError("the outbox insert failed")
    assert await reminders.decided(db, ["2026-12"]) == set()


async def test_overrides_set_merge_and_clear(roster_db):
    db = roster_db
    ward_id = await db.fetchval("SELECT id FROM units WHERE kind = 'ward' ORDER BY id LIMIT 1")
    await reminders.set_override(db, unit_id=ward_id, rule="meeting", day=5, time=None, at=AT)
    await reminders.set_override(db, unit_id=ward_id, rule="meeting", day=None, time="19:30", at=AT)
    await reminders.set_override(db, unit_id=ward_id, rule="report", day=7, time=None, at=AT)
    rows = {(r.unit_id, r.rule): (r.day, r.time) for r in await reminders.overrides(db)}
    assert rows == {(ward_id, "meeting"): (5, "19:30"), (ward_id, "report"): (7, None)}
    assert await reminders.clear_override(db, unit_id=ward_id, rule="meeting") == 1
    assert await reminders.clear_override(db, unit_id=ward_id) == 1
    assert await reminders.overrides(db) == []
