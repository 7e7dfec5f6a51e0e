"""`shcb broadcast (--ward NAME | --all) --file guidance.md [--attach FILE ...] [--at ISO-DATETIME]
[--month YYYY-MM] [--secretaries-only]`: the month's guidance from the command line.

It records the guidance and queues one copy per recipient (as the chat's "Send" does), then sends them
itself through the configured Bot API server, paced like the bot — unless `--at` puts it later, when the
running bot (or `shcb tick`) sends it at that time. If a bot is running on the same database, that bot's
sender does the sending and this command follows its progress. Running the same command again (after a
crash, say) resumes the same guidance instead of sending a second one.

Exit status: 0 sent (or scheduled), 1 some copies failed or the server could not be reached, 2 a usage
or configuration error.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from bot.core import i18n, problems
from bot.cli import common_parent, existing_database, load_config_or_exit, setup_logging
from bot.core.clock import SystemClock, parse_instant
from bot.core.i18n import cli_gettext as _
from bot.rules import guidance as rules
from bot.rules.markup import file_to_html
from bot.rules.text import fold
from bot.rules.text_split import visible_text

OK, FAILED, USAGE = 0, 1, 2
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "broadcast", parents=[common_parent()], help=_("send the month's guidance to the cells' secretaries and deputies"),
        description=_("Send the month's guidance to the secretaries and deputy secretaries of every cell of a "
                      "ward (or of all wards), with optional attached files, now or at a given time. A .md file "
                      "is read as Markdown, a .html file as Telegram HTML, anything else as plain text."),
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--ward", metavar=_("NAME"), help=_("the ward or commune (name, with or without diacritics)"))
    where.add_argument("--all", action="store_true", help=_("every ward of the city"))
    parser.add_argument("--file", required=True, metavar=_("FILE"), help=_("the text of the guidance"))
    parser.add_argument("--attach", action="append", default=[], metavar=_("FILE"),
                        help=_("a document or photo to send with it (may be repeated)"))
    parser.add_argument("--at", metavar=_("ISO-DATETIME"),
                        help=_("send at this time (Vietnam time unless an offset is given) instead of now"))
    parser.add_argument("--month", metavar="YYYY-MM",
                        help=_("the month it is for (default: next month after the 20th, else this month)"))
    parser.add_argument("--secretaries-only", action="store_true",
                        help=_("only the secretaries (default: secretaries and deputy secretaries)"))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = load_config_or_exit(args)
    setup_logging(config.logging.level, config.tz)
    text_path = Path(args.file)
    try:
        text = file_to_html(text_path.name, text_path.read_text(encoding="utf-8-sig"))
    except OSError as error:
        print(_("{file}: cannot be read: {problem}").format(file=args.file, problem=problems.os_reason(error)),
              file=sys.stderr)
        return USAGE
    except UnicodeDecodeError:
        print(_("{file}: not in UTF-8: save it again with the encoding UTF-8").format(file=args.file),
              file=sys.stderr)
        return USAGE
    if not visible_text(text).strip():
        print(_("{file}: the guidance is empty").format(file=args.file), file=sys.stderr)
        return USAGE
    attachments = []
    for name in args.attach:
        path = Path(name)
        if not path.is_file():
            print(_("{file}: no such file").format(file=name), file=sys.stderr)
            return USAGE
        kind = "photo" if path.suffix.lower() in PHOTO_SUFFIXES else "document"
        attachments.append((kind, str(path.resolve()), path.name))
    clock = SystemClock(config.tz)
    at = None
    if args.at:
        try:
            at = parse_instant(args.at, config.tz)
        except ValueError:
            print(_("--at: not an ISO date and time: {value!r}").format(value=args.at), file=sys.stderr)
            return USAGE
        if at <= clock.now():
            at = None   # already due: send now
    month = rules.default_month((at or clock.now()).date())
    if args.month:
        month = rules.parse_month(args.month)
        if month is None:
            print(_("--month: not a month (YYYY-MM): {value!r}").format(value=args.month), file=sys.stderr)
            return USAGE
    if existing_database(config) is None:
        return FAILED
    audience = rules.SECRETARIES if args.secretaries_only else rules.LEADERS
    return asyncio.run(_work(config, clock, args, text, attachments, at, month, audience))


async def _find_scope(db, config, ward_name: str | None):
    from storage import org

    if ward_name is None:
        cities = await org.units_of_kind(db, "city")
        return cities[0] if cities else None, [u.name for u in cities]
    wards = await org.units_of_kind(db, "ward")
    wanted = fold(ward_name)
    exact = [w for w in wards if fold(w.name) == wanted]
    if len(exact) == 1:
        return exact[0], []
    near = [w for w in wards if wanted and wanted in fold(w.name)]
    if len(near) == 1:
        return near[0], []
    return None, [w.name for w in (near or wards)]


async def _work(config, clock, args, text, attachments, at, month, audience) -> int:
    from bot.delivery import guidance_delivery as delivery
    from bot.core.context import AppContext
    from storage import guidance as store
    from storage import outbox
    from storage.db import Database
    from storage.guidance import Attachment

    t = i18n.cli()
    async with Database.connect(config.storage.path) as db:
        ctx = AppContext(config=config, db=db, clock=clock)
        scope, candidates = await _find_scope(db, config, args.ward)
        if scope is None and not candidates:
            print(_("There is no roster in {path} yet: import a roster first (shcb roster import FILE).").format(
                path=config.storage.path), file=sys.stderr)
            return FAILED
        if scope is None:
            print(_("No such ward: {name}. Wards: {names}").format(
                name=args.ward or "", names=", ".join(candidates[:40])), file=sys.stderr)
            return USAGE
        cells = await delivery.cells_in_scope(ctx, [scope.id])
        files = [Attachment(kind, path=path, filename=name) for kind, path, name in attachments]
        key = delivery.content_key("cli", scope.id, sorted(c.id for c in cells), month, audience, text,
                                   [(a.kind, a.path, Path(a.path).stat().st_size) for a in files],
                                   at.isoformat() if at else None)
        existing = await store.find_by_content_key(db, key)
        if existing is not None:
            guidance_id = existing.id
            print(_("This guidance was already recorded as number {id} (same text, ward and month): "
                    "sending what is left of it.").format(id=guidance_id))
        else:
            queued = await delivery.confirm(ctx, author_person_id=None, scope_unit_id=scope.id, month=month,
                                            text=text, parse_mode="HTML", audience=audience,
                                            cell_ids=[c.id for c in cells], attachments=files, scheduled_at=at,
                                            key=key)
            guidance_id = queued.guidance_id
            print(_("Guidance number {id} for {month}, {scope}: {recipients} recipients in {cells} cells, "
                    "{queued} copies queued.").format(
                id=guidance_id, month=delivery.month_label(t, month), scope=scope.name,
                recipients=t.format_number(queued.recipients), cells=t.format_number(len(cells)),
                queued=t.format_number(queued.queued)))
        waiting = await outbox.open_count(db, store.ref(guidance_id))
        if at is not None or not config.telegram.token:
            if not waiting:
                print(_("No copy is waiting to be sent: none of the recipients has joined the bot yet, or "
                        "every copy has gone out already."))
            elif at is not None:
                print(_("It will be sent at {when} (Vietnam time) by the running bot, or by `shcb tick` run "
                        "then.").format(when=t.format_datetime(at, "short")))
            else:
                print(_("No Telegram token is configured: the copies stay queued for the bot to send."))
            return OK
        status = await _send(ctx, config)
        if status != OK:
            return status
        result = await delivery.report(ctx, guidance_id)
        print(visible_text(delivery.report_text(t, result, scope_name=scope.name, now=clock.now())))
        counts = await outbox.counts_by_status(db, store.ref(guidance_id))
        return FAILED if counts.get("failed") else OK


async def _send(ctx, config) -> int:
    from telegram import Bot
    from telegram.error import InvalidToken

    from bot.delivery.sender import drain
    from storage import codec, outbox

    bot = Bot(config.telegram.token, base_url=config.telegram.base_url or "https://api.telegram.org/bot",
              base_file_url=config.telegram.base_file_url or "https://api.telegram.org/file/bot")
    try:
        async with bot:
            started = time.monotonic()
            report = await drain(bot, ctx)
            if report.counts["possible_duplicates"]:
                print(_("{count} copies timed out after they may have reached Telegram and were sent again: "
                        "those people may have them twice.").format(count=report.counts["possible_duplicates"]))
            if not report.ran:
                print(_("The running bot is sending it; waiting for it to finish…"))
                while await outbox.has_due(ctx.db, codec.instant(ctx.clock.now())) and \
                        time.monotonic() - started < 600:
                    await asyncio.sleep(1)
    except InvalidToken:
        print(_("the Bot API server refused the token"), file=sys.stderr)
        return FAILED
    except Exception as error:  # noqa: BLE001 - one line; the copies stay queued
        print(_("Sending failed: {problem}").format(problem=problems.sending_problem(error)), file=sys.stderr)
        return FAILED
    return OK
