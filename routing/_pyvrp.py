"""The PyVRP engine: iterated local search with native reload depots.

How the problem maps onto PyVRP (0.14)
--------------------------------------
- PyVRP locations are the problem's matrix locations; distances in metres and durations
  in seconds are passed as integers (rounded distances, durations rounded *up* so that
  PyVRP's schedule is never tighter than ``schedule_route``'s).
- Home depots come first, then one PyVRP depot per facility. A facility is a *reload
  depot* of every truck allowed to unload there: its ``service_duration`` is the unload
  time (PyVRP counts it at reload visits, before the next trip leaves) and its time
  window the opening hours.
- ``end_empty=True``: each truck *ends* at a facility (the one whose drive home is
  shortest), so its last trip is unloaded. The final unload and the drive home are not
  seen by PyVRP: they are taken off the shift end and the day's length, and charged as a
  fixed cost.
- Trucks that share every attribute form one vehicle type. Loads are integers as given
  when all are whole numbers, else tenths or hundredths of a tonne (loads rounded up,
  capacities down). Money is scaled so the dearest per-metre or per-second rate is a
  small integer; the search's costs are then exact for benchmarks and within a few per
  cent for mixed rates (the plan's costs are recomputed exactly).
- Optional stops carry a prize (100 times the dearest out-and-back trip plus a truck's
  fixed cost, so they are served whenever the fleet can, even when that takes the
  search through an overloaded trip before it adds the unload) that grows with urgency
  (priority 1 earns 16 times what priority 5 does); required stops are required. If
  PyVRP cannot serve every required stop, the solve is repeated with required stops as
  very valuable optional ones so the plan reports what could not be done. Stops no truck
  can serve on a trip of their own are left out before the search
  (``routing._reasons.screen``).
- A daily limit (a truck's tonnes over all its trips, or its number of stops) has no
  PyVRP counterpart: capacity resets at every reload. It is modelled exactly through
  the one route-level quantity PyVRP has, the route distance: every arc into a stop is
  lengthened by ``K`` times the stop's load (or by ``K`` for a stop count), with ``K``
  longer than any real route (the fastest arc's speed times the longest day), and
  ``max_distance`` allows ``K`` times the limit plus a real route. A stop's ``K`` term
  is paid on whichever arc enters it, so moves between positions and trucks cost what
  they did; its prize grows by the same amount, so serving it is worth what it was. The
  neighbourhoods are computed on the real distances. When trucks have both limits the
  one closer to binding is modelled so; the other, like anything the search could not
  keep, is repaired after the search (``routing._repair``).
- Waste streams: trucks are split by stream for the day (a truck that collects one
  stream keeps it; a truck that collects several takes the stream that needs trucks
  most) and each stream is solved as its own PyVRP problem with the facilities that
  accept it, in a share of the time limit proportional to its stops. The OR-Tools
  engine plans one stream per *trip* for trucks with several; PyVRP one per day.

Timing is rebuilt by ``routing.schedule_route`` from the visiting order, so the rules
live in one place; ``routing.check_plan`` then verifies the plan.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from pyvrp import (
    Client,
    CostEvaluator,
    Depot,
    Location,
    PenaltyManager,
    PenaltyParams,
    ProblemData,
    RandomNumberGenerator,
    Solution,
    SolveParams,
    VehicleType,
)
from pyvrp.IteratedLocalSearch import (
    IteratedLocalSearch,
    IteratedLocalSearchCallbacks,
    IteratedLocalSearchParams,
)
from pyvrp.search import LocalSearch, PerturbationManager, compute_neighbours

from routing._check import schedule_route
from routing._errors import ProblemError, RoutingError
from routing._model import Facility, Problem, Vehicle
from routing._plan import Plan, Route, Unassigned
from routing._reasons import end_facility, screen, work_hours_lb
from routing._solve import Progress

logger = logging.getLogger(__name__)

_FAR = 10**9  # stands in for an unreachable pair (inf in the problem's matrices)
_MONEY_SCALES = tuple(10**k for k in range(10))
_PRIORITY_WEIGHT = {1: 16, 2: 8, 3: 4, 4: 2, 5: 1}
LEFT_OUT = "left out by the search"


def pyvrp_unsupported(problem: Problem) -> str | None:
    """Why the PyVRP engine cannot take this problem as it is, or ``None``.

    Breaks are not a limit of the product: ``routing.solve`` gives every engine the
    problem with its breaks paid for in shifts and windows and places them after the
    search. Only a problem still holding breaks is refused here.
    """
    with_break = [v.id for v in problem.vehicles if v.break_ is not None]
    if with_break:
        return ("the PyVRP engine plans break-free problems (routing.solve places breaks "
                f"after the search); trucks with a break: {', '.join(with_break[:5])}")
    return None


@dataclass(frozen=True)
class _Mapped:
    """A problem in PyVRP's terms, and the way back."""

    data: ProblemData
    neighbour_data: ProblemData  # the same with real distances, for the neighbourhoods
    type_vehicles: tuple[tuple[str, ...], ...]  # vehicle ids per PyVRP vehicle type
    type_end_facility: tuple[str | None, ...]  # facility each type ends at (end_empty)
    num_depots: int  # home depots; facility k is PyVRP depot num_depots + k
    money_scale: int  # PyVRP cost units per unit of money
    max_prize: int  # the largest prize, which the penalties must be able to outweigh
    limit: str | None  # "tonnes" or "stops": the daily limit modelled exactly
    k_cost: tuple[int, ...]  # per client: what its daily-limit term adds to the cost


