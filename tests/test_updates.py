"""PerChatUpdateProcessor (bot/core/updates.py): each chat's updates in order, different chats at once."""

from __future__ import annotations

import asyncio

from telegram import Chat, Message, Update, User

from bot.core.updates import PerChatUpdateProcessor


def _update(update_id: int, chat_id: int) -> Update:
    user = User(chat_id, "U", is_bot=False)
    message = Message(update_id, date=None, chat=Chat(chat_id, "private"), from_user=user, text="x")
    return Update(update_id, message=message)


async def test_each_chats_updates_in_order_and_chats_at_once():
    processor = PerChatUpdateProcessor(16)
    log: list[tuple[str, int, int]] = []

    async def handle(update_id: int, chat_id: int, seconds: float) -> None:
        log.append(("start", chat_id, update_id))
        await asyncio.sleep(seconds)
        log.append(("end", chat_id, update_id))

    # Chat 1's first update is slow; its second must wait for it, chat 2's must not.
    plan = [(1, 1, 0.3), (2, 1, 0.0), (3, 2, 0.0), (4, 1, 0.0), (5, 2, 0.0)]
    tasks = [asyncio.create_task(processor.process_update(_update(u, c), handle(u, c, s))) for u, c, s in plan]
    await asyncio.gather(*tasks)
    chat_one = [entry for entry in log if entry[1] == 1]
    assert chat_one == [("start", 1, 1), ("end", 1, 1), ("start", 1, 2), ("end", 1, 2),
                        ("start", 1, 4), ("end", 1, 4)]
    # Chat 2 was done while chat 1's slow update was still going.
    assert log.index(("end", 2, 5)) < log.index(("end", 1, 1))
    assert not processor._lines   # nothing kept for chats with nothing under way


async def test_an_update_without_a_chat_or_user_is_handled_at_once():
    processor = PerChatUpdateProcessor(4)
    done = []

    async def handle() -> None:
        done.append(True)

    await processor.process_update(object(), handle())
    assert done == [True]
