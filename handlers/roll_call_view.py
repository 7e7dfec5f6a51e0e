"""The roll call's screens: the list to tap (a page of members, the figures, the absent, the exempt apart,
guests, the time) and the summary before saving, in the person's language. Buttons carry the draft's
key: `rc:<key>:<action>` (handlers/roll_call.py checks it)."""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardMarkup

from bot.core import i18n
from bot.core.context import AppContext
from bot.reminders.texts import month_name
from bot.rules import attendance
from handlers.meeting_common import keyboard
from storage import codec, roll_calls

PREFIX = "rc:"
PAGE_SIZE = 15


def figures(ctx: AppContext, data: dict) -> attendance.Count:
    return attendance.count(data["status"], counted_present=data.get("count"), guests=data.get("guests", 0),
                            target=ctx.config.meeting.target)


def taken_at(ctx: AppContext, data: dict) -> datetime:
    return codec.parse_instant(data["taken_at"]) if data.get("taken_at") else ctx.clock.now()


MARKS = {attendance.PRESENT: "✅", attendance.ABSENT_EXCUSED: "❌", attendance.ABSENT_UNEXCUSED: "⛔",
         attendance.EXEMPT_ABSENT: "➖", attendance.EXEMPT_PRESENT: "✅", attendance.UNNAMED: "▫️"}


def member_label(t: i18n.Translator, number: int, member: list, status: str, reason: str | None) -> str:
    _ = t.gettext
    label = f"{MARKS[status]} {number}. {member[1]}"
    if status == attendance.ABSENT_EXCUSED:
        label += " — " + (reason or _("with a reason"))
    elif status == attendance.ABSENT_UNEXCUSED:
        label += " — " + _("no reason")
    elif member[3]:
        label += " — " + _("exempt")
    return label[:60]


def absent_lines(t: i18n.Translator, data: dict) -> list[str]:
    _ = t.gettext
    lines = []
    for index, status in enumerate(data["status"]):
        number = index + 1
        name = data["members"][index][1]
        if status == attendance.ABSENT_EXCUSED:
            reason = data["reasons"].get(str(number))
            lines.append(_("{number}. {name}: absent with a reason ({reason})").format(
                number=number, name=name, reason=reason) if reason else
                _("{number}. {name}: absent with a reason").format(number=number, name=name))
        elif status == attendance.ABSENT_UNEXCUSED:
            lines.append(_("{number}. {name}: absent without a reason").format(number=number, name=name))
    return lines


def header(t: i18n.Translator, data: dict, cell_name: str) -> str:
    _ = t.gettext
    title = _("Start-of-meeting roll call") if data["phase"] == roll_calls.START else _("End-of-meeting roll call")
    return _("{title} — cell {cell}, {month}").format(title=title, cell=cell_name, month=month_name(t, data["month"]))


def figures_line(t: i18n.Translator, ctx: AppContext, count: attendance.Count) -> str:
    _ = t.gettext
    rate = t.format_percent(float(count.rate)) if count.rate is not None else "—"
    return _("Present: {present} of {eligible} ({rate}); target {target}.").format(
        present=t.format_number(count.present), eligible=t.format_number(count.eligible), rate=rate,
        target=t.format_percent(ctx.config.meeting.target))


