"""The Zalo adapter's errors as python-telegram-bot raises them, against the local Zalo server: a revoked
token is InvalidToken, a server that cannot be reached is NetworkError, a 429 is RetryAfter with the
adapter's growing back-off (Zalo gives none)."""

from __future__ import annotations

import pytest
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter

from bot.delivery.rate_limit import retry_seconds

pytestmark = pytest.mark.e2e


async def test_zalo_errors_become_ptbs(e2e_zalo):
    h = e2e_zalo
    bot = h.channels.zalo_bot          # the outbox sender's Zalo bot: no rate limiter retrying for it
    z = await h.zalo_as(await h.person("secretary"))
    chat_id = int((await h.db.fetchval("SELECT local_id FROM zalo_ids WHERE zalo_id = ?", (z.zalo_id,))))
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message(987654, "?")
    h.zalo_server.limits.per_chat_count, h.zalo_server.limits.per_chat_window = 1, 60.0
    await bot.send_message(chat_id, "một")
    waits = []
    for _ in range(2):
        with pytest.raises(RetryAfter) as raised:
            await bot.send_message(chat_id, "hai")
        waits.append(retry_seconds(raised.value))
    assert waits == [h.config.zalo.backoff_seconds, 2 * h.config.zalo.backoff_seconds]   # grows on repeats
    assert [m.text for m in await z.bot_messages()] == ["một"]
    h.zalo_server.revoke(h.config.zalo.token)
    with pytest.raises(InvalidToken):
        await bot.get_me()
    await h.zalo_server.stop()
    with pytest.raises(NetworkError):
        await bot.get_me()
