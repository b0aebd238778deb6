"""``run_plan.py --lang`` and a scenario's ``language``: the CLI's lines, files and errors.

The bundled sample is planned once in Chinese with a short OR-Tools search (a few
seconds); everything else needs no search.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

import i18n
import planner
import run_plan

HAN = re.compile(r"[\u4e00-\u9fff]")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = run_plan.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def chinese_run(tmp_path_factory) -> tuple[int, str, str, Path]:
    out = tmp_path_factory.mktemp("zh") / "day"
    import contextlib
    import io

    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = run_plan.main(["--lang", "zh-CN", "--engine", "ortools", "--time-limit", "5",
                              "--date", "2026-12-02", "--out", str(out)])
    return code, stdout.getvalue(), stderr.getvalue(), out


@pytest.mark.slow
def test_the_sample_planned_in_chinese_prints_chinese(chinese_run):
    code, out, err, _ = chinese_run
    assert code == 0, err
    assert "正在规划 'sample'，日期 2026-12-02" in err
    assert "路网已加载" in err and "路线已求解" in err
    assert "2026-12-02 的计划（sample），引擎 ortools" in out
    assert re.search(r"^车辆\s+站点\s+吨数\s+公里\s+小时\s+卸料\s+成本$", out, re.M)
    assert "规划用时" in out and "司机地图" in out
    assert re.search(r"^搜索（ortools）：", out, re.M)
    assert "Plan for" not in out and "Unassigned" not in out


@pytest.mark.slow
def test_the_sample_planned_in_chinese_writes_chinese_files(chinese_run):
    code, _, err, out = chinese_run
    assert code == 0, err
    driver = (out / "truck-T01.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in driver and "全部车辆总览" in driver
    steps = re.findall(r"<li>(?:<span class=\"sn-in\">[^<]*</span>)?([^<]*)</li>", driver)
    assert any(re.fullmatch(r"在\S+(左|右)转", s) for s in steps), steps  # "在Kaivokatu左转"
    assert any(re.fullmatch(r"沿\S+向[东南西北]+行驶", s) for s in steps), steps
    assert re.search(r'<span class="sn-in">\d+米后</span>', driver)
    sheet = list(csv.reader((out / "sheet-T01.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert sheet[0][:3] == ["date", "truck", "order"] and sheet[1][:3] == ["日期", "车辆", "顺序"]
    assert "路线单 T01" in (out / "sheet-T01.html").read_text(encoding="utf-8")
    assert "时间线" in (out / "timeline.html").read_text(encoding="utf-8")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["language"] == "zh-CN" and "engine" in summary


@pytest.mark.slow
def test_a_scenario_in_chinese_plans_in_chinese_unless_the_run_says_otherwise(tmp_path):
    text = planner.SAMPLE_SCENARIO.read_text(encoding="utf-8")
    path = tmp_path / "zh.toml"
    path.write_text('language = "zh-CN"\n' + text.replace('"sample.', '"'
                    + str(planner.SAMPLE_SCENARIO.parent) + '/sample.'), encoding="utf-8")
    import dataclasses

    scenario = planner.Scenario.from_file(path)
    assert scenario.language == "zh-CN"
    scenario = dataclasses.replace(scenario, solver=dataclasses.replace(
        scenario.solver, engine="ortools", time_limit_s=5.0))
    day = planner.plan_day(scenario)
    zh = planner.write_day(day, tmp_path / "zh")
    assert "全部车辆总览" in zh["truck-T01.html"].read_text(encoding="utf-8")
    with i18n.use("en"):  # the run's language (run_plan.py --lang en) wins
        en = planner.write_day(day, tmp_path / "en")
    page = en["truck-T01.html"].read_text(encoding="utf-8")
    assert '<html lang="en">' in page and "Overview of all trucks" in page


def test_a_bad_field_of_a_chinese_scenario_is_told_in_chinese(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text('language = "zh-CN"\n[[fleet]]\nname = "a"\ncount = 2\ncapacity_t = -3\n'
                    'shift_start = "25:00"\n', encoding="utf-8")
    code, _, err = run(capsys, "--scenario", str(path))
    assert code == 2 and "Traceback" not in err
    assert err.startswith("run_plan：错误：")
    assert "capacity_t：得到 -3；请给出大于 0 的载重吨数" in err
    assert 'shift_start：得到 \'25:00\'；请按 "HH:MM" 给出时间' in err
    code, _, err = run(capsys, "--scenario", str(path), "--lang", "en")  # the flag wins
    assert code == 2 and "capacity_t: got -3; give the payload in tonnes > 0" in err


def test_a_missing_site_file_is_told_in_chinese(tmp_path, capsys):
    code, _, err = run(capsys, "--lang", "zh-CN", "--sites", str(tmp_path / "nope.csv"))
    assert code == 2
    assert f"{tmp_path / 'nope.csv'} 不存在；请检查路径（相对于当前工作目录）" in err


def test_a_bad_site_row_is_told_in_chinese(tmp_path, capsys):
    path = tmp_path / "sites.csv"
    path.write_text("site_id,kind,tonnes,lon,lat\nA,depot,0,24.94,60.17\nB,dump,x,24.95,60.17\n",
                    encoding="utf-8")
    code, _, err = run(capsys, "--lang", "zh-CN", "--sites", str(path))
    assert code == 2 and "Traceback" not in err
    assert "站点数据中有 2 个问题" in err
    assert "第 2 行（site_id 'B'），kind 列：得到 'dump'；请使用" in err
    assert "tonnes 列：得到 'x'，不是数字；请以吨为单位填写不小于 0 的数" in err


@pytest.mark.parametrize("argv", [
    ["--lang", "fr"], ["--lang=xx", "--scenario", "x.toml"], ["campaign", "--lang", "de"],
    ["sweep", "--lang", "zh-TW"], ["init", "--lang", "klingon"], ["progress", "--lang", ""],
])
def test_an_unknown_language_exits_2_with_a_clear_message(argv, capsys):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and "Traceback" not in err
    assert re.fullmatch(r"run_plan: error: --lang: unknown language '.*'; use one of en, "
                        r"zh-CN\n", err), err


@pytest.mark.parametrize(("argv", "expected"), [
    (["campaign", "--scenario", "nope.toml"],
     "run_plan campaign：错误：nope.toml: 文件不存在；请检查路径"),
    (["sweep", "--scenario", "nope.toml", "--vary", "trucks=1,2"],
     "run_plan sweep：错误：nope.toml"),
    (["progress", "nope.csv", "--out", "done.csv"], "nope.csv：文件不存在；请检查路径"),
    (["init", "city.txt"], "init：city.txt：请给出以 .toml 结尾的文件名"),
])
def test_every_subcommand_takes_lang(argv, expected, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, *argv, "--lang", "zh-CN")
    assert code == 2 and expected in err, err
    assert i18n.chosen() is None  # the run's language does not outlive it


def test_help_names_the_languages(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "--lang LANG" in out and "en, zh-CN" in out
