"""The checker catches each kind of violation on plans built to break it.

Every test starts from a valid hand-scheduled plan (checked clean first) and breaks one
rule, so a checker that lets anything through fails here.
"""

from dataclasses import replace

import numpy as np
import pytest

from routing import (
    Break,
    Depot,
    Facility,
    Plan,
    PlanViolation,
    Problem,
    Stop,
    Unassigned,
    Vehicle,
    check_plan,
    schedule_route,
    site_progress,
)

H = 3600

# Locations: 0 depot, 1 and 2 dumps, 3 landfill. Minutes apart, km apart.
DURATION = np.array(
    [
        [0, 600, 900, 1200],
        [600, 0, 300, 700],
        [900, 300, 0, 500],
        [1200, 700, 500, 0],
    ]
)
DISTANCE = DURATION * 10  # 10 m per second: 36 km/h


def make_problem(**vehicle_changes) -> Problem:
    vehicle = Vehicle("T1", "D", capacity_t=8.0, shift=(6 * H, 14 * H), cost_per_km=2.0,
                      cost_per_hour=30.0, fixed_cost=100.0)
    return Problem(
        duration_s=DURATION,
        distance_m=DISTANCE,
        stops=(
            Stop("A", 1, load_t=5.0, service_s=600, window=(7 * H, 9 * H), priority=1),
            Stop("B", 2, load_t=3.0, service_s=300),
            Stop("C", 2, load_t=20.0, service_s=1200),
        ),
        facilities=(Facility("L", 3, unload_s=900, window=(6 * H, 13 * H)),),
        depots=(Depot("D", 0),),
        vehicles=(replace(vehicle, **vehicle_changes),),
    )


def valid_plan(problem: Problem) -> Plan:
    prepared = problem.split_for_fleet()
    items = ["A", "B", "L", "C#1", "L", "C#2", "L", "C#3", "L"]
    route = schedule_route(prepared, "T1", items)
    return Plan(routes=(route,), unassigned=(), engine="hand")


def with_visit(plan: Plan, index: int, **changes) -> Plan:
    route = plan.routes[0]
    visits = list(route.visits)
    visits[index] = replace(visits[index], **changes)
    return replace(plan, routes=(replace(route, visits=tuple(visits)),))


def test_valid_plan_passes_and_reports_site_progress():
    problem = make_problem()
    plan = valid_plan(problem)
    check_plan(problem, plan)
    progress = {p.site_id: p for p in site_progress(problem, plan)}
    # C (20 t) with 8 t trucks takes three loads: 8 + 8 + 4.
    assert progress["C"].trips == 3
    assert progress["C"].cleared_t == pytest.approx(20.0)
    assert progress["C"].left_t == 0


def test_schedule_waits_for_a_window_and_leaves_late_instead():
    problem = make_problem()
    route = valid_plan(problem).routes[0]
    first = route.visits[1]
    # A opens at 07:00 and is 600 s from the depot: leave at 06:50, no waiting.
    assert first.start_s == 7 * H
    assert route.visits[0].departure_s == 7 * H - 600


def test_totals_are_recomputed():
    problem = make_problem()
    route = valid_plan(problem).routes[0]
    legs = [(0, 1), (1, 2), (2, 3), (3, 2), (2, 3), (3, 2), (2, 3), (3, 2), (2, 3), (3, 0)]
    km = sum(DISTANCE[a, b] for a, b in legs) / 1000
    assert route.distance_km == pytest.approx(km)
    assert route.cost == pytest.approx(100 + 2 * km + 30 * route.duration_h)
    assert route.unload_trips == 4


@pytest.mark.parametrize(
    ("index", "changes", "message"),
    [
        # A's window closes at 09:00.
        (1, {"start_s": 10 * H, "departure_s": 10 * H + 600, "arrival_s": 10 * H},
         "outside 07:00-09:00"),
        # Arriving sooner than the drive allows.
        (2, {"arrival_s": 7 * H}, "cannot be there before"),
        # Service cut short.
        (1, {"departure_s": 7 * H + 60}, "service shorter"),
        # Misreported load on board.
        (2, {"load_after_t": 1.0}, "on board"),
        # A stop visited at the wrong place.
        (1, {"location": 2}, "stop is at 1"),
    ],
)
def test_checker_catches_a_broken_visit(index, changes, message):
    problem = make_problem()
    plan = with_visit(valid_plan(problem), index, **changes)
    with pytest.raises(PlanViolation, match=message):
        check_plan(problem, plan)


