"""A search graph shrunk to its core before Dijkstra, with the paths expanded back.

A matrix search starts at the sites' departure vertices and reads the distances at their
arrival vertices; every other vertex only carries paths through. Such a vertex ``x`` can be
eliminated: each pair of arcs ``a -> x -> b`` becomes a shortcut ``a -> b`` of their summed
weight (the cheaper one kept where an arc ``a -> b`` is already there), so the distances
between the remaining vertices are unchanged, exactly (the weights are integer-valued
floats, :mod:`geodata._search`). Vertices go cheapest first (by their count when last
looked at), while eliminating one adds at most :data:`GROWTH` arcs more than it removes: a
street chain or a small junction goes, a busy core stays. This is the first phase of a
contraction hierarchy without its query: the plain Dijkstra of
:func:`scipy.sparse.csgraph.dijkstra` then runs on the core.

On the Heidelberg extract with 3,000 sites (edge-based, 14,835 vertices) the core is half
the graph and each search takes less than half the time (``benchmarks/matrix.py --city``).
Contraction-hierarchy libraries from PyPI give times alone in bulk, but lengths and paths
only one pair at a time (``benchmarks/matrix.py --ch``), hence this step.

Each shortcut remembers the vertex it skipped, so a path found on the core is expanded
back to the vertices of the graph (:meth:`Core.chain`).
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np

__all__ = ["GROWTH", "Core", "contract"]

#: Eliminate a vertex while ``ins * outs - (ins + outs)`` (arcs added) is at most this.
GROWTH = 16


@dataclass(frozen=True, slots=True)
class Core:
    """The core of a graph: its arcs renumbered, and how to expand paths found on it.

    ``kept[c]`` is the graph vertex of core vertex ``c``; ``index[v]`` the core vertex of
    graph vertex ``v`` (-1 if eliminated). ``middle[(a, b)]`` is the graph vertex a
    shortcut ``a -> b`` (graph numbering) skips.
    """

    kept: np.ndarray
    index: np.ndarray
    tails: np.ndarray
    heads: np.ndarray
    w: np.ndarray
    middle: dict[tuple[int, int], int]

    @property
    def n(self) -> int:
        """Vertices of the graph."""
        return len(self.index)

    @property
    def n_core(self) -> int:
        """Vertices of the core."""
        return len(self.kept)

    def chain(self, pred: np.ndarray, source: int, target: int) -> list[int]:
        """Graph vertices of the path from ``source`` to ``target`` in a search tree.

        ``pred`` is the row of core predecessors of a search from ``source`` (scipy's,
        -9999 for none); both ends are graph vertices that were kept.
        """
        s, cur = int(self.index[source]), int(self.index[target])
        if s < 0 or cur < 0:
            raise ValueError("source and target must be kept in the core")
        core = [cur]
        while cur != s:
            cur = int(pred[cur])
            if cur < 0:
                raise ValueError(f"vertex {target} is not reached from {source}")
            core.append(cur)
        path = [int(self.kept[core[-1]])]
        for c in reversed(core[:-1]):
            self._expand(path, int(self.kept[c]))
        return path

    def _expand(self, path: list[int], b: int) -> None:
        """Append the graph vertices of the core arc ``path[-1] -> b`` after ``path[-1]``."""
        stack = [(path[-1], b)]
        while stack:
            p, q = stack.pop()
            m = self.middle.get((p, q))
            if m is None:
                path.append(q)
            else:  # the left half first
                stack.append((m, q))
                stack.append((p, m))


def contract(tails: np.ndarray, heads: np.ndarray, w: np.ndarray, n: int,
             keep: np.ndarray, growth: int | None = GROWTH) -> Core:  # fmt: skip
    """The core of the graph ``tails -> heads`` (weights ``w`` >= 0, ``n`` vertices).

    ``keep`` (bool, per vertex) marks the vertices searches start or end at; ``growth``
    None eliminates nothing (the whole graph is the core). Self-loops and all but the
    cheapest of parallel arcs are dropped (no shortest path needs them).
    """
    out: list[dict[int, float]] = [{} for _ in range(n)]
    inn: list[dict[int, float]] = [{} for _ in range(n)]
    for a, b, x in zip(tails.tolist(), heads.tolist(), w.tolist(), strict=True):
        if a != b and x < out[a].get(b, math.inf):
            out[a][b] = inn[b][a] = x
    alive = np.ones(n, dtype=bool)
    middle: dict[tuple[int, int], int] = {}
    if growth is not None:
        keep_l = keep.tolist()

        def added(x: int) -> int:
            i, o = len(inn[x]), len(out[x])
            return i * o - i - o

        heap = [(added(x), x) for x in range(n) if not keep_l[x]]
        heapq.heapify(heap)
        while heap:
            score, x = heapq.heappop(heap)
            if not alive[x]:
                continue
            now = added(x)
            if now != score:  # its neighbourhood changed since it was queued (lazy update)
                heapq.heappush(heap, (now, x))
                continue
            if score > growth:
                break
            ins, outs = inn[x], out[x]
            for a in ins:
                del out[a][x]
            for b in outs:
                del inn[b][x]
            for a, wa in ins.items():
                for b, wb in outs.items():
                    c = wa + wb
                    if a != b and c < out[a].get(b, math.inf):
                        out[a][b] = inn[b][a] = c
                        middle[(a, b)] = x
                    # an arc a -> b kept as it was keeps its own middle (or none)
            inn[x], out[x] = {}, {}
            alive[x] = False
            # the neighbours' scores changed: each is looked at again when it comes up
    kept = np.flatnonzero(alive)
    index = np.full(n, -1, dtype=np.int64)
    index[kept] = np.arange(len(kept))
    ct, ch, cw = [], [], []
    for a in kept.tolist():
        for b, x in out[a].items():
            ct.append(a)
            ch.append(b)
            cw.append(x)
    # every middle stays: an arc between eliminated vertices is expanded inside others
    return Core(kept=kept, index=index, tails=index[np.asarray(ct, dtype=np.int64)],
                heads=index[np.asarray(ch, dtype=np.int64)],
                w=np.asarray(cw, dtype=float), middle=middle)  # fmt: skip
