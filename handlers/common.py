"""What every handler needs about the person behind an update, taken from the database each time.

For each update, before any feature sees it, `_preload` (handler group PRELOAD_GROUP, before the fallback's
check) reads the account of the chat user on this Application's platform (`platform_of`: Telegram or
Zalo), the person it is linked to, their current memberships,
their conversation draft and their language, into an `Actor`. Handlers get it with `await actor_for(update,
context)`. Because it is loaded per update, a role ended by a roster re-import a second ago is already gone
(every action re-checks the database); and because it is loaded before the fallback asks "would any
handler take this update?", handler filters may look at it (`InFlow`, `LINKED`, `NOT_LINKED`) — a
conversation step takes free text only when the person's draft is at that step.

Helpers here also refuse and audit what a person may not do (`authorize_unit`, `authorize_person`,
`refuse_forged`), and tell people who have not joined to press /start.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Iterable, TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, ApplicationHandlerStop, CallbackQueryHandler, MessageHandler, TypeHandler, filters

from bot.core import i18n
from bot.core.context import AppContext, ctx_of, platform_of
from bot.core.updates import InboxQueue
from handlers import handled
from bot.rules import access
from storage import accounts, audit, codec, drafts, org
from storage.db import track_commits
from storage.accounts import Account
from storage.drafts import Draft
from storage.org import Membership, Person, Unit

log = logging.getLogger(__name__)
T = TypeVar("T")

PRELOAD_GROUP = -2_000_000  # before handlers.fallback.CHECK_GROUP (-1_000_000)
# After every observer, before the features: from here on, what the update commits is counted (the error
# handler must not say "nothing was changed" once something was).
COUNT_COMMITS_GROUP = -999_999
# The bot lives in private chats: new messages there (not edits, not groups).
PRIVATE_MESSAGE = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
_CACHE = "common.actors"
_CACHE_SIZE = 256


@dataclass(frozen=True)
class Actor:
    """The person behind one update, as the database says now."""

    user_id: int | None
    account: Account | None
    person: Person | None
    memberships: tuple[Membership, ...] = ()
    units: dict[int, Unit] = field(default_factory=dict)  # the units of those memberships
    scope: access.Scope = access.Scope()
    draft: Draft | None = None
    language: str = i18n.DEFAULT_LANGUAGE
    switch: drafts.Switch | None = None  # a "continue or start the other one?" question waiting
    platform: str = accounts.TELEGRAM    # the channel this update came on (platform_of)

    @property
    def linked(self) -> bool:
        return self.person is not None

    @property
    def active(self) -> bool:
        """Linked, and still in the roster."""
        return self.person is not None and self.person.active

    @property
    def roles(self) -> frozenset[str]:
        return self.scope.roles

    @property
    def t(self) -> i18n.Translator:
        return i18n.get(self.language)

    def in_flow(self, flow: str, step: str | None = None) -> bool:
        return self.draft is not None and self.draft.flow == flow and (step is None or self.draft.step == step)


def choose_language(person: Person | None, account: Account | None, telegram_code: str | None,
                    default: str) -> str:
    """The person's language; else the account's (chosen before joining, or from the Telegram app at the
    first /start); else the Telegram app's when it is one we speak; else the default."""
    if person is not None:
        return i18n.normalize_language(person.language)
    if account is not None and account.language in i18n.LANGUAGES:
        return account.language
    if telegram_code:
        short = telegram_code.replace("_", "-").split("-")[0].lower()
        if short in i18n.LANGUAGES:
            return short
    return i18n.normalize_language(default)


def telegram_language(update: Update) -> str | None:
    """The Telegram app's language when it is one we speak (stored on a new account), else None."""
    user = update.effective_user
    code = (user.language_code or "") if user else ""
    short = code.replace("_", "-").split("-")[0].lower()
    return short if short in i18n.LANGUAGES else None


