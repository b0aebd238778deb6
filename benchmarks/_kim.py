"""Kim, Kim & Sahoo (2006) waste-collection instances: reader, ``routing.Problem``, re-check.

The set (``../shared/benchmarks/kim/``, rules in its README) is a VRPTW with landfills:

- A text file: five header lines (truck capacity, per-truck daily total, per-truck daily
  stop limit, lunch seconds, mph; each a number followed by a comment), a column header,
  then one row per site: ``id x_ft y_ft early late service_s load type`` with type 0
  the depot, 1 a stop, 2 a landfill. ``early``/``late`` are HHMM, except that a value
  whose last two digits are 60 or more is decimal hours (``1675`` is 16.75 h = 16:45,
  ``0775`` 07:45); ``400`` is 04:00 and ``2400`` the end of the day.
- Distances are Manhattan in feet, miles = feet / 5280, drive time = miles / mph.
- Service starts inside each stop's and landfill's window; a truck leaves the depot at
  or after it opens, unloads at a landfill before it would exceed its capacity (as often
  as it needs), visits a landfill last, and is back by the depot's closing time; it takes
  one lunch of the header's length starting between 11:00 and 12:00; it collects at most
  the daily total and serves at most the daily stop limit. Fewest trucks, then fewest
  miles.

``to_problem`` builds the ``routing.Problem`` our engines solve; ``recheck`` checks a
plan given as the instance's own ids (the benchmark's JSON routes) against the rules
above, from the instance alone: it shares no code with ``routing``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from routing import Break, Depot, Facility, Plan, Problem, Stop, Vehicle

FEET_PER_MILE = 5280.0
METRES_PER_FOOT = 0.3048
LUNCH_WINDOW_S = (11 * 3600, 12 * 3600)  # the lunch starts between 11:00 and 12:00
HEADER = ("capacity", "daily total", "daily stop limit", "lunch seconds", "mph")
FIELDS = ("id", "x_ft", "y_ft", "early", "late", "service_s", "load", "type")
DEPOT, STOP, LANDFILL = 0, 1, 2
EPS_S = 1e-6  # seconds: the re-check compares exact times
EPS_LOAD = 1e-9


class KimFormatError(ValueError):
    """An instance file that does not follow the Kim (2006) format."""


def parse_hhmm(text: str) -> int:
    """Seconds from midnight of a Kim time: HHMM, or decimal hours when MM >= 60.

    ``"0400"`` and ``"400"`` are 04:00, ``"1030"`` 10:30, ``"1675"`` 16.75 h = 16:45,
    ``"0775"`` 07:45, ``"2400"`` 24:00.

    Raises
    ------
    ValueError
        If the text is not 1 to 4 digits or names a time after 24:00.
    """
    text = text.strip()
    if not text.isdigit() or len(text) > 4:
        raise ValueError(f"{text!r} is not a time of 1 to 4 digits (HHMM)")
    value = int(text)
    hours, minutes = divmod(value, 100)
    seconds = hours * 3600 + (minutes * 36 if minutes >= 60 else minutes * 60)
    if seconds > 24 * 3600:
        raise ValueError(f"{text!r} is after 24:00")
    return seconds


@dataclass(frozen=True, slots=True)
class Site:
    """One row of an instance: the depot, a stop or a landfill (times in seconds)."""

    id: int
    x_ft: float
    y_ft: float
    early_s: int
    late_s: int
    service_s: int
    load: float
    kind: int


@dataclass(frozen=True)
class KimInstance:
    """A Kim (2006) instance as read from its file.

    ``capacity`` and ``daily_total`` are in the file's load unit (cubic yards), lunch in
    seconds, speed in miles per hour. ``sites`` lists the depot, the landfills, then the
    stops: location ``i`` of ``to_problem``'s matrices is ``sites[i]``.
    """

    name: str
    path: Path
    capacity: float
    daily_total: float
    max_stops: int
    lunch_s: int
    mph: float
    depot: Site
    landfills: tuple[Site, ...]
    stops: tuple[Site, ...]

    @property
    def sites(self) -> tuple[Site, ...]:
        return (self.depot, *self.landfills, *self.stops)

    def feet(self, a: Site, b: Site) -> float:
        """Manhattan distance in feet."""
        return abs(a.x_ft - b.x_ft) + abs(a.y_ft - b.y_ft)

    def drive_s(self, feet: float) -> float:
        """Exact drive time in seconds over ``feet``."""
        return feet / FEET_PER_MILE / self.mph * 3600.0

    def truck_lower_bound(self) -> int:
        """Trucks needed at least: by the daily total, the stop limit, the hours of service.

        The hours bound counts only service and unloading time (no driving) against the
        depot's opening hours less the lunch.
        """
        load = sum(s.load for s in self.stops)
        service = sum(s.service_s for s in self.stops)
        fastest_unload = min(f.service_s for f in self.landfills)
        service += math.ceil(load / self.capacity) * fastest_unload
        hours = self.depot.late_s - self.depot.early_s - self.lunch_s
        return max(math.ceil(load / self.daily_total - 1e-9),
                   math.ceil(len(self.stops) / self.max_stops),
                   math.ceil(service / hours - 1e-9))


def read_kim(path: str | Path) -> KimInstance:
    """Read a Kim (2006) instance file.

    Raises
    ------
    KimFormatError
        Naming the file, the line and the field, with the value found and what is
        expected.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="latin-1").splitlines()
    except OSError as exc:
        raise KimFormatError(f"{path}: cannot read the instance file ({exc.strerror})") from exc
    if len(lines) < 7:
        raise KimFormatError(f"{path}: {len(lines)} lines; expected 5 header lines, a column "
                             "header and at least a depot and a landfill row")
    header = []
    for k, name in enumerate(HEADER):
        token = lines[k].split("//")[0].split()
        try:
            header.append(float(token[0]))
        except (IndexError, ValueError):
            raise KimFormatError(f"{path}:{k + 1}: header line {k + 1} must start with the "
                                 f"{name} (a number), got {lines[k][:40]!r}") from None
    capacity, daily_total, max_stops, lunch_s, mph = header
    if min(capacity, daily_total, max_stops, mph) <= 0 or lunch_s < 0:
        raise KimFormatError(f"{path}: capacity, daily total, stop limit and mph must be "
                             f"positive and the lunch >= 0, got {header}")
    sites, seen = [], set()
    for number, line in enumerate(lines[6:], start=7):
        if not line.strip():
            continue
        site = _site(path, number, line)
        if site.id in seen:
            raise KimFormatError(f"{path}:{number}: id {site.id} appears twice; ids must be "
                                 "unique")
        seen.add(site.id)
        sites.append(site)
    depots = [s for s in sites if s.kind == DEPOT]
    landfills = tuple(s for s in sites if s.kind == LANDFILL)
    if len(depots) != 1 or not landfills:
        raise KimFormatError(f"{path}: {len(depots)} depot row(s) (type 0) and "
                             f"{len(landfills)} landfill row(s) (type 2); expected exactly "
                             "one depot and at least one landfill")
    return KimInstance(
        name=path.stem, path=path, capacity=capacity, daily_total=daily_total,
        max_stops=int(max_stops), lunch_s=int(lunch_s), mph=mph, depot=depots[0],
        landfills=landfills, stops=tuple(s for s in sites if s.kind == STOP))


