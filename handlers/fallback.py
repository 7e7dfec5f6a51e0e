"""The last word: whatever no feature handled gets a short polite hint, and an error in any handler gets
an apology instead of silence.

PTB offers every update to each handler group in turn, so a late group alone cannot tell whether an
earlier one took the update — and asking the handlers again afterwards is wrong, because a conversation
that just took the update has moved to a state that would not take it any more. So a first group asks
every feature handler, before any of them runs, whether it would take the update, and the last group
answers only those nobody would. Handlers in negative groups are observers (they see every update,
e.g. to load the person) and do not count as taking it. Updates are handled one at a time
(`concurrent_updates` off), so the answer of the first group still holds when the last one runs.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, ContextTypes, TypeHandler

from bot.core import i18n
from bot.core.context import AppContext, ctx_of, platform_of
from storage import accounts, org
from storage.db import commits_tracked, is_busy

log = logging.getLogger(__name__)

CHECK_GROUP = -1_000_000   # before everything: decides whether anyone will take the update
FALLBACK_GROUP = 1_000_000  # after everything: answers when nobody did
_UNTAKEN = "fallback.untaken"
_TOLD = "fallback.errors_told"


def register(application: Application, ctx: AppContext) -> None:
    application.add_handler(TypeHandler(Update, _check), group=CHECK_GROUP)
    application.add_handler(TypeHandler(Update, _answer_untaken), group=FALLBACK_GROUP)
    application.add_error_handler(on_error)


def taken_by_a_feature(application: Application, update: Update) -> bool:
    for group, group_handlers in application.handlers.items():
        if group < 0 or group >= FALLBACK_GROUP:
            continue
        for handler in group_handlers:
            check = handler.check_update(update)
            if check is not None and check is not False:
                return True
    return False


async def _check(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    untaken: set = context.application.bot_data.setdefault(_UNTAKEN, set())
    if len(untaken) > 1000:  # an update stopped early (ApplicationHandlerStop) never reached the end
        untaken.clear()
    if not taken_by_a_feature(context.application, update):
        untaken.add(update.update_id)


async def _translator(update: Update, context: ContextTypes.DEFAULT_TYPE) -> i18n.Translator:
    """The person's language when the account is linked, else the language of their Telegram app."""
    ctx = ctx_of(context)
    user = update.effective_user
    if user is None:
        return i18n.get(ctx.config.locale.default)
    try:
        account = await accounts.get_by_external(ctx.db, user.id, platform=platform_of(context))
        if account and account.person_id is not None:
            person = await org.get_person(ctx.db, account.person_id)
            if person:
                return i18n.get(person.language)
        if account and account.language:
            return i18n.get(account.language)
    except Exception:  # the database itself may be what failed: still answer
        log.warning("language lookup failed", exc_info=True)
    return i18n.get(user.language_code or ctx.config.locale.default)


def _private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE


async def _answer_untaken(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    untaken: set = context.application.bot_data.setdefault(_UNTAKEN, set())
    if update.update_id not in untaken:
        return
    untaken.discard(update.update_id)
    if not _private(update):
        return  # the bot lives in private chats; it does not chatter in groups
    if update.callback_query:
        _ = (await _translator(update, context)).gettext
        await update.callback_query.answer(_("This button is no longer active. Send /menu to see what you can do."))
    elif update.message:
        _ = (await _translator(update, context)).gettext
        await update.message.reply_text(_("Sorry, I did not understand. Send /menu to see what you can do."))
    # Edits, reactions, membership changes and the like need no answer.


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure (the log filter keeps the token out) and tell the person what became of their
    action: handlers write in one transaction, so an error before it commits leaves nothing changed — but
    once it has committed (a guidance confirmed, a meeting moved), the person must not be told nothing
    happened and invited to do it again."""
    update_id = getattr(update, "update_id", None)
    saved = commits_tracked() > 0
    if is_busy(context.error):  # not a bug: the database was locked by another program too long
        log.warning("handling update %s gave up: the database stayed locked%s", update_id,
                    " after it saved something" if saved else "")
    else:
        log.error("handling update %s failed%s", update_id, " after it saved something" if saved else "",
                  exc_info=context.error)
    if not isinstance(update, Update) or not _private(update):
        return
    # Handlers of several groups may fail on one update (a locked database fails them all): tell once.
    told: set = context.application.bot_data.setdefault(_TOLD, set())
    if update_id in told:
        return
    if len(told) > 1000:
        told.clear()
    told.add(update_id)
    try:
        _ = (await _translator(update, context)).gettext
        if saved:  # (whatever failed, busy or not: what was saved stays saved)
            text = _("Sorry, something went wrong on our side after your action was saved, so this answer is "
                     "incomplete. Please do not repeat it: send /menu to see where things stand.")
        elif is_busy(context.error):  # another program held the database past the busy timeout
            text = _("The system is busy right now. Nothing was changed: please try again in a moment.")
        else:
            text = _("Sorry, something went wrong on our side. Nothing was changed. Please try again in a moment.")
        if update.callback_query:
            try:
                await update.callback_query.answer(text, show_alert=True)
                return
            except Exception:  # already answered: say it in the chat instead
                pass
        await context.bot.send_message(update.effective_chat.id, text)
    except Exception:
        log.warning("could not tell the user about the failure of update %s", update_id, exc_info=True)
