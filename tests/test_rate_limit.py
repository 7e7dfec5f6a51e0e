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
from bot.sandbox.localapi.client import shared_ssl_context

from tests.fixtures.localapi import LOCALAPI_TOKEN

USER = 4242


def _bot(server, limiter) -> ExtBot:
    return ExtBot(LOCALAPI_TOKEN, base_url=server.base_url, base_file_url=server.base_file_url,
                  rate_limiter=limiter,
                  request=HTTPXRequest(connection_pool_size=32, httpx_kwargs={"verify": shared_ssl_context()}))


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
