"""Site-to-site travel matrices and street paths on demand.

Costs account for where on its edge each site lies: from a site at fraction ``f`` of edge
``(u, v)`` the truck leaves forward to ``v`` at ``(1 - f) * tt(u, v)`` or, on a two-way
street, backward to ``u`` at ``f * tt(v, u)``; it arrives the same way. Two sites on the
same edge drive directly along it when the direction allows.

Node-to-node times come from one :func:`scipy.sparse.csgraph.dijkstra` run over the
distinct departure nodes; distances (m) are measured along those time-shortest paths by
pointer doubling over the predecessor arrays, which are kept for :meth:`TravelMatrix.path`.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString
from shapely.ops import substring

from ._errors import GeodataError
from ._snap import reverse_key

__all__ = ["PathLeg", "StreetPath", "TravelMatrix", "travel_matrix"]

logger = logging.getLogger(__name__)

EPSILON = 1e-9  # weight of zero-cost edges, which sparse matrices would otherwise drop
_CHUNK = 256  # sources per pointer-doubling block (bounds memory to ~100 MB)

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
    node_index: dict[Any, int]
    pred: np.ndarray  # (sources, nodes) scipy predecessors
    source_row: dict[int, int]  # node index -> row of pred
    best_key: dict[tuple[int, int], Any]  # (u index, v index) -> edge key used
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
    G: nx.MultiDiGraph, snapped: gpd.GeoDataFrame, *, weight: str = "travel_time"
) -> TravelMatrix:
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

    Returns
    -------
    TravelMatrix
        Matrices in the order of ``snapped`` rows, with paths on demand.

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
    N = len(nodes)

    # one edge per (u, v): the one with the smallest weight
    ua, va, wa, la, keys = _edge_arrays(G, weight, index)
    order = np.lexsort((la, wa, va, ua))
    pair = ua[order] * N + va[order]
    first = np.concatenate(([True], pair[1:] != pair[:-1]))
    sel = order[first]
    best_len = la[sel]
    best_key = dict(zip(zip(ua[sel].tolist(), va[sel].tolist(), strict=True),
                        [keys[e] for e in sel.tolist()], strict=True))  # fmt: skip
    csr = csr_matrix((np.maximum(wa[sel], EPSILON), (ua[sel], va[sel])), shape=(N, N))

    # departure / arrival options per site: (node index, cost, length) x 2
    dep_node = np.full((n, 2), -1, dtype=np.int64)
    arr_node = np.full((n, 2), -1, dtype=np.int64)
    dep_c, dep_l, arr_c, arr_l = (np.full((n, 2), np.inf) for _ in range(4))
    sites, group, edge_data = _site_edges(G, weight, snapped, index)
    live = np.flatnonzero(group >= 0)
    if len(live):
        g = group[live]
        f = np.array([sites[i]["f"] for i in live.tolist()])  # type: ignore[index]
        eu, ev, tf, lf, tr, lr, two = (np.asarray(c)[g] for c in zip(*edge_data, strict=True))
        t2, f2 = live[two], f[two]
        with np.errstate(invalid="ignore"):  # 0 * inf is nan, as in plain Python floats
            dep_node[live, 0], dep_c[live, 0], dep_l[live, 0] = ev, (1 - f) * tf, (1 - f) * lf
            arr_node[live, 0], arr_c[live, 0], arr_l[live, 0] = eu, f * tf, f * lf
            dep_node[t2, 1], dep_c[t2, 1], dep_l[t2, 1] = eu[two], f2 * tr[two], f2 * lr[two]
            arr_node[t2, 1], arr_c[t2, 1] = ev[two], (1 - f2) * tr[two]
            arr_l[t2, 1] = (1 - f2) * lr[two]

    src = np.unique(dep_node[dep_node >= 0])
    tgt = np.unique(arr_node[arr_node >= 0])
    t0 = time.perf_counter()
    if len(src):
        D, pred = dijkstra(csr, directed=True, indices=src, return_predecessors=True)
    else:
        D, pred = np.zeros((0, N)), np.zeros((0, N), dtype=np.int32)
    t1 = time.perf_counter()
    L = _lengths_along(pred, src, tgt, ua[sel], va[sel], best_len, N)
    t2 = time.perf_counter()
    srow = np.searchsorted(src, np.maximum(dep_node, 0))
    tcol = np.searchsorted(tgt, np.maximum(arr_node, 0))
    Dt = D[:, tgt] if len(src) else np.zeros((0, len(tgt)))

    # running minimum over the four node options, first minimum kept (as argmin would)
    duration = np.empty((n, n))
    distance = np.empty((n, n))
    choice = np.zeros((n, n), dtype=np.int8)
    for a in range(2):
        for b in range(2):
            if len(src) and len(tgt):
                c = Dt[np.ix_(srow[:, a], tcol[:, b])]
                d = L[np.ix_(srow[:, a], tcol[:, b])]
            else:
                c, d = np.full((n, n), np.inf), np.full((n, n), np.inf)
            c = dep_c[:, a, None] + c + arr_c[None, :, b]
            d = dep_l[:, a, None] + d + arr_l[None, :, b]
            if a == b == 0:
                duration, distance = c, d
                continue
            better = c < duration
            np.copyto(duration, c, where=better)
            np.copyto(distance, d, where=better)
            choice[better] = 2 * a + b
    _same_edge(sites, group, edge_data, duration, distance, choice)
    distance[~np.isfinite(duration)] = np.inf
    np.fill_diagonal(duration, 0.0)
    np.fill_diagonal(distance, 0.0)
    ctx = _Context(G=G, weight=weight, nodes=nodes, node_index=index, pred=pred,
                   source_row={int(s): r for r, s in enumerate(src)}, best_key=best_key,
                   sites=sites, choice=choice)  # fmt: skip
    n_bad = int((~np.isfinite(duration)).sum())
    logger.info(
        "travel matrix %dx%d on %d nodes: dijkstra from %d nodes %.3f s, distances %.3f s, "
        "total %.3f s, %d unreachable pairs",
        n, n, N, len(src), t1 - t0, t2 - t1, time.perf_counter() - start, n_bad,
    )  # fmt: skip
    return TravelMatrix(site_ids=ids, duration_s=duration, distance_m=distance, _context=ctx)


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


def _lengths_along(
    pred: np.ndarray, src: np.ndarray, tgt: np.ndarray, parents: np.ndarray,
    children: np.ndarray, lengths: np.ndarray, N: int,
) -> np.ndarray:  # fmt: skip
    """Length (m) of each predecessor-tree path from ``src[r]`` to ``tgt[c]``, by doubling."""
    # in-edge table: in_src[c, d] is the d-th parent of c, in_len its edge length
    order = np.argsort(children, kind="stable")
    deg = np.bincount(children, minlength=N)
    slot = np.arange(len(order)) - np.repeat(np.cumsum(deg) - deg, deg)
    in_src = np.full((N, max(int(deg.max(initial=0)), 1)), -1, dtype=np.int64)
    in_len = np.zeros(in_src.shape)
    in_src[children[order], slot] = parents[order]
    in_len[children[order], slot] = lengths[order]
    out = np.full((len(src), len(tgt)), np.inf)
    for lo in range(0, len(src), _CHUNK):
        P = pred[lo : lo + _CHUNK].astype(np.int64)
        rows = P.shape[0]
        step = np.zeros((rows, N + 1))
        for d in range(in_src.shape[1]):
            step[:, :N] = np.where(in_src[None, :, d] == P, in_len[None, :, d], step[:, :N])
        P = np.hstack([np.where(P < 0, N, P), np.full((rows, 1), N)])  # N: sentinel root
        offset = (np.arange(rows, dtype=np.int64) * (N + 1))[:, None]
        while not (P == N).all():
            flat = P + offset
            step = step + np.take(step, flat)
            P = np.take(P, flat)
        reached = (pred[lo : lo + _CHUNK][:, tgt] >= 0) | (src[lo : lo + _CHUNK, None] == tgt)
        out[lo : lo + rows] = np.where(reached, step[:, tgt], np.inf)
    return out


def _same_edge(
    sites: list[dict[str, Any] | None], group: np.ndarray,
    edge_data: list[_EdgeRow],
    duration: np.ndarray, distance: np.ndarray, choice: np.ndarray,
) -> None:  # fmt: skip
    """Drive directly between sites on the same edge where that is faster (in place)."""
    i, j = np.nonzero((group[:, None] == group[None, :]) & (group >= 0)[:, None])
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
        if a == 0:
            legs.append(_edge_leg(G, w, si["u"], si["v"], si["key"], si["f"], 1.0))
            first = si["v"]
        else:
            legs.append(_edge_leg(G, w, si["v"], si["u"], si["twin"], 1 - si["f"], 1.0))
            first = si["u"]
        last = sj["u"] if b == 0 else sj["v"]
        target = ctx.node_index[first]
        row = ctx.pred[ctx.source_row[target]]
        cur = ctx.node_index[last]
        chain = [cur]
        while cur != target:
            cur = int(row[cur])
            chain.append(cur)
        chain.reverse()
        node_path = [ctx.nodes[n] for n in chain]
        for p, q in itertools.pairwise(chain):
            legs.append(_edge_leg(G, w, ctx.nodes[p], ctx.nodes[q], ctx.best_key[(p, q)], 0, 1))
        if b == 0:
            legs.append(_edge_leg(G, w, sj["u"], sj["v"], sj["key"], 0.0, sj["f"]))
        else:
            legs.append(_edge_leg(G, w, sj["v"], sj["u"], sj["twin"], 0.0, 1 - sj["f"]))
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
