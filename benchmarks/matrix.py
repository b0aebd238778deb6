"""Travel-matrix benchmark: networkx single_source_dijkstra per site vs geodata.travel_matrix.

Usage: ``python benchmarks/matrix.py [--repeats N] [--full] [--sample-sources N]``. Prints
one table with the median time of each method over the repeats (default 3), the speed-up
ratio and the largest absolute difference between the two results (durations in s and
distances in m). Turn restrictions are left out here (networkx knows none); sites at a
junction are at its node in both. The baseline runs ``nx.single_source_dijkstra`` (times
and paths) from each departure node of each site and sums edge lengths along the paths.
On the 800-site grid row it runs from a random sample of sources (``--sample-sources``,
default 50) and its time is scaled by ``sites / sources`` (labelled in the table; values
are compared on the sampled rows); ``--full`` runs every source there too (~15 min per
repeat).

``--ch [NETWORK.osm.pbf]`` instead compares search engines on a real network (default
``../shared/cities/heidelberg.osm.pbf``) for ``--ch-sizes`` random sources x targets, on
the node graph and on the edge-based graph of turns: scipy's csgraph Dijkstra (times only,
one thread), ours (``geodata._search.packed_search``: times, lengths and predecessors,
on the graph's core, shared between processes) and the customizable contraction
hierarchies of ``pyroutingkit`` and ``routingkit-cch`` (integer weights in ms; times only:
build, customise, many-to-many), with the largest difference in s from scipy's times.

``--city [NETWORK.osm.pbf]`` times ``geodata.travel_matrix`` itself on a real network at
``--city-sizes`` random sites (``benchmarks/_city.py``, seed 0), with turn restrictions
(edge-based) and without (node-based), side by side in one run: the search on the whole
graph (the baseline) against the search on its core (``geodata._contract``), in one
process and shared between processes (``workers`` = the CPUs, at most 4), with the wall
and CPU seconds (children included), the peak RSS of each and whether all agree exactly.
"""

from __future__ import annotations

import argparse
import functools
import gc
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
from geodata._graphs import JUNCTION_M
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
        at = u if f * e["length"] <= JUNCTION_M else v if (1 - f) * e["length"] <= JUNCTION_M \
            else None  # a site at a junction leaves and is reached along every street
        if at is not None:
            deps.append([(at, 0.0, 0.0)])
            arrs.append(([(at, 0.0, 0.0)], reverse_key(G, u, v, k)))
            continue
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