async def load_actor(ctx: AppContext, user_id: int | None, telegram_code: str | None = None, *,
                     platform: str) -> Actor:
    default = ctx.config.locale.default
    if user_id is None:
        return Actor(None, None, None, language=choose_language(None, None, telegram_code, default),
                     platform=platform)
    account = await accounts.get_by_external(ctx.db, user_id, platform=platform)
    person = None
    if account is not None and account.person_id is not None:
        person = await org.get_person(ctx.db, account.person_id)
    memberships: tuple[Membership, ...] = ()
    units: dict[int, Unit] = {}
    if person is not None:
        memberships = tuple(await org.current_memberships(ctx.db, person.id))
        units = await org.get_units(ctx.db, [m.unit_id for m in memberships])
    scope = access.scope_of(((m.role, m.unit_id) for m in memberships if units.get(m.unit_id)
                             and units[m.unit_id].active), active=bool(person and person.active))
    draft = await drafts.load(ctx.db, account.id) if account is not None else None
    switch = await drafts.pending_switch(ctx.db, account.id) if draft is not None else None
    return Actor(user_id, account, person, memberships, units, scope, draft,
                 choose_language(person, account, telegram_code, default), switch, platform)


def _cache(application: Application) -> OrderedDict:
    return application.bot_data.setdefault(_CACHE, OrderedDict())


async def _preload(update: Update, context: Any) -> None:
    user = update.effective_user
    ctx = ctx_of(context)
    actor = await load_actor(ctx, user.id if user else None, user.language_code if user else None,
                             platform=platform_of(context))
    cache = _cache(context.application)
    cache[update.update_id] = actor
    while len(cache) > _CACHE_SIZE:
        cache.popitem(last=False)
    if actor.person is not None and actor.account is not None:
        await _note_channel(ctx, actor.account)
    await _skip_if_applied(update, context, actor)


async def _skip_if_applied(update: Update, context: Any, actor: Actor) -> None:
    """An update handed over again after a kill (bot/core/updates.py) that had already changed the person's
    draft before it is not applied twice: the person is shown where they are instead (the answer the kill
    may have cost them), and no feature sees it."""
    queue = context.application.update_queue
    if not isinstance(queue, InboxQueue) or not queue.is_replay(update.update_id):
        return
    if actor.draft is None or not actor.draft.applied(update.update_id):
        return
    log.info("update %s was applied before a restart: %s shown again", update.update_id, actor.draft.flow)
    flow = FLOWS.get(actor.draft.flow)
    try:
        if flow is not None and flow.resume is not None:
            await flow.resume(update, context)
    except Exception:   # (the features must not get it: they would apply it again)
        log.warning("update %s: the draft could not be shown again", update.update_id, exc_info=True)
    finally:
        await handled.done(update, context)
    raise ApplicationHandlerStop


async def _note_channel(ctx: AppContext, account: Account) -> None:
    """A person on two channels writing from the one they had not used last: that one becomes where the
    bot writes to them. Only a hint for routing: a busy database does not hold up the update for it."""
    try:
        if accounts.used_before_another(account, await accounts.of_person(ctx.db, account.person_id)):
            await accounts.touch(ctx.db, account.id, now_instant(ctx))
    except Exception:
        log.warning("the channel last used by account %s was not recorded", account.id, exc_info=True)


def install(application: Application) -> None:
    """Load the actor of every update first (idempotent: the first feature to register installs it)."""
    if application.bot_data.get("common.installed"):
        return
    application.bot_data["common.installed"] = True
    application.add_handler(TypeHandler(Update, _preload), group=PRELOAD_GROUP)
    application.add_handler(TypeHandler(Update, _count_commits), group=COUNT_COMMITS_GROUP)
    # First in group 0 (the first feature to register installs this): the answer to "continue or switch?"
    # comes before the unfinished flow's own handlers, which would take "1" as their input.
    application.add_handler(CallbackQueryHandler(_on_switch_button, pattern=rf"^{_SWITCH}"))
    application.add_handler(MessageHandler(PRIVATE_MESSAGE & filters.TEXT & ~filters.COMMAND
                                           & _SwitchAnswer(application), _on_switch_typed))


async def _count_commits(update: Update, context: Any) -> None:
    track_commits()


def preloaded(application: Application, update: Update) -> Actor | None:
    return _cache(application).get(update.update_id)


async def actor_for(update: Update, context: Any, *, fresh: bool = False) -> Actor:
    """The actor of this update (loaded from the database for it; `fresh` reads again, after a change)."""
    if not fresh:
        cached = preloaded(context.application, update)
        if cached is not None:
            return cached
    user = update.effective_user
    actor = await load_actor(ctx_of(context), user.id if user else None, user.language_code if user else None,
                             platform=platform_of(context))
    _cache(context.application)[update.update_id] = actor
    return actor


