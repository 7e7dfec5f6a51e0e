"""`shcb shell`: chat with the real bot in a terminal, as any roster person, against the local Bot API
server and a local database, on real time.

The person is not joined in advance: as on Telegram, choosing them presses Start (`/start`), and they
join the way onboarding asks (typically `/contact`, which shares their own phone). Input is read line by
line, so a pipe works as well as a keyboard:

    /contact    share the person's phone (a contact carrying their own user id)
    a, b, …     press the inline button with that letter in the latest message that has buttons (any
                other text, a letter with no button included, is sent as a message)
                (a number is sent as text, as a person on Zalo would type it: the bot's typed forms
                answer a numbered question the same way as its buttons)
    /as         switch to another person          /quit   leave (end of input too)
    anything else is sent as a message
"""

from __future__ import annotations

import asyncio
import sys
from typing import Awaitable, Callable, TextIO

from bot.sandbox.chat_user import ChatUser, NoReply
from bot.core.i18n import cli, cli_gettext as _
from bot.sandbox.localapi import BotMessage
from bot.rules.phone import display_phone, normalize_phone
from bot.rules.text import fold
from bot.sandbox.stage import ROLE_LABELS, Stage
from storage import org

PAGE = 20
HANDLED_TIMEOUT = 30.0     # how long to wait for the bot to finish handling an input
SETTLE = 0.4               # then, how long the chat must stay still before the next input is read



def role_label(role: str) -> str:
    return _(ROLE_LABELS[role]) if role in ROLE_LABELS else role


async def stdin_lines() -> str | None:
    """The next line of standard input without its newline, or None at its end. Read as bytes and
    decoded leniently: a pasted line that is not valid UTF-8 keeps its readable part (� for the rest)
    instead of carrying undecodable bytes that nothing downstream can encode."""
    data = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.buffer.readline)
    return None if data == b"" else data.decode("utf-8", errors="replace").rstrip("\r\n")


def clean_line(line: str) -> str:
    """A line as a Telegram client would send it: lone surrogates (from a terminal that passed bytes
    through as `surrogateescape`) replaced, since they cannot be encoded as UTF-8."""
    return line.encode("utf-8", errors="replace").decode("utf-8")


