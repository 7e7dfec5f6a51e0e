"""The adapter: a python-telegram-bot request object that speaks Zalo.

The Zalo Application's `Bot` believes it talks to a Bot API server. Each call it makes (getMe,
getUpdates, sendMessage, editMessageText, answerCallbackQuery, sendDocument, …) arrives here as an HTTP
request; `ZaloRequest` makes the Zalo Bot Platform calls that mean the same (through httpx, as PTB's own
`HTTPXRequest`, whose timeouts and network errors it keeps) and answers with the Telegram-shaped JSON
PTB expects. What the person is shown is decided by plain functions (render.py, updates.py); what must
survive a restart (local ids, each message and its options, the update_id sequence) is written to
SQLite (storage/zalo.py) as it happens.

Errors as PTB raises them: Zalo's 401 → InvalidToken; 429 → RetryAfter after a growing back-off
(backoff.py); a Zalo refusal → BadRequest with Zalo's description; network trouble → NetworkError or
TimedOut (from HTTPXRequest). Methods Zalo has no use for (setMyCommands, deleteMessage, …) succeed here
without a call; methods with no meaning on Zalo answer BadRequest.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, replace
from typing import Any, Awaitable, Callable

from telegram.request import HTTPXRequest, RequestData
from telegram.request._requestparameter import RequestParameter

from bot.channels.zalo import render, updates
from bot.channels.zalo.backoff import Backoff
from bot.channels.zalo.budget import zalo_budget
from bot.core import i18n
from bot.core.context import AppContext
from storage import accounts, codec, org, zalo

log = logging.getLogger(__name__)

# Calls that only make sense on Telegram's side of things: answered "done" without asking Zalo.
_NOTHING_TO_DO = frozenset({
    "setMyCommands", "deleteMyCommands", "setChatMenuButton", "setMyDescription", "setMyShortDescription",
    "setMyName", "close", "logOut",
})


# Tries of the second and later parts of a long text after a 429 (the back-off grows between them).
LATER_PART_ATTEMPTS = 4


class ZaloError(Exception):
    """A Zalo answer to pass on to PTB as a Bot API error."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


class Intake:
    """The Zalo updates an application took and the update ids it gave them (shared by its requests):
    how the stage knows the bot is done with what a person did, a refused number included."""

    def __init__(self) -> None:
        self.taken = 0
        self.update_ids: list[int] = []
        self._changed = asyncio.Condition()

    async def record(self, update_ids: list[int]) -> None:
        async with self._changed:
            self.taken += 1
            self.update_ids += update_ids
            self._changed.notify_all()

    async def wait_taken(self, count: int, timeout: float) -> bool:
        async def enough() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: self.taken >= count)
        try:
            await asyncio.wait_for(enough(), timeout)
            return True
        except TimeoutError:
            return False


@dataclass
class _Call:
    base: str          # "<base_url><token>": what PTB put before the method name
    params: dict[str, Any]
    files: dict[str, Any] | None
    timeouts: dict[str, Any]


def _error_code(body: dict[str, Any]) -> int:
    try:
        return int(body.get("error_code") or 400)
    except (TypeError, ValueError):
        return 400


def _prefixed(kind: str, description: str) -> str:
    """Telegram's way of saying it ("Bad Request: chat not found"), without saying it twice."""
    return description if description.lower().startswith(kind.lower()) else f"{kind}: {description}"


def _answer(result: Any) -> tuple[int, bytes]:
    return 200, json.dumps({"ok": True, "result": result}, ensure_ascii=False).encode()


def _error(error: ZaloError) -> tuple[int, bytes]:
    body: dict[str, Any] = {"ok": False, "error_code": error.status, "description": error.description}
    if error.retry_after:
        body["parameters"] = {"retry_after": error.retry_after}
    return error.status, json.dumps(body, ensure_ascii=False).encode()