def _search_graphs(G: nx.MultiDiGraph) -> dict[str, tuple]:
    """(tails, heads, time s, length m, vertices, x, y) of the node and edge-based graphs."""
    from geodata._graphs import build_search_graph
    from geodata._matrix import _edge_arrays
    from geodata._turns import banned_turns

    nodes = list(G.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    ua, va, wa, la, keys = _edge_arrays(G, "travel_time", index)
    xs = np.array([G.nodes[n]["x"] for n in nodes])
    ys = np.array([G.nodes[n]["y"] for n in nodes])
    out = {}
    epos = {(nodes[u], nodes[v], k): e
            for e, (u, v, k) in enumerate(zip(ua.tolist(), va.tolist(), keys, strict=True))}
    for name, banned in (("node", set()), ("edge", banned_turns(G, epos) or {(-1, -1)})):
        g = build_search_graph(nodes, ua, va, wa, la, keys, [], banned=banned, via_nodes=set(),
                               uturn_penalty_s=G.graph.get("uturn_penalty_s"))  # fmt: skip
        if name == "node":
            vx, vy = xs, ys
        else:  # a segment's vertex at its middle
            vx, vy = (xs[ua] + xs[va]) / 2, (ys[ua] + ys[va]) / 2
        out[name] = (g.tails, g.heads, g.t, g.length, g.n_vertices, vx, vy)
    return out


def _engines(ti, tj, t, length, n, vx, vy, pick) -> dict[str, tuple]:
    """(build, query) callables per engine, each query giving times (s) pick x pick."""
    from scipy.sparse.csgraph import dijkstra

    from geodata._search import Packing, csr_from_arcs, packed_search

    csr = csr_from_arcs(ti, tj, t, n)
    wi = np.minimum(np.rint(t * 1000), 2**31).astype(np.uint32)  # ms
    out = {
        "scipy": (lambda: None, lambda _: dijkstra(csr, directed=True, indices=pick)[:, pick]),
        "ours (+m, paths)": (lambda: None, lambda _: Packing().unpack(packed_search(
            ti, tj, t, length, n, pick, pick, max_speed_ms=40.0)[0])[0]),
    }  # fmt: skip
    try:
        import pyroutingkit

        def prk_build():
            c = pyroutingkit.CCH()
            c.build_topology(ti.astype(np.uint32), tj.astype(np.uint32),
                             vy.astype(np.float32), vx.astype(np.float32), node_count=n)
            c.customize_weights(wi)
            return c

        def prk_query(c):
            p32 = pick.astype(np.uint32)
            m = np.asarray(c.distances_many_to_many(p32, p32), dtype=float)
            m[m >= pyroutingkit.INF_WEIGHT] = np.inf
            return m / 1000

        out["pyroutingkit"] = (prk_build, prk_query)
    except ImportError:
        print("  (pyroutingkit not installed: pip install pyroutingkit)")
    try:
        import routingkit_cch as rk

        def rk_build():
            order = rk.compute_order_inertial(n, ti.tolist(), tj.tolist(), vy.tolist(),
                                              vx.tolist())  # fmt: skip
            return rk.CCHMetric(rk.CCH(order, ti.tolist(), tj.tolist(), False), wi.tolist())

        def rk_query(metric):
            otm = rk.CCHOneToMany(metric, pick.tolist())
            rows = [otm.distances_from(int(s)) for s in pick]
            return np.array([[np.inf if d is None else d / 1000 for d in r] for r in rows])

        out["routingkit-cch"] = (rk_build, rk_query)
    except ImportError:
        print("  (routingkit-cch not installed: pip install routingkit-cch)")
    return out


def ch_comparison(network: Path, sizes: list[int], repeats: int) -> None:
    """Time scipy, ours and two CCH libraries for many-to-many times on ``network``."""
    G = geodata.load_network(network)
    print(f"search engines on {network.name}, median of {repeats} run(s); "
          "max |dt| against scipy")
    header = (f"{'graph':>5} {'vertices':>8} {'sources':>8} {'engine':>17} {'build s':>8} "
              f"{'query s':>8} {'max |dt| s':>10}  gives")  # fmt: skip
    print(header)
    print("-" * len(header))
    rng = np.random.default_rng(SEED)
    for gname, (ti, tj, t, length, n, vx, vy) in _search_graphs(G).items():
        for size in sizes:
            pick = np.sort(rng.choice(n, size=min(size, n), replace=False))
            ref = None
            for name, (build, query) in _engines(ti, tj, t, length, n, vx, vy, pick).items():
                times = []
                for _ in range(repeats):
                    t0 = time.perf_counter()
                    state = build()
                    t1 = time.perf_counter()
                    got = query(state)
                    times.append((t1 - t0, time.perf_counter() - t1))
                ref = got if ref is None else ref
                fin = np.isfinite(ref)
                same = bool((np.isfinite(got) == fin).all())
                dt = float(np.abs(got[fin] - ref[fin]).max(initial=0)) if same else np.inf
                gives = "times, lengths, paths" if name.startswith("ours") else "times"
                print(f"{gname:>5} {n:>8} {len(pick):>8} {name:>17} "
                      f"{statistics.median(x[0] for x in times):>8.3f} "
                      f"{statistics.median(x[1] for x in times):>8.3f} {dt:>10.1e}  {gives}",
                      flush=True)  # fmt: skip


def city_matrix(network: Path, sizes: list[int], repeats: int) -> None:
    """Median wall seconds of travel_matrix: the whole graph against its core, one search
    process against several, with the peak memory of each."""
    import _city
    import city

    from geodata import _search

    G = geodata.load_network(network)
    many = _search.default_workers()
    growth = _search.GROWTH
    print(f"travel_matrix on {network.name} ({len(G)} nodes), median of {repeats} run(s); "
          f"shared: {many} processes; core: contraction growth {growth}")  # fmt: skip
    header = (f"{'sites':>6} {'search':>10} {'whole s':>8} {'core 1p s':>10} "
              f"{'core s':>7} {'ratio':>6} {'cpu s':>6} {'MB whole':>9} {'MB core':>8} "
              f"{'same':>5}")  # fmt: skip
    print(header)
    print("-" * len(header))
    runs = {"whole": (None, many), "core 1p": (growth, 1), "core": (growth, many)}
    try:
        for n in sizes:
            snapped = geodata.snap_sites(G, _city.city_sites(G, n, seed=0))
            for turns in (True, False):
                walls: dict[str, list[float]] = {k: [] for k in runs}
                peaks: dict[str, list[float]] = {k: [] for k in runs}
                cpu: list[float] = []
                first: dict[str, np.ndarray] = {}
                same = True
                for _ in range(repeats):
                    for name, (g, w) in runs.items():
                        _search.GROWTH = g
                        gc.collect()
                        c0 = _cpu()
                        phases: list[city.Phase] = []
                        call = functools.partial(geodata.travel_matrix, G, snapped,
                                                 turn_restrictions=turns, workers=w)
                        tm = city.measure(name, call, phases)
                        if tm is None:
                            raise RuntimeError(phases[0].note)
                        walls[name].append(phases[0].seconds)
                        peaks[name].append(phases[0].peak_mb)
                        if name == "core":
                            cpu.append(_cpu() - c0)
                        got = {"t": tm.duration_s, "d": tm.distance_m}
                        first = first or got
                        same &= all(np.array_equal(first[k], got[k]) for k in got)
                        del tm, got
                first.clear()
                med = {k: statistics.median(v) for k, v in walls.items()}
                kind = "edge-based" if turns else "node-based"
                print(f"{len(snapped):>6} {kind:>10} {med['whole']:>8.2f} {med['core 1p']:>10.2f} "
                      f"{med['core']:>7.2f} {med['whole'] / med['core']:>5.2f}x "
                      f"{statistics.median(cpu):>6.2f} {max(peaks['whole']):>9.0f} "
                      f"{max(peaks['core']):>8.0f} {same!s:>5}", flush=True)  # fmt: skip
    finally:
        _search.GROWTH = growth
    print("whole: the search on the whole graph, shared; core 1p: on its core in one process;"
          " core: shared (the default).\nratio whole / core; cpu s of the core run, children "
          "included; MB: the largest growth of this process's RSS during a call, sampled every "
          "10 ms (benchmarks/city.py's measure; the search children share its arrays)")  # fmt: skip


def _cpu() -> float:
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


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
    ap.add_argument("--ch", nargs="?", const=Path(__file__).resolve().parents[2] / "shared"
                    / "cities" / "heidelberg.osm.pbf", type=Path, metavar="NETWORK",
                    help="compare scipy, ours and CCH libraries on a real network")
    ap.add_argument("--ch-sizes", default="1000,3000", help="sources x targets for --ch")
    ap.add_argument("--city", nargs="?", const=Path(__file__).resolve().parents[2] / "shared"
                    / "cities" / "heidelberg.osm.pbf", type=Path, metavar="NETWORK",
                    help="time travel_matrix on a city, one search process against several")
    ap.add_argument("--city-sizes", default="1000,3000", help="site counts for --city")
    return ap.parse_args(argv)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING)
    if args.ch is not None:
        ch_comparison(args.ch, [int(x) for x in args.ch_sizes.split(",")], args.repeats)
        return 0
    if args.city is not None:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        city_matrix(args.city, [int(x) for x in args.city_sizes.split(",")], args.repeats)
        return 0
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
                tm = geodata.travel_matrix(G, snapped, turn_restrictions=False)
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
