"""The demo's reminders part: the film's clock moves through the 1st, 2nd, 3rd, 4th, 5th and 8th of
December; at each step the scheduler's check runs (the film's time hook) and the reminders arrive. The
secretary of cell Nguyễn Mộng Tuân 2 (ward Nam Ngạn) is on screen; the secretary of another cell of the
ward moves its meeting to the 5th, and its reminders move with it; the ward staff member gets the
inspection reminder on the 1st and the report reminder, with the cells without roll call, on the 8th."""

from __future__ import annotations

from datetime import datetime

from bot.reminders import scheduler
from bot.core.clock import VN_TZ
from bot.core.i18n import N_
from bot.reminders.facts import guidance_sent
from bot.rules import schedule
from storage import codec, outbox, roll_calls

WARD, CELL = "Nam Ngạn", "Nguyễn Mộng Tuân 2"
TITLE = N_("reminders on the simulated clock")
PERIOD = "2026-12"


def vn(*args) -> datetime:
    return datetime(*args, tzinfo=VN_TZ)


async def play(film) -> None:
    _ = film.gettext
    t = film.t
    film.scene(_("December on a simulated clock: the reminders"))

    async def on_time(now: datetime) -> None:
        result = await scheduler.tick(film.ctx, now)
        if result.messages:
            film.count(N_("reminders sent"), result.messages)

    async def reminders_waiting() -> int:
        return sum([await outbox.open_count(film.db, f"reminder:{rule}:{PERIOD}") for rule in schedule.RULES])

    film.on_time_change.append(on_time)
    film.busy.append(reminders_waiting)

    ward, cells = await film.ward(WARD), await film.cells_of(WARD)
    watched_cell = next(c for c in cells if c.name == CELL)
    moving_cell = next(c for c in cells if c.id != watched_cell.id)
    watched = await film.on_screen(await film.person("secretary", ward=WARD, cell=CELL))
    mover = await film.on_screen(await film.person("secretary", ward=WARD, cell=moving_cell.name))
    await film.on_screen(await film.person("ward_staff", ward=WARD))
    # every secretary and deputy of the ward has joined (most in the guidance part); the others are off screen
    for person in await film.people(["secretary", "deputy"], ward=WARD):
        if person.id not in (watched.person.id, mover.person.id):
            await film.chat_as(person, echo=False)

    async def step(when: datetime, narration: str) -> None:
        film.say(narration.format(when=f"{t.format_date(when, 'full')}, {t.format_time(when)}"))
        await film.advance_to(when)
        await film.settle()

    if await guidance_sent(film.db, [(ward.id, PERIOD)]):
        first = _("{when}: {ward} has sent its guidance, so it is not reminded of it; December is an "
                  "inspection month.")
    else:
        first = _("{when}: {ward} has not sent its guidance yet, so its staff are reminded; December is an "
                  "inspection month.")
    await step(vn(2026, 12, 1, 8, 0), first.replace("{ward}", WARD))

    film.say(_("The secretary of cell {cell} postpones this month's meeting to the 5th:").format(
        cell=moving_cell.name))
    await film.advance_to(vn(2026, 12, 1, 10, 0))
    await mover.send("hoãn sang ngày 5")
    await mover.reply()
    await film.settle()

    await step(vn(2026, 12, 2, 7, 0), _("{when}: the cell committees meet (not the cell that postponed)."))
    film.say(_("The secretary opens the month's guidance from the reminder:"))
    reminder = await watched.wait_for(lambda m: any(d == "guidance:show" for row in m.buttons for _l, d in row))
    await watched.press("guidance:show", reminder)
    await watched.reply()

    await step(vn(2026, 12, 3, 7, 0), _("{when}: the cells meet."))
    held = [c for c in cells if c.id not in (moving_cell.id,)][: max(1, len(cells) // 2)]
    if watched_cell not in held:
        held[-1] = watched_cell
    for cell in held:
        await roll_calls.record(film.db, cell_id=cell.id, month=PERIOD, phase="start",
            taken_at=codec.instant(vn(2026, 12, 3, 19, 0)), taken_by=None, members=[], eligible=0, present=0)
    # Said the way the opening says it: a part is either in the film or "not built yet".
    if film.built("roll_call"):
        how = _("taking it in chat is the part “{part}”; here it is recorded directly").format(
            part=film.part_title("roll_call"))
    else:
        how = _("taking it in chat is not built yet; here it is recorded directly")
    film.say(_("That evening {n} cells of {ward} record their roll call ({how}).").format(
        n=t.format_number(len(held)), ward=WARD, how=how))

    await step(vn(2026, 12, 4, 7, 0), _("{when}: the committee of the cell that postponed meets."))
    await step(vn(2026, 12, 4, 9, 0), _("{when}: a follow-up to the cells without a roll call."))
    followups = await outbox.by_ref(film.db, f"reminder:followup:{PERIOD}")
    film.say(_("Follow-ups went to {people} secretaries and deputies of {cells} cells; the cell on screen "
               "had recorded its roll call, so it got none.").format(
        people=t.format_number(len(followups)),
        cells=t.format_number(len({c.id for c in cells} - {c.id for c in held} - {moving_cell.id}))))
    await step(vn(2026, 12, 5, 7, 0), _("{when}: the cell that postponed meets."))
    await step(vn(2026, 12, 8, 8, 0), _("{when}: the ward's report is due by the 10th."))

