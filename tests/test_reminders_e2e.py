"""Reminders end to end: the real bot polling the local Bot API server, the real sender, the scheduler's
own job (its start-up run) and `tick` on a controlled clock, a real SQLite roster."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime

import pytest

from bot.reminders import scheduler
from bot.core.clock import VN_TZ
from storage import codec, meetings, org, outbox, reminders, roll_calls
from tests.fixtures.e2e import press_raw

pytestmark = pytest.mark.e2e


def vn(*args) -> datetime:
    return datetime(*args, tzinfo=VN_TZ)


async def until(predicate, timeout: float = 10, what: str = "the condition"):
    """Wait (polling the database or server, never a fixed sleep) until `predicate()` is truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def settled(db, ref: str, count: int, timeout: float = 10) -> list[outbox.OutboxRow]:
    """The outbox rows of `ref`, once `count` of them are no longer pending or being sent."""
    async def done():
        rows = await outbox.by_ref(db, ref)
        finished = [row for row in rows if row.status not in ("pending", "sending")]
        return rows if len(rows) == count and len(finished) == count else None
    return await until(done, timeout, f"{count} messages of {ref} to be sent")


async def restarted(h) -> None:
    """Restart the bot and wait for the scheduler's start-up (catch-up) run to finish."""
    await h.restart()
    await until(lambda: _ran(h.ctx), 10, "the start-up reminder check")


async def _ran(ctx) -> bool:
    return scheduler.runs(ctx) >= 1


async def tick_at(h, when: datetime):
    h.clock.set(when)
    return await scheduler.tick(h.ctx, when)


async def leaders_of(h, cells) -> list[org.Person]:
    members = await org.current_members(h.db, [c.id for c in cells], org.CELL_LEADERS)
    return [person for person, _m in members]


async def a_ward(h, index: int = 0):
    ward = (await org.units_of_kind(h.db, "ward"))[index]
    return ward, await org.cells_under(h.db, ward.id)


def reminder_texts(messages, fragment: str) -> list[str]:
    return [m.text for m in messages if m.from_bot and fragment in m.text]


# --- the 2nd, 07:00: all 612 secretaries and deputies -------------------------------------------

async def test_the_2nd_at_seven_each_secretary_and_deputy_gets_exactly_one_reminder(e2e):
    h = e2e
    h.clock.set(vn(2026, 12, 2, 6, 59))
    leaders = await h.people(role=list(org.CELL_LEADERS))
    assert len(leaders) == 612
    # 612 messages at Telegram's 30/s would take 20 s. Pacing is the sender's tests' business, so here the
    # server's limits are off and the overall pace (the sender's and the application's rate limiter's) is
    # raised; it takes effect at the restart. The restart comes before the 612 join, so the menu's
    # start-up resync has no chats to republish.
    h.server.limits.enabled = False
    h.config.sender.overall_per_second = 5000.0
    await restarted(h)
    users = [await h.chat_as(person, link=True) for person in leaders]
    assert not await outbox.by_ref(h.db, "reminder:committee:2026-12")

    result = await tick_at(h, vn(2026, 12, 2, 7, 0))
    assert {(d.rule, d.action) for d, _n in result.decisions} >= {("committee", "sent")}
    assert {d.rule for d, _n in result.sent} == {"committee"} and result.messages == 612
    rows = await settled(h.db, "reminder:committee:2026-12", 612, timeout=30)
    assert {row.status for row in rows} == {"sent"}
    sent_before = h.server.stats(h.token)["sent"]

    async def committee_reminders(user):
        return reminder_texts(await user.messages(), "Chi ủy Chi bộ")

    for start in range(0, len(users), 50):  # what each of the 612 has in their chat, read from the server
        chunk = users[start:start + 50]
        for user, got in zip(chunk, await asyncio.gather(*(committee_reminders(u) for u in chunk))):
            assert len(got) == 1, (user.user_id, got)
    sample = (await users[0].messages())[-1]
    assert sample.buttons == [[("Đọc hướng dẫn tháng này", "guidance:show")]]
    assert "Thứ Tư, 2 tháng 12, 2026" in sample.text and "Thứ Năm, 3 tháng 12, 2026" in sample.text

    # the check again, a minute later; then a restart (the start-up check): nothing more
    assert (await tick_at(h, vn(2026, 12, 2, 7, 1))).decisions == []
    await restarted(h)
    assert (await tick_at(h, vn(2026, 12, 2, 8, 0))).decisions == []
    assert len(await outbox.by_ref(h.db, "reminder:committee:2026-12")) == 612
    await h.sender_idle()
    assert h.server.stats(h.token)["sent"] == sent_before
    assert len(reminder_texts(await users[-1].messages(), "Chi ủy Chi bộ")) == 1


