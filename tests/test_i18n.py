"""The catalogs: complete in both languages, in step with the source, and used at run time."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from bot.core import i18n

ROOT = Path(__file__).resolve().parent.parent


def _catalog(lang):
    with open(ROOT / "locales" / lang / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=lang)


def _source_messages() -> set:
    found = set()
    for directory in ("bot", "handlers", "storage"):
        for _file, _line, message, _comments, context in extract_from_dir(
            ROOT / directory, [("**.py", "python")], keywords=DEFAULT_KEYWORDS
        ):
            key = message[0] if isinstance(message, (tuple, list)) else message
            found.add((context, key))
    return found


def test_every_source_message_is_translated_in_both_catalogs():
    source = _source_messages()
    assert source, "no messages extracted: the extraction itself is broken"
    for lang in i18n.LANGUAGES:
        catalog = _catalog(lang)
        missing = []
        for context, key in sorted(source, key=lambda item: (item[0] or "", item[1])):
            message = catalog.get(key, context=context)
            strings = message.string if message else None
            if isinstance(strings, (tuple, list)):
                ok = all(strings)
            else:
                ok = bool(strings)
            if not ok or (message and message.fuzzy):
                missing.append(key)
        assert not missing, f"{lang}: {len(missing)} untranslated (run python tools/i18n.py update): {missing[:20]}"


def test_vietnamese_catalog_is_not_a_copy_of_english():
    catalog = _catalog("vi")
    same = [m.id for m in catalog if m.id and isinstance(m.id, str) and m.string == m.id and any(c.isalpha() for c in m.id)]
    # Some tokens are the same in both (placeholders, "OK"); whole sentences never are.
    assert not [s for s in same if " " in s], same


def test_translations_are_used_at_run_time():
    assert i18n.get("vi").gettext("built-in defaults") == "giá trị mặc định có sẵn"
    assert i18n.get("en").gettext("built-in defaults") == "built-in defaults"


def test_languages_are_normalised():
    assert i18n.normalize_language("en-US") == "en"
    assert i18n.normalize_language("VI") == "vi"
    assert i18n.normalize_language("fr") == "vi"
    assert i18n.normalize_language(None) == "vi"


def test_babel_formats_in_the_locale():
    vi, en = i18n.get("vi"), i18n.get("en")
    assert vi.format_number(1234.5) == "1.234,5"
    assert en.format_number(1234.5) == "1,234.5"
    assert vi.format_percent(0.925) == "92,5%"
    assert en.format_percent(0.9) == "90%"
    assert "2026" in vi.format_date(date(2026, 12, 3)) and "thg 12" in vi.format_date(date(2026, 12, 3))
