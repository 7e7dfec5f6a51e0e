"""Who may do what, and who may join: plain rules over plain data (no PTB, no SQL, no clock).

The organisation is a tree of units: the city committee (Thành ủy) at the root, ward or commune committees
(đảng ủy phường/xã) below it, party cells (chi bộ) below those — the depth is not fixed. A person holds
roles in units through their current memberships:

- a secretary (bí thư) or deputy secretary (phó bí thư) acts for their own cell;
- ward staff (cán bộ đảng ủy phường) act for their ward and every unit under it;
- city staff (cán bộ Thành ủy) hold their role at the root, so they act for everything;
- a plain member (đảng viên) acts for no unit.

So a role anchored at a unit covers that unit and everything below it, and "may this person act on that
unit" is: does one of their acting anchors appear among the unit's ancestors (the unit itself included)?
The handlers take every fact from the database on every action; callback data never says what is allowed.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Sequence

# Role names as stored (the same strings as storage.org's constants).
SECRETARY, DEPUTY, MEMBER, WARD_STAFF, CITY_STAFF = "secretary", "deputy", "member", "ward_staff", "city_staff"
ROLES = (SECRETARY, DEPUTY, MEMBER, WARD_STAFF, CITY_STAFF)
CELL_LEADERS = frozenset({SECRETARY, DEPUTY})
STAFF = frozenset({WARD_STAFF, CITY_STAFF})
ACTING_ROLES = CELL_LEADERS | STAFF
# Everyone who may be linked sees the common items (help, language).
EVERYONE = frozenset(ROLES)


@dataclass(frozen=True)
class Scope:
    """A person's current roles, each anchored at a unit. Empty for an inactive person."""

    anchors: frozenset[tuple[str, int]] = frozenset()

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(role for role, _unit in self.anchors)

    def units(self, roles: Iterable[str] = ACTING_ROLES) -> frozenset[int]:
        """The anchor units of these roles (each covers its whole subtree)."""
        wanted = frozenset(roles)
        return frozenset(unit for role, unit in self.anchors if role in wanted)

    def __bool__(self) -> bool:
        return bool(self.anchors)


def scope_of(holdings: Iterable[tuple[str, int]], *, active: bool = True) -> Scope:
    """The scope given by a person's current memberships, as (role, unit id) pairs. An inactive person
    (dropped from the roster) has none, whatever rows remain."""
    if not active:
        return Scope()
    return Scope(frozenset((role, unit_id) for role, unit_id in holdings if role in ROLES))


def can_act_on(scope: Scope, target_ancestor_ids: Sequence[int], roles: Iterable[str] = ACTING_ROLES) -> bool:
    """May a person with `scope`, in one of `roles`, act on the unit whose ancestors (the unit itself first,
    up to the root) are `target_ancestor_ids`? An empty chain (an unknown unit) is never allowed."""
    chain = frozenset(target_ancestor_ids)
    if not chain:
        return False
    return bool(scope.units(roles) & chain)


def can_act_on_unit(actor_roles: Iterable[tuple[str, int]], target_unit_ancestors: Sequence[int]) -> bool:
    """The same, from plain (role, unit id) pairs (the form agreed between features)."""
    return can_act_on(scope_of(actor_roles), target_unit_ancestors)


def menu_roles(scope: Scope) -> frozenset[str]:
    """The roles whose menu items a person sees: every role they hold now."""
    return scope.roles


# --- Invites ------------------------------------------------------------------------------------------

INVITE_VALIDITY = timedelta(days=7)


class InviteStatus(enum.Enum):
    VALID = "valid"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"


@dataclass(frozen=True)
class InviteFacts:
    expires_at: datetime
    used: bool


def invite_expiry(created_at: datetime) -> datetime:
    return created_at + INVITE_VALIDITY


# Wrong invite codes one chat account may send in a day before it is asked to wait: codes are typed by hand
# on Zalo (10 of 31 characters: not guessable anyway), and a person who got theirs wrong five times needs
# the ward's office rather than a sixth try.
WRONG_CODES_PER_DAY = 5
WRONG_CODES_WINDOW = timedelta(days=1)


def may_try_a_code(wrong_codes_in_window: int) -> bool:
    """Whether an account that sent this many wrong codes in the last WRONG_CODES_WINDOW may try another."""
    return wrong_codes_in_window < WRONG_CODES_PER_DAY


