"""A day written in Chinese: pages, sheets, directions, reasons; machine names stay English."""

from __future__ import annotations

import csv
import json
import re

from i18n_fixtures import SITE_NAMES, STREETS

import maps
from maps._sheets import SHEET_COLUMNS

HAN = re.compile(r"[\u4e00-\u9fff]")


def read(files, name: str) -> str:
    return files[name].read_text(encoding="utf-8-sig")


def rows(files, name: str) -> list[list[str]]:
    return list(csv.reader(read(files, name).splitlines()))


def test_driver_page_declares_utf8_and_chinese_and_shows_chinese_names(written):
    page = read(written["zh-CN"], "truck-T1.html")
    assert '<html lang="zh-CN">' in page and '<meta charset="utf-8">' in page
    assert "<title>车辆 T1 2026-12-02</title>" in page
    for name in ("中央街拐角", "和平路院内", "垃圾填埋场", "环卫车场"):  # the sites' own names
        assert name in page, name
    # the directions panel and its legend, in Chinese
    for text in ("到达站点 1（垃圾堆放点 DS-1，4.0 吨）", "从车场 环卫车场 出发", "图例",
                 "全部车辆总览", "导航", "高德地图", "百度地图", "时间窗 07:00–10:00"):
        assert text in page, text
    for english in ("Arrive at stop", "Leave depot", "Overview of all trucks", "Legend",
                    "Time window", ">Navigate<"):
        assert english not in page, english


def test_directions_on_the_driver_page_turn_onto_chinese_streets(written):
    page = read(written["zh-CN"], "truck-T1.html")
    steps = re.findall(r"<li>(?:<span class=\"sn-in\">([^<]*)</span>)?([^<]*)</li>", page)
    texts = [text for _, text in steps]
    assert any(re.fullmatch(r"沿\S+向[东南西北]+行驶", t) for t in texts), texts
    assert any(re.fullmatch(r"在\S+(左|右)转", t) for t in texts), texts
    leads = [lead for lead, _ in steps if lead]
    assert leads and all(re.fullmatch(r"\d+米后|\d+\.\d公里后", lead) for lead in leads), leads


def test_directions_speak_the_language_asked_for():
    from types import SimpleNamespace as Leg

    legs = [Leg(name="中央街", length_m=111.0, coords=[(0, 0), (0, 0.001)]),
            Leg(name="和平路", length_m=111.0, coords=[(0, 0.001), (-0.001, 0.001)])]
    zh = maps.directions(legs, lang="zh-CN")
    assert [s.instruction for s in zh] == ["沿中央街向北行驶", "在和平路左转", "到达目的地"]
    assert zh[0].distance_text == "110米"
    en = maps.directions(legs)
    assert [s.instruction for s in en] == ["Head north on 中央街", "Turn left onto 和平路",
                                           "Arrive at destination"]


def test_csv_sheets_keep_machine_columns_and_add_the_chinese_header_row(written):
    for name in ("sheet-T1.csv", "dispatch.csv"):
        zh = rows(written["zh-CN"], name)
        assert tuple(zh[0]) == SHEET_COLUMNS  # the names tools key on
        assert zh[1][:4] == ["日期", "车辆", "顺序", "编号"]  # the names people read
        assert zh[1][SHEET_COLUMNS.index("tonnes_cleared")] == "实际吨数"
        en = rows(written["en"], name)
        assert tuple(en[0]) == SHEET_COLUMNS and en[1][0] == "2026-12-02"  # one header row
    sheet = rows(written["zh-CN"], "sheet-T1.csv")
    notes = [r[SHEET_COLUMNS.index("notes")] for r in sheet[2:]]
    assert "卸料 7.0 吨" in notes
    dispatch = rows(written["zh-CN"], "dispatch.csv")
    left = [r for r in dispatch if r[SHEET_COLUMNS.index("kind")] == "unassigned"]
    by_site = {r[SHEET_COLUMNS.index("site_id")]: r for r in left}
    ds5 = by_site["DS-5"]
    assert ds5[SHEET_COLUMNS.index("code")] == "hours"
    assert ds5[SHEET_COLUMNS.index("notes")] == "班次内车辆时间不够，无法在 09:00-10:00 内到达"
    # a site the snapping left out: its code, and a Chinese sentence for it
    assert by_site["DS-OFF"][SHEET_COLUMNS.index("code")] == "off_network"
    assert HAN.search(by_site["DS-OFF"][SHEET_COLUMNS.index("notes")])


