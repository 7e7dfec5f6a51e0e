"""`shcb`: the command line. Each subcommand lives in its own module of `bot/commands/`, which defines
`add_parser(subparsers)`; the parser it adds carries the function to run as `func(args) -> int`.""" 

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from bot.core import i18n
from bot.core.config import ConfigError, load_config
from bot.core.i18n import cli_gettext as _



def _pre_parse_language(argv: list[str]) -> None:
    """The command line speaks the language of SHCB_LANG, else of the config's `[locale] default`."""
    import os

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
    from bot.commands import audit, broadcast, demo, invite, localapi, report, roster, run, schedule, shell, tick

    # In the order `shcb --help` lists them.
    for module in [demo, run, shell, localapi, roster, invite, audit, broadcast, tick, schedule, report]:
        module.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    _pre_parse_language(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def load_config_or_exit(args: argparse.Namespace):
    """For commands: the config named by --config, or exit 2 with its one-line error."""
    try:
        return load_config(args.config)
    except ConfigError as error:
        print(error, file=sys.stderr)
        raise SystemExit(2) from None


def existing_database(config) -> Path | None:
    """The configured database file, or None, said on stderr, when there is none yet: commands that
    read the roster must not create an empty database."""
    path = Path(config.storage.path)
    if path.exists():
        return path
    print(_("There is no database at {path} yet: import a roster first (shcb roster import FILE).").format(
        path=path), file=sys.stderr)
    return None


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # httpx logs every request URL at INFO, and the URL carries the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
