"""Which updates the application has finished handling: a handler in the very last group records each
update once every group before it (the fallback and the error handler included) is done with it — in the
inbox (storage/inbox.py: a restarted bot does not handle it again) and for the harness.

The test harness, the demo and the shell use it to wait until the bot is done with what a person did
(`Stage.settled()`), instead of sleeping. It depends only on the handler groups, not on how updates are
scheduled (one at a time or per chat). A handler that raises `ApplicationHandlerStop` would keep its update
from reaching this group; none does (and a wait for it would then fail loudly, not pass).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any

from telegram import Update
from telegram.ext import Application, TypeHandler

from bot.core.context import AppContext, ctx_of, platform_of
from storage import codec, inbox

log = logging.getLogger(__name__)

HANDLED_GROUP = 2_000_000  # after handlers.fallback.FALLBACK_GROUP (1_000_000)
_KEY = "handled.tracker"


class Tracker:
    """The update ids handled so far, and a way to wait for some."""

    KEEP = 10_000  # the newest ids remembered (a long-running bot must not grow without end)

    def __init__(self) -> None:
        self.ids: set[int] = set()
        self._order: deque[int] = deque()
        self.count = 0
        self._changed = asyncio.Condition()

    async def record(self, update_id: int) -> None:
        async with self._changed:
            self.ids.add(update_id)
            self._order.append(update_id)
            while len(self._order) > self.KEEP:
                self.ids.discard(self._order.popleft())
            self.count += 1
            self._changed.notify_all()

    async def wait(self, update_ids: range | list[int], timeout: float) -> bool:
        """True once every one of `update_ids` is handled; False after `timeout`."""
        async def all_handled() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: all(i in self.ids for i in update_ids))
        try:
            await asyncio.wait_for(all_handled(), timeout)
            return True
        except TimeoutError:
            return False


def tracker(application: Application) -> Tracker:
    return application.bot_data.setdefault(_KEY, Tracker())


async def done(update: Update, context: Any) -> None:
    """This update is finished with (also called for a replayed update skipped before the features)."""
    ctx = ctx_of(context)
    try:
        await inbox.mark_handled(ctx.db, platform_of(context), update.update_id, codec.instant(ctx.clock.now()))
    except Exception:   # it will be handled again after a restart, and change nothing twice
        log.warning("update %s not marked handled in the inbox", update.update_id, exc_info=True)
    await tracker(context.application).record(update.update_id)


def register(application: Application, ctx: AppContext) -> None:
    tracker(application)
    application.add_handler(TypeHandler(Update, done), group=HANDLED_GROUP)