def _is_integral(values) -> bool:
    arr = np.asarray(values, dtype=float)
    finite = arr[np.isfinite(arr)]
    return bool(np.all(np.abs(finite - np.round(finite)) < 1e-9))


def _int_matrix(m: np.ndarray, *, up: bool) -> np.ndarray:
    finite = np.isfinite(m)
    out = np.full(m.shape, _FAR, dtype=np.int64)
    vals = np.ceil(m[finite] - 1e-9) if up else np.round(m[finite])
    out[finite] = np.minimum(vals, _FAR).astype(np.int64)
    np.fill_diagonal(out, 0)
    return out


def _money_scale(rates: list[float]) -> int:
    """PyVRP cost units per unit of money: the dearest rate (per m or s) becomes >= 1.

    Small integers keep costs in proportion to PyVRP's bounded penalties; rates are
    then rounded, so the search sees costs to within a few per cent.
    """
    top = max(rates, default=0.0)
    if top <= 0:
        return 1
    return next((s for s in _MONEY_SCALES if top * s >= 1 - 1e-9), _MONEY_SCALES[-1])


def _can_unload(problem: Problem, v: Vehicle) -> bool:
    """Whether the truck has a street path to a facility it may use and home again."""
    if not problem.end_empty:
        return True
    dur = problem.duration_s
    home = problem.depot(v.start_depot).location
    end = problem.depot(v.end_depot).location
    return any(math.isfinite(dur[home, f.location]) and math.isfinite(dur[f.location, end])
               for f in problem.allowed_facilities(v))


def _longest_route_m(dist: np.ndarray, dur: np.ndarray, problem: Problem) -> int:
    """More metres than any one truck can drive in its day (the daily-limit ``K``).

    The fastest arc's speed times the longest working day, which also bounds a route
    through arcs of no duration at one place (their length is 0).
    """
    ok = (dist < _FAR) & (dur < _FAR) & (dur > 0)
    speed = float((dist[ok] / dur[ok]).max()) if ok.any() else 0.0
    longest_day = max(v.duration_limit_s for v in problem.vehicles)
    single = int(dist[dist < _FAR].max()) if (dist < _FAR).any() else 0
    return math.ceil(speed * longest_day) + single


