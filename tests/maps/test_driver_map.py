"""A truck's driver page, checked on its rendered HTML and the data it hands the browser."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from exports_fixtures import windowed_plan, windowed_problem
from maps_fixtures import decode, node_xy, page_data

import geodata
from maps import MapsError, driver_map, navigate_links, render_html
from maps._style import FACILITY_COLOUR


@pytest.fixture(scope="module")
def page(plan, problem, G, snapped, matrix) -> str:
    m = driver_map(plan, "T1", problem=problem, G=G, snapped=snapped, matrix=matrix,
                   date="2024-05-01")
    return render_html(m)


@pytest.fixture(scope="module")
def panel(page) -> str:
    return page[page.index('<div id="sn-dir">'):]


def visits(panel: str) -> list[str]:
    return re.findall(r'<li class="sn-visit".*?(?=<li class="sn-visit"|</ol></div>)', panel, re.S)


def test_phone_viewport_and_responsive_layout(page):
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "@media (max-width:700px)" in page  # directions go below the map


def test_numbered_stops_and_unloads(page):
    data = page_data(page)
    labels = [(m[3], m[4]) for m in data["markers"]]
    assert ("stop", "1") in labels and ("stop", "2") in labels and ("stop", "3") in labels
    assert ("site", "U1,U2") in labels  # both unloads at the landfill share one marker
    assert ("site", "D") in labels
    assert all(m[5] == "#1f77b4" for m in data["markers"] if m[3] == "stop")


def test_dashed_brown_runs_to_the_landfill(page):
    (route,) = page_data(page)["routes"]
    assert route["dashColour"] == FACILITY_COLOUR
    dashed = [r for r in route["runs"] if r[2]]
    assert {route["tips"][r[3]] for r in dashed} == {"To landfill Kaatopaikka (LF): 220 m"}
    lines = decode([r[0] for r in route["runs"]])
    starts = {tuple(round(c, 5) for c in line[0])
              for r, line in zip(route["runs"], lines, strict=True) if r[2]}
    # two drives to unload: from DS-2 (node 13) and from DS-3 (node 31)
    assert {tuple(round(c, 5) for c in node_xy(n)) for n in (13, 31)} <= starts


def test_legend_explains_the_lines(page):
    legend = next(p for p in page_data(page)["panels"] if p["id"] == "sn-legend")["html"]
    assert "Full, driving to unload" in legend and "Unloading (U1, U2 …)" in legend


def test_locate_me_control(page):
    assert "map.locate(" in page and "locationfound" in page
    assert page_data(page)["locate"] is True


def test_turn_by_turn_directions_panel(panel):
    assert "Truck T1 · 2024-05-01" in panel
    assert '<a class="sn-back" href="index.html">' in panel  # back to the overview
    assert "Head east on Rivi 0" in panel
    assert "Turn right onto Rivi 1" in panel
    assert '<span class="sn-in">in 110 m</span>' in panel
    assert "Arrive at stop 1 (dead spot DS-1, 4.0 t)" in panel
    assert "Unload 7.0 t at landfill Kaatopaikka (LF)" in panel
    assert "Arrive back at depot Varikko" in panel
    assert len(visits(panel)) == 7  # every visit of the route


def test_each_stop_gives_street_tonnes_and_navigation(panel, snapped):
    stop1 = next(v for v in visits(panel) if "Arrive at stop 1" in v)
    facts = re.search(r'class="sn-facts">(.*?)</div>', stop1).group(1)
    assert facts.startswith("Rivi 0") and "4.0 t" in facts
    row = snapped.set_index("site_id").loc["DS-1"]
    lat, lon = row.geometry.y, row.geometry.x
    assert f'href="geo:{lat:.6f},{lon:.6f}?q={lat:.6f},{lon:.6f}(1%20Kulma)"' in stop1
    assert "https://uri.amap.com/navigation?to=" in stop1 and "baidumap://map/direction" in stop1


def test_a_split_dump_says_which_load(panel):
    stop3 = next(v for v in visits(panel) if "Arrive at stop 3" in v)
    # DS-3 (12 t) takes two loads: T2 is there at 06:11, T1 at 06:37
    assert "Load 2 of 2" in stop3


def test_time_windows_and_opening_hours(matrix, G, snapped):
    problem = windowed_problem(matrix)
    plan = windowed_plan(problem)
    html = render_html(driver_map(plan, "T1", problem=problem, G=G, snapped=snapped,
                                  matrix=matrix, date="2024-05-01"))
    panel = html[html.index('<div id="sn-dir">'):]
    ds2 = next(v for v in visits(panel) if "(dead spot DS-2," in v)
    assert "Time window 07:00–09:00" in ds2
    lf = next(v for v in visits(panel) if "at landfill" in v)
    assert "Open 06:00–15:00" in lf


def test_navigation_links_convert_for_each_app():
    heihe = (127.5302, 47.7284)
    (links,) = navigate_links([heihe], ["3 Dump on Xingfu Road"])
    glon, glat = geodata.wgs84_to_gcj02(*heihe)
    blon, blat = geodata.wgs84_to_bd09(*heihe)
    assert links.geo.startswith("geo:47.728400,127.530200?q=47.728400,127.530200(")
    amap = re.search(r"to=([\d.]+),([\d.]+),([^&]+)&", links.amap)
    assert (float(amap[1]), float(amap[2])) == pytest.approx((glon, glat), abs=1e-6)
    assert unquote(amap[3]) == "3 Dump on Xingfu Road" and "coordinate=gaode" in links.amap
    baidu = re.search(r"latlng:([\d.]+),([\d.]+)\|name:", links.baidu)
    assert (float(baidu[1]), float(baidu[2])) == pytest.approx((blat, blon), abs=1e-6)
    assert "coord_type=bd09ll" in links.baidu
    assert abs(float(amap[1]) - heihe[0]) > 1e-3  # the apps' systems really differ here


def test_streets_only_around_the_route(plan, problem, G, snapped, matrix):
    # T2 stays in the east half of the grid: the page embeds no street far west of it
    html = render_html(driver_map(plan, "T2", problem=problem, G=G, snapped=snapped,
                                  matrix=matrix))
    data = page_data(html)
    west = data["fit"][0][1]
    lons = [lon for line in decode(data["streets"]) for lon, _lat in line]
    assert lons and min(lons) >= west - 0.0045  # about 200 m of margin, no more


def test_no_cdn(page):
    assert not re.search(r"<(?:script|link)\b[^>]*(?:src|href)\s*=", page)


def test_unknown_truck_is_named(plan, problem, G, snapped, matrix):
    with pytest.raises(MapsError, match="truck 'T3' has no route.*T1"):
        driver_map(plan, "T3", problem=problem, G=G, snapped=snapped, matrix=matrix)


def test_each_stop_says_its_waste_stream_when_the_day_has_several(plan, problem, G, snapped,
                                                                  matrix):
    # one stream for everything: nothing to say; kitchen waste among residual: every stop
    # on the driver page and every site popup of the overview names its stream
    from dataclasses import replace

    from maps import overview_map

    assert "Waste stream" not in render_html(driver_map(
        plan, "T1", problem=problem, G=G, snapped=snapped, matrix=matrix))
    sorted_ = problem.with_changes(stops=tuple(
        replace(s, stream="kitchen" if s.site_id == "DS-2" else "residual")
        for s in problem.stops))
    rows = snapped.assign(stream=["kitchen" if sid == "DS-2" else "residual"
                                  for sid in snapped["site_id"]])
    html = render_html(driver_map(plan, "T1", problem=sorted_, G=G, snapped=rows,
                                  matrix=matrix))
    stops = visits(html[html.index('<div id="sn-dir">'):])
    assert "Waste stream: kitchen" in stops[2]  # DS-2, the second stop after the start
    assert "Waste stream: residual" in stops[1]
    overview = render_html(overview_map(plan, problem=sorted_, G=G, snapped=rows,
                                        matrix=matrix))
    assert "Waste stream: kitchen" in overview
