"""Menus: each person's persistent keyboard and `/menu`, their command list (setMyCommands), `/help`,
`/language` and `/cancel`, and the dispatch of a menu item however it is asked for — the keyboard button,
its label typed by hand (any case, with or without diacritics, in either language) or its /command.

Items come from `handlers.menu_registry` (features add theirs at import time, possibly after this module
registered, so everything here reads the registry when an update comes). Whether a person sees or may use
an item is decided from their current roles, read from the database for every update
(`handlers.common`). A person whose roles changed since their chat's command list was published gets a
new list on their next update, or within `RESYNC_SECONDS` anyway.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from typing import Any

from telegram import (BotCommand, BotCommandScopeChat, BotCommandScopeDefault, ReplyKeyboardMarkup,
                      ReplyKeyboardRemove, Update)
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler, MessageHandler, TypeHandler, filters

from bot.core import i18n
from bot.core.context import AppContext, ctx_of, platform_of
from bot.core.i18n import N_
from bot.rules import access
from bot.rules import commands as command_rules
from handlers import common, menu_registry
from handlers.menu_registry import MenuItem
from storage import accounts, audit, command_lists, drafts, org

log = logging.getLogger(__name__)

SYNC_GROUP = common.PRELOAD_GROUP + 1   # an observer: right after the actor is loaded
RESYNC_SECONDS = 300                    # roles changed by a roster import reach idle chats within this
BUTTONS_PER_ROW = 2

# Commands every user has, joined or not: (command, description), in menu order.
BASE_COMMANDS = [
    ("start", N_("Join, or show your welcome again")),
    ("menu", N_("Show your menu")),
]
CLOSING_COMMANDS = [
    ("cancel", N_("Leave the current step")),
]
# Items whose command works before joining too.
OPEN_ITEMS = frozenset({"help", "language"})
CANCEL_WORDS = (N_("Cancel"),)
MENU_WORDS = (N_("Menu"),)


# --- The registry seen in both languages ------------------------------------------------------------


def _spellings(item: MenuItem) -> list[str]:
    spellings = [i18n.get(lang).gettext(item.label) for lang in i18n.LANGUAGES]
    if item.command:
        spellings.append(item.command)
    return spellings


_index_cache: dict[tuple, dict[str, str]] = {}


def text_index() -> dict[str, str]:
    """{folded label or command: item key}, plus "cancel" and "menu" for their words."""
    items = sorted(menu_registry.ITEMS.values(), key=lambda i: (i.order, i.key))
    cache_key = tuple((item.key, item.label, item.command) for item in items)
    index = _index_cache.get(cache_key)
    if index is None:
        names: dict[str, list[str]] = {item.key: _spellings(item) for item in items}
        names[":cancel"] = [i18n.get(lang).gettext(word) for lang in i18n.LANGUAGES for word in CANCEL_WORDS]
        names[":menu"] = [i18n.get(lang).gettext(word) for lang in i18n.LANGUAGES for word in MENU_WORDS]
        index = command_rules.build_index(names)
        _index_cache.clear()
        _index_cache[cache_key] = index
    return index


def item_for_command(command: str) -> MenuItem | None:
    command = command.lower()
    for item in menu_registry.ITEMS.values():
        if item.command and item.command.lower() == command:
            return item
    return None


def _command_of(message) -> str | None:
    """"/help@shcb_bot args" → "help"."""
    text = (message.text or "") if message else ""
    if not text.startswith("/"):
        return None
    return text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else None


class _TypedItem(filters.MessageFilter):
    """Text naming a menu item, "menu" or "cancel" (not a /command)."""

    def filter(self, message) -> bool:
        return bool(message.text) and not message.text.startswith("/") and \
            command_rules.match(message.text, text_index()) is not None


class _ItemCommand(filters.MessageFilter):
    """A /command of a registered item."""

    def filter(self, message) -> bool:
        command = _command_of(message)
        return command is not None and item_for_command(command) is not None


TYPED_MENU_ITEM = _TypedItem(name="menu.TYPED_MENU_ITEM")
ITEM_COMMAND = _ItemCommand(name="menu.ITEM_COMMAND")


# --- Keyboards and lists ------------------------------------------------------------------------------


def items_for(actor: common.Actor) -> list[MenuItem]:
    return menu_registry.items_for(actor.roles) if actor.active else []


def menu_keyboard(actor: common.Actor) -> ReplyKeyboardMarkup | ReplyKeyboardRemove:
    """The persistent keyboard of this person's items, in their language."""
    labels = [actor.t.gettext(item.label) for item in items_for(actor)]
    if not labels:
        return ReplyKeyboardRemove()
    rows = [labels[i:i + BUTTONS_PER_ROW] for i in range(0, len(labels), BUTTONS_PER_ROW)]
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, is_persistent=True,
                               input_field_placeholder=actor.t.gettext("Choose from the menu"))


