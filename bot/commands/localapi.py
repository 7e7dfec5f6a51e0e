"""`shcb localapi`: the local Telegram Bot API server on its own (`--zalo`: the local Zalo Bot Platform
server), until Ctrl+C or SIGTERM — to run `shcb run` (or any Bot API client) without Telegram or Zalo.
Its requests are logged at DEBUG, tokens redacted."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from bot.core import problems
from bot.core.i18n import cli_gettext as _


def add_parser(subparsers) -> None:
    from bot.cli import common_parent, whole_number

    parser = subparsers.add_parser(
        "localapi", parents=[common_parent()],
        help=_("run the local Telegram Bot API server (try the bot without Telegram)"),
        description=_("Run a local Telegram Bot API server that accepts any bot token, until SIGTERM or "
                      "SIGINT (Ctrl+C). Point [telegram] base_url at it to run the bot without Telegram."),
    )
    parser.add_argument("--port", type=whole_number, default=8081, help=_("port to listen on (default: 8081; 0: any free port)"))
    parser.add_argument("--host", default="127.0.0.1", help=_("address to listen on (default: 127.0.0.1)"))
    parser.add_argument("--bot-username", default="shcb_demo_bot",
                        help=_("the bot's username in getMe (default: shcb_demo_bot)"))
    parser.add_argument("--no-limits", action="store_true",
                        help=_("switch flood control (429 Too Many Requests) off, e.g. for benchmarks"))
    parser.add_argument("--latency-ms", type=_latency, default=(20.0, 60.0), metavar="LOW-HIGH",
                        help=_("random network latency of each call in milliseconds, e.g. 20-60 (the "
                               "default) or 0 for none"))
    parser.add_argument("--seed", type=int, default=None, help=_("seed of the random latency (repeatable runs)"))
    parser.add_argument("--zalo", action="store_true",
                        help=_("serve the Zalo Bot Platform API instead of Telegram's (--bot-username is then "
                               "the bot's account name)"))
    parser.add_argument("--faults", type=_rate, default=0.0, metavar="RATE",
                        help=_("answer this share of the bot's sends, edits and answers with a fault, e.g. 0.1 "
                               "(default: 0, none)"))
    parser.add_argument("--fault-kinds", type=_kinds, default=None, metavar="KINDS",
                        help=_("the faults to choose from, comma-separated: 429, 5xx, timeout, drop "
                               "(default: all four)"))
    parser.add_argument("--fault-seed", type=int, default=None, help=_("seed of the faults (repeatable runs)"))
    parser.add_argument("--fault-hold-seconds", type=float, default=10.0, metavar="SECONDS",
                        help=_("how long a time-out holds the answer, longer than the client waits (default: 10)"))
    parser.set_defaults(func=run)


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(_("not a rate from 0 to 1: {value!r} (e.g. 0.1)").format(value=text))
    return value


def _kinds(text: str) -> tuple[str, ...]:
    from bot.sandbox.localapi.faults import KINDS

    kinds = tuple(kind.strip() for kind in text.split(",") if kind.strip())
    if not kinds or any(kind not in KINDS for kind in kinds):
        raise argparse.ArgumentTypeError(_("not fault kinds: {value!r} (choose from {kinds})").format(
            value=text, kinds=", ".join(KINDS)))
    return kinds


def _latency(text: str) -> tuple[float, float]:
    low, _sep, high = text.partition("-")
    try:
        values = (float(low), float(high or low))
    except ValueError:
        raise argparse.ArgumentTypeError(_("not a latency: {value!r} (e.g. 20-60)").format(value=text)) from None
    if not 0 <= values[0] <= values[1]:
        raise argparse.ArgumentTypeError(_("not a latency: {value!r} (e.g. 20-60)").format(value=text))
    return values


def run(args: argparse.Namespace) -> int:
    from bot.cli import load_config_or_exit
    from bot.core.logging_setup import configure

    config = load_config_or_exit(args)
    if not 0 <= args.port <= 65535:
        print(_("--port: a port number from 0 to 65535."), file=sys.stderr)
        return 2
    if args.fault_hold_seconds < 0:
        print(_("--fault-hold-seconds: a number of seconds, 0 or more."), file=sys.stderr)
        return 2
    configure(config.logging.level, tz=config.tz)
    return asyncio.run(_serve(args))


async def _serve(args: argparse.Namespace) -> int:
    from bot.sandbox.localapi import Network

    low, high = args.latency_ms
    network = Network(low / 1000, high / 1000, seed=args.seed)
    server = _zalo_server(args, network) if args.zalo else _telegram_server(args, network)
    try:
        await server.start()
    except OSError as error:
        print(_("cannot listen on {host}:{port}: {problem}").format(
            host=args.host, port=args.port, problem=problems.os_reason(error)), file=sys.stderr)
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    (_zalo_banner if args.zalo else _telegram_banner)(server, args)
    try:
        await stop.wait()
    finally:
        await server.stop()
    print(_("Local Zalo server stopped.") if args.zalo else _("Local Bot API server stopped."), flush=True)
    return 0


def _telegram_server(args: argparse.Namespace, network):
    from bot.sandbox.localapi import FaultPlan, Limits, LocalBotApi
    from bot.sandbox.localapi.faults import KINDS

    faults = FaultPlan(rate=args.faults, kinds=args.fault_kinds or KINDS, seed=args.fault_seed,
                       hold_seconds=args.fault_hold_seconds) if args.faults > 0 else None
    return LocalBotApi(host=args.host, port=args.port, limits=Limits(enabled=not args.no_limits),
                       bot_username=args.bot_username, network=network, faults=faults)


def _zalo_server(args: argparse.Namespace, network):
    from bot.sandbox.zaloapi import ZaloLimits, ZaloLocalApi

    return ZaloLocalApi(host=args.host, port=args.port, limits=ZaloLimits(enabled=not args.no_limits),
                        account_name=args.bot_username, network=network)


def _latency_line(args: argparse.Namespace) -> str:
    low, high = args.latency_ms
    return _("Network latency per call: {low:g}-{high:g} ms.").format(low=low, high=high)


def _telegram_banner(server, args: argparse.Namespace) -> None:
    print(_("Local Telegram Bot API server listening on {url}").format(url=server.origin))
    print(_("To run the bot against it, put in config.toml:"))
    print("  [telegram]")
    print(f'  base_url = "{server.base_url}"')
    print(f'  base_file_url = "{server.base_file_url}"')
    print(_("Any token of the form <digits>:<letters> is accepted (each token is a separate bot), "
            "e.g. SHCB_TELEGRAM_TOKEN=123456:LOCAL shcb run"))
    print(_("Chat as a user over HTTP at {url}/<token>/… (bot.sandbox.localapi.LocalApiClient), or simply use "
            "`shcb shell`, which starts its own server and bot.").format(url=server.user_url))
    print(_latency_line(args))
    if server.faults is not None:
        print(_("Faults: {percent:g} % of the bot's sends, edits and answers get one of {kinds}.").format(
            percent=100 * args.faults, kinds=", ".join(server.faults.kinds)))
    print(_("Flood control (429 Too Many Requests) is off. Press Ctrl+C to stop.") if args.no_limits
          else _("Flood control (429 Too Many Requests) is on. Press Ctrl+C to stop."), flush=True)


def _zalo_banner(server, args: argparse.Namespace) -> None:
    limits = server.limits
    print(_("Local Zalo Bot Platform server listening on {url}").format(url=server.origin))
    print(_("To run the bot against it, put in config.toml:"))
    print("  [zalo]")
    print(f'  base_url = "{server.base_url}"')
    print(_("Any token of the form <digits>:<letters> is accepted; each token is a separate bot."))
    print(_("Chat as a Zalo user over HTTP at {url}/<token>/… (bot.sandbox.zaloapi.ZaloApiClient).").format(
        url=server.user_url))
    print(_latency_line(args))
    print(_("The quota (429 Quota exceeded) is off. Press Ctrl+C to stop.") if args.no_limits
          else _("The quota (429 Quota exceeded) is on: {per_chat} message a second to one person, {total} a "
                 "second in all. Press Ctrl+C to stop.").format(per_chat=limits.per_chat_count,
                                                               total=limits.global_count), flush=True)
