"""Errors of the system and of libraries, said in words of ours in the reader's language.

The operating system, SQLite, and the TOML parser explain themselves in English (`No such file or
directory`, `file is not a database`, `Expected '=' after a key …`). The command line never passes those
words through: it says what went wrong with messages of the catalogs, and these functions are the one place
that maps each kind of error to them.
"""

from __future__ import annotations

import errno
import re
import sqlite3

from bot.core import i18n
from bot.core.i18n import N_

USAGE = 2    # exit status for usage and configuration problems (the README's Configuration section)
REFUSED = 1  # exit status for refused data

_OS_REASONS = {
    errno.ENOENT: N_("there is no such file or folder"),
    errno.EACCES: N_("permission denied"),
    errno.EPERM: N_("permission denied"),
    errno.EISDIR: N_("it is a folder, not a file"),
    errno.ENOTDIR: N_("a part of the path is a file, not a folder"),
    errno.ENOSPC: N_("the disk is full"),
    errno.EROFS: N_("the disk is read-only"),
    errno.ENAMETOOLONG: N_("the name is too long"),
    errno.EEXIST: N_("it already exists"),
    errno.EADDRINUSE: N_("the address is already in use"),
    errno.EADDRNOTAVAIL: N_("this address is not one of this machine's"),
}


def os_reason(error: OSError | int | str | None, t: i18n.Translator | None = None) -> str:
    """An OS error (or its errno, or its symbolic name such as "ENOENT") as a short phrase."""
    t = t or i18n.cli()
    number = error.errno if isinstance(error, OSError) else error
    if isinstance(number, str):
        number = getattr(errno, number, None) if number.startswith("E") else None
    if number in _OS_REASONS:
        return t.gettext(_OS_REASONS[number])
    name = errno.errorcode.get(number, "") if isinstance(number, int) else ""
    return t.gettext("system error {code}").format(code=name or "?")


def errno_name(error: OSError) -> str:
    """The symbolic name of an OS error ("ENOENT"), to carry it as plain data and say it later."""
    return errno.errorcode.get(error.errno or 0, "")


# SQLite's result codes (sqlite3.Error.sqlite_errorname) that mean "this is not a database we can use".
_DATABASE_UNUSABLE = {
    "SQLITE_NOTADB": N_("{path} is not an SQLite database: check [storage] path"),
    "SQLITE_CORRUPT": N_("the database {path} is damaged: restore it from a backup"),
    "SQLITE_CANTOPEN": N_("the database {path} cannot be opened: check that its folder exists and can be "
                          "written ([storage] path)"),
    "SQLITE_READONLY": N_("the database {path} is read-only: shcb must be able to write it"),
    "SQLITE_PERM": N_("the database {path} cannot be opened: permission denied"),
    "SQLITE_FULL": N_("the database {path} cannot be written: the disk is full"),
}


def database_problem(error: sqlite3.Error, path: str, t: i18n.Translator | None = None) -> tuple[str, int]:
    """(one line, exit status) for an SQLite error on the database at `path`."""
    t = t or i18n.cli()
    name = getattr(error, "sqlite_errorname", "") or ""
    # Without a result code (older SQLite), the two common cases are told by their text.
    text = str(error)
    if not name and "file is not a database" in text:
        name = "SQLITE_NOTADB"
    elif not name and "unable to open database file" in text:
        name = "SQLITE_CANTOPEN"
    base = "_".join(name.split("_")[:2])  # SQLITE_CANTOPEN_ISDIR -> SQLITE_CANTOPEN
    message = _DATABASE_UNUSABLE.get(name) or _DATABASE_UNUSABLE.get(base)
    if message:
        return t.gettext(message).format(path=path), USAGE
    if base == "SQLITE_BUSY" or name.startswith("SQLITE_LOCKED"):
        return t.gettext("the database {path} is busy: another program holds it; try again").format(
            path=path), REFUSED
    return t.gettext("the database {path} failed ({code})").format(path=path, code=name or "?"), REFUSED


_TOML_WHERE = re.compile(r"\(at line (\d+), column (\d+)\)")


def toml_problem(error: Exception, t: i18n.Translator | None = None) -> str:
    """Where a TOML file stops parsing, in words of ours (the parser's own text is English)."""
    t = t or i18n.cli()
    where = _TOML_WHERE.search(str(error))
    if where:
        return t.gettext("not valid TOML at line {line}, column {column}").format(
            line=where.group(1), column=where.group(2))
    if "end of document" in str(error):
        return t.gettext("not valid TOML: it ends too early")
    return t.gettext("not valid TOML")


def sending_problem(error: Exception, t: i18n.Translator | None = None) -> str:
    """Why sending through the Bot API failed, in words of ours (python-telegram-bot's are English)."""
    from telegram.error import Forbidden, InvalidToken, NetworkError, TimedOut

    t = t or i18n.cli()
    if isinstance(error, InvalidToken):
        return t.gettext("the Bot API server refused the token")
    if isinstance(error, Forbidden):
        return t.gettext("the Bot API server refused the request")
    if isinstance(error, (TimedOut, NetworkError)):
        return t.gettext("the Bot API server cannot be reached: check the network and [telegram] base_url")
    return t.gettext("an unexpected error ({name})").format(name=type(error).__name__)
