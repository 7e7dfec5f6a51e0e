"""`LocalBotApi`: the local Telegram Bot API server, started in-process (tests, demo, shell) or by
`shcb localapi`. Any well-formed token (`<digits>:<letters>`) is accepted and is a bot of its own."""

from __future__ import annotations

import asyncio
import logging

import tornado.httpserver
import tornado.netutil

from bot.core.clock import Clock
from bot.sandbox.localapi.faults import FaultPlan
from bot.sandbox.localapi.limits import Limits, Network
from bot.sandbox.localapi.state import BotState
from bot.sandbox.localapi.web import make_app
from bot.sandbox.localapi.webhook import WebhookSender

log = logging.getLogger("bot.sandbox.localapi")


class LocalBotApi:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, limits: Limits | None = None,
                 bot_username: str = "shcb_demo_bot", clock: Clock | None = None,
                 bot_first_name: str = "SHCB", network: Network | None = None,
                 faults: FaultPlan | None = None) -> None:
        self.host = host
        self.port = port
        self.limits = limits if limits is not None else Limits()
        self.network = network if network is not None else Network()   # no latency unless asked
        self.faults = faults   # transport faults on purpose (faults.py); None: none
        # A fault for tests: method (lower case) → delays, one per call, held after the call took effect
        # and before its answer (the client may time out on a message that was sent). See delay_answers.
        self.answer_delays: dict[str, list[float]] = {}
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.clock = clock
        self.webhooks = WebhookSender()
        self._bots: dict[str, BotState] = {}
        self._http: tornado.httpserver.HTTPServer | None = None
        self._requests: set = set()  # requests being handled, so stop() lets them answer first
        self._no_requests = asyncio.Event()

    # --- addresses ---

    @property
    def _origin(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else "[::1]" if self.host == "::" else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self._origin}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self._origin}/file/bot"

    @property
    def user_url(self) -> str:
        return f"{self._origin}/_user"

    # --- life ---

    async def start(self) -> None:
        for bot in self._bots.values():  # started again after a stop: its bots keep their chats
            bot.closed = False
        sockets = tornado.netutil.bind_sockets(self.port, self.host or None)
        self.port = sockets[0].getsockname()[1]
        self._http = tornado.httpserver.HTTPServer(make_app(self), idle_connection_timeout=300)
        self._http.add_sockets(sockets)
        log.debug("local Bot API server listening on %s", self._origin)

    async def stop(self) -> None:
        """Long polls waiting now answer (with nothing new), then every connection is closed."""
        for bot in self._bots.values():
            bot.closed = True
            bot.wake_all()
        await self.webhooks.close()
        if self._http is not None:
            self._http.stop()
            if self._requests:
                self._no_requests.clear()
                try:
                    await asyncio.wait_for(self._no_requests.wait(), timeout=2)
                except TimeoutError:
                    log.debug("%d requests still open at stop", len(self._requests))
            await asyncio.wait_for(self._http.close_all_connections(), timeout=5)
            self._http = None

    def request_started(self, handler: object) -> None:
        self._requests.add(handler)

    def request_done(self, handler: object) -> None:
        self._requests.discard(handler)
        if not self._requests:
            self._no_requests.set()

    async def __aenter__(self) -> LocalBotApi:
        await self.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    def delay_answers(self, method: str, seconds: float, count: int = 1) -> None:
        """The next `count` calls of `method` take effect, but their answers come `seconds` late."""
        self.answer_delays.setdefault(method.lower(), []).extend([seconds] * count)

    # --- bots ---

    def bot(self, token: str) -> BotState:
        """The bot of `token`, created on first use."""
        state = self._bots.get(token)
        if state is None:
            state = self._bots[token] = BotState(token, username=self.bot_username,
                                                 first_name=self.bot_first_name, clock=self.clock)
        return state

    def stats(self, token: str) -> dict:
        """{"requests": {method: n}, "rate_limited": n, "forbidden": n, "sent": n}"""
        return self.bot(token).stats.to_json()
