"""The local Bot API server's memory and user side, without HTTP (bot/sandbox/localapi/state.py,
bot/sandbox/localapi/user_side.py)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.sandbox.localapi import user_side
from bot.sandbox.localapi.errors import UserSideError
from bot.sandbox.localapi.state import BotState, Signal


@pytest.fixture
def bot(clock):
    state = BotState("4242:STATE", username="state_bot", first_name="State", clock=clock)
    user_side.create_user(state, {"user_id": 7, "first_name": "Lan", "language_code": "vi"})
    return state


def test_bot_id_comes_from_the_token(bot):
    assert bot.id == 4242
    assert bot.user_json() == {"id": 4242, "is_bot": True, "first_name": "State", "username": "state_bot"}


def test_user_text_becomes_a_message_update_dated_by_the_clock(bot, clock):
    sent = user_side.send_text(bot, {"user_id": 7, "text": "/start abc"})
    assert sent["date"] == int(clock.now().timestamp())
    assert sent["from"] == {"id": 7, "is_bot": False, "first_name": "Lan", "language_code": "vi"}
    assert sent["chat"] == {"id": 7, "type": "private", "first_name": "Lan"}
    assert sent["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert list(bot.updates) == [{"update_id": 1, "message": sent}]
    assert bot.users[7].started


def test_offsets_confirm_updates(bot):
    for text in ("a", "b", "c"):
        user_side.send_text(bot, {"user_id": 7, "text": text})
    bot.confirm_updates(2)
    assert [u["update_id"] for u in bot.updates] == [2, 3]
    bot.confirm_updates(-1)
    assert [u["update_id"] for u in bot.updates] == [3]
    bot.confirm_updates(0)
    assert [u["update_id"] for u in bot.updates] == [3]
    bot.confirm_updates(4)
    assert not bot.updates


def test_allowed_updates_filter(bot):
    bot.allowed_updates = ["callback_query"]
    user_side.send_text(bot, {"user_id": 7, "text": "dropped"})
    assert not bot.updates
    user_side.press_button(bot, {"user_id": 7, "message_id": 1, "callback_data": "x"})
    assert [list(u)[1] for u in bot.updates] == ["callback_query"]


def test_a_forged_press_is_delivered_and_a_missing_message_is_inaccessible(bot):
    query_id = user_side.press_button(bot, {"user_id": 7, "message_id": 99, "callback_data": "admin:delete:1"})
    update = bot.updates[-1]["callback_query"]
    assert update["id"] == query_id["callback_query_id"]
    assert update["data"] == "admin:delete:1"
    assert update["message"] == {"message_id": 99, "chat": {"id": 7, "type": "private", "first_name": "Lan"}, "date": 0}


def test_contact_carries_the_users_own_id_unless_told_otherwise(bot):
    own = user_side.share_contact(bot, {"user_id": 7, "phone_number": "0912345678"})
    assert own["contact"] == {"phone_number": "0912345678", "first_name": "Lan", "user_id": 7}
    card = user_side.share_contact(bot, {"user_id": 7, "phone_number": "0987654321", "contact_user_id": None,
                                         "first_name": "Minh"})
    assert card["contact"] == {"phone_number": "0987654321", "first_name": "Minh"}


def test_unknown_user_is_a_user_side_error(bot):
    with pytest.raises(UserSideError):
        user_side.send_text(bot, {"user_id": 8, "text": "hi"})


def test_create_user_again_updates_and_keeps_the_chat(bot):
    user_side.send_text(bot, {"user_id": 7, "text": "hello"})
    user_side.create_user(bot, {"user_id": 7, "first_name": "Lan B", "language_code": "en"})
    assert bot.users[7].first_name == "Lan B" and bot.users[7].started
    assert len(bot.chats[7].messages) == 1


async def test_wait_returns_when_the_bot_changes_the_chat(bot, clock):
    chat = bot.chats[7]
    waiter = asyncio.create_task(user_side.wait(bot, {"user_id": 7, "since_version": 0, "timeout": 5}))
    await asyncio.sleep(0)
    assert not waiter.done()
    clock.advance(timedelta(minutes=1))
    bot.add_message(chat, from_bot=True, kind="text", text="Chào đồng chí")
    result = await asyncio.wait_for(waiter, 1)
    assert result["version"] == 1
    assert [m["text"] for m in result["messages"]] == ["Chào đồng chí"]
    assert result["messages"][0]["date"] == int(clock.now().timestamp())


async def test_wait_times_out_with_the_same_version(bot):
    result = await user_side.wait(bot, {"user_id": 7, "since_version": 0, "timeout": 0.05})
    assert result == {"version": 0, "messages": []}


async def test_signal_wakes_every_waiter():
    signal = Signal()
    state = {"ready": False}
    waiters = [asyncio.create_task(signal.wait_until(lambda: state["ready"], 5)) for _ in range(3)]
    await asyncio.sleep(0)
    state["ready"] = True
    signal.notify()
    assert await asyncio.wait_for(asyncio.gather(*waiters), 1) == [True, True, True]
    assert await signal.wait_until(lambda: False, 0.01) is False