def mark_screen(ctx: AppContext, t: i18n.Translator, data: dict, cell_name: str, *,
                typed_only: bool = False) -> tuple[str, InlineKeyboardMarkup]:
    """`typed_only`: the person's channel has no buttons (Zalo), so the hint says what to type."""
    _ = t.gettext
    count = figures(ctx, data)
    key = data["key"]
    lines = [header(t, data, cell_name), figures_line(t, ctx, count)]
    if data.get("count") is not None:
        lines.append(_("Counted without names: {n} present.").format(n=t.format_number(data["count"])))
    lines += absent_lines(t, data)
    exempt = [(i + 1, m[1], data["status"][i]) for i, m in enumerate(data["members"]) if m[3]]
    if exempt:
        present, absent = _("attends"), _("absent")
        lines.append(_("Exempt from meetings (not counted when absent): {names}").format(names=", ".join(
            f"{n}. {name} ({present if s == attendance.EXEMPT_PRESENT else absent})" for n, name, s in exempt)))
    if data.get("guests"):
        lines.append(_("Guests (counted apart): {n}").format(n=t.format_number(data["guests"])))
    lines.append(_("Time: {when}").format(when=moment_text(t, taken_at(ctx, data))))
    lines.append("")
    if typed_only:
        lines.append(_("Type a member's number to change them: present → absent with a reason → absent without "
                       "a reason → present. Or type: “absent 3 7”, “no reason 3”, “reason 3 ill”, “present 27”, "
                       "“guests 2”, “time 19:30”. Then type “done”."))
    else:
        lines.append(_("Tap a name: present → absent with a reason → absent without a reason → present. Or type: "
                       "“absent 3 7”, “no reason 3”, “reason 3 ill”, “present 27”, “guests 2”, “time 19:30”, "
                       "or a member's number. Then press Done (or type “done”)."))
    total = len(data["members"])
    pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
    page = min(max(int(data.get("page", 0)), 0), pages - 1)
    rows: list[list[tuple[str, str]]] = []
    for index in range(page * PAGE_SIZE, min(total, (page + 1) * PAGE_SIZE)):
        number = index + 1
        rows.append([(member_label(t, number, data["members"][index], data["status"][index],
                                    data["reasons"].get(str(number))), f"{PREFIX}{key}:t:{number}")])
    if pages > 1:
        nav = []
        if page > 0:
            nav.append(("◀", f"{PREFIX}{key}:p:{page - 1}"))
        nav.append((f"{page + 1}/{pages}", f"{PREFIX}{key}:p:{page}"))
        if page < pages - 1:
            nav.append(("▶", f"{PREFIX}{key}:p:{page + 1}"))
        rows.append(nav)
    rows.append([(_("👥 Guest +1"), f"{PREFIX}{key}:g"), (_("🕒 Time"), f"{PREFIX}{key}:time"),
                 (_("✍ Reason"), f"{PREFIX}{key}:why")])
    rows.append([(_("✅ Done"), f"{PREFIX}{key}:done"), (_("Cancel"), f"{PREFIX}{key}:x")])
    return "\n".join(lines), keyboard(rows)


def moment_text(t: i18n.Translator, at: datetime) -> str:
    local = at.astimezone(t.tz)
    return f"{t.format_time(local)} {t.format_date(local, 'full')}"


def confirm_screen(ctx: AppContext, t: i18n.Translator, data: dict, cell_name: str) -> tuple[str, InlineKeyboardMarkup]:
    _ = t.gettext
    count = figures(ctx, data)
    lines = [header(t, data, cell_name), figures_line(t, ctx, count)]
    lines.append(_("✔ The target is met.") if count.meets_target else
                 _("⚠ Below the target: the ward's staff will be told."))
    lines += absent_lines(t, data)
    if data.get("guests"):
        lines.append(_("Guests (counted apart): {n}").format(n=t.format_number(data["guests"])))
    lines.append(_("Time: {when}").format(when=moment_text(t, taken_at(ctx, data))))
    lines.append(_("Save? 1. Save · 2. Go back and fix"))
    key = data["key"]
    return "\n".join(lines), keyboard([[(_("💾 Save"), f"{PREFIX}{key}:save"),
                                        (_("◀ Go back and fix"), f"{PREFIX}{key}:back")]])


def summary_line(t: i18n.Translator, phase: str, present: int, eligible: int) -> str:
    _ = t.gettext
    label = _("start of the meeting") if phase == roll_calls.START else _("end of the meeting")
    rate = t.format_percent(present / eligible) if eligible else "—"
    return _("{label}: {present} of {eligible} present ({rate})").format(
        label=label, present=t.format_number(present), eligible=t.format_number(eligible), rate=rate)


def length_line(ctx: AppContext, t: i18n.Translator, start: datetime, end: datetime, kind: str | None) -> str:
    _ = t.gettext
    settings = ctx.config.meeting
    found = attendance.length(start, end, kind, minimum=settings.minimum_minutes,
                              minimum_both=settings.minimum_minutes_both)
    if found.minutes is None:
        return _("⚠ The end roll call is not after the start one: please correct its time.")
    if found.meets_minimum:
        return _("The meeting lasted {minutes} minutes (at least {minimum}).").format(
            minutes=t.format_number(found.minutes), minimum=t.format_number(found.minimum))
    return _("⚠ The meeting lasted {minutes} minutes, less than the {minimum} minutes required.").format(
        minutes=t.format_number(found.minutes), minimum=t.format_number(found.minimum))
