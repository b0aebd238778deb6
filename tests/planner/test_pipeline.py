"""The pipeline: every site ends up in the problem or in the left-out list, with a reason."""

from __future__ import annotations

import dataclasses
import math
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

import routing
from planner import NO_PATH, FleetType, ScenarioError, build_problem, load_sites, plan_day

INF = math.inf


def snapped_frame(rows):
    """A frame shaped like geodata.snap_sites output, for the columns build_problem reads."""
    defaults = {"tonnes": 0.0, "service_min": 0.0, "open_s": np.nan, "close_s": np.nan,
                "priority": 3, "reachable": True, "unreachable_reason": None}
    rows = [{**defaults, **r} for r in rows]
    return gpd.GeoDataFrame(rows, geometry=[Point(0, 0)] * len(rows), crs="EPSG:4326")


@pytest.fixture
def tiny():
    """Six sites: depot, two landfills, a dump, a dump cut off, a dump off the network."""
    snapped = snapped_frame([
        {"site_id": "D", "kind": "depot"},
        {"site_id": "L1", "kind": "landfill", "service_min": 15, "open_s": 6 * 3600.0,
         "close_s": 18 * 3600.0},
        {"site_id": "L2", "kind": "transfer", "service_min": 10},
        {"site_id": "S1", "kind": "dead_spot", "tonnes": 12.0, "service_min": 20,
         "open_s": 8 * 3600.0, "close_s": 12 * 3600.0, "priority": 1},
        # an island: no street path from the depot (a one-way trap, a gated estate)
        {"site_id": "S2", "kind": "dead_spot", "tonnes": 2.0},
        # farther than max_snap_m from any street
        {"site_id": "S3", "kind": "bin", "tonnes": 0.4, "reachable": False,
         "unreachable_reason": "412 m from the nearest drivable street (max_snap_m=300)"},
    ])
    d = np.array([
        [0, 300, 400, 200, INF, INF],
        [300, 0, 200, 250, INF, INF],
        [400, 200, 0, 150, INF, INF],
        [200, 250, 150, 0, INF, INF],
        [INF, INF, INF, INF, 0, INF],
        [INF, INF, INF, INF, INF, 0],
    ], dtype=float)
    matrix = SimpleNamespace(site_ids=tuple(snapped["site_id"]), duration_s=d,
                             distance_m=d * 10)
    return snapped, matrix


FLEET = (FleetType("rl", count=2, capacity_t=8.0),
         FleetType("big", count=1, capacity_t=15.0, facilities=("L1",), break_start="11:00",
                   break_end="13:00", break_min=30, max_hours=8))


def test_every_site_is_in_the_problem_or_left_out_with_a_reason(tiny):
    snapped, matrix = tiny
    problem, left = build_problem(snapped, matrix, FLEET)
    inside = ({s.site_id for s in problem.stops} | {f.id for f in problem.facilities}
              | {d.id for d in problem.depots})
    left_ids = [u.site_id for u in left]
    assert inside.isdisjoint(left_ids)
    assert sorted(inside | set(left_ids)) == sorted(snapped["site_id"])
    reasons = {u.site_id: u.reason for u in left}
    assert reasons == {"S2": NO_PATH,
                       "S3": "412 m from the nearest drivable street (max_snap_m=300)"}
    assert {u.site_id: u.load_t for u in left} == {"S2": 2.0, "S3": 0.4}


def test_locations_are_matrix_rows_and_fields_are_converted(tiny):
    snapped, matrix = tiny
    problem, _ = build_problem(snapped, matrix, FLEET, name="tiny")
    assert problem.location_names == matrix.site_ids
    assert problem.name == "tiny"
    s1 = problem.stop("S1")
    assert (s1.location, s1.load_t, s1.service_s, s1.window, s1.priority) == (
        3, 12.0, 1200, (8 * 3600, 12 * 3600), 1)
    l1 = problem.facility("L1")
    assert (l1.location, l1.unload_s, l1.window, l1.kind) == (1, 900, (21600, 64800), "landfill")
    assert problem.facility("L2").window is None
    assert problem.depot("D").location == 0


def test_vehicles_numbered_across_types(tiny):
    snapped, matrix = tiny
    problem, _ = build_problem(snapped, matrix, FLEET)
    assert [v.id for v in problem.vehicles] == ["T01", "T02", "T03"]
    big = problem.vehicle("T03")
    assert (big.capacity_t, big.facilities, big.max_duration_s) == (15.0, ("L1",), 8 * 3600)
    assert big.break_ == routing.Break(11 * 3600, 12 * 3600 + 1800, 1800)
    assert big.shift == (6 * 3600, 16 * 3600)
    assert problem.vehicle("T01").break_ is None


def test_closed_facility_is_left_out_and_listed(tiny):
    snapped, matrix = tiny
    problem, left = build_problem(snapped, matrix, FLEET[:1], closed_facilities=["L2"])
    assert [f.id for f in problem.facilities] == ["L1"]
    assert ("L2", 0.0) in [(u.site_id, u.load_t) for u in left]


