"""Recommendations (kiến nghị): what a cell passes up — a concern of its members or of the citizens of its
area — and the answer that comes back down. Plain rules: the status machine, who may move it, who may see
an item, its tracking code, when it is overdue, and whether a submitted draft is complete.

    new ──receive──▶ received ──resolve (answer)──▶ resolved                     (the ward, for its cells)
     │                  │
     ├──────────────────┼──escalate──▶ escalated ──resolve (answer)──▶ city_resolved    (then the city)
     │                  │                 │
     └─return (question)┴─▶ returned      └─return (question)──▶ city_returned
                              │                                     │
                              └─clarify (cell)─▶ received           └─clarify (cell)─▶ escalated

`new` and `received` are the ward's to act on (resolve and escalate also straight from `new`);
`escalated` is the city's; `returned` / `city_returned` wait for the submitting cell's clarification;
`resolved` / `city_resolved` are closed: nothing moves them again.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Iterable

# Statuses, as stored.
NEW, RECEIVED, RETURNED, ESCALATED = "new", "received", "returned", "escalated"
CITY_RETURNED, RESOLVED, CITY_RESOLVED = "city_returned", "resolved", "city_resolved"
STATUSES = (NEW, RECEIVED, RETURNED, ESCALATED, CITY_RETURNED, RESOLVED, CITY_RESOLVED)
CLOSED = frozenset({RESOLVED, CITY_RESOLVED})
OPEN = frozenset(STATUSES) - CLOSED
AWAITING_CELL = frozenset({RETURNED, CITY_RETURNED})

# Actions (also the history's `action`; SUBMIT only starts an item).
SUBMIT, RECEIVE, RESOLVE, ESCALATE, RETURN, CLARIFY = "submit", "receive", "resolve", "escalate", "return", "clarify"
ACTIONS = (RECEIVE, RESOLVE, ESCALATE, RETURN, CLARIFY)
# Actions that need a text from the person (the answer, the question, the clarification).
NEEDS_TEXT = frozenset({RESOLVE, RETURN, CLARIFY})

# The level a person acts at, for one item.
CELL, WARD, CITY = "cell", "ward", "city"
LEVELS = (CELL, WARD, CITY)

# Who comes from: a party member, or citizens of the area.
MEMBER, CITIZENS = "member", "citizens"
SOURCES = (MEMBER, CITIZENS)
NORMAL, URGENT = "normal", "urgent"
URGENCIES = (NORMAL, URGENT)

# (level, action, from status) -> to status. Everything not here is refused.
TRANSITIONS: dict[tuple[str, str, str], str] = {
    (WARD, RECEIVE, NEW): RECEIVED,
    (WARD, RESOLVE, NEW): RESOLVED,
    (WARD, RESOLVE, RECEIVED): RESOLVED,
    (WARD, ESCALATE, NEW): ESCALATED,
    (WARD, ESCALATE, RECEIVED): ESCALATED,
    (WARD, RETURN, NEW): RETURNED,
    (WARD, RETURN, RECEIVED): RETURNED,
    (CELL, CLARIFY, RETURNED): RECEIVED,
    (CITY, RESOLVE, ESCALATED): CITY_RESOLVED,
    (CITY, RETURN, ESCALATED): CITY_RETURNED,
    (CELL, CLARIFY, CITY_RETURNED): ESCALATED,
}


class Refusal(enum.Enum):
    NOT_YOURS = "not_yours"          # this person has no level at which the action exists
    WRONG_STATUS = "wrong_status"    # the action exists for them, but not from this status (stale, twice)
    CLOSED = "closed"                # the item is resolved: nothing moves it
    NEEDS_TEXT = "needs_text"        # an answer / question / clarification is required
    UNKNOWN = "unknown"              # not an action at all (forged)


@dataclass(frozen=True)
class Decision:
    """What applying an action means: the status it moves to, at which level — or why it is refused."""

    to_status: str | None = None
    level: str | None = None
    refusal: Refusal | None = None

    @property
    def allowed(self) -> bool:
        return self.refusal is None


def decide(status: str, action: str, levels: Iterable[str], text: str | None = None) -> Decision:
    """May someone acting at `levels` (for this item) do `action` on an item in `status`?"""
    levels = [level for level in LEVELS if level in set(levels)]
    if action not in ACTIONS or status not in STATUSES:
        return Decision(refusal=Refusal.UNKNOWN)
    for level in levels:
        to_status = TRANSITIONS.get((level, action, status))
        if to_status is not None:
            if action in NEEDS_TEXT and not (text or "").strip():
                return Decision(refusal=Refusal.NEEDS_TEXT)
            return Decision(to_status, level)
    if not any((level, action) == (lvl, act) for level in levels for (lvl, act, _from) in TRANSITIONS):
        return Decision(refusal=Refusal.NOT_YOURS)
    return Decision(refusal=Refusal.CLOSED if status in CLOSED else Refusal.WRONG_STATUS)


def actions_for(status: str, levels: Iterable[str]) -> list[str]:
    """The actions someone acting at `levels` can take on an item in `status` now (for its buttons)."""
    wanted = set(levels)
    return [action for action in ACTIONS
            if any((level, action, status) in TRANSITIONS for level in wanted)]


def holder(status: str) -> str | None:
    """Who is expected to act next: the ward, the city, the cell — None once closed."""
    if status in (NEW, RECEIVED):
        return WARD
    if status == ESCALATED:
        return CITY
    if status in AWAITING_CELL:
        return CELL
    return None


# --- Who sees an item, and at which levels they act on it ----------------------------------------


@dataclass(frozen=True)
class Viewer:
    """From the database, for one person now: the cells they lead (secretary or deputy), the wards they
    are staff of, whether they are city staff."""

    cells: frozenset[int] = frozenset()
    wards: frozenset[int] = frozenset()
    city: bool = False


@dataclass(frozen=True)
class ItemPlace:
    """Where an item belongs now: its cell, that cell's current ward, and whether it was ever escalated."""

    cell_id: int
    ward_id: int | None
    escalated: bool


