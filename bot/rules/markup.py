"""Guidance files written by hand (`shcb broadcast --file`) into Telegram HTML.

Telegram's own Markdown dialects need every `.`, `-` and `!` escaped, which nobody writes by hand, so a
`.md` file is read as everyday Markdown — **bold**, *italic* or _italic_, `code`, [links](https://…),
`# headings` (shown bold), `- ` bullets (shown •), ``` fenced blocks — and turned into the HTML Telegram
accepts. A `.html` file is taken as it is; anything else is plain text.
"""

from __future__ import annotations

import html
import re

_INLINE = [
    (re.compile(r"`([^`\n]+)`"), r"<code>\1</code>"),
    (re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*"), r"<b>\1</b>"),
    (re.compile(r"__(?=\S)(.+?)(?<=\S)__"), r"<b>\1</b>"),
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), r"<i>\1</i>"),
    (re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])"), r"<i>\1</i>"),
    (re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)"), r'<a href="\2">\1</a>'),
]
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+")


def _inline(line: str) -> str:
    # Code spans first, kept away from the other rules.
    pieces = re.split(r"(`[^`\n]+`)", line)
    out = []
    for piece in pieces:
        if piece.startswith("`") and piece.endswith("`") and len(piece) > 1:
            out.append(f"<code>{piece[1:-1]}</code>")
            continue
        for pattern, replacement in _INLINE[1:]:
            piece = pattern.sub(replacement, piece)
        out.append(piece)
    return "".join(out)


_TAG = re.compile(r"<(/?)([a-z]+)([^<>]*)>")


def _balance(line: str) -> str:
    """Overlapping spans (`**a *b** c*`) into properly nested tags: a tag closed while others opened
    inside it are still open closes those first and opens them again after it."""
    out: list[str] = []
    stack: list[tuple[str, str]] = []   # (name, opening tag as written)
    position = 0
    for match in _TAG.finditer(line):
        out.append(line[position:match.start()])
        position = match.end()
        name = match.group(2)
        if not match.group(1):
            stack.append((name, match.group(0)))
            out.append(match.group(0))
            continue
        if not any(open_name == name for open_name, _tag in stack):
            continue   # closes nothing: dropped
        reopen = []
        while stack[-1][0] != name:
            inner = stack.pop()
            out.append(f"</{inner[0]}>")
            reopen.append(inner)
        stack.pop()
        out.append(f"</{name}>")
        for inner in reversed(reopen):
            stack.append(inner)
            out.append(inner[1])
    out.append(line[position:])
    out.extend(f"</{name}>" for name, _tag in reversed(stack))
    return re.sub(r"<([a-z]+)[^<>]*></\1>", "", "".join(out))   # spans left empty by the reshuffle


def markdown_to_html(text: str) -> str:
    lines = html.escape(text.replace("\r\n", "\n"), quote=False).split("\n")
    out: list[str] = []
    in_code = False
    code: list[str] = []
    for line in lines:
        if line.strip().startswith("```"):
            if in_code:
                out.append("<pre>" + "\n".join(code) + "</pre>")
                code = []
            in_code = not in_code
            continue
        if in_code:
            code.append(line)
            continue
        heading = _HEADING.match(line)
        if heading:
            out.append(_balance(f"<b>{_inline(heading.group(1))}</b>"))
            continue
        line = _BULLET.sub(lambda m: m.group(1) + "• ", line)
        out.append(_balance(_inline(line)))
    if in_code:
        out.append("<pre>" + "\n".join(code) + "</pre>")
    return "\n".join(out).strip("\n")


def file_to_html(name: str, text: str) -> str:
    """By the file's extension: .md/.markdown → Markdown, .html/.htm → as is, otherwise plain text."""
    lowered = name.lower()
    if lowered.endswith((".md", ".markdown")):
        return markdown_to_html(text)
    if lowered.endswith((".html", ".htm")):
        return text.strip()
    return html.escape(text.strip(), quote=False)