def _limit_to_model(problem: Problem) -> str | None:
    """Which daily limit goes into the distance (the one closer to binding), if any."""
    total_t = sum(s.load_t for s in problem.stops)
    ratios = {}
    if any(v.max_daily_t is not None for v in problem.vehicles):
        room = sum(v.max_daily_t if v.max_daily_t is not None else total_t
                   for v in problem.vehicles)
        ratios["tonnes"] = total_t / max(room, 1e-9)
    if any(v.max_stops is not None for v in problem.vehicles):
        room = sum(v.max_stops if v.max_stops is not None else len(problem.stops)
                   for v in problem.vehicles)
        ratios["stops"] = len(problem.stops) / max(room, 1)
    return max(ratios, key=ratios.get) if ratios else None


def build_pyvrp_data(problem: Problem, *, soft_required: bool = False) -> _Mapped:
    """Translate a problem into PyVRP's ``ProblemData`` (see the module notes).

    Parameters
    ----------
    problem
        A problem without breaks.
    soft_required
        Make required stops optional with a prize far above any route's cost.

    Raises
    ------
    ProblemError
        If a vehicle has a break.
    """
    if (reason := pyvrp_unsupported(problem)) is not None:
        raise ProblemError(reason)
    dist = _int_matrix(problem.distance_m, up=False)
    dur = _int_matrix(problem.duration_s, up=True)
    n = problem.num_locations
    locations = [Location(x=0.0, y=0.0, name=(problem.location_names[i]
                                             if problem.location_names else str(i)))
                 for i in range(n)]

    # loads: whole numbers as they are, else tenths or hundredths (rounded up). Coarse
    # units keep PyVRP's load penalty per unit in proportion to the prizes and costs.
    loads = [s.load_t for s in problem.stops] + [v.capacity_t for v in problem.vehicles]
    unit = next((u for u in (1, 10) if _is_integral(np.multiply(loads, u))), 100)

    def load_of(t: float) -> int:
        return math.ceil(t * unit - 1e-9)

    def capacity_of(t: float) -> int:
        return math.floor(t * unit + 1e-9)

    # money: per metre, per second, fixed costs, all as integers
    tails: dict[str, tuple[Facility | None, float, float]] = {}
    for v in problem.vehicles:
        if problem.end_empty and problem.facilities:
            fac = end_facility(problem, v)
            home = problem.depot(v.end_depot).location
            tail_s = fac.unload_s + float(problem.duration_s[fac.location, home])
            tail_m = float(problem.distance_m[fac.location, home])
            tails[v.id] = (fac, tail_s, tail_m)
        else:
            tails[v.id] = (None, 0.0, 0.0)
    fixed = {v.id: v.fixed_cost + v.cost_per_km * tails[v.id][2] / 1000
             + v.cost_per_hour * tails[v.id][1] / 3600 for v in problem.vehicles}
    rates = [r for v in problem.vehicles for r in (v.cost_per_km / 1000, v.cost_per_hour / 3600)]
    scale = _money_scale(rates)
    per_metre = {v.id: round(v.cost_per_km / 1000 * scale) for v in problem.vehicles}

    # a daily limit in the route distance (module notes), when every truck pays alike
    limit = _limit_to_model(problem)
    if limit is not None and len(set(per_metre.values())) > 1:
        logger.info("pyvrp: trucks pay different rates per km; the daily %s limit is "
                    "repaired after the search instead of modelled", limit)
        limit = None
    k_dist = 0
    if limit is not None:
        k_dist = _longest_route_m(dist, dur, problem) + 1

    def counted(s) -> int:
        return load_of(s.load_t) if limit == "tonnes" else 1

    depots = [Depot(location=d.location, name=d.id) for d in problem.depots]
    fac_index = {}
    for k, f in enumerate(problem.facilities):
        early, late = f.window if f.window is not None else (0, _FAR)
        depots.append(Depot(location=f.location, tw_early=early, tw_late=late,
                            service_duration=f.unload_s, name=f.id))
        fac_index[f.id] = len(problem.depots) + k
    depot_index = {d.id: j for j, d in enumerate(problem.depots)}

    # prizes: a stop worth more than the dearest way to serve it alone, times urgency
    per_m = max(v.cost_per_km for v in problem.vehicles) / 1000 * scale
    per_s = max(v.cost_per_hour for v in problem.vehicles) / 3600 * scale
    finite_d = dist[dist < _FAR]
    finite_t = dur[dur < _FAR]
    alone = 3 * (per_m * (finite_d.max() if finite_d.size else 0)
                 + per_s * (finite_t.max() if finite_t.size else 0))
    # far above what serving costs: an insertion that overloads a trip for a while (the
    # search adds the unload later) must still look worth it
    base = int(max(1.0, 100 * alone + scale * max(fixed.values())))
    unit_cost = next(iter(per_metre.values()))
    clients = []
    for s in problem.stops:
        early, late = s.window if s.window is not None else (0, _FAR)
        required = s.required and not soft_required
        prize = 0 if required else base * _PRIORITY_WEIGHT[s.priority] * (
            1000 if s.required else 1) + unit_cost * k_dist * counted(s)
        clients.append(Client(location=s.location, pickup=[load_of(s.load_t)],
                              service_duration=s.service_s, tw_early=early, tw_late=late,
                              release_time=s.release_s, prize=prize, required=required,
                              name=s.id))

    groups: dict[tuple, list[str]] = {}
    for v in problem.vehicles:
        fac = tails[v.id][0]
        key = (v.start_depot, v.end_depot, capacity_of(v.capacity_t), v.shift,
               v.duration_limit_s, round(fixed[v.id] * scale), v.cost_per_km,
               v.cost_per_hour, tuple(f.id for f in problem.allowed_facilities(v)),
               fac.id if fac else None, v.max_daily_t, v.max_stops)
        groups.setdefault(key, []).append(v.id)
    vehicle_types = []
    type_vehicles = []
    type_end = []
    for key, ids in groups.items():
        v = problem.vehicle(ids[0])
        fac, tail_s, _ = tails[v.id]
        tail = math.ceil(tail_s - 1e-9)
        end = fac_index[fac.id] if fac is not None else depot_index[v.end_depot]
        reloads = [fac_index[f] for f in key[8]] if problem.facilities else []
        cap = (v.max_daily_t if limit == "tonnes" else v.max_stops if limit == "stops"
               else None)
        max_distance = (np.iinfo(np.int64).max if cap is None else
                        k_dist * (capacity_of(cap) if limit == "tonnes" else cap)
                        + k_dist - 1)
        vehicle_types.append(VehicleType(
            num_available=len(ids),
            capacity=[key[2]],
            start_depot=depot_index[v.start_depot],
            end_depot=end,
            fixed_cost=key[5],
            tw_early=v.shift[0],
            tw_late=max(v.shift[0], v.shift[1] - tail),
            shift_duration=max(0, v.duration_limit_s - tail),
            max_distance=int(max_distance),
            unit_distance_cost=per_metre[v.id],
            unit_duration_cost=round(v.cost_per_hour / 3600 * scale),
            reload_depots=reloads,
            name=",".join(ids),
        ))
        type_vehicles.append(tuple(ids))
        type_end.append(fac.id if fac is not None else None)
    real = ProblemData(locations, clients, depots, vehicle_types, [dist], [dur])
    data = real
    if limit is not None:
        data = _with_limit_terms(real, dist, dur, problem, [counted(s) for s in problem.stops],
                                 k_dist)
    # what a penalty must outweigh: a prize less its daily-limit term, which the stop's own
    # distance pays back (and which would push penalties past int64 if counted)
    max_prize = max((c.prize - k for c, k in zip(clients, (
        unit_cost * k_dist * counted(s) for s in problem.stops), strict=True)), default=0)
    k_cost = tuple(unit_cost * k_dist * counted(s) for s in problem.stops) if limit else (
        (0,) * len(problem.stops))
    return _Mapped(data, real, tuple(type_vehicles), tuple(type_end), len(problem.depots),
                   scale, max_prize, limit, k_cost)


