"""What a Zalo user is shown for a Telegram-shaped message (bot/channels/zalo/render.py)."""

from bot.channels.zalo import render
from bot.core import i18n

VI = i18n.get("vi")
EN = i18n.get("en")


def keyboard(*rows):
    return {"inline_keyboard": [[{"text": label, "callback_data": data} for label, data in row] for row in rows]}


def test_html_becomes_plain_text_with_entities_and_links_resolved():
    text = '<b>Hướng dẫn</b> tháng 12 &amp; <i>lịch</i>: <a href="https://x.vn/a">tài liệu</a> <code>a&lt;b</code>'
    assert render.plain_text(text, "HTML") == "Hướng dẫn tháng 12 & lịch: tài liệu (https://x.vn/a) a<b"


def test_a_link_whose_text_is_its_address_is_not_repeated():
    assert render.plain_text('<a href="https://x.vn/">https://x.vn</a>', "HTML") == "https://x.vn"


def test_text_without_parse_mode_is_left_as_it_is():
    assert render.plain_text("a <b> c", None) == "a <b> c"


def test_buttons_become_numbered_options_with_a_vietnamese_hint():
    shown = render.render(VI, "Chọn:", None, keyboard([("Có", "y"), ("Không", "n")], [("Hủy", "x")]))
    assert shown.text == "Chọn:\n\n1. Có\n2. Không\n3. Hủy\n\nTrả lời 1, 2 hoặc 3."
    assert shown.choices == {"1": "y", "2": "n", "3": "x"}
    assert not shown.label_numbered


def test_the_hint_in_english_and_for_long_lists():
    assert render.render(EN, "Pick", None, keyboard([("A", "a"), ("B", "b")])).text.endswith("Reply 1 or 2.")
    many = keyboard(*[[(f"Item {n}", f"i{n}")] for n in range(1, 8)])
    assert render.render(EN, "Pick", None, many).text.endswith("Reply with a number from 1 to 7.")
    assert render.render(VI, "Chọn", None, keyboard([("A", "a")])).text.endswith("Trả lời 1.")


def test_labels_with_their_own_number_keep_it_and_the_others_get_letters():
    # A page of a longer list: "5" must stay member 5 (on the next page), not become "▶".
    markup = keyboard([("✅ 3. Nguyễn Văn A", "rc:t:3")], [("⛔ 4. Lê Thị B", "rc:t:4")],
                      [("◀", "rc:p:0"), ("✅ Xong", "rc:done")])
    shown = render.render(VI, "Điểm danh", None, markup)
    assert shown.choices == {"3": "rc:t:3", "4": "rc:t:4", "a": "rc:p:0", "b": "rc:done"}
    assert shown.label_numbered
    assert "\n✅ 3. Nguyễn Văn A\n⛔ 4. Lê Thị B\na. ◀\nb. ✅ Xong\n" in shown.text
    assert shown.text.endswith("Trả lời bằng số thứ tự hoặc chữ cái ở đầu dòng.")


def test_a_dash_after_the_number_counts_as_the_labels_own_number():
    shown = render.render(EN, "?", None, keyboard([("1 — Continue", "k")], [("2 — Discard it", "d")]))
    assert shown.choices == {"1": "k", "2": "d"}
    assert "\n1 — Continue\n2 — Discard it\n" in shown.text


def test_a_label_number_used_twice_is_kept_once():
    shown = render.render(EN, "?", None, keyboard([("1. A", "a")], [("1. B", "b")]))
    assert shown.choices == {"1": "a", "a": "b"}


def test_url_buttons_are_shown_as_addresses_not_numbered():
    markup = {"inline_keyboard": [[{"text": "Tài liệu", "url": "https://x.vn/d"}, {"text": "OK", "callback_data": "ok"}]]}
    shown = render.render(VI, "Xem", None, markup)
    assert "Tài liệu: https://x.vn/d" in shown.text
    assert shown.choices == {"1": "ok"}


