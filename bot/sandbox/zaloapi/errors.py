"""Errors as the Zalo Bot Platform reports them: `{"ok": false, "error_code", "description"}`, with the
HTTP status equal to `error_code`. Zalo documents the codes (400, 401, 403, 404, 408, 429) and "Quota
exceeded" / "Request timeout"; the other descriptions are this server's own wording (protocol text,
English, not user-facing)."""

from __future__ import annotations

from bot.sandbox.localapi.errors import ApiError

UNAUTHORIZED = "Unauthorized"
NOT_FOUND = "Not Found"
QUOTA_EXCEEDED = "Quota exceeded"
REQUEST_TIMEOUT = "Request timeout"
CHAT_ID_EMPTY = "Bad Request: chat_id is empty"
CHAT_NOT_FOUND = "Bad Request: chat not found"
TEXT_EMPTY = "Bad Request: text is empty"
TEXT_TOO_LONG = "Bad Request: text must be at most {limit} characters"
CAPTION_TOO_LONG = "Bad Request: caption must be at most {limit} characters"
PHOTO_INVALID = "Bad Request: photo must be an http(s) URL"
STICKER_EMPTY = "Bad Request: sticker is empty"
ACTION_INVALID = "Bad Request: action must be typing"
NOT_WRITTEN = "Forbidden: a bot can write only to people who wrote to it first"
WEBHOOK_URL_INVALID = "Bad Request: url must be an https URL"
SECRET_TOKEN_INVALID = "Bad Request: secret_token must be 8 to 256 characters"
WEBHOOK_ACTIVE = "Bad Request: getUpdates is not available while a webhook is set; use deleteWebhook first"


def error(code: int, description: str) -> ApiError:
    return ApiError(code, description)


def bad_request(description: str) -> ApiError:
    return ApiError(400, description)
