"""The PyVRP engine: plans that pass the checker, native reloads, known optima."""

import numpy as np
import pytest

import routing
from routing import Break, Depot, Facility, Problem, Stop, Vehicle
from routing._pyvrp import build_pyvrp_data, solve_pyvrp


def _line_problem(positions_km, **changes) -> Problem:
    """Locations on a straight road (km from the depot at 0); 1 km takes 60 s."""
    pos = np.asarray(positions_km, dtype=float)
    dist = np.abs(pos[:, None] - pos[None, :]) * 1000
    defaults = dict(duration_s=dist / 1000 * 60, distance_m=dist, facilities=(),
                    depots=(Depot("D", 0),), end_empty=False, name="line")
    defaults.update(changes)
    return Problem(**defaults)


@pytest.fixture
def two_clusters() -> Problem:
    """Two pairs of stops either side of the depot, a truck takes two loads.

    The optimum drives out to each pair and back: 2 * 11 km + 2 * 11 km = 44 km.
    """
    stops = tuple(Stop(f"S{i}", i, load_t=1.0, required=True) for i in range(1, 5))
    vehicles = tuple(Vehicle(f"T{j}", "D", capacity_t=2.0) for j in range(3))
    return _line_problem([0, 10, 11, -10, -11], stops=stops, vehicles=vehicles)


@pytest.fixture
def one_big_dump() -> Problem:
    """24 t at one dead spot, one 8 t truck, a landfill 5 km on: three loads, three unloads."""
    return _line_problem(
        [0, 3, 5],
        stops=(Stop("DS", 1, load_t=24.0, service_s=600),),
        facilities=(Facility("L", 2, unload_s=900, window=(7 * 3600, 17 * 3600)),),
        vehicles=(Vehicle("T1", "D", capacity_t=8.0, cost_per_hour=30.0),),
        end_empty=True,
    )


def test_known_optimum_is_found_and_checked(two_clusters):
    plan = routing.solve(two_clusters, engine="pyvrp", time_limit=5, seed=1,
                         max_iterations=300)
    routing.check_plan(two_clusters, plan)
    assert plan.engine == "pyvrp"
    assert plan.distance_km == pytest.approx(44.0)
    assert plan.trucks_used == 2
    assert plan.objective == pytest.approx(plan.cost)


def test_end_empty_unloads_each_load(one_big_dump):
    plan = routing.solve(one_big_dump, engine="pyvrp", time_limit=5, seed=0,
                         max_iterations=300)
    routing.check_plan(one_big_dump, plan)
    (route,) = plan.routes
    kinds = [v.kind for v in route.visits]
    # load, unload three times; the last unload comes before the drive home
    assert kinds == ["start"] + ["stop", "facility"] * 3 + ["end"]
    assert route.unload_trips == 3
    assert plan.sites[0].cleared_t == pytest.approx(24.0)


def test_pyvrp_plans_trucks_with_a_lunch(one_big_dump):
    # The engine sees the problem with the lunch paid for; routing.solve puts it back.
    lunch = Break(11 * 3600, 13 * 3600, 1800)
    vehicle = Vehicle("T1", "D", capacity_t=8.0, break_=lunch)
    problem = one_big_dump.with_changes(vehicles=(vehicle,))
    with pytest.raises(routing.ProblemError, match="places breaks after the search"):
        solve_pyvrp(problem, time_limit=1, seed=0)
    plan = routing.solve(problem, engine="pyvrp", time_limit=5, seed=0, max_iterations=300)
    routing.check_plan(problem, plan)
    assert plan.engine == "pyvrp" and not plan.unassigned


def test_same_seed_and_iterations_same_plan(two_clusters):
    # max_iterations stops the search before the time limit, so runs are identical
    plans = [solve_pyvrp(two_clusters, time_limit=10, seed=7, max_iterations=150)
             for _ in range(2)]
    orders = [[[v.id for v in r.visits] for r in p.routes] for p in plans]
    assert orders[0] == orders[1]
    assert plans[0].meta["iterations"] == plans[1].meta["iterations"]


def test_urgent_stop_wins_when_the_truck_is_full():
    # one 5 t truck, two 5 t stops at the same distance: priority 1 beats priority 5
    stops = (Stop("low", 1, load_t=5.0, priority=5), Stop("urgent", 2, load_t=5.0, priority=1))
    problem = _line_problem([0, 4, -4], stops=stops,
                            vehicles=(Vehicle("T1", "D", capacity_t=5.0),))
    plan = solve_pyvrp(problem, time_limit=5, seed=0, max_iterations=200)
    routing.check_plan(problem, plan)
    assert [v.id for v in plan.routes[0].stops] == ["urgent"]
    assert [u.stop_id for u in plan.unassigned] == ["low"]
    assert plan.unassigned[0].reason


def test_progress_reports_new_bests(two_clusters):
    seen = []
    solve_pyvrp(two_clusters, time_limit=5, seed=0, max_iterations=200, progress=seen.append)
    assert seen
    assert all(p.engine == "pyvrp" for p in seen)
    assert seen[-1].objective == pytest.approx(44.0)


def test_mixed_fleet_groups_vehicle_types(two_clusters):
    vehicles = (*two_clusters.vehicles, Vehicle("BIG", "D", capacity_t=4.0, fixed_cost=5.0))
    mapped = build_pyvrp_data(two_clusters.with_changes(vehicles=vehicles))
    assert [vt.num_available for vt in mapped.data.vehicle_types()] == [3, 1]
    assert mapped.type_vehicles == (("T0", "T1", "T2"), ("BIG",))


@pytest.mark.slow
def test_pyvrp_and_ortools_agree_on_the_optimum(two_clusters):
    plans = {e: routing.solve(two_clusters, engine=e, time_limit=3, seed=0)
             for e in ("pyvrp", "ortools")}
    for plan in plans.values():
        routing.check_plan(two_clusters, plan)
    assert plans["pyvrp"].cost == pytest.approx(plans["ortools"].cost, rel=1e-6)
