"""When the monthly ward report goes to the ward's staff on its own: on `[reports] delivery_day` at
`delivery_time` (default the 10th, 07:00 Vietnam time), once per ward and month, for that month.

The same catch-up rule as the reminders (bot/rules/schedule.py `decide`): a delivery whose time came while
the bot was down is sent if it is still the same Vietnam day, else skipped as late; on its day it waits for
a ward staff member to join. Each decision is recorded under the rule `ward_report` in the reminders' log,
so it is taken once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, tzinfo
from typing import Iterable, Mapping

from bot.rules import schedule

RULE = "ward_report"


@dataclass(frozen=True)
class Delivery:
    ward_id: int
    period: str
    at: datetime
    action: str                      # schedule.SEND or schedule.SKIP
    reason: str
    recipients: tuple[int, ...] = ()


def due(now: datetime, wards: Mapping[int, tuple[int, ...]], decided: Iterable[tuple[int, str]], *, day: int,
        at: time, tz: tzinfo = schedule.VIETNAM) -> list[Delivery]:
    """The deliveries to send or skip at `now` (wards: ward id -> person ids of its reachable staff;
    decided: (ward id, period) already sent or skipped)."""
    period = schedule.period_of(schedule.local(now, tz).date())
    when = datetime.combine(schedule.day_in(period, day), at, tzinfo=tz)
    done = set(decided)
    found = []
    for ward_id, recipients in sorted(wards.items()):
        if (ward_id, period) in done:
            continue
        planned = schedule.Planned(RULE, ward_id, period, when)
        decision = schedule.decide(planned, now, schedule.Facts(), recipients, tz)
        if decision is None:
            continue
        action, reason = decision
        found.append(Delivery(ward_id, period, when, action, reason, recipients if action == schedule.SEND else ()))
    return found
