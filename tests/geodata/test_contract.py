"""The core of a search graph keeps every distance and expands its paths back exactly."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

import geodata
from geodata import _search
from geodata._contract import contract
from geodata._search import csr_from_arcs


def random_graph(n: int, m: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``m`` random arcs on ``n`` vertices with integer weights (parallel arcs, loops and
    zero weights included)."""
    rng = np.random.default_rng(seed)
    tails = rng.integers(0, n, m)
    heads = rng.integers(0, n, m)
    w = rng.integers(0, 50, m).astype(float)
    return tails, heads, w


def plain(tails, heads, w, n, sources):
    return dijkstra(csr_from_arcs(tails, heads, w, n), directed=True, indices=sources)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("growth", [0, 4, 16, 1000])
def test_distances_between_kept_vertices_are_those_of_the_whole_graph(seed, growth):
    n = 120
    tails, heads, w = random_graph(n, 300, seed)
    keep = np.zeros(n, dtype=bool)
    keep[np.random.default_rng(seed + 100).choice(n, 25, replace=False)] = True
    core = contract(tails, heads, w, n, keep, growth)
    kept = np.flatnonzero(keep)
    assert keep[core.kept].sum() == len(kept)  # every kept vertex is in the core
    if growth >= 16:
        assert core.n_core < n  # and something was eliminated
    whole = plain(tails, heads, w, n, kept)[:, kept]
    on_core = dijkstra(csr_from_arcs(core.tails, core.heads, core.w, core.n_core),
                       directed=True, indices=core.index[kept])[:, core.index[kept]]  # fmt: skip
    assert np.array_equal(whole, on_core)


@pytest.mark.parametrize("seed", range(4))
def test_paths_expand_to_arcs_of_the_graph_summing_to_the_distance(seed):
    n = 150
    tails, heads, w = random_graph(n, 420, seed)
    arcs: dict[tuple[int, int], float] = {}
    for a, b, x in zip(tails.tolist(), heads.tolist(), w.tolist(), strict=True):
        arcs[a, b] = min(x, arcs.get((a, b), np.inf))
    keep = np.zeros(n, dtype=bool)
    keep[:20] = True
    core = contract(tails, heads, w, n, keep)
    assert core.middle  # shortcuts were made
    csr = csr_from_arcs(core.tails, core.heads, core.w, core.n_core)
    D, P = dijkstra(csr, directed=True, indices=core.index[:20], return_predecessors=True)
    checked = 0
    for s in range(20):
        for t in range(20):
            d = D[s, core.index[t]]
            if s == t or not np.isfinite(d):
                continue
            path = core.chain(P[s], s, t)
            assert path[0] == s and path[-1] == t
            assert sum(arcs[p, q] for p, q in itertools.pairwise(path)) == d
            checked += 1
    assert checked > 100


def test_no_growth_keeps_the_whole_graph_without_shortcuts():
    tails, heads, w = random_graph(40, 100, 1)
    core = contract(tails, heads, w, 40, np.zeros(40, dtype=bool), None)
    assert core.n_core == 40 and not core.middle
    assert np.array_equal(core.index, np.arange(40))


def test_a_chain_to_an_unreached_vertex_is_an_error():
    tails, heads, w = np.array([0, 1]), np.array([1, 2]), np.array([1.0, 1.0])
    keep = np.array([True, False, True, True])
    core = contract(tails, heads, w, 4, keep)
    _, P = dijkstra(csr_from_arcs(core.tails, core.heads, core.w, core.n_core), directed=True,
                    indices=[core.index[0]], return_predecessors=True)  # fmt: skip
    assert core.chain(P[0], 0, 2) == [0, 1, 2]  # vertex 1 eliminated, expanded back
    with pytest.raises(ValueError, match="not reached"):
        core.chain(P[0], 0, 3)
    with pytest.raises(ValueError, match="kept"):
        core.chain(P[0], 0, 1)


@pytest.mark.parametrize("turns", [True, False])
def test_the_matrix_and_its_paths_on_the_core_are_those_of_the_whole_graph(
    sample_graph, sample_snapped, monkeypatch, turns
):
    G = sample_graph  # its extract's restrictions make the search edge-based
    core = geodata.travel_matrix(G, sample_snapped, turn_restrictions=turns, workers=1)
    assert core._context.edge_based == turns
    assert core._context.paths.core.n_core < core._context.paths.core.n
    monkeypatch.setattr(_search, "GROWTH", None)
    whole = geodata.travel_matrix(G, sample_snapped, turn_restrictions=turns, workers=1)
    assert whole._context.paths.core.n_core == whole._context.paths.core.n
    assert np.array_equal(core.duration_s, whole.duration_s)
    assert np.array_equal(core.distance_m, whole.distance_m)
    ids = core.site_ids
    for a in ids[:8]:
        for b in ids[-8:]:
            p, q = core.path(a, b), whole.path(a, b)
            assert p.coords == q.coords and p.nodes == q.nodes


def test_predecessors_of_a_large_core_are_kept_in_int32(sample_graph, sample_snapped, monkeypatch):
    small = geodata.travel_matrix(sample_graph, sample_snapped, workers=1)
    assert small._context.paths.pred.dtype == np.int16
    monkeypatch.setattr(_search, "PRED16_MAX", 10)  # as if the core were larger
    large = geodata.travel_matrix(sample_graph, sample_snapped, workers=1)
    assert large._context.paths.pred.dtype == np.int32
    assert np.array_equal(small._context.paths.pred, large._context.paths.pred)
    assert large.path("DEPOT", "DS-05") == small.path("DEPOT", "DS-05")


HEIDELBERG = Path(__file__).resolve().parents[3] / "shared" / "cities" / "heidelberg.osm.pbf"


@pytest.mark.slow
@pytest.mark.skipif(not HEIDELBERG.is_file(),
                    reason="needs ../shared/cities/heidelberg.osm.pbf (not in the repository)")
def test_on_a_real_city_with_its_restrictions_the_core_changes_nothing(monkeypatch):
    from benchmarks._city import city_sites

    G = geodata.load_network(HEIDELBERG)
    snapped = geodata.snap_sites(G, city_sites(G, 400, seed=3))
    core = geodata.travel_matrix(G, snapped, workers=1)
    paths = core._context.paths
    assert core._context.edge_based and paths.core.n_core < 0.7 * paths.core.n
    monkeypatch.setattr(_search, "GROWTH", None)
    whole = geodata.travel_matrix(G, snapped, workers=1)
    assert np.array_equal(core.duration_s, whole.duration_s)
    assert np.array_equal(core.distance_m, whole.distance_m)
    ids = core.site_ids
    rng = np.random.default_rng(0)
    same = pairs = 0
    for i, j in rng.integers(0, len(ids), (80, 2)):
        if i == j or not np.isfinite(core.duration_s[i, j]):
            continue
        pairs += 1
        p, q = core.path(ids[i], ids[j]), whole.path(ids[i], ids[j])
        same += p.nodes == q.nodes
        for path in (p, q):  # where two routes tie exactly, either may be drawn
            assert sum(leg.travel_time_s for leg in path.legs) == pytest.approx(
                core.duration_s[i, j], abs=0.05)
            assert sum(leg.length_m for leg in path.legs) == pytest.approx(
                core.distance_m[i, j], abs=0.5)
    assert pairs > 60 and same >= 0.9 * pairs
