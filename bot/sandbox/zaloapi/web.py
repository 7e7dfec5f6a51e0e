"""The HTTP side of the Zalo server (tornado).

    /bot<token>/<method>     the Zalo Bot API (GET or POST; query string, form, JSON or multipart)
    /_user/<token>/<name>    the user side (POST JSON), see user_side.py

A token not of the form `<digits>:<letters>`, or one revoked by the test, is answered 401. Tokens appear
in every URL, so nothing here logs a URL without redacting it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import tornado.web

from bot.sandbox.localapi.call import Call
from bot.sandbox.localapi import httpbase
from bot.sandbox.localapi.httpbase import JsonHandler
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
        failure = self.api.failure(name)
        if failure is not None:
            return self.reply(failure["error_code"], failure)
        result = await self.run_method(name, function, lambda params: Call(bot, params, self.api.limits,
                                                                           self.api.webhooks))
        if result is self.ANSWERED:
            return None
        self.reply(200, {"ok": True} if result is NO_RESULT else {"ok": True, "result": result})

    post = get


def make_app(api: ZaloLocalApi) -> tornado.web.Application:
    return httpbase.make_app(api, [(r"/bot([^/]*)/([^/]*)", ZaloApiHandler)], USER_METHODS, _bot_of)
