"""The Zalo token's one send budget (bot/delivery/pacing.py), from `[zalo]`'s rates: shared by the Zalo
Application's replies (its rate limiter), the outbox sender's Zalo bot, and the adapter's own sends
(a refused number, an edit or a notice that becomes a new message in the chat)."""

from __future__ import annotations

import dataclasses

from bot.core.config import Config, SenderConfig
from bot.delivery.pacing import SendBudget, budget_for


def pacing(config: Config) -> SenderConfig:
    """The sender's settings with [zalo]'s rates."""
    zalo = config.zalo
    return dataclasses.replace(config.sender, overall_per_second=zalo.overall_per_second,
                               per_chat_interval_seconds=zalo.per_chat_interval_seconds,
                               per_chat_burst=zalo.per_chat_burst)


def zalo_budget(config: Config) -> SendBudget:
    return budget_for(config.zalo.token, config.zalo.base_url, pacing(config))
