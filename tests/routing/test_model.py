"""Problem validation: bad input is refused on construction with a message naming it."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing import (
    Break,
    Depot,
    Facility,
    Problem,
    ProblemError,
    Stop,
    Vehicle,
    split_large_stops,
)

M = np.array([[0, 10], [10, 0]])


def problem(**changes) -> Problem:
    fields = dict(
        duration_s=M,
        distance_m=M,
        stops=(Stop("S", 1, load_t=1.0),),
        facilities=(Facility("L", 1),),
        depots=(Depot("D", 0),),
        vehicles=(Vehicle("T", "D", capacity_t=8.0),),
    )
    fields.update(changes)
    return Problem(**fields)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Stop("S", 1, load_t=-1.0), "load_t must be >= 0"),
        (lambda: Stop("S", 1, load_t=1.0, priority=7), "priority must be 1..5"),
        (lambda: Stop("S", 1, load_t=1.0, window=(10, 5)), "window"),
        (lambda: Vehicle("T", "D", capacity_t=0), "capacity_t must be positive"),
        (lambda: Vehicle("T", "D", capacity_t=8, shift=(50, 10)), "shift"),
        (lambda: Break(10, 5, 60), "ends before it starts"),
        (lambda: Break(10, 50, 0), "duration_s must be positive"),
        (lambda: Facility("L", 0, unload_s=-5), "unload_s must be >= 0"),
    ],
)
def test_parts_refuse_bad_values(make, message):
    with pytest.raises(ProblemError, match=message):
        make()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"duration_s": np.zeros((2, 3))}, "square matrix"),
        ({"distance_m": np.array([[0, -1], [1, 0]])}, "non-negative"),
        ({"vehicles": ()}, "fleet size 0"),
        ({"depots": ()}, "at least one depot"),
        ({"facilities": ()}, "needs at least one facility"),
        ({"stops": (Stop("S", 5, load_t=1.0),)}, "location 5 is outside 0..1"),
        ({"stops": (Stop("S", 1, load_t=1.0), Stop("S", 0, load_t=1.0))}, "duplicate stop"),
        ({"vehicles": (Vehicle("T", "X", capacity_t=8),)}, "unknown depot 'X'"),
        ({"vehicles": (Vehicle("T", "D", capacity_t=8, facilities=("Q",)),)},
         "unknown facility 'Q'"),
    ],
)
def test_problem_refuses_inconsistent_parts(changes, message):
    with pytest.raises(ProblemError, match=message):
        problem(**changes)


def test_problem_collects_every_problem_at_once():
    with pytest.raises(ProblemError) as err:
        problem(vehicles=(), depots=())
    assert "fleet size 0" in str(err.value)
    assert "at least one depot" in str(err.value)


def test_matrices_are_read_only_copies():
    source = M.copy()
    p = problem(duration_s=source)
    source[0, 1] = 999
    assert p.duration_s[0, 1] == 10
    with pytest.raises(ValueError, match="read-only"):
        p.duration_s[0, 1] = 5


def test_split_for_fleet_splits_only_what_is_too_heavy():
    p = problem(stops=(Stop("BIG", 1, load_t=27.0, service_s=2700), Stop("S", 1, load_t=2.0)))
    split = p.split_for_fleet()
    loads = {s.id: s.load_t for s in split.stops}
    assert loads == {"BIG#1": 8.0, "BIG#2": 8.0, "BIG#3": 8.0, "BIG#4": 3.0, "S": 2.0}
    assert {s.site_id for s in split.stops if s.id.startswith("BIG")} == {"BIG"}
    # Service time follows the tonnes: 8/27 of 45 minutes is 800 s.
    assert split.stop("BIG#1").service_s == 800
    assert problem().split_for_fleet() is not None


@settings(max_examples=60, deadline=None)
@given(
    load=st.floats(min_value=0.1, max_value=500, allow_nan=False),
    capacity=st.floats(min_value=0.5, max_value=40, allow_nan=False),
)
def test_split_conserves_tonnes_and_respects_capacity(load, capacity):
    pieces = split_large_stops((Stop("X", 0, load_t=load, service_s=600),), capacity)
    assert sum(p.load_t for p in pieces) == pytest.approx(load, abs=1e-4)
    assert all(p.load_t <= capacity + 1e-6 for p in pieces)
    assert all(p.site_id == "X" for p in pieces)