def test_a_filled_in_chinese_sheet_reads_back(written, tmp_path):
    sheet = rows(written["zh-CN"], "sheet-T1.csv")
    done = SHEET_COLUMNS.index("done")
    for row in sheet[2:]:
        if row[SHEET_COLUMNS.index("kind")] == "stop":
            row[done] = "是"  # ticked in Chinese
    path = tmp_path / "filled.csv"
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        csv.writer(fh).writerows(sheet)
    back = maps.read_sheet_progress([path])
    assert {r["site_id"] for r in back} == {"DS-1", "DS-2", "DS-3"}


def test_printable_sheet_and_timeline_are_chinese(written):
    sheet = read(written["zh-CN"], "sheet-T1.html")
    assert '<html lang="zh-CN">' in sheet
    for text in ("路线单 T1，2026-12-02", "<th>到达</th>", "<th>实际吨数</th>", "班次 06:00–16:00",
                 "载重 8.0 吨", "司机", "签字", "时间为当地时间（Asia/Shanghai）。"):
        assert text in sheet, text
    timeline = read(written["zh-CN"], "timeline.html")
    for text in ("时间线，2026-12-02", "在站点装载", "午休", "司机地图"):
        assert text in timeline, text
    assert "Timeline" not in timeline and "loading at a stop" not in timeline


def test_overview_gives_reasons_and_labels_in_chinese(written):
    page = read(written["zh-CN"], "index.html").replace("<\\/", "</")  # JSON-escaped panels
    for text in ("班次内车辆时间不够，无法在 09:00-10:00 内到达", "未分配", "按车辆或站点筛选",
                 "图例", "<th>车辆</th>"):
        assert text in page, text
    # layer names are in the layer control's script, as JSON escapes
    assert json.dumps("车场和卸料点") in page and json.dumps("未分配（3）") in page
    assert "Filter by truck or site" not in page and "Depots and unloading" not in page


def test_json_and_geojson_keep_english_keys_with_texts_in_chinese(written):
    zh = json.loads(read(written["zh-CN"], "summary.json"))
    en = json.loads(read(written["en"], "summary.json"))
    assert zh.keys() == en.keys() and zh["language"] == "zh-CN" and en["language"] == "en"
    [u_zh] = [u for u in zh["unassigned"] if u["site_id"] == "DS-5"]
    [u_en] = [u for u in en["unassigned"] if u["site_id"] == "DS-5"]
    assert u_zh["code"] == u_en["code"] == "hours" and u_zh["details"] == u_en["details"]
    assert HAN.search(u_zh["reason"]) and not HAN.search(u_en["reason"])
    assert HAN.search(zh["trucks"][0]["departure"]["text"])
    stops = json.loads(read(written["zh-CN"], "stops.geojson"))
    props = [f["properties"] for f in stops["features"]]
    assert {"status", "site_id", "reason", "code"} <= {k for p in props for k in p}
    assert any(p["status"] == "unassigned" and HAN.search(p["reason"]) for p in props)


def test_gpx_waypoints_are_named_in_chinese(written):
    gpx = read(written["zh-CN"], "truck-T1.gpx")
    assert "<name>车场</name>" in gpx and "预计到达" in gpx


def test_english_is_unchanged_by_the_catalog(written):
    for name in ("truck-T1.html", "sheet-T1.html", "timeline.html", "index.html"):
        text = read(written["en"], name)
        assert '<html lang="en">' in text
        # Chinese only where the data is Chinese (site and street names)
        stripped = text
        for names in [*SITE_NAMES.values(), *STREETS.values()]:  # longest names first
            stripped = stripped.replace(names, "")
        assert not HAN.search(stripped), (name, HAN.search(stripped))
