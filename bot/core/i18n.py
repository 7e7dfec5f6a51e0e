"""Translations and locale formatting.

Every user-facing text goes through gettext: `_("...")` with English source strings, translated by the
`vi` and `en` catalogs in `locales/`. The catalogs are read from their `.po` files and compiled in
memory at start-up (so a plain `pip install` needs no build step); `pybabel compile` is still the
operators' way to check them. Dates, times, numbers and percentages go through Babel in the same locale.

In chat, a handler takes `t = i18n.get(person.language)` and writes `_ = t.gettext`. On the command
line, `cli_gettext` follows the language chosen at start (`SHCB_LANG`, else `[locale] default`). Both
show times in the zone of `[locale] timezone` (`use_timezone`).
"""

from __future__ import annotations

import gettext as _gettext
import io
import os
from datetime import date, datetime, time, tzinfo
from functools import lru_cache
from importlib import resources

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
DOMAIN = "messages"


def N_(message: str) -> str:
    """Marks a string for extraction where it is translated later (menus, tables of labels)."""
    return message


def normalize_language(code: str | None) -> str:
    """`vi`, `en`, `en-US`, `VI` … → a supported language; anything else → the default."""
    if code:
        short = code.replace("_", "-").split("-")[0].lower()
        if short in LANGUAGES:
            return short
    return DEFAULT_LANGUAGE


def catalog_path(lang: str):
    return resources.files("locales").joinpath(lang, "LC_MESSAGES", f"{DOMAIN}.po")


@lru_cache(maxsize=None)
def _translations(lang: str) -> _gettext.NullTranslations:
    path = catalog_path(lang)
    if not path.is_file():
        return _gettext.NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


class Translator:
    """One language: its gettext functions and Babel formatting in its locale and time zone."""

    def __init__(self, lang: str, tz: tzinfo | None = None) -> None:
        from bot.core.clock import VN_TZ

        self.lang = normalize_language(lang)
        self.locale = Locale.parse(self.lang)
        self.tz = tz or VN_TZ
        self._t = _translations(self.lang)

    def gettext(self, message: str) -> str:
        return self._t.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._t.ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        return self._t.pgettext(context, message)

    @staticmethod
    def sentence(text: str) -> str:
        """`text` with its first letter in capitals: a formatted date may open a sentence, and Babel
        writes Vietnamese months in lower case ("tháng 12 năm 2026 …" → "Tháng 12 năm 2026 …")."""
        for index, char in enumerate(text):
            if char.isalpha():
                return text[:index] + char.upper() + text[index + 1:]
        return text

    # Babel formatting, always in this locale; datetimes shown in Vietnam time.
    def format_date(self, value: date | datetime, format: str = "medium") -> str:
        if isinstance(value, datetime):
            value = value.astimezone(self.tz).date()
        return babel_dates.format_date(value, format=format, locale=self.locale)

    def format_datetime(self, value: datetime, format: str = "medium") -> str:
        return babel_dates.format_datetime(value, format=format, tzinfo=self.tz, locale=self.locale)

    def format_time(self, value: time | datetime, format: str = "short") -> str:
        if isinstance(value, datetime):
            value = value.astimezone(self.tz)
        return babel_dates.format_time(value, format=format, locale=self.locale)

    def format_number(self, value: int | float) -> str:
        return babel_numbers.format_decimal(value, locale=self.locale)

    def format_percent(self, value: float, format: str | None = None) -> str:
        return babel_numbers.format_percent(value, format=format or "#,##0.#%", locale=self.locale)


# The zone dates and times are shown in: `[locale] timezone`, set once the process has read its config
# (`use_timezone`); Vietnam time until then.
_timezone: tzinfo | None = None


def use_timezone(tz: tzinfo | None) -> None:
    global _timezone
    _timezone = tz


def get(lang: str | None) -> Translator:
    return _translator(normalize_language(lang), _timezone)


@lru_cache(maxsize=None)
def _translator(lang: str, tz: tzinfo | None) -> Translator:
    return Translator(lang, tz)


_cli_language = normalize_language(os.environ.get("SHCB_LANG") or DEFAULT_LANGUAGE)


def set_cli_language(lang: str | None) -> None:
    global _cli_language
    _cli_language = normalize_language(lang)


def cli_language() -> str:
    return _cli_language


def cli_gettext(message: str) -> str:
    """gettext in the command line's language, looked up at call time."""
    return get(_cli_language).gettext(message)


def cli_ngettext(singular: str, plural: str, n: int) -> str:
    return get(_cli_language).ngettext(singular, plural, n)


def cli() -> Translator:
    return get(_cli_language)
