"""The meeting record end to end: its steps by taps and by typed forms, secretary and deputy on the same
record, the corrections window and a reopen by ward staff, in Vietnamese and English."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.core.clock import VN_TZ
from storage import meetings, org, outbox, roll_calls
from tests.fixtures.e2e import press_raw
from tests.test_roll_call_e2e import cell_of_size, until

pytestmark = pytest.mark.e2e


def vn(*args) -> datetime:
    return datetime(*args, tzinfo=VN_TZ)


async def take_roll_calls(h, user, start=vn(2026, 12, 3, 19, 0), end=vn(2026, 12, 3, 21, 0)):
    for when in (start, end):
        h.clock.set(when)
        await user.send("/diemdanh")
        await user.reply()
        await user.send("xong")
        await user.reply()
        await user.send("1")
        await user.reply()


def data_of(message, suffix: str) -> str:
    return next(d for row in message.buttons for _l, d in row if d.endswith(suffix))


async def test_the_record_by_taps_after_the_end_roll_call(e2e):
    h = e2e
    cell = await cell_of_size(h.db, 30)
    s = await h.chat_as(await h.person("secretary", cell=cell.id))
    await take_roll_calls(h, s)
    saved = [m for m in await s.bot_messages() if any(d.startswith("mr:go:") for r in m.buttons for _l, d in r)][-1]
    assert "120 phút" in saved.text
    await s.press(f"mr:go:{cell.id}:2026-12", saved)
    step = await s.reply()
    assert "Buổi sinh hoạt loại nào" in step.text and not any(d.endswith(":s") for r in step.buttons for _l, d in r)
    await s.press("Kết hợp thường kỳ và chuyên đề", step)
    step = await s.reply()
    await s.press(data_of(step, ":s"), step)                 # topic skipped
    step = await s.reply()
    await s.press(data_of(step, ":n:5"), step)
    step = await s.reply()
    await s.press("Có", step)
    step = await s.reply()
    await s.press(data_of(step, ":s"), step)                 # conclusions skipped
    step = await s.reply()
    await s.press("Khá", step)
    step = await s.reply()
    assert "ảnh hoặc tệp" in step.text
    await s.photo(b"\x89PNG\r\n\x1a\n minutes")
    summary = await s.reply()
    assert "Kết hợp thường kỳ và chuyên đề" in summary.text and "Khá" in summary.text
    await s.press(data_of(summary, ":save"), summary)
    done = await s.reply()
    assert "Đã lưu biên bản" in done.text and "120 phút" in done.text
    record = await meetings.get_record(h.db, cell.id, "2026-12")
    assert (record.kind, record.speakers, record.ward_member_attended, record.proposed_grade) == ("both", 5, True, "fair")
    assert record.topic is None and record.minutes_kind == "photo" and record.minutes_file_id
    assert await meetings.thematic_held(h.db, ["2026-12"]) == {(cell.id, "2026-12")}


async def test_typed_forms_and_secretary_and_deputy_on_the_same_record(e2e):
    h = e2e
    cell = await cell_of_size(h.db, 30)
    secretary = await h.person("secretary", cell=cell.id)
    deputy = await h.person("deputy", cell=cell.id)
    s, d = await h.chat_as(secretary), await h.chat_as(deputy, language="en")
    await take_roll_calls(h, s)
    h.clock.set(vn(2026, 12, 3, 21, 30))
    await d.send("/bienban")
    assert "What kind of meeting" in (await d.reply()).text
    await s.send("biên bản sinh hoạt")
    assert "Buổi sinh hoạt loại nào" in (await s.reply()).text
    await s.send("bỏ qua")
    assert "Không bỏ qua được" in (await s.reply()).text
    await s.send("4")
    assert "Chưa có gì thay đổi" in (await s.reply()).text
    for typed in ("1", "Học tập Nghị quyết", "31"):
        await s.send(typed)
        await s.reply()
    assert "từ 0 đến 30" in s._messages[-1].text     # 31 speakers of 30 present: refused
    for typed in ("12", "co", "Thống nhất kế hoạch tháng 1", "1", "skip", "1"):
        await s.send(typed)
        await s.reply()
    record = await meetings.get_record(h.db, cell.id, "2026-12")
    assert (record.kind, record.topic, record.speakers, record.ward_member_attended) == ("regular", "Học tập Nghị quyết", 12, True)
    assert (record.conclusions, record.proposed_grade, record.saved_by) == ("Thống nhất kế hoạch tháng 1", "good", secretary.id)

    # the deputy, who began before the secretary saved, is shown the secretary's record and asked
    for typed in ("2", "skip", "skip", "2", "skip", "4", "skip", "1"):
        await d.send(typed)
        await d.reply()
    conflict = d._messages[-1]
    assert "saved this record meanwhile" in conflict.text and "Học tập Nghị quyết" in conflict.text
    assert (await meetings.get_record(h.db, cell.id, "2026-12")).kind == "regular"
    await d.press("Replace it with mine", conflict)
    await d.reply()
    record = await meetings.get_record(h.db, cell.id, "2026-12")
    assert (record.kind, record.ward_member_attended, record.proposed_grade, record.saved_by) == (
        "thematic", False, "poor", deputy.id)
    assert record.topic == "Học tập Nghị quyết"     # skipped: what was saved stays


async def test_the_corrections_window_and_a_reopen_by_ward_staff(e2e):
    h = e2e
    cell = await cell_of_size(h.db, 30)
    ward = await org.get_unit(h.db, cell.parent_id)
    secretary = await h.person("secretary", cell=cell.id)
    s = await h.chat_as(secretary)
    await take_roll_calls(h, s)
    h.clock.set(vn(2027, 1, 10, 20, 0))
    await s.send("/bienban")
    assert "Buổi sinh hoạt loại nào" in (await s.reply()).text      # still open on the 10th
    await s.send("/cancel")
    await s.reply()
    h.clock.set(vn(2027, 1, 11, 8, 0))
    await s.send("/bienban")
    closed = await s.reply()
    assert "không sửa được nữa" in closed.text and "10 tháng 1, 2027" in closed.text
    old = [m for m in await s.bot_messages() if any(x.startswith("rc:fix:") for r in m.buttons for _l, x in r)]
    staff_person = (await org.current_members(h.db, [ward.id], ["ward_staff"]))[0][0]
    staff = await h.chat_as(staff_person)
    other_ward = next(w for w in await org.units_of_kind(h.db, "ward") if w.id != ward.id)
    outsider = await h.chat_as((await org.current_members(h.db, [other_ward.id], ["ward_staff"]))[0][0])
    await outsider.send("/molai")
    assert "Không có biên bản nào" in (await outsider.reply()).text
    await staff.send("/molai")
    listing = await staff.reply()
    assert cell.name in listing.text
    record = await meetings.get_record(h.db, cell.id, "2026-12")
    answer = await press_raw(outsider, listing.message_id, f"mr:reopen:{record.meeting_id}")
    assert "không có quyền" in answer["text"]
    number = next(i for i, line in enumerate(listing.text.splitlines()) if cell.name in line)
    await staff.send(str(number))
    reopened = await staff.reply()
    assert "Đã mở lại" in reopened.text and "18 tháng 1, 2027" in reopened.text
    notice = await s.wait_for(lambda m: "đã mở lại biên bản" in m.text, timeout=10)
    assert any(x == f"mr:go:{cell.id}:2026-12" for r in notice.buttons for _l, x in r)
    await s.press(f"mr:go:{cell.id}:2026-12", notice)
    assert "Buổi sinh hoạt loại nào" in (await s.reply()).text
    rows = await outbox.by_ref(h.db, f"record-reopened:{cell.id}:2026-12")
    leaders = {p.id for p, _m in await org.current_members(h.db, [cell.id], org.CELL_LEADERS)}
    assert {row.person_id for row in rows} <= leaders and secretary.id in {row.person_id for row in rows}
    assert old is not None
    h.clock.set(vn(2027, 1, 19, 8, 0))
    await s.send("1")
    assert "không sửa được nữa" in (await s.reply()).text
    assert (await meetings.get_record(h.db, cell.id, "2026-12")).kind is None


async def test_the_roll_call_in_english(e2e):
    h = e2e
    cell = await cell_of_size(h.db, 30)
    s = await h.chat_as(await h.person("secretary", cell=cell.id), language="en")
    h.clock.set(vn(2026, 12, 3, 19, 0))
    await s.send("Roll call")
    listed = await s.reply()
    assert "Start-of-meeting roll call" in listed.text and "Present: 30 of 30" in listed.text
    await s.send("absent 2 3")
    await s.reply()
    await s.send("no reason 3")
    listed = await s.reply()
    assert "absent without a reason" in listed.text
    await s.send("present 40")
    assert "between 0 and 30" in (await s.reply()).text
    await s.send("done")
    assert "Save? 1. Save" in (await s.reply()).text
    await s.send("1")
    assert "Saved: start of the meeting: 28 of 30 present" in (await s.reply()).text
    start = await until(lambda: roll_calls.get(h.db, cell.id, "2026-12", "start"))
    assert start.present == 28


async def test_a_restart_in_the_middle_of_the_record_resumes_at_the_same_step(e2e):
    h = e2e
    cell = await cell_of_size(h.db, 30)
    s = await h.chat_as(await h.person("secretary", cell=cell.id))
    await take_roll_calls(h, s)
    await s.send("/bienban")
    await s.reply()
    await s.send("3")
    await s.reply()
    await s.send("Chuyên đề về chuyển đổi số")
    assert "phát biểu" in (await s.reply()).text
    await h.restart()
    await s.send("Biên bản sinh hoạt")          # the menu item again: the draft, at its step
    assert "phát biểu" in (await s.reply()).text
    await s.send("8")
    # (the restarted bot's start-up check may send the 3rd's reminder meanwhile: wait for the step itself)
    await s.wait_for(lambda m: "đảng ủy viên phụ trách" in m.text.lower())
    await s.send("/cancel")
    await s.reply()
    assert (await meetings.get_record(h.db, cell.id, "2026-12")).kind is None    # nothing saved


async def test_two_leaders_saving_the_same_roll_call(e2e):
    h = e2e
    cell = await cell_of_size(h.db, 30)
    secretary, deputy = await h.person("secretary", cell=cell.id), await h.person("deputy", cell=cell.id)
    s, d = await h.chat_as(secretary), await h.chat_as(deputy)
    h.clock.set(vn(2026, 12, 3, 19, 30))
    for user, typed in ((s, "vắng 2"), (d, "vắng 5 6")):
        await user.send("/diemdanh")
        await user.reply()
        await user.send(typed)
        await user.reply()
        await user.send("xong")
        await user.reply()
    await s.send("1")
    await s.reply()
    await d.send("1")
    conflict = await d.reply()
    assert secretary.full_name in conflict.text and "29" in conflict.text
    assert (await roll_calls.get(h.db, cell.id, "2026-12", "start")).present == 29
    await d.press("Thay bằng bản của tôi", conflict)
    await d.reply()
    start = await roll_calls.get(h.db, cell.id, "2026-12", "start")
    assert (start.present, start.taken_by, start.revision) == (28, deputy.id, 2)