def _with_limit_terms(real: ProblemData, dist: np.ndarray, dur: np.ndarray,
                      problem: Problem, counts: list[int], k_dist: int) -> ProblemData:
    """``real`` with every arc into a stop lengthened by ``k_dist`` times its count.

    The term sits on the stop's column, so a stop needs a location of its own: a second
    stop at a location (a split dump, two bins at one address) gets a copy of it.
    """
    n = problem.num_locations
    seen: set[int] = set()
    extra: list[int] = []  # stop positions that get a copied location
    for k, s in enumerate(problem.stops):
        if s.location in seen:
            extra.append(k)
        seen.add(s.location)
    idx = np.array(list(range(n)) + [problem.stops[k].location for k in extra], dtype=np.int64)
    new_dist = dist[np.ix_(idx, idx)] if extra else dist.copy()
    new_dur = dur[np.ix_(idx, idx)] if extra else dur
    where = [s.location for s in problem.stops]
    for j, k in enumerate(extra):
        where[k] = n + j
    for k, c in enumerate(counts):
        col = new_dist[:, where[k]]
        col[col < _FAR] += k_dist * c
    np.fill_diagonal(new_dist, 0)
    if not extra:
        return real.replace(distance_matrices=[new_dist])
    np.fill_diagonal(new_dur, 0)
    locations = list(real.locations()) + [Location(x=0.0, y=0.0, name=problem.stops[k].id)
                                          for k in extra]
    clients = [_moved(c, where[k]) if where[k] >= n else c
               for k, c in enumerate(real.clients())]
    return real.replace(locations=locations, clients=clients, distance_matrices=[new_dist],
                        duration_matrices=[new_dur])


