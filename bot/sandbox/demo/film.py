"""The demo as a film: the real bot on a Stage (local Bot API server with Telegram's limits on, a temporary
database with the generated roster, a simulated clock), and the parts of `bot/sandbox/demo/PARTS` played in order.
Everything a person sends and every message they receive is printed as a transcript.

What a part (`bot/sandbox/demo/<name>.py`, `async def play(film)`) can use:

    film.ctx, film.clock, film.api, film.token, film.stage, film.db
    person = await film.person("secretary", ward="Nam Ngạn", cell="Nguyễn Mộng Tuân 2")
    u = await film.chat_as(person, link=False)     # a ChatUser (bot/sandbox/chat_user.py); echo=False: not printed
    film.scene(_("The ward sends the guidance"))   # a heading (translate it with film.gettext)
    film.say(text)                                 # a line of narration
    await film.advance_to(datetime(...))           # the clock moves; each film.on_time_change hook runs
    film.on_time_change.append(hook)               # async def hook(now) — e.g. the scheduler's tick
    await film.settle()                            # wait until each film.busy check says 0, then print
    film.count(N_("reminders sent"), n)            # adds to the summary; the key is an English msgid
    _ = film.gettext; film.t                       # the transcript's language (Translator)
    TITLE = N_("people join")                      # in the part's module: how the opening names it

A part runs on the real bot, with Telegram's limits on (about 1 message per second to one chat after a
burst of 5), so it paces what it makes the bot send as the real bot would be paced.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Awaitable, Callable, TextIO

from bot.core import i18n
from bot.sandbox.chat_user import ChatUser, user_id_for
from bot.core.clock import VN_TZ, ManualClock
from bot.core.config import Config
from bot.core.i18n import N_
from bot.sandbox.demo import guidance as guidance_part
from bot.sandbox.demo import onboarding as onboarding_part
from bot.sandbox.demo import recommendations as recommendations_part
from bot.sandbox.demo import reminders as reminders_part
from bot.sandbox.demo import report as report_part
from bot.sandbox.demo import roll_call as roll_call_part
from bot.sandbox.demo import zalo as zalo_part
from bot.sandbox.localapi import BotMessage, Limits, LocalBotApi, Network
from bot.sandbox.stage import ROLE_LABELS, Stage, load_generated_roster
from bot.sandbox.zalo_user import ZaloUser
from bot.sandbox.zaloapi import ZaloBotMessage, ZaloLimits, ZaloLocalApi
from storage import org
from storage.db import Database

DEMO_TOKEN = "100000001:local-demo-token"
DEMO_START = datetime(2026, 11, 27, 9, 0, tzinfo=VN_TZ)
DEMO_SEED = 7

TimeHook = Callable[[datetime], Awaitable[None]]
BusyCheck = Callable[[], Awaitable[int]]


# The parts of the month, in order: each a module with `async def play(film)`.
PARTS = {
    "onboarding": onboarding_part,  # people join by sharing their phone
    "guidance": guidance_part,      # the ward sends the month's guidance before the 1st
    "reminders": reminders_part,    # the 1st/2nd/3rd reminders on a simulated clock
    "roll_call": roll_call_part,    # a meeting's two roll calls and its record
    "zalo": zalo_part,              # a secretary on Zalo joins by code and takes the roll call by typing
    "recommendations": recommendations_part,  # up to the ward and the city; answers come back down
    "report": report_part,          # the ward's report on the 10th, and one asked for from the menu
}
# Parts whose feature is not built yet: named in the opening, never faked.
NOT_BUILT: list[str] = []


def available_parts() -> tuple[list[str], list[str]]:
    """(the parts played, the parts left out because their feature is not built yet)."""
    return list(PARTS), list(NOT_BUILT)


class Film:
    def __init__(self, stage: Stage, out: TextIO, translator: i18n.Translator) -> None:
        self.stage = stage
        self.out = out
        self.t = translator
        self.gettext = translator.gettext
        self.on_time_change: list[TimeHook] = []
        self.busy: list[BusyCheck] = []
        self.counters: dict[str, int] = {}
        self._users: list[ChatUser] = []
        self._zalo_users: list[ZaloUser] = []
        self._captions: dict[int | str, str] = {}

    # What parts reach for most.
    @property
    def ctx(self):
        return self.stage.ctx

    @property
    def clock(self) -> ManualClock:
        return self.stage.clock  # type: ignore[return-value]

    @property
    def api(self):
        return self.stage.api

    @property
    def token(self) -> str:
        return self.stage.token

    @property
    def db(self) -> Database:
        return self.stage.db

    # -- printing --------------------------------------------------------------------------------------

    def print(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def scene(self, title: str) -> None:
        self.print()
        self.print(f"━━ {title} ━━")

    def say(self, text: str) -> None:
        self.print(f"   {text}")

    def built(self, part: str) -> bool:
        """Whether the feature of this part is built (the part is in PARTS), so that a part can say how it
        stands in for another the same way the opening does."""
        return part in PARTS

    def part_title(self, part: str) -> str:
        return part_title(part, self.gettext)

    def count(self, key: str, n: int = 1) -> None:
        self.counters[key] = self.counters.get(key, 0) + n

    def _stamp(self, when: datetime | None = None) -> str:
        when = when or self.clock.now()
        return f"[{self.t.format_date(when, 'short')} {self.t.format_time(when)}]"

    def _on_action(self, user: ChatUser, description: str) -> None:
        self.print(f"{self._stamp()} {self._captions.get(user.user_id, user.user_id)} → bot: {description}")

    def _on_message(self, user: ChatUser, message: BotMessage) -> None:
        name = getattr(user.person, "full_name", str(user.user_id))
        # Stamped when the server received it (on the simulated clock), not when the transcript got to
        # print it: a copy sent on the 27th may be printed after the clock moved on. An edit is shown now.
        sent = None if message.edited or not message.date else datetime.fromtimestamp(message.date, self.clock.tz)
        self.print(f"{self._stamp(sent)} bot → {name}: {render_message(message, self.gettext)}")

    def _on_zalo_action(self, user: ZaloUser, description: str) -> None:
        self.print(f"{self._stamp()} {self._captions.get(user.zalo_id, user.zalo_id)} → bot: {description}")

    def _on_zalo_message(self, user: ZaloUser, message: ZaloBotMessage) -> None:
        name = f"{getattr(user.person, 'full_name', user.zalo_id)} (Zalo)"
        sent = datetime.fromtimestamp(message.date / 1000, self.clock.tz) if message.date else None
        self.print(f"{self._stamp(sent)} bot → {name}: " + "\n      ".join(message.shown.splitlines() or [""]))

    # -- people ----------------------------------------------------------------------------------------

    async def person(self, role: str | None = "secretary", ward=None, cell=None) -> org.Person:
        return await self.stage.person(role=role, ward=ward, cell=cell)

    async def people(self, role: str | None = None, ward=None, cell=None, limit: int | None = None) -> list:
        return await self.stage.people(role=role, ward=ward, cell=cell, limit=limit)

    async def ward(self, name: str) -> org.Unit:
        """The roster's ward of that name."""
        return next(w for w in await org.units_of_kind(self.db, "ward") if w.name == name)

    async def cells_of(self, ward_name: str) -> list[org.Unit]:
        """The cells of the roster's ward of that name."""
        return await org.cells_under(self.db, (await self.ward(ward_name)).id)

    async def caption(self, person: org.Person) -> str:
        """"Name (role, unit)" as the transcript shows a person."""
        post = await self.stage.post_of(person)
        if post is None:
            return person.full_name
        role, unit = post
        return f"{person.full_name} ({self.gettext(ROLE_LABELS.get(role, role))}, {unit.name})"

    async def on_screen(self, person: org.Person) -> ChatUser:
        """The person's chat as the transcript already shows it (from an earlier part), else a new one."""
        for user in self._users:
            if user.user_id == user_id_for(person.id) and user.on_message is not None:
                return user
        return await self.chat_as(person)

    async def chat_as(self, person: org.Person, link: bool = True, language: str | None = None,
                      started: bool = True, *, echo: bool = True) -> ChatUser:
        """The person's chat with the bot; with `echo` everything in it goes to the transcript. The person
        speaks the transcript's language unless told otherwise: their Telegram app is in it and, when
        `link`, so is their language on the roster, so the bot answers them in it."""
        user = await self.stage.chat_as(
            person, link=link, language=language or self.t.lang, started=started,
            on_action=self._on_action if echo else None, on_message=self._on_message if echo else None,
        )
        self._captions[user.user_id] = await self.caption(person)
        self._users.append(user)
        return user

    async def zalo_as(self, person: org.Person, link: bool = False) -> ZaloUser:
        """The person on Zalo (plain text, numbered options), everything in the chat in the transcript;
        without `link` they join as a Zalo user does, with an invite code."""
        user = await self.stage.zalo_as(person, link=link, language=self.t.lang,
                                        on_action=self._on_zalo_action, on_message=self._on_zalo_message)
        self._captions[user.zalo_id] = f"{await self.caption(person)} · Zalo"
        self._zalo_users.append(user)
        return user

    # -- time ------------------------------------------------------------------------------------------

    async def advance_to(self, when: datetime) -> None:
        """Move the simulated clock to `when` and run each time hook, as the scheduler would then."""
        if when.tzinfo is None:
            when = when.replace(tzinfo=VN_TZ)
        if when < self.clock.now():
            raise ValueError("the film's clock only moves forward")
        self.clock.set(when)
        for hook in list(self.on_time_change):
            await hook(self.clock.now())

    async def settle(self, timeout: float = 20.0) -> None:
        """Wait (polling briefly) until every busy check reports nothing left to do — e.g. the outbox is
        empty — then print whatever the people on screen received."""
        deadline = time.monotonic() + timeout
        while self.busy:
            pending = 0
            for check in self.busy:
                pending += await check()
            if pending == 0 or time.monotonic() >= deadline:
                break
            await asyncio.sleep(0.05)
        await asyncio.gather(*(user.idle(settle=0.2, timeout=2.0) for user in self._users))
        for user in self._zalo_users:
            await user.bot_messages()   # prints what arrived since


