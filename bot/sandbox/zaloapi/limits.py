"""The Zalo server's limits. Zalo publishes no rate, only that a bot over its quota is refused with 429
"Quota exceeded"; so the defaults are Telegram's published ones, the conservative reading: at most 30
sends of one bot in any sliding second and 1 to one chat in any sliding second, counted on arrival by
the same `FloodControl` as the Telegram server. Texts and captions: 1 to 2000 characters (documented)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.sandbox.localapi.limits import Limits


@dataclass
class ZaloLimits(Limits):
    """`enabled` switches the quota (429) on or off; the sizes always apply."""

    global_count: int = 30
    global_window: float = 1.0
    per_chat_count: int = 1
    per_chat_window: float = 1.0
    max_text: int = 2000
    max_caption: int = 2000
