"""The words of recommendations (kiến nghị): labels of statuses, sources, urgencies and actions, an item's
card, and the notices that go up (to ward and city staff) and down (to the cell). All HTML, with whatever a
person typed escaped, so `<`, `&`, `*`, `_` in a citizen's text show as typed and never format anything.
Long texts are split by the sender (`bot/delivery/sender.plan`), so nothing here is ever cut."""

from __future__ import annotations

import html
from datetime import datetime

from bot.core import i18n
from bot.core.i18n import N_
from bot.rules import recommendations as rules
from storage import codec
from storage.recommendations import HistoryEntry, Recommendation

PREFIX = "kn:"
OPEN = "kn:o:"          # kn:o:<item id>            open an item
ACT = "kn:a:"           # kn:a:<action>:<id>:<status shown>   act on it (refused if the status moved)
INBOX = "kn:i:"         # kn:i:<filter>:<page>     the staff inbox
MINE = "kn:m:"          # kn:m:<page>              a cell's own items
NEW = "kn:new"          # start a submission
INBOX_FROM_NOTICE = "kn:inbox"   # a notice's "open the inbox": a new message (the notice stays as it was)

STATUS_LABELS = {
    rules.NEW: N_("new"),
    rules.RECEIVED: N_("received by the ward"),
    rules.RETURNED: N_("returned to the cell for clarification"),
    rules.ESCALATED: N_("escalated to the city"),
    rules.CITY_RETURNED: N_("returned by the city for clarification"),
    rules.RESOLVED: N_("answered by the ward"),
    rules.CITY_RESOLVED: N_("answered by the city"),
}
STATUS_ICONS = {rules.NEW: "🆕", rules.RECEIVED: "📥", rules.RETURNED: "❓", rules.ESCALATED: "⬆️",
                rules.CITY_RETURNED: "❓", rules.RESOLVED: "✅", rules.CITY_RESOLVED: "✅"}
SOURCE_LABELS = {rules.MEMBER: N_("a party member"), rules.CITIZENS: N_("citizens of the area")}
URGENCY_LABELS = {rules.NORMAL: N_("normal"), rules.URGENT: N_("urgent")}
ACTION_LABELS = {
    rules.RECEIVE: N_("📥 Mark as received"),
    rules.RESOLVE: N_("✅ Answer"),
    rules.ESCALATE: N_("⬆️ Escalate to the city"),
    rules.RETURN: N_("❓ Ask the cell to clarify"),
    rules.CLARIFY: N_("✍️ Reply with the clarification"),
}
HISTORY_LABELS = {
    rules.SUBMIT: N_("sent by the cell"),
    rules.RECEIVE: N_("received by the ward"),
    rules.RESOLVE: N_("answered"),
    rules.ESCALATE: N_("escalated to the city"),
    rules.RETURN: N_("returned for clarification"),
    rules.CLARIFY: N_("clarified by the cell"),
}


def esc(text: str | None) -> str:
    return html.escape(text or "", quote=False)


def status_label(t: i18n.Translator, status: str) -> str:
    return f"{STATUS_ICONS.get(status, '')} {t.gettext(STATUS_LABELS.get(status, status))}".strip()


def when(t: i18n.Translator, instant: str | None) -> str:
    moment = codec.parse_instant(instant)
    return t.format_datetime(moment, "short") if moment else ""


def short_line(t: i18n.Translator, item: Recommendation, cell_name: str | None = None) -> str:
    """One line of a list: code, urgency, category, cell, status."""
    urgent = " ‼️" if item.urgency == rules.URGENT else ""
    where = f" · {esc(cell_name)}" if cell_name else ""
    return f"<b>{item.code}</b>{urgent} · {esc(item.category)}{where} · {status_label(t, item.status)}"


def button_label(t: i18n.Translator, number: int, item: Recommendation, cell_name: str | None = None) -> str:
    urgent = "‼️ " if item.urgency == rules.URGENT else ""
    where = f" · {cell_name}" if cell_name else ""
    return f"{number}. {STATUS_ICONS.get(item.status, '')} {urgent}{item.code}{where}"[:60]


def card(t: i18n.Translator, item: Recommendation, *, cell_name: str, ward_name: str, submitter: str | None,
         history: list[HistoryEntry] | None = None, names: dict[int, str] | None = None) -> str:
    """Everything about one item, for whoever may see it."""
    _ = t.gettext
    lines = [_("<b>Recommendation {code}</b>").format(code=item.code),
             _("Cell {cell}, {ward}").format(cell=esc(cell_name), ward=esc(ward_name)),
             _("Category: {category}").format(category=esc(item.category)),
             _("From: {source} · Urgency: {urgency}").format(source=_(SOURCE_LABELS[item.source]),
                                                             urgency=_(URGENCY_LABELS[item.urgency])),
             _("Sent {when} by comrade {name}").format(when=when(t, item.submitted_at), name=esc(submitter or "?")),
             _("Status: {status}").format(status=status_label(t, item.status))]
    if item.attachments:
        lines.append(t.ngettext("{n} file attached.", "{n} files attached.", len(item.attachments)).format(
            n=len(item.attachments)))
    lines += ["", _("<b>Content</b>"), esc(item.content)]
    if item.answer:
        lines += ["", _("<b>Answer</b> ({when})").format(when=when(t, item.answered_at)), esc(item.answer)]
    steps = [h for h in (history or []) if h.action != rules.SUBMIT]
    if steps:
        lines += ["", _("<b>History</b>")]
        for entry in steps:
            who = (names or {}).get(entry.actor_person_id, "")
            line = f"• {when(t, entry.at)} — {_(HISTORY_LABELS.get(entry.action, entry.action))}"
            if who:
                line += f" ({esc(who)})"
            if entry.text and entry.action != rules.RESOLVE:
                line += f": {esc(entry.text)}"
            lines.append(line)
    return "\n".join(lines)


