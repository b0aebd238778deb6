"""Fixtures of the language tests (the Chinese-named grid: see i18n_fixtures.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from i18n_fixtures import chinese_day


@pytest.fixture(scope="session")
def day() -> dict:
    """A plan on the Chinese-named grid: two trucks, a split dump, two sites left out."""
    return chinese_day()


@pytest.fixture(scope="session")
def written(day, tmp_path_factory) -> dict[str, dict[str, Path]]:
    """The day's folder written in Chinese and in English."""
    import maps

    out = {}
    for lang in ("zh-CN", "en"):
        folder = tmp_path_factory.mktemp(f"day-{lang}") / "day"
        out[lang] = maps.write_outputs(**day, out_dir=folder, date="2026-12-02",
                                       timezone="Asia/Shanghai", lang=lang)
    return out
