"""`ZaloLocalApi`: the local Zalo Bot Platform server, started in-process (tests, demo, shell) or by
`shcb localapi --zalo`. Any well-formed token (`<digits>:<letters>`) is accepted and is a bot of its
own, until `revoke(token)` makes it answer 401 as an expired or reset token does."""

from __future__ import annotations

import logging
from http import HTTPStatus

import tornado.web

from bot.core.clock import Clock
from bot.sandbox.localapi.httpbase import LocalServer
from bot.sandbox.localapi.limits import Network
from bot.sandbox.localapi.webhook import WebhookSender
from bot.sandbox.zaloapi import errors
from bot.sandbox.zaloapi.limits import ZaloLimits
from bot.sandbox.zaloapi.state import ZaloBot
from bot.sandbox.zaloapi.web import make_app

SECRET_HEADER = "X-Bot-Api-Secret-Token"


def webhook_body(update: dict) -> dict:
    """What Zalo posts to a webhook: the update in the same envelope as getUpdates' answer."""
    return {"ok": True, "result": update}


class ZaloLocalApi(LocalServer):
    log = logging.getLogger("bot.sandbox.zaloapi")

    def __init__(self, host: str = "127.0.0.1", port: int = 0, limits: ZaloLimits | None = None,
                 account_name: str = "shcb.bot", clock: Clock | None = None,
                 network: Network | None = None) -> None:
        super().__init__(host, port, network)
        self.limits = limits if limits is not None else ZaloLimits()
        self.account_name = account_name
        self.clock = clock
        self.webhooks = WebhookSender(SECRET_HEADER, webhook_body)
        self.revoked: set[str] = set()
        # Faults for tests: method → HTTP statuses to answer its next calls with, untouched (see fail_next).
        self.failures: dict[str, list[int]] = {}

    # base_url: the Bot API is at `{base_url}<token>/<method>`, as at `https://bot-api.zaloplatforms.com/bot`.

    def make_app(self) -> tornado.web.Application:
        return make_app(self)

    def bot(self, token: str) -> ZaloBot:
        """The bot of `token`, created on first use."""
        state = self._bots.get(token)
        if state is None:
            state = self._bots[token] = ZaloBot(token, account_name=self.account_name, clock=self.clock)
        return state

    def fail_next(self, method: str, status: int, count: int = 1) -> None:
        """The next `count` calls of `method` (any bot) are refused with `status` and change nothing: 429
        "Quota exceeded", 408 "Request timeout", a 5xx with its phrase… (`delay_answers` is the other
        fault: applied, but answered late)."""
        self.failures.setdefault(method, []).extend([status] * count)

    def failure(self, method: str) -> dict | None:
        """The error body for this call if a failure is queued for `method` (and takes it)."""
        queued = self.failures.get(method)
        if not queued:
            return None
        status = queued.pop(0)
        described = {429: errors.QUOTA_EXCEEDED, 408: errors.REQUEST_TIMEOUT}
        return {"ok": False, "error_code": status, "description": described.get(status) or HTTPStatus(status).phrase}

    def revoke(self, token: str) -> None:
        """From now on every call with `token` answers 401 (an expired or reset token)."""
        self.revoked.add(token)
