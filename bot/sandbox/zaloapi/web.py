"""The HTTP side of the Zalo server (tornado).

    /bot<token>/<method>     the Zalo Bot API (GET or POST; query string, form, JSON or multipart)
    /_user/<token>/<name>    the user side (POST JSON), see user_side.py

A token not of the form `<digits>:<letters>`, or one revoked by the test, is answered 401. Tokens appear
in every URL, so nothing here logs a URL without redacting it.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING

import tornado.web

from bot.sandbox.localapi.call import Call
from bot.sandbox.localapi.errors import ApiError
from bot.sandbox.localapi.httpbase import JsonHandler, NotFoundHandler, UserSideHandler, log_request
from bot.sandbox.localapi.params import Params
from bot.sandbox.zaloapi import errors, updates  # noqa: F401  (updates registers its methods)
from bot.sandbox.zaloapi.methods import METHODS, NO_RESULT
from bot.sandbox.zaloapi.user_side import USER_METHODS

if TYPE_CHECKING:
    from bot.sandbox.zaloapi.server import ZaloLocalApi

TOKEN_RE = re.compile(r"\d{1,20}:[A-Za-z0-9_-]{1,200}")


def _bot_of(api: ZaloLocalApi, token: str):
    return api.bot(token) if TOKEN_RE.fullmatch(token) else None


class ZaloApiHandler(JsonHandler):
    async def get(self, token: str, name: str) -> None:
        if not TOKEN_RE.fullmatch(token) or token in self.api.revoked:
            return self.reply(401, {"ok": False, "error_code": 401, "description": errors.UNAUTHORIZED})
        bot = self.api.bot(token)
        bot.stats.requests[name] += 1
        function = METHODS.get(name)
        if function is None:
            return self.reply(404, {"ok": False, "error_code": 404, "description": errors.NOT_FOUND})
        request = self.request
        try:
            params = Params.from_request(request.query_arguments, request.body_arguments, request.files,
                                         request.headers.get("Content-Type", ""), request.body)
            call = Call(bot, params, self.api.limits, self.api.webhooks)
            self._task = asyncio.ensure_future(self.api.after_latency(function, call))
            result = await self._task
        except ApiError as refusal:
            return self.reply(refusal.code, refusal.to_json())
        except asyncio.CancelledError:
            return None  # the client went away while we waited (a long poll it gave up)
        await self.api.answer_delay(name)
        self.reply(200, {"ok": True} if result is NO_RESULT else {"ok": True, "result": result})

    post = get


def make_app(api: ZaloLocalApi) -> tornado.web.Application:
    options = {"api": api}
    return tornado.web.Application(
        [
            (r"/bot([^/]*)/([^/]*)", ZaloApiHandler, options),
            (r"/_user/([^/]+)/([^/]+)", UserSideHandler, {**options, "methods": USER_METHODS, "bot_of": _bot_of}),
        ],
        default_handler_class=NotFoundHandler,
        default_handler_args=options,
        log_function=log_request,
        compress_response=False,
    )
