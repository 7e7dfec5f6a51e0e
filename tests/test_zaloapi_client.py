"""The Zalo server's user-side client and the server's life: refusals of the user side, a stop that
answers the waiting long poll, a restart that keeps the chats."""

from __future__ import annotations

import asyncio

import pytest

from bot.sandbox.zaloapi import ZaloApiClient, ZaloApiError, ZaloLocalApi
from tests.fixtures.zaloapi import ZALO_TOKEN, BotSide, polls, until, zalo, zalo_users  # noqa: F401  (fixtures)


async def test_the_user_side_refuses_an_unknown_user_and_a_nameless_one(zalo_users):
    with pytest.raises(ZaloApiError, match="unknown user ffff"):
        await zalo_users.send_text("ffff", "chào")
    with pytest.raises(ZaloApiError, match="display_name is required"):
        await zalo_users.create_user("")


async def test_create_user_with_an_id_keeps_it_and_a_second_call_renames(zalo_users):
    assert await zalo_users.create_user("An", user_id="7f3a9c21d0e4b85a") == "7f3a9c21d0e4b85a"
    await zalo_users.create_user("Nguyễn Văn An", user_id="7f3a9c21d0e4b85a")
    assert await zalo_users.users() == [{"id": "7f3a9c21d0e4b85a", "display_name": "Nguyễn Văn An", "wrote": False,
                                         "typing": 0}]


async def test_a_stop_answers_the_waiting_poll_and_a_restart_keeps_the_chats(clock):
    server = ZaloLocalApi(clock=clock)
    await server.start()
    bot = BotSide(server.base_url)
    try:
        async with ZaloApiClient(server.user_url, ZALO_TOKEN) as users:
            uid = await users.create_user("An")
            await users.send_text(uid, "một")
            await bot.ok("getUpdates", timeout=1)
            waiting = asyncio.ensure_future(bot.call("getUpdates", timeout=30))
            await until(lambda: polls(server) == 2)
            await server.stop()
            assert (await asyncio.wait_for(waiting, 5))[0] == 408
            await server.start()
            await bot.ok("sendMessage", chat_id=uid, text="vẫn còn")
            assert [m.shown for m in await users.chat(uid)] == ["một", "vẫn còn"]
    finally:
        await bot.http.aclose()
        await server.stop()
