"""`shcb`: the command line. Each subcommand lives in its own module of `bot/commands/`, which defines
`add_parser(subparsers)`; the parser it adds carries the function to run as `func(args) -> int`.""" 

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from pathlib import Path

from bot.core import argparse_i18n, i18n, problems
from bot.core.config import ConfigError, load_config
from bot.core.i18n import cli_gettext as _



def _pre_parse_language(argv: list[str]) -> None:
    """The command line speaks the language of SHCB_LANG, else of the config's `[locale] default`."""
    if os.environ.get("SHCB_LANG"):
        i18n.set_cli_language(os.environ["SHCB_LANG"])
        return
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--config")
    known, _rest = pre.parse_known_args(argv)
    try:
        i18n.set_cli_language(load_config(known.config).locale.default)
    except ConfigError:
        pass  # reported properly once the command runs


def common_parent() -> argparse.ArgumentParser:
    """Options every subcommand takes, so `shcb roster stats --config X` works as well as `shcb --config X …`."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS,
                        help=_("configuration file (default: ./config.toml; built-in defaults without one)"))
    return common


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="shcb",
        description=_("Chat assistant for the monthly party cell meeting (Telegram)."),
    )
    parser.add_argument("--config", metavar="PATH",
                        help=_("configuration file (default: ./config.toml; built-in defaults without one)"))
    subparsers = parser.add_subparsers(dest="command", metavar=_("COMMAND"))
    # Imported here because each command module uses this module's helpers (common_parent, …).
    from bot.commands import audit, backup, broadcast, demo, invite, localapi, report, roster, run, schedule, shell, tick

    # In the order `shcb --help` lists them.
    for module in [demo, run, shell, localapi, roster, invite, audit, broadcast, tick, schedule, report, backup]:
        module.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command. Whatever goes wrong ends in one line in the command line's language: exit status 2
    for usage and configuration, 1 for refused data (each command's own), never a traceback."""
    argv = sys.argv[1:] if argv is None else argv
    _pre_parse_language(argv)
    argparse_i18n.route()
    parser = build_parser()
    args = argparse.Namespace()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        status = int(args.func(args) or 0)
        sys.stdout.flush()  # here, so that a closed pipe is caught below, not at exit
        return status
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    except sqlite3.Error as error:
        message, status = problems.database_problem(error, _database_path(args))
        print(message, file=sys.stderr)
        return status
    except BrokenPipeError:
        # The reader went away (`shcb schedule show | head -1`): stop quietly, as Python's documentation
        # advises, pointing stdout at /dev/null so that the final flush at exit cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        return 130


def _database_path(args: argparse.Namespace) -> str:
    """The database a command was using: `--db` (the shell), else the config's `[storage] path`."""
    if getattr(args, "db", None):
        return args.db
    try:
        return load_config(getattr(args, "config", None)).storage.path
    except ConfigError:
        return "?"


def whole_number(text: str) -> int:
    """argparse type: a whole number, refused in our words (argparse's would say `invalid int value`)."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("{value!r} is not a whole number").format(value=text)) from None


def load_config_or_exit(args: argparse.Namespace):
    """For commands: the config named by --config, or exit 2 with its one-line error."""
    try:
        config = load_config(args.config)
    except ConfigError as error:
        print(error, file=sys.stderr)
        raise SystemExit(2) from None
    i18n.use_timezone(config.tz)
    return config


def existing_database(config) -> Path | None:
    """The configured database file, or None, said on stderr, when there is none yet: commands that
    read the roster must not create an empty database."""
    path = Path(config.storage.path)
    if path.exists():
        return path
    print(_("There is no database at {path} yet: import a roster first (shcb roster import FILE).").format(
        path=path), file=sys.stderr)
    return None


def setup_logging(level: str, tz=None) -> None:
    """Logs to stderr at `level`, in the configured zone (see bot/core/logging_setup.py)."""
    from bot.core.logging_setup import configure

    configure(level, tz=tz)
