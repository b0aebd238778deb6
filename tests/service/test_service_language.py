"""The service in the dispatcher's language: the console's switch and a plan in Chinese."""

from __future__ import annotations

import json
import re

import pytest
from service_fixtures import wait_plan

from service.routers.console import catalogs, messages_for


def console_messages(html: str) -> dict[str, str]:
    found = re.search(r'<script id="console-messages" type="application/json">(.*?)</script>',
                      html, re.S)
    return json.loads(found.group(1).replace("<\\/", "</"))


def test_every_console_text_has_its_chinese_translation_with_its_fields():
    english = catalogs()["en"]
    chinese = messages_for("zh-CN")
    assert chinese.keys() == english.keys()
    for key, text in english.items():
        assert chinese[key] != text or not re.search(r"[A-Za-z]{3}", text), key
        assert set(re.findall(r"\{(\w+)\}", chinese[key])) == set(re.findall(r"\{(\w+)\}", text))


@pytest.mark.parametrize(("asked", "lang", "title"), [
    ("zh-CN", "zh-CN", "调度台"), ("zh_CN", "zh-CN", "调度台"), ("en", "en", "Dispatch console"),
    ("fr", "en", "Dispatch console"),  # a language without a catalog: the English page
])
def test_the_console_speaks_the_language_asked_for(anonymous, asked, lang, title):
    r = anonymous.get("/", params={"lang": asked})
    assert r.status_code == 200
    assert f'<html lang="{lang}">' in r.text
    assert console_messages(r.text)["title"] == title
    config = json.loads(re.search(r'<script id="console-config" type="application/json">'
                                  r"(.*?)</script>", r.text, re.S).group(1))
    assert config["lang"] == lang and config["languages"] == ["en", "zh-CN"]
    # the switch links every language, each named in its own words
    assert '<a href="?lang=en"' in r.text and ">简体中文</a>" in r.text
    assert re.search(rf'<a href="\?lang={lang}"[^>]*aria-current="true"', r.text)


def test_a_plan_in_an_unknown_language_is_a_422(client):
    r = client.post("/v1/plans", json={"language": "fr"})
    assert r.status_code == 422 and r.json()["detail"][0]["field"].endswith("language")


@pytest.mark.slow
def test_a_plan_asked_in_chinese_writes_chinese_pages_and_reasons(client, anonymous):
    r = client.post("/v1/plans", json={"date": "2025-05-06", "time_limit_s": 1,
                                       "language": "zh-CN"})
    assert r.status_code == 202, r.text
    plan = wait_plan(anonymous, r.json()["id"])
    assert plan["status"] == "done", plan
    truck = plan["result"]["trucks"][0]["truck"]
    driver = anonymous.get(plan["links"]["trucks"][truck]["map"]).text
    assert '<html lang="zh-CN">' in driver and "全部车辆总览" in driver
    sheet = anonymous.get(plan["links"]["trucks"][truck]["sheet_csv"]).text
    assert sheet.splitlines()[1].lstrip("\ufeff").startswith("日期,车辆,顺序")
    summary = anonymous.get(plan["links"]["summary_json"]).json()
    assert summary["language"] == "zh-CN"
    for left in plan["result"]["unassigned"]:  # the console lists these reasons
        assert re.search(r"[\u4e00-\u9fff]", left["reason"]), left
