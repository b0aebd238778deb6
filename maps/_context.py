"""Everything the renderers share, computed once per plan.

``build_context`` resolves each visit to its site row, fetches the street path of every
move between two visits from the travel matrix (once: the overview, the driver pages and
the exports all reuse it), numbers the stops and splits each route into trips (depot or
facility to the next facility or depot).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np

from i18n import N_, gettext
from maps._errors import MapsError
from maps._streets import StreetLines, street_lines
from maps._style import truck_colours
from maps._tiles import TileSource, tile_source

__all__ = ["PlanContext", "Segment", "VisitInfo", "build_context", "number", "text"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Segment:
    """The drive from one visit to the next, along the streets.

    ``coords`` are ``(lon, lat)`` (EPSG:4326); ``legs`` are the path's legs (name,
    length_m, travel_time_s, coords); ``trip`` is 1 for the first load of the day and
    grows after each unloading; ``approximate`` is True only if the matrix had no path
    and a straight line stands in.
    """

    vehicle_id: str
    to_index: int
    coords: tuple[tuple[float, float], ...]
    legs: tuple[Any, ...]
    length_m: float
    trip: int
    approximate: bool = False


@dataclass(frozen=True, slots=True)
class VisitInfo:
    """A visit with what the pages show about it."""

    vehicle_id: str
    index: int
    visit: Any
    site_id: str
    label: str  # "3" for the third stop, "U1" for the first unload, "D" for the depot
    kind: str  # site kind from the snapped table (dead_spot, landfill, depot...)
    name: str
    trip: int
    lonlat: tuple[float, float]


@dataclass
class PlanContext:
    """A plan resolved against its problem, graph, sites and matrix (read-only use)."""

    plan: Any
    problem: Any
    G: nx.MultiDiGraph
    sites: gpd.GeoDataFrame  # indexed by site_id, EPSG:4326
    colours: dict[str, str]
    segments: dict[str, list[Segment]]
    visits: dict[str, list[VisitInfo]]
    date: str
    title: str
    unassigned: list[Any] = field(default_factory=list)  # plan's + snapped rows not listed
    #: Where the background tiles come from; GCJ-02 tiles shift everything drawn.
    tiles: TileSource = field(default_factory=tile_source)
    #: Work sites planned for a later day of a campaign: site id -> day number.
    scheduled: dict[str, int] = field(default_factory=dict)
    _streets: StreetLines | None = field(default=None, repr=False)

    def site(self, site_id: str) -> Mapping[str, Any]:
        """The snapped row of a site."""
        return self.sites.loc[site_id]

    def route(self, vehicle_id: str) -> Any:
        """The plan's route of a truck."""
        for r in self.plan.routes:
            if r.vehicle_id == vehicle_id:
                return r
        raise MapsError(
            f"truck {vehicle_id!r} has no route in this plan; used trucks: "
            f"{[r.vehicle_id for r in self.plan.routes]}"
        )

    def served(self) -> dict[str, list[VisitInfo]]:
        """Stop visits per site id, in route then visit order."""
        out: dict[str, list[VisitInfo]] = {}
        for infos in self.visits.values():
            for info in infos:
                if info.visit.kind == "stop":
                    out.setdefault(info.site_id, []).append(info)
        return out

    def progress(self) -> dict[str, Any]:
        """The plan's ``SiteProgress`` per site id."""
        return {p.site_id: p for p in getattr(self.plan, "sites", ())}

    def bounds(self, vehicle_id: str | None = None) -> list[list[float]]:
        """``[[south, west], [north, east]]`` (WGS-84) of the routes (one truck's, or all).

        The routes' street paths and visited places set the extent, so a far-off
        unassigned site does not shrink every route into a corner; a plan without
        routes falls back to the reachable sites, then to all sites.
        """
        if vehicle_id is None:
            infos = [i for v in self.visits.values() for i in v]
            segs = [s for segs in self.segments.values() for s in segs]
        else:
            infos = list(self.visits[vehicle_id])
            segs = list(self.segments[vehicle_id])
        xs = [i.lonlat[0] for i in infos]
        ys = [i.lonlat[1] for i in infos]
        for seg in segs:
            xs.extend(c[0] for c in seg.coords)
            ys.extend(c[1] for c in seg.coords)
        if not xs and vehicle_id is None:
            rows = self.sites
            if "reachable" in rows and rows["reachable"].astype(bool).any():
                rows = rows[rows["reachable"].astype(bool)]
            xs = [g.x for g in rows.geometry]
            ys = [g.y for g in rows.geometry]
        if not xs:
            return [[-1.0, -1.0], [1.0, 1.0]]
        return [[min(ys), min(xs)], [max(ys), max(xs)]]

    def display_bounds(self, vehicle_id: str | None = None) -> list[list[float]]:
        """``bounds`` moved into the tiles' coordinates (GCJ-02 tiles), as Leaflet takes it."""
        (s, w), (n, e) = self.bounds(vehicle_id)
        lon, lat = self.tiles.display(np.array([w, e]), np.array([s, n]))
        return [[float(lat[0]), float(lon[0])], [float(lat[1]), float(lon[1])]]

    def streets(self) -> StreetLines:
        """The graph's street lines for the pages, built on first use (once per write)."""
        if self._streets is None:
            self._streets = street_lines(self.G, transform=self.tiles.display
                                         if self.tiles.shifted else None)
        return self._streets

    def street_of(self, site_id: str) -> str:
        """Name of the street the site is snapped to (``""`` if unknown or unnamed)."""
        row = self.sites.loc[site_id]
        try:
            u, v, k = row["u"], row["v"], row["key"]
            return str(self.G.edges[int(u), int(v), int(k)].get("name") or "")
        except (KeyError, TypeError, ValueError):
            return ""


