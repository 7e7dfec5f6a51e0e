"""The roll calls end to end: the real bot polling the local Bot API server, a real SQLite roster, taps and
typed forms, the ward's notice through the outbox, restarts and the reminder's button."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

import pytest

from bot.core.clock import VN_TZ
from bot.reminders import scheduler
from storage import codec, drafts, meetings, org, outbox, roll_calls
from tests.fixtures.e2e import press_raw

pytestmark = pytest.mark.e2e


def vn(*args) -> datetime:
    return datetime(*args, tzinfo=VN_TZ)


async def cell_of_size(db, size: int, exempt: bool | None = False) -> org.Unit:
    """A cell with exactly `size` current members (secretary and deputy included); with/without exempt."""
    rows = await db.fetchall(
        """SELECT m.unit_id, count(*) AS n, sum(p.exempt) AS ex FROM memberships m JOIN people p ON p.id = m.person_id
           JOIN units u ON u.id = m.unit_id AND u.kind = 'cell'
           WHERE m.valid_to IS NULL AND p.active = 1 AND m.role IN ('secretary', 'deputy', 'member')
           GROUP BY m.unit_id HAVING n = ? ORDER BY m.unit_id""", (size,))
    for row in rows:
        if exempt is None or bool(row["ex"]) == exempt:
            if await db.fetchval("SELECT count(*) FROM memberships WHERE unit_id = ? AND role = 'deputy' "
                                 "AND valid_to IS NULL", (row["unit_id"],)):
                return await org.get_unit(db, row["unit_id"])
    raise LookupError(size)


async def until(predicate, timeout: float = 10, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def has_button(message, data_prefix: str) -> bool:
    return any(d.startswith(data_prefix) for row in message.buttons for _l, d in row)


class Taps:
    """Counts the buttons a person presses."""

    def __init__(self, user):
        self.user, self.count = user, 0

    async def press(self, wanted, message=None):
        self.count += 1
        await self.user.press(wanted, message)
        return await self.user.reply()


def member_button(message, number: int) -> str:
    for row in message.buttons:
        for label, data in row:
            if data.endswith(f":t:{number}"):
                return data
    raise LookupError(number)


async def reminder_of_the_3rd(h, user):
    h.clock.set(vn(2026, 12, 3, 7, 0))
    await scheduler.tick(h.ctx, vn(2026, 12, 3, 7, 0))
    return await user.wait_for(lambda m: has_button(m, "rc:go:"), timeout=10)


async def test_from_the_reminder_two_absent_in_five_taps_everyone_present_in_three(e2e):
    h = e2e
    cell = await cell_of_size(h.db, 30)
    secretary = await h.person("secretary", cell=cell.id)
    s = await h.chat_as(secretary)
    deputy = await h.person("deputy", cell=cell.id)
    d = await h.chat_as(deputy)
    reminder = await reminder_of_the_3rd(h, s)
    assert [d for row in reminder.buttons for _l, d in row][0] == f"rc:go:{cell.id}:2026-12"
    assert reminder.buttons[0][0][0] == "📋 Điểm danh"
    h.clock.set(vn(2026, 12, 3, 19, 30))

    taps = Taps(s)
    listed = await taps.press(f"rc:go:{cell.id}:2026-12", reminder)
    assert "30/30" in listed.text.replace(" ", "") or "30 trên 30" in listed.text
    assert len([b for row in listed.buttons for b in row if ":t:" in b[1]]) == 15      # a page of 15
    listed = await taps.press(member_button(listed, 5), listed)
    listed = await taps.press(member_button(listed, 9), listed)
    summary = await taps.press(next(d for row in listed.buttons for _l, d in row if d.endswith(":done")), listed)
    assert "28" in summary.text and "30" in summary.text
    saved = await taps.press(next(d for row in summary.buttons for _l, d in row if d.endswith(":save")), summary)
    assert taps.count <= 6, taps.count
    assert has_button(saved, f"rc:end:{cell.id}:2026-12")
    start = await roll_calls.get(h.db, cell.id, "2026-12", "start")
    assert (start.eligible, start.present, start.taken_by) == (30, 28, secretary.id)
    assert [m.number for m in start.members if m.status == "absent_excused"] == [5, 9]
    assert codec.parse_instant(start.taken_at) == vn(2026, 12, 3, 19, 30)
    assert await drafts.load(h.db, (await _account(h, secretary)).id) is None

    await d.wait_for(lambda m: has_button(m, "rc:go:"), timeout=10)
    # the start roll call is saved: the deputy's reminder button now goes to the end roll call (from the
    # start's result), and saving it with nobody else gone takes three taps
    reminder = [m for m in await d.bot_messages() if has_button(m, "rc:go:")][-1]
    h.clock.set(vn(2026, 12, 3, 21, 5))
    taps = Taps(d)
    listed = await taps.press(f"rc:go:{cell.id}:2026-12", reminder)
    assert "cuối buổi" in listed.text
    summary = await taps.press(next(x for row in listed.buttons for _l, x in row if x.endswith(":done")), listed)
    saved = await taps.press(next(x for row in summary.buttons for _l, x in row if x.endswith(":save")), summary)
    assert taps.count == 3
    assert "95 phút" in saved.text
    end = await roll_calls.get(h.db, cell.id, "2026-12", "end")
    assert (end.eligible, end.present, end.taken_by) == (30, 28, deputy.id)


async def _account(h, person):
    from storage import accounts
    return await accounts.get_for_person(h.db, person.id, platform=accounts.TELEGRAM)


async def test_everyone_present_in_three_taps(e2e):
    h = e2e
    cell = await cell_of_size(h.db, 30)
    secretary = await h.person("secretary", cell=cell.id)
    s = await h.chat_as(secretary)
    reminder = await reminder_of_the_3rd(h, s)
    taps = Taps(s)
    listed = await taps.press(f"rc:go:{cell.id}:2026-12", reminder)
    summary = await taps.press(next(x for row in listed.buttons for _l, x in row if x.endswith(":done")), listed)
    await taps.press(next(x for row in summary.buttons for _l, x in row if x.endswith(":save")), summary)
    assert taps.count == 3
    start = await roll_calls.get(h.db, cell.id, "2026-12", "start")
    assert (start.eligible, start.present) == (30, 30)
    assert not await outbox.by_ref(h.db, f"attendance-low:{cell.id}:2026-12:start")


async def test_typed_forms_bad_numbers_and_the_end_roll_call(e2e):
    h = e2e
    cell = await cell_of_size(h.db, 30)
    h.clock.set(vn(2026, 12, 3, 21, 0))
    secretary = await h.person("secretary", cell=cell.id)
    s = await h.chat_as(secretary)
    await s.send("điểm danh")
    listed = await s.reply()
    assert "Điểm danh đầu buổi" in listed.text
    await s.send("vắng 31")
    assert "31" in (await s.reply()).text and "1 đến 30" in s._messages[-1].text.replace("từ ", "")
    await s.send("có mặt 40")
    assert "0 đến 30" in (await s.reply()).text.replace("từ ", "")
    await s.send("xin chào")
    assert "vắng 3 7" in (await s.reply()).text
    draft = await drafts.load(h.db, (await _account(h, secretary)).id)
    assert set(draft.data["status"]) == {"present"} and draft.data["count"] is None   # nothing changed

    await s.send("vang 3 7")
    listed = await s.reply()
    await s.send("lý do 3 ốm nặng")
    await s.reply()
    await s.send("không lý do 7")
    await s.reply()
    await s.press(next(x for row in listed.buttons for _l, x in row if x.endswith(":g")), listed)
    assert "Khách mời (tính riêng): 1" in (await s.reply()).text
    await s.send("khách 2")
    await s.reply()
    await s.send("giờ 19:00")
    listed = await s.reply()
    assert "19:00" in listed.text and "ốm nặng" in listed.text
    await s.send("giờ 23:00")
    assert "chưa đến" in (await s.reply()).text
    await s.send("XONG")
    summary = await s.reply()
    assert "28" in summary.text
    await s.send("3")
    assert "1" in (await s.reply()).text
    await s.send("1")
    saved = await s.reply()
    assert "Đã lưu" in saved.text
    start = await roll_calls.get(h.db, cell.id, "2026-12", "start")
    assert [(m.number, m.status, m.reason) for m in start.members if m.status != "present"] == [
        (3, "absent_excused", "ốm nặng"), (7, "absent_unexcused", None)]
    assert (start.guests, codec.parse_instant(start.taken_at)) == (2, vn(2026, 12, 3, 19, 0))

    # the end: typed /diemdanh, a count without names, 75 minutes: too short
    h.clock.set(vn(2026, 12, 3, 20, 15))
    await s.send("/diemdanh")
    listed = await s.reply()
    assert "cuối buổi" in listed.text
    await s.send("co mat 27")
    listed = await s.reply()
    await s.send("done")
    await s.reply()
    await s.send("1")
    saved = await s.reply()
    assert "75 phút" in saved.text and "90" in saved.text
    end = await roll_calls.get(h.db, cell.id, "2026-12", "end")
    assert (end.eligible, end.present, end.counted_present) == (30, 27, 27)
    # both saved: /diemdanh offers the corrections and the record
    await s.send("/diemdanh")
    offer = await s.reply()
    assert has_button(offer, f"rc:fix:start:{cell.id}:2026-12") and has_button(offer, f"mr:go:{cell.id}:2026-12")


async def test_paging_with_80_members_and_exempt_members(e2e):
    h = e2e
    cell = await cell_of_size(h.db, 80, exempt=True)
    h.clock.set(vn(2026, 12, 3, 20, 0))
    members = await org.current_members(h.db, [cell.id], ["secretary", "deputy", "member"])
    exempt = [p for p, _m in members if p.exempt]
    assert exempt
    secretary = await h.person("secretary", cell=cell.id)
    s = await h.chat_as(secretary)
    await s.send("/diemdanh")
    listed = await s.reply()
    assert "1/6" in [label for row in listed.buttons for label, _d in row]
    regular = 80 - len(exempt)
    assert f"{regular}/{regular}" in listed.text.replace(" trên ", "/") or str(regular) in listed.text
    await s.press("▶", listed)
    page2 = await s.reply()
    assert member_button(page2, 16) and "2/6" in [label for row in page2.buttons for label, _d in row]
    await s.press(member_button(page2, 16), page2)
    await s.reply()
    # the exempt are last: the last page; one attends
    last_number = 80
    await s.send(f"bỏ vắng {last_number}")
    await s.reply()
    await s.send("vắng 75")
    await s.reply()
    await s.photo(b"\x89PNG\r\n\x1a\n not a roll call")
    assert "không nhận" in (await s.reply()).text
    await s.send("xong")
    await s.reply()
    await s.send("1")
    await s.reply()
    start = await roll_calls.get(h.db, cell.id, "2026-12", "start")
    statuses = {m.number: m.status for m in start.members}
    assert statuses[16] == "absent_excused" and statuses[80] == "exempt_present"
    assert sum(1 for m in start.members if m.status == "exempt_absent") == len(exempt) - 1
    assert start.eligible == regular + 1 and start.present == regular + 1 - (2 if statuses[75] == "absent_excused" else 1)
    # the exempt are listed apart, last; a photo meanwhile changed nothing
    assert [m.exempt for m in start.members] == [False] * regular + [True] * len(exempt)
    assert {m.person_id for m in start.members if m.exempt} == {p.id for p in exempt}


async def test_below_target_notifies_the_right_wards_staff_only(e2e):
    h = e2e
    cell = await cell_of_size(h.db, 30)
    ward = await org.get_unit(h.db, cell.parent_id)
    staff = [p for p, _m in await org.current_members(h.db, [ward.id], ["ward_staff"])]
    other_ward = next(w for w in await org.units_of_kind(h.db, "ward") if w.id != ward.id)
    other_staff = [p for p, _m in await org.current_members(h.db, [other_ward.id], ["ward_staff"])]
    staff_users = [await h.chat_as(p) for p in staff]
    for p in other_staff:
        await h.chat_as(p)
    h.clock.set(vn(2026, 12, 3, 20, 0))
    secretary = await h.person("secretary", cell=cell.id)
    s = await h.chat_as(secretary)
    await s.send("/diemdanh")
    await s.reply()
    await s.send("vắng 3 4 5")
    await s.reply()
    await s.send("không lý do 6")
    await s.reply()
    await s.send("lý do 3 đi công tác")
    await s.reply()
    await s.send("xong")
    summary = await s.reply()
    assert "dưới mục tiêu" in summary.text.lower() or "Dưới mục tiêu" in summary.text
    await s.send("1")
    saved = await s.reply()
    assert "đã được báo" in saved.text
    rows = await until(lambda: _low_rows(h, cell), what="the notices")
    assert {row.person_id for row in rows} == {p.id for p in staff}
    assert all(row.kind == "notice" for row in rows)
    members = {m.number: m.full_name for m in (await roll_calls.get(h.db, cell.id, "2026-12", "start")).members}
    for user in staff_users:
        notice = await user.wait_for(lambda m: cell.name in m.text, timeout=10)
        assert "26" in notice.text and "30" in notice.text
        assert f"{members[3]} (đi công tác)" in notice.text and members[6] in notice.text
    total = await h.db.fetchval("SELECT count(*) FROM outbox WHERE ref LIKE 'attendance-low:%'")
    assert total == len(staff)


async def _low_rows(h, cell):
    rows = await outbox.by_ref(h.db, f"attendance-low:{cell.id}:2026-12:start")
    return rows if rows else None


async def test_a_restart_in_the_middle_resumes_and_cancel_discards(e2e):
    h = e2e
    cell = await cell_of_size(h.db, 30)
    h.clock.set(vn(2026, 12, 3, 20, 0))
    secretary = await h.person("secretary", cell=cell.id)
    s = await h.chat_as(secretary)
    await s.send("/diemdanh")
    listed = await s.reply()
    await s.press(member_button(listed, 4), listed)
    await s.reply()
    await h.restart()
    await s.send("vắng 8")
    listed = await s.reply()
    draft = await drafts.load(h.db, (await _account(h, secretary)).id)
    assert [i + 1 for i, x in enumerate(draft.data["status"]) if x != "present"] == [4, 8]
    # a button of the list before the restart still belongs to this draft; one of an older draft does not
    await s.send("/cancel")
    assert "Đã hủy" in (await s.reply()).text
    assert await drafts.load(h.db, (await _account(h, secretary)).id) is None
    answer = await press_raw(s, listed.message_id, member_button(listed, 5))
    assert "hết hiệu lực" in answer["text"]
    assert await roll_calls.get(h.db, cell.id, "2026-12", "start") is None


async def test_a_secretary_acts_only_for_their_own_cell(e2e):
    h = e2e
    cell = await cell_of_size(h.db, 30)
    other = next(c for c in await org.cells_under(h.db, cell.parent_id) if c.id != cell.id)
    h.clock.set(vn(2026, 12, 3, 20, 0))
    s = await h.chat_as(await h.person("secretary", cell=cell.id))
    await s.send("/menu")
    menu_message = await s.reply()
    answer = await press_raw(s, menu_message.message_id, f"rc:go:{other.id}:2026-12")
    assert "không có quyền" in answer["text"]
    answer = await press_raw(s, menu_message.message_id, f"rc:go:{cell.id}:2026-11")
    assert "hết hiệu lực" in answer["text"]
    answer = await press_raw(s, menu_message.message_id, f"mr:go:{other.id}:2026-12")
    assert "không có quyền" in answer["text"]
    member = await h.chat_as(await h.person("member", cell=cell.id))
    await member.send("/diemdanh")
    assert "không" in (await member.reply()).text
    assert await roll_calls.get(h.db, other.id, "2026-12", "start") is None


async def test_the_follow_up_skips_a_cell_that_took_its_roll_call(e2e):
    h = e2e
    cell = await cell_of_size(h.db, 30)
    ward_cells = await org.cells_under(h.db, cell.parent_id)
    secretary = await h.person("secretary", cell=cell.id)
    s = await h.chat_as(secretary)
    other_cell = next(c for c in ward_cells if c.id != cell.id)
    o = await h.chat_as(await h.person("secretary", cell=other_cell.id))
    h.clock.set(vn(2026, 12, 3, 20, 0))
    await s.send("/diemdanh")
    await s.reply()
    await s.send("xong")
    await s.reply()
    # a draft is not a saved roll call: the other cell's secretary stops before saving
    await o.send("/diemdanh")
    await o.reply()
    await s.send("1")
    await s.reply()
    h.clock.set(vn(2026, 12, 4, 9, 0))
    result = await scheduler.tick(h.ctx, vn(2026, 12, 4, 9, 0))
    followups = {d.subject: d for d, _n in result.decisions if d.rule == "followup" and d.period == "2026-12"}
    assert followups[cell.id].action == "skipped" and followups[cell.id].reason == "not_needed"
    assert followups[other_cell.id].action == "sent"


async def test_recorded_after_its_month_the_time_must_be_typed(e2e):
    h = e2e
    cell = await cell_of_size(h.db, 30)
    s = await h.chat_as(await h.person("secretary", cell=cell.id))
    h.clock.set(vn(2026, 12, 31, 20, 0))
    await s.send("/diemdanh")
    await s.reply()
    h.clock.set(vn(2027, 1, 2, 9, 0))       # past midnight of the month's end: the draft is December's
    await s.send("xong")
    await s.reply()
    await s.send("1")
    asked = await s.reply()
    assert "tháng 12 năm 2026" in asked.text and "19:30 3/12" in asked.text
    assert await roll_calls.get(h.db, cell.id, "2026-12", "start") is None
    await s.send("19:00 31/12")
    await s.reply()
    await s.send("xong")
    await s.reply()
    await s.send("1")
    await s.reply()
    start = await roll_calls.get(h.db, cell.id, "2026-12", "start")
    assert codec.parse_instant(start.taken_at) == vn(2026, 12, 31, 19, 0)


async def test_the_thematic_reminder_goes_to_cells_without_one_this_quarter(e2e):
    h = e2e
    cell = await cell_of_size(h.db, 30)
    others = [c for c in await org.cells_under(h.db, cell.parent_id) if c.id != cell.id]
    s = await h.chat_as(await h.person("secretary", cell=cell.id))
    o = await h.chat_as(await h.person("secretary", cell=others[0].id))
    await roll_calls.record(h.db, cell_id=cell.id, month="2026-10", phase="start", taken_at="2026-10-03T12:00:00+00:00",
                            taken_by=None, members=[], eligible=0, present=0)
    record = await meetings.get_record(h.db, cell.id, "2026-10")
    async with h.db.transaction() as conn:
        await meetings.save_record(conn, meeting_id=record.meeting_id, fields={"kind": "thematic"}, by=None,
                                   at="2026-10-03T14:00:00+00:00")
    h.clock.set(vn(2026, 12, 1, 9, 0))
    result = await scheduler.tick(h.ctx, vn(2026, 12, 1, 9, 0))
    thematic = {d.subject: d for d, _n in result.decisions if d.rule == "thematic"}
    assert thematic[cell.id].action == "skipped" and thematic[others[0].id].action == "sent"
    reminder = await o.wait_for(lambda m: "chuyên đề" in m.text, timeout=10)
    assert others[0].name in reminder.text
    assert not [m for m in await s.bot_messages() if "chuyên đề" in m.text]