def command_list(language: str, roles: frozenset[str] | None) -> list[tuple[str, str]]:
    """(command, description) for a person with these roles (None: the default list for everyone), in
    this language: the common commands, then the person's items that have a command, then /cancel."""
    t = i18n.get(language)
    listed = [(command, t.gettext(description)) for command, description in BASE_COMMANDS]
    items = menu_registry.items_for(roles) if roles else \
        [menu_registry.ITEMS[key] for key in sorted(OPEN_ITEMS) if key in menu_registry.ITEMS]
    items = sorted(items, key=lambda i: (i.order, i.key))
    seen = {command for command, _ in listed}
    for item in items:
        if item.command and item.command not in seen:
            listed.append((item.command, t.gettext(item.description)))
            seen.add(item.command)
    listed += [(command, t.gettext(description)) for command, description in CLOSING_COMMANDS]
    return listed


def _signature(language: str, listed: list[tuple[str, str]]) -> str:
    raw = json.dumps([language, listed], ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


async def publish_commands(application: Application) -> None:
    """The default command lists (vi, en, and for any other language); then, in the background, every
    linked chat whose list is not what it should be. Called at start-up by bot/app.py."""
    ctx = ctx_of(application)
    bot = application.bot
    default = i18n.normalize_language(ctx.config.locale.default)
    for language_code, language in [("", default)] + [(lang, lang) for lang in i18n.LANGUAGES]:
        listed = command_list(language, None)
        await bot.set_my_commands([BotCommand(c, d) for c, d in listed], scope=BotCommandScopeDefault(),
                                  language_code=language_code or None)
    # Thousands of chats may need a new list (a feature added an item): not on the start-up path. A chat
    # whose person writes first gets theirs with that update anyway.
    ctx.extras["menu.synced_at_start"] = asyncio.Event()
    if application.job_queue is not None:
        application.job_queue.run_once(_sync_at_start, when=1, name="menu.sync_at_start")


async def sync_all_chats(application: Application) -> int:
    """Republish the chats whose list differs from their person's roles and language now."""
    ctx = ctx_of(application)
    published = await command_lists.published(ctx.db)
    default = ctx.config.locale.default
    changed = 0
    if platform_of(application) != accounts.TELEGRAM:
        return 0   # command lists are Telegram's (Zalo has no command menu)
    for account, person, holdings in await command_lists.linked_holdings(ctx.db, platform=accounts.TELEGRAM):
        actor = common.Actor(int(account.external_id), account, person,
                             scope=access.scope_of(holdings, active=person.active),
                             language=common.choose_language(person, account, None, default))
        if await publish_for(application.bot, ctx, actor, known=published.get(account.id)):
            changed += 1
    return changed


def _roles_text(actor: common.Actor) -> str:
    return ",".join(sorted(f"{role}@{unit}" for role, unit in actor.scope.anchors)) if actor.active else ""


def _lock(ctx: AppContext, account_id: int) -> asyncio.Lock:
    """One publisher at a time for a chat (the periodic check runs beside the updates). Per chat, not one
    for all: with one, 612 people writing for the first time in the same minute each waited for the
    others' lists to be sent before their own answer could even start (benchmarks/bench_burst.py)."""
    return ctx.extras.setdefault("menu.publish_locks", {}).setdefault(account_id, asyncio.Lock())


async def publish_for(bot, ctx: AppContext, actor: common.Actor, *,
                      known: command_lists.Published | None | bool = False, force: bool = False) -> bool:
    """Give this person's chat their command list if it changed (True when sent). `known`: what was
    published, as read beforehand (a hint: an unchanged chat is skipped without another query). Roles
    that changed since the chat's last list (a roster import, a replaced secretary) are audited as
    'account.roles_updated'."""
    account = actor.account
    if account is None or account.person_id is None or account.platform != accounts.TELEGRAM:
        return False   # (Zalo has no command menu)
    listed = command_list(actor.language, actor.roles if actor.active else None)
    signature = _signature(actor.language, listed)
    roles = _roles_text(actor)

    def current(seen: command_lists.Published | None) -> bool:
        return seen is not None and seen.signature == signature and seen.roles == roles and not force

    if known is not False and current(known):
        return False
    async with _lock(ctx, account.id):
        known = await command_lists.published_for(ctx.db, account.id)
        if current(known):
            return False
        try:
            await bot.set_my_commands([BotCommand(c, d) for c, d in listed],
                                      scope=BotCommandScopeChat(int(account.chat_id)))
        except TelegramError:
            log.warning("could not set the command list of chat %s", account.chat_id, exc_info=True)
            return False
        at = common.now_instant(ctx)
        async with ctx.db.transaction() as conn:
            await command_lists.record_in(conn, account.id, signature, roles, at)
            if known is not None and known.roles != roles:
                before = [pair for pair in known.roles.split(",") if pair]
                after = [pair for pair in roles.split(",") if pair]
                units = [int(pair.split("@")[1]) for pair in before + after]
                await audit.record(conn, at=at, action="account.roles_updated", unit_id=units[0] if units else None,
                                   subject_person_id=account.person_id,
                                   detail={"from": before, "to": after, "active": actor.active,
                                           "account": f"{account.platform}:{account.external_id}"})
    return True


async def _sync_on_update(update: Update, context: Any) -> None:
    """A person whose roles or language changed gets their new command list with their next update."""
    actor = await common.actor_for(update, context)
    if actor.account is not None and actor.account.person_id is not None:
        await publish_for(context.bot, ctx_of(context), actor)


async def _sync_at_start(context: Any) -> None:
    try:
        await _resync_job(context)
    finally:
        ctx_of(context).extras["menu.synced_at_start"].set()


async def _resync_job(context: Any) -> None:
    try:
        await sync_all_chats(context.application)
    except Exception:
        log.exception("command list resync failed")


# --- Showing the menu ------------------------------------------------------------------------------


async def show_menu(update: Update, context: Any, actor: common.Actor | None = None, *,
                    text: str | None = None) -> None:
    actor = actor or await common.actor_for(update, context)
    if not actor.active:
        await common.ask_to_join(update, actor)
        return
    _ = actor.t.gettext
    if text is None:   # Zalo shows no buttons: the menu comes as a line of names to type
        text = (_("Your menu is below. Press a button, or type its name.") if actor.platform == accounts.TELEGRAM
                else _("Your menu is below: type the number or the name of what you need."))
    await common.reply(update, text, reply_markup=menu_keyboard(actor))


async def greeting_lines(ctx: AppContext, actor: common.Actor) -> str:
    """"Comrade X — cell secretary, cell …, ward …" lines for each current role."""
    t = actor.t
    return "\n".join(["• " + await common.describe_membership(ctx, t, m) for m in actor.memberships])


# --- Items of this module --------------------------------------------------------------------------


async def show_help(update: Update, context: Any) -> None:
    actor = await common.actor_for(update, context)
    _ = actor.t.gettext
    if not actor.active:
        if actor.linked:
            await common.ask_to_join(update, actor)
            return
        await common.reply(update, _(
            "This assistant helps party cells hold their monthly meeting.\n\n"
            "To join, send /start and press the button to share your phone number: it is matched to your "
            "ward's list. If your Telegram number is not the one on the list, ask your ward's party "
            "committee office for an invite link.\n\n/language switches between Vietnamese and English."))
        return
    ctx = ctx_of(context)
    lines = [_("Comrade {name}:").format(name=actor.person.full_name), await greeting_lines(ctx, actor), "",
             _("What you can do:")]
    for item in items_for(actor):
        command = f" — /{item.command}" if item.command else ""
        lines.append(f"• {_(item.label)}{command}: {_(item.description)}")
    lines += ["", _("/menu shows your menu; /cancel leaves the current step at any time. Buttons can also be "
                    "typed as text, with or without accents.")]
    await common.reply(update, "\n".join(lines), reply_markup=menu_keyboard(actor))


async def toggle_language(update: Update, context: Any) -> None:
    """vi ⇄ en: stored on the person (or on the account before joining)."""
    ctx = ctx_of(context)
    actor = await common.actor_for(update, context)
    new = "en" if actor.language == "vi" else "vi"
    user = update.effective_user
    if actor.person is not None:
        await org.set_language(ctx.db, actor.person.id, new, common.now_instant(ctx))
    else:
        account = actor.account or await accounts.ensure(
            ctx.db, external_id=user.id, chat_id=update.effective_chat.id, at=common.now_instant(ctx),
            language=new, platform=actor.platform)
        await accounts.set_language(ctx.db, account.id, new)
    actor = await common.actor_for(update, context, fresh=True)
    _ = actor.t.gettext
    text = _("I will speak English with you from now on.")
    if actor.active:
        await publish_for(context.bot, ctx, actor)
        await common.reply(update, text, reply_markup=menu_keyboard(actor))
    elif actor.in_flow("onboarding.join"):
        from handlers import onboarding  # the join's keyboard, in the new language

        await common.reply(update, text, reply_markup=onboarding.contact_keyboard(actor.t))
    else:
        await common.reply(update, text)


async def cancel(update: Update, context: Any) -> None:
    """Leave whatever conversation the person is in, at any step."""
    ctx = ctx_of(context)
    actor = await common.actor_for(update, context)
    _ = actor.t.gettext
    had = actor.account is not None and await drafts.clear(ctx.db, actor.account.id)
    actor = await common.actor_for(update, context, fresh=True)
    text = _("Cancelled. Nothing was saved from that step.") if had else _("There was nothing to cancel.")
    if actor.active:
        await common.reply(update, text, reply_markup=menu_keyboard(actor))
    else:
        await common.reply(update, text + "\n" + _("Send /start when you are ready to join."),
                           reply_markup=ReplyKeyboardRemove())


# --- Dispatch -------------------------------------------------------------------------------------


async def run_item(update: Update, context: Any, item: MenuItem) -> None:
    """Run an item for this person if their current roles include it (a day picker left open ends: the
    person has gone on to something else)."""
    await common.leave_transient(update, context)
    actor = await common.actor_for(update, context)
    if item.key not in OPEN_ITEMS:
        if not actor.active:
            await common.ask_to_join(update, actor)
            return
        if not (item.roles & actor.roles):
            ctx = ctx_of(context)
            await common.record_audit(ctx, update, actor, "access.refused",
                                      detail={"item": item.key, "roles": sorted(actor.roles)})
            _ = actor.t.gettext
            # "No longer" only to someone who held a role that had it (a replaced secretary, say).
            past = await org.memberships_of(ctx.db, actor.person.id)
            if any(m.valid_to is not None and m.role in item.roles for m in past):
                text = _("Sorry, “{item}” is not part of your role now. Your current menu is below.")
            else:
                text = _("Sorry, “{item}” is not one of your functions. Your menu is below.")
            await common.reply(update, text.format(item=_(item.label)), reply_markup=menu_keyboard(actor))
            return
    await item.callback(update, context)


async def _on_item_command(update: Update, context: Any) -> None:
    item = item_for_command(_command_of(update.effective_message) or "")
    if item is not None:
        await run_item(update, context, item)


async def _on_typed(update: Update, context: Any) -> None:
    key = command_rules.match(update.effective_message.text, text_index())
    if key == ":cancel":
        await cancel(update, context)
    elif key == ":menu":
        await show_menu(update, context)
    elif key in menu_registry.ITEMS:
        await run_item(update, context, menu_registry.ITEMS[key])


async def _on_menu(update: Update, context: Any) -> None:
    await common.leave_transient(update, context)
    await show_menu(update, context)


menu_registry.add(MenuItem("help", label=N_("Help"), description=N_("What you can do here"),
                           roles=access.EVERYONE, callback=show_help, command="help", order=900))
menu_registry.add(MenuItem("language", label=N_("Language"), description=N_("Switch between Vietnamese and English"),
                           roles=access.EVERYONE, callback=toggle_language, command="language", order=910))


def register(application: Application, ctx: AppContext) -> None:
    common.install(application)
    application.add_handler(TypeHandler(Update, _sync_on_update), group=SYNC_GROUP)
    application.add_handler(CommandHandler("menu", _on_menu, filters=common.PRIVATE_MESSAGE))
    application.add_handler(CommandHandler("cancel", cancel, filters=common.PRIVATE_MESSAGE))
    application.add_handler(MessageHandler(common.PRIVATE_MESSAGE & ITEM_COMMAND, _on_item_command))
    application.add_handler(MessageHandler(common.PRIVATE_MESSAGE & filters.TEXT & TYPED_MENU_ITEM, _on_typed))
    if application.job_queue is not None:
        application.job_queue.run_repeating(_resync_job, interval=RESYNC_SECONDS, first=RESYNC_SECONDS,
                                            name="menu.resync", job_kwargs={"misfire_grace_time": 60})
