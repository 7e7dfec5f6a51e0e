"""Stopping the Application (bot/app.py `stop_application`): updates being handled finish before the
background services stop, so a reply in progress when the person quits (`/quit` in the shell, SIGTERM for
`shcb run`) still goes out through the sender's pacing instead of failing with `NetworkError: This
HTTPXRequest is not initialized!`."""

from __future__ import annotations

import asyncio
import logging

import pytest
from telegram.ext import ApplicationHandlerStop, CommandHandler

from bot.core.context import ctx_of
from bot.delivery.sender import send_now

pytestmark = pytest.mark.e2e


async def test_a_reply_in_progress_finishes_before_the_sender_stops(e2e, caplog):
    started, release = asyncio.Event(), asyncio.Event()
    seen: dict[str, bool] = {}

    async def slow(update, context):
        ctx = ctx_of(context)
        started.set()
        await release.wait()
        seen["sender still running"] = "sender" in ctx.extras
        await send_now(ctx, context.bot, update.effective_chat.id, {"text": "Xong."})
        raise ApplicationHandlerStop

    e2e.app.add_handler(CommandHandler("slow", slow), group=-1)
    user = await e2e.chat_as(await e2e.person("secretary"))
    await user.send("/slow")
    await asyncio.wait_for(started.wait(), 10)

    application, ctx = e2e.app, e2e.ctx
    stopping = asyncio.create_task(e2e.stop_app())
    # Stopping has begun: either the application stops taking updates, or (the old order) the sender went.
    while application.running and "sender" in ctx.extras:
        await asyncio.sleep(0.01)
    release.set()
    with caplog.at_level(logging.ERROR):
        await asyncio.wait_for(stopping, 20)
    assert seen == {"sender still running": True}
    assert (await user.reply()).text == "Xong."
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]
