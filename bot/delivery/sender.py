"""The outbox sender: the one door out for every message the bot sends on its own (guidance, reminders,
notices). It works through the `outbox` table (storage/outbox.py):

- Claims due rows (pending, `not_before` passed by the clock) by marking them 'sending' in one
  transaction before anything is sent, and marks each 'sent' (with its message id) right after the send.
  A row's split parts are recorded as they go. So a crash repeats at most the message in flight, and a
  normal stop repeats nothing (claimed rows not yet sent go back to pending).
- Sends each row through the bot of its platform: Telegram rows through its own Bot on the Telegram token,
  another platform's (Zalo) through `application.bot_data["channels"][platform]`, set by the wiring. A
  row of a platform with no channel in this process is not claimed: it waits, pending, with a warning.
- Takes each send's turn from that token's one send budget (bot/delivery/pacing.py; the Zalo token's
  figures are `[zalo]`'s), which it shares with that application's direct replies; those go first,
  so a broadcast yields to a person being answered.
- 429 (RetryAfter): everything on that channel waits `retry_after`, then the same message is tried again
  (never dropped); the other channel goes on.
  Network errors: tried again later with exponential back-off (`not_before`), up to `max_attempts`, then
  'failed'. 403 (blocked, deleted): 'unreachable', and the account is marked unreachable. 400: 'failed'
  with Telegram's description.
- Renders a payload {"text", "parse_mode", "buttons", "attachments"}: the text split at paragraph
  boundaries when longer than Telegram allows, then each document or photo; the buttons go on the last
  message. A file sent by path is uploaded once: the other recipients get its file_id.

One sender runs per database at a time (an OS file lock beside the database file, released by the
kernel even on kill -9): the running bot's background sender, or `drain()` from a command.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Awaitable, Callable, Mapping

import httpx
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.core.context import AppContext
from bot.delivery import guidance_delivery
from bot.delivery.http import AiohttpRequest, never_sent, tls_context
from bot.delivery.in_flight import InFlightLimit
from bot.delivery.pacing import budget_of_bot
from bot.delivery.rate_limit import retry_seconds
from bot.rules.text_split import TELEGRAM_TEXT_LIMIT, split_text, visible_length, visible_text
from storage import accounts, codec, outbox

log = logging.getLogger(__name__)

CAPTION_LIMIT = 1024
CLAIM_BATCH = 50
# What to do when every copy of a ref has settled: kind → module with `async on_settled(ctx, ref)`, and
# `async unsettled_refs(ctx)` naming the refs a process that died may have left without it.
SETTLED_HOOKS = {"guidance": guidance_delivery}


# --- What one outbox row becomes ----------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One Telegram message of a payload."""
    kind: str                           # 'text', 'document' or 'photo'
    text: str | None                    # the text, or the caption
    parse_mode: str | None
    attachment: dict[str, Any] | None = None
    buttons: list[list[dict[str, str]]] | None = None


@functools.lru_cache(maxsize=32)   # a broadcast renders the same text for hundreds of recipients
def _text_chunks(text: str, is_html: bool) -> tuple[str, ...]:
    return tuple(chunk for chunk in split_text(text, TELEGRAM_TEXT_LIMIT, is_html=is_html)
                 if visible_text(chunk, is_html).strip())   # Telegram refuses a blank message


def plan(payload: dict[str, Any]) -> list[Part]:
    """The messages a payload is sent as, in order: the text (split when too long), then each attachment;
    the inline buttons on the last one."""
    parse_mode = payload.get("parse_mode")
    parts: list[Part] = []
    text = payload.get("text") or ""
    for chunk in _text_chunks(text, parse_mode == "HTML") if text else ():
        parts.append(Part("text", chunk, parse_mode))
    for attachment in payload.get("attachments") or []:
        caption = attachment.get("caption")
        caption_mode = attachment.get("parse_mode")
        if caption and visible_length(caption, caption_mode == "HTML") > CAPTION_LIMIT:
            parts.extend(Part("text", chunk, caption_mode) for chunk in
                         split_text(caption, TELEGRAM_TEXT_LIMIT, is_html=caption_mode == "HTML"))
            caption = None
        parts.append(Part(attachment["kind"], caption, caption_mode, attachment))
    buttons = payload.get("buttons")
    if buttons and parts:
        last = parts[-1]
        parts[-1] = Part(last.kind, last.text, last.parse_mode, last.attachment, buttons)
    return parts


