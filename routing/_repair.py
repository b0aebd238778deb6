"""What every engine's plan goes through: lunch breaks placed, broken routes repaired.

Neither engine is given the break itself. OR-Tools' break intervals reject long
multi-trip routes (a 1,000-stop day with 30 trucks kept 755 stops out because its first
solution was refused) and PyVRP has no breaks at all. Instead the search sees a problem
in which each break is already paid for (``without_breaks``):

- the truck's shift ends ``duration_s`` earlier and its working day is ``duration_s``
  shorter, so the day still fits once the break is taken;
- a time window (of a stop or a facility) that closes after the break window does
  ``duration_s`` earlier, so a visit pushed back by the break still starts in time.

After the search, ``restore`` re-times each route on the real problem with
``schedule_route``, trying every place for the break (after a visit, where the truck
is) and keeping the one that breaks no rule. A route that still breaks a rule is
repaired: a visit whose window closes inside the break window can collide with the
break, and an engine may not model every limit (PyVRP models one of the two daily
limits exactly). The repair takes off the fewest, least urgent stops until the route
keeps every rule, moves each to the truck where it costs least and fits (an idle truck
included), and reports the ones no truck has room for, with the reason.
``routing.check_plan`` then checks the result like any other plan.

The only plans the break rule rules out are those that visit a stop in the last
``duration_s`` before its window closes, *before* the break, when that window closes
after the break window: a few minutes of one window on a real day.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from routing._check import _check_route, schedule_route
from routing._model import Problem, Vehicle
from routing._plan import Plan, Route, Unassigned

logger = logging.getLogger(__name__)


def _takes_break(v: Vehicle) -> bool:
    """Whether the truck's break can fall inside its shift at all."""
    brk = v.break_
    return brk is not None and v.shift[0] <= brk.latest_s < v.shift[1]


def without_breaks(problem: Problem) -> Problem:
    """The problem the search sees: every break paid for in shifts and windows.

    Returns ``problem`` itself when no truck has a break.
    """
    if all(v.break_ is None for v in problem.vehicles):
        return problem
    breakers = [v for v in problem.vehicles if _takes_break(v)]

    def tighten(window: tuple[int, int] | None) -> tuple[int, int] | None:
        if window is None:
            return None
        cut = max((v.break_.duration_s for v in breakers if window[1] > v.break_.latest_s),
                  default=0)
        return window if not cut else (window[0], max(window[0], window[1] - cut))

    vehicles = []
    for v in problem.vehicles:
        if not _takes_break(v):
            vehicles.append(replace(v, break_=None))
            continue
        d = v.break_.duration_s
        end = max(v.shift[0], v.shift[1] - d)
        vehicles.append(replace(v, break_=None, shift=(v.shift[0], end),
                                max_duration_s=max(1, v.duration_limit_s - d)))
    return problem.with_changes(
        vehicles=tuple(vehicles),
        stops=tuple(replace(s, window=tighten(s.window)) for s in problem.stops),
        facilities=tuple(replace(f, window=tighten(f.window)) for f in problem.facilities),
    )


def violations(problem: Problem, route: Route) -> list[str]:
    """The rules one route breaks (the plan checker's rules for a single route)."""
    return _check_route(problem, route, {})


def schedule_best(problem: Problem, vehicle_id: str, items: Sequence[str], *,
                  depart_s: int | None = None) -> tuple[Route, list[str]]:
    """The route's timing with its break where it keeps every rule, and what it breaks.

    Tries the default place first (after the last visit that ends before the break
    window closes), then every other place, and keeps the first that breaks nothing,
    else the one that breaks the fewest rules.
    """
    route = schedule_route(problem, vehicle_id, items, depart_s=depart_s)
    broken = violations(problem, route)
    v = problem.vehicle(vehicle_id)
    if not broken or v.break_ is None:
        return route, broken
    best = (route, broken)
    for k in range(-1, len(items)):
        other = schedule_route(problem, vehicle_id, items, break_after=k, depart_s=depart_s)
        wrong = violations(problem, other)
        if not wrong:
            if depart_s is not None:  # leave as late as the new place allows
                later = schedule_route(problem, vehicle_id, items, break_after=k)
                if not violations(problem, later):
                    other = later
            return other, []
        if len(wrong) < len(best[1]):
            best = (other, wrong)
    return best


def _items(route: Route) -> list[str]:
    return [v.id for v in route.visits if v.kind in ("stop", "facility")]


def _without(problem: Problem, items: list[str], k: int) -> list[str] | None:
    """``items`` without the stop at ``k`` (and an unload left with nothing to unload)."""
    rest = items[:k] + items[k + 1:]
    facilities = problem._index["facilities"]
    out: list[str] = []
    for item in rest:
        if item in facilities and (not out or out[-1] in facilities):
            continue  # nothing collected since the last unload
        out.append(item)
    if not out or all(i in facilities for i in out):
        return None
    if problem.end_empty and out[-1] not in facilities:
        out.append(rest[-1] if rest and rest[-1] in facilities else items[-1])
    return out


def _repair(problem: Problem, route: Route) -> tuple[Route | None, list[str]]:
    """Drop the fewest stops (least urgent, lightest first) until the route keeps every rule."""
    items = _items(route)
    dropped: list[str] = []
    stops = problem._index["stops"]
    while True:
        candidates = []
        for k, item in enumerate(items):
            if item not in stops:
                continue
            rest = _without(problem, items, k)
            if rest is None:
                continue
            trial, wrong = schedule_best(problem, route.vehicle_id, rest)
            stop = stops[item]
            candidates.append((len(wrong), -stop.priority, stop.load_t, k, rest, trial))
        if not candidates:
            return None, dropped + [i for i in items if i in stops]
        wrong, _, _, k, rest, trial = min(candidates, key=lambda c: c[:4])
        dropped.append(items[k])
        items = rest
        if wrong == 0:
            return trial, dropped


