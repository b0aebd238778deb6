"""The OR-Tools engine: a routing model with landfill trips, windows, streams and daily limits.

How the sanitation day is modelled
----------------------------------
- Every truck *ends* at a facility (its end node is the allowed facility that accepts
  most of its streams, then the one closest to its end depot); the facility-to-depot
  drive and the last unload are a fixed cost of using the truck and are taken off its
  shift.
- Trucks unload during the day at optional *facility copies*: each copy has demand
  ``-capacity`` and the load dimension may keep slack only there, so a copy empties the
  truck. Arcs copy->copy, depot->copy and copy->end are removed, so plans do not fill up
  with empty unloads.
- Stops are optional with a priority-weighted penalty (required stops far more), so a
  first solution always exists; the least urgent work is what gets dropped. Only the
  trucks that could serve a stop on a trip of its own may take it
  (``routing._reasons.screen``).
- Time: waiting slack, service/unload time on the outgoing arc, windows on the cumul,
  shift on start/end cumuls, the day length as a span bound. Lunch breaks are not in the
  model: ``routing.solve`` gives every engine the problem with each break paid for in
  shifts and windows and places the breaks after the search (``routing._repair``).
- Daily limits: a ``Daily`` dimension adds every stop's tonnes and never resets (its
  capacity is the truck's ``max_daily_t``); a ``Stops`` dimension counts stops against
  ``max_stops``.
- Streams (when there is more than one): a dimension per stream counts that stream's
  stops since the last unload and resets at copies like the load. A stop of stream *s*
  requires every other stream's count to be zero when the truck arrives (one stream per
  trip); a copy or an end facility requires zero for every stream it does not accept.

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
from dataclasses import dataclass, field, replace

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.util import optional_boolean_pb2

from routing._check import schedule_route
from routing._errors import ProblemError
from routing._model import Facility, Problem, Stop, Vehicle
from routing._plan import Plan, Route, Unassigned
from routing._reasons import end_facility, screen
from routing._repair import insert_stop
from routing._solve import Progress, ProgressCallback
from routing._territories import territories

logger = logging.getLogger(__name__)

COST_SCALE = 10_000  # integer cost units per currency unit (per metre at 10 per km)
LOAD_SCALE = 1_000_000  # grams per tonne: loads enter OR-Tools as integers
#: Stops per territory when a day is too big for one OR-Tools model (see
#: ``routing._territories``); days up to 1.5 times this are one model.
TERRITORY_SIZE = 400


def _leg(seconds: float) -> int:
    """A drive in whole seconds, rounded half up like ``schedule_route`` (or later)."""
    return math.floor(seconds + 0.5)


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
    streams: list[str | frozenset[str] | None] = field(default_factory=list)

    def add(self, kind, id_, location, service=0, demand=0, window=None, allowed=None,
            streams=None) -> int:
        self.kinds.append(kind)
        self.ids.append(id_)
        self.locations.append(location)
        self.service.append(int(service))
        self.demand.append(int(demand))
        self.windows.append(window)
        self.allowed.append(allowed)
        self.streams.append(streams)  # a stop's stream; the streams a facility accepts
        return len(self.kinds) - 1


def _tail(problem: Problem, vehicle: Vehicle, facility: Facility | None) -> int:
    """Seconds from arriving at the final facility to being back at the end depot."""
    end = problem.depot(vehicle.end_depot).location
    if facility is None:
        return 0
    return facility.unload_s + _leg(problem.duration_s[facility.location, end])


# -- the engine ------------------------------------------------------------------------
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
        A prepared problem (no stop heavier than the largest truck) without breaks
        (``routing.solve`` takes care of both).
    time_limit
        Wall-clock limit from this call, in seconds: building the model counts.
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
        Routes built with ``schedule_route``; unassigned stops (the ones no truck can
        serve with their reasons; the ones the search left out without a code, for
        ``routing.solve`` to explain). ``meta["search"]`` says what stopped the search.

    Raises
    ------
    ProblemError
        If the problem has release dates or breaks, or a required stop cannot be served.
    """
    if any(s.release_s > 0 for s in problem.stops):
        raise ProblemError("OR-Tools does not model release dates (stop release_s > 0); "
                           "use engine='pyvrp'")
    if any(v.break_ is not None for v in problem.vehicles):
        raise ProblemError("the OR-Tools engine plans break-free problems; call "
                           "routing.solve, which places breaks after the search")
    started = time.perf_counter()
    usable: list[Vehicle] = []
    ends: list[Facility | None] = []
    for v in problem.vehicles:
        fac = end_facility(problem, v) if problem.end_empty else None
        if problem.end_empty and fac is None:
            logger.info("vehicle %s has no street path to a facility and home; left out", v.id)
            continue
        lo, hi = v.shift[0], v.shift[1] - _tail(problem, v, fac)
        if fac is not None and fac.window is not None:
            lo, hi = max(lo, fac.window[0]), min(hi, fac.window[1])
        if hi < lo:
            logger.info("vehicle %s cannot unload at %s and be home within its shift; "
                        "left out", v.id, fac.id if fac else "its depot")
            continue
        usable.append(v)
        ends.append(fac)
    # reasons come from every truck (a truck left out above still tells why a stop
    # cannot be done); the model gets the usable trucks only
    eligible, hopeless = screen(problem)
    position = {v.id: k for k, v in enumerate(usable)}
    modelled, orphans = [], []
    for s in problem.stops:
        if s.id not in eligible:
            continue
        mine = [position[problem.vehicles[k].id] for k in eligible[s.id]
                if problem.vehicles[k].id in position]
        if mine:
            modelled.append((s, mine))
        else:
            orphans.append(Unassigned(s.id, s.site_id, s.load_t, "left out by the search"))
    hopeless += orphans
    if seed:
        random.Random(seed).shuffle(modelled)
    search = {"stopped_by": "nothing_to_do", "iterations": 0, "budget": max_iterations}
    if not modelled:
        return _finish(problem, [], hopeless, 0.0, search)
    if len(modelled) > TERRITORY_SIZE * 1.5 and len(usable) > 1:
        routes, dropped, objective, search = _by_territory(
            problem, usable, ends, modelled, deadline=started + time_limit,
            max_iterations=max_iterations, progress=progress, started=started)
        return _finish(problem, routes, dropped + hopeless, objective, search)
    built = _Built(problem, usable, ends, modelled)
    left = max(0.1, time_limit - (time.perf_counter() - started))  # building took some
    solution, search = built.solve(time_limit=left, max_iterations=max_iterations,
                                   progress=progress, started=started)
    if solution is None:
        logger.warning("OR-Tools found no solution within %.1f s", time_limit)
        unassigned = [Unassigned(s.id, s.site_id, s.load_t, "left out by the search")
                      for s, _ in modelled]
        return _finish(problem, [], unassigned + hopeless, 0.0, search)
    routes, dropped = built.extract(solution)
    return _finish(problem, routes, dropped + hopeless,
                   solution.ObjectiveValue() / COST_SCALE, search)


