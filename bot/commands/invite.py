"""`shcb invite --phone PHONE`: a single-use invite code, valid 7 days, for a roster person whose Telegram
phone number is not the one on the list, with its https://t.me/<bot>?start=<code> link.

Exit status: 0 printed, 1 no such (active) person or no database, 2 a usage or configuration error.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.core import i18n
from bot.cli import common_parent, existing_database, load_config_or_exit, setup_logging
from bot.core.clock import SystemClock
from bot.core.i18n import cli_gettext as _
from bot.rules import access
from bot.rules.phone import display_phone, mask_phone, normalize_phone
from storage import codec, invites, org
from storage.db import Database

OK, REFUSED, USAGE = 0, 1, 2
log = logging.getLogger(__name__)


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "invite", parents=[common_parent()],
        help=_("create an invite link for a person whose Telegram number differs from the roster"),
        description=_("Create a single-use invite code, valid for 7 days, for the roster person with this "
                      "phone number, and print its link https://t.me/<bot>?start=<code>. Opening the link "
                      "and pressing Start links that Telegram account to the person."),
    )
    parser.add_argument("--phone", required=True, metavar=_("PHONE"),
                        help=_("the person's phone number as on the roster (any usual spelling)"))
    parser.set_defaults(func=run)


async def bot_username(config) -> str | None:
    """[telegram] bot_username, else the bot's own answer to getMe when a token is set, else None."""
    if config.telegram.bot_username:
        return config.telegram.bot_username.lstrip("@")
    if not config.telegram.token:
        return None
    from telegram import Bot
    from telegram.error import TelegramError

    bot = Bot(config.telegram.token, base_url=config.telegram.base_url or "https://api.telegram.org/bot")
    try:
        async with bot:
            return bot.username
    except TelegramError as error:
        log.warning("getMe failed: %s", type(error).__name__)
        return None


async def create_invite(db: Database, phone: str, clock) -> tuple[org.Person, invites.Invite, list[str]] | str:
    """(person, invite, where they belong) or a one-line reason why not."""
    person = await org.find_person_by_phone(db, phone)
    if person is None:
        return _("Nobody on the roster has the number {phone}.").format(phone=display_phone(phone))
    if not person.active:
        return _("{name} ({phone}) is not active on the roster: import an updated roster first.").format(
            name=person.full_name, phone=display_phone(phone))
    now = clock.now()
    memberships = await org.current_memberships(db, person.id)
    invite = await invites.issue(
        db, person_id=person.id, created_by=None, created_at=codec.instant(now),
        expires_at=codec.instant(access.invite_expiry(now)),
        unit_id=memberships[0].unit_id if memberships else None,
        detail={"via": "cli", "phone": mask_phone(person.phone)})
    places = []
    for membership in memberships:
        names = [unit.name for unit in reversed(await org.ancestors(db, membership.unit_id))][1:]
        places.append(" › ".join(names) if names else "")
    return person, invite, [p for p in places if p]


def run(args: argparse.Namespace) -> int:
    config = load_config_or_exit(args)
    setup_logging(config.logging.level, config.tz)
    phone = normalize_phone(args.phone)
    if phone is None:
        print(_("{value!r} is not a Vietnamese phone number.").format(value=args.phone), file=sys.stderr)
        return USAGE
    path = existing_database(config)
    if path is None:
        return REFUSED

    async def work():
        async with Database.connect(path) as db:
            made = await create_invite(db, phone, SystemClock(config.tz))
        username = await bot_username(config) if not isinstance(made, str) else None
        return made, username

    made, username = asyncio.run(work())
    if isinstance(made, str):
        print(made, file=sys.stderr)
        return REFUSED
    person, invite, places = made
    t = i18n.cli()
    expires = codec.parse_instant(invite.expires_at)
    print(_("Invite for {name}").format(name=person.full_name) + (f" ({'; '.join(places)})" if places else ""))
    print(_("Code: {code}").format(code=invite.code))
    if username:
        print(_("Link: {link}").format(link=invites.deep_link(username, invite.code)))
    else:
        print(_("Link: unknown bot username — set [telegram] bot_username (or a token) to print it. The person "
                "can also send: /start {code}").format(code=invite.code))
    print(_("Valid once, until {time} {date} (Vietnam time).").format(
        time=t.format_time(expires), date=t.format_date(expires, "short")))
    return OK
