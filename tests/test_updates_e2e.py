"""Updates of different chats are handled at once, each chat's in order (bot/core/updates.py): a chat
whose replies wait for their turn (here: the per-chat limit, 3 messages in any 3 s) holds up nobody else."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.e2e


async def test_a_throttled_chat_does_not_delay_another_chats_answer(e2e):
    # Telegram's own per-chat figures for the bot here (the e2e fixture loosens them), on its live budget.
    e2e.config.sender.per_chat_burst, e2e.config.sender.per_chat_interval_seconds = 3, 1.0
    busy_person, other_person = await e2e.people("secretary", ward="Nam Ngạn", limit=2)
    busy = await e2e.chat_as(busy_person)
    other = await e2e.chat_as(other_person)
    for n in range(6):   # six messages at once, each answered with one message
        await e2e.api.send_text(busy.user_id, f"xin chào {n}")
    first = await busy.replies(3)            # the chat's room for 3 s is used up now
    started = time.monotonic()
    await other.send("xin chào")
    answer = await other.reply(timeout=10)
    waited = time.monotonic() - started
    assert answer.text == first[0].text      # the same answer to the same words
    assert waited < 1.0, f"the other chat waited {waited:.2f} s behind the throttled one"
    assert len(await busy.bot_messages()) == 3   # meanwhile the busy chat was still waiting its turn
    # The busy chat still gets every answer, in the order it wrote.
    later = await busy.replies(3, timeout=15)
    assert len(later) == 3
    busy_texts = [m.text for m in await busy.messages() if not m.from_bot]
    assert busy_texts == [f"xin chào {n}" for n in range(6)]
