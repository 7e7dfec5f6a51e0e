"""`shcb run`: the bot itself, by long polling or by webhook, until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys

from telegram.error import InvalidToken, NetworkError

from bot.core.i18n import cli_gettext as _

log = logging.getLogger(__name__)

# What Telegram accepts as a webhook secret token.
SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def add_parser(subparsers) -> None:
    from bot.cli import common_parent

    parser = subparsers.add_parser(
        "run", parents=[common_parent()],
        help=_("run the bot (long polling, or webhook with [telegram] mode = \"webhook\")"),
        description=_("Run the bot until SIGTERM or SIGINT (Ctrl+C). The token comes from "
                      "SHCB_TELEGRAM_TOKEN or [telegram] token."),
    )
    parser.add_argument("--mode", choices=("polling", "webhook"),
                        help=_("how to receive updates (default: [telegram] mode)"))
    parser.set_defaults(func=run)


def check(config, mode: str) -> str | None:
    """One line saying what is missing for this mode, or None."""
    if not config.telegram.token and not config.zalo.token:
        return _("no token: set SHCB_TELEGRAM_TOKEN or [telegram] token (and/or SHCB_ZALO_TOKEN or [zalo] token)")
    if config.zalo.token and config.zalo.mode == "webhook":
        hook = config.zalo.webhook
        if not hook.url:
            return _("Zalo webhook mode needs [zalo.webhook] url")
        if not 8 <= len(hook.secret_token) <= 256:
            return _("Zalo webhook mode needs [zalo.webhook] secret_token: 8 to 256 characters")
    if config.telegram.token and mode == "webhook":
        hook = config.telegram.webhook
        if not hook.url:
            return _("webhook mode needs [telegram.webhook] url")
        if not SECRET_TOKEN.match(hook.secret_token):
            return _("webhook mode needs [telegram.webhook] secret_token: 1 to 256 characters of "
                     "A-Z, a-z, 0-9, _ and -")
    return None


def run(args: argparse.Namespace) -> int:
    from bot.cli import load_config_or_exit
    from bot.core.logging_setup import configure

    config = load_config_or_exit(args)
    mode = args.mode or config.telegram.mode
    problem = check(config, mode)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    configure(config.logging.level, config.telegram.token, config.zalo.token, config.zalo.webhook.secret_token,
              tz=config.tz)
    try:
        asyncio.run(_serve(config, mode))
    except InvalidToken:
        print(_("the Bot API server refused the token"), file=sys.stderr)
        return 2
    except NetworkError:
        # httpx's own words ("All connection attempts failed") are English: say where instead.
        address = config.telegram.base_url or "https://api.telegram.org/bot"
        print(_("cannot reach the Bot API server at {address}: check the network and [telegram] base_url").format(
            address=address), file=sys.stderr)
        return 1
    return 0


async def _serve(config, mode: str) -> None:
    from bot.app import run_app
    from bot.core.clock import SystemClock
    from bot.core.context import AppContext
    from storage.db import Database

    async with Database.connect(config.storage.path, busy_timeout=config.storage.busy_timeout_seconds) as db:
        ctx = AppContext(config=config, db=db, clock=SystemClock(config.tz))
        await run_app(ctx, mode=mode)