def _site(path: Path, number: int, line: str) -> Site:
    values = line.split()
    where = f"{path}:{number}"
    if len(values) != len(FIELDS):
        raise KimFormatError(f"{where}: {len(values)} fields; expected {len(FIELDS)}: "
                             f"{' '.join(FIELDS)}")
    row = dict(zip(FIELDS, values, strict=True))
    try:
        ident, kind = int(row["id"]), int(row["type"])
        x, y, service, load = (float(row[k]) for k in ("x_ft", "y_ft", "service_s", "load"))
    except ValueError:
        raise KimFormatError(f"{where}: id and type must be whole numbers and x_ft, y_ft, "
                             f"service_s, load numbers; got {line.strip()!r}") from None
    times = {}
    for name in ("early", "late"):
        try:
            times[name] = parse_hhmm(row[name])
        except ValueError as exc:
            raise KimFormatError(f"{where}: field {name!r}: {exc}; write HHMM such as "
                                 "0730") from None
    if kind not in (DEPOT, STOP, LANDFILL):
        raise KimFormatError(f"{where}: type {kind}; expected 0 (depot), 1 (stop) or 2 "
                             "(landfill)")
    if times["late"] < times["early"] or service < 0 or load < 0:
        raise KimFormatError(f"{where}: need early <= late and service_s, load >= 0; got "
                             f"{row['early']}-{row['late']}, {service}, {load}")
    return Site(ident, x, y, times["early"], times["late"], round(service), load, kind)