def render_message(message: BotMessage, _=lambda text: text) -> str:
    """A bot message as the transcript shows it: its text, then its inline buttons `[ Label ]` row by
    row and its reply keyboard `⌨ [ A ] [ B ]`."""
    lines = (message.text or "").splitlines() or [""]
    if message.kind == "document":
        lines[0] = f"📎 {message.filename or ''} {lines[0]}".rstrip()
    elif message.kind == "photo":
        lines[0] = f"🖼 {lines[0]}".rstrip()
    if message.edited:
        lines[-1] += "  " + _("(edited)")
    for row in message.buttons or ():
        lines.append(" ".join(f"[ {label} ]" for label, _data in row))
    if message.reply_keyboard:
        lines.append("⌨ " + " ".join(f"[ {label} ]" for row in message.reply_keyboard for label in row))
    return "\n      ".join(lines)


async def opening(film: Film, included: list[str], left_out: list[str]) -> None:
    """The film's own first part: what the roster holds and what the film will show. Not a feature."""
    _ = film.gettext
    t = film.t
    wards = await org.units_of_kind(film.db, "ward")
    cells = await org.units_of_kind(film.db, "cell")
    leaders = await org.current_members(film.db, [cell.id for cell in cells], [org.SECRETARY, org.DEPUTY])
    secretaries = sum(1 for _person, m in leaders if m.role == org.SECRETARY)
    deputies = sum(1 for _person, m in leaders if m.role == org.DEPUTY)
    film.scene(_("The roster"))
    film.say(_("{name}: {wards} ward and commune party committees, {cells} party cells.").format(
        name=film.ctx.config.organisation.name, wards=t.format_number(len(wards)), cells=t.format_number(len(cells))))
    film.say(_("{secretaries} cell secretaries and {deputies} deputy secretaries, all made up (seed {seed}).").format(
        secretaries=t.format_number(secretaries), deputies=t.format_number(deputies), seed=DEMO_SEED))
    film.say(_("Clock: {when} (simulated; the film does not wait in real time).").format(
        when=f"{t.format_date(film.clock.now(), 'full')}, {t.format_time(film.clock.now())}"))
    film.say(_("Parts in this film: {parts}.").format(
        parts=", ".join(part_title(name, _) for name in included) if included else _("none yet")))
    if left_out:
        film.say(_("Left out (not built yet): {parts}.").format(
            parts=", ".join(part_title(name, _) for name in left_out)))


