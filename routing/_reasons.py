"""Why work is left out, for every engine: screening before the search, reasons after.

``screen`` runs before any search: it finds, for each stop, the trucks that could serve
it on a trip of its own (depot, stop, a facility that accepts its stream, home, within
the shift and every window) and reports the rest with the first rule that rules them
out: no street path, stream, capacity, window, shift. Engines model only what can be
done.

``explain`` runs after the search, on the plan: a stop some truck could have served alone
but no truck served is left out by the fleet's limits, and the one that bound it is
named: every truck that could take it had reached its daily tonnage (``daily_total``) or
stop limit (``stops``), or the trucks' hours went to other work (``hours``). When no
search produced any plan the reason is the search itself (``search``).

``fleet_report`` says whether the *fleet* or the *search* was short: a lower bound on the
truck-hours the work needs (service, the shortest drive into each place, one unload per
full load) against the hours the fleet has, and the hours the plan left unused.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from i18n import N_, gettext
from routing._model import Facility, Problem, Stop, Vehicle
from routing._plan import Plan, Unassigned

EPS_T = 1e-6


def hhmm(seconds: float) -> str:
    """``HH:MM`` of seconds from midnight (minutes rounded down, as on every output)."""
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}"


def _leg(seconds: float) -> int:
    return math.floor(seconds + 0.5)


def trip_ok(problem: Problem, v: Vehicle, stop: Stop, fac: Facility | None, *,
            facility_hours: bool = True) -> bool:
    """Whether ``v`` can do depot -> ``stop`` (-> ``fac``) -> depot keeping every rule.

    ``facility_hours=False`` ignores the facility's opening hours (to tell a facility
    that is closed during the shifts from a stop that is too far).
    """
    dur = problem.duration_s
    home = problem.depot(v.start_depot).location
    end = problem.depot(v.end_depot).location
    lead = _leg(dur[home, stop.location])
    depart = v.shift[0]
    if stop.window is not None:
        depart = max(depart, stop.window[0] - lead)
    t = depart + lead
    start = max(t, stop.window[0]) if stop.window else t
    if stop.window and start > stop.window[1]:
        return False
    t = start + stop.service_s
    if fac is not None:
        t += _leg(dur[stop.location, fac.location])
        window = fac.window if facility_hours else None
        fstart = max(t, window[0]) if window else t
        if window and fstart > window[1]:
            return False
        t = fstart + fac.unload_s + _leg(dur[fac.location, end])
    else:
        t += _leg(dur[stop.location, end])
    brk = v.break_
    if brk is not None and depart <= brk.latest_s < t:
        t += brk.duration_s
    return t <= v.shift[1] and t - depart <= v.duration_limit_s


def _paths(problem: Problem, v: Vehicle, stop: Stop) -> list[Facility | None]:
    """The facilities through which ``v`` has a street path to ``stop`` and home."""
    dur = problem.duration_s
    home = problem.depot(v.start_depot).location
    end = problem.depot(v.end_depot).location
    if not math.isfinite(dur[home, stop.location]):
        return []
    if not problem.end_empty:
        return [None] if math.isfinite(dur[stop.location, end]) else []
    return [f for f in problem.allowed_facilities(v)
            if math.isfinite(dur[stop.location, f.location])
            and math.isfinite(dur[f.location, end])]


def end_facility(problem: Problem, v: Vehicle) -> Facility | None:
    """Where ``v`` tips its last load.

    A facility it can reach and be home from, open during its shift, accepting most of
    its streams, open until the shift ends, then the one nearest its end depot;
    ``None`` if none can be reached.
    """
    dur = problem.duration_s
    home = problem.depot(v.start_depot).location
    end = problem.depot(v.end_depot).location
    streams = [s for s in problem.streams if v.serves(s)] or list(problem.streams)
    best, best_key = None, None
    for f in problem.allowed_facilities(v):
        if not (math.isfinite(dur[f.location, end]) and math.isfinite(dur[home, f.location])):
            continue
        first = v.shift[0] + _leg(dur[home, f.location])
        last = v.shift[1] - f.unload_s - _leg(dur[f.location, end])
        open_ = f.window is None or (f.window[0] <= last and f.window[1] >= first)
        closes_early = f.window is not None and f.window[1] < last
        key = (not open_, -sum(f.accepts(s) for s in streams), closes_early,
               dur[f.location, end], f.id)
        if best_key is None or key < best_key:
            best, best_key = f, key
    return best


def _most(v: Vehicle) -> float:
    """The most tonnes one stop may weigh on this truck."""
    return min(v.capacity_t, v.max_daily_t if v.max_daily_t is not None else math.inf)


def screen(problem: Problem, vehicles: Sequence[Vehicle] | None = None
           ) -> tuple[dict[str, tuple[int, ...]], list[Unassigned]]:
    """The trucks that could serve each stop alone, and the stops no truck can.

    Parameters
    ----------
    problem
        The problem (heavy stops already split).
    vehicles
        The trucks to consider; default all of them.

    Returns
    -------
    eligible : dict of str to tuple of int
        Stop id to the positions (in ``vehicles``) of the trucks that can serve it.
    hopeless : list of Unassigned
        Every other stop, with its reason and code.
    """
    vehicles = list(problem.vehicles if vehicles is None else vehicles)
    # trucks alike in everything a single trip depends on are screened once
    classes: dict[tuple, list[int]] = {}
    for k, v in enumerate(vehicles):
        key = (v.start_depot, v.end_depot, v.shift, v.duration_limit_s, v.break_,
               v.capacity_t, v.max_daily_t, v.streams, v.facilities)
        classes.setdefault(key, []).append(k)
    reps = [vehicles[ks[0]] for ks in classes.values()]
    members = list(classes.values())
    eligible: dict[str, tuple[int, ...]] = {}
    hopeless: list[Unassigned] = []
    trips: dict[tuple, bool] = {}  # (class, location, window, service, facility) -> ok
    for stop in problem.stops:
        routes = {c: _paths(problem, v, stop) for c, v in enumerate(reps)}
        ok_classes = []
        for c, v in enumerate(reps):
            if not v.serves(stop.stream) or stop.load_t > _most(v) + EPS_T:
                continue
            for f in routes[c]:
                if f is not None and not f.accepts(stop.stream):
                    continue
                key = (c, stop.location, stop.window, stop.service_s, f.id if f else None)
                if key not in trips:
                    trips[key] = trip_ok(problem, v, stop, f)
                if trips[key]:
                    ok_classes.append(c)
                    break
        if ok_classes:
            eligible[stop.id] = tuple(sorted(k for c in ok_classes for k in members[c]))
        else:
            hopeless.append(_hopeless(problem, reps, stop, routes))
    return eligible, hopeless


def _hopeless(problem: Problem, vehicles: list[Vehicle], stop: Stop,
              routes: dict[int, list[Facility | None]]) -> Unassigned:
    def out(code: str, reason: str, **details: str) -> Unassigned:
        return Unassigned(stop.id, stop.site_id, stop.load_t, reason, code, details)

    if not any(routes.values()):
        return out("no_path", "no street path joins it to a depot and a facility")
    collectors = [k for k, v in enumerate(vehicles) if v.serves(stop.stream)]
    if not collectors:
        return out("stream", f"no truck collects stream {stop.stream!r}", stream=stop.stream)
    takers = [k for k in collectors
              if any(f is None or f.accepts(stop.stream) for f in routes[k])]
    if not takers:
        return out("stream", f"no facility a truck can reach accepts stream {stop.stream!r}",
                   stream=stop.stream)
    if all(stop.load_t > _most(vehicles[k]) + EPS_T for k in takers):
        most = max(_most(vehicles[k]) for k in takers)
        return out("capacity", f"{stop.load_t:g} t is more than any truck that collects it "
                   f"may carry ({most:g} t)", tonnes=f"{stop.load_t:g}")
    trips = [(vehicles[k], f) for k in takers for f in routes[k]
             if f is None or f.accepts(stop.stream)]
    if stop.window is not None:
        loose = Stop(stop.id, stop.location, stop.load_t, stop.service_s)
        if any(trip_ok(problem, v, loose, f) for v, f in trips):
            o, c = hhmm(stop.window[0]), hhmm(stop.window[1])
            return out("window", f"time window {o}-{c} cannot be met, even on a trip of "
                       "its own", open=o, close=c)
    facilities = [f for _, f in trips if f is not None and f.window is not None]
    if facilities and any(trip_ok(problem, v, stop, f, facility_hours=False)
                          for v, f in trips):
        hours = ", ".join(sorted({f"{f.id} {hhmm(f.window[0])}-{hhmm(f.window[1])}"
                                  for f in facilities}))
        ends = hhmm(max(v.shift[1] for v, _ in trips))
        return out("shift", f"no truck can unload it within its shift: the facilities are "
                   f"open {hours}, shifts end by {ends}", facilities=hours, shift_end=ends)
    return out("shift", "cannot be served and unloaded within any truck's shift, even alone")


def explain(problem: Problem, plan: Plan, stop_ids: Iterable[str], *,
            eligible: dict[str, tuple[int, ...]] | None = None,
            searched: bool = True) -> list[Unassigned]:
    """Reasons for stops that some truck could serve alone but the plan leaves out.

    Parameters
    ----------
    problem, plan
        The problem and the plan (routes as they will be returned).
    stop_ids
        The stops to explain.
    eligible
        ``screen``'s first result, if already computed.
    searched
        False when the search found no plan at all (the reason is then the search).
    """
    if eligible is None:
        eligible, _ = screen(problem)
    day_t: dict[str, float] = {}
    day_stops: dict[str, int] = {}
    for route in plan.routes:
        day_t[route.vehicle_id] = sum(v.load_t for v in route.stops)
        day_stops[route.vehicle_id] = len(route.stops)
    served_priority = min((problem.stop(v.id).priority for r in plan.routes for v in r.stops),
                          default=6)
    out = []
    for stop_id in stop_ids:
        stop = problem.stop(stop_id)

        def left(code: str, reason: str, details: dict, stop: Stop = stop) -> Unassigned:
            return Unassigned(stop.id, stop.site_id, stop.load_t, reason, code, details)

        if not searched:
            out.append(left("search", "no feasible plan found within the time limit: the "
                            "search ran out, not the fleet; give it more time", {}))
            continue
        trucks = [problem.vehicles[k] for k in eligible.get(stop_id, range(len(
            problem.vehicles)))]
        full_t = [v for v in trucks if v.max_daily_t is not None
                  and day_t.get(v.id, 0.0) + stop.load_t > v.max_daily_t + EPS_T]
        full_n = [v for v in trucks if v.max_stops is not None
                  and day_stops.get(v.id, 0) >= v.max_stops]
        if trucks and len(full_t) == len(trucks):
            out.append(left("daily_total", "every truck that could take it has reached its "
                            "daily tonnage limit", {}))
        elif trucks and len(full_n) == len(trucks):
            out.append(left("stops", "every truck that could take it has reached its daily "
                            "stop limit", {}))
        elif trucks and len({v.id for v in full_t} | {v.id for v in full_n}) == len(trucks):
            out.append(left("daily_total", "every truck that could take it has reached its "
                            "daily tonnage or stop limit", {}))
        else:
            reason, details = "not enough truck time in the shift", {}
            if stop.window is not None:
                o, c = hhmm(stop.window[0]), hhmm(stop.window[1])
                reason += f" to reach it within {o}-{c}"
                details = {"open": o, "close": c}
            if served_priority < stop.priority:
                reason += " (more urgent work came first)"
            out.append(left("hours", reason, details))
    return out


def work_hours_lb(problem: Problem, stops: Sequence[Stop]) -> float:
    """A lower bound on the truck-hours that serving ``stops`` takes.

    Service time, plus the shortest drive into each place from any other place of the
    problem (once per place: split loads share theirs), plus one unload per full load.
    """
    if not stops:
        return 0.0
    dur = problem.duration_s
    places = np.array(sorted({s.location for s in stops}))
    others = np.array(sorted({s.location for s in problem.stops}
                             | {d.location for d in problem.depots}
                             | {f.location for f in problem.facilities}))
    into = dur[np.ix_(others, places)].copy()
    into[others[:, None] == places[None, :]] = np.inf  # not from the place itself
    nearest = into.min(axis=0) if len(others) > 1 else np.zeros(len(places))
    drive = float(np.where(np.isfinite(nearest), nearest, 0.0).sum())
    service = sum(s.service_s for s in stops)
    unload = min((f.unload_s for f in problem.facilities), default=0)
    loads = math.ceil(sum(s.load_t for s in stops) / problem.max_capacity_t - 1e-9)
    return (service + drive + loads * unload) / 3600


def fleet_hours(problem: Problem) -> float:
    """The truck-hours the fleet has: each truck's working day less its break."""
    total = 0
    for v in problem.vehicles:
        brk = v.break_.duration_s if v.break_ is not None else 0
        total += max(0, v.duration_limit_s - brk)
    return total / 3600


