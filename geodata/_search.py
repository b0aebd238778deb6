"""Many-source shortest paths with times and lengths in one scipy Dijkstra run.

Each arc weight packs the time and the length into one integer-valued float64: the time in
units of ``2**-14`` s above :data:`LEN_BITS` bits of length in units of ``2**-6`` m (paths
up to 4.5 h and 524 km, so any path of a truck below 115 km/h fits; longer ones are
detected and packed coarser). Sums of such integers
below ``2**53`` are exact in float64, so Dijkstra minimises the time (ties broken by the
shorter length), and the time and the length of every shortest path are read back exactly
from one distance: to within 31 µs and 8 mm per street segment of rounding each weight.
Before searching, the graph is shrunk to its core (:mod:`geodata._contract`): vertices no
search starts or ends at are eliminated with shortcuts that keep every distance between the
others exact, and the search runs on what is left (half the Heidelberg graph, half the
time). The search runs in chunks of sources, keeping the predecessors (on the core) for
the street paths, which :meth:`geodata._contract.Core.chain` expands back to the graph.
scipy's Dijkstra holds the GIL (threads gave nothing), so a large search is shared between
forked processes on Linux, each writing its rows into shared memory (nothing is pickled):
on two cores that nearly halves the search at 3,000 sites. Without ``fork`` (not Linux),
or inside a daemonic process (which may not have children), it runs in this process.
"""

from __future__ import annotations

import logging
import mmap
import multiprocessing
import os
import sys
import time
from collections.abc import Callable

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from . import _contract
from ._contract import Core

__all__ = ["Packing", "Paths", "arrival_search", "csr_from_arcs", "packed_search"]

logger = logging.getLogger(__name__)

LEN_BITS = 25
_CHUNK = 64  # sources per Dijkstra call
#: Sources x vertices below which one process is quicker than forking (~0.2 s of search).
PARALLEL_MIN = 2_000_000
#: Contraction before the search (:data:`geodata._contract.GROWTH`); None searches the
#: whole graph (the benchmarks' baseline).
GROWTH: int | None = _contract.GROWTH
#: Cores up to this many vertices keep their predecessors in int16 (half the memory).
PRED16_MAX = int(np.iinfo(np.int16).max)


class Paths:
    """The shortest-path trees of a search: one row of core predecessors per source."""

    def __init__(self, pred: np.ndarray, core: Core, sources: np.ndarray) -> None:
        self.pred = pred  # (sources, core vertices) int16/int32, scipy's -9999 for none
        self.core = core
        self._row = {int(v): r for r, v in enumerate(sources)}

    def chain(self, source: int, target: int) -> list[int]:
        """Graph vertices of the shortest path from ``source`` (a source) to ``target``."""
        return self.core.chain(self.pred[self._row[source]], source, target)


