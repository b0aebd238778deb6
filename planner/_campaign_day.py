"""The machinery of ``plan_campaign``: cycle times, the daily allocation LP, the shuttle day.

See ``planner._campaign`` for the method. Everything here works on matrix indices and
seconds; the public face is ``planner.plan_campaign``.
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

from planner._campaign import EPS_T, Calendar, CampaignBound, CampaignDay, Dump
from routing import (
    Facility,
    Plan,
    PlanViolation,
    Problem,
    Stop,
    Vehicle,
    check_plan,
    schedule_route,
    site_progress,
)

logger = logging.getLogger(__name__)

#: Weight of a tonne by priority in the allocation (priority 1 counts 16 times priority 5).
PRIORITY_WEIGHT = {1: 16.0, 2: 8.0, 3: 4.0, 4: 2.0, 5: 1.0}
LP_HORIZON = 200  # working days the allocation looks ahead at most


@dataclass(frozen=True)
class _Class:
    """Trucks that share everything the campaign cares about."""

    vehicles: tuple[Vehicle, ...]
    start: int
    end: int
    capacity_t: float
    shift: tuple[int, int]
    limit_s: int
    break_s: int
    allowed: frozenset[str]


@dataclass
class _Context:
    """Cycle data for one set of open facilities."""

    facilities: dict[int, list[Facility]]  # class -> open facilities it may use
    order: dict[tuple[int, int], list[tuple[float, Facility]]]  # (class, dump) -> options
    cycle_s: np.ndarray  # class x dump, inf where impossible
    km: np.ndarray  # class x dump: km per load
    cap_loads: np.ndarray  # dump: loads a day the excavators can start
    hours: np.ndarray  # class: useful truck-hours a day for the whole class


@dataclass
class _Truck:
    vehicle: Vehicle
    cls: int
    loc: int
    free: int
    depart: int | None = None
    items: list[str] = field(default_factory=list)
    break_after: int | None = None
    break_done: bool = False


@dataclass
class _Cycle:
    dump: int
    facility: Facility
    slot: int
    loader: int
    unload_end: int
    depart: int
    break_before: bool
    key: tuple = ()


class DayPlanner:
    """Plans the days of one campaign (see ``planner._campaign``)."""

    def __init__(self, base: Problem, dumps: tuple[Dump, ...], calendar: Calendar) -> None:
        self.base = base
        self.dumps = dumps
        self.calendar = calendar
        self.dur = base.duration_s
        self.dist = base.distance_m
        groups: dict[tuple, list[Vehicle]] = {}
        for v in base.vehicles:
            key = (v.start_depot, v.end_depot, v.capacity_t, v.shift, v.duration_limit_s,
                   v.break_, v.facilities)
            groups.setdefault(key, []).append(v)
        self.classes = [
            _Class(tuple(vs), base.depot(v.start_depot).location,
                   base.depot(v.end_depot).location, v.capacity_t, v.shift,
                   v.duration_limit_s, v.break_.duration_s if v.break_ else 0,
                   frozenset(v.facilities))
            for vs in groups.values() for v in vs[:1]
        ]
        self.class_of = {v.id: c for c, cl in enumerate(self.classes) for v in cl.vehicles}
        self._contexts: dict[frozenset[str], _Context] = {}
        self.loads_done = dict.fromkeys((d.site_id for d in dumps), 0)

    # -- cycle data -------------------------------------------------------------------
    def context(self, closed: frozenset[str]) -> _Context:
        """Cycle times, loading caps and truck-hours with the facilities ``closed``."""
        if closed in self._contexts:
            return self._contexts[closed]
        dur, dist = self.dur, self.dist
        n_c, n_j = len(self.classes), len(self.dumps)
        facilities: dict[int, list[Facility]] = {}
        order: dict[tuple[int, int], list[tuple[float, Facility]]] = {}
        cycle = np.full((n_c, n_j), np.inf)
        km = np.zeros((n_c, n_j))
        latest = np.full((n_c, n_j), -np.inf)  # latest start of a load that still gets home
        hours = np.zeros(n_c)
        for c, cl in enumerate(self.classes):
            facs = [f for f in self.base.facilities
                    if f.id not in closed and (not cl.allowed or f.id in cl.allowed)]
            facilities[c] = facs
            for j, dump in enumerate(self.dumps):
                x = dump.location
                if not math.isfinite(dur[cl.start, x]):
                    continue
                opts = []
                for f in facs:
                    legs = (dur[x, f.location], dur[f.location, x], dur[f.location, cl.end])
                    if all(math.isfinite(t) for t in legs):
                        opts.append((legs[0] + f.unload_s + legs[1], f))
                        end = cl.shift[1] - dump.load_s - legs[0] - f.unload_s - legs[2]
                        if f.window is not None:
                            end = min(end, f.window[1] - dump.load_s - legs[0])
                        latest[c, j] = max(latest[c, j], end)
                opts.sort(key=lambda o: (o[0], o[1].id))
                order[c, j] = opts
                if opts:
                    f = opts[0][1]
                    cycle[c, j] = dump.load_s + opts[0][0]
                    km[c, j] = (dist[x, f.location] + dist[f.location, x]) / 1000
            finite = cycle[c][np.isfinite(cycle[c])]
            if facs and finite.size:
                out = min(dur[cl.start, d.location] for d in self.dumps)
                home = min(dur[f.location, cl.end] for f in facs)
                per_truck = cl.limit_s - cl.break_s - out - home - 0.5 * float(finite.mean())
                hours[c] = max(0.0, per_truck) * len(cl.vehicles) / 3600
        cap = np.zeros(n_j)
        for j, dump in enumerate(self.dumps):
            lo, hi = math.inf, -math.inf
            for c, cl in enumerate(self.classes):
                if math.isfinite(cycle[c, j]):
                    lo = min(lo, cl.shift[0] + dur[cl.start, dump.location])
                    hi = max(hi, latest[c, j])
            if dump.window is not None:
                lo, hi = max(lo, dump.window[0]), min(hi, dump.window[1])
            if hi >= lo:
                cap[j] = dump.loaders * (math.floor((hi - lo) / dump.load_s) + 1)
        ctx = _Context(facilities, order, cycle, km, cap, hours)
        self._contexts[closed] = ctx
        return ctx

    def unreachable_reason(self, dump: Dump) -> str:
        """Why no truck can ever take a load from ``dump`` (``""``: one can)."""
        j = self.dumps.index(dump)
        ctx = self.context(frozenset())
        if not np.isfinite(ctx.cycle_s[:, j]).any():
            return ("no street path between the depot, the dump and an allowed facility "
                    "(unreachable site)")
        if ctx.cap_loads[j] <= 0:
            return ("no load fits a shift: the dump's hours, the facility hours and the "
                    "drive home leave no time")
        for c, cl in enumerate(self.classes):
            truck = _Truck(cl.vehicles[0], c, cl.start, cl.shift[0])
            if self._try(truck, j, ctx, [[] for _ in range(dump.loaders)]) is not None:
                return ""
        return ("no truck can make a single trip within its shift (dump hours, facility "
                "hours, break and longest day)")

    # -- allocation -------------------------------------------------------------------
    def quotas(self, date: dt.date, remaining: Mapping[str, float]) -> np.ndarray:
        """Loads per dump for ``date`` from the rolling allocation LP (see module doc)."""
        n_j, n_c = len(self.dumps), len(self.classes)
        need = np.array([remaining.get(d.site_id, 0.0) for d in self.dumps])
        if need.sum() <= EPS_T:
            return np.zeros(n_j)
        dates = list(self.calendar.working_days(since=date, limit=LP_HORIZON))
        ctxs = [self.context(self.calendar.closed_on(d)) for d in dates]
        caps = np.array([cl.capacity_t for cl in self.classes])
        weights = np.array([PRIORITY_WEIGHT[d.priority] for d in self.dumps])
        lo = 1
        hi = len(dates)
        best = self._lp(ctxs[:hi], need, caps, weights)
        if best is None or best[1] > 1e-6:
            y = best[0] if best is not None else np.zeros((n_j, 1, n_c))
            return y[:, 0, :].sum(axis=1)
        while lo < hi:  # smallest horizon that clears everything (feasibility is monotone)
            mid = (lo + hi) // 2
            sol = self._lp(ctxs[:mid], need, caps, weights)
            if sol is not None and sol[1] <= 1e-6:
                hi, best = mid, sol
            else:
                lo = mid + 1
        if best[0].shape[1] != hi:
            best = self._lp(ctxs[:hi], need, caps, weights)
        logger.debug("%s: allocation targets %d more working day(s)", date, hi)
        return best[0][:, 0, :].sum(axis=1)

    def _lp(self, ctxs: list[_Context], need: np.ndarray, caps: np.ndarray,
            weights: np.ndarray) -> tuple[np.ndarray, float] | None:
        n_j, n_c, n_d = len(self.dumps), len(self.classes), len(ctxs)
        n_y = n_j * n_d * n_c

        def idx(j: int, d: int, c: int) -> int:
            return (j * n_d + d) * n_c + c

        rows, cols, vals, rhs = [], [], [], []
        cost = np.zeros(n_y + n_j)
        bounds = [(0.0, None)] * (n_y + n_j)
        r = 0
        total = max(need.sum(), 1.0)
        for d, ctx in enumerate(ctxs):
            for c in range(n_c):
                for j in range(n_j):
                    k = idx(j, d, c)
                    if not math.isfinite(ctx.cycle_s[c, j]) or need[j] <= EPS_T:
                        bounds[k] = (0.0, 0.0)
                        continue
                    rows.append(r)
                    cols.append(k)
                    vals.append(ctx.cycle_s[c, j] / 3600)
                    cost[k] = (caps[c] * weights[j] * (d + 1) / total
                               + 1e-4 * ctx.km[c, j])
                rhs.append(ctx.hours[c])
                r += 1
            for j in range(n_j):
                for c in range(n_c):
                    rows.append(r)
                    cols.append(idx(j, d, c))
                    vals.append(1.0)
                rhs.append(ctx.cap_loads[j])
                r += 1
        for j in range(n_j):
            for d in range(n_d):
                for c in range(n_c):
                    rows.append(r)
                    cols.append(idx(j, d, c))
                    vals.append(-caps[c])
            rows.append(r)
            cols.append(n_y + j)
            vals.append(-1.0)
            rhs.append(-need[j])
            r += 1
        cost[n_y:] = 1e3 * max(1.0, float(cost[:n_y].max(initial=0.0))) * weights / total
        a_ub = coo_matrix((vals, (rows, cols)), shape=(r, n_y + n_j)).tocsr()
        res = linprog(cost, A_ub=a_ub, b_ub=np.array(rhs), bounds=bounds, method="highs")
        if res.status != 0:
            logger.debug("allocation LP over %d day(s): %s", n_d, res.message)
            return None
        y = res.x[:n_y].reshape(n_j, n_d, n_c)
        return y, float(res.x[n_y:].sum())

    # -- the day ----------------------------------------------------------------------
    def plan_day(self, number: int, date: dt.date,
                 remaining: Mapping[str, float]) -> CampaignDay:
        """Plan one working day: quotas from the LP, shuttle schedule, checked plan."""
        closed = self.calendar.closed_on(date)
        ctx = self.context(closed)
        left = {k: float(v) for k, v in remaining.items()}
        if not any(ctx.facilities.values()):
            note = "every facility this fleet may use is closed" if closed else \
                "no facility this fleet may use"
            return CampaignDay(number, date, None, None, dict.fromkeys(left, 0.0), left,
                               tuple(sorted(closed)), note)
        quota = np.ceil(self.quotas(date, left) - 0.1)
        loaders = [[[] for _ in range(d.loaders)] for d in self.dumps]
        trucks = [_Truck(v, c, cl.start, cl.shift[0])
                  for c, cl in enumerate(self.classes) if ctx.facilities[c]
                  for v in cl.vehicles]
        loads: list[Stop] = []
        today = dict.fromkeys(left, 0.0)
        heap = [(t.free, i) for i, t in enumerate(trucks)]
        heapq.heapify(heap)
        crit = {j: left[d.site_id] / max(ctx.cap_loads[j], 1e-9) for j, d in enumerate(self.dumps)}
        while heap:
            _, i = heapq.heappop(heap)
            truck = trucks[i]
            best: _Cycle | None = None
            for j, dump in enumerate(self.dumps):
                if left[dump.site_id] - today[dump.site_id] <= EPS_T:
                    continue
                cyc = self._try(truck, j, ctx, loaders[j])
                if cyc is None:
                    continue
                cyc.key = (quota[j] <= 0, cyc.slot, cyc.unload_end, -crit[j], j)
                if best is None or cyc.key < best.key:
                    best = cyc
            if best is None:
                self._finish(truck)
                continue
            loads.append(self._commit(truck, best, loaders, today, left))
            quota[best.dump] -= 1
            heapq.heappush(heap, (truck.free, i))
        after = {k: round(max(0.0, left[k] - today[k]), 6) for k in left}
        if not loads:
            return CampaignDay(number, date, None, None, dict.fromkeys(left, 0.0), left,
                               tuple(sorted(closed)), "no trip fits the day")
        problem, plan = self._day_plan(number, date, ctx, closed, trucks, loads)
        return CampaignDay(number, date, problem, plan,
                           {k: round(v, 6) for k, v in today.items()}, after,
                           tuple(sorted(closed)))

    def _try(self, truck: _Truck, j: int, ctx: _Context, loaders: list) -> _Cycle | None:
        """The cycle ``truck`` would drive to dump ``j`` now, or ``None`` if it can't."""
        cl = self.classes[truck.cls]
        brk = truck.vehicle.break_
        first = truck.depart is None
        depart_est = truck.free if first else truck.depart
        cyc = self._timing(truck, j, ctx, loaders, truck.free)
        if cyc is None:
            return None
        pending = brk is not None and not truck.break_done and depart_est <= brk.latest_s
        if pending and cyc.unload_end > brk.latest_s:  # the break must come first
            start = max(truck.free, brk.earliest_s)
            if start > brk.latest_s:
                return None
            cyc = self._timing(truck, j, ctx, loaders, start + brk.duration_s)
            if cyc is None:
                return None
            cyc.break_before = True
            pending = False
        if first:
            lead = math.ceil(self.dur[truck.loc, self.dumps[j].location])
            cyc.depart = truck.free if cyc.break_before else max(truck.free, cyc.slot - lead)
        else:
            cyc.depart = truck.depart
        loc = cyc.facility.location
        home = cyc.unload_end + self.dur[loc, cl.end]
        if pending and round(home) > brk.latest_s and cyc.depart <= brk.latest_s:
            home = max(cyc.unload_end, brk.earliest_s) + brk.duration_s + self.dur[loc, cl.end]
        home = round(home)
        if home > cl.shift[1] or home - cyc.depart > cl.limit_s:
            return None
        return cyc

    def _timing(self, truck: _Truck, j: int, ctx: _Context, loaders: list,
                free: int) -> _Cycle | None:
        dump = self.dumps[j]
        x = dump.location
        arrive = self.dur[truck.loc, x]
        if not math.isfinite(arrive) or not ctx.order.get((truck.cls, j)):
            return None
        arrive = round(free + arrive)
        earliest = max(arrive, dump.window[0]) if dump.window else arrive
        slot, loader = _earliest_slot(loaders, earliest, dump.load_s)
        if dump.window is not None and slot > dump.window[1]:
            return None
        done = slot + dump.load_s
        for _, f in ctx.order[truck.cls, j]:
            start = max(round(done + self.dur[x, f.location]),
                        f.window[0] if f.window else 0)
            if f.window is not None and start > f.window[1]:
                continue
            return _Cycle(j, f, slot, loader, start + f.unload_s, 0, False)
        return None

    def _commit(self, truck: _Truck, cyc: _Cycle, loaders: list, today: dict,
                left: Mapping[str, float]) -> Stop:
        dump = self.dumps[cyc.dump]
        cl = self.classes[truck.cls]
        if cyc.break_before:
            truck.break_after = len(truck.items) - 1
            truck.break_done = True
        if truck.depart is None:
            truck.depart = cyc.depart
        bisect.insort(loaders[cyc.dump][cyc.loader], (cyc.slot, cyc.slot + dump.load_s))
        load = min(cl.capacity_t, left[dump.site_id] - today[dump.site_id])
        today[dump.site_id] += load
        self.loads_done[dump.site_id] += 1
        stop = Stop(f"{dump.site_id}#{self.loads_done[dump.site_id]}", dump.location,
                    round(load, 6), service_s=dump.load_s, window=(cyc.slot, cyc.slot),
                    priority=dump.priority, site_id=dump.site_id)
        truck.items += [stop.id, cyc.facility.id]
        truck.loc, truck.free = cyc.facility.location, cyc.unload_end
        return stop

    def _finish(self, truck: _Truck) -> None:
        brk = truck.vehicle.break_
        if not truck.items or brk is None or truck.break_done:
            return
        home = round(truck.free + self.dur[truck.loc, self.classes[truck.cls].end])
        if truck.depart <= brk.latest_s < home:
            truck.break_after = len(truck.items) - 1
            truck.break_done = True

    def _day_plan(self, number: int, date: dt.date, ctx: _Context, closed: frozenset[str],
                  trucks: list[_Truck], loads: list[Stop]) -> tuple[Problem, Plan]:
        base = self.base
        open_ids = {f.id for f in base.facilities if f.id not in closed}
        vehicles = tuple(
            v if not v.facilities else _with_facilities(v, open_ids)
            for c, cl in enumerate(self.classes) if ctx.facilities[c] for v in cl.vehicles
        )
        problem = base.with_changes(
            stops=tuple(loads), vehicles=vehicles,
            facilities=tuple(f for f in base.facilities if f.id in open_ids),
            name=f"{base.name} day {number} {date.isoformat()}",
        )
        routes = []
        for truck in trucks:
            if not truck.items:
                continue
            brk_at = truck.break_after if truck.break_done else len(truck.items)
            routes.append(schedule_route(problem, truck.vehicle.id, truck.items,
                                         break_after=brk_at, depart_s=truck.depart))
        plan = Plan(routes=tuple(routes), unassigned=(), engine="campaign-shuttle",
                    meta={"date": date.isoformat(), "day": number})
        plan = Plan(routes=plan.routes, unassigned=(), engine=plan.engine,
                    sites=site_progress(problem, plan), meta=plan.meta)
        check_plan(problem, plan)
        _check_loaders(problem, plan, {d.site_id: d.loaders for d in self.dumps})
        return problem, plan