def _moved(c: Client, location: int) -> Client:
    """A copy of a PyVRP client at another location."""
    return Client(location=location, delivery=list(c.delivery), pickup=list(c.pickup),
                  service_duration=c.service_duration, tw_early=c.tw_early,
                  tw_late=c.tw_late, release_time=c.release_time, prize=c.prize,
                  required=c.required, group=c.group, name=c.name)


class _Stop:
    """Stopping criterion: a wall-clock deadline and an optional iteration budget."""

    def __init__(self, deadline: float, max_iterations: int | None):
        self.deadline = deadline
        self.max_iterations = max_iterations
        self.iterations = 0
        self.by_budget = False

    def __call__(self, best_cost: int) -> bool:
        self.iterations += 1
        if self.max_iterations is not None and self.iterations > self.max_iterations:
            self.by_budget = True
            return True
        return time.perf_counter() >= self.deadline


class _OnBest(IteratedLocalSearchCallbacks):
    """Relays the first solution and each new feasible best to the progress callback."""

    def __init__(self, progress: Callable | None, started: float, mapped: _Mapped,
                 base: float):
        self.progress = progress
        self.started = started
        self.mapped = mapped
        self.base = base
        self.evaluator = CostEvaluator([0.0], 0.0, 0.0)
        self.first_s: float | None = None

    def on_start(self, ils) -> None:
        self.on_best(ils.initial_solution)

    def on_best(self, best: Solution) -> None:
        if not best.is_feasible():
            return
        seconds = round(time.perf_counter() - self.started, 3)
        if self.first_s is None:
            self.first_s = seconds
        if self.progress is None:
            return
        # the plan's cost in money, without the daily-limit terms in the distances
        k_paid = sum(self.mapped.k_cost[a.idx] for r in best.routes() for a in r.schedule()
                     if a.is_client())
        objective = (self.evaluator.cost(best) - k_paid) / self.mapped.money_scale
        self.progress(Progress(engine="pyvrp", seconds=seconds,
                               objective=round(self.base + objective, 6),
                               routes=best.num_routes()))


