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
    us, vs, ws, ls, keys = [], [], [], [], []
    for u, v, k, data in G.edges(keys=True, data=True):
        try:
            ws.append(float(data[weight]))
            ls.append(float(data["length"]))
        except KeyError as exc:
            raise GeodataError(f"edge ({u}, {v}, {k}) has no {exc.args[0]!r}; "
                               "load the graph with geodata.load_network") from None  # fmt: skip
        us.append(index[u])
        vs.append(index[v])
        keys.append(k)
    ua, va, wa, la = (np.asarray(a) for a in (us, vs, ws, ls))
    order = np.lexsort((la, wa, va, ua))
    pair = ua[order].astype(np.int64) * N + va[order]
    first = np.concatenate(([True], pair[1:] != pair[:-1]))
    sel = order[first]
    best_len = la[sel]
    best_key = {(int(ua[e]), int(va[e])): keys[e] for e in sel}
    csr = csr_matrix((np.maximum(wa[sel], EPSILON), (ua[sel], va[sel])), shape=(N, N))

    # departure / arrival options per site: (node index, cost, length) x 2
    dep_node = np.full((n, 2), -1, dtype=np.int64)
    arr_node = np.full((n, 2), -1, dtype=np.int64)
    dep_c, dep_l, arr_c, arr_l = (np.full((n, 2), np.inf) for _ in range(4))
    sites: list[dict[str, Any] | None] = []
    for i, row in enumerate(snapped.itertuples(index=False)):
        if not bool(row.reachable):
            sites.append(None)
            continue
        u, v, k, f = row.u, row.v, row.key, float(row.edge_offset)
        fwd = G.edges[u, v, k]
        twin = reverse_key(G, u, v, k)
        sites.append({"u": u, "v": v, "key": k, "f": f, "twin": twin,
                      "point": (float(row.snap_x), float(row.snap_y))})  # fmt: skip
        tf, lf = float(fwd[weight]), float(fwd["length"])
        dep_node[i, 0], dep_c[i, 0], dep_l[i, 0] = index[v], (1 - f) * tf, (1 - f) * lf
        arr_node[i, 0], arr_c[i, 0], arr_l[i, 0] = index[u], f * tf, f * lf
        if twin is not None:
            rev = G.edges[v, u, twin]
            tr, lr = float(rev[weight]), float(rev["length"])
            dep_node[i, 1], dep_c[i, 1], dep_l[i, 1] = index[u], f * tr, f * lr
            arr_node[i, 1], arr_c[i, 1], arr_l[i, 1] = index[v], (1 - f) * tr, (1 - f) * lr

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
    Dt, Lt = D[:, tgt], L

    cost = np.full((5, n, n), np.inf)
    dist = np.full((5, n, n), np.inf)
    for a in range(2):
        for b in range(2):
            cost[2 * a + b] = (dep_c[:, a, None] + Dt[srow[:, a]][:, tcol[:, b]]
                               + arr_c[None, :, b])  # fmt: skip
            dist[2 * a + b] = (dep_l[:, a, None] + Lt[srow[:, a]][:, tcol[:, b]]
                               + arr_l[None, :, b])  # fmt: skip
    _same_edge(G, weight, sites, cost[4], dist[4])
    choice = np.argmin(cost, axis=0).astype(np.int8)
    duration = np.take_along_axis(cost, choice[None].astype(np.intp), axis=0)[0]
    distance = np.take_along_axis(dist, choice[None].astype(np.intp), axis=0)[0]
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
    G: nx.MultiDiGraph, weight: str, sites: list[dict[str, Any] | None],
    cost: np.ndarray, dist: np.ndarray,
) -> None:  # fmt: skip
    """Fill direct costs between sites on the same edge (in place)."""
    groups: dict[tuple[Any, Any, Any], list[int]] = {}
    for i, s in enumerate(sites):
        if s is not None:
            groups.setdefault((s["u"], s["v"], s["key"]), []).append(i)
    for (u, v, k), members in groups.items():
        fwd = G.edges[u, v, k]
        twin = sites[members[0]]["twin"]  # type: ignore[index]
        rev = G.edges[v, u, twin] if twin is not None else None
        for i in members:
            for j in members:
                fi, fj = sites[i]["f"], sites[j]["f"]  # type: ignore[index]
                if fj >= fi:
                    cost[i, j] = (fj - fi) * fwd[weight]
                    dist[i, j] = (fj - fi) * fwd["length"]
                elif rev is not None:
                    cost[i, j] = (fi - fj) * rev[weight]
                    dist[i, j] = (fi - fj) * rev["length"]


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
