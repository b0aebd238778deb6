"""Numbers with units in the current language's form (Babel's CLDR data).

``"350 m"`` / ``"1.2 km"`` in English, ``"350米"`` / ``"1.2公里"`` in Chinese; tonnes
as the catalog writes them (``"4.5 t"``, ``"4.5 吨"``: CLDR's Chinese short form is
"t", which a driver does not say).
"""

from __future__ import annotations

from i18n._core import N_, babel_locale, gettext

__all__ = ["format_decimal", "format_distance", "format_minutes", "format_tonnes"]


def _pattern(digits: int) -> str:
    return "#,##0" + ("." + "0" * digits if digits > 0 else "")


def format_decimal(value: float, *, digits: int = 1, lang: str | None = None) -> str:
    """``value`` with ``digits`` decimals in the language's form (``"1,234.5"``)."""
    from babel.numbers import format_decimal as fmt

    return fmt(value, format=_pattern(digits), locale=babel_locale(lang),
               decimal_quantization=True)


def format_distance(metres: float, *, lang: str | None = None) -> str:
    """A driving distance as a driver reads it: ``"350 m"``, ``"1.2 km"``.

    Under a kilometre, rounded to 10 m (at least 10 m); from there in km with one
    decimal.

    Examples
    --------
    >>> format_distance(1234.0, lang="zh-CN")
    '1.2公里'
    """
    from babel.units import format_unit

    loc = babel_locale(lang)
    if metres < 995:
        value = max(10, round(metres / 10.0) * 10)
        return format_unit(value, "length-meter", length="short", format="#,##0", locale=loc)
    return format_unit(round(metres / 1000.0, 1), "length-kilometer", length="short",
                       format="#,##0.0", locale=loc)


def format_minutes(minutes: float, *, lang: str | None = None) -> str:
    """Whole minutes: ``"30 min"``, ``"30分钟"``."""
    from babel.units import format_unit

    return format_unit(round(minutes), "duration-minute", length="short", format="#,##0",
                       locale=babel_locale(lang))


def format_tonnes(tonnes: float, *, digits: int = 1, lang: str | None = None) -> str:
    """Tonnes: ``"4.5 t"``, ``"4.5 吨"``."""
    value = format_decimal(tonnes, digits=digits, lang=lang)
    return gettext(N_("{tonnes} t"), lang=lang).format(tonnes=value)
