"""Developer tool for the catalogs, on top of Babel (the README's "Translations" section).

    python tools/i18n.py update              # extract -> locales/messages.pot, update vi and en catalogs
    python tools/i18n.py translate FILE.json # update, then set vi translations from {"msgid": "msgstr"}
    python tools/i18n.py missing             # list messages without a translation

English is the source language: the en catalog's empty entries are filled with their msgid (as
`msginit` does for English). Several people may run this at once: a lock file serialises them.
"""

from __future__ import annotations

import fcntl
import json
import sys
from contextlib import contextmanager
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
POT = LOCALES / "messages.pot"
SOURCE_DIRS = ("bot", "handlers", "storage")
LANGUAGES = ("vi", "en")
METHOD_MAP = [("**.py", "python")]


def po_path(lang: str) -> Path:
    return LOCALES / lang / "LC_MESSAGES" / "messages.po"


@contextmanager
def locked():
    with open(LOCALES / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def extract() -> Catalog:
    template = Catalog(project="shcb", version="0.1", charset="utf-8")
    for directory in SOURCE_DIRS:
        for _filename, _lineno, message, comments, context in extract_from_dir(
            ROOT / directory, METHOD_MAP, keywords=DEFAULT_KEYWORDS,
            comment_tags=("TRANSLATORS:",), strip_comment_tags=True,
        ):
            template.add(message, None, auto_comments=comments, context=context)
    return template


def load(lang: str) -> Catalog:
    path = po_path(lang)
    if not path.exists():
        return Catalog(locale=lang, project="shcb", version="0.1", charset="utf-8")
    with path.open("rb") as handle:
        return read_po(handle, locale=lang)


def save(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, no_location=True, sort_output=True, ignore_obsolete=True)


def update() -> None:
    template = extract()
    save(template, POT)
    for lang in LANGUAGES:
        catalog = load(lang)
        catalog.update(template, no_fuzzy_matching=True)
        if lang == "en":
            for message in catalog:
                if message.id and not _translated(message):
                    message.string = message.id
        for message in catalog:
            message.flags.discard("fuzzy")
        save(catalog, po_path(lang))


def _translated(message) -> bool:
    if isinstance(message.string, (tuple, list)):
        return all(message.string)
    return bool(message.string)


def translate(json_file: str) -> None:
    wanted = json.loads(Path(json_file).read_text(encoding="utf-8"))
    update()
    catalog = load("vi")
    unknown = []
    for msgid, msgstr in wanted.items():
        key = msgid
        message = catalog.get(key)
        if message is None:
            # a plural entry is keyed by its singular
            unknown.append(msgid)
            continue
        if isinstance(message.id, (tuple, list)):
            message.string = tuple(msgstr) if isinstance(msgstr, list) else (msgstr,)
        else:
            message.string = msgstr
    save(catalog, po_path("vi"))
    if unknown:
        print("not in the source (left out):", *unknown, sep="\n  ", file=sys.stderr)


def missing() -> int:
    count = 0
    for lang in LANGUAGES:
        for message in load(lang):
            if message.id and not _translated(message):
                print(f"{lang}: {message.id!r}")
                count += 1
    return count


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"update", "translate", "missing"}:
        print(__doc__)
        return 2
    with locked():
        if argv[0] == "update":
            update()
        elif argv[0] == "translate":
            translate(argv[1])
        else:
            return 1 if missing() else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
