"""handlers/fallback.py through the real application: whatever no feature takes gets a short hint in the
person's language, exactly once; an error in a handler gets an apology and is logged."""

from __future__ import annotations

import logging

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import CommandHandler, ConversationHandler, MessageHandler, filters

from bot.core import i18n

pytestmark = pytest.mark.e2e

NOT_UNDERSTOOD = "Sorry, I did not understand. Send /menu to see what you can do."
STALE_BUTTON = "This button is no longer active. Send /menu to see what you can do."
FAILED = "Sorry, something went wrong on our side. Nothing was changed. Please try again in a moment."
PHOTO = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def vi(message: str) -> str:
    translated = i18n.get("vi").gettext(message)
    assert translated != message, "the Vietnamese catalog lacks this message"
    return translated


async def test_a_photo_nobody_takes_gets_the_hint_in_the_persons_language(e2e):
    member = await e2e.chat_as(await e2e.person("member"))
    await member.photo(PHOTO)
    assert (await member.reply()).text == vi(NOT_UNDERSTOOD)

    english = await e2e.chat_as((await e2e.people("member", limit=2))[1], language="en")
    await english.photo(PHOTO)
    assert (await english.reply()).text == NOT_UNDERSTOOD


async def test_a_button_nobody_handles_is_answered_with_a_hint(e2e):
    user = await e2e.chat_as(await e2e.person("secretary"))
    stale = InlineKeyboardMarkup([[InlineKeyboardButton("Cũ", callback_data="gone:42")]])
    sent = await e2e.app.bot.send_message(user.user_id, "Một tin cũ", reply_markup=stale)
    before = await e2e.api.version(user.user_id)
    await user.press("gone:42", message=sent.message_id)
    await e2e.api.wait(user.user_id, before, 5)  # answering the query moves the chat's version on
    answers = await user.callback_answers()
    assert [a["text"] for a in answers] == [vi(STALE_BUTTON)]


async def test_what_a_feature_takes_is_not_answered_again(e2e):
    """A command and a two-step conversation owned by a 'feature': the fallback stays silent for both
    steps (even though, after the first, the conversation has moved on), then answers a photo."""
    async def ping(update, context):
        await update.message.reply_text("pong")

    async def ask(update, context):
        await update.message.reply_text("what?")
        return 1

    async def got(update, context):
        await update.message.reply_text("got it")
        return ConversationHandler.END

    e2e.app.add_handler(CommandHandler("ping", ping))
    e2e.app.add_handler(ConversationHandler(
        entry_points=[CommandHandler("ask", ask)],
        states={1: [MessageHandler(filters.TEXT & ~filters.COMMAND, got)]}, fallbacks=[]), group=3)
    user = await e2e.chat_as(await e2e.person("secretary"))
    await user.send("/ping")
    await user.wait_for(lambda m: m.text == "pong")
    await user.send("/ask")
    await user.wait_for(lambda m: m.text == "what?")
    await user.send("tôi trả lời")
    await user.wait_for(lambda m: m.text == "got it")
    await user.photo(PHOTO)
    await user.wait_for(lambda m: m.text == vi(NOT_UNDERSTOOD))
    # Updates are handled in order, so an extra answer to any of the above would sit before the last.
    texts = [m.text for m in await user.bot_messages()]
    assert texts[-4:] == ["pong", "what?", "got it", vi(NOT_UNDERSTOOD)]
    assert texts.count(vi(NOT_UNDERSTOOD)) == 1


async def test_an_error_in_a_handler_is_logged_and_the_person_told_nothing_changed(e2e, caplog):
    async def boom(update, context):
        raise RuntimeError("handler exploded")

    e2e.app.add_handler(CommandHandler("boom", boom))
    user = await e2e.chat_as(await e2e.person("deputy"))
    with caplog.at_level(logging.ERROR, logger="handlers.fallback"):
        await user.send("/boom")
        assert (await user.reply()).text == vi(FAILED)
    failures = [r for r in caplog.records if r.name == "handlers.fallback" and r.exc_info]
    assert failures and "handler exploded" in str(failures[0].exc_info[1])
