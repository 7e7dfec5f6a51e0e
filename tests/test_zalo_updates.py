"""Zalo updates as Telegram updates, and typed numbers as button presses (bot/channels/zalo/updates.py)."""

from bot.channels.zalo import updates


def zalo_update(event="message.text.received", **message):
    base = {"from": {"id": "a1b2", "display_name": "Nguyễn Văn An", "is_bot": False},
            "chat": {"id": "a1b2", "chat_type": "PRIVATE"}, "message_id": "m1", "date": 1764810000123}
    return {"event_name": event, "message": {**base, **message}}


def test_a_text_becomes_a_private_telegram_message_with_the_date_in_seconds():
    incoming = updates.parse(zalo_update(text="xin chào"))
    message = updates.telegram_message(incoming, message_id=7, user_id=3, chat_id=3)
    assert message == {"message_id": 7, "date": 1764810000, "text": "xin chào",
                       "chat": {"id": 3, "type": "private", "first_name": "Nguyễn Văn An"},
                       "from": {"id": 3, "is_bot": False, "first_name": "Nguyễn Văn An"}}


def test_a_picture_a_sticker_and_an_unsupported_message():
    photo = updates.telegram_message(updates.parse(zalo_update("message.image.received", photo="https://z/p.jpg",
                                                               caption="biên lai")), message_id=1, user_id=2, chat_id=2)
    assert photo["photo"][0]["file_id"] == "https://z/p.jpg" and photo["caption"] == "biên lai"
    assert "text" not in photo
    sticker = updates.telegram_message(updates.parse(zalo_update("message.sticker.received", sticker="s")),
                                       message_id=1, user_id=2, chat_id=2)
    assert sticker["sticker"]["type"] == "regular"
    unsupported = updates.telegram_message(updates.parse(zalo_update("message.unsupported.received")),
                                           message_id=1, user_id=2, chat_id=2)
    assert not {"text", "photo", "sticker"} & set(unsupported)


def test_malformed_updates_are_none():
    assert updates.parse({}) is None
    assert updates.parse({"event_name": "x", "message": {"chat": {}}}) is None
    assert updates.parse(["not", "a", "dict"]) is None


def test_a_bare_number_among_the_options_presses_it():
    options = {"1": "y", "2": "n"}
    assert updates.typed_choice(" 2 ", options, False) == updates.Choice(updates.PRESS, "2", "n")
    assert updates.typed_choice("2.", options, False).kind == updates.PRESS


def test_a_letter_presses_a_button_beside_label_numbered_ones():
    options = {"3": "t3", "a": "next", "b": "done"}
    assert updates.typed_choice("B", options, True) == updates.Choice(updates.PRESS, "b", "done")
    assert updates.typed_choice("c", options, True).kind == updates.PASS


def test_a_number_out_of_range_is_refused_unless_labels_carry_numbers():
    assert updates.typed_choice("5", {"1": "y", "2": "n"}, False).kind == updates.OUT_OF_RANGE
    assert updates.typed_choice("15", {"3": "t3", "4": "t4", "a": "done"}, True).kind == updates.PASS


def test_anything_else_passes_through():
    assert updates.typed_choice("vắng 3 7", {"1": "y"}, True).kind == updates.PASS
    assert updates.typed_choice("2", None, False).kind == updates.PASS
    assert updates.typed_choice("12345", {"1": "y"}, False).kind == updates.PASS
    assert updates.typed_choice("a", {"1": "y"}, False).kind == updates.PASS


def test_a_press_carries_the_message_and_its_callback_data():
    message = {"message_id": 9, "chat": {"id": 3, "type": "private"}, "text": "Chọn"}
    update = updates.callback_update(5, query_id="3:5", user={"id": 3, "is_bot": False, "first_name": "A"},
                                     message=message, data="y")
    assert update["callback_query"]["message"] is message and update["callback_query"]["data"] == "y"
    assert update["update_id"] == 5


def test_a_command_is_marked_as_telegram_marks_it():
    message = updates.telegram_message(updates.parse(zalo_update(text="/start AB12CD34EF")), message_id=1,
                                       user_id=2, chat_id=2)
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    plain = updates.telegram_message(updates.parse(zalo_update(text="vắng 3")), message_id=1, user_id=2, chat_id=2)
    assert "entities" not in plain