def insert_stop(problem: Problem, routes: dict[str, Route], stop_id: str, *,
            near_routes: int = 6, near_visits: int = 3) -> bool:
    """Put a stop where it costs least and breaks no rule: a route, or an idle truck.

    Tries the places next to the ``near_visits`` visits closest to the stop on each of
    the ``near_routes`` routes that pass closest, and one idle truck of each kind.
    """
    dur = problem.duration_s
    loc = problem.stop(stop_id).location
    trials: list[tuple[str, list[str], float]] = []
    ranked = []
    for vehicle_id, route in routes.items():
        items = _items(route)
        gaps = [min(dur[v.location, loc], dur[loc, v.location]) for v in route.visits[1:-1]]
        ranked.append((min(gaps, default=float("inf")), vehicle_id, items, gaps, route.cost))
    ranked.sort(key=lambda r: r[0])
    for _, vehicle_id, items, gaps, cost in ranked[:near_routes]:
        closest = sorted(range(len(gaps)), key=gaps.__getitem__)[:near_visits]
        last = len(items) - (1 if problem.end_empty else 0)
        places = sorted({k for c in closest for k in (c, c + 1) if 0 <= k <= last})
        trials.extend((vehicle_id, [*items[:k], stop_id, *items[k:]], cost) for k in places)
    kinds = set()
    for v in problem.vehicles:
        kind = (v.start_depot, v.end_depot, v.shift, v.capacity_t, v.break_, v.streams,
                v.facilities, v.max_daily_t, v.max_stops, v.cost_per_km, v.cost_per_hour,
                v.fixed_cost)
        if v.id in routes or kind in kinds:
            continue
        kinds.add(kind)
        ends = [[f.id] for f in problem.allowed_facilities(v)] if problem.end_empty else [[]]
        trials.extend((v.id, [stop_id, *end], 0.0) for end in ends)
    best: tuple[float, str, Route] | None = None
    for vehicle_id, trial_items, before in trials:
        trial, wrong = schedule_best(problem, vehicle_id, trial_items)
        if wrong:
            continue
        extra = trial.cost - before
        if best is None or extra < best[0]:
            best = (extra, vehicle_id, trial)
    if best is None:
        return False
    routes[best[1]] = best[2]
    return True


def _day_limit_broken(problem: Problem, route: Route) -> bool:
    v = problem.vehicle(route.vehicle_id)
    stops = route.stops
    return ((v.max_stops is not None and len(stops) > v.max_stops)
            or (v.max_daily_t is not None and sum(s.load_t for s in stops)
                > v.max_daily_t + 1e-6))


def restore(problem: Problem, plan: Plan) -> Plan:
    """Re-time a plan found on ``without_breaks(problem)`` and repair what breaks a rule.

    Parameters
    ----------
    problem
        The prepared problem, breaks included.
    plan
        An engine's plan for the problem without breaks (same stop ids).

    Returns
    -------
    Plan
        The same visiting order, timed with the breaks; routes that could not keep
        every rule repaired, and the stops no truck had room for added to
        ``unassigned``. ``meta["repair"]`` counts what the repair did.
    """
    routes: dict[str, Route] = {}
    displaced: list[tuple[str, bool]] = []  # (stop, taken off for a daily limit)
    for route in plan.routes:
        depart = route.visits[0].departure_s
        timed, wrong = schedule_best(problem, route.vehicle_id, _items(route), depart_s=depart)
        if wrong:
            logger.info("repair: route %s breaks %s", route.vehicle_id, wrong[:2])
            daily = _day_limit_broken(problem, timed)
            timed, dropped = _repair(problem, timed)
            displaced.extend((s, daily) for s in dropped)
        if timed is not None:
            routes[route.vehicle_id] = timed
    moved, lost = 0, []
    for stop_id, daily in displaced:
        if insert_stop(problem, routes, stop_id):
            moved += 1
        else:
            lost.append((stop_id, daily))
    unassigned = list(plan.unassigned)
    for stop_id, daily in lost:
        stop = problem.stop(stop_id)
        if daily:  # routing.solve names the limit from the final plan
            unassigned.append(Unassigned(stop.id, stop.site_id, stop.load_t,
                                         "left out by the search"))
        elif stop.window is not None:
            hhmm = [f"{t // 3600:02d}:{t % 3600 // 60:02d}" for t in stop.window]
            reason = (f"the lunch break leaves no room to reach it within {hhmm[0]}-{hhmm[1]}"
                      " on any truck")
            unassigned.append(Unassigned(stop.id, stop.site_id, stop.load_t, reason, "window",
                                         {"open": hhmm[0], "close": hhmm[1]}))
        else:
            unassigned.append(Unassigned(stop.id, stop.site_id, stop.load_t,
                                         "not enough truck time in the shift once the lunch "
                                         "break is taken", "hours"))
    if displaced:
        logger.info("repair: %d stop(s) moved to other trucks, %d left out", moved, len(lost))
    order = {v.id: k for k, v in enumerate(problem.vehicles)}
    meta = {**plan.meta, "repair": {"displaced": len(displaced), "moved": moved,
                                    "left_out": len(lost)}}
    return replace(plan, routes=tuple(sorted(routes.values(), key=lambda r: order[r.vehicle_id])),
                   unassigned=tuple(unassigned), meta=meta)


__all__ = ["insert_stop", "restore", "schedule_best", "violations", "without_breaks"]
