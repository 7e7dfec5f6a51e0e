"""The Zalo Application: the same FEATURES over the same AppContext as the Telegram one, its Bot talking to
Zalo through the adapter (request.py).

It runs no SERVICES (the Telegram Application's outbox sender and scheduler serve both channels: the
sender writes to Zalo through the Bot registered under `bot_data["channels"]["zalo"]`), and no JobQueue
(the menu's periodic command-list check is Telegram's). Each chat's updates are handled in order, chats
at once, as on Telegram.
"""

from __future__ import annotations

import warnings

from telegram import Bot
from telegram.ext import Application, ApplicationBuilder, Defaults
from telegram.warnings import PTBUserWarning

from bot.channels.zalo.backoff import Backoff
from bot.channels.zalo.request import Intake, ZaloRequest
from bot.channels.zalo.budget import pacing
from bot.core.context import AppContext
from bot.core.updates import InboxQueue, PerChatUpdateProcessor
from bot.delivery.http import tls_context
from bot.delivery.rate_limit import SharedBudgetRateLimiter

PLATFORM = "zalo"


def _requests(ctx: AppContext, pool: int, intake: Intake | None = None) -> ZaloRequest:
    return ZaloRequest(ctx, backoff=backoff_of(ctx), intake=intake, connection_pool_size=pool,
                       httpx_kwargs={"verify": tls_context()})


def backoff_of(ctx: AppContext) -> Backoff:
    """One back-off for everything sent with the Zalo token (the application's replies and the sender's)."""
    zalo = ctx.config.zalo
    return ctx.extras.setdefault("zalo.backoff", Backoff(zalo.backoff_seconds, zalo.backoff_max_seconds))


def build_zalo_application(ctx: AppContext, *, webhook: bool = False, services: bool = False) -> Application:
    """`services`: this is the only channel (no Telegram token), so it runs the SERVICES itself, with a
    JobQueue, as the Telegram Application otherwise does."""
    from bot import app as wiring   # (bot.app imports this module for its wiring)

    zalo = ctx.config.zalo
    intake = Intake()
    builder = (
        ApplicationBuilder()
        .token(zalo.token)
        .base_url(zalo.base_url)
        .base_file_url(zalo.base_url)
        .request(_requests(ctx, 64, intake))
        .get_updates_request(_requests(ctx, 1, intake))
        .rate_limiter(SharedBudgetRateLimiter(token=zalo.token, api_root=zalo.base_url, config=pacing(ctx.config)))
        .defaults(Defaults(tzinfo=ctx.clock.tz))
        .concurrent_updates(PerChatUpdateProcessor())
        .update_queue(InboxQueue(ctx, PLATFORM))   # as Telegram's: nothing taken is lost to a kill
    )
    if services:
        builder = builder.post_init(wiring._post_init).post_stop(wiring._post_stop).post_shutdown(wiring._post_shutdown)
    else:
        builder = builder.job_queue(None).post_init(_nothing).post_stop(_nothing).post_shutdown(_nothing)
    application = builder.build()
    application.bot_data["ctx"] = ctx
    application.bot_data["platform"] = PLATFORM
    application.bot_data["webhook"] = webhook
    with warnings.catch_warnings():
        # Without services there is no JobQueue on purpose: the features only ask whether there is one.
        warnings.filterwarnings("ignore", message="No `JobQueue` set up", category=PTBUserWarning)
        for module in wiring.FEATURES:
            module.register(application, ctx)
    return application


async def _nothing(application: Application) -> None:
    pass


def sender_bot(ctx: AppContext) -> Bot:
    """A plain Bot on the Zalo token for the outbox sender, which paces and retries on its own (no rate
    limiter here); it shares the database, hence the ids and option lists, with the application's."""
    zalo = ctx.config.zalo
    return Bot(zalo.token, base_url=zalo.base_url, base_file_url=zalo.base_url, request=_requests(ctx, 8),
               get_updates_request=_requests(ctx, 1))


def adapter_of(application: Application) -> ZaloRequest:
    """The adapter behind the application's calls (the webhook receiver uses it)."""
    return application.bot.request


def updates_adapter_of(application: Application) -> ZaloRequest:
    """The adapter behind its getUpdates."""
    return application.bot._request[0]   # PTB keeps (get_updates_request, request)


def intake_of(application: Application) -> Intake:
    """What the application took from Zalo (by getUpdates or webhook) and the update ids it gave."""
    return adapter_of(application).intake