# --- downtime ---------------------------------------------------------------------------------------

async def test_down_across_seven_started_at_nine_sends_started_next_day_skips_and_logs(e2e, caplog):
    h = e2e
    ward, cells = await a_ward(h)
    users = {p.id: await h.chat_as(p) for p in await leaders_of(h, cells)}
    h.clock.set(vn(2026, 12, 2, 6, 0))
    await restarted(h)
    await h.stop_app()                      # down across 07:00 …
    h.clock.set(vn(2026, 12, 2, 9, 0))
    caplog.set_level(logging.INFO, logger="bot.reminders.scheduler")
    await restarted(h)                       # … started at 09:00: still the 2nd, so sent
    rows = await settled(h.db, "reminder:committee:2026-12", len(users))
    assert {row.person_id for row in rows} == set(users)
    for user in users.values():
        await user.wait_for(lambda m: "Chi ủy Chi bộ" in m.text)
    assert "reminder committee 2026-12 sent" in caplog.text

    await h.stop_app()                      # down across the 3rd, 07:00 …
    h.clock.set(vn(2026, 12, 4, 6, 0))
    caplog.clear()
    await restarted(h)                       # … started the next day: skipped, and the log says so
    assert not await outbox.by_ref(h.db, "reminder:meeting:2026-12")
    assert f"reminder meeting 2026-12 skipped (late), due 2026-12-03 07:00: {len(cells)} units" in caplog.text
    entries = [e for e in await reminders.log(h.db, period="2026-12", rule="meeting")
               if e.subject in {c.id for c in cells}]
    assert len(entries) == len(cells) and {(e.status, e.reason) for e in entries} == {("skipped", "late")}
    for user in users.values():
        assert not reminder_texts(await user.messages(), "sinh hoạt định kỳ")


# --- moving a meeting -------------------------------------------------------------------------------

async def test_a_secretary_moves_the_meeting_and_its_reminders_follow(e2e):
    h = e2e
    ward, cells = await a_ward(h)
    moved_cell, other_cell = cells[0], cells[1]
    secretary = await h.person("secretary", cell=moved_cell.id)
    others = [p for p in await leaders_of(h, [moved_cell]) if p.id != secretary.id]
    s = await h.chat_as(secretary)
    deputies = [await h.chat_as(p, language="en") for p in others]
    other_leaders = [await h.chat_as(p) for p in await leaders_of(h, [other_cell])]
    h.clock.set(vn(2026, 12, 1, 20, 0))

    await s.send("Hoãn sang ngày 5")
    answer = await s.reply()
    assert f"Chi bộ {moved_cell.name} đã được dời sang Thứ Bảy, 5 tháng 12, 2026" in answer.text
    assert "chi ủy họp: 07:00 Thứ 6, 4 thg 12, 2026" in answer.text
    assert "nhắc lại, nếu chưa ghi điểm danh: 09:00 CN, 6 thg 12, 2026" in answer.text
    assert await meetings.moves(h.db, ["2026-12"]) == {(moved_cell.id, "2026-12"): 5}
    for deputy in deputies:  # told, in their own language
        notice = await deputy.reply()
        assert notice.text == (f"Comrade {secretary.full_name} has moved the December 2026 meeting of cell "
                               f"{moved_cell.name} to Saturday, December 5, 2026.")

    # the 2nd and the 3rd: the other cell is reminded, the moved one is not
    await tick_at(h, vn(2026, 12, 2, 7, 0))
    await tick_at(h, vn(2026, 12, 3, 7, 0))
    for user in other_leaders:
        await user.wait_for(lambda m: "sinh hoạt định kỳ" in m.text)
    await h.sender_idle()
    assert not reminder_texts(await s.messages(), "Chi ủy Chi bộ")
    # the 4th: the committee, the 5th: the meeting, the 6th: the follow-up (no roll call)
    await tick_at(h, vn(2026, 12, 4, 7, 0))
    committee = await s.wait_for(lambda m: "Chi ủy Chi bộ" in m.text)
    assert "Thứ Bảy, 5 tháng 12, 2026" in committee.text and "dời sang ngày đó" in committee.text
    await tick_at(h, vn(2026, 12, 5, 7, 0))
    await s.wait_for(lambda m: "sinh hoạt định kỳ" in m.text and "Thứ Bảy, 5 tháng 12, 2026" in m.text)
    await tick_at(h, vn(2026, 12, 6, 9, 0))
    await s.wait_for(lambda m: "chưa được ghi điểm danh" in m.text)
    for deputy in deputies:
        await deputy.wait_for(lambda m: "No roll call has been recorded yet" in m.text)


