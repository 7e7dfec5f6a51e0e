"""Parse modes of the local Bot API server (bot/sandbox/localapi/entities.py): plain text, entities with UTF-16
offsets, and Telegram's refusals."""

from __future__ import annotations

import pytest

from bot.sandbox.localapi.entities import EntityError, command_entities, parse, utf16_len


def test_no_parse_mode_keeps_the_text():
    assert parse("<b>x</b> *y*", None) == ("<b>x</b> *y*", [])


def test_html_gives_plain_text_and_entities():
    text, found = parse('<b>Chào</b> <i>đồng <u>chí</u></i> <a href="https://x.vn/?a=1&amp;b=2">link</a>', "HTML")
    assert text == "Chào đồng chí link"
    assert found == [
        {"type": "bold", "offset": 0, "length": 4},
        {"type": "italic", "offset": 5, "length": 8},
        {"type": "underline", "offset": 10, "length": 3},
        {"type": "text_link", "offset": 14, "length": 4, "url": "https://x.vn/?a=1&b=2"},
    ]


def test_html_entities_are_unescaped_and_unknown_ones_kept():
    text, _ = parse("1 &lt; 2 &amp;&amp; 3 &gt; 2 &quot;ok&quot; &#272;&#x1ec7; &nbsp; a & b", "HTML")
    assert text == '1 < 2 && 3 > 2 "ok" Đệ &nbsp; a & b'


def test_html_accepts_every_telegram_tag():
    html = ("<b>a</b><strong>b</strong><i>c</i><em>d</em><u>e</u><ins>f</ins><s>g</s><strike>h</strike>"
            "<del>i</del><code>j</code><pre>k</pre><tg-spoiler>l</tg-spoiler><span class=\"tg-spoiler\">m</span>"
            "<blockquote>n</blockquote><blockquote expandable>o</blockquote>")
    text, found = parse(html, "HTML")
    assert text == "abcdefghijklmno"
    assert [e["type"] for e in found] == [
        "bold", "bold", "italic", "italic", "underline", "underline", "strikethrough", "strikethrough",
        "strikethrough", "code", "pre", "spoiler", "spoiler", "blockquote", "expandable_blockquote",
    ]


def test_html_pre_with_code_language_is_one_pre_entity():
    text, found = parse('<pre><code class="language-python">x = 1</code></pre>', "HTML")
    assert (text, found) == ("x = 1", [{"type": "pre", "offset": 0, "length": 5, "language": "python"}])


@pytest.mark.parametrize(("html", "message"), [
    ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
    ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
    ("x</b>", "Unexpected end tag at byte offset 1"),
    ("line<br>next", 'Unsupported start tag "br" at byte offset 4'),
    ("Đ<p>x</p>", 'Unsupported start tag "p" at byte offset 2'),
    ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
    ('<span class="x">y</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ("<b", "Unclosed start tag at byte offset 0"),
    ("<a href>x</a>", 'Expected equal sign in declaration of an attribute of the tag "a" at byte offset 0'),
])
def test_html_rejects_what_telegram_rejects(html, message):
    with pytest.raises(EntityError) as caught:
        parse(html, "HTML")
    assert str(caught.value) == message


def test_offsets_count_utf16_code_units():
    text, found = parse("😀 <b>x</b>", "HTML")
    assert utf16_len("😀") == 2
    assert found == [{"type": "bold", "offset": 3, "length": 1}]


def test_markdown_v2_entities_and_escapes():
    text, found = parse(r"*bold* _it_ __under__ ~s~ ||sp|| `c\`` [link](https://x.vn/a\)b) 1\.5\!", "MarkdownV2")
    assert text == "bold it under s sp c` link 1.5!"
    assert [(e["type"], e["offset"], e["length"]) for e in found] == [
        ("bold", 0, 4), ("italic", 5, 2), ("underline", 8, 5), ("strikethrough", 14, 1), ("spoiler", 16, 2),
        ("code", 19, 2), ("text_link", 22, 4),
    ]
    assert found[-1]["url"] == "https://x.vn/a)b"


def test_markdown_v2_pre_with_language_and_blockquote():
    text, found = parse("```python\nx = 1```\n>quoted\n>lines\nafter", "MarkdownV2")
    assert text == "x = 1\nquoted\nlines\nafter"
    assert found == [
        {"type": "pre", "offset": 0, "length": 5, "language": "python"},
        {"type": "blockquote", "offset": 6, "length": 12},
    ]


@pytest.mark.parametrize(("markdown", "message"), [
    ("Hạn nộp: 10.12", "Character '.' is reserved and must be escaped with the preceding '\\'"),
    ("a-b", "Character '-' is reserved and must be escaped with the preceding '\\'"),
    ("*bold", "Can't find end of Bold entity at byte offset 0"),
    ("x _it", "Can't find end of Italic entity at byte offset 2"),
    ("[a](http://x", "Can't find end of a URL at byte offset 4"),
])
def test_markdown_v2_rejects_what_telegram_rejects(markdown, message):
    with pytest.raises(EntityError) as caught:
        parse(markdown, "MarkdownV2")
    assert str(caught.value) == message


def test_legacy_markdown():
    text, found = parse("*b* _i_ `c` [l](http://x.vn) a\\_b 1.5", "Markdown")
    assert text == "b i c l a_b 1.5"
    assert [e["type"] for e in found] == ["bold", "italic", "code", "text_link"]
    with pytest.raises(EntityError, match="Can't find end of the entity starting at byte offset 4"):
        parse("ok, *bold", "Markdown")


def test_unknown_parse_mode():
    with pytest.raises(ValueError, match="unsupported"):
        parse("x", "BBCode")


def test_command_entities_in_user_text():
    assert command_entities("/start") == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert command_entities("/start@shcb_demo_bot abc") == [{"type": "bot_command", "offset": 0, "length": 20}]
    assert command_entities("xin chào /huongdan") == [{"type": "bot_command", "offset": 9, "length": 9}]
    assert command_entities("a/b http://x/y") == []
