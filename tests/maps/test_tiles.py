"""Map tiles per scenario, and routes drawn in GCJ-02 over GCJ-02 tiles."""

from __future__ import annotations

import json

import numpy as np
import pytest
from maps_fixtures import FakeMatrix, grid_graph, page_data, snapped_sites

import geodata
import maps
from maps import MapsError, TileSource, tile_source
from routing import Depot, Facility, Plan, Problem, Stop, Vehicle, schedule_route

HEIHE = (127.50, 50.24)  # lon, lat: Aihui district, where GCJ-02 is 300-700 m off WGS-84


def test_presets():
    assert tile_source().name == "OpenStreetMap" and not tile_source().shifted
    assert tile_source("tianditu").key_env == "TIANDITU_KEY"
    assert tile_source("AMAP").crs == "GCJ-02"


def test_a_template_needs_xyz_and_attribution():
    with pytest.raises(MapsError, match=r"lacks \{y\}"):
        tile_source("https://t.example.org/{z}/{x}.png", attribution="x")
    with pytest.raises(MapsError, match="need an attribution"):
        tile_source("https://t.example.org/{z}/{x}/{y}.png")
    with pytest.raises(MapsError, match="crs must be one of WGS-84, GCJ-02"):
        tile_source("https://t.example.org/{z}/{x}/{y}.png", attribution="x", crs="BD-09")
    with pytest.raises(MapsError, match="use one of osm, tianditu, amap"):
        tile_source("googlemaps")


def test_the_key_comes_from_the_environment_variable():
    tiles = tile_source("tianditu")
    url, labels = tiles.urls({"TIANDITU_KEY": "abc123"})
    assert "tk=abc123" in url and "LAYER=vec" in url and "LAYER=cva" in labels
    with pytest.raises(MapsError, match="environment variable TIANDITU_KEY"):
        tiles.urls({})
    with pytest.raises(MapsError, match="name the environment variable"):
        TileSource("x", "https://t.example.org/{z}/{x}/{y}.png?k={key}", "x")


def test_gcj02_tiles_move_points_by_the_published_offset():
    tiles = tile_source("amap")
    lon, lat = tiles.display(np.array([HEIHE[0]]), np.array([HEIHE[1]]))
    glon, glat = geodata.wgs84_to_gcj02(HEIHE[0], HEIHE[1])
    assert (lon[0], lat[0]) == pytest.approx((float(glon), float(glat)), abs=1e-9)
    assert abs(lon[0] - HEIHE[0]) > 1e-3  # hundreds of metres
    same = tile_source().display(np.array([HEIHE[0]]), np.array([HEIHE[1]]))
    assert same[0][0] == HEIHE[0]


@pytest.fixture(scope="module")
def heihe_day():
    G = grid_graph(HEIHE)
    snapped = snapped_sites(G, HEIHE)
    matrix = FakeMatrix(G, snapped)
    loc = matrix.index
    problem = Problem(
        duration_s=np.where(np.isinf(matrix.duration_s), 1e9, matrix.duration_s),
        distance_m=np.where(np.isinf(matrix.distance_m), 1e9, matrix.distance_m),
        stops=(Stop("DS-1", loc("DS-1"), 4.0, service_s=600),),
        facilities=(Facility("LF", loc("LF"), unload_s=900),),
        depots=(Depot("DEPOT", loc("DEPOT")),), vehicles=(Vehicle("T1", "DEPOT", 8.0),),
        location_names=matrix.site_ids)
    plan = Plan(routes=(schedule_route(problem, "T1", ["DS-1", "LF"]),), unassigned=(),
                engine="hand")
    return dict(plan=plan, problem=problem, G=G, snapped=snapped, matrix=matrix)


