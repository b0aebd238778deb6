"""Tiny hand-built inputs for the maps tests (the fixtures are in conftest.py).

A 4 x 4 street grid, sites on its corners and a fake travel matrix with street paths
(duck-typed like geodata.TravelMatrix).

Grid (rows go north, columns go east; about 111 m between nodes)::

    30 - 31 - 32 - 33(L)     row streets: "Rivi 0" .. "Rivi 3" (west-east)
    |    |    |    |         column streets: "Sarake 0" .. "Sarake 3" (south-north)
    20 - 21 - 22 - 23
    |    |    |    |
    10 - 11 - 12 - 13
    |    |    |    |
    00(D)- 01 - 02 - 03
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import geopandas as gpd
import networkx as nx
import numpy as np
from shapely.geometry import LineString, Point

LAT0, LON0 = 60.170, 24.930
DLAT, DLON = 0.001, 0.002


def node_xy(n: int, origin: tuple[float, float] = (LON0, LAT0)) -> tuple[float, float]:
    r, c = divmod(n, 10)
    return origin[0] + c * DLON, origin[1] + r * DLAT


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat = math.radians((a[1] + b[1]) / 2)
    dx = (b[0] - a[0]) * math.cos(lat) * 111_195.0
    dy = (b[1] - a[1]) * 111_195.0
    return math.hypot(dx, dy)


def grid_graph(origin: tuple[float, float] = (LON0, LAT0)) -> nx.MultiDiGraph:
    """The grid with its south-west corner (node 00) at ``origin`` (lon, lat)."""
    G = nx.MultiDiGraph(crs="EPSG:4326")
    for r in range(4):
        for c in range(4):
            x, y = node_xy(r * 10 + c, origin)
            G.add_node(r * 10 + c, x=x, y=y)
    for r in range(4):
        for c in range(4):
            n = r * 10 + c
            for m, name in ((n + 1, f"Rivi {r}"), (n + 10, f"Sarake {c}")):
                if m not in G:
                    continue
                if (name.startswith("Rivi") and c == 3) or (name.startswith("Sarake") and r == 3):
                    continue
                a, b = node_xy(n, origin), node_xy(m, origin)
                mid = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
                length = metres(a, b)
                for s, t, pts in ((n, m, [a, mid, b]), (m, n, [b, mid, a])):
                    G.add_edge(s, t, key=0, name=name, length=length, speed_kph=30.0,
                               travel_time=length / (30 / 3.6), geometry=LineString(pts))
    return G


SITES = [
    # site_id, kind, tonnes, node, name, reachable, reason
    ("DEPOT", "depot", 0.0, 0, "Varikko", True, None),
    ("LF", "landfill", 0.0, 33, "Kaatopaikka", True, None),
    ("DS-1", "dead_spot", 4.0, 2, "Kulma", True, None),
    ("DS-2", "dead_spot", 3.0, 13, "Piha", True, None),
    ("DS-3", "dead_spot", 12.0, 31, "Iso kasa", True, None),  # split into two 6 t loads
    ("DS-4", "dead_spot", 2.5, 22, "Aukio", True, None),
    ("DS-5", "dead_spot", 1.0, 11, "Ei aikaa", True, None),  # left unassigned by the plan
    ("DS-OFF", "dead_spot", 2.0, None, "Metsä", False, "600 m from the nearest street"),
    ("DS-LOST", "dead_spot", 1.5, 20, "Unohdettu", True, None),  # neither served nor listed
]


def snapped_sites(G: nx.MultiDiGraph, origin: tuple[float, float] = (LON0, LAT0)
                  ) -> gpd.GeoDataFrame:
    rows = []
    for sid, kind, tonnes, node, name, ok, reason in SITES:
        if node is None:
            x, y = origin[0] - 0.01, origin[1] - 0.005
            u = v = key = None
        else:
            x, y = node_xy(node, origin)
            u, v, key = next(iter(G.out_edges(node, keys=True)))
        rows.append(dict(site_id=sid, kind=kind, tonnes=tonnes, name=name, priority=3,
                         service_min=10, u=u, v=v, key=key, snap_x=x, snap_y=y,
                         snap_dist_m=0.0 if ok else 600.0, reachable=ok,
                         unreachable_reason=reason, geometry=Point(x, y)))
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


@dataclass(frozen=True)
class Leg:
    name: str
    length_m: float
    travel_time_s: float
    coords: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class StreetPath:
    from_id: str
    to_id: str
    nodes: tuple
    coords: tuple[tuple[float, float], ...]
    legs: tuple[Leg, ...]


class FakeMatrix:
    """Shortest paths on the grid between the sites' nodes (like geodata.TravelMatrix)."""

    def __init__(self, G: nx.MultiDiGraph, snapped: gpd.GeoDataFrame):
        self.G = G
        self.site_ids = tuple(snapped.site_id)
        self.node = {sid: node for sid, _k, _t, node, *_ in SITES}
        n = len(self.site_ids)
        self.distance_m = np.full((n, n), np.inf)
        self.duration_s = np.full((n, n), np.inf)
        for i, a in enumerate(self.site_ids):
            for j, b in enumerate(self.site_ids):
                if self.node[a] is None or self.node[b] is None:
                    continue
                p = self.path(a, b)
                self.distance_m[i, j] = sum(leg.length_m for leg in p.legs)
                self.duration_s[i, j] = sum(leg.travel_time_s for leg in p.legs)
            self.distance_m[i, i] = self.duration_s[i, i] = 0.0

    def index(self, site_id: str) -> int:
        return self.site_ids.index(site_id)

    def path(self, a: str, b: str) -> StreetPath:
        nodes = nx.shortest_path(self.G, self.node[a], self.node[b], weight="length")
        legs, coords = [], []
        for u, v in itertools.pairwise(nodes):
            d = self.G.edges[u, v, 0]
            pts = tuple(d["geometry"].coords)
            legs.append(Leg(d["name"], d["length"], d["travel_time"], pts))
            coords.extend(pts if not coords else pts[1:])
        return StreetPath(a, b, tuple(nodes), tuple(coords), tuple(legs))




def page_data(html: str) -> dict:
    """The data object a rendered page hands to ``SN.page`` (routes, markers, panels)."""
    import json
    import re

    start = re.search(r"_data = ", html).end()
    return json.JSONDecoder().raw_decode(html, start)[0]


def decode(lines: list[list[int]]) -> list[list[tuple[float, float]]]:
    """Chained encoded lines back to ``(lon, lat)`` pairs, as ``SN.decodeChain`` does."""
    out, last = [], np.zeros(2)
    for a in lines:
        pts = last + np.cumsum(np.array(a, dtype=float).reshape(-1, 2), axis=0) / 1e5
        last = pts[-1] if len(pts) else last
        out.append([(round(float(lon), 6), round(float(lat), 6)) for lat, lon in pts])
    return out