def _run(mapped: _Mapped, *, deadline: float, seed: int, max_iterations: int | None,
         progress: Callable | None, started: float, base: float):
    """PyVRP's ``solve``, with a penalty ceiling above the largest prize.

    PyVRP caps its penalties (per unit of excess load or time warp) at 100 000 by
    default; a prize above that would make an overloaded route look better than any
    feasible one. Penalties still start at PyVRP's usual midpoint. Neighbourhoods come
    from the real distances (the daily-limit terms would make light stops look near).
    """
    stop = _Stop(deadline, max_iterations)
    callbacks = _OnBest(progress, started, mapped, base)
    params = SolveParams(ils=IteratedLocalSearchParams(callbacks=callbacks))
    defaults = PenaltyParams()
    penalty = PenaltyParams(max_penalty=max(defaults.max_penalty, 10.0 * mapped.max_prize))
    data = mapped.data
    rng = RandomNumberGenerator(seed=seed)
    neighbours = compute_neighbours(mapped.neighbour_data, params.neighbourhood)
    ls = LocalSearch(data, rng, neighbours, PerturbationManager(params.perturbation))
    for op in params.operators:
        if op.supports(data):
            ls.add_operator(op(data))
    pm = PenaltyManager(defaults.midpoint_penalties(data), penalty)
    # a random start is far over its daily limits: at the highest penalties its excess
    # distance (K per unit) would overflow PyVRP's integer costs, so start at the midpoint
    start = pm.cost_evaluator() if mapped.limit else pm.max_cost_evaluator()
    init = ls(Solution.make_random(data, rng), start, exhaustive=True)
    if mapped.limit and not init.is_feasible():  # near the limits now: safe to press on
        init = ls(init, pm.max_cost_evaluator(), exhaustive=True)
    algo = IteratedLocalSearch(data, pm, ls, init, params.ils)
    result = algo.run(stop, collect_stats=False, display=False)
    return result.best, stop, callbacks.first_s


def _to_routes(problem: Problem, mapped: _Mapped, best: Solution) -> list[Route]:
    stops, facilities = problem.stops, problem.facilities
    free = [list(ids) for ids in mapped.type_vehicles]
    routes = []
    for r in best.routes():
        vt = r.vehicle_type()
        vehicle_id = free[vt].pop(0)
        schedule = r.schedule()
        items = []
        for act in schedule[1:-1]:
            if act.is_client():
                items.append(stops[act.idx].id)
            elif act.is_depot():
                items.append(facilities[act.idx - mapped.num_depots].id)
        if mapped.type_end_facility[vt] is not None:
            items.append(mapped.type_end_facility[vt])
        routes.append(schedule_route(problem, vehicle_id, items,
                                     depart_s=int(schedule[0].end_time)))
    return routes


# -- waste streams: one PyVRP problem per stream ------------------------------------------
def stream_parts(problem: Problem) -> list[Problem]:
    """The problem split by stream for PyVRP, each with the trucks it gets for the day.

    A truck that collects one of the problem's streams keeps it; a truck that collects
    several goes, one at a time, to the stream with the most work (a lower bound on its
    truck-hours, ``routing._reasons.work_hours_lb``) per truck-hour already given to it.
    Each part keeps only the facilities that accept its stream on its trucks.
    """
    streams = problem.streams
    if len(streams) <= 1:
        return [problem]
    work = {s: work_hours_lb(problem, [x for x in problem.stops if x.stream == s])
            for s in streams}
    given: dict[str, list[Vehicle]] = {s: [] for s in streams}
    flexible = []
    for v in problem.vehicles:
        mine = [s for s in streams if v.serves(s) and problem.unload_facilities(v, s)]
        if len(mine) == 1:
            given[mine[0]].append(v)
        elif mine:
            flexible.append((v, mine))
    for v, mine in flexible:
        hours = {s: sum(x.duration_limit_s for x in given[s]) / 3600 for s in mine}
        pick = max(mine, key=lambda s: (work[s] / (1.0 + hours[s]), -streams.index(s)))
        given[pick].append(v)
    parts = []
    for s in streams:
        if not given[s]:
            continue
        vehicles = tuple(replace(v, facilities=tuple(f.id for f in
                                                     problem.unload_facilities(v, s)))
                         for v in given[s])
        stops = tuple(x for x in problem.stops if x.stream == s)
        if stops:
            parts.append(problem.with_changes(stops=stops, vehicles=vehicles,
                                              name=f"{problem.name} [{s}]"))
    return parts


