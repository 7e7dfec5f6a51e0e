"""`shcb backup FILE` and `shcb backup --verify FILE`: a consistent copy of the database `[storage] path`,
taken while the bot may be running, and the check that a copy is good to restore.

Exit status: 0 done (or a good backup), 1 no database, or a bad backup, 2 a usage or configuration error
(an unusable destination, an existing file without --force, no such file to verify).
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
from pathlib import Path

from bot.cli import common_parent, existing_database, load_config_or_exit
from bot.core import i18n, problems
from bot.core.i18n import N_, cli_gettext as _
from storage import backup as backup_storage

OK, REFUSED, USAGE = 0, 1, 2

_PROBLEMS = {
    "integrity": N_("{file} is damaged: SQLite's integrity check found errors in it"),
    "newer": N_("{file} was made by a newer shcb (schema {version}, this one knows up to {shipped})"),
    "not_shcb": N_("{file} is an SQLite database but not one of shcb's"),
    "unreadable": N_("{file}: the table {detail} cannot be read"),
}


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "backup", parents=[common_parent()], help=_("copy the database safely, or check a copy"),
        description=_("Copy the database [storage] path into FILE with SQLite's online backup: safe while "
                      "the bot runs, the copy is consistent. With --verify, check the backup FILE instead "
                      "(integrity, schema version, every table readable) and say what it holds."),
    )
    parser.add_argument("file", metavar=_("FILE"), help=_("the backup file to write (or to check)"))
    parser.add_argument("--verify", action="store_true", help=_("check the backup FILE; write nothing"))
    parser.add_argument("--force", action="store_true", help=_("replace FILE if it already exists"))
    parser.set_defaults(func=run)


def _fail(message: str, status: int) -> int:
    print(message, file=sys.stderr)
    return status


def run(args: argparse.Namespace) -> int:
    config = load_config_or_exit(args)
    return _verify(args.file) if args.verify else _take(config, args.file, args.force)


def _take(config, file: str, force: bool) -> int:
    target = Path(file)
    source = existing_database(config)
    if source is None:
        return REFUSED
    if target.is_dir():
        return _fail(_("{file}: cannot be written: {problem}").format(
            file=file, problem=problems.os_reason("EISDIR")), USAGE)
    if not target.parent.is_dir():
        return _fail(_("{file}: cannot be written: {problem}").format(
            file=file, problem=problems.os_reason("ENOENT")), USAGE)
    if target.exists() and not force:
        return _fail(_("{file} already exists: choose another name, or add --force to replace it").format(
            file=file), USAGE)
    if target.exists() and target.resolve() == source.resolve():
        return _fail(_("{file} is the database itself: choose another name").format(file=file), USAGE)
    try:
        asyncio.run(backup_storage.backup(
            source, target, busy_timeout_ms=int(config.storage.busy_timeout_seconds * 1000)))
        check = asyncio.run(backup_storage.verify(target))
    except OSError as error:
        return _fail(_("{file}: cannot be written: {problem}").format(
            file=file, problem=problems.os_reason(error)), USAGE)
    except sqlite3.Error as error:
        # Writing the copy (a full disk, a folder SQLite cannot write) or reading the database: name the one.
        name = getattr(error, "sqlite_errorname", "") or ""
        on_copy = name.startswith(("SQLITE_FULL", "SQLITE_CANTOPEN", "SQLITE_READONLY", "SQLITE_IOERR"))
        message, status = problems.database_problem(error, file if on_copy else str(source))
        return _fail(message, status)
    print(_("Backed up {database} to {file}: {summary}.").format(
        database=source, file=file, summary=_summary(check)))
    return OK


def _verify(file: str) -> int:
    target = Path(file)
    if not target.is_file():
        reason = "EISDIR" if target.is_dir() else "ENOENT"
        return _fail(_("{file}: cannot be read: {problem}").format(
            file=file, problem=problems.os_reason(reason)), USAGE)
    try:
        check = asyncio.run(backup_storage.verify(target))
    except sqlite3.Error as error:  # not a database, or damaged past reading: a bad backup
        if getattr(error, "sqlite_errorname", "") == "SQLITE_NOTADB" or "not a database" in str(error):
            return _fail(_("{file} is not an SQLite database: not a backup").format(file=file), REFUSED)
        message, _status = problems.database_problem(error, file)
        return _fail(message, REFUSED)
    except OSError as error:
        return _fail(_("{file}: cannot be read: {problem}").format(
            file=file, problem=problems.os_reason(error)), USAGE)
    if not check.ok:
        return _fail(_(_PROBLEMS[check.problem]).format(
            file=file, detail=check.detail, version=check.schema_version, shipped=check.shipped_version), REFUSED)
    print(_("{file} is a good backup: {summary}.").format(file=file, summary=_summary(check)))
    return OK


def _summary(check: backup_storage.BackupCheck) -> str:
    t = i18n.cli()
    counts = check.counts
    parts = [
        t.ngettext("{count} person", "{count} people", counts["people"]),
        t.ngettext("{count} account", "{count} accounts", counts["accounts"]),
        t.ngettext("{count} meeting", "{count} meetings", counts["meetings"]),
        t.ngettext("{count} recommendation", "{count} recommendations", counts["recommendations"]),
    ]
    values = [counts["people"], counts["accounts"], counts["meetings"], counts["recommendations"]]
    text = ", ".join(part.format(count=t.format_number(value)) for part, value in zip(parts, values))
    if check.schema_version < check.shipped_version:
        text += t.gettext(" (schema {version}: the bot upgrades it when it starts on it)").format(
            version=check.schema_version)
    return text
