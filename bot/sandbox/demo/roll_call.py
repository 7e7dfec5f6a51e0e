"""The demo's roll-call part: the cell of Nam Ngạn that moved its meeting to the 5th held it that evening;
on the 8th its secretary records it afterwards — the start roll call with two absent members (one with a
reason), its time corrected to 19:00 on the 5th, the end roll call from the start's result at 21:00, and
the meeting record by typed answers — and sees the meeting's length against the 90-minute minimum."""

from __future__ import annotations

from datetime import datetime

from bot.core.clock import VN_TZ
from bot.core.i18n import N_
from storage import roll_calls

WARD = "Nam Ngạn"
WATCHED = "Nguyễn Mộng Tuân 2"
TITLE = N_("the two roll calls and the meeting record")



async def play(film) -> None:
    _ = film.gettext
    film.scene(_("The meeting of the 5th, recorded afterwards: two roll calls and the record"))
    cells = await film.cells_of(WARD)
    watched = next(c for c in cells if c.name == WATCHED)
    cell = next(c for c in cells if c.id != watched.id)   # the cell that moved its meeting to the 5th
    secretary = await film.on_screen(await film.person("secretary", ward=WARD, cell=cell.name))
    now = film.clock.now()
    await film.advance_to(max(now, datetime(2026, 12, 8, 10, 0, tzinfo=VN_TZ)))
    film.say(_("The secretary of {cell} opens the roll call; everyone starts present. Two were absent, one of "
               "them ill; the time is corrected to the evening of the 5th.").format(cell=cell.name))

    async def say(text: str):
        await secretary.send(text)
        return await secretary.reply(timeout=10)

    await say("/diemdanh")
    await say("vắng 3 7")
    await say("lý do 3 ốm")
    listed = await say("giờ 19:00 5/12")
    await secretary.press(next(d for row in listed.buttons for _l, d in row if d.endswith(":done")), listed)
    summary = await secretary.reply(timeout=10)
    await secretary.press(next(d for row in summary.buttons for _l, d in row if d.endswith(":save")), summary)
    saved = await secretary.reply(timeout=10)
    film.say(_("The end roll call starts from the start's result; the meeting ended at 21:00."))
    await secretary.press(f"rc:end:{cell.id}:2026-12", saved)
    await secretary.reply(timeout=10)
    await say("giờ 21:00 5/12")
    await say("xong")
    done = await say("1")
    film.say(_("Then the meeting record, answered by typing: a number answers a numbered question."))
    await secretary.press(f"mr:go:{cell.id}:2026-12", done)
    await secretary.reply(timeout=10)
    for answer in ("1", "Kiểm điểm nghị quyết tháng 11, bàn nhiệm vụ tháng 12", "9", "1",
                   "Thống nhất kế hoạch vệ sinh môi trường khu dân cư", "2", "bỏ qua", "1"):
        await say(answer)
    await film.settle()
    start = await roll_calls.get(film.db, cell.id, "2026-12", roll_calls.START)
    if start is not None:
        film.count(N_("roll calls saved"), len(await roll_calls.of_meeting(film.db, cell.id, "2026-12")))