async def current_person(update: Update, context: Any) -> tuple[Person, frozenset[str]] | None:
    """(person, current roles) of a linked, active person; None otherwise."""
    actor = await actor_for(update, context)
    return (actor.person, actor.roles) if actor.active else None


async def translator_for(update: Update, context: Any) -> i18n.Translator:
    return (await actor_for(update, context)).t


# --- Filters on the preloaded actor (usable in any handler's filters) --------------------------------


class ActorFilter(filters.UpdateFilter):
    """A filter on the actor preloaded for the update (subclasses take the application, where the actor
    is kept, when they are made at register time)."""

    application: Application | None = None

    def _actor(self, update: Update) -> Actor | None:
        if self.application is None:
            return None
        return preloaded(self.application, update)


class InFlow(ActorFilter):
    """The person's draft is in this flow (and at this step, when given)."""

    def __init__(self, application: Application, flow: str, step: str | None = None) -> None:
        super().__init__(name=f"InFlow({flow!r}, {step!r})")
        self.application, self.flow, self.step = application, flow, step

    def filter(self, update: Update) -> bool:
        actor = self._actor(update)
        return actor is not None and actor.in_flow(self.flow, self.step)


class Linked(ActorFilter):
    """The account is linked to an active person (True) / is not (False)."""

    def __init__(self, application: Application, linked: bool = True) -> None:
        super().__init__(name=f"Linked({linked})")
        self.application, self.want = application, linked

    def filter(self, update: Update) -> bool:
        actor = self._actor(update)
        return actor is not None and actor.active == self.want


# --- Replies ----------------------------------------------------------------------------------------


async def acknowledge(update: Update) -> None:
    """Stop the spinner on a pressed button (nothing when the update is no press)."""
    if update.callback_query is None:
        return
    try:
        await update.callback_query.answer()
    except Exception:  # an old query cannot be answered any more; the answer itself still goes
        log.debug("callback query not answered", exc_info=True)


async def acknowledged(update: Update, answer: Awaitable[T]) -> T:
    """Send `answer` (the new or edited message a press is answered with) while the press is acknowledged.
    The acknowledgement is not paced; waiting for it first put every answer a round trip later in the send
    queue, behind the people who pressed after (benchmarks/bench_burst.py)."""
    acknowledging = asyncio.ensure_future(acknowledge(update))
    try:
        return await answer
    finally:
        await acknowledging


async def reply(update: Update, text: str, reply_markup=None, **kwargs) -> None:
    """Answer in the chat the update came from (a button press is acknowledged meanwhile)."""
    chat = update.effective_chat
    if chat is None:
        await acknowledge(update)
        return
    await acknowledged(update, update.get_bot().send_message(chat.id, text, reply_markup=reply_markup, **kwargs))


def now_instant(ctx: AppContext) -> str:
    return codec.instant(ctx.clock.now())


async def record_audit(ctx: AppContext, update: Update, actor: Actor, action: str, *, target=None,
                       unit_id: int | None = None, subject_person_id: int | None = None,
                       detail: dict | None = None) -> None:
    """An audit entry for what this update's user did, from which platform's account (in `target`'s
    transaction when it is a connection)."""
    user = update.effective_user
    await audit.record(
        target or ctx.db, at=now_instant(ctx), action=action,
        actor_person_id=actor.person.id if actor.person else None,
        platform=actor.platform, actor_external_id=user.id if user else None, unit_id=unit_id,
        subject_person_id=subject_person_id, detail=detail,
    )


# --- Refusals ----------------------------------------------------------------------------------------


async def notify(update: Update, text: str) -> None:
    """Say `text` as the notice Telegram shows on a button press, or as a reply when there is no press (a
    typed command) or the press can no longer be answered."""
    if update.callback_query is not None:
        try:
            await update.callback_query.answer(text, show_alert=True)
            return
        except Exception:
            log.debug("callback query not answered", exc_info=True)
    await reply(update, text)


async def ask_to_join(update: Update, actor: Actor) -> None:
    """Someone not linked (or no longer active) tried something that needs a person."""
    _ = actor.t.gettext
    if actor.linked and not actor.active:
        text = _("Your name is no longer on your ward's list, so this is not available. "
                 "Please ask your ward's party committee office.")
    elif actor.platform == accounts.TELEGRAM:
        text = _("You have not joined yet. Please send /start and share your phone number first.")
    else:  # no contact sharing elsewhere (Zalo): joining is by the ward's invite code
        text = _("You have not joined yet. Please send the invite code your ward's party committee office "
                 "gave you.")
    await notify(update, text)


