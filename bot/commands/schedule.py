"""`shcb schedule show|set|unset`: the month's reminders (what goes to whom and when), and the per-ward and
per-cell exceptions to the configured schedule.

Exit status: 0 done, 1 no database yet or an unknown ward/cell, 2 a usage or configuration error.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.core import i18n
from bot.cli import common_parent, existing_database, load_config_or_exit, setup_logging, whole_number
from bot.core.clock import SystemClock
from bot.core.i18n import cli_gettext as _
from bot.reminders.facts import load, settings_from_config
from bot.reminders.texts import REASON_LABELS, RULE_LABELS, month_name, when_text
from bot.rules import schedule
from bot.rules.text import fold
from storage import codec, org, reminders
from storage.db import Database

OK, FAILED, USAGE = 0, 1, 2


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "schedule", parents=[common_parent()], help=_("show the month's reminders, or set a ward's or cell's own"),
        description=_("The reminder schedule: what will be sent to whom and when, and the wards' and cells' "
                      "own days and times."),
    )
    actions = parser.add_subparsers(dest="schedule_command", metavar=_("ACTION"), required=True)

    show = actions.add_parser(
        "show", parents=[common_parent()], help=_("list the month's reminders: when, what, to whom"),
        description=_("List every reminder of a month in time order (Vietnam time): when, which, about which "
                      "ward or cell, to whom (people who have not joined the bot are marked), and whether it "
                      "was already sent or skipped."),
    )
    show.add_argument("--month", metavar="YYYY-MM", help=_("the month (default: the current one)"))
    show.add_argument("--ward", metavar=_("NAME"), help=_("only this ward (case and diacritics ignored)"))
    show.set_defaults(func=run_show)

    rule_help = _("the reminder: {rules}").format(rules=", ".join(schedule.RULES))
    setting = actions.add_parser(
        "set", parents=[common_parent()], help=_("give a ward or a cell its own day or time for a reminder"),
        description=_("Give a ward (or one of its cells, with --cell) its own day of the month and/or time for "
                      "one reminder, instead of the configured ones. A cell's setting wins over its ward's. "
                      "Moving the meeting day moves the committee reminder and the follow-up with it."),
    )
    _unit_options(setting)
    setting.add_argument("--rule", required=True, choices=schedule.RULES, metavar=_("RULE"), help=rule_help)
    setting.add_argument("--day", type=whole_number, metavar="N", help=_("day of the month, 1-31 (past the month's end: "
                                                                 "its last day)"))
    setting.add_argument("--time", metavar="HH:MM", help=_("Vietnam time, 24 hours"))
    setting.set_defaults(func=run_set)

    unsetting = actions.add_parser(
        "unset", parents=[common_parent()], help=_("return a ward or a cell to the configured schedule"),
        description=_("Remove a ward's or cell's own day and time for one reminder (or all of them)."),
    )
    _unit_options(unsetting)
    unsetting.add_argument("--rule", choices=schedule.RULES, metavar=_("RULE"), help=rule_help)
    unsetting.set_defaults(func=run_unset)


def _unit_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ward", required=True, metavar=_("NAME"), help=_("the ward (case and diacritics ignored)"))
    parser.add_argument("--cell", metavar=_("NAME"), help=_("one cell of that ward"))


def _pick(units: list[org.Unit], name: str, what: str) -> org.Unit | None:
    """The unit named `name` (folded; an exact name, else the only one containing it), or None, said."""
    key = fold(name)
    exact = [unit for unit in units if fold(unit.name) == key]
    found = exact or [unit for unit in units if key and key in fold(unit.name)]
    if len(found) == 1:
        return found[0]
    if not found:
        print(_("No {what} is named {name!r}.").format(what=what, name=name), file=sys.stderr)
    else:
        print(_("{name!r} matches several: {names}").format(
            name=name, names=", ".join(unit.name for unit in found[:10])), file=sys.stderr)
    return None


async def _resolve(db: Database, ward_name: str, cell_name: str | None) -> tuple[org.Unit | None, org.Unit | None]:
    ward = _pick(await org.units_of_kind(db, "ward"), ward_name, _("ward"))
    if ward is None or cell_name is None:
        return ward, None
    return ward, _pick(await org.cells_under(db, ward.id), cell_name, _("cell"))


# --- show -----------------------------------------------------------------------------------------

def run_show(args: argparse.Namespace) -> int:
    config = load_config_or_exit(args)
    setup_logging("WARNING", config.tz)
    period = args.month or schedule.period_of(SystemClock(config.tz).now().date())
    try:
        schedule.parse_period(period)
    except ValueError:
        print(_("--month: not a month YYYY-MM: {value!r}").format(value=period), file=sys.stderr)
        return USAGE
    path = existing_database(config)
    if path is None:
        return FAILED
    return asyncio.run(_show(config, path, period, args.ward))


async def _show(config, path: Path, period: str, ward_name: str | None) -> int:
    t = i18n.cli()
    async with Database.connect(path) as db:
        ward_ids = None
        if ward_name is not None:
            ward, _cell = await _resolve(db, ward_name, None)
            if ward is None:
                return FAILED
            ward_ids = [ward.id]
        settings = settings_from_config(config.reminders, config.tz)
        facts, directory = await load(db, [period], both_channels=config.delivery.both_channels, ward_ids=ward_ids,
                                      with_guidance=False)
        log = {(e.rule, e.subject, e.period, e.occurrence): e for e in await reminders.log(db, period=period)}

    title = _("Reminders of {month}").format(month=month_name(t, period))
    if ward_name is not None:
        title += f" — {directory.units[ward_ids[0]].name}"
    print(title)
    print(_("(Vietnam time; people marked * have not joined the bot or cannot be reached)"))
    planned = schedule.plan(settings, facts, period)
    for p in planned:
        unit = directory.units[p.subject]
        people = [directory.people[pid] for pid in directory.members.get(p.subject, [])]
        accounts = directory.accounts
        names = ", ".join(person.full_name + ("" if any(not a.unreachable for a in accounts.get(person.id, []))
                                              else "*") for person in people) or _("nobody")
        line = f"  {when_text(t, p.at)}  {_(RULE_LABELS[p.rule])} · {unit.name}"
        if p.moved:
            line += " " + _("(meeting moved to {day})").format(day=t.format_date(p.meeting_on, "short"))
        line += f" → {names}"
        entry = log.get(p.key)
        if entry is not None:
            line += f"  [{_(REASON_LABELS[entry.reason])}]"
        print(line)
    print(t.ngettext("{count} reminder.", "{count} reminders.", len(planned)).format(
        count=t.format_number(len(planned))))
    return OK


# --- set / unset ----------------------------------------------------------------------------------

def _check_time(text: str | None) -> bool:
    if text is None:
        return True
    hours, sep, minutes = text.partition(":")
    return bool(sep) and len(hours) == len(minutes) == 2 and (hours + minutes).isdigit() \
        and int(hours) < 24 and int(minutes) < 60


def run_set(args: argparse.Namespace) -> int:
    config = load_config_or_exit(args)
    setup_logging(config.logging.level, config.tz)
    if args.day is None and args.time is None:
        print(_("Give --day, --time or both."), file=sys.stderr)
        return USAGE
    if args.day is not None and not 1 <= args.day <= 31:
        print(_("--day: a day of the month, 1 to 31."), file=sys.stderr)
        return USAGE
    if not _check_time(args.time):
        print(_("--time: a time HH:MM, e.g. 07:30."), file=sys.stderr)
        return USAGE
    if args.cell and args.rule in schedule.WARD_RULES:
        print(_("The reminder “{rule}” goes to the ward's staff: set it for the ward, without --cell.").format(
            rule=_(RULE_LABELS[args.rule])), file=sys.stderr)
        return USAGE
    path = existing_database(config)
    if path is None:
        return FAILED

    async def work() -> int:
        async with Database.connect(path) as db:
            unit = await _target_unit(db, args)
            if unit is None:
                return FAILED
            at = codec.instant(SystemClock(config.tz).now())
            await reminders.set_override(db, unit_id=unit.id, rule=args.rule, day=args.day, time=args.time, at=at)
            print(_("{unit}: reminder “{rule}” set (day: {day}, time: {time}).").format(
                unit=unit.name, rule=_(RULE_LABELS[args.rule]), day=args.day or "—", time=args.time or "—"))
            return OK

    return asyncio.run(work())


async def _target_unit(db, args: argparse.Namespace) -> org.Unit | None:
    """The cell named by --cell in the ward named by --ward, or the ward without --cell; None, said."""
    ward, cell = await _resolve(db, args.ward, args.cell)
    if args.cell:
        return cell
    return ward


def run_unset(args: argparse.Namespace) -> int:
    config = load_config_or_exit(args)
    setup_logging(config.logging.level, config.tz)
    path = existing_database(config)
    if path is None:
        return FAILED

    async def work() -> int:
        async with Database.connect(path) as db:
            unit = await _target_unit(db, args)
            if unit is None:
                return FAILED
            removed = await reminders.clear_override(db, unit_id=unit.id, rule=args.rule)
            t = i18n.cli()
            print(t.ngettext("{unit}: {count} setting removed.", "{unit}: {count} settings removed.",
                             removed).format(unit=unit.name, count=t.format_number(removed)))
            return OK

    return asyncio.run(work())
