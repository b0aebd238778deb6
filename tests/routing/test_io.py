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
        ("duration_s", [[0, 1]], r"duration_s\[0\]: has 2 entries, the matrix has 1 rows"),
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
