"""A person who blocked the bot comes back: unblocking it (Telegram's `my_chat_member` update) or writing
to it again marks the account reachable, and the next reminder reaches them."""

from __future__ import annotations

import pytest

from bot.reminders import scheduler
from storage import accounts, outbox
from tests.test_reminders_e2e import a_ward, settled, vn

pytestmark = pytest.mark.e2e


async def _unreachable(h, user) -> bool:
    return (await accounts.get_by_external(h.db, user.user_id, platform=accounts.TELEGRAM)).unreachable


async def _secretary(h):
    _ward, cells = await a_ward(h)
    person = await h.person("secretary", cell=cells[0].id)
    return cells, person, await h.chat_as(person)


async def test_block_unblock_and_start_again_and_the_3rds_reminder_reaches_them(e2e):
    h = e2e
    cells, person, s = await _secretary(h)
    deputy = await h.chat_as(await h.person("deputy", cell=cells[0].id))
    await s.block()
    await s.settled()
    assert await _unreachable(h, s)  # told by Telegram at once, before any send fails
    # The 2nd's reminder is not wasted on them.
    h.clock.set(vn(2026, 12, 2, 7, 0))
    await scheduler.tick(h.ctx, h.clock.now())
    rows = await outbox.by_ref(h.db, "reminder:committee:2026-12")
    assert {row.person_id for row in rows} == {deputy.person.id}

    await s.unblock()
    await s.send("/start")
    await s.reply()
    await s.settled()
    assert not await _unreachable(h, s)

    h.clock.set(vn(2026, 12, 3, 7, 0))
    await scheduler.tick(h.ctx, h.clock.now())
    queued = await outbox.by_ref(h.db, "reminder:meeting:2026-12")
    rows = await settled(h.db, "reminder:meeting:2026-12", len(queued))
    assert [row.status for row in rows if row.person_id == person.id] == ["sent"]
    await s.wait_for(lambda m: "Thứ Năm, 3 tháng 12, 2026" in m.text and m.buttons)


async def test_a_403_marks_them_unreachable_and_any_message_from_them_brings_them_back(e2e):
    h = e2e
    _cells, _person, s = await _secretary(h)
    account = await accounts.get_by_external(h.db, s.user_id, platform=accounts.TELEGRAM)
    await accounts.set_unreachable(h.db, account.id)  # what the sender does on a 403
    await s.send("/menu")
    await s.reply()
    await s.settled()
    assert not await _unreachable(h, s)


async def test_unblocking_alone_makes_them_reachable(e2e):
    h = e2e
    _cells, _person, s = await _secretary(h)
    await s.block()
    await s.settled()
    assert await _unreachable(h, s)
    await s.unblock()
    await s.no_reply()  # nothing said to them: unblocking is not a request
    assert not await _unreachable(h, s)
