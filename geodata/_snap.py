"""Snap sites to the nearest drivable street edge.

Distances are measured in a projected CRS: the edge geometries are projected to the local
UTM zone and indexed in an STRtree once per graph (cached while the graph lives and keeps
its node and edge counts), and the sites are transformed to the same CRS.
"""

from __future__ import annotations

import logging
import math
import time
import weakref
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
from pyproj import Transformer
from shapely import STRtree
from shapely.geometry import LineString, Point

from ._errors import GeodataError

__all__ = ["reverse_key", "snap_sites"]

logger = logging.getLogger(__name__)

SNAP_COLUMNS = ("u", "v", "key", "edge_offset", "snap_x", "snap_y", "snap_dist_m",
                "reachable", "unreachable_reason")  # fmt: skip
_NO_LOCATION = (None, None, None, math.nan, math.nan, math.nan, math.nan, False, "no location")
# graph -> ((nodes, edges), (crs, edge keys, projected lines, STRtree)); dropped with the graph
_PROJECTED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _projected_edges(G: nx.MultiDiGraph) -> tuple[Any, list[Any], np.ndarray, STRtree]:
    """The graph's edges projected to local UTM, with a spatial index; computed once."""
    stamp = (G.number_of_nodes(), G.number_of_edges())
    hit = _PROJECTED.get(G)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    keys, lines = [], []
    for u, v, k, geom in G.edges(keys=True, data="geometry"):
        if not isinstance(geom, LineString):
            a, b = G.nodes[u], G.nodes[v]
            geom = LineString([(a["x"], a["y"]), (b["x"], b["y"])])
        keys.append((u, v, k))
        lines.append(geom)
    series = gpd.GeoSeries(lines, crs="EPSG:4326")
    crs = series.estimate_utm_crs()
    proj = np.asarray(series.to_crs(crs).values)
    data = (crs, keys, proj, STRtree(proj))
    _PROJECTED[G] = (stamp, data)
    return data


def reverse_key(G: nx.MultiDiGraph, u: Any, v: Any, key: Any) -> Any | None:
    """Return the key of the edge ``(v, u)`` that is the same street as ``(u, v, key)``.

    Parameters
    ----------
    G
        Street graph.
    u, v, key
        A directed edge.

    Returns
    -------
    object or None
        Key of the twin edge (same ``osmid`` or same length within 1 % + 0.5 m), or None
        for a one-way street.
    """
    if u == v or not G.has_edge(v, u):
        return None
    data = G.edges[u, v, key]
    length = data.get("length", 0.0)
    best, best_diff = None, math.inf
    for k, other in G[v][u].items():
        diff = abs(other.get("length", 0.0) - length)
        if diff > 0.01 * length + 0.5:
            continue
        if other.get("osmid") == data.get("osmid"):
            diff -= 1e6  # same OSM way: strongly preferred
        if diff < best_diff:
            best, best_diff = k, diff
    return best


def snap_sites(
    G: nx.MultiDiGraph, sites: gpd.GeoDataFrame, *, max_snap_m: float = 300
) -> gpd.GeoDataFrame:
    """Attach every site to its nearest drivable edge.

    Parameters
    ----------
    G
        Street graph from :func:`load_network` (EPSG:4326, edges with ``geometry``).
    sites
        Sites from :func:`read_sites` (Points; any CRS, transformed as needed).
    max_snap_m
        Farthest distance in m between a site and its street; farther sites are kept
        with ``reachable=False``.

    Returns
    -------
    geopandas.GeoDataFrame
        A new frame with every input column plus ``u``, ``v``, ``key`` (the edge),
        ``edge_offset`` (fraction 0..1 along the edge from ``u``), ``snap_x``, ``snap_y``
        (lon/lat of the snapped point, EPSG:4326), ``snap_dist_m`` (m), ``reachable``
        (bool) and ``unreachable_reason`` (str, ``""`` when reachable). For two-way
        streets the edge is reported in one canonical direction.

    Raises
    ------
    GeodataError
        If ``sites`` has no CRS or ``max_snap_m`` is not positive.

    Examples
    --------
    >>> import geodata
    >>> G = geodata.load_network("sample")
    >>> snapped = geodata.snap_sites(G, geodata.read_sites(geodata.SAMPLE_SITES))
    >>> bool(snapped["reachable"].all())
    True
    """
    if not (isinstance(max_snap_m, int | float) and max_snap_m > 0):
        raise GeodataError(f"max_snap_m must be a positive distance in m, got {max_snap_m!r}")
    if sites.crs is None:
        raise GeodataError("sites have no CRS; read them with geodata.read_sites or set_crs()")
    start = time.perf_counter()
    if G.number_of_edges() == 0:
        raise GeodataError("the street graph has no edges to snap to")
    crs, keys, lines, tree = _projected_edges(G)
    pts = sites.geometry.to_crs(crs)
    to_lonlat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    out = sites.copy()
    cols: dict[str, list[Any]] = {c: [] for c in SNAP_COLUMNS}
    valid = ~(pts.is_empty | pts.isna())
    edges: list[Any] = [None] * len(pts)
    if valid.any():
        where = np.flatnonzero(valid.to_numpy())
        hits = tree.query_nearest(np.asarray(pts[valid].values), all_matches=False)
        for q, e in zip(hits[0].tolist(), hits[1].tolist(), strict=True):
            if edges[where[q]] is None:
                edges[where[q]] = e
    for pos, point in enumerate(pts):
        if edges[pos] is None:
            for c, value in zip(SNAP_COLUMNS, _NO_LOCATION, strict=True):
                cols[c].append(value)
            continue
        u, v, k = keys[edges[pos]]
        line = lines[edges[pos]]
        dist_along = line.project(point)
        frac = dist_along / line.length if line.length > 0 else 0.0
        snapped = line.interpolate(dist_along)
        dist = float(point.distance(snapped))
        twin = reverse_key(G, u, v, k)
        if twin is not None and repr((v, u)) < repr((u, v)):
            u, v, k, frac = v, u, twin, 1.0 - frac
        lon, lat = to_lonlat.transform(snapped.x, snapped.y)
        reachable = dist <= max_snap_m
        reason = "" if reachable else (
            f"{dist:.0f} m from the nearest drivable street (limit {max_snap_m:g} m)"
        )  # fmt: skip
        values = (u, v, k, float(min(max(frac, 0.0), 1.0)), lon, lat, dist, reachable, reason)
        for c, value in zip(SNAP_COLUMNS, values, strict=True):
            cols[c].append(value)
    for c in SNAP_COLUMNS:
        out[c] = cols[c]
    out["reachable"] = out["reachable"].astype(bool)
    n_far = int((~out["reachable"]).sum())
    logger.info(
        "snapped %d sites in %.2f s (%d unreachable, max snap %.0f m)",
        len(out), time.perf_counter() - start, n_far,
        float(np.nanmax(out["snap_dist_m"])) if len(out) else 0.0,
    )  # fmt: skip
    return out


def snapped_point(row: Any) -> Point:
    """Return the snapped location of a snapped-site row as a lon/lat Point."""
    return Point(row["snap_x"], row["snap_y"])
