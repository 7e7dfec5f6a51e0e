"""The HTTP side (tornado: HTTP/1.1 keep-alive, many connections at once, multipart uploads).

    /bot<token>/<method>            the Bot API (GET or POST)
    /file/bot<token>/<file_path>    file downloads (after getFile)
    /_user/<token>/<name>           the user side (POST JSON), see user_side.py
    /_user/<token>/file/<file_id>   an uploaded file's bytes

Tokens appear in every URL, so nothing here logs a URL without redacting it.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import re
from http import HTTPStatus
from typing import TYPE_CHECKING

import tornado.web

from bot.sandbox.localapi import errors
from bot.sandbox.localapi import methods_bot, methods_messages, methods_updates  # noqa: F401  (they register the methods)
from bot.sandbox.localapi.call import Call, Described, find_method
from bot.sandbox.localapi.errors import ApiError, UserSideError
from bot.sandbox.localapi.params import Params
from bot.sandbox.localapi.user_side import USER_METHODS

if TYPE_CHECKING:
    from bot.sandbox.localapi.server import LocalBotApi

log = logging.getLogger("bot.sandbox.localapi")

TOKEN_RE = re.compile(r"\d{1,20}:[A-Za-z0-9_-]{1,200}")
_TOKEN_IN_PATH = re.compile(r"(/(?:file/)?bot|/_user/)[^/?]+")
_NOT_FOUND = {"ok": False, "error_code": 404, "description": errors.NOT_FOUND}


def redact(uri: str) -> str:
    return _TOKEN_IN_PATH.sub(r"\1<token>", uri)


def log_request(handler: tornado.web.RequestHandler) -> None:
    request = handler.request
    log.debug("%s %s %d %.1fms", request.method, redact(request.uri or ""), handler.get_status(),
              1000.0 * request.request_time())


class _Base(tornado.web.RequestHandler):
    def initialize(self, api: LocalBotApi) -> None:
        self.api = api

    def prepare(self) -> None:
        self.api.request_started(self)

    def on_finish(self) -> None:
        self.api.request_done(self)

    def reply(self, status: int, body: object) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body, ensure_ascii=False))

    def log_exception(self, typ, value, tb) -> None:  # tornado's version logs the URL, token included
        log.error("%s %s failed", self.request.method, redact(self.request.uri or ""), exc_info=(typ, value, tb))

    def write_error(self, status_code: int, **kwargs) -> None:
        self.reply(status_code, {"ok": False, "error_code": status_code, "description": HTTPStatus(status_code).phrase})


class NotFoundHandler(_Base):
    def prepare(self) -> None:
        self.reply(404, _NOT_FOUND)


class BotApiHandler(_Base):
    _task: asyncio.Future | None = None

    async def get(self, token: str, name: str) -> None:
        if not TOKEN_RE.fullmatch(token):
            return self.reply(404, _NOT_FOUND)
        bot = self.api.bot(token)
        bot.stats.requests[name] += 1
        function = find_method(name)
        if function is None:
            return self.reply(404, _NOT_FOUND)
        request = self.request
        try:
            params = Params.from_request(request.query_arguments, request.body_arguments, request.files,
                                         request.headers.get("Content-Type", ""), request.body)
            call = Call(bot, params, self.api.limits, self.api.webhooks)
            fault = self.api.faults.draw(name, params.string("chat_id")) if self.api.faults else None
            if fault is not None and not fault.applied:
                return await self._fail_before(fault)
            self._task = asyncio.ensure_future(_after_latency(self.api.network.latency(), function, call))
            result = await self._task
        except ApiError as error:
            return self.reply(error.code, error.to_json())
        except asyncio.CancelledError:
            return None  # the client went away while we waited (a long poll it gave up)
        if fault is not None:   # applied: now the bot is left without its answer
            if fault.kind == "timeout":
                await asyncio.sleep(self.api.faults.hold_seconds)
            return self._drop()
        delays = self.api.answer_delays.get(name.lower())
        if delays:
            await asyncio.sleep(delays.pop(0))   # done, but the answer is slow to come back
        body = {"ok": True, "result": result}
        if isinstance(result, Described):
            body = {"ok": True, "result": result.result, "description": result.description}
        self.reply(200, body)

    post = get

    async def _fail_before(self, fault) -> None:
        """A fault drawn before the request is applied: nothing happened, and the bot is told so (429,
        5xx) or left without an answer (a dropped connection)."""
        if fault.kind == "429":
            seconds = self.api.faults.retry_after
            return self.reply(429, errors.too_many_requests(seconds).to_json())
        if fault.kind == "5xx":
            phrase = HTTPStatus(fault.status).phrase
            return self.reply(fault.status, {"ok": False, "error_code": fault.status, "description": phrase})
        return self._drop()

    def _drop(self) -> None:
        """Close the connection without an answer (the client sees the server disconnect)."""
        self._finished = True   # tornado: nothing more is written for this request
        self.request.connection.close()
        self.api.request_done(self)

    def on_connection_close(self) -> None:
        self.api.request_done(self)
        if self._task is not None:
            self._task.cancel()


async def _after_latency(delay: float, function, call: Call):
    """The call as the server sees it once it has crossed the network: flood control counts it on
    arrival, after the latency."""
    if delay > 0:
        await asyncio.sleep(delay)
    return await function(call)


class FileHandler(_Base):
    """Downloads by file_path, as PTB's File.download_* asks for them."""

    def get(self, token: str, path: str) -> None:
        stored = self.api.bot(token).files.by_path(path) if TOKEN_RE.fullmatch(token) else None
        if stored is None:
            return self.reply(404, _NOT_FOUND)
        self.set_header("Content-Type", stored.mime_type)
        self.finish(stored.data)


class UserFileHandler(_Base):
    def get(self, token: str, file_id: str) -> None:
        stored = self.api.bot(token).files.get(file_id) if TOKEN_RE.fullmatch(token) else None
        if stored is None:
            return self.reply(404, {"ok": False, "description": "unknown file_id"})
        self.set_header("Content-Type", stored.mime_type)
        self.finish(stored.data)


class UserApiHandler(_Base):
    async def post(self, token: str, name: str) -> None:
        function = USER_METHODS.get(name)
        if function is None or not TOKEN_RE.fullmatch(token):
            return self.reply(404, {"ok": False, "description": f"unknown user-side call {name!r}"})
        try:
            body = json.loads(self.request.body or b"{}")
            result = function(self.api.bot(token), body)
            if inspect.isawaitable(result):
                result = await result
        except (UserSideError, KeyError, ValueError, TypeError) as error:
            return self.reply(400, {"ok": False, "description": str(error) or type(error).__name__})
        self.reply(200, {"ok": True, "result": result})


def make_app(api: LocalBotApi) -> tornado.web.Application:
    options = {"api": api}
    return tornado.web.Application(
        [
            (r"/bot([^/]*)/([^/]*)", BotApiHandler, options),
            (r"/file/bot([^/]+)/(.+)", FileHandler, options),
            (r"/_user/([^/]+)/file/([^/]+)", UserFileHandler, options),
            (r"/_user/([^/]+)/([^/]+)", UserApiHandler, options),
        ],
        default_handler_class=NotFoundHandler,
        default_handler_args=options,
        log_function=log_request,
        compress_response=False,
    )
