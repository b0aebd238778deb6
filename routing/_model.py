"""The routing problem as numbers: stops, facilities, depots, vehicles and matrices.

Everything here is immutable and validated on construction, so an engine never sees a
problem that makes no sense. Units: times are whole seconds from midnight (``*_s``),
durations in seconds, distances in metres, loads in tonnes (``*_t``), money in the
city's currency. Locations are indices into the ``duration_s`` / ``distance_m``
matrices; several stops may share one location (a big dump split into truck loads).

Priority runs from 1 (most urgent) to 5 (can wait): when the fleet cannot do
everything, the least urgent work is what is left.

Waste streams (residual, kitchen, recyclables, bulky...): every stop has one
(``DEFAULT_STREAM`` when the city does not sort), a truck collects a set of streams and
carries one stream per trip (between two unloads), and a facility accepts a set of
streams. An empty set means "every stream". One stream per *trip*, not per day, is the
rule because it is the physical one (a trip's load is tipped as one load at one
facility); a truck dedicated to one stream, the usual case, is a truck whose set has one
element.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from routing._errors import ProblemError

DAY_S = 24 * 3600
#: Matrices already checked by a ``Problem``, by ``id``: read-only copies that variants made
#: with ``with_changes`` share instead of copying and checking millions of entries again.
_VALIDATED: weakref.WeakValueDictionary[int, np.ndarray] = weakref.WeakValueDictionary()
_PARTNER: dict[int, int] = {}  # id of a checked duration matrix -> its distance matrix
#: Most stops splitting may make: a day's fleet makes a few hundred truck loads, and the
#: engines hold matrices over the stops (5,000 of them are 200 MB), so more means the
#: capacity is wrong (``--capacity 0.001`` made 440,802 loads and asked for 1.4 TiB).
MAX_SPLIT_STOPS = 5_000
#: The stream of a stop when none is given: one stream for everything.
DEFAULT_STREAM = "mixed"


def _check_streams(name: str, streams: tuple[str, ...], problems: list[str]) -> None:
    if any(not isinstance(x, str) or not x for x in streams):
        problems.append(f"{name}: streams must be non-empty strings, got {list(streams)!r}")


def _check_window(name: str, window: tuple[int, int] | None, problems: list[str]) -> None:
    if window is None:
        return
    start, end = window
    if start < 0 or end < start:
        problems.append(f"{name}: window ({start}, {end}) must satisfy 0 <= start <= end")


@dataclass(frozen=True, slots=True)
class Break:
    """A break (lunch) of ``duration_s`` that must start within ``[earliest_s, latest_s]``."""

    earliest_s: int
    latest_s: int
    duration_s: int

    def __post_init__(self) -> None:
        if self.duration_s <= 0:
            raise ProblemError(f"break duration_s must be positive, got {self.duration_s}")
        if self.latest_s < self.earliest_s:
            raise ProblemError(
                f"break window ({self.earliest_s}, {self.latest_s}) ends before it starts"
            )


@dataclass(frozen=True, slots=True)
class Stop:
    """Work at one place: a dead spot to clear, a bin to empty.

    Parameters
    ----------
    id
        Unique stop id. For a split dump, ``"<site_id>#<k>"``.
    location
        Index into the problem's matrices.
    load_t
        Tonnes picked up here; at most the largest vehicle capacity after splitting.
    service_s
        Time spent loading, in seconds.
    window
        ``(open_s, close_s)``: service must *start* within it. ``None``: any time.
    priority
        1 (most urgent) to 5 (can wait).
    required
        If True the stop may not be left unassigned; the solve reports it if it must.
    site_id
        The site this stop belongs to (defaults to ``id``); split loads share it.
    release_s
        The earliest time the trip that serves this stop may leave its depot or
        facility (benchmarks with release dates; 0 for everyday work).
    stream
        The waste stream collected here (``DEFAULT_STREAM`` if the city does not sort).
    """

    id: str
    location: int
    load_t: float
    service_s: int = 0
    window: tuple[int, int] | None = None
    priority: int = 3
    required: bool = False
    site_id: str = ""
    release_s: int = 0
    stream: str = DEFAULT_STREAM

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not self.id:
            problems.append("stop id must be a non-empty string")
        if not isinstance(self.stream, str) or not self.stream:
            problems.append(f"stop {self.id}: stream must be a non-empty string, "
                            f"got {self.stream!r}")
        if self.location < 0:
            problems.append(f"stop {self.id}: location must be >= 0, got {self.location}")
        if not math.isfinite(self.load_t) or self.load_t < 0:
            problems.append(f"stop {self.id}: load_t must be >= 0, got {self.load_t}")
        if self.service_s < 0:
            problems.append(f"stop {self.id}: service_s must be >= 0, got {self.service_s}")
        if not 1 <= self.priority <= 5:
            problems.append(f"stop {self.id}: priority must be 1..5, got {self.priority}")
        if self.release_s < 0:
            problems.append(f"stop {self.id}: release_s must be >= 0, got {self.release_s}")
        _check_window(f"stop {self.id}", self.window, problems)
        if problems:
            raise ProblemError("; ".join(problems))
        if not self.site_id:
            object.__setattr__(self, "site_id", self.id)


@dataclass(frozen=True, slots=True)
class Facility:
    """A landfill or transfer station where trucks unload.

    ``window`` is the opening hours: unloading must start within it. ``streams`` are
    the waste streams it accepts; empty: every stream.
    """

    id: str
    location: int
    unload_s: int = 900
    window: tuple[int, int] | None = None
    kind: str = "landfill"
    streams: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "streams", tuple(self.streams))
        problems: list[str] = []
        _check_streams(f"facility {self.id}", self.streams, problems)
        if self.unload_s < 0:
            problems.append(f"facility {self.id}: unload_s must be >= 0, got {self.unload_s}")
        if self.location < 0:
            problems.append(f"facility {self.id}: location must be >= 0, got {self.location}")
        _check_window(f"facility {self.id}", self.window, problems)
        if problems:
            raise ProblemError("; ".join(problems))

    def accepts(self, stream: str) -> bool:
        """Whether a trip of this stream may unload here."""
        return not self.streams or stream in self.streams


@dataclass(frozen=True, slots=True)
class Depot:
    """Where trucks sleep: start and end of each shift."""

    id: str
    location: int


@dataclass(frozen=True, slots=True)
class Vehicle:
    """One truck.

    Parameters
    ----------
    id
        Unique truck id, as dispatchers call it.
    start_depot, end_depot
        Depot ids; ``end_depot`` defaults to ``start_depot``.
    capacity_t
        Payload in tonnes.
    shift
        ``(start_s, end_s)``: leaves the depot at or after ``start_s``, is back by ``end_s``.
    max_duration_s
        Longest working day from leaving the depot to returning; ``None``: the shift length.
    break_
        A lunch break, or ``None``.
    fixed_cost, cost_per_km, cost_per_hour
        Cost of using the truck at all, per km driven, per hour on the road.
    facilities
        Ids of the facilities this truck may unload at; empty: all of them.
    streams
        The waste streams this truck collects (one per trip); empty: every stream.
    max_daily_t
        Most tonnes the truck may collect in the day over all its trips (a disposal or
        weighbridge allowance); ``None``: no limit beyond capacity and time.
    max_stops
        Most stops the truck may serve in the day (each load of a split dump counts);
        ``None``: no limit.
    """

    id: str
    start_depot: str
    capacity_t: float
    shift: tuple[int, int] = (6 * 3600, 18 * 3600)
    end_depot: str = ""
    max_duration_s: int | None = None
    break_: Break | None = None
    fixed_cost: float = 0.0
    cost_per_km: float = 1.0
    cost_per_hour: float = 0.0
    facilities: tuple[str, ...] = ()
    streams: tuple[str, ...] = ()
    max_daily_t: float | None = None
    max_stops: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "streams", tuple(self.streams))
        problems: list[str] = []
        _check_streams(f"vehicle {self.id}", self.streams, problems)
        if self.max_daily_t is not None and (
                not math.isfinite(self.max_daily_t) or self.max_daily_t <= 0):
            problems.append(f"vehicle {self.id}: max_daily_t must be positive tonnes or None, "
                            f"got {self.max_daily_t}")
        if self.max_stops is not None and (
                isinstance(self.max_stops, bool) or not isinstance(self.max_stops, int)
                or self.max_stops <= 0):
            problems.append(f"vehicle {self.id}: max_stops must be a whole number > 0 or "
                            f"None, got {self.max_stops!r}")
        if not math.isfinite(self.capacity_t) or self.capacity_t <= 0:
            problems.append(
                f"vehicle {self.id}: capacity_t must be positive, got {self.capacity_t}"
            )
        _check_window(f"vehicle {self.id} shift", self.shift, problems)
        if self.max_duration_s is not None and self.max_duration_s <= 0:
            problems.append(
                f"vehicle {self.id}: max_duration_s must be positive, got {self.max_duration_s}"
            )
        elif self.break_ is not None and not problems and \
                self.break_.duration_s > self.duration_limit_s:  # fmt: skip
            problems.append(f"vehicle {self.id}: its break of {self.break_.duration_s} s does "
                            f"not fit its {self.duration_limit_s} s working day; shorten it")
        for name in ("fixed_cost", "cost_per_km", "cost_per_hour"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                problems.append(f"vehicle {self.id}: {name} must be a finite number >= 0, "
                                f"got {value}")
        if problems:
            raise ProblemError("; ".join(problems))
        if not self.end_depot:
            object.__setattr__(self, "end_depot", self.start_depot)
        object.__setattr__(self, "facilities", tuple(self.facilities))

    def serves(self, stream: str) -> bool:
        """Whether this truck collects the given stream."""
        return not self.streams or stream in self.streams

    @property
    def duration_limit_s(self) -> int:
        """The longest day this truck may work, in seconds."""
        span = self.shift[1] - self.shift[0]
        return span if self.max_duration_s is None else min(span, self.max_duration_s)


@dataclass(frozen=True)
class Problem:
    """A day of work for a fleet, as numbers.

    Parameters
    ----------
    duration_s, distance_m
        Square matrices (seconds, metres) over all locations; ``inf`` marks a pair with
        no street path. Stored as read-only float arrays.
    stops, facilities, depots, vehicles
        The work, the places to unload, where trucks sleep, and the trucks.
    name
        A label for logs and reports.
    location_names
        Optional label per location (site ids), for reports.
    end_empty
        If True (sanitation): every truck unloads at a facility before going home.
        False for classic benchmarks where the depot itself is the unloading point.

    Examples
    --------
    >>> import numpy as np
    >>> from routing import Problem, Stop, Facility, Depot, Vehicle
    >>> d = np.array([[0, 60, 90], [60, 0, 40], [90, 40, 0]])
    >>> p = Problem(duration_s=d, distance_m=d * 10, depots=(Depot("D", 0),),
    ...             facilities=(Facility("L", 2, unload_s=600),),
    ...             stops=(Stop("S1", 1, load_t=5.0),),
    ...             vehicles=(Vehicle("T1", "D", capacity_t=8.0),))
    >>> p.num_locations
    3
    """

    duration_s: np.ndarray
    distance_m: np.ndarray
    stops: tuple[Stop, ...]
    facilities: tuple[Facility, ...]
    depots: tuple[Depot, ...]
    vehicles: tuple[Vehicle, ...]
    name: str = "problem"
    location_names: tuple[str, ...] = ()
    end_empty: bool = True
    _index: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        pair = (self.duration_s, self.distance_m)
        known = (_VALIDATED.get(id(pair[0])) is pair[0] and _VALIDATED.get(id(pair[1])) is pair[1]
                 and _PARTNER.get(id(pair[0])) == id(pair[1]))
        if not known:  # copies no caller can change; a variant shares them
            pair = tuple(np.array(m, dtype=float) for m in pair)
            for m in pair:
                m.setflags(write=False)
        object.__setattr__(self, "duration_s", pair[0])
        object.__setattr__(self, "distance_m", pair[1])
        self._index["matrices_checked"] = known
        for name in ("stops", "facilities", "depots", "vehicles", "location_names"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        problems = self._validate()
        if problems:
            raise ProblemError(
                f"problem {self.name!r} is not valid:\n  - " + "\n  - ".join(problems)
            )
        for m in pair:
            _VALIDATED[id(m)] = m
        _PARTNER[id(pair[0])] = id(pair[1])
        self._index.update(
            stops={s.id: s for s in self.stops},
            facilities={f.id: f for f in self.facilities},
            depots={d.id: d for d in self.depots},
            vehicles={v.id: v for v in self.vehicles},
        )

    def _validate(self) -> list[str]:
        problems: list[str] = []
        n = self.duration_s.shape[0] if self.duration_s.ndim == 2 else -1
        if not self._index.pop("matrices_checked", False):
            problems = self._validate_matrices(n)
        if problems:
            return problems
        return self._validate_items(n)

    def _validate_matrices(self, n: int) -> list[str]:
        problems: list[str] = []
        for name, m in (("duration_s", self.duration_s), ("distance_m", self.distance_m)):
            if m.ndim != 2 or m.shape[0] != m.shape[1]:
                problems.append(f"{name} must be a square matrix, got shape {m.shape}")
            elif m.shape[0] != n:
                problems.append(f"{name} has shape {m.shape}, duration_s has {(n, n)}")
            elif np.any(np.isnan(m)) or np.any(m < 0):
                problems.append(f"{name} must hold non-negative numbers or inf (no NaN)")
        if problems:
            return problems
        mismatch = np.argwhere(np.isinf(self.duration_s) != np.isinf(self.distance_m))
        if len(mismatch):
            i, j = (int(x) for x in mismatch[0])
            problems.append(f"{len(mismatch)} pair(s) have a path in one matrix and none in the "
                            f"other, e.g. ({i}, {j}): duration_s {self.duration_s[i, j]}, "
                            f"distance_m {self.distance_m[i, j]}; give both or neither")
        return problems

    def _validate_items(self, n: int) -> list[str]:
        problems: list[str] = []
        if self.location_names and len(self.location_names) != n:
            problems.append(
                f"location_names has {len(self.location_names)} names for {n} locations"
            )
        if not self.depots:
            problems.append("at least one depot is needed")
        if not self.vehicles:
            problems.append("at least one vehicle is needed (fleet size 0)")
        if self.end_empty and not self.facilities and self.stops:
            problems.append("end_empty needs at least one facility (landfill or transfer station)")
        for kind, items in (
            ("stop", self.stops),
            ("facility", self.facilities),
            ("depot", self.depots),
            ("vehicle", self.vehicles),
        ):
            seen: set[str] = set()
            for item in items:
                if item.id in seen:
                    problems.append(f"duplicate {kind} id {item.id!r}")
                seen.add(item.id)
                loc = getattr(item, "location", None)
                if loc is not None and loc >= n:
                    problems.append(f"{kind} {item.id}: location {loc} is outside 0..{n - 1}")
        depot_ids = {d.id for d in self.depots}
        facility_ids = {f.id for f in self.facilities}
        for v in self.vehicles:
            for d in (v.start_depot, v.end_depot):
                if d not in depot_ids:
                    problems.append(
                        f"vehicle {v.id}: unknown depot {d!r}; known: {sorted(depot_ids)}"
                    )
            for f in v.facilities:
                if f not in facility_ids:
                    problems.append(
                        f"vehicle {v.id}: unknown facility {f!r}; known: {sorted(facility_ids)}"
                    )
        return problems

    # -- look-ups -------------------------------------------------------------------
    def stop(self, stop_id: str) -> Stop:
        """The stop with this id."""
        return self._index["stops"][stop_id]

    def facility(self, facility_id: str) -> Facility:
        """The facility with this id."""
        return self._index["facilities"][facility_id]

    def depot(self, depot_id: str) -> Depot:
        """The depot with this id."""
        return self._index["depots"][depot_id]

    def vehicle(self, vehicle_id: str) -> Vehicle:
        """The vehicle with this id."""
        return self._index["vehicles"][vehicle_id]

    def allowed_facilities(self, vehicle: Vehicle) -> tuple[Facility, ...]:
        """The facilities this vehicle may unload at."""
        if not vehicle.facilities:
            return self.facilities
        return tuple(self.facility(f) for f in vehicle.facilities)

    def unload_facilities(self, vehicle: Vehicle, stream: str) -> tuple[Facility, ...]:
        """The facilities where ``vehicle`` may tip a trip of ``stream``."""
        return tuple(f for f in self.allowed_facilities(vehicle) if f.accepts(stream))

    @property
    def streams(self) -> tuple[str, ...]:
        """The waste streams of the stops, sorted."""
        return tuple(sorted({s.stream for s in self.stops}))

    @property
    def has_daily_limits(self) -> bool:
        """Whether any truck has a daily tonnage or stop limit."""
        return any(v.max_daily_t is not None or v.max_stops is not None
                   for v in self.vehicles)

    @property
    def num_locations(self) -> int:
        """How many rows the matrices have."""
        return int(self.duration_s.shape[0])

    @property
    def max_capacity_t(self) -> float:
        """The largest payload in the fleet, in tonnes."""
        return max(v.capacity_t for v in self.vehicles)

    @property
    def max_load_t(self) -> float:
        """The heaviest load any truck may take at one stop (capacity or daily limit)."""
        return max(min(v.capacity_t, v.max_daily_t if v.max_daily_t is not None else math.inf)
                   for v in self.vehicles)

    def split_for_fleet(self) -> Problem:
        """This problem with every stop heavier than the largest truck split into loads.

        Returns ``self`` when nothing needs splitting. See ``split_large_stops``.
        """
        capacity = self.max_load_t
        if all(s.load_t <= capacity + 1e-9 for s in self.stops):
            return self
        loads = [max(1, math.ceil(s.load_t / capacity - 1e-9)) for s in self.stops]
        total = sum(loads)
        if total > max(MAX_SPLIT_STOPS, len(self.stops)):  # before allocating any of them
            worst = max(range(len(loads)), key=loads.__getitem__)
            raise ProblemError(
                f"splitting the stops into truck loads of at most {capacity:g} t would make "
                f"{total:,} stops (site {self.stops[worst].site_id!r} alone "
                f"{loads[worst]:,}); a day's plan holds at most {MAX_SPLIT_STOPS:,}: check the "
                "trucks' capacity_t, in tonnes (not kg)")
        return self.with_changes(stops=split_large_stops(self.stops, capacity))

    def with_changes(self, **changes) -> Problem:
        """A copy with some fields replaced (and validated again)."""
        return replace(self, _index={}, **changes)


def split_large_stops(stops: Sequence[Stop], capacity_t: float) -> tuple[Stop, ...]:
    """Split every stop heavier than ``capacity_t`` into truck-sized loads.

    A 27 t dump with 8 t trucks becomes ``DS#1..DS#4`` of 8, 8, 8 and 3 t at the same
    location, each with the site's service time scaled by its share of the tonnes, and
    all sharing ``site_id``. Lighter stops pass through unchanged.
    """
    out: list[Stop] = []
    for s in stops:
        if s.load_t <= capacity_t + 1e-9:
            out.append(s)
            continue
        pieces = math.ceil(s.load_t / capacity_t - 1e-9)
        # Full truck loads, then the rest: only the last piece is rounded, so the
        # pieces add up to the site's tonnes however many there are.
        last = round(s.load_t - (pieces - 1) * capacity_t, 9)
        for k in range(1, pieces + 1):
            load = capacity_t if k < pieces else last
            out.append(
                replace(
                    s,
                    id=f"{s.id}#{k}",
                    load_t=load,
                    service_s=round(s.service_s * load / s.load_t),
                    site_id=s.site_id,
                )
            )
    return tuple(out)
