"""The demo's first part: people join. The secretary of cell Nguyễn Mộng Tuân 2 (ward Nam Ngạn) presses
/start and shares their phone; a ward staff member of Nam Ngạn does the same; a member whose Telegram
number is not the one on the list is refused politely, the ward staff member makes them an invite in
chat, and the invite link lets them in."""

from __future__ import annotations

import re

from bot.core.i18n import N_

WARD, CELL = "Nam Ngạn", "Nguyễn Mộng Tuân 2"
UNLISTED_PHONE = "0399 000 111"  # fictional, and outside the demo roster's block (0399 9xx xxx)


async def play(film) -> None:
    _ = film.gettext
    film.scene(_("People join by sharing their phone number"))

    secretary = await film.person("secretary", ward=WARD, cell=CELL)
    u = await film.chat_as(secretary, link=False)
    await u.send("/start")
    await u.reply()
    await u.contact()
    await u.reply()
    film.count(N_("people joined"))

    staff = await film.person("ward_staff", ward=WARD)
    s = await film.chat_as(staff, link=False)
    await s.send("/start")
    await s.reply()
    await s.contact()
    await s.reply()
    film.count(N_("people joined"))

    film.say(_("A member whose Telegram number is not the one on the list tries to join:"))
    member = next(p for p in await film.people("member", ward=WARD, cell=CELL) if p.phone)
    m = await film.chat_as(member, link=False)
    await m.send("/start")
    await m.reply()
    await m.contact(phone=UNLISTED_PHONE)
    await m.reply()
    film.count(N_("joins refused"))

    film.say(_("The ward staff member makes them an invite in chat:"))
    code = await make_invite(film, s, member)

    film.say(_("The member opens the link, which sends /start with the code:"))
    await m.send(f"/start {code}")
    await m.reply()
    film.count(N_("people joined"))


async def make_invite(film, staff, person) -> str:
    """The ward's staff member makes `person` an invite in chat (the menu's Invite, the name, the person's
    button); returns the code."""
    _ = film.gettext
    await staff.send(_("Invite"))
    await staff.reply()
    await staff.send(person.full_name)
    await staff.reply()
    await staff.press(f"inv:p:{person.id}")
    made = await staff.wait_for(lambda message: "start=" in (message.text or ""))
    film.count(N_("invites created"))
    return re.search(r"start=([A-Za-z0-9]+)", made.text).group(1)
