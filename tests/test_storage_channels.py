"""One person, two channels, in storage on a real SQLite file: an account per platform for one person, which
one the bot writes to (the one used last, a reachable one first, or every one), the switch of channel
recorded only when it happens, and one outbox row per channel, idempotent."""

from __future__ import annotations

import pytest

from storage import accounts, outbox
from storage.outbox import OutgoingMessage

T, Z = accounts.TELEGRAM, accounts.ZALO


async def _people(db, *ids):
    async with db.transaction() as conn:
        for pid in ids:
            await conn.execute("INSERT INTO people (id, full_name, name_key, active, created_at, updated_at)"
                               " VALUES (?, ?, ?, 1, 't', 't')", (pid, f"Người {pid}", f"nguoi {pid}"))


async def _two_channels(db, person_id=1, *, telegram_at="2026-11-27T01:00:00Z", zalo_at="2026-11-27T02:00:00Z"):
    telegram = await accounts.link(db, external_id=100 + person_id, chat_id=100 + person_id, person_id=person_id,
                                   at=telegram_at, platform=T)
    zalo = await accounts.link(db, external_id=900 + person_id, chat_id=900 + person_id, person_id=person_id,
                               at=zalo_at, platform=Z)
    return telegram, zalo


async def test_a_person_has_one_account_per_platform_and_lookups_name_the_platform(db):
    await _people(db, 1)
    telegram, zalo = await _two_channels(db)
    assert (telegram.platform, zalo.platform) == (T, Z)
    assert (await accounts.get_for_person(db, 1, platform=T)).id == telegram.id
    assert (await accounts.get_for_person(db, 1, platform=Z)).id == zalo.id
    # The same external id on the other platform is another account (Zalo's local ids may equal Telegram's).
    assert await accounts.get_by_external(db, 101, platform=Z) is None
    assert [a.id for a in await accounts.of_person(db, 1)] == [telegram.id, zalo.id]
    with pytest.raises(ValueError):
        await accounts.get_by_external(db, 101, platform="viber")
    with pytest.raises(TypeError):   # no silent Telegram default any more
        await accounts.get_by_external(db, 101)


async def test_for_people_writes_to_the_channel_used_last_or_to_both(db):
    await _people(db, 1, 2, 3)
    telegram, zalo = await _two_channels(db, 1)   # linked on Zalo after Telegram: Zalo is the last used
    only = await accounts.link(db, external_id=102, chat_id=102, person_id=2, at="2026-11-27T00:00:00Z", platform=T)
    single = await accounts.for_people(db, [1, 2, 3], both=False)
    assert {pid: [a.id for a in found] for pid, found in single.items()} == {1: [zalo.id], 2: [only.id]}
    both = await accounts.for_people(db, [1, 2, 3], both=True)
    assert {pid: [a.id for a in found] for pid, found in both.items()} == {1: [zalo.id, telegram.id], 2: [only.id]}

    await accounts.touch(db, telegram.id, "2026-11-27T03:00:00Z")   # back on Telegram
    assert [a.id for a in (await accounts.for_people(db, [1], both=False))[1]] == [telegram.id]

    await accounts.set_unreachable(db, telegram.id)   # blocked the bot there: the other channel still reaches
    assert [a.id for a in (await accounts.for_people(db, [1], both=False))[1]] == [zalo.id]
    await accounts.set_unreachable(db, zalo.id)       # blocked on both: the last used, for the caller to report
    assert [a.id for a in (await accounts.for_people(db, [1], both=False))[1]] == [telegram.id]


async def test_a_tie_goes_to_telegram(db):
    await _people(db, 1)
    telegram, _zalo = await _two_channels(db, zalo_at="2026-11-27T01:00:00Z")
    assert [a.id for a in (await accounts.for_people(db, [1], both=False))[1]] == [telegram.id]


async def test_the_switch_of_channel_is_recorded_and_staying_on_one_costs_no_write(db):
    await _people(db, 1, 2)
    telegram, zalo = await _two_channels(db)
    mine = await accounts.of_person(db, 1)
    assert accounts.used_before_another(telegram, mine)       # Zalo was used after it: writing from it is news
    assert not accounts.used_before_another(zalo, mine)       # already the last used
    lone = await accounts.link(db, external_id=102, chat_id=102, person_id=2, at="2026-11-27T00:00:00Z", platform=T)
    assert not accounts.used_before_another(lone, await accounts.of_person(db, 2))
    await accounts.touch(db, telegram.id, "2026-11-27T05:00:00Z")
    telegram = await accounts.get_by_external(db, 101, platform=T)
    assert telegram.last_used_at == "2026-11-27T05:00:00Z"
    assert not accounts.used_before_another(telegram, await accounts.of_person(db, 1))


async def test_both_channels_queue_one_row_each_and_again_adds_none(db):
    await _people(db, 1)
    await _two_channels(db)
    found = (await accounts.for_people(db, [1], both=True))[1]
    messages = [OutgoingMessage(kind="reminder", chat_id=a.chat_id, payload={"text": "Họp chi bộ"}, person_id=1,
                                ref="reminder:meeting:2026-12", dedup_key="reminder:meeting:7:2026-12:1",
                                platform=a.platform) for a in found]
    async with db.transaction() as conn:
        assert await outbox.enqueue(conn, messages, at="t") == 2
    async with db.transaction() as conn:
        assert await outbox.enqueue(conn, messages, at="t") == 0
    rows = await outbox.by_ref(db, "reminder:meeting:2026-12")
    assert sorted((r.platform, r.chat_id, r.dedup_key) for r in rows) == [
        (T, "101", "reminder:meeting:7:2026-12:1"), (Z, "901", "reminder:meeting:7:2026-12:1@zalo")]
    assert {outbox.person_key(r.dedup_key) for r in rows} == {"reminder:meeting:7:2026-12:1"}


async def test_the_sender_claims_only_the_platforms_it_has_a_channel_for(db):
    await _people(db, 1)
    telegram, zalo = await _two_channels(db)
    async with db.transaction() as conn:
        await outbox.enqueue(conn, [
            OutgoingMessage(kind="notice", chat_id=a.chat_id, payload={"text": "x"}, person_id=1, platform=a.platform,
                            dedup_key="n:1") for a in (telegram, zalo)], at="t")
    assert await outbox.due_elsewhere(db, "u", [T]) == {Z: 1}
    claimed = await outbox.claim_due(db, "u", 10, platforms=[T])
    assert [r.platform for r in claimed] == [T]
    assert await outbox.claim_due(db, "u", 10, platforms=[T]) == []
    assert [r.platform for r in await outbox.claim_due(db, "u", 10)] == [Z]
