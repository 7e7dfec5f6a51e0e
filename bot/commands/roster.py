"""`shcb roster import|export|stats|generate`: the wards' member lists in and out of the database.

Exit status: 0 done, 1 a file refused (or no database yet), 2 a usage or configuration error.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from bot.core import i18n, problems
from bot.cli import common_parent, existing_database, load_config_or_exit, setup_logging, whole_number
from bot.core.clock import SystemClock
from bot.core.i18n import cli_gettext as _
from bot.roster import reader, report, writer
from bot.roster.generate import DEFAULT_SEED, generate_roster
from bot.roster.importer import import_rows
from bot.rules.roster import RosterRow
from storage import roster as roster_storage
from storage.db import Database

OK, REFUSED, USAGE = 0, 1, 2


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "roster", parents=[common_parent()],
        help=_("import, export, count or generate the roster of party members"),
        description=_("The roster: the wards' lists of party members, one row per person (ward, cell, "
                      "name, role, phone, exempt from meetings), as .xlsx or .csv."),
    )
    actions = parser.add_subparsers(dest="roster_command", metavar=_("ACTION"), required=True)

    importing = actions.add_parser(
        "import", parents=[common_parent()], help=_("import a roster file into the database"),
        description=_("Import a roster file (.xlsx, or .csv in UTF-8). Every row is checked first: if any "
                      "is bad, the whole file is refused, every bad row is listed and nothing changes. "
                      "Re-importing updates in place; people no longer listed in a ward the file covers "
                      "become inactive (never deleted)."),
    )
    importing.add_argument("file", metavar=_("FILE"), help=_("the roster file (.xlsx or .csv)"))
    importing.set_defaults(func=run_import)

    exporting = actions.add_parser(
        "export", parents=[common_parent()], help=_("write the current roster to a file"),
        description=_("Write the current roster to a .xlsx or .csv file in the import format, so that "
                      "importing it again changes nothing."),
    )
    exporting.add_argument("file", metavar=_("FILE"), help=_("the file to write (.xlsx or .csv)"))
    _headers_option(exporting)
    exporting.set_defaults(func=run_export)

    stats = actions.add_parser(
        "stats", parents=[common_parent()], help=_("count cells, leaders and members per ward"),
        description=_("Print, per ward and in total, the current numbers of cells, secretaries, deputies, "
                      "members, members exempt from meetings and ward staff."),
    )
    stats.set_defaults(func=run_stats)

    generate = actions.add_parser(
        "generate", parents=[common_parent()], help=_("write a made-up demo roster"),
        description=_("Write a made-up roster shaped like Thanh Hóa city: 34 wards and communes, 311 cells, "
                      "311 secretaries, 301 deputies, 15–80 members per cell. The same seed gives the same "
                      "roster. Names are invented and every phone number is in the fictional block "
                      "0399 9xx xxx."),
    )
    generate.add_argument("--out", required=True, metavar=_("FILE"),
                          help=_("the file to write (.xlsx or .csv)"))
    generate.add_argument("--seed", type=whole_number, default=DEFAULT_SEED, metavar="N",
                          help=_("the random seed (default: {seed})").format(seed=DEFAULT_SEED))
    _headers_option(generate)
    generate.set_defaults(func=run_generate)


def _headers_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--headers", choices=("vi", "en"), default="vi",
                        help=_("the language of the headers and role words (default: vi)"))


def _check_suffix(path: str) -> bool:
    if Path(path).suffix.lower() in writer.SUFFIXES:
        return True
    print(_("{file}: the file name must end in .xlsx or .csv").format(file=path), file=sys.stderr)
    return False


def _write(path: str, rows: list[RosterRow], headers: str) -> int | None:
    """Write the file; None, said in one line, when it cannot be (no such folder, a folder, no right)."""
    try:
        return writer.write_roster(path, rows, headers)
    except OSError as error:
        print(_("{file}: cannot be written: {problem}").format(file=path, problem=problems.os_reason(error)),
              file=sys.stderr)
        return None


def run_import(args: argparse.Namespace) -> int:
    config = load_config_or_exit(args)
    setup_logging(config.logging.level, config.tz)
    t = i18n.cli()
    started = time.monotonic()
    # The file is checked before the database is even opened: a refused file writes nothing at all.
    validation = reader.read_roster(args.file)
    if not validation.ok:
        print("\n".join(report.rejection(args.file, validation.problems, t)), file=sys.stderr)
        return REFUSED

    async def work():
        async with Database.connect(config.storage.path) as db:
            return await import_rows(db, validation.rows, SystemClock(config.tz), config.organisation.name,
                                     source=Path(args.file).name)

    summary = asyncio.run(work())
    print("\n".join(report.summary_lines(args.file, summary, time.monotonic() - started, t)))
    return OK


def run_export(args: argparse.Namespace) -> int:
    config = load_config_or_exit(args)
    if not _check_suffix(args.file):
        return USAGE
    path = existing_database(config)
    if path is None:
        return REFUSED

    async def work():
        async with Database.connect(path) as db:
            return await roster_storage.roster_entries(db)

    entries = asyncio.run(work())
    rows = [RosterRow(e.ward, e.cell, e.full_name, e.role, e.phone, e.exempt, number)
            for number, e in enumerate(entries, start=2)]
    count = _write(args.file, rows, args.headers)
    if count is None:
        return USAGE
    t = i18n.cli()
    print(t.ngettext("Wrote {count} person to {file}.", "Wrote {count} people to {file}.", count).format(
        count=t.format_number(count), file=args.file))
    return OK


def run_stats(args: argparse.Namespace) -> int:
    config = load_config_or_exit(args)
    path = existing_database(config)
    if path is None:
        return REFUSED

    async def work():
        async with Database.connect(path) as db:
            return await roster_storage.roster_stats(db)

    print("\n".join(report.stats_table(asyncio.run(work()), i18n.cli())))
    return OK


def run_generate(args: argparse.Namespace) -> int:
    if not _check_suffix(args.out):
        return USAGE
    rows = generate_roster(args.seed)
    if _write(args.out, rows, args.headers) is None:
        return USAGE
    n = i18n.cli().format_number
    message = _("Wrote a demo roster of {people} people ({wards} wards, {cells} cells, seed {seed}) to {file}.")
    print(message.format(people=n(len(rows)), wards=n(len({r.ward for r in rows if r.ward})),
                         cells=n(len({(r.ward, r.cell) for r in rows if r.cell})), seed=args.seed, file=args.out))
    return OK
