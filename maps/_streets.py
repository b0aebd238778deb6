"""The faint street network under the routes, built once per write and cut per page.

Every page embeds the streets so that it draws with no tiles at all. A city's graph is
tens of thousands of edges, so its street lines are made once per write (two-way streets
once, in the tiles' coordinates) and kept in an ``STRtree``: the overview takes them all,
a driver page only those within ``ROUTE_MARGIN_M`` of its own route. Each page merges
its lines where they meet and simplifies them to what its first view can show
(``tolerance_for``): half a pixel at the zoom that fits the page's routes.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString
from shapely.ops import linemerge

__all__ = ["ROUTE_MARGIN_M", "StreetLines", "street_lines", "tolerance_for"]

logger = logging.getLogger(__name__)

#: Metres of side streets kept on each side of a driver's route.
ROUTE_MARGIN_M = 200.0
#: Degrees: the simplification tolerance stays within these (about 1 m to 10 m).
MIN_TOLERANCE_DEG, MAX_TOLERANCE_DEG = 1e-5, 1e-4
M_PER_DEG = 111_195.0

Transform = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def tolerance_for(bounds: Sequence[Sequence[float]], *, pixels: int) -> float:
    """Degrees a background line may stray: half a pixel when ``bounds`` fill ``pixels``.

    ``bounds`` are ``[[south, west], [north, east]]``; ``pixels`` is the width of the
    first view (a phone's 400, a desktop's 1,200).
    """
    (s, w), (n, e) = bounds
    span = max(n - s, (e - w) * math.cos(math.radians((s + n) / 2.0)))
    return float(np.clip(span / pixels / 2.0, MIN_TOLERANCE_DEG, MAX_TOLERANCE_DEG))


def _merged(lines: Sequence[LineString], tolerance_deg: float) -> list[np.ndarray]:
    if not lines:
        return []
    merged = linemerge(MultiLineString(list(lines)))
    parts = np.array(list(getattr(merged, "geoms", [merged])), dtype=object)
    parts = shapely.simplify(parts, tolerance_deg)
    return [np.asarray(p.coords) for p in parts if not p.is_empty and len(p.coords) >= 2]


@dataclass(frozen=True, slots=True)
class StreetLines:
    """The graph's streets, one line per street segment (``(lon, lat)``, display coordinates)."""

    geoms: np.ndarray  # of shapely LineString
    tree: shapely.STRtree
    _all: dict[float, list[np.ndarray]] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.geoms)

    def all(self, tolerance_deg: float = MIN_TOLERANCE_DEG) -> list[np.ndarray]:
        """Every street, merged where streets meet, as ``(n, 2)`` arrays of ``(lon, lat)``."""
        key = round(tolerance_deg, 9)
        if key not in self._all:
            self._all[key] = _merged(list(self.geoms), tolerance_deg)
        return self._all[key]

    def near(self, coords: np.ndarray, *, margin_m: float = ROUTE_MARGIN_M,
             tolerance_deg: float = MIN_TOLERANCE_DEG) -> list[np.ndarray]:
        """The streets within about ``margin_m`` of a route (``(lon, lat)`` rows), merged."""
        coords = np.asarray(coords, dtype=float)
        if len(coords) == 0 or len(self.geoms) == 0:
            return []
        route = shapely.linestrings(coords) if len(coords) > 1 else shapely.points(coords[0])
        route = shapely.simplify(route, 10.0 / M_PER_DEG)
        # degrees of latitude; east-west the corridor is 1/cos(lat) wider, which is fine
        hits = self.tree.query(route, predicate="dwithin", distance=margin_m / M_PER_DEG)
        return _merged(list(self.geoms[np.sort(hits)]), tolerance_deg)


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


def street_lines(G: nx.MultiDiGraph, *, transform: Transform | None = None) -> StreetLines:
    """Build the street lines of a graph once (see module docstring).

    Parameters
    ----------
    G
        The street graph (EPSG:4326).
    transform
        Maps WGS-84 ``lon, lat`` arrays into the display system (GCJ-02 tiles); ``None``
        keeps WGS-84.

    Returns
    -------
    StreetLines
    """
    started = time.perf_counter()
    geoms = np.array(_edge_lines(G) if G.number_of_edges() else [], dtype=object)
    if transform is not None and len(geoms):
        coords, index = shapely.get_coordinates(geoms, return_index=True)
        x, y = transform(coords[:, 0], coords[:, 1])
        moved = np.column_stack([x, y])
        cuts = np.flatnonzero(np.diff(index)) + 1
        geoms = np.array([LineString(c) for c in np.split(moved, cuts)], dtype=object)
    logger.debug("street lines: %d edges -> %d lines in %.2f s", G.number_of_edges(),
                 len(geoms), time.perf_counter() - started)
    return StreetLines(geoms, shapely.STRtree(geoms))