class Packing:
    """Time (s) and length (m) packed into one exact float64; ``shift`` coarsens both."""

    def __init__(self, shift: int = 0) -> None:
        self.shift = shift
        self.t_unit = 2.0 ** (-14 + shift)
        self.l_unit = 2.0 ** (-6 + shift)
        self.max_t = 2.0 ** (53 - LEN_BITS) * self.t_unit  # s
        self.max_l = 2.0**LEN_BITS * self.l_unit  # m

    def pack(self, t: np.ndarray, length: np.ndarray) -> np.ndarray:
        """Packed weights of arcs with time ``t`` (s) and ``length`` (m)."""
        tq = np.rint(np.asarray(t, dtype=float) / self.t_unit)
        lq = np.rint(np.asarray(length, dtype=float) / self.l_unit)
        return tq * 2.0**LEN_BITS + lq

    def unpack(self, packed: np.ndarray, *, inplace: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(time s, length m) of packed path weights; ``inf`` stays ``inf``.

        With ``inplace`` the lengths are written over ``packed`` (saving memory).
        """
        with np.errstate(invalid="ignore"):
            tq = np.floor(packed * 2.0**-LEN_BITS)
            lq = packed if inplace else packed.copy()
            lq -= tq * 2.0**LEN_BITS  # inf - inf: nan, set back to inf below
        lq *= self.l_unit
        lq[~np.isfinite(tq)] = np.inf
        tq *= self.t_unit
        return tq, lq


def csr_from_arcs(tails: np.ndarray, heads: np.ndarray, w: np.ndarray, n: int) -> csr_matrix:
    """A CSR graph keeping zero-weight arcs (scipy's csgraph treats stored zeros as arcs)."""
    order = np.lexsort((heads, tails))
    indptr = np.searchsorted(tails[order], np.arange(n + 1)).astype(np.int64)
    return csr_matrix((w[order], heads[order].astype(np.int32), indptr), shape=(n, n))


def packed_search(
    tails: np.ndarray, heads: np.ndarray, t: np.ndarray, length: np.ndarray, n: int,
    sources: np.ndarray, targets: np.ndarray, *, max_speed_ms: float,
    workers: int | None = None,
) -> tuple[np.ndarray, np.ndarray, Packing]:  # fmt: skip
    """Packed times and lengths of the shortest paths from ``sources`` to ``targets``.

    Parameters
    ----------
    tails, heads, t, length
        Arcs of the graph with their time (s) and length (m).
    n
        Number of vertices.
    sources, targets
        Vertex indices.
    max_speed_ms
        Fastest arc (m/s), to check that lengths fit their bits.
    workers
        Processes; default the CPUs this process may use (at most 4).

    Returns
    -------
    tuple
        Packed path weights (len(sources), len(targets)), ``inf`` where unreachable
        (:meth:`Packing.unpack` gives time and length), the :class:`Paths` and the
        :class:`Packing`.
    """

    def keeper(pk: Packing, core: Core) -> Callable:
        cols = core.index[targets]

        def keep(out: dict, lo: int, D: np.ndarray) -> None:
            out["packed"][lo : lo + len(D)] = D[:, cols]

        return keep

    shapes = {"packed": ((len(sources), len(targets)), np.float64)}
    out, pk, paths = _search(tails, heads, t, length, n, sources, targets, shapes, keeper,
                             max_speed_ms=max_speed_ms, workers=workers,
                             top=lambda out: out["packed"])  # fmt: skip
    return out["packed"], paths, pk


def arrival_search(
    tails: np.ndarray, heads: np.ndarray, t: np.ndarray, length: np.ndarray, n: int,
    sources: np.ndarray, arrivals: tuple[np.ndarray, np.ndarray, np.ndarray], *,
    max_speed_ms: float, workers: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, Packing]:  # fmt: skip
    """From each source, the packed cost of reaching each site by the better of its ways in.

    Like :func:`packed_search`, but each chunk of sources is reduced at once (in the process
    that searched it) to the sites: a site ``i`` is reached at vertex ``arrivals[0][i, a]``
    (-1 for none) plus the time ``arrivals[1][i, a]`` (s) and length ``arrivals[2][i, a]``
    (m) of its option ``a`` (0 or 1), packed like the arcs; the faster option wins, ties to
    the shorter, ties of both to option 0.

    Returns
    -------
    tuple
        Packed costs (len(sources), sites) (``inf`` for none), the option taken
        (len(sources), sites) int8, the :class:`Paths` and the :class:`Packing`.
    """
    vert, arr_t, arr_l = arrivals
    m = len(vert)
    ends = np.unique(vert[vert >= 0])

    def keeper(pk: Packing, core: Core) -> Callable:
        w = pk.pack(arr_t, arr_l)  # the arrival options, packed like the arcs (inf if none)
        # core columns of each site's two arrival vertices (a missing one costs inf in w)
        col0, col1 = np.where(vert >= 0, core.index[np.maximum(vert, 0)], 0).T.copy()
        ends_c = core.index[ends]

        def keep(out: dict, lo: int, D: np.ndarray) -> None:
            rows = slice(lo, lo + len(D))
            c0 = np.take(D, col0, axis=1)  # take: quicker than fancy indexing
            c0 += w[:, 0]
            c1 = np.take(D, col1, axis=1)
            c1 += w[:, 1]
            np.minimum(c0, c1, out=out["cost"][rows])
            np.less(c1, c0, out=out["option"][rows], casting="unsafe")
            ends_d = np.take(D, ends_c, axis=1)
            out["top"][rows] = np.max(ends_d, axis=1, initial=0.0, where=np.isfinite(ends_d))

        return keep

    S = len(sources)
    shapes = {"cost": ((S, m), np.float64), "option": ((S, m), np.int8),
              "top": ((S,), np.float64)}  # fmt: skip
    out, pk, paths = _search(tails, heads, t, length, n, sources, ends, shapes, keeper,
                             max_speed_ms=max_speed_ms, workers=workers,
                             top=lambda out: out["top"])  # fmt: skip
    return out["cost"], out["option"], paths, pk


def _search(
    tails: np.ndarray, heads: np.ndarray, t: np.ndarray, length: np.ndarray, n: int,
    sources: np.ndarray, targets: np.ndarray, shapes: dict, keeper: Callable, *,
    max_speed_ms: float, workers: int | None, top: Callable,
) -> tuple[dict, Packing, Paths]:  # fmt: skip
    """Run the search on the core with the finest packing whose paths fit their bits.

    ``keeper(packing, core)`` gives the function that stores a chunk's distances (core
    numbering) into the arrays of ``shapes``; the predecessors are kept here.
    ``top(arrays)`` gives the path weights whose largest must fit the packing.
    """
    workers = workers or default_workers()
    keep = np.zeros(n, dtype=bool)
    keep[sources] = True
    keep[targets] = True
    for shift in range(0, 30, 3):
        pk = Packing(shift)
        began = time.perf_counter()
        core = _contract.contract(tails, heads, pk.pack(t, length), n, keep, GROWTH)
        logger.debug("core of %d of %d vertices, %d arcs (%.3f s)", core.n_core, n,
                     len(core.tails), time.perf_counter() - began)  # fmt: skip
        csr = csr_from_arcs(core.tails, core.heads, core.w, core.n_core)
        small = core.n_core <= PRED16_MAX
        pred_shape = ((len(sources), core.n_core), np.int16 if small else np.int32)
        out = _run(csr, core.index[sources], workers, {**shapes, "pred": pred_shape},
                   _with_pred(keeper(pk, core)))  # fmt: skip
        weights = top(out)
        high = float(np.max(weights, initial=0.0, where=np.isfinite(weights)))
        t_high = float(pk.unpack(np.array([high]))[0][0])
        if high < 2.0**53 and max_speed_ms * t_high < pk.max_l:
            if shift:
                logger.warning("long paths: times rounded to %.0e s and lengths to %.0e m "
                               "per street segment", pk.t_unit, pk.l_unit)  # fmt: skip
            return out, pk, Paths(out.pop("pred"), core, sources)
    raise RuntimeError("paths too long to pack")  # pragma: no cover - beyond any city


def _with_pred(keep: Callable) -> Callable:
    """``keep`` of a chunk's distances, and its predecessors kept in ``out["pred"]``."""

    def store(out: dict, lo: int, D: np.ndarray, P: np.ndarray) -> None:
        keep(out, lo, D)
        out["pred"][lo : lo + len(D)] = P

    return store


def default_workers() -> int:
    """CPUs this process may run on (its affinity mask), at most 4."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, min(len(os.sched_getaffinity(0)), 4))
    return max(1, min(os.cpu_count() or 1, 4))  # pragma: no cover - not Linux


def _can_fork() -> bool:
    return (sys.platform.startswith("linux")
            and not multiprocessing.current_process().daemon)  # fmt: skip


def _shared(shape: tuple[int, ...], dtype: type) -> np.ndarray:
    """A zero-filled array in anonymous shared memory: forked children write into it."""
    count = int(np.prod(shape))
    buf = mmap.mmap(-1, max(1, count * np.dtype(dtype).itemsize))
    return np.frombuffer(buf, dtype=dtype, count=count).reshape(shape)


def _share(csr: csr_matrix, sources: np.ndarray, out: dict, keep: Callable, k: int,
           of: int) -> None:  # fmt: skip
    """Search the sources of chunks ``k, k + of, k + 2 * of, ...``; ``keep`` their rows."""
    for lo in range(k * _CHUNK, len(sources), of * _CHUNK):
        idx = sources[lo : lo + _CHUNK]
        D, P = dijkstra(csr, directed=True, indices=idx, return_predecessors=True)
        keep(out, lo, D, P)


def _run(csr: csr_matrix, sources: np.ndarray, workers: int, shapes: dict,
         keep: Callable) -> dict:  # fmt: skip
    """The arrays of ``shapes`` (name: (shape, dtype)), filled by ``keep`` chunk by chunk."""
    S, n = len(sources), csr.shape[0]
    workers = min(workers, -(-S // _CHUNK))
    if workers < 2 or S * n < PARALLEL_MIN or not _can_fork():
        out = {name: np.empty(shape, dtype) for name, (shape, dtype) in shapes.items()}
        _share(csr, sources, out, keep, 0, 1)
        return out
    out = {name: _shared(shape, dtype) for name, (shape, dtype) in shapes.items()}
    context = multiprocessing.get_context("fork")
    children = {k: context.Process(target=_share, name=f"geodata-search-{k}", daemon=True,
                                   args=(csr, sources, out, keep, k, workers))
                for k in range(1, workers)}  # fmt: skip
    for child in children.values():
        child.start()
    _share(csr, sources, out, keep, 0, workers)
    for k, child in children.items():
        child.join()
        if child.exitcode != 0:  # killed (out of memory?): its rows are searched here
            logger.warning("search process %d ended with exit code %s; searching its rows "
                           "in this process", k, child.exitcode)  # fmt: skip
            _share(csr, sources, out, keep, k, workers)
    logger.debug("searched %d sources in %d processes", S, workers)
    return out
