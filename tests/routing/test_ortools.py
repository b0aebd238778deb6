"""The OR-Tools engine on hand-made problems whose best plans are known."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from conftest import H, line_problem
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing import (
    Break,
    Depot,
    Facility,
    Problem,
    ProblemError,
    Stop,
    Vehicle,
    check_plan,
    solve,
)

FAST = dict(engine="ortools", time_limit=10, max_iterations=300)


def kinds(route):
    return [v.kind for v in route.visits]


def items(route):
    return [v.id for v in route.visits[1:-1] if v.kind != "break"]


def test_one_truck_shuttles_a_big_dump(tiny_problem):
    # 20 t at 8 t per load: three loads, three unloads, one truck (16 km beats 20 km).
    plan = solve(tiny_problem, **FAST)
    check_plan(tiny_problem, plan)
    assert plan.trucks_used == 1
    (route,) = plan.routes
    assert kinds(route) == ["start"] + ["stop", "facility"] * 3 + ["end"]
    assert route.distance_km == pytest.approx(16.0)
    assert sorted(v.load_t for v in route.stops) == [4.0, 8.0, 8.0]
    assert not plan.unassigned


def test_stop_order_and_final_unload(two_spots_problem):
    # D -> W -> E -> L -> D = 16 km; starting east costs 20 km.
    plan = solve(two_spots_problem, **FAST)
    check_plan(two_spots_problem, plan)
    (route,) = plan.routes
    assert items(route) == ["W", "E", "L"]
    assert route.distance_km == pytest.approx(16.0)
    assert route.visits[-2].kind == "facility"


def test_lunch_break_is_taken_inside_its_window(lunch_problem):
    plan = solve(lunch_problem, **FAST)
    check_plan(lunch_problem, plan)
    (route,) = plan.routes
    breaks = [v for v in route.visits if v.kind == "break"]
    assert len(breaks) == 1
    assert 11 * H <= breaks[0].start_s <= 12 * H
    assert breaks[0].departure_s - breaks[0].start_s >= 45 * 60
    assert len(route.stops) == 6


def test_window_that_cannot_be_met_is_reported_not_fatal():
    # The spot is a 30 min drive away but must be started by 06:05 with the shift at 06:00.
    problem = line_problem(
        [0, 18000, 20000, 1000],
        stops=[Stop("FAR", 1, load_t=1.0, window=(6 * H, 6 * H + 300)),
               Stop("NEAR", 3, load_t=1.0)],
        facilities=[Facility("L", 2)],
        vehicles=[Vehicle("T1", "D", capacity_t=8.0)],
    )
    plan = solve(problem, **FAST)
    check_plan(problem, plan)
    (missing,) = plan.unassigned
    assert missing.stop_id == "FAR"
    assert "time window 06:00-06:05 cannot be met" in missing.reason
    assert [v.id for v in plan.routes[0].stops] == ["NEAR"]


def test_stop_without_street_path_is_reported():
    problem = line_problem(
        [0, 1000, 2000],
        stops=[Stop("ISLAND", 1, load_t=1.0)],
        facilities=[Facility("L", 2)],
        vehicles=[Vehicle("T1", "D", capacity_t=8.0)],
        blocked=[(0, 1)],
    )
    plan = solve(problem, **FAST)
    check_plan(problem, plan)
    assert [(u.stop_id, u.code) for u in plan.unassigned] == [("ISLAND", "no_path")]
    assert "no street path" in plan.unassigned[0].reason
    assert plan.routes == ()


def test_closed_landfill_is_not_used():
    # NEAR closes at 07:00, before any truck could get there loaded; FAR is open all day.
    problem = line_problem(
        [0, 2000, 3000, 9000],
        stops=[Stop("S", 1, load_t=5.0, service_s=3 * H)],
        facilities=[Facility("NEAR", 2, window=(6 * H, 7 * H)), Facility("FAR", 3)],
        vehicles=[Vehicle("T1", "D", capacity_t=8.0)],
    )
    plan = solve(problem, **FAST)
    check_plan(problem, plan)
    (route,) = plan.routes
    assert items(route) == ["S", "FAR"]


def test_unloads_wait_for_opening_hours():
    problem = line_problem(
        [0, 1000, 2000],
        stops=[Stop("S", 1, load_t=5.0)],
        facilities=[Facility("L", 2, window=(12 * H, 18 * H))],
        vehicles=[Vehicle("T1", "D", capacity_t=8.0)],
    )
    plan = solve(problem, **FAST)
    check_plan(problem, plan)
    (unload,) = [v for v in plan.routes[0].visits if v.kind == "facility"]
    assert unload.start_s >= 12 * H


def test_mixed_fleet_sends_the_big_truck_to_the_heavy_stop():
    problem = line_problem(
        [0, 1000, 2000, 3000],
        stops=[Stop("HEAVY", 1, load_t=10.0), Stop("LIGHT", 2, load_t=3.0)],
        facilities=[Facility("L", 3)],
        vehicles=[Vehicle("SMALL", "D", capacity_t=4.0),
                  Vehicle("BIG", "D", capacity_t=12.0, cost_per_km=3.0)],
    )
    plan = solve(problem, **FAST)
    check_plan(problem, plan)
    served_by = {v.id: r.vehicle_id for r in plan.routes for v in r.stops}
    assert served_by["HEAVY"] == "BIG"
    # LIGHT fits the cheaper small truck: 3 km of big truck (9) costs more than 2 km (2).
    assert served_by["LIGHT"] == "SMALL"


def test_each_truck_works_from_its_own_depot():
    problem = line_problem(
        [0, 1000, 30000, 29000, 2000, 28000],
        stops=[Stop("A1", 1, load_t=1.0), Stop("B1", 3, load_t=1.0)],
        facilities=[Facility("LA", 4), Facility("LB", 5)],
        depots=[Depot("A", 0), Depot("B", 2)],
        vehicles=[Vehicle("TA", "A", capacity_t=8.0), Vehicle("TB", "B", capacity_t=8.0)],
    )
    plan = solve(problem, **FAST)
    check_plan(problem, plan)
    by_truck = {r.vehicle_id: r for r in plan.routes}
    assert [v.id for v in by_truck["TA"].stops] == ["A1"]
    assert [v.id for v in by_truck["TB"].stops] == ["B1"]
    assert by_truck["TB"].visits[0].id == by_truck["TB"].visits[-1].id == "B"


def test_fixed_cost_keeps_a_truck_home(two_spots_problem):
    # Two trucks could each take one spot (3+3 + 2+3+... km) but a second truck costs 50.
    vehicles = (Vehicle("T1", "D", capacity_t=10.0, fixed_cost=50),
                Vehicle("T2", "D", capacity_t=10.0, fixed_cost=50))
    problem = two_spots_problem.with_changes(vehicles=vehicles)
    plan = solve(problem, **FAST)
    check_plan(problem, plan)
    assert plan.trucks_used == 1
    assert plan.cost == pytest.approx(66.0)


def test_urgent_work_wins_when_time_is_short():
    # Time for one 2 h job only: the priority-5 spot is dropped, not the priority-1 one.
    problem = line_problem(
        [0, 1000, -1000, 2000],
        stops=[Stop("CAN_WAIT", 1, load_t=1.0, service_s=2 * H, priority=5),
               Stop("URGENT", 2, load_t=1.0, service_s=2 * H, priority=1)],
        facilities=[Facility("L", 3, unload_s=300)],
        vehicles=[Vehicle("T1", "D", capacity_t=8.0, shift=(6 * H, 9 * H))],
    )
    plan = solve(problem, **FAST)
    check_plan(problem, plan)
    assert [v.id for v in plan.routes[0].stops] == ["URGENT"]
    (dropped,) = plan.unassigned
    assert dropped.stop_id == "CAN_WAIT"
    assert "not enough truck time" in dropped.reason


def test_classic_cvrp_returns_to_the_depot(cvrp_problem):
    plan = solve(cvrp_problem, **FAST)
    check_plan(cvrp_problem, plan)
    assert plan.trucks_used == 2
    assert plan.distance_km == pytest.approx(8.0)
    assert all(kinds(r) == ["start", "stop", "stop", "end"] for r in plan.routes)


def test_release_dates_are_left_to_pyvrp(cvrp_problem):
    stops = (replace(cvrp_problem.stops[0], release_s=100), *cvrp_problem.stops[1:])
    with pytest.raises(ProblemError, match="engine='pyvrp'"):
        solve(cvrp_problem.with_changes(stops=stops), **FAST)


def test_required_stop_that_cannot_be_served_is_an_error():
    problem = line_problem(
        [0, 1000, 2000],
        stops=[Stop("MUST", 1, load_t=1.0, required=True)],
        facilities=[Facility("L", 2)],
        vehicles=[Vehicle("T1", "D", capacity_t=8.0)],
        blocked=[(0, 1)],
    )
    with pytest.raises(ProblemError, match="MUST"):
        solve(problem, **FAST)


def test_progress_reports_improving_costs(tiny_problem):
    seen = []
    solve(tiny_problem, progress=seen.append, **FAST)
    assert seen and all(p.engine == "ortools" for p in seen)
    costs = [p.objective for p in seen]
    assert costs == sorted(costs, reverse=True)


def test_same_seed_and_iterations_give_the_same_plan(lunch_problem):
    from routing._io import plan_to_dict

    def run(seed):
        plan = solve(lunch_problem, engine="ortools", time_limit=30, seed=seed,
                     max_iterations=200)
        d = plan_to_dict(plan)
        d.pop("solve_seconds")
        d["meta"]["search"].pop("seconds")  # machine-dependent
        d["meta"]["search"].pop("first_solution_s")
        return d

    assert run(7) == run(7)


# -- property: whatever the small problem, every stop is served once or reported ---------
@st.composite
def small_problems(draw):
    n_stops = draw(st.integers(1, 6))
    n_trucks = draw(st.integers(1, 3))
    end_empty = draw(st.booleans())
    n_loc = 1 + n_stops + (1 if end_empty else 0)
    xy = np.array(draw(st.lists(st.tuples(st.integers(0, 20000), st.integers(0, 20000)),
                                min_size=n_loc, max_size=n_loc)), dtype=float)
    dist = np.abs(xy[:, None, :] - xy[None, :, :]).sum(axis=2)
    stops = []
    for k in range(n_stops):
        window = None
        if draw(st.booleans()):
            a = draw(st.integers(6 * H, 16 * H))
            window = (a, a + draw(st.integers(0, 3 * H)))
        stops.append(Stop(f"S{k}", 1 + k, load_t=draw(st.floats(0.5, 12.0)),
                          service_s=draw(st.integers(0, 1800)), window=window,
                          priority=draw(st.integers(1, 5))))
    vehicles = [
        Vehicle(f"T{k}", "D", capacity_t=draw(st.sampled_from([4.0, 8.0, 10.0])),
                shift=(6 * H, draw(st.integers(8, 18)) * H),
                break_=Break(11 * H, 12 * H, 1800) if draw(st.booleans()) else None)
        for k in range(n_trucks)
    ]
    return Problem(duration_s=dist / 8, distance_m=dist, stops=tuple(stops),
                   facilities=(Facility("L", n_loc - 1, unload_s=600),) if end_empty else (),
                   depots=(Depot("D", 0),), vehicles=tuple(vehicles), end_empty=end_empty)


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=small_problems())
def test_every_stop_is_served_once_or_reported(problem):
    plan = solve(problem, engine="ortools", time_limit=2, max_iterations=50)
    check_plan(problem, plan)  # capacity, windows, shift, break, depots
    prepared = problem.split_for_fleet()
    served = [v.id for r in plan.routes for v in r.stops]
    reported = [u.stop_id for u in plan.unassigned]
    assert sorted(served + reported) == sorted(s.id for s in prepared.stops)
    for route in plan.routes:
        truck = problem.vehicle(route.vehicle_id)
        assert max(v.load_after_t for v in route.visits) <= truck.capacity_t + 1e-6
        assert route.visits[0].id == route.visits[-1].id == truck.start_depot


def test_break_that_ortools_starts_mid_drive_still_fits_the_shift():
    # Found by Hypothesis: OR-Tools began the break 2 s into a 40 min drive; the house rule
    # takes it where the truck is, so the engine moves it to a place that keeps the shift.
    d = np.zeros((5, 5))
    d[:4, 4] = d[4, :4] = 19205.0
    problem = Problem(
        duration_s=d / 8, distance_m=d,
        stops=tuple(Stop(f"S{k}", k + 1, load_t=1.0, priority=1) for k in range(3)),
        facilities=(Facility("L", 4, unload_s=600),), depots=(Depot("D", 0),),
        vehicles=(Vehicle("T0", "D", capacity_t=4.0, shift=(6 * H, 8 * H)),
                  Vehicle("T1", "D", capacity_t=4.0, shift=(6 * H, 13 * H),
                          break_=Break(11 * H, 12 * H, 1800))),
    )
    plan = solve(problem, engine="ortools", time_limit=5, max_iterations=50)
    check_plan(problem, plan)


def test_first_solution_unloads_when_full_and_serves_everything():
    # Twelve 3 t spots, one 10 t truck: every third spot needs an unload next to it. The
    # first solution alone (one solution, no search) must already serve them all.
    xs = [0] + [1000 * k for k in range(1, 13)] + [500]
    problem = line_problem(
        xs,
        stops=[Stop(f"S{k}", k, load_t=3.0, service_s=600, priority=1 + k % 5)
               for k in range(1, 13)],
        facilities=[Facility("L", 13, unload_s=600)],
        vehicles=[Vehicle("T1", "D", capacity_t=10.0, shift=(6 * H, 16 * H),
                          break_=Break(11 * H, 13 * H, 1800))],
    )
    plan = solve(problem, engine="ortools", time_limit=10, max_iterations=1)
    check_plan(problem, plan)
    assert not plan.unassigned
    assert sum(v.kind == "facility" for v in plan.routes[0].visits) == 4
