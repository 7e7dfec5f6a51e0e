"""Receiving Zalo updates by webhook: a small tornado server (tornado comes with python-telegram-bot).

Zalo posts each update (in the envelope `{"ok": true, "result": <update>}`, or bare) to `[zalo.webhook]
url` with the secret in the header `X-Bot-Api-Secret-Token`. A request without the right secret is
answered 403 and nothing of it is read further; a good one is translated by the adapter (the same as a
getUpdates answer) and put on the Zalo Application's update queue.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import tornado.httpserver
import tornado.web
from telegram import Update
from telegram.ext import Application

from bot.channels.zalo.request import ZaloRequest
from bot.core.config import Config

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Bot-Api-Secret-Token"


@dataclass(frozen=True)
class ZaloWebhookSettings:
    listen: str
    port: int
    url: str            # what Zalo posts to (public, usually behind a reverse proxy)
    secret_token: str
    url_path: str       # the path this server answers on

    @classmethod
    def from_config(cls, config: Config) -> "ZaloWebhookSettings":
        hook = config.zalo.webhook
        return cls(listen=hook.listen, port=hook.port, url=hook.url, secret_token=hook.secret_token,
                   url_path=urlsplit(hook.url).path.strip("/"))


class _UpdateHandler(tornado.web.RequestHandler):
    def initialize(self, receiver: "ZaloWebhookReceiver") -> None:
        self.receiver = receiver

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.receiver.secret_token.encode()):
            log.warning("Zalo webhook: a request without the right secret token was refused")
            raise tornado.web.HTTPError(403)
        try:
            body = json.loads(self.request.body or b"null")
        except ValueError:
            raise tornado.web.HTTPError(400) from None
        update = body.get("result", body) if isinstance(body, dict) and "result" in body else body
        await self.receiver.receive(update)
        self.set_header("Content-Type", "application/json")
        self.finish(b'{"ok": true}')

    def write_error(self, status_code: int, **kwargs) -> None:
        self.finish(json.dumps({"ok": False, "error_code": status_code}))


class ZaloWebhookReceiver:
    def __init__(self, application: Application, adapter: ZaloRequest, settings: ZaloWebhookSettings) -> None:
        self.application = application
        self.adapter = adapter
        self.settings = settings
        self.secret_token = settings.secret_token
        self._server: tornado.httpserver.HTTPServer | None = None

    async def receive(self, update: object) -> None:
        for data in await self.adapter.translate(update):
            await self.application.update_queue.put(Update.de_json(data, self.application.bot))

    async def start(self) -> None:
        path = self.settings.url_path.strip("/")
        route = rf"/{re.escape(path)}/?" if path else r"/"
        app = tornado.web.Application([(route, _UpdateHandler, {"receiver": self})])
        self._server = tornado.httpserver.HTTPServer(app)
        self._server.listen(self.settings.port, self.settings.listen)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None
