"""Shared fixtures. Feature fixtures (the local Bot API server, the end-to-end harness) live in
`tests/fixtures/` and are loaded here as plugins."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.core.clock import VN_TZ, ManualClock
from storage.db import Database

pytest_plugins = [
    "tests.fixtures.roster",
    "tests.fixtures.localapi",
    "tests.fixtures.e2e",
]


@pytest.fixture
async def db(tmp_path):
    """A fresh, migrated SQLite file."""
    database = await Database.open(tmp_path / "shcb.sqlite3")
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def clock():
    """A clock that moves only when told, starting on 2026-11-27 09:00 Vietnam time."""
    return ManualClock(datetime(2026, 11, 27, 9, 0, tzinfo=VN_TZ))
