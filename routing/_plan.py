"""What a solve returns: routes of timed visits, unassigned stops with reasons, totals.

A ``Plan`` is plain data: it can be written to JSON, rendered on a map and checked by
``routing.check_plan`` against the problem it claims to solve.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

VisitKind = Literal["start", "stop", "facility", "break", "end"]


@dataclass(frozen=True, slots=True)
class Visit:
    """One event of a route, in order.

    Parameters
    ----------
    kind
        ``start`` (leave the depot), ``stop`` (load), ``facility`` (unload),
        ``break`` (lunch, spent where the truck is), ``end`` (back at the depot).
    id
        The stop, facility or depot id; ``"break"`` for a break.
    location
        Matrix index of where the visit happens (for a break: where the truck waits).
    arrival_s, start_s, departure_s
        Seconds from midnight: arrive, start service (after any wait), leave.
    load_t
        Tonnes picked up (positive) or unloaded (negative) here.
    load_after_t
        Tonnes on board when leaving.
    distance_km, elapsed_h
        Cumulative km driven and hours since leaving the depot, on arrival.
    site_id
        The site the stop belongs to (split dumps share one), else equal to ``id``.
    """

    kind: VisitKind
    id: str
    location: int
    arrival_s: int
    start_s: int
    departure_s: int
    load_t: float = 0.0
    load_after_t: float = 0.0
    distance_km: float = 0.0
    elapsed_h: float = 0.0
    site_id: str = ""


@dataclass(frozen=True, slots=True)
class Route:
    """The day of one truck: its visits and its totals."""

    vehicle_id: str
    visits: tuple[Visit, ...]
    distance_km: float
    duration_h: float
    tonnes: float
    unload_trips: int
    cost: float

    @property
    def stops(self) -> tuple[Visit, ...]:
        """The loading visits only."""
        return tuple(v for v in self.visits if v.kind == "stop")


#: Machine-readable reasons for work left out (``Unassigned.code``), with what each means.
#: People read ``Unassigned.reason``; tools and translations key on the code.
REASON_CODES: dict[str, str] = {
    "off_network": "the site is too far from any drivable street to snap to it",
    "no_path": "no street path joins it to a depot and a facility",
    "closed": "a facility closed for the day",
    "kind": "a site kind the planner does not know",
    "stream": "no truck collects its stream, or no open facility accepts it",
    "capacity": "heavier than any truck it may go on",
    "window": "its time window cannot be met, even on a trip of its own",
    "shift": "it cannot be served and unloaded within any truck's shift, even alone",
    "hours": "the fleet's hours are used up (by more urgent or cheaper work)",
    "daily_total": "the trucks that could take it reached their daily tonnage limit",
    "stops": "the trucks that could take it reached their daily stop limit",
    "search": "the search ran out of time before it found room for it",
}


@dataclass(frozen=True, slots=True)
class Unassigned:
    """A stop the plan does not serve, and why.

    ``reason`` is the sentence people read; ``code`` (one of ``REASON_CODES``) says which
    limit bound it, for tools and translations, and ``details`` holds the numbers the
    sentence uses (a window's ``open``/``close`` as ``HH:MM``, a stream name...).
    """

    stop_id: str
    site_id: str
    load_t: float
    reason: str
    code: str = ""
    details: dict = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SiteProgress:
    """How much of one site's tonnes the plan clears, in how many truck loads."""

    site_id: str
    tonnes: float
    cleared_t: float
    trips: int

    @property
    def left_t(self) -> float:
        """Tonnes still on the ground after this plan."""
        return max(0.0, round(self.tonnes - self.cleared_t, 6))


@dataclass(frozen=True)
class Plan:
    """A solution: routes for the used trucks, unassigned work, totals.

    ``routes`` holds only the trucks that leave the depot.
    """

    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...]
    engine: str
    seed: int = 0
    solve_seconds: float = 0.0
    objective: float = 0.0
    sites: tuple[SiteProgress, ...] = ()
    meta: dict = field(default_factory=dict)

    @property
    def distance_km(self) -> float:
        """Total km driven by the fleet."""
        return sum(r.distance_km for r in self.routes)

    @property
    def duration_h(self) -> float:
        """Total truck-hours on the road."""
        return sum(r.duration_h for r in self.routes)

    @property
    def tonnes(self) -> float:
        """Total tonnes collected."""
        return sum(r.tonnes for r in self.routes)

    @property
    def unload_trips(self) -> int:
        """Total number of unloading visits at facilities."""
        return sum(r.unload_trips for r in self.routes)

    @property
    def cost(self) -> float:
        """Total cost: fixed costs plus per-km and per-hour costs of the used trucks."""
        return sum(r.cost for r in self.routes)

    @property
    def trucks_used(self) -> int:
        """How many trucks leave the depot."""
        return len(self.routes)

    def totals(self) -> dict[str, float]:
        """The headline numbers, for tables and ``summary.json``."""
        return {
            "trucks_used": self.trucks_used,
            "distance_km": round(self.distance_km, 3),
            "duration_h": round(self.duration_h, 3),
            "tonnes": round(self.tonnes, 3),
            "unload_trips": self.unload_trips,
            "cost": round(self.cost, 2),
            "unassigned": len(self.unassigned),
            "unassigned_t": round(sum(u.load_t for u in self.unassigned), 3),
        }