async def test_moving_from_the_menu_and_polite_refusals(e2e):
    h = e2e
    ward, cells = await a_ward(h)
    cell = cells[0]
    secretary = await h.person("secretary", cell=cell.id)
    s = await h.chat_as(secretary)
    h.clock.set(vn(2026, 11, 28, 10, 0))

    await s.send("hoan sang ngay 20")            # past, no diacritics
    assert "Ngày 20 của tháng 11 năm 2026 đã qua" in (await s.reply()).text
    await s.send("hoãn sang ngày 31")            # November has 30 days
    assert (await s.reply()).text.startswith("Tháng 11 năm 2026 không có ngày 31.")  # a sentence: capital
    await s.send("move to day 0")
    assert (await s.reply()).text.startswith("Tháng 11 năm 2026 không có ngày 0.")
    assert await meetings.moves(h.db, ["2026-11"]) == {}

    await s.send("/hoanhop")                      # the menu item: a button per remaining day
    keyboard = await s.reply()
    assert [label for row in keyboard.buttons for label, _data in row] == ["ngày 28", "ngày 29", "ngày 30"]
    await s.press("ngày 30")
    assert "đã được dời sang Thứ Hai, 30 tháng 11, 2026" in (await s.reply()).text
    assert await meetings.moves(h.db, ["2026-11"]) == {(cell.id, "2026-11"): 30}

    # forged callback data changes nothing
    for forged in ("meeting:move:99", f"meeting:move:{cell.id}:2026-11:x"):
        answer = await press_raw(s, keyboard.message_id, forged)
        assert answer["text"] == "Xin lỗi, đồng chí không có quyền thực hiện thao tác này."
    assert await meetings.moves(h.db, ["2026-11"]) == {(cell.id, "2026-11"): 30}

    # a plain member may not move the meeting
    member = await h.person("member", cell=cell.id)
    m = await h.chat_as(member)
    await m.send("hoãn sang ngày 29")
    assert "Chỉ bí thư hoặc phó bí thư" in (await m.reply()).text
    # once a roll call is recorded, the meeting stays where it is
    await roll_calls.record(h.db, cell_id=cell.id, month="2026-11", phase="start",
            taken_at=codec.instant(h.clock.now()), taken_by=secretary.id, members=[], eligible=0, present=0)
    await s.send("hoãn sang ngày 29")
    assert "đã được điểm danh nên không thể dời" in (await s.reply()).text
    assert await meetings.moves(h.db, ["2026-11"]) == {(cell.id, "2026-11"): 30}


# --- a day past the month's end -----------------------------------------------------------------------

async def test_day_31_in_a_30_day_month_falls_on_the_30th(e2e):
    h = e2e
    # April, a 30-day month whose reminders nothing has decided yet (the bot's start-up check settled
    # November's by the configured day, before the ward's rule below existed).
    ward, cells = await a_ward(h)
    await reminders.set_override(h.db, unit_id=ward.id, rule="meeting", day=31, time=None,
                                 at=codec.instant(h.clock.now()))
    s = await h.chat_as(await h.person("secretary", cell=cells[0].id))   # only this cell has anyone joined
    result = await tick_at(h, vn(2027, 4, 29, 7, 0))      # committee: the day before the 30th
    assert [(d.rule, d.subject) for d, _n in result.sent] == [("committee", cells[0].id)]
    await s.wait_for(lambda m: "Chi ủy Chi bộ" in m.text and "Thứ Sáu, 30 tháng 4, 2027" in m.text)
    assert not (await tick_at(h, vn(2027, 4, 29, 23, 59))).sent
    result = await tick_at(h, vn(2027, 4, 30, 7, 0))
    assert [(d.rule, d.subject) for d, _n in result.sent] == [("meeting", cells[0].id)]
    await s.wait_for(lambda m: "sinh hoạt định kỳ" in m.text and "30 tháng 4, 2027" in m.text)
    # the other cells of the ward: nobody joined, so on the 1st both are skipped as such
    result = await tick_at(h, vn(2027, 5, 1, 0, 0))
    skipped = {(d.rule, d.subject, d.reason) for d in result.skipped if d.period == "2027-04"}
    assert {("meeting", c.id, "no_recipients") for c in cells[1:]} <= skipped


# --- the 4th: follow-up only where there is no roll call --------------------------------------------