def _by_territory(problem: Problem, usable: list[Vehicle], ends: list[Facility | None],
                  modelled: list[tuple[Stop, list[int]]], *, deadline: float,
                  max_iterations: int | None, progress: ProgressCallback | None,
                  started: float) -> tuple[list[Route], list[Unassigned], float, dict]:
    """Solve territory by territory (``routing._territories``), each in its time share.

    A stop goes to its territory's trucks where it may go on them; otherwise it stays
    for the repair across borders (``routing._repair``), like every stop a territory's
    trucks had no room for.
    """
    position = {v.id: k for k, v in enumerate(usable)}
    allowed = {s.id: set(ks) for s, ks in modelled}
    parts = territories(problem, [s for s, _ in modelled], usable, size=TERRITORY_SIZE)
    logger.info("ortools: %d stops in %d territories of %s stops", len(modelled), len(parts),
                "/".join(str(len(g)) for g, _ in parts))
    routes: list[Route] = []
    dropped: list[Unassigned] = []
    objective, done, iterations, first_s, by_budget = 0.0, 0, 0, None, True
    total = len(modelled)
    for stops, trucks in parts:
        mine = [position[v.id] for v in trucks]
        local = {k: j for j, k in enumerate(mine)}
        sub = []
        for s in stops:
            ks = [local[k] for k in allowed[s.id] if k in local]
            if ks:
                sub.append((s, ks))
            else:
                dropped.append(Unassigned(s.id, s.site_id, s.load_t, "left out by the search"))
        if not sub:
            continue
        share = (deadline - time.perf_counter()) * len(stops) / max(1, total - done)
        done += len(stops)
        budget = (None if max_iterations is None
                  else max(1, round(max_iterations * len(stops) / total)))

        def relay(p: Progress, base: float = objective) -> None:
            if progress is not None:
                progress(replace(p, objective=base + p.objective))

        built = _Built(problem, trucks, [ends[k] for k in mine], sub)
        solution, search = built.solve(time_limit=max(0.1, share), max_iterations=budget,
                                       progress=relay, started=started)
        iterations += search["iterations"]
        first_s = first_s or search["first_solution_s"]
        by_budget = by_budget and search["stopped_by"] == "iterations"
        if solution is None:
            dropped.extend(Unassigned(s.id, s.site_id, s.load_t, "left out by the search")
                           for s, _ in sub)
            continue
        got, left = built.extract(solution)
        routes.extend(got)
        dropped.extend(left)
        objective += solution.ObjectiveValue() / COST_SCALE
        del built, solution  # one OR-Tools model at a time
    # across borders: a stop its territory had no room for may fit a neighbour's truck
    by_truck = {r.vehicle_id: r for r in routes}
    moved = 0
    for u in list(dropped):
        if time.perf_counter() > deadline:
            break
        if u.stop_id in allowed and insert_stop(problem, by_truck, u.stop_id):
            dropped.remove(u)
            moved += 1
    if moved:
        logger.info("ortools: %d stop(s) placed across territory borders", moved)
    order = {v.id: k for k, v in enumerate(problem.vehicles)}
    routes = sorted(by_truck.values(), key=lambda r: order[r.vehicle_id])
    search = {"stopped_by": "iterations" if by_budget else "time_limit",
              "iterations": iterations, "budget": max_iterations, "unit": "solutions",
              "first_solution_s": first_s, "territories": len(parts),
              "seconds": round(time.perf_counter() - started, 3)}
    return routes, dropped, objective, search


