"""The python-telegram-bot Application: how it is built, started and stopped.

`build_application(ctx)` wires the feature handlers (FEATURES, in order) and the background services
(SERVICES: the outbox sender, the scheduler) around one AppContext. `run_app(ctx)` runs it
until SIGTERM, SIGINT or a stop event: `shcb run`. The tests, the demo and the shell start and stop the
same application with `start_application` / `stop_application`, inside their own event loop — which is
why the lifecycle is driven here step by step rather than through PTB's blocking `run_polling`.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, Defaults

from bot.core.config import Config
from bot.core.context import AppContext
from bot.core.logging_setup import protect
from bot.delivery import sender
from bot.core.updates import InboxQueue, PerChatUpdateProcessor, replay_unhandled
from bot.delivery.http import AiohttpRequest, tls_context
from bot.delivery.pacing import TELEGRAM_API
from bot.delivery.rate_limit import SharedBudgetRateLimiter
from bot.reminders import scheduler
from bot.reports import delivery as report_delivery
from handlers import (evaluation, fallback, guidance, handled, meeting_record, meeting_reopen, menu, onboarding,
                      reachability, recommendation_inbox, recommendations, reminders, reports, roll_call)
from storage import accounts

log = logging.getLogger(__name__)

# The feature handlers, registered in this order. Order matters: within a group the first handler that
# matches an update takes it, so the conversations come before the menu's text buttons, and `fallback`
# (which answers whatever nothing else took) comes after them; `handled` (which records that an update is
# done, for the harness's `settled()`) is the very last. The roll call and the meeting record take typed
# text of their own steps ("vắng 3 7", a number), so they come before the menu (they leave menu labels
# typed mid-way to it). Each module defines `register(application, ctx)`.
FEATURES = [reachability, onboarding, roll_call, meeting_record, meeting_reopen, recommendations,
            recommendation_inbox, menu, guidance, reminders, reports, evaluation, fallback, handled]

# Background services, started in this order after the bot is initialised and stopped in reverse before it
# shuts down. Each defines `async def start(application, ctx)` and `async def stop(application, ctx)`.
SERVICES = [sender, scheduler, report_delivery]

# Long polling: how long one getUpdates waits on the server. Stopping cancels the wait at once.
POLL_TIMEOUT = 10
# Connections to the Bot API for calls (PTB's own 256).
CALL_POOL = 256


@dataclass(frozen=True)
class WebhookSettings:
    listen: str
    port: int
    url: str            # what the Bot API server posts to (public, usually behind a reverse proxy)
    secret_token: str
    url_path: str       # the path the bot's own webhook server answers on

    @classmethod
    def from_config(cls, config: Config) -> "WebhookSettings":
        hook = config.telegram.webhook
        return cls(listen=hook.listen, port=hook.port, url=hook.url, secret_token=hook.secret_token,
                   url_path=urlsplit(hook.url).path.strip("/"))




def build_application(ctx: AppContext, *, webhook: bool = False) -> Application:
    """The Application for this context: token and Bot API address from its config, its requests paced by
    the token's one send budget (shared with the outbox sender; 429s retried up to three times), Vietnam
    time for the JobQueue, different chats handled at once and each chat's updates in order (conversation
    state and drafts need that order)."""
    telegram = ctx.config.telegram
    requests = (AiohttpRequest(CALL_POOL, ssl_context=tls_context(), **telegram.request_timeouts()),
                AiohttpRequest(1, ssl_context=tls_context()))
    builder = (
        ApplicationBuilder()
        .token(telegram.token)
        # Telegram's limits: the same budget as the outbox sender's, where these replies go first.
        .rate_limiter(SharedBudgetRateLimiter(token=telegram.token, api_root=telegram.base_url or TELEGRAM_API,
                                              config=ctx.config.sender))
        .defaults(Defaults(tzinfo=ctx.clock.tz))
        .concurrent_updates(PerChatUpdateProcessor())
        .update_queue(InboxQueue(ctx, accounts.TELEGRAM))   # nothing taken is lost to a kill
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
        # PTB's own pool sizes (CALL_POOL for calls, 1 for getUpdates), with one shared TLS context.
        .request(requests[0])
        .get_updates_request(requests[1])
    )
    if telegram.base_url:
        builder = builder.base_url(telegram.base_url)
    if telegram.base_file_url:
        builder = builder.base_file_url(telegram.base_file_url)
    application = builder.build()
    application.bot_data["ctx"] = ctx
    application.bot_data["webhook"] = webhook
    application.bot_data["requests"] = requests   # closed by stop_application, even after a failed start
    for module in FEATURES:
        module.register(application, ctx)
    return application


async def _post_init(application: Application) -> None:
    ctx: AppContext = application.bot_data["ctx"]
    started = application.bot_data.setdefault("services", [])
    for module in SERVICES:
        await module.start(application, ctx)
        started.append(module)
    await menu.publish_commands(application)


async def _post_stop(application: Application) -> None:
    await _stop_services(application)


async def _stop_services(application: Application) -> None:
    """Stop the started services, last started first; each at most once."""
    ctx: AppContext = application.bot_data["ctx"]
    started = application.bot_data.get("services", [])
    while started:
        module = started.pop()
        try:
            await module.stop(application, ctx)
        except Exception:
            log.exception("stopping %s failed", module.__name__)


async def _post_shutdown(application: Application) -> None:
    await _post_stop(application)  # in case the application never reached `stop`


async def start_application(
    application: Application,
    *,
    mode: str = "polling",
    webhook: WebhookSettings | None = None,
    poll_timeout: float = POLL_TIMEOUT,
) -> None:
    """initialize → post_init → the updates a kill left unhandled → updater (polling or webhook) → start:
    what `run_polling` does, without taking over the event loop. On failure, whatever was started is
    stopped again."""
    await application.initialize()
    try:
        await application.post_init(application)
        await replay_unhandled(application)
        if mode == "polling":
            await application.updater.start_polling(
                poll_interval=0.0, timeout=poll_timeout, drop_pending_updates=False,
                allowed_updates=Update.ALL_TYPES,
            )
        elif mode == "webhook":
            if webhook is None:
                raise ValueError("webhook mode needs WebhookSettings")
            await application.updater.start_webhook(
                listen=webhook.listen, port=webhook.port, url_path=webhook.url_path,
                webhook_url=webhook.url, secret_token=webhook.secret_token or None,
                drop_pending_updates=False, allowed_updates=Update.ALL_TYPES,
            )
        else:
            raise ValueError(f"unknown mode {mode!r}")
        await application.start()
    except BaseException:
        await stop_application(application)
        raise


async def stop_application(application: Application) -> None:
    """updater → application → services → post_stop → shutdown → post_shutdown, each only if it is
    running, so it may be called after a partial start."""
    try:
        if application.updater and application.updater.running:
            try:
                await application.updater.stop()
            except Exception:   # its polling already ended on an error (a token revoked meanwhile)
                log.exception("stopping the updates failed")
        # The application first: it finishes the updates being handled and the running jobs, whose
        # replies may go through the sender's pacing (`send_now`); then the services (the sender finishes
        # the message in flight, the scheduler lets go of its jobs); post_stop finds nothing left to stop.
        if application.running:
            await application.stop()
        await _stop_services(application)
        await application.post_stop(application)
    finally:
        await application.shutdown()
        await application.post_shutdown(application)
        # PTB shuts its requests down only if its start got as far as getMe; their connections are ours.
        for request in application.bot_data.get("requests", ()):
            await request.shutdown()


@dataclass
class Channels:
    """The running Applications: Telegram's, Zalo's, or both (one AppContext, one database)."""
    telegram: Application | None = None
    zalo: Application | None = None
    zalo_bot: Any = None        # the outbox sender's Bot on the Zalo token

    @property
    def main(self) -> Application:
        """The one that runs the SERVICES: Telegram's when there is one."""
        return self.telegram or self.zalo


