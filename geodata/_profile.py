"""Truck profile and the street rules it implies.

A :class:`TruckProfile` says which OSM ways a vehicle may use and how fast it drives on
them. :func:`apply_profile` turns any osmnx-style street graph into a routable one: it
drops ways the truck may not use, sets ``speed_kph`` (km/h), ``travel_time`` (s),
``length`` (m), ``name`` and ``geometry`` on every edge and keeps the largest strongly
connected component.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from types import MappingProxyType
from typing import Any

import networkx as nx
from shapely.geometry import LineString

from ._errors import GeodataError

__all__ = [
    "TruckProfile",
    "apply_profile",
    "edge_rejection",
    "largest_scc",
    "parse_length_m",
    "parse_speed_kph",
    "parse_weight_t",
]

logger = logging.getLogger(__name__)

DEFAULT_HIGHWAYS: tuple[str, ...] = (
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
    "secondary", "secondary_link", "tertiary", "tertiary_link", "unclassified",
    "residential", "living_street", "service", "road",
)  # fmt: skip

DEFAULT_SPEEDS_KPH: Mapping[str, float] = MappingProxyType(
    {
        "motorway": 80.0, "motorway_link": 50.0, "trunk": 70.0, "trunk_link": 45.0,
        "primary": 60.0, "primary_link": 40.0, "secondary": 50.0, "secondary_link": 35.0,
        "tertiary": 40.0, "tertiary_link": 30.0, "unclassified": 30.0, "residential": 30.0,
        "living_street": 10.0, "service": 15.0, "road": 30.0, "track": 15.0,
    }
)  # fmt: skip

#: Speed (km/h) for the implicit limits written ``"FI:urban"``, ``"DE:zone30"`` etc.
ZONE_SPEEDS_KPH: Mapping[str, float] = MappingProxyType(
    {"urban": 50.0, "rural": 80.0, "trunk": 100.0, "motorway": 120.0,
     "living_street": 20.0, "walk": 6.0, "school": 30.0, "bicycle_road": 30.0}
)  # fmt: skip

# most specific key first: the first one present decides
_ACCESS_KEYS = ("hgv", "goods", "motor_vehicle", "vehicle", "access")
_NO_ACCESS = frozenset({"no", "private", "agricultural", "forestry", "emergency", "military"})
_LIMIT_KEYS = {
    "height_m": ("maxheight:physical", "maxheight"),
    "width_m": ("maxwidth:physical", "maxwidth"),
    "weight_t": ("maxweight:hgv", "maxweight"),
}
_NUMBER = r"(\d+(?:[.,]\d+)?)"


def _as_list(value: Any) -> list[Any]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, list | tuple | set):
        return [v for v in value if v is not None]
    if isinstance(value, str) and ";" in value:
        return [v.strip() for v in value.split(";") if v.strip()]
    return [value]


def _num(text: str) -> float:
    return float(text.replace(",", "."))


def parse_length_m(value: Any) -> float | None:
    r"""Parse an OSM length limit (``maxheight``, ``maxwidth``) into metres.

    Parameters
    ----------
    value
        Tag value such as ``"3.5"``, ``"3.5 m"``, ``"3,5"``, ``"350 cm"``, ``"11'6\\""``
        or ``"12 ft"``. Lists or ``;``-separated values give the smallest limit.

    Returns
    -------
    float or None
        Limit in m, or None for no limit (``"none"``, ``"default"``) or unreadable text.

    Examples
    --------
    >>> parse_length_m("11'6\\"")
    3.5052
    """
    values = [v for v in (_parse_one_length(v) for v in _as_list(value)) if v is not None]
    return min(values) if values else None


def _parse_one_length(value: Any) -> float | None:
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().lower()
    if m := re.fullmatch(r"(\d+)\s*(?:'|ft|feet)\s*(?:(\d+(?:\.\d+)?)\s*(?:\"|in|''))?", text):
        return round(int(m[1]) * 0.3048 + float(m[2] or 0) * 0.0254, 4)
    if m := re.fullmatch(_NUMBER + r"\s*(m|cm|mm)?", text):
        return _num(m[1]) * {"m": 1.0, "cm": 0.01, "mm": 0.001}[m[2] or "m"]
    return None


def parse_weight_t(value: Any) -> float | None:
    """Parse an OSM weight limit (``maxweight``) into tonnes.

    Parameters
    ----------
    value
        Tag value such as ``"12"``, ``"12 t"``, ``"7500 kg"``, ``"5 st"`` (short tons) or
        ``"10000 lbs"``. Lists or ``;``-separated values give the smallest limit.

    Returns
    -------
    float or None
        Limit in t, or None for no limit or unreadable text.
    """
    factors = {"t": 1.0, "kg": 0.001, "st": 0.90718474, "lbs": 0.00045359237, "lb": 0.00045359237}
    values: list[float] = []
    for item in _as_list(value):
        if isinstance(item, int | float):
            values.append(float(item))
        elif m := re.fullmatch(_NUMBER + r"\s*(t|kg|st|lbs|lb)?", str(item).strip().lower()):
            values.append(_num(m[1]) * factors[m[2] or "t"])
    return min(values) if values else None


def parse_speed_kph(value: Any) -> float | None:
    """Parse an OSM ``maxspeed`` value into km/h.

    Parameters
    ----------
    value
        Tag value such as ``"50"``, ``"30 mph"``, ``"FI:urban"``, ``"DE:zone30"``,
        ``"walk"`` or ``"none"``. Lists give the smallest speed.

    Returns
    -------
    float or None
        Speed in km/h; ``math.inf`` for ``"none"`` (no limit); None when unreadable
        (``"signals"``, ``"variable"``), so the caller falls back to the road class.

    Examples
    --------
    >>> parse_speed_kph("30 mph")
    48.28032
    """
    values: list[float] = []
    for item in _as_list(value):
        if isinstance(item, int | float):
            values.append(float(item))
            continue
        text = str(item).strip().lower()
        if m := re.fullmatch(_NUMBER + r"\s*(mph|km/h|kmh|kph|knots)?", text):
            factor = {"mph": 1.609344, "knots": 1.852}.get(m[2] or "", 1.0)
            values.append(round(_num(m[1]) * factor, 5))
        elif text == "none":
            values.append(math.inf)
        elif m := re.fullmatch(r"(?:[a-z]{2}(?:-[a-z0-9]+)?:)?zone:?(\d+)", text):
            values.append(float(m[1]))
        elif text in ZONE_SPEEDS_KPH or text.split(":")[-1] in ZONE_SPEEDS_KPH:
            values.append(ZONE_SPEEDS_KPH[text.split(":")[-1]])
    return min(values) if values else None


@dataclass(frozen=True, slots=True)
class TruckProfile:
    """Dimensions and driving rules of a truck; the default is a 26 t rear-loader.

    Parameters
    ----------
    height_m
        Vehicle height in m; ways with a lower ``maxheight`` are dropped.
    width_m
        Vehicle width in m (mirrors folded); ways with a lower ``maxwidth`` are dropped.
    weight_t
        Gross vehicle weight in t; ways with a lower ``maxweight`` are dropped.
    top_speed_kph
        Speed cap in km/h applied to every edge.
    allowed_highways
        OSM ``highway`` values the truck may use; anything else (footway, steps, track,
        construction, ...) is dropped.
    fallback_speeds_kph
        Speed in km/h per highway class, used where ``maxspeed`` is missing or unreadable.
        Classes missing here use ``default_speed_kph``.
    default_speed_kph
        Speed in km/h for classes absent from ``fallback_speeds_kph``.
    exclude_parking_aisles
        Drop ``service=parking_aisle`` ways.
    uturn_penalty_s
        Where the street graph has turn restrictions (so routes are searched turn by
        turn): None (default) allows a U-turn only at a dead end, where the truck has room
        to turn; a number of seconds allows it at any junction at that extra cost.

    Examples
    --------
    >>> import dataclasses
    >>> small = dataclasses.replace(TruckProfile(), weight_t=12.0, height_m=3.2)
    """

    height_m: float = 3.6
    width_m: float = 2.55
    weight_t: float = 26.0
    top_speed_kph: float = 80.0
    allowed_highways: tuple[str, ...] = DEFAULT_HIGHWAYS
    fallback_speeds_kph: Mapping[str, float] = field(default_factory=lambda: DEFAULT_SPEEDS_KPH)
    default_speed_kph: float = 25.0
    exclude_parking_aisles: bool = True
    uturn_penalty_s: float | None = None

    def __post_init__(self) -> None:
        pen = self.uturn_penalty_s
        if pen is not None and (not isinstance(pen, int | float) or not math.isfinite(pen)
                                or pen < 0):  # fmt: skip
            raise GeodataError(
                f"TruckProfile.uturn_penalty_s must be None (U-turns only at dead ends) or "
                f"a number of seconds >= 0, got {pen!r}"
            )
        for name in ("height_m", "width_m", "weight_t", "top_speed_kph", "default_speed_kph"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
                raise GeodataError(f"TruckProfile.{name} must be a positive number, got {value!r}")
        if isinstance(self.allowed_highways, str) or not self.allowed_highways:
            raise GeodataError(
                "TruckProfile.allowed_highways must be a non-empty tuple of highway values, "
                f"got {self.allowed_highways!r}"
            )
        object.__setattr__(self, "allowed_highways", tuple(self.allowed_highways))
        speeds = dict(self.fallback_speeds_kph)
        bad = {k: v for k, v in speeds.items() if not isinstance(v, int | float) or v <= 0}
        if bad:
            raise GeodataError(f"TruckProfile.fallback_speeds_kph must be positive, got {bad!r}")
        object.__setattr__(self, "fallback_speeds_kph", MappingProxyType(speeds))

    def __hash__(self) -> int:
        return hash(self.cache_key())

    @classmethod
    def from_file(cls, path: str | PathLike[str]) -> TruckProfile:
        """Read a profile from a TOML file whose keys are the field names.

        Parameters
        ----------
        path
            TOML file, e.g. ``height_m = 3.4`` and a ``[fallback_speeds_kph]`` table.

        Returns
        -------
        TruckProfile
            Profile with the defaults for keys not given.
        """
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise GeodataError(f"{path}: unknown TruckProfile keys {sorted(unknown)}")
        if "allowed_highways" in data:
            data["allowed_highways"] = tuple(data["allowed_highways"])
        return cls(**data)

    def cache_key(self) -> str:
        """Return a stable hex digest of all fields (used for the disk cache)."""
        data = {f: getattr(self, f) for f in self.__dataclass_fields__}
        data["fallback_speeds_kph"] = sorted(dict(self.fallback_speeds_kph).items())
        blob = json.dumps(data, sort_keys=True, default=list)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def speed_for(self, highway: Any, maxspeed: Any) -> float:
        """Return the driving speed in km/h for a way's ``highway`` and ``maxspeed`` tags."""
        speed = parse_speed_kph(maxspeed)
        if speed is None:
            classes = [str(h) for h in _as_list(highway)] or ["road"]
            speed = min(self.fallback_speeds_kph.get(h, self.default_speed_kph) for h in classes)
        return float(min(speed, self.top_speed_kph))

    def overpass_filter(self) -> str:
        """Return an Overpass way filter selecting the ways this profile may use."""
        highways = "|".join(self.allowed_highways)
        parts = [f'["highway"~"^({highways})$"]', '["area"!~"yes"]']
        parts += [f'["{key}"!~"^(no|private)$"]' for key in ("access", "motor_vehicle", "hgv")]
        if self.exclude_parking_aisles:
            parts.append('["service"!~"parking_aisle"]')
        return "".join(parts)


def _tags(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """Merge an edge's attributes with a pyrosm ``tags`` JSON string, if any."""
    tags = dict(attrs)
    extra = attrs.get("tags")
    if isinstance(extra, str) and extra.startswith("{"):
        try:
            for key, value in json.loads(extra).items():
                tags.setdefault(key, value)
        except json.JSONDecodeError:
            logger.debug("unreadable tags JSON %r", extra)
    return tags


def edge_rejection(attrs: Mapping[str, Any], profile: TruckProfile) -> str | None:
    """Say why a way is closed to the truck, or None if it may drive there.

    Parameters
    ----------
    attrs
        Edge attributes (OSM tags; values may be lists after simplification, in which case
        any forbidden part closes the whole edge).
    profile
        The truck.

    Returns
    -------
    str or None
        Reason such as ``"maxheight 3.2 m < 3.6 m"``, or None.
    """
    tags = _tags(attrs)
    highways = [str(h) for h in _as_list(tags.get("highway"))]
    bad = [h for h in highways if h not in profile.allowed_highways]
    if not highways or bad:
        return f"highway={bad or None} not allowed"
    if "yes" in _as_list(tags.get("area")):
        return "area=yes"
    services = {str(s) for s in _as_list(tags.get("service"))}
    if profile.exclude_parking_aisles and "parking_aisle" in services:
        return "service=parking_aisle"
    if "emergency_access" in services:
        return "service=emergency_access"
    for key in _ACCESS_KEYS:
        values = {str(v).lower() for v in _as_list(tags.get(key))}
        if values:
            if values & _NO_ACCESS:
                return f"{key}={sorted(values & _NO_ACCESS)[0]}"
            break
    checks = (("height_m", parse_length_m, "m"), ("width_m", parse_length_m, "m"),
              ("weight_t", parse_weight_t, "t"))  # fmt: skip
    for name, parse, unit in checks:
        for key in _LIMIT_KEYS[name]:
            limit = parse(tags.get(key))
            if limit is not None and limit < getattr(profile, name):
                return f"{key} {limit:g} {unit} < {getattr(profile, name):g} {unit}"
    return None


def _haversine_m(coords: Iterable[tuple[float, float]]) -> float:
    pts = list(coords)
    total = 0.0
    for (x1, y1), (x2, y2) in itertools.pairwise(pts):
        p1, p2 = math.radians(y1), math.radians(y2)
        a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(
            math.radians(x2 - x1) / 2
        ) ** 2
        total += 2 * 6_371_009 * math.asin(math.sqrt(min(1.0, a)))
    return total


def _name(value: Any) -> str:
    names = [str(v) for v in _as_list(value) if str(v) and str(v).lower() != "nan"]
    return "; ".join(dict.fromkeys(names))


def apply_profile(
    G: nx.MultiDiGraph,
    *,
    profile: TruckProfile | None = None,
    largest_component: bool = True,
) -> nx.MultiDiGraph:
    """Return a new graph restricted to what the truck may drive, with speeds and times.

    Parameters
    ----------
    G
        osmnx-style street graph in EPSG:4326 (node ``x``/``y`` in degrees). Not modified.
    profile
        The truck; default :class:`TruckProfile()`.
    largest_component
        Keep only the largest strongly connected component (default), so every node can
        reach every other.

    Returns
    -------
    networkx.MultiDiGraph
        New graph, ``crs`` EPSG:4326, where every edge has ``length`` (m), ``speed_kph``
        (km/h), ``travel_time`` (s), ``name`` (str, ``""`` when unnamed) and ``geometry``
        (LineString in lon/lat).

    Raises
    ------
    GeodataError
        If the graph is projected or nothing drivable remains.
    """
    profile = profile or TruckProfile()
    crs = str(G.graph.get("crs", "EPSG:4326")).upper()
    if crs not in {"EPSG:4326", "WGS84", "OGC:CRS84"}:
        raise GeodataError(
            f"apply_profile needs a lon/lat graph (EPSG:4326), got crs {crs}; "
            "unproject it first with osmnx.project_graph(G, to_latlong=True)"
        )
    H = nx.MultiDiGraph(**{**G.graph, "crs": "EPSG:4326"})
    reasons: dict[str, int] = {}
    for u, v, k, data in G.edges(keys=True, data=True):
        reason = edge_rejection(data, profile)
        if reason is not None:
            key = reason.split(" ")[0].split("=")[0]
            reasons[key] = reasons.get(key, 0) + 1
            continue
        attrs = {a: val for a, val in data.items() if a not in {"u", "v", "key"}}
        pu, pv = G.nodes[u], G.nodes[v]
        geom = attrs.get("geometry")
        if not isinstance(geom, LineString) or geom.is_empty:
            geom = LineString([(pu["x"], pu["y"]), (pv["x"], pv["y"])])
        attrs["geometry"] = geom
        length = attrs.get("length")
        if not isinstance(length, int | float) or not math.isfinite(length) or length < 0:
            length = _haversine_m(geom.coords)
        attrs["length"] = float(length)
        attrs["name"] = _name(attrs.get("name"))
        tags = _tags(data)
        attrs["speed_kph"] = profile.speed_for(tags.get("highway"), tags.get("maxspeed"))
        attrs["travel_time"] = attrs["length"] / (attrs["speed_kph"] / 3.6)
        H.add_edge(u, v, key=k, **attrs)
    for node in H.nodes:
        H.nodes[node].update(G.nodes[node])
    if reasons:
        logger.info("truck profile dropped %d edges: %s", sum(reasons.values()), reasons)
    if H.number_of_edges() == 0:
        raise GeodataError("no drivable street left after applying the truck profile")
    return largest_scc(H) if largest_component else H


def largest_scc(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Return a new graph holding the largest strongly connected component of ``G``.

    The number of nodes and edges dropped is logged at INFO level.
    """
    keep = max(nx.strongly_connected_components(G), key=len)
    n0, m0 = G.number_of_nodes(), G.number_of_edges()
    H = nx.MultiDiGraph(G.subgraph(keep))
    logger.info(
        "largest strongly connected component keeps %d of %d nodes and %d of %d edges "
        "(dropped %d nodes, %d edges)",
        H.number_of_nodes(), n0, H.number_of_edges(), m0,
        n0 - H.number_of_nodes(), m0 - H.number_of_edges(),
    )  # fmt: skip
    return H
