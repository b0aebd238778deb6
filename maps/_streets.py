"""The faint street network under the routes, built once per write and clipped per page.

Every page embeds the streets so that it draws with no tiles at all. A city's graph is
tens of thousands of edges, so the lines are made once (two-way streets drawn once,
merged where they meet, simplified to what a background needs) and kept with an
``STRtree``: the overview takes them all, a driver page only those around its own route.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString
from shapely.ops import linemerge

__all__ = ["STREET_TOLERANCE_DEG", "StreetLines", "street_lines"]

logger = logging.getLogger(__name__)

#: Degrees (about 2.5 m): a faint background line may stray this far from the street;
#: at zoom 16 that is about a pixel, and drivers zoom in on the route, not on the streets.
STREET_TOLERANCE_DEG = 2.5e-5
#: Metres of streets kept around a driver's route (beyond its bounding box).
ROUTE_MARGIN_M = 400.0

Transform = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True, slots=True)
class StreetLines:
    """The graph's streets as simplified lines (``(lon, lat)``, display coordinates)."""

    geoms: np.ndarray  # of shapely LineString
    tree: shapely.STRtree

    def __len__(self) -> int:
        return len(self.geoms)

    def all(self) -> list[np.ndarray]:
        """Every line as an ``(n, 2)`` array of ``(lon, lat)``."""
        return [np.asarray(g.coords) for g in self.geoms]

    def around(self, bounds: Sequence[Sequence[float]], *,
               margin_m: float = ROUTE_MARGIN_M) -> list[np.ndarray]:
        """The lines inside ``[[south, west], [north, east]]`` grown by ``margin_m``, clipped."""
        (s, w), (n, e) = bounds
        dlat = margin_m / 111_195.0
        dlon = dlat / max(0.05, math.cos(math.radians((s + n) / 2.0)))
        box = (w - dlon, s - dlat, e + dlon, n + dlat)
        hits = self.tree.query(shapely.box(*box))
        if hits.size == 0:
            return []
        clipped = shapely.clip_by_rect(self.geoms[np.sort(hits)], *box)
        out: list[np.ndarray] = []
        for g in clipped:
            for part in getattr(g, "geoms", (g,)):
                if isinstance(part, LineString) and not part.is_empty and len(part.coords) >= 2:
                    out.append(np.asarray(part.coords))
        return out


def _edge_lines(G: nx.MultiDiGraph) -> list[LineString]:
    xy = {n: (d["x"], d["y"]) for n, d in G.nodes(data=True)}
    seen: set[tuple] = set()
    lines: list[LineString] = []
    for u, v, data in G.edges(data=True):
        geom = data.get("geometry")
        coords = list(geom.coords) if geom is not None else [xy[u], xy[v]]
        a, b = coords[0], coords[-1]
        key = (min(a, b), max(a, b), round(float(data.get("length") or 0.0), 1))
        if key in seen:  # the other direction of a two-way street
            continue
        seen.add(key)
        lines.append(geom if geom is not None else LineString(coords))
    return lines


def street_lines(G: nx.MultiDiGraph, *, transform: Transform | None = None,
                 tolerance_deg: float = STREET_TOLERANCE_DEG) -> StreetLines:
    """Build the street lines of a graph once (see module docstring).

    Parameters
    ----------
    G
        The street graph (EPSG:4326).
    transform
        Maps WGS-84 ``lon, lat`` arrays into the display system (GCJ-02 tiles); ``None``
        keeps WGS-84.
    tolerance_deg
        Douglas-Peucker tolerance in degrees.

    Returns
    -------
    StreetLines
    """
    started = time.perf_counter()
    lines = _edge_lines(G) if G.number_of_edges() else []
    merged = linemerge(MultiLineString(lines)) if lines else None
    parts = [] if merged is None else list(getattr(merged, "geoms", [merged]))
    geoms = shapely.simplify(np.array(parts, dtype=object), tolerance_deg) if parts else \
        np.array([], dtype=object)
    geoms = geoms[~shapely.is_empty(geoms)] if len(geoms) else geoms
    if transform is not None and len(geoms):
        coords, index = shapely.get_coordinates(geoms, return_index=True)
        x, y = transform(coords[:, 0], coords[:, 1])
        moved = np.column_stack([x, y])
        cuts = np.flatnonzero(np.diff(index)) + 1
        geoms = np.array([LineString(c) for c in np.split(moved, cuts)], dtype=object)
    logger.debug("street lines: %d edges -> %d lines in %.2f s", G.number_of_edges(),
                 len(geoms), time.perf_counter() - started)
    return StreetLines(geoms, shapely.STRtree(geoms))
