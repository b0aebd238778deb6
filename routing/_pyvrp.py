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
- Optional stops carry a prize (100 times the dearest out-and-back trip, so they are
  served whenever the fleet can) that grows with urgency (priority 1 earns 16 times
  what priority 5 does); required stops are required. If PyVRP cannot serve every required
  stop, the solve is repeated with required stops as very valuable optional ones so the
  plan reports what could not be done.

Timing is rebuilt by ``routing.schedule_route`` from the visiting order, so the rules
live in one place; ``routing.check_plan`` then verifies the plan.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

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
from routing._solve import Progress

logger = logging.getLogger(__name__)

_FAR = 10**9  # stands in for an unreachable pair (inf in the problem's matrices)
_MONEY_SCALES = tuple(10**k for k in range(10))
_PRIORITY_WEIGHT = {1: 16, 2: 8, 3: 4, 4: 2, 5: 1}


def pyvrp_unsupported(problem: Problem) -> str | None:
    """Why PyVRP cannot model this problem, or ``None`` if it can.

    PyVRP has no breaks (lunch) and no per-vehicle unloading sites other than its
    reload depots, which we use; breaks are the one gap.
    """
    with_break = [v.id for v in problem.vehicles if v.break_ is not None]
    if with_break:
        return ("PyVRP does not model breaks; use engine='ortools' (vehicles with a "
                f"break: {', '.join(with_break[:5])})")
    return None


@dataclass(frozen=True)
class _Mapped:
    """A problem in PyVRP's terms, and the way back."""

    data: ProblemData
    type_vehicles: tuple[tuple[str, ...], ...]  # vehicle ids per PyVRP vehicle type
    type_end_facility: tuple[str | None, ...]  # facility each type ends at (end_empty)
    num_depots: int  # home depots; facility k is PyVRP depot num_depots + k
    money_scale: int  # PyVRP cost units per unit of money
    max_prize: int  # the largest prize, which the penalties must be able to outweigh


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


def _end_facility(problem: Problem, vehicle: Vehicle) -> Facility:
    """The facility a truck unloads at last: the one with the shortest trip home."""
    home = problem.depot(vehicle.end_depot).location
    return min(problem.allowed_facilities(vehicle),
               key=lambda f: (f.unload_s + problem.duration_s[f.location, home],
                              problem.distance_m[f.location, home], f.id))


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
            fac = _end_facility(problem, v)
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
    base = int(max(1.0, 100 * alone + scale * max(fixed.values())))
    clients = []
    for s in problem.stops:
        early, late = s.window if s.window is not None else (0, _FAR)
        required = s.required and not soft_required
        prize = 0 if required else base * _PRIORITY_WEIGHT[s.priority] * (
            1000 if s.required else 1)
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
               fac.id if fac else None)
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
        vehicle_types.append(VehicleType(
            num_available=len(ids),
            capacity=[key[2]],
            start_depot=depot_index[v.start_depot],
            end_depot=end,
            fixed_cost=key[5],
            tw_early=v.shift[0],
            tw_late=max(v.shift[0], v.shift[1] - tail),
            shift_duration=max(0, v.duration_limit_s - tail),
            unit_distance_cost=round(v.cost_per_km / 1000 * scale),
            unit_duration_cost=round(v.cost_per_hour / 3600 * scale),
            reload_depots=reloads,
            name=",".join(ids),
        ))
        type_vehicles.append(tuple(ids))
        type_end.append(fac.id if fac is not None else None)
    data = ProblemData(locations, clients, depots, vehicle_types, [dist], [dur])
    max_prize = max((c.prize for c in clients), default=0)
    return _Mapped(data, tuple(type_vehicles), tuple(type_end), len(problem.depots), scale,
                   max_prize)


class _Stop:
    """Stopping criterion: a wall-clock deadline and an optional iteration budget."""

    def __init__(self, deadline: float, max_iterations: int | None):
        self.deadline = deadline
        self.max_iterations = max_iterations
        self.iterations = 0

    def __call__(self, best_cost: int) -> bool:
        self.iterations += 1
        if self.max_iterations is not None and self.iterations > self.max_iterations:
            return True
        return time.perf_counter() >= self.deadline


class _OnBest(IteratedLocalSearchCallbacks):
    """Relays the first solution and each new feasible best to the progress callback."""

    def __init__(self, progress: Callable, started: float, scale: int):
        self.progress = progress
        self.started = started
        self.scale = scale
        self.evaluator = CostEvaluator([0.0], 0.0, 0.0)

    def on_start(self, ils) -> None:
        self.on_best(ils.initial_solution)

    def on_best(self, best: Solution) -> None:
        if not best.is_feasible():
            return
        self.progress(Progress(engine="pyvrp",
                               seconds=round(time.perf_counter() - self.started, 3),
                               objective=self.evaluator.cost(best) / self.scale,
                               routes=best.num_routes()))