def _finish(problem: Problem, routes: list[Route], unassigned: list[Unassigned],
            objective: float, search: dict) -> Plan:
    required = [u for u in unassigned if problem.stop(u.stop_id).required]
    if required:
        raise ProblemError(
            "required stop(s) cannot be served: "
            + "; ".join(f"{u.stop_id} ({u.reason})" for u in required)
            + ". Make them optional (required=false) or add trucks / shift time."
        )
    order = {s.id: k for k, s in enumerate(problem.stops)}
    unassigned = sorted(unassigned, key=lambda u: order[u.stop_id])
    return Plan(routes=tuple(routes), unassigned=tuple(unassigned), engine="ortools",
                objective=round(objective, 6), meta={"search": search})


class _Built:
    """One OR-Tools model of a problem, and how to read its solutions."""

    def __init__(self, problem: Problem, vehicles: list[Vehicle],
                 ends: list[Facility | None], modelled: list[tuple[Stop, list[int]]]):
        self.problem, self.vehicles, self.ends = problem, vehicles, ends
        self.modelled = modelled
        m = self.m = _Model()
        # only the depots trucks leave from or return to: any other node must be visited
        homes = {v.start_depot for v in vehicles} | {v.end_depot for v in vehicles}
        depot_node = {d.id: m.add("depot", d.id, d.location) for d in problem.depots
                      if d.id in homes}
        self.max_cap = max(round(v.capacity_t * LOAD_SCALE) for v in vehicles)
        for stop, allowed in modelled:
            m.add("stop", stop.id, stop.location, stop.service_s,
                  round(stop.load_t * LOAD_SCALE), stop.window,
                  None if len(allowed) == len(vehicles) else allowed, stop.stream)
        streams = sorted({s.stream for s, _ in modelled})
        self.streams = streams if len(streams) > 1 else []
        if problem.end_empty:
            min_cap = min(v.capacity_t for v in vehicles)
            for f in problem.facilities:
                users = [k for k, v in enumerate(vehicles)
                         if f in problem.allowed_facilities(v)]
                work = [s for s, _ in modelled if f.accepts(s.stream)]
                if not users or not work:
                    continue
                # one unload per full load, a spare per truck for its part loads, margin
                trips = math.ceil(1.25 * sum(s.load_t for s in work) / min_cap)
                for _ in range(min(len(work), trips + len(users) + 2)):
                    m.add("copy", f.id, f.location, f.unload_s, -self.max_cap, f.window,
                          None if len(users) == len(vehicles) else users,
                          frozenset(f.streams))
            end_node = {f.id: m.add("end", f.id, f.location, f.unload_s, 0, f.window,
                                    streams=frozenset(f.streams))
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
        self._daily()
        self._streams()
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

    # -- dimensions -------------------------------------------------------------------
    def _resetting(self, name: str, demand: list[int], capacity: int,
                   capacities: list[int]) -> pywrapcp.RoutingDimension:
        """A dimension that grows at stops and may drop (slack) only at facility copies."""
        routing, m = self.routing, self.m
        has_copies = "copy" in m.kinds
        routing.AddDimensionWithVehicleCapacity(
            routing.RegisterUnaryTransitVector(demand), capacity if has_copies else 0,
            capacities, True, name)
        dim = routing.GetDimensionOrDie(name)
        if has_copies:
            for node, kind in enumerate(m.kinds):
                if kind in ("stop", "depot"):
                    for index in self._indices(node):
                        dim.SlackVar(index).SetValue(0)
        return dim

    def _load(self) -> None:
        capacities = [round(v.capacity_t * LOAD_SCALE) for v in self.vehicles]
        self.load = self._resetting("Load", self.m.demand, self.max_cap, capacities)

    def _daily(self) -> None:
        """Day totals that never reset: tonnes against max_daily_t, stops against max_stops."""
        routing, m = self.routing, self.m
        stops = [kind == "stop" for kind in m.kinds]
        if any(v.max_daily_t is not None for v in self.vehicles):
            grams = [d if is_stop else 0 for d, is_stop in zip(m.demand, stops, strict=True)]
            total = sum(grams)
            caps = [total if v.max_daily_t is None
                    else math.floor(v.max_daily_t * LOAD_SCALE + 0.5) for v in self.vehicles]
            routing.AddDimensionWithVehicleCapacity(
                routing.RegisterUnaryTransitVector(grams), 0, caps, True, "Daily")
        if any(v.max_stops is not None for v in self.vehicles):
            ones = [int(is_stop) for is_stop in stops]
            caps = [len(stops) if v.max_stops is None else v.max_stops for v in self.vehicles]
            routing.AddDimensionWithVehicleCapacity(
                routing.RegisterUnaryTransitVector(ones), 0, caps, True, "Stops")

    def _streams(self) -> None:
        """One stream per trip, unloaded where it is accepted (see the module notes)."""
        if not self.streams:
            return
        m, routing = self.m, self.routing
        n = sum(kind == "stop" for kind in m.kinds)
        dims = {}
        for stream in self.streams:
            demand = [1 if kind == "stop" and m.streams[node] == stream
                      else -n if kind == "copy" else 0
                      for node, kind in enumerate(m.kinds)]
            dims[stream] = self._resetting(f"Stream {stream}", demand, n,
                                           [n] * len(self.vehicles))
        for node, kind in enumerate(m.kinds):
            if kind == "stop":
                banned = [s for s in self.streams if s != m.streams[node]]
                indices = [self.manager.NodeToIndex(node)]
            elif kind in ("copy", "end"):
                accepts = m.streams[node]
                banned = [s for s in self.streams if accepts and s not in accepts]
                indices = ([self.manager.NodeToIndex(node)] if kind == "copy" else
                           [routing.End(k) for k, e in enumerate(self.end_nodes) if e == node])
            else:
                continue
            for stream in banned:
                for index in indices:
                    dims[stream].CumulVar(index).SetValue(0)

    def _indices(self, node: int) -> list[int]:
        """Routing indices of a node (a depot shared by several trucks has one per start)."""
        if self.m.kinds[node] == "depot":
            return [self.routing.Start(k) for k, s in enumerate(self.start_nodes) if s == node]
        return [self.manager.NodeToIndex(node)]

    def _time_matters(self) -> bool:
        """False when no window or shift can bind (classic CVRP): skip the dimension."""
        p, m = self.problem, self.m
        if p.end_empty or any(m.windows):
            return True
        longest = int(self.transit.max(axis=1).sum())  # no route can take longer than this
        return longest > min(v.duration_limit_s for v in self.vehicles)

    def _time(self) -> None:
        routing, m, p = self.routing, self.m, self.problem
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
            # with several streams a trip may have to be tipped where the truck's end
            # facility refuses it, just before the end: copy -> end stays open then
            banned = copies + ([] if self.streams else ends)
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
        priority weight, through the nearest facility with a free copy when the load
        would not fit (or the stream changes), within the truck's daily limits, and keeps
        the way to the final unload within the shift. Times follow the model's transit
        matrix, so OR-Tools accepts the routes; if not, the caller falls back to its own
        strategies. Each step is one vectorised pass over the stops left, so 3,000 stops
        take a few seconds.
        """
        m = self.m
        stops = np.array([n for n, k in enumerate(m.kinds) if k == "stop"], dtype=np.int64)
        weight = np.array([1000.0 if self.problem.stop(m.ids[n]).required
                           else float(6 - self.problem.stop(m.ids[n]).priority) for n in stops])
        free: dict[str, list[int]] = {}
        for n, k in enumerate(m.kinds):
            if k == "copy":
                free.setdefault(m.ids[n], []).append(n)
        inf = float(self.horizon) * 4
        arrays = {
            "opens": np.array([w[0] if w else 0 for w in m.windows], dtype=float),
            "closes": np.array([w[1] if w else inf for w in m.windows], dtype=float),
            "service": np.array(m.service, dtype=float),
            "demand": np.array(m.demand, dtype=float),
            "stream": np.array([m.streams[n] for n in stops], dtype=object),
        }
        left = np.ones(len(stops), dtype=bool)
        routes = []
        for k in range(len(self.vehicles)):
            allowed = np.array([m.allowed[n] is None or k in m.allowed[n] for n in stops])
            route = self._greedy_route(k, stops, left, allowed, weight, free, arrays)
            routes.append([self.manager.NodeToIndex(n) for n in route])
        return routes

    def _accepts(self, node: int, stream: str) -> bool:
        accepts = self.m.streams[node]
        return not accepts or stream in accepts

    def _greedy_route(self, k, stops, left, allowed, weight, free, arrays) -> list[int]:
        """One truck's greedy route (nodes); marks its stops used in ``left``."""
        m, transit = self.m, self.transit
        opens, closes = arrays["opens"], arrays["closes"]
        service, demand, stream_of = arrays["service"], arrays["demand"], arrays["stream"]
        v = self.vehicles[k]
        cap = round(v.capacity_t * LOAD_SCALE)
        day_cap = math.inf if v.max_daily_t is None else v.max_daily_t * LOAD_SCALE + 0.5
        max_stops = math.inf if v.max_stops is None else v.max_stops
        lo, hi, span = self.end_range.get(k, (0, self.horizon, self.horizon))
        end = self.end_nodes[k]
        to_end = transit[stops, end] - service[stops]
        last_unload: dict[str, int] = {}  # stream the end refuses -> facility node to use
        if self.streams and self.problem.end_empty:
            for stream in {s for s in stream_of if not self._accepts(end, s)}:
                mine = stream_of == stream
                reps = [c[0] for c in free.values() if c and self._accepts(c[0], stream)
                        and (m.allowed[c[0]] is None or k in m.allowed[c[0]])]
                via = [transit[stops, c] - service[stops] + transit[c, end] for c in reps]
                to_end = np.where(mine, np.min(via, axis=0) if via else np.inf, to_end)
                if reps:
                    last_unload[stream] = min(reps, key=lambda c: transit[c, end])
        here, t, load, day, count, trip = self.start_nodes[k], float(v.shift[0]), 0.0, 0.0, 0, None
        route: list[int] = []

        def close(route: list[int]) -> list[int]:
            """Unload the last trip where it is accepted, if the end facility refuses it."""
            if trip in last_unload:
                copies = free[m.ids[last_unload[trip]]]
                if copies:
                    route.append(copies.pop())
            return route

        def done_at(a: int, t0: float, targets: np.ndarray) -> np.ndarray:
            arrive = t0 + transit[a, targets] - service[a]
            start = np.maximum(arrive, opens[targets])
            return np.where(arrive <= closes[targets], start + service[targets], np.inf)

        while count < max_stops:
            cand = left & allowed
            if not cand.any():
                return close(route)
            idx = np.nonzero(cand)[0]
            nodes = stops[idx]
            cand_day = day + demand[nodes] <= day_cap
            same = np.ones(len(idx), dtype=bool) if trip is None else stream_of[idx] == trip
            fits = (load + demand[nodes] <= cap) & same
            done = np.where(fits & cand_day, done_at(here, t, nodes), np.inf)
            via = np.full(len(idx), -1)
            if not fits.all():
                for copies in free.values():
                    c = copies[-1] if copies else None
                    if c is None or (m.allowed[c] is not None and k not in m.allowed[c]):
                        continue
                    if trip is not None and not self._accepts(c, trip):
                        continue
                    t_c = done_at(here, t, np.array([c]))[0]
                    if not np.isfinite(t_c):
                        continue
                    through = np.where(~fits & cand_day, done_at(c, t_c, nodes), np.inf)
                    better = through < done
                    done = np.where(better, through, done)
                    via = np.where(better, c, via)
            back = np.maximum(done + to_end[idx], lo)
            ok = np.isfinite(done) & (back <= hi) & (back - v.shift[0] <= span)
            if not ok.any():
                return close(route)
            score = np.where(ok, (done - t) / weight[idx], np.inf)
            best = int(np.argmin(score))
            node, c = int(nodes[best]), int(via[best])
            if c >= 0:
                free[m.ids[c]].pop()
                route.append(c)
                load = 0.0
            route.append(node)
            load += demand[node]
            day += demand[node]
            count += 1
            trip = stream_of[idx[best]]
            left[idx[best]] = False
            t, here = float(done[best]), node
        return close(route)

    # -- search -----------------------------------------------------------------------
    def _parameters(self, first, time_limit: float, max_iterations: int | None):
        params = pywrapcp.DefaultRoutingSearchParameters()
        params.first_solution_strategy = first
        params.local_search_metaheuristic = (
            routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH)
        params.time_limit.FromMilliseconds(max(1, int(time_limit * 1000)))
        if max_iterations is not None:
            params.solution_limit = max(1, int(max_iterations))
            # LNS sub-searches stop after 100 ms by default, which makes a budgeted search
            # depend on the machine's speed; with a budget they run to their end
            params.lns_time_limit.FromMilliseconds(max(1, int(time_limit * 1000)))
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
        """The best solution found, and what stopped the search (``meta["search"]``).

        ``time_limit`` counts from this call; ``started`` is the engine's start, which
        progress times and the reported seconds count from.
        """
        routing = self.routing
        deadline = time.perf_counter() + time_limit
        best = [math.inf]
        count = [0]
        first_at: list[float] = []

        def on_solution() -> None:
            count[0] += 1
            value = routing.CostVar().Value()
            if value >= best[0]:
                return
            best[0] = value
            seconds = time.perf_counter() - started
            if not first_at:
                first_at.append(round(seconds, 3))
            used = sum(routing.NextVar(routing.Start(k)).Value() != routing.End(k)
                       for k in range(len(self.vehicles)))
            logger.debug("ortools: objective %.2f, %d route(s) at %.1f s",
                         value / COST_SCALE, used, seconds)
            if progress is not None:
                progress(Progress("ortools", round(seconds, 3), value / COST_SCALE, used))

        def report(solution) -> tuple:
            budget_hit = max_iterations is not None and count[0] >= max_iterations
            stopped = ("no_solution" if solution is None
                       else "iterations" if budget_hit else "time_limit")
            return solution, {"stopped_by": stopped, "iterations": count[0],
                              "budget": max_iterations, "unit": "solutions",
                              "first_solution_s": first_at[0] if first_at else None,
                              "seconds": round(time.perf_counter() - started, 3)}

        routing.AddAtSolutionCallback(on_solution)
        strategies = routing_enums_pb2.FirstSolutionStrategy
        firsts = [strategies.PATH_CHEAPEST_ARC, strategies.PARALLEL_CHEAPEST_INSERTION]
        if self.problem.end_empty:  # start from routes that unload when full
            params = self._parameters(firsts[0], time_limit, max_iterations)
            routing.CloseModelWithParameters(params)
            routes = self._greedy_routes()
            initial = routing.ReadAssignmentFromRoutes(routes, True)
            if initial is not None:
                remaining = deadline - time.perf_counter()
                params = self._parameters(firsts[0], max(remaining, 0.1), max_iterations)
                solution = routing.SolveFromAssignmentWithParameters(initial, params)
                if solution is not None:
                    return report(solution)
            logger.info("ortools: the greedy first solution was not accepted")
        for first in firsts:
            remaining = deadline - time.perf_counter()
            params = self._parameters(first, max(remaining, 0.1), max_iterations)
            solution = routing.SolveWithParameters(params)
            if solution is not None:
                return report(solution)
            logger.info("ortools: no first solution with strategy %s", first)
        return report(None)

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
            items, load = [], 0
            for i in nodes:
                node = self.manager.IndexToNode(i)
                kind = m.kinds[node]
                if kind == "stop":
                    load += m.demand[node]
                    served.add(m.ids[node])
                elif kind in ("copy", "end") and load == 0 and items and (
                        items[-1] in p._index["facilities"]):
                    continue  # an unload with nothing on board
                else:
                    load = 0
                items.append(m.ids[node])
            routes.append(schedule_route(p, v.id, items))
        dropped = [Unassigned(stop.id, stop.site_id, stop.load_t, "left out by the search")
                   for stop, _ in self.modelled if stop.id not in served]
        return routes, dropped
