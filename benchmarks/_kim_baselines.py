"""Plain PyVRP and OR-Tools models of a Kim (2006) instance, as a competent user writes them.

They are the yardstick of ``benchmarks/kim.py``: each library used directly, following
its documentation, on the instance's own numbers (distances in whole feet, drive times
in whole seconds rounded up, loads in tenths of a yard), with the objective of the set
(a truck costs ``fixed_miles`` miles, then 1 per foot).

PyVRP 0.14 (``pyvrp.solve``, iterated local search)
---------------------------------------------------
- Landfills are *reload depots* (``reload_depots``) with their opening hours and unload
  time; trucks *end* at the landfill with the quickest unload and drive home, and that
  final unload and drive are taken off the truck's latest return (``tw_late``) and added
  to the miles afterwards. Every stop is a required client with its window.
- The lunch cannot be expressed (PyVRP has no breaks). It is taken off the afternoon:
  the latest return and every window that closes after noon are moved earlier by the
  lunch, and after the search the lunch is placed at the first point of each route
  where ``routing.schedule_route`` keeps every window.
- The daily total cannot be expressed exactly (a reload empties every load dimension):
  a truck makes at most ``k = ceil(daily / capacity)`` trips (``max_reloads = k - 1``)
  of at most ``daily / k`` each, so it never collects more than the daily total; where
  ``daily`` is not a multiple of the capacity that costs trip capacity (1351: 200 of
  255 yd, 1599: 266 of 280, 1932 and 2100: 400 of 462).
- The daily stop limit cannot be expressed (the same reset); it is only checked.
- Fleet minimisation by the fixed cost; the penalty ceiling is raised to a truck's cost,
  as PyVRP's ``PenaltyBoundWarning`` advises at this scale. ``MaxRuntime`` counts from
  the start of the iterated local search: PyVRP's initial local search comes first
  (about 15 s on 2100 on the busy machine), so the model runs longer than the limit.

OR-Tools 9 (routing solver, guided local search)
------------------------------------------------
- Landfill *copies* are optional nodes (penalty 0) with demand ``-capacity`` on a load
  dimension whose slack, allowed only there, lets a copy empty the truck (the
  ``cvrp_reload`` sample); the load must be 0 at the end, so the last visit is a
  landfill. Copies per landfill: every trip the day could need (total load over the
  capacity) plus one per truck.
- A second load dimension that never resets holds the daily total, a third counts stops
  against the daily limit; a time dimension (waiting as slack) holds windows, opening
  hours and the lunch as a break interval (``SetBreakIntervalsOfVehicle``) that starts
  between 11:00 and 12:00 and may also fall before the route or after it.
- Every stop must be served (no disjunction). Made optional with a penalty above a
  truck's fixed cost, the path-building first solution stopped after a few dozen stops
  and guided local search inserted the rest one at a time (1351, 20 s: 61 of 1,347
  served; 1051, 60 s: 26 of 1,048); mandatory, it served all 1,347 of 1351.
- First solution ``SAVINGS`` (of the strategies tried, the one that found a plan on
  1051 in 60 s; ``PATH_CHEAPEST_ARC``, the examples' choice, timed out), then guided
  local search, as in the library's VRP examples.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Sequence

import numpy as np

from benchmarks._kim import (
    FEET_PER_MILE,
    LUNCH_WINDOW_S,
    KimInstance,
    Site,
    duration_matrix,
    feet_matrix,
    landfill_id,
    stop_id,
)
from routing import Plan, Problem, Route, Unassigned, schedule_route

logger = logging.getLogger(__name__)

BASELINES = ("pyvrp", "ortools")
#: Measured on 1051 at 60 s (mandatory stops): PATH_CHEAPEST_ARC timed out,
#: PARALLEL_ and LOCAL_CHEAPEST_INSERTION found no solution, SAVINGS served every stop.
ORTOOLS_FIRST_SOLUTION = "SAVINGS"
LOAD_UNITS = 10  # loads in tenths of a yard (the files give halves at most)


class BaselineFailed(RuntimeError):
    """A baseline model found no solution it could return."""


def baseline_plan(name: str, inst: KimInstance, problem: Problem, *, time_limit: float,
                  seed: int, fixed_miles: float) -> Plan:
    """Solve ``inst`` with the baseline model ``name`` and time its routes on ``problem``.

    Parameters
    ----------
    name
        ``"pyvrp"`` or ``"ortools"``.
    inst
        The instance (the model is built from it, not from ``problem``).
    problem
        The same instance as ``kim.py`` gives our engines (``_kim.to_problem``): the
        routes, in its ids, are timed on it so ``routing.check_plan`` can judge them.
    time_limit
        Seconds of search.
    seed
        Random seed of the library.
    fixed_miles
        Cost of using a truck, in miles.

    Raises
    ------
    BaselineFailed
        If the library returned no feasible solution.
    """
    solver = {"pyvrp": pyvrp_routes, "ortools": ortools_routes}[name]
    routes = solver(inst, trucks=len(problem.vehicles), time_limit=time_limit, seed=seed,
                    fixed_miles=fixed_miles)
    return routes_to_plan(problem, routes, engine=f"{name}-baseline")


# -- turning id sequences into a routing.Plan ---------------------------------------------
def _route_fits(problem: Problem, route: Route) -> bool:
    """Whether a timed route keeps every window, its break window and its shift."""
    v = problem.vehicle(route.vehicle_id)
    for visit in route.visits[1:-1]:
        if visit.kind == "break":
            window = (v.break_.earliest_s, v.break_.latest_s)
        elif visit.kind == "stop":
            window = problem.stop(visit.id).window
        else:
            window = problem.facility(visit.id).window
        if window is not None and not window[0] <= visit.start_s <= window[1]:
            return False
    return route.visits[-1].arrival_s <= v.shift[1]


def schedule_with_lunch(problem: Problem, vehicle_id: str, items: Sequence[str]) -> Route:
    """``routing.schedule_route`` with the lunch at the first place that keeps every rule.

    Tries ``schedule_route``'s own choice first, then every position from the start of
    the day; returns the first route that fits, else ``schedule_route``'s own (which
    ``check_plan`` will then reject, saying why).
    """
    route = schedule_route(problem, vehicle_id, items)
    if _route_fits(problem, route) or problem.vehicle(vehicle_id).break_ is None:
        return route
    for k in range(-1, len(items)):
        other = schedule_route(problem, vehicle_id, items, break_after=k)
        if _route_fits(problem, other):
            return other
    return route


def routes_to_plan(problem: Problem, routes: Sequence[Sequence[str]], *, engine: str) -> Plan:
    """A ``routing.Plan`` from routes of stop and facility ids (one truck each, in order)."""
    if len(routes) > len(problem.vehicles):
        raise BaselineFailed(f"{len(routes)} routes for {len(problem.vehicles)} trucks")
    timed = tuple(schedule_with_lunch(problem, v.id, items)
                  for v, items in zip(problem.vehicles, routes, strict=False) if items)
    served = {visit.id for r in timed for visit in r.stops}
    unassigned = tuple(Unassigned(s.id, s.site_id, s.load_t, "the baseline model left it out")
                       for s in problem.stops if s.id not in served)
    return Plan(routes=timed, unassigned=unassigned, engine=engine)


# -- shared numbers -----------------------------------------------------------------------
def _matrices(inst: KimInstance) -> tuple[np.ndarray, np.ndarray]:
    """Whole feet and drive seconds (rounded up) between ``inst.sites``, as int64."""
    feet = feet_matrix(inst)
    return np.rint(feet).astype(np.int64), duration_matrix(inst, feet).astype(np.int64)


def _load(value: float) -> int:
    units = value * LOAD_UNITS
    if abs(units - round(units)) > 1e-6:
        raise BaselineFailed(f"load {value} is not a whole number of 1/{LOAD_UNITS} yards")
    return round(units)


def _end_landfill(inst: KimInstance, dur: np.ndarray) -> int:
    """Index into ``inst.landfills`` of the one with the quickest unload and drive home."""
    return min(range(len(inst.landfills)),
               key=lambda k: (inst.landfills[k].service_s + dur[1 + k, 0], k))


def _afternoon(site: Site, lunch_s: int) -> int:
    """A window's close with the lunch taken off the afternoon (closes after noon only)."""
    if site.late_s <= LUNCH_WINDOW_S[1]:
        return site.late_s
    return max(site.early_s, site.late_s - lunch_s)


