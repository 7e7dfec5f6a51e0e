"""How the application takes its updates: different chats at the same time, each chat's in order.

python-telegram-bot handles updates one after another unless told otherwise; then a handler that waits
(for its send turn, a 429, a slow query) holds up every person. `PerChatUpdateProcessor` runs up to
`max_concurrent_updates` at once but never two of one chat (or, without a chat, of one user): the
conversations (ConversationHandler, keyed by chat and user) and the drafts see each person's updates in the
order they came, as they assume.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


def _key(update: object) -> Any:
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return ("chat", update.effective_chat.id)
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
    return None   # nothing to keep in order with


class _Line:
    """A chat's queue: its lock (first come, first served) and how many of its updates hold or wait."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.updates = 0


class PerChatUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._lines: dict[Any, _Line] = {}

    async def process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        # The application starts one task per update in the order they came; each takes its place in its
        # chat's line before it can be overtaken, then waits for the overall limit of updates at once.
        key = _key(update)
        if key is None:
            await super().process_update(update, coroutine)
            return
        line = self._lines.setdefault(key, _Line())
        line.updates += 1
        try:
            async with line.lock:
                await super().process_update(update, coroutine)
        finally:
            line.updates -= 1
            if not line.updates:
                del self._lines[key]   # nobody else in this chat's line

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await coroutine

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
