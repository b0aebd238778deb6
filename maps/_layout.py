"""Geometry for the pages: compact line encoding and lanes for lines that share a street.

Lines go to the browser as flat integer arrays, ``[lat0, lon0, dlat1, dlon1, ...]`` in
units of 1e-5 degrees (about 1 m; the first pair absolute, then differences), a third of
the size of JSON floats; ``SN.decode`` in ``assets/sn.js`` reads them back. A list of
lines is chained (``encode_chain``): each line starts from where the one before it
ended, so thousands of short street lines cost no absolute coordinates.

Where trucks drive the same street in the same direction, each gets its own lane: the
browser draws a line offset to the right of its direction of travel by ``(lane + 0.5)``
line widths (the PolylineOffset plugin), so two trucks on one street are two parallel
lines, and a street driven both ways shows both directions side by side.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely

__all__ = ["SCALE", "Run", "encode", "encode_chain", "lane_runs", "simplify"]

logger = logging.getLogger(__name__)

#: Encoded integers per degree.
SCALE = 1e5
#: Degrees (about 1 m): routes keep every vertex that moves a line by more than this.
ROUTE_TOLERANCE_DEG = 1e-5
#: Vertices closer than this (1e-6 degrees) are the same point when comparing lines.
_KEY_SCALE = 1e6


@dataclass(frozen=True, slots=True)
class Run:
    """A stretch of one line on which the same lines share its streets.

    ``coords`` are ``(lon, lat)`` rows; ``lane`` counts from 0 (nearest the street's
    centre) up to ``lanes - 1``, ``lanes`` being how many owners drive the stretch in
    this direction; ``index`` is the position of the source line in the input.
    """

    index: int
    coords: np.ndarray
    lane: int
    lanes: int = 1


def simplify(coords: np.ndarray, tolerance_deg: float = ROUTE_TOLERANCE_DEG) -> np.ndarray:
    """Douglas-Peucker on ``(lon, lat)`` rows; the kept vertices are original ones."""
    coords = np.asarray(coords, dtype=float)
    if len(coords) <= 2:
        return coords
    line = shapely.simplify(shapely.linestrings(coords), tolerance_deg, preserve_topology=False)
    return shapely.get_coordinates(line)


def encode(coords: np.ndarray) -> list[int]:
    """``(lon, lat)`` rows to the pages' delta-encoded ``[lat, lon]`` integers.

    Examples
    --------
    >>> encode(np.array([[24.93, 60.17], [24.931, 60.1705]]))
    [6017000, 2493000, 50, 100]
    """
    coords = np.asarray(coords, dtype=float)
    if coords.size == 0:
        return []
    q = np.rint(coords[:, ::-1] * SCALE).astype(np.int64)
    keep = np.ones(len(q), dtype=bool)
    keep[1:] = np.any(q[1:] != q[:-1], axis=1)
    q = q[keep]
    return np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).ravel().tolist()


def encode_chain(lines: Sequence[np.ndarray]) -> list[list[int]]:
    """Lines of ``(lon, lat)`` rows, each starting from the end of the one before.

    The browser's ``SN.decodeChain`` keeps a running position across the lines.

    Examples
    --------
    >>> encode_chain([np.array([[24.93, 60.17], [24.931, 60.17]]),
    ...               np.array([[24.931, 60.171], [24.93, 60.171]])])
    [[6017000, 2493000, 0, 100], [100, 0, 0, -100]]
    """
    if not lines:
        return []
    sizes = [len(c) for c in lines]
    flat = np.concatenate([np.asarray(c, dtype=float).reshape(-1, 2) for c in lines])
    owner = np.repeat(np.arange(len(sizes)), sizes)
    q = np.rint(flat[:, ::-1] * SCALE).astype(np.int64)
    keep = np.ones(len(q), dtype=bool)  # a repeated point within a line is dropped
    keep[1:] = np.any(q[1:] != q[:-1], axis=1) | (owner[1:] != owner[:-1])
    q, owner = q[keep], owner[keep]
    deltas = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    cuts = np.searchsorted(owner, np.arange(1, len(sizes)))
    return [part.ravel().tolist() for part in np.split(deltas, cuts)]


def lane_runs(lines: Sequence[tuple[Hashable, np.ndarray]]) -> list[Run]:
    """Split lines into runs with a lane each, so lines sharing a street lie side by side.

    Parameters
    ----------
    lines
        ``(owner, coords)`` pairs in drawing order; ``coords`` are ``(lon, lat)`` rows
        along the streets. Lines of one owner (a truck) never get separate lanes from
        each other; owners get lanes in the order they first appear.

    Returns
    -------
    list of Run
        For each input line in order, its runs in driving order (consecutive runs share
        their end vertex). A lane is the owner's rank among the owners driving that
        street segment in that direction.
    """
    owners: dict[Hashable, int] = {}
    ranks, coords_of = [], []
    for owner, coords in lines:
        ranks.append(owners.setdefault(owner, len(owners)))
        coords_of.append(np.asarray(coords, dtype=float).reshape(-1, 2))
    n_seg = np.array([max(len(c) - 1, 0) for c in coords_of])
    if n_seg.sum() == 0:
        return []
    # every directed segment (a -> b) as one key, with the rank of the line's owner
    seg_line = np.repeat(np.arange(len(lines)), n_seg)
    q = [np.rint(c * _KEY_SCALE).astype(np.int64) for c in coords_of if len(c) >= 2]
    ab = np.concatenate([np.hstack([c[:-1], c[1:]]) for c in q])
    _, seg_id = np.unique(ab, axis=0, return_inverse=True)
    seg_id = seg_id.ravel()
    rank = np.asarray(ranks)[seg_line]
    # per segment, its distinct owners in rank order: a lane is the position among them
    pair = seg_id.astype(np.int64) * len(owners) + rank
    uniq, pair_of = np.unique(pair, return_inverse=True)
    useg = uniq // len(owners)
    first = np.searchsorted(useg, useg)  # first pair of each pair's segment
    lane = (np.arange(len(uniq)) - first)[pair_of.ravel()]
    lanes = np.bincount(useg)[seg_id]
    runs: list[Run] = []
    offsets = np.concatenate([[0], np.cumsum(n_seg)])
    for index in np.flatnonzero(n_seg):
        a, b = offsets[index], offsets[index + 1]
        ln, lc = lane[a:b], lanes[a:b]
        breaks = np.flatnonzero((ln[1:] != ln[:-1]) | (lc[1:] != lc[:-1])) + 1
        starts = np.concatenate([[0], breaks])
        ends = np.concatenate([breaks, [b - a]])
        coords = coords_of[index]
        for s0, e0 in zip(starts, ends, strict=True):
            runs.append(Run(int(index), coords[s0:e0 + 1], int(ln[s0]), int(lc[s0])))
    return runs