def _run(mapped: _Mapped, *, deadline: float, seed: int, max_iterations: int | None,
         progress: Callable | None, started: float):
    """PyVRP's ``solve``, with a penalty ceiling above the largest prize.

    PyVRP caps its penalties (per unit of excess load or time warp) at 100 000 by
    default; a prize above that would make an overloaded route look better than any
    feasible one. Penalties still start at PyVRP's usual midpoint.
    """
    stop = _Stop(deadline, max_iterations)
    callbacks = (_OnBest(progress, started, mapped.money_scale) if progress is not None
                 else IteratedLocalSearchCallbacks())
    params = SolveParams(ils=IteratedLocalSearchParams(callbacks=callbacks))
    defaults = PenaltyParams()
    penalty = PenaltyParams(max_penalty=max(defaults.max_penalty, 10.0 * mapped.max_prize))
    data = mapped.data
    rng = RandomNumberGenerator(seed=seed)
    neighbours = compute_neighbours(data, params.neighbourhood)
    ls = LocalSearch(data, rng, neighbours, PerturbationManager(params.perturbation))
    for op in params.operators:
        if op.supports(data):
            ls.add_operator(op(data))
    pm = PenaltyManager(defaults.midpoint_penalties(data), penalty)
    init = ls(Solution.make_random(data, rng), pm.max_cost_evaluator(), exhaustive=True)
    algo = IteratedLocalSearch(data, pm, ls, init, params.ils)
    result = algo.run(stop, collect_stats=False, display=False)
    return result.best, stop.iterations


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
    order = {v.id: k for k, v in enumerate(problem.vehicles)}
    return sorted(routes, key=lambda route: order[route.vehicle_id])


def _unassigned(problem: Problem, best: Solution, mapped: _Mapped) -> list[Unassigned]:
    served = {a.idx for r in best.routes() for a in r.schedule() if a.is_client()}
    out = []
    for k, s in enumerate(problem.stops):
        if k in served:
            continue
        if not np.isfinite(problem.duration_s[:, s.location]).any():
            reason = "no street path reaches this stop"
        elif s.load_t > problem.max_capacity_t + 1e-9:
            reason = f"{s.load_t} t is more than any truck carries"
        else:
            reason = ("PyVRP found no room for it: the fleet's capacity, shifts and "
                      "opening hours are used up by more urgent or cheaper work")
        out.append(Unassigned(s.id, s.site_id, s.load_t, reason))
    return out


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
        The problem (heavy stops already split, as ``routing.solve`` does). No breaks.
    time_limit
        Wall-clock limit, in seconds, for the whole solve.
    seed
        Random seed.
    max_iterations
        Stop after this many iterations (reproducible with ``seed``); the time limit
        still applies.
    progress
        Called with a ``routing.Progress`` at each new feasible best solution.

    Returns
    -------
    Plan
        ``engine="pyvrp"``; ``objective`` is the plan's cost plus the prizes of the
        stops left out, in money; ``meta`` has ``iterations`` and ``soft_required``.

    Raises
    ------
    ProblemError
        If a vehicle has a break.
    RoutingError
        If PyVRP finds no feasible plan at all.
    """
    started = time.perf_counter()
    deadline = started + time_limit
    mapped = build_pyvrp_data(problem)
    best, iterations = _run(mapped, deadline=deadline, seed=seed,
                            max_iterations=max_iterations, progress=progress, started=started)
    soft = False
    if not best.is_feasible() and any(s.required for s in problem.stops):
        logger.warning("PyVRP could not serve every required stop; solving again with "
                       "required stops as optional ones of very high value")
        soft = True
        mapped = build_pyvrp_data(problem, soft_required=True)
        best, more = _run(mapped, deadline=max(deadline, time.perf_counter() + 1.0),
                          seed=seed, max_iterations=max_iterations, progress=progress,
                          started=started)
        iterations += more
    if not best.is_feasible():
        raise RoutingError(
            f"PyVRP found no feasible plan for {problem.name!r} within {time_limit} s "
            f"(time warp {best.time_warp()}, excess load {best.excess_load()}); "
            "try a longer time_limit or engine='ortools'")
    routes = _to_routes(problem, mapped, best)
    objective = sum(r.cost for r in routes) + best.uncollected_prizes() / mapped.money_scale
    logger.info("pyvrp: %d iterations, %d route(s), objective %.2f", iterations,
                len(routes), objective)
    return Plan(routes=tuple(routes), unassigned=tuple(_unassigned(problem, best, mapped)),
                engine="pyvrp", seed=seed, objective=objective,
                solve_seconds=round(time.perf_counter() - started, 3),
                meta={"iterations": iterations, "soft_required": soft})
