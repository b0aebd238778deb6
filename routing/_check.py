"""Timing rules in one place, and the independent plan checker.

``schedule_route`` turns an ordered list of stop and facility ids into timed visits
(the engines use it, so every engine follows the same rules). ``check_plan`` does not
trust any of that: it recomputes loads, times, distances and costs from the problem
alone and raises ``PlanViolation`` listing every broken rule.

The rules
---------
- A truck leaves its start depot at or after its shift start and is back at its end
  depot by the shift end; the day (leave to return) lasts at most ``duration_limit_s``.
- Driving from location ``a`` to ``b`` takes ``duration_s[a, b]`` and covers
  ``distance_m[a, b]``; a truck may wait before a visit.
- Service at a stop and unloading at a facility must *start* within its window, and
  take ``service_s`` / ``unload_s``.
- Load grows at each stop and never exceeds the capacity; a facility visit unloads
  everything. With ``end_empty`` the last visit before the end depot is a facility.
- A break, if the truck has one, is taken once, starting within its window, where the
  truck is; it delays the rest of the day by its length.
- A stop with a release time may only be served on a trip that leaves its depot or
  facility at or after that time.
- A truck serves at most ``max_stops`` stops and collects at most ``max_daily_t`` tonnes
  in the day, over all its trips.
- A truck collects only its streams; a trip (depot or facility to the next facility)
  carries one stream, and unloads at a facility that accepts it.
- Every stop is served exactly once or listed as unassigned (with a reason, and a code
  from ``REASON_CODES`` when it has one); required stops are served.
- Route cost = fixed cost + cost_per_km * km + cost_per_hour * hours on the road.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from routing._errors import PlanViolation, ProblemError
from routing._model import Problem, Vehicle
from routing._plan import REASON_CODES, Plan, Route, SiteProgress, Visit

EPS_T = 1e-6  # tonnes
EPS_S = 1  # seconds of rounding slack in time comparisons
EPS_KM = 1e-3


def _route_cost(vehicle: Vehicle, km: float, hours: float) -> float:
    return vehicle.fixed_cost + vehicle.cost_per_km * km + vehicle.cost_per_hour * hours


def schedule_route(
    problem: Problem,
    vehicle_id: str,
    items: Sequence[str],
    *,
    break_after: int | None = None,
    depart_s: int | None = None,
) -> Route:
    """Timed visits for one truck from the order of its stops and unloads.

    Parameters
    ----------
    problem
        The problem the ids belong to.
    vehicle_id
        The truck.
    items
        Stop ids and facility ids in visiting order, without depots and breaks.
    break_after
        Take the truck's break after ``items[break_after]`` (``-1``: right after leaving
        the depot); ``None``: at the first point its window allows, if the truck has one.
    depart_s
        When the truck leaves the depot, in seconds from midnight; ``None``: as late as
        possible without delaying any visit (less waiting, shorter day).

    Returns
    -------
    Route
        Timed visits (start, stops, facilities, break, end) and totals. Rules are not
        enforced here: ``check_plan`` reports anything this schedule breaks.
    """
    vehicle = problem.vehicle(vehicle_id)
    if not items:
        raise ProblemError(f"route of {vehicle_id} visits nothing; leave the truck home")
    if break_after is None and vehicle.break_ is not None:
        break_after = _default_break_position(problem, vehicle, items)
    plan = _timeline(problem, vehicle, items, break_after, vehicle.shift[0])
    if depart_s is None:
        delay = _forward_slack(problem, vehicle, plan)
        if delay > 0:
            plan = _timeline(problem, vehicle, items, break_after, vehicle.shift[0] + delay)
    else:
        plan = _timeline(problem, vehicle, items, break_after, depart_s)
    return _route_from_visits(problem, vehicle, plan)


def _default_break_position(
    problem: Problem, vehicle: Vehicle, items: Sequence[str]
) -> int | None:
    """Take the break after the last visit that ends before the break window closes.

    ``None`` when the day needs no break (see ``break_needed``).
    """
    timeline = _timeline(problem, vehicle, items, None, vehicle.shift[0])
    if not break_needed(vehicle, timeline[0].departure_s, timeline[-1].arrival_s):
        return None
    position = -1
    for k, visit in enumerate(timeline[1:-1]):
        if visit.departure_s <= vehicle.break_.latest_s:
            position = k
    return position


def break_needed(vehicle: Vehicle, depart_s: float, return_s: float) -> bool:
    """Whether a day from ``depart_s`` to ``return_s`` must include the truck's break.

    A truck still out when its break window closes must have taken the break; a truck
    that leaves after the window or is back home by its close takes it off duty.
    """
    brk = vehicle.break_
    return brk is not None and depart_s <= brk.latest_s < return_s


def _timeline(
    problem: Problem,
    vehicle: Vehicle,
    items: Sequence[str],
    break_after: int | None,
    depart_s: int,
) -> list[Visit]:
    dur, dist = problem.duration_s, problem.distance_m
    depot = problem.depot(vehicle.start_depot)
    releases = _trip_releases(problem, items)
    leave = max(depart_s, releases.get(-1, 0))
    visits = [Visit("start", depot.id, depot.location, depart_s, depart_s, leave,
                    site_id=depot.id)]
    loc, time, km, load = depot.location, leave, 0.0, 0.0

    def take_break() -> None:
        nonlocal time
        brk = vehicle.break_
        start = max(time, brk.earliest_s)
        visits.append(Visit("break", "break", loc, time, start, start + brk.duration_s,
                            load_after_t=load, distance_km=float(km),
                            elapsed_h=(time - depart_s) / 3600, site_id="break"))
        time = start + brk.duration_s

    if break_after == -1 and vehicle.break_ is not None:
        take_break()
    for k, item in enumerate(items):
        if item in problem._index["stops"]:
            stop = problem.stop(item)
            kind, target, service, window = "stop", stop.location, stop.service_s, stop.window
            delta, site = stop.load_t, stop.site_id
        elif item in problem._index["facilities"]:
            fac = problem.facility(item)
            kind, target, service, window = "facility", fac.location, fac.unload_s, fac.window
            delta, site = -load, fac.id
        else:
            raise ProblemError(f"route of {vehicle.id}: unknown stop or facility id {item!r}")
        time += dur[loc, target]
        km += dist[loc, target] / 1000
        arrival = round(time)
        start = max(arrival, window[0]) if window else arrival
        load = round(load + delta, 9)
        # A trip may not leave before the release time of the loads it will collect.
        leave = max(start + service, releases.get(k, 0))
        visits.append(Visit(kind, item, target, arrival, start, leave,
                            load_t=round(delta, 9), load_after_t=max(load, 0.0),
                            distance_km=float(km), elapsed_h=(arrival - depart_s) / 3600,
                            site_id=site))
        loc, time = target, leave
        if break_after == k and vehicle.break_ is not None:
            take_break()
    end = problem.depot(vehicle.end_depot)
    time += dur[loc, end.location]
    km += dist[loc, end.location] / 1000
    arrival = round(time)
    visits.append(Visit("end", end.id, end.location, arrival, arrival, arrival,
                        load_after_t=load, distance_km=float(km),
                        elapsed_h=(arrival - depart_s) / 3600, site_id=end.id))
    return visits


def _trip_releases(problem: Problem, items: Sequence[str]) -> dict[int, int]:
    """Release time of the trip that starts after ``items[k]`` (``-1``: at the depot)."""
    releases: dict[int, int] = {}
    trip_start = -1
    for k, item in enumerate(items):
        if item in problem._index["facilities"]:
            trip_start = k
        elif item in problem._index["stops"]:
            release = problem.stop(item).release_s
            if release > releases.get(trip_start, 0):
                releases[trip_start] = release
    return releases


def _forward_slack(problem: Problem, vehicle: Vehicle, visits: list[Visit]) -> int:
    """How much later the truck may leave the depot without breaking a window.

    Delaying the departure by ``D`` delays visit ``i`` by ``D`` minus the waiting done
    up to and including it (``W_i``), so ``D <= W_i + close_i - start_i`` for every
    visit with a window, and the return must stay within the shift. A delay beyond the
    total waiting gains nothing.
    """
    waited = 0
    limit = math.inf
    for visit in visits[1:-1]:
        waited += visit.start_s - visit.arrival_s
        close = _window_close(problem, vehicle, visit)
        if close is not None:
            limit = min(limit, waited + close - visit.start_s)
    limit = min(limit, waited + vehicle.shift[1] - visits[-1].arrival_s)
    return int(max(0, min(limit, waited)))


def _window_close(problem: Problem, vehicle: Vehicle, visit: Visit) -> int | None:
    if visit.kind == "break":
        return vehicle.break_.latest_s
    if visit.kind == "stop":
        window = problem.stop(visit.id).window
    else:
        window = problem.facility(visit.id).window
    return None if window is None else window[1]


def _route_from_visits(problem: Problem, vehicle: Vehicle, visits: list[Visit]) -> Route:
    km = visits[-1].distance_km
    hours = (visits[-1].arrival_s - visits[0].departure_s) / 3600
    return Route(
        vehicle_id=vehicle.id,
        visits=tuple(visits),
        distance_km=round(km, 6),
        duration_h=round(hours, 6),
        tonnes=round(sum(v.load_t for v in visits if v.kind == "stop"), 6),
        unload_trips=sum(1 for v in visits if v.kind == "facility"),
        cost=round(_route_cost(vehicle, km, hours), 6),
    )


# -- the checker ----------------------------------------------------------------------
def check_plan(problem: Problem, plan: Plan) -> None:
    """Verify a plan against its problem, recomputing everything from the problem alone.

    Raises
    ------
    PlanViolation
        Listing every broken rule (capacity, windows, shift, facility hours, break,
        release, a stop served twice or lost, wrong totals).
    """
    problem = problem.split_for_fleet()
    problems: list[str] = []
    served: dict[str, str] = {}
    used_vehicles: set[str] = set()
    for route in plan.routes:
        if route.vehicle_id not in problem._index["vehicles"]:
            problems.append(f"route for unknown vehicle {route.vehicle_id!r}")
            continue
        if route.vehicle_id in used_vehicles:
            problems.append(f"vehicle {route.vehicle_id} has two routes")
        used_vehicles.add(route.vehicle_id)
        problems.extend(_check_route(problem, route, served))
    listed: set[str] = set()
    for u in plan.unassigned:
        if u.stop_id in listed:
            problems.append(f"stop {u.stop_id} listed as unassigned twice")
        listed.add(u.stop_id)
        if u.stop_id in served:
            problems.append(f"stop {u.stop_id} is both served (by {served[u.stop_id]}) "
                            "and listed as unassigned")
        if not u.reason:
            problems.append(f"unassigned stop {u.stop_id} has no reason")
        if u.code and u.code not in REASON_CODES:
            problems.append(f"unassigned stop {u.stop_id} has an unknown reason code "
                            f"{u.code!r}; known: {', '.join(REASON_CODES)}")
        if u.stop_id in problem._index["stops"] and problem.stop(u.stop_id).required:
            problems.append(f"required stop {u.stop_id} is unassigned: {u.reason}")
    for stop in problem.stops:
        if stop.id not in served and stop.id not in listed:
            problems.append(f"stop {stop.id} is neither served nor listed as unassigned")
    if problems:
        raise PlanViolation(problems)


def _check_route(problem: Problem, route: Route, served: dict[str, str]) -> list[str]:
    out: list[str] = []
    v = problem.vehicle(route.vehicle_id)
    name = f"route {v.id}"
    visits = route.visits
    if len(visits) < 2 or visits[0].kind != "start" or visits[-1].kind != "end":
        return [f"{name}: must begin with 'start' and finish with 'end'"]
    start_depot, end_depot = problem.depot(v.start_depot), problem.depot(v.end_depot)
    if visits[0].location != start_depot.location:
        out.append(f"{name}: starts at location {visits[0].location}, not depot {v.start_depot}")
    if visits[-1].location != end_depot.location:
        out.append(f"{name}: ends at location {visits[-1].location}, not depot {v.end_depot}")
    allowed = {f.id for f in problem.allowed_facilities(v)}
    dur, dist = problem.duration_s, problem.distance_m
    loc = visits[0].location
    free_at = visits[0].departure_s  # when the truck may next move
    if visits[0].departure_s < v.shift[0] - EPS_S:
        out.append(f"{name}: leaves at {_hhmm(visits[0].departure_s)}, "
                   f"before the shift starts at {_hhmm(v.shift[0])}")
    km, load, breaks, trip_start = 0.0, 0.0, 0, visits[0].departure_s
    day_t, day_stops, trip_stream = 0.0, 0, None
    for visit in visits[1:]:
        where = f"{name} at {visit.kind} {visit.id}"
        if visit.kind == "break":
            breaks += 1
            brk = v.break_
            if brk is None:
                out.append(f"{where}: this truck has no break")
                continue
            if visit.start_s < free_at - EPS_S:
                out.append(f"{where}: starts before the truck is free")
            if not brk.earliest_s - EPS_S <= visit.start_s <= brk.latest_s + EPS_S:
                out.append(f"{where}: starts {_hhmm(visit.start_s)}, outside "
                           f"{_hhmm(brk.earliest_s)}-{_hhmm(brk.latest_s)}")
            if visit.departure_s - visit.start_s < brk.duration_s - EPS_S:
                out.append(f"{where}: lasts less than {brk.duration_s} s")
            free_at = max(free_at, visit.departure_s)
            continue
        travel = dur[loc, visit.location]
        if not math.isfinite(travel):
            out.append(f"{where}: no street path from location {loc}")
            travel = 0.0
        km += dist[loc, visit.location] / 1000 if math.isfinite(dist[loc, visit.location]) else 0
        earliest = free_at + travel
        if visit.arrival_s < earliest - EPS_S:
            out.append(f"{where}: arrives {_hhmm(visit.arrival_s)}, but cannot be there before "
                       f"{_hhmm(earliest)}")
        if visit.start_s < visit.arrival_s - EPS_S:
            out.append(f"{where}: starts before arriving")
        if visit.kind == "stop":
            if visit.id not in problem._index["stops"]:
                out.append(f"{where}: unknown stop")
                continue
            stop = problem.stop(visit.id)
            if visit.id in served:
                out.append(f"stop {visit.id} served twice ({served[visit.id]} and {v.id})")
            served[visit.id] = v.id
            if visit.location != stop.location:
                out.append(f"{where}: at location {visit.location}, stop is at {stop.location}")
            out.extend(_window(where, visit.start_s, stop.window))
            if visit.departure_s - visit.start_s < stop.service_s - EPS_S:
                out.append(f"{where}: service shorter than {stop.service_s} s")
            if trip_start < stop.release_s - EPS_S:
                out.append(f"{where}: trip left at {_hhmm(trip_start)}, before the release "
                           f"time {_hhmm(stop.release_s)}")
            load += stop.load_t
            if load > v.capacity_t + EPS_T:
                out.append(f"{where}: load {load:.3f} t exceeds capacity {v.capacity_t} t")
            day_t += stop.load_t
            day_stops += 1
            if v.max_daily_t is not None and day_t > v.max_daily_t + EPS_T:
                out.append(f"{where}: {day_t:.3f} t collected today exceeds the truck's daily "
                           f"limit of {v.max_daily_t} t")
            if v.max_stops is not None and day_stops == v.max_stops + 1:
                out.append(f"{where}: stop {day_stops} of the day exceeds the truck's limit "
                           f"of {v.max_stops} stops")
            if not v.serves(stop.stream):
                out.append(f"{where}: the truck does not collect stream {stop.stream!r} "
                           f"(it collects {', '.join(v.streams)})")
            if trip_stream is None:
                trip_stream = stop.stream
            elif stop.stream != trip_stream:
                out.append(f"{where}: stream {stop.stream!r} on a trip already carrying "
                           f"{trip_stream!r}; unload between streams")
            if abs(visit.load_t - stop.load_t) > EPS_T:
                out.append(f"{where}: reports {visit.load_t} t, stop has {stop.load_t} t")
        elif visit.kind == "facility":
            if visit.id not in problem._index["facilities"]:
                out.append(f"{where}: unknown facility")
                continue
            fac = problem.facility(visit.id)
            if fac.id not in allowed:
                out.append(f"{where}: truck may not unload here")
            if visit.location != fac.location:
                out.append(f"{where}: at location {visit.location}, facility is at {fac.location}")
            out.extend(_window(where, visit.start_s, fac.window))
            if visit.departure_s - visit.start_s < fac.unload_s - EPS_S:
                out.append(f"{where}: unloading shorter than {fac.unload_s} s")
            if trip_stream is not None and not fac.accepts(trip_stream):
                out.append(f"{where}: does not accept stream {trip_stream!r} (accepts "
                           f"{', '.join(fac.streams)})")
            load = 0.0
            trip_start = visit.departure_s
            trip_stream = None
        elif visit.kind == "end":
            if visit is not visits[-1]:
                out.append(f"{name}: 'end' before the last visit")
            if problem.end_empty and load > EPS_T:
                out.append(f"{name}: returns to the depot with {load:.3f} t on board; "
                           "the last visit before the depot must be a facility")
            if visit.arrival_s > v.shift[1] + EPS_S:
                out.append(f"{name}: back at {_hhmm(visit.arrival_s)}, after the shift ends "
                           f"at {_hhmm(v.shift[1])}")
            day = visit.arrival_s - visits[0].departure_s
            if day > v.duration_limit_s + EPS_S:
                out.append(f"{name}: day of {day / 3600:.2f} h exceeds the limit of "
                           f"{v.duration_limit_s / 3600:.2f} h")
        else:
            out.append(f"{where}: unknown visit kind {visit.kind!r}")
            continue
        if abs(visit.load_after_t - max(load, 0.0)) > 1e-3:
            out.append(f"{where}: reports {visit.load_after_t} t on board, recomputed {load:.3f}")
        loc, free_at = visit.location, max(visit.departure_s, visit.arrival_s)
    if breaks > 1:
        out.append(f"{name}: takes {breaks} breaks; at most one is allowed")
    elif breaks == 0 and break_needed(v, visits[0].departure_s, visits[-1].arrival_s):
        out.append(f"{name}: no break, but the truck is on the road when its break window "
                   f"closes at {_hhmm(v.break_.latest_s)}")
    hours = (visits[-1].arrival_s - visits[0].departure_s) / 3600
    if abs(route.distance_km - km) > EPS_KM * max(1.0, km):
        out.append(f"{name}: reports {route.distance_km:.3f} km, recomputed {km:.3f}")
    if abs(route.duration_h - hours) > 1e-3:
        out.append(f"{name}: reports {route.duration_h:.3f} h, recomputed {hours:.3f}")
    cost = _route_cost(v, km, hours)
    if abs(route.cost - cost) > 1e-3 * max(1.0, abs(cost)):
        out.append(f"{name}: reports cost {route.cost:.2f}, recomputed {cost:.2f}")
    return out


def _window(where: str, start_s: int, window: tuple[int, int] | None) -> list[str]:
    if window is None:
        return []
    if not window[0] - EPS_S <= start_s <= window[1] + EPS_S:
        return [f"{where}: starts {_hhmm(start_s)}, outside {_hhmm(window[0])}-"
                f"{_hhmm(window[1])}"]
    return []


def _hhmm(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}" + (f":{s % 60:02d}" if s % 60 else "")


def site_progress(problem: Problem, plan: Plan) -> tuple[SiteProgress, ...]:
    """Per site: tonnes on the ground, tonnes this plan clears, truck loads taken.

    Uses the stops of ``problem`` (before or after splitting: split loads share a
    ``site_id``), so a 27 t dump served by three of its four loads reports 24 t cleared.
    """
    tonnes: dict[str, float] = {}
    for s in problem.stops:
        tonnes[s.site_id] = tonnes.get(s.site_id, 0.0) + s.load_t
    cleared = dict.fromkeys(tonnes, 0.0)
    trips = dict.fromkeys(tonnes, 0)
    for route in plan.routes:
        for visit in route.stops:
            if visit.site_id in cleared:
                cleared[visit.site_id] += visit.load_t
                trips[visit.site_id] += 1
    return tuple(
        SiteProgress(site, round(tonnes[site], 6), round(cleared[site], 6), trips[site])
        for site in tonnes
    )
