"""The OR-Tools engine: a routing model with landfill trips, windows, breaks and a mixed fleet.

How the sanitation day is modelled
----------------------------------
- Every truck *ends* at a facility (its end node is the allowed facility closest to its
  end depot); the facility-to-depot drive and the last unload are a fixed cost of using
  the truck and are taken off its shift.
- Trucks unload during the day at optional *facility copies*: each copy has demand
  ``-capacity`` and the load dimension may keep slack only there, so a copy empties the
  truck. Arcs copy->copy, depot->copy and copy->end are removed, so plans do not fill up
  with empty unloads.
- Stops are optional with a priority-weighted penalty (required stops far more), so a
  first solution always exists; the least urgent work is what gets dropped.
- Time: waiting slack, service/unload time on the outgoing arc, windows on the cumul,
  shift on start/end cumuls, the day length as a span bound, the break as a break
  interval that must lie inside the route.

With ``Problem.end_empty=False`` (classic CVRP/VRPTW) trucks start and end at their
depots and capacity is per route.

The solution is turned into ordered stop/facility ids and handed to
``routing.schedule_route``, which applies the house timing rules.
"""

from __future__ import annotations

import logging
import math
import random
import time
from dataclasses import dataclass, field

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.util import optional_boolean_pb2

from routing._check import schedule_route
from routing._errors import ProblemError
from routing._model import Facility, Problem, Stop, Vehicle
from routing._plan import Plan, Route, Unassigned
from routing._solve import Progress, ProgressCallback

logger = logging.getLogger(__name__)

COST_SCALE = 10_000  # integer cost units per currency unit (per metre at 10 per km)
LOAD_SCALE = 1_000_000  # grams per tonne: loads enter OR-Tools as integers
UNREACHABLE = "no street path"


def _leg(seconds: float) -> int:
    """A drive in whole seconds, rounded half up like ``schedule_route`` (or later)."""
    return math.floor(seconds + 0.5)


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


@dataclass
class _Model:
    """The node layout of one OR-Tools model (node = row of the transit matrices)."""

    locations: list[int] = field(default_factory=list)
    service: list[int] = field(default_factory=list)
    demand: list[int] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)  # depot | stop | copy | end
    ids: list[str] = field(default_factory=list)  # stop id or facility id
    windows: list[tuple[int, int] | None] = field(default_factory=list)
    allowed: list[list[int] | None] = field(default_factory=list)  # vehicle positions

    def add(self, kind, id_, location, service=0, demand=0, window=None, allowed=None) -> int:
        self.kinds.append(kind)
        self.ids.append(id_)
        self.locations.append(location)
        self.service.append(int(service))
        self.demand.append(int(demand))
        self.windows.append(window)
        self.allowed.append(allowed)
        return len(self.kinds) - 1


# -- feasibility of single stops, before any search -------------------------------------
def _tail(problem: Problem, vehicle: Vehicle, facility: Facility | None) -> int:
    """Seconds from arriving at the final facility to being back at the end depot."""
    end = problem.depot(vehicle.end_depot).location
    if facility is None:
        return 0
    return facility.unload_s + _leg(problem.duration_s[facility.location, end])


def _alone_ok(problem: Problem, v: Vehicle, stop: Stop, fac: Facility | None) -> bool:
    """Whether ``v`` can do the trip depot -> stop (-> facility) -> depot within all rules."""
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
        fstart = max(t, fac.window[0]) if fac.window else t
        if fac.window and fstart > fac.window[1]:
            return False
        t = fstart + fac.unload_s + _leg(dur[fac.location, end])
    else:
        t += _leg(dur[stop.location, end])
    return t <= v.shift[1] and t - depart <= v.duration_limit_s