# -- ids shared by the Problem, the plans and the JSON routes -----------------------------
def stop_id(site: Site) -> str:
    return str(site.id)


def landfill_id(site: Site) -> str:
    return f"L{site.id}"


def feet_matrix(inst: KimInstance) -> np.ndarray:
    """Manhattan feet between every pair of ``inst.sites``."""
    xy = np.array([(s.x_ft, s.y_ft) for s in inst.sites])
    return (np.abs(xy[:, None, 0] - xy[None, :, 0]) + np.abs(xy[:, None, 1] - xy[None, :, 1]))


def duration_matrix(inst: KimInstance, feet: np.ndarray) -> np.ndarray:
    """Drive times in whole seconds, rounded up: a schedule in them is never early."""
    return np.ceil(feet * (3600.0 / FEET_PER_MILE / inst.mph) - 1e-7)


def _window(site: Site, depot: Site) -> tuple[int, int] | None:
    """The site's window, or ``None`` where the depot's hours already imply it."""
    if site.early_s <= depot.early_s and site.late_s >= depot.late_s:
        return None
    return (site.early_s, site.late_s)


def to_problem(inst: KimInstance, *, trucks: int, fixed_cost: float,
               cost_per_km: float = 1.0) -> Problem:
    """The instance as a ``routing.Problem`` (loads in yards where the model says tonnes).

    Parameters
    ----------
    inst
        The instance.
    trucks
        Fleet size (identical trucks ``T01``...).
    fixed_cost
        Cost of using a truck, in the units of ``cost_per_km`` (fewest trucks first).
    cost_per_km
        Cost per km driven.

    Notes
    -----
    Location ``i`` is ``inst.sites[i]``; stop ids are the instance ids, landfills
    ``L<id>``, the depot ``D<id>``. Distances are the Manhattan feet in metres; drive
    times are rounded up to whole seconds. Every truck has the depot's hours as its
    shift, the lunch as its break, the daily total as ``max_daily_t`` and the stop limit
    as ``max_stops``; ``end_empty`` makes the last visit a landfill. Stops are optional,
    so a plan that cannot serve them all says which it left.
    """
    feet = feet_matrix(inst)
    depot = inst.depot
    depot_id = f"D{depot.id}"
    offset = 1 + len(inst.landfills)
    facilities = tuple(Facility(landfill_id(f), 1 + k, unload_s=f.service_s,
                                window=_window(f, depot))
                       for k, f in enumerate(inst.landfills))
    stops = tuple(Stop(stop_id(s), offset + k, load_t=s.load, service_s=s.service_s,
                       window=_window(s, depot))
                  for k, s in enumerate(inst.stops))
    lunch = Break(LUNCH_WINDOW_S[0], LUNCH_WINDOW_S[1], inst.lunch_s) if inst.lunch_s else None
    vehicles = tuple(Vehicle(f"T{k + 1:02d}", depot_id, capacity_t=inst.capacity,
                             shift=(depot.early_s, depot.late_s), break_=lunch,
                             fixed_cost=fixed_cost, cost_per_km=cost_per_km,
                             max_daily_t=inst.daily_total, max_stops=inst.max_stops)
                     for k in range(trucks))
    names = (depot_id, *(landfill_id(f) for f in inst.landfills),
             *(stop_id(s) for s in inst.stops))
    return Problem(duration_s=duration_matrix(inst, feet), distance_m=feet * METRES_PER_FOOT,
                   stops=stops, facilities=facilities, depots=(Depot(depot_id, 0),),
                   vehicles=vehicles, name=inst.name, location_names=names, end_empty=True)


