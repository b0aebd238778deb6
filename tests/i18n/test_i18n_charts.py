"""Chinese chart labels are drawn with a CJK font (no empty boxes), or fall back clearly."""

from __future__ import annotations

import logging
import warnings

import pytest

import i18n
from i18n import _fonts

TITLE = "剩余吨数（吨）"


def _draw(lang: str, path) -> list[str]:
    """Draw a chart titled in Chinese; the glyph warnings matplotlib gave."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with i18n.chart_context(lang):
            fig = Figure(figsize=(3, 2))
            FigureCanvasAgg(fig)
            fig.add_subplot().set_title(TITLE)
            fig.savefig(path)
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_a_chinese_chart_finds_its_glyphs_in_the_cjk_font(tmp_path):
    font = i18n.cjk_font()
    if font is None:
        pytest.skip("no CJK font installed (.ci/run installs Debian's fonts-noto-cjk)")
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    # without the font every ideograph is a box: matplotlib says so for each glyph
    assert _draw("en", tmp_path / "boxes.png")
    assert _draw("zh-CN", tmp_path / "chart.png") == []
    # and the font drawn with really has the glyphs: non-zero index, a width of its own
    path = font_manager.findfont(font_manager.FontProperties(family=font),
                                 fallback_to_default=False)
    face = FT2Font(path)
    for char in TITLE:
        assert face.get_char_index(ord(char)) != 0, char
    face.set_text(TITLE)
    width_cjk = face.get_width_height()[0]
    with warnings.catch_warnings():  # a private-use code point: the font's missing glyph
        warnings.simplefilter("ignore")
        face.set_text("\ue000" * len(TITLE))
    assert width_cjk != face.get_width_height()[0]


def test_the_sweep_chart_in_chinese_draws_without_missing_glyphs(tmp_path):
    if i18n.cjk_font() is None:
        pytest.skip("no CJK font installed (.ci/run installs Debian's fonts-noto-cjk)")
    from planner._sweep import write_chart

    rows = [{"status": "planned", "trucks": n, "km": 10.0 * n, "unassigned": 3 - n}
            for n in (1, 2, 3)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = write_chart(rows, tmp_path / "sweep.png", name="黑河", keys=["trucks"],
                          campaign=False, lang="zh-CN")
    assert out.stat().st_size > 1000
    assert not [w for w in caught if "missing from font" in str(w.message)]


def test_without_a_cjk_font_the_chart_is_english_and_says_why(monkeypatch, caplog, tmp_path):
    monkeypatch.setattr(_fonts, "cjk_font", lambda: None)
    with caplog.at_level(logging.WARNING, logger="i18n"):
        lang, rc = i18n.chart_style("zh-CN")
    assert (lang, rc) == ("en", {})
    assert "fonts-noto-cjk" in caplog.text and "labelled in English" in caplog.text
    with i18n.chart_context("zh-CN") as drawn:
        assert drawn == "en" and i18n.gettext("working day") == "working day"
