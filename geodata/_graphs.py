"""The graph a travel matrix is searched on, and where each site leaves and joins it.

Node-based (no turn restrictions): a vertex per street node, an arc per street segment
(the fastest of parallel ones). Edge-based (turn restrictions): a vertex per street
segment, reached at its end, an arc per allowed turn (:func:`geodata._turns.turn_arcs`),
plus source vertices (free at a node, or leaving a segment whose turns are restricted) and
sink vertices (arriving at a node from any street).

A site at fraction ``f`` of edge ``(u, v)`` leaves forward (toward ``v``) or, on a two-way
street, backward; it is reached the same two ways. A site within :data:`JUNCTION_M` of a
node is at that node: it leaves along and is reached from every street at the node (not so
at the via node of a turn restriction, where the way in matters).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._turns import turn_arcs

__all__ = ["JUNCTION_M", "Option", "SearchGraph", "build_search_graph"]

#: A site this close (m) to a node along its edge is at the node.
JUNCTION_M = 1.5


@dataclass(frozen=True, slots=True)
class Option:
    """Leaving or joining the search graph: vertex, time (s), length (m), partial edge.

    ``leg`` is ``(u, v, key, f0, f1)`` of the partial edge driven, or None at a node.
    """

    vertex: int
    cost: float
    length: float
    leg: tuple[Any, Any, Any, float, float] | None


@dataclass
class SearchGraph:
    """Arcs of the search graph and the site options (see module docstring)."""

    edge_based: bool
    n_vertices: int
    tails: np.ndarray
    heads: np.ndarray
    t: np.ndarray
    length: np.ndarray
    departures: list[list[Option]] = field(default_factory=list)
    arrivals: list[list[Option]] = field(default_factory=list)
    junctions: int = 0


def build_search_graph(
    nodes: list[Any], ua: np.ndarray, va: np.ndarray, wa: np.ndarray, la: np.ndarray,
    keys: list[Any], sites: list[dict[str, Any] | None], *,
    banned: set[tuple[int, int]], via_nodes: set[Any], uturn_penalty_s: float | None,
) -> SearchGraph:  # fmt: skip
    """Build the search graph and each site's departure and arrival options.

    ``sites[i]`` holds ``u, v, key, f, twin`` (or None for an unreachable site); edges are
    given as arrays of node index ``ua -> va`` with weight ``wa`` (s), length ``la`` (m).
    """
    N, M = len(nodes), len(ua)
    index = {node: i for i, node in enumerate(nodes)}
    epos = {(int(u), int(v), k): e for e, (u, v, k) in enumerate(zip(ua, va, keys, strict=True))}
    edge_based = bool(banned)
    if edge_based:
        ti, tj, pen = turn_arcs(ua, va, banned, N, uturn_penalty_s)
        arcs = [(ti, tj, wa[tj] + pen, la[tj])]
        out_of = _grouped(ua, N)
        into = _grouped(va, N)
        turns_of = _grouped(ti, M)
        restricted = {a for a, _ in banned}
        extra: dict[tuple[str, int], int] = {}

        def vertex(kind: str, x: int) -> int:
            if (kind, x) not in extra:
                vid = M + len(extra)
                extra[(kind, x)] = vid
                if kind == "free":
                    js = out_of[x]
                    arcs.append((np.full(len(js), vid), js, wa[js], la[js]))
                elif kind == "from":
                    js = tj[turns_of[x]]
                    arcs.append((np.full(len(js), vid), js, wa[js] + pen[turns_of[x]], la[js]))
                else:  # sink
                    ins = into[x]
                    arcs.append((ins, np.full(len(ins), vid), np.zeros(len(ins)),
                                 np.zeros(len(ins))))  # fmt: skip
            return extra[(kind, x)]
    else:
        # one arc per (u, v): the fastest, then the shorter
        order = np.lexsort((la, wa, va, ua))
        pair = ua[order] * N + va[order]
        first = np.concatenate(([True], pair[1:] != pair[:-1]))
        sel = order[first]
        arcs = [(ua[sel], va[sel], wa[sel], la[sel])]

    g = SearchGraph(edge_based, 0, *(np.empty(0),) * 4)
    for s in sites:
        if s is None:
            g.departures.append([])
            g.arrivals.append([])
            continue
        u, v, k, f, twin = s["u"], s["v"], s["key"], s["f"], s["twin"]
        iu, iv = index[u], index[v]
        e = epos[(iu, iv, k)]
        te, le = float(wa[e]), float(la[e])
        at = None
        if f * le <= JUNCTION_M:
            at = u
        elif (1 - f) * le <= JUNCTION_M:
            at = v
        if at is not None and not (edge_based and at in via_nodes):
            g.junctions += 1
            x = index[at]
            dep = vertex("free", x) if edge_based else x
            arr = vertex("sink", x) if edge_based else x
            g.departures.append([Option(dep, 0.0, 0.0, None)])
            g.arrivals.append([Option(arr, 0.0, 0.0, None)])
            s["at_node"] = at
            continue
        e2 = epos[(iv, iu, twin)] if twin is not None else None
        t2, l2 = (float(wa[e2]), float(la[e2])) if e2 is not None else (0.0, 0.0)
        if edge_based:
            back_exists = e2 is not None or iu in set(va[out_of[iv]].tolist())
            fwd = (vertex("free", iv) if e not in restricted and (e2 is not None or not back_exists)
                   else vertex("from", e))  # fmt: skip
            deps = [Option(fwd, (1 - f) * te, (1 - f) * le, (u, v, k, f, 1.0))]
            arrs = [Option(e, -(1 - f) * te, -(1 - f) * le, (u, v, k, 0.0, f))]
            if e2 is not None:
                bwd = vertex("free", iu) if e2 not in restricted else vertex("from", e2)
                deps.append(Option(bwd, f * t2, f * l2, (v, u, twin, 1 - f, 1.0)))
                arrs.append(Option(e2, -f * t2, -f * l2, (v, u, twin, 0.0, 1 - f)))
        else:
            deps = [Option(iv, (1 - f) * te, (1 - f) * le, (u, v, k, f, 1.0))]
            arrs = [Option(iu, f * te, f * le, (u, v, k, 0.0, f))]
            if e2 is not None:
                deps.append(Option(iu, f * t2, f * l2, (v, u, twin, 1 - f, 1.0)))
                arrs.append(Option(iv, (1 - f) * t2, (1 - f) * l2, (v, u, twin, 0.0, 1 - f)))
        g.departures.append(deps)
        g.arrivals.append(arrs)
    if edge_based:  # leaving a node for a site at the same node: no driving at all
        both = [(v, extra[("sink", x)]) for (kind, x), v in extra.items()
                if kind == "free" and ("sink", x) in extra]  # fmt: skip
        if both:
            pair = np.array(both, dtype=np.int64)
            arcs.append((pair[:, 0], pair[:, 1], np.zeros(len(both)), np.zeros(len(both))))
    g.n_vertices = M + len(extra) if edge_based else N
    g.tails, g.heads, g.t, g.length = (np.concatenate([a[c] for a in arcs]) for c in range(4))
    g.tails = g.tails.astype(np.int64)
    g.heads = g.heads.astype(np.int64)
    return g


def _grouped(keys: np.ndarray, n: int) -> list[np.ndarray]:
    """Positions of ``keys`` grouped by value ``0..n-1``."""
    order = np.argsort(keys, kind="stable")
    bounds = np.searchsorted(keys[order], np.arange(n + 1))
    return [order[bounds[x] : bounds[x + 1]] for x in range(n)]
