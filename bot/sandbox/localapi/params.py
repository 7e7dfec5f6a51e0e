"""A Bot API call's parameters, however they came: a query string, a form (python-telegram-bot posts
`application/x-www-form-urlencoded`, with nested objects as JSON strings), `multipart/form-data` with
uploads, or a JSON body — as Telegram accepts them all."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.sandbox.localapi import errors
from bot.sandbox.localapi.errors import ApiError, bad_request


@dataclass
class Upload:
    filename: str
    data: bytes
    content_type: str | None = None


class Params:
    def __init__(self, values: dict[str, object], uploads: dict[str, Upload] | None = None) -> None:
        self._values = values
        self._uploads = uploads or {}

    @classmethod
    def from_request(cls, query: dict[str, list[bytes]], body_arguments: dict[str, list[bytes]],
                     files: dict[str, list], content_type: str, body: bytes) -> Params:
        """From the parts of a tornado request."""
        values: dict[str, object] = {name: items[-1].decode("utf-8", "replace") for name, items in query.items()}
        if content_type.split(";")[0].strip().lower() == "application/json" and body.strip():
            try:
                parsed = json.loads(body)
            except ValueError:
                raise bad_request(errors.CANT_PARSE_JSON.format(name="request")) from None
            if not isinstance(parsed, dict):
                raise bad_request(errors.CANT_PARSE_JSON.format(name="request"))
            values.update(parsed)
        else:
            values.update({name: items[-1].decode("utf-8", "replace") for name, items in body_arguments.items()})
        uploads = {
            name: Upload(items[0].filename, items[0].body, items[0].content_type)
            for name, items in files.items() if items
        }
        return cls(values, uploads)

    def raw(self, name: str) -> object:
        return self._values.get(name)

    def has(self, name: str) -> bool:
        return self._values.get(name) not in (None, "")

    def string(self, name: str, default: str | None = None) -> str | None:
        value = self._values.get(name)
        if value is None:
            return default
        return value if isinstance(value, str) else json.dumps(value) if isinstance(value, dict | list) else str(value)

    def integer(self, name: str, default: int | None = None, *, error: str | None = None) -> int | None:
        value = self._values.get(name)
        if value in (None, ""):
            if error:
                raise bad_request(error)
            return default
        if isinstance(value, bool):
            value = int(value)
        try:
            return int(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise bad_request(error or f"Bad Request: invalid {name} specified") from None

    def number(self, name: str, default: float = 0.0) -> float:
        value = self._values.get(name)
        try:
            return default if value in (None, "") else float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise bad_request(f"Bad Request: invalid {name} specified") from None

    def flag(self, name: str, default: bool = False) -> bool:
        value = self._values.get(name)
        if value in (None, ""):
            return default
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1", "yes", "on")
        return bool(value)

    def nested(self, name: str) -> object:
        """A nested object: parsed from its JSON string when it came as one."""
        value = self._values.get(name)
        if isinstance(value, str):
            if not value:
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(errors.CANT_PARSE_JSON.format(name=name)) from None
        return value

    def chat_id(self) -> int:
        """The chat a call is about; an @username or garbage names no private chat here."""
        value = self._values.get("chat_id")
        if value in (None, ""):
            raise bad_request(errors.CHAT_ID_EMPTY)
        try:
            return int(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise bad_request(errors.CHAT_NOT_FOUND) from None

    def input_file(self, name: str) -> Upload | str | None:
        """An uploaded file (the part named `name`, or named by an attach:// reference), or the string
        given instead (a file_id or URL)."""
        value = self._values.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            upload = self._uploads.get(value.removeprefix("attach://"))
            if upload is None:
                raise ApiError(400, errors.FILE_MISSING.format(kind=name))
            return upload
        if value in (None, "") and name in self._uploads:
            return self._uploads[name]
        return None if value in (None, "") else str(value)
