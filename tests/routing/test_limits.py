"""Daily limits per truck (tonnes over all trips, number of stops) and waste streams.

Each rule on a tiny problem where it binds, in every engine, checked by ``check_plan``.
"""

from __future__ import annotations

import pytest
from conftest import H, line_problem

from routing import Facility, Stop, Vehicle, check_plan, solve

ENGINES = ("ortools", "pyvrp", "auto")
FAST = dict(time_limit=4, seed=0, max_iterations=300)


def _served(plan):
    return {r.vehicle_id: [v.id for v in r.stops] for r in plan.routes}


@pytest.mark.parametrize("engine", ENGINES)
def test_daily_total_forces_a_second_truck(engine):
    # Six 4 t spots next door, 10 t trucks allowed 12 t a day (a weighbridge allowance):
    # one truck could do the 24 t in three trips, but may collect only 12 t, so the
    # second truck takes the other half. A high fixed cost makes one truck the cheapest.
    problem = line_problem(
        [0, 100, 200],
        stops=[Stop(f"S{k}", 1, load_t=4.0, service_s=300) for k in range(6)],
        facilities=[Facility("L", 2, unload_s=300)],
        vehicles=[Vehicle(f"T{k}", "D", 10.0, fixed_cost=1000.0, max_daily_t=12.0)
                  for k in (1, 2)])
    plan = solve(problem, engine=engine, **FAST)
    check_plan(problem, plan)
    assert not plan.unassigned
    assert plan.trucks_used == 2
    assert all(r.tonnes <= 12.0 + 1e-9 for r in plan.routes)


@pytest.mark.parametrize("engine", ENGINES)
def test_daily_total_leaves_work_out_and_says_why(engine):
    # One truck, 12 t a day, 16 t of work: one 4 t spot stays, for the daily limit.
    problem = line_problem(
        [0, 100, 200],
        stops=[Stop(f"S{k}", 1, load_t=4.0, service_s=300, priority=1 + k)
               for k in range(4)],
        facilities=[Facility("L", 2, unload_s=300)],
        vehicles=[Vehicle("T1", "D", 10.0, max_daily_t=12.0)])
    plan = solve(problem, engine=engine, **FAST)
    check_plan(problem, plan)
    (left,) = plan.unassigned
    assert left.code == "daily_total"
    assert left.stop_id == "S3"  # the least urgent one


@pytest.mark.parametrize("engine", ENGINES)
def test_stop_limit_is_kept(engine):
    # Eight 0.5 t bins, trucks of 10 t limited to 3 stops a day: two trucks serve six
    # and the other two are reported for the stop limit.
    problem = line_problem(
        [0, 100, 200, 300],
        stops=[Stop(f"B{k}", 1 + k % 2, load_t=0.5, service_s=120) for k in range(8)],
        facilities=[Facility("L", 3, unload_s=300)],
        vehicles=[Vehicle(f"T{k}", "D", 10.0, max_stops=3) for k in (1, 2)])
    plan = solve(problem, engine=engine, **FAST)
    check_plan(problem, plan)
    assert all(len(r.stops) <= 3 for r in plan.routes)
    assert sum(len(r.stops) for r in plan.routes) == 6
    assert [u.code for u in plan.unassigned] == ["stops", "stops"]


@pytest.mark.parametrize("engine", ENGINES)
def test_split_dump_pieces_count_as_stops(engine):
    # A 25 t dump on 10 t trucks is three loads; a truck limited to two stops a day
    # takes two of them, the second truck the third.
    problem = line_problem(
        [0, 100, 200],
        stops=[Stop("DUMP", 1, load_t=25.0, service_s=600)],
        facilities=[Facility("L", 2, unload_s=300)],
        vehicles=[Vehicle(f"T{k}", "D", 10.0, max_stops=2, fixed_cost=500.0)
                  for k in (1, 2)])
    plan = solve(problem, engine=engine, **FAST)
    check_plan(problem, plan)
    assert not plan.unassigned
    assert sorted(len(r.stops) for r in plan.routes) == [1, 2]