async def require_actor(update: Update, context: Any) -> Actor | None:
    """The actor if linked and active; otherwise they are told to /start, and None."""
    actor = await actor_for(update, context)
    if actor.active:
        return actor
    await ask_to_join(update, actor)
    return None


def step_hint(msgid: str) -> Callable[[Update, Any], Awaitable[None]]:
    """A handler for what a step cannot take (a sticker, a photo, a voice note…): the person is told, in
    their language, in one line (`msgid`, marked with N_), what it expects; nothing changes."""
    async def hint(update: Update, context: Any) -> None:
        actor = await require_actor(update, context)
        if actor is not None:
            await reply(update, actor.t.gettext(msgid))
    return hint


async def refuse_forged(update: Update, context: Any, actor: Actor, *, what: str, unit_id: int | None = None,
                        subject_person_id: int | None = None, detail: dict | None = None) -> None:
    """Refuse an action on something this person may not touch (a forged or stale button, a command for
    another unit): audited as 'access.forged', answered without any of the data asked for."""
    ctx = ctx_of(context)
    data = {"what": what, **(detail or {})}
    if update.callback_query is not None:
        data["callback_data"] = (update.callback_query.data or "")[:64]
    await record_audit(ctx, update, actor, "access.forged", unit_id=unit_id, subject_person_id=subject_person_id,
                       detail=data)
    log.warning("refused %s for user %s", what, getattr(update.effective_user, "id", None))
    _ = actor.t.gettext
    text = _("Sorry, this is not available to you.")
    await notify(update, text)


async def authorize_unit(update: Update, context: Any, actor: Actor, unit_id: int | None, *, what: str,
                         roles: Iterable[str] = access.ACTING_ROLES) -> bool:
    """May this actor act, in one of `roles`, on that unit? Decided from the database; refused and
    audited when not."""
    ctx = ctx_of(context)
    chain = [unit.id for unit in await org.ancestors(ctx.db, unit_id)] if unit_id is not None else []
    if actor.active and access.can_act_on(actor.scope, chain, roles):
        return True
    await refuse_forged(update, context, actor, what=what, unit_id=unit_id if chain else None,
                        detail={"unit_id": unit_id})
    return False


async def person_units(ctx: AppContext, person_id: int) -> list[int]:
    """The units a person belongs to now."""
    return [m.unit_id for m in await org.current_memberships(ctx.db, person_id)]


async def may_act_on_person(ctx: AppContext, actor: Actor, person_id: int,
                            roles: Iterable[str] = access.ACTING_ROLES) -> bool:
    if not actor.active:
        return False
    roles = frozenset(roles)
    for unit_id in await person_units(ctx, person_id):
        chain = [unit.id for unit in await org.ancestors(ctx.db, unit_id)]
        if access.can_act_on(actor.scope, chain, roles):
            return True
    return False


async def authorize_person(update: Update, context: Any, actor: Actor, person_id: int | None, *, what: str,
                           roles: Iterable[str] = access.ACTING_ROLES) -> bool:
    """May this actor act on that person (one of the person's current units is within their scope)?"""
    ctx = ctx_of(context)
    if person_id is not None and await may_act_on_person(ctx, actor, person_id, roles):
        return True
    known = person_id is not None and await org.get_person(ctx.db, person_id) is not None
    await refuse_forged(update, context, actor, what=what, subject_person_id=person_id if known else None,
                        detail={"person_id": person_id})
    return False


# --- Naming units and roles ----------------------------------------------------------------------------


ROLE_LABELS = {
    access.SECRETARY: i18n.N_("cell secretary"),
    access.DEPUTY: i18n.N_("deputy cell secretary"),
    access.MEMBER: i18n.N_("party member"),
    access.WARD_STAFF: i18n.N_("ward party committee staff"),
    access.CITY_STAFF: i18n.N_("city party committee staff"),
}


def role_label(t: i18n.Translator, role: str) -> str:
    return t.gettext(ROLE_LABELS.get(role, role))


async def ward_of(ctx: AppContext, unit_id: int) -> Unit | None:
    """The ward (or commune) a unit is in, or is."""
    for unit in await org.ancestors(ctx.db, unit_id):
        if unit.kind == "ward":
            return unit
    return None


