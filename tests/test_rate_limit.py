"""The application's rate limiter keeps a burst of replies to one chat under the per-chat limit that
python-telegram-bot's own AIORateLimiter leaves out."""

from __future__ import annotations

import asyncio

import pytest
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from bot.sandbox.localapi.client import shared_ssl_context
from bot.delivery.rate_limit import ChatPacedRateLimiter

from tests.fixtures.localapi import LOCALAPI_TOKEN

USER = 4242
# A sped-up Telegram, so that the test takes a second: 5 messages/s to one chat, bursts of 5 (the local
# server's default burst). The limiter's own burst (3) leaves room for requests overtaking each other.
PER_CHAT_RATE, PER_CHAT_BURST = 5.0, 5


def _bot(server, limiter) -> ExtBot:
    return ExtBot(LOCALAPI_TOKEN, base_url=server.base_url, base_file_url=server.base_file_url,
                  rate_limiter=limiter,
                  request=HTTPXRequest(connection_pool_size=32, httpx_kwargs={"verify": shared_ssl_context()}))


@pytest.fixture
async def chat(localapi, localapi_client):
    localapi.limits.per_chat_per_second = PER_CHAT_RATE
    localapi.limits.per_chat_burst = PER_CHAT_BURST
    await localapi_client.create_user(USER, "Lan", started=True)
    return localapi_client


async def _burst(bot, count: int):
    async with bot:
        return await asyncio.gather(*(bot.send_message(USER, f"tin {i}") for i in range(count)),
                                    return_exceptions=True)


async def test_a_burst_of_replies_to_one_chat_draws_no_429(localapi, chat):
    limiter = ChatPacedRateLimiter(overall_max_rate=30, per_chat_interval=1 / PER_CHAT_RATE, max_retries=0)
    results = await _burst(_bot(localapi, limiter), 12)
    assert not [r for r in results if isinstance(r, Exception)]
    assert localapi.stats(LOCALAPI_TOKEN)["rate_limited"] == 0
    texts = [m.text for m in await chat.messages(USER) if m.from_bot]
    assert sorted(texts) == sorted(f"tin {i}" for i in range(12))


async def test_without_it_the_same_burst_is_refused(localapi, chat):
    results = await _burst(_bot(localapi, AIORateLimiter(max_retries=0)), 12)
    assert any(isinstance(r, RetryAfter) for r in results)
    assert localapi.stats(LOCALAPI_TOKEN)["rate_limited"] > 0