def _reachable(problem: Problem, v: Vehicle, stop: Stop) -> list[Facility | None]:
    """The facilities through which ``v`` has a street path to serve ``stop`` and go home."""
    dur = problem.duration_s
    home = problem.depot(v.start_depot).location
    end = problem.depot(v.end_depot).location
    if not math.isfinite(dur[home, stop.location]):
        return []
    if not problem.end_empty:
        return [None] if math.isfinite(dur[stop.location, end]) else []
    return [
        f for f in problem.allowed_facilities(v)
        if math.isfinite(dur[stop.location, f.location]) and math.isfinite(dur[f.location, end])
    ]


def _screen(problem: Problem, vehicles: list[Vehicle]):
    """Split the stops into modelled ones (with their allowed vehicles) and hopeless ones."""
    modelled: list[tuple[Stop, list[int]]] = []
    hopeless: list[Unassigned] = []
    for stop in problem.stops:
        reachable, feasible = False, []
        for k, v in enumerate(vehicles):
            facs = _reachable(problem, v, stop)
            reachable = reachable or bool(facs)
            if any(_alone_ok(problem, v, stop, f) for f in facs):
                feasible.append(k)
        if feasible:
            modelled.append((stop, feasible))
            continue
        if not reachable:
            reason = UNREACHABLE
        elif stop.window is not None:
            reason = (f"time window {_hhmm(stop.window[0])}-{_hhmm(stop.window[1])} "
                      "cannot be met, even on a trip of its own")
        else:
            reason = "cannot be served and unloaded within any truck's shift, even alone"
        hopeless.append(Unassigned(stop.id, stop.site_id, stop.load_t, reason))
    return modelled, hopeless


def _end_facility(problem: Problem, v: Vehicle) -> Facility | None:
    """The facility where ``v`` finishes: open late enough, then closest to its end depot."""
    dur = problem.duration_s
    home = problem.depot(v.start_depot).location
    end = problem.depot(v.end_depot).location
    best, best_key = None, None
    for f in problem.allowed_facilities(v):
        if not (math.isfinite(dur[f.location, end]) and math.isfinite(dur[home, f.location])):
            continue
        latest = v.shift[1] - _tail(problem, v, f)
        closes_early = f.window is not None and f.window[1] < latest
        key = (latest < v.shift[0], closes_early, dur[f.location, end])
        if best_key is None or key < best_key:
            best, best_key = f, key
    return best


# -- the model ---------------------------------------------------------------------------
def solve_ortools(
    problem: Problem,
    *,
    time_limit: float,
    seed: int,
    max_iterations: int | None,
    progress: ProgressCallback | None,
) -> Plan:
    """Plan the day with OR-Tools' routing solver.

    Parameters
    ----------
    problem
        A prepared problem (no stop heavier than the largest truck).
    time_limit
        Wall-clock limit of the search, in seconds.
    seed
        Shuffles the order in which stops enter the model (0: the problem's order); the
        OR-Tools search itself is deterministic.
    max_iterations
        Stop after this many solutions of the local search (deterministic); ``None``:
        only the time limit stops the search.
    progress
        Called with a ``routing.Progress`` at each new best solution.

    Returns
    -------
    Plan
        Routes built with ``schedule_route`` and unassigned stops with reasons.

    Raises
    ------
    ProblemError
        If the problem has release dates (use ``engine="pyvrp"``) or a required stop
        cannot be served.
    """
    if any(s.release_s > 0 for s in problem.stops):
        raise ProblemError("OR-Tools does not model release dates (stop release_s > 0); "
                           "use engine='pyvrp'")
    started = time.perf_counter()
    usable: list[Vehicle] = []
    ends: list[Facility | None] = []
    for v in problem.vehicles:
        fac = _end_facility(problem, v) if problem.end_empty else None
        if problem.end_empty and fac is None:
            logger.warning("vehicle %s has no street path to a facility and home; left out",
                           v.id)
            continue
        lo, hi = v.shift[0], v.shift[1] - _tail(problem, v, fac)
        if fac is not None and fac.window is not None:
            lo, hi = max(lo, fac.window[0]), min(hi, fac.window[1])
        if hi < lo:
            logger.warning("vehicle %s cannot unload at %s and be home within its shift; "
                           "left out", v.id, fac.id if fac else "its depot")
            continue
        usable.append(v)
        ends.append(fac)
    modelled, hopeless = _screen(problem, usable)
    if seed:
        random.Random(seed).shuffle(modelled)
    if not modelled:
        return _finish(problem, [], hopeless, 0.0)
    built = _Built(problem, usable, ends, modelled)
    solution = built.solve(time_limit=time_limit, max_iterations=max_iterations,
                           progress=progress, started=started)
    if solution is None:
        logger.warning("OR-Tools found no solution within %.1f s", time_limit)
        unassigned = [Unassigned(s.id, s.site_id, s.load_t,
                                 "no feasible plan found within the time limit")
                      for s, _ in modelled]
        return _finish(problem, [], unassigned + hopeless, 0.0)
    routes, dropped = built.extract(solution)
    return _finish(problem, routes, dropped + hopeless,
                   solution.ObjectiveValue() / COST_SCALE)


