"""Logging for the long-running commands: to standard error, at the configured level, never a secret.

httpx logs every request URL at INFO, and a Bot API URL carries the bot token (`…/bot<TOKEN>/getMe`):
httpx and httpcore stay at WARNING whatever the level. As a second line of defence a filter on the
handlers replaces any secret (the token, plain or URL-encoded) in every record, exception text included,
so a library that one day logs a URL in an error still cannot leak it.
"""

from __future__ import annotations

import logging
import sys
from datetime import datetime, tzinfo
from urllib.parse import quote

from bot.core.clock import VN_TZ

REDACTED = "<redacted>"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# httpx and httpcore log request URLs (the token); APScheduler logs every run of the reminder check at
# INFO ("Running job … executed successfully" each minute). Kept at WARNING unless the level is DEBUG.
QUIET_LOGGERS = ("httpx", "httpcore")
CHATTY_LOGGERS = ("apscheduler",)


class ZonedFormatter(logging.Formatter):
    """Timestamps in the configured zone (Vietnam time, like everything else shcb shows), with the offset:
    `2026-12-03 07:00:01,234+0700`."""

    def __init__(self, fmt: str, tz: tzinfo) -> None:
        super().__init__(fmt)
        self.tz = tz

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        when = datetime.fromtimestamp(record.created, self.tz)
        return when.strftime(datefmt or "%Y-%m-%d %H:%M:%S") + f",{int(record.msecs):03d}" + when.strftime("%z")


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


def configure(level: str = "INFO", *secrets: str, tz: tzinfo | None = None) -> None:
    """Log to stderr at `level` (a name such as "INFO"), timestamps in `tz` (default Vietnam time), with
    the secrets redacted."""
    root = logging.getLogger()
    formatter = ZonedFormatter(FORMAT, tz or VN_TZ)
    ours = [handler for handler in root.handlers if getattr(handler, "_shcb", False)]
    if not ours:
        handler = logging.StreamHandler(sys.stderr)
        handler._shcb = True  # type: ignore[attr-defined]
        root.addHandler(handler)
        ours = [handler]
    for handler in ours:
        handler.setFormatter(formatter)
    numeric = getattr(logging, level.upper(), logging.INFO)
    root.setLevel(numeric)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET if numeric <= logging.DEBUG else logging.WARNING)
    protect(*secrets)