def fleet_report(problem: Problem, plan: Plan) -> dict:
    """Whether the fleet or the search was short, with the numbers behind it.

    Returns a dict with ``hours_needed_lb`` (the whole day's work, a lower bound),
    ``hours_available``, ``hours_used``, ``hours_left_lb`` (the work left out), and
    ``verdict``: ``"complete"`` (nothing left), ``"fleet"`` (the bound exceeds the
    fleet's hours: no plan could do it all), ``"search"`` (the hours the plan leaves
    unused cover the bound of the work it leaves out: a longer search may serve more),
    or ``"tight"`` (neither can be told from the bounds). ``daily_limit`` is set when
    the daily tonnage limits cannot cover the work.
    """
    left = [problem.stop(u.stop_id) for u in plan.unassigned
            if u.stop_id in problem._index["stops"]]
    needed = work_hours_lb(problem, problem.stops)
    available = fleet_hours(problem)
    used = sum(r.duration_h for r in plan.routes)
    left_lb = work_hours_lb(problem, left)
    report = {"hours_needed_lb": round(float(needed), 2),
              "hours_available": round(float(available), 2),
              "hours_used": round(float(used), 2), "hours_left_lb": round(float(left_lb), 2)}
    limits = [v.max_daily_t for v in problem.vehicles]
    if all(x is not None for x in limits):
        report["daily_limit_t"] = round(float(sum(limits)), 3)
        report["daily_limit_short"] = bool(
            sum(limits) + EPS_T < sum(s.load_t for s in problem.stops))
    timed = [u for u in plan.unassigned if u.code in ("hours", "search", "")]
    if not left:
        verdict = "complete"
    elif needed > available:
        verdict = "fleet"
    elif timed and left_lb <= available - used:
        verdict = "search"
    else:
        verdict = "tight"
    report["verdict"] = verdict
    return report


