"""The demo's guidance part: before the 1st, a ward staff member of Nam Ngạn writes December's guidance in
chat, previews it and sends it to the ward's secretaries and deputies; the secretary of cell Nguyễn Mộng
Tuân 2 receives it and presses "Đã nhận"; the staff member follows the results per cell."""

from __future__ import annotations

from bot.core.i18n import N_
from storage import guidance as store
from storage import outbox

WARD, CELL = "Nam Ngạn", "Nguyễn Mộng Tuân 2"
TITLE = N_("the ward sends the month's guidance")


def _has(message, prefix: str) -> bool:
    return any(data.startswith(prefix) for row in message.buttons for _label, data in row)


async def _chat(film, person, **options):
    """The person's chat, the one already on screen if an earlier part opened it (one transcript each)."""
    for user in getattr(film, "_users", ()):
        if getattr(user.person, "id", None) == person.id:
            return user
    return await film.chat_as(person, **options)


async def play(film) -> None:
    _ = film.gettext
    film.scene(_("The ward sends December's guidance to its cells"))
    staff = await _chat(film, await film.person("ward_staff", ward=WARD))
    secretary = await film.person("secretary", ward=WARD, cell=CELL)
    watched = None
    leaders = await film.people(["secretary", "deputy"], ward=WARD)
    for person in leaders:   # every secretary and deputy of the ward has joined; one is on screen
        user = await _chat(film, person, echo=person.id == secretary.id)
        if person.id == secretary.id:
            watched = user
    film.say(_("All {n} secretaries and deputies of {ward} have joined the bot; we follow one of them.").format(
        n=len(leaders), ward=WARD))

    async def copies_waiting() -> int:
        latest = await store.latest(film.db)
        return await outbox.open_count(film.db, store.ref(latest.id)) if latest else 0

    film.busy.append(copies_waiting)

    await staff.send("/guihuongdan")
    await staff.reply()
    await staff.send(_("December's cell meeting: review the year's tasks, assess each member's work, and "
                       "discuss next year's plan.\n\nPlease send the list of members attending by the 3rd."))
    await staff.wait_for(lambda m: _has(m, "gc:cont"))
    await staff.press("gc:cont")
    await staff.wait_for(lambda m: _has(m, "gc:preview"))
    await staff.press("gc:preview")
    await staff.wait_for(lambda m: _has(m, "gc:send"), timeout=10)
    await staff.press("gc:send")
    # "Sending…" and, once every copy has gone, the results: in either order.
    report = await staff.wait_for(lambda m: _has(m, "gd:resend:"), timeout=20)
    await film.settle()
    latest = await store.latest(film.db)
    film.count(N_("guidance copies delivered"),
               (await outbox.counts_by_status(film.db, store.ref(latest.id))).get("sent", 0))

    film.say(_("The secretary confirms receipt:"))
    copy = await watched.wait_for(lambda m: _has(m, "gd:ack:"), timeout=10)
    await watched.press(next(d for row in copy.buttons for _l, d in row if d.startswith("gd:ack:")), copy)
    await watched.reply()
    film.count(N_("receipts confirmed"))

    film.say(_("The ward staff member looks at the results:"))
    await staff.press(next(d for row in report.buttons for _l, d in row if d.startswith("gd:prog:")), report)
    await staff.reply()
