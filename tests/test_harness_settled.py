"""The harness knows when the bot is done with an update: fetched (the local server) and handled (the
application's last handler group) — so "nothing arrived" is checked without sleeping."""

from __future__ import annotations

import pytest

from bot.sandbox.chat_user import NoReply
from handlers import handled

pytestmark = pytest.mark.e2e


async def test_settled_waits_until_the_update_is_fetched_and_handled(e2e):
    member = await e2e.person("member")
    u = await e2e.chat_as(member)
    before = handled.tracker(e2e.app).count
    await u.send("/menu")
    await u.settled()
    assert handled.tracker(e2e.app).count == before + 1
    # The answer is there already: no waiting needed to see it.
    assert (await u.pending_replies())[-1].text


async def test_no_reply_fails_when_the_bot_did_answer(e2e):
    u = await e2e.chat_as(await e2e.person("secretary"))
    await u.send("some words the bot does not understand")
    with pytest.raises(AssertionError, match="unexpected replies"):
        await u.no_reply()


async def test_no_reply_passes_on_an_update_that_needs_no_answer(e2e):
    u = await e2e.chat_as(await e2e.person("secretary"))
    await u.send("/menu")
    await u.reply()
    await u.block()  # a membership change: handled, answered with nothing
    await u.no_reply()


async def test_settled_fails_loudly_when_the_bot_is_not_running(e2e):
    u = await e2e.chat_as(await e2e.person("secretary"))
    updater = e2e.app.updater
    await updater.stop()  # the bot stops fetching
    await u.send("/menu")
    with pytest.raises(NoReply, match="not fetched"):
        await u.settled(timeout=0.5)


async def test_settled_after_a_restart_counts_only_the_new_application(e2e):
    u = await e2e.chat_as(await e2e.person("secretary"))
    await u.send("/menu")
    await u.settled()
    await e2e.restart()
    await u.send("/menu")
    await u.settled()
    assert handled.tracker(e2e.app).count == 1


async def test_settled_in_webhook_mode(e2e_webhook):
    u = await e2e_webhook.chat_as(await e2e_webhook.person("secretary"))
    await u.send("/menu")
    await u.settled()
    assert await u.pending_replies()
