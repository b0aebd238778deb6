"""The catalogs: complete, consistent, chosen per call; languages named and checked."""

from __future__ import annotations

import asyncio
import threading

import pytest

import i18n
import routing
from i18n._catalog import check, placeholders, read_catalog


def test_every_text_the_code_marks_has_a_chinese_translation():
    # extraction runs here against the committed catalog: a new _() / N_() text without a
    # translation (or one whose translation lost a {field}) fails this test; fix it by
    # running `python -m i18n update` and filling in the msgstr it adds
    assert check("zh-CN") == []


def test_the_catalog_has_no_stale_or_fuzzy_entries_and_keeps_every_field():
    catalog = read_catalog("zh-CN")
    entries = [m for m in catalog if m.id]
    assert len(entries) > 400
    for m in entries:
        assert m.string and not m.fuzzy, m.id
        assert placeholders(m.string) == placeholders(m.id), m.id


def test_translations_are_read_from_the_po_without_a_build_step():
    zh = i18n.translations("zh-CN")
    assert zh.gettext("Turn left onto {street}").format(street="中央街") == "在中央街左转"
    assert i18n.translations("en").gettext("Turn left onto {street}") == "Turn left onto {street}"


@pytest.mark.parametrize("given", ["zh-CN", "zh_CN", "zh", "zh-Hans", "ZH-cn", "zh_CN.UTF-8"])
def test_spellings_of_chinese_name_one_language(given):
    assert i18n.normalize(given) == "zh-CN"


@pytest.mark.parametrize("given", ["fr", "zh-TW", "xx", "english please"])
def test_an_unknown_language_is_a_clear_error(given):
    with pytest.raises(i18n.LanguageError, match=r"unknown language .*; use one of en, zh-CN"):
        i18n.normalize(given)


def test_the_language_is_per_context_and_restored():
    assert i18n.current() == "en" and i18n.chosen() is None
    with i18n.use("zh-CN"):
        assert i18n.gettext("Depot") == "车场"
        with i18n.use("en"):
            assert i18n.gettext("Depot") == "Depot"
        assert i18n.current() == "zh-CN"
    assert i18n.current() == "en" and i18n.chosen() is None


def test_a_thread_or_a_task_does_not_see_another_ones_language():
    seen: dict[str, str] = {}

    def worker() -> None:  # a new thread starts from the default, not the caller's choice
        seen["thread"] = i18n.gettext("Depot")

    with i18n.use("zh-CN"):
        t = threading.Thread(target=worker)
        t.start()
        t.join()

    async def request(lang: str) -> str:  # two service requests at once
        with i18n.use(lang):
            await asyncio.sleep(0.01)
            return i18n.gettext("Depot")

    async def both() -> list[str]:
        return list(await asyncio.gather(request("zh-CN"), request("en")))

    assert seen["thread"] == "Depot"
    assert asyncio.run(both()) == ["车场", "Depot"]


def test_numbers_and_units_in_the_locales_form():
    assert i18n.format_distance(350.0) == "350 m"
    assert i18n.format_distance(1234.0) == "1.2 km"
    assert i18n.format_distance(1234.0, lang="zh-CN") == "1.2公里"
    assert i18n.format_distance(4.0, lang="zh-CN") == "10米"
    assert i18n.format_tonnes(4.5) == "4.5 t"
    assert i18n.format_tonnes(4.5, lang="zh-CN") == "4.5 吨"
    assert i18n.format_minutes(30, lang="zh-CN") == "30分钟"


def test_every_reason_code_has_a_chinese_sentence():
    # routing's machine codes are translated on the display side, keyed by code
    assert set(routing.REASON_CODES) <= set(i18n.REASON_TEMPLATES)
    for code, templates in i18n.REASON_TEMPLATES.items():
        for needs, _template in templates:
            details = dict.fromkeys(needs, "X")
            text = i18n.reason_text(code, details, "english sentence", lang="zh-CN")
            assert text != "english sentence" and any("\u4e00" <= c <= "\u9fff" for c in text)


@pytest.mark.parametrize(("code", "details", "expected"), [
    ("window", {"open": "09:00", "close": "10:00"},
     "时间窗 09:00-10:00 无法满足，即使单独出车也赶不上"),
    ("capacity", {"tonnes": "12"}, "12 吨超过了任何可收运它的车辆的载重"),
    ("off_network", {}, "离可通行街道太远，无法吸附到路网"),
])
def test_reasons_are_translated_from_code_and_details(code, details, expected):
    english = "whatever the engine wrote"
    assert i18n.reason_text(code, details, english, lang="zh-CN") == expected
    assert i18n.reason_text(code, details, english, lang="en") == english


def test_a_reason_without_a_code_is_translated_whole_or_stays_english():
    assert i18n.reason_text("", {}, "left out by the search", lang="zh-CN") == "搜索未能安排"
    odd = "district north could not be planned: boom"
    assert i18n.reason_text("", {}, odd, lang="zh-CN") == odd


def test_the_check_catches_a_new_text_without_translation(tmp_path):
    # the same extraction over a checkout holding one new text and one translated one
    from i18n._catalog import PROJECT_ROOT

    (tmp_path / "babel.cfg").write_text((PROJECT_ROOT / "babel.cfg").read_text())
    (tmp_path / "maps").mkdir()
    (tmp_path / "maps" / "new.py").write_text(
        'from i18n import gettext as _\n\nA = _("Depot")\nB = _("A sentence nobody translated")\n')
    (tmp_path / "service" / "static" / "messages").mkdir(parents=True)
    (tmp_path / "service" / "static" / "messages" / "en.json").write_text('{"x": "Kind"}')
    problems = check("zh-CN", root=tmp_path)
    assert len(problems) == 1 and "'A sentence nobody translated'" in problems[0]
