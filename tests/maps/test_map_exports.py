"""write_outputs: the files, their contents, and the atomic swap."""

from __future__ import annotations

import csv
import json

import geopandas as gpd
import gpxpy
import pytest
from shapely.geometry import Point
from shapely.ops import unary_union

import maps
from maps._exports import SHEET_COLUMNS

EXPECTED = {"index.html", "truck-T1.html", "truck-T2.html", "sheet-T1.csv", "sheet-T2.csv",
            "truck-T1.gpx", "truck-T2.gpx", "routes.geojson", "stops.geojson",
            "dispatch.csv", "summary.json"}  # fmt: skip


@pytest.fixture(scope="module")
def files(plan, problem, G, snapped, matrix, tmp_path_factory):
    out = tmp_path_factory.mktemp("day") / "2024-05-01"
    return maps.write_outputs(plan, problem=problem, G=G, snapped=snapped, matrix=matrix,
                              out_dir=out, date="2024-05-01")


def test_every_file_is_written(files):
    assert set(files) == EXPECTED
    assert all(p.is_file() and p.stat().st_size > 0 for p in files.values())
    folder = files["index.html"].parent
    assert {p.name for p in folder.iterdir()} == EXPECTED  # no temporary files left
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]


def test_route_lines_follow_graph_edges_within_1_m(files, G):
    routes = gpd.read_file(files["routes.geojson"])
    assert sorted(zip(routes.truck, routes.trip, strict=True)) == [
        ("T1", 1), ("T1", 2), ("T1", 3), ("T2", 1), ("T2", 2)]
    edges = gpd.GeoSeries([d["geometry"] for _, _, d in G.edges(data=True)], crs=4326)
    network = unary_union(list(edges.to_crs(3067)))
    for line in routes.to_crs(3067).geometry:
        worst = max(network.distance(Point(c)) for c in line.coords)
        assert worst < 1.0
    t1 = routes[routes.truck == "T1"]
    assert t1.km.sum() == pytest.approx(1.77, abs=0.02)
    assert [list(s) for s in t1.stops] == [["DS-1", "DS-2"], ["DS-3#1"], []]


def test_stops_cover_every_site(files, snapped):
    stops = json.loads(files["stops.geojson"].read_text())["features"]
    assert {f["properties"]["site_id"] for f in stops} == set(snapped.site_id)
    ds3 = [f["properties"] for f in stops if f["properties"]["site_id"] == "DS-3"]
    assert {(p["truck"], p["order"], p["eta"]) for p in ds3} == {("T1", 3, "06:37"),
                                                                 ("T2", 2, "06:11")}
    off = next(f["properties"] for f in stops if f["properties"]["site_id"] == "DS-OFF")
    assert off["status"] == "unassigned" and "600 m" in off["reason"]


def test_route_sheet_columns_and_rows(files):
    with open(files["sheet-T1.csv"], newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == SHEET_COLUMNS
    assert [r["label"] for r in rows] == ["D", "1", "2", "U1", "3", "U2", "D"]
    assert rows[1]["street"] == "Rivi 0" and rows[1]["eta"] == "06:00"
    assert rows[3]["notes"] == "unload 7.0 t" and rows[3]["load_after_t"] == "0.0"


def test_dispatch_sheet_lists_trucks_and_unassigned(files):
    with open(files["dispatch.csv"], newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == ("truck", *SHEET_COLUMNS)
    assert {r["truck"] for r in rows} == {"T1", "T2", ""}
    unassigned = {r["site_id"]: r["notes"] for r in rows if r["kind"] == "unassigned"}
    assert unassigned == {"DS-5": "no truck time left",
                          "DS-OFF": "off network: 600 m from the nearest street",
                          "DS-LOST": "not in the plan"}


def test_gpx_parses_back(files):
    with open(files["truck-T1.gpx"], encoding="utf-8") as f:
        gpx = gpxpy.parse(f)
    assert len(gpx.tracks) == 1 and len(gpx.tracks[0].segments) == 3  # three trips
    assert sum(len(s.points) for s in gpx.tracks[0].segments) > 10
    names = [w.name for w in gpx.waypoints]
    assert names == ["Depot", "1 DS-1", "2 DS-2", "U1 LF", "3 DS-3", "U2 LF", "Depot (back)"]
    assert gpx.waypoints[1].comment == "ETA 06:00"
    assert gpx.waypoints[1].time.isoformat().startswith("2024-05-01T06:00")


def test_summary_json(files):
    s = json.loads(files["summary.json"].read_text())
    assert s["date"] == "2024-05-01" and s["engine"] == "hand"
    assert s["totals"]["trucks_used"] == 2 and s["totals"]["unassigned"] == 3
    assert [t["truck"] for t in s["trucks"]] == ["T1", "T2"]
    assert {u["site_id"] for u in s["unassigned"]} == {"DS-5", "DS-OFF", "DS-LOST"}
    ds3 = next(p for p in s["sites"] if p["site_id"] == "DS-3")
    assert ds3["cleared_t"] == 12.0 and ds3["trips"] == 2
    assert set(s["files"]) == EXPECTED


def test_rewrite_replaces_the_folder_whole(plan, problem, G, snapped, matrix, tmp_path):
    out = tmp_path / "day"
    args = dict(plan=plan, problem=problem, G=G, snapped=snapped, matrix=matrix, out_dir=out,
                date="2024-05-01")
    maps.write_outputs(**args)
    (out / "truck-T9.html").write_text("yesterday's truck")  # a page of an earlier plan
    maps.write_outputs(**args)
    assert {p.name for p in out.iterdir()} == EXPECTED  # the old page went with its plan
    assert [p.name for p in tmp_path.iterdir()] == ["day"]


def test_a_folder_with_other_files_is_refused_unless_forced(plan, problem, G, snapped, matrix,
                                                           tmp_path):
    # issue 11: --out on a folder deleted the user's important.txt beside the plan
    out = tmp_path / "day"
    out.mkdir()
    (out / "important.txt").write_text("keep me")
    args = dict(plan=plan, problem=problem, G=G, snapped=snapped, matrix=matrix, out_dir=out)
    with pytest.raises(maps.MapsError, match=r"not a plan of ours \(important.txt\)"):
        maps.write_outputs(**args)
    assert [p.name for p in out.iterdir()] == ["important.txt"]
    maps.write_outputs(**args, force=True)
    assert {p.name for p in out.iterdir()} == EXPECTED | {"important.txt"}
    assert (out / "important.txt").read_text() == "keep me"


def test_a_crash_leaves_the_old_folder_untouched(plan, problem, G, snapped, matrix, tmp_path,
                                                 monkeypatch):
    out = tmp_path / "day"
    maps.write_outputs(plan, problem=problem, G=G, snapped=snapped, matrix=matrix, out_dir=out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("maps._exports.gpx_track", boom)
    with pytest.raises(RuntimeError, match="disk on fire"):
        maps.write_outputs(plan, problem=problem, G=G, snapped=snapped, matrix=matrix,
                           out_dir=out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["day"]  # staging folder removed


def test_unknown_site_is_named(plan, problem, G, snapped, matrix, tmp_path):
    with pytest.raises(maps.MapsError, match="site 'LF'.*not in the snapped sites"):
        maps.write_outputs(plan, problem=problem, G=G, snapped=snapped[snapped.site_id != "LF"],
                           matrix=matrix, out_dir=tmp_path / "x")
