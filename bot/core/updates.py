"""How the application takes its updates: different chats at the same time, each chat's in order.

python-telegram-bot handles updates one after another unless told otherwise; then a handler that waits
(for its send turn, a 429, a slow query) holds up every person. `PerChatUpdateProcessor` runs up to
`max_concurrent_updates` at once but never two of one chat (or, without a chat, of one user): the
conversations (ConversationHandler, keyed by chat and user) and the drafts see each person's updates in the
order they came, as they assume.

`InboxQueue`, the application's update queue, writes each update to the inbox (storage/inbox.py) as it
is put there — by PTB's polling, before its next getUpdates confirms it to the server, or by a webhook
receiver, before it answers — and `replay_unhandled` puts back, at start-up, those a killed bot had taken
and not finished (handlers/handled.py marks them done). An update replayed that had changed a draft before
the kill is known by the draft (`Draft.applied`; handlers/common.py): it changes nothing twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import Application, BaseUpdateProcessor

from bot.core.context import AppContext
from storage import codec, drafts, inbox

log = logging.getLogger(__name__)

# Handled updates are kept this long (the server has long been told it may forget them), then forgotten
# at the next start-up.
KEEP_HANDLED = timedelta(days=1)


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


# Updates handled at once. Not PTB's 256: when a crowd acts together (612 leaders taking the roll call in
# the same minute), most handlers wait for their send turn, seconds behind each other, and with 256 the
# next people's updates waited for a place before they could even queue for a turn — half a second at the
# median, five at the 99th percentile (benchmarks/bench_burst.py). A waiting handler costs a few kilobytes.
MAX_CONCURRENT_UPDATES = 4096


class PerChatUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        self._lines: dict[Any, _Line] = {}

    async def process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        # (This task's own context: what its handlers save is noted as this update's doing.)
        drafts.APPLYING.set(update.update_id if isinstance(update, Update) else None)
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


class InboxQueue(asyncio.Queue):
    """The application's update queue, each update written to the inbox before it is queued."""

    def __init__(self, ctx: AppContext, platform: str) -> None:
        super().__init__()
        self.ctx, self.platform = ctx, platform
        self.replayed: set[int] = set()   # the update ids put back at start-up, not yet seen by a handler

    async def put(self, item: object) -> None:
        if isinstance(item, Update):
            now = codec.instant(self.ctx.clock.now())
            try:
                if not await inbox.add(self.ctx.db, self.platform, item.update_id, item.to_json(), now):
                    return   # the server's second copy of one the inbox has (and hands on itself)
            except Exception:
                # Better handled unrecorded than not at all (PTB would stop polling on this error).
                log.warning("update %s not written to the inbox", item.update_id, exc_info=True)
        await super().put(item)

    def is_replay(self, update_id: int) -> bool:
        """Whether this update is one put back at start-up (asked once per update, by its first handler)."""
        if update_id in self.replayed:
            self.replayed.discard(update_id)
            return True
        return False


async def replay_unhandled(application: Application) -> int:
    """Before the updates start: put back on the queue, in order, what was taken and not handled before
    the last stop (a kill); forget what was handled long ago. How many were put back."""
    queue = application.update_queue
    if not isinstance(queue, InboxQueue):
        return 0
    ctx = queue.ctx
    await inbox.prune(ctx.db, codec.instant(ctx.clock.now() - KEEP_HANDLED))
    entries = await inbox.unhandled(ctx.db, queue.platform)
    for entry in entries:
        update = Update.de_json(json.loads(entry.data), application.bot)
        queue.replayed.add(update.update_id)
        queue.put_nowait(update)   # (already in the inbox)
    if entries:
        log.info("%d %s updates taken before a stop and not handled: handled now", len(entries), queue.platform)
    return len(entries)
