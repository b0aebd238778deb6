"""Languages of the product: English (the default) and Simplified Chinese (``zh-CN``).

Every layer (geodata, routing, maps, planner, the CLI and the service) marks its human
texts with ``_()`` (``N_()`` where a table stores them) and gets them in the language of
the current call, chosen with ``use``; machine names (CSV columns, JSON keys, GeoJSON
properties, reason codes) stay English. The catalogs are gettext ``.po`` files read
through Babel, one per language: ``i18n/locale/<ll_CC>/LC_MESSAGES/messages.po``
(template ``i18n/locale/messages.pot``; ``babel.cfg`` says what is extracted).

Examples
--------
>>> import i18n
>>> with i18n.use("zh-CN"):
...     i18n.format_distance(1234.0)
'1.2公里'
"""

from i18n._core import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    LOCALE_DIR,
    N_,
    babel_locale,
    catalog_path,
    chosen,
    current,
    gettext,
    html_lang,
    ngettext,
    normalize,
    pick,
    translations,
    use,
)
from i18n._errors import LanguageError
from i18n._fonts import CJK_FONTS, chart_context, chart_style, cjk_font
from i18n._format import format_decimal, format_distance, format_minutes, format_tonnes
from i18n._reasons import FIXED_REASONS, REASON_TEMPLATES, reason_text

_ = gettext

__all__ = [
    "CJK_FONTS",
    "DEFAULT_LANGUAGE",
    "FIXED_REASONS",
    "LANGUAGES",
    "LOCALE_DIR",
    "N_",
    "REASON_TEMPLATES",
    "LanguageError",
    "_",
    "babel_locale",
    "catalog_path",
    "chart_context",
    "chart_style",
    "chosen",
    "cjk_font",
    "current",
    "format_decimal",
    "format_distance",
    "format_minutes",
    "format_tonnes",
    "gettext",
    "html_lang",
    "ngettext",
    "normalize",
    "pick",
    "reason_text",
    "translations",
    "use",
]
