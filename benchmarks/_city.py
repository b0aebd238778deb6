"""A city's day for the benchmarks: random collection points on a real street network.

``city_sites(G, n, seed=...)`` places ``n`` sites on the streets of ``G`` with a fixed
seed: bins of 0.2-3 t (2 min each), one in fifty a dumping spot of 3-15 t (20 min), plus
one depot near the centre and one landfill near the edge of the network (open
06:00-20:00, 20 min to unload). ``city_scenario`` gives the scenario the benchmarks plan
it with: 10 t trucks with the sample's shift (06:00-16:00) and lunch (30 min between
11:00 and 13:00). ``../shared/cities/heidelberg.osm.pbf`` is the default network.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
from shapely.geometry import Point

ROOT = Path(__file__).resolve().parents[1]
HEIDELBERG = ROOT.parent / "shared" / "cities" / "heidelberg.osm.pbf"


def _node_xy(G: nx.MultiDiGraph) -> tuple[list, np.ndarray]:
    nodes = list(G.nodes)
    xy = np.array([(G.nodes[n]["x"], G.nodes[n]["y"]) for n in nodes])
    return nodes, xy


def city_sites(G: nx.MultiDiGraph, n: int, *, seed: int = 0) -> gpd.GeoDataFrame:
    """``n`` work sites plus a depot and a landfill on the streets of ``G`` (EPSG:4326).

    Sites lie on random points of random edges (weighted by length), so every one snaps
    to a drivable street within a few metres.
    """
    rng = np.random.default_rng(seed)
    nodes, xy = _node_xy(G)
    centre = xy.mean(axis=0)
    d = np.hypot(*(xy - centre).T)
    depot = nodes[int(np.argmin(d))]
    landfill = nodes[int(np.argsort(d)[int(0.9 * len(d))])]  # towards the edge
    edges = list(G.edges(keys=True, data=True))
    lengths = np.array([e[3].get("length", 1.0) for e in edges], dtype=float)
    picks = rng.choice(len(edges), size=n, p=lengths / lengths.sum())
    rows = [
        {"site_id": "DEPOT", "kind": "depot", "name": "Depot", "tonnes": 0.0,
         "service_min": 0.0, "open": None, "close": None,
         "geometry": Point(G.nodes[depot]["x"], G.nodes[depot]["y"])},
        {"site_id": "LANDFILL", "kind": "landfill", "name": "Landfill", "tonnes": 0.0,
         "service_min": 20.0, "open": "06:00", "close": "20:00",
         "geometry": Point(G.nodes[landfill]["x"], G.nodes[landfill]["y"])},
    ]
    for k, e in enumerate(picks):
        geom = edges[e][3].get("geometry")
        u, v = edges[e][0], edges[e][1]
        t = float(rng.uniform(0.1, 0.9))
        if geom is not None:
            p = geom.interpolate(t, normalized=True)
        else:
            a, b = G.nodes[u], G.nodes[v]
            p = Point(a["x"] + t * (b["x"] - a["x"]), a["y"] + t * (b["y"] - a["y"]))
        dump = rng.random() < 0.02
        tonnes = rng.uniform(3.0, 15.0) if dump else rng.uniform(0.2, 3.0)
        rows.append({"site_id": f"S{k:04d}", "kind": "dead_spot" if dump else "bin",
                     "name": "", "tonnes": round(float(tonnes), 2),
                     "service_min": 20.0 if dump else 2.0, "open": None, "close": None,
                     "geometry": p})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def write_city_sites(G: nx.MultiDiGraph, n: int, path: Path, *, seed: int = 0) -> Path:
    """Write ``city_sites`` as a CSV with ``lon``/``lat`` columns."""
    sites = city_sites(G, n, seed=seed)
    df = sites.drop(columns="geometry")
    df["lon"] = sites.geometry.x.round(7)
    df["lat"] = sites.geometry.y.round(7)
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False)
    return path


def city_scenario(network: str | Path, sites_csv: str | Path, trucks: int, *,
                  engine: str = "auto", time_limit_s: float = 60.0, seed: int = 0):
    """The sample scenario's fleet settings on a city: ``trucks`` 10 t trucks, lunch."""
    import planner

    base = planner.Scenario.from_file(planner.SAMPLE_SCENARIO)
    fleet = (dataclasses.replace(base.fleet[0], count=trucks, capacity_t=10.0),)
    return dataclasses.replace(
        base, name=f"city-{Path(sites_csv).stem}",
        network=dataclasses.replace(base.network, source=str(network)),
        site_files=(str(sites_csv),), fleet=fleet,
        solver=dataclasses.replace(base.solver, engine=engine, time_limit_s=time_limit_s,
                                   seed=seed, max_iterations=None))