def _solve_part(problem: Problem, *, deadline: float, seed: int, max_iterations: int | None,
                progress: Callable | None, started: float, base: float):
    """Routes, stops left out, and search figures for one PyVRP problem."""
    mapped = build_pyvrp_data(problem)
    best, stop, first_s = _run(mapped, deadline=deadline, seed=seed,
                               max_iterations=max_iterations, progress=progress,
                               started=started, base=base)
    iterations, soft = stop.iterations, False
    if not best.is_feasible() and any(s.required for s in problem.stops):
        logger.warning("PyVRP could not serve every required stop; solving again with "
                       "required stops as optional ones of very high value")
        soft = True
        mapped = build_pyvrp_data(problem, soft_required=True)
        best, stop, first_s = _run(mapped, deadline=max(deadline, time.perf_counter() + 1.0),
                                   seed=seed, max_iterations=max_iterations,
                                   progress=progress, started=started, base=base)
        iterations += stop.iterations
    if not best.is_feasible():
        if any(s.required for s in problem.stops):
            raise RoutingError(
                f"PyVRP found no feasible plan for {problem.name!r} in its time "
                f"(time warp {best.time_warp()}, excess load {best.excess_load()}); "
                "try a longer time_limit or engine='ortools'")
        logger.warning("pyvrp: no feasible plan for %r in its time; its stops are left "
                       "for the search", problem.name)
        return [], [s.id for s in problem.stops], {
            "iterations": iterations, "by_budget": stop.by_budget, "first_s": None,
            "soft": soft, "prizes": 0.0, "limit": mapped.limit, "found": False}
    routes = _to_routes(problem, mapped, best)
    served = {problem.stops[a.idx].id for r in best.routes() for a in r.schedule()
              if a.is_client()}
    left = [s.id for s in problem.stops if s.id not in served]
    prizes = sum(mapped.data.clients()[k].prize for k, s in enumerate(problem.stops)
                 if s.id not in served)
    return routes, left, {"iterations": iterations, "by_budget": stop.by_budget,
                          "first_s": first_s, "soft": soft,
                          "prizes": prizes / mapped.money_scale, "limit": mapped.limit,
                          "found": True}