def keyboard(buttons: list[list[dict[str, str]]] | None) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(b["text"], callback_data=b.get("callback_data"), url=b.get("url")) for b in row]
        for row in buttons
    ])


# --- Pacing (the budget itself is bot/delivery/pacing.py, shared with the application) ---------------------


class ChatLocks:
    """One outbox row per chat at a time, so that a chat's messages go in their order."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}

    def lock(self, chat_id: str) -> asyncio.Lock:
        if len(self._locks) > 5000:   # forget idle chats
            for chat in [c for c, lock in self._locks.items() if not lock.locked()]:
                self._locks.pop(chat, None)
        return self._locks.setdefault(chat_id, asyncio.Lock())


# --- One sender per database -------------------------------------------------------------------------------


class SenderLock:
    """An exclusive flock on `<database>.sender.lock`: held while sending, freed by the kernel when the
    process dies however it dies."""

    def __init__(self, db_path: str) -> None:
        self.path = None if db_path in ("", ":memory:") else f"{db_path}.sender.lock"
        self._handle = None

    def acquire(self) -> bool:
        if self.path is None or self._handle is not None:
            return True
        handle = open(self.path, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._handle = handle
        return True

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


# --- The sender ----------------------------------------------------------------------------------------------


@dataclass
class DrainReport:
    ran: bool                      # False: another process holds the sender lock (it will send)
    # sent, failed, unreachable, retried, rate_limited, uploads, and possible_duplicates: retries after a
    # time-out that may have reached Telegram (the person may have that message twice)
    counts: Counter = field(default_factory=Counter)
    most_in_flight: int = 0        # the most sends that were under way at once (bot/delivery/in_flight.py)


class Sender:
    def __init__(self, bot: Any, ctx: AppContext, channels: Callable[[], Mapping[str, Any]] | None = None) -> None:
        """`bot`: the Telegram one. `channels`: the other platforms' bots as they are now (read at every
        pass: the wiring may add a channel after the sender started)."""
        self.bot = bot
        self.ctx = ctx
        self.config = ctx.config.sender
        self.budget = budget_of_bot(bot, self.config)   # the token's one budget, shared with the application
        self._channels = channels or dict
        # As few rows under way at once as keep Telegram's pace (each is a possible duplicate on a kill).
        self.in_flight = InFlightLimit(self.config.max_in_flight, lambda: self.budget.interval)
        self._warned_no_channel: dict[str, int] = {}
        self.chats = ChatLocks()
        self.counts: Counter = Counter()
        self.lock = SenderLock(ctx.db.path)
        self._file_ids: dict[tuple[str, str, str], str] = {}        # (bot token, kind, path) → file_id
        self._upload_locks: dict[tuple[str, str, str], asyncio.Lock] = {}
        self._wake = asyncio.Event()
        self._stopping = False
        self._settled_candidates: set[str] = set()
        self._task: asyncio.Task | None = None
        self._sent_marks: list[tuple[tuple, asyncio.Future]] = []
        self.passes = 0                      # full looks at the outbox so far (tests wait on the next one)
        self._passed = asyncio.Condition()
        self._mark_task: asyncio.Task | None = None

    # -- the background service --

    def wake(self) -> None:
        """New rows were queued: look now rather than at the next poll."""
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run_forever(), name="shcb.sender")

    async def stop(self) -> None:
        """Finish the messages being sent, put the other claimed rows back, let go of the lock."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.lock.release()

    async def _run_forever(self) -> None:
        poll = max(self.config.poll_seconds, 0.05)
        warned = False
        while not self._stopping:
            if not self.lock.acquire():
                if not warned:
                    log.info("another process is sending from this database; waiting for it to finish")
                    warned = True
                await self._sleep(poll)
                continue
            try:
                await self.recover()
                break
            except Exception:
                log.exception("outbox recovery failed")
                await self._sleep(poll)
        while not self._stopping:
            self._wake.clear()
            try:
                await self.send_due()
                await self.settle()
            except Exception:
                log.exception("the outbox sender failed; trying again shortly")
            async with self._passed:
                self.passes += 1
                self._passed.notify_all()
            await self._sleep(poll)

    async def next_pass(self, timeout: float = 5.0) -> None:
        """Wake the sender and wait until it has looked at the whole outbox once more (and sent whatever
        was due): after it, "nothing was sent" means nothing was due — no sleeping needed to say so."""
        async with self._passed:
            wanted = self.passes + 2  # the pass under way may have begun before the caller's change
            self.wake()
            await asyncio.wait_for(self._passed.wait_for(lambda: self.passes >= wanted or self._stopping), timeout)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    # -- the channels --

    def bots(self) -> dict[str, Any]:
        """platform → the Bot its rows are sent through (Telegram always; others when configured)."""
        found = {platform: bot for platform, bot in self._channels().items() if bot is not None}
        found[accounts.TELEGRAM] = self.bot
        return found

    def budget_of(self, platform: str, bot: Any):
        """The send budget of that platform's token."""
        if platform == accounts.TELEGRAM:
            return self.budget
        return budget_of_bot(bot, self.ctx.config.pacing_for(platform))

    async def _warn_without_channel(self, platforms: list[str]) -> None:
        """Rows waiting for a platform this process has no channel for: said once per platform (again
        when more come), never dropped nor failed."""
        waiting = await outbox.due_elsewhere(self.ctx.db, codec.instant(self.ctx.clock.now()), platforms)
        for platform, count in waiting.items():
            if count > self._warned_no_channel.get(platform, 0):
                log.warning("%d message(s) for %s wait: no %s channel is configured in this process",
                            count, platform, platform)
            self._warned_no_channel[platform] = count
        for platform in [p for p in self._warned_no_channel if p not in waiting]:
            del self._warned_no_channel[platform]

    # -- working through the due rows --

    async def send_due(self) -> int:
        """Send every row that is due, claiming them in batches, until none is due. Returns how many rows
        were handled."""
        handled = 0
        # Rows being worked on: each waits for its chat's room, then for one of the few slots under way.
        batch = max(CLAIM_BATCH, 2 * self.config.max_in_flight)
        working = asyncio.Semaphore(batch)
        tasks: set[asyncio.Task] = set()
        bots = self.bots()
        platforms = sorted(bots)
        await self._warn_without_channel(platforms)
        try:
            while not self._stopping:
                now = codec.instant(self.ctx.clock.now())
                rows = await outbox.claim_due(self.ctx.db, now, batch, platforms=platforms)
                if not rows:
                    break
                for position, row in enumerate(rows):
                    await working.acquire()
                    if self._stopping:
                        working.release()
                        await outbox.release(self.ctx.db, [r.id for r in rows[position:]])
                        break
                    task = asyncio.create_task(self._deliver(row, bots[row.platform]))
                    tasks.add(task)
                    task.add_done_callback(lambda t: (tasks.discard(t), working.release()))
                    handled += 1
        finally:
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
        return handled

    async def _deliver(self, row: outbox.OutboxRow, bot: Any) -> None:
        try:
            async with self.chats.lock(f"{row.platform}:{row.chat_id}"):
                await self._deliver_row(row, bot)
        except Exception as error:   # a bug or a broken payload: never leave the row in 'sending'
            log.exception("outbox row %s could not be sent", row.id)
            await self._finish(row, "failed", f"{type(error).__name__}: {error}")

    async def _deliver_row(self, row: outbox.OutboxRow, bot: Any) -> None:
        budget = self.budget_of(row.platform, bot)
        parts = plan(row.payload)
        if not parts:
            await self._finish(row, "failed", "empty message")
            return
        index = row.parts_sent
        first_id: str | None = row.message_id
        if index >= len(parts):   # every part went before (a payload changed since?): only the record is left
            await self._record_sent(row.id, first_id, index)
        while index < len(parts):
            if self._stopping:
                # Stopping (before this row or between two parts): the next run resumes after the parts
                # recorded as sent.
                await outbox.release(self.ctx.db, [row.id])
                return
            # A slot from the turn to the record (not while the chat's room is awaited: the other chats go on).
            async with self.in_flight.slot() as slot:
                try:
                    await budget.acquire(row.chat_id, interactive=False, before_turn=slot.take)
                    slot.turn_came()
                    message = await self._send_part(row.chat_id, parts[index], bot=bot)
                    budget.went_through()
                except RetryAfter as error:
                    seconds = retry_seconds(error)
                    self.counts["rate_limited"] += 1
                    log.warning("%s asked to wait %.1f s (flood control); message %s waits", row.platform, seconds,
                                row.id)
                    budget.flood_wait(seconds, row.chat_id)
                    continue
                except Forbidden as error:
                    await self._finish(row, "unreachable", error.message)
                    account = await self._account_for(row)
                    if account is not None:
                        await accounts.set_unreachable(self.ctx.db, account.id)
                    return
                except BadRequest as error:   # (a subclass of NetworkError: caught first)
                    await self._finish(row, "failed", error.message)
                    return
                except (NetworkError, TelegramError) as error:
                    await self._retry_later(row, error)
                    return
                index += 1
                message_id = str(message.message_id)
                first_id = first_id or message_id
                if index < len(parts):
                    await outbox.mark_part_sent(self.ctx.db, row.id, index, message_id)
                else:
                    await self._record_sent(row.id, first_id, index)
                slot.recorded()
        self.counts["sent"] += 1
        self._note_settled(row)

    async def _record_sent(self, row_id: int, message_id: str | None, parts_sent: int) -> None:
        """Mark a row sent, sharing one commit with the rows whose sends finished meanwhile (a group
        commit: each row is still recorded in the first commit after its send, and only then does its
        worker move on)."""
        done = asyncio.get_running_loop().create_future()
        self._sent_marks.append(((row_id, message_id, parts_sent, codec.instant(self.ctx.clock.now())), done))
        if self._mark_task is None or self._mark_task.done():
            self._mark_task = asyncio.create_task(self._flush_marks())
        await done

    async def _flush_marks(self) -> None:
        while self._sent_marks:
            batch, self._sent_marks = self._sent_marks, []
            try:
                await outbox.mark_sent_many(self.ctx.db, [item for item, _done in batch])
            except Exception as error:
                for _item, done in batch:
                    done.set_exception(error)
            else:
                for _item, done in batch:
                    done.set_result(None)

    async def _send_part(self, chat_id: str, part: Part, bot: Any = None) -> Message:
        bot = bot or self.bot
        markup = keyboard(part.buttons)
        if part.kind == "text":
            return await bot.send_message(chat_id, part.text, parse_mode=part.parse_mode, reply_markup=markup)
        attachment = part.attachment or {}
        file_id = attachment.get("file_id")
        path = attachment.get("path")
        key = (bot.token, part.kind, path or "")
        if file_id is None and path is not None:
            lock = self._upload_locks.setdefault(key, asyncio.Lock())
            async with lock:   # the first recipient uploads; the others reuse its file_id
                file_id = self._file_ids.get(key)
                if file_id is None:
                    data = await asyncio.to_thread(Path(path).read_bytes)   # a large file: not in the event loop
                    upload = InputFile(data, filename=attachment.get("filename") or Path(path).name)
                    message = await self._send_file(bot, chat_id, part, upload, markup)
                    file_id = _file_id_of(message, part.kind)
                    if file_id is not None:   # a channel without files (Zalo) has none to reuse
                        self._file_ids[key] = file_id
                    self.counts["uploads"] += 1
                    return message
        if file_id is None:
            raise ValueError("attachment without file_id or path")
        return await self._send_file(bot, chat_id, part, file_id, markup)

    @staticmethod
    async def _send_file(bot: Any, chat_id: str, part: Part, document: Any, markup) -> Message:
        if part.kind == "photo":
            return await bot.send_photo(chat_id, document, caption=part.text, parse_mode=part.parse_mode,
                                        reply_markup=markup)
        return await bot.send_document(chat_id, document, caption=part.text, parse_mode=part.parse_mode,
                                       reply_markup=markup)

    async def _retry_later(self, row: outbox.OutboxRow, error: Exception) -> None:
        description = f"{type(error).__name__}: {error}"
        if row.attempts >= self.config.max_attempts:
            await self._finish(row, "failed", description)
            return
        delay = self.config.retry_base_seconds * (2 ** (row.attempts - 1))
        not_before = codec.instant(self.ctx.clock.now() + timedelta(seconds=delay))
        if may_have_arrived(error):
            # At least once: the message is sent again, and the person may get it twice — once per such
            # fault at most, since only the part in flight is repeated (the parts before are recorded).
            description += " (it may have reached Telegram: sent again, so it may arrive twice)"
            self.counts["possible_duplicates"] += 1
        log.warning("message %s to chat %s: %s; trying again in %.0f s (attempt %d of %d)", row.id, row.chat_id,
                    description, delay, row.attempts, self.config.max_attempts)
        await outbox.mark_retry(self.ctx.db, row.id, not_before=not_before, error=description)
        self.counts["retried"] += 1

    async def _finish(self, row: outbox.OutboxRow, status: str, error: str) -> None:
        log.warning("message %s to chat %s: %s (%s)", row.id, row.chat_id, status, error)
        await outbox.mark_final(self.ctx.db, row.id, status, error)
        self.counts[status] += 1
        self._note_settled(row)

    async def _account_for(self, row: outbox.OutboxRow):
        if row.person_id is not None:
            account = await accounts.get_for_person(self.ctx.db, row.person_id, platform=row.platform)
            if account is not None:
                return account
        return await accounts.get_by_external(self.ctx.db, row.chat_id, platform=row.platform)

    # -- when every copy of something has settled --

    def _note_settled(self, row: outbox.OutboxRow) -> None:
        if row.ref and row.kind in SETTLED_HOOKS:
            self._settled_candidates.add(row.ref)

    async def recover(self) -> None:
        """At start, holding the lock: rows a dead process left 'sending' go back to pending, and refs it
        may have left unsettled are looked at again."""
        recovered = await outbox.recover_in_flight(self.ctx.db)
        if recovered:
            log.warning("%d message(s) were being sent when the last run stopped: sending them again", recovered)
        for module in SETTLED_HOOKS.values():
            self._settled_candidates.update(await module.unsettled_refs(self.ctx))

    async def settle(self) -> None:
        """Run the hook of each ref whose copies have all settled (e.g. report a guidance's results)."""
        for ref in sorted(self._settled_candidates):
            if await outbox.open_count(self.ctx.db, ref):
                continue
            self._settled_candidates.discard(ref)
            hook = _hook(ref.split(":", 1)[0])
            if hook is None:
                continue
            try:
                await hook(self.ctx, ref)
            except Exception:
                log.exception("the settled hook for %s failed", ref)
            self.wake()   # the hook may have queued a report


