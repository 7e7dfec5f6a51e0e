"""The reminders' words: each decided reminder as the message one recipient reads, in their language, with
dates and counts formatted by Babel in that locale."""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_skeleton

from bot.core import i18n
from bot.core.i18n import N_
from bot.reminders.facts import Directory
from bot.rules import schedule
from bot.rules.schedule import Cell, Due, Facts, Settings

# What `guidance:show` opens is the guidance feature's (handlers/guidance.py).
GUIDANCE_CALLBACK = "guidance:show"
# What `rc:go:<cell>:<month>` opens is the roll-call feature's (handlers/roll_call.py).
ROLL_CALL_CALLBACK = "rc:go:"
# How many cells the ward report names before "and N more".
LISTED_CELLS = 25

RULE_LABELS = {
    schedule.COMMITTEE: N_("The cell committee meets"),
    schedule.MEETING: N_("The cell meets"),
    schedule.FOLLOWUP: N_("Follow-up: no roll call yet"),
    schedule.GUIDANCE: N_("Guidance not sent yet"),
    schedule.REPORT: N_("Ward report due"),
    schedule.INSPECTION: N_("Quarterly inspection due"),
    schedule.THEMATIC: N_("Thematic meeting due this quarter"),
}

REASON_LABELS = {
    schedule.ON_TIME: N_("sent"),
    schedule.LATE: N_("skipped: its day had passed"),
    schedule.NOBODY: N_("skipped: nobody to send it to had joined"),
    schedule.NOT_NEEDED: N_("skipped: no longer needed"),
}


def roll_call_callback(due: Due) -> str:
    """The reminder's "start roll call" button (handlers/roll_call.py): the meeting's identity, the cell and
    its month, checked there against the cells the person leads."""
    return f"{ROLL_CALL_CALLBACK}{due.subject}:{due.period}"


def month_name(t: i18n.Translator, period: str) -> str:
    year, month = schedule.parse_period(period)
    return format_skeleton("yMMMM", date(year, month, 1), locale=t.locale)


def long_date(t: i18n.Translator, day: date) -> str:
    return t.format_date(day, "full")


def when_text(t: i18n.Translator, at: datetime) -> str:
    """"Fri, Dec 4, 2026, 7:00 AM" / "07:00 Thứ 6, 4 thg 12, 2026": the locale's own order of date and time."""
    local = at.astimezone(t.tz)
    day = format_skeleton("yMMMEd", local, tzinfo=t.tz, locale=t.locale)
    pattern = str(t.locale.datetime_formats["medium"])
    return pattern.replace("{1}", day).replace("{0}", t.format_time(local))