def _finish(problem: Problem, routes: list[Route], unassigned: list[Unassigned],
            objective: float) -> Plan:
    required = [u for u in unassigned if problem.stop(u.stop_id).required]
    if required:
        raise ProblemError(
            "required stop(s) cannot be served: "
            + "; ".join(f"{u.stop_id} ({u.reason})" for u in required)
            + ". Make them optional (required=false) or add trucks / shift time."
        )
    return Plan(routes=tuple(routes), unassigned=tuple(unassigned), engine="ortools",
                objective=round(objective, 6))


def _route_ok(problem: Problem, v: Vehicle, route: Route) -> bool:
    """Whether a scheduled route keeps its windows, break window and shift."""
    for visit in route.visits[1:-1]:
        if visit.kind == "break":
            window = (v.break_.earliest_s, v.break_.latest_s)
        elif visit.kind == "stop":
            window = problem.stop(visit.id).window
        else:
            window = problem.facility(visit.id).window
        if window is not None and not window[0] <= visit.start_s <= window[1]:
            return False
    day = route.visits[-1].arrival_s - route.visits[0].departure_s
    return route.visits[-1].arrival_s <= v.shift[1] and day <= v.duration_limit_s


def _schedule(problem: Problem, v: Vehicle, items: list[str], break_after: int | None) -> Route:
    """``schedule_route`` with the break where OR-Tools put it, or the nearest place that fits.

    OR-Tools may start a break in the middle of a drive; the house rule takes it where the
    truck is, which can cost the few seconds of that drive.
    """
    route = schedule_route(problem, v.id, items, break_after=break_after)
    if break_after is None or _route_ok(problem, v, route):
        return route
    for k in sorted(range(-1, len(items)), key=lambda k: abs(k - break_after)):
        other = schedule_route(problem, v.id, items, break_after=k)
        if _route_ok(problem, v, other):
            return other
    return route