async def ward_of_person(ctx: AppContext, person_id: int) -> Unit | None:
    """The ward of the person's current membership, else of their latest ended one (an inactive person)."""
    for membership in await org.memberships_of(ctx.db, person_id):
        ward = await ward_of(ctx, membership.unit_id)
        if ward is not None:
            return ward
    return None


async def describe_membership(ctx: AppContext, t: i18n.Translator, membership: Membership) -> str:
    """"cell secretary, cell Nguyễn Mộng Tuân 2, Nam Ngạn" — the role and where it is held."""
    _ = t.gettext
    chain = await org.ancestors(ctx.db, membership.unit_id)
    role = role_label(t, membership.role)
    if not chain:
        return role
    unit = chain[0]
    ward = next((u for u in chain if u.kind == "ward"), None)
    if unit.kind == "cell" and ward is not None:
        return _("{role}, cell {cell}, {ward}").format(role=role, cell=unit.name, ward=ward.name)
    if unit.kind == "cell":
        return _("{role}, cell {cell}").format(role=role, cell=unit.name)
    return _("{role}, {unit}").format(role=role, unit=unit.name)


# --- Buttons that know what they are about ------------------------------------------------------------
#
# A button that concerns a period (a month's meeting) or an item (a guidance, a preview, an invite) carries
# that identity in its callback data: "prefix:identity…:choice". When it is pressed, the handler checks the
# identity against the database (is this still the current month, the current preview, the last re-send?);
# a button shown earlier and pressed after things moved on is answered "out of date" and changes nothing.


def button_data(prefix: str, *parts: object) -> str:
    """Callback data `prefix` + parts joined by ':' (Telegram allows at most 64 bytes)."""
    data = prefix + ":".join(str(part) for part in parts)
    if len(data.encode()) > 64:
        raise ValueError(f"callback data longer than 64 bytes: {data!r}")
    return data


def button_parts(update: Update, prefix: str, count: int) -> list[str] | None:
    """The `count` parts after `prefix` of the pressed button's data, or None when it has not that shape
    (a forged or mangled button)."""
    data = (update.callback_query.data if update.callback_query else None) or ""
    if not data.startswith(prefix):
        return None
    parts = data[len(prefix):].split(":")
    return parts if len(parts) == count and all(parts) else None


async def answer_out_of_date(update: Update, actor: Actor, *, what: str) -> None:
    """The button was shown for something that has moved on since: say so, change nothing."""
    log.info("out-of-date button %r (%s) from user %s", (update.callback_query.data or "")[:64] if
             update.callback_query else None, what, getattr(update.effective_user, "id", None))
    text = actor.t.gettext("This button is out of date: things have changed since it was shown, so nothing "
                           "was changed. Send /menu to start again.")
    await notify(update, text)


# --- Starting a guided conversation while another is unfinished -----------------------------------------
#
# A person has one draft at a time (storage/drafts.py). Starting another conversation must never discard
# the unfinished one silently, so every flow's entry point goes through `begin_flow`: when another flow is
# unfinished, the person is asked "continue it, or discard it and start this one?" (two buttons, or the
# numbers 1 and 2 typed), and the question is kept in the database (`flow_switches`) until answered.


@dataclass(frozen=True)
class Flow:
    """A guided conversation, as `begin_flow` knows it."""

    name: str                 # the draft's `flow`, e.g. "guidance.compose"
    label: str                # N_(): what the person is doing, e.g. "writing the month's guidance"
    start: Callable[[Update, Any], Awaitable[Any]]   # shows the first step and saves the first draft
    resume: Callable[[Update, Any], Awaitable[Any]] | None = None  # shows the current step again
    transient: bool = False   # a one-question picker: replaced without asking, left by /menu, help, /language


FLOWS: dict[str, Flow] = {}
_SWITCH = "flow:"
CONTINUE, SWITCH = "1", "2"


def define_flow(name: str, label: str, start: Callable[[Update, Any], Awaitable[Any]], *,
                resume: Callable[[Update, Any], Awaitable[Any]] | None = None, transient: bool = False) -> Flow:
    """Declare a flow (at import time, next to its handlers); returns it for `begin_flow`."""
    flow = Flow(name, label, start, resume, transient)
    FLOWS[name] = flow
    return flow


