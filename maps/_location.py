"""Where a site is, in words a driver can use: one street name, or "near" a named street.

OSM leaves many service roads and yards unnamed, and a street graph simplified by osmnx
joins the names of the ways it merged (``"Mikonkatu; Kaivokatu"``). ``site_locations``
gives every site one location text:

1. the site's own street: one of the snapped edge's names (the one the site's name
   mentions, else the one continuing at the nearer end of the edge, else the first);
2. ``"<street>, near <other>"`` when the site's name mentions another street within
   ``NEAR_M`` metres (so the sheet never contradicts the site's name);
3. ``"near <street>"`` (the nearest named street) when the snapped edge has no name;
4. the coordinates when no named street is within ``SEARCH_M``.
"""

from __future__ import annotations

import logging
import math
import re
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString, Point

from i18n import N_, current, gettext
from maps._context import PlanContext, number, text

__all__ = ["Location", "location_text", "site_locations"]

logger = logging.getLogger(__name__)

NEAR_M = 120.0  # another street the site's name mentions counts within this distance (m)
SEARCH_M = 500.0  # an unnamed edge looks this far (m) for the nearest named street
M_PER_DEG = 111_195.0

#: The texts of a location (whole phrases, one place, for translation).
TEXTS = {
    "near": N_("near {street}"),
    "street_near": N_("{street}, near {other}"),
    "coords": "{lat:.5f}, {lon:.5f}",
}


@dataclass(frozen=True, slots=True)
class Location:
    """A site's location in words.

    ``street`` is the one street name the site is on (``""`` when its edge is unnamed),
    ``near`` the other named street the text refers to (``""`` if none), ``code`` one of
    ``street``, ``street_near``, ``near``, ``coords`` (the text's form, for tools).
    """

    street: str
    near: str
    code: str
    text: str


def location_text(code: str, *, street: str = "", near: str = "", lat: float = 0.0,
                  lon: float = 0.0) -> str:
    """The text of a location of form ``code`` (see ``Location``), in the current language."""
    if code == "street":
        return street
    if code == "street_near":
        return gettext(TEXTS["street_near"]).format(street=street, other=near)
    if code == "near":
        return gettext(TEXTS["near"]).format(street=near)
    return TEXTS["coords"].format(lat=lat, lon=lon)


def _parts(name: Any) -> list[str]:
    raw = [str(n) for n in name] if isinstance(name, list | tuple) else text(name).split(";")
    return list(dict.fromkeys(p.strip() for p in raw if p.strip()))


def _mentions(site_name: str, street: str) -> bool:
    return bool(re.search(rf"(?<!\w){re.escape(street)}(?!\w)", site_name, re.IGNORECASE))


class _Streets:
    """Named edges of a graph in a spatial index, measured in local metres."""

    def __init__(self, G: Any) -> None:
        geoms, names = [], []
        for u, v, data in G.edges(data=True):
            parts = _parts(data.get("name"))
            if not parts:
                continue
            geom = data.get("geometry")
            if geom is None:
                geom = LineString([(G.nodes[u]["x"], G.nodes[u]["y"]),
                                   (G.nodes[v]["x"], G.nodes[v]["y"])])
            geoms.append(geom)
            names.append(parts)
        self.geoms = np.array(geoms, dtype=object)
        self.names = names
        self.tree = shapely.STRtree(self.geoms) if geoms else None

    def within(self, lon: float, lat: float, metres: float) -> list[tuple[float, str]]:
        """``(distance m, name)`` of the named streets within ``metres``, nearest first."""
        if self.tree is None:
            return []
        kx = math.cos(math.radians(lat)) * M_PER_DEG
        box = shapely.box(lon - metres / kx, lat - metres / M_PER_DEG,
                          lon + metres / kx, lat + metres / M_PER_DEG)
        found: dict[str, float] = {}
        here = Point(0.0, 0.0)
        for i in self.tree.query(box):
            local = shapely.transform(self.geoms[i],
                                      lambda xy: (xy - (lon, lat)) * (kx, M_PER_DEG))
            d = float(local.distance(here))
            if d <= metres:
                for name in self.names[i]:
                    found[name] = min(d, found.get(name, math.inf))
        return sorted((d, n) for n, d in found.items())