def plan_routes(plan: Plan) -> list[list[int | str]]:
    """A plan's routes in the instance's ids: stops as integers, landfills ``"L<id>"``."""
    out = []
    for route in plan.routes:
        items: list[int | str] = []
        for visit in route.visits:
            if visit.kind == "stop":
                items.append(int(visit.id))
            elif visit.kind == "facility":
                items.append(visit.id)
        if items:
            out.append(items)
    return out


# -- the independent re-check ---------------------------------------------------------------
@dataclass(frozen=True)
class Recheck:
    """What ``recheck`` found: trucks used, miles driven, every rule broken."""

    trucks: int
    miles: float
    violations: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.violations


def _hhmm(seconds: float) -> str:
    s = math.floor(seconds + 1e-6)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def recheck(inst: KimInstance, routes: Sequence[Sequence[int | str]]) -> Recheck:
    """Check routes against the set's rules, recomputing everything from the instance.

    Parameters
    ----------
    inst
        The instance.
    routes
        One list per truck of the instance's ids in visiting order: stops as integers,
        landfill visits as ``"L<id>"``, the depot omitted (every route starts and ends
        there).

    Returns
    -------
    Recheck
        Trucks (non-empty routes), total miles (Manhattan feet / 5280 from the depot,
        through every visit, back to the depot) and the violations: unknown ids, stops
        served twice or never, a trip over capacity, the daily total or stop limit
        exceeded, no landfill last, a window missed, back after the depot closes, no
        place for the lunch. Times are exact (drive time = miles / mph); each route is
        timed as early as possible (leave when the depot opens, wait where a window is
        not yet open), which is feasible whenever any timing is, with the lunch at the
        first place along the route that keeps every later rule.
    """
    by_stop = {s.id: s for s in inst.stops}
    by_landfill = {landfill_id(f): f for f in inst.landfills}
    problems: list[str] = []
    served: dict[int, int] = {}
    miles = 0.0
    trucks = 0
    for r, route in enumerate(routes, start=1):
        if not route:
            continue
        trucks += 1
        sites: list[Site] = []
        for item in route:
            if isinstance(item, str) and item in by_landfill:
                sites.append(by_landfill[item])
            elif isinstance(item, int) and not isinstance(item, bool) and item in by_stop:
                if item in served:
                    problems.append(f"route {r}: stop {item} already served on route "
                                    f"{served[item]}")
                served[item] = r
                sites.append(by_stop[item])
            else:
                problems.append(f"route {r}: {item!r} is neither a stop id (integer) nor a "
                                "landfill 'L<id>' of this instance")
        miles += _route_feet(inst, sites) / FEET_PER_MILE
        problems.extend(f"route {r}: {p}" for p in _loads(inst, sites))
        problems.extend(f"route {r}: {p}" for p in _timing(inst, sites))
    missing = [s.id for s in inst.stops if s.id not in served]
    if missing:
        problems.append(f"{len(missing)} stop(s) never served, e.g. {missing[:5]}")
    return Recheck(trucks, miles, tuple(problems))