def render(due: Due, person_id: int, directory: Directory, facts: Facts, settings: Settings) -> dict:
    """The outbox payload ({"text", "buttons"}) of one reminder for one recipient."""
    person = directory.people[person_id]
    t = i18n.get(person.language)
    _ = t.gettext
    unit = directory.units[due.subject]
    month = month_name(t, due.period)
    today = long_date(t, due.at.date())
    values = dict(name=person.full_name, unit=unit.name, month=month, today=today)
    buttons: list[list[dict]] = []
    lines: list[str] = [_("Dear comrade {name},").format(**values)]

    if due.rule == schedule.COMMITTEE:
        lines.append(_("Today, {today}, the committee of cell {unit} meets to agree the content of the {month} "
                       "meeting, to be held on {meeting}.").format(meeting=long_date(t, due.meeting_on), **values))
        if due.moved:
            lines.append(_("This month the meeting was moved to that day."))
        buttons = [[{"text": _("Read this month's guidance"), "callback_data": GUIDANCE_CALLBACK}]]
    elif due.rule == schedule.MEETING:
        lines.append(_("Today, {today}, cell {unit} holds its {month} meeting.").format(**values))
        lines.append(_("Please take the roll call twice: when the meeting starts and when it ends. "
                       "A meeting lasts at least 90 minutes."))
        buttons = [[{"text": _("📋 Start roll call"), "callback_data": roll_call_callback(due)}],
                   [{"text": _("Read this month's guidance"), "callback_data": GUIDANCE_CALLBACK}]]
    elif due.rule == schedule.FOLLOWUP:
        lines.append(_("No roll call has been recorded yet for the {month} meeting of cell {unit}, planned for "
                       "{meeting}.").format(meeting=long_date(t, due.meeting_on), **values))
        lines.append(_("If the meeting has been held, please record its roll call. If it has to be "
                       "postponed, tell me the new day, for example: “move to day 10”."))
        buttons = [[{"text": _("📋 Start roll call"), "callback_data": roll_call_callback(due)}]]
    elif due.rule == schedule.GUIDANCE:
        committee = schedule.cell_slots(settings, facts, Cell(0, due.subject), due.period)[schedule.COMMITTEE][0]
        lines.append(_("The guidance for the {month} cell meetings of {unit} has not been sent yet.")
                     .format(**values))
        lines.append(_("The cell committees meet on {day}: please send it to the cells before then.")
                     .format(day=long_date(t, committee)))
    elif due.rule == schedule.REPORT:
        lines.append(_("The {month} report of {unit} is due by {deadline}.")
                     .format(deadline=long_date(t, due.deadline), **values))
        missing = due.cells_without_roll_call
        if missing:
            lines.append(t.ngettext(
                "{count} of its {total} cells has no roll call recorded for the month yet:",
                "{count} of its {total} cells have no roll call recorded for the month yet:",
                len(missing)).format(count=t.format_number(len(missing)), total=t.format_number(due.cell_count)))
            names = sorted(directory.units[cell_id].name for cell_id in missing)
            lines += [f"• {name}" for name in names[:LISTED_CELLS]]
            if len(names) > LISTED_CELLS:
                lines.append(_("… and {count} more.").format(count=t.format_number(len(names) - LISTED_CELLS)))
        else:
            lines.append(t.ngettext("Its {total} cell has recorded its roll call for the month.",
                                    "All its {total} cells have recorded their roll call for the month.",
                                    due.cell_count).format(total=t.format_number(due.cell_count)))
    elif due.rule == schedule.INSPECTION:
        lines.append(_("This month ({month}) is an inspection month: the quarterly inspection of the quality "
                       "of the cell meetings of {unit} is due.").format(**values))
    elif due.rule == schedule.THEMATIC:
        lines.append(_("Cell {unit} has not recorded a thematic meeting yet this quarter; one is due at least "
                       "once a quarter. Please plan this month's meeting as a thematic one, or both together, and "
                       "record it so in the meeting record.").format(**values))
    else:  # a rule without words is a programming error, caught by the tests
        raise ValueError(f"no text for reminder rule {due.rule!r}")

    lines += recommendation_lines(t, due, directory)
    payload: dict = {"text": "\n".join(lines)}
    if buttons:
        payload["buttons"] = buttons
    return payload


def recommendation_lines(t: i18n.Translator, due: Due, directory: Directory) -> list[str]:
    """The meeting reminder closes the loop: the answers the cell received since its previous meeting
    reminder, to report to the members; the ward report lists the ward's recommendations still open.
    (Plain text, as the reminders are: nothing typed can format anything.)"""
    _ = t.gettext
    items = directory.recommendations.get((due.rule, due.subject), [])
    if not items:
        return []
    if due.rule == schedule.MEETING:
        lines = ["", t.ngettext("The cell received {count} answer to its recommendations since its last meeting; "
                                "please report it to the members:",
                                "The cell received {count} answers to its recommendations since its last "
                                "meeting; please report them to the members:", len(items)).format(
            count=t.format_number(len(items)))]
        for item in items:
            lines.append(f"• {item.code} ({item.category}): {item.answer}")
        return lines
    lines = ["", t.ngettext("{count} recommendation from its cells is still open:",
                            "{count} recommendations from its cells are still open:", len(items)).format(
        count=t.format_number(len(items)))]
    for item in items[:LISTED_CELLS]:
        unit = directory.units.get(item.cell_id)
        lines.append(f"• {item.code} · {unit.name if unit else ''} · {item.category}")
    if len(items) > LISTED_CELLS:
        lines.append(_("… and {count} more.").format(count=t.format_number(len(items) - LISTED_CELLS)))
    return lines
