"""Online sources (bbox:, place:) fed recorded Overpass/Nominatim responses via the osmnx
cache. Any real HTTP request fails the test instead of hanging."""

from __future__ import annotations

import shutil
from pathlib import Path

import networkx as nx
import osmnx as ox
import pytest
import requests

import geodata
from geodata._turns import banned_turns

RECORDED = Path(__file__).parent / "data" / "overpass_cache"


@pytest.fixture
def offline_osmnx(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args[:1]}")

    for name in ("get", "post", "request"):
        monkeypatch.setattr(requests, name, refuse)
    monkeypatch.setattr(requests.Session, "request", refuse)
    cache = tmp_path / "osmnx"
    shutil.copytree(RECORDED, cache)
    monkeypatch.setattr(ox.settings, "cache_folder", cache)
    return tmp_path / "networks"


@pytest.mark.parametrize("source", ["bbox:24.939,60.169,24.946,60.173",
                                    "place:Trap Quarter, Helsinki"])
def test_online_source_from_recorded_response(offline_osmnx, source):
    G = geodata.load_network(source, cache_dir=offline_osmnx)
    assert nx.is_strongly_connected(G)
    highways = {d["highway"] for *_, d in G.edges(data=True) if isinstance(d["highway"], str)}
    assert highways <= {"residential", "tertiary", "living_street"}
    assert all(d["travel_time"] > 0 for *_, d in G.edges(data=True))


def test_online_source_without_recording_fails_cleanly(offline_osmnx):
    with pytest.raises(geodata.NetworkSourceError, match="bbox:24.0,60.0,24.1,60.1"):
        geodata.load_network("bbox:24.0,60.0,24.1,60.1", cache_dir=offline_osmnx)


def test_online_source_brings_its_turn_restrictions(offline_osmnx):
    # the recorded Overpass answer holds relation 30: no left turn from way 13 via node 6
    G = geodata.load_network("bbox:24.939,60.169,24.946,60.173", cache_dir=offline_osmnx)
    (r,) = G.graph["turn_restrictions"]
    assert (r.relation_id, r.kind, r.from_ways, r.via_node, r.to_ways) == (30, "no", (13,), 6,
                                                                          (11,))
    epos = {e: i for i, e in enumerate(G.edges(keys=True))}
    assert banned_turns(G, epos)