def _keeps(draft: Draft | None) -> bool:
    """Whether this draft is worth asking about before it is replaced."""
    if draft is None:
        return False
    known = FLOWS.get(draft.flow)
    return known is None or not known.transient


async def begin_flow(update: Update, context: Any, flow: Flow,
                     start: Callable[[Update, Any], Awaitable[Any]] | None = None) -> None:
    """Start `flow` (`start`, else `flow.start`) — unless the person has another unfinished flow: then ask
    whether to continue that one or discard it and start this one (the same flow started again too: its
    draft would be lost as well). A transient picker is simply replaced."""
    actor = await actor_for(update, context)
    draft = actor.draft
    if draft is None or not _keeps(draft) or actor.account is None:
        await (start or flow.start)(update, context)
        return
    ctx = ctx_of(context)
    await drafts.ask_switch(ctx.db, actor.account.id, flow.name, draft.updated_at, now_instant(ctx))
    t = actor.t
    _ = t.gettext
    current = FLOWS.get(draft.flow)
    current_label = _(current.label) if current else draft.flow
    text = _("You have not finished {current}. Continue it, or discard it and start {new}?\n"
             "1 — Continue {current}\n2 — Discard it and start {new}\n"
             "Press a button or type its number.").format(current=current_label, new=_(flow.label))
    keyboard = InlineKeyboardMarkup([
        [InlineKeyboardButton(_("1 — Continue"), callback_data=button_data(_SWITCH, "keep", flow.name))],
        [InlineKeyboardButton(_("2 — Discard it and start the new one"),
                              callback_data=button_data(_SWITCH, "go", flow.name))],
    ])
    await reply(update, text, reply_markup=keyboard)


async def leave_transient(update: Update, context: Any) -> None:
    """The person did something else: a transient picker they left open ends (its buttons go out of date)."""
    actor = await actor_for(update, context)
    if actor.draft is not None and actor.account is not None and not _keeps(actor.draft) \
            and actor.draft.flow in FLOWS:
        await drafts.clear(ctx_of(context).db, actor.account.id)
        await actor_for(update, context, fresh=True)


class _SwitchAnswer(ActorFilter):
    """"1" or "2" typed while a switch question waits (and the draft has not moved on since)."""

    def __init__(self, application: Application) -> None:
        super().__init__(name="SwitchAnswer")
        self.application = application

    def filter(self, update: Update) -> bool:
        actor = self._actor(update)
        text = (update.effective_message.text or "").strip() if update.effective_message else ""
        return (actor is not None and actor.switch is not None and actor.draft is not None
                and actor.draft.updated_at == actor.switch.draft_updated_at and text in (CONTINUE, SWITCH))


async def _on_switch_typed(update: Update, context: Any) -> None:
    actor = await actor_for(update, context)
    await _answer_switch(update, context, actor, actor.switch.to_flow,
                         discard=update.effective_message.text.strip() == SWITCH)


async def _on_switch_button(update: Update, context: Any) -> None:
    actor = await actor_for(update, context)
    parts = button_parts(update, _SWITCH, 2)
    if parts is None or parts[0] not in ("keep", "go") or parts[1] not in FLOWS:
        await refuse_forged(update, context, actor, what="flow.switch")
        return
    await _answer_switch(update, context, actor, parts[1], discard=parts[0] == "go")


async def _answer_switch(update: Update, context: Any, actor: Actor, to_flow: str, *, discard: bool) -> None:
    ctx = ctx_of(context)
    if actor.account is None or actor.draft is None:
        await answer_out_of_date(update, actor, what="flow.switch")
        return
    draft = actor.draft
    async with ctx.db.transaction() as conn:
        taken = await drafts.answer_switch(conn, actor.account.id, to_flow, draft.updated_at, discard=discard)
    if not taken:
        await answer_out_of_date(update, actor, what="flow.switch")
        return
    await actor_for(update, context, fresh=True)
    if discard:
        log.info("account %s discarded %s to start %s", actor.account.id, draft.flow, to_flow)
        await FLOWS[to_flow].start(update, context)
        return
    current = FLOWS.get(draft.flow)
    if current is not None and current.resume is not None:
        await current.resume(update, context)
        return
    _ = actor.t.gettext
    await reply(update, _("Carry on with {current} where you left off. /cancel leaves it.").format(
        current=_(current.label) if current else draft.flow))
