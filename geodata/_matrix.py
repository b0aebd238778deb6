"""Site-to-site travel matrices and street paths on demand.

Costs account for where on its edge each site lies: from a site at fraction ``f`` of edge
``(u, v)`` the truck leaves forward to ``v`` at ``(1 - f) * tt(u, v)`` or, on a two-way
street, backward to ``u`` at ``f * tt(v, u)``; it arrives the same way. Two sites on the
same edge drive directly along it when the direction allows.

A site within 1.5 m of a node is at the node, reached along every street into it. With
turn restrictions on the graph the search is edge-based (:mod:`geodata._graphs`,
:mod:`geodata._turns`), else node by node. Times and the lengths along the fastest paths
come from one :func:`scipy.sparse.csgraph.dijkstra` run over the distinct departure
vertices, on the core of the graph (:mod:`geodata._contract`) and shared between processes
when large (:mod:`geodata._search`); its predecessors are kept for
:meth:`TravelMatrix.path`, which draws the same paths (legs, names, coordinates).
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
from shapely.geometry import LineString
from shapely.ops import substring

from ._errors import GeodataError
from ._graphs import Option, build_search_graph
from ._search import Packing, Paths, arrival_search, default_workers
from ._snap import reverse_key
from ._turns import banned_turns, restriction_via_nodes

__all__ = ["PathLeg", "StreetPath", "TravelMatrix", "travel_matrix"]

logger = logging.getLogger(__name__)

EPSILON = 1e-9  # s, guards divisions by zero travel times
_BLOCK = 256  # rows per block when assembling the matrix (bounds temporary memory)

Coord = tuple[float, float]
_EdgeRow = tuple[int, int, float, float, float, float, bool]  # see _site_edges


@dataclass(frozen=True, slots=True)
class PathLeg:
    """One traversed edge (or part of one at either end) of a :class:`StreetPath`.

    Parameters
    ----------
    name
        Street name, ``""`` when unnamed.
    length_m
        Length driven on this edge in m.
    travel_time_s
        Time driven on this edge in s.
    coords
        (lon, lat) points along the edge, EPSG:4326.
    """

    name: str
    length_m: float
    travel_time_s: float
    coords: tuple[Coord, ...]

    def __post_init__(self) -> None:
        if self.length_m < 0 or self.travel_time_s < 0:
            raise GeodataError(
                f"PathLeg needs length_m and travel_time_s >= 0, got "
                f"{self.length_m!r} m and {self.travel_time_s!r} s"
            )


@dataclass(frozen=True, slots=True)
class StreetPath:
    """The street route from one site to another.

    Parameters
    ----------
    from_id, to_id
        Site ids.
    nodes
        Graph node ids traversed, in order (empty when both sites share an edge).
    coords
        (lon, lat) points from the snapped point of ``from_id`` to that of ``to_id``.
    legs
        One :class:`PathLeg` per traversed edge, partial edges at both ends included.
    """

    from_id: str
    to_id: str
    nodes: tuple[Any, ...]
    coords: tuple[Coord, ...]
    legs: tuple[PathLeg, ...]

    @property
    def distance_m(self) -> float:
        """Length of the path in m (equals the matrix entry)."""
        return math.fsum(leg.length_m for leg in self.legs)

    @property
    def duration_s(self) -> float:
        """Driving time of the path in s (equals the matrix entry)."""
        return math.fsum(leg.travel_time_s for leg in self.legs)


@dataclass(frozen=True, slots=True)
class _Context:
    """What :meth:`TravelMatrix.path` needs; kept out of repr and comparisons."""

    G: nx.MultiDiGraph
    weight: str
    nodes: list[Any]
    edge_based: bool
    edges: tuple[np.ndarray, np.ndarray, list[Any]]  # tail index, head index, key per edge
    paths: Paths  # the search's shortest-path trees, one per departure vertex
    departures: list[list[Option]]
    arrivals: list[list[Option]]
    sites: list[dict[str, Any] | None]  # per site: edge, offset, twin, snapped point
    choice: np.ndarray  # (n, n) int8: 0..3 = departure*2 + arrival option, 4 = same edge


@dataclass(frozen=True, slots=True)
class TravelMatrix:
    """Travel times and distances between snapped sites.

    Parameters
    ----------
    site_ids
        Site ids in the order of the snapped frame's rows (unreachable sites included).
    duration_s
        (n, n) float array of driving times in s; ``np.inf`` where no path exists,
        0 on the diagonal.
    distance_m
        (n, n) float array of lengths in m along the time-shortest paths.
    """

    site_ids: tuple[str, ...]
    duration_s: np.ndarray
    distance_m: np.ndarray
    _context: _Context | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = len(self.site_ids)
        for name in ("duration_s", "distance_m"):
            shape = getattr(self, name).shape
            if shape != (n, n):
                raise GeodataError(f"TravelMatrix.{name} must be ({n}, {n}), got {shape}")
        if len(set(self.site_ids)) != n:
            raise GeodataError("TravelMatrix.site_ids must be unique")
        for arr in (self.duration_s, self.distance_m):
            arr.setflags(write=False)

    def index(self, site_id: str) -> int:
        """Return the row/column of ``site_id``; raise :class:`GeodataError` if unknown."""
        try:
            return self.site_ids.index(site_id)
        except ValueError:
            raise GeodataError(f"unknown site_id {site_id!r}; not in this matrix") from None

    def unreachable_pairs(self) -> list[tuple[str, str]]:
        """Return every ordered pair ``(from_id, to_id)`` with no path (``inf`` time)."""
        rows, cols = np.nonzero(~np.isfinite(self.duration_s))
        return [(self.site_ids[i], self.site_ids[j]) for i, j in zip(rows, cols, strict=True)]

    def path(self, from_id: str, to_id: str) -> StreetPath:
        """Return the street path behind ``duration_s[from, to]``.

        Uses the predecessors kept from the matrix run; no new shortest-path search.

        Raises
        ------
        GeodataError
            If a site is unknown or no path exists.
        """
        i, j = self.index(from_id), self.index(to_id)
        ctx = self._context
        if ctx is None:
            raise GeodataError("this TravelMatrix was built without path data")
        if not np.isfinite(self.duration_s[i, j]):
            raise GeodataError(
                f"no street path from {from_id!r} to {to_id!r}; see "
                "unreachable_pairs() and the snapped sites' unreachable_reason"
            )
        return _build_path(ctx, i, j, from_id, to_id)


def travel_matrix(
    G: nx.MultiDiGraph, snapped: gpd.GeoDataFrame, *, weight: str = "travel_time",
    turn_restrictions: bool = True, workers: int | None = None,
) -> TravelMatrix:  # fmt: skip
    """Compute site-to-site travel times (s) and distances (m).

    Parameters
    ----------
    G
        Street graph from :func:`load_network` (the one the sites were snapped to).
    snapped
        Output of :func:`snap_sites`; all rows are kept, unreachable ones get ``inf``.
    weight
        Edge attribute minimised (default ``travel_time`` in s). ``distance_m`` is the
        ``length`` along the minimising paths.
    turn_restrictions
        Honour ``G.graph["turn_restrictions"]`` (an edge-based search, U-turns per
        ``G.graph["uturn_penalty_s"]``); False searches node by node, ignoring them.
    workers
        Processes for the search (and threads for assembling the matrix); default the
        CPUs this process may use, at most 4 (:mod:`geodata._search`).

    Returns
    -------
    TravelMatrix
        Matrices in the order of ``snapped`` rows, with paths on demand. Times and
        lengths are exact to within 31 µs and 8 mm per street segment (see
        :mod:`geodata._search`).

    Raises
    ------
    GeodataError
        If columns are missing, ids duplicate, or an edge lacks ``weight``/``length``.

    Examples
    --------
    >>> import geodata
    >>> G = geodata.load_network("sample")
    >>> snapped = geodata.snap_sites(G, geodata.read_sites(geodata.SAMPLE_SITES))
    >>> tm = geodata.travel_matrix(G, snapped)
    >>> tm.duration_s.shape == (len(snapped), len(snapped))
    True
    """
    start = time.perf_counter()
    missing = [c for c in ("site_id", "u", "v", "key", "edge_offset", "reachable")
               if c not in snapped.columns]  # fmt: skip
    if missing:
        raise GeodataError(f"snapped sites lack columns {missing}; run geodata.snap_sites first")
    ids = tuple(str(s) for s in snapped["site_id"])
    n = len(ids)
    nodes = list(G.nodes)
    index = {node: i for i, node in enumerate(nodes)}
    ua, va, wa, la, keys = _edge_arrays(G, weight, index)
    banned: set[tuple[int, int]] = set()
    if turn_restrictions and G.graph.get("turn_restrictions"):
        epos = {(nodes[u], nodes[v], k): e
                for e, (u, v, k) in enumerate(zip(ua.tolist(), va.tolist(), keys, strict=True))}
        banned = banned_turns(G, epos)
    sites, group, edge_data = _site_edges(G, weight, snapped, index)
    g = build_search_graph(nodes, ua, va, wa, la, keys, sites, banned=banned,
                           via_nodes=restriction_via_nodes(G) if banned else set(),
                           uturn_penalty_s=G.graph.get("uturn_penalty_s"))  # fmt: skip
    t_build = time.perf_counter()

    dep_v, dep_c, dep_l = _option_arrays(g.departures, n)
    arrivals = _option_arrays(g.arrivals, n)
    src = np.unique(dep_v[dep_v >= 0])
    speeds = la / np.maximum(wa, EPSILON)
    # per source and site: the better of the site's two arrivals, reduced as it is searched
    at, ab, paths, packing = arrival_search(
        g.tails, g.heads, g.t, g.length, g.n_vertices, src, arrivals,
        max_speed_ms=float(speeds.max(initial=1.0)), workers=workers,
    )  # fmt: skip
    t_search = time.perf_counter()
    srow = np.searchsorted(src, np.maximum(dep_v, 0))
    workers = workers or default_workers()
    duration, distance, choice = _assemble(at, ab, packing, srow, dep_c, dep_l, workers)
    del at, ab
    _same_edge(sites, group, edge_data, duration, distance, choice)
    distance[~np.isfinite(duration)] = np.inf
    np.fill_diagonal(duration, 0.0)
    np.fill_diagonal(distance, 0.0)
    ctx = _Context(G=G, weight=weight, nodes=nodes, edge_based=g.edge_based,
                   edges=(ua, va, keys), paths=paths,
                   departures=g.departures, arrivals=g.arrivals, sites=sites,
                   choice=choice)  # fmt: skip
    n_bad = int((~np.isfinite(duration)).sum())
    logger.info(
        "travel matrix %dx%d, %s search on %d vertices (%d banned turns, %d junction "
        "sites): graph %.3f s, dijkstra from %d sources %.3f s, total %.3f s, "
        "%d unreachable pairs",
        n, n, "edge-based" if g.edge_based else "node-based", g.n_vertices, len(banned),
        g.junctions, t_build - start, len(src), t_search - t_build,
        time.perf_counter() - start, n_bad,
    )  # fmt: skip
    if g.edge_based and n_bad:
        _warn_cut_off(ids, sites, duration, G.graph.get("uturn_penalty_s"))
    return TravelMatrix(site_ids=ids, duration_s=duration, distance_m=distance, _context=ctx)


def _warn_cut_off(ids: tuple[str, ...], sites: list[dict[str, Any] | None],
                  duration: np.ndarray, uturn_penalty_s: float | None) -> None:  # fmt: skip
    """Name the snapped sites that turn rules leave no way to (or from) any other site."""
    live = np.array([s is not None for s in sites])
    if live.sum() < 2:
        return
    fin = np.isfinite(duration) & live[:, None] & live[None, :]
    np.fill_diagonal(fin, False)
    cut = np.flatnonzero(live & ~(fin.any(axis=0) & fin.any(axis=1)))
    if len(cut):
        hint = ("; a TruckProfile with uturn_penalty_s (e.g. 60) allows U-turns at junctions"
                if uturn_penalty_s is None else "")  # fmt: skip
        logger.warning(
            "%d site(s) cannot be reached or left within the turn restrictions and the "
            "U-turn rule: %s%s", len(cut), ", ".join(ids[i] for i in cut[:10]), hint,
        )  # fmt: skip


def _option_arrays(
    options: list[list[Option]], n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vertex (-1 for none), time (s, inf for none) and length (m) of two options a site."""
    vert = np.full((n, 2), -1, dtype=np.int64)
    cost = np.full((n, 2), np.inf)
    length = np.full((n, 2), np.inf)
    for i, opts in enumerate(options):
        for a, o in enumerate(opts):
            vert[i, a], cost[i, a], length[i, a] = o.vertex, o.cost, o.length
    return vert, cost, length