def part_title(name: str, _) -> str:
    """A part's title: its module's TITLE (an N_() msgid) if it has one, else the known title."""
    return _(getattr(PARTS.get(name), "TITLE", None) or PART_TITLES.get(name, name))


PART_TITLES = {
    "onboarding": N_("people join"),
    "guidance": N_("the ward's guidance"),
    "reminders": N_("reminders"),
    "roll_call": N_("the two roll calls and the meeting record"),
    "zalo": N_("a secretary on Zalo"),
    "recommendations": N_("recommendations and their answers"),
    "report": N_("the ward's report before the 10th"),
}


def summary(film: Film, elapsed: float) -> None:
    _ = film.gettext
    t = film.t
    stats = film.stage.server.stats(film.token)
    film.scene(_("Summary"))
    for key, n in film.counters.items():
        film.say(f"{_(key)}: {t.format_number(n)}")
    film.say(_("Messages the bot sent: {n}").format(n=t.format_number(stats.get("sent", 0))))
    film.say(_("Requests refused for going too fast (429): {n}").format(n=t.format_number(stats.get("rate_limited", 0))))
    zalo_server = film.stage.zalo_server
    if zalo_server is not None:
        zalo_stats = zalo_server.stats(film.stage.config.zalo.token)
        film.say(_("On Zalo: {sent} messages sent, {refused} refused for going too fast.").format(
            sent=t.format_number(zalo_stats.get("sent", 0)), refused=t.format_number(zalo_stats.get("rate_limited", 0))))
    film.say(_("Real time taken: {seconds} s").format(seconds=t.format_number(round(elapsed, 1))))


