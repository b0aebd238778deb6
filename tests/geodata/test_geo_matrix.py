"""snap_sites and travel_matrix: offsets, same-edge travel, unreachable sites, paths."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest

import geodata
from geodata._graphs import JUNCTION_M
from geodata._snap import reverse_key

DATA = Path(__file__).parent / "data"


def test_far_site_is_kept_and_marked(sample_graph):
    sites = geodata.read_sites(DATA / "site_far_away.geojson")
    snapped = geodata.snap_sites(sample_graph, sites, max_snap_m=300)
    assert list(snapped["site_id"]) == ["NEAR", "FAR"]
    far = snapped.iloc[1]
    assert not far["reachable"]
    assert far["unreachable_reason"].endswith("m from the nearest drivable street (limit 300 m)")
    assert snapped.iloc[0]["reachable"] and snapped.iloc[0]["unreachable_reason"] == ""
    assert "u" not in sites.columns  # input untouched


def test_unreachable_pairs_are_inf_and_listed(sample_graph):
    snapped = geodata.snap_sites(sample_graph, geodata.read_sites(DATA / "site_far_away.geojson"))
    tm = geodata.travel_matrix(sample_graph, snapped)
    assert tm.site_ids == ("NEAR", "FAR")
    assert np.isinf(tm.duration_s[0, 1]) and np.isinf(tm.distance_m[1, 0])
    assert tm.duration_s[1, 1] == 0
    assert sorted(tm.unreachable_pairs()) == [("FAR", "NEAR"), ("NEAR", "FAR")]
    with pytest.raises(geodata.GeodataError, match="no street path"):
        tm.path("NEAR", "FAR")


def test_sample_sites_all_snap_close(sample_snapped):
    assert sample_snapped["reachable"].all()
    assert sample_snapped["snap_dist_m"].max() <= 45
    assert sample_snapped["edge_offset"].between(0, 1).all()


def test_mid_edge_cost_follows_offset(mid_edge_graph, make_snapped):
    # Long Road 0<->1 is two-way, 100 s; a site at 30 % and one at 80 % along it
    snapped = make_snapped(mid_edge_graph, [("A", 0, 1, 0, 0.3), ("B", 0, 1, 0, 0.8),
                                            ("C", 2, 3, 0, 0.5)])
    tm = geodata.travel_matrix(mid_edge_graph, snapped)
    assert tm.duration_s[0, 1] == pytest.approx(50.0)  # straight along the edge
    assert tm.duration_s[1, 0] == pytest.approx(50.0)  # two-way: back along it
    assert tm.distance_m[0, 1] == pytest.approx(500.0)
    # A -> C: forward to 1 (70 s), 1->2 (50 s), half of 2->3 (25 s)
    assert tm.duration_s[0, 2] == pytest.approx(145.0)
    # C -> A: rest of 2->3 (25 s), 3->0 (50 s), 30 % of 0->1 (30 s)
    assert tm.duration_s[2, 0] == pytest.approx(105.0)


def test_one_way_trap_goes_around(mid_edge_graph, make_snapped):
    # on the one-way East street 1->2, a site behind another must loop the block
    snapped = make_snapped(mid_edge_graph, [("AHEAD", 1, 2, 0, 0.9), ("BEHIND", 1, 2, 0, 0.1)])
    tm = geodata.travel_matrix(mid_edge_graph, snapped)
    assert tm.duration_s[1, 0] == pytest.approx(40.0)
    # 0.1*50 to 2, 50 to 3, 50 to 0, 100 to 1, 0.1*50 -> 210
    assert tm.duration_s[0, 1] == pytest.approx(210.0)
    path = tm.path("AHEAD", "BEHIND")
    assert path.nodes == (2, 3, 0, 1)
    assert [leg.name for leg in path.legs] == ["East", "North", "West", "Long Road", "East"]


def reference(G, snapped):
    """networkx Dijkstra from each departure node (no same-edge shortcut)."""
    rows = list(snapped.itertuples())
    n = len(rows)
    opts = []
    for r in rows:
        e = G.edges[r.u, r.v, r.key]
        f = r.edge_offset
        at = r.u if f * e["length"] <= JUNCTION_M else r.v if (1 - f) * e["length"] <= JUNCTION_M \
            else None  # a site at a junction leaves and is reached along every street
        if at is not None:
            opts.append(([(at, 0.0)], [(at, 0.0)]))
            continue
        dep, arr = [(r.v, (1 - f) * e["travel_time"])], [(r.u, f * e["travel_time"])]
        twin = reverse_key(G, r.u, r.v, r.key)
        if twin is not None:
            t = G.edges[r.v, r.u, twin]
            dep.append((r.u, f * t["travel_time"]))
            arr.append((r.v, (1 - f) * t["travel_time"]))
        opts.append((dep, arr))
    out = np.full((n, n), np.inf)
    for i in range(n):
        for a, ca in opts[i][0]:
            dist = nx.single_source_dijkstra_path_length(G, a, weight="travel_time")
            for j in range(n):
                for b, cb in opts[j][1]:
                    out[i, j] = min(out[i, j], ca + dist[b] + cb)
    np.fill_diagonal(out, 0)
    return out, rows


def test_matrix_equals_networkx(sample_graph, sample_snapped):
    # node by node (restrictions ignored) the times equal networkx's to the packing's rounding
    tm = geodata.travel_matrix(sample_graph, sample_snapped, turn_restrictions=False)
    ref, rows = reference(sample_graph, sample_snapped)
    same_edge = np.array([[(a.u, a.v, a.key) == (b.u, b.v, b.key) for b in rows] for a in rows])
    assert np.allclose(tm.duration_s[~same_edge], ref[~same_edge], rtol=0, atol=1e-3)
    assert (tm.duration_s <= ref + 1e-3).all()  # same-edge pairs may only be shorter


def test_paths_match_matrix(sample_graph, sample_snapped):
    tm = geodata.travel_matrix(sample_graph, sample_snapped)
    snap = sample_snapped.set_index("site_id")
    for a, b in [("DEPOT", "DS-01"), ("DS-05", "TRANSFER"), ("DS-10", "DS-11")]:
        path = tm.path(a, b)
        i, j = tm.index(a), tm.index(b)
        assert path.coords[0] == pytest.approx((snap.loc[a, "snap_x"], snap.loc[a, "snap_y"]))
        assert path.coords[-1] == pytest.approx((snap.loc[b, "snap_x"], snap.loc[b, "snap_y"]))
        # the matrix rounds each segment to 8 mm and 31 µs (geodata._search)
        assert sum(leg.length_m for leg in path.legs) == pytest.approx(tm.distance_m[i, j], abs=0.2)
        assert path.duration_s == pytest.approx(tm.duration_s[i, j], abs=1e-3)
        assert all(leg.coords for leg in path.legs)


def test_index_of_unknown_site(sample_graph, sample_snapped):
    tm = geodata.travel_matrix(sample_graph, sample_snapped)
    with pytest.raises(geodata.GeodataError, match="unknown site_id 'nope'"):
        tm.index("nope")


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="the search forks only on Linux")
def test_the_search_shared_between_processes_gives_the_same_matrix_and_paths(
    sample_graph, sample_snapped, monkeypatch
):
    from geodata import _search

    alone = geodata.travel_matrix(sample_graph, sample_snapped, workers=1)
    monkeypatch.setattr(_search, "PARALLEL_MIN", 0)  # fork even for the sample,
    monkeypatch.setattr(_search, "_CHUNK", 8)  # with rows for every process
    shared = geodata.travel_matrix(sample_graph, sample_snapped, workers=3)
    assert np.array_equal(shared.duration_s, alone.duration_s)
    assert np.array_equal(shared.distance_m, alone.distance_m)
    assert np.array_equal(shared._context.paths.pred, alone._context.paths.pred)
    assert shared.path("DEPOT", "DS-05") == alone.path("DEPOT", "DS-05")


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="the search forks only on Linux")
def test_rows_of_a_search_process_that_dies_are_searched_again(
    sample_graph, sample_snapped, monkeypatch, caplog
):
    import os

    from geodata import _search

    alone = geodata.travel_matrix(sample_graph, sample_snapped, workers=1)
    parent, real = os.getpid(), _search._share

    def dies_in_child(*args):
        if os.getpid() != parent:
            os._exit(9)  # as if the kernel had killed it
        real(*args)

    monkeypatch.setattr(_search, "PARALLEL_MIN", 0)
    monkeypatch.setattr(_search, "_CHUNK", 8)
    monkeypatch.setattr(_search, "_share", dies_in_child)
    with caplog.at_level("WARNING", logger="geodata._search"):
        shared = geodata.travel_matrix(sample_graph, sample_snapped, workers=2)
    assert "ended with exit code 9" in caplog.text
    assert np.array_equal(shared.duration_s, alone.duration_s)
    assert np.array_equal(shared.distance_m, alone.distance_m)
