"""bot/delivery/http.py: python-telegram-bot's Bot over aiohttp, against the local Bot API server — calls,
uploads, and each failure as the outbox must tell them apart (sent or not)."""

from __future__ import annotations

import asyncio

import pytest
import telegram
from telegram.error import NetworkError, TimedOut

from bot.delivery.http import AiohttpRequest, tls_context
from bot.delivery.sender import may_have_arrived
from bot.sandbox.localapi import FaultPlan
from bot.sandbox.stage import free_port
from tests.fixtures.localapi import LOCALAPI_TOKEN


def _bot(base_url: str, base_file_url: str | None = None, **request) -> telegram.Bot:
    return telegram.Bot(LOCALAPI_TOKEN, base_url=base_url, base_file_url=base_file_url or base_url,
                        request=AiohttpRequest(**{"connection_pool_size": 4, "ssl_context": tls_context(),
                                                  **request}))


async def test_calls_uploads_and_downloads_go_through(localapi, localapi_client, tmp_path):
    user = 501
    await localapi_client.create_user(user, "An", started=True)
    async with _bot(localapi.base_url, localapi.base_file_url) as bot:
        assert (await bot.get_me()).is_bot
        sent = await bot.send_message(user, "Chào đồng chí <b>Bí thư</b>", parse_mode="HTML")
        edited = await bot.edit_message_text("Đã sửa", chat_id=user, message_id=sent.message_id,
                                             reply_markup=telegram.InlineKeyboardMarkup(
                                                 [[telegram.InlineKeyboardButton("Lưu", callback_data="rc:1:save")]]))
        report = tmp_path / "bao-cao.xlsx"
        report.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 40)
        document = await bot.send_document(user, report.open("rb"), filename="Báo cáo tháng 12.xlsx",
                                           caption="Báo cáo")
        downloaded = await (await bot.get_file(document.document.file_id)).download_as_bytearray()
    assert sent.text == "Chào đồng chí Bí thư"   # the HTML was read as HTML
    assert edited.text == "Đã sửa" and edited.reply_markup.inline_keyboard[0][0].callback_data == "rc:1:save"
    assert document.document.file_name == "Báo cáo tháng 12.xlsx" and bytes(downloaded) == report.read_bytes()
    shown = [m for m in await localapi_client.messages(user) if m.from_bot]
    assert shown[0].text == "Đã sửa" and shown[0].buttons == [[("Lưu", "rc:1:save")]]


async def test_a_late_answer_is_a_time_out_that_may_have_arrived(localapi, localapi_client):
    await localapi_client.create_user(502, "An", started=True)
    localapi.delay_answers("sendMessage", 1.0)
    async with _bot(localapi.base_url, read_timeout=0.3) as bot:
        with pytest.raises(TimedOut) as caught:
            await bot.send_message(502, "Tin")
    assert may_have_arrived(caught.value)
    await asyncio.sleep(0.8)
    assert [m.text for m in await localapi_client.messages(502)] == ["Tin"]   # it did


async def test_no_server_is_a_network_error_that_never_left():
    bot = _bot(f"http://127.0.0.1:{free_port()}/bot", connect_timeout=1)
    try:
        with pytest.raises(NetworkError) as caught:
            await bot.initialize()   # (it asks getMe)
    finally:
        await bot.shutdown()
    assert not isinstance(caught.value, TimedOut) and "aiohttp.ClientConnectorError" in caught.value.message
    assert not may_have_arrived(caught.value)


def test_which_failures_never_left():
    """The connect phase's own time-out (aiohttp raises it for a connection not made in time) and our pool
    wait: the call never left. A read time-out may have arrived."""
    import aiohttp
    from bot.delivery.http import never_sent

    assert never_sent(aiohttp.ConnectionTimeoutError("connect")) and not never_sent(aiohttp.SocketTimeoutError("read"))
    assert not never_sent(aiohttp.ServerDisconnectedError()) and not never_sent(None)


async def test_no_free_connection_is_a_pool_time_out_that_never_left(localapi, localapi_client):
    await localapi_client.create_user(503, "An", started=True)
    localapi.delay_answers("sendMessage", 0.6)
    async with _bot(localapi.base_url, connection_pool_size=1, pool_timeout=0.1) as bot:
        first = asyncio.ensure_future(bot.send_message(503, "Một"))
        await asyncio.sleep(0.1)
        with pytest.raises(TimedOut) as caught:
            await bot.send_message(503, "Hai")
        assert (await first).text == "Một"
    assert "Pool timeout" in caught.value.message and not may_have_arrived(caught.value)
    assert [m.text for m in await localapi_client.messages(503)] == ["Một"]


async def test_a_dropped_connection_is_a_network_error_that_may_have_arrived(localapi, localapi_client):
    await localapi_client.create_user(504, "An", started=True)
    localapi.faults = FaultPlan(rate=1.0, kinds=("drop",), methods=("sendMessage",), seed=1)
    async with _bot(localapi.base_url) as bot:
        with pytest.raises(NetworkError) as caught:
            await bot.send_message(504, "Tin")
    assert not isinstance(caught.value, TimedOut) and may_have_arrived(caught.value)


async def test_a_request_not_initialized_or_shut_down_says_so():
    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:1/x", "POST")
    await request.initialize()
    await request.shutdown()
    await request.shutdown()   # twice is harmless
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:1/x", "POST")


async def test_the_proxy_of_the_environment_is_used(monkeypatch):
    """HTTPS_PROXY / HTTP_PROXY apply (as they did with httpx): the call goes to the proxy, naming the
    Bot API address in full."""
    seen: list[bytes] = []
    answer = b'{"ok":true,"result":{"id":1,"is_bot":true,"first_name":"shcb","username":"shcb_bot"}}'

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                     b"Connection: close\r\n\r\n%s" % (len(answer), answer))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(proxy, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    try:
        async with _bot("http://api.telegram.invalid/bot") as bot:
            assert bot.username == "shcb_bot"
    finally:
        server.close()
        await server.wait_closed()
    assert seen and seen[0].startswith(b"POST http://api.telegram.invalid/bot" + LOCALAPI_TOKEN.encode() + b"/getMe ")


async def test_no_proxy_is_honoured(localapi, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{free_port()}")   # nobody there
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    async with _bot(localapi.base_url) as bot:   # straight to the local server
        assert (await bot.get_me()).is_bot