@pytest.mark.parametrize(
    ("fleet", "closed", "match"),
    [
        # the only facility this type may use is closed: say so rather than let it use any
        ((FleetType("big", count=1, capacity_t=15, facilities=("L1",)),), ["L1"],
         r"every facility it may use is closed"),
        ((FleetType("rl", count=1, capacity_t=8, depot="D9"),), [],
         r"depot: 'D9' is not a usable depot .*known: \['D'\]"),
        ((FleetType("rl", count=1, capacity_t=8, facilities=("LX",)),), [],
         r"facilities: \['LX'\] are not usable facilities"),
        (FLEET, ["NOPE"], r"closed_facilities: \['NOPE'\] are not facilities"),
        (FLEET[:1], ["L1", "L2"], r"no open landfill or transfer station"),
    ],
)
def test_fleet_and_closure_errors(tiny, fleet, closed, match):
    snapped, matrix = tiny
    with pytest.raises(ScenarioError, match=match):
        build_problem(snapped, matrix, fleet, closed_facilities=closed)


def test_depot_must_be_named_when_there_are_two(tiny):
    snapped, matrix = tiny
    two = snapped.copy()
    two.loc[two["site_id"] == "L2", "kind"] = "depot"
    with pytest.raises(ScenarioError, match=r"depot: not given and the scenario has 2 usable"):
        build_problem(two, matrix, FLEET[:1])


def test_problem_solves_and_checks(tiny):
    snapped, matrix = tiny
    problem, _ = build_problem(snapped, matrix, FLEET)
    plan = routing.solve(problem, time_limit=2, seed=0, max_iterations=20)
    routing.check_plan(routing.prepare(problem), plan)
    assert pytest.approx(plan.tonnes) == 12.0


# -- on the sample network ---------------------------------------------------------------
def test_load_sites_merges_files_and_inline_facilities(make_scenario):
    from planner import FacilitySpec, Scenario

    s = Scenario.from_file(make_scenario(files=("small_sites.csv", "off_network_site.csv")))
    s = dataclasses.replace(s, facilities=(FacilitySpec("LF-2", 24.94, 60.17, unload_min=10),))
    sites = load_sites(s)
    assert list(sites["site_id"])[-2:] == ["FAR-01", "LF-2"]
    assert sites.set_index("site_id").loc["LF-2", "service_min"] == 10


def test_load_sites_duplicate_ids_across_files(make_scenario):
    from planner import Scenario

    s = Scenario.from_file(make_scenario(files=("small_sites.csv", "small_sites.csv")))
    with pytest.raises(ScenarioError, match=r"site id 'DEPOT' is in both"):
        load_sites(s)


def test_plan_day_keeps_an_off_network_site(make_scenario, sample_graph):
    from planner import Scenario

    s = Scenario.from_file(make_scenario(files=("small_sites.csv", "off_network_site.csv")))
    steps = []
    day = plan_day(s, G=sample_graph, on_step=lambda name, sec: steps.append(name))
    assert steps == ["network", "sites", "snapping", "matrix", "problem", "solve"]
    served = {v.site_id for r in day.plan.routes for v in r.stops}
    unassigned = {u.site_id: u.reason for u in day.plan.unassigned}
    work = set(day.sites.loc[day.sites["kind"].isin(["dead_spot", "bin"]), "site_id"])
    assert work == served | set(unassigned)
    assert "from the nearest drivable street" in unassigned["FAR-01"]  # snapping reason, kept
    assert [u.site_id for u in day.unassigned_work] == ["FAR-01"]
    assert set(day.routes_table()["truck"]) == {r.vehicle_id for r in day.plan.routes}


@pytest.mark.slow
def test_same_seed_same_plan(small_scenario, sample_graph):
    def routes(day):
        return [(r.vehicle_id, [v.id for v in r.visits]) for r in day.plan.routes]

    first = plan_day(small_scenario, G=sample_graph)
    second = plan_day(small_scenario, G=sample_graph)
    assert routes(first) == routes(second)
    assert first.plan.objective == second.plan.objective


def test_streams_and_daily_limits_reach_the_problem(tiny):
    # a stream column on the sites, the accepted streams per facility from the scenario
    # (L1) and from the facility row's own column (L2), and the fleet's limits
    snapped, matrix = tiny
    snapped = snapped.copy()
    snapped["stream"] = ["mixed", "mixed", "kitchen; residual", "kitchen", "mixed", "mixed"]
    fleet = (FleetType("kw", count=1, capacity_t=8.0, streams=("kitchen",), max_daily_t=20.0,
                       max_stops=30),)
    problem, _left = build_problem(snapped, matrix, fleet,
                                  facility_streams={"L1": ("residual",)})
    assert problem.stop("S1").stream == "kitchen"
    assert problem.facility("L1").streams == ("residual",)
    assert problem.facility("L2").streams == ("kitchen", "residual")
    truck = problem.vehicle("T01")
    assert (truck.streams, truck.max_daily_t, truck.max_stops) == (("kitchen",), 20.0, 30)
    plan = routing.solve(problem, engine="ortools", time_limit=3, seed=0, max_iterations=50)
    routing.check_plan(problem, plan)
    # kitchen waste is tipped at L2, the one facility that takes it
    tipped = {v.id for r in plan.routes for v in r.visits if v.kind == "facility"}
    assert tipped == {"L2"} and pytest.approx(plan.tonnes) == 12.0


def test_left_out_sites_carry_reason_codes(tiny):
    snapped, matrix = tiny
    _, left = build_problem(snapped, matrix, FLEET, closed_facilities=["L2"])
    assert {u.site_id: u.code for u in left} == {"S2": "no_path", "S3": "off_network",
                                                 "L2": "closed"}
