"""The HTTP side (tornado: HTTP/1.1 keep-alive, many connections at once, multipart uploads).

    /bot<token>/<method>            the Bot API (GET or POST)
    /file/bot<token>/<file_path>    file downloads (after getFile)
    /_user/<token>/<name>           the user side (POST JSON), see user_side.py
    /_user/<token>/file/<file_id>   an uploaded file's bytes

Tokens appear in every URL, so nothing here logs a URL without redacting it.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING

import tornado.web

from bot.sandbox.localapi import errors
from bot.sandbox.localapi import methods_bot, methods_messages, methods_updates  # noqa: F401  (they register the methods)
from bot.sandbox.localapi.call import Call, Described, find_method
from bot.sandbox.localapi.errors import ApiError
from bot.sandbox.localapi.httpbase import JsonHandler, NotFoundHandler, UserSideHandler, log_request
from bot.sandbox.localapi.params import Params
from bot.sandbox.localapi.user_side import USER_METHODS

if TYPE_CHECKING:
    from bot.sandbox.localapi.server import LocalBotApi

TOKEN_RE = re.compile(r"\d{1,20}:[A-Za-z0-9_-]{1,200}")
_NOT_FOUND = {"ok": False, "error_code": 404, "description": errors.NOT_FOUND}


class BotApiHandler(JsonHandler):
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
            self._task = asyncio.ensure_future(self.api.after_latency(function, call))
            result = await self._task
        except ApiError as error:
            return self.reply(error.code, error.to_json())
        except asyncio.CancelledError:
            return None  # the client went away while we waited (a long poll it gave up)
        await self.api.answer_delay(name)
        body = {"ok": True, "result": result}
        if isinstance(result, Described):
            body = {"ok": True, "result": result.result, "description": result.description}
        self.reply(200, body)

    post = get


class FileHandler(JsonHandler):
    """Downloads by file_path, as PTB's File.download_* asks for them."""

    def get(self, token: str, path: str) -> None:
        stored = self.api.bot(token).files.by_path(path) if TOKEN_RE.fullmatch(token) else None
        if stored is None:
            return self.reply(404, _NOT_FOUND)
        self.set_header("Content-Type", stored.mime_type)
        self.finish(stored.data)


class UserFileHandler(JsonHandler):
    def get(self, token: str, file_id: str) -> None:
        stored = self.api.bot(token).files.get(file_id) if TOKEN_RE.fullmatch(token) else None
        if stored is None:
            return self.reply(404, {"ok": False, "description": "unknown file_id"})
        self.set_header("Content-Type", stored.mime_type)
        self.finish(stored.data)


def _bot_of(api: LocalBotApi, token: str):
    return api.bot(token) if TOKEN_RE.fullmatch(token) else None


def make_app(api: LocalBotApi) -> tornado.web.Application:
    options = {"api": api}
    return tornado.web.Application(
        [
            (r"/bot([^/]*)/([^/]*)", BotApiHandler, options),
            (r"/file/bot([^/]+)/(.+)", FileHandler, options),
            (r"/_user/([^/]+)/file/([^/]+)", UserFileHandler, options),
            (r"/_user/([^/]+)/([^/]+)", UserSideHandler, {**options, "methods": USER_METHODS, "bot_of": _bot_of}),
        ],
        default_handler_class=NotFoundHandler,
        default_handler_args=options,
        log_function=log_request,
        compress_response=False,
    )