def _names_at(G: Any, node: Any, skip: str) -> set[str]:
    """Street names of the edges at ``node``, except edges named ``skip`` (the edge itself)."""
    out: set[str] = set()
    for edges in (G.out_edges(node, data="name"), G.in_edges(node, data="name")):
        for _, _, name in edges:
            if text(name) != skip:
                out.update(_parts(name))
    return out


def _edge(ctx: PlanContext, row: Any) -> tuple[Any, Any, dict] | None:
    try:
        u, v, k = int(row["u"]), int(row["v"]), int(row["key"])
        return u, v, ctx.G.edges[u, v, k]
    except (KeyError, TypeError, ValueError):
        return None


def _own_street(ctx: PlanContext, row: Any, site_name: str) -> str:
    edge = _edge(ctx, row)
    if edge is None:
        return ""
    u, v, data = edge
    parts = _parts(data.get("name"))
    if len(parts) <= 1:
        return parts[0] if parts else ""
    for part in parts:
        if _mentions(site_name, part):
            return part
    near_end, far_end = (u, v) if number(row.get("edge_offset"), 0.0) < 0.5 else (v, u)
    here = _names_at(ctx.G, near_end, text(data.get("name")))
    there = _names_at(ctx.G, far_end, text(data.get("name")))
    for part in parts:  # the way that continues past the nearer end of the merged edge
        if part in here and part not in there:
            return part
    return next((part for part in parts if part in here), parts[0])


def _locate(ctx: PlanContext, streets: _Streets, site_id: str) -> Location:
    row = ctx.site(site_id)
    geom = row["geometry"]
    lon, lat = float(geom.x), float(geom.y)
    site_name = text(row.get("name"))
    street = _own_street(ctx, row, site_name)
    if street:
        if not site_name or _mentions(site_name, street):
            return Location(street, "", "street", street)
        for _, other in streets.within(lon, lat, NEAR_M):
            if other != street and _mentions(site_name, other):
                return Location(street, other, "street_near",
                                location_text("street_near", street=street, near=other))
        return Location(street, "", "street", street)
    nearby = streets.within(lon, lat, SEARCH_M)
    if nearby:
        named = [n for d, n in nearby if d <= NEAR_M and _mentions(site_name, n)]
        other = named[0] if named else nearby[0][1]
        return Location("", other, "near", location_text("near", near=other))
    return Location("", "", "coords", location_text("coords", lat=lat, lon=lon))


_CACHE: dict[int, tuple[weakref.ref, _Streets, dict[str, dict[str, Location]]]] = {}


def site_locations(ctx: PlanContext, site_ids: Iterable[str] | None = None
                   ) -> dict[str, Location]:
    """The location of each site (all of ``ctx.sites`` by default), computed once per plan.

    Parameters
    ----------
    ctx
        The plan context (``maps.build_context``): its graph and snapped sites.
    site_ids
        The sites wanted; ``None``: every site.

    Returns
    -------
    dict of str to Location
        Never an empty text: a site with no named street within ``SEARCH_M`` m gets
        its coordinates.
    """
    key = id(ctx)
    entry = _CACHE.get(key)
    if entry is None or entry[0]() is not ctx:
        for k in [k for k, e in _CACHE.items() if e[0]() is None]:
            del _CACHE[k]
        entry = (weakref.ref(ctx), _Streets(ctx.G), {})
        _CACHE[key] = entry
    _, streets, by_lang = entry
    known = by_lang.setdefault(current(), {})  # the texts are in the current language
    wanted = list(ctx.sites.index) if site_ids is None else list(site_ids)
    for sid in wanted:
        if sid not in known and sid in ctx.sites.index:
            known[sid] = _locate(ctx, streets, sid)
    return {sid: known[sid] for sid in wanted if sid in known}