# -- PyVRP ----------------------------------------------------------------------------------
def pyvrp_routes(inst: KimInstance, *, trucks: int, time_limit: float, seed: int,
                 fixed_miles: float) -> list[list[str]]:
    """Routes (stop ids and ``L<id>``) of the plain PyVRP model (see the module notes)."""
    from pyvrp import (
        Client,
        Depot,
        Location,
        PenaltyParams,
        ProblemData,
        SolveParams,
        VehicleType,
        solve,
    )
    from pyvrp.stop import MaxRuntime

    feet, dur = _matrices(inst)
    depot, lunch = inst.depot, inst.lunch_s
    end = _end_landfill(inst, dur)
    end_site = inst.landfills[end]
    tail_s = end_site.service_s + int(dur[1 + end, 0])
    locations = [Location(x=s.x_ft, y=s.y_ft, name=str(s.id)) for s in inst.sites]
    depots = [Depot(location=0, tw_early=depot.early_s, tw_late=depot.late_s, name="depot")]
    depots += [Depot(location=1 + k, tw_early=f.early_s, tw_late=_afternoon(f, lunch),
                     service_duration=f.service_s, name=landfill_id(f))
               for k, f in enumerate(inst.landfills)]
    offset = 1 + len(inst.landfills)
    clients = [Client(location=offset + k, pickup=[_load(s.load)], service_duration=s.service_s,
                      tw_early=s.early_s, tw_late=_afternoon(s, lunch), name=stop_id(s))
               for k, s in enumerate(inst.stops)]
    trips = math.ceil(inst.daily_total / inst.capacity - 1e-9)
    trip_capacity = min(_load(inst.capacity), math.floor(_load(inst.daily_total) / trips))
    vehicle = VehicleType(
        num_available=trucks, capacity=[trip_capacity], start_depot=0, end_depot=1 + end,
        fixed_cost=round(fixed_miles * FEET_PER_MILE), tw_early=depot.early_s,
        tw_late=depot.late_s - lunch - tail_s, reload_depots=list(range(1, offset)),
        max_reloads=trips - 1, unit_distance_cost=1, name="truck")
    data = ProblemData(locations, clients, depots, [vehicle], [feet], [dur])
    # PyVRP warns that its default penalty ceiling (1e5 per unit of excess load or time
    # warp) is too low when a truck costs millions of feet: a unit may cost a truck.
    ceiling = max(PenaltyParams().max_penalty, float(vehicle.fixed_cost))
    params = SolveParams(penalty=PenaltyParams(max_penalty=ceiling))
    with warnings.catch_warnings(record=True) as caught:  # reported with the result
        warnings.simplefilter("always")
        result = solve(data, stop=MaxRuntime(time_limit), seed=seed, collect_stats=False,
                       display=False, params=params)
    said = {f"{w.category.__name__}: {' '.join(str(w.message).split())}" for w in caught}
    for message in said:
        logger.info("pyvrp baseline on %s: %s", inst.name, message)
    best = result.best
    if not best.is_feasible():
        raise BaselineFailed(f"PyVRP found no feasible solution in {time_limit:g} s "
                             f"(time warp {best.time_warp()} s, excess load "
                             f"{best.excess_load()}){'; ' if said else ''}"
                             f"{'; '.join(sorted(said))[:200]}")
    routes = []
    for r in best.routes():
        items = []
        for act in r.schedule()[1:-1]:
            if act.is_client():
                items.append(stop_id(inst.stops[act.idx]))
            elif act.is_depot():
                items.append(landfill_id(inst.landfills[act.idx - 1]))
        items.append(landfill_id(end_site))
        routes.append(items)
    return routes