async def test_the_followup_goes_only_to_cells_without_a_roll_call(e2e):
    h = e2e
    ward, cells = await a_ward(h, 1)
    held, not_held = cells[: len(cells) // 2], cells[len(cells) // 2:]
    users = {p.id: await h.chat_as(p) for p in await leaders_of(h, cells)}
    for cell in held:
        await roll_calls.record(h.db, cell_id=cell.id, month="2026-12", phase="start",
            taken_at=codec.instant(vn(2026, 12, 3, 19)), taken_by=None, members=[], eligible=0, present=0)
    await tick_at(h, vn(2026, 12, 4, 9, 0))
    expected = {p.id for p in await leaders_of(h, not_held)}
    rows = await settled(h.db, "reminder:followup:2026-12", len(expected))
    assert {row.person_id for row in rows} == expected
    for person_id in expected:
        await users[person_id].wait_for(lambda m: "chưa được ghi điểm danh" in m.text)
    for person in await leaders_of(h, held):
        assert not reminder_texts(await users[person.id].messages(), "chưa được ghi điểm danh")


# --- ward staff: the 1st (guidance not sent, inspection) and the 8th (counts) ---------------------

async def test_ward_staff_reminders_carry_the_right_counts(e2e):
    from bot.delivery import guidance_delivery

    h = e2e
    (ward_a, cells_a), (ward_b, cells_b) = await a_ward(h, 0), await a_ward(h, 1)
    staff_a = [await h.chat_as(p) for p in await h.people(role="ward_staff", ward=ward_a.id)]
    staff_b = [await h.chat_as(p, language="en") for p in await h.people(role="ward_staff", ward=ward_b.id)]
    assert staff_a and staff_b
    leaders_a = [await h.chat_as(p) for p in await leaders_of(h, cells_a)]

    # ward A's guidance for December goes out on the 30th; ward B's does not
    h.clock.set(vn(2026, 11, 30, 15, 0))
    queued = await guidance_delivery.confirm(
        h.ctx, author_person_id=staff_a[0].person.id, scope_unit_id=ward_a.id, month="2026-12",
        text="Hướng dẫn sinh hoạt chi bộ tháng 12", parse_mode=None, audience="leaders",
        cell_ids=[c.id for c in cells_a], attachments=[])
    assert queued.queued == len(leaders_a)
    await settled(h.db, f"guidance:{queued.guidance_id}", len(leaders_a))

    result = await tick_at(h, vn(2026, 12, 1, 8, 0))
    decided = {(d.rule, d.subject): (d.action, d.reason) for d, _n in result.decisions if d.period == "2026-12"}
    assert decided[("guidance", ward_a.id)] == ("skipped", "not_needed")
    assert decided[("guidance", ward_b.id)] == ("sent", "on_time")
    assert decided[("inspection", ward_a.id)] == decided[("inspection", ward_b.id)] == ("sent", "on_time")
    for user in staff_b:
        await user.wait_for(lambda m: "has not been sent yet" in m.text)
        await user.wait_for(lambda m: "is an inspection month" in m.text and "December 2026" in m.text)
    for user in staff_a:
        await user.wait_for(lambda m: "là tháng kiểm tra" in m.text)
        assert not reminder_texts(await user.messages(), "chưa được gửi tới các chi bộ")

    # roll calls for all but three of ward A's cells; the 8th's report counts them and names them
    missing = cells_a[:3]
    for cell in cells_a[3:]:
        await roll_calls.record(h.db, cell_id=cell.id, month="2026-12", phase="start",
            taken_at=codec.instant(vn(2026, 12, 3, 19)), taken_by=None, members=[], eligible=0, present=0)
    await tick_at(h, vn(2026, 12, 8, 8, 0))
    for user in staff_a:
        report = await user.wait_for(lambda m: "Hạn gửi báo cáo" in m.text)
        assert f"Còn 3 trên tổng số {len(cells_a)} chi bộ chưa ghi điểm danh" in report.text
        assert "Thứ Năm, 10 tháng 12, 2026" in report.text
        assert all(f"• {c.name}" in report.text for c in missing)
        assert not any(f"• {c.name}\n" in report.text + "\n" for c in cells_a[3:])
    for user in staff_b:
        report = await user.wait_for(lambda m: "report of" in m.text)
        assert f"{len(cells_b)} of its {len(cells_b)} cells have no roll call" in report.text


async def test_the_guidance_button_of_a_reminder_is_answered(e2e):
    h = e2e
    ward, cells = await a_ward(h)
    s = await h.chat_as(await h.person("secretary", cell=cells[0].id))
    await tick_at(h, vn(2026, 12, 2, 7, 0))
    reminder = await s.wait_for(lambda m: "Chi ủy Chi bộ" in m.text)
    await s.press("guidance:show", reminder)
    answer = await s.reply()
    assert answer.text and answer.message_id != reminder.message_id
