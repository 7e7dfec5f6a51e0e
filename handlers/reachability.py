"""Whether the bot can write to a person: an account is marked unreachable when Telegram refuses a send
with 403 (the person blocked the bot) — and reachable again as soon as they come back.

Telegram tells the bot when a person blocks or unblocks it (a `my_chat_member` update: "kicked" or
"member"), and any message or button press from them proves they are back. Either way the account's flag
follows at once, so the next reminder reaches them (reminders skip unreachable accounts).
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import ChatMember, Update
from telegram.ext import Application, ChatMemberHandler, TypeHandler

from bot.core.context import AppContext, ctx_of
from handlers import common
from storage import accounts

log = logging.getLogger(__name__)

# After the actor is loaded (common.PRELOAD_GROUP), before the fallback's check: an observer.
CAME_BACK_GROUP = common.PRELOAD_GROUP + 2  # its own group: in a group only the first match runs


def _blocked_now(update: Update) -> bool | None:
    """True/False when this update says the person has just blocked/unblocked the bot, else None."""
    change = update.my_chat_member
    if change is None:
        return None
    return change.new_chat_member.status in (ChatMember.BANNED, ChatMember.LEFT)


async def _set(context: Any, account: accounts.Account, unreachable: bool, why: str) -> None:
    await accounts.set_unreachable(ctx_of(context).db, account.id, unreachable)
    log.info("account %s is %s (%s)", account.id, "unreachable" if unreachable else "reachable again", why)


async def _came_back(update: Update, context: Any) -> None:
    """Any message or press from an account marked unreachable: they are back."""
    if update.effective_user is None or update.my_chat_member is not None:
        return  # (blocking and unblocking: on_my_chat_member)
    actor = await common.actor_for(update, context)
    if actor.account is not None and actor.account.unreachable:
        await _set(context, actor.account, False, "wrote to the bot")


async def on_my_chat_member(update: Update, context: Any) -> None:
    """Blocked → unreachable at once (no reminder is wasted on them); unblocked → reachable."""
    if update.effective_chat is None or update.effective_chat.type != "private":
        return
    blocked = _blocked_now(update)
    actor = await common.actor_for(update, context)
    if actor.account is not None and blocked is not None and actor.account.unreachable != blocked:
        await _set(context, actor.account, blocked, "blocked the bot" if blocked else "unblocked the bot")


def register(application: Application, ctx: AppContext) -> None:
    common.install(application)
    application.add_handler(TypeHandler(Update, _came_back), group=CAME_BACK_GROUP)
    application.add_handler(ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
