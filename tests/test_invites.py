"""storage/invites.py on a real SQLite file, with the rule that judges a stored invite."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from bot.rules import access
from bot.rules.access import InviteFacts, InviteStatus
from storage import accounts, audit, codec, invites


async def _person(db, phone="84399900001", name="Lê Thị Hoa"):
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "INSERT INTO people (full_name, name_key, phone, created_at, updated_at) VALUES (?, ?, ?, 't', 't')",
            (name, name.lower(), phone))
        return cursor.lastrowid


def _status(invite, now):
    facts = None if invite is None else InviteFacts(codec.parse_instant(invite.expires_at), invite.used_at is not None)
    return access.invite_status(facts, now)


async def test_an_invite_is_found_by_its_code_in_any_case(db, clock):
    person_id = await _person(db)
    now = clock.now()
    invite = await invites.issue(db, person_id=person_id, created_by=None, created_at=codec.instant(now),
                                 expires_at=codec.instant(access.invite_expiry(now)), unit_id=None,
                                 detail={"via": "cli", "phone": "0399***001"})
    assert len(invite.code) == invites.CODE_LENGTH and set(invite.code) <= set(invites.ALPHABET)
    found = await invites.get_by_code(db, f"  {invite.code.lower()} ")
    assert found == invite
    assert await invites.get_by_code(db, "NOSUCHCODE") is None
    assert await invites.for_person(db, person_id) == [invite]
    # Created together with its audit entry.
    [entry] = await audit.entries(db)
    assert (entry.action, entry.subject_person_id, entry.actor_person_id) == ("invite.created", person_id, None)
    assert entry.detail == {"via": "cli", "phone": "0399***001", "invite_id": invite.id}


async def test_an_invite_is_valid_seven_days_then_expired(db, clock):
    person_id = await _person(db)
    now = clock.now()
    async with db.transaction() as conn:
        invite = await invites.create(conn, person_id=person_id, created_by=None, created_at=codec.instant(now),
                                      expires_at=codec.instant(access.invite_expiry(now)))
    stored = await invites.get_by_code(db, invite.code)
    assert _status(stored, now) is InviteStatus.VALID
    assert _status(stored, now + timedelta(days=7) - timedelta(seconds=1)) is InviteStatus.VALID
    assert _status(stored, now + timedelta(days=8)) is InviteStatus.EXPIRED
    assert _status(None, now) is InviteStatus.UNKNOWN


async def test_an_invite_is_used_once_only(db, clock):
    person_id = await _person(db)
    first = await accounts.ensure(db, external_id=501, chat_id=501, at="t", platform=accounts.TELEGRAM)
    second = await accounts.ensure(db, external_id=502, chat_id=502, at="t", platform=accounts.TELEGRAM)
    now = clock.now()
    async with db.transaction() as conn:
        invite = await invites.create(conn, person_id=person_id, created_by=None, created_at=codec.instant(now),
                                      expires_at=codec.instant(access.invite_expiry(now)))
    async with db.transaction() as conn:
        assert await invites.mark_used(conn, invite.id, account_id=first.id, at=codec.instant(now)) is True
    async with db.transaction() as conn:
        assert await invites.mark_used(conn, invite.id, account_id=second.id, at=codec.instant(now)) is False
    stored = await invites.get_by_code(db, invite.code)
    assert stored.used_by_account == first.id and stored.used_at == codec.instant(now)
    assert _status(stored, now) is InviteStatus.USED


async def test_a_failed_transaction_leaves_no_invite(db, clock):
    person_id = await _person(db)
    now = clock.now()
    with pytest.raises(RuntimeError):
        async with db.transaction() as conn:
            invite = await invites.create(conn, person_id=person_id, created_by=None, created_at=codec.instant(now),
                                          expires_at=codec.instant(access.invite_expiry(now)))
            raise RuntimeError("something after it failed")
    assert await invites.get_by_code(db, invite.code) is None


async def test_the_schema_refuses_nonsense(db, clock):
    person_id = await _person(db)
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as conn:  # expiring before it was made
            await conn.execute("INSERT INTO invites (code, person_id, created_at, expires_at) VALUES ('A', ?, 'b', 'a')",
                               (person_id,))
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as conn:  # used, but by nobody
            await conn.execute("INSERT INTO invites (code, person_id, created_at, expires_at, used_at)"
                               " VALUES ('A', ?, 'a', 'b', 'a')", (person_id,))


def test_codes_are_random_and_the_link_is_telegrams():
    codes = {invites.new_code() for _ in range(1000)}
    assert len(codes) == 1000
    assert invites.deep_link("@shcb_demo_bot", "ABC234") == "https://t.me/shcb_demo_bot?start=ABC234"


def test_a_code_typed_by_hand_is_found_whatever_its_spacing_and_case():
    assert invites.typed_code("abcde fghjk") == "ABCDEFGHJK"
    assert invites.typed_code(" ABCDE-FGHJK. ") == "ABCDEFGHJK"
    assert invites.typed_code("xin chào") is None              # not a code: a hint, not a refusal
    assert invites.typed_code("ABCDEFGHIJ") is None            # I is not in the alphabet …
    assert invites.typed_code("ABCDEFGHIJ", loose=True) == "ABCDEFGHIJ"   # … but asked for a code, it is a wrong one
    assert invites.typed_code("hello", loose=True) is None      # too short to be meant as a code
    assert invites.typed_code("mã của tôi", loose=True) is None
