"""A font for Chinese chart labels (matplotlib), and a clear fallback without one.

Matplotlib's default font (DejaVu Sans) has no CJK glyphs: Chinese labels would come
out as empty boxes ("tofu"). ``chart_style(lang)`` gives the ``rcParams`` of a chart in
that language: for Chinese, DejaVu Sans for Latin text with a CJK font (Noto Sans CJK
SC of Debian's ``fonts-noto-cjk``, or another common one) as matplotlib's per-glyph
fallback. When no CJK font is installed it logs a warning saying what to install and
returns the English language instead, so the chart is readable, in English.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
from collections.abc import Iterator

from i18n._core import DEFAULT_LANGUAGE, normalize, use

__all__ = ["CJK_FONTS", "chart_context", "chart_style", "cjk_font"]

logger = logging.getLogger(__name__)

#: Fonts with Simplified Chinese glyphs, best first (family names as matplotlib reads them).
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
             "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Droid Sans Fallback",
             "Microsoft YaHei", "SimHei", "PingFang SC", "Noto Sans CJK JP",
             "Noto Serif CJK SC")  # fmt: skip
#: File names of such fonts, to find one matplotlib's font cache predates.
_FILES = re.compile(r"(NotoSansCJK|NotoSansSC|SourceHanSans|wqy|DroidSansFallback|msyh|simhei"
                    r"|PingFang|NotoSerifCJK)", re.IGNORECASE)
_LATIN = "DejaVu Sans"


@functools.lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of an installed CJK font matplotlib can use, or ``None``.

    Looks in matplotlib's font list first; a font installed after that list was cached
    (``apt-get install fonts-noto-cjk`` on a machine that ran matplotlib before) is
    found among the system's font files and added.
    """
    from matplotlib import font_manager

    def known() -> str | None:
        names = {f.name for f in font_manager.fontManager.ttflist}
        return next((n for n in CJK_FONTS if n in names), None)

    found = known()
    if found is None:
        for path in font_manager.findSystemFonts():
            if _FILES.search(path):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    logger.debug("cannot read font %s", path, exc_info=True)
        found = known()
    return found


def chart_style(lang: str | None) -> tuple[str, dict]:
    """The language a chart is drawn in and the ``rcParams`` to draw it with.

    Parameters
    ----------
    lang
        The language wanted (``None``: English).

    Returns
    -------
    tuple of (str, dict)
        The language to label the chart in (English when the wanted language needs a
        font that is not installed: a warning says so) and ``rcParams`` for
        ``matplotlib.rc_context``.
    """
    tag = normalize(lang)
    if tag == DEFAULT_LANGUAGE:
        return tag, {}
    font = cjk_font()
    if font is None:
        logger.warning("no CJK font found for %s chart labels (install Debian's "
                       "fonts-noto-cjk, or any of %s); the chart is labelled in English",
                       tag, ", ".join(CJK_FONTS[:3]))
        return DEFAULT_LANGUAGE, {}
    # a list of families: matplotlib takes each glyph from the first font that has it
    return tag, {"font.family": [_LATIN, font], "axes.unicode_minus": False}


@contextlib.contextmanager
def chart_context(lang: str | None) -> Iterator[str]:
    """Draw a chart in ``lang``: its font settings and its language for the ``with`` block.

    Create the figure, its texts and save it inside the block. Yields the language the
    labels are in (English when no CJK font is installed, see ``chart_style``).

    Examples
    --------
    >>> with chart_context("zh-CN") as lang:  # doctest: +SKIP
    ...     fig = Figure(); fig.add_subplot().set_title(gettext("working day"))
    ...     fig.savefig("chart.png")
    """
    import matplotlib

    tag, rc = chart_style(lang)
    with matplotlib.rc_context(rc), use(tag):
        yield tag
