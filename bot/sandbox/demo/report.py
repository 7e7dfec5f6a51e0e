"""The demo's report part: on the 10th at 07:00 the ward's report goes to the staff of Nam Ngạn on its own —
a short summary, the Excel file and the attendance chart — with the meeting recorded in the roll-call part;
then a staff member asks for last month's from the menu by typing a number."""

from __future__ import annotations

from datetime import datetime

from bot.core.clock import VN_TZ
from bot.core.i18n import N_
from bot.reports import delivery
from storage import outbox

WARD = "Nam Ngạn"
TITLE = N_("the ward's report on the 10th")



async def play(film) -> None:
    _ = film.gettext
    film.scene(_("The 10th: the ward's report arrives on its own"))
    staff = await film.on_screen(await film.person("ward_staff", ward=WARD))

    async def on_time(now: datetime) -> None:
        decided = await delivery.tick(film.ctx, now)
        film.count(N_("ward reports delivered"), sum(d.queued for d in decided))

    async def reports_waiting() -> int:
        return await outbox.open_count(film.db, "report:ward:2026-12")

    film.on_time_change.append(on_time)
    film.busy.append(reports_waiting)
    when = datetime(2026, 12, 10, 7, 0, tzinfo=VN_TZ)
    film.say(_("{when}: each ward's staff get the month's report of their cells.").format(
        when=f"{film.t.format_date(when, 'full')}, {film.t.format_time(when)}"))
    await film.advance_to(max(film.clock.now(), when))
    await film.settle()
    film.say(_("A staff member asks for November's report from the menu, typing the number of the choice:"))
    await staff.send("/baocao")
    await staff.reply(timeout=10)
    await staff.send("2")
    await staff.replies(3, timeout=15)
    await film.settle()
    film.say(_("The Excel file has a row per cell of {ward}, a totals row and a sheet of absent members and "
               "recommendations.").format(ward=WARD))