class Shell:
    def __init__(self, stage: Stage, out: TextIO = sys.stdout,
                 read_line: Callable[[], Awaitable[str | None]] = stdin_lines, *, echo_input: bool | None = None) -> None:
        self.stage = stage
        self.out = out
        self.read_line = read_line
        # A piped session shows what was typed, so its output reads as a conversation.
        self.echo_input = (not sys.stdin.isatty()) if echo_input is None else echo_input
        self.interactive = sys.stdin.isatty() and echo_input is None
        self.user: ChatUser | None = None
        self._buttons: tuple[int, list[tuple[str, str]]] | None = None  # (message id, [(label, data)])
        self._started: set[int] = set()

    def print(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    async def _input(self, prompt: str) -> str | None:
        if self.interactive:
            print(prompt, end="", file=self.out, flush=True)
        line = await self.read_line()
        if line is not None:
            line = clean_line(line)
        if line is not None and self.echo_input:
            self.print(f"{prompt}{line}")
        return line

    # -- choosing a person -----------------------------------------------------------------------------

    def _entry(self, person: org.Person, membership: org.Membership, unit: org.Unit) -> str:
        phone = display_phone(person.phone) if person.phone else "—"
        ended = " " + _("(role ended)") if membership.valid_to else ""
        return f"{person.full_name} — {role_label(membership.role)}, {unit.name}{ended} — {phone}"

    async def everyone(self) -> list[tuple[org.Person, org.Membership, org.Unit]]:
        """Every roster person: the current ones in roster order (city staff, then each ward and its cells),
        then those whose role ended."""
        current = await self.stage.members()
        former = await org.former_members(self.stage.db)
        units = await org.get_units(self.stage.db, {membership.unit_id for _person, membership in former})
        return current + [(person, membership, units[membership.unit_id]) for person, membership in former
                          if membership.unit_id in units]

    async def choose_person(self) -> org.Person | None:
        everyone = await self.everyone()
        shown = everyone
        while True:
            self.print(_("Whom do you want to be? Type a number, or part of a name or phone number to search "
                         "(/quit to leave)."))
            for number, (person, membership, unit) in enumerate(shown[:PAGE], start=1):
                self.print(f"  {number:>2}. {self._entry(person, membership, unit)}")
            if len(shown) > PAGE:
                self.print("      " + _("… and {n} more: narrow the search.").format(
                    n=cli().format_number(len(shown) - PAGE)))
            if not shown:
                self.print("  " + _("Nobody matches."))
            line = await self._input("? ")
            if line is None or line.strip() == "/quit":
                return None
            text = line.strip()
            if text.isdigit() and 1 <= int(text) <= min(len(shown), PAGE):
                return shown[int(text) - 1][0]
            shown = self._search(everyone, text) if text else everyone

    @staticmethod
    def _search(entries, text: str):
        wanted = fold(text)
        digits = "".join(ch for ch in text if ch.isdigit())
        found = []
        for entry in entries:
            person, _membership, unit = entry
            phone = person.phone or ""
            national = "0" + phone[2:] if phone.startswith("84") else phone
            if (wanted and (wanted in fold(person.full_name) or wanted in fold(unit.name))) or (
                    digits and len(digits) >= 3 and (digits in phone or digits in national)):
                found.append(entry)
        return found

    async def person_by_phone(self, phone: str) -> org.Person | None:
        normalized = normalize_phone(phone)
        return await org.find_person_by_phone(self.stage.db, normalized) if normalized else None

    # -- chatting --------------------------------------------------------------------------------------

    def _show(self, user: ChatUser, message: BotMessage) -> None:
        if user is not self.user:
            return
        lines = (message.text or "").splitlines() or [""]
        if message.kind == "document":
            lines[0] = f"📎 {message.filename or ''} {lines[0]}".rstrip()
        elif message.kind == "photo":
            lines[0] = f"🖼 {lines[0]}".rstrip()
        label = _("bot (edited)") if message.edited else _("bot")
        self.print(f"{label}: " + "\n     ".join(lines))
        flat = [button for row in message.buttons or () for button in row]
        if flat:
            numbered = []
            index = 0
            for row in message.buttons:
                cells = []
                for text, _data in row:
                    cells.append(f"[{button_key(index)}] {text}")
                    index += 1
                numbered.append("   ".join(cells))
            self.print("     " + "\n     ".join(numbered))
            self._buttons = (message.message_id, flat)
        elif self._buttons and self._buttons[0] == message.message_id:
            self._buttons = None  # its buttons were taken away by an edit
        if message.reply_keyboard:
            keys = " ".join(f"[ {text} ]" for row in message.reply_keyboard for text in row)
            self.print(f"     ⌨ {keys}")
            if message.request_contact:
                self.print("     " + _("(type /contact to share your phone number)"))

    async def _await_replies(self) -> None:
        """Print what the bot answers: wait until it has handled the input (its answers may wait their turn
        under Telegram's pace of about one message a second to a chat), then until the chat is still."""
        assert self.user is not None
        try:
            await self.user.settled(timeout=HANDLED_TIMEOUT)
        except NoReply:
            pass   # still working after that long: what it says next is printed before the next input
        await self.user.idle(settle=SETTLE, timeout=30)

    async def become(self, person: org.Person) -> None:
        self.user = await self.stage.chat_as(person, link=False, language=person.language, started=False,
                                             on_message=self._show)
        self._buttons = None
        post = await self.stage.post_of(person)
        where = f" — {role_label(post[0])}, {post[1].name}" if post else ""
        self.print(_("You are now {name}{where}.").format(name=person.full_name, where=where))
        self.print(_("Commands: /contact shares your phone, a letter presses a button (a number is sent as "
                     "text), /as switches person, /quit leaves."))
        await self.user.flush()  # what the chat already holds (an earlier visit) is shown
        if self.user.user_id not in self._started:
            self._started.add(self.user.user_id)
            # As on Telegram: opening the bot for the first time means pressing Start.
            self.print("> /start")
            await self.user.send("/start")
            await self._await_replies()

    async def handle(self, line: str) -> bool:
        """One line of input; False when the session is over."""
        assert self.user is not None
        text = line.strip()
        if not text:
            return True
        if text == "/quit":
            return False
        if text == "/as":
            person = await self.choose_person()
            if person is None:
                return False
            await self.become(person)
            return True
        await self.send_line(text, line)
        return True

    async def send_line(self, text: str, line: str) -> None:
        """What the person typed (`text` stripped, `line` as typed), as Telegram takes it: /contact shares
        the phone, a letter presses a button, anything else is a message."""
        if text == "/contact":
            if not self.user.person.phone:
                self.print(_("This person has no phone number in the roster."))
                return
            await self.user.contact()
        elif self._buttons is not None and is_button_key(text) and button_index(text) < len(self._buttons[1]):
            message_id, buttons = self._buttons
            query_id = await self.user.press(buttons[button_index(text)][1], message=message_id)
            await self._await_replies()
            # Telegram shows the answer to a press as a small notice (e.g. "this button is out of date").
            for answer in await self.user.callback_answers():
                if answer["callback_query_id"] == query_id and answer.get("text"):
                    self.print(_("bot (notice): {text}").format(text=answer["text"]))
            return
        else:
            await self.user.send(line)
        await self._await_replies()

    async def run(self, as_phone: str | None = None) -> int:
        if as_phone:
            person = await self.person_by_phone(as_phone)
            if person is None:
                self.print(_("Nobody in the roster has the phone number {phone}.").format(phone=as_phone))
                return 2
        else:
            person = await self.choose_person()
            if person is None:
                return 0
        await self.become(person)
        while True:
            watcher = asyncio.create_task(self._watch())
            try:
                line = await self._input("> ")
            finally:
                watcher.cancel()
                await asyncio.gather(watcher, return_exceptions=True)
            if line is None or not await self.handle(line):
                return 0

    async def _watch(self) -> None:
        """While waiting for input, show what the bot sends on its own (reminders, notices)."""
        assert self.user is not None
        while True:
            await self.user.idle(settle=30, timeout=30)


# Buttons are pressed by letter, not by number: numbers are what the bot's typed forms take ("5" is day 5,
# member 5, option 5), so a number typed in the shell reaches the bot as text, exactly as on Zalo.
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def button_key(index: int) -> str:
    """a … z, then aa, ab, … (an inline keyboard has at most 100 buttons)."""
    if index < len(_LETTERS):
        return _LETTERS[index]
    return _LETTERS[index // len(_LETTERS) - 1] + _LETTERS[index % len(_LETTERS)]


def is_button_key(text: str) -> bool:
    return 1 <= len(text) <= 2 and all(ch in _LETTERS for ch in text.lower())


def button_index(key: str) -> int:
    key = key.lower()
    if len(key) == 1:
        return _LETTERS.index(key)
    return (_LETTERS.index(key[0]) + 1) * len(_LETTERS) + _LETTERS.index(key[1])
