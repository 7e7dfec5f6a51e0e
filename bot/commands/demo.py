"""`shcb demo`: the bot at work on a made-up month, without a token, a config or a network."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.core import i18n
from bot.core.i18n import cli_gettext as _


def add_parser(subparsers) -> None:
    from bot.cli import common_parent

    parser = subparsers.add_parser(
        "demo", parents=[common_parent()],
        help=_("play a scripted month with the real bot against a local Bot API server (no token needed)"),
        description=_("Starts a local Bot API server with Telegram's limits, a temporary database with the "
                      "generated roster and the real bot, then plays a month on a simulated clock and "
                      "prints the transcript and a summary."),
    )
    parser.add_argument("--lang", choices=i18n.LANGUAGES,
                        help=_("language of the transcript (default: the command line's language)"))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.sandbox.demo.film import play_demo
    from bot.core.logging_setup import configure

    if args.lang:
        i18n.set_cli_language(args.lang)
    # The transcript is the output; only real trouble is logged (to stderr).
    configure("WARNING")
    return asyncio.run(play_demo(sys.stdout, language=i18n.cli_language()))
