"""What every local chat-platform server here shares (the Telegram one in this package, the Zalo one in
`bot.sandbox.zaloapi`): the tornado server's life (listen, stop after the requests under way have
answered), the network latency before a call arrives, slow answers for tests, and the JSON handler base
that never logs a token."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import re
import time
from http import HTTPStatus

import tornado.httpserver
import tornado.netutil
import tornado.web

from bot.sandbox.localapi import errors
from bot.sandbox.localapi.errors import ApiError, UserSideError
from bot.sandbox.localapi.limits import ARRIVAL, Network
from bot.sandbox.localapi.params import Params

_TOKEN_IN_PATH = re.compile(r"(/(?:file/)?bot|/_user/)[^/?]+")


def redact(uri: str) -> str:
    return _TOKEN_IN_PATH.sub(r"\1<token>", uri)


class LocalServer:
    """A local API server's life; subclasses say what the app is (`make_app`) and what to wake when it
    stops (`closing`)."""

    log = logging.getLogger("bot.sandbox.localapi")

    def __init__(self, host: str, port: int, network: Network | None) -> None:
        self.host = host
        self.port = port
        self.network = network if network is not None else Network()   # no latency unless asked
        # A fault for tests: method (lower case) → delays, one per call, held after the call took effect
        # and before its answer (the client may time out on a message that was sent). See delay_answers.
        self.answer_delays: dict[str, list[float]] = {}
        # Transport faults on purpose (faults.py: a FaultPlan), drawn per bot call; None: none.
        self.faults = None
        self._bots: dict = {}  # token → the bot's state (subclasses make them, see `bot`)
        self.webhooks = None  # a WebhookSender, set by the subclass
        self._http: tornado.httpserver.HTTPServer | None = None
        self._requests: set = set()  # requests being handled, so stop() lets them answer first
        self._no_requests = asyncio.Event()

    def make_app(self) -> tornado.web.Application:
        raise NotImplementedError

    async def closing(self) -> None:
        """The server is stopping: long polls answer now, webhooks stop pushing."""
        for bot in self._bots.values():
            bot.closed = True
            bot.wake_all()
        await self.webhooks.close()

    def reopened(self) -> None:
        """Started again after a stop: its bots keep their chats."""
        for bot in self._bots.values():
            bot.closed = False

    @property
    def origin(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else "[::1]" if self.host == "::" else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.origin}/bot"

    @property
    def user_url(self) -> str:
        return f"{self.origin}/_user"

    def stats(self, token: str) -> dict:
        """{"requests": {method: n}, "rate_limited": n, "forbidden": n, "sent": n}"""
        return self.bot(token).stats.to_json()

    def bot(self, token: str):
        raise NotImplementedError

    async def start(self) -> None:
        self.reopened()
        sockets = tornado.netutil.bind_sockets(self.port, self.host or None)
        self.port = sockets[0].getsockname()[1]
        self._http = tornado.httpserver.HTTPServer(self.make_app(), idle_connection_timeout=300)
        self._http.add_sockets(sockets)
        self.log.debug("local server listening on %s", self.origin)

    async def stop(self) -> None:
        """Long polls waiting now answer, then every connection is closed."""
        await self.closing()
        if self._http is not None:
            self._http.stop()
            if self._requests:
                self._no_requests.clear()
                try:
                    await asyncio.wait_for(self._no_requests.wait(), timeout=2)
                except TimeoutError:
                    self.log.debug("%d requests still open at stop", len(self._requests))
            await asyncio.wait_for(self._http.close_all_connections(), timeout=5)
            self._http = None

    def request_started(self, handler: object) -> None:
        self._requests.add(handler)

    def request_done(self, handler: object) -> None:
        self._requests.discard(handler)
        if not self._requests:
            self._no_requests.set()

    async def __aenter__(self):
        await self.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    def delay_answers(self, method: str, seconds: float, count: int = 1) -> None:
        """The next `count` calls of `method` take effect, but their answers come `seconds` late."""
        self.answer_delays.setdefault(method.lower(), []).extend([seconds] * count)

    async def answer_delay(self, method: str) -> None:
        delays = self.answer_delays.get(method.lower())
        if delays:
            await asyncio.sleep(delays.pop(0))   # done, but the answer is slow to come back

    async def after_latency(self, function, call):
        """The call as the server sees it once it has crossed the network: flood control counts it on
        arrival, after the latency."""
        delay = self.network.latency()
        if delay <= 0:
            return await function(call)
        arrival = time.monotonic() + delay   # (the servers' flood control counts on time.monotonic)
        await asyncio.sleep(delay)
        ARRIVAL.set(arrival)   # (this call's own task: its context is its own)
        return await function(call)


class JsonHandler(tornado.web.RequestHandler):
    """JSON answers; requests tracked so a stop lets them answer; nothing logs a URL unredacted. A bot
    method's handler runs the call as a task (`self._task`) so a client that goes away cancels it."""

    _task: asyncio.Future | None = None

    def initialize(self, api: LocalServer) -> None:
        self.api = api

    def prepare(self) -> None:
        self.api.request_started(self)

    def on_finish(self) -> None:
        self.api.request_done(self)

    def on_connection_close(self) -> None:
        self.api.request_done(self)
        if self._task is not None:
            self._task.cancel()

    ANSWERED = object()  # what `run_method` returns when it has answered already

    async def run_method(self, name: str, function, make_call):
        """Runs a bot method: its parameters read from the request, `make_call(params)` for it, after the
        network latency, then any slow-answer delay. Returns its result, or ANSWERED when it was refused
        (answered with the error) or the client went away."""
        request = self.request
        try:
            params = Params.from_request(request.query_arguments, request.body_arguments, request.files,
                                         request.headers.get("Content-Type", ""), request.body)
            call = make_call(params)
            faults = self.api.faults
            fault = faults.draw(name, params.string("chat_id")) if faults else None
            if fault is not None and not fault.applied:
                self._fail_before(fault)
                return self.ANSWERED
            self._task = asyncio.ensure_future(self.api.after_latency(function, call))
            result = await self._task
        except ApiError as error:
            self.reply(error.code, error.to_json())
            return self.ANSWERED
        except asyncio.CancelledError:
            return self.ANSWERED  # the client went away while we waited (a long poll it gave up)
        if fault is not None:   # applied: now the bot is left without its answer
            if fault.kind == "timeout":
                await asyncio.sleep(faults.hold_seconds)
            self._drop()
            return self.ANSWERED
        await self.api.answer_delay(name)
        return result

    def _fail_before(self, fault) -> None:
        """A fault drawn before the request is applied: nothing happened, and the bot is told so (429,
        5xx) or left without an answer (a dropped connection)."""
        if fault.kind == "429":
            return self.reply(429, errors.too_many_requests(self.api.faults.retry_after).to_json())
        if fault.kind == "5xx":
            phrase = HTTPStatus(fault.status).phrase
            return self.reply(fault.status, {"ok": False, "error_code": fault.status, "description": phrase})
        return self._drop()

    def _drop(self) -> None:
        """Close the connection without an answer (the client sees the server disconnect)."""
        self._finished = True   # tornado: nothing more is written for this request
        self.request.connection.close()
        self.api.request_done(self)

    def reply(self, status: int, body: object) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body, ensure_ascii=False))

    def log_exception(self, typ, value, tb) -> None:  # tornado's version logs the URL, token included
        self.api.log.error("%s %s failed", self.request.method, redact(self.request.uri or ""),
                           exc_info=(typ, value, tb))

    def write_error(self, status_code: int, **kwargs) -> None:
        self.reply(status_code, {"ok": False, "error_code": status_code, "description": HTTPStatus(status_code).phrase})


