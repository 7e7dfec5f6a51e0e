"""Transport faults on purpose, for fault tests: at a set rate (seeded, so a run can be repeated) a bot
request is answered the way a bad day at Telegram answers it.

    server = LocalBotApi(faults=FaultPlan(rate=0.1, kinds=("429", "5xx", "timeout", "drop"), seed=1))

- "429": Too Many Requests with `retry_after` (before the request is applied: nothing happened);
- "5xx": 500 Internal Server Error or 502 Bad Gateway (before: nothing happened);
- "timeout": the request IS applied, then its answer is held `hold_seconds` (longer than the client's
  time-out) and the connection closed without one — the message was sent, the bot never heard it;
- "drop": the connection is closed without an answer, half the time before the request is applied and
  half the time after it (the nasty case, like the time-out: delivered, but the bot does not know).

Only the methods in `methods` are hit (by default those that send, edit or answer: not getUpdates or the
start-up calls). Every fault is recorded in `injected` with whether the request was applied, so a test can
bound duplicates by the faults that could cause them (`applied()`).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

KINDS = ("429", "5xx", "timeout", "drop")
# Lower case, as the method registry keeps them.
DEFAULT_METHODS = frozenset({
    "sendmessage", "senddocument", "sendphoto", "editmessagetext", "editmessagecaption",
    "editmessagereplymarkup", "deletemessage", "answercallbackquery", "sendchataction",
})


@dataclass(frozen=True)
class Fault:
    kind: str            # "429", "5xx", "timeout", "drop"
    applied: bool        # the request took effect before the bot was left without an answer
    status: int = 0      # the HTTP status of a "429" or "5xx"


@dataclass(frozen=True)
class Injected:
    method: str
    chat_id: str | None
    fault: Fault


@dataclass
class FaultPlan:
    rate: float = 0.1
    kinds: tuple[str, ...] = KINDS
    seed: int | None = None
    methods: frozenset[str] = DEFAULT_METHODS
    hold_seconds: float = 10.0     # a "timeout" holds the answer this long (more than the client waits)
    retry_after: int = 1           # the seconds a "429" asks for
    enabled: bool = True           # switch off to let a test finish cleanly
    injected: list[Injected] = field(default_factory=list)
    _random: random.Random = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 0 <= self.rate <= 1:
            raise ValueError("fault rate must be between 0 and 1")
        unknown = [kind for kind in self.kinds if kind not in KINDS]
        if unknown or not self.kinds:
            raise ValueError(f"fault kinds must be among {', '.join(KINDS)}")
        if self.hold_seconds < 0 or self.retry_after < 1:
            raise ValueError("hold_seconds must be >= 0 and retry_after >= 1")
        self.methods = frozenset(m.lower() for m in self.methods)
        self._random = random.Random(self.seed)

    def draw(self, method: str, chat_id: str | None = None) -> Fault | None:
        """The fault for this request, or None: answer it normally."""
        if not self.enabled or method.lower() not in self.methods or self._random.random() >= self.rate:
            return None
        kind = self._random.choice(self.kinds)
        if kind == "429":
            fault = Fault(kind, applied=False, status=429)
        elif kind == "5xx":
            fault = Fault(kind, applied=False, status=self._random.choice((500, 502)))
        elif kind == "timeout":
            fault = Fault(kind, applied=True)
        else:
            fault = Fault(kind, applied=self._random.random() < 0.5)
        self.injected.append(Injected(method.lower(), chat_id, fault))
        return fault

    def counts(self) -> Counter:
        """Faults injected so far by kind; drops as "drop before" and "drop after"."""
        return Counter(i.fault.kind if i.fault.kind != "drop" else f"drop {'after' if i.fault.applied else 'before'}"
                       for i in self.injected)

    def applied(self, methods: tuple[str, ...] = ("sendmessage", "senddocument", "sendphoto")) -> list[Injected]:
        """The faults after which a message of `methods` was delivered without the bot hearing it: each
        may become one duplicate when the bot sends it again."""
        return [i for i in self.injected if i.fault.applied and i.method in methods]
