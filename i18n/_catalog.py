"""Keeping the catalogs in step with the code: extract, update, check.

``python -m i18n update`` extracts every marked text (``babel.cfg``) into
``i18n/locale/messages.pot`` and merges it into each language's ``messages.po`` (new
texts get an empty translation for the translator, texts no longer used are dropped);
``python -m i18n check`` lists the texts that have no translation yet, or whose
translation lost a ``{placeholder}``. The test suite runs the same check.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from i18n._core import _BABEL, DEFAULT_LANGUAGE, LANGUAGES, LOCALE_DIR, catalog_path

__all__ = ["PROJECT_ROOT", "check", "extract", "placeholders", "read_catalog", "update"]

#: The checkout the catalogs are extracted from (``babel.cfg`` lies there).
PROJECT_ROOT = LOCALE_DIR.parent.parent
#: Folders holding the code ``babel.cfg`` names (the rest of the tree is not walked).
_SOURCES = ("geodata", "routing", "maps", "planner", "service", "i18n")
_HEADER = {"project": "sanitation-routes", "version": "0.1",
           "copyright_holder": "the sanitation-routes authors",
           "msgid_bugs_address": "the project's issue tracker"}
_TEAMS = {"zh-CN": "Simplified Chinese"}
_FIELD = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)[^{}]*\}(?!\})")


def placeholders(text: str) -> set[str]:
    """The ``{name}`` fields of a text (``{{`` escapes not counted)."""
    return set(_FIELD.findall(text))


def extract(root: str | Path = PROJECT_ROOT):
    """Every text the code marks, as a ``babel.messages.Catalog`` (the template).

    Parameters
    ----------
    root
        The checkout with ``babel.cfg`` (default: the one this package lies in).
    """
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    root = Path(root)
    with open(root / "babel.cfg", encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh, str(root / "babel.cfg"))

    def wanted(dirpath: str) -> bool:
        rel = Path(dirpath).resolve().relative_to(root.resolve()).parts
        return not rel or (rel[0] in _SOURCES and not any(p.startswith((".", "__py"))
                                                           for p in rel))

    template = Catalog(**_HEADER, domain="messages")
    for filename, lineno, message, comments, context in extract_from_dir(
            str(root), method_map, options_map, comment_tags=("TRANSLATORS:",),
            strip_comment_tags=True, directory_filter=wanted):
        template.add(message, None, [(filename, lineno)], auto_comments=comments,
                     context=context)
    return template


def read_catalog(lang: str):
    """A language's ``.po`` catalog as a ``babel.messages.Catalog``."""
    from babel.messages.pofile import read_po

    with catalog_path(lang).open("rb") as fh:
        return read_po(fh, locale=_BABEL[lang])


def check(lang: str, root: str | Path = PROJECT_ROOT) -> list[str]:
    """What a language's catalog lacks: one line per text without a usable translation.

    A text is missing when the catalog has no entry for it, an empty or fuzzy one, or a
    translation whose ``{placeholders}`` differ from the text's (it would fail or lose
    a value when formatted).
    """
    catalog = read_catalog(lang)
    problems = []
    for message in extract(root):
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        entry = catalog.get(msgid)
        where = ", ".join(f"{f}:{n}" for f, n in message.locations[:2])
        if entry is None or not entry.string:
            problems.append(f"{where}: no translation of {msgid!r}")
        elif entry.fuzzy:
            problems.append(f"{where}: the translation of {msgid!r} is marked fuzzy")
        elif placeholders(entry.string) != placeholders(msgid):
            problems.append(f"{where}: the translation of {msgid!r} has fields "
                            f"{sorted(placeholders(entry.string))}, the text "
                            f"{sorted(placeholders(msgid))}")
    return problems


def update(root: str | Path = PROJECT_ROOT) -> dict[str, int]:
    """Write the template and merge it into every language's catalog.

    Returns
    -------
    dict of str to int
        Per language, how many texts still need a translation.
    """
    from babel.messages.pofile import write_po

    template = extract(root)
    buf = io.BytesIO()
    write_po(buf, template, width=96, sort_output=False, omit_header=False)
    (LOCALE_DIR / "messages.pot").write_bytes(buf.getvalue())
    todo = {}
    for lang in LANGUAGES:
        if lang == DEFAULT_LANGUAGE:
            continue
        path = catalog_path(lang)
        if path.is_file():
            catalog = read_catalog(lang)
        else:
            from babel.messages.catalog import Catalog

            catalog = Catalog(locale=_BABEL[lang], domain="messages", **_HEADER)
        catalog.update(template, no_fuzzy_matching=True)
        for key, value in _HEADER.items():
            setattr(catalog, key, value)
        catalog.header_comment = (f"# {_TEAMS.get(lang, lang)} texts of sanitation-routes: edit "
                                  "the msgstr lines, then run the tests\n# (python -m i18n check "
                                  "lists what still needs a translation).")
        catalog.language_team = _TEAMS.get(lang, lang)
        catalog.fuzzy = False
        buf = io.BytesIO()
        write_po(buf, catalog, width=96, ignore_obsolete=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(buf.getvalue())
        todo[lang] = sum(1 for m in catalog if m.id and not m.string)
    return todo