def _with_facilities(v: Vehicle, open_ids: set[str]) -> Vehicle:
    from dataclasses import replace

    return replace(v, facilities=tuple(f for f in v.facilities if f in open_ids))


def _earliest_slot(loaders: list[list[tuple[int, int]]], earliest: int,
                   length: int) -> tuple[int, int]:
    """The earliest start >= ``earliest`` of a free gap of ``length`` s on any loader."""
    best, which = math.inf, 0
    for k, busy in enumerate(loaders):
        t = earliest
        for start, end in busy:
            if end <= t:
                continue
            if start >= t + length:
                break
            t = end
        if t < best:
            best, which = t, k
    return int(best), which


def _check_loaders(problem: Problem, plan: Plan, loaders: Mapping[str, int]) -> None:
    """No dump has more trucks loading at once than it has excavators."""
    events: dict[str, list[tuple[int, int]]] = {}
    for route in plan.routes:
        for visit in route.stops:
            events.setdefault(visit.site_id, []).extend(
                [(visit.start_s, 1), (visit.departure_s, -1)])
    problems = []
    for site, ev in events.items():
        busy = 0
        for when, delta in sorted(ev, key=lambda e: (e[0], e[1])):
            busy += delta
            if busy > loaders.get(site, 1):
                problems.append(f"dump {site}: {busy} trucks loading at once at "
                                f"{when // 3600:02d}:{when % 3600 // 60:02d} with "
                                f"{loaders.get(site, 1)} excavator(s)")
                break
    if problems:
        raise PlanViolation(problems)