#: The sentences of ``search_lines`` (whole sentences, one place, for translation).
SEARCH_TEXTS = {
    "budget": N_("Search ({engine}): stopped by its work budget of {budget} {unit} after "
                 "{seconds:.1f} s of the {limit:.0f} s limit: the same scenario and seed give "
                 "the same plan."),
    "budget_sized": N_("Search ({engine}): stopped by its work budget of {budget} {unit} "
                       "(sized for {stops} stops) after {seconds:.1f} s of the {limit:.0f} s "
                       "limit: the same scenario and seed give the same plan."),
    "time": N_("Search ({engine}): stopped by the {limit:.0f} s time limit after {iterations} "
               "{unit}: a rerun may give a different plan."),
    "time_budget": N_("Search ({engine}): stopped by the {limit:.0f} s time limit after "
                      "{iterations} {unit} of its budget of {budget}: a rerun may give a "
                      "different plan."),
    "none": N_("Search ({engine}): no plan found in the {limit:.0f} s time limit."),
    "auto": N_("auto: {winner} gave the better plan ({others})."),
    "fleet": N_("Fleet short: the work needs at least {needed:.1f} truck-hours, the fleet has "
                "{available:.1f}; add trucks or hours."),
    "search_short": N_("Search short: the trucks have {spare:.1f} unused hours and the work "
                       "left out needs at least {left:.1f}; a longer time limit may serve more."),
    "tight": N_("Fleet nearly full: the work needs at least {needed:.1f} of {available:.1f} "
                "truck-hours and the plan uses {used:.1f}; more trucks or time would help."),
    "daily_limit": N_("Daily limits short: the trucks may collect {limit:.1f} t in all, the "
                      "work is {total:.1f} t."),
}
#: The units of a search's work budget (``search["unit"]``), as the sentences name them.
SEARCH_UNITS = {"iterations": N_("iterations"), "solutions": N_("solutions")}


