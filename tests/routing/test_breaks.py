"""Lunch breaks in every engine: searched without them, placed after the search."""

from __future__ import annotations

import pytest
from conftest import H, line_problem

from routing import (
    Break,
    Facility,
    Plan,
    Stop,
    Vehicle,
    check_plan,
    schedule_route,
    solve,
)
from routing._repair import restore, without_breaks

LUNCH = Break(11 * H, 12 * H, 45 * 60)
ENGINES = ("ortools", "pyvrp", "auto")


def test_search_problem_pays_for_the_break_in_shift_and_late_windows():
    problem = line_problem(
        [0, 1000, 2000],
        stops=[Stop("EARLY", 1, 1.0, window=(8 * H, 11 * H + 1800)),  # closes in the window
               Stop("LATE", 1, 1.0, window=(8 * H, 14 * H))],  # closes after it
        facilities=[Facility("L", 2, window=(6 * H, 18 * H))],
        vehicles=[Vehicle("T1", "D", 10.0, shift=(7 * H, 17 * H), break_=LUNCH),
                  Vehicle("T2", "D", 10.0, shift=(7 * H, 17 * H))])
    searched = without_breaks(problem)
    t1, t2 = searched.vehicles
    assert t1.break_ is None and t1.shift == (7 * H, 17 * H - 45 * 60)
    assert t1.duration_limit_s == 10 * H - 45 * 60
    assert t2.shift == (7 * H, 17 * H)  # no break, nothing to pay
    assert searched.stop("EARLY").window == (8 * H, 11 * H + 1800)  # a visit may precede lunch
    assert searched.stop("LATE").window == (8 * H, 14 * H - 45 * 60)
    assert searched.facility("L").window == (6 * H, 18 * H - 45 * 60)


@pytest.mark.parametrize("engine", ENGINES)
def test_every_engine_takes_the_lunch_inside_its_window(lunch_problem, engine):
    plan = solve(lunch_problem, engine=engine, time_limit=4, seed=0, max_iterations=200)
    check_plan(lunch_problem, plan)
    (route,) = plan.routes
    (brk,) = [v for v in route.visits if v.kind == "break"]
    assert 11 * H <= brk.start_s <= 12 * H
    assert brk.departure_s - brk.start_s >= 45 * 60
    assert len(route.stops) == 6


@pytest.mark.parametrize("engine", ENGINES)
def test_plan_makes_room_for_the_break(engine):
    # Each truck works 07:00-11:00 with half an hour of lunch starting 09:00-10:00; stops
    # take an hour each next door. Without the lunch a truck could do four stops; with
    # it, three (3 h + 30 min + the drives). Seven stops: six served, one reported.
    problem = line_problem(
        [0, 100, 200],
        stops=[Stop(f"S{k}", 1, load_t=0.5, service_s=H, priority=1 + k % 5)
               for k in range(7)],
        facilities=[Facility("L", 2, unload_s=60)],
        vehicles=[Vehicle(f"T{k}", "D", 10.0, shift=(7 * H, 11 * H),
                          break_=Break(9 * H, 10 * H, 1800)) for k in (1, 2)])
    plan = solve(problem, engine=engine, time_limit=4, seed=0, max_iterations=300)
    check_plan(problem, plan)
    assert sum(len(r.stops) for r in plan.routes) == 6
    (left,) = plan.unassigned
    assert left.code == "hours"
    assert all(any(v.kind == "break" for v in r.visits) for r in plan.routes)


def _relaxed_plan(problem, vehicle_id, items):
    route = schedule_route(without_breaks(problem), vehicle_id, items)
    return Plan(routes=(route,), unassigned=(), engine="test")


def _lunch_collision(*spare: Vehicle):
    """A (window 08:00, 2 h 45 of work) then X (window 10:00-10:45, 70 min) keep T1 busy
    from 08:00 to 11:55, across its whole lunch window (start 11:00-11:30): with X on a day
    that goes on past lunch, no place for the break keeps every rule."""
    return line_problem(
        [0, 100, 200, 300],
        stops=[Stop("A", 1, 1.0, service_s=2 * H + 2700, window=(8 * H, 8 * H), priority=1),
               Stop("X", 2, 1.0, service_s=70 * 60, window=(10 * H, 10 * H + 2700)),
               Stop("B", 1, 1.0, service_s=H)],
        facilities=[Facility("L", 3, unload_s=60)],
        vehicles=[Vehicle("T1", "D", 10.0, shift=(7 * H, 17 * H),
                          break_=Break(11 * H, 11 * H + 1800, 1800)), *spare])


def test_a_window_that_closes_inside_the_lunch_is_repaired():
    # Taking A off would also do, but A is more urgent: the repair takes X off and, with
    # no other truck, reports it.
    problem = _lunch_collision()
    plan = restore(problem, _relaxed_plan(problem, "T1", ["A", "X", "B", "L"]))
    check_plan(problem, plan)
    (left,) = plan.unassigned
    assert (left.stop_id, left.code) == ("X", "window")
    assert [v.id for v in plan.routes[0].stops] == ["A", "B"]
    assert plan.meta["repair"] == {"displaced": 1, "moved": 0, "left_out": 1}


def test_a_displaced_stop_moves_to_a_truck_with_room():
    # The same collision, with an idle second truck on 10:00-17:00 and no lunch: X moves
    # to it instead of being left out.
    problem = _lunch_collision(Vehicle("T2", "D", 10.0, shift=(10 * H, 17 * H)))
    plan = restore(problem, _relaxed_plan(problem, "T1", ["A", "X", "B", "L"]))
    check_plan(problem, plan)
    assert not plan.unassigned
    by_truck = {r.vehicle_id: [v.id for v in r.stops] for r in plan.routes}
    assert by_truck == {"T1": ["A", "B"], "T2": ["X"]}
    assert plan.meta["repair"] == {"displaced": 1, "moved": 1, "left_out": 0}
