"""Starting and stopping the Zalo Application: by long polling (as the Telegram one, through PTB's
updater, whose getUpdates the adapter answers), or by webhook (Zalo told the address and secret with
setWebhook, and our own receiver, webhook.py, in place of PTB's, which checks Telegram's header)."""

from __future__ import annotations

from telegram.ext import Application

from bot import app as wiring
from bot.channels.zalo.application import adapter_of, updates_adapter_of
from bot.channels.zalo.webhook import ZaloWebhookReceiver, ZaloWebhookSettings
from bot.core.updates import replay_unhandled

_RECEIVER = "zalo.receiver"


async def start_zalo(application: Application, *, mode: str = "polling",
                     webhook: ZaloWebhookSettings | None = None, poll_timeout: float = wiring.POLL_TIMEOUT) -> None:
    for adapter in (adapter_of(application), updates_adapter_of(application)):
        adapter.base = application.bot.base_url   # "<base_url><token>": where calls on its own behalf go
    if mode == "polling":
        await wiring.start_application(application, mode="polling", poll_timeout=poll_timeout)
        return
    if mode != "webhook" or webhook is None:
        raise ValueError(f"Zalo mode {mode!r} needs ZaloWebhookSettings for a webhook")
    await application.initialize()
    try:
        await application.post_init(application)
        await replay_unhandled(application)
        await application.bot.set_webhook(url=webhook.url, secret_token=webhook.secret_token)
        receiver = ZaloWebhookReceiver(application, adapter_of(application), webhook)
        await receiver.start()
        application.bot_data[_RECEIVER] = receiver
        await application.start()
    except BaseException:
        await stop_zalo(application)
        raise


async def stop_zalo(application: Application) -> None:
    receiver = application.bot_data.pop(_RECEIVER, None)
    try:
        if receiver is not None:
            await receiver.stop()
    finally:
        await wiring.stop_application(application)