class NotFoundHandler(JsonHandler):
    def prepare(self) -> None:
        self.reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})


class UserSideHandler(JsonHandler):
    """`/_user/<token>/<name>`: a user-side call (POST JSON) of `methods`, {name: function(bot, body)};
    `bot_of(api, token)` is the bot of a well-formed token, else None."""

    def initialize(self, api: LocalServer, methods: dict, bot_of) -> None:
        super().initialize(api)
        self.methods = methods
        self.bot_of = bot_of

    async def post(self, token: str, name: str) -> None:
        function = self.methods.get(name)
        bot = self.bot_of(self.api, token)
        if function is None or bot is None:
            return self.reply(404, {"ok": False, "description": f"unknown user-side call {name!r}"})
        try:
            body = json.loads(self.request.body or b"{}")
            result = function(bot, body)
            if inspect.isawaitable(result):
                result = await result
        except (UserSideError, KeyError, ValueError, TypeError) as error:
            return self.reply(400, {"ok": False, "description": str(error) or type(error).__name__})
        self.reply(200, {"ok": True, "result": result})


def log_request(handler: tornado.web.RequestHandler) -> None:
    request = handler.request
    api = getattr(handler, "api", None)
    log = api.log if api is not None else LocalServer.log
    log.debug("%s %s %d %.1fms", request.method, redact(request.uri or ""), handler.get_status(),
              1000.0 * request.request_time())


def make_app(api: LocalServer, handlers: list, user_methods: dict, bot_of) -> tornado.web.Application:
    """`handlers`: (pattern, handler class) of the bot side; every handler gets `api`. The user side
    (`/_user/<token>/<name>`, `user_methods`) comes last, so more specific user paths go before it."""
    options = {"api": api}
    user_side = {**options, "methods": user_methods, "bot_of": bot_of}
    return tornado.web.Application(
        [(pattern, handler, options) for pattern, handler in handlers]
        + [(r"/_user/([^/]+)/([^/]+)", UserSideHandler, user_side)],
        default_handler_class=NotFoundHandler,
        default_handler_args=options,
        log_function=log_request,
        compress_response=False,
    )
