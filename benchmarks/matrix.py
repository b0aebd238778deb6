"""Travel-matrix benchmark: networkx single_source_dijkstra per site vs geodata.travel_matrix.

Usage: ``python benchmarks/matrix.py [--repeats N] [--full] [--sample-sources N]``. Prints
one table with the median time of each method over the repeats (default 3), the speed-up
ratio and the largest absolute difference between the two results (durations in s and
distances in m). The baseline runs ``nx.single_source_dijkstra`` (times and paths) from
each departure node of each site and sums edge lengths along the paths. On the 800-site
grid row it runs from a random sample of sources (``--sample-sources``, default 50) and
its time is scaled by ``sites / sources`` (labelled in the table; values are compared on
the sampled rows); ``--full`` runs every source there too (~15 min per repeat).
"""

from __future__ import annotations

import argparse
import itertools
import logging
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
from shapely.geometry import LineString, Point

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


import geodata
from geodata._snap import reverse_key

SEED = 7
SIZES = (50, 200, 800)
SAMPLED = {("grid150", 800)}  # rows whose baseline runs on sampled sources


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


def _site_options(G: nx.MultiDiGraph, rows: list[Any]) -> tuple[list[Any], list[Any]]:
    """Departure and arrival options (node, time s, length m) of every site, and twins."""
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
    return deps, arrs


def _path_length(G: nx.MultiDiGraph, path: list[Any]) -> float:
    """Length (m) along ``path``, each hop on its fastest parallel edge (the one Dijkstra used)."""
    total = 0.0
    for p, q in itertools.pairwise(path):
        total += min(G[p][q].values(), key=lambda d: d["travel_time"])["length"]
    return total


def networkx_matrix(
    G: nx.MultiDiGraph, snapped: gpd.GeoDataFrame, sources: list[int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Baseline: ``nx.single_source_dijkstra`` (times and paths) per departure of each site.

    Distances are summed along the returned paths. Only the rows in ``sources`` (default:
    all) are computed; the other rows stay ``nan``.
    """
    rows = list(snapped.itertuples(index=False))
    n = len(rows)
    deps, arrs = _site_options(G, rows)
    dur = np.full((n, n), np.nan)
    dist = np.full((n, n), np.nan)
    for i in range(n) if sources is None else sources:
        dur[i], dist[i] = np.inf, np.inf
        best: dict[int, tuple[int, Any, float]] = {}  # j -> (departure, arrival node, m after)
        trees = []
        for d, (a, ca, _) in enumerate(deps[i]):
            times, paths = nx.single_source_dijkstra(G, a, weight="travel_time")
            trees.append(paths)
            for j in range(n):
                for b, cb, lb in arrs[j][0]:
                    if b in times and ca + times[b] + cb < dur[i, j]:
                        dur[i, j] = ca + times[b] + cb
                        best[j] = (d, b, lb)
        lengths: dict[tuple[int, Any], float] = {}  # each path summed once
        for j, (d, b, lb) in best.items():
            if (d, b) not in lengths:
                lengths[d, b] = _path_length(G, trees[d][b])
            dist[i, j] = deps[i][d][2] + lengths[d, b] + lb
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
        dur[i, i] = dist[i, i] = 0.0
    return dur, dist


def _parse(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3, help="runs per row; medians (default 3)")
    ap.add_argument(
        "--full",
        action="store_true",
        help="run the networkx baseline from every site on every row (slow)",
    )
    ap.add_argument(
        "--sample-sources",
        type=int,
        default=50,
        metavar="N",
        help="sources the baseline runs on the sampled rows (default 50)",
    )
    return ap.parse_args(argv)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING)
    graphs = {"sample": geodata.load_network("sample"), "grid150": grid_graph()}
    rng = np.random.default_rng(SEED)
    header = f"{'sites':>6} {'graph':>8} {'nodes':>6} {'networkx s':>11} {'ours s':>8} " \
             f"{'speed-up':>9} {'max |dt| s':>11} {'max |dd| m':>11}  note"  # fmt: skip
    print(f"travel matrix benchmark, median of {args.repeats} run(s)")
    print(header)
    print("-" * len(header))
    for n in SIZES:
        for name, G in graphs.items():
            snapped = geodata.snap_sites(G, random_sites(G, n, rng), max_snap_m=1e6)
            sources, note = None, ""
            if (name, n) in SAMPLED and not args.full and args.sample_sources < n:
                pick = np.random.default_rng(SEED).choice(n, args.sample_sources, replace=False)
                sources = sorted(int(i) for i in pick)
                note = f"networkx extrapolated from {len(sources)} sources"
            t_nx, t_ours = [], []
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                ref_dur, ref_dist = networkx_matrix(G, snapped, sources)
                t1 = time.perf_counter()
                tm = geodata.travel_matrix(G, snapped)
                t2 = time.perf_counter()
                t_nx.append((t1 - t0) * (n / len(sources) if sources else 1.0))
                t_ours.append(t2 - t1)
            rows = slice(None) if sources is None else sources
            ref_dur, ref_dist = ref_dur[rows], ref_dist[rows]
            dur, dist = tm.duration_s[rows], tm.distance_m[rows]
            fin = np.isfinite(ref_dur)
            same_inf = bool((fin == np.isfinite(dur)).all())
            d_dur = float(np.abs(ref_dur[fin] - dur[fin]).max(initial=0)) if same_inf else np.inf
            d_dist = float(np.abs(ref_dist[fin] - dist[fin]).max(initial=0)) if same_inf else np.inf
            a, b = statistics.median(t_nx), statistics.median(t_ours)
            print(f"{n:>6} {name:>8} {len(G):>6} {a:>11.3f} {b:>8.3f} {a / b:>8.1f}x "
                  f"{d_dur:>11.2e} {d_dist:>11.2e}  {note}", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
