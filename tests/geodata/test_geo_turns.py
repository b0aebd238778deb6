"""Turn restrictions, U-turns and junction sites in the travel matrix and street paths."""

from __future__ import annotations

import dataclasses
import itertools
import logging

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from shapely.geometry import Point

import geodata
import maps
from geodata._turns import TurnRestriction, parse_restriction

# a T junction: the two-way main street 0 - 1 - 2 and a two-way side street 1 - 3,
# 100 m segments at 10 m/s; node 2 is a dead end unless the spur 2 - 5 is added
COORDS = {0: (24.900, 60.200), 1: (24.902, 60.200), 2: (24.904, 60.200), 3: (24.902, 60.201),
          5: (24.906, 60.200)}


def t_junction(make_graph, *, spur: bool = False) -> nx.MultiDiGraph:
    ways = {(0, 1): 101, (1, 2): 102, (1, 3): 103, (2, 5): 105}
    edges = []
    for (a, b), way in ways.items():
        if way == 105 and not spur:
            continue
        for u, v in ((a, b), (b, a)):
            edges.append((u, v, {"length": 100.0, "travel_time": 10.0, "osmid": way,
                                 "name": f"way {way}"}))
    G = make_graph(edges, {n: COORDS[n] for n in {x for e in ways for x in e}
                           if spur or n != 5})
    # no right turn from the main street (coming from 0) into the side street
    G.graph["turn_restrictions"] = (TurnRestriction(1, "no", "no_right_turn", (101,), (103,), 1),)
    return G


def turns_in(path) -> set[tuple]:
    return set(zip(path.nodes, path.nodes[1:], path.nodes[2:], strict=False))


def test_restriction_forces_a_u_turn_at_the_dead_end(make_graph, make_snapped):
    G = t_junction(make_graph)
    snapped = make_snapped(G, [("S", 0, 1, 0, 0.5), ("T", 1, 3, 0, 0.5)])
    free = geodata.travel_matrix(G, snapped, turn_restrictions=False)
    assert free.duration_s[0, 1] == pytest.approx(10.0, abs=1e-3)  # 5 s + 5 s, straight in
    tm = geodata.travel_matrix(G, snapped)
    path = tm.path("S", "T")
    assert (0, 1, 3) not in turns_in(path) and path.nodes == (1, 2, 1)
    # 5 s to 1, 10 s to the dead end 2, 10 s back, 5 s into the side street
    assert tm.duration_s[0, 1] == pytest.approx(30.0, abs=1e-3)
    assert path.duration_s == pytest.approx(tm.duration_s[0, 1], abs=1e-3)


def test_no_u_turn_at_a_junction_unless_the_profile_allows_it(make_graph, make_snapped):
    G = t_junction(make_graph, spur=True)  # node 2 is a junction now, 5 the dead end
    snapped = make_snapped(G, [("S", 0, 1, 0, 0.5), ("T", 1, 3, 0, 0.5)])
    path = geodata.travel_matrix(G, snapped).path("S", "T")
    assert path.nodes == (1, 2, 5, 2, 1)
    assert path.duration_s == pytest.approx(50.0, abs=1e-3)
    G.graph["uturn_penalty_s"] = 7.0
    tm = geodata.travel_matrix(G, snapped)
    assert tm.path("S", "T").nodes == (1, 2, 1)
    assert tm.duration_s[0, 1] == pytest.approx(37.0, abs=1e-3)


def test_only_restriction_bans_every_other_turn(make_graph, make_snapped):
    G = t_junction(make_graph)
    G.graph["turn_restrictions"] = (
        TurnRestriction(2, "only", "only_straight_on", (101,), (102,), 1),)
    snapped = make_snapped(G, [("S", 0, 1, 0, 0.5), ("T", 1, 3, 0, 0.5)])
    assert geodata.travel_matrix(G, snapped).path("S", "T").nodes == (1, 2, 1)


@pytest.mark.parametrize(
    ("tags", "kind"),
    [({"type": "restriction", "restriction": "no_left_turn"}, "no"),
     ({"type": "restriction", "restriction": "only_straight_on"}, "only"),
     ({"type": "restriction", "restriction:hgv": "no_right_turn"}, "no"),
     # exemptions for trucks, and values we do not read
     ({"type": "restriction", "restriction": "no_left_turn", "except": "hgv"}, None),
     ({"type": "restriction", "restriction": "give_way"}, None),
     ({"type": "multipolygon"}, None)],
)
def test_parse_restriction(tags, kind):
    members = [("w", 1, "from"), ("n", 9, "via"), ("w", 2, "to")]
    r = parse_restriction(7, tags, members)
    assert (r.kind if r else None) == kind


def test_parse_restriction_needs_from_via_to():
    tags = {"type": "restriction", "restriction": "no_left_turn"}
    assert parse_restriction(7, tags, [("w", 1, "from"), ("w", 2, "to")]) is None


def test_uturn_penalty_is_validated():
    with pytest.raises(geodata.GeodataError, match="uturn_penalty_s"):
        geodata.TruckProfile(uturn_penalty_s=-1)


