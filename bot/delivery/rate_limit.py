"""The application's rate limiter: its direct replies and edits take their turns from the token's one send
budget (bot/delivery/pacing.py), shared with the outbox sender, as INTERACTIVE requests — a person's own
action being answered goes before any broadcast copy still waiting.

A 429 that comes anyway is retried (up to `max_retries`) after Telegram's `retry_after`, and slows the
whole budget down, the sender included. A network error (a 5xx, a time-out, a dropped connection) is
retried too, after a short wait: the person's answer is not lost to one bad request. If the first try had
reached Telegram after all, a message may arrive twice (one extra copy per fault), and an edit, a delete
or a callback answer tried again is refused as already done — which is what it is, so it counts as done.
`getUpdates` never comes through here (python-telegram-bot).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from datetime import timedelta
from typing import Any, Callable, Coroutine

from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

from bot.core.config import SenderConfig
from bot.delivery.pacing import SendBudget, budget_for

# The methods that put a new message into a chat: they count overall and per chat.
SENDING_METHODS = frozenset({
    "sendMessage", "sendDocument", "sendPhoto", "sendMediaGroup", "sendVideo", "sendAudio", "sendVoice",
    "sendAnimation", "sendSticker", "sendLocation", "sendContact", "sendPoll", "copyMessage", "forwardMessage",
})
# The methods that change a message: counted overall (Telegram limits edits too; to be safe they take a
# turn like a send), not per chat.
EDITING_METHODS = frozenset({"editMessageText", "editMessageCaption", "editMessageReplyMarkup", "editMessageMedia"})
# The answers to a person that are tried again after a network error, and the waits before each try
# (then it is given up: the error handler tells the person). Not the start-up calls (getMe and the like):
# an unreachable server there is said at once.
RETRIED_METHODS = SENDING_METHODS | EDITING_METHODS | {"answerCallbackQuery", "deleteMessage"}
NETWORK_RETRY_WAITS = (0.25, 0.5, 1.0)
# Telegram's refusals of a request tried again after its first try took effect unheard: done already.
_ALREADY_DONE = ("message is not modified", "message to delete not found", "query is too old")

log = logging.getLogger(__name__)


def retry_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():   # PTB 22 warns that the int form will become a timedelta
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _chat_of(data: dict[str, Any]) -> Any:
    chat_id = data.get("chat_id")
    with contextlib.suppress(ValueError, TypeError):
        return str(int(chat_id))  # type: ignore[arg-type]   # the sender names chats as strings too
    return chat_id


class SharedBudgetRateLimiter(BaseRateLimiter[int]):
    """Paces the application's requests through the send budget of `token` on `api_root`."""

    def __init__(self, *, token: str, api_root: str, config: SenderConfig, max_retries: int = 3) -> None:
        self._token = token
        self._api_root = api_root
        self._config = config
        self._max_retries = max_retries

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @property
    def budget(self) -> SendBudget:
        return budget_for(self._token, self._api_root, self._config)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        counted = endpoint in SENDING_METHODS or endpoint in EDITING_METHODS
        chat = _chat_of(data) if endpoint in SENDING_METHODS else None
        attempt = 0
        network_failures = 0
        while True:
            budget = self.budget
            if counted:
                await budget.acquire(chat, interactive=True)
            try:
                result = await callback(*args, **kwargs)
            except RetryAfter as error:
                budget.flood_wait(retry_seconds(error), chat)
                if attempt >= self._max_retries:
                    raise
                attempt += 1
                continue
            except BadRequest as error:   # (a NetworkError: caught first)
                if network_failures and any(words in error.message.lower() for words in _ALREADY_DONE):
                    log.info("%s was done already by the try that failed: %s", endpoint, error.message)
                    return True
                raise
            except NetworkError as error:
                if endpoint not in RETRIED_METHODS or network_failures >= len(NETWORK_RETRY_WAITS):
                    raise
                log.warning("%s failed (%s: %s); trying again in %.2f s%s", endpoint, type(error).__name__, error,
                            NETWORK_RETRY_WAITS[network_failures],
                            " (it may arrive twice)" if endpoint in SENDING_METHODS else "")
                await asyncio.sleep(NETWORK_RETRY_WAITS[network_failures])
                network_failures += 1
                continue
            if counted:
                budget.went_through()
            return result
