"""Telegram's formatting: text sent with a parse mode becomes plain text plus entities, and text that
Telegram's parser rejects is rejected here with the same explanation.

The rules follow Telegram's own parser (tdlib's MessageEntity.cpp): HTML accepts only Telegram's tag set
and the entities &lt; &gt; &amp; &quot; and numeric ones; MarkdownV2 wants every reserved character
escaped; legacy Markdown wants every entity closed. Offsets and lengths count UTF-16 code units.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


class EntityError(ValueError):
    """Text that Telegram cannot parse; the message follows Telegram's wording."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


class _Output:
    """Plain text being built, with the entities found so far."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.offset = 0
        self.entities: list[dict] = []

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.offset += utf16_len(text)

    def entity(self, kind: str, start: int, **extra) -> None:
        if self.offset > start:
            self.entities.append({"type": kind, "offset": start, "length": self.offset - start, **extra})

    def text_so_far(self, start: int) -> str:
        text = "".join(self.parts)
        return text.encode("utf-16-le")[start * 2:].decode("utf-16-le")

    def result(self) -> tuple[str, list[dict]]:
        entities = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), entities


def parse(text: str, parse_mode: str | None) -> tuple[str, list[dict]]:
    """(plain text, entities) for `text` in `parse_mode` (None, "HTML", "MarkdownV2", "Markdown").
    Raises EntityError for text Telegram rejects, ValueError("unsupported") for an unknown mode."""
    mode = (parse_mode or "").lower()
    if not mode:
        return text, []
    if mode == "html":
        return _parse_html(text)
    if mode == "markdownv2":
        return _parse_markdown_v2(text)
    if mode == "markdown":
        return _parse_markdown(text)
    raise ValueError("unsupported")


# --- HTML -------------------------------------------------------------------------------------------

_HTML_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "a": "text_link",
    "code": "code", "pre": "pre", "tg-spoiler": "spoiler", "span": "spoiler", "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]+));")


@dataclass
class _Open:
    tag: str
    start: int
    attrs: dict[str, str] = field(default_factory=dict)
    language: str | None = None


def _decode_entity(text: str, index: int) -> tuple[str | None, int]:
    """The character an HTML entity at `index` stands for, and the index after it; (None, index) when
    it is not one Telegram knows (the '&' then stays as it is)."""
    match = _ENTITY_RE.match(text, index)
    if not match:
        return None, index
    decimal, hexadecimal, name = match.groups()
    if name is not None:
        value = _NAMED_ENTITIES.get(name)
        return (value, match.end()) if value else (None, index)
    code = int(decimal) if decimal is not None else int(hexadecimal, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None, index
    return chr(code), match.end()


def _html_attributes(text: str, i: int, tag: str, tag_pos: int) -> tuple[dict[str, str], int]:
    """Attributes of a start tag from `i` (just after its name); returns them and the index of '>'."""
    attrs: dict[str, str] = {}
    n = len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            raise EntityError(f"Unclosed start tag at byte offset {tag_pos}")
        if text[i] == ">":
            return attrs, i
        name_start = i
        while i < n and not text[i].isspace() and text[i] not in "=>":
            i += 1
        name = text[name_start:i].lower()
        if not name:
            raise EntityError(f'Empty attribute name in the tag "{tag}" at byte offset {tag_pos}')
        while i < n and text[i].isspace():
            i += 1
        if tag == "blockquote" and name == "expandable" and (i >= n or text[i] != "="):
            attrs[name] = ""  # the one attribute Telegram takes without a value
            continue
        if i >= n or text[i] != "=":
            raise EntityError(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}" at byte offset {tag_pos}'
            )
        i += 1
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            raise EntityError(f"Unclosed start tag at byte offset {tag_pos}")
        if text[i] in "'\"":
            quote = text[i]
            i += 1
            value: list[str] = []
            while i < n and text[i] != quote:
                if text[i] == "&":
                    char, after = _decode_entity(text, i)
                    if char is not None:
                        value.append(char)
                        i = after
                        continue
                value.append(text[i])
                i += 1
            if i >= n:
                raise EntityError(f"Unclosed start tag at byte offset {tag_pos}")
            i += 1
            attrs[name] = "".join(value)
        else:
            value_start = i
            while i < n and (text[i].isalnum() or text[i] in ".-"):
                i += 1
            if i < n and not text[i].isspace() and text[i] != ">":
                raise EntityError(f"Unexpected end of name token at byte offset {_byte_offset(text, i)}")
            attrs[name] = text[value_start:i].lower()


def _parse_html(text: str) -> tuple[str, list[dict]]:
    out = _Output()
    stack: list[_Open] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "&":
            decoded, after = _decode_entity(text, i)
            out.add(decoded if decoded is not None else "&")
            i = after if decoded is not None else i + 1
            continue
        if char != "<":
            j = i
            while j < n and text[j] not in "<&":
                j += 1
            out.add(text[i:j])
            i = j
            continue
        pos = _byte_offset(text, i)
        if text.startswith("</", i):
            i = _close_html_tag(text, i, pos, stack, out)
            continue
        j = i + 1
        while j < n and not text[j].isspace() and text[j] != ">":
            j += 1
        if j >= n:
            raise EntityError(f"Unclosed start tag at byte offset {pos}")
        tag = text[i + 1:j].lower()
        if tag not in _HTML_TAGS:
            raise EntityError(f'Unsupported start tag "{tag}" at byte offset {pos}')
        attrs, j = _html_attributes(text, j, tag, pos)
        if tag == "span" and not attrs.get("class", "").startswith("tg-spoiler"):
            raise EntityError(f'Tag "span" must have class "tg-spoiler" at byte offset {pos}')
        stack.append(_Open(tag, out.offset, attrs))
        i = j + 1
    if stack:
        raise EntityError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    return out.result()


def _close_html_tag(text: str, i: int, pos: int, stack: list[_Open], out: _Output) -> int:
    """Handles the end tag at `i`; returns the index after it."""
    if not stack:
        raise EntityError(f"Unexpected end tag at byte offset {pos}")
    n = len(text)
    j = i + 2
    while j < n and (text[j].isascii() and (text[j].isalnum() or text[j] in "_-")):
        j += 1
    name = text[i + 2:j].lower()
    while j < n and text[j].isspace():
        j += 1
    if j >= n or text[j] != ">":
        raise EntityError(f"Unclosed end tag at byte offset {pos}")
    top = stack.pop()
    if name and name != top.tag:
        raise EntityError(
            f'Unmatched end tag at byte offset {pos}, expected "</{top.tag}>", found "</{name}>"'
        )
    kind = _HTML_TAGS[top.tag]
    if top.tag == "code" and stack and stack[-1].tag == "pre":
        # <pre><code class="language-x"> is one pre entity with a language
        language = top.attrs.get("class", "")
        if language.startswith("language-"):
            stack[-1].language = language.removeprefix("language-")
        return j + 1
    if kind == "text_link":
        href = top.attrs.get("href", "")
        if href:
            out.entity(kind, top.start, url=href)
    elif kind == "pre":
        extra = {"language": top.language} if top.language else {}
        out.entity(kind, top.start, **extra)
    elif kind == "blockquote" and "expandable" in top.attrs:
        out.entity("expandable_blockquote", top.start)
    elif kind == "custom_emoji":
        out.entity(kind, top.start, custom_emoji_id=top.attrs.get("emoji-id", ""))
    else:
        out.entity(kind, top.start)
    return j + 1


# --- MarkdownV2 -------------------------------------------------------------------------------------

_RESERVED_V2 = "_*[]()~`>#+-=|{}.!"
_V2_NAMES = {
    "bold": "Bold", "italic": "Italic", "underline": "Underline", "strikethrough": "Strikethrough",
    "spoiler": "Spoiler", "code": "Code", "pre": "Pre", "text_link": "TextUrl", "custom_emoji": "CustomEmoji",
}


def _reserved(char: str) -> EntityError:
    return EntityError(f"Character '{char}' is reserved and must be escaped with the preceding '\\'")


def _v2_closes(kind: str, text: str, i: int) -> bool:
    char, following = text[i], text[i + 1:i + 3]
    return {
        "bold": char == "*",
        "italic": char == "_" and following[:1] != "_",
        "underline": text.startswith("__", i),
        "strikethrough": char == "~",
        "spoiler": text.startswith("||", i),
        "code": char == "`",
        "pre": text.startswith("```", i),
        "text_link": char == "]",
        "custom_emoji": char == "]",
    }[kind]


def _parse_markdown_v2(text: str) -> tuple[str, list[dict]]:
    out = _Output()
    stack: list[_Open] = []  # tag = entity kind; attrs["pos"] = byte offset where it began
    quote_start: int | None = None
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        at_line_start = i == 0 or text[i - 1] == "\n"
        if char == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
            out.add(text[i + 1])
            i += 2
            continue
        in_code = bool(stack) and stack[-1].tag in ("code", "pre")
        if char == ">" and at_line_start and not in_code:
            if quote_start is None:
                quote_start = out.offset
            i += 1
            continue
        if char == "\n" and quote_start is not None and not text.startswith(">", i + 1):
            out.entity("blockquote", quote_start)
            quote_start = None
        if char not in ("`" if in_code else _RESERVED_V2):
            out.add(char)
            i += 1
            continue
        if stack and _v2_closes(stack[-1].tag, text, i):
            i = _v2_close(text, i, stack.pop(), out)
            continue
        i = _v2_open(text, i, stack, out)
    if stack:
        top = stack[-1]
        raise EntityError(f"Can't find end of {_V2_NAMES[top.tag]} entity at byte offset {top.attrs['pos']}")
    if quote_start is not None:
        out.entity("blockquote", quote_start)
    return out.result()


def _v2_open(text: str, i: int, stack: list[_Open], out: _Output) -> int:
    pos = str(_byte_offset(text, i))
    char = text[i]
    if char == "_" and text.startswith("__", i):
        kind, i = "underline", i + 2
    elif char in "_*~[":
        kind, i = {"_": "italic", "*": "bold", "~": "strikethrough", "[": "text_link"}[char], i + 1
    elif text.startswith("||", i):
        kind, i = "spoiler", i + 2
    elif text.startswith("![", i):
        kind, i = "custom_emoji", i + 2
    elif text.startswith("```", i):
        i += 3
        end = i
        while end < len(text) and not text[end].isspace() and text[end] != "`":
            end += 1
        language = text[i:end] if end > i and end < len(text) and text[end] != "`" else None
        if language:
            i = end
        if text.startswith("\r\n", i) or text.startswith("\n\r", i):
            i += 2
        elif i < len(text) and text[i] in "\r\n":
            i += 1
        stack.append(_Open("pre", out.offset, {"pos": pos}, language))
        return i
    elif char == "`":
        kind, i = "code", i + 1
    else:
        raise _reserved(char)
    stack.append(_Open(kind, out.offset, {"pos": pos}))
    return i


def _v2_close(text: str, i: int, top: _Open, out: _Output) -> int:
    """Ends the entity `top` at `i`; returns the index after its closing mark."""
    kind = top.tag
    if kind in ("underline", "spoiler"):
        out.entity(kind, top.start)
        return i + 2
    if kind == "pre":
        out.entity("pre", top.start, **({"language": top.language} if top.language else {}))
        return i + 3
    if kind not in ("text_link", "custom_emoji"):
        out.entity(kind, top.start)
        return i + 1
    i += 1
    if not text.startswith("(", i):
        if kind == "text_link":
            out.entity(kind, top.start, url=out.text_so_far(top.start))
        return i
    i += 1
    url_start = _byte_offset(text, i)
    url: list[str] = []
    while i < len(text) and text[i] != ")":
        if text[i] == "\\" and i + 1 < len(text) and 0 < ord(text[i + 1]) <= 126:
            url.append(text[i + 1])
            i += 2
            continue
        url.append(text[i])
        i += 1
    if i >= len(text):
        raise EntityError(f"Can't find end of a URL at byte offset {url_start}")
    target = "".join(url)
    if kind == "custom_emoji":
        out.entity(kind, top.start, custom_emoji_id=target.rpartition("id=")[2])
    elif target:
        out.entity(kind, top.start, url=target)
    return i + 1


# --- legacy Markdown --------------------------------------------------------------------------------

_MARKDOWN_KINDS = {"*": "bold", "_": "italic", "`": "code", "[": "text_link"}


def _parse_markdown(text: str) -> tuple[str, list[dict]]:
    out = _Output()
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            out.add(text[i + 1])
            i += 2
            continue
        if char not in _MARKDOWN_KINDS:
            out.add(char)
            i += 1
            continue
        begin = _byte_offset(text, i)
        is_pre = text.startswith("```", i)
        end_char = "]" if char == "[" else char
        i += 3 if is_pre else 1
        language = None
        if is_pre:
            newline = text.find("\n", i)
            closing = text.find("```", i)
            if 0 <= newline < closing and text[i:newline].strip():
                language, i = text[i:newline].strip(), newline + 1
        start = out.offset
        while i < n and (text[i] != end_char or (is_pre and not text.startswith("```", i))):
            out.add(text[i])
            i += 1
        if i >= n:
            raise EntityError(f"Can't find end of the entity starting at byte offset {begin}")
        i += 3 if is_pre else 1
        if is_pre:
            out.entity("pre", start, **({"language": language} if language else {}))
        elif char == "[":
            if text.startswith("(", i) and ")" in text[i:]:
                close = text.index(")", i)
                url = text[i + 1:close]
                i = close + 1
                if url:
                    out.entity("text_link", start, url=url)
        else:
            out.entity(_MARKDOWN_KINDS[char], start)
    return out.result()


# --- what Telegram marks in a user's own text -------------------------------------------------------

_COMMAND_RE = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@/])")


def command_entities(text: str) -> list[dict]:
    """bot_command entities for each /command (or /command@botname) in a user's text."""
    return [
        {"type": "bot_command", "offset": utf16_len(text[:m.start()]), "length": utf16_len(m.group())}
        for m in _COMMAND_RE.finditer(text)
    ]
