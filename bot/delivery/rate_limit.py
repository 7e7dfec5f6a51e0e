"""The application's rate limiter: python-telegram-bot's AIORateLimiter (Telegram's overall limit, group
limits, 429 retries) plus the limit it leaves out — about one message per second to one private chat.

Without it, a handler that answers with several messages in a row (a preview, then its buttons, then the
menu) draws a 429 from Telegram, and AIORateLimiter's retry then holds every other request of the bot
while it waits. Short bursts are allowed, as Telegram allows them; the sustained rate is what is limited.
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Coroutine

from aiolimiter import AsyncLimiter
from telegram.ext import AIORateLimiter

# The methods that put a new message into a chat (edits and callback answers are not limited this way).
SENDING_METHODS = frozenset({
    "sendMessage", "sendDocument", "sendPhoto", "sendMediaGroup", "sendVideo", "sendAudio", "sendVoice",
    "sendAnimation", "sendSticker", "sendLocation", "sendContact", "sendPoll", "copyMessage", "forwardMessage",
})


class ChatPacedRateLimiter(AIORateLimiter):
    def __init__(self, *, overall_max_rate: float, per_chat_interval: float, per_chat_burst: int = 3,
                 max_retries: int = 3) -> None:
        super().__init__(overall_max_rate=overall_max_rate, max_retries=max_retries)
        self._per_chat_interval = per_chat_interval
        self._per_chat_burst = per_chat_burst
        self._chats: dict[int, AsyncLimiter] = {}

    def _chat_limiter(self, data: dict[str, Any], endpoint: str) -> AsyncLimiter | None:
        if endpoint not in SENDING_METHODS or self._per_chat_interval <= 0:
            return None
        chat_id = data.get("chat_id")
        with contextlib.suppress(ValueError, TypeError):
            chat_id = int(chat_id)  # type: ignore[arg-type]
        if not isinstance(chat_id, int) or chat_id < 0:
            return None  # groups and channels: AIORateLimiter's group limit applies
        limiter = self._chats.get(chat_id)
        if limiter is None:
            limiter = AsyncLimiter(self._per_chat_burst, self._per_chat_burst * self._per_chat_interval)
            self._chats[chat_id] = limiter
        return limiter

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        limiter = self._chat_limiter(data, endpoint)
        if limiter is not None:
            await limiter.acquire()
        return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
