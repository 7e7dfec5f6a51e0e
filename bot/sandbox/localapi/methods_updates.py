"""Getting updates: long polling (getUpdates) or a webhook (setWebhook, deleteWebhook, getWebhookInfo)."""

from __future__ import annotations

import itertools
import re

from bot.sandbox.localapi import errors
from bot.sandbox.localapi.call import Call, Described, method
from bot.sandbox.localapi.errors import ApiError, bad_request
from bot.sandbox.localapi.state import BotState, Webhook

_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


def _allowed_updates(call: Call) -> None:
    allowed = call.params.nested("allowed_updates")
    if isinstance(allowed, list):
        call.bot.allowed_updates = [str(kind) for kind in allowed]


@method("getUpdates")
async def get_updates(call: Call) -> list[dict]:
    bot, params = call.bot, call.params
    if bot.webhook is not None:
        raise ApiError(409, errors.WEBHOOK_ACTIVE)
    offset = params.integer("offset", 0)
    limit = min(max(params.integer("limit", 100), 1), 100)
    timeout = max(params.number("timeout", 0.0), 0.0)
    _allowed_updates(call)
    bot.confirm_updates(offset)
    # Only one poller at a time, as on Telegram: a newer getUpdates ends an older one still waiting.
    bot.poller += 1
    mine = bot.poller
    bot.updates_changed.notify()
    await bot.updates_changed.wait_until(
        lambda: bot.poller != mine or bool(bot.updates) or bot.webhook is not None or bot.closed, timeout
    )
    if bot.poller != mine:
        raise ApiError(409, errors.OTHER_GET_UPDATES)
    if bot.webhook is not None:
        return []
    return list(itertools.islice(bot.updates, limit))


def _remove_webhook(call: Call) -> Described:
    bot = call.bot
    if call.params.flag("drop_pending_updates"):
        bot.updates.clear()
    had = bot.webhook is not None
    bot.webhook = None
    call.webhooks.stop(bot)
    bot.updates_changed.notify()
    return Described(True, "Webhook was deleted" if had else "Webhook is already deleted")


@method("setWebhook")
async def set_webhook(call: Call) -> Described:
    bot, params = call.bot, call.params
    url = params.string("url") or ""
    if not url:
        return _remove_webhook(call)
    # A local server takes http as well as https, on any port (Telegram's own local server does too).
    if not re.match(r"https?://[^/\s]+", url):
        raise bad_request(errors.WEBHOOK_URL_INVALID.format(detail="Unsupported URL protocol"))
    secret = params.string("secret_token") or None
    if secret is not None and not _SECRET_TOKEN.fullmatch(secret):
        raise bad_request(errors.SECRET_TOKEN_INVALID)
    if params.flag("drop_pending_updates"):
        bot.updates.clear()
    _allowed_updates(call)
    unchanged = bot.webhook is not None and (bot.webhook.url, bot.webhook.secret_token) == (url, secret)
    bot.webhook = Webhook(url=url, secret_token=secret, max_connections=params.integer("max_connections", 40),
                          allowed_updates=bot.allowed_updates)
    call.webhooks.start(bot)
    bot.updates_changed.notify()  # a poller still waiting returns now
    return Described(True, "Webhook is already set" if unchanged else "Webhook was set")


@method("deleteWebhook")
async def delete_webhook(call: Call) -> Described:
    return _remove_webhook(call)


def webhook_info(bot: BotState) -> dict:
    info: dict = {"url": "", "has_custom_certificate": False, "pending_update_count": len(bot.updates)}
    hook = bot.webhook
    if hook is not None:
        info.update(url=hook.url, max_connections=hook.max_connections)
        if hook.allowed_updates:
            info["allowed_updates"] = hook.allowed_updates
        if hook.last_error_date is not None:
            info.update(last_error_date=hook.last_error_date, last_error_message=hook.last_error_message)
    return info


@method("getWebhookInfo")
async def get_webhook_info(call: Call) -> dict:
    return webhook_info(call.bot)
