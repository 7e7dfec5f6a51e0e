"""The application's rate limiter (bot/delivery/rate_limit.py) paces its replies through the token's send
budget, under the strict per-chat window python-telegram-bot's own AIORateLimiter leaves out."""

from __future__ import annotations

import asyncio

import pytest
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from bot.core.config import SenderConfig
from bot.delivery.pacing import budget_for
from bot.delivery.rate_limit import SharedBudgetRateLimiter
from bot.delivery.http import tls_context

from tests.fixtures.localapi import LOCALAPI_TOKEN

USER = 4242


def _bot(server, limiter) -> ExtBot:
    return ExtBot(LOCALAPI_TOKEN, base_url=server.base_url, base_file_url=server.base_file_url,
                  rate_limiter=limiter,
                  request=HTTPXRequest(connection_pool_size=32, httpx_kwargs={"verify": tls_context()}))


@pytest.fixture
async def chat(localapi, localapi_client):
    # A sped-up Telegram so that the test takes about a second: 3 messages to one chat in any 0.6 s.
    localapi.limits.per_chat_count, localapi.limits.per_chat_window = 3, 0.6
    await localapi_client.create_user(USER, "Lan", started=True)
    return localapi_client


async def _burst(bot, count: int):
    async with bot:
        return await asyncio.gather(*(bot.send_message(USER, f"tin {i}") for i in range(count)),
                                    return_exceptions=True)


def _limiter(server, config: SenderConfig, **kwargs) -> SharedBudgetRateLimiter:
    return SharedBudgetRateLimiter(token=LOCALAPI_TOKEN, api_root=server.base_url, config=config, **kwargs)


async def test_a_burst_of_replies_to_one_chat_draws_no_429(localapi, chat):
    config = SenderConfig(per_chat_interval_seconds=0.2, per_chat_burst=3)
    results = await _burst(_bot(localapi, _limiter(localapi, config, max_retries=0)), 7)
    assert not [r for r in results if isinstance(r, Exception)]
    assert localapi.stats(LOCALAPI_TOKEN)["rate_limited"] == 0
    texts = [m.text for m in await chat.messages(USER) if m.from_bot]
    assert sorted(texts) == sorted(f"tin {i}" for i in range(7))
    assert budget_for(LOCALAPI_TOKEN, localapi.base_url, config).granted["interactive"] == 7


async def test_without_it_the_same_burst_is_refused(localapi, chat):
    results = await _burst(_bot(localapi, AIORateLimiter(max_retries=0)), 7)
    assert any(isinstance(r, RetryAfter) for r in results)
    assert localapi.stats(LOCALAPI_TOKEN)["rate_limited"] > 0


async def test_a_reply_lost_to_a_network_error_is_sent_again(localapi, chat):
    from bot.sandbox.localapi import FaultPlan

    localapi.faults = FaultPlan(rate=1.0, kinds=("5xx", "drop"), seed=3)
    bot = _bot(localapi, _limiter(localapi, SenderConfig(per_chat_interval_seconds=0.01)))
    async with bot:
        sent = asyncio.create_task(bot.send_message(USER, "trả lời"))
        while len(localapi.faults.injected) < 2:   # two faults in a row, then the server heals
            await asyncio.sleep(0.01)
        localapi.faults.enabled = False
        assert (await sent).text == "trả lời"
    delivered_unheard = len(localapi.faults.applied())
    texts = [m.text for m in await chat.messages(USER) if m.from_bot]
    assert texts == ["trả lời"] * (1 + delivered_unheard)   # a second copy only where a drop came after sending


async def test_an_edit_refused_as_done_after_a_lost_answer_counts_as_done(localapi, chat):
    from bot.sandbox.localapi import FaultPlan

    bot = _bot(localapi, _limiter(localapi, SenderConfig(per_chat_interval_seconds=0.01)))
    async with bot:
        message = await bot.send_message(USER, "trước")
        # The edit is applied, then its connection dropped; tried again, Telegram says "not modified".
        localapi.faults = FaultPlan(rate=1.0, kinds=("timeout",), hold_seconds=0.0, seed=1)
        edit = asyncio.create_task(bot.edit_message_text("sau", chat_id=USER, message_id=message.message_id))
        while not localapi.faults.injected:
            await asyncio.sleep(0.005)
        localapi.faults.enabled = False
        assert await edit is True
    assert [m.text for m in await chat.messages(USER) if m.from_bot] == ["sau"]
