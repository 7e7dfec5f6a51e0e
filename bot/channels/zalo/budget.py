"""The Zalo token's one send budget (bot/delivery/pacing.py), from `[zalo]`'s rates: shared by the Zalo
Application's replies (its rate limiter), the outbox sender's Zalo bot, and the adapter's own sends
(a refused number, an edit or a notice that becomes a new message in the chat)."""

from __future__ import annotations

from bot.core.config import Config, SenderConfig
from bot.delivery.pacing import SendBudget, budget_for


def pacing(config: Config) -> SenderConfig:
    """The sender's settings with [zalo]'s rates."""
    return config.pacing_for("zalo")


def zalo_budget(config: Config) -> SendBudget:
    return budget_for(config.zalo.token, config.zalo.base_url, pacing(config))