def _sample_turn(G, tm, pairs):
    """A turn (a, x, b) between two named streets on one of the sample's street paths."""
    for a, b in pairs:
        path = tm.path(a, b)
        for p, x, q in turns_in(path):
            if p == q:
                continue
            d1 = min(G[p][x].values(), key=lambda d: d["travel_time"])
            d2 = min(G[x][q].values(), key=lambda d: d["travel_time"])
            w1, w2 = d1["osmid"], d2["osmid"]
            if isinstance(w1, int) and isinstance(w2, int) and w1 != w2 and d1["name"] \
                    and d2["name"] and d1["name"] != d2["name"]:
                return a, b, (p, x, q), (w1, w2), (d1["name"], d2["name"])
    raise AssertionError("no turn between two named single-way streets on the sample paths")


def test_sample_paths_and_directions_avoid_an_added_restriction(sample_graph, sample_snapped):
    tm = geodata.travel_matrix(sample_graph, sample_snapped)
    ids = list(sample_snapped["site_id"])
    a, b, (p, x, q), (w1, w2), names = _sample_turn(sample_graph, tm, itertools.pairwise(ids))
    G = sample_graph.copy()
    G.graph["turn_restrictions"] = (*G.graph.get("turn_restrictions", ()),
                                    TurnRestriction(99, "no", "no_left_turn", (w1,), (w2,), x))
    after = geodata.travel_matrix(G, sample_snapped)
    assert after.duration_s[ids.index(a), ids.index(b)] > tm.duration_s[ids.index(a), ids.index(b)]
    xy = (G.nodes[x]["x"], G.nodes[x]["y"])
    for i, j in itertools.permutations(range(len(ids)), 2):
        if not np.isfinite(after.duration_s[i, j]):
            continue
        path = after.path(ids[i], ids[j])
        assert (p, x, q) not in turns_in(path), (ids[i], ids[j])
        steps = maps.directions(path)
        for before, step in itertools.pairwise(steps):
            if step.location is not None and step.location == pytest.approx(xy):
                assert (before.street, step.street) != names, (ids[i], ids[j])


def test_junction_sites_match_networkx_node_to_node(sample_graph):
    # sites exactly on nodes: reached along every street, as networkx node-to-node
    nodes = list(sample_graph.nodes)[::4][:40]
    rows = [{"site_id": f"N{n}", "geometry": Point(sample_graph.nodes[n]["x"],
                                                   sample_graph.nodes[n]["y"])}
            for n in nodes]  # fmt: skip
    sites = gpd.GeoDataFrame(rows, crs="EPSG:4326")
    snapped = geodata.snap_sites(sample_graph, sites)
    tm = geodata.travel_matrix(sample_graph, snapped, turn_restrictions=False)
    for i, a in enumerate(nodes):
        dist = nx.single_source_dijkstra_path_length(sample_graph, a, weight="travel_time")
        ref = np.array([dist[b] for b in nodes])
        assert tm.duration_s[i] == pytest.approx(ref, abs=1e-3)


def test_profile_uturn_rule_reaches_the_graph(tmp_path):
    slow = dataclasses.replace(geodata.TruckProfile(), uturn_penalty_s=30.0)
    G = geodata.load_network("sample", profile=slow, cache_dir=tmp_path)
    assert G.graph["uturn_penalty_s"] == 30.0
    assert all(isinstance(r, TurnRestriction) for r in G.graph["turn_restrictions"])


@pytest.mark.parametrize("turns", [True, False])
def test_two_sites_at_one_junction_are_zero_apart(make_graph, make_snapped, turns):
    G = t_junction(make_graph, spur=True)  # restricted at node 2 only (edge-based search)
    G.graph["turn_restrictions"] = (
        TurnRestriction(3, "no", "no_straight_on", (102,), (105,), 2),)
    # both within a metre of node 1, on different streets: one place
    snapped = make_snapped(G, [("A", 0, 1, 0, 0.995), ("B", 1, 3, 0, 0.005),
                               ("C", 1, 2, 0, 0.5)])
    tm = geodata.travel_matrix(G, snapped, turn_restrictions=turns)
    assert tm.duration_s[0, 1] == tm.duration_s[1, 0] == 0.0
    assert tm.duration_s[0, 2] == pytest.approx(5.0, abs=1e-3)  # from the junction onward
    assert tm.path("A", "C").nodes == (1,)


def test_a_site_the_turn_rules_cut_off_is_named(make_graph, make_snapped, caplog):
    # straight on only, both ways along the main street: the side street 1 - 3 has no way in
    G = t_junction(make_graph)
    G.graph["turn_restrictions"] = (
        TurnRestriction(4, "only", "only_straight_on", (101,), (102,), 1),
        TurnRestriction(5, "only", "only_straight_on", (102,), (101,), 1))
    snapped = make_snapped(G, [("S", 0, 1, 0, 0.5), ("T", 1, 3, 0, 0.5),
                               ("C", 1, 2, 0, 0.5)])
    caplog.set_level(logging.WARNING, logger="geodata")
    tm = geodata.travel_matrix(G, snapped)
    assert np.isinf(tm.duration_s[0, 1]) and np.isfinite(tm.duration_s[1, 0])
    assert "1 site(s) cannot be reached or left" in caplog.text and ": T;" in caplog.text