async def start_channels(ctx: AppContext, *, mode: str = "polling", webhook: WebhookSettings | None = None,
                         zalo_mode: str = "polling", zalo_webhook: Any = None,
                         poll_timeout: float = POLL_TIMEOUT) -> Channels:
    """Start the channel of each token configured. The Telegram Application runs the services; its
    `bot_data["channels"]` (platform -> Bot) is where the outbox sender finds each channel's Bot. With
    only a Zalo token, the Zalo Application runs the services itself."""
    from bot.channels.zalo.application import build_zalo_application, sender_bot
    from bot.channels.zalo.lifecycle import start_zalo

    channels = Channels()
    if ctx.config.telegram.token:
        channels.telegram = build_application(ctx, webhook=mode == "webhook")
    if ctx.config.zalo.token:
        channels.zalo = build_zalo_application(ctx, webhook=zalo_mode == "webhook",
                                               services=channels.telegram is None)
    if channels.main is None:
        raise ValueError("no channel: neither [telegram] token nor [zalo] token is set")
    bots: dict[str, Any] = {}
    channels.main.bot_data["channels"] = bots
    try:
        if channels.zalo is not None:
            channels.zalo_bot = sender_bot(ctx)
            await channels.zalo_bot.initialize()
            bots["zalo"] = channels.zalo_bot
        if channels.telegram is not None:
            bots["telegram"] = channels.telegram.bot
            await start_application(channels.telegram, mode=mode, webhook=webhook, poll_timeout=poll_timeout)
        if channels.zalo is not None:
            await start_zalo(channels.zalo, mode=zalo_mode, webhook=zalo_webhook, poll_timeout=poll_timeout)
    except BaseException:
        await stop_channels(channels)
        raise
    return channels


