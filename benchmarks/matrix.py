"""Travel-matrix benchmark: networkx single_source_dijkstra per site vs geodata.travel_matrix.

Usage: ``python benchmarks/matrix.py [repeats]`` (default 1). Prints one table with the
median time of each method over the repeats, the speed-up ratio and the largest absolute
difference between the two results (durations in s and distances in m).
"""

from __future__ import annotations

import logging
import statistics
import sys
import time
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
from shapely.geometry import LineString, Point

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


import geodata
from geodata._snap import reverse_key

SEED = 7
SIZES = (50, 200, 800)


def grid_graph(n: int = 150, *, seed: int = SEED) -> nx.MultiDiGraph:
    """Directed n x n grid near Helsinki, ~100 m blocks, random travel times."""
    rng = np.random.default_rng(seed)
    G = nx.MultiDiGraph(crs="EPSG:4326")
    dx, dy = 0.0018, 0.0009  # ~100 m at 60° N
    for r in range(n):
        for c in range(n):
            G.add_node(r * n + c, x=24.8 + c * dx, y=60.1 + r * dy)
    for r in range(n):
        for c in range(n):
            for r2, c2 in ((r + 1, c), (r, c + 1)):
                if r2 >= n or c2 >= n:
                    continue
                a, b = r * n + c, r2 * n + c2
                line = LineString([(G.nodes[a]["x"], G.nodes[a]["y"]),
                                   (G.nodes[b]["x"], G.nodes[b]["y"])])  # fmt: skip
                length = float(rng.uniform(90, 110))
                for s, t, geom in ((a, b, line), (b, a, line.reverse())):
                    tt = float(rng.uniform(5, 30))
                    G.add_edge(s, t, length=length, travel_time=tt, geometry=geom,
                               speed_kph=length / tt * 3.6, name=f"street {min(a, b)}")  # fmt: skip
    return G


def random_sites(G: nx.MultiDiGraph, n: int, rng: np.random.Generator) -> gpd.GeoDataFrame:
    xs = np.array([d["x"] for _, d in G.nodes(data=True)])
    ys = np.array([d["y"] for _, d in G.nodes(data=True)])
    lon, lat = rng.uniform(xs.min(), xs.max(), n), rng.uniform(ys.min(), ys.max(), n)
    pts = [Point(x, y) for x, y in zip(lon, lat, strict=True)]
    return gpd.GeoDataFrame({"site_id": [f"S{i:04d}" for i in range(n)]}, geometry=pts,
                            crs="EPSG:4326")  # fmt: skip


def networkx_matrix(G: nx.MultiDiGraph, snapped: gpd.GeoDataFrame) -> tuple[np.ndarray, ...]:
    """Baseline: single_source_dijkstra from every departure node of every site."""
    rows = list(snapped.itertuples(index=False))
    n = len(rows)
    deps, arrs = [], []
    for r in rows:
        u, v, k, f = r.u, r.v, r.key, r.edge_offset
        e = G.edges[u, v, k]
        dep = [(v, (1 - f) * e["travel_time"], (1 - f) * e["length"])]
        arr = [(u, f * e["travel_time"], f * e["length"])]
        twin = reverse_key(G, u, v, k)
        if twin is not None:
            t = G.edges[v, u, twin]
            dep.append((u, f * t["travel_time"], f * t["length"]))
            arr.append((v, (1 - f) * t["travel_time"], (1 - f) * t["length"]))
        deps.append(dep)
        arrs.append((arr, twin))
    dur = np.full((n, n), np.inf)
    dist = np.full((n, n), np.inf)
    for i in range(n):
        for a, ca, la in deps[i]:
            pred, times = nx.dijkstra_predecessor_and_distance(G, a, weight="travel_time")
            lengths = {a: 0.0}
            for node in times:  # settle order: a predecessor comes before its successors
                if node != a:
                    p = pred[node][0]
                    edge = min(G[p][node].values(), key=lambda d: d["travel_time"])
                    lengths[node] = lengths[p] + edge["length"]
            for j in range(n):
                for b, cb, lb in arrs[j][0]:
                    if b in times and ca + times[b] + cb < dur[i, j]:
                        dur[i, j], dist[i, j] = ca + times[b] + cb, la + lengths[b] + lb
        for j in range(n):  # both on the same edge: drive along it
            ri, rj = rows[i], rows[j]
            if (ri.u, ri.v, ri.key) != (rj.u, rj.v, rj.key):
                continue
            if rj.edge_offset >= ri.edge_offset:
                e, frac = G.edges[ri.u, ri.v, ri.key], rj.edge_offset - ri.edge_offset
            elif arrs[i][1] is not None:
                e, frac = G.edges[ri.v, ri.u, arrs[i][1]], ri.edge_offset - rj.edge_offset
            else:
                continue
            if frac * e["travel_time"] < dur[i, j]:
                dur[i, j], dist[i, j] = frac * e["travel_time"], frac * e["length"]
    np.fill_diagonal(dur, 0.0)
    np.fill_diagonal(dist, 0.0)
    return dur, dist


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    repeats = int(argv[0]) if argv else 1
    logging.basicConfig(level=logging.WARNING)
    graphs = {"sample": geodata.load_network("sample"), "grid150": grid_graph()}
    rng = np.random.default_rng(SEED)
    header = f"{'sites':>6} {'graph':>8} {'nodes':>6} {'networkx s':>11} {'ours s':>8} " \
             f"{'speed-up':>9} {'max |dt| s':>11} {'max |dd| m':>11}"  # fmt: skip
    print(f"travel matrix benchmark, median of {repeats} run(s)")
    print(header)
    print("-" * len(header))
    for n in SIZES:
        for name, G in graphs.items():
            snapped = geodata.snap_sites(G, random_sites(G, n, rng), max_snap_m=1e6)
            t_nx, t_ours = [], []
            for _ in range(repeats):
                t0 = time.perf_counter()
                ref_dur, ref_dist = networkx_matrix(G, snapped)
                t1 = time.perf_counter()
                tm = geodata.travel_matrix(G, snapped)
                t2 = time.perf_counter()
                t_nx.append(t1 - t0)
                t_ours.append(t2 - t1)
            fin = np.isfinite(ref_dur)
            same_inf = bool((fin == np.isfinite(tm.duration_s)).all())
            d_dur = float(np.abs(ref_dur[fin] - tm.duration_s[fin]).max()) if same_inf else np.inf
            d_dist = float(np.abs(ref_dist[fin] - tm.distance_m[fin]).max()) if same_inf else np.inf
            a, b = statistics.median(t_nx), statistics.median(t_ours)
            print(f"{n:>6} {name:>8} {len(G):>6} {a:>11.3f} {b:>8.3f} {a / b:>8.1f}x "
                  f"{d_dur:>11.2e} {d_dist:>11.2e}", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