@pytest.mark.parametrize("page", ["overview", "driver"])
def test_routes_stops_and_streets_are_shifted_onto_gcj02_tiles(heihe_day, page):
    def render(tiles):
        if page == "overview":
            m = maps.overview_map(**heihe_day, tiles=tiles)
        else:
            m = maps.driver_map(vehicle_id="T1", **heihe_day, tiles=tiles)
        return page_data(maps.render_html(m))

    wgs, gcj = render(None), render(tile_source("amap"))
    row = heihe_day["snapped"].set_index("site_id").loc["DS-1"]
    glon, glat = geodata.wgs84_to_gcj02(row.geometry.x, row.geometry.y)
    ds1 = next(m for m in gcj["markers"] if "DS-1" in m[6] or "DS-1" in m[7])
    assert (ds1[0], ds1[1]) == pytest.approx((float(glat), float(glon)), abs=1e-5)
    shift_lat = float(glat) - row.geometry.y
    # every route vertex and every street moved with it (the offset varies by < 1 m here)
    for key in ("streets",):
        a = np.array(wgs[key][0][:2]) / 1e5
        b = np.array(gcj[key][0][:2]) / 1e5
        assert b[0] - a[0] == pytest.approx(shift_lat, abs=2e-5)
    a = np.array(wgs["routes"][0]["runs"][0][0][:2]) / 1e5
    b = np.array(gcj["routes"][0]["runs"][0][0][:2]) / 1e5
    assert b[0] - a[0] == pytest.approx(shift_lat, abs=2e-5)
    (s, w), (n, e) = gcj["fit"]
    eps = 1e-5  # markers are rounded to 5 decimals
    assert s - eps <= ds1[0] <= n + eps and w - eps <= ds1[1] <= e + eps  # fits the shifted route
    assert gcj["gcj"] is True and wgs["gcj"] is False  # the located position is shifted too


def test_tile_url_and_attribution_reach_the_page(heihe_day, monkeypatch):
    monkeypatch.setenv("TIANDITU_KEY", "k-42")
    html = maps.render_html(maps.overview_map(**heihe_day, tiles="tianditu"))
    assert "tianditu.gov.cn/vec_w/wmts" in html and "tk=k-42" in html
    assert "tianditu.gov.cn/cva_w/wmts" in html  # the street names above
    assert json.dumps("天地图 Tianditu")[1:-1] in html  # its name in the layer list


def scenario_with(map_table: dict):
    import planner

    base = {"fleet": [{"name": "t", "count": 1, "capacity_t": 10.0}], "map": map_table}
    return planner.Scenario.from_dict(base, source="city.toml")


def test_the_scenario_map_table(monkeypatch):
    import planner

    assert scenario_with({}).map_tiles == tile_source()
    monkeypatch.setenv("CITY_TILES_KEY", "k")
    tiles = scenario_with({"tiles": "https://t.example.cn/{z}/{x}/{y}.png?key={key}",
                           "attribution": "Example", "crs": "GCJ-02",
                           "key_env": "CITY_TILES_KEY"}).map_tiles
    assert tiles.shifted and tiles.urls()[0].endswith("key=k")
    monkeypatch.delenv("CITY_TILES_KEY")
    with pytest.raises(planner.ScenarioError, match="city.toml.*environment variable "
                       "CITY_TILES_KEY"):
        scenario_with({"tiles": "https://t.example.cn/{z}/{x}/{y}.png?key={key}",
                       "attribution": "Example", "key_env": "CITY_TILES_KEY"})
    with pytest.raises(planner.ScenarioError, match="map: crs must be one of"):
        scenario_with({"tiles": "osm", "crs": "WGS84"})
    with pytest.raises(planner.ScenarioError, match="map: unknown key 'key'"):
        scenario_with({"tiles": "tianditu", "key": "abc"})  # never the key itself in a file


@pytest.mark.slow
def test_the_scenarios_tiles_reach_every_written_page(tmp_path):
    import dataclasses

    import planner

    scenario = planner.Scenario.from_file(planner.SAMPLE_SCENARIO)
    scenario = dataclasses.replace(
        scenario, map_tiles=tile_source("https://tiles.example.cn/{z}/{x}/{y}.png",
                                        attribution="Example City"),
        solver=dataclasses.replace(scenario.solver, engine="ortools", time_limit_s=3.0))
    written = planner.write_day(planner.plan_day(scenario), tmp_path / "day")
    pages = [p for name, p in written.items() if name == "index.html"
             or (name.startswith("truck-") and name.endswith(".html"))]
    assert len(pages) >= 2
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "tiles.example.cn" in html and "Example City" in html, page.name