def _route_feet(inst: KimInstance, sites: Sequence[Site]) -> float:
    path = [inst.depot, *sites, inst.depot]
    return sum(inst.feet(a, b) for a, b in itertools.pairwise(path))


def _loads(inst: KimInstance, sites: Sequence[Site]) -> list[str]:
    out = []
    on_board = day = 0.0
    count = 0
    for site in sites:
        if site.kind == LANDFILL:
            on_board = 0.0
            continue
        on_board += site.load
        day += site.load
        count += 1
        if on_board > inst.capacity + EPS_LOAD:
            out.append(f"stop {site.id}: {on_board:g} on board exceeds the capacity "
                       f"{inst.capacity:g}; unload at a landfill first")
            on_board = site.load  # report each overfull trip once
        if day > inst.daily_total + EPS_LOAD and day - site.load <= inst.daily_total:
            out.append(f"stop {site.id}: {day:g} collected today exceeds the daily total "
                       f"{inst.daily_total:g}")
        if count == inst.max_stops + 1:
            out.append(f"stop {site.id}: stop {count} of the day exceeds the limit of "
                       f"{inst.max_stops}")
    if on_board > EPS_LOAD or (sites and sites[-1].kind != LANDFILL):
        out.append(f"returns to the depot with {on_board:g} on board; the last visit must "
                   "be a landfill")
    return out


def _timing(inst: KimInstance, sites: Sequence[Site]) -> list[str]:
    """Broken time rules of a route, with the lunch where it fits best (see ``recheck``)."""
    latest = None  # what breaks with the lunch as late as it can start
    # lunch before leaving (-1), after visit k, or after coming home (len(sites))
    for lunch_after in range(-1, len(sites) + 1):
        problems = _simulate(inst, sites, lunch_after)
        if not problems:
            return []
        if not problems[0].startswith("lunch"):
            latest = problems
    lunch_free = _simulate(inst, sites, None)
    if lunch_free:
        return lunch_free  # broken even without a lunch
    example = f": with the lunch as late as it can start, {latest[0]}" if latest else ""
    return [f"no place for the {inst.lunch_s} s lunch starting {_hhmm(LUNCH_WINDOW_S[0])}-"
            f"{_hhmm(LUNCH_WINDOW_S[1])} that keeps every window and the depot's hours"
            f"{example}"]


def _simulate(inst: KimInstance, sites: Sequence[Site], lunch_after: int | None) -> list[str]:
    """Time the route as early as possible with the lunch after visit ``lunch_after``.

    ``None``: no lunch at all (to tell a lunch problem from a plain timing one).
    """
    out: list[str] = []
    depot = inst.depot
    t = float(depot.early_s)
    here = depot

    def lunch() -> bool:
        nonlocal t
        begin = max(t, LUNCH_WINDOW_S[0])
        if begin > LUNCH_WINDOW_S[1] + EPS_S:
            out.append(f"lunch cannot start by {_hhmm(LUNCH_WINDOW_S[1])} (free at "
                       f"{_hhmm(t)})")
            return False
        t = begin + inst.lunch_s
        return True

    if lunch_after == -1 and not lunch():
        return out
    for k, site in enumerate(sites):
        t += inst.drive_s(inst.feet(here, site))
        if t > site.late_s + EPS_S:
            what = "landfill" if site.kind == LANDFILL else "stop"
            out.append(f"{what} {site.id}: arrives {_hhmm(t)}, after its window closes "
                       f"{_hhmm(site.late_s)}")
            return out
        t = max(t, site.early_s) + site.service_s
        here = site
        if lunch_after == k and not lunch():
            return out
    t += inst.drive_s(inst.feet(here, depot))
    if t > depot.late_s + EPS_S:
        out.append(f"back at the depot {_hhmm(t)}, after it closes {_hhmm(depot.late_s)}")
        return out
    if lunch_after == len(sites) and not lunch():
        return out
    return out
