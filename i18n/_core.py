"""Catalogs and the language of the current call.

One gettext catalog per language, ``i18n/locale/<ll_CC>/LC_MESSAGES/messages.po``, read
through Babel. The ``.po`` file is what a translator edits and what is shipped: it is
compiled in memory the first time a language is used (a few milliseconds), so a fresh
checkout or ``pip install -e .`` needs no build step; a ``messages.mo`` beside it that is
newer (``pybabel compile -d i18n/locale``) is read instead.

The language is chosen per call and per run, never by a module-global setting: ``use``
sets it in a ``contextvars.ContextVar`` for a block (a CLI run, one service request, one
worker job), and every ``gettext`` call in that block reads it. Code marks texts with
``_()`` where it uses them and with ``N_()`` where it only stores them (a table of
sentences translated later), and formats placeholders after translating, so a
translator sees whole sentences with ``{name}`` fields.
"""

from __future__ import annotations

import contextlib
import functools
import gettext as _gettext
import io
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path

from i18n._errors import LanguageError

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LOCALE_DIR",
    "N_",
    "babel_locale",
    "catalog_path",
    "chosen",
    "current",
    "gettext",
    "html_lang",
    "ngettext",
    "normalize",
    "pick",
    "translations",
    "use",
]

logger = logging.getLogger(__name__)

#: The languages with a catalog (BCP 47 tags, as the CLI, scenarios and the service take
#: them); English is the source language and needs none.
LANGUAGES = ("en", "zh-CN")
DEFAULT_LANGUAGE = "en"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
#: Other spellings of the same language (lower case, ``_`` as ``-``).
_ALIASES = {
    "en": "en", "en-us": "en", "en-gb": "en", "english": "en", "c": "en", "posix": "en",
    "zh-cn": "zh-CN", "zh": "zh-CN", "zh-hans": "zh-CN", "zh-hans-cn": "zh-CN",
    "zh-sg": "zh-CN", "chinese": "zh-CN",
}  # fmt: skip
#: Locale names of Babel and of the catalog folders.
_BABEL = {"en": "en", "zh-CN": "zh_Hans_CN"}
_FOLDER = {"zh-CN": "zh_CN"}

_CURRENT: ContextVar[str | None] = ContextVar("sanitation_routes_language", default=None)


def normalize(lang: str | None) -> str:
    """The project's tag for a language (``"zh_CN"``, ``"zh-Hans"`` -> ``"zh-CN"``).

    ``None`` or ``""`` is the default, English.

    Raises
    ------
    LanguageError
        For a language without a catalog; the message lists those there are.

    Examples
    --------
    >>> normalize("zh_CN.UTF-8")
    'zh-CN'
    """
    if lang is None or (isinstance(lang, str) and not lang.strip()):
        return DEFAULT_LANGUAGE
    if not isinstance(lang, str):
        raise LanguageError(lang, f"language: got {lang!r}; give a language tag, one of "
                            f"{', '.join(LANGUAGES)}")
    key = lang.strip().split(".")[0].replace("_", "-").lower()
    found = _ALIASES.get(key)
    if found is None:
        raise LanguageError(lang, f"unknown language {lang!r}; use one of "
                            f"{', '.join(LANGUAGES)}")
    return found


def catalog_path(lang: str) -> Path:
    """The ``.po`` catalog of a language (English, the source language, has none)."""
    tag = normalize(lang)
    return LOCALE_DIR / _FOLDER.get(tag, tag) / "LC_MESSAGES" / f"{DOMAIN}.po"


def translations(lang: str | None = None) -> _gettext.NullTranslations:
    """The compiled catalog of a language (read once; English: no translation)."""
    return _load(normalize(lang))


@functools.cache
def _load(tag: str) -> _gettext.NullTranslations:
    if tag == DEFAULT_LANGUAGE:
        return _gettext.NullTranslations()
    po = catalog_path(tag)
    mo = po.with_suffix(".mo")
    if mo.is_file() and po.is_file() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as fh:
            return _gettext.GNUTranslations(fh)
    if not po.is_file():  # an install without the package data: English, said once
        logger.warning("no catalog for %s at %s; texts stay English", tag, po)
        return _gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as fh:
        catalog = read_po(fh, locale=_BABEL[tag])
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)  # a fuzzy (unchecked) entry stays English
    buf.seek(0)
    return _gettext.GNUTranslations(buf)


def chosen() -> str | None:
    """The language chosen for the current call with ``use``, or ``None`` if none was."""
    return _CURRENT.get()


def current() -> str:
    """The language of the current call (``use``), else English."""
    return _CURRENT.get() or DEFAULT_LANGUAGE


def pick(*candidates: str | None) -> str:
    """The language to use: one chosen with ``use``, else the first candidate given.

    A run's language (``run_plan.py --lang``, a service request) overrides a scenario's
    ``language``: ``pick(scenario.language)``.
    """
    return normalize(chosen() or next((c for c in candidates if c), None))


@contextlib.contextmanager
def use(lang: str | None) -> Iterator[str]:
    """Choose the language of every text made in the ``with`` block (this context only).

    ``None`` keeps the language already chosen (or the default).

    Examples
    --------
    >>> with use("zh-CN"):
    ...     current()
    'zh-CN'
    """
    if lang is None:
        yield current()
        return
    token = _CURRENT.set(normalize(lang))
    try:
        yield _CURRENT.get()
    finally:
        _CURRENT.reset(token)


def gettext(message: str, *, lang: str | None = None) -> str:
    """``message`` in ``lang`` (default: the current language); English if untranslated."""
    if not message:
        return message
    return translations(lang or current()).gettext(message)


def ngettext(singular: str, plural: str, n: int, *, lang: str | None = None) -> str:
    """The form of ``singular``/``plural`` for ``n`` in ``lang`` (default: current)."""
    return translations(lang or current()).ngettext(singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 (the gettext convention)
    """Mark a text for the catalog where it is stored; translate it where it is used."""
    return message


def babel_locale(lang: str | None = None):
    """The ``babel.Locale`` of a language (default: the current one), for numbers and units."""
    from babel import Locale

    return Locale.parse(_BABEL[normalize(lang or current())])


def html_lang(lang: str | None = None) -> str:
    """The ``lang`` attribute of a page in this language (``"en"``, ``"zh-CN"``)."""
    return normalize(lang or current())