# -- OR-Tools -------------------------------------------------------------------------------
def ortools_routes(inst: KimInstance, *, trucks: int, time_limit: float, seed: int,
                   fixed_miles: float) -> list[list[str]]:
    """Routes (stop ids and ``L<id>``) of the plain OR-Tools model (see the module notes).

    ``seed`` is unused: the OR-Tools search is deterministic.
    """
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    feet, dur = _matrices(inst)
    depot, n_stops = inst.depot, len(inst.stops)
    fleet = trucks
    capacity = _load(inst.capacity)
    total = sum(s.load for s in inst.stops)
    copies = math.ceil(total / inst.capacity) + fleet
    # nodes: 0 the depot, 1..n the stops, then the copies of each landfill
    sites = [depot, *inst.stops]
    location = [0, *range(1 + len(inst.landfills), 1 + len(inst.landfills) + n_stops)]
    for k, f in enumerate(inst.landfills):
        sites += [f] * copies
        location += [1 + k] * copies
    loc = np.array(location)
    node_feet = feet[np.ix_(loc, loc)]
    service = np.array([s.service_s if s.kind != 0 else 0 for s in sites], dtype=np.int64)
    transit = dur[np.ix_(loc, loc)] + service[:, None]
    is_stop = [s.kind == 1 for s in sites]
    demand = [(_load(s.load) if stop else -capacity if s.kind == 2 else 0)
              for s, stop in zip(sites, is_stop, strict=True)]

    manager = pywrapcp.RoutingIndexManager(len(sites), fleet, 0)
    routing = pywrapcp.RoutingModel(manager)
    cost = routing.RegisterTransitMatrix(node_feet.tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(cost)
    fixed = round(fixed_miles * FEET_PER_MILE)
    routing.SetFixedCostOfAllVehicles(fixed)

    load = routing.RegisterUnaryTransitVector(demand)
    routing.AddDimension(load, capacity, capacity, True, "Load")
    load_dim = routing.GetDimensionOrDie("Load")
    daily = routing.RegisterUnaryTransitVector([max(d, 0) if st else 0
                                                for d, st in zip(demand, is_stop, strict=True)])
    routing.AddDimension(daily, 0, _load(inst.daily_total), True, "Daily")
    count = routing.RegisterUnaryTransitVector([int(st) for st in is_stop])
    routing.AddDimension(count, 0, inst.max_stops, True, "Stops")
    time_cb = routing.RegisterTransitMatrix(transit.tolist())
    routing.AddDimension(time_cb, 24 * 3600, 24 * 3600, False, "Time")
    time_dim = routing.GetDimensionOrDie("Time")

    for node, site in enumerate(sites):
        if node == 0:
            continue
        index = manager.NodeToIndex(node)
        time_dim.CumulVar(index).SetRange(max(site.early_s, depot.early_s),
                                          min(site.late_s, depot.late_s))
        if is_stop[node]:
            load_dim.SlackVar(index).SetValue(0)
            # the last visit is a landfill, even after a stop with nothing to collect
            routing.NextVar(index).RemoveValues([routing.End(v) for v in range(fleet)])
        else:  # a landfill copy is optional
            routing.AddDisjunction([index], 0)
    # no landfill straight after a landfill
    copy_index = [manager.NodeToIndex(n) for n in range(1 + n_stops, len(sites))]
    for c in copy_index:
        routing.NextVar(c).RemoveValues([o for o in copy_index if o != c])
    solver = routing.solver()
    visits = [int(service[manager.IndexToNode(i)]) for i in range(routing.Size())]
    for v in range(fleet):
        start, finish = routing.Start(v), routing.End(v)
        load_dim.SlackVar(start).SetValue(0)
        load_dim.CumulVar(finish).SetValue(0)  # the last visit is a landfill
        time_dim.CumulVar(start).SetRange(depot.early_s, depot.late_s)
        time_dim.CumulVar(finish).SetRange(depot.early_s, depot.late_s)
        if inst.lunch_s:
            lunch = solver.FixedDurationIntervalVar(LUNCH_WINDOW_S[0], LUNCH_WINDOW_S[1],
                                                    inst.lunch_s, False, f"lunch {v}")
            time_dim.SetBreakIntervalsOfVehicle([lunch], v, visits)

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy,
                                             ORTOOLS_FIRST_SOLUTION)
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH)
    params.time_limit.FromMilliseconds(max(1, int(time_limit * 1000)))
    solution = routing.SolveWithParameters(params)
    if solution is None:
        raise BaselineFailed(f"OR-Tools found no solution in {time_limit:g} s "
                             f"(status {routing.status()})")
    routes = []
    for v in range(fleet):
        index = solution.Value(routing.NextVar(routing.Start(v)))
        items = []
        while not routing.IsEnd(index):
            site = sites[manager.IndexToNode(index)]
            items.append(stop_id(site) if site.kind == 1 else landfill_id(site))
            index = solution.Value(routing.NextVar(index))
        if items:
            routes.append(items)
    return routes
