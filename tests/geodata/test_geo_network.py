"""load_network: sample, .osm XML, graphml, cache, bad sources."""

from __future__ import annotations

import logging
from pathlib import Path

import networkx as nx
import osmnx as ox
import pytest

import geodata

DATA = Path(__file__).parent / "data"


def test_sample_network_is_routable(sample_graph):
    G = sample_graph
    assert G.graph["crs"] == "EPSG:4326"
    assert nx.is_strongly_connected(G)
    assert len(G) > 100
    for u, _v, data in G.edges(data=True):
        assert data["speed_kph"] > 0 and data["travel_time"] > 0
        assert data["geometry"].geom_type == "LineString"
        assert isinstance(data["name"], str)
        assert data["geometry"].coords[0] == pytest.approx((G.nodes[u]["x"], G.nodes[u]["y"]))
    assert all("x" in d and "y" in d for _, d in G.nodes(data=True))


def test_osm_xml_fixture_applies_truck_rules(tmp_path):
    # one_way_trap.osm: footway, private service road, steps, hgv=no and a 3.2 m bridge
    # must go; way 17 references a node missing from the file (clipped) and is split
    G = geodata.load_network(DATA / "one_way_trap.osm", cache_dir=tmp_path)
    osmids = set()
    for *_, data in G.edges(data=True):
        ids = data["osmid"] if isinstance(data["osmid"], list) else [data["osmid"]]
        osmids.update(ids)
    assert osmids == {10, 11, 12, 13, 17}
    assert nx.is_strongly_connected(G)


def test_one_way_street_is_directed(tmp_path):
    G = geodata.load_network(DATA / "one_way_trap.osm", cache_dir=tmp_path)
    one_way = [(u, v) for u, v, d in G.edges(data=True) if d["osmid"] == 10]
    assert one_way == [(1, 3)]  # drawn 1 -> 2 -> 3 with oneway=yes: no edge back


def test_second_load_hits_the_cache(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="geodata")
    first = geodata.load_network(DATA / "one_way_trap.osm", cache_dir=tmp_path)
    assert list(tmp_path.glob("network-*.pickle"))
    caplog.clear()
    second = geodata.load_network(DATA / "one_way_trap.osm", cache_dir=tmp_path)
    assert "from cache" in caplog.text
    assert nx.utils.graphs_equal(first, second)


def test_other_profile_is_cached_separately(tmp_path):
    geodata.load_network(DATA / "one_way_trap.osm", cache_dir=tmp_path)
    slow = geodata.TruckProfile(top_speed_kph=20)
    G = geodata.load_network(DATA / "one_way_trap.osm", profile=slow, cache_dir=tmp_path)
    assert max(d["speed_kph"] for *_, d in G.edges(data=True)) == 20
    assert len(list(tmp_path.glob("network-*.pickle"))) == 2


def test_graphml_round_trip(tmp_path, sample_graph):
    path = tmp_path / "sample.graphml"
    ox.save_graphml(sample_graph, path)
    G = geodata.load_network(path, cache_dir=tmp_path)
    assert len(G) == len(sample_graph)
    # GraphML keeps graph attributes as text: the restrictions are dropped, not misread
    assert not G.graph.get("turn_restrictions")
    snapped = geodata.snap_sites(G, geodata.read_sites(geodata.SAMPLE_SITES))
    assert geodata.travel_matrix(G, snapped).duration_s.shape == (len(snapped),) * 2


def test_env_var_sets_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("SANITATION_CACHE", str(tmp_path))
    assert geodata.default_cache_dir() == tmp_path


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("nowhere/missing.osm.pbf", "does not exist"),
        ("ftp:thing", "unknown network source"),
        ("bbox:1,2,3", "four numbers"),
        ("bbox:10,50,9,51", "W < E"),
        ("place:", "names no place"),
    ],
)
def test_bad_sources(tmp_path, source, message):
    with pytest.raises(geodata.NetworkSourceError, match=message):
        geodata.load_network(source, cache_dir=tmp_path)


def test_unknown_file_type(tmp_path):
    path = tmp_path / "streets.txt"
    path.write_text("x")
    with pytest.raises(geodata.NetworkSourceError, match="unknown file type"):
        geodata.load_network(path, cache_dir=tmp_path)


def test_osm_xml_keeps_its_turn_restrictions(tmp_path):
    G = geodata.load_network(DATA / "one_way_trap.osm", cache_dir=tmp_path)
    (r,) = G.graph["turn_restrictions"]
    assert (r.value, r.from_ways, r.via_node, r.to_ways) == ("no_left_turn", (13,), 6, (11,))
    assert G.graph["uturn_penalty_s"] is None