def _assemble(
    at: np.ndarray, ab: np.ndarray, packing: Packing, srow: np.ndarray, dep_c: np.ndarray,
    dep_l: np.ndarray, workers: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Times, lengths and choices (departure * 2 + arrival option) of every site pair.

    Site ``i`` leaves by the better of its departures ``a`` (search row ``srow[i, a]``,
    packed cost ``dep[i, a]``; ties to the first); each block of rows is unpacked at once,
    on threads.
    """
    n = len(srow)
    dep = packing.pack(dep_c, dep_l)
    duration = np.empty((n, n))
    distance = np.empty((n, n))
    choice = np.empty((n, n), dtype=np.int8)

    def block(lo: int) -> None:
        rows = slice(lo, min(lo + _BLOCK, n))
        r0, r1 = srow[rows, 0], srow[rows, 1]
        best = at[r0]
        best += dep[rows, 0, None]
        pick = ab[r0]
        if np.isfinite(dep[rows, 1]).any():
            c1 = at[r1]
            c1 += dep[rows, 1, None]
            better = c1 < best
            np.minimum(best, c1, out=best)
            pick = np.where(better, ab[r1] + 2, pick)
        pick *= np.isfinite(best)  # 0 where there is no way at all
        choice[rows] = pick
        duration[rows], distance[rows] = packing.unpack(best, inplace=True)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(block, range(0, n, _BLOCK)))
    return duration, distance, choice


def _edge_arrays(
    G: nx.MultiDiGraph, weight: str, index: dict[Any, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[Any]]:
    """Every edge of ``G`` as arrays: tail and head node index, weight, length; and keys."""
    edges = list(G.edges(keys=True, data=True))
    try:
        ws = [float(d[weight]) for _, _, _, d in edges]
        ls = [float(d["length"]) for _, _, _, d in edges]
    except KeyError:
        u, v, k, name = next(
            (u, v, k, a) for u, v, k, d in edges for a in (weight, "length") if a not in d
        )  # first edge lacking an attribute, as before
        raise GeodataError(f"edge ({u}, {v}, {k}) has no {name!r}; "
                           "load the graph with geodata.load_network") from None  # fmt: skip
    ua = np.fromiter((index[e[0]] for e in edges), dtype=np.int64, count=len(edges))
    va = np.fromiter((index[e[1]] for e in edges), dtype=np.int64, count=len(edges))
    return ua, va, np.asarray(ws, dtype=float), np.asarray(ls, dtype=float), [e[2] for e in edges]


def _site_edges(
    G: nx.MultiDiGraph, weight: str, snapped: gpd.GeoDataFrame, index: dict[Any, int]
) -> tuple[list[dict[str, Any] | None], np.ndarray, list[_EdgeRow]]:
    """Per-site records, the snapped edge of each site and that edge's data, once per edge.

    ``group[i]`` indexes ``edge_data`` (-1 for unreachable sites), whose rows are
    ``(u index, v index, weight, length, reverse weight, reverse length, two-way)``, the
    reverse values 0 on a one-way street.
    """
    cols = [snapped[c].tolist() for c in ("u", "v", "key", "edge_offset", "reachable")]
    xs = snapped["snap_x"].tolist() if "snap_x" in snapped.columns else [math.nan] * len(cols[0])
    ys = snapped["snap_y"].tolist() if "snap_y" in snapped.columns else [math.nan] * len(cols[0])
    sites: list[dict[str, Any] | None] = []
    group = np.full(len(cols[0]), -1, dtype=np.int64)
    seen: dict[tuple[Any, Any, Any], tuple[int, Any]] = {}
    edge_data: list[_EdgeRow] = []
    for i, (u, v, k, f, ok, x, y) in enumerate(zip(*cols, xs, ys, strict=True)):
        if not bool(ok):
            sites.append(None)
            continue
        hit = seen.get((u, v, k))
        if hit is None:
            fwd = G.edges[u, v, k]
            twin = reverse_key(G, u, v, k)
            tr = lr = 0.0
            if twin is not None:
                rev = G.edges[v, u, twin]
                tr, lr = float(rev[weight]), float(rev["length"])
            hit = seen[(u, v, k)] = (len(edge_data), twin)
            tf, lf = float(fwd[weight]), float(fwd["length"])
            edge_data.append((index[u], index[v], tf, lf, tr, lr, twin is not None))
        group[i] = hit[0]
        sites.append({"u": u, "v": v, "key": k, "f": float(f), "twin": hit[1],
                      "point": (float(x), float(y))})  # fmt: skip
    return sites, group, edge_data


def _same_edge(
    sites: list[dict[str, Any] | None], group: np.ndarray,
    edge_data: list[_EdgeRow],
    duration: np.ndarray, distance: np.ndarray, choice: np.ndarray,
) -> None:  # fmt: skip
    """Drive directly between sites on the same edge where that is faster (in place)."""
    i, j = _pairs_within(group)
    if not len(i):
        return
    f = np.array([s["f"] if s is not None else math.nan for s in sites])
    _, _, tf, lf, tr, lr, two = (np.asarray(c)[group[i]] for c in zip(*edge_data, strict=True))
    fi, fj = f[i], f[j]
    ahead = fj >= fi
    with np.errstate(invalid="ignore"):  # 0 * inf is nan, as in plain Python floats
        cost = np.where(ahead, (fj - fi) * tf, np.where(two, (fi - fj) * tr, np.inf))
        dist = np.where(ahead, (fj - fi) * lf, np.where(two, (fi - fj) * lr, np.inf))
    better = cost < duration[i, j]
    i, j = i[better], j[better]
    duration[i, j], distance[i, j], choice[i, j] = cost[better], dist[better], 4


def _pairs_within(group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All pairs ``(i, j)`` (``i == j`` included) with ``group[i] == group[j] >= 0``."""
    members = np.flatnonzero(group >= 0)
    members = members[np.argsort(group[members], kind="stable")]
    g = group[members]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]]) if len(g) else np.empty(0, int)
    sizes = np.diff(np.r_[starts, len(g)])
    size_of, start_of = np.repeat(sizes, sizes), np.repeat(starts, sizes)  # per member
    first = np.cumsum(size_of) - size_of  # where each member's pairs begin
    step = np.arange(int(size_of.sum())) - np.repeat(first, size_of)
    return np.repeat(members, size_of), members[np.repeat(start_of, size_of) + step]


