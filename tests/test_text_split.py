"""Splitting long HTML texts for Telegram (bot/rules/text_split.py)."""

from __future__ import annotations

import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.rules.text_split import (
    TELEGRAM_TEXT_LIMIT, formatted_characters, split_text, utf16_len, visible_length, visible_text,
)

_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)[^<>]*>")


def balanced(markup: str) -> bool:
    stack = []
    for match in _TAG.finditer(markup):
        if match.group(1):
            if not stack or stack.pop() != match.group(2):
                return False
        else:
            stack.append(match.group(2))
    return not stack


# Well-formed Telegram HTML, as message.text_html produces it: escaped text, nested tags with attributes.
_OPEN_TAGS = [("b", ""), ("i", ""), ("u", ""), ("s", ""), ("code", ""), ("blockquote", ""),
              ("a", ' href="https://example.org/?a=1&amp;b=2"'), ("span", ' class="tg-spoiler"')]
_words = st.text(alphabet="abcĐặngVănÂnđờiỹ0123 \n&<>\"😀", min_size=0, max_size=30).map(html.escape)


def _node(children):
    return st.one_of(
        st.builds(lambda tag, inner: f"<{tag[0]}{tag[1]}>{''.join(inner)}</{tag[0]}>",
                  st.sampled_from(_OPEN_TAGS), st.lists(children, max_size=4)),
    )


_markup = st.recursive(_words, _node, max_leaves=25).map(lambda x: x)
_documents = st.lists(st.one_of(_markup, st.just("\n\n"), st.just("\n")), min_size=1, max_size=12).map("".join)


@settings(max_examples=300, deadline=None)
@given(_documents, st.integers(min_value=2, max_value=80))
def test_every_part_fits_is_well_formed_and_together_they_are_the_whole(text, limit):
    parts = split_text(text, limit)
    assert parts
    for part in parts:
        assert visible_length(part) <= limit
        assert balanced(part), part
    assert [c for p in parts for c in formatted_characters(p)] == formatted_characters(text)


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=0, max_size=300), st.integers(min_value=2, max_value=50))
def test_plain_text_parts_fit_and_join_to_the_whole(text, limit):
    parts = split_text(text, limit, is_html=False)
    assert "".join(parts) == text
    assert all(utf16_len(part) <= limit for part in parts)


def test_a_short_text_is_left_alone():
    assert split_text("<b>Xin chào</b> các đồng chí") == ["<b>Xin chào</b> các đồng chí"]


def test_cuts_at_paragraphs_first():
    paragraphs = [f"Đoạn {n}: " + "nội dung " * 30 for n in range(1, 40)]
    text = "\n\n".join(paragraphs)
    parts = split_text(text)
    assert len(parts) > 1
    assert all(visible_length(part) <= TELEGRAM_TEXT_LIMIT for part in parts)
    # Every part but the last ends with the paragraph break, and every part starts a paragraph.
    assert all(part.endswith("\n\n") for part in parts[:-1])
    assert all(part.startswith("Đoạn ") for part in parts)


def test_then_at_line_breaks_then_at_spaces():
    assert split_text("aaaa bbbb\ncccc dddd", 12) == ["aaaa bbbb\n", "cccc dddd"]
    assert split_text("aaaa bbbb cccc dddd", 12) == ["aaaa bbbb ", "cccc dddd"]
    assert split_text("aaaaaaaaaaaa", 5) == ["aaaaa", "aaaaa", "aa"]


def test_formatting_across_a_cut_is_closed_and_reopened_with_its_attributes():
    text = '<b>in đậm <a href="https://x.vn/a?b=1&amp;c=2">liên kết dài</a></b>\n\nsau'
    parts = split_text(text, 14)
    assert parts[0] == '<b>in đậm <a href="https://x.vn/a?b=1&amp;c=2">liên </a></b>'
    assert parts[1] == '<b><a href="https://x.vn/a?b=1&amp;c=2">kết dài</a></b>\n\nsau'
    assert len(parts) == 2


def test_entities_count_as_one_character_and_are_never_cut():
    parts = split_text("&amp;" * 10, 4)
    assert parts == ["&amp;" * 4, "&amp;" * 4, "&amp;" * 2]
    assert visible_text("a &lt;b&gt;") == "a <b>"


def test_emoji_count_two_units_as_telegram_counts():
    assert visible_length("😀a") == 3
    assert split_text("😀😀😀", 4, is_html=False) == ["😀😀", "😀"]
