"""What a Zalo user is shown for a message the handlers wrote for Telegram: plain text (Zalo has no
formatting), the inline keyboard as numbered options with a hint ("Trả lời 1, 2 hoặc 3"), a reply
keyboard's labels as a line of text (numbered, when there are no inline options: "3" is the third name
typed), all cut into parts Zalo accepts (2000 characters).

Numbering. Buttons are numbered 1, 2, 3 … in order. But a button whose label already starts with a
number ("✅ 3. Nguyễn Văn A", "1 — Continue", after an optional mark), or is a number ("12 speakers?" offers
"0" … "7"), keeps that number, so that the number typed is the one the handlers' own typed forms use (the
roll call's "vắng 3", the count typed); in such a list the
other buttons get letters (a, b, c …), not the numbers after the highest label: those lists are pages
(15 members of 30, 6 recommendations of 20), and "16" must stay member 16 of the next page, which the
handlers' typed form understands, not become the "▶" button of this one.
Plain functions over plain data (the Bot API's JSON); the translator is passed in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from bot.core.i18n import Translator
from bot.rules.text_split import split_text

ZALO_TEXT_LIMIT = 2000
LETTERS = "abcdefghijklmnopqrstuvwxyz"
# The stored "callback data" of a reply keyboard's label shown as a numbered option: typing its number
# sends the label as text, as typing the name would (no handler's callback data starts so).
TYPED_LABEL = "zalo-typed:"
# A label's own number: after an optional mark (an emoji, a symbol), digits then "." or a dash; or a
# label that is a number and nothing else.
_LABEL_NUMBER = re.compile(r"^(?:[^\w\s]+\s*)?(\d{1,4})(?:\.|\s*[—–-])\s|^(\d{1,4})$")


@dataclass(frozen=True)
class Option:
    key: str                   # what the person types: "3", or "b" beside label-numbered buttons
    label: str
    callback_data: str
    label_numbered: bool       # the number was the label's own


@dataclass(frozen=True)
class Rendered:
    text: str                                  # everything the person reads, before splitting
    options: tuple[Option, ...] = ()
    links: tuple[tuple[str, str], ...] = ()    # (label, url) of URL buttons, shown in the text

    @property
    def choices(self) -> dict[str, str]:
        """key -> callback_data: what a typed number (or letter) presses."""
        return {option.key: option.callback_data for option in self.options}

    @property
    def label_numbered(self) -> bool:
        return any(option.label_numbered for option in self.options)

    def parts(self, limit: int = ZALO_TEXT_LIMIT) -> list[str]:
        return split_text(self.text, limit, is_html=False) if self.text else []


class _PlainText(HTMLParser):
    """Telegram's HTML subset to plain text: tags dropped, entities resolved, a link's address kept after
    its text when it says something the text does not."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._links: list[tuple[str | None, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._links.append((dict(attrs).get("href"), len(self.out)))
        elif tag == "br":
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._links:
            href, start = self._links.pop()
            shown = "".join(self.out[start:])
            if href and href.startswith(("http://", "https://")) and href.rstrip("/") != shown.strip().rstrip("/"):
                self.out.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        self.out.append(data)


def plain_text(text: str | None, parse_mode: str | None) -> str:
    """The text as a Zalo user reads it."""
    if not text:
        return ""
    if (parse_mode or "").upper() != "HTML":
        return text
    parser = _PlainText()
    parser.feed(text)
    parser.close()
    return "".join(parser.out)


def label_number(label: str) -> int | None:
    match = _LABEL_NUMBER.match(label.strip())
    return int(match.group(1) or match.group(2)) if match else None


def number_buttons(inline_keyboard: list[list[dict[str, Any]]]) -> tuple[tuple[Option, ...], tuple[tuple[str, str], ...]]:
    """The callback buttons as numbered options (see the module docstring), and the URL buttons."""
    buttons = [button for row in inline_keyboard or () for button in row]
    callbacks = [button for button in buttons if button.get("callback_data")]
    own: dict[int, int] = {}   # button index -> its own number, when unique
    for index, button in enumerate(callbacks):
        number = label_number(str(button.get("text", "")))
        if number is not None and number not in own.values():
            own[index] = number
    next_number = max(own.values(), default=0) + 1
    letters = iter(LETTERS if own else "")
    options = []
    for index, button in enumerate(callbacks):
        label = str(button.get("text", ""))
        if index in own:
            options.append(Option(str(own[index]), label, str(button["callback_data"]), True))
            continue
        key = next(letters, None)
        if key is None:   # (more than 26 besides the numbered ones: numbers after them)
            key, next_number = str(next_number), next_number + 1
        options.append(Option(key, label, str(button["callback_data"]), False))
    links = tuple((str(button.get("text", "")), str(button["url"])) for button in buttons if button.get("url"))
    return tuple(options), links


