"""The inbox (bot/core/updates.py, storage/inbox.py) on both channels, in one process: an update a killed
bot had applied and not yet marked handled is handed over again at the restart, and changes nothing twice —
the person is shown where they are. (The kills themselves: tests/test_faults_kill_e2e.py.)"""

from __future__ import annotations

import inspect
from datetime import datetime

import pytest

from bot.core.clock import VN_TZ
from handlers import common
from storage import accounts, drafts
from tests.test_roll_call_e2e import cell_of_size, member_button

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif("platform" not in inspect.signature(common.load_actor).parameters,
                       reason="needs the handlers' accounts looked up by platform (branch zalo-routing)"),
]


async def applied_but_not_marked(h, platform: str) -> int:
    """As a kill between the commit of the newest update and its "handled" mark leaves the inbox."""
    await h.stop_app()
    update_id = await h.db.fetchval("SELECT max(update_id) FROM inbox WHERE platform = ?", (platform,))
    async with h.db.transaction() as conn:
        await conn.execute("UPDATE inbox SET handled_at = NULL WHERE platform = ? AND update_id = ?",
                           (platform, update_id))
    return update_id


def mark_of(message, number: int) -> str:
    """✅ or ❌ (…): how member `number` shows on the roll call's buttons."""
    return next(label for row in message.buttons for label, data in row if data.endswith(f":t:{number}"))[0]


async def roll_call_list(s) -> str:
    """The Zalo user's next roll-call list (the day's reminder, sent at the start-up, may come first)."""
    for _ in range(3):
        text = (await s.reply()).text
        if " 3. " in text:
            return text
    raise AssertionError(f"no roll-call list; last: {text!r}")


async def unhandled(h) -> int:
    return await h.db.fetchval("SELECT count(*) FROM inbox WHERE handled_at IS NULL")


async def test_a_tap_applied_before_a_kill_is_shown_again_not_undone(e2e):
    h = e2e
    h.clock.set(datetime(2026, 12, 3, 19, 30, tzinfo=VN_TZ))
    cell = await cell_of_size(h.db, 30)
    secretary = await h.person("secretary", cell=cell.id)
    u = await h.chat_as(secretary)
    await u.send("điểm danh")
    listed = await u.reply()
    await u.press(member_button(listed, 3), listed)
    assert mark_of(await u.reply(), 3) == "❌"
    update_id = await applied_but_not_marked(h, "telegram")
    account = await accounts.get_for_person(h.db, secretary.id, platform=accounts.TELEGRAM)
    assert (await drafts.load(h.db, account.id)).update_id == update_id

    await h.restart()
    # the list as it is, as a new message (the day's reminder may come before or after it)
    again = await u.wait_for(lambda m: any(d.endswith(":t:3") for row in m.buttons for _l, d in row))
    assert (mark_of(again, 3), mark_of(again, 4)) == ("❌", "✅")
    await u.press(member_button(again, 4), again)  # and the person goes on from there
    after = await u.reply()
    assert (mark_of(after, 3), mark_of(after, 4)) == ("❌", "❌")
    await h.settled()
    assert await unhandled(h) == 0                 # the one replayed too (each chat's in order)


async def test_on_zalo_a_number_applied_before_a_kill_is_shown_again_not_undone(e2e_zalo):
    h = e2e_zalo
    h.clock.set(datetime(2026, 12, 3, 19, 30, tzinfo=VN_TZ))
    cell = await cell_of_size(h.db, 30)
    s = await h.zalo_as(await h.person("secretary", cell=cell.id))
    await s.send("điểm danh")
    await s.reply()
    await s.send("3")                              # member 3's button, by its number
    assert "\n❌ 3. " in (await s.reply()).text
    await applied_but_not_marked(h, "zalo")

    await h.restart()
    again = await roll_call_list(s)
    assert "\n❌ 3. " in again and "\n✅ 4. " in again
    await s.send("vắng 4")                         # (its typed form: the reminder's options may be the last)
    after = await roll_call_list(s)
    assert "\n❌ 3. " in after and "\n❌ 4. " in after
    await h.zalo_settled()
    assert await unhandled(h) == 0