async def play_demo(out: TextIO = sys.stdout, *, language: str = "vi", parts: list[str] | None = None) -> int:
    """The whole demo: stage up, opening, each part, summary, stage down. Returns the exit status."""
    started = time.monotonic()
    translator = i18n.get(language)
    included, left_out = available_parts()
    if parts is not None:
        left_out = [name for name in included + left_out if name not in parts]
        included = [name for name in included if name in parts]
    with tempfile.TemporaryDirectory(prefix="shcb-demo-") as workdir:
        clock = ManualClock(DEMO_START)
        config = Config(source="demo")
        # The film's language is the bot's default too: a Zalo user, whose app tells the bot no language,
        # is answered in it before they join.
        config.locale.default = language
        db = await Database.open(Path(workdir) / "demo.sqlite3")
        server = LocalBotApi(limits=Limits(), clock=clock, network=Network.realistic())   # 20-60 ms a call
        zalo_server = ZaloLocalApi(limits=ZaloLimits(), clock=clock, network=Network.realistic())
        stage: Stage | None = None
        try:
            await load_generated_roster(db, clock, config.organisation.name, seed=DEMO_SEED)
            await server.start()
            await zalo_server.start()
            stage = Stage(server=server, db=db, clock=clock, token=DEMO_TOKEN, config=config, zalo_server=zalo_server)
            await stage.start_app("polling")
            film = Film(stage, out, translator)
            modules = [PARTS[name] for name in included]
            await opening(film, included, left_out)
            for module in modules:
                await module.play(film)
                await film.settle()
            summary(film, time.monotonic() - started)
        finally:
            if stage is not None:
                await stage.close()
            await zalo_server.stop()
            await server.stop()
            await db.close()
    return 0