def hint(t: Translator, keys: list[str]) -> str:
    """How to answer: "Trả lời 1, 2 hoặc 3"."""
    _ = t.gettext
    if not all(key.isdigit() for key in keys):
        return _("Reply with the number or the letter at the start of a line.")
    numbers = sorted(int(key) for key in keys)
    contiguous = numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    if len(numbers) == 1:
        return _("Reply {number}.").format(number=numbers[0])
    if contiguous and len(numbers) <= 4:
        return _("Reply {numbers} or {last}.").format(numbers=", ".join(map(str, numbers[:-1])), last=numbers[-1])
    if contiguous:
        return _("Reply with a number from {first} to {last}.").format(first=numbers[0], last=numbers[-1])
    return _("Reply with one of the numbers above.")


def out_of_range(t: Translator, numbers: list[int]) -> str:
    """The polite answer to a number that is not one of the options."""
    _ = t.gettext
    if len(numbers) == 1:
        return _("Please reply {number}: it is the only choice.").format(number=numbers[0])
    return _("Please reply with a number from {first} to {last}.").format(first=min(numbers), last=max(numbers))


def _option_line(option: Option) -> str:
    return option.label if option.label_numbered else f"{option.key}. {option.label}"


def _bare_numbers_on_one_line(lines: list[str]) -> list[str]:
    """Options that are only numbers ("0" … "7" of a count) on one line: "0 · 1 · 2 …"."""
    joined: list[str] = []
    for line in lines:
        if line.strip().isdigit() and joined and all(part.isdigit() for part in joined[-1].split(" · ")):
            joined[-1] += " · " + line.strip()
        else:
            joined.append(line)
    return joined


def _reply_keyboard_labels(keyboard: list[list[Any]]) -> list[str]:
    """A reply keyboard's labels a person can type; contact and location buttons cannot work on Zalo."""
    labels = []
    for row in keyboard or ():
        for button in row:
            if isinstance(button, str):
                labels.append(button)
            elif not (button.get("request_contact") or button.get("request_location") or button.get("web_app")):
                labels.append(str(button.get("text", "")))
    return [label for label in labels if label]


def render(t: Translator, text: str | None, parse_mode: str | None = None,
           reply_markup: dict[str, Any] | None = None) -> Rendered:
    """What the person sees for a message of `text` with `reply_markup` (the Bot API's JSON)."""
    body = plain_text(text, parse_mode).strip("\n")
    markup = reply_markup or {}
    options, links = number_buttons(markup.get("inline_keyboard") or [])
    blocks = [body] if body else []
    if links:
        blocks.append("\n".join(f"{label}: {url}" for label, url in links))
    if options:
        # A numbered label the text already lists on a line of its own ("1. Nam Ngạn, tháng 11/2026" in
        # "Which report?") is not listed twice.
        listed = {line.strip() for line in body.splitlines()}
        lines = [_option_line(option) for option in options
                 if not (option.label_numbered and option.label.strip() in listed)]
        lines = _bare_numbers_on_one_line(lines)
        if lines:
            blocks.append("\n".join(lines))
        blocks.append(hint(t, [option.key for option in options]))
    labels = _reply_keyboard_labels(markup.get("keyboard") or [])
    if labels and not options:
        # The menu's names, numbered on one line: a number typed is the name typed (a text message).
        options = tuple(Option(str(n), label, TYPED_LABEL + label, False) for n, label in enumerate(labels, 1))
        blocks.append(t.gettext("You can type a number or a name: {labels}").format(
            labels=" · ".join(f"{option.key}. {option.label}" for option in options)))
    elif labels:   # (the numbers are the inline options')
        blocks.append(t.gettext("You can type: {labels}").format(labels=" · ".join(labels)))
    return Rendered("\n\n".join(blocks), options, links)


def typed_label(callback_data: str | None) -> str | None:
    """The menu name a typed number stands for, when the option was a reply keyboard's label."""
    if callback_data and callback_data.startswith(TYPED_LABEL):
        return callback_data[len(TYPED_LABEL):]
    return None


def document_note(t: Translator, name: str | None, caption: str | None, parse_mode: str | None) -> str:
    """A document, which Zalo cannot carry: its name, how to get it, and its caption."""
    _ = t.gettext
    note = (_("📎 The file {name} cannot be sent on Zalo: open this bot on Telegram to receive it, or ask "
              "the ward party office for a copy.").format(name=name) if name else
            _("📎 A file cannot be sent on Zalo: open this bot on Telegram to receive it, or ask the ward "
              "party office for a copy."))
    shown = plain_text(caption, parse_mode).strip()
    return f"{shown}\n\n{note}" if shown else note


def photo_note(t: Translator, name: str | None, caption: str | None, parse_mode: str | None) -> str:
    """A picture Zalo cannot show (Zalo takes pictures by web address only): its caption and a note."""
    _ = t.gettext
    note = (_("🖼 The picture {name} cannot be shown on Zalo: open this bot on Telegram to see it.").format(name=name)
            if name else _("🖼 A picture cannot be shown on Zalo: open this bot on Telegram to see it."))
    shown = plain_text(caption, parse_mode).strip()
    return f"{shown}\n\n{note}" if shown else note
