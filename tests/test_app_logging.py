"""bot/core/logging_setup.py: the token never reaches a log line, whatever logs it and however."""

from __future__ import annotations

import io
import logging
from urllib.parse import quote

import pytest

from bot.core import logging_setup
from bot.core.logging_setup import REDACTED, RedactSecrets

TOKEN = "987654321:AAH-secret_Token-value"


@pytest.fixture
def captured():
    """A handler writing formatted records to a string, with the redaction filter on it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(logging_setup.FORMAT))
    handler.addFilter(RedactSecrets([TOKEN]))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield logger, stream
    finally:
        logger.removeHandler(handler)


def test_the_token_is_redacted_from_messages_and_arguments(captured):
    logger, stream = captured
    url = f"https://api.telegram.org/bot{TOKEN}/getMe"
    logger.info("HTTP Request: POST %s \"HTTP/1.1 200 OK\"", url)
    logger.warning(f"inline {TOKEN}")
    logger.info("encoded %s", quote(url, safe=""))
    text = stream.getvalue()
    assert TOKEN not in text and quote(TOKEN, safe="") not in text
    assert text.count(REDACTED) == 3 and "getMe" in text


def test_the_token_is_redacted_from_exceptions(captured):
    logger, stream = captured
    try:
        raise ConnectionError(f"cannot connect to https://api.telegram.org/bot{TOKEN}/getUpdates")
    except ConnectionError:
        logger.exception("polling failed")
    text = stream.getvalue()
    assert "polling failed" in text and "ConnectionError" in text
    assert TOKEN not in text and REDACTED in text


def test_without_the_filter_the_token_would_show():
    """A control, so that the tests above can fail: the same record through a handler without the
    filter does carry the token."""
    plain = io.StringIO()
    handler = logging.StreamHandler(plain)
    logger = logging.getLogger("test.redaction.control")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("url %s", f"/bot{TOKEN}/getMe")
    finally:
        logger.removeHandler(handler)
    assert TOKEN in plain.getvalue()


def test_configure_keeps_httpx_quiet_and_protects_root_handlers():
    root = logging.getLogger()
    before = list(root.handlers), root.level
    try:
        logging_setup.configure("DEBUG", TOKEN)
        assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
        assert logging.getLogger("httpcore").getEffectiveLevel() == logging.WARNING
        ours = [h for h in root.handlers if getattr(h, "_shcb", False)]
        assert ours and all(any(isinstance(f, RedactSecrets) for f in h.filters) for h in root.handlers)
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "token %s", (TOKEN,), None)
        assert all(f.filter(record) for f in ours[0].filters)
        assert record.getMessage() == f"token {REDACTED}"
    finally:
        for handler in list(root.handlers):
            if handler not in before[0]:
                root.removeHandler(handler)
        root.setLevel(before[1])


def test_log_times_are_vietnam_time_and_apscheduler_is_quiet_at_info():
    from datetime import datetime, timezone

    root = logging.getLogger()
    saved = (root.level, list(root.handlers), logging.getLogger("apscheduler").level)
    try:
        logging_setup.configure("INFO")
        [ours] = [h for h in root.handlers if getattr(h, "_shcb", False)]
        record = logging.LogRecord("bot.app", logging.INFO, __file__, 1, "bot is running", None, None)
        record.created = datetime(2026, 12, 3, 0, 0, 5, tzinfo=timezone.utc).timestamp()
        record.msecs = 0
        assert ours.formatter.format(record) == "2026-12-03 07:00:05,000+0700 INFO bot.app: bot is running"
        # "Running job … executed successfully" every minute is not worth an operator's INFO log.
        assert not logging.getLogger("apscheduler.executors.default").isEnabledFor(logging.INFO)
        assert logging.getLogger("apscheduler").isEnabledFor(logging.WARNING)
        logging_setup.configure("DEBUG")
        assert logging.getLogger("apscheduler.scheduler").isEnabledFor(logging.DEBUG)
    finally:
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]
        logging.getLogger("apscheduler").setLevel(saved[2])