def _two_stream_day():
    """One truck for residual waste and recyclables; a landfill and a recycling centre."""
    return line_problem(
        [0, 1000, 1200, 1500, 9000],
        stops=[Stop("R1", 1, 2.0, service_s=300, stream="residual"),
               Stop("R2", 2, 2.0, service_s=300, stream="residual"),
               Stop("P1", 1, 1.0, service_s=300, stream="recyclable"),
               Stop("P2", 2, 1.0, service_s=300, stream="recyclable")],
        facilities=[Facility("LANDFILL", 3, unload_s=300, streams=("residual",)),
                    Facility("RECYCLING", 4, unload_s=300, streams=("recyclable",))],
        vehicles=[Vehicle("T1", "D", 10.0, streams=("residual", "recyclable"))])


@pytest.mark.parametrize("engine", ["ortools", "auto"])
def test_recyclables_are_never_tipped_at_the_residual_landfill(engine):
    # The landfill takes residual waste only and is next door; the recycling centre is
    # far out. One truck collects both streams: each trip carries one stream and the
    # recyclables go to the recycling centre, even though the landfill is on the way.
    problem = _two_stream_day()
    plan = solve(problem, engine=engine, **FAST)
    check_plan(problem, plan)  # one stream per trip, tipped where accepted
    assert not plan.unassigned
    (route,) = plan.routes
    trip, tipped = [], []
    for visit in route.visits:
        if visit.kind == "stop":
            trip.append(problem.stop(visit.id).stream)
        elif visit.kind == "facility":
            tipped.append((visit.id, set(trip)))
            trip = []
    assert ("LANDFILL", {"residual"}) in tipped and ("RECYCLING", {"recyclable"}) in tipped


def test_pyvrp_gives_a_two_stream_truck_one_stream_for_the_day():
    # PyVRP cannot say "one stream per trip"; its engine plans each stream apart and
    # gives a truck that collects several one of them for the day, and says so.
    problem = _two_stream_day()
    plan = solve(problem, engine="pyvrp", **FAST)
    check_plan(problem, plan)
    streams = {problem.stop(v.id).stream for r in plan.routes for v in r.stops}
    assert len(streams) == 1
    assert {u.code for u in plan.unassigned} == {"hours"}  # the truck's hours went elsewhere
    assert all("one stream for the day" in u.reason for u in plan.unassigned)


@pytest.mark.parametrize("engine", ENGINES)
def test_dedicated_trucks_keep_to_their_stream(engine):
    # A kitchen-waste truck and a residual truck; each stop goes on the truck of its
    # stream, whatever the distances.
    problem = line_problem(
        [0, 1000, 2000, 3000],
        stops=[Stop("K", 1, 1.0, service_s=300, stream="kitchen"),
               Stop("R", 2, 1.0, service_s=300, stream="residual")],
        facilities=[Facility("L", 3, unload_s=300)],
        vehicles=[Vehicle("KITCHEN", "D", 10.0, streams=("kitchen",)),
                  Vehicle("RESIDUAL", "D", 10.0, streams=("residual",))])
    plan = solve(problem, engine=engine, **FAST)
    check_plan(problem, plan)
    assert _served(plan) == {"KITCHEN": ["K"], "RESIDUAL": ["R"]}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_stream_no_truck_collects_is_reported(engine):
    problem = line_problem(
        [0, 1000, 2000],
        stops=[Stop("B", 1, 1.0, stream="bulky"), Stop("R", 1, 1.0, stream="residual")],
        facilities=[Facility("L", 2)],
        vehicles=[Vehicle("T1", "D", 10.0, streams=("residual",))])
    plan = solve(problem, engine=engine, **FAST)
    check_plan(problem, plan)
    (left,) = plan.unassigned
    assert (left.stop_id, left.code, left.details) == ("B", "stream", {"stream": "bulky"})


def test_a_facility_closed_through_every_shift_is_named_not_no_street_path():
    # The landfill opens 17:00-23:00, the shifts end at 16:00: the stops are on the
    # street network; what stops them is the opening hours.
    problem = line_problem(
        [0, 1000, 2000],
        stops=[Stop("S", 1, 1.0)],
        facilities=[Facility("L", 2, window=(17 * H, 23 * H))],
        vehicles=[Vehicle("T1", "D", 10.0, shift=(6 * H, 16 * H))])
    plan = solve(problem, engine="ortools", **FAST)
    (left,) = plan.unassigned
    assert left.code == "shift"
    assert "L 17:00-23:00" in left.reason and "16:00" in left.reason
