"""`shcb audit [--since DATE] [--ward NAME]`: who did what, when, from which account — linkings, refused
joins, invites, role changes, refused and forged actions, roster imports — oldest first. Phones are
masked.

Exit status: 0 printed, 1 no database or no such ward, 2 a usage or configuration error.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date, datetime, time

from bot.core import i18n
from bot.cli import common_parent, existing_database, load_config_or_exit
from bot.core.i18n import N_, cli_gettext as _
from bot.rules.phone import mask_phone
from bot.rules.text import fold
from storage import audit, codec, org
from storage.audit import AuditEntry
from storage.db import Database

OK, REFUSED, USAGE = 0, 1, 2

ACTIONS = {
    "account.linked": N_("account linked"),
    "account.roles_updated": N_("roles changed"),
    "join.refused": N_("join refused"),
    "invite.created": N_("invite created"),
    "access.forged": N_("forged action refused"),
    "access.refused": N_("action refused"),
    "role.changed": N_("role changed"),
    "roster.imported": N_("roster imported"),
}


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "audit", parents=[common_parent()], help=_("print the audit log"),
        description=_("Print the audit log, oldest first: who did what, when and from which account "
                      "(linkings, refused joins, invites, role changes, refused or forged actions). "
                      "Phone numbers are masked."),
    )
    parser.add_argument("--since", metavar=_("DATE"), type=_date,
                        help=_("only entries from this day on (YYYY-MM-DD, Vietnam time)"))
    parser.add_argument("--ward", metavar=_("NAME"),
                        help=_("only entries about this ward and its cells (the name with or without accents)"))
    parser.set_defaults(func=run)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(_("{value!r} is not a date like 2026-11-27").format(value=text)) from None


class _Names:
    """Names of people and places, looked up once each."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.people: dict[int, org.Person | None] = {}
        self.places: dict[int, str] = {}

    async def person(self, person_id: int | None) -> str:
        if person_id is None:
            return ""
        if person_id not in self.people:
            self.people[person_id] = await org.get_person(self.db, person_id)
        person = self.people[person_id]
        if person is None:
            return f"#{person_id}"
        return f"{person.full_name} ({mask_phone(person.phone)})" if person.phone else person.full_name

    async def place(self, unit_id: int | None) -> str:
        if unit_id is None:
            return ""
        if unit_id not in self.places:
            chain = [unit.name for unit in reversed(await org.ancestors(self.db, unit_id))]
            self.places[unit_id] = " › ".join(chain[1:] or chain)  # the city is everyone's: left out
        return self.places[unit_id]


def _detail(detail: dict) -> str:
    parts = []
    for key, value in sorted(detail.items()):
        if isinstance(value, list):
            value = ",".join(str(v) for v in value) or "-"
        parts.append(f"{key}={value}")
    return " ".join(parts)


async def format_entry(entry: AuditEntry, names: _Names, t: i18n.Translator) -> str:
    when = codec.parse_instant(entry.at)
    what = f"{t.gettext(ACTIONS[entry.action])} ({entry.action})" if entry.action in ACTIONS else entry.action
    who = await names.person(entry.actor_person_id)
    if entry.actor_external_id:
        who = (who + " " if who else "") + f"[{entry.platform or '?'}:{entry.actor_external_id}]"
    if not who:
        who = t.gettext("(command line or system)")
    fields = [t.format_datetime(when, "yyyy-MM-dd HH:mm"), what, who]
    place = await names.place(entry.unit_id)
    if place:
        fields.append(place)
    subject = await names.person(entry.subject_person_id)
    if subject:
        fields.append("→ " + subject)
    if entry.detail:
        fields.append(_detail(entry.detail))
    return " | ".join(fields)


async def collect(db: Database, since: date | None, ward: str | None, t: i18n.Translator) -> list[str] | str:
    """The printed lines, or a one-line reason why not."""
    unit_ids = None
    if ward:
        wanted = fold(ward)
        wards = [u for u in await org.units_of_kind(db, "ward", active_only=False) if fold(u.name) == wanted]
        if not wards:
            return _("There is no ward named {name!r}.").format(name=ward)
        unit_ids = sorted({uid for w in wards for uid in await org.subtree_ids(db, w.id)})
    start = codec.instant(datetime.combine(since, time(0, 0), tzinfo=t.tz)) if since else None
    names = _Names(db)
    return [await format_entry(entry, names, t) for entry in await audit.entries(db, since=start, unit_ids=unit_ids)]


def run(args: argparse.Namespace) -> int:
    config = load_config_or_exit(args)
    path = existing_database(config)
    if path is None:
        return REFUSED

    async def work():
        async with Database.connect(path) as db:
            return await collect(db, args.since, args.ward, i18n.cli())

    lines = asyncio.run(work())
    if isinstance(lines, str):
        print(lines, file=sys.stderr)
        return REFUSED
    if not lines:
        print(_("No audit entries."))
    for line in lines:
        print(line)
    return OK
