"""Keyboards (`reply_markup`): checked as Telegram checks them, and read back for the user side."""

from __future__ import annotations

from bot.sandbox.localapi import errors
from bot.sandbox.localapi.errors import bad_request
from bot.sandbox.localapi.limits import Limits

# Any one of these makes an inline button do something; a button with none is refused.
_INLINE_ACTIONS = (
    "callback_data", "url", "login_url", "switch_inline_query", "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat", "callback_game", "pay", "web_app", "copy_text",
)


def check_markup(markup: object, limits: Limits) -> dict | None:
    """The markup to keep, or a 400 as Telegram gives it."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request(errors.CANT_PARSE_MARKUP)
    if "inline_keyboard" in markup:
        _check_inline(markup["inline_keyboard"], limits)
        return {"inline_keyboard": markup["inline_keyboard"]}
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request(errors.CANT_PARSE_MARKUP)
        return markup
    if markup.get("remove_keyboard") or markup.get("force_reply"):
        return markup
    raise bad_request(errors.CANT_PARSE_MARKUP)


def _check_inline(rows: object, limits: Limits) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(errors.CANT_PARSE_BUTTON.format(detail="field \"inline_keyboard\" must be an Array"))
    total = 0
    for row in rows:
        if len(row) > limits.max_buttons_per_row:
            raise bad_request(errors.MARKUP_TOO_LONG)
        total += len(row)
        for button in row:
            _check_button(button, limits)
    if total > limits.max_buttons:
        raise bad_request(errors.MARKUP_TOO_LONG)


def _check_button(button: object, limits: Limits) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request(errors.CANT_PARSE_BUTTON.format(detail="Field \"text\" must be of type String"))
    if not any(key in button for key in _INLINE_ACTIONS):
        raise bad_request(errors.CANT_PARSE_BUTTON.format(detail="Text buttons are unallowed in the inline keyboard"))
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= limits.max_callback_data:
            raise bad_request(errors.BUTTON_DATA_INVALID)


def is_inline(markup: dict | None) -> bool:
    return bool(markup) and "inline_keyboard" in markup


def inline_buttons(markup: dict | None) -> list[list[tuple[str, str]]]:
    """(label, callback_data) per inline button; a button without callback data (a link) gives its
    url, or "" when it has neither."""
    if not is_inline(markup):
        return []
    return [
        [(button["text"], button.get("callback_data") or button.get("url") or "") for button in row]
        for row in markup["inline_keyboard"]
    ]


def _label(button: object) -> str:
    return button if isinstance(button, str) else str(button.get("text", ""))


def reply_keyboard(markup: dict | None) -> list[list[str]] | None:
    if not markup or "keyboard" not in markup:
        return None
    return [[_label(button) for button in row] for row in markup["keyboard"]]


def requests_contact(markup: dict | None) -> bool:
    if not markup or "keyboard" not in markup:
        return False
    return any(isinstance(b, dict) and b.get("request_contact") for row in markup["keyboard"] for b in row)
