"""Logging for the long-running commands: to standard error, at the configured level, never a secret.

httpx logs every request URL at INFO, and a Bot API URL carries the bot token (`…/bot<TOKEN>/getMe`):
httpx and httpcore stay at WARNING whatever the level. As a second line of defence a filter on the
handlers replaces any secret (the token, plain or URL-encoded) in every record, exception text included,
so a library that one day logs a URL in an error still cannot leak it.
"""

from __future__ import annotations

import logging
import sys
from urllib.parse import quote

REDACTED = "<redacted>"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
QUIET_LOGGERS = ("httpx", "httpcore")


class RedactSecrets(logging.Filter):
    """Replaces each secret in a record's message, arguments, exception and stack text."""

    def __init__(self, secrets: list[str] | tuple[str, ...] = ()) -> None:
        super().__init__()
        self._secrets: list[str] = []
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str) -> None:
        if not secret:
            return
        for form in {secret, quote(secret, safe=""), quote(secret)}:
            if form not in self._secrets:
                self._secrets.append(form)
        self._secrets.sort(key=len, reverse=True)  # the longest form first

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep the raw parts, redacted
            message = f"{record.msg} {record.args}"
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            # The formatter prints exc_text as it is when set, instead of formatting exc_info again.
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


_filter = RedactSecrets()


def protect(*secrets: str) -> RedactSecrets:
    """Redact these secrets from every record that reaches a root handler (present now or added by
    `configure`). Returns the shared filter."""
    for secret in secrets:
        _filter.add(secret)
    for handler in logging.getLogger().handlers:
        if _filter not in handler.filters:
            handler.addFilter(_filter)
    return _filter


def configure(level: str = "INFO", *secrets: str) -> None:
    """Log to stderr at `level` (a name such as "INFO"), with the secrets redacted."""
    root = logging.getLogger()
    if not any(getattr(handler, "_shcb", False) for handler in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(FORMAT))
        handler._shcb = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    protect(*secrets)
