"""What every handler, job and command shares: config, database, clock. Stored in the PTB application's
`bot_data["ctx"]`; the handlers take it from there (`ctx_of(context)`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from bot.core import i18n
from bot.core.clock import Clock
from bot.core.config import Config
from storage.db import Database


@dataclass
class AppContext:
    config: Config
    db: Database
    clock: Clock
    # Set by the application wiring: wakes the outbox sender after rows were queued.
    wake_sender: Callable[[], None] = field(default=lambda: None)
    # Room for features' own long-lived objects (keyed by feature name).
    extras: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Every translator of the process shows times in this context's zone ([locale] timezone).
        i18n.use_timezone(self.clock.tz)


def platform_of(context: Any) -> str:
    """The chat platform ("telegram" or "zalo") of the Application handling this update: each platform has
    its own Application over the same handlers, context and database (`bot_data["platform"]`)."""
    app = getattr(context, "application", context)
    return app.bot_data.get("platform", "telegram")


def ctx_of(context: Any) -> AppContext:
    """The AppContext from a PTB CallbackContext or Application."""
    app = getattr(context, "application", context)
    return app.bot_data["ctx"]
