"""Handling recommendations (kiến nghị): the ward's and the city's inboxes, one item opened, and the
actions on it — received, answer, escalate to the city, ask the cell to clarify, and the cell's
clarification.

Who may see and do what is decided from the database on every action (handlers/recommendation_people.py
and bot/rules/recommendations.py): a ward's staff see and act on their own cells' items, city staff on
what was escalated, a cell's leaders on their cell's. A button carries only an action, the item's id and
the status it was shown in: a forged one is refused and audited, a stale one (the item moved meanwhile)
is refused with a message, and nothing changes either way. A change is written with its history row, the
notices it causes (to the cell's current secretary and deputy, and up) and its audit entry in one
transaction, conditional on the status it started from, so two staff acting at once cannot both win.

Typed forms: in a list, a number opens that item; on an item, a number does that action; a code such as
`KN-2612-0042` opens the item anywhere; the answer, question or clarification is typed as text.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.core import i18n
from bot.core.context import AppContext, ctx_of
from bot.delivery.sender import send_now
from bot.rules import recommendations as rules
from handlers import common, menu
from handlers import recommendation_people as people
from handlers import recommendation_texts as texts
from storage import drafts, org
from storage import recommendations as store
from storage.recommendations import Recommendation

log = logging.getLogger(__name__)

ACT_FLOW = "recommendation.act"      # typing the answer / question / clarification (step "text")
BROWSE_FLOW = "recommendation.browse"  # a list or an item on screen, so that typed numbers work
TEXT, LIST, ITEM = "text", "list", "item"

# Inbox filters: which statuses each shows, for the ward and for the city.
FILTERS = {
    rules.WARD: {"open": (rules.NEW, rules.RECEIVED),
                 "wait": (rules.RETURNED, rules.ESCALATED, rules.CITY_RETURNED),
                 "done": (rules.RESOLVED, rules.CITY_RESOLVED), "all": None},
    rules.CITY: {"open": (rules.ESCALATED,), "wait": (rules.CITY_RETURNED,), "done": (rules.CITY_RESOLVED,),
                 "all": None},
}
FILTER_LABELS = {"open": i18n.N_("To handle"), "wait": i18n.N_("Waiting"), "done": i18n.N_("Answered"),
                 "all": i18n.N_("All")}
PROMPTS = {
    rules.RESOLVE: i18n.N_("Type the answer to recommendation {code}: it goes to the cell's secretary and "
                           "deputy. /cancel stops."),
    rules.RETURN: i18n.N_("Type what the cell should clarify about recommendation {code}. /cancel stops."),
    rules.CLARIFY: i18n.N_("Type the clarification for recommendation {code}. /cancel stops."),
}


# --- Small shared pieces -------------------------------------------------------------------------------


async def ack(update: Update) -> None:
    """Answer the button press, if it was one and is not answered yet (a second answer is refused)."""
    if update.callback_query is not None:
        try:
            await update.callback_query.answer()
        except Exception:
            log.debug("callback query not answered", exc_info=True)


async def stale(update: Update, actor: common.Actor) -> None:
    _ = actor.t.gettext
    text = _("This button is out of date. Nothing was changed. Send /kiennghi to see the recommendations now.")
    await common.notify(update, text)


def audit_entry(ctx: AppContext, update: Update, actor: common.Actor, action: str, unit_id: int | None,
                detail: dict | None = None) -> dict:
    user = update.effective_user
    return {"at": common.now_instant(ctx), "action": action,
            "actor_person_id": actor.person.id if actor.person else None, "platform": actor.platform,
            "actor_external_id": user.id if user else None, "unit_id": unit_id, "detail": detail or {}}


async def say(update: Update, ctx_or_context: Any, text: str, reply_markup: InlineKeyboardMarkup | None = None,
              parse_mode: str | None = None) -> None:
    """A direct reply, paced with the outbox's messages to the same chat (the sender's per-chat pacing):
    a staff member getting notices while they act gets both without going over Telegram's per-chat
    limit. Long texts are split."""
    ctx = ctx_or_context if isinstance(ctx_or_context, AppContext) else ctx_of(ctx_or_context)
    await ack(update)
    chat = update.effective_chat
    if chat is None:
        return
    payload: dict = {"text": text, "parse_mode": parse_mode}
    if reply_markup is not None:
        payload["buttons"] = [[{"text": b.text, "callback_data": b.callback_data} for b in row]
                              for row in reply_markup.inline_keyboard]
    await send_now(ctx, update.get_bot(), chat.id, payload)


async def show(update: Update, ctx: AppContext, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
    """Edit the message the button was on (a page turned), else send a new one."""
    query = update.callback_query
    if query is not None and query.message is not None and len(text) < 3500:
        try:
            await query.edit_message_text(text, parse_mode="HTML", reply_markup=keyboard)
            return
        except BadRequest as error:
            if "not modified" in str(error).lower():
                return
            log.debug("could not edit the list; sending it anew", exc_info=True)
    await say(update, ctx, text, keyboard, parse_mode="HTML")


def page_row(prefix: str, page: int, pages: int) -> list[InlineKeyboardButton]:
    row = []
    if page > 0:
        row.append(InlineKeyboardButton("◀", callback_data=f"{prefix}{page - 1}"))
    row.append(InlineKeyboardButton(f"{page + 1}/{pages}", callback_data=f"{prefix}{page}"))
    if page < pages - 1:
        row.append(InlineKeyboardButton("▶", callback_data=f"{prefix}{page + 1}"))
    return row


async def remember_list(ctx: AppContext, actor: common.Actor, ids: list[int | None], extra: dict) -> None:
    """What a typed number means now. Never over another flow's draft (that one is kept; only the
    buttons work then)."""
    if actor.draft is None or actor.draft.flow == BROWSE_FLOW:
        await drafts.save(ctx.db, actor.account.id, BROWSE_FLOW, LIST, {"ids": ids, **extra},
                          at=common.now_instant(ctx))


async def _remember_item(ctx: AppContext, actor: common.Actor, item: Recommendation, actions: list[str]) -> None:
    if actor.draft is None or actor.draft.flow == BROWSE_FLOW:
        await drafts.save(ctx.db, actor.account.id, BROWSE_FLOW, ITEM,
                          {"item": item.id, "status": item.status, "actions": actions}, at=common.now_instant(ctx))


# --- Notices ---------------------------------------------------------------------------------------------


def urgent_messages(item: Recommendation, place: people.Place, staff: list[people.Recipient]):
    """An urgent item to its ward's staff at once, with the ward's actions as buttons."""
    actions = rules.actions_for(item.status, [rules.WARD])
    return people.messages(
        "recommendation.urgent", staff,
        lambda t: {"text": texts.new_item_notice(t, item, cell_name=place.cell_name, ward_name=place.ward_name,
                                                 submitter=place.submitter),
                   "parse_mode": "HTML", "buttons": texts.action_buttons(t, item, actions),
                   "attachments": texts.attachments_payload(item)},
        ref=f"recommendation:{item.id}", dedup=f"recommendation:{item.id}:urgent")


async def _transition_messages(ctx: AppContext, item: Recommendation, place: people.Place, *, action: str,
                               to_status: str, text: str | None, actor: common.Actor, event: str):
    """The notices of one change: to the cell's current secretary and deputy (the actor left out), and up
    to whoever holds the item next."""
    found = []
    ref, moved = f"recommendation:{item.id}", _moved(item, to_status)
    leaders = await people.cell_leaders(ctx, item.cell_id)
    if action != rules.CLARIFY:
        def down(t: i18n.Translator) -> dict:
            payload = {"text": texts.status_notice(t, item, to_status=to_status, text=text,
                                                   cell_name=place.cell_name), "parse_mode": "HTML"}
            if to_status in rules.AWAITING_CELL:
                payload["buttons"] = texts.action_buttons(t, moved, [rules.CLARIFY])
            return payload
        found += people.messages("recommendation.status", leaders, down, ref=ref, dedup=f"{event}:down",
                                 exclude=[actor.person.id])
    else:
        def told(t: i18n.Translator) -> dict:
            return {"text": texts.clarified_notice(t, item, text=text or "", cell_name=place.cell_name),
                    "parse_mode": "HTML"}
        found += people.messages("recommendation.status", leaders, told, ref=ref, dedup=f"{event}:cell",
                                 exclude=[actor.person.id])
    if to_status in (rules.CITY_RESOLVED, rules.CITY_RETURNED):   # the ward follows what the city does
        staff = await people.ward_staff(ctx, place.ward.id if place.ward else None)
        found += people.messages("recommendation.status", staff, lambda t: {
            "text": texts.status_notice(t, item, to_status=to_status, text=text, cell_name=place.cell_name,
                                        for_cell=False),
            "parse_mode": "HTML"}, ref=ref, dedup=f"{event}:ward", exclude=[actor.person.id])
    if to_status == rules.ESCALATED:   # escalated, or clarified back to the city
        staff = await people.city_staff(ctx)
        notice = texts.escalated_notice if action == rules.ESCALATE else None
        found += people.messages("recommendation.up", staff, lambda t: _up(t, moved, place, notice, text),
                                 ref=ref, dedup=f"{event}:city", exclude=[actor.person.id])
    elif action == rules.CLARIFY:       # clarified back to the ward
        staff = await people.ward_staff(ctx, place.ward.id if place.ward else None)
        found += people.messages("recommendation.up", staff, lambda t: _up(t, moved, place, None, text),
                                 ref=ref, dedup=f"{event}:ward", exclude=[actor.person.id])
    return found


def _moved(item: Recommendation, to_status: str) -> Recommendation:
    """The item as it will be once moved (its buttons then carry the new status)."""
    return replace(item, status=to_status)


def _up(t: i18n.Translator, item: Recommendation, place: people.Place, notice, text: str | None) -> dict:
    if notice is not None:
        body = notice(t, item, cell_name=place.cell_name, ward_name=place.ward_name, submitter=place.submitter)
    else:
        body = texts.clarified_notice(t, item, text=text or "", cell_name=place.cell_name)
    return {"text": body, "parse_mode": "HTML",
            "buttons": [[{"text": t.gettext("🔎 Open it"), "callback_data": f"{texts.OPEN}{item.id}"}]]}


# --- Opening an item --------------------------------------------------------------------------------------


async def _item_or_refuse(update: Update, context: Any, actor: common.Actor, item_id: int | None,
                          what: str) -> tuple[Recommendation, frozenset[str]] | None:
    """The item and this person's levels on it, or None — refused and audited as forged when they may
    not see it (an unknown id is refused the same way, telling nothing)."""
    ctx = ctx_of(context)
    item = await store.get(ctx.db, item_id) if item_id is not None else None
    levels = await people.levels(ctx, actor, item) if item is not None else frozenset()
    if not levels:
        await common.refuse_forged(update, context, actor, what=what, unit_id=item.cell_id if item else None,
                                   detail={"recommendation": item_id})
        return None
    return item, levels


async def show_item(update: Update, context: Any, actor: common.Actor, item: Recommendation,
                    levels: frozenset[str], *, head: str | None = None, with_files: bool = True) -> None:
    ctx = ctx_of(context)
    t = actor.t
    place = await people.place_of(ctx, item)
    history = await store.history(ctx.db, item.id)
    names = {p.id: p.full_name for p in (await org.get_people(
        ctx.db, {h.actor_person_id for h in history if h.actor_person_id})).values()}
    actions = rules.actions_for(item.status, levels)
    await _remember_item(ctx, actor, item, actions)
    await ack(update)
    text = texts.card(t, item, cell_name=place.cell_name, ward_name=place.ward_name, submitter=place.submitter,
                      history=history, names=names)
    payload = {"text": f"{texts.esc(head)}\n\n{text}" if head else text,
               "parse_mode": "HTML", "attachments": texts.attachments_payload(item) if with_files else [],
               "buttons": texts.action_buttons(t, item, actions) or None}
    await send_now(ctx, update.get_bot(), update.effective_chat.id, payload)


async def on_open(update: Update, context: Any) -> None:
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    raw = (update.callback_query.data or "")[len(texts.OPEN):]
    found = await _item_or_refuse(update, context, actor, int(raw) if raw.isdigit() else None,
                                  "recommendation.open")
    if found is not None:
        await show_item(update, context, actor, *found)


async def open_by_code(update: Update, context: Any, actor: common.Actor, typed: str) -> None:
    """`/kiennghi KN-2612-0042` or the code typed alone."""
    ctx = ctx_of(context)
    _ = actor.t.gettext
    code = rules.parse_code(typed)
    if code is None:
        await say(update, ctx, _("That is not a tracking code. A code looks like KN-2612-0042."))
        return
    item = await store.by_code(ctx.db, code)
    if item is None or not await people.levels(ctx, actor, item):
        if item is not None:
            await common.record_audit(ctx, update, actor, "access.forged", unit_id=item.cell_id,
                                      detail={"what": "recommendation.code", "code": code})
        # the same answer whether it exists elsewhere or not at all: nothing is told about other wards
        await say(update, ctx, _("No recommendation {code} among those you can see.").format(code=code))
        return
    await show_item(update, context, actor, item, await people.levels(ctx, actor, item))


# --- Acting ------------------------------------------------------------------------------------------------


async def on_action(update: Update, context: Any) -> None:
    """kn:a:<action>:<id>:<status shown>."""
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    parts = (update.callback_query.data or "")[len(texts.ACT):].split(":")
    if len(parts) != 3 or not parts[1].isdigit():
        await common.refuse_forged(update, context, actor, what="recommendation.act")
        return
    action, item_id, shown = parts[0], int(parts[1]), parts[2]
    await act(update, context, actor, action, item_id, shown)


async def act(update: Update, context: Any, actor: common.Actor, action: str, item_id: int, shown: str) -> None:
    """An action chosen on an item shown in status `shown` (a button, or its number typed)."""
    found = await _item_or_refuse(update, context, actor, item_id, "recommendation.act")
    if found is None:
        return
    item, levels = found
    _ = actor.t.gettext
    if item.status != shown:
        await _refuse(update, actor, _("This recommendation has changed since: it is now “{status}”. Nothing was "
                                       "changed.").format(status=texts.status_label(actor.t, item.status)))
        return
    decision = rules.decide(item.status, action, levels, text="…")
    if not decision.allowed:
        await _refused(update, context, actor, item, decision)
        return
    if action in rules.NEEDS_TEXT:
        await begin_action_text(update, context, actor, item, action)
        return
    await ack(update)
    await apply(update, context, actor, item, action, decision, None)


async def _refuse(update: Update, actor: common.Actor, text: str) -> None:
    await common.notify(update, text)


async def _refused(update: Update, context: Any, actor: common.Actor, item: Recommendation,
                   decision: rules.Decision) -> None:
    _ = actor.t.gettext
    if decision.refusal is rules.Refusal.UNKNOWN:
        await common.refuse_forged(update, context, actor, what="recommendation.act",
                                   detail={"recommendation": item.id})
    elif decision.refusal is rules.Refusal.CLOSED:
        await _refuse(update, actor, _("This recommendation has already been answered. Nothing was changed."))
    elif decision.refusal is rules.Refusal.NEEDS_TEXT:
        await _refuse(update, actor, _("Please type a text: an empty answer cannot be sent."))
    elif decision.refusal is rules.Refusal.NOT_YOURS:
        await _refuse(update, actor, _("That is not yours to do on this recommendation. Nothing was changed."))
    else:
        await _refuse(update, actor, _("That cannot be done now: the recommendation is “{status}”. Nothing was "
                                       "changed.").format(status=texts.status_label(actor.t, item.status)))


async def begin_action_text(update: Update, context: Any, actor: common.Actor, item: Recommendation,
                            action: str) -> None:
    """The one entry point of typing an answer, a question or a clarification. Another unfinished
    conversation is never discarded without asking."""
    await common.begin_flow(update, context, ACTION_TEXT, start=lambda u, c: _begin_action_text(u, c, actor, item, action))


async def _begin_action_text(update: Update, context: Any, actor: common.Actor, item: Recommendation,
                             action: str) -> None:
    ctx = ctx_of(context)
    _ = actor.t.gettext
    await drafts.save(ctx.db, actor.account.id, ACT_FLOW, TEXT,
                      {"item": item.id, "action": action, "status": item.status}, at=common.now_instant(ctx))
    await ack(update)
    await say(update, ctx, _(PROMPTS[action]).format(code=item.code))


async def on_action_text(update: Update, context: Any) -> None:
    ctx = ctx_of(context)
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    _ = actor.t.gettext
    data = actor.draft.data
    text = (update.effective_message.text or "").strip()
    found = await _item_or_refuse(update, context, actor, data.get("item"), "recommendation.act")
    if found is None:
        await drafts.clear(ctx.db, actor.account.id)
        return
    item, levels = found
    if item.status != data.get("status"):
        await drafts.clear(ctx.db, actor.account.id)
        await say(update, ctx, _("This recommendation has changed since: it is now “{status}”. Nothing was "
                                 "changed.").format(status=texts.status_label(actor.t, item.status)))
        return
    decision = rules.decide(item.status, data.get("action", ""), levels, text=text)
    if not decision.allowed:
        if decision.refusal is not rules.Refusal.NEEDS_TEXT:
            await drafts.clear(ctx.db, actor.account.id)
        await _refused(update, context, actor, item, decision)
        return
    await apply(update, context, actor, item, data["action"], decision, text)


async def on_action_other(update: Update, context: Any) -> None:
    actor = await common.require_actor(update, context)
    if actor is not None:
        await say(update, context, actor.t.gettext("Please type the text, or /cancel."))


async def apply(update: Update, context: Any, actor: common.Actor, item: Recommendation, action: str,
                decision: rules.Decision, text: str | None) -> None:
    ctx = ctx_of(context)
    t = actor.t
    _ = t.gettext
    place = await people.place_of(ctx, item)
    at = common.now_instant(ctx)
    event = f"recommendation:{item.id}:{action}:{item.status}:{at}"
    messages = await _transition_messages(ctx, item, place, action=action, to_status=decision.to_status,
                                          text=text, actor=actor, event=event)
    clears = actor.draft is not None and actor.draft.flow in (ACT_FLOW, BROWSE_FLOW)
    done = await store.transition(
        ctx.db, item.id, action=action, from_status=item.status, to_status=decision.to_status,
        actor_person_id=actor.person.id, at=at, text=text, messages=messages,
        audit_entry=audit_entry(ctx, update, actor, f"recommendation.{action}", item.cell_id,
                                {"from": item.status, "to": decision.to_status, "level": decision.level}),
        draft_account_id=actor.account.id if clears else None)
    if not done:   # someone else acted first
        if clears:
            await drafts.clear(ctx.db, actor.account.id)
        now = await store.get(ctx.db, item.id)
        await say(update, ctx, _("Someone else acted on this recommendation first: it is now “{status}”. "
                                 "Nothing was changed by you.").format(
                  status=texts.status_label(t, now.status if now else item.status)))
        return
    ctx.wake_sender()
    done_text = {
        rules.RECEIVED: _("Marked as received. The cell is told."),
        rules.RESOLVED: _("Answer sent to the cell."),
        rules.CITY_RESOLVED: _("Answer sent to the cell and its ward."),
        rules.ESCALATED: _("Sent up to the city. The cell is told."),
        rules.RETURNED: _("The question was sent to the cell."),
        rules.CITY_RETURNED: _("The question was sent to the cell."),
    }.get(decision.to_status, "")
    if action == rules.CLARIFY:
        done_text = _("Clarification sent.")
    moved = await store.get(ctx.db, item.id)
    actor = await common.actor_for(update, context, fresh=True)
    head = f"{item.code}: {done_text}"
    if moved is None:
        await say(update, ctx, head)
        return
    # one message: what was done, and the item as it is now (its files are not sent again)
    await show_item(update, context, actor, moved, await people.levels(ctx, actor, moved), head=head,
                    with_files=False)


# --- The inbox -------------------------------------------------------------------------------------------


async def begin_inbox(update: Update, context: Any) -> None:
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    await show_inbox(update, context, actor, "open", 0, edit=False)


async def _resume_action_text(update: Update, context: Any) -> None:
    """Back to the question the person was answering (chosen to continue it rather than start another)."""
    actor = await common.require_actor(update, context)
    if actor is None or not actor.in_flow(ACT_FLOW):
        return
    data = actor.draft.data
    found = await _item_or_refuse(update, context, actor, data.get("item"), "recommendation.act")
    if found is not None:
        await say(update, ctx_of(context), actor.t.gettext(PROMPTS[data["action"]]).format(code=found[0].code))


# Typing an answer: started afresh after discarding another draft, it is the inbox (the item is chosen there).
ACTION_TEXT = common.define_flow(ACT_FLOW, i18n.N_("answering a recommendation"), begin_inbox,
                                 resume=_resume_action_text)
# A list or an item on screen (so that typed numbers work): a throwaway, replaced without asking.
BROWSING = common.define_flow(BROWSE_FLOW, i18n.N_("looking at recommendations"), begin_inbox, transient=True)


async def _inbox_scope(ctx: AppContext, actor: common.Actor) -> tuple[str, list[int] | None, str] | None:
    """(level, cell ids or None for the city's escalated items, title) of this person's inbox."""
    viewer = people.viewer_of(actor)
    if viewer.city:
        return rules.CITY, None, actor.t.gettext("escalated to the city")
    wards = people.staff_wards(actor)
    if not wards:
        return None
    cells = []
    for ward in wards:
        cells += [c.id for c in await org.cells_under(ctx.db, ward.id)]
    return rules.WARD, cells, ", ".join(w.name for w in wards)


async def show_inbox(update: Update, context: Any, actor: common.Actor, key: str, page: int, *,
                     edit: bool = True) -> None:
    ctx = ctx_of(context)
    t = actor.t
    _ = t.gettext
    scope = await _inbox_scope(ctx, actor)
    if scope is None:
        await common.refuse_forged(update, context, actor, what="recommendation.inbox")
        return
    level, cell_ids, title = scope
    categories = ctx.config.recommendations.categories
    category = None
    if key.startswith("c") and key[1:].isdigit() and int(key[1:]) < len(categories):
        category, statuses = categories[int(key[1:])], None
    elif key in FILTERS[level]:
        statuses = FILTERS[level][key]
    else:
        await stale(update, actor)
        return
    size = ctx.config.recommendations.page_size
    escalated = cell_ids is None
    summary = await store.inbox_summary(ctx.db, cell_ids=cell_ids, escalated=escalated)
    total_items, page_items = 0, []
    first = await store.inbox(ctx.db, cell_ids=cell_ids, escalated=escalated, statuses=statuses,
                              category=category, offset=0, limit=1)
    total_items = first[1]
    pages = max(1, (total_items + size - 1) // size)
    page = min(max(page, 0), pages - 1)
    page_items, _total = await store.inbox(ctx.db, cell_ids=cell_ids, escalated=escalated, statuses=statuses,
                                           category=category, offset=page * size, limit=size)
    units = await org.get_units(ctx.db, {i.cell_id for i in page_items})
    by_status: dict[str, int] = {}
    by_category: dict[str, int] = {}
    for (status, cat), n in summary.items():
        by_status[status] = by_status.get(status, 0) + n
        by_category[cat] = by_category.get(cat, 0) + n
    shown = category or _(FILTER_LABELS[key])
    lines = [_("<b>Recommendations — {title}</b>").format(title=texts.esc(title))]
    if by_status:
        lines.append(" · ".join(f"{texts.status_label(t, s)}: {t.format_number(n)}" for s, n in
                                sorted(by_status.items(), key=lambda kv: rules.STATUSES.index(kv[0]))))
        lines.append(" · ".join(f"{texts.esc(c)}: {t.format_number(n)}" for c, n in sorted(by_category.items())))
    lines.append("")
    if page_items:
        lines.append(f"{texts.esc(shown)}: {t.format_number(total_items)}")
        lines += [f"{n}. " + texts.short_line(t, item, units[item.cell_id].name if item.cell_id in units else None)
                  for n, item in enumerate(page_items, start=1)]
        lines.append(_("Press one to open it, or type its number or its code."))
    else:
        lines.append(_("{shown}: none.").format(shown=texts.esc(shown)))
    rows = [[InlineKeyboardButton(texts.button_label(t, n, item, units[item.cell_id].name
                                                     if item.cell_id in units else None),
                                  callback_data=f"{texts.OPEN}{item.id}")]
            for n, item in enumerate(page_items, start=1)]
    if pages > 1:
        rows.append(page_row(f"{texts.INBOX}{key}:", page, pages))
    rows.append([InlineKeyboardButton(("✓ " if k == key else "") + _(label), callback_data=f"{texts.INBOX}{k}:0")
                 for k, label in FILTER_LABELS.items()])
    cat_buttons = [InlineKeyboardButton(("✓ " if c == category else "") + c[:20], callback_data=f"{texts.INBOX}c{i}:0")
                   for i, c in enumerate(categories) if by_category.get(c)]
    rows += [cat_buttons[i:i + 3] for i in range(0, len(cat_buttons), 3)]
    await remember_list(ctx, actor, [item.id for item in page_items], {"filter": key, "page": page})
    await ack(update)
    if edit:
        await show(update, ctx, "\n".join(lines), InlineKeyboardMarkup(rows))
    else:
        await say(update, ctx, "\n".join(lines), InlineKeyboardMarkup(rows), parse_mode="HTML")


async def on_inbox(update: Update, context: Any) -> None:
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    key, _sep, page = (update.callback_query.data or "")[len(texts.INBOX):].partition(":")
    if not page.isdigit():
        await stale(update, actor)
        return
    await show_inbox(update, context, actor, key, int(page))


# --- Typed forms while browsing ---------------------------------------------------------------------------


async def on_browse_text(update: Update, context: Any) -> None:
    """A number typed while a list or an item is on screen."""
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    _ = actor.t.gettext
    text = update.effective_message.text or ""
    data = actor.draft.data
    if actor.draft.step == LIST:
        ids = list(data.get("ids") or [])
        index = rules.pick_numbered(text, len(ids))
        if index is None:
            await say(update, context, _("Please type a number from the list, or a code such as KN-2612-0042."))
            return
        if ids[index] is None:
            from handlers import recommendations as submission

            await drafts.clear(ctx_of(context).db, actor.account.id)
            await submission.begin_submission(update, context)
            return
        found = await _item_or_refuse(update, context, actor, ids[index], "recommendation.open")
        if found is not None:
            await show_item(update, context, actor, *found)
        return
    actions = list(data.get("actions") or [])
    index = rules.pick_numbered(text, len(actions))
    if index is None:
        await say(update, context, _("Please press a button or type its number, or send /kiennghi.")
                  if actions else _("Nothing to do on this one now. Send /kiennghi for the list."))
        return
    await act(update, context, actor, actions[index], int(data["item"]), data.get("status", ""))


class _Number(filters.MessageFilter):
    """A number typed alone (what answers a numbered list); other text while browsing is not ours."""

    def filter(self, message) -> bool:
        return bool(message.text) and message.text.strip().strip("().").strip().isdigit()


TYPED_NUMBER = _Number(name="recommendations.TYPED_NUMBER")


class _Code(filters.MessageFilter):
    def filter(self, message) -> bool:
        return bool(message.text) and rules.parse_code(message.text) is not None


TYPED_CODE = _Code(name="recommendations.TYPED_CODE")


async def on_typed_code(update: Update, context: Any) -> None:
    actor = await common.require_actor(update, context)
    if actor is not None:
        await open_by_code(update, context, actor, update.effective_message.text)


class _NotInOtherFlow(common.ActorFilter):
    """No conversation in progress, or only browsing recommendations."""

    def __init__(self, application: Application) -> None:
        super().__init__(name="NotInOtherFlow")
        self.application = application

    def filter(self, update: Update) -> bool:
        actor = self._actor(update)
        return actor is not None and (actor.draft is None or actor.draft.flow == BROWSE_FLOW)


def register(application: Application, ctx: AppContext) -> None:
    common.install(application)
    message = common.PRIVATE_MESSAGE
    typed = filters.TEXT & ~filters.COMMAND & ~menu.TYPED_MENU_ITEM
    application.add_handler(MessageHandler(message & typed & common.InFlow(application, ACT_FLOW, TEXT),
                                           on_action_text))
    application.add_handler(MessageHandler(message & ~filters.COMMAND & ~menu.TYPED_MENU_ITEM &
                                           common.InFlow(application, ACT_FLOW), on_action_other))
    application.add_handler(MessageHandler(message & typed & TYPED_CODE & _NotInOtherFlow(application),
                                           on_typed_code))
    application.add_handler(MessageHandler(message & typed & TYPED_NUMBER & common.InFlow(application, BROWSE_FLOW),
                                           on_browse_text))
    application.add_handler(CallbackQueryHandler(on_open, pattern=rf"^{texts.OPEN}"))
    application.add_handler(CallbackQueryHandler(on_action, pattern=rf"^{texts.ACT}"))
    application.add_handler(CallbackQueryHandler(on_inbox, pattern=rf"^{texts.INBOX}"))
    application.add_handler(CallbackQueryHandler(begin_inbox, pattern=rf"^{texts.INBOX_FROM_NOTICE}$"))
