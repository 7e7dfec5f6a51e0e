"""Getting updates from the Zalo server: long polling (getUpdates) or a webhook (setWebhook,
deleteWebhook, getWebhookInfo).

getUpdates answers ONE update (`{"event_name", "message"}`, no update_id) as soon as there is one, and
that update is then taken: Zalo has no offset to confirm with. With nothing within `timeout` seconds
(default 30, as documented) it answers 408 "Request timeout" — what Zalo returns then. Several polls
may wait at once; each update goes to one of them. While a webhook is set, getUpdates is refused (400),
and a poll waiting when one is set returns that refusal.

Webhook results are `{"url", "updated_at"}` (milliseconds), as documented. Zalo wants an https url; a
local server takes http as well (the test receivers are plain http).
"""

from __future__ import annotations

import re

from bot.sandbox.localapi.call import Call
from bot.sandbox.localapi.state import Webhook
from bot.sandbox.zaloapi import errors
from bot.sandbox.zaloapi.errors import bad_request, error
from bot.sandbox.zaloapi.methods import method

DEFAULT_TIMEOUT = 30.0
_URL = re.compile(r"https?://[^/\s]+\S*")
_SECRET = re.compile(r"[\x21-\x7e]{8,256}")  # visible ASCII: it travels in an HTTP header


@method("getUpdates")
async def get_updates(call: Call) -> dict:
    bot = call.bot
    if bot.webhook is not None:
        raise bad_request(errors.WEBHOOK_ACTIVE)
    timeout = max(call.params.number("timeout", DEFAULT_TIMEOUT), 0.0)
    await bot.updates_changed.wait_until(lambda: bool(bot.updates) or bot.webhook is not None or bot.closed,
                                         timeout)
    if bot.webhook is not None:
        raise bad_request(errors.WEBHOOK_ACTIVE)
    if not bot.updates:
        raise error(408, errors.REQUEST_TIMEOUT)
    return bot.take_update()


def _hook_json(call: Call) -> dict:
    hook = call.bot.webhook
    return {"url": hook.url if hook else "", "updated_at": call.bot.webhook_updated_at}


@method("setWebhook")
async def set_webhook(call: Call) -> dict:
    bot, params = call.bot, call.params
    url = params.string("url") or ""
    if not _URL.fullmatch(url):
        raise bad_request(errors.WEBHOOK_URL_INVALID)
    secret = params.string("secret_token") or ""
    if not _SECRET.fullmatch(secret):
        raise bad_request(errors.SECRET_TOKEN_INVALID)
    bot.webhook = Webhook(url=url, secret_token=secret)
    bot.webhook_updated_at = bot.now()
    call.webhooks.start(bot)
    bot.updates_changed.notify()  # a poll still waiting returns now
    return _hook_json(call)


@method("deleteWebhook")
async def delete_webhook(call: Call) -> dict:
    bot = call.bot
    if bot.webhook is not None:
        bot.webhook = None
        bot.webhook_updated_at = bot.now()
        call.webhooks.stop(bot)
        bot.updates_changed.notify()
    return _hook_json(call)


@method("getWebhookInfo")
async def get_webhook_info(call: Call) -> dict:
    return _hook_json(call)