def test_checker_catches_overload():
    problem = make_problem()
    prepared = problem.split_for_fleet()
    # A (5 t) then C#1 (8 t) without unloading: 13 t on an 8 t truck.
    route = schedule_route(prepared, "T1", ["A", "C#1", "L", "B", "C#2", "L", "C#3", "L"])
    plan = Plan(routes=(route,), unassigned=(), engine="hand")
    with pytest.raises(PlanViolation, match="exceeds capacity 8.0 t"):
        check_plan(problem, plan)


def test_checker_catches_going_home_loaded():
    problem = make_problem()
    prepared = problem.split_for_fleet()
    route = schedule_route(prepared, "T1", ["A", "L", "B"])
    plan = Plan(routes=(route,), unassigned=tuple(
        Unassigned(s, "C", 8.0, "test") for s in ("C#1", "C#2", "C#3")), engine="hand")
    with pytest.raises(PlanViolation, match="returns to the depot with 3.000 t"):
        check_plan(problem, plan)


def test_checker_catches_lost_and_double_served_stops():
    problem = make_problem()
    plan = valid_plan(problem)
    # Drop B from the route without listing it.
    route = plan.routes[0]
    prepared = problem.split_for_fleet()
    items = [v.id for v in route.visits[1:-1] if v.id != "B"]
    lost = replace(plan, routes=(schedule_route(prepared, "T1", items),))
    with pytest.raises(PlanViolation, match="B is neither served nor listed"):
        check_plan(problem, lost)
    doubled = replace(plan, unassigned=(Unassigned("B", "B", 3.0, "no time"),))
    with pytest.raises(PlanViolation, match="both served"):
        check_plan(problem, doubled)


def test_checker_catches_a_required_stop_left_out():
    problem = make_problem()
    problem = problem.with_changes(
        stops=(replace(problem.stops[0], required=True), *problem.stops[1:])
    )
    prepared = problem.split_for_fleet()
    route = schedule_route(prepared, "T1", ["B", "L", "C#1", "L", "C#2", "L", "C#3", "L"])
    plan = Plan(routes=(route,), unassigned=(Unassigned("A", "A", 5.0, "no time"),),
                engine="hand")
    with pytest.raises(PlanViolation, match="required stop A is unassigned"):
        check_plan(problem, plan)


def test_checker_catches_shift_overrun():
    # The same day ends after 13:00 when the shift is cut to 06:00-09:00.
    problem = make_problem(shift=(6 * H, 9 * H))
    plan = valid_plan(problem)
    with pytest.raises(PlanViolation, match="after the shift ends at 09:00"):
        check_plan(problem, plan)


def test_checker_catches_max_duration():
    problem = make_problem(max_duration_s=2 * H)
    plan = valid_plan(problem)
    with pytest.raises(PlanViolation, match="exceeds the limit of 2.00 h"):
        check_plan(problem, plan)


def test_checker_catches_facility_closed():
    problem = make_problem()
    closed = problem.with_changes(
        facilities=(Facility("L", 3, unload_s=900, window=(6 * H, 8 * H)),)
    )
    plan = valid_plan(problem)
    with pytest.raises(PlanViolation, match="at facility L: starts .*outside 06:00-08:00"):
        check_plan(closed, plan)


def test_checker_catches_a_misreported_distance_and_cost():
    problem = make_problem()
    plan = valid_plan(problem)
    route = plan.routes[0]
    lying = replace(plan, routes=(replace(route, distance_km=1.0, cost=1.0),))
    with pytest.raises(PlanViolation, match="reports 1.000 km") as err:
        check_plan(problem, lying)
    assert any("reports cost" in v for v in err.value.violations)