def solve_pyvrp(
    problem: Problem,
    *,
    time_limit: float,
    seed: int = 0,
    max_iterations: int | None = None,
    progress: Callable | None = None,
) -> Plan:
    """Plan the day with PyVRP's iterated local search.

    Parameters
    ----------
    problem
        The problem (heavy stops already split, no breaks: ``routing.solve`` takes
        care of both).
    time_limit
        Wall-clock limit, in seconds, for the whole solve.
    seed
        Random seed.
    max_iterations
        Stop after this many iterations (reproducible with ``seed``); the time limit
        still applies. With several streams, each stream's search gets this budget.
    progress
        Called with a ``routing.Progress`` at each new feasible best solution.

    Returns
    -------
    Plan
        ``engine="pyvrp"``; ``objective`` is the plan's cost plus the prizes of the
        stops left out, in money; ``meta["search"]`` says what stopped the search;
        ``meta["pyvrp"]`` the streams solved apart and the daily limit modelled.

    Raises
    ------
    ProblemError
        If a vehicle has a break.
    RoutingError
        If PyVRP finds no feasible plan at all.
    """
    started = time.perf_counter()
    deadline = started + time_limit
    if (reason := pyvrp_unsupported(problem)) is not None:
        raise ProblemError(reason)
    eligible, hopeless = screen(problem)
    # a truck with no street path to any facility it may use and home can do nothing
    trucks = tuple(v for v in problem.vehicles if _can_unload(problem, v))
    if not trucks:
        return Plan(routes=(), unassigned=tuple(hopeless) + tuple(
            Unassigned(s.id, s.site_id, s.load_t, LEFT_OUT) for s in problem.stops
            if s.id in eligible), engine="pyvrp", seed=seed,
            meta={"search": {"stopped_by": "nothing_to_do", "iterations": 0,
                             "budget": max_iterations, "unit": "iterations"}})
    doable = problem.with_changes(stops=tuple(s for s in problem.stops if s.id in eligible),
                                  vehicles=trucks)
    parts = stream_parts(doable) if doable.stops else []
    routes: list[Route] = []
    covered = {s.id for part in parts for s in part.stops}
    no_truck = [Unassigned(s.id, s.site_id, s.load_t,
                           f"no truck was free for stream {s.stream!r} today: the PyVRP engine "
                           "gives each truck one stream for the day (engine 'ortools' or "
                           "'auto' plans one stream per trip)", "hours", {"stream": s.stream})
                for s in doable.stops if s.id not in covered]
    left: list[str] = []
    figures = []
    base = 0.0
    for k, part in enumerate(parts):
        rest = sum(len(p.stops) for p in parts[k:])
        share = (deadline - time.perf_counter()) * len(part.stops) / rest
        got, missed, fig = _solve_part(part, deadline=time.perf_counter() + max(share, 0.1),
                                       seed=seed, max_iterations=max_iterations,
                                       progress=progress, started=started, base=base)
        routes.extend(got)
        if fig["found"]:
            left.extend(missed)
        else:  # the search ran out here, not the fleet
            no_truck.extend(Unassigned(
                s, problem.stop(s).site_id, problem.stop(s).load_t,
                "no feasible plan found within the time limit: the search ran out, not "
                "the fleet; give it more time", "search") for s in missed)
        figures.append(fig)
        base += sum(r.cost for r in got)
    order = {v.id: k for k, v in enumerate(problem.vehicles)}
    routes.sort(key=lambda r: order[r.vehicle_id])
    stop_order = {s.id: k for k, s in enumerate(problem.stops)}
    unassigned = [Unassigned(s, problem.stop(s).site_id, problem.stop(s).load_t, LEFT_OUT)
                  for s in left] + hopeless + no_truck
    unassigned.sort(key=lambda u: stop_order[u.stop_id])
    objective = sum(r.cost for r in routes) + sum(f["prizes"] for f in figures)
    iterations = sum(f["iterations"] for f in figures)
    by_budget = bool(figures) and all(f["by_budget"] for f in figures)
    found = [f for f in figures if f["found"]]
    search = {"stopped_by": "no_solution" if figures and not found else
              "iterations" if by_budget else ("time_limit" if figures else "nothing_to_do"),
              "iterations": iterations, "budget": max_iterations, "unit": "iterations",
              "first_solution_s": found[0]["first_s"] if found else None,
              "seconds": round(time.perf_counter() - started, 3)}
    logger.info("pyvrp: %d iterations, %d route(s), objective %.2f", iterations,
                len(routes), objective)
    meta = {"search": search, "iterations": iterations,
            "soft_required": any(f["soft"] for f in figures),
            "pyvrp": {"streams": [p.streams[0] for p in parts] if len(parts) > 1 else [],
                      "daily_limit_modelled": figures[0]["limit"] if figures else None}}
    return Plan(routes=tuple(routes), unassigned=tuple(unassigned), engine="pyvrp",
                seed=seed, objective=objective,
                solve_seconds=round(time.perf_counter() - started, 3), meta=meta)
