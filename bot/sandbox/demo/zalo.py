"""The demo's Zalo part: the secretary of a third cell of Nam Ngạn uses only Zalo. The ward's staff member
makes them an invite code in the Telegram chat; the secretary writes to the bot on Zalo, sends the code and
is in. Then they record the start roll call of their meeting of the 3rd by typing — `vắng 2 5`, the time,
the letter of "Xong" and the number of "Lưu" — on the same bot, the same database, the same rules: the
ward's report of the 10th counts it like any other."""

from __future__ import annotations

from datetime import datetime

from bot.core.clock import VN_TZ
from bot.core.i18n import N_
from bot.sandbox.demo.onboarding import make_invite
from storage import codec, roll_calls, zalo

WARD = "Nam Ngạn"
TITLE = N_("a secretary on Zalo")


async def play(film) -> None:
    _ = film.gettext
    film.scene(_("On Zalo: a secretary who does not use Telegram joins with a code and takes the roll call"))
    cells = await film.cells_of(WARD)
    # A cell whose roll call nobody has recorded yet (not the other parts' cells), with a secretary.
    for cell in cells[2:]:
        if await roll_calls.get(film.db, cell.id, "2026-12", roll_calls.START) is None:
            leaders = await film.people("secretary", ward=WARD, cell=cell.name)
            if leaders:
                secretary = leaders[0]
                break
    else:
        film.say(_("No cell of the ward is left without a roll call: this part is skipped."))
        return
    staff = await film.on_screen(await film.person("ward_staff", ward=WARD))
    await film.advance_to(max(film.clock.now(), datetime(2026, 12, 8, 14, 0, tzinfo=VN_TZ)))

    film.say(_("The ward's staff member makes the secretary an invite code:"))
    code = await make_invite(film, staff, secretary)

    film.say(_("On Zalo there are no buttons and no phone sharing: the secretary writes to the bot and "
               "sends the code."))
    z = await film.zalo_as(secretary)
    await z.send(_("Hello"))
    await z.reply(timeout=10)
    await z.send(code)
    await z.reply(timeout=10)
    film.count(N_("people joined on Zalo"))

    film.say(_("The meeting was on the 3rd at 19:30; two members were absent. Everything is typed: the "
               "members' numbers, the time, then the letter or number of a choice."))

    async def say(text: str):
        await z.send(text)
        return await z.reply(timeout=10)

    await say("/diemdanh")
    await say(("vắng 2 5" if film.t.lang == "vi" else "absent 2 5"))
    await say(("giờ 19:30 3/12" if film.t.lang == "vi" else "time 19:30 3/12"))
    await say(await _choice(film, z, ":done"))
    await say(await _choice(film, z, ":save"))
    saved = await roll_calls.get(film.db, cell.id, "2026-12", roll_calls.START)
    if saved is not None:
        film.count(N_("roll calls saved"))


async def _choice(film, z, action: str) -> str:
    """What the person types for the option of the latest list whose button does `action` (its number or
    letter, as the list shows it)."""
    local = await zalo.local_id(film.db, z.zalo_id, codec.instant(film.clock.now()))
    options = await zalo.option_list(film.db, local)
    return next(key for key, data in options.options.items() if data.endswith(action))