def test_break_inside_its_window_passes_and_outside_fails():
    # The day runs from about 06:50 to 10:30, so a 08:00-09:00 lunch falls inside it.
    problem = make_problem(break_=Break(8 * H, 9 * H, 1800))
    plan = valid_plan(problem)
    breaks = [v for v in plan.routes[0].visits if v.kind == "break"]
    assert len(breaks) == 1
    assert 8 * H <= breaks[0].start_s <= 9 * H
    check_plan(problem, plan)
    index = plan.routes[0].visits.index(breaks[0])
    late = with_visit(plan, index, start_s=9 * H + 600, departure_s=9 * H + 2400)
    with pytest.raises(PlanViolation, match="outside 08:00-09:00"):
        check_plan(problem, late)


def test_missing_break_is_caught_when_the_truck_is_still_out():
    problem = make_problem(break_=Break(8 * H, 9 * H, 1800))
    plan = valid_plan(problem)
    route = plan.routes[0]
    no_break = replace(route, visits=tuple(v for v in route.visits if v.kind != "break"))
    with pytest.raises(PlanViolation, match="no break"):
        check_plan(problem, replace(plan, routes=(no_break,)))


def test_release_time_is_enforced_per_trip():
    problem = make_problem()
    late = problem.with_changes(stops=(replace(problem.stops[0], release_s=12 * H),
                                       *problem.stops[1:]))
    with pytest.raises(PlanViolation, match="before the release time 12:00"):
        check_plan(late, valid_plan(problem))


def test_unassigned_needs_a_reason():
    problem = make_problem()
    plan = valid_plan(problem)
    route = plan.routes[0]
    prepared = problem.split_for_fleet()
    items = [v.id for v in route.visits[1:-1] if v.id != "B"]
    plan = replace(plan, routes=(schedule_route(prepared, "T1", items),),
                   unassigned=(Unassigned("B", "B", 3.0, ""),))
    with pytest.raises(PlanViolation, match="has no reason"):
        check_plan(problem, plan)


# -- daily limits and streams ---------------------------------------------------------------
def test_checker_catches_a_daily_tonnage_over_the_limit():
    # 28 t collected in the valid plan; a 20 t allowance is broken at the dump's third load
    problem = make_problem(max_daily_t=20.0)
    with pytest.raises(PlanViolation, match="28.000 t collected today exceeds the truck's "
                       "daily limit of 20.0 t"):
        check_plan(problem, valid_plan(make_problem()))


def test_checker_catches_more_stops_than_allowed():
    problem = make_problem(max_stops=4)  # the valid plan serves A, B and three loads of C
    with pytest.raises(PlanViolation, match="stop 5 of the day exceeds the truck's limit of "
                       "4 stops"):
        check_plan(problem, valid_plan(make_problem()))


def _streams(problem: Problem, by_stop: dict[str, str], **facility) -> Problem:
    stops = tuple(replace(s, stream=by_stop.get(s.id, s.stream)) for s in problem.stops)
    facilities = tuple(replace(f, **facility) for f in problem.facilities)
    return problem.with_changes(stops=stops, facilities=facilities)


def test_checker_catches_two_streams_on_one_trip():
    # A and B share the first trip: kitchen waste and residual may not
    problem = _streams(make_problem(), {"A": "kitchen", "B": "residual",
                                        "C": "residual"})
    with pytest.raises(PlanViolation, match="stream 'residual' on a trip already carrying "
                       "'kitchen'"):
        check_plan(problem, valid_plan(make_problem()))


def test_checker_catches_a_stream_the_truck_does_not_collect():
    problem = make_problem(streams=("mixed",))
    problem = _streams(problem, {"C": "bulky"})
    with pytest.raises(PlanViolation, match="does not collect stream 'bulky'"):
        check_plan(problem, valid_plan(make_problem()))


def test_checker_catches_a_facility_that_refuses_the_trip_stream():
    problem = _streams(make_problem(), {}, streams=("recyclable",))
    with pytest.raises(PlanViolation, match="does not accept stream 'mixed'"):
        check_plan(problem, valid_plan(make_problem()))


def test_checker_catches_an_unknown_reason_code():
    problem = make_problem()
    plan = valid_plan(problem)
    plan = replace(plan, unassigned=(
        Unassigned("X", "X", 1.0, "some reason", "because"),))
    with pytest.raises(PlanViolation, match="unknown reason code 'because'"):
        check_plan(problem, plan)
