"""Bot API methods that send, change or remove messages in a private chat, and callback answers.

Checks run in roughly Telegram's order: the request itself (text, entities, keyboard), then the chat
(unknown → 400, blocked or never started → 403), then flood control (429) — so a refused call never
uses up a flood token.
"""

from __future__ import annotations

from bot.sandbox.localapi import entities as formatting
from bot.sandbox.localapi import errors
from bot.sandbox.localapi.call import Call, method
from bot.sandbox.localapi.errors import ApiError, bad_request, forbidden, too_many_requests
from bot.sandbox.localapi.markup import check_markup, is_inline
from bot.sandbox.localapi.params import Upload
from bot.sandbox.localapi.state import PrivateChat, StoredMessage

_CHAT_ACTIONS = {
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
}
_MAX_ALERT = 200
_KEEP = object()


def _formatted(call: Call, text_name: str, entities_name: str, *, max_length: int, too_long: str,
               empty: str | None) -> tuple[str, list[dict], str | None]:
    """(plain text, entities, parse_mode) of a text or caption parameter, checked."""
    params = call.params
    raw = params.string(text_name) or ""
    if empty and not raw.strip():
        raise bad_request(empty)
    parse_mode = params.string("parse_mode") or None
    given = params.nested(entities_name)
    if isinstance(given, list):
        plain, found = raw, given
    else:
        try:
            plain, found = formatting.parse(raw, parse_mode)
        except formatting.EntityError as error:
            raise bad_request(errors.CANT_PARSE_ENTITIES.format(detail=error)) from None
        except ValueError:
            raise bad_request(errors.UNSUPPORTED_PARSE_MODE) from None
    if empty and not plain.strip():
        raise bad_request(empty)
    if len(plain) > max_length:
        raise bad_request(too_long)
    return plain, found, parse_mode


def _markup(call: Call) -> tuple[dict | None, dict | None]:
    """(inline keyboard, other reply markup) from `reply_markup`."""
    markup = check_markup(call.params.nested("reply_markup"), call.limits)
    return (markup, None) if is_inline(markup) else (None, markup)


def _inline_markup(call: Call) -> dict | None:
    markup = check_markup(call.params.nested("reply_markup"), call.limits)
    if markup is not None and not is_inline(markup):
        raise bad_request(errors.INLINE_KEYBOARD_EXPECTED)
    return markup


def _chat(call: Call, chat_id: int) -> PrivateChat:
    chat = call.bot.chat(chat_id)
    if chat is None:
        raise bad_request(errors.CHAT_NOT_FOUND)
    return chat


def _reachable(call: Call, chat: PrivateChat) -> None:
    """403 when the user blocked the bot or never started it."""
    user = chat.user
    if user.blocked or not user.started:
        call.bot.stats.forbidden += 1
        raise forbidden(errors.BLOCKED if user.blocked else errors.CANT_INITIATE)


def _flood(call: Call, chat: PrivateChat) -> None:
    wait = call.bot.flood.acquire(chat.user.id, call.limits)
    if wait:
        call.bot.stats.rate_limited += 1
        raise too_many_requests(wait)


def _reply_to(call: Call, chat: PrivateChat) -> int | None:
    params = call.params
    reply = params.nested("reply_parameters")
    if isinstance(reply, dict):
        message_id, allow = reply.get("message_id"), bool(reply.get("allow_sending_without_reply"))
    else:
        message_id = params.integer("reply_to_message_id")
        allow = params.flag("allow_sending_without_reply")
    if message_id in (None, 0):
        return None
    target = chat.messages.get(int(message_id))
    if target is None or target.deleted:
        if allow:
            return None
        raise bad_request(errors.REPLY_NOT_FOUND)
    return target.message_id


def _sent(call: Call, message: StoredMessage) -> dict:
    call.bot.stats.sent += 1
    return call.bot.message_json(message)


@method("sendMessage")
async def send_message(call: Call) -> dict:
    chat_id = call.params.chat_id()
    text, found, parse_mode = _formatted(call, "text", "entities", max_length=call.limits.max_text,
                                         too_long=errors.TEXT_TOO_LONG, empty=errors.TEXT_EMPTY)
    inline, other = _markup(call)
    chat = _chat(call, chat_id)
    _reachable(call, chat)
    reply_to = _reply_to(call, chat)
    _flood(call, chat)
    message = call.bot.add_message(chat, from_bot=True, kind="text", text=text, entities=found,
                                   parse_mode=parse_mode, inline_markup=inline, other_markup=other,
                                   reply_to=reply_to)
    return _sent(call, message)