def invite_status(invite: InviteFacts | None, now: datetime) -> InviteStatus:
    """An invite is single-use and valid until its expiry instant (exclusive). A used code says "used"
    even once it has also expired: that is the more useful thing to tell."""
    if invite is None:
        return InviteStatus.UNKNOWN
    if invite.used:
        return InviteStatus.USED
    if now >= invite.expires_at:
        return InviteStatus.EXPIRED
    return InviteStatus.VALID


# --- Joining --------------------------------------------------------------------------------------------


class JoinOutcome(enum.Enum):
    LINK = "link"                        # link the account to the person
    ALREADY_LINKED = "already_linked"    # this account is already this person's
    FOREIGN_CONTACT = "foreign_contact"  # someone else's contact card was shared
    UNKNOWN_PHONE = "unknown_phone"      # not in the roster
    INACTIVE = "inactive"                # in the roster but no longer active
    PERSON_TAKEN = "person_taken"        # the person is linked to another account
    MOVE_LINK = "move_link"              # by invite: the person is moved from their old account to this one
    ACCOUNT_TAKEN = "account_taken"      # this account is linked to someone else


# Refusals about a known person that the person's ward staff are told of.
NOTIFY_WARD = frozenset({JoinOutcome.INACTIVE, JoinOutcome.PERSON_TAKEN})


@dataclass(frozen=True)
class JoinFacts:
    """What is known when an account asks to be linked to a person (by phone or by invite).

    own_contact: the shared contact is the sender's own (always True for an invite);
    person_id / person_active: the roster person found (None: none);
    person_account: the external id of the account that person is linked to, if any;
    sender: the external id of the asking account; sender_person_id: whom that account is linked to."""

    own_contact: bool
    person_id: int | None
    person_active: bool
    person_account: str | None
    sender: str
    sender_person_id: int | None
    by_invite: bool = False


def judge_join(facts: JoinFacts) -> JoinOutcome:
    """A phone proves nothing about which of two accounts is the person's, so a second account claiming a
    linked phone is refused; an invite is the ward's say-so, so it moves the link to the new account (a
    person who changed phones or accounts)."""
    if not facts.own_contact:
        return JoinOutcome.FOREIGN_CONTACT
    if facts.person_id is None:
        return JoinOutcome.UNKNOWN_PHONE
    if not facts.person_active:
        return JoinOutcome.INACTIVE
    if facts.sender_person_id == facts.person_id:
        return JoinOutcome.ALREADY_LINKED
    if facts.sender_person_id is not None:
        return JoinOutcome.ACCOUNT_TAKEN
    if facts.person_account is not None and facts.person_account != facts.sender:
        return JoinOutcome.MOVE_LINK if facts.by_invite else JoinOutcome.PERSON_TAKEN
    return JoinOutcome.LINK


# --- Replacing a secretary -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Replacement:
    """What changes in a cell when `new_person` becomes its secretary: memberships to end (ids) and to open
    (person, role). The old secretary stays in the cell as a member; history keeps both rows."""

    old_secretary: int | None
    ended: tuple[int, ...]
    opened: tuple[tuple[int, str], ...]


class ReplacementRefused(ValueError):
    """The new secretary must be someone of the cell who is not its secretary already."""


def plan_replacement(cell_memberships: Iterable[tuple[int, int, str]], new_person: int) -> Replacement:
    """`cell_memberships`: the cell's current memberships as (membership id, person id, role)."""
    current = list(cell_memberships)
    secretary = next((m for m in current if m[2] == SECRETARY), None)
    if secretary is not None and secretary[1] == new_person:
        raise ReplacementRefused("already the secretary")
    theirs = [m for m in current if m[1] == new_person]
    if not theirs:
        raise ReplacementRefused("not of this cell")
    ended = [m[0] for m in theirs]
    opened: list[tuple[int, str]] = []
    if secretary is not None:
        ended.insert(0, secretary[0])
        if not any(m[1] == secretary[1] and m[2] == MEMBER for m in current):
            opened.append((secretary[1], MEMBER))
    opened.append((new_person, SECRETARY))
    return Replacement(secretary[1] if secretary else None, tuple(ended), tuple(opened))
