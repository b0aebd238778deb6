"""Turn-by-turn directions from the street legs of a path.

Pure functions over ``PathLeg``-like objects (``name``, ``length_m``, ``coords`` as
``(lon, lat)`` in EPSG:4326): consecutive legs on the same street are merged, and the
turn between two streets is read from the change of bearing between the end of one and
the start of the next (measured over the last / first ~20 m, so a kink in the geometry
right at the junction does not count as a turn).
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import i18n
from i18n import N_
from maps._errors import MapsError

__all__ = ["ARRIVE_TEXT", "DEPART_TEXTS", "MANEUVERS", "TURN_TEXTS", "Step", "bearing_deg",
           "directions", "turn_modifier"]

logger = logging.getLogger(__name__)

MANEUVERS = ("depart", "turn", "continue", "uturn", "arrive")
_EARTH_R_M = 6_371_008.8
#: Bearing measured over this many metres at each end of a street.
_BEARING_SPAN_M = 20.0
#: Above this change of bearing (degrees) a leg on the same street is a U-turn.
_UTURN_DEG = 160.0
#: Unnamed links shorter than this (m) join the street before them (junction connectors).
_CONNECTOR_M = 15.0
#: Unnamed legs are split where they turn by more than this (degrees).
_UNNAMED_SPLIT_DEG = 45.0
_COMPASS = ("north", "northeast", "east", "southeast", "south", "southwest", "west",
            "northwest")  # fmt: skip

#: The first instruction per compass direction, on a named street and on an unnamed one
#: (whole sentences, one place, for translation).
DEPART_TEXTS = {
    "north": (N_("Head north on {street}"), N_("Head north")),
    "northeast": (N_("Head northeast on {street}"), N_("Head northeast")),
    "east": (N_("Head east on {street}"), N_("Head east")),
    "southeast": (N_("Head southeast on {street}"), N_("Head southeast")),
    "south": (N_("Head south on {street}"), N_("Head south")),
    "southwest": (N_("Head southwest on {street}"), N_("Head southwest")),
    "west": (N_("Head west on {street}"), N_("Head west")),
    "northwest": (N_("Head northwest on {street}"), N_("Head northwest")),
}
#: The instruction of a change of street per ``turn_modifier``: onto a named street and
#: onto an unnamed one; ``uturn_on`` is a U-turn back along the same street.
TURN_TEXTS = {
    "straight": (N_("Continue onto {street}"), N_("Continue straight")),
    "slight left": (N_("Turn slightly left onto {street}"), N_("Turn slightly left")),
    "slight right": (N_("Turn slightly right onto {street}"), N_("Turn slightly right")),
    "left": (N_("Turn left onto {street}"), N_("Turn left")),
    "right": (N_("Turn right onto {street}"), N_("Turn right")),
    "sharp left": (N_("Turn sharp left onto {street}"), N_("Turn sharp left")),
    "sharp right": (N_("Turn sharp right onto {street}"), N_("Turn sharp right")),
    "uturn": (N_("Make a U-turn onto {street}"), N_("Make a U-turn")),
    "uturn_on": (N_("Make a U-turn on {street}"), N_("Make a U-turn")),
}
ARRIVE_TEXT = N_("Arrive at destination")


@dataclass(frozen=True, slots=True)
class Step:
    """One instruction of a route.

    Parameters
    ----------
    instruction
        What to do, e.g. ``"Turn left onto Mannerheimintie"``.
    distance_m
        Metres to drive after this instruction, up to the next one (0 for ``arrive``).
    street
        The street driven after the instruction (``""`` if unnamed or on arrival).
    maneuver
        ``depart``, ``turn``, ``continue``, ``uturn`` or ``arrive``.
    modifier
        ``left``, ``right``, ``slight left``, ``sharp right``, ``straight``, or ``""``.
    turn_deg
        Signed change of bearing at the manoeuvre in degrees, positive to the right.
    location
        ``(lon, lat)`` where the manoeuvre happens (EPSG:4326), or ``None``.
    lang
        The language of ``instruction`` (``distance_text`` follows it); ``""``: the
        current one (``i18n.use``).
    """

    instruction: str
    distance_m: float
    street: str = ""
    maneuver: str = "turn"
    modifier: str = ""
    turn_deg: float = 0.0
    location: tuple[float, float] | None = None
    lang: str = ""

    def __post_init__(self) -> None:
        if not math.isfinite(self.distance_m) or self.distance_m < 0:
            raise MapsError(f"Step.distance_m must be >= 0 metres, got {self.distance_m}")
        if self.maneuver not in MANEUVERS:
            raise MapsError(f"Step.maneuver must be one of {MANEUVERS}, got {self.maneuver!r}")

    @property
    def distance_text(self) -> str:
        """The distance as a driver reads it (``"350 m"``, ``"350米"``), ``""`` for zero."""
        if self.distance_m <= 0:
            return ""
        return i18n.format_distance(self.distance_m, lang=self.lang or None)


def _xy(lon: float, lat: float, lat0: float) -> tuple[float, float]:
    k = math.pi / 180.0 * _EARTH_R_M
    return lon * k * math.cos(math.radians(lat0)), lat * k


def _seg_m(a: Sequence[float], b: Sequence[float]) -> float:
    lat0 = (a[1] + b[1]) / 2.0
    ax, ay = _xy(a[0], a[1], lat0)
    bx, by = _xy(b[0], b[1], lat0)
    return math.hypot(bx - ax, by - ay)


def bearing_deg(a: Sequence[float], b: Sequence[float]) -> float:
    """Compass bearing from ``a`` to ``b`` (``(lon, lat)``), degrees clockwise from north."""
    lat0 = (a[1] + b[1]) / 2.0
    ax, ay = _xy(a[0], a[1], lat0)
    bx, by = _xy(b[0], b[1], lat0)
    return math.degrees(math.atan2(bx - ax, by - ay)) % 360.0


def _end_bearing(coords: Sequence[Sequence[float]], *, at_start: bool) -> float | None:
    """Bearing over the first (or last) ~20 m of a line; ``None`` if it has no length."""
    pts = list(coords) if at_start else list(reversed(coords))
    if len(pts) < 2:
        return None
    walked = 0.0
    far = pts[0]
    for a, b in itertools.pairwise(pts):
        walked += _seg_m(a, b)
        far = b
        if walked >= _BEARING_SPAN_M:
            break
    if walked <= 0.0:
        return None
    return bearing_deg(pts[0], far) if at_start else bearing_deg(far, pts[0])


def _delta(before: float | None, after: float | None) -> float:
    if before is None or after is None:
        return 0.0
    return (after - before + 540.0) % 360.0 - 180.0


def turn_modifier(delta_deg: float) -> str:
    """Name a change of bearing: ``straight``, ``slight left``, ``right``, ``uturn``...

    Positive ``delta_deg`` turns right (bearings grow clockwise).
    """
    a = abs(delta_deg)
    side = "right" if delta_deg > 0 else "left"
    if a < 20.0:
        return "straight"
    if a < 45.0:
        return f"slight {side}"
    if a < 120.0:
        return side
    if a < _UTURN_DEG:
        return f"sharp {side}"
    return "uturn"


def _names(name: Any) -> tuple[str, ...]:
    if name is None or (isinstance(name, float) and math.isnan(name)):
        return ()
    parts = [str(n) for n in name] if isinstance(name, list | tuple) else str(name).split(";")
    return tuple(p.strip() for p in parts if p.strip() and p.strip().lower() != "nan")


@dataclass
class _Group:
    names: tuple[str, ...]
    length_m: float
    coords: list[tuple[float, float]]

    @property
    def street(self) -> str:
        return self.names[0] if self.names else ""


def _legs_of(path_or_legs: Any) -> list[Any]:
    legs = getattr(path_or_legs, "legs", path_or_legs)
    if legs is None:
        return []
    try:
        return list(legs)
    except TypeError as exc:
        raise MapsError(
            "directions() needs a StreetPath or a sequence of legs with name, length_m and "
            f"coords, got {type(path_or_legs).__name__}"
        ) from exc


def _group_legs(legs: Iterable[Any]) -> list[_Group]:
    groups: list[_Group] = []
    for leg in legs:
        coords = [(float(x), float(y)) for x, y in leg.coords]
        length = float(leg.length_m)
        if len(coords) < 2 or not length > 0:
            continue
        names = _names(leg.name)
        if groups:
            g = groups[-1]
            turn = abs(_delta(_end_bearing(g.coords, at_start=False),
                              _end_bearing(coords, at_start=True)))
            shared = tuple(n for n in g.names if n in names)
            same = (bool(shared) and turn < _UTURN_DEG) or (
                not g.names and not names and turn < _UNNAMED_SPLIT_DEG
            )
            if same:
                g.names = shared or g.names
                g.length_m += length
                g.coords.extend(coords[1:] if coords[0] == g.coords[-1] else coords)
                continue
        groups.append(_Group(names, length, coords))
    merged: list[_Group] = []
    absorbed = False
    for g in groups:  # a short unnamed link inside a junction is not worth a step
        if merged and not g.names and g.length_m < _CONNECTOR_M:
            prev = merged[-1]
            prev.length_m += g.length_m
            prev.coords.extend(g.coords[1:] if g.coords[0] == prev.coords[-1] else g.coords)
            absorbed = True
            continue
        again = (absorbed and merged and g.names and merged[-1].names == g.names
                 and abs(_delta(_end_bearing(merged[-1].coords, at_start=False),
                                _end_bearing(g.coords, at_start=True))) < _UTURN_DEG)
        absorbed = False
        if again:
            prev = merged[-1]  # the same street again after an absorbed connector
            prev.length_m += g.length_m
            prev.coords.extend(g.coords[1:] if g.coords[0] == prev.coords[-1] else g.coords)
            continue
        merged.append(g)
    return merged


def _sentence(texts: tuple[str, str], street: str) -> str:
    named, unnamed = texts
    return i18n.gettext(named).format(street=street) if street else i18n.gettext(unnamed)


def _turn_text(modifier: str, street: str, previous: str) -> tuple[str, str]:
    if modifier == "uturn":
        key = "uturn_on" if street and street == previous else "uturn"
        return "uturn", _sentence(TURN_TEXTS[key], street)
    maneuver = "continue" if modifier == "straight" else "turn"
    return maneuver, _sentence(TURN_TEXTS[modifier], street)


def directions(path_or_legs: Any, *, arrive: str | None = None,
               depart: str | None = None, lang: str | None = None) -> list[Step]:
    """Turn-by-turn steps along a street path.

    Parameters
    ----------
    path_or_legs
        A ``geodata.StreetPath`` (its ``legs`` are used) or a sequence of legs, each with
        ``name`` (str, ``""`` if unnamed, ``"A; B"`` for several), ``length_m`` (m) and
        ``coords`` (``(lon, lat)`` pairs, EPSG:4326), in driving order.
    arrive
        Text of the final step, e.g. ``"Arrive at stop 3 (dead spot DS-12, 4.5 t)"``;
        default ``"Arrive at destination"``.
    depart
        Text of the first step; default ``"Head <compass> on <street>"``.
    lang
        The language of the instructions (``"en"``, ``"zh-CN"``); default the current
        one (``i18n.use``).

    Returns
    -------
    list of Step
        A ``depart`` step, one ``turn`` / ``continue`` / ``uturn`` step per change of
        street (consecutive legs of one street merged), and an ``arrive`` step. Each
        step's ``distance_m`` is what is driven after it. A path with no length gives
        the ``arrive`` step only.

    Examples
    --------
    >>> from types import SimpleNamespace as Leg
    >>> legs = [Leg(name="Main St", length_m=111.0, coords=[(0, 0), (0, 0.001)]),
    ...         Leg(name="Side St", length_m=111.0, coords=[(0, 0.001), (-0.001, 0.001)])]
    >>> [s.instruction for s in directions(legs, arrive="Arrive at stop 1")]
    ['Head north on Main St', 'Turn left onto Side St', 'Arrive at stop 1']
    """
    with i18n.use(lang) as tag:
        return _steps(_group_legs(_legs_of(path_or_legs)), arrive, depart, tag)


def _steps(groups: list[_Group], arrive: str | None, depart: str | None,
           lang: str) -> list[Step]:
    steps: list[Step] = []
    for i, g in enumerate(groups):
        start_bearing = _end_bearing(g.coords, at_start=True)
        if i == 0:
            compass = _COMPASS[int(((start_bearing or 0.0) + 22.5) // 45.0) % 8]
            text = depart or _sentence(DEPART_TEXTS[compass], g.street)
            steps.append(Step(text, round(g.length_m, 1), g.street, "depart", "", 0.0,
                              g.coords[0], lang))
            continue
        prev = groups[i - 1]
        delta = _delta(_end_bearing(prev.coords, at_start=False), start_bearing)
        modifier = turn_modifier(delta)
        maneuver, text = _turn_text(modifier, g.street, prev.street)
        steps.append(Step(text, round(g.length_m, 1), g.street, maneuver, modifier,
                          round(delta, 1), g.coords[0], lang))
    end = groups[-1].coords[-1] if groups else None
    steps.append(Step(arrive or i18n.gettext(ARRIVE_TEXT), 0.0, "", "arrive", "", 0.0, end,
                      lang))
    return steps
