"""Read ``.osm.pbf`` extracts with pyosmium: street ways and turn restrictions.

pyosmium (the ``osmium`` package, bindings of libosmium) reads every valid extract,
whatever its block layout. :func:`read_ways_osmium` gives the raw street graph, one edge
per way segment, with the tags the truck profile reads; the caller applies the profile and
simplifies it. :func:`read_restrictions_osmium` gives the ``type=restriction`` relations.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import osmium

from ._errors import NetworkSourceError
from ._profile import TruckProfile, edge_rejection
from ._turns import TurnRestriction, parse_restriction

__all__ = ["read_restrictions_osmium", "read_ways_osmium"]

logger = logging.getLogger(__name__)

#: Way tags copied onto the edges (what the truck profile and the maps read).
WAY_TAGS = (
    "highway", "name", "maxspeed", "ref", "lanes", "oneway", "junction", "access", "area",
    "service", "hgv", "goods", "motorcar", "motor_vehicle", "vehicle", "maxheight",
    "maxheight:physical", "maxwidth", "maxwidth:physical", "maxweight", "maxweight:hgv",
    "bridge", "tunnel",
)  # fmt: skip
_FORWARD = {"yes", "true", "1"}
_BACKWARD = {"-1", "reverse"}
_PROGRESS_S = 2.0  # seconds between progress lines
# pyrosm's "driving" network, which the pyrosm path reads: no service roads, and the car
# access tags close a way (the truck profile then applies its own rules on top)
_DRIVING_CLOSED = {"no", "private"}
_DRIVING_ACCESS = ("motorcar", "motor_vehicle", "vehicle", "access")
_DRIVING_NO_SERVICE = {"emergency_access", "parking", "parking_aisle", "private", "alley",
                       "driveway"}  # fmt: skip

Progress = Callable[[str], None]


def _report(progress: Progress | None, message: str) -> None:
    logger.info("%s", message)
    if progress is not None:
        progress(message)


def _values(tags: dict[str, str], key: str) -> set[str]:
    return {v.strip() for v in tags.get(key, "").split(";") if v.strip()}


def driving_excluded(tags: dict[str, str]) -> bool:
    """Whether pyrosm's ``driving`` network leaves this way out (so the readers agree)."""
    if "service" in _values(tags, "highway") or _values(tags, "service") & _DRIVING_NO_SERVICE:
        return True
    if "yes" in _values(tags, "area"):
        return True
    for key in _DRIVING_ACCESS:
        if key in tags:
            return bool(_values(tags, key) & _DRIVING_CLOSED)
    return False


def _direction(tags: dict[str, str]) -> tuple[bool, bool]:
    """(forward, backward) travel allowed, from ``oneway`` and ``junction``."""
    oneway = tags.get("oneway", "").lower()
    if oneway in _BACKWARD:
        return False, True
    if oneway in _FORWARD or tags.get("junction") in {"roundabout", "circular"}:
        return True, False
    return True, True


def read_ways_osmium(
    path: Path, profile: TruckProfile, *, progress: Progress | None = None
) -> nx.MultiDiGraph:
    """Read the ways the truck may use as an unsimplified graph (EPSG:4326).

    Parameters
    ----------
    path
        The ``.osm.pbf`` (or ``.osm``) file.
    profile
        The truck; ways it may not use are skipped (:func:`geodata._profile.edge_rejection`).
    progress
        Called with a line of text every couple of seconds while reading (also logged at
        INFO level).

    Returns
    -------
    networkx.MultiDiGraph
        One edge per way segment and allowed direction, with ``osmid`` (way id),
        ``oneway``, ``reversed`` and the tags of :data:`WAY_TAGS`; nodes with ``x``/``y``
        (degrees) and ``osmid``.

    Raises
    ------
    NetworkSourceError
        If the file cannot be read.
    """
    start = last = time.perf_counter()
    G = nx.MultiDiGraph(crs="EPSG:4326")
    seen = kept = 0
    try:
        fp = (osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
              .with_locations().with_filter(osmium.filter.KeyFilter("highway")))  # fmt: skip
        for obj in fp:
            if not obj.is_way():
                continue
            seen += 1
            now = time.perf_counter()
            if now - last >= _PROGRESS_S:
                last = now
                _report(progress, f"{path.name}: read {seen:,} highway ways "
                                  f"({kept:,} kept) in {now - start:.0f} s")  # fmt: skip
            tags = {t.k: t.v for t in obj.tags if t.k in WAY_TAGS}
            if driving_excluded(tags) or edge_rejection(tags, profile) is not None:
                continue
            # a way clipped at the extract's edge continues only where its nodes are present
            runs: list[list[tuple[int, float, float]]] = [[]]
            for nd in obj.nodes:
                if nd.location.valid():
                    runs[-1].append((nd.ref, nd.lon, nd.lat))
                elif runs[-1]:
                    runs.append([])
            runs = [r for r in runs if len(r) >= 2]
            if not runs:
                continue
            kept += 1
            fwd, bwd = _direction(tags)
            attrs = {k: v for k, v in tags.items() if k not in {"oneway", "junction"}}
            for refs in runs:
                for ref, lon, lat in refs:
                    if ref not in G:
                        G.add_node(ref, x=lon, y=lat, osmid=ref)
                for (a, *_), (b, *_) in itertools.pairwise(refs):
                    if a == b:
                        continue
                    if fwd:
                        G.add_edge(a, b, osmid=obj.id, oneway=not bwd, reversed=False, **attrs)
                    if bwd:
                        G.add_edge(b, a, osmid=obj.id, oneway=not fwd, reversed=True, **attrs)
    except (RuntimeError, OSError, ValueError) as exc:
        raise NetworkSourceError(f"cannot read {str(path)!r} with pyosmium: {exc}") from exc
    _report(progress, f"{path.name}: {seen:,} highway ways read, the truck profile keeps "
                      f"{kept:,} ({time.perf_counter() - start:.1f} s)")  # fmt: skip
    return G


def read_restrictions_osmium(path: Path) -> tuple[TurnRestriction, ...]:
    """Return the turn restrictions (``type=restriction`` relations) of an extract.

    Relations with a missing or unknown restriction value, or without exactly one
    ``from`` and one ``to`` way, are skipped (counted in the log).
    """
    found: list[TurnRestriction] = []
    skipped = 0
    try:
        fp = osmium.FileProcessor(str(path), osmium.osm.RELATION).with_filter(
            osmium.filter.TagFilter(("type", "restriction"))
        )
        for rel in fp:
            members = [(m.type, m.ref, m.role) for m in rel.members]
            tags: dict[str, Any] = {t.k: t.v for t in rel.tags}
            r = parse_restriction(rel.id, tags, members)
            if r is None:
                skipped += 1
            else:
                found.append(r)
    except (RuntimeError, OSError, ValueError) as exc:
        raise NetworkSourceError(f"cannot read relations of {str(path)!r}: {exc}") from exc
    logger.info("%s: %d turn restrictions (%d skipped)", path.name, len(found), skipped)
    return tuple(found)