def action_buttons(t: i18n.Translator, item: Recommendation, actions: list[str]) -> list[list[dict]]:
    """Numbered, so that typing the number does the same (Zalo has no buttons)."""
    return [[{"text": f"{n}. {t.gettext(ACTION_LABELS[action])}",
              "callback_data": f"{ACT}{action}:{item.id}:{item.status}"}]
            for n, action in enumerate(actions, start=1)]


def attachments_payload(item: Recommendation) -> list[dict]:
    return [{"kind": a.kind, "file_id": a.file_id, "filename": a.filename} for a in item.attachments]


# --- Notices ---------------------------------------------------------------------------------------------


def status_notice(t: i18n.Translator, item: Recommendation, *, to_status: str, text: str | None,
                  cell_name: str, for_cell: bool = True) -> str:
    """To the submitting cell's secretary and deputy: what happened to their item."""
    _ = t.gettext
    head = _("Recommendation <b>{code}</b> of cell {cell} ({category}):").format(
        code=item.code, cell=esc(cell_name), category=esc(item.category))
    if to_status == rules.RECEIVED:
        body = _("The ward has received it and is handling it.")
    elif to_status == rules.RESOLVED:
        body = _("The ward has answered:") + "\n" + esc(text)
    elif to_status == rules.CITY_RESOLVED:
        body = _("The city has answered:") + "\n" + esc(text)
    elif to_status == rules.ESCALATED:
        body = _("The ward has escalated it to the city, beyond the ward's authority.")
    elif to_status in rules.AWAITING_CELL:
        who = _("The ward") if to_status == rules.RETURNED else _("The city")
        body = _("{who} asks the cell to clarify:").format(who=who) + "\n" + esc(text)
        if for_cell:
            body += "\n" + _("Press the button below and type the clarification.")
    else:
        body = status_label(t, to_status)
    lines = [head, body]
    if to_status in rules.CLOSED and for_cell:
        lines.append(_("Please report this answer to the members at the next cell meeting."))
    return "\n".join(lines)


def submitted_notice(t: i18n.Translator, item: Recommendation, *, cell_name: str, submitter: str) -> str:
    """To the cell's other leader: a recommendation of their cell was sent."""
    _ = t.gettext
    return _("Comrade {name} sent recommendation <b>{code}</b> of cell {cell} ({category}) to the ward.").format(
        name=esc(submitter), code=item.code, cell=esc(cell_name), category=esc(item.category))


def clarified_notice(t: i18n.Translator, item: Recommendation, *, text: str, cell_name: str) -> str:
    _ = t.gettext
    return "\n".join([_("Cell {cell} has clarified recommendation <b>{code}</b>:").format(
        cell=esc(cell_name), code=item.code), esc(text)])


def new_item_notice(t: i18n.Translator, item: Recommendation, *, cell_name: str, ward_name: str,
                    submitter: str | None) -> str:
    """To ward staff, at once, for an urgent item (with its action buttons)."""
    _ = t.gettext
    return _("‼️ <b>Urgent recommendation</b>") + "\n" + card(t, item, cell_name=cell_name, ward_name=ward_name,
                                                            submitter=submitter)


def escalated_notice(t: i18n.Translator, item: Recommendation, *, cell_name: str, ward_name: str,
                     submitter: str | None) -> str:
    _ = t.gettext
    return _("⬆️ <b>Escalated to the city by {ward}</b>").format(ward=esc(ward_name)) + "\n" + \
        card(t, item, cell_name=cell_name, ward_name=ward_name, submitter=submitter)


def digest(t: i18n.Translator, ward_name: str, lines: list[str]) -> str:
    _ = t.gettext
    head = t.ngettext("{ward}: {n} new recommendation from the cells today:",
                      "{ward}: {n} new recommendations from the cells today:", len(lines)).format(
        ward=esc(ward_name), n=t.format_number(len(lines)))
    return "\n".join([head] + [f"• {line}" for line in lines] + [_("Open the inbox to act on them.")])


def overdue(t: i18n.Translator, ward_name: str, lines: list[str]) -> str:
    head = t.ngettext("⏰ {ward}: {n} recommendation has waited past its deadline without an answer:",
                      "⏰ {ward}: {n} recommendations have waited past their deadline without an answer:",
                      len(lines)).format(ward=esc(ward_name), n=t.format_number(len(lines)))
    return "\n".join([head] + [f"• {line}" for line in lines])


def open_buttons(items: list[Recommendation], limit: int = 10) -> list[list[dict]]:
    """A notice's items, each a button that opens it (the first `limit`; the inbox has the rest)."""
    return [[{"text": f"🔎 {item.code}", "callback_data": f"{OPEN}{item.id}"}] for item in items[:limit]]


def inbox_button(t: i18n.Translator) -> list[list[dict]]:
    return [[{"text": t.gettext("📥 Open the inbox"), "callback_data": INBOX_FROM_NOTICE}]]


def waited(t: i18n.Translator, item: Recommendation, now: datetime) -> str:
    days = max(0, (now - codec.parse_instant(item.submitted_at)).days)
    return t.ngettext("{n} day", "{n} days", days).format(n=t.format_number(days))
