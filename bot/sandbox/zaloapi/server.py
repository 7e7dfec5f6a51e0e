"""`ZaloLocalApi`: the local Zalo Bot Platform server, started in-process (tests, demo, shell) or by
`shcb localapi --zalo`. Any well-formed token (`<digits>:<letters>`) is accepted and is a bot of its
own, until `revoke(token)` makes it answer 401 as an expired or reset token does."""

from __future__ import annotations

import logging

import tornado.web

from bot.core.clock import Clock
from bot.sandbox.localapi.httpbase import LocalServer
from bot.sandbox.localapi.limits import Network
from bot.sandbox.localapi.webhook import WebhookSender
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
        self._bots: dict[str, ZaloBot] = {}

    @property
    def base_url(self) -> str:
        """Where the Bot API is: `{base_url}<token>/<method>`, as `https://bot-api.zaloplatforms.com/bot`."""
        return f"{self.origin}/bot"

    @property
    def user_url(self) -> str:
        return f"{self.origin}/_user"

    def make_app(self) -> tornado.web.Application:
        return make_app(self)

    def reopened(self) -> None:
        for bot in self._bots.values():
            bot.closed = False

    async def closing(self) -> None:
        for bot in self._bots.values():
            bot.closed = True
            bot.wake_all()
        await self.webhooks.close()

    def bot(self, token: str) -> ZaloBot:
        """The bot of `token`, created on first use."""
        state = self._bots.get(token)
        if state is None:
            state = self._bots[token] = ZaloBot(token, account_name=self.account_name, clock=self.clock)
        return state

    def revoke(self, token: str) -> None:
        """From now on every call with `token` answers 401 (an expired or reset token)."""
        self.revoked.add(token)

    def stats(self, token: str) -> dict:
        """{"requests": {method: n}, "rate_limited": n, "forbidden": n, "sent": n}"""
        return self.bot(token).stats.to_json()
