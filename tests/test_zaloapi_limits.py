"""The local Zalo server's quota: 429 "Quota exceeded" beyond 1 send per chat per second or 30 per bot
per second (the default; Zalo publishes no rate), nothing stored for a refused send, refusals of other
kinds use none of the quota, and the quota can be switched off."""

from __future__ import annotations

import pytest

from bot.sandbox.zaloapi import ZaloLimits
from tests.fixtures.zaloapi import ZALO_TOKEN, zalo, zalo_bot, zalo_users  # noqa: F401  (fixtures)


async def _people(zalo_users, count: int) -> list[str]:
    ids = []
    for n in range(count):
        uid = await zalo_users.create_user(f"Người {n}")
        await zalo_users.send_text(uid, "chào")
        ids.append(uid)
    return ids


async def test_a_second_send_to_one_chat_within_a_second_is_quota_exceeded(zalo, zalo_bot, zalo_users):
    assert (zalo.limits.per_chat_count, zalo.limits.per_chat_window) == (1, 1.0)
    zalo.limits.per_chat_window = 60.0   # so a slow machine cannot spread the two sends a second apart
    [uid] = await _people(zalo_users, 1)
    await zalo_bot.ok("sendMessage", chat_id=uid, text="một")
    status, body = await zalo_bot.call("sendMessage", chat_id=uid, text="hai")
    assert (status, body) == (429, {"ok": False, "error_code": 429, "description": "Quota exceeded"})
    assert [m.text for m in await zalo_users.messages(uid)] == ["một"]
    assert zalo.stats(ZALO_TOKEN)["rate_limited"] == 1


async def test_more_than_30_sends_a_second_over_all_chats_are_refused(zalo, zalo_bot, zalo_users):
    assert (zalo.limits.global_count, zalo.limits.global_window) == (30, 1.0)
    zalo.limits = ZaloLimits(global_window=60.0)   # a wide window, so a slow machine cannot spread the sends out
    people = await _people(zalo_users, 31)
    answers = [await zalo_bot.call("sendMessage", chat_id=uid, text="thông báo") for uid in people]
    assert [status for status, _ in answers] == [200] * 30 + [429]


async def test_a_refused_send_uses_none_of_the_quota(zalo_bot, zalo_users):
    [uid] = await _people(zalo_users, 1)
    assert (await zalo_bot.call("sendMessage", chat_id=uid, text="x" * 2001))[0] == 400
    await zalo_bot.ok("sendMessage", chat_id=uid, text="một")


@pytest.mark.parametrize("method,params", [("sendMessage", {"text": "a"}),
                                           ("sendSticker", {"sticker": "0e078a2fb66a5f34067b"})])
async def test_the_quota_can_be_switched_off(zalo, zalo_bot, zalo_users, method, params):
    zalo.limits.enabled = False
    [uid] = await _people(zalo_users, 1)
    for _ in range(5):
        await zalo_bot.ok(method, chat_id=uid, **params)
    assert len(await zalo_users.messages(uid)) == 5
