"""End-to-end smoke: the real Application, built by bot/app.py, answers through the local Bot API server
in polling and in webhook mode; the webhook refuses requests without the right secret token."""

from __future__ import annotations

import json

import httpx
import pytest

from bot.core import i18n
from tests.fixtures.e2e import WEBHOOK_SECRET

pytestmark = pytest.mark.e2e
_ = i18n.get("vi").gettext
# What each case must be answered with: a specific answer, never the error apology.
WELCOME = _("Hello! I am the assistant for your party cell's monthly meeting.\n"
            "To begin, please press the button below to share your phone number, so that I can find you "
            "on your ward's list.")
NOT_JOINED = _("You have not joined yet. Please send /start and share your phone number first.")


async def test_start_gets_an_answer_by_polling(e2e):
    person = await e2e.person("secretary")
    user = await e2e.chat_as(person, link=False, started=False)
    await user.send("/start")
    answer = await user.reply()
    assert answer.from_bot and answer.text == WELCOME and answer.request_contact


async def test_any_text_gets_an_answer_by_polling(e2e):
    user = await e2e.chat_as(await e2e.person("member"), link=False)
    await user.send("xin chào")
    assert (await user.reply()).text == NOT_JOINED


async def test_start_gets_an_answer_by_webhook(e2e_webhook):
    assert e2e_webhook.app.updater.running and e2e_webhook.mode == "webhook"
    user = await e2e_webhook.chat_as(await e2e_webhook.person("secretary"), link=False, started=False)
    await user.send("/start")
    answer = await user.reply()
    assert answer.from_bot and answer.text == WELCOME and answer.request_contact
    assert e2e_webhook.server.stats(e2e_webhook.token)["requests"].get("getUpdates", 0) == 0


def _update(update_id: int, user_id: int, text: str) -> dict:
    sender = {"id": user_id, "is_bot": False, "first_name": "Test", "language_code": "vi"}
    return {"update_id": update_id, "message": {
        "message_id": 900 + update_id, "date": 1_795_000_000, "text": text,
        "chat": {"id": user_id, "type": "private", "first_name": "Test"}, "from": sender}}


async def test_webhook_refuses_a_wrong_or_missing_secret(e2e_webhook):
    """Posted straight to the bot's own webhook server: only the right secret gets an update in."""
    hook = e2e_webhook.webhook
    url = f"http://{hook.listen}:{hook.port}/{hook.url_path}"
    user = await e2e_webhook.chat_as(await e2e_webhook.person("member"), link=False)
    body = json.dumps(_update(10_001, user.user_id, "xin chào"))
    headers = {"Content-Type": "application/json"}
    async with httpx.AsyncClient() as http:
        wrong = await http.post(url, content=body, headers={**headers, "X-Telegram-Bot-Api-Secret-Token": "nope"})
        missing = await http.post(url, content=body, headers=headers)
        assert (wrong.status_code, missing.status_code) == (403, 403)
        await e2e_webhook.settled()
        assert await user.messages() == []  # nothing got through to the bot
        right = await http.post(url, content=body, headers={**headers, "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})
        assert right.status_code == 200
    assert (await user.reply()).text == NOT_JOINED  # the same update, with the secret, is answered
