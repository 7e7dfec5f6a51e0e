"""A stage for the real bot: the local Bot API server, a database with a roster, a clock, and the real
Application built by `bot.app` running against them. The end-to-end harness (tests/fixtures/e2e.py), the
demo film and the terminal shell are each a Stage plus their own way of telling the story.

People on stage are roster people; each is a Telegram user whose id is `10_000_000 + person.id`
(`bot.sandbox.chat_user.user_id_for`). A stage given a local Zalo server (`zalo_server`) runs the Zalo
channel too, and its people can also be Zalo users (`zalo_as`): they see what a Zalo user sees.
"""

from __future__ import annotations

import socket
from typing import AsyncIterator, Callable

from telegram.ext import Application

from bot import app as app_wiring
from bot.sandbox.chat_user import ChatUser, NoReply, user_id_for
from bot.core.clock import Clock
from bot.core.config import Config
from bot.core.context import AppContext
from bot.core.i18n import N_
from bot.reminders import scheduler
from bot.sandbox.localapi import BotMessage, LocalApiClient, LocalBotApi
from bot.sandbox.zalo_user import ZaloUser
from bot.sandbox.zaloapi import ZaloApiClient, ZaloLocalApi
from bot.rules.text import fold
from handlers import handled
from storage import accounts, codec, org, zalo
from storage.db import Database