def test_reply_keyboards_show_their_labels_but_not_the_contact_button():
    markup = {"keyboard": [[{"text": "📱 Chia sẻ số điện thoại", "request_contact": True}]]}
    assert render.render(VI, "Chào đồng chí", None, markup).text == "Chào đồng chí"
    menu = {"keyboard": [[{"text": "Điểm danh"}, {"text": "Hướng dẫn"}]], "is_persistent": True}
    shown = render.render(VI, "Menu", None, menu)
    assert shown.text == "Menu\n\nĐồng chí có thể gõ số hoặc tên: 1. Điểm danh · 2. Hướng dẫn"
    assert [render.typed_label(data) for data in shown.choices.values()] == ["Điểm danh", "Hướng dẫn"]
    both = render.render(VI, "Menu", None, {"inline_keyboard": [[{"text": "Có", "callback_data": "y"}]], **menu})
    assert both.text == "Menu\n\n1. Có\n\nTrả lời 1.\n\nĐồng chí có thể gõ: Điểm danh · Hướng dẫn"   # numbers: the buttons'
    assert both.choices == {"1": "y"}


def test_long_texts_are_cut_on_paragraphs_into_parts_of_at_most_2000_characters():
    paragraphs = [f"Đoạn {n}: " + "chữ " * 120 for n in range(12)]   # about 490 characters each
    shown = render.render(VI, "\n\n".join(paragraphs), None, keyboard([("Đã nhận", "ok")]))
    parts = shown.parts()
    assert len(parts) > 1 and all(len(part) <= 2000 for part in parts)
    assert all(part.lstrip().startswith("Đoạn") for part in parts[1:-1])
    assert "".join(parts).replace("\n", "").replace(" ", "") == shown.text.replace("\n", "").replace(" ", "")
    assert parts[-1].endswith("1. Đã nhận\n\nTrả lời 1.")


def test_refusing_a_number_out_of_range():
    assert render.out_of_range(VI, [1, 2, 3]) == "Xin đồng chí trả lời bằng một số từ 1 đến 3."
    assert render.out_of_range(EN, [1, 2, 3]) == "Please reply with a number from 1 to 3."


def test_documents_and_pictures_become_a_note():
    note = render.document_note(VI, "bao-cao.xlsx", "<b>Báo cáo</b> tháng 11", "HTML")
    assert note.startswith("Báo cáo tháng 11\n\n📎 ") and "bao-cao.xlsx" in note and "Zalo" in note
    assert "chart.png" in render.photo_note(EN, "chart.png", None, None)


def test_numbered_labels_the_text_already_lists_are_not_listed_twice():
    text = "Which report?\n1. Nam Ngạn, 11/2026\n2. Nam Ngạn, 10/2026"
    shown = render.render(EN, text, None, keyboard([("1. Nam Ngạn, 11/2026", "r:1")], [("2. Nam Ngạn, 10/2026", "r:2")],
                                                   [("Cancel", "r:x")]))
    assert shown.text == text + "\n\na. Cancel\n\nReply with the number or the letter at the start of a line."
    assert shown.choices == {"1": "r:1", "2": "r:2", "a": "r:x"}


def test_options_that_are_numbers_keep_them_and_share_a_line():
    from bot.core import i18n
    from bot.channels.zalo.render import render

    keyboard = [[{"text": str(n), "callback_data": f"n:{n}"} for n in range(4)],
                [{"text": "Bỏ qua ▶", "callback_data": "s"}]]
    shown = render(i18n.get("vi"), "Bao nhiêu?", reply_markup={"inline_keyboard": keyboard})
    assert shown.text == ("Bao nhiêu?\n\n0 · 1 · 2 · 3\na. Bỏ qua ▶\n\n"
                          "Trả lời bằng số thứ tự hoặc chữ cái ở đầu dòng.")
    assert shown.choices == {"0": "n:0", "1": "n:1", "2": "n:2", "3": "n:3", "a": "s"}
