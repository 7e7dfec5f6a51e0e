"""Guidance files into Telegram HTML (bot/rules/markup.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.rules.markup import file_to_html, markdown_to_html
from bot.rules.text_split import visible_text
from tests.test_text_split import balanced


def test_everyday_markdown_becomes_telegram_html():
    source = ("# Hướng dẫn tháng 12\n\n**Nội dung**: học tập *Nghị quyết* & a<b.\n- Ý một: `mã`\n"
              "- Xem [tài liệu](https://x.vn/a?b=1&c=2)\nsnake_case_name và 2*3*4\n```\n<pre> giữ nguyên **\n```")
    assert markdown_to_html(source) == (
        "<b>Hướng dẫn tháng 12</b>\n\n<b>Nội dung</b>: học tập <i>Nghị quyết</i> &amp; a&lt;b.\n"
        "• Ý một: <code>mã</code>\n• Xem <a href=\"https://x.vn/a?b=1&amp;c=2\">tài liệu</a>\n"
        "snake_case_name và 2*3*4\n<pre>&lt;pre&gt; giữ nguyên **</pre>")


@given(st.text(max_size=200) | st.text(alphabet="ab *_[]()`#-\n:/.x&<", max_size=60))
def test_any_markdown_gives_balanced_html_showing_every_word(text):
    html = markdown_to_html(text)
    assert balanced(html)
    shown = visible_text(html)
    for word in text.replace("*", " ").replace("_", " ").replace("`", " ").replace("#", " ").split():
        if word.isalnum():
            assert word in shown


def test_overlapping_spans_are_nested_properly():
    assert markdown_to_html("**a *b** c*") == "<b>a <i>b</i></b><i> c</i>"
    assert markdown_to_html("[a **b](http://x) c**") == '<a href="http://x">a <b>b</b></a><b> c</b>'


def test_the_file_name_says_how_to_read_it():
    assert file_to_html("a.md", "**x**") == "<b>x</b>"
    assert file_to_html("a.html", " <i>x</i> \n") == "<i>x</i>"
    assert file_to_html("a.txt", "**x** <y>") == "**x** &lt;y&gt;"
