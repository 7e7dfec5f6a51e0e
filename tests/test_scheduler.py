"""bot/reminders/scheduler.py `tick` on the real roster database (the end-to-end delivery is in
tests/test_reminders_e2e.py): what is queued, for whom, in which language, exactly once."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.reminders import scheduler
from bot.core.clock import VN_TZ, ManualClock
from bot.core.config import Config
from bot.core.context import AppContext
from storage import accounts, codec, org, outbox, reminders, roll_calls

LINKED_AT = codec.instant(datetime(2026, 11, 20, 9, 0, tzinfo=VN_TZ))


def vn(*args) -> datetime:
    return datetime(*args, tzinfo=VN_TZ)


async def link_all(db, roles, units=None) -> list[org.Person]:
    """Link an account for everyone in these roles (as if they had joined)."""
    unit_ids = units or [u.id for kind in ("ward", "cell") for u in await org.units_of_kind(db, kind)]
    members = await org.current_members(db, unit_ids, roles)
    people = list({person.id: person for person, _m in members}.values())
    for person in people:
        await accounts.link(db, external_id=10_000_000 + person.id, chat_id=10_000_000 + person.id,
                            person_id=person.id, at=LINKED_AT, platform=accounts.TELEGRAM)
    return people


def context(db, now) -> AppContext:
    woken = []
    ctx = AppContext(config=Config(), db=db, clock=ManualClock(now), wake_sender=lambda: woken.append(1))
    ctx.extras["woken"] = woken
    return ctx


async def test_the_2nd_queues_one_reminder_per_leader_exactly_once(roster_db, caplog):
    db = roster_db
    leaders = await link_all(db, org.CELL_LEADERS)
    assert len(leaders) == 612
    ctx = context(db, vn(2026, 12, 2, 7, 0))
    await scheduler.tick(ctx, vn(2026, 12, 1, 23, 0))  # the 1st's reminders and November's are decided first
    rows_before = len(await outbox.by_ref(db, "reminder:committee:2026-12"))
    assert rows_before == 0
    caplog.set_level(logging.INFO, logger="bot.reminders.scheduler")
    result = await scheduler.tick(ctx, vn(2026, 12, 2, 7, 0))
    # the ward staff have not joined: the 1st's ward reminders waited all day, and are now skipped as such
    assert {(d.rule, d.action, d.reason) for d, _n in result.decisions} == {
        ("committee", "sent", "on_time"), ("guidance", "skipped", "no_recipients"),
        ("inspection", "skipped", "no_recipients")}
    rows = await outbox.by_ref(db, "reminder:committee:2026-12")
    assert len(rows) == 612 == result.messages
    assert sorted(row.person_id for row in rows) == sorted(p.id for p in leaders)
    assert all(row.payload["buttons"] == [[{"text": "Đọc hướng dẫn tháng này", "callback_data": "guidance:show"}]]
               for row in rows)
    assert ctx.extras["woken"]
    assert "reminder committee 2026-12 sent: 311 units, 612 messages queued" in caplog.text
    # again, a minute later, and from a fresh context (a restarted bot): nothing more
    assert (await scheduler.tick(ctx, vn(2026, 12, 2, 7, 1))).decisions == []
    assert (await scheduler.tick(context(db, vn(2026, 12, 2, 9)), vn(2026, 12, 2, 9))).decisions == []
    assert len(await outbox.by_ref(db, "reminder:committee:2026-12")) == 612


async def test_messages_are_in_each_recipients_language(roster_db):
    db = roster_db
    cell = (await org.units_of_kind(db, "cell"))[0]
    people = await link_all(db, org.CELL_LEADERS, [cell.id])
    await org.set_language(db, people[0].id, "en", LINKED_AT)
    ctx = context(db, vn(2026, 12, 3, 7))
    await scheduler.tick(ctx, vn(2026, 12, 3, 7))
    rows = {row.person_id: row for row in await outbox.by_ref(db, "reminder:meeting:2026-12")}
    english = rows[people[0].id].payload["text"]
    assert english.startswith(f"Dear comrade {people[0].full_name},")
    assert "Thursday, December 3, 2026" in english and cell.name in english
    if len(people) > 1:
        vietnamese = rows[people[1].id].payload["text"]
        assert vietnamese.startswith(f"Kính gửi đồng chí {people[1].full_name},")
        assert "3 tháng 12, 2026" in vietnamese


async def test_down_across_its_time_same_day_sends_later_day_skips_and_logs(roster_db, caplog):
    db = roster_db
    await link_all(db, org.CELL_LEADERS)
    caplog.set_level(logging.INFO, logger="bot.reminders.scheduler")
    # the bot was down from before 07:00 on the 2nd to the 3rd at 06:00: the committee reminders are skipped
    result = await scheduler.tick(context(db, vn(2026, 12, 3, 6)), vn(2026, 12, 3, 6))
    committee = [d for d, _n in result.decisions if d.rule == "committee" and d.period == "2026-12"]
    assert len(committee) == 311 and {(d.action, d.reason) for d in committee} == {("skipped", "late")}
    assert result.messages == 0 and not await outbox.by_ref(db, "reminder:committee:2026-12")
    assert "reminder committee 2026-12 skipped (late), due 2026-12-02 07:00: 311 units" in caplog.text
    assert {e.status for e in await reminders.log(db, period="2026-12", rule="committee")} == {"skipped"}
    # the 3rd's reminder, missed until 09:00 the same day, still goes
    result = await scheduler.tick(context(db, vn(2026, 12, 3, 9)), vn(2026, 12, 3, 9))
    assert {(d.rule, d.action) for d, _n in result.decisions} == {("meeting", "sent")}
    assert result.messages == 612


async def test_followup_only_to_cells_without_roll_call_and_report_counts(roster_db):
    db = roster_db
    wards = await org.units_of_kind(db, "ward")
    ward = wards[0]
    cells = await org.cells_under(db, ward.id)
    await link_all(db, org.CELL_LEADERS, [c.id for c in cells])
    staff = await link_all(db, [org.WARD_STAFF], [ward.id])
    held = cells[: len(cells) // 2]
    for cell in held:
        await roll_calls.record(db, cell_id=cell.id, month="2026-12", phase="start",
            taken_at=codec.instant(vn(2026, 12, 3, 19)), taken_by=None, members=[], eligible=0, present=0)
    ctx = context(db, vn(2026, 12, 4, 9))
    result = await scheduler.tick(ctx, vn(2026, 12, 4, 9))
    followups = {d.subject: d for d, _n in result.decisions if d.rule == "followup" and d.period == "2026-12"}
    assert {c.id for c in cells} <= set(followups)
    assert {cid for cid, d in followups.items() if d.action == "sent"} >= {c.id for c in cells[len(held):]}
    assert all(followups[c.id].reason == "not_needed" for c in held)
    sent_to = {row.person_id for row in await outbox.by_ref(db, "reminder:followup:2026-12")}
    held_leaders = {p.id for p, _m in await org.current_members(db, [c.id for c in held], org.CELL_LEADERS)}
    assert sent_to and not sent_to & held_leaders

    result = await scheduler.tick(ctx, vn(2026, 12, 8, 8))
    report = next(d for d, _n in result.decisions if d.rule == "report" and d.subject == ward.id)
    assert report.cell_count == len(cells)
    assert set(report.cells_without_roll_call) == {c.id for c in cells[len(held):]}
    rows = [r for r in await outbox.by_ref(db, "reminder:report:2026-12") if r.person_id in {p.id for p in staff}]
    assert rows and all(f"{len(cells) - len(held)}" in r.payload["text"] for r in rows)
    missing_names = [c.name for c in cells[len(held):]][:3]
    assert all(name in rows[0].payload["text"] for name in missing_names)