def levels_of(viewer: Viewer, place: ItemPlace) -> frozenset[str]:
    """The levels at which this viewer may see and act on this item: the submitting cell's leaders; the
    staff of the cell's ward; city staff once it was escalated. Empty: they may not even see it."""
    levels = set()
    if place.cell_id in viewer.cells:
        levels.add(CELL)
    if place.ward_id is not None and place.ward_id in viewer.wards:
        levels.add(WARD)
    if viewer.city and place.escalated:
        levels.add(CITY)
    return frozenset(levels)


def may_see(viewer: Viewer, place: ItemPlace) -> bool:
    return bool(levels_of(viewer, place))


# --- Tracking codes ----------------------------------------------------------------------------------


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def tracking_code(month: str, seq: int) -> str:
    """'2026-12', 42 -> 'KN-2612-0042' (four digits at least; a 10,000th item of a month gets five)."""
    year, mon = month.split("-")
    if seq < 1:
        raise ValueError("a sequence starts at 1")
    return f"KN-{year[2:]}{mon}-{seq:04d}"


def parse_code(text: str) -> str | None:
    """A tracking code as typed ('kn-2612-42', 'KN 2612 0042', 'KN26120042') in its stored form, or None."""
    cleaned = "".join(ch for ch in (text or "").strip().upper() if ch.isalnum())
    if not cleaned.startswith("KN") or len(cleaned) < 7:
        return None
    digits = cleaned[2:]
    if not (digits.isascii() and digits.isdigit()):
        return None
    period, seq = digits[:4], digits[4:]
    if not seq or int(period[2:]) not in range(1, 13) or int(seq) < 1:
        return None
    return f"KN-{period}-{int(seq):04d}"


# --- Deadlines ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadlines:
    """Days a ward has to act on an item before it is flagged ([recommendations] in the config)."""

    normal_days: int = 7
    urgent_days: int = 2


def due_at(submitted_at: datetime, urgency: str, deadlines: Deadlines) -> datetime:
    days = deadlines.urgent_days if urgency == URGENT else deadlines.normal_days
    return submitted_at + timedelta(days=days)


def is_overdue(status: str, urgency: str, submitted_at: datetime, now: datetime, deadlines: Deadlines) -> bool:
    """Still new or received when its days have passed: the ward has not acted on it."""
    return status in (NEW, RECEIVED) and now >= due_at(submitted_at, urgency, deadlines)


# --- The submission draft -----------------------------------------------------------------------------

MAX_CONTENT = 3500       # characters of content: long enough for a petition, one message in previews
MAX_ATTACHMENTS = 5


def missing_field(data: dict, categories: Iterable[str]) -> str | None:
    """The first step a submission draft still lacks ('category', 'content', 'source', 'urgency'), or None
    when it can be submitted."""
    if data.get("category") not in set(categories):
        return "category"
    content = data.get("content")
    if not isinstance(content, str) or not content.strip():
        return "content"
    if data.get("source") not in SOURCES:
        return "source"
    if data.get("urgency") not in URGENCIES:
        return "urgency"
    return None


def pick_numbered(text: str, count: int) -> int | None:
    """A typed number answering a numbered question: '2', ' 2. ', '(2)' -> index 1; None if not 1..count."""
    cleaned = (text or "").strip().strip("().").strip()
    if not (cleaned.isascii() and cleaned.isdigit()):
        return None
    number = int(cleaned)
    return number - 1 if 1 <= number <= count else None


# --- What the time-based checks send: the daily digest, the overdue flags ------------------------------


@dataclass(frozen=True)
class DigestWindow:
    """Today's digest (period = the Vietnam day, 'YYYY-MM-DD'): the items submitted in [start, end)."""

    period: str
    start: datetime
    end: datetime


def digest_window(now: datetime, at: time, tz: tzinfo) -> DigestWindow | None:
    """The digest due at `now`: today's once its time has come (the 24 hours before it), else None. Like a
    reminder, a digest whose day has passed (the bot was down all day) is not sent later: what it would
    have listed is still in the inbox, and flagged when overdue."""
    local = now.astimezone(tz)
    end = datetime.combine(local.date(), at, tzinfo=tz)
    if local < end:
        return None
    return DigestWindow(local.date().isoformat(), end - timedelta(days=1), end)


@dataclass(frozen=True)
class OpenItem:
    id: int
    status: str
    urgency: str
    submitted_at: datetime


def newly_overdue(items: Iterable[OpenItem], now: datetime, deadlines: Deadlines,
                  flagged: Iterable[int]) -> list[int]:
    """The ids of items overdue at `now` and not flagged before (each is flagged once)."""
    seen = set(flagged)
    return [item.id for item in items if item.id not in seen
            and is_overdue(item.status, item.urgency, item.submitted_at, now, deadlines)]