def search_lines(plan: Plan) -> list[str]:
    """Sentences for the dispatcher: what stopped the search, and who was short.

    From ``plan.meta``: the engine's search (both engines' under ``auto``), and when work
    is left out, whether the fleet or the search was short (``fleet_report``). In the
    current language (``i18n.use``).
    """
    texts = {key: gettext(text) for key, text in SEARCH_TEXTS.items()}
    meta = plan.meta
    lines = []
    searches = ([r.get("search") for r in meta["auto"]["engines"].values()]
                if "auto" in meta else [meta.get("search")])
    limit = float(meta.get("time_limit_s") or 0.0)
    for search in searches:
        if not search:
            continue
        engine, unit = search.get("engine", plan.engine), search.get("unit", "iterations")
        unit = gettext(SEARCH_UNITS.get(unit, unit))
        stopped = search.get("stopped_by")
        if stopped == "iterations":
            sized = bool(search.get("budget_rule"))
            lines.append(texts["budget_sized" if sized else "budget"].format(
                engine=engine, budget=search.get("budget"), unit=unit,
                stops=search.get("sized_for_stops"), seconds=search.get("seconds") or 0.0,
                limit=limit))
        elif stopped == "time_limit":
            budget = search.get("budget")
            lines.append(texts["time_budget" if budget else "time"].format(
                engine=engine, limit=limit, iterations=search.get("iterations", 0), unit=unit,
                budget=budget))
        elif stopped == "no_solution":
            lines.append(texts["none"].format(engine=engine, limit=limit))
    if "auto" in meta:
        winner = meta["auto"]["winner"]
        others = "; ".join(f"{e} {r['cost']:.1f}" if "cost" in r else f"{e}: {r['error']}"
                           for e, r in meta["auto"]["engines"].items())
        lines.append(texts["auto"].format(winner=winner, others=others))
    fleet = meta.get("fleet") or {}
    verdict = fleet.get("verdict")
    if verdict == "fleet":
        lines.append(texts["fleet"].format(needed=fleet["hours_needed_lb"],
                                           available=fleet["hours_available"]))
    elif verdict == "search":
        lines.append(texts["search_short"].format(
            spare=fleet["hours_available"] - fleet["hours_used"], left=fleet["hours_left_lb"]))
    elif verdict == "tight":
        lines.append(texts["tight"].format(needed=fleet["hours_needed_lb"],
                                           available=fleet["hours_available"],
                                           used=fleet["hours_used"]))
    if fleet.get("daily_limit_short") and verdict != "complete":
        total = sum(s.tonnes for s in plan.sites)
        lines.append(texts["daily_limit"].format(limit=fleet["daily_limit_t"], total=total))
    return lines
