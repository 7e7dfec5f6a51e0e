"""bot/rules/access.py: scopes over every role × tree position, invites, the join judgement, text commands."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.rules import access
from bot.rules import commands as command_rules
from bot.rules.access import (CELL_LEADERS, CITY_STAFF, DEPUTY, MEMBER, ROLES, SECRETARY, WARD_STAFF,
                              InviteFacts, InviteStatus, JoinFacts, JoinOutcome)

# A small tree, three levels and one deeper branch (the depth is not fixed):
#   1 city
#   ├── 10 ward A: 100 cell A1, 101 cell A2
#   ├── 11 ward B: 110 cell B1, 111 sub-unit B2 → 1110 cell under it
#   2 another root (a second city: nobody of city 1 reaches it)
PARENT = {1: None, 10: 1, 11: 1, 100: 10, 101: 10, 110: 11, 111: 11, 1110: 111, 2: None}


def chain(unit: int) -> list[int]:
    """The unit, then its ancestors up to the root (as storage.org.ancestors gives them)."""
    out = []
    while unit is not None:
        out.append(unit)
        unit = PARENT[unit]
    return out


def under(anchor: int, unit: int) -> bool:
    return anchor in chain(unit)


# Where each role is held in the tree (the positions the roster can give it).
POSITIONS = {SECRETARY: [100, 101, 110, 1110], DEPUTY: [100, 110, 1110], MEMBER: [100, 110],
             WARD_STAFF: [10, 11], CITY_STAFF: [1]}


@pytest.mark.parametrize("role,anchor", [(r, u) for r, units in POSITIONS.items() for u in units])
@pytest.mark.parametrize("target", sorted(PARENT))
def test_every_role_at_every_position_against_every_unit(role, anchor, target):
    scope = access.scope_of([(role, anchor)])
    expected = role != MEMBER and under(anchor, target)
    assert access.can_act_on(scope, chain(target)) is expected
    # Only the role that gives it counts.
    for others in (CELL_LEADERS, {WARD_STAFF}, {CITY_STAFF}):
        assert access.can_act_on(scope, chain(target), others) is (expected and role in others)


def test_the_examples_in_words():
    secretary = access.scope_of([(SECRETARY, 100)])
    ward_staff = access.scope_of([(WARD_STAFF, 10)])
    city_staff = access.scope_of([(CITY_STAFF, 1)])
    assert access.can_act_on(secretary, chain(100)) and not access.can_act_on(secretary, chain(101))
    assert not access.can_act_on(secretary, chain(10)), "a secretary does not act for the ward"
    assert access.can_act_on(ward_staff, chain(101)) and access.can_act_on(ward_staff, chain(10))
    assert not access.can_act_on(ward_staff, chain(110)), "another ward's cell"
    assert access.can_act_on(access.scope_of([(WARD_STAFF, 11)]), chain(1110)), "any depth under the ward"
    assert not access.can_act_on(ward_staff, chain(1)), "not above their ward"
    assert all(access.can_act_on(city_staff, chain(u)) for u in PARENT if u != 2)
    assert not access.can_act_on(city_staff, chain(2)), "another root"


def test_several_roles_add_up():
    scope = access.scope_of([(SECRETARY, 100), (WARD_STAFF, 11), (MEMBER, 101)])
    assert scope.roles == {SECRETARY, WARD_STAFF, MEMBER}
    acting = {u for u in PARENT if access.can_act_on(scope, chain(u))}
    assert acting == {100, 11, 110, 111, 1110}
    assert access.menu_roles(scope) == {SECRETARY, WARD_STAFF, MEMBER}


def test_an_inactive_person_has_no_scope_and_no_menu():
    scope = access.scope_of([(CITY_STAFF, 1)], active=False)
    assert not scope and access.menu_roles(scope) == frozenset()
    assert not any(access.can_act_on(scope, chain(u)) for u in PARENT)


def test_unknown_units_and_roles_are_never_allowed():
    city_staff = access.scope_of([(CITY_STAFF, 1), ("admin", 1)])
    assert not access.can_act_on(city_staff, [])
    assert access.scope_of([("admin", 1)]).roles == frozenset()


def test_the_agreed_pair_form():
    assert access.can_act_on_unit([(WARD_STAFF, 10)], chain(100))
    assert not access.can_act_on_unit([(MEMBER, 100)], chain(100))


@given(st.lists(st.tuples(st.sampled_from(ROLES), st.sampled_from(sorted(PARENT))), max_size=5),
       st.sampled_from(sorted(PARENT)))
def test_property_allowed_iff_an_acting_anchor_is_an_ancestor(holdings, target):
    scope = access.scope_of(holdings)
    expected = any(role != MEMBER and under(unit, target) for role, unit in holdings)
    assert access.can_act_on(scope, chain(target)) is expected


# --- invites ----------------------------------------------------------------------------------------

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc)


def test_invite_status():
    expires = access.invite_expiry(NOW)
    assert expires - NOW == timedelta(days=7)
    assert access.invite_status(None, NOW) is InviteStatus.UNKNOWN
    assert access.invite_status(InviteFacts(expires, used=False), NOW) is InviteStatus.VALID
    assert access.invite_status(InviteFacts(expires, used=False), expires - timedelta(seconds=1)) is InviteStatus.VALID
    assert access.invite_status(InviteFacts(expires, used=False), expires) is InviteStatus.EXPIRED
    assert access.invite_status(InviteFacts(expires, used=False), NOW + timedelta(days=8)) is InviteStatus.EXPIRED
    assert access.invite_status(InviteFacts(expires, used=True), NOW) is InviteStatus.USED
    assert access.invite_status(InviteFacts(expires, used=True), NOW + timedelta(days=8)) is InviteStatus.USED


# --- joining ----------------------------------------------------------------------------------------


def facts(**overrides) -> JoinFacts:
    base = dict(own_contact=True, person_id=7, person_active=True, person_account=None, sender="500",
                sender_person_id=None, by_invite=False)
    base.update(overrides)
    return JoinFacts(**base)


@pytest.mark.parametrize("overrides,outcome", [
    ({}, JoinOutcome.LINK),
    ({"own_contact": False}, JoinOutcome.FOREIGN_CONTACT),
    ({"own_contact": False, "person_id": None}, JoinOutcome.FOREIGN_CONTACT),
    ({"person_id": None}, JoinOutcome.UNKNOWN_PHONE),
    ({"person_active": False}, JoinOutcome.INACTIVE),
    ({"person_active": False, "person_account": "600"}, JoinOutcome.INACTIVE),
    ({"person_account": "500", "sender_person_id": 7}, JoinOutcome.ALREADY_LINKED),
    ({"sender_person_id": 8}, JoinOutcome.ACCOUNT_TAKEN),
    ({"person_account": "600"}, JoinOutcome.PERSON_TAKEN),
    ({"person_account": "600", "by_invite": True}, JoinOutcome.MOVE_LINK),
    ({"by_invite": True}, JoinOutcome.LINK),
])
def test_join_judgement(overrides, outcome):
    assert access.judge_join(facts(**overrides)) is outcome


def test_only_refusals_about_a_known_person_reach_the_ward():
    assert access.NOTIFY_WARD == {JoinOutcome.INACTIVE, JoinOutcome.PERSON_TAKEN}


def test_join_judgement_is_total():
    """Every combination gives exactly one outcome, and linking needs every condition."""
    for own, pid, active, holder, sender_pid, by_invite in itertools.product(
            (True, False), (None, 7), (True, False), (None, "500", "600"), (None, 7, 8), (True, False)):
        outcome = access.judge_join(facts(own_contact=own, person_id=pid, person_active=active,
                                          person_account=holder, sender_person_id=sender_pid, by_invite=by_invite))
        if outcome is JoinOutcome.LINK:
            assert own and pid and active and sender_pid is None and holder in (None, "500")


# --- text commands ----------------------------------------------------------------------------------

INDEX = command_rules.build_index({"help": ["Trợ giúp", "Help", "help"], "roll": ["Điểm danh", "Roll call"],
                                   "guidance": ["📖 Hướng dẫn", "Guidance", "huongdan"]})


@pytest.mark.parametrize("typed,key", [
    ("trợ giúp", "help"), ("tro giup", "help"), ("TRỢ GIÚP", "help"), ("  Tro   Giup ", "help"), ("HELP", "help"),
    ("điểm danh", "roll"), ("diem danh", "roll"), ("ĐIỂM DANH", "roll"), ("roll call", "roll"),
    ("hướng dẫn", "guidance"), ("huong dan", "guidance"), ("📖 Hướng dẫn", "guidance"), ("huongdan", "guidance"),
    ("trợ", None), ("điểm danh ngay", None), ("", None), ("🙂", None),
])
def test_text_commands_match_whatever_the_case_and_accents(typed, key):
    assert command_rules.match(typed, INDEX) == key


def test_decomposed_unicode_matches_too():
    import unicodedata

    assert command_rules.match(unicodedata.normalize("NFD", "Điểm danh"), INDEX) == "roll"


def test_a_spelling_shared_by_two_items_belongs_to_the_first():
    index = command_rules.build_index({"a": ["Xem"], "b": ["xem"]})
    assert command_rules.match("XEM", index) == "a"


# --- replacing a secretary ----------------------------------------------------------------------------

CELL_NOW = [(1, 100, SECRETARY), (2, 101, DEPUTY), (3, 102, MEMBER), (4, 103, MEMBER)]


def test_a_member_becomes_secretary_and_the_old_one_stays_a_member():
    plan = access.plan_replacement(CELL_NOW, 102)
    assert plan.old_secretary == 100
    assert plan.ended == (1, 3) and plan.opened == ((100, MEMBER), (102, SECRETARY))


def test_the_deputy_becomes_secretary():
    plan = access.plan_replacement(CELL_NOW, 101)
    assert plan.ended == (1, 2) and plan.opened == ((100, MEMBER), (101, SECRETARY))


def test_a_cell_without_secretary_gets_one():
    plan = access.plan_replacement(CELL_NOW[1:], 103)
    assert plan.old_secretary is None and plan.ended == (4,) and plan.opened == ((103, SECRETARY),)


def test_an_old_secretary_who_is_also_listed_as_member_is_not_added_twice():
    plan = access.plan_replacement(CELL_NOW + [(5, 100, MEMBER)], 103)
    assert plan.opened == ((103, SECRETARY),) and plan.ended == (1, 4)


@pytest.mark.parametrize("person", [100, 999])
def test_replacement_refusals(person):
    with pytest.raises(access.ReplacementRefused):
        access.plan_replacement(CELL_NOW, person)


def test_five_wrong_invite_codes_a_day_then_wait():
    assert [access.may_try_a_code(n) for n in range(7)] == [True] * 5 + [False] * 2