def lower_bound(planner: DayPlanner, remaining: Mapping[str, float]) -> CampaignBound:
    """The optimistic bound on the days of the module docstring of ``planner._campaign``."""
    base, dur = planner.base, planner.dur
    ctx = planner.context(frozenset())
    cap_t = max(cl.capacity_t for cl in planner.classes)
    need_h, by_loading, slowest = 0.0, 0.0, ""
    for j, dump in enumerate(planner.dumps):
        tonnes = remaining.get(dump.site_id, 0.0)
        if tonnes <= EPS_T or not np.isfinite(ctx.cycle_s[:, j]).any():
            continue
        x = dump.location
        out = min(dur[x, f.location] + f.unload_s for f in base.facilities)
        into = min(min(dur[f.location, x] for f in base.facilities),
                   min(dur[cl.start, x] for cl in planner.classes))
        need_h += tonnes / cap_t * (dump.load_s + out + into) / 3600
        days = tonnes / cap_t / max(ctx.cap_loads[j], 1e-9)
        if days > by_loading:
            by_loading, slowest = days, dump.site_id
    per_day = sum(
        len(cl.vehicles) * max(0.0, cl.limit_s - cl.break_s
                               - min(dur[f.location, cl.end] for f in base.facilities)) / 3600
        for cl in planner.classes
    )
    by_trucks = need_h / per_day if per_day > 0 else math.inf
    return CampaignBound(float(max(by_trucks, by_loading)), float(need_h), float(per_day),
                         float(by_trucks), float(by_loading), slowest)
