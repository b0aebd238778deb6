"""Problems that cannot be planned are refused before any memory is spent on them."""

from __future__ import annotations

import tracemalloc

import pytest
from conftest import H, line_problem

from routing import Break, Facility, ProblemError, Stop, Vehicle
from routing._model import MAX_SPLIT_STOPS


def test_a_capacity_in_the_wrong_unit_is_refused_before_splitting():
    # 1,000 t at 0.001 t per load would be a million stops (issue 11: 1.41 TiB asked for)
    problem = line_problem([0, 1000, 2000], stops=[Stop("DUMP", 1, load_t=1000.0)],
                           facilities=[Facility("L", 2)],
                           vehicles=[Vehicle("T1", "D", capacity_t=0.001)])
    tracemalloc.start()
    try:
        with pytest.raises(ProblemError, match=r"would make 1,000,000 stops \(site 'DUMP' "
                                               r"alone 1,000,000\).*capacity_t, in tonnes"):
            problem.split_for_fleet()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000  # no stop was made


def test_splitting_up_to_the_cap_is_fine():
    problem = line_problem([0, 1000, 2000],
                           stops=[Stop("DUMP", 1, load_t=float(MAX_SPLIT_STOPS))],
                           facilities=[Facility("L", 2)],
                           vehicles=[Vehicle("T1", "D", capacity_t=1.0)])
    assert len(problem.split_for_fleet().stops) == MAX_SPLIT_STOPS


def test_a_break_longer_than_the_working_day_is_refused():
    with pytest.raises(ProblemError, match="break of 36001 s does not fit its 36000 s"):
        Vehicle("T1", "D", capacity_t=8.0, shift=(6 * H, 16 * H),
                break_=Break(11 * H, 12 * H, 10 * H + 1))