class ZaloRequest(HTTPXRequest):
    """One per Bot request slot (the Application's calls, its getUpdates); all of them share `ctx`'s
    database, so they agree on ids and option lists."""

    def __init__(self, ctx: AppContext, *, backoff: Backoff | None = None, intake: Intake | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ctx = ctx
        self.backoff = backoff or Backoff()
        self.intake = intake or Intake()
        self.me: dict[str, Any] | None = None
        self._methods: dict[str, Callable[[_Call], Awaitable[Any]]] = {
            "getMe": self._get_me, "getUpdates": self._get_updates, "sendMessage": self._send_message,
            "editMessageText": self._edit_text, "editMessageReplyMarkup": self._edit_markup,
            "answerCallbackQuery": self._answer_callback, "sendDocument": self._send_document,
            "sendPhoto": self._send_photo, "sendChatAction": self._send_chat_action,
            "deleteWebhook": self._delete_webhook, "setWebhook": self._set_webhook,
            "getWebhookInfo": self._get_webhook_info, "deleteMessage": self._delete_message,
            "getMyCommands": self._get_my_commands,
        }

    # -- the PTB side ----------------------------------------------------------------------------------

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout=HTTPXRequest.DEFAULT_NONE, write_timeout=HTTPXRequest.DEFAULT_NONE,
                         connect_timeout=HTTPXRequest.DEFAULT_NONE,
                         pool_timeout=HTTPXRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        base, _sep, name = url.rpartition("/")
        call = _Call(base, dict(request_data.parameters) if request_data else {},
                     request_data.multipart_data if request_data and request_data.contains_files else None,
                     {"read_timeout": read_timeout, "write_timeout": write_timeout,
                      "connect_timeout": connect_timeout, "pool_timeout": pool_timeout})
        if name in _NOTHING_TO_DO:
            return _answer(True)
        handler = self._methods.get(name)
        if handler is None:
            log.warning("Zalo has no %s: refused", name)
            return _error(ZaloError(400, f"Bad Request: {name} is not available on Zalo"))
        try:
            return _answer(await handler(call))
        except ZaloError as error:
            return _error(error)

    # -- the Zalo side ---------------------------------------------------------------------------------

    async def _zalo(self, call: _Call, method: str, params: dict[str, Any], *, quiet: tuple[int, ...] = ()) -> Any:
        """Call Zalo; its result, or ZaloError. Statuses in `quiet` answer None instead (a long poll's 408)."""
        data = RequestData([RequestParameter(key, value, []) for key, value in params.items() if value is not None])
        status, content = await super().do_request(f"{call.base}/{method}", "POST", data, **call.timeouts)
        try:
            body = json.loads(content.decode("utf-8")) if content else {}
        except (UnicodeDecodeError, ValueError):
            body = {}
        if not isinstance(body, dict):
            body = {}
        code = status if status >= 300 else 0 if body.get("ok", True) else _error_code(body)
        if not code:
            self.backoff.went_through()
            return body.get("result")
        if code in quiet:
            return None
        description = str(body.get("description") or f"Zalo error {code}")
        if code == 429:
            wait = self.backoff.quota_exceeded()
            log.warning("Zalo: quota exceeded (%s); holding back %s s", method, wait)
            raise ZaloError(429, f"Too Many Requests: {description}", retry_after=wait)
        if code == 401 or (code == 404 and method == "getMe"):   # a bad or reset token
            raise ZaloError(401, _prefixed("Unauthorized", description))
        if code == 403:
            raise ZaloError(403, _prefixed("Forbidden", description))
        if 400 <= code < 500:
            raise ZaloError(400, _prefixed("Bad Request", description))
        raise ZaloError(code, description)

    # -- who and where -------------------------------------------------------------------------------

    def _now(self) -> str:
        return codec.instant(self.ctx.clock.now())

    async def _translator(self, chat_id: int) -> i18n.Translator:
        """The person's language: their own, else their account's, else the configured default."""
        account = await accounts.get_by_external(self.ctx.db, str(chat_id), platform=accounts.ZALO)
        language = account.language if account else None
        if account is not None and account.person_id is not None:
            person = await org.get_person(self.ctx.db, account.person_id)
            if person is not None:
                language = person.language
        return i18n.get(language or self.ctx.config.locale.default)

    async def _target(self, params: dict[str, Any]) -> tuple[int, str]:
        """(local chat id, Zalo chat id) of the call's chat_id."""
        chat_id = params.get("chat_id")
        zalo_id = await zalo.zalo_id(self.ctx.db, chat_id)
        if zalo_id is None:
            raise ZaloError(400, "Bad Request: chat not found")
        return int(chat_id), zalo_id

    def _bot_user(self) -> dict[str, Any]:
        return dict(self.me or {"id": 0, "is_bot": True, "first_name": "bot"})

    def _message(self, chat_id: int, text: str | None, source: dict[str, Any]) -> dict[str, Any]:
        """A Telegram-shaped message of the bot; `_source` keeps what the handlers asked for (an edit of
        the keyboard alone shows the same text again)."""
        message: dict[str, Any] = {"message_id": 0, "date": int(self.ctx.clock.now().timestamp()),
                                   "chat": {"id": chat_id, "type": "private"}, "from": self._bot_user()}
        if text:
            message["text"] = text
        markup = source.get("reply_markup")
        if isinstance(markup, dict) and markup.get("inline_keyboard"):
            message["reply_markup"] = {"inline_keyboard": markup["inline_keyboard"]}
        message["_source"] = source
        return message

    @staticmethod
    def _public(message: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in message.items() if key != "_source"}

    async def _send_parts(self, call: _Call, zalo_chat: str, parts: list[str]) -> None:
        """Send the parts in order. A 429 on the first part goes back to PTB (RetryAfter: nothing was sent,
        the whole call is retried); on a later part the wait is kept here, or the retry would send the
        first parts twice."""
        for index, part in enumerate(parts):
            for attempt in range(LATER_PART_ATTEMPTS):
                try:
                    await self._zalo(call, "sendMessage", {"chat_id": zalo_chat, "text": part})
                    break
                except ZaloError as error:
                    if index == 0 or error.retry_after is None or attempt == LATER_PART_ATTEMPTS - 1:
                        raise
                    await asyncio.sleep(error.retry_after)

    # -- the methods ---------------------------------------------------------------------------------

    async def _get_me(self, call: _Call) -> dict[str, Any]:
        result = await self._zalo(call, "getMe", {}) or {}
        raw_id = result.get("id", 0)
        try:
            bot_id = int(raw_id)
        except (TypeError, ValueError):
            bot_id = await zalo.local_id(self.ctx.db, f"bot:{raw_id}", self._now())
        name = str(result.get("display_name") or result.get("account_name") or "Zalo bot")
        self.me = {"id": bot_id, "is_bot": True, "first_name": name,
                   "username": str(result.get("account_name") or name).replace(" ", "_")}
        return self.me

    async def _delete_webhook(self, call: _Call) -> bool:
        await self._zalo(call, "deleteWebhook", {})
        return True

    async def _set_webhook(self, call: _Call) -> bool:
        await self._zalo(call, "setWebhook", {"url": call.params.get("url"),
                                              "secret_token": call.params.get("secret_token")})
        return True

    async def _get_webhook_info(self, call: _Call) -> dict[str, Any]:
        result = await self._zalo(call, "getWebhookInfo", {}) or {}
        return {"url": str(result.get("url") or ""), "has_custom_certificate": False, "pending_update_count": 0}

    async def _get_my_commands(self, call: _Call) -> list:
        return []

    async def _delete_message(self, call: _Call) -> bool:
        # Zalo cannot delete; the message stays, but its options no longer answer anything.
        try:
            await zalo.forget_options_of(self.ctx.db, int(call.params.get("message_id")))
        except (TypeError, ValueError):
            pass
        return True

    async def _send_chat_action(self, call: _Call) -> bool:
        _chat, zalo_chat = await self._target(call.params)
        await self._zalo(call, "sendChatAction", {"chat_id": zalo_chat, "action": "typing"})
        return True

    async def _send_message(self, call: _Call) -> dict[str, Any]:
        chat_id, zalo_chat = await self._target(call.params)
        source = {key: call.params.get(key) for key in ("text", "parse_mode", "reply_markup")}
        return await self._show(call, chat_id, zalo_chat, source)

    async def _show(self, call: _Call, chat_id: int, zalo_chat: str, source: dict[str, Any], *,
                    keep_options: bool = False, body: str | None = None) -> dict[str, Any]:
        """Record and send a new message for `source` (text, parse_mode, reply_markup). Recorded first: the
        person may answer its options as soon as it arrives, and their number must find them."""
        t = await self._translator(chat_id)
        shown = render.render(t, body if body is not None else source.get("text"),
                              None if body is not None else source.get("parse_mode"), source.get("reply_markup"))
        message = self._message(chat_id, render.plain_text(source.get("text"), source.get("parse_mode")), source)
        await zalo.add_message(self.ctx.db, chat_id=chat_id, from_bot=True, telegram=message, shown=shown.text,
                               at=self._now(), keep_options=keep_options, options=(shown.choices, shown.label_numbered))
        await self._send_parts(call, zalo_chat, shown.parts())
        return self._public(message)

    async def _edit(self, call: _Call, source_change: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
        if call.params.get("inline_message_id"):
            raise ZaloError(400, "Bad Request: inline messages are not available on Zalo")
        chat_id, zalo_chat = await self._target(call.params)
        try:
            stored = await zalo.get_message(self.ctx.db, int(call.params.get("message_id")))
        except (TypeError, ValueError):
            stored = None
        if stored is None or stored.chat_id != chat_id or not stored.from_bot:
            raise ZaloError(400, "Bad Request: message to edit not found")
        source = source_change(dict(stored.telegram.get("_source") or {}))
        t = await self._translator(chat_id)
        shown = render.render(t, source.get("text"), source.get("parse_mode"), source.get("reply_markup"))
        message = self._message(chat_id, render.plain_text(source.get("text"), source.get("parse_mode")), source)
        message["message_id"] = stored.message_id
        message["edit_date"] = message["date"]
        # The person must see a change as a new message (Zalo cannot edit): the whole message when its
        # text changed; only the options when only they changed; nothing when the options were only taken
        # away or nothing changed (the same text again would be noise). The option list follows anyway.
        old = stored.telegram.get("_source") or {}
        text_changed = (render.plain_text(old.get("text"), old.get("parse_mode")).strip("\n")
                        != render.plain_text(source.get("text"), source.get("parse_mode")).strip("\n"))
        if shown.text == stored.shown:
            parts: list[str] = []
        elif text_changed:
            parts = shown.parts()
        elif shown.options:
            parts = render.render(t, None, None, source.get("reply_markup")).parts()
        else:
            parts = []
        await zalo.update_message(self.ctx.db, stored.message_id, telegram=message, shown=shown.text,
                                  at=self._now(), latest=bool(parts), options=(shown.choices, shown.label_numbered))
        if parts:
            try:
                # An edit is paced overall only (PTB's limiter); here it is a new message in this chat.
                await zalo_budget(self.ctx.config).acquire(str(chat_id), interactive=True)
                await self._send_parts(call, zalo_chat, parts)
            except BaseException:
                # Not shown after all: a retry of this edit must find the change still to show.
                await zalo.set_shown(self.ctx.db, stored.message_id, stored.shown)
                raise
        return self._public(message)

    async def _edit_text(self, call: _Call) -> dict[str, Any]:
        def change(source: dict[str, Any]) -> dict[str, Any]:
            return {"text": call.params.get("text"), "parse_mode": call.params.get("parse_mode"),
                    "reply_markup": call.params.get("reply_markup")}
        return await self._edit(call, change)

    async def _edit_markup(self, call: _Call) -> dict[str, Any]:
        def change(source: dict[str, Any]) -> dict[str, Any]:
            return {**source, "reply_markup": call.params.get("reply_markup")}
        return await self._edit(call, change)

    async def _answer_callback(self, call: _Call) -> bool:
        text = call.params.get("text")
        if not text:
            return True
        chat_part = str(call.params.get("callback_query_id", "")).partition(":")[0]
        zalo_chat = await zalo.zalo_id(self.ctx.db, chat_part)
        if zalo_chat is None:
            raise ZaloError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        # A notice about a press: the option list being answered stays. (PTB's rate limiter does not
        # count answers to presses; here it is a message in the chat.)
        await self._paced(int(chat_part), lambda: self._show(call, int(chat_part), zalo_chat, {"text": text},
                                                             keep_options=True))
        return True

    @staticmethod
    def _file(call: _Call, field: str) -> tuple[str | None, str | None]:
        """(file name, web address) of an uploaded or referenced file."""
        if call.files and field in call.files:
            upload = call.files[field]
            return (upload[0] if isinstance(upload, tuple) else None), None
        value = call.params.get(field)
        if isinstance(value, str):
            if value.startswith(("http://", "https://")):
                return value.rsplit("/", 1)[-1] or None, value
            if value.startswith("zalo-file:"):
                return value.removeprefix("zalo-file:") or None, None
        return None, None

    async def _send_document(self, call: _Call) -> dict[str, Any]:
        chat_id, zalo_chat = await self._target(call.params)
        name, url = self._file(call, "document")
        t = await self._translator(chat_id)
        if url:
            caption = render.plain_text(call.params.get("caption"), call.params.get("parse_mode")).strip()
            body = f"{caption}\n\n📎 {name}: {url}" if caption else f"📎 {name}: {url}"
        else:
            body = render.document_note(t, name, call.params.get("caption"), call.params.get("parse_mode"))
        source = {"text": call.params.get("caption"), "parse_mode": call.params.get("parse_mode"),
                  "reply_markup": call.params.get("reply_markup")}
        message = await self._show(call, chat_id, zalo_chat, source, body=body)
        key = f"zalo-file:{name or ''}"
        message["document"] = {"file_id": key, "file_unique_id": f"zalo-{message['message_id']}",
                               **({"file_name": name} if name else {})}
        return message

    async def _send_photo(self, call: _Call) -> dict[str, Any]:
        chat_id, zalo_chat = await self._target(call.params)
        name, url = self._file(call, "photo")
        source = {"text": call.params.get("caption"), "parse_mode": call.params.get("parse_mode"),
                  "reply_markup": call.params.get("reply_markup")}
        if url:
            t = await self._translator(chat_id)
            shown = render.render(t, source["text"], source["parse_mode"], source["reply_markup"])
            parts = shown.parts()
            message = self._message(chat_id, None, source)
            await zalo.add_message(self.ctx.db, chat_id=chat_id, from_bot=True, telegram=message,
                                   shown=shown.text, at=self._now(), options=(shown.choices, shown.label_numbered))
            await self._zalo(call, "sendPhoto", {"chat_id": zalo_chat, "photo": url,
                                                 "caption": parts[0] if parts else None})
            await self._send_parts(call, zalo_chat, parts[1:])
            message = self._public(message)
        else:
            t = await self._translator(chat_id)
            body = render.photo_note(t, name, source["text"], source["parse_mode"])
            message = await self._show(call, chat_id, zalo_chat, source, body=body)
        message.pop("text", None)
        if source["text"]:
            message["caption"] = render.plain_text(source["text"], source["parse_mode"])
        message["photo"] = [{"file_id": url or f"zalo-file:{name or ''}", "file_unique_id": f"zalo-{message['message_id']}",
                             "width": 0, "height": 0}]
        return message

    # -- updates -------------------------------------------------------------------------------------

    async def _get_updates(self, call: _Call) -> list[dict[str, Any]]:
        timeout = call.params.get("timeout", 0)
        if not timeout:
            # PTB's last call when it stops (confirming what it took): Zalo confirms nothing, and a Zalo
            # update taken now would be lost.
            return []
        update = await self._zalo(call, "getUpdates", {"timeout": timeout}, quiet=(408,))
        return await self.translate(update, call)

    async def translate(self, update: Any, call: _Call | None = None) -> list[dict[str, Any]]:
        """The Telegram updates (none or one) for a Zalo update; a number out of range is answered here.
        Also what the webhook receiver calls."""
        given: list[dict[str, Any]] = []
        try:
            given = await self._translate(update, call)
        except Exception:
            # Zalo has already handed it over: failing the getUpdates would not bring it back, and would
            # hold up everyone's next updates. Logged, dropped.
            log.exception("Zalo update could not be translated: %s", str(update)[:200])
        finally:
            if update:
                await self.intake.record([data["update_id"] for data in given])
        return given

    async def _translate(self, update: Any, call: _Call | None) -> list[dict[str, Any]]:
        if isinstance(update, list):   # should Zalo ever send several
            found = []
            for one in update:
                found += await self._translate(one, call)
            return found
        incoming = updates.parse(update) if update else None
        if incoming is None or incoming.is_bot:
            if update:
                log.info("Zalo update ignored: %s", str(update)[:200])
            return []
        at = self._now()
        user_id = await zalo.local_id(self.ctx.db, incoming.user_zalo_id, at)
        chat_id = (user_id if incoming.chat_zalo_id == incoming.user_zalo_id
                   else await zalo.local_id(self.ctx.db, incoming.chat_zalo_id, at))
        user = updates.telegram_user(user_id, incoming)
        if incoming.event == updates.TEXT:
            listed = await zalo.option_list(self.ctx.db, chat_id)
            choice = updates.typed_choice(incoming.text, listed.options if listed else None,
                                          listed.label_numbered if listed else False)
            label = render.typed_label(choice.callback_data) if choice.kind == updates.PRESS else None
            if label is not None:    # a menu name's number: as if the name were typed
                incoming = replace(incoming, text=label)
            elif choice.kind == updates.PRESS:
                stored = await zalo.get_message(self.ctx.db, listed.message_id)
                if stored is not None:
                    update_id = await zalo.next_update_id(self.ctx.db)
                    return [updates.callback_update(update_id, query_id=f"{chat_id}:{update_id}", user=user,
                                                    message=self._public(stored.telegram), data=choice.callback_data)]
            elif choice.kind == updates.OUT_OF_RANGE:
                await self._refuse_number(call, chat_id, incoming.chat_zalo_id, sorted(map(int, listed.options)))
                return []
        message = updates.telegram_message(incoming, message_id=0, user_id=user_id, chat_id=chat_id)
        await zalo.add_message(self.ctx.db, chat_id=chat_id, from_bot=False, telegram=message,
                               shown=incoming.text or incoming.caption or "", at=at,
                               zalo_message_id=incoming.zalo_message_id)
        update_id = await zalo.next_update_id(self.ctx.db)
        return [{"update_id": update_id, "message": message}]

    async def _refuse_number(self, call: _Call | None, chat_id: int, zalo_chat: str, numbers: list[int]) -> None:
        """Said here, as the update is taken (the handlers never see it); a failure to say it must not
        lose the getUpdates answer it came in, so it is logged, not raised."""
        t = await self._translator(chat_id)
        try:
            await self._paced(chat_id, lambda: self._show(call or self._webhook_call(), chat_id, zalo_chat,
                                                          {"text": render.out_of_range(t, numbers)}, keep_options=True))
        except Exception:
            log.warning("Zalo: could not answer a number out of range in chat %s", chat_id, exc_info=True)

    async def _paced(self, chat_id: int, send: Callable[[], Awaitable[Any]]) -> Any:
        """A send the adapter makes on its own (not one PTB's rate limiter paced for this chat): it takes
        its turn from the token's budget, and waits out a 429 (a few times) before it gives up."""
        budget = zalo_budget(self.ctx.config)
        for attempt in range(LATER_PART_ATTEMPTS):
            await budget.acquire(str(chat_id), interactive=True)
            try:
                result = await send()
            except ZaloError as error:
                if error.retry_after is None or attempt == LATER_PART_ATTEMPTS - 1:
                    raise
                budget.flood_wait(error.retry_after, str(chat_id))
                continue
            budget.went_through()
            return result

    def _webhook_call(self) -> _Call:
        """Calls made on the receiver's behalf (the refusal of a number) go where the Bot's calls go."""
        if self.base is None:
            raise RuntimeError("the adapter has not been told its base URL")
        return _Call(self.base, {}, None, {})

    base: str | None = None   # "<base_url><token>", set by the wiring for the webhook receiver
