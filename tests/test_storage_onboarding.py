"""The storage additions onboarding relies on: accounts (ensure, link in a transaction, unlink, linked),
people search within units, a person's memberships past and present, and the command lists."""

from __future__ import annotations

import sqlite3

import pytest

from storage import accounts, command_lists, org


async def _tree(db):
    """city 1 → ward 2 → cells 3, 4; ward 5 → cell 6; people with memberships, one ended."""
    async with db.transaction() as conn:
        for uid, parent, kind, name in [(1, None, "city", "Thành ủy"), (2, 1, "ward", "Nam Ngạn"),
                                        (3, 2, "cell", "Nguyễn Mộng Tuân 2"), (4, 2, "cell", "Đông Thọ 1"),
                                        (5, 1, "ward", "Hạc Thành"), (6, 5, "cell", "Ba Đình 3")]:
            await conn.execute("INSERT INTO units (id, parent_id, kind, name, name_key, created_at)"
                               " VALUES (?, ?, ?, ?, ?, 't')", (uid, parent, kind, name, name.lower()))
        for pid, name, key, phone, active in [(1, "Lê Văn Hùng", "le van hung", "84399900001", 1),
                                              (2, "Trần Thị Hùng", "tran thi hung", "84399900002", 1),
                                              (3, "Phạm Hùng", "pham hung", "84399900003", 1),
                                              (4, "Đỗ Văn Hùng", "do van hung", "84399900004", 0)]:
            await conn.execute("INSERT INTO people (id, full_name, name_key, phone, active, created_at, updated_at)"
                               " VALUES (?, ?, ?, ?, ?, 't', 't')", (pid, name, key, phone, active))
        for person, unit, role, start, end in [(1, 3, "secretary", "2026-01-01", None),
                                               (2, 4, "member", "2026-01-01", None),
                                               (3, 6, "member", "2026-01-01", None),
                                               (4, 3, "member", "2026-01-01", "2026-06-01"),
                                               (1, 4, "member", "2025-01-01", "2025-12-31")]:
            await conn.execute("INSERT INTO memberships (person_id, unit_id, role, valid_from, valid_to)"
                               " VALUES (?, ?, ?, ?, ?)", (person, unit, role, start, end))


async def test_ensure_creates_an_unlinked_account_once(db):
    first = await accounts.ensure(db, external_id=42, chat_id=42, at="t1", language="en", display_name="A", platform=accounts.TELEGRAM)
    again = await accounts.ensure(db, external_id=42, chat_id=42, at="t2", language="vi", display_name="B", platform=accounts.TELEGRAM)
    assert first.id == again.id and again.person_id is None
    assert again.language == "en", "a language chosen before stays"
    assert again.display_name == "B"


async def test_link_in_unlink_and_linked(db):
    await _tree(db)
    async with db.transaction() as conn:
        await accounts.link_in(conn, external_id=42, chat_id=42, person_id=1, at="t", platform=accounts.TELEGRAM)
    account = await accounts.get_by_external(db, 42, platform=accounts.TELEGRAM)
    assert account.person_id == 1 and (await accounts.get_for_person(db, 1, platform=accounts.TELEGRAM)).id == account.id
    assert [a.id for a in await accounts.linked(db, platform=accounts.TELEGRAM)] == [account.id]
    with pytest.raises(sqlite3.IntegrityError):  # one account per person
        await accounts.link(db, external_id=43, chat_id=43, person_id=1, at="t", platform=accounts.TELEGRAM)
    await accounts.unlink(db, account.id)
    assert (await accounts.get_by_external(db, 42, platform=accounts.TELEGRAM)).person_id is None
    assert await accounts.linked(db, platform=accounts.TELEGRAM) == []
    assert (await accounts.link(db, external_id=43, chat_id=43, person_id=1, at="t", platform=accounts.TELEGRAM)).person_id == 1


async def test_search_people_within_units(db):
    await _tree(db)
    ward = await org.subtree_ids(db, 2)
    found = await org.search_people(db, ward, name_key="hung")
    assert [p.full_name for p, _m in found] == ["Lê Văn Hùng", "Trần Thị Hùng"], "inactive and other wards left out"
    assert [m.unit_id for _p, m in found] == [3, 4]
    assert [p.id for p, _m in await org.search_people(db, ward, phone="84399900002")] == [2]
    assert await org.search_people(db, ward, phone="84399900003") == [], "another ward's phone"
    assert [p.id for p, _m in await org.search_people(db, [1, 2, 3, 4, 5, 6], name_key="pham")] == [3]
    assert await org.search_people(db, ward, name_key="") == []
    assert await org.search_people(db, ward, name_key="%") == [], "LIKE wildcards are plain characters"
    assert len(await org.search_people(db, ward, name_key="hung", limit=1)) == 1


async def test_memberships_of_lists_current_first_then_latest_ended(db):
    await _tree(db)
    assert [(m.unit_id, m.valid_to) for m in await org.memberships_of(db, 1)] == [(3, None), (4, "2025-12-31")]
    assert [m.unit_id for m in await org.memberships_of(db, 4)] == [3]


async def test_command_lists_remember_the_last_list(db):
    await _tree(db)
    account = await accounts.link(db, external_id=42, chat_id=42, person_id=1, at="t", platform=accounts.TELEGRAM)
    assert await command_lists.published_for(db, account.id) is None
    await command_lists.record(db, account.id, "sig1", "secretary@3", "t1")
    await command_lists.record(db, account.id, "sig2", "member@3", "t2")
    assert await command_lists.published_for(db, account.id) == command_lists.Published("sig2", "member@3")
    assert await command_lists.published(db) == {account.id: command_lists.Published("sig2", "member@3")}


async def test_linked_holdings_reads_every_linked_chat_in_one_go(db):
    await _tree(db)
    first = await accounts.link(db, external_id=41, chat_id=41, person_id=1, at="t", platform=accounts.TELEGRAM)
    await accounts.link(db, external_id=44, chat_id=44, person_id=4, at="t", platform=accounts.TELEGRAM)  # inactive, memberships ended
    await accounts.ensure(db, external_id=45, chat_id=45, at="t", platform=accounts.TELEGRAM)  # not linked: left out
    found = {account.external_id: (person, holdings) for account, person, holdings in
             await command_lists.linked_holdings(db, platform=accounts.TELEGRAM)}
    assert set(found) == {"41", "44"}
    assert found["41"][1] == [("secretary", 3)] and found["41"][0].full_name == "Lê Văn Hùng"
    assert found["44"][1] == [] and found["44"][0].active is False
    assert (await command_lists.linked_holdings(db, platform=accounts.TELEGRAM))[0][0] == first
