"""The local Zalo server's bot side as such: getMe, tokens (malformed or revoked → 401), unknown and
wrongly cased methods (404), GET or POST, the seeded network latency."""

from __future__ import annotations

import time

import httpx
import pytest

from bot.sandbox.zaloapi import Network, ZaloLocalApi
from tests.fixtures.zaloapi import ZALO_TOKEN, zalo, zalo_bot  # noqa: F401  (fixtures)


async def test_get_me_by_get_or_post(zalo_bot):
    expected = {"id": "1459232241454765289", "account_name": "shcb.bot", "account_type": "BASIC",
                "can_join_groups": False}
    assert await zalo_bot.ok("getMe", how="query") == expected
    assert await zalo_bot.ok("getMe") == expected


async def test_a_malformed_or_revoked_token_is_401(zalo, zalo_bot):
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{zalo.base_url}not-a-token/getMe")
    assert (response.status_code, response.json()) == (401, {"ok": False, "error_code": 401,
                                                             "description": "Unauthorized"})
    zalo.revoke(ZALO_TOKEN)
    assert (await zalo_bot.call("getMe"))[0] == 401


async def test_unknown_methods_and_wrong_case_are_404(zalo_bot):
    for name in ("sendDocument", "getme", "editMessageText"):
        status, body = await zalo_bot.call(name)
        assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"}), name


async def test_latency_delays_each_call_as_seeded():
    async with ZaloLocalApi(network=Network(0.05, 0.08, seed=3)) as server:
        async with httpx.AsyncClient() as http:
            started = time.monotonic()
            response = await http.get(f"{server.base_url}{ZALO_TOKEN}/getMe")
            assert response.status_code == 200
            assert time.monotonic() - started >= 0.05
    assert Network(0.05, 0.08, seed=3).latency() == Network(0.05, 0.08, seed=3).latency()


async def test_a_queued_failure_refuses_the_next_calls_and_changes_nothing(zalo, zalo_bot):
    users = zalo.bot(ZALO_TOKEN)
    uid = users.add_user(None, "An", wrote=True).id
    zalo.fail_next("sendMessage", 429)
    zalo.fail_next("sendMessage", 502)
    assert await zalo_bot.call("sendMessage", chat_id=uid, text="một") == (
        429, {"ok": False, "error_code": 429, "description": "Quota exceeded"})
    assert await zalo_bot.call("sendMessage", chat_id=uid, text="một") == (
        502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})
    await zalo_bot.ok("sendMessage", chat_id=uid, text="một")
    assert [m.text for m in users.users[uid].bot_messages()] == ["một"]


async def test_a_delayed_answer_times_the_client_out_on_a_message_that_was_sent(zalo):
    user = zalo.bot(ZALO_TOKEN).add_user(None, "An", wrote=True)
    zalo.delay_answers("sendMessage", 1.0)
    async with httpx.AsyncClient(timeout=0.2) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.post(f"{zalo.base_url}{ZALO_TOKEN}/sendMessage", json={"chat_id": user.id, "text": "muộn"})
    assert [m.text for m in user.bot_messages()] == ["muộn"]