async def _send_file(call: Call, kind: str) -> dict:
    bot = call.bot
    chat_id = call.params.chat_id()
    source = call.params.input_file(kind)
    if source is None:
        raise bad_request(errors.FILE_MISSING.format(kind=kind))
    caption, found, parse_mode = _formatted(call, "caption", "caption_entities", max_length=call.limits.max_caption,
                                            too_long=errors.CAPTION_TOO_LONG, empty=None)
    inline, other = _markup(call)
    chat = _chat(call, chat_id)
    _reachable(call, chat)
    reply_to = _reply_to(call, chat)
    if not isinstance(source, Upload):
        stored = bot.files.get(source)
        if stored is None:
            raise bad_request(errors.WRONG_FILE)
        if stored.kind != kind:
            raise bad_request(errors.WRONG_FILE_TYPE.format(actual=stored.kind.title(), wanted=kind.title()))
    _flood(call, chat)
    if isinstance(source, Upload):
        name = source.filename if kind == "document" else None
        stored = bot.files.add(kind, source.data, name, source.content_type if kind == "document" else None)
    message = bot.add_message(chat, from_bot=True, kind=kind, text=caption, entities=found, parse_mode=parse_mode,
                              inline_markup=inline, other_markup=other, reply_to=reply_to, file_id=stored.file_id)
    return _sent(call, message)


@method("sendDocument")
async def send_document(call: Call) -> dict:
    return await _send_file(call, "document")


@method("sendPhoto")
async def send_photo(call: Call) -> dict:
    return await _send_file(call, "photo")


def _target(call: Call, not_found: str) -> tuple[PrivateChat, StoredMessage]:
    """The chat and the existing message a call is about."""
    if call.params.has("inline_message_id"):
        raise bad_request("Bad Request: MESSAGE_ID_INVALID")
    chat = _chat(call, call.params.chat_id())
    message_id = call.params.integer("message_id", error=errors.MESSAGE_ID_MISSING)
    message = chat.messages.get(message_id)
    if message is None or message.deleted:
        raise bad_request(not_found)
    return chat, message


def _editable(call: Call) -> tuple[PrivateChat, StoredMessage]:
    chat, message = _target(call, errors.EDIT_NOT_FOUND)
    if chat.user.blocked:
        call.bot.stats.forbidden += 1
        raise forbidden(errors.BLOCKED)
    if not message.from_bot:
        raise bad_request(errors.CANT_EDIT)
    return chat, message


def _apply_edit(call: Call, chat: PrivateChat, message: StoredMessage, *, parse_mode: object = _KEEP,
                **changes) -> dict:
    """Applies `changes` (content and keyboard, what Telegram compares) or refuses an edit that changes
    nothing."""
    if all(getattr(message, name) == value for name, value in changes.items()):
        raise bad_request(errors.NOT_MODIFIED)
    for name, value in changes.items():
        setattr(message, name, value)
    if parse_mode is not _KEEP:
        message.parse_mode = parse_mode
    message.edit_date = call.bot.now()
    chat.touch(message)
    return call.bot.message_json(message)


@method("editMessageText")
async def edit_message_text(call: Call) -> dict:
    text, found, parse_mode = _formatted(call, "text", "entities", max_length=call.limits.max_text,
                                         too_long=errors.EDIT_TEXT_TOO_LONG, empty=errors.TEXT_EMPTY)
    inline = _inline_markup(call)
    chat, message = _editable(call)
    if message.kind != "text":
        raise bad_request(errors.NO_TEXT_TO_EDIT)
    return _apply_edit(call, chat, message, parse_mode=parse_mode, text=text, entities=found, inline_markup=inline)


@method("editMessageCaption")
async def edit_message_caption(call: Call) -> dict:
    caption, found, parse_mode = _formatted(call, "caption", "caption_entities", max_length=call.limits.max_caption,
                                            too_long=errors.EDIT_CAPTION_TOO_LONG, empty=None)
    inline = _inline_markup(call)
    chat, message = _editable(call)
    if message.kind not in ("document", "photo"):
        raise bad_request(errors.NO_CAPTION_TO_EDIT)
    return _apply_edit(call, chat, message, parse_mode=parse_mode, text=caption, entities=found,
                       inline_markup=inline)


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(call: Call) -> dict:
    inline = _inline_markup(call)
    chat, message = _editable(call)
    return _apply_edit(call, chat, message, inline_markup=inline)


@method("deleteMessage")
async def delete_message(call: Call) -> bool:
    chat, message = _target(call, errors.DELETE_NOT_FOUND)
    message.deleted = True
    chat.touch(message)
    return True


@method("answerCallbackQuery")
async def answer_callback_query(call: Call) -> bool:
    bot, params = call.bot, call.params
    query = bot.callback_queries.get(params.string("callback_query_id") or "")
    if query is None or query.answered:
        raise bad_request(errors.QUERY_INVALID)
    text = params.string("text")
    if text and len(text) > _MAX_ALERT:
        raise bad_request(errors.ALERT_TOO_LONG)
    query.answered = True
    chat = bot.chat(query.user_id)
    chat.callback_answers.append({
        "callback_query_id": query.id, "text": text or None, "show_alert": params.flag("show_alert"),
        "url": params.string("url"),
    })
    chat.touch()
    return True


@method("sendChatAction")
async def send_chat_action(call: Call) -> bool:
    chat = _chat(call, call.params.chat_id())
    if call.params.string("action") not in _CHAT_ACTIONS:
        raise bad_request(errors.WRONG_ACTION)
    _reachable(call, chat)
    return True


@method("getFile")
async def get_file(call: Call) -> dict:
    stored = call.bot.files.get(call.params.string("file_id") or "")
    if stored is None:
        raise ApiError(400, errors.WRONG_FILE_ID)
    return stored.file_json()
