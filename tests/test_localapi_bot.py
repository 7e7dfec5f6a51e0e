"""The bot itself on the local Bot API server: getMe, command lists per scope and language, tokens,
unknown methods, and the request encodings Telegram accepts."""

from __future__ import annotations

import httpx
import pytest
import telegram
from telegram import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from telegram.error import BadRequest, EndPointNotFound, InvalidToken, NetworkError

from bot.sandbox.localapi import LocalApiClient, LocalBotApi
from bot.sandbox.localapi.call import METHODS
from tests.fixtures.localapi import LOCALAPI_TOKEN


async def test_get_me_names_the_configured_bot(clock):
    async with LocalBotApi(bot_username="chibo_test_bot", clock=clock) as server:
        async with telegram.Bot("987:ABC", base_url=server.base_url) as bot:
            me = await bot.get_me()
    assert (me.id, me.is_bot, me.username, me.first_name, me.can_join_groups) == (987, True, "chibo_test_bot", "SHCB", True)
    assert server.base_url == f"http://127.0.0.1:{server.port}/bot"
    assert server.base_file_url == f"http://127.0.0.1:{server.port}/file/bot"
    assert server.user_url == f"http://127.0.0.1:{server.port}/_user"


async def test_each_token_is_a_bot_of_its_own(localapi, localapi_bot, localapi_client):
    other_api = LocalApiClient(localapi.user_url, "777:OTHER")
    try:
        await other_api.create_user(5, "Khác", started=True)
        async with telegram.Bot("777:OTHER", base_url=localapi.base_url) as other:
            assert (await other.send_message(5, "x")).message_id == 1
        with pytest.raises(BadRequest, match="Chat not found"):
            await localapi_bot.send_message(5, "x")  # user 5 exists for the other bot only
        assert await localapi_client.users() == []
        assert [u["id"] for u in await other_api.users()] == [5]
    finally:
        await other_api.close()


async def test_commands_are_kept_per_scope_and_language(localapi_bot, localapi_client):
    default = [BotCommand("start", "Bắt đầu"), BotCommand("huongdan", "Hướng dẫn")]
    english = [BotCommand("start", "Start"), BotCommand("huongdan", "Guidance")]
    secretary = default + [BotCommand("diemdanh", "Điểm danh")]
    assert await localapi_bot.set_my_commands(default) is True
    await localapi_bot.set_my_commands(english, language_code="en")
    await localapi_bot.set_my_commands(secretary, scope=BotCommandScopeChat(501))
    assert await localapi_bot.get_my_commands() == tuple(default)
    assert await localapi_bot.get_my_commands(language_code="en") == tuple(english)
    assert await localapi_bot.get_my_commands(scope=BotCommandScopeChat(501)) == tuple(secretary)
    assert await localapi_bot.get_my_commands(scope=BotCommandScopeAllPrivateChats()) == ()
    assert [c["command"] for c in await localapi_client.my_commands(chat_id=501, scope_type="chat")] == [
        "start", "huongdan", "diemdanh"]
    assert await localapi_client.my_commands(language_code="en") == [
        {"command": "start", "description": "Start"}, {"command": "huongdan", "description": "Guidance"}]
    await localapi_bot.delete_my_commands(language_code="en")
    assert await localapi_bot.get_my_commands(language_code="en") == ()
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await localapi_bot.set_my_commands([BotCommand("Điểm-danh", "x")])


async def test_unknown_method_is_answered_as_telegram_does(localapi, localapi_bot):
    with pytest.raises(EndPointNotFound):
        await localapi_bot.do_api_request("sendHologram")
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{localapi.base_url}{LOCALAPI_TOKEN}/sendHologram")
    assert response.status_code == 404
    assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_malformed_token_is_not_found(localapi):
    bot = telegram.Bot("not-a-token", base_url=localapi.base_url)
    with pytest.raises(InvalidToken):
        await bot.initialize()


async def test_json_bodies_query_strings_and_any_case(localapi, localapi_client):
    await localapi_client.create_user(5, "An", started=True)
    base = f"{localapi.base_url}{LOCALAPI_TOKEN}"
    async with httpx.AsyncClient() as http:
        by_json = await http.post(f"{base}/sendMessage", json={
            "chat_id": 5, "text": "json", "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}})
        by_query = await http.get(f"{base}/SENDMESSAGE", params={"chat_id": "5", "text": "query"})
        upload = await http.post(f"{base}/sendDocument", data={"chat_id": "5", "document": "attach://part1"},
                                 files={"part1": ("notes.txt", b"abc", "text/plain")})
        bad_json = await http.post(f"{base}/sendMessage", content=b"{not json", headers={"Content-Type": "application/json"})
    assert by_json.json()["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"
    assert by_query.json()["result"]["text"] == "query"
    document = upload.json()["result"]["document"]
    assert document["file_name"] == "notes.txt" and await localapi_client.file(document["file_id"]) == b"abc"
    assert bad_json.status_code == 400 and bad_json.json()["ok"] is False
    assert localapi.stats(LOCALAPI_TOKEN)["requests"] == {"sendMessage": 2, "SENDMESSAGE": 1, "sendDocument": 1}


async def test_requests_are_logged_without_the_token(localapi, localapi_bot, caplog):
    caplog.set_level("DEBUG", logger="bot.sandbox.localapi")
    await localapi_bot.get_me()
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.sandbox.localapi"]
    assert any("/bot<token>/getMe 200" in line for line in lines)
    assert not any("TEST-TOKEN" in line for line in lines)


async def test_a_server_fault_is_a_500_json_answer_logged_without_the_token(localapi, localapi_bot, caplog, monkeypatch):
    async def broken(call):
        raise RuntimeError("simulated fault")

    monkeypatch.setitem(METHODS, "sendmessage", broken)
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await localapi_bot.send_message(1, "x")
    [record] = [r for r in caplog.records if r.name == "bot.sandbox.localapi" and r.levelname == "ERROR"]
    assert "/bot<token>/sendMessage" in record.getMessage() and "simulated fault" in str(record.exc_info[1])
    assert LOCALAPI_TOKEN not in record.getMessage()
