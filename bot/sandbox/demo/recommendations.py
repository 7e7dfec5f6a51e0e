"""The demo's recommendations part: the secretary of cell Nguyễn Mộng Tuân 2 (ward Nam Ngạn) sends a
recommendation from the citizens by typing each answer; the ward's staff member gets it in the day's
digest, opens it and escalates it to the city, whose staff member answers it. The answer comes back down
to the cell, to be reported to the members at the next meeting. (Urgent items, the ward's own answers
and clarifications are in the end-to-end tests.)"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.clock import VN_TZ
from bot.core.i18n import N_
from bot.reminders import scheduler
from storage import recommendations as store

WARD, CELL = "Nam Ngạn", "Nguyễn Mộng Tuân 2"
TITLE = N_("recommendations and their answers")
FIRST = "Bà con tổ 3 phản ánh: rác thải ở bãi đất trống cạnh chợ tồn đọng hơn một tuần, bốc mùi."


def _next(now: datetime, hour: int) -> datetime:
    """The next `hour`:00 Vietnam time strictly after now."""
    local = now.astimezone(VN_TZ)
    at = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    return at if at > local else at + timedelta(days=1)


async def play(film) -> None:
    _ = film.gettext
    film.scene(_("Recommendations: up to the ward and the city, and the answers back down"))

    async def on_time(now: datetime) -> None:
        await scheduler.tick(film.ctx, now)

    if not film.on_time_change:
        film.on_time_change.append(on_time)
    secretary = await film.on_screen(await film.person("secretary", ward=WARD, cell=CELL))
    staff = await film.on_screen(await film.person("ward_staff", ward=WARD))
    city = await film.on_screen(await film.person("city_staff"))

    await film.advance_to(_next(film.clock.now(), 9))
    film.say(_("The secretary passes on a concern of the citizens, typing each answer (a number picks an "
               "option):"))
    for typed in ("/guikiennghi", "2", FIRST, "2", "1", "1"):
        await secretary.send(typed)
        await secretary.reply()
    first = await _latest(film)
    film.count(N_("recommendations sent"))

    await film.advance_to(_next(film.clock.now(), 17))
    film.say(_("At the digest time the ward's staff get the day's new recommendations; this one is beyond the "
               "ward's authority, so they escalate it to the city, whose staff answer it:"))
    await staff.wait_for(lambda m: first.code in m.text)
    await staff.press(f"kn:o:{first.id}")
    await staff.wait_for(lambda m: any(d.startswith("kn:a:") for row in m.buttons for _l, d in row))
    await staff.press(f"kn:a:escalate:{first.id}:new")
    notice = await city.wait_for(lambda m: first.code in m.text)
    await city.press(f"kn:o:{first.id}", notice)
    await city.wait_for(lambda m: any(d.startswith("kn:a:") for row in m.buttons for _l, d in row))
    await city.press(f"kn:a:resolve:{first.id}:escalated")
    await city.reply()
    await city.send("Thành phố đã giao Công ty Môi trường đô thị thu gom trong ngày 9/12 và bố trí điểm tập kết mới.")
    await secretary.wait_for(lambda m: first.code in m.text and "9/12" in m.text)
    await city.wait_for(lambda m: first.code in m.text and not m.buttons)   # the item, answered
    await film.settle()
    film.count(N_("answers sent down to the cells"))
    film.say(_("The answer will be listed in the cell's next meeting reminder, for the members; the meeting "
               "record asks whether it was reported."))


async def _latest(film) -> store.Recommendation:
    """The watched cell's latest recommendation (the one just sent)."""
    cell = next(c for c in await film.cells_of(WARD) if c.name == CELL)
    return (await store.for_cell(film.db, cell.id, limit=1))[0]
