"""storage/recommendations.py on a real SQLite file: codes, transitions with their history in one
conditional transaction, the append-only history, the counts for the reports."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from bot.rules import recommendations as rules
from storage import outbox
from storage import recommendations as store
from storage.outbox import OutgoingMessage
from storage.recommendations import Attachment, NewRecommendation

AT = "2026-12-01T02:00:00+00:00"
LATER = "2026-12-02T02:00:00+00:00"


async def _cells(db):
    """Two cells of one ward, one cell of another, and a secretary of the first."""
    wards = [r["id"] for r in await db.fetchall("SELECT id FROM units WHERE kind = 'ward' ORDER BY id LIMIT 2")]
    a, b = [r["id"] for r in await db.fetchall(
        "SELECT id FROM units WHERE kind = 'cell' AND parent_id = ? ORDER BY id LIMIT 2", (wards[0],))]
    c = await db.fetchval("SELECT id FROM units WHERE kind = 'cell' AND parent_id = ? LIMIT 1", (wards[1],))
    person = await db.fetchval("SELECT person_id FROM memberships WHERE unit_id = ? AND role = 'secretary'", (a,))
    return wards, (a, b, c), person


def _new(cell, ward, person, **kw):
    values = dict(category="Khác", content="Đèn đường <hỏng> & *tối* _quá_", source="citizens",
                  urgency="normal", cell_id=cell, ward_id=ward, submitted_by=person)
    values.update(kw)
    return NewRecommendation(**values)


async def _submit(db, new, month="2026-12", at=AT, **kw):
    return await store.submit(db, new, month=month, at=at, make_code=rules.tracking_code, **kw)


async def test_submit_numbers_the_month_city_wide_and_keeps_content_as_given(roster_db):
    db = roster_db
    wards, (a, b, c), person = await _cells(db)
    first = await _submit(db, _new(a, wards[0], person, attachments=(Attachment("photo", "F1"),
                                                                        Attachment("document", "F2", "đơn.pdf"))))
    second = await _submit(db, _new(c, wards[1], person))
    nextmonth = await _submit(db, _new(a, wards[0], person), month="2027-01")
    assert (first.code, second.code, nextmonth.code) == ("KN-2612-0001", "KN-2612-0002", "KN-2701-0001")
    got = await store.by_code(db, "KN-2612-0001")
    assert got.content == "Đèn đường <hỏng> & *tối* _quá_" and got.status == "new"
    assert got.attachments == (Attachment("photo", "F1"), Attachment("document", "F2", "đơn.pdf"))
    assert [(h.action, h.from_status, h.to_status, h.actor_person_id) for h in await store.history(db, first.id)] \
        == [("submit", None, "new", person)]


async def test_concurrent_submissions_get_distinct_codes(roster_db):
    db = roster_db
    wards, (a, b, c), person = await _cells(db)
    items = await asyncio.gather(*[_submit(db, _new(a, wards[0], person)) for _ in range(20)])
    assert sorted(i.code for i in items) == [f"KN-2612-{n:04d}" for n in range(1, 21)]


async def test_submit_writes_its_messages_audit_and_ends_the_draft_in_one_go(roster_db):
    db = roster_db
    wards, (a, b, c), person = await _cells(db)
    account = await db.fetchval("SELECT id FROM accounts LIMIT 1")
    if account is None:
        async with db.transaction() as conn:
            cur = await conn.execute("INSERT INTO accounts (external_id, chat_id, person_id, created_at)"
                                     " VALUES ('1', '1', ?, ?)", (person, AT))
            account = cur.lastrowid
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO drafts (account_id, flow, step, data, started_at, updated_at)"
                           " VALUES (?, 'recommendation.submit', 'preview', '{}', ?, ?)", (account, AT, AT))

    def messages(item):
        return [OutgoingMessage("recommendation.new", "99", {"text": item.code}, ref=f"rec:{item.id}",
                                dedup_key=f"rec:{item.id}:new:99")]

    item = await _submit(db, _new(a, wards[0], person), messages=messages, draft_account_id=account,
                         audit_entry={"at": AT, "action": "recommendation.submitted", "actor_person_id": person,
                                      "unit_id": a})
    rows = await outbox.by_ref(db, f"rec:{item.id}")
    assert [r.payload["text"] for r in rows] == [item.code]
    assert await db.fetchval("SELECT count(*) FROM drafts WHERE account_id = ?", (account,)) == 0
    detail = await db.fetchval("SELECT detail FROM audit_log WHERE action = 'recommendation.submitted'")
    assert item.code in detail


async def test_a_failing_submission_leaves_nothing(roster_db):
    db = roster_db
    wards, (a, b, c), person = await _cells(db)
    with pytest.raises(sqlite3.IntegrityError):
        await _submit(db, _new(a, wards[0], person, source="neighbours"))
    assert await db.fetchval("SELECT count(*) FROM recommendations") == 0
    assert await db.fetchval("SELECT count(*) FROM recommendation_history") == 0


async def test_transition_is_conditional_and_writes_its_history(roster_db):
    db = roster_db
    wards, (a, b, c), person = await _cells(db)
    item = await _submit(db, _new(a, wards[0], person))
    assert await store.transition(db, item.id, action="receive", from_status="new", to_status="received",
                                  actor_person_id=person, at=LATER)
    # a stale second press from 'new' changes nothing
    assert not await store.transition(db, item.id, action="receive", from_status="new", to_status="received",
                                      actor_person_id=person, at=LATER)
    assert await store.transition(db, item.id, action="escalate", from_status="received", to_status="escalated",
                                  actor_person_id=person, at=LATER, text="Vượt thẩm quyền")
    assert await store.transition(db, item.id, action="resolve", from_status="escalated",
                                  to_status="city_resolved", actor_person_id=person, at=LATER, text="Đã sửa")
    got = await store.get(db, item.id)
    assert (got.status, got.answer, got.answered_by, got.answered_at, got.escalated_at) == \
        ("city_resolved", "Đã sửa", person, LATER, LATER)
    assert [(h.action, h.from_status, h.to_status, h.text) for h in await store.history(db, item.id)] == [
        ("submit", None, "new", None), ("receive", "new", "received", None),
        ("escalate", "received", "escalated", "Vượt thẩm quyền"),
        ("resolve", "escalated", "city_resolved", "Đã sửa")]


async def test_two_staff_at_once_only_one_wins(roster_db):
    db = roster_db
    wards, (a, b, c), person = await _cells(db)
    item = await _submit(db, _new(a, wards[0], person))

    async def act(action, to, text):
        msg = OutgoingMessage("recommendation.status", "1", {"text": text}, dedup_key=f"x:{action}")
        return await store.transition(db, item.id, action=action, from_status="new", to_status=to,
                                      actor_person_id=person, at=LATER, text=text, messages=[msg])

    results = await asyncio.gather(act("resolve", "resolved", "Đã xử lý"), act("escalate", "escalated", "Lên TP"))
    assert sorted(results) == [False, True]
    history = await store.history(db, item.id)
    assert len(history) == 2
    winner = history[-1]
    assert (await store.get(db, item.id)).status == winner.to_status
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE kind = 'recommendation.status'") == 1


async def test_history_is_append_only(roster_db):
    db = roster_db
    wards, (a, b, c), person = await _cells(db)
    item = await _submit(db, _new(a, wards[0], person))
    for sql in ("UPDATE recommendation_history SET text = 'x'", "DELETE FROM recommendation_history"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            async with db.transaction() as conn:
                await conn.execute(sql)
    assert len(await store.history(db, item.id)) == 1


async def test_counts_by_cell_and_status_for_the_reports(roster_db):
    db = roster_db
    wards, (a, b, c), person = await _cells(db)
    items = [await _submit(db, _new(cell, ward, person)) for cell, ward in
             [(a, wards[0]), (a, wards[0]), (b, wards[0]), (c, wards[1])]]
    await _submit(db, _new(a, wards[0], person), month="2027-01")
    await store.transition(db, items[1].id, action="resolve", from_status="new", to_status="resolved",
                           actor_person_id=person, at=LATER, text="ok")
    ward = await store.count_by_cell_and_status(db, "2026-12", ward_id=wards[0])
    assert [(s.cell_id, s.status, s.count) for s in ward] == sorted([(a, "new", 1), (a, "resolved", 1), (b, "new", 1)])
    city = await store.count_by_cell_and_status(db, "2026-12")
    assert sum(s.count for s in city) == 4 and (c, "new", 1) in [(s.cell_id, s.status, s.count) for s in city]


async def test_inbox_pages_and_scope(roster_db):
    db = roster_db
    wards, (a, b, c), person = await _cells(db)
    made = [await _submit(db, _new(a, wards[0], person, urgency="urgent" if n == 3 else "normal",
                                   category="An ninh trật tự" if n % 2 else "Khác"), at=f"2026-12-01T0{n}:00:00+00:00")
            for n in range(5)]
    await _submit(db, _new(c, wards[1], person))
    page, total = await store.inbox(db, cell_ids=[a, b], limit=2)
    assert total == 5 and [i.id for i in page] == [made[3].id, made[0].id]
    page, total = await store.inbox(db, cell_ids=[a, b], offset=4, limit=2)
    assert [i.id for i in page] == [made[4].id]
    _page, total = await store.inbox(db, cell_ids=[a, b], category="Khác")
    assert total == 3
    assert (await store.inbox(db, escalated=True))[1] == 0
    await store.transition(db, made[0].id, action="escalate", from_status="new", to_status="escalated",
                           actor_person_id=person, at=LATER)
    page, total = await store.inbox(db, escalated=True)
    assert total == 1 and page[0].id == made[0].id
    summary = await store.inbox_summary(db, cell_ids=[a, b])
    assert summary[("escalated", "Khác")] == 1 and summary[("new", "An ninh trật tự")] == 2


async def test_answered_since_and_open_items(roster_db):
    db = roster_db
    wards, (a, b, c), person = await _cells(db)
    x, y = await _submit(db, _new(a, wards[0], person)), await _submit(db, _new(a, wards[0], person))
    await store.transition(db, x.id, action="resolve", from_status="new", to_status="resolved",
                           actor_person_id=person, at=LATER, text="Trả lời")
    got = await store.answered_since(db, a, AT, "2026-12-03T00:00:00+00:00")
    assert [i.id for i in got] == [x.id]
    assert await store.answered_since(db, a, "2026-12-02T03:00:00+00:00", "2026-12-03T00:00:00+00:00") == []
    assert [i.id for i in await store.open_items(db, ward_id=wards[0], month="2026-12")] == [y.id]


async def test_notices_are_decided_once(roster_db):
    db = roster_db
    wards, _cells_, _person = await _cells(db)
    async with db.transaction() as conn:
        assert await store.record_notice(conn, kind="digest", subject=wards[0], period="2026-12-01", at=AT, items=2)
        assert not await store.record_notice(conn, kind="digest", subject=wards[0], period="2026-12-01", at=AT,
                                             items=2)
    assert await store.notice_decided(db, "digest", wards, "2026-12-01") == {wards[0]}


async def test_confirming_twice_submits_once(roster_db):
    db = roster_db
    wards, (a, b, c), person = await _cells(db)
    async with db.transaction() as conn:
        cur = await conn.execute("INSERT INTO accounts (external_id, chat_id, person_id, created_at)"
                                 " VALUES ('77', '77', NULL, ?)", (AT,))
        account = cur.lastrowid
        await conn.execute("INSERT INTO drafts (account_id, flow, step, data, started_at, updated_at)"
                           " VALUES (?, 'recommendation.submit', 'preview', '{}', ?, ?)", (account, AT, AT))
    results = await asyncio.gather(*[_submit(db, _new(a, wards[0], person), draft_account_id=account)
                                     for _ in range(2)])
    assert sum(1 for r in results if r is not None) == 1
    assert await db.fetchval("SELECT count(*) FROM recommendations") == 1
