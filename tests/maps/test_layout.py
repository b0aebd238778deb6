"""Line encoding and lanes for lines that share a street."""

from __future__ import annotations

import numpy as np
import pytest

from maps._layout import SCALE, encode, lane_runs, simplify


def decode(a: list[int]) -> np.ndarray:
    """What SN.decode does in the browser: deltas back to (lat, lon) degrees."""
    return np.cumsum(np.array(a, dtype=float).reshape(-1, 2), axis=0) / SCALE


def test_encode_round_trips_to_a_metre():
    rng = np.random.default_rng(3)
    coords = np.column_stack([24.9 + rng.random(50) * 0.1, 60.1 + rng.random(50) * 0.1])
    back = decode(encode(coords))
    assert back.shape == (50, 2)
    assert np.abs(back[:, ::-1] - coords).max() <= 0.5 / SCALE + 1e-12


def test_encode_drops_repeated_points_and_is_compact():
    coords = np.array([[24.93, 60.17], [24.93, 60.17], [24.931, 60.17]])
    assert encode(coords) == [6017000, 2493000, 0, 100]
    assert encode(np.empty((0, 2))) == []


def test_simplify_keeps_original_vertices():
    line = np.array([[0.0, 0.0], [0.5, 0.000001], [1.0, 0.0], [1.0, 1.0]])
    out = simplify(line, 1e-5)
    assert out.tolist() == [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]]


A, B, C, D = (0.0, 0.0), (1.0, 0.0), (2.0, 0.0), (3.0, 0.0)


def test_two_trucks_on_one_street_get_two_lanes_only_where_they_share_it():
    runs = lane_runs([("T1", np.array([A, B, C, D])), ("T2", np.array([(1.0, -1.0), B, C]))])
    t1 = [(r.coords[0].tolist(), r.coords[-1].tolist(), r.lane, r.lanes)
          for r in runs if r.index == 0]
    t2 = [(r.coords[0].tolist(), r.coords[-1].tolist(), r.lane, r.lanes)
          for r in runs if r.index == 1]
    # T1 came first: lane 0 everywhere; T2 moves over to lane 1 on B-C, the shared stretch
    assert t1 == [([0.0, 0.0], [1.0, 0.0], 0, 1), ([1.0, 0.0], [2.0, 0.0], 0, 2),
                  ([2.0, 0.0], [3.0, 0.0], 0, 1)]
    assert t2 == [([1.0, -1.0], [1.0, 0.0], 0, 1), ([1.0, 0.0], [2.0, 0.0], 1, 2)]


def test_opposite_directions_and_repeat_drives_keep_lane_zero():
    # driven both ways (each drawn on the right of its direction) and by one truck twice
    runs = lane_runs([("T1", np.array([A, B, C])), ("T2", np.array([C, B, A])),
                      ("T1", np.array([A, B, C]))])
    assert {r.lane for r in runs} == {0}
    assert [r.index for r in runs] == [0, 1, 2]


@pytest.mark.parametrize("n_trucks", [2, 10])
def test_lanes_count_the_trucks_sharing_a_street(n_trucks):
    lines = [(f"T{k}", np.array([A, B, C])) for k in range(n_trucks)]
    runs = lane_runs(lines)
    assert sorted(r.lane for r in runs) == list(range(n_trucks))
    assert {r.lanes for r in runs} == {n_trucks}  # the bundle's width follows from it