async def stop_channels(channels: Channels) -> None:
    """Zalo first (its updates may queue outbox rows for the sender), then Telegram with the services."""
    from bot.channels.zalo.lifecycle import stop_zalo

    try:
        if channels.zalo is not None:
            await stop_zalo(channels.zalo)
    finally:
        try:
            if channels.telegram is not None:
                await stop_application(channels.telegram)
        finally:
            if channels.zalo_bot is not None:
                await channels.zalo_bot.shutdown()


def settle_start_up() -> None:
    """Once the bot runs: what start-up made (the modules, the config, the handlers, the caches) lives as long
    as the process, so it is taken out of the garbage collector's sight (`gc.freeze`) and its full passes
    no longer scan it. One such pass over the 130,000 objects of start-up paused the event loop for
    70–140 ms, and each pause of the loop delays the send queue for good (bot/delivery/pacing.py).
    `unsettle()` gives them back when the bot stops (a test process starts many bots)."""
    gc.collect()
    gc.freeze()


def unsettle() -> None:
    gc.unfreeze()


async def run_app(
    ctx: AppContext,
    *,
    mode: str = "polling",
    stop_event: asyncio.Event | None = None,
    poll_timeout: float = POLL_TIMEOUT,
) -> None:
    """Run the bot (every channel configured) until `stop_event` is set or the process gets SIGTERM or
    SIGINT. `mode` is Telegram's; Zalo's is `[zalo] mode`."""
    from bot.channels.zalo.webhook import ZaloWebhookSettings

    stop_event = stop_event or asyncio.Event()
    protect(ctx.config.telegram.token)
    protect(ctx.config.zalo.token)
    protect(ctx.config.zalo.webhook.secret_token)
    loop = asyncio.get_running_loop()
    handled: list[int] = []
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(signum, stop_event.set)
                handled.append(signum)
            except (NotImplementedError, RuntimeError):  # not on this platform
                pass
    webhook = WebhookSettings.from_config(ctx.config) if mode == "webhook" else None
    zalo_mode = ctx.config.zalo.mode
    zalo_webhook = ZaloWebhookSettings.from_config(ctx.config) if zalo_mode == "webhook" else None
    try:
        channels = await start_channels(ctx, mode=mode, webhook=webhook, zalo_mode=zalo_mode,
                                        zalo_webhook=zalo_webhook, poll_timeout=poll_timeout)
        settle_start_up()
        try:
            if channels.telegram is not None:
                log.info("bot @%s is running (%s)", channels.telegram.bot.username, mode)
            if channels.zalo is not None:
                log.info("Zalo bot %s is running (%s)", channels.zalo.bot.first_name, zalo_mode)
            await stop_event.wait()
            log.info("stopping")
        finally:
            unsettle()
            await stop_channels(channels)
        log.info("stopped")
    finally:
        for signum in handled:
            loop.remove_signal_handler(signum)
