"""`shcb shell`: chat with the bot in a terminal as any roster person (see bot/sandbox/shell.py)."""

from __future__ import annotations

import argparse
import asyncio
import copy
import sys
import tempfile
from pathlib import Path

from bot.core import i18n
from bot.core.i18n import cli_gettext as _

SHELL_TOKEN = "100000002:local-shell-token"


def add_parser(subparsers) -> None:
    from bot.cli import common_parent

    parser = subparsers.add_parser(
        "shell", parents=[common_parent()],
        help=_("chat with the bot in the terminal as any roster person (local server, no token needed)"),
        description=_("Chat with the real bot as a roster person, against a local Bot API server and a local "
                      "database, on real time. Bot messages show their buttons with letters: type a letter to "
                      "press one (a number is sent as text); /contact shares your phone, /as switches person, "
                      "/quit leaves. With --zalo, as a Zalo user: plain text and numbered options."),
    )
    parser.add_argument("--as", dest="as_phone", metavar="PHONE",
                        help=_("be the roster person with this phone number"))
    parser.add_argument("--db", metavar="FILE",
                        help=_("database file kept between runs (filled with the generated roster when empty; "
                               "default: a temporary one)"))
    parser.add_argument("--lang", choices=i18n.LANGUAGES, help=_("language of the shell's own texts"))
    parser.add_argument("--zalo", action="store_true",
                        help=_("be the person on Zalo (a local Zalo server): plain text, numbered options"))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.cli import load_config_or_exit
    from bot.core.logging_setup import configure
    from bot.rules.phone import normalize_phone

    if args.lang:
        i18n.set_cli_language(args.lang)
    config = load_config_or_exit(args)
    if args.as_phone is not None and normalize_phone(args.as_phone) is None:
        # Said before the roster is loaded, which takes a few seconds.
        print(_("{value!r} is not a Vietnamese phone number.").format(value=args.as_phone), file=sys.stderr)
        return 2
    configure("WARNING", tz=config.tz)
    return asyncio.run(_session(copy.deepcopy(config), args.db, args.as_phone, zalo=args.zalo))


async def _session(config, db_path: str | None, as_phone: str | None, *, zalo: bool = False) -> int:
    from bot.core.clock import SystemClock
    from bot.sandbox.localapi import Limits, LocalBotApi
    from bot.sandbox.shell import Shell
    from bot.sandbox.zalo_shell import ZaloShell
    from bot.sandbox.zaloapi import ZaloLimits, ZaloLocalApi
    from bot.sandbox.stage import Stage, has_roster, load_generated_roster
    from storage.db import Database

    with tempfile.TemporaryDirectory(prefix="shcb-shell-") as workdir:
        path = Path(db_path) if db_path else Path(workdir) / "shell.sqlite3"
        clock = SystemClock(config.tz)
        db = await Database.open(path, busy_timeout=config.storage.busy_timeout_seconds)
        server = LocalBotApi(limits=Limits())
        zalo_server = ZaloLocalApi(limits=ZaloLimits()) if zalo else None
        stage = None
        try:
            if not await has_roster(db):
                print(_("Loading the generated roster (seed 7) into {path} …").format(path=path), flush=True)
                await load_generated_roster(db, clock, config.organisation.name, seed=7)
            await server.start()
            if zalo_server is not None:
                await zalo_server.start()
                config.zalo.mode = "polling"
            stage = Stage(server=server, db=db, clock=clock, token=SHELL_TOKEN, config=config, zalo_server=zalo_server)
            await stage.start_app("polling")
            return await (ZaloShell if zalo else Shell)(stage, sys.stdout).run(as_phone)
        finally:
            if stage is not None:
                await stage.close()
            await server.stop()
            if zalo_server is not None:
                await zalo_server.stop()
            await db.close()