@dataclass(frozen=True, slots=True)
class _Missing:
    """A snapped site that is neither served nor listed as unassigned by the plan."""

    stop_id: str
    site_id: str
    load_t: float
    reason: str


def text(value: Any) -> str:
    """A cell as display text: ``""`` for None / NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def number(value: Any, default: float = 0.0) -> float:
    """A cell as a finite float (``default`` for None / NaN / junk)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return default
    return x if math.isfinite(x) else default


def _as_date(date: Any) -> str:
    if date is None:
        return dt.date.today().isoformat()
    if isinstance(date, dt.date):
        return date.isoformat()
    return str(date)


def _location_names(problem: Any, matrix: Any) -> tuple[str, ...]:
    names = tuple(getattr(problem, "location_names", ()) or ())
    return names or tuple(getattr(matrix, "site_ids", ()))


def _lonlat(row: Mapping[str, Any]) -> tuple[float, float]:
    geom = row["geometry"]
    return (float(geom.x), float(geom.y))


def _path(matrix: Any, a: str, b: str, sites: gpd.GeoDataFrame) -> tuple[tuple, tuple, float, bool]:
    try:
        p = matrix.path(a, b)
        coords = tuple((float(x), float(y)) for x, y in p.coords)
        legs = tuple(p.legs)
        length = sum(float(leg.length_m) for leg in legs)
        if len(coords) >= 2:
            return coords, legs, length, False
    except Exception as exc:  # the plan says the truck drives there: draw it anyway
        logger.warning("no street path %s -> %s (%s); drawing a straight line", a, b, exc)
    coords = (_lonlat(sites.loc[a]), _lonlat(sites.loc[b]))
    return coords, (), 0.0, True


def build_context(plan: Any, *, problem: Any, G: nx.MultiDiGraph, snapped: gpd.GeoDataFrame,
                  matrix: Any, date: Any = None, title: str | None = None,
                  tiles: TileSource | str | None = None,
                  scheduled: Mapping[str, int] | None = None) -> PlanContext:
    """Resolve a plan for rendering (see module docstring).

    Parameters
    ----------
    plan, problem, G, snapped, matrix, date, title
        As for ``maps.write_outputs``.
    tiles
        The pages' background tiles (``maps.tile_source``: a preset name, an XYZ
        template or a ``TileSource``); default OpenStreetMap.
    scheduled
        For a campaign day: work sites planned for a later day, site id -> day number.
        They are shown as "scheduled for day N", not as unassigned work.
    """
    if snapped.crs is not None and snapped.crs.to_epsg() != 4326:
        snapped = snapped.to_crs(4326)
    sites = snapped.set_index("site_id", drop=False)
    names = _location_names(problem, matrix)
    fleet = [v.id for v in getattr(problem, "vehicles", ())] or [r.vehicle_id for r in plan.routes]
    colours = truck_colours(fleet)
    for r in plan.routes:
        colours.setdefault(r.vehicle_id, truck_colours([*colours, r.vehicle_id])[r.vehicle_id])
    segments: dict[str, list[Segment]] = {}
    visits: dict[str, list[VisitInfo]] = {}
    for route in plan.routes:
        segs: list[Segment] = []
        infos: list[VisitInfo] = []
        trip, stop_no, unload_no = 1, 0, 0
        prev_site = None
        for i, v in enumerate(route.visits):
            if not 0 <= v.location < len(names):
                raise MapsError(
                    f"truck {route.vehicle_id} visit {i} ({v.id}) has location {v.location}, "
                    f"outside the {len(names)} matrix locations"
                )
            site_id = names[v.location]
            if site_id not in sites.index:
                raise MapsError(
                    f"site {site_id!r} (truck {route.vehicle_id}, visit {v.id}) is not in the "
                    "snapped sites table; pass the snapped GeoDataFrame the matrix was built from"
                )
            if prev_site is not None and site_id != prev_site:
                coords, legs, length, approx = _path(matrix, prev_site, site_id, sites)
                segs.append(Segment(route.vehicle_id, i, coords, legs, length, trip, approx))
            if v.kind == "stop":
                stop_no += 1
                label = str(stop_no)
            elif v.kind == "facility":
                unload_no += 1
                label = f"U{unload_no}"
            elif v.kind in ("start", "end"):
                label = "D"
            else:
                label = "B"
            row = sites.loc[site_id]
            infos.append(VisitInfo(route.vehicle_id, i, v, site_id, label, text(row.get("kind")),
                                   text(row.get("name")) or site_id, trip, _lonlat(row)))
            if v.kind == "facility":
                trip += 1
            prev_site = site_id
        segments[route.vehicle_id] = segs
        visits[route.vehicle_id] = infos
    unassigned = list(plan.unassigned)
    listed = {u.site_id for u in unassigned}
    served = {info.site_id for infos in visits.values() for info in infos}
    later = {str(k): int(v) for k, v in (scheduled or {}).items()}
    for sid, row in sites.iterrows():
        if row.get("kind") not in ("dead_spot", "bin") or sid in served or sid in listed:
            continue
        if sid in later:
            continue
        reachable = bool(row.get("reachable", True))
        reason = text(row.get("unreachable_reason")) if not reachable else ""
        unassigned.append(_Missing(str(sid), str(sid), number(row.get("tonnes")),
                                   reason or "not in the plan"))
    return PlanContext(plan, problem, G, sites, colours, segments, visits, _as_date(date),
                       title or gettext(N_("Sanitation routes")), unassigned, tile_source(tiles),
                       {sid: day for sid, day in later.items() if sid in sites.index})
