"""bot/app.py's wiring and lifecycle, and the end-to-end harness's own promises (tests/fixtures/e2e.py,
bot/sandbox/stage.py, bot/sandbox/chat_user.py): replies are new or edited bot messages after the last action, waiting
never sleeps a fixed time, a restart keeps the database, stopping is quick."""

from __future__ import annotations

import asyncio
import copy
import gc
import time

import pytest
from telegram.ext import CommandHandler

from bot.app import run_app
from bot.sandbox.chat_user import NoReply, user_id_for
from bot.core.clock import VN_TZ
from bot.core.context import AppContext
from storage import accounts
from bot.core import i18n

_ = i18n.get("vi").gettext

from bot.core.updates import PerChatUpdateProcessor
from bot.delivery.rate_limit import SharedBudgetRateLimiter

pytestmark = pytest.mark.e2e


async def test_the_application_is_wired_as_agreed(e2e):
    app = e2e.app
    assert app.bot_data["ctx"] is e2e.ctx
    assert app.bot.base_url == f"{e2e.server.base_url}{e2e.token}"
    assert app.bot.defaults.tzinfo is VN_TZ
    assert str(app.job_queue.scheduler.timezone) == "Asia/Ho_Chi_Minh"
    assert isinstance(app.update_processor, PerChatUpdateProcessor) and app.concurrent_updates > 1
    assert isinstance(app.bot.rate_limiter, SharedBudgetRateLimiter)
    assert app.bot.rate_limiter.budget is e2e.ctx.extras["sender"].budget   # one budget for the token
    assert app.updater.running and app.running
    requests = e2e.server.stats(e2e.token)["requests"]
    assert requests["getMe"] and requests["deleteWebhook"]  # how PTB starts polling


async def test_people_come_in_roster_order_and_chat_as_links_them(e2e):
    secretaries = await e2e.people("secretary", ward="Nam Ngạn")
    assert len(secretaries) == 11
    cell = await e2e.person("secretary", ward="nam ngan", cell="Nguyễn Mộng Tuân 2")
    assert cell in secretaries
    user = await e2e.chat_as(cell)
    assert user.user_id == user_id_for(cell.id) == 10_000_000 + cell.id
    account = await accounts.get_by_external(e2e.db, user.user_id, platform=accounts.TELEGRAM)
    assert account is not None and account.person_id == cell.id
    stranger = await e2e.chat_as((await e2e.people("member", limit=3))[2], link=False)
    assert await accounts.get_by_external(e2e.db, stranger.user_id, platform=accounts.TELEGRAM) is None


async def test_reply_gives_new_and_edited_messages_in_turn(e2e):
    sent = {}

    async def two(update, context):
        sent["first"] = await update.message.reply_text("một")
        await update.message.reply_text("hai")

    async def edit(update, context):
        await sent["first"].edit_text("một (sửa)")

    e2e.app.add_handler(CommandHandler("two", two))
    e2e.app.add_handler(CommandHandler("edit", edit))
    user = await e2e.chat_as(await e2e.person("secretary"))
    await user.send("/two")
    assert [m.text for m in await user.replies(2)] == ["một", "hai"]
    started = time.monotonic()
    with pytest.raises(NoReply):
        await user.reply(timeout=0.3)  # nothing more: a short, bounded wait, not a hang
    assert time.monotonic() - started < 2
    await user.send("/edit")
    edited = await user.reply()
    assert (edited.message_id, edited.text, edited.edited) == (sent["first"].message_id, "một (sửa)", True)
    await user.send("/two")  # after a new action, only what follows it counts
    assert (await user.wait_for(lambda m: m.text == "hai")).message_id > edited.message_id + 1


async def test_restart_keeps_the_database_and_the_chats(e2e):
    user = await e2e.chat_as(await e2e.person("deputy"))
    await user.send("/start")
    assert (await user.reply()).text.startswith(_("Welcome back, comrade {name}!").format(name=user.person.full_name))
    first_app = e2e.app
    await e2e.restart()
    assert e2e.app is not first_app and e2e.app.running and not first_app.running
    await user.send("xin chào")
    assert (await user.reply()).text == _("Sorry, I did not understand. Send /menu to see what you can do.")
    assert await accounts.get_by_external(e2e.db, user.user_id, platform=accounts.TELEGRAM) is not None


async def test_run_app_stops_at_once_on_its_stop_event_even_mid_long_poll(e2e):
    """A second bot (its own token) on the same server, run the way `shcb run` runs it, with a 30 s
    long poll: setting the stop event ends it in well under that."""
    config = copy.deepcopy(e2e.config)
    config.telegram.token = "424242:second-bot"
    ctx = AppContext(config=config, db=e2e.db, clock=e2e.clock)
    stop = asyncio.Event()
    task = asyncio.create_task(run_app(ctx, stop_event=stop, poll_timeout=30))
    from bot.sandbox.localapi import LocalApiClient

    api = LocalApiClient(e2e.server.user_url, config.telegram.token)
    try:
        await api.create_user(77, "Hà")
        await api.send_text(77, "xin chào")
        version, messages = await api.wait(77, 0, 10)
        assert version > 0 and [m.text for m in messages] == [  # it answered: it is running
            _("You have not joined yet. Please send /start and share your phone number first.")]
        # Running, what start-up made is out of the garbage collector's sight; stopped, it is back.
        assert gc.get_freeze_count() > 10_000
        started = time.monotonic()
        stop.set()
        await asyncio.wait_for(task, timeout=10)
        assert time.monotonic() - started < 3
        assert gc.get_freeze_count() == 0
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await api.close()
