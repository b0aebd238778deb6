"""Geometry for the pages: compact line encoding and lanes for lines that share a street.

Lines go to the browser as flat integer arrays, ``[lat0, lon0, dlat1, dlon1, ...]`` in
units of 1e-5 degrees (about 1 m; the first pair absolute, then differences), a third of
the size of JSON floats; ``SN.decode`` in ``assets/sn.js`` reads them back.

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

__all__ = ["SCALE", "Run", "encode", "lane_runs", "simplify"]

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
    centre); ``index`` is the position of the source line in the input.
    """

    index: int
    coords: np.ndarray
    lane: int


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


def _keys(coords: np.ndarray) -> list[tuple[int, int, int, int]]:
    q = np.rint(np.asarray(coords, dtype=float) * _KEY_SCALE).astype(np.int64)
    return list(map(tuple, np.hstack([q[:-1], q[1:]]).tolist()))


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
    keyed: list[list[tuple]] = []
    users: dict[tuple, set[int]] = {}
    for owner, coords in lines:
        rank = owners.setdefault(owner, len(owners))
        keys = _keys(coords) if len(coords) >= 2 else []
        keyed.append(keys)
        for k in keys:
            users.setdefault(k, set()).add(rank)
    ordered = {k: sorted(v) for k, v in users.items()}
    runs: list[Run] = []
    for index, ((owner, coords), keys) in enumerate(zip(lines, keyed, strict=True)):
        if not keys:
            continue
        rank = owners[owner]
        lanes = [ordered[k].index(rank) for k in keys]
        start = 0
        for j in range(1, len(lanes) + 1):
            if j == len(lanes) or lanes[j] != lanes[start]:
                runs.append(Run(index, np.asarray(coords[start:j + 1], dtype=float),
                                lanes[start]))
                start = j
    return runs
