"""The bot's HTTP client for Bot API calls: python-telegram-bot's networking interface (`BaseRequest`, its
documented place for another HTTP library) over aiohttp.

Why not PTB's own `HTTPXRequest`: at Telegram's pace the bot's CPU went mostly to httpx. In the burst
benchmark 44 % of the bot's CPU was inside httpx, httpcore and anyio, about 2 ms for each call, against
about 0.4 ms with aiohttp (its HTTP parser is compiled), measured side by side against one local server.
A busy event loop starts each turn's request late, and the send budget then delays the turn a window later
(bot/delivery/pacing.py), so that CPU became the crowd's wait.

What `HTTPXRequest` promises, this keeps: PTB's timeouts (connect, read, write, pool; a call's own or the
defaults given here), `TimedOut` for a time-out and `NetworkError` for a broken connection, each with
aiohttp's error as its cause, and "Pool timeout" in the message when no connection was free. `never_sent`
tells the outbox which of those failures cannot have reached Telegram.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from telegram._utils.defaultvalue import DefaultValue   # PTB's "not given", as its HTTPXRequest reads it

POOL_TIMEOUT_MESSAGE = ("Pool timeout: All connections in the connection pool are occupied. Request was *not* "
                        "sent to Telegram. Consider adjusting the connection pool size or the pool timeout.")


class _PoolTimeout(asyncio.TimeoutError):
    """No connection of the pool was free in time (the call was not sent)."""


class AiohttpRequest(BaseRequest):
    """Bot API calls through one aiohttp session with `connection_pool_size` connections at most, kept
    open between calls (for `keep_alive` seconds idle)."""

    def __init__(self, connection_pool_size: int = 1, *, read_timeout: float | None = 5.0,
                 write_timeout: float | None = 5.0, connect_timeout: float | None = 5.0,
                 pool_timeout: float | None = 1.0, media_write_timeout: float | None = 20.0,
                 ssl_context: ssl.SSLContext | None = None, keep_alive: float = 30.0) -> None:
        self._pool_size = max(1, connection_pool_size)
        self._timeouts = {"read": read_timeout, "write": write_timeout, "connect": connect_timeout,
                          "pool": pool_timeout}
        self._media_write_timeout = media_write_timeout
        self._ssl = ssl_context
        self._keep_alive = keep_alive
        self._session: aiohttp.ClientSession | None = None
        self._slots: asyncio.Semaphore | None = None
        self._proxies: dict[str, str] = {}
        self._proxy_of: dict[tuple[str, str], str | None] = {}   # (scheme, host) → its proxy, if any

    @property
    def read_timeout(self) -> float | None:
        return self._timeouts["read"]

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0, ssl=self._ssl or True,
                                             keepalive_timeout=self._keep_alive)
            self._session = aiohttp.ClientSession(connector=connector, headers={"User-Agent": self.USER_AGENT})
            # HTTPS_PROXY, NO_PROXY and the like apply, read once as httpx did (aiohttp's trust_env reads
            # them at every call: 0.7 ms of CPU a call, more than the call itself).
            self._proxies = urllib.request.getproxies()
            self._proxy_of.clear()
            self._slots = asyncio.Semaphore(self._pool_size)

    async def shutdown(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    def _proxy(self, url: str) -> str | None:
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "")
        if key not in self._proxy_of:
            proxy = self._proxies.get(parts.scheme)
            bypass = proxy and urllib.request.proxy_bypass_environment(key[1], self._proxies)
            self._proxy_of[key] = None if not proxy or bypass else proxy
        return self._proxy_of[key]

    def _timeout(self, name: str, given: Any, files: bool = False) -> float | None:
        if isinstance(given, DefaultValue):
            return self._media_write_timeout if name == "write" and files else self._timeouts[name]
        return given

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = BaseRequest.DEFAULT_NONE, write_timeout: Any = BaseRequest.DEFAULT_NONE,
                         connect_timeout: Any = BaseRequest.DEFAULT_NONE,
                         pool_timeout: Any = BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        if self._session is None or self._session.closed or self._slots is None:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = bool(request_data and request_data.contains_files)
        read = self._timeout("read", read_timeout)
        write = self._timeout("write", write_timeout, files)
        connect = self._timeout("connect", connect_timeout)
        pool = self._timeout("pool", pool_timeout)
        try:
            # The pool's wait is ours, so that running out of connections is told apart from a slow
            # connect (aiohttp counts both in one connect time-out).
            async with asyncio.timeout(pool):
                await self._slots.acquire()
        except TimeoutError as error:
            raise TimedOut(message=POOL_TIMEOUT_MESSAGE) from _PoolTimeout(str(error))
        try:
            return await self._send(url, method, request_data, files, read=read, write=write, connect=connect)
        finally:
            self._slots.release()

    async def _send(self, url: str, method: str, request_data: RequestData | None, files: bool, *,
                    read: float | None, write: float | None, connect: float | None) -> tuple[int, bytes]:
        # aiohttp has no write time-out of its own: the whole call is bounded by the sum of its parts.
        parts = (connect, write, read)
        timeout = aiohttp.ClientTimeout(total=None if None in parts else sum(parts), connect=connect,
                                        sock_connect=connect, sock_read=read)
        assert self._session is not None
        try:
            async with self._session.request(method, url, data=_body(request_data), timeout=timeout,
                                             proxy=self._proxy(url)) as response:
                return response.status, await response.read()
        except asyncio.TimeoutError as error:   # (aiohttp's time-outs are asyncio's)
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{error.__class__.__name__}: {error}") from error


def _body(request_data: RequestData | None) -> Any:
    """A form like the one `HTTPXRequest` posts: url-encoded parameters, or multipart with the files."""
    if request_data is None:
        return None
    if not request_data.contains_files:
        return request_data.json_parameters or None
    form = aiohttp.FormData(quote_fields=False)
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form


def never_sent(cause: BaseException | None) -> bool:
    """Whether the failure behind a `NetworkError` happened before the call could leave: no connection free,
    or no connection made."""
    return isinstance(cause, (_PoolTimeout, aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError))


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The verifying TLS context for every client of the process (httpx's default: certifi's CA bundle),
    built once: loading the bundle costs about 50 ms a client, and the tests, the demo and the shell start
    many applications."""
    import httpx

    return httpx.create_ssl_context()
