"""The Zalo channel's records (storage/zalo.py)."""

from storage import zalo

AT = "2026-11-27T02:00:00+00:00"


async def test_a_zalo_id_gets_one_stable_local_id(db):
    first = await zalo.local_id(db, "a1b2c3", AT)
    assert await zalo.local_id(db, "a1b2c3", AT) == first
    assert await zalo.local_id(db, "ffee", AT) != first
    assert await zalo.zalo_id(db, first) == "a1b2c3"
    assert await zalo.zalo_id(db, str(first)) == "a1b2c3"
    assert await zalo.zalo_id(db, "not a number") is None


async def test_update_ids_increase(db):
    assert [await zalo.next_update_id(db) for _ in range(3)] == [1, 2, 3]


async def test_the_latest_message_with_options_is_the_chats_option_list(db):
    chat = await zalo.local_id(db, "u1", AT)
    telegram = {"text": "Chọn"}
    asked = await zalo.add_message(db, chat_id=chat, from_bot=True, telegram=telegram, shown="Chọn\n1. A", at=AT,
                                   options=({"1": "a"}, False))
    assert telegram["message_id"] == asked
    listed = await zalo.option_list(db, chat)
    assert (listed.message_id, listed.options, listed.label_numbered) == (asked, {"1": "a"}, False)
    # A notice about a press leaves the list; a plain message ends it.
    await zalo.add_message(db, chat_id=chat, from_bot=True, telegram={}, shown="Đã ghi", at=AT, keep_options=True)
    assert (await zalo.option_list(db, chat)).message_id == asked
    await zalo.add_message(db, chat_id=chat, from_bot=True, telegram={}, shown="Xong", at=AT)
    assert await zalo.option_list(db, chat) is None
    stored = await zalo.get_message(db, asked)
    assert (stored.telegram["text"], stored.shown, stored.from_bot) == ("Chọn", "Chọn\n1. A", True)


async def test_an_edit_changes_the_list_only_when_it_was_that_messages_or_is_sent_again(db):
    chat = await zalo.local_id(db, "u1", AT)
    old = await zalo.add_message(db, chat_id=chat, from_bot=True, telegram={}, shown="old", at=AT,
                                 options=({"1": "a"}, False))
    new = await zalo.add_message(db, chat_id=chat, from_bot=True, telegram={}, shown="new", at=AT,
                                 options=({"1": "b"}, False))
    await zalo.update_message(db, old, telegram={}, shown="old", at=AT, options=({"1": "c"}, False), latest=False)
    assert (await zalo.option_list(db, chat)).options == {"1": "b"}
    await zalo.update_message(db, new, telegram={}, shown="new", at=AT, options=({"1": "d"}, False), latest=False)
    assert (await zalo.option_list(db, chat)).options == {"1": "d"}
    await zalo.update_message(db, old, telegram={}, shown="changed", at=AT, options=({"1": "e"}, False), latest=True)
    assert (await zalo.option_list(db, chat)).message_id == old
    await zalo.forget_options_of(db, old)
    assert await zalo.option_list(db, chat) is None
