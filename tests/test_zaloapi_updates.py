"""Getting updates from the local Zalo server: getUpdates answers one update (no update_id) and takes
it, waits up to `timeout` and then answers 408, and the user side knows when the bot has taken an
update (`fetched`)."""

from __future__ import annotations

import asyncio
import time

from tests.fixtures.zaloapi import ZALO_TOKEN, zalo, zalo_bot, zalo_users  # noqa: F401  (fixtures)


async def test_get_updates_answers_one_update_then_the_next(zalo_bot, zalo_users, clock):
    uid = await zalo_users.create_user("Lê Văn Cường")
    first = await zalo_users.send_text(uid, "một")
    await zalo_users.send_text(uid, "hai")
    update = await zalo_bot.ok("getUpdates", timeout=1)
    assert update == {
        "event_name": "message.text.received",
        "message": {
            "from": {"id": uid, "display_name": "Lê Văn Cường", "is_bot": False},
            "chat": {"id": uid, "chat_type": "PRIVATE"},
            "text": "một", "message_id": first["message_id"], "date": int(clock.now().timestamp() * 1000),
        },
    }
    assert (await zalo_bot.ok("getUpdates", timeout=1))["message"]["text"] == "hai"


async def test_a_long_poll_with_nothing_answers_408_after_its_timeout(zalo_bot):
    started = time.monotonic()
    status, body = await zalo_bot.call("getUpdates", how="form", timeout="0.3")
    assert (status, body) == (408, {"ok": False, "error_code": 408, "description": "Request timeout"})
    assert 0.3 <= time.monotonic() - started < 2


async def until(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


async def test_a_waiting_long_poll_answers_as_soon_as_a_user_writes(zalo, zalo_bot, zalo_users):
    uid = await zalo_users.create_user("An")
    poll = asyncio.ensure_future(zalo_bot.ok("getUpdates", timeout=10))
    await until(lambda: zalo.stats(ZALO_TOKEN)["requests"].get("getUpdates") == 1)
    started = time.monotonic()
    sent = await zalo_users.send_text(uid, "có ai không")
    update = await asyncio.wait_for(poll, 5)
    assert update["message"]["message_id"] == sent["message_id"]
    assert time.monotonic() - started < 2


async def test_fetched_tells_when_the_bot_has_taken_an_update(zalo_bot, zalo_users):
    uid = await zalo_users.create_user("An")
    sent = await zalo_users.send_text(uid, "một")
    assert (await zalo_users.fetched(sent["update"], timeout=0.1)) == {"update": 1, "fetched": False, "taken": 0}
    await zalo_bot.ok("getUpdates", timeout=1)
    assert (await zalo_users.fetched(timeout=1)) == {"update": 1, "fetched": True, "taken": 1}
