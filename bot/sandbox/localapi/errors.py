"""Errors as Telegram reports them: an HTTP status and Telegram's own description string.

These descriptions are protocol text (English, exactly as Telegram sends them), not user-facing text,
so they are constants here rather than gettext messages. python-telegram-bot picks its exception class
from the HTTP status alone (400 BadRequest, 403 Forbidden, 404 InvalidToken, 409 Conflict) and turns
`parameters.retry_after` into RetryAfter.
"""

from __future__ import annotations

NOT_FOUND = "Not Found"

CHAT_ID_EMPTY = "Bad Request: chat_id is empty"
CHAT_NOT_FOUND = "Bad Request: chat not found"
TEXT_EMPTY = "Bad Request: message text is empty"
TEXT_TOO_LONG = "Bad Request: message is too long"
EDIT_TEXT_TOO_LONG = "Bad Request: MESSAGE_TOO_LONG"
CAPTION_TOO_LONG = "Bad Request: message caption is too long"
EDIT_CAPTION_TOO_LONG = "Bad Request: MEDIA_CAPTION_TOO_LONG"
ALERT_TOO_LONG = "Bad Request: MESSAGE_TOO_LONG"
CANT_PARSE_ENTITIES = "Bad Request: can't parse entities: {detail}"
UNSUPPORTED_PARSE_MODE = "Bad Request: unsupported parse_mode"
CANT_PARSE_JSON = "Bad Request: can't parse {name} JSON object"
CANT_PARSE_MARKUP = "Bad Request: can't parse reply keyboard markup JSON object"
CANT_PARSE_BUTTON = "Bad Request: can't parse inline keyboard button: {detail}"
BUTTON_DATA_INVALID = "Bad Request: BUTTON_DATA_INVALID"
MARKUP_TOO_LONG = "Bad Request: reply markup is too long"
INLINE_KEYBOARD_EXPECTED = "Bad Request: inline keyboard expected"
MESSAGE_ID_MISSING = "Bad Request: message identifier is not specified"
EDIT_NOT_FOUND = "Bad Request: message to edit not found"
DELETE_NOT_FOUND = "Bad Request: message to delete not found"
REPLY_NOT_FOUND = "Bad Request: message to be replied not found"
CANT_EDIT = "Bad Request: message can't be edited"
NO_TEXT_TO_EDIT = "Bad Request: there is no text in the message to edit"
NO_CAPTION_TO_EDIT = "Bad Request: there is no caption in the message to edit"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
WRONG_FILE = "Bad Request: wrong file identifier/HTTP URL specified"
WRONG_FILE_TYPE = "Bad Request: can't use file of type {actual} as {wanted}"
FILE_MISSING = "Bad Request: there is no {kind} in the request"
WRONG_ACTION = "Bad Request: wrong parameter action in request"
WRONG_FILE_ID = "Bad Request: invalid file_id"
COMMAND_INVALID = "Bad Request: BOT_COMMAND_INVALID"
COMMAND_DESCRIPTION_INVALID = "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID"
COMMANDS_TOO_MUCH = "Bad Request: BOT_COMMANDS_TOO_MUCH"
SECRET_TOKEN_INVALID = "Bad Request: secret token contains unallowed characters"
WEBHOOK_URL_INVALID = "Bad Request: bad webhook: {detail}"

BLOCKED = "Forbidden: bot was blocked by the user"
CANT_INITIATE = "Forbidden: bot can't initiate conversation with a user"

WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the "
    "webhook first"
)
OTHER_GET_UPDATES = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)

TOO_MANY_REQUESTS = "Too Many Requests: retry after {seconds}"


class ApiError(Exception):
    """A Bot API call refused the way Telegram refuses it."""

    def __init__(self, code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def to_json(self) -> dict:
        body = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(description: str) -> ApiError:
    return ApiError(400, description)


def forbidden(description: str) -> ApiError:
    return ApiError(403, description)


def too_many_requests(seconds: int) -> ApiError:
    return ApiError(429, TOO_MANY_REQUESTS.format(seconds=seconds), retry_after=seconds)


class UserSideError(Exception):
    """A user-side (test driver) request that makes no sense, e.g. an unknown user."""