# How a role is named to people (English msgids; translate with the reader's gettext).
ROLE_LABELS = {
    org.SECRETARY: N_("secretary"),
    org.DEPUTY: N_("deputy secretary"),
    org.MEMBER: N_("party member"),
    org.WARD_STAFF: N_("ward committee staff"),
    org.CITY_STAFF: N_("city committee staff"),
}


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on now (for the bot's own webhook server, which needs it before binding)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def telegram_names(full_name: str) -> tuple[str, str | None]:
    """(first_name, last_name) as a Vietnamese user usually fills them: the given name first."""
    parts = full_name.split()
    if len(parts) < 2:
        return full_name, None
    return parts[-1], " ".join(parts[:-1])


def _unit_matches(unit: org.Unit, wanted) -> bool:
    if isinstance(wanted, org.Unit):
        return unit.id == wanted.id
    if isinstance(wanted, int):
        return unit.id == wanted
    return fold(unit.name) == fold(str(wanted))


# The stage's Zalo bot token (the local Zalo server takes any well-formed one).
ZALO_STAGE_TOKEN = "1459232241454765289:stage-zalo-token"


class Stage:
    """`server`, `api` (the user side), `token`, `db`, `clock`, `ctx` and `app` (the running Application);
    with a Zalo server also `zalo_server`, `zalo_api` (its user side) and `zalo_app`."""

    def __init__(self, *, server: LocalBotApi, db: Database, clock: Clock, token: str,
                 config: Config | None = None, poll_timeout: float = 1.0,
                 zalo_server: ZaloLocalApi | None = None, zalo_token: str = ZALO_STAGE_TOKEN) -> None:
        self.server = server
        self.db = db
        self.clock = clock
        self.token = token
        self.config = config or Config(source="stage")
        self.config.telegram.token = token
        self.config.telegram.base_url = server.base_url
        self.config.telegram.base_file_url = server.base_file_url
        self.poll_timeout = poll_timeout
        self.api = LocalApiClient(server.user_url, token)
        self.zalo_server = zalo_server
        self.zalo_api: ZaloApiClient | None = None
        self.config.zalo.token = ""   # never the real Zalo from a stage: only its own local server
        if zalo_server is not None:
            self.config.zalo.token = zalo_token
            self.config.zalo.base_url = zalo_server.base_url
            self.zalo_api = ZaloApiClient(zalo_server.user_url, zalo_token)
        self.ctx = AppContext(config=self.config, db=db, clock=clock)
        self.app: Application | None = None
        self.zalo_app: Application | None = None
        self.channels: app_wiring.Channels | None = None
        self.mode = "polling"
        self.webhook: app_wiring.WebhookSettings | None = None
        self.zalo_mode = "polling"
        self.zalo_webhook = None
        self._zalo_taken_before = 0
        self._created_users: set[int] = set()
        self._zalo_users: dict[int, str] = {}   # person id -> their Zalo user id on the Zalo server
        self._handled_before = 0  # updates up to this id were handled before the running app started

    # -- the application ------------------------------------------------------------------------------

    async def start_app(self, mode: str = "polling", webhook: app_wiring.WebhookSettings | None = None,
                        zalo_mode: str = "polling", zalo_webhook=None) -> Application:
        """Start the channels as `shcb run` does: Telegram, and Zalo when the stage has a Zalo server."""
        if self.app is not None:
            raise RuntimeError("the application is already running")
        self.mode, self.webhook = mode, webhook
        self.zalo_mode, self.zalo_webhook = zalo_mode, zalo_webhook
        # What the bot has taken so far was handled by an earlier application (stopping one handles
        # everything it took); whatever is still queued is this one's.
        self._handled_before = (await self.api.fetched(timeout=0))["confirmed"]
        if self.zalo_api is not None:
            self._zalo_taken_before = (await self.zalo_api.fetched(timeout=0))["taken"]
        self.channels = await app_wiring.start_channels(self.ctx, mode=mode, webhook=webhook, zalo_mode=zalo_mode,
                                                        zalo_webhook=zalo_webhook, poll_timeout=self.poll_timeout)
        self.app, self.zalo_app = self.channels.telegram, self.channels.zalo
        # The start-up reminder check runs on its own; a story that moves the clock on before it has run
        # would race it for the same reminders.
        await scheduler.started(self.ctx)
        return self.app

    async def stop_app(self) -> None:
        channels, self.channels, self.app, self.zalo_app = self.channels, None, None, None
        if channels is not None:
            await app_wiring.stop_channels(channels)

    async def restart(self) -> Application:
        """Stop the Application and start a new one, as a restarted process would: same database, same
        server, a fresh context (nothing kept in memory)."""
        await self.stop_app()
        self.ctx = AppContext(config=self.config, db=self.db, clock=self.clock)
        return await self.start_app(self.mode, self.webhook, self.zalo_mode, self.zalo_webhook)

    async def settled(self, timeout: float = 5.0) -> None:
        """Wait until the bot has taken every update people sent so far (the server knows) and finished
        handling each (the application knows: `handlers.handled`). Raises `NoReply` (an AssertionError)
        if it has not within `timeout`. What the outbox sender sends later, on its own, is not awaited."""
        if self.app is None:
            raise RuntimeError("the application is not running")
        taken = await self.api.fetched(timeout=timeout)
        if not taken["fetched"]:
            raise NoReply(f"the bot has not fetched update {taken['update_id']} within {timeout:g} s")
        wanted = range(self._handled_before + 1, taken["update_id"] + 1)
        if not await handled.tracker(self.app).wait(wanted, timeout):
            raise NoReply(f"the bot has not finished handling updates up to {taken['update_id']} within {timeout:g} s")

    handled = settled  # `await e2e.handled()` reads well in tests too

    async def zalo_settled(self, timeout: float = 5.0) -> None:
        """`settled` for the Zalo channel: the bot has taken every update Zalo users sent so far (the
        Zalo server knows), the adapter has translated each (a refused number is answered there), and
        the Zalo Application has finished handling what they became."""
        from bot.channels.zalo.application import intake_of

        if self.zalo_app is None or self.zalo_api is None:
            raise RuntimeError("the Zalo application is not running")
        taken = await self.zalo_api.fetched(timeout=timeout)
        if not taken["fetched"]:
            raise NoReply(f"the Zalo bot has not taken update {taken['update']} within {timeout:g} s")
        intake = intake_of(self.zalo_app)
        if not await intake.wait_taken(taken["taken"] - self._zalo_taken_before, timeout):
            raise NoReply(f"the Zalo adapter has not translated update {taken['update']} within {timeout:g} s")
        if not await handled.tracker(self.zalo_app).wait(list(intake.update_ids), timeout):
            raise NoReply(f"the Zalo bot has not finished handling update {taken['update']} within {timeout:g} s")
    async def sender_idle(self, timeout: float = 5.0) -> None:
        """Wait until the outbox sender has looked at the whole outbox again and sent whatever was due."""
        sender = self.ctx.extras.get("sender")
        if sender is None:
            raise RuntimeError("no outbox sender is running")
        await sender.next_pass(timeout)

    async def close(self) -> None:
        try:
            await self.stop_app()
        finally:
            await self.api.close()
            if self.zalo_api is not None:
                await self.zalo_api.close()

    # -- the roster -----------------------------------------------------------------------------------

    async def _unit_blocks(self, ward=None, cell=None) -> AsyncIterator[list[org.Unit]]:
        """Units in roster order, a block at a time: the city, then each ward with its cells."""
        if ward is None and cell is None:
            yield sorted(await org.units_of_kind(self.db, "city"), key=lambda unit: unit.id)
        for ward_unit in sorted(await org.units_of_kind(self.db, "ward"), key=lambda unit: unit.id):
            if ward is not None and not _unit_matches(ward_unit, ward):
                continue
            cells = sorted(await org.cells_under(self.db, ward_unit.id), key=lambda unit: unit.id)
            block = [ward_unit] if cell is None else []
            yield block + [c for c in cells if cell is None or _unit_matches(c, cell)]

    async def _member_blocks(self, role=None, ward=None, cell=None):
        roles = None if role is None else [role] if isinstance(role, str) else list(role)
        async for units in self._unit_blocks(ward, cell):
            if not units:
                continue
            by_id = {unit.id: unit for unit in units}
            order = {unit.id: index for index, unit in enumerate(units)}
            members = await org.current_members(self.db, list(order), roles)
            members.sort(key=lambda pair: order[pair[1].unit_id])  # stable: keeps role and name order
            yield [(person, membership, by_id[membership.unit_id]) for person, membership in members]

    async def members(self, role=None, ward=None, cell=None) -> list[tuple[org.Person, org.Membership, org.Unit]]:
        """Current (person, membership, unit) in roster order: the city, then each ward followed by its
        cells; within a unit by role then name. `role` is a role name or a collection of them; `ward` and
        `cell` are names (case and diacritics ignored), ids or Units."""
        found = []
        async for block in self._member_blocks(role, ward, cell):
            found += block
        return found

    async def people(self, role=None, ward=None, cell=None, limit: int | None = None) -> list[org.Person]:
        """Active people in roster order (see `members`), each once."""
        found: list[org.Person] = []
        seen: set[int] = set()
        async for block in self._member_blocks(role, ward, cell):
            for person, _membership, _unit in block:
                if person.id not in seen:
                    seen.add(person.id)
                    found.append(person)
                    if limit is not None and len(found) >= limit:
                        return found
        return found

    async def person(self, role: str | None = "secretary", ward=None, cell=None) -> org.Person:
        found = await self.people(role=role, ward=ward, cell=cell, limit=1)
        if not found:
            raise LookupError(f"nobody with role={role!r} ward={ward!r} cell={cell!r} in the roster")
        return found[0]

    async def post_of(self, person: org.Person) -> tuple[str, org.Unit] | None:
        """The person's first current (role, unit), for captions."""
        memberships = await org.current_memberships(self.db, person.id)
        if not memberships:
            return None
        unit = await org.get_unit(self.db, memberships[0].unit_id)
        return (memberships[0].role, unit) if unit else None

    # -- chat users -----------------------------------------------------------------------------------

    async def chat_as(
        self,
        person: org.Person,
        link: bool = True,
        language: str = "vi",
        started: bool = True,
        *,
        on_action: Callable[[ChatUser, str], None] | None = None,
        on_message: Callable[[ChatUser, BotMessage], None] | None = None,
    ) -> ChatUser:
        """The person's Telegram user on the server (created on first use). `started`: the user has
        pressed Start, so the bot may write to them. `link`: the account is linked in storage as if they
        had joined already (and the person's language set to `language`), so feature tests start from
        a joined person."""
        user_id = user_id_for(person.id)
        if user_id not in self._created_users:
            first_name, last_name = telegram_names(person.full_name)
            await self.api.create_user(user_id, first_name, last_name=last_name, language_code=language,
                                       started=started)
            self._created_users.add(user_id)
        if link:
            at = codec.instant(self.clock.now())
            await accounts.link(self.db, external_id=user_id, chat_id=user_id, person_id=person.id, at=at,
                                language=language, display_name=person.full_name, platform=accounts.TELEGRAM)
            if person.language != language:
                await org.set_language(self.db, person.id, language, at)
                person = await org.get_person(self.db, person.id) or person
        return ChatUser(self.api, user_id, person, on_action=on_action, on_message=on_message, settle=self.settled)

    async def zalo_as(
        self,
        person: org.Person,
        link: bool = True,
        language: str = "vi",
        *,
        on_action: Callable[[ZaloUser, str], None] | None = None,
        on_message=None,
    ) -> ZaloUser:
        """The person's Zalo user on the Zalo server. `link`: their Zalo account is linked in storage as if
        they had joined with an invite code already (and the person's language set to `language`)."""
        if self.zalo_api is None:
            raise RuntimeError("this stage has no Zalo server")
        zalo_id = await _zalo_user_of(self, person)
        at = codec.instant(self.clock.now())
        local = await zalo.local_id(self.db, zalo_id, at)
        if link:
            await accounts.link(self.db, external_id=local, chat_id=local, person_id=person.id, at=at,
                                language=language, display_name=person.full_name, platform=accounts.ZALO)
            if person.language != language:
                await org.set_language(self.db, person.id, language, at)
                person = await org.get_person(self.db, person.id) or person
        return ZaloUser(self.zalo_api, zalo_id, person, settle=self.zalo_settled, on_action=on_action,
                        on_message=on_message)


async def _zalo_user_of(stage: "Stage", person: org.Person) -> str:
    """The person's Zalo user on the server (created, having written to the bot, on first use)."""
    known = stage._zalo_users.get(person.id)
    if known is None:
        known = await stage.zalo_api.create_user(person.full_name, wrote=True)
        stage._zalo_users[person.id] = known
    return known


async def load_generated_roster(db: Database, clock: Clock, root_name: str, *, seed: int = 7):
    """Fill the database with the generated demo roster (what `shcb roster generate --seed SEED` writes),
    through the roster import (the rows are the generator's, so no spreadsheet round trip)."""
    from bot.roster.generate import generate_roster
    from bot.roster.importer import import_rows

    return await import_rows(db, generate_roster(seed), clock, root_name, source=f"generated, seed {seed}")


async def has_roster(db: Database) -> bool:
    return bool(await org.units_of_kind(db, "cell"))
