"""`shcb tick --now ISO-DATETIME`: one reminder check as of that instant, what it queued sent, then exit.

For operators (send what a stopped bot missed today, or see what a day would do), tests and the demo.
It records its decisions exactly as the bot's own check does, so running it beside the bot, or twice,
sends nothing twice.

Exit status: 0 done, 1 no database yet or the sending failed, 2 a usage or configuration error.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.core import i18n, problems
from bot.cli import common_parent, existing_database, load_config_or_exit, setup_logging
from bot.core.clock import ManualClock, parse_instant
from bot.core.context import AppContext
from bot.core.i18n import cli_gettext as _
from bot.reminders.texts import REASON_LABELS, RULE_LABELS, when_text
from bot.delivery.sender import drain
from bot.reminders.scheduler import TickResult, dedup_key, tick
from storage import outbox
from storage.db import Database

OK, FAILED, USAGE = 0, 1, 2
# Skipped units named per group before "…".
LISTED = 5


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "tick", parents=[common_parent()], help=_("run one reminder check as of a given time and send what is due"),
        description=_("Run one reminder check as of the given Vietnam date and time (ISO format, e.g. "
                      "2026-12-02T07:00), send the reminders it finds due through the configured Bot API "
                      "server, print what was sent and what was skipped, and exit. Reminders already sent "
                      "or skipped are never sent again."),
    )
    parser.add_argument("--now", required=True, metavar=_("ISO-DATETIME"),
                        help=_("the instant to check as of; without an offset it is Vietnam time"))
    parser.add_argument("--no-send", action="store_true",
                        help=_("only queue the messages; the running bot sends them"))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = load_config_or_exit(args)
    setup_logging(config.logging.level, config.tz)
    try:
        now = parse_instant(args.now, config.tz)
    except ValueError:
        print(_("--now: not an ISO date and time: {value!r}").format(value=args.now), file=sys.stderr)
        return USAGE
    if existing_database(config) is None:
        return FAILED
    return asyncio.run(_work(config, now, send=not args.no_send))


async def _work(config, now, *, send: bool) -> int:
    async with Database.connect(config.storage.path) as db:
        ctx = AppContext(config=config, db=db, clock=ManualClock(now, config.tz))
        result = await tick(ctx, now)
        _print_decisions(result)
        notices = result.recommendations
        if notices is not None and (notices.digests or notices.flagged):
            t = i18n.cli()
            print(_("Recommendations: {digests} daily digests decided, {flagged} items flagged overdue "
                    "({messages} messages).").format(digests=t.format_number(notices.digests),
                                                     flagged=t.format_number(len(notices.flagged)),
                                                     messages=t.format_number(notices.messages)))
        if not result.messages and not (notices and notices.messages):
            return OK
        if not send or not config.telegram.token:
            if send:
                print(_("No Telegram token is configured: the messages stay queued for the bot to send."))
            else:
                print(_("Queued only: the running bot will send them."))
            return OK
        from telegram import Bot

        bot = Bot(config.telegram.token, base_url=config.telegram.base_url or "https://api.telegram.org/bot",
                  base_file_url=config.telegram.base_file_url or "https://api.telegram.org/file/bot")
        try:
            async with bot:
                report = await drain(bot, ctx)
        except Exception as error:  # noqa: BLE001 - said in one line; the rows stay queued for the bot
            print(_("Sending failed: {problem}").format(problem=problems.sending_problem(error)), file=sys.stderr)
            return FAILED
        if not getattr(report, "ran", True):
            print(_("The running bot is sending: the messages are queued for it."))
            return OK
        return await _print_delivery(db, result)


def _print_decisions(result: TickResult) -> None:
    """Each reminder sent, one line per cell or ward; the skipped ones grouped (a first run after a long
    stop may skip hundreds)."""
    t = i18n.cli()
    units = result.directory.units if result.directory else {}
    print(_("Reminder check as of {when} (Vietnam time)").format(when=t.format_datetime(result.now, "medium")))
    if not result.decisions:
        print(_("Nothing is due."))
        return
    for d, queued in result.sent:
        unit = units[d.subject].name if d.subject in units else str(d.subject)
        count = t.ngettext("{count} message", "{count} messages", queued).format(count=t.format_number(queued))
        print(f"  {when_text(t, d.at)}  {_(RULE_LABELS[d.rule])} · {unit}: {_(REASON_LABELS[d.reason])} · {count}")
    groups: dict[tuple, list[str]] = {}
    for d in result.skipped:
        name = units[d.subject].name if d.subject in units else str(d.subject)
        groups.setdefault((d.at, d.rule, d.reason), []).append(name)
    for (at, rule, reason), names in sorted(groups.items()):
        listed = ", ".join(names[:LISTED]) + (" …" if len(names) > LISTED else "")
        print(f"  {when_text(t, at)}  {_(RULE_LABELS[rule])}: {_(REASON_LABELS[reason])} · "
              + t.ngettext("{count} unit", "{count} units", len(names)).format(count=t.format_number(len(names)))
              + f" ({listed})")
    print(_("Sent: {sent} reminders ({messages} messages). Skipped: {skipped}.").format(
        sent=t.format_number(len(result.sent)), messages=t.format_number(result.messages),
        skipped=t.format_number(len(result.skipped))))


async def _print_delivery(db: Database, result: TickResult) -> int:
    t = i18n.cli()
    refs = {f"reminder:{d.rule}:{d.period}" for d, n in result.sent if n}
    keys = {dedup_key(d.rule, d.subject, d.period, p, d.occurrence) for d, n in result.sent for p in d.recipients}
    statuses: dict[str, int] = {}
    for ref in refs:
        for row in await outbox.by_ref(db, ref):
            if outbox.person_key(row.dedup_key) in keys:
                statuses[row.status] = statuses.get(row.status, 0) + 1
    delivered = statuses.pop("sent", 0)
    print(_("Delivered: {delivered}. Not delivered: {other}.").format(
        delivered=t.format_number(delivered), other=t.format_number(sum(statuses.values()))))
    return OK if not statuses.get("pending") else FAILED
