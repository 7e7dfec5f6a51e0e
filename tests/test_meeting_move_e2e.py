"""The "move the meeting" day picker end to end: its buttons know the cell and the month they were shown
for; it closes on /cancel and when the person goes on to something else; a typed number is the day."""

from __future__ import annotations

import pytest

from storage import drafts, meetings
from tests.test_reminders_e2e import a_ward, vn

pytestmark = pytest.mark.e2e

OUT_OF_DATE = ("Nút này đã cũ: tình hình đã thay đổi từ khi nút được hiển thị, nên không có gì được thay đổi. "
               "Gửi /menu để bắt đầu lại.")


async def _secretary(h):
    _ward, cells = await a_ward(h)
    return cells[0], await h.chat_as(await h.person("secretary", cell=cells[0].id))


async def _picker(s):
    await s.send("/hoanhop")
    return await s.wait_for(lambda m: bool(m.buttons))


async def test_a_picker_shown_in_november_and_pressed_in_december_moves_nothing(e2e):
    h = e2e
    cell, s = await _secretary(h)
    h.clock.set(vn(2026, 11, 28, 10, 0))
    keyboard = await _picker(s)
    h.clock.set(vn(2026, 12, 1, 9, 0))
    await s.press("ngày 30", keyboard)
    await s.settled()
    assert (await s.callback_answers())[-1]["text"] == OUT_OF_DATE
    assert await meetings.moves(h.db, ["2026-11", "2026-12"]) == {}
    await s.no_reply()


@pytest.mark.parametrize("other", ["/cancel", "/language", "/help", "/menu"])
async def test_the_picker_closes_when_the_person_does_something_else(e2e, other):
    h = e2e
    cell, s = await _secretary(h)
    h.clock.set(vn(2026, 11, 28, 10, 0))
    keyboard = await _picker(s)
    await s.send(other)
    await s.reply()
    await s.settled()
    assert await drafts.load(h.db, (await s_account(h, s))) is None
    await s.press("ngày 30", keyboard)
    await s.settled()
    assert (await s.callback_answers())[-1]["text"] in (OUT_OF_DATE, OUT_OF_DATE_EN)
    assert await meetings.moves(h.db, ["2026-11"]) == {}


OUT_OF_DATE_EN = ("This button is out of date: things have changed since it was shown, so nothing was changed. "
                  "Send /menu to start again.")


async def s_account(h, s):
    from storage import accounts
    return (await accounts.get_by_external(h.db, s.user_id, platform=accounts.TELEGRAM)).id


async def test_a_number_typed_in_the_picker_is_that_day(e2e):
    h = e2e
    cell, s = await _secretary(h)
    h.clock.set(vn(2026, 11, 25, 10, 0))
    keyboard = await _picker(s)
    labels = [label for row in keyboard.buttons for label, _d in row]
    assert labels[:2] == ["ngày 25", "ngày 26"] and "ngày 29" in labels
    await s.send("29")
    assert "đã được dời sang Chủ Nhật, 29 tháng 11, 2026" in (await s.reply()).text
    assert await meetings.moves(h.db, ["2026-11"]) == {(cell.id, "2026-11"): 29}
    # The move closed the picker: its buttons, and a number typed now, do nothing more.
    await s.press("ngày 27", keyboard)
    await s.settled()
    assert (await s.callback_answers())[-1]["text"] == OUT_OF_DATE
    assert await meetings.moves(h.db, ["2026-11"]) == {(cell.id, "2026-11"): 29}


async def test_a_wrong_number_typed_in_the_picker_is_refused_politely_and_the_picker_stays(e2e):
    h = e2e
    cell, s = await _secretary(h)
    h.clock.set(vn(2026, 11, 25, 10, 0))
    await _picker(s)
    await s.send("40")
    assert "không có ngày 40" in (await s.reply()).text
    await s.send("ba mươi")
    assert (await s.reply()).text == "Đồng chí vui lòng gõ ngày trong tháng bằng số, ví dụ 5, hoặc gửi /cancel."
    await s.send("ngày 26")
    assert "đã được dời sang" in (await s.reply()).text
    assert await meetings.moves(h.db, ["2026-11"]) == {(cell.id, "2026-11"): 26}
