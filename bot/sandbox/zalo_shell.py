"""`shcb shell --zalo`: the terminal shell as a Zalo user. What is printed is exactly what Zalo shows:
plain text, buttons as numbered options ("Trả lời 1, 2 hoặc 3"), a long text in parts; every line typed
is sent as text, as on Zalo (a number answers the options). The person is linked on Zalo as if they had
joined with their ward's invite code."""

from __future__ import annotations

from bot.core.i18n import cli_gettext as _
from bot.sandbox.chat_user import NoReply
from bot.sandbox.shell import HANDLED_TIMEOUT, SETTLE, Shell, role_label
from bot.sandbox.zalo_user import ZaloUser
from bot.sandbox.zaloapi import ZaloBotMessage
from storage import org


class ZaloShell(Shell):
    def _show_zalo(self, user: ZaloUser, message: ZaloBotMessage) -> None:
        if user is not self.user:
            return
        lines = (message.shown or "").splitlines() or [""]
        if message.kind == "photo":
            lines[0] = f"🖼 {message.photo or ''} {lines[0]}".rstrip()
        self.print(f"{_('bot')}: " + "\n     ".join(lines))

    async def become(self, person: org.Person) -> None:
        self.user = await self.stage.zalo_as(person, language=person.language, on_message=self._show_zalo)
        post = await self.stage.post_of(person)
        where = f" — {role_label(post[0])}, {post[1].name}" if post else ""
        self.print(_("You are now {name}{where}, on Zalo.").format(name=person.full_name, where=where))
        self.print(_("Everything you type is sent as text, as on Zalo: a number answers the numbered options. "
                     "Try /menu; /as switches person, /quit leaves."))
        await self.user.bot_messages()   # what the chat already holds (an earlier visit) is shown

    async def send_line(self, text: str, line: str) -> None:
        """Zalo has no buttons and no contact sharing: every line is a message."""
        await self.user.send(line)
        await self._await_replies()

    async def _await_replies(self) -> None:
        """Wait until the bot has handled the line, then until the chat has been still a moment."""
        try:
            await self.user.settled(timeout=HANDLED_TIMEOUT)
        except NoReply:
            pass
        await self._still(SETTLE)

    async def _still(self, settle: float) -> None:
        while await self.user.api.wait(self.user.zalo_id, len(await self.user.bot_messages()), settle):
            pass

    async def _watch(self) -> None:
        """While waiting for input, show what the bot sends on its own (reminders, notices)."""
        while True:
            await self._still(30)
