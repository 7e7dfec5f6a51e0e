"""`LocalBotApi`: the local Telegram Bot API server, started in-process (tests, demo, shell) or by
`shcb localapi`. Any well-formed token (`<digits>:<letters>`) is accepted and is a bot of its own."""

from __future__ import annotations

import tornado.web

from bot.core.clock import Clock
from bot.sandbox.localapi.faults import FaultPlan
from bot.sandbox.localapi.httpbase import LocalServer
from bot.sandbox.localapi.limits import Limits, Network
from bot.sandbox.localapi.state import BotState
from bot.sandbox.localapi.web import make_app
from bot.sandbox.localapi.webhook import WebhookSender


class LocalBotApi(LocalServer):
    def __init__(self, host: str = "127.0.0.1", port: int = 0, limits: Limits | None = None,
                 bot_username: str = "shcb_demo_bot", clock: Clock | None = None,
                 bot_first_name: str = "SHCB", network: Network | None = None,
                 faults: FaultPlan | None = None) -> None:
        super().__init__(host, port, network)
        self.limits = limits if limits is not None else Limits()
        self.faults = faults   # transport faults on purpose (faults.py); None: none
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.clock = clock
        self.webhooks = WebhookSender()

    @property
    def base_file_url(self) -> str:
        return f"{self.origin}/file/bot"

    def make_app(self) -> tornado.web.Application:
        return make_app(self)

    def bot(self, token: str) -> BotState:
        """The bot of `token`, created on first use."""
        state = self._bots.get(token)
        if state is None:
            state = self._bots[token] = BotState(token, username=self.bot_username,
                                                 first_name=self.bot_first_name, clock=self.clock)
        return state