def _edge_leg(
    G: nx.MultiDiGraph, weight: str, u: Any, v: Any, k: Any, f0: float, f1: float
) -> PathLeg:
    """Leg along edge (u, v, k) from fraction f0 to f1 (0 = at u)."""
    data = G.edges[u, v, k]
    geom = data.get("geometry")
    if not isinstance(geom, LineString):
        geom = LineString([(G.nodes[u]["x"], G.nodes[u]["y"]), (G.nodes[v]["x"], G.nodes[v]["y"])])
    if (f0, f1) != (0.0, 1.0):
        part = substring(geom, f0, f1, normalized=True)
        geom = part if isinstance(part, LineString) else LineString([part.coords[0]] * 2)
    return PathLeg(
        name=str(data.get("name") or ""),
        length_m=(f1 - f0) * float(data["length"]),
        travel_time_s=(f1 - f0) * float(data[weight]),
        coords=tuple((float(x), float(y)) for x, y, *_ in geom.coords),
    )


def _build_path(ctx: _Context, i: int, j: int, from_id: str, to_id: str) -> StreetPath:
    G, w = ctx.G, ctx.weight
    si, sj = ctx.sites[i], ctx.sites[j]
    if i == j or si is None or sj is None:
        point = si["point"] if si is not None else (math.nan, math.nan)
        return StreetPath(from_id, to_id, (), (point, point), ())
    c = int(ctx.choice[i, j])
    legs: list[PathLeg] = []
    node_path: list[Any] = []
    if c == 4:
        if sj["f"] >= si["f"]:
            legs.append(_edge_leg(G, w, si["u"], si["v"], si["key"], si["f"], sj["f"]))
        else:
            legs.append(_edge_leg(G, w, si["v"], si["u"], si["twin"], 1 - si["f"], 1 - sj["f"]))
    else:
        a, b = divmod(c, 2)
        dep, arr = ctx.departures[i][a], ctx.arrivals[j][b]
        chain = ctx.paths.chain(dep.vertex, arr.vertex)
        if dep.leg is not None:
            legs.append(_edge_leg(G, w, *dep.leg))
        ua, va, keys = ctx.edges
        if ctx.edge_based:  # vertices are street segments; the ends are the options' own
            full = [e for e in chain[1:-1] if e < len(ua)]
            node_path = [ctx.nodes[int(ua[full[0]])]] if full else []
            node_path += [ctx.nodes[int(va[e])] for e in full]
            if not full:
                node_path = [dep.leg[1] if dep.leg else si["at_node"]]
            for e in full:
                legs.append(_edge_leg(G, w, ctx.nodes[int(ua[e])], ctx.nodes[int(va[e])],
                                      keys[e], 0.0, 1.0))  # fmt: skip
        else:
            node_path = [ctx.nodes[x] for x in chain]
            for p, q in itertools.pairwise(node_path):
                legs.append(_edge_leg(G, w, p, q, _fastest_key(G, w, p, q), 0.0, 1.0))
        if arr.leg is not None:
            legs.append(_edge_leg(G, w, *arr.leg))
    legs = [leg for leg in legs if leg.length_m > 0 or leg.travel_time_s > 0]
    coords: list[Coord] = [si["point"]]
    for leg in legs:
        pts = list(leg.coords)
        coords.extend(pts[1:] if pts and pts[0] == coords[-1] else pts)
    coords.append(sj["point"])
    coords = [p for n, p in enumerate(coords) if n == 0 or p != coords[n - 1]]
    if len(coords) == 1:
        coords.append(coords[0])
    return StreetPath(from_id, to_id, tuple(node_path), tuple(coords), tuple(legs))


def _fastest_key(G: nx.MultiDiGraph, weight: str, p: Any, q: Any) -> Any:
    """Key of the parallel edge ``p -> q`` the node-based search drove (fastest, shorter)."""
    return min(G[p][q].items(), key=lambda kv: (kv[1][weight], kv[1]["length"]))[0]
