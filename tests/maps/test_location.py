"""A location in words for every site: one street, "near" a named street, never blank."""

from __future__ import annotations

import pytest

import maps
from routing import Plan


def _locations(G, snapped, matrix, *, offset: float):
    """The test grid with one unnamed edge, one merged two-name edge, and renamed sites.

    DS-1 sits on an unnamed yard (its edge 2-1 and back). DS-2's edge 13-12 was merged by
    simplification from two ways, "Rivi 1" and "Uusi katu", which goes on west of node 12
    (edges 12-11); ``offset`` places DS-2 along it from node 13. DS-4 (on Sarake 2) is
    named after the cross street at its corner; DS-5 has no name.
    """
    g = G.copy()
    for u, v in ((2, 1), (1, 2)):
        g.edges[u, v, 0]["name"] = ""
    for u, v in ((13, 12), (12, 13)):
        g.edges[u, v, 0]["name"] = "Rivi 1; Uusi katu"
    for u, v in ((12, 11), (11, 12)):
        g.edges[u, v, 0]["name"] = "Uusi katu"
    sites = snapped.copy()
    sites.loc[sites.site_id == "DS-2", ["u", "v", "key", "edge_offset"]] = [13, 12, 0, offset]
    sites.loc[sites.site_id == "DS-4", "name"] = "Dump at the Rivi 2 corner"
    sites.loc[sites.site_id == "DS-5", "name"] = None
    ctx = maps.build_context(Plan(routes=(), unassigned=(), engine="hand"), problem=None, G=g,
                             snapped=sites, matrix=matrix)
    return maps.site_locations(ctx)


@pytest.fixture
def streets(G, snapped, matrix):
    return _locations(G, snapped, matrix, offset=0.9)


def test_an_unnamed_edge_gives_the_nearest_named_street(streets):
    assert streets["DS-1"].code == "near"
    assert streets["DS-1"].text in ("near Rivi 0", "near Sarake 0", "near Sarake 1",
                                    "near Sarake 2")


def test_a_merged_edge_gives_one_street_not_both(G, snapped, matrix, streets):
    assert "; " not in streets["DS-2"].text
    assert streets["DS-2"].text == "Uusi katu"  # near node 12, where Uusi katu goes on
    near_13 = _locations(G, snapped, matrix, offset=0.1)
    assert near_13["DS-2"].text == "Rivi 1"


def test_the_location_does_not_contradict_the_site_name(streets):
    # DS-4 is on Sarake 2 at the corner of Rivi 2, and its name says "Rivi 2"
    assert streets["DS-4"].text == "Sarake 2, near Rivi 2"
    # no name: its own street (the fixture snaps DS-5 to Sarake 1 at node 11)
    assert (streets["DS-5"].code, streets["DS-5"].text) == ("street", "Sarake 1")


def test_every_site_has_a_location(streets, snapped):
    assert set(streets) == set(snapped.site_id)
    assert all(loc.text for loc in streets.values())
    off = streets["DS-OFF"]  # off the network, far from every street: its coordinates
    assert off.code in ("near", "coords") and off.text
