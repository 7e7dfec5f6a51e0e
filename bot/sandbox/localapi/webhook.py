"""Webhook delivery: while a bot has a webhook, each update is POSTed to it as JSON, in order, one at a
time, with `X-Telegram-Bot-Api-Secret-Token` when a secret was set. A failed delivery is retried with a
growing pause (capped), as Telegram keeps retrying; the last error shows in getWebhookInfo."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import httpx

from bot.delivery.http import tls_context
from bot.sandbox.localapi.state import BotState, Webhook

log = logging.getLogger(__name__)

RETRY_FIRST_PAUSE = 0.05
RETRY_MAX_PAUSE = 2.0
DELIVERY_TIMEOUT = 10.0


class WebhookSender:
    """`secret_header` carries the webhook's secret; `body` turns a queued update into what is posted
    (Telegram posts the update itself)."""

    def __init__(self, secret_header: str = "X-Telegram-Bot-Api-Secret-Token", body=lambda update: update) -> None:
        self._secret_header = secret_header
        self._body = body
        self._client: httpx.AsyncClient | None = None
        self._tasks: dict[str, asyncio.Task] = {}

    def start(self, bot: BotState) -> None:
        self.stop(bot)
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=DELIVERY_TIMEOUT, verify=tls_context())
        self._tasks[bot.token] = asyncio.get_running_loop().create_task(self._deliver(bot, bot.webhook))

    def stop(self, bot: BotState) -> None:
        task = self._tasks.pop(bot.token, None)
        if task is not None:
            task.cancel()

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _deliver(self, bot: BotState, hook: Webhook) -> None:
        failures = 0
        while bot.webhook is hook and not bot.closed:
            if not bot.updates:
                await bot.updates_changed.wait_until(
                    lambda: bool(bot.updates) or bot.webhook is not hook or bot.closed, None
                )
                continue
            update = bot.updates[0]
            error = await self._post(hook, update)
            if error is None:
                if bot.updates and bot.updates[0] is update:
                    bot.updates.popleft()
                    bot.updates_changed.notify()  # whoever waits for it to be taken (`fetched`)
                failures = 0
                continue
            hook.last_error_date, hook.last_error_message = bot.now(), error
            log.debug("webhook delivery failed: %s", error)
            failures += 1
            await asyncio.sleep(min(RETRY_FIRST_PAUSE * 2 ** (failures - 1), RETRY_MAX_PAUSE))

    async def _post(self, hook: Webhook, update: dict) -> str | None:
        """None when the receiver took the update, else Telegram's kind of error text."""
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers[self._secret_header] = hook.secret_token
        try:
            response = await self._client.post(hook.url, json=self._body(update), headers=headers)
        except httpx.ConnectError:
            return "Connection refused"
        except httpx.HTTPError as error:
            return f"{type(error).__name__}"
        if 200 <= response.status_code < 300:
            return None
        return f"Wrong response from the webhook: {response.status_code} {response.reason_phrase}"