class _Built:
    """One OR-Tools model of a problem, and how to read its solutions."""

    def __init__(self, problem: Problem, vehicles: list[Vehicle],
                 ends: list[Facility | None], modelled: list[tuple[Stop, list[int]]]):
        self.problem, self.vehicles, self.ends = problem, vehicles, ends
        self.modelled = modelled
        m = self.m = _Model()
        depot_node = {d.id: m.add("depot", d.id, d.location) for d in problem.depots}
        self.max_cap = max(round(v.capacity_t * LOAD_SCALE) for v in vehicles)
        for stop, allowed in modelled:
            m.add("stop", stop.id, stop.location, stop.service_s,
                  round(stop.load_t * LOAD_SCALE), stop.window,
                  None if len(allowed) == len(vehicles) else allowed)
        if problem.end_empty:
            total = sum(s.load_t for s, _ in modelled)
            min_cap = min(v.capacity_t for v in vehicles)
            copies = min(len(modelled), 2 * math.ceil(total / min_cap) + 2 * len(vehicles) + 2)
            for f in problem.facilities:
                users = [k for k, v in enumerate(vehicles)
                         if f in problem.allowed_facilities(v)]
                if not users:
                    continue
                for _ in range(copies):
                    m.add("copy", f.id, f.location, f.unload_s, -self.max_cap, f.window,
                          None if len(users) == len(vehicles) else users)
            end_node = {f.id: m.add("end", f.id, f.location, f.unload_s, 0, f.window)
                        for f in {f.id: f for f in ends}.values()}
            self.end_nodes = [end_node[f.id] for f in ends]
        else:
            self.end_nodes = [depot_node[v.end_depot] for v in vehicles]
        self.start_nodes = [depot_node[v.start_depot] for v in vehicles]
        self.manager = pywrapcp.RoutingIndexManager(
            len(m.kinds), len(vehicles), self.start_nodes, self.end_nodes)
        self.routing = pywrapcp.RoutingModel(self.manager)
        self._matrices()
        self._costs()
        self._load()
        self._time()
        self._optional()
        self._prune()

    # -- matrices ---------------------------------------------------------------------
    def _matrices(self) -> None:
        p, m = self.problem, self.m
        loc = np.array(m.locations)
        dur = p.duration_s[np.ix_(loc, loc)]
        self.blocked = ~np.isfinite(dur) | ~np.isfinite(p.distance_m[np.ix_(loc, loc)])
        legs = np.where(self.blocked, 0.0, np.floor(dur + 0.5))
        self.legs = legs.astype(np.int64)
        self.horizon = int(max(max(v.shift[1] for v in self.vehicles),
                               max((w[1] for w in m.windows if w), default=0)))
        service = np.array(m.service, dtype=np.int64)[:, None]
        transit = self.legs + service
        transit[self.blocked] = 2 * self.horizon + 1
        for start, end in zip(self.start_nodes, self.end_nodes, strict=True):
            transit[start, end] = 0  # an unused truck stays home
        self.transit = transit

    def _costs(self) -> None:
        p, m, routing = self.problem, self.m, self.routing
        loc = np.array(m.locations)
        km = np.where(self.blocked, 0.0, p.distance_m[np.ix_(loc, loc)]) / 1000
        hours = (self.legs + np.array(m.service)[:, None]) / 3600
        evaluators: dict[tuple[float, float], int] = {}
        self.max_arc, self.max_fixed = 1, 0
        for k, v in enumerate(self.vehicles):
            key = (v.cost_per_km, v.cost_per_hour)
            if key not in evaluators:
                cost = np.rint(COST_SCALE * (v.cost_per_km * km + v.cost_per_hour * hours))
                cost = cost.astype(np.int64)
                self.max_arc = max(self.max_arc, int(cost.max()))
                for start, end in zip(self.start_nodes, self.end_nodes, strict=True):
                    cost[start, end] = 0
                evaluators[key] = routing.RegisterTransitMatrix(cost.tolist())
            routing.SetArcCostEvaluatorOfVehicle(evaluators[key], k)
            fac = self.ends[k]
            fixed = v.fixed_cost
            if fac is not None:
                end = p.depot(v.end_depot).location
                fixed += (v.cost_per_km * p.distance_m[fac.location, end] / 1000
                          + v.cost_per_hour * _tail(p, v, fac) / 3600)
            fixed_units = round(COST_SCALE * float(fixed))
            self.max_fixed = max(self.max_fixed, fixed_units)
            routing.SetFixedCostOfVehicle(fixed_units, k)

    def _load(self) -> None:
        routing, m = self.routing, self.m
        demand = routing.RegisterUnaryTransitVector(m.demand)
        has_copies = "copy" in m.kinds
        capacities = [round(v.capacity_t * LOAD_SCALE) for v in self.vehicles]
        routing.AddDimensionWithVehicleCapacity(
            demand, self.max_cap if has_copies else 0, capacities, True, "Load")
        self.load = routing.GetDimensionOrDie("Load")
        if has_copies:
            for node, kind in enumerate(m.kinds):
                if kind in ("stop", "depot"):
                    for index in self._indices(node):
                        self.load.SlackVar(index).SetValue(0)

    def _indices(self, node: int) -> list[int]:
        """Routing indices of a node (a depot shared by several trucks has one per start)."""
        if self.m.kinds[node] == "depot":
            return [self.routing.Start(k) for k, s in enumerate(self.start_nodes) if s == node]
        return [self.manager.NodeToIndex(node)]

    def _time_matters(self) -> bool:
        """False when no window, break or shift can bind (classic CVRP): skip the dimension."""
        p, m = self.problem, self.m
        if p.end_empty or any(m.windows) or any(v.break_ for v in self.vehicles):
            return True
        longest = int(self.transit.max(axis=1).sum())  # no route can take longer than this
        return longest > min(v.duration_limit_s for v in self.vehicles)

    def _time(self) -> None:
        routing, m, p = self.routing, self.m, self.problem
        self.breaks: dict[int, pywrapcp.IntervalVar] = {}
        self.end_range: dict[int, tuple[int, int, int]] = {}
        if not self._time_matters():
            return
        transit = routing.RegisterTransitMatrix(self.transit.tolist())
        routing.AddDimension(transit, self.horizon, self.horizon, False, "Time")
        td = self.time = routing.GetDimensionOrDie("Time")
        for node, window in enumerate(m.windows):
            if window is None or m.kinds[node] in ("depot", "end"):
                continue
            td.CumulVar(self.manager.NodeToIndex(node)).SetRange(int(window[0]), int(window[1]))
        visit = [0] * routing.Size()
        for index in range(routing.Size()):
            visit[index] = m.service[self.manager.IndexToNode(index)]
        solver = routing.solver()
        for k, v in enumerate(self.vehicles):
            tail = _tail(p, v, self.ends[k])
            start, end = routing.Start(k), routing.End(k)
            td.CumulVar(start).SetRange(v.shift[0], v.shift[1])
            lo, hi = v.shift[0], v.shift[1] - tail
            window = self.ends[k].window if self.ends[k] is not None else None
            if window is not None:
                lo, hi = max(lo, window[0]), min(hi, window[1])
            td.CumulVar(end).SetRange(lo, hi)
            td.SetSpanUpperBoundForVehicle(max(0, v.duration_limit_s - tail), k)
            self.end_range[k] = (lo, hi, max(0, v.duration_limit_s - tail))
            brk = v.break_
            if brk is not None and v.shift[0] <= brk.latest_s < v.shift[1]:
                interval = solver.FixedDurationIntervalVar(
                    brk.earliest_s, brk.latest_s, brk.duration_s, False, f"break {v.id}")
                td.SetBreakIntervalsOfVehicle([interval], k, visit)
                solver.Add(interval.StartExpr() >= td.CumulVar(start))
                solver.Add(interval.EndExpr() <= td.CumulVar(end))
                self.breaks[k] = interval

    def _optional(self) -> None:
        routing, m = self.routing, self.m
        # Serving any stop must beat dropping it, whatever the detour and the truck.
        self.big = 6 * self.max_arc + self.max_fixed + 1
        for node, kind in enumerate(m.kinds):
            index = self.manager.NodeToIndex(node) if kind in ("stop", "copy") else None
            if index is None:
                continue
            if kind == "stop":
                stop = self.problem.stop(m.ids[node])
                weight = 1000 if stop.required else 6 - stop.priority
                routing.AddDisjunction([index], self.big * weight)
            else:
                routing.AddDisjunction([index], 0)
            if m.allowed[node] is not None:  # -1: the node may also be left out
                routing.VehicleVar(index).SetValues([-1, *m.allowed[node]])

    def _prune(self) -> None:
        routing, m = self.routing, self.m
        copies = [self.manager.NodeToIndex(n) for n, k in enumerate(m.kinds) if k == "copy"]
        ends = [routing.End(k) for k in range(len(self.vehicles))]
        if copies:
            banned = copies + ends
            for c in copies:  # an unused copy points to itself: keep that value
                routing.NextVar(c).RemoveValues([b for b in banned if b != c])
            for k in range(len(self.vehicles)):
                routing.NextVar(routing.Start(k)).RemoveValues(copies)
        blocked_rows = np.nonzero(self.blocked.any(axis=1))[0]
        for node in blocked_rows:
            if m.kinds[node] == "end":
                continue
            targets = set(np.nonzero(self.blocked[node])[0].tolist())
            banned = [self.manager.NodeToIndex(j) for j in targets if m.kinds[j] != "depot"
                      and m.kinds[j] != "end" and j != node]
            banned += [routing.End(k) for k, e in enumerate(self.end_nodes) if e in targets]
            for index in self._indices(node):
                if banned:
                    routing.NextVar(index).RemoveValues(banned)

    # -- a first solution that unloads when full ----------------------------------------
    def _greedy_routes(self) -> list[list[int]]:
        """Routes (routing indices) built truck by truck, unloading when a stop won't fit.

        OR-Tools' own first solutions insert one node at a time, so a stop that needs an
        unload next to it is left out, and the local search rarely puts both in at once
        (the sample day kept 10 of 45 stops out after 150 solutions). This walks each
        truck from stop to stop, taking the stop quickest to start divided by its
        priority weight, through the nearest free facility copy when the load would not
        fit, with the break as soon as its window opens and the way to the final unload
        kept within the shift. Times follow the model's transit matrix, so OR-Tools
        accepts the routes; if not, the caller falls back to its own strategies.
        """
        m = self.m
        stops = [n for n, k in enumerate(m.kinds) if k == "stop"]
        weight = {}
        for n in stops:
            stop = self.problem.stop(m.ids[n])
            weight[n] = 1000.0 if stop.required else float(6 - stop.priority)
        free: dict[str, list[int]] = {}
        for n, k in enumerate(m.kinds):
            if k == "copy":
                free.setdefault(m.ids[n], []).append(n)
        left = set(stops)
        routes = []
        for k in range(len(self.vehicles)):
            route = self._greedy_route(k, left, free, weight)
            routes.append([self.manager.NodeToIndex(n) for n in route])
        return routes

    def _move(self, k: int, a: int, b: int, t: int, taken: bool) -> tuple[int, bool] | None:
        """Truck ``k`` done at node ``a`` at ``t`` serves ``b``: (done time, break taken)."""
        m, brk = self.m, self.vehicles[k].break_
        drive = int(self.transit[a, b]) - m.service[a]
        if not taken and t + drive >= brk.earliest_s:  # the break comes first
            begin = max(t, brk.earliest_s)
            if begin > brk.latest_s:
                return None
            t, taken = begin + brk.duration_s, True
        arrive = t + drive
        window = m.windows[b]
        if window is not None:
            if arrive > window[1]:
                return None
            arrive = max(arrive, int(window[0]))
        return arrive + m.service[b], taken

    def _can_finish(self, k: int, a: int, t: int, taken: bool) -> bool:
        """Whether truck ``k`` done at node ``a`` at ``t`` still reaches its end in time."""
        v, brk = self.vehicles[k], self.vehicles[k].break_
        lo, hi, span = self.end_range.get(k, (0, self.horizon, self.horizon))
        if not taken:
            begin = max(t, brk.earliest_s)
            if begin > brk.latest_s:
                return False
            t = begin + brk.duration_s
        arrive = max(t + int(self.transit[a, self.end_nodes[k]]) - self.m.service[a], lo)
        return arrive <= hi and arrive - v.shift[0] <= span

    def _greedy_route(self, k: int, left: set[int], free: dict[str, list[int]],
                      weight: dict[int, float]) -> list[int]:
        """One truck's greedy route (nodes), taking its stops and copies out of the pools."""
        m = self.m
        cap = round(self.vehicles[k].capacity_t * LOAD_SCALE)
        here, t, load = self.start_nodes[k], self.vehicles[k].shift[0], 0
        taken = k not in self.breaks
        route: list[int] = []
        while True:
            best = None
            for n in sorted(left):
                if m.allowed[n] is not None and k not in m.allowed[n]:
                    continue
                path, a, step = [], here, (t, taken)
                if load + m.demand[n] > cap:
                    copies = [c[-1] for c in free.values() if c
                              and (m.allowed[c[-1]] is None or k in m.allowed[c[-1]])]
                    if not copies:
                        continue
                    c = min(copies, key=lambda c: self.transit[here, c] + self.transit[c, n])
                    step = self._move(k, a, c, *step)
                    if step is None:
                        continue
                    a = c
                    path.append(c)
                step = self._move(k, a, n, *step)
                if step is None or not self._can_finish(k, n, *step):
                    continue
                path.append(n)
                score = (step[0] - t) / weight[n]
                if best is None or score < best[0]:
                    best = (score, path, step)
            if best is None:
                return route
            _, path, (t, taken) = best
            for node in path:
                if m.kinds[node] == "copy":
                    free[m.ids[node]].pop()
                    load = 0
                else:
                    load += m.demand[node]
                    left.discard(node)
                route.append(node)
            here = path[-1]

    # -- search -----------------------------------------------------------------------
    def _parameters(self, first, time_limit: float, max_iterations: int | None):
        params = pywrapcp.DefaultRoutingSearchParameters()
        params.first_solution_strategy = first
        params.local_search_metaheuristic = (
            routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH)
        params.time_limit.FromMilliseconds(max(1, int(time_limit * 1000)))
        if max_iterations is not None:
            params.solution_limit = max(1, int(max_iterations))
        if not self.problem.end_empty:
            # Measured on CVRPLIB X (20 s): lambda 0.3 beats the default 0.1 by ~0.4 %.
            params.guided_local_search_lambda_coefficient = 0.3
            # GLS alone stalls on tight fleets (X-n204-k19 stuck at 8.4 % after 0.6 s of
            # 30 s); re-inserting a few close stops at a time gets it moving (4.3 %).
            # Daily plans are left without it: same plans, twice the time per solution.
            params.local_search_operators.use_local_cheapest_insertion_close_nodes_lns = (
                optional_boolean_pb2.BOOL_TRUE)
            # 20 close stops per re-insertion (default 5), operators picked by a
            # multi-armed bandit, and iterated local search with SISR string removal:
            # CVRPLIB X ten at 60 s, mean gap 3.77 % -> 3.08 % (X-n233/261/298 from
            # 6-8 % to 4 %; X-n139 and X-n204 lost 1-2 %). 40 close stops or
            # neighbour-restricted operators (ratio 0.2) were worse at 30 s.
            params.heuristic_close_nodes_lns_num_nodes = 20
            params.use_multi_armed_bandit_concatenate_operators = True
            params.use_iterated_local_search = True
            ruin = params.iterated_local_search_parameters.ruin_recreate_parameters
            sisr = ruin.ruin_strategies.add().sisr
            sisr.max_removed_sequence_size = 10
            sisr.avg_num_removed_visits = 10
            sisr.bypass_factor = 0.01
        return params

    def solve(self, *, time_limit: float, max_iterations: int | None,
              progress: ProgressCallback | None, started: float):
        routing = self.routing
        best = [math.inf]

        def on_solution() -> None:
            value = routing.CostVar().Value()
            if value >= best[0]:
                return
            best[0] = value
            used = sum(routing.NextVar(routing.Start(k)).Value() != routing.End(k)
                       for k in range(len(self.vehicles)))
            seconds = time.perf_counter() - started
            logger.debug("ortools: objective %.2f, %d route(s) at %.1f s",
                         value / COST_SCALE, used, seconds)
            if progress is not None:
                progress(Progress("ortools", round(seconds, 3), value / COST_SCALE, used))

        routing.AddAtSolutionCallback(on_solution)
        strategies = routing_enums_pb2.FirstSolutionStrategy
        firsts = [strategies.PATH_CHEAPEST_ARC, strategies.PARALLEL_CHEAPEST_INSERTION]
        if self.problem.end_empty:  # start from routes that unload when full
            params = self._parameters(firsts[0], time_limit, max_iterations)
            routing.CloseModelWithParameters(params)
            routes = self._greedy_routes()
            initial = routing.ReadAssignmentFromRoutes(routes, True)
            if initial is not None:
                remaining = time_limit - (time.perf_counter() - started)
                params = self._parameters(firsts[0], max(remaining, 0.1), max_iterations)
                solution = routing.SolveFromAssignmentWithParameters(initial, params)
                if solution is not None:
                    return solution
            logger.info("ortools: the greedy first solution was not accepted")
        for first in firsts:
            remaining = time_limit - (time.perf_counter() - started)
            params = self._parameters(first, max(remaining, 0.1), max_iterations)
            solution = routing.SolveWithParameters(params)
            if solution is not None:
                return solution
            logger.info("ortools: no first solution with strategy %s", first)
        return None

    # -- reading a solution -------------------------------------------------------------
    def extract(self, solution) -> tuple[list[Route], list[Unassigned]]:
        routing, m, p = self.routing, self.m, self.problem
        routes: list[Route] = []
        served: set[str] = set()
        for k, v in enumerate(self.vehicles):
            index = solution.Value(routing.NextVar(routing.Start(k)))
            nodes: list[int] = []
            while not routing.IsEnd(index):
                nodes.append(index)
                index = solution.Value(routing.NextVar(index))
            if not any(m.kinds[self.manager.IndexToNode(i)] == "stop" for i in nodes):
                continue
            if p.end_empty:
                nodes.append(routing.End(k))
            items, position, load = [], {}, 0
            for i in nodes:
                node = self.manager.IndexToNode(i)
                kind = m.kinds[node]
                if kind == "stop":
                    load += m.demand[node]
                    served.add(m.ids[node])
                elif kind == "copy" and load == 0:
                    position[i] = len(items) - 1
                    continue
                else:
                    load = 0
                items.append(m.ids[node])
                position[i] = len(items) - 1
            break_after = None
            if k in self.breaks:
                begin = solution.StartValue(self.breaks[k])
                break_after = -1
                for i in nodes:
                    done = solution.Value(self.time.CumulVar(i)) + m.service[
                        self.manager.IndexToNode(i)]
                    if done <= begin:
                        break_after = position[i]
            routes.append(_schedule(p, v, items, break_after))
        dropped = [self._reason(stop, served) for stop, _ in self.modelled
                   if stop.id not in served]
        return routes, dropped

    def _reason(self, stop: Stop, served: set[str]) -> Unassigned:
        p = self.problem
        if not p.end_empty:
            allowed = [v for v in self.vehicles if v.capacity_t >= stop.load_t]
            done = sum(p.stop(s).load_t for s in served)
            if done + stop.load_t > sum(v.capacity_t for v in allowed) + 1e-9:
                reason = "not enough truck capacity in the fleet"
                return Unassigned(stop.id, stop.site_id, stop.load_t, reason)
        reason = "not enough truck time in the shift"
        if stop.window is not None:
            reason += f" to reach it within {_hhmm(stop.window[0])}-{_hhmm(stop.window[1])}"
        busier = [s for s in served if p.stop(s).priority < stop.priority]
        if busier:
            reason += " (more urgent work came first)"
        return Unassigned(stop.id, stop.site_id, stop.load_t, reason)
