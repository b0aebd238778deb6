"""The JSON form of problems and plans: round trips, the documented example, errors."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from routing import ProblemError, check_plan, solve
from routing._io import (
    load_plan,
    load_problem,
    plan_from_dict,
    plan_to_dict,
    problem_from_dict,
    problem_to_dict,
    save_plan,
    save_problem,
)

DOC = Path(__file__).parents[2] / "docs" / "problem-json.md"


def doc_examples() -> list[dict]:
    blocks = re.findall(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    return [json.loads(b) for b in blocks]


def minimal(**changes) -> dict:
    data = {
        "duration_s": [[0, 100], [100, 0]],
        "distance_m": [[0, 1000], [1000, 0]],
        "stops": [{"id": "S", "location": 1, "load_t": 2}],
        "facilities": [{"id": "L", "location": 1}],
        "depots": [{"id": "D", "location": 0}],
        "vehicles": [{"id": "T", "start_depot": "D", "capacity_t": 8}],
    }
    data.update(changes)
    return data


def test_documented_examples_parse_and_solve():
    examples = doc_examples()
    assert len(examples) == 2
    worked = problem_from_dict(examples[0])
    assert worked.stop("DS1").window == (7 * 3600, 15 * 3600)
    assert worked.vehicle("T1").break_.earliest_s == 11 * 3600
    assert worked.facility("L").location == 2  # a location given by name
    plan = solve(worked, time_limit=5, max_iterations=300)
    check_plan(worked, plan)
    assert plan.distance_km == pytest.approx(16.0)
    cvrp = problem_from_dict(examples[1])
    assert cvrp.distance_m[1, 2] == 14  # sqrt(200) rounded to the nearest integer


def test_problem_round_trip(tiny_problem, tmp_path):
    path = save_problem(tiny_problem, tmp_path / "p.json")
    again = load_problem(path)
    assert problem_to_dict(again) == problem_to_dict(tiny_problem)
    assert again.stops == tiny_problem.stops and again.vehicles == tiny_problem.vehicles


def test_unreachable_pairs_are_null_in_json():
    data = minimal(duration_s=[[0, None], [100, 0]], distance_m=[[0, None], [1000, 0]])
    problem = problem_from_dict(data)
    assert math.isinf(problem.duration_s[0, 1])
    assert problem_to_dict(problem)["duration_s"][0][1] is None
    json.dumps(problem_to_dict(problem), allow_nan=False)


def test_plan_round_trip_and_atomic_save(lunch_problem, tmp_path):
    plan = solve(lunch_problem, time_limit=5, max_iterations=100)
    path = save_plan(plan, tmp_path / "out" / "plan.json")
    assert load_plan(path) == plan
    assert plan_from_dict(plan_to_dict(plan)) == plan
    assert [p.name for p in path.parent.iterdir()] == ["plan.json"]  # no temp file left


@pytest.mark.parametrize(
    ("coordinates", "metric", "rounding", "expected"),
    [
        ([[0, 0], [3, 4]], "euclidean", "none", 5.0),
        ([[0, 0], [3, 4]], "manhattan", "none", 7.0),
        ([[0, 0], [1, 1]], "euclidean", "nearest", 1.0),  # 1.414 -> 1
        ([[0, 0], [1, 1]], "euclidean", "truncate1", 1.4),  # DIMACS: 1.414 -> 1.4
        ([[24.94, 60.17], [24.95, 60.17]], "haversine", "none", 553.0),  # Helsinki, ~553 m
    ],
)
def test_coordinates_give_distances(coordinates, metric, rounding, expected):
    data = minimal(coordinates=coordinates, metric=metric, round=rounding, speed_mps=2)
    del data["duration_s"], data["distance_m"]
    problem = problem_from_dict(data)
    assert problem.distance_m[0, 1] == pytest.approx(expected, abs=1.0)
    assert problem.duration_s[0, 1] == pytest.approx(problem.distance_m[0, 1] / 2)


def test_times_of_day_as_strings():
    data = minimal(vehicles=[{"id": "T", "start_depot": "D", "capacity_t": 8,
                              "shift": ["07:30", "15:45:30"]}])
    assert problem_from_dict(data).vehicle("T").shift == (27000, 56730)


def set_in(data: dict, path: str, value) -> dict:
    keys = [int(k) if k.isdigit() else k for k in re.findall(r"[^.\[\]]+", path)]
    target = data
    for k in keys[:-1]:
        target = target[k]
    target[keys[-1]] = value
    return data


# Each mistake is reported with the field path and a hint of what to write.
@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("vehicles.0.capacity_t", -3, r"vehicles\[0\]\.capacity_t: Input should be greater "
                                      r"than 0 \(got -3\)"),
        ("vehicles.0.shift", ["6:00", "25:99"], r"vehicles\[0\]\.shift\[1\]: time '25:99' is "
                                                r"not HH:MM"),
        ("vehicles.0.colour", "red", r"vehicles\[0\]\.colour: unknown field; allowed fields: "
                                     r"break, capacity_t"),
        ("vehicles.0.start_depot", "X", r"vehicles\[0\]\.start_depot: unknown depot 'X'; use "
                                        r"one of \['D'\]"),
        ("vehicles.0.facilities", ["NOPE"], r"vehicles\[0\]\.facilities\[0\]: unknown "
                                            r"facility 'NOPE'"),
        ("vehicles.0.break", {"earliest_s": "11:00", "latest_s": "12:00"},
         r"vehicles\[0\]\.break\.duration_s: missing; add it"),
        ("stops.0.priority", 9, r"stops\[0\]\.priority: Input should be less than or equal "
                                r"to 5 \(got 9\)"),
        ("stops.0.window", [5], r"stops\[0\]\.window: needs two times \[start, end\]"),
        ("stops.0.location", "nowhere", r"stops\[0\]\.location: 'nowhere' is not a name in "
                                        r"locations"),
        ("stops.0.load_t", "lots", r"stops\[0\]\.load_t: Input should be a valid number"),
        ("duration_s", [[0, 1]], r"problem: duration_s\[0\] has 2 entries but the matrix "
                                 r"has 1 rows"),
        ("depots", [], r"depots: List should have at least 1 item"),
        ("vehicles.0.shift", [7200, 3600], r"window \(7200, 3600\) must satisfy"),
    ],
)
def test_validation_errors_name_the_field(path, value, message):
    with pytest.raises(ProblemError, match=message):
        problem_from_dict(set_in(minimal(), path, value))


def test_missing_travel_data_is_explained():
    data = minimal()
    del data["duration_s"]
    with pytest.raises(ProblemError, match="give both duration_s and distance_m"):
        problem_from_dict(data)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "no such file"),
        ("{not json", "not valid JSON at line 1, column 2"),
        ("[1, 2]", "is not a valid problem"),
    ],
)
def test_bad_files(tmp_path, text, message):
    path = tmp_path / "problem.json"
    if text is not None:
        path.write_text(text)
    with pytest.raises(ProblemError, match=message):
        load_problem(path)


def test_matrix_keeps_float_values():
    data = minimal(duration_s=[[0, 1.5], [2.25, 0]])
    assert problem_from_dict(data).duration_s.tolist() == [[0, 1.5], [2.25, 0]]
    assert np.array(problem_to_dict(problem_from_dict(data))["duration_s"]).dtype == float


# -- issue 11: what the JSON reader accepted that it should not ------------------------------
def load_text(tmp_path, text: str):
    path = tmp_path / "problem.json"
    path.write_text(text)
    return load_problem(path)


def test_infinity_in_a_cost_names_the_field(tmp_path):
    # Python's json reads Infinity; it used to end in an OverflowError deep in the engine
    text = json.dumps(minimal()).replace('"capacity_t": 8', '"capacity_t": 8, '
                                         '"cost_per_km": Infinity')
    with pytest.raises(ProblemError, match=r"vehicles\[0\]\.cost_per_km: inf is not a "
                                           r"finite number; give a finite number"):
        load_text(tmp_path, text)


def test_infinity_in_a_matrix_says_to_write_null(tmp_path):
    text = json.dumps(minimal()).replace("[[0, 100], [100, 0]]", "[[0, Infinity], [100, 0]]")
    with pytest.raises(ProblemError, match=r"duration_s\[0\]\[1\]: inf is not a finite "
                                           r"number; write null for a pair with no street"):
        load_text(tmp_path, text)


@pytest.mark.parametrize("value", ["27:00", "24:01", "24:00:01"])
def test_times_past_midnight_are_refused_as_in_site_files(value):
    with pytest.raises(ProblemError, match=rf"vehicles\[0\]\.shift\[1\]: time '{value}' is "
                                           r"past 24:00"):
        problem_from_dict(set_in(minimal(), "vehicles.0.shift", ["06:00", value]))
    assert problem_from_dict(set_in(minimal(), "vehicles.0.shift", ["06:00", "24:00"]))


def test_a_null_duration_with_a_finite_distance_names_the_pair():
    data = minimal(duration_s=[[0, None], [100, 0]])
    with pytest.raises(ProblemError, match=r"problem: duration_s\[0\]\[1\] is null \(no "
                                           r"street path\) but distance_m\[0\]\[1\] is 1000; "
                                           r"give both or neither"):
        problem_from_dict(data)


@pytest.mark.parametrize(
    ("brk", "message"),
    [
        ({"earliest_s": "11:00", "latest_s": "12:00", "duration_s": 100000},
         r"vehicles\[0\]\.break\.duration_s: 100000 s \(27\.8 h\) is longer than a day"),
        ({"earliest_s": "11:00", "latest_s": "12:00", "duration_s": 43200},
         r"vehicles\[0\]\.break\.duration_s: 43200 s \(12\.0 h\) leaves no time in the "
         r"truck's 12\.0 h day"),
    ],
    ids=["longer-than-a-day", "longer-than-the-shift"],
)
def test_breaks_no_shift_can_hold_are_refused(brk, message):
    with pytest.raises(ProblemError, match=message):
        problem_from_dict(set_in(minimal(), "vehicles.0.break", brk))


def test_saved_plans_get_the_mode_of_every_output(lunch_problem, tmp_path):
    import os
    import stat

    plan = solve(lunch_problem, time_limit=5, max_iterations=20)
    old = os.umask(0o022)
    try:
        path = save_plan(plan, tmp_path / "plan.json")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # mkstemp made it 0600


def test_streams_and_daily_limits_go_through_json():
    data = minimal(
        stops=[{"id": "K", "location": 1, "load_t": 2, "stream": "kitchen"},
               {"id": "R", "location": 1, "load_t": 3}],
        facilities=[{"id": "L", "location": 1, "streams": ["kitchen", "mixed"]}],
        vehicles=[{"id": "T", "start_depot": "D", "capacity_t": 8, "streams": ["kitchen"],
                   "max_daily_t": 12.5, "max_stops": 40}])
    problem = problem_from_dict(data)
    assert [s.stream for s in problem.stops] == ["kitchen", "mixed"]
    assert problem.facility("L").streams == ("kitchen", "mixed")
    truck = problem.vehicle("T")
    assert (truck.streams, truck.max_daily_t, truck.max_stops) == (("kitchen",), 12.5, 40)
    again = problem_from_dict(problem_to_dict(problem))
    assert again.stops == problem.stops and again.vehicles == problem.vehicles
    plan = solve(problem, engine="ortools", time_limit=3, max_iterations=50)
    check_plan(problem, plan)
    (left,) = plan.unassigned  # the residual stop: the only truck collects kitchen waste
    assert (left.stop_id, left.code) == ("R", "stream")
    back = plan_from_dict(json.loads(json.dumps(plan_to_dict(plan))))
    assert back.unassigned == plan.unassigned


@pytest.mark.parametrize(("path", "value", "message"), [
    ("vehicles.0.max_daily_t", 0, "vehicles[0].max_daily_t"),
    ("vehicles.0.max_stops", 2.5, "vehicles[0].max_stops"),
    ("stops.0.stream", "", "stops[0].stream"),
])
def test_bad_limits_and_streams_name_the_field(path, value, message):
    with pytest.raises(ProblemError, match=re.escape(message)):
        problem_from_dict(set_in(minimal(), path, value))
