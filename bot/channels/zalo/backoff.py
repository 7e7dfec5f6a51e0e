"""How long to hold back after Zalo answers 429 "Quota exceeded".

Zalo publishes no rate and its 429 carries no retry_after, so the adapter chooses: `first` seconds after
the first 429, doubled at each 429 that follows without a success in between, at most `longest`; a
request that goes through starts again from `first`. The wait is handed to python-telegram-bot as a
`RetryAfter`, which the application's rate limiter honours (bot/delivery/rate_limit.py) and which slows
the Zalo token's whole send budget, the outbox sender included.
"""

from __future__ import annotations

import math


class Backoff:
    def __init__(self, first: float = 5.0, longest: float = 300.0) -> None:
        if first <= 0 or longest < first:
            raise ValueError("need 0 < first <= longest")
        self.first = first
        self.longest = longest
        self.repeats = 0          # 429s in a row

    def quota_exceeded(self) -> int:
        """The seconds to wait after this 429 (whole seconds: the Bot API's retry_after is an integer)."""
        wait = min(self.longest, self.first * 2 ** self.repeats)
        self.repeats += 1
        return max(1, math.ceil(wait))

    def went_through(self) -> None:
        self.repeats = 0
