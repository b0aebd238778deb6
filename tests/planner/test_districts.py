"""District plans: each district its own day (depot, fleet share), then one overview.

On a cluster (a scheduler and worker processes): see test_sweep.py, which has them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from shapely.geometry import box
from sweep_fixtures import write_city

import geodata
import planner
import routing
from planner import ScenarioError, share_fleet
from planner._districts import NO_DISTRICT, _shares


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """The sample split west/east of its median longitude; one dead spot in no district."""
    return write_city(tmp_path_factory.mktemp("city"))


@pytest.fixture(scope="module")
def planned(city, tmp_path_factory):
    toml, _, _ = city
    out = tmp_path_factory.mktemp("districts")
    return planner.plan_districts(planner.Scenario.from_file(toml), client=None, out_dir=out), out


def test_each_district_is_its_own_day(planned):
    result, out = planned
    assert [r["district"] for r in result.rows] == ["east", "west"]
    assert all(r["status"] == "planned" for r in result.rows), result.failed
    assert sum(r["trucks"] for r in result.rows) == 4  # the fleet shared, not copied
    assert all(r["depot"] == "DEPOT" for r in result.rows)  # the only depot is the nearest
    ids = []
    for row in result.rows:
        folder = Path(row["folder"])
        assert (folder / "index.html").is_file()
        plan = routing.load_plan(folder / "plan.json")
        ids.append({r.vehicle_id for r in plan.routes})
    assert not ids[0] & ids[1]  # trucks numbered across the city, not T01 twice
    table = pd.read_csv(out / "districts.csv")
    assert list(table["district"]) == ["east", "west"]


def test_the_overview_holds_every_site_once(planned, city):
    result, out = planned
    _, nowhere, _ = city
    routing.check_plan(result.problem.split_for_fleet(), result.plan)
    served = {v.site_id for r in result.plan.routes for v in r.stops}
    left = {u.site_id: u.reason for u in result.plan.unassigned}
    dead_spots = set(geodata.read_sites(geodata.SAMPLE_SITES).query("kind == 'dead_spot'")
                     ["site_id"])
    assert served | set(left) >= dead_spots and not served & set(left)
    assert left[nowhere] == NO_DISTRICT
    summary = json.loads((out / "overview" / "summary.json").read_text())
    assert summary["totals"]["trucks_used"] == sum(r["trucks_used"] for r in result.rows)
    assert (out / "overview" / "index.html").is_file()
    doc = json.loads((out / "districts.json").read_text())
    assert doc["in_no_district"] == 1 and len(doc["districts"]) == 2


def test_polygons_split_like_the_column(city, tmp_path):
    import geopandas as gpd

    toml, _, split = city
    areas = gpd.GeoDataFrame({"name": ["west", "east"]},
                             geometry=[box(24.0, 59.0, split - 1e-9, 61.0),
                                       box(split - 1e-9, 59.0, 26.0, 61.0)], crs="EPSG:4326")
    areas.to_file(tmp_path / "areas.geojson", driver="GeoJSON")
    by_area = planner.plan_districts(planner.Scenario.from_file(toml), client=None,
                                     out_dir=tmp_path / "out", by="name",
                                     polygons=tmp_path / "areas.geojson")
    # the polygons put the dead spot without a district value in its district too
    tonnes = {r["district"]: r["tonnes"] for r in by_area.rows}
    assert set(tonnes) == {"east", "west"}
    assert sum(tonnes.values()) == pytest.approx(220.4, abs=0.05)
    assert not [u for u in by_area.plan.unassigned if u.reason == NO_DISTRICT]


@pytest.mark.parametrize(("count", "weights", "expected"), [
    (5, [10.0, 30.0, 10.0], [1, 3, 1]),
    (4, [1.0, 1.0, 1.0], [2, 1, 1]),  # ties: the first district gets the remainder
    (0, [5.0, 5.0], [0, 0]),
])
def test_share_fleet_by_tonnes(count, weights, expected):
    assert share_fleet(count, weights) == expected
    assert sum(share_fleet(count, weights)) == count


def test_every_district_gets_a_truck():
    fleet = planner.Scenario.from_file(planner.SAMPLE_SCENARIO).fleet  # 4 trucks
    assert [sum(c) for c in _shares(fleet, [100.0, 1.0, 1.0], "s")] == [2, 1, 1]
    with pytest.raises(ScenarioError, match="4 truck\\(s\\) for 5 districts"):
        _shares(fleet, [1.0] * 5, "s")


def test_no_district_column_is_bad_input(tmp_path, capsys):
    import run_plan

    code = run_plan.main(["districts", "--by", "ward", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "the sites have no 'ward' column" in err and "Traceback" not in err
