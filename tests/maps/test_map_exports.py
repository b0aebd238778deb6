"""write_outputs: the files, their contents, and the atomic swap."""

from __future__ import annotations

import csv
import json

import geopandas as gpd
import gpxpy
import pytest
from exports_fixtures import windowed_context
from shapely.geometry import Point
from shapely.ops import unary_union

import maps
from maps import SHEET_COLUMNS, route_sheet_rows
from maps._sheets import FEEDBACK_COLUMNS

EXPECTED = {"index.html", "truck-T1.html", "truck-T2.html", "sheet-T1.csv", "sheet-T2.csv",
            "sheet-T1.html", "sheet-T2.html", "timeline.html",
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
    with open(files["sheet-T1.csv"], newline="", encoding="utf-8-sig") as f:  # BOM for Excel
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == SHEET_COLUMNS
    assert [r["label"] for r in rows] == ["D", "1", "2", "U1", "3", "U2", "D"]
    assert rows[1]["location"] == "Rivi 0" and rows[1]["eta"] == "06:00"
    assert rows[3]["notes"] == "unload 7.0 t" and rows[3]["load_after_t"] == "0.0"
    # the truck and the date are inside the sheet, on every row
    assert {(r["truck"], r["date"]) for r in rows} == {("T1", "2024-05-01")}


def test_dispatch_sheet_lists_trucks_and_unassigned(files):
    with open(files["dispatch.csv"], newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == SHEET_COLUMNS
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


# -- what the sheets, GeoJSON, GPX and summary carry (issue: complete sheets) ----------------
def _sheet(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def day(G, snapped, matrix):
    """The windowed day: DS-2 07:00-09:00, the landfill's hours, T1's lunch, T3 idle."""
    return windowed_context(G, snapped, matrix, meta={
        "search": {"verdict": "stopped at the iteration limit", "iterations": 50},
        "fleet": {"verdict": "2 of 3 trucks are enough"}})


def test_every_sheet_row_has_a_location_and_coordinates(files, snapped):
    rows = [r for name in ("sheet-T1.csv", "sheet-T2.csv") for r in _sheet(files[name])]
    rows += _sheet(files["dispatch.csv"])
    where = snapped.set_index("site_id")
    for r in rows:
        assert r["location"], r  # never blank, even off the network
        if r["site_id"] != "DS-OFF":
            assert (float(r["lat"]), float(r["lon"])) == pytest.approx(
                (where.loc[r["site_id"]].geometry.y, where.loc[r["site_id"]].geometry.x))


def test_sheet_rows_carry_the_windows_and_blank_columns_for_the_crew(day):
    rows = route_sheet_rows(day, "T1")
    by_label = {r["label"]: r for r in rows}
    assert (by_label["1"]["site_id"], by_label["1"]["open"], by_label["1"]["close"]) == (
        "DS-2", "07:00", "09:00")
    assert (by_label["U1"]["open"], by_label["U1"]["close"]) == ("06:00", "15:00")
    assert (rows[0]["open"], rows[-1]["close"]) == ("06:00", "16:00")  # the shift
    brk = next(r for r in rows if r["kind"] == "break")
    assert (brk["open"], brk["close"]) == ("07:30", "08:00")
    assert all(r[c] == "" for r in rows for c in FEEDBACK_COLUMNS)
    assert by_label["2"]["open"] == by_label["2"]["close"] == ""  # DS-1 has no window


def test_a_late_departure_is_explained_on_the_sheet_and_in_the_summary(day):
    rows = route_sheet_rows(day, "T1")
    assert rows[0]["departure"] > "06:00"
    assert "DS-2" in rows[0]["notes"] and "07:00" in rows[0]["notes"]
    trucks = {t["truck"]: t for t in maps.summary(day)["trucks"]}
    assert trucks["T1"]["departure"]["code"] == "window"
    assert trucks["T1"]["departure"]["waits_for"] == "DS-2"
    assert trucks["T2"]["departure"]["code"] == "shift_start"


def test_split_dump_rows_say_which_load(day):
    notes = {(r["truck"], r["stop_id"]): r["notes"] for r in maps.dispatch_rows(day)}
    assert {notes["T1", "DS-3#1"], notes["T2", "DS-3#2"]} == {"load 1 of 2", "load 2 of 2"}


def test_stream_column_only_when_the_day_has_several(G, snapped, matrix, day):
    assert "stream" not in maps.sheet_columns(day)
    two = windowed_context(G, snapped, matrix, streams=True)
    assert "stream" in maps.sheet_columns(two)
    streams = {r["stop_id"]: r["stream"] for r in route_sheet_rows(two, "T1") if r["stop_id"]}
    assert streams["DS-2"] == "glass" and streams["DS-1"] == "mixed"
    served = [f["properties"] for f in maps.stops_geojson(two)["features"]
              if f["properties"]["status"] == "served"]
    assert {p["stop_id"]: p["stream"] for p in served}["DS-2"] == "glass"
    assert "stream" not in maps.stops_geojson(day)["features"][0]["properties"]


def test_stops_geojson_has_windows_locations_and_reason_codes(day):
    props = {(p["status"], p.get("stop_id") or p["site_id"]): p
             for p in (f["properties"] for f in maps.stops_geojson(day)["features"])
             if p["status"] != "depot"}
    ds2 = props["served", "DS-2"]
    assert (ds2["open"], ds2["close"], ds2["location"]) == ("07:00", "09:00", "Sarake 3")
    left = props["unassigned", "DS-5"]
    assert (left["code"], left["details"], left["open"]) == (
        "window", {"open": "10:00", "close": "11:00"}, "10:00")
    assert props["unassigned", "DS-OFF"]["code"] == "off_network"
    assert props["facility", "LF"]["tonnes"] == pytest.approx(21.5)


def test_gpx_times_are_utc_from_the_scenario_time_zone(day):
    gpx = gpxpy.parse(maps.gpx_track(day, "T2", timezone="Asia/Shanghai").to_xml())
    first = gpx.waypoints[0]  # leaves at 06:00 Beijing time = 22:00 UTC the day before
    assert first.time.utcoffset().total_seconds() == 0
    assert first.time.isoformat() == "2024-04-30T22:00:00+00:00"
    assert "Z</time>" in maps.gpx_track(day, "T2", timezone="Asia/Shanghai").to_xml()


def test_every_output_rounds_minutes_alike(day):
    # the sheet's ETA, the GPX time and the GeoJSON ETA of each stop show the same minute
    rows = {r["label"]: r for r in route_sheet_rows(day, "T1")}
    odd = [r for r in day.visits["T1"] if r.visit.arrival_s % 60]
    assert odd, "the fixture must have visits off the whole minute"
    gpx = gpxpy.parse(maps.gpx_track(day, "T1").to_xml())
    for wpt in gpx.waypoints[1:-1]:
        label = wpt.name.split()[0]
        assert wpt.time.strftime("%H:%M") == rows[label]["eta"]
    served = {f["properties"]["stop_id"]: f["properties"]["eta"]
              for f in maps.stops_geojson(day)["features"]
              if f["properties"]["status"] == "served"}
    assert all(served[r["stop_id"]] == r["eta"] for r in rows.values() if r["stop_id"])


def test_summary_names_idle_trucks_facilities_site_trucks_and_settings(day):
    s = maps.summary(day, timezone="Europe/Helsinki")
    assert s["timezone"] == "Europe/Helsinki"
    assert s["idle_trucks"] == ["T3"]
    [lf] = s["facilities"]
    assert (lf["site_id"], lf["tonnes"], lf["unloads"], lf["trucks"]) == (
        "LF", 21.5, 3, ["T1", "T2"])
    sites = {p["site_id"]: p for p in s["sites"]}
    assert sites["DS-3"]["trucks"] == ["T1", "T2"] and sites["DS-2"]["trucks"] == ["T1"]
    fleet = {f["truck"]: f for f in s["fleet"]}
    assert fleet["T1"]["break"] == {"earliest": "07:30", "latest": "08:00", "minutes": 30}
    assert (fleet["T1"]["shift_start"], fleet["T3"]["shift_end"]) == ("06:00", "15:00")
    assert (fleet["T1"]["fixed_cost"], fleet["T1"]["cost_per_km"]) == (100.0, 1.5)
    assert fleet["T3"]["used"] is False and fleet["T1"]["capacity_t"] == 8.0
    assert s["verdicts"]["search"]["iterations"] == 50
    assert s["verdicts"]["fleet"]["verdict"] == "2 of 3 trucks are enough"
    codes = {u["site_id"]: u["code"] for u in s["unassigned"]}
    assert codes["DS-5"] == "window" and codes["DS-OFF"] == "off_network"


def test_summary_without_verdicts_has_an_empty_table(files):
    assert json.loads(files["summary.json"].read_text())["verdicts"] == {}


def test_machine_names_and_people_headers_are_kept_apart():
    # CSV column names are stable identifiers; what people read is SHEET_HEADERS
    assert all(c.isascii() and c == c.lower() and " " not in c for c in SHEET_COLUMNS)
    assert set(SHEET_COLUMNS) <= set(maps.SHEET_HEADERS)
    assert maps.SHEET_HEADERS["tonnes_cleared"] == "Actual tonnes"


def test_dispatch_rows_give_unassigned_work_its_reason_code(day):
    rows = [r for r in maps.dispatch_rows(day) if r["kind"] == "unassigned"]
    assert {r["site_id"]: r["code"] for r in rows} == {"DS-5": "window",
                                                      "DS-OFF": "off_network",
                                                      "DS-LOST": ""}
    assert all(r["code"] == "" for r in maps.route_sheet_rows(day, "T1"))


def test_a_departure_held_back_by_the_lunch_window_says_so(day):
    # a truck that would otherwise wait for its lunch window leaves later: the reason is
    # the lunch, not an unexplained 07:00 on a 06:00 shift
    from routing import Route, Visit

    loc = day.problem.location_names.index
    visits = (Visit("start", "DEPOT", loc("DEPOT"), 25200, 25200, 25200),
              Visit("stop", "DS-1", loc("DS-1"), 25260, 25260, 25860, load_t=4.0,
                    load_after_t=4.0),
              Visit("break", "break", loc("DS-1"), 27000, 27000, 28800, load_after_t=4.0),
              Visit("facility", "LF", loc("LF"), 29000, 29000, 29900, load_t=-4.0),
              Visit("end", "DEPOT", loc("DEPOT"), 30200, 30200, 30200))
    route = Route("T1", visits, distance_km=1.0, duration_h=1.4, tonnes=4.0, unload_trips=1,
                  cost=1.0)
    leave = maps.explain_departure(day.problem, route)
    assert (leave.code, maps.hhmm(leave.until_s), leave.delay_s) == ("break", "07:30", 3600)
    assert "lunch break" in leave.text and "07:00" in leave.text