def _pacing_of(ctx: AppContext, bot: Any):
    """The budget figures of a bot's token: those of the running sender's channel on that token
    ([zalo]'s rates for Zalo's), else [sender] (Telegram's)."""
    sender: Sender | None = ctx.extras.get("sender")
    channels = sender.bots() if sender is not None else {}
    platform = next((name for name, known in channels.items() if known.token == bot.token), accounts.TELEGRAM)
    return ctx.config.pacing_for(platform)


def _hook(kind: str) -> Callable[[AppContext, str], Awaitable[None]] | None:
    module = SETTLED_HOOKS.get(kind)
    return module.on_settled if module else None


def may_have_arrived(error: Exception) -> bool:
    """Whether a failed request may still have reached Telegram: a time-out or a broken connection after
    it was written. Not when the connection was never made or no connection was free (python-telegram-bot
    keeps the HTTP library's error as the cause: aiohttp's for Telegram, httpx's for Zalo)."""
    if not isinstance(error, NetworkError) or isinstance(error, BadRequest):
        return False
    cause = error.__cause__
    if never_sent(cause) or isinstance(cause, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
        return False
    if isinstance(error, TimedOut) and cause is None:
        return "Pool timeout" not in error.message
    return True


def _file_id_of(message: Message, kind: str) -> str | None:
    if kind == "photo":
        return message.photo[-1].file_id if message.photo else None
    return message.document.file_id if message.document else None


# --- Entry points ----------------------------------------------------------------------------------------


def own_bot(token: str, ctx: AppContext) -> Any:
    """A plain Bot for the sender, on the same token and server as the application's, so on the same send
    budget (pacing.py) — where the sender's turns are the broadcast's, after any interactive reply. Not
    the application's own Bot: its rate limiter takes interactive turns and retries 429s itself, where the
    sender retries a message in its own way (and records it)."""
    from telegram import Bot

    telegram_config = ctx.config.telegram
    return Bot(token, base_url=telegram_config.base_url or "https://api.telegram.org/bot",
               base_file_url=telegram_config.base_file_url or "https://api.telegram.org/file/bot",
               request=AiohttpRequest(max(4, ctx.config.sender.max_in_flight + 2), ssl_context=tls_context(),
                                      **telegram_config.request_timeouts()))


async def start(application: Any, ctx: AppContext) -> None:
    """Start the background sender of a running bot (called by bot/app.py after initialize)."""
    bot = own_bot(application.bot.token, ctx)
    try:
        await bot.initialize()
    except BaseException:
        await bot.request.shutdown()   # (PTB closes a bot's connections only once it has started)
        raise
    sender = Sender(bot, ctx, channels=lambda: getattr(application, "bot_data", {}).get("channels", {}))
    ctx.extras["sender"] = sender
    ctx.wake_sender = sender.wake
    sender.start()


async def stop(application: Any, ctx: AppContext) -> None:
    sender = ctx.extras.pop("sender", None)
    if sender is not None:
        ctx.wake_sender = lambda: None
        try:
            await sender.stop()
        finally:
            await sender.bot.shutdown()


async def drain(bot: Any, ctx: AppContext, *, until_empty: bool = True) -> DrainReport:
    """Send what is due from a command (`shcb broadcast`, `shcb tick`) with an initialised `telegram.Bot`,
    paced like the bot's own sender. With `until_empty`, also waits for messages in network-error
    back-off until they are sent or failed (not for ones scheduled later). If another process (a running
    bot) holds the sender lock, returns at once with `ran=False`: that process sends them."""
    sender = Sender(bot, ctx)   # Telegram only: another channel's rows wait for the running bot
    if not sender.lock.acquire():
        return DrainReport(ran=False)
    try:
        await sender.recover()
        while True:
            await sender.send_due()
            await sender.settle()
            if not until_empty or not await outbox.waiting_retries(ctx.db, platforms=sorted(sender.bots())):
                break
            before = ctx.clock.now()
            await asyncio.sleep(await _until_next_due(ctx, sender.config.poll_seconds, sorted(sender.bots())))
            if ctx.clock.now() == before:
                break   # a stopped clock (`shcb tick --now`): the retries stay queued for the bot
        await sender.send_due()   # whatever the settled hooks queued (e.g. a report to the author)
        return DrainReport(ran=True, counts=sender.counts, most_in_flight=sender.in_flight.widest)
    finally:
        sender.lock.release()


async def _until_next_due(ctx: AppContext, poll: float, platforms: list[str]) -> float:
    due = await outbox.next_due(ctx.db, platforms=platforms)
    if due is None:
        return poll
    wait = (codec.parse_instant(due) - ctx.clock.now()).total_seconds()
    return min(max(wait, 0.05), poll)


async def send_now(ctx: AppContext, bot: Any, chat_id: str | int, payload: dict[str, Any]) -> list[Message]:
    """Send a payload straight away (a reply to a person's own action, e.g. a preview), rendered exactly as
    the outbox would send it, but not recorded. Paced as an interactive request of the token's budget: by
    the application's rate limiter when `bot` has one (the handlers' `update.get_bot()`), else here."""
    sender: Sender | None = ctx.extras.get("sender")
    renderer = sender if sender is not None else Sender(bot, ctx)
    paced_by_bot = getattr(bot, "rate_limiter", None) is not None
    budget = None if paced_by_bot else budget_of_bot(bot, _pacing_of(ctx, bot))
    chat = str(chat_id)
    sent: list[Message] = []
    for part in plan(payload):
        while True:
            if not paced_by_bot:
                await budget.acquire(chat, interactive=True)
            try:
                sent.append(await renderer._send_part(chat, part, bot=bot))
            except RetryAfter as error:
                if paced_by_bot:
                    raise   # the rate limiter has already retried it
                budget.flood_wait(retry_seconds(error), chat)
                continue
            break
    return sent
