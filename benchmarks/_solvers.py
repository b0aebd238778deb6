"""The solve of a city's day, engine by engine, beside a plain PyVRP model of it.

``compare(problem, engines, time_limits)`` runs ``routing.solve`` for every engine and
time limit, each in a process of its own (so its peak memory is its own, and OR-Tools
never shares a process), and one plain PyVRP model per time limit: the model a competent
PyVRP user would write for the same matrix (landfills as reload depots, every stop
required, the truck's costs) with the lunch break *ignored*. Ignoring the break gives
that model an hour more or less per truck, so its trucks and km are a bound for our
engines to come near, not a rival plan (its plans break the lunch rule).

Each row: stops served of all, trucks, km, truck-hours used against the lower bound of
what the work needs and the hours the fleet has (``routing._reasons.fleet_report``),
the seconds to the first feasible solution, the wall time and the peak resident memory
of the process (with its own children: ``auto`` runs both engines in processes of its
own).
"""

from __future__ import annotations

import math
import multiprocessing
import resource
import time
from dataclasses import replace
from typing import Any

import numpy as np

import routing
from routing._reasons import fleet_report


def _peak_mb() -> float:
    """Peak resident memory of this process plus its (finished) children, MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + kids) / 1024


def _row(problem: routing.Problem, plan: routing.Plan, *, wall: float, first: float | None,
         model: str, time_limit: float) -> dict[str, Any]:
    prepared = routing.prepare(problem)
    fleet = fleet_report(prepared, plan)
    return {"model": model, "time_limit": time_limit,
            "stops": len(prepared.stops),
            "served": sum(len(r.stops) for r in plan.routes),
            "unassigned": len(plan.unassigned), "trucks": plan.trucks_used,
            "km": round(plan.distance_km, 1), "hours": round(plan.duration_h, 1),
            "hours_lb": fleet["hours_needed_lb"], "hours_available": fleet["hours_available"],
            "first_s": first, "wall_s": round(wall, 1), "cost": round(plan.cost, 1)}


def _first(plan: routing.Plan) -> float | None:
    meta = plan.meta
    if "auto" in meta:
        found = [r["search"]["first_solution_s"] for r in meta["auto"]["engines"].values()
                 if r.get("search") and r["search"].get("first_solution_s") is not None]
        return min(found) if found else None
    return (meta.get("search") or {}).get("first_solution_s")


def solve_engine(problem: routing.Problem, engine: str, time_limit: float,
                 seed: int = 0) -> dict[str, Any]:
    """``routing.solve`` with the time limit only (no work budget): the product's solve."""
    started = time.perf_counter()
    plan = routing.solve(problem, engine=engine, time_limit=time_limit, seed=seed,
                         max_iterations=None)
    row = _row(problem, plan, wall=time.perf_counter() - started, first=_first(plan),
               model=engine, time_limit=time_limit)
    row["peak_mb"] = round(_peak_mb())
    return row


def plain_pyvrp(problem: routing.Problem, time_limit: float, seed: int = 0) -> dict[str, Any]:
    """A plain PyVRP model of the day with the lunch break ignored (module notes)."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    started = time.perf_counter()
    free = routing.prepare(problem).with_changes(
        vehicles=tuple(replace(v, break_=None) for v in problem.vehicles))
    big = 10**9
    dist = np.where(np.isfinite(free.distance_m), np.round(free.distance_m), big).astype(int)
    dur = np.where(np.isfinite(free.duration_s), np.ceil(free.duration_s), big).astype(int)
    depots = [pyvrp.Depot(location=d.location) for d in free.depots]
    depots += [pyvrp.Depot(location=f.location, service_duration=f.unload_s,
                           tw_early=(f.window or (0, big))[0], tw_late=(f.window or (0, big))[1])
               for f in free.facilities]
    first_fac = len(free.depots)
    clients = [pyvrp.Client(location=s.location, pickup=[math.ceil(s.load_t * 100)],
                            service_duration=s.service_s,
                            tw_early=(s.window or (0, big))[0], tw_late=(s.window or (0, big))[1])
               for s in free.stops]
    types = []
    for v in free.vehicles:
        home = next(k for k, d in enumerate(free.depots) if d.id == v.start_depot)
        # trucks end at the landfill nearest home, as a PyVRP user would let them
        end = min(range(len(free.facilities)),
                  key=lambda k: dur[free.facilities[k].location, free.depots[home].location])
        types.append(pyvrp.VehicleType(
            capacity=[math.floor(v.capacity_t * 100)], start_depot=home,
            end_depot=first_fac + end, tw_early=v.shift[0], tw_late=v.shift[1],
            shift_duration=v.duration_limit_s, fixed_cost=round(v.fixed_cost * 1000),
            unit_distance_cost=round(v.cost_per_km), unit_duration_cost=round(
                v.cost_per_hour * 1000 / 3600),
            reload_depots=list(range(first_fac, first_fac + len(free.facilities)))))
    locations = [pyvrp.Location(x=0, y=0) for _ in range(free.num_locations)]
    data = pyvrp.ProblemData(locations, clients, depots, types, [dist], [dur])
    result = pyvrp.solve(data, stop=MaxRuntime(time_limit), seed=seed, display=False)
    wall = time.perf_counter() - started
    best = result.best
    routes = []
    for r in best.routes():
        items = []
        for act in r.schedule()[1:-1]:
            if act.is_client():
                items.append(free.stops[act.idx].id)
            elif act.is_depot():
                items.append(free.facilities[act.idx - first_fac].id)
        vt = r.vehicle_type()  # one type per truck
        items.append(free.facilities[types[vt].end_depot - first_fac].id)
        routes.append(routing.schedule_route(free, free.vehicles[vt].id, items))
    served = {i for r in routes for i in (v.id for v in r.stops)}
    left = tuple(routing.Unassigned(s.id, s.site_id, s.load_t, "plain PyVRP left it out")
                 for s in free.stops if s.id not in served)
    plan = routing.Plan(routes=tuple(routes), unassigned=left, engine="plain-pyvrp")
    row = _row(free, plan, wall=wall, first=None, model="plain PyVRP, no lunch",
               time_limit=time_limit)
    row["feasible"] = bool(best.is_feasible())
    row["peak_mb"] = round(_peak_mb())
    return row


def _child(kind: str, problem: routing.Problem, engine: str, time_limit: float, seed: int,
           out) -> None:
    try:
        row = (plain_pyvrp(problem, time_limit, seed) if kind == "plain"
               else solve_engine(problem, engine, time_limit, seed))
    except Exception as exc:  # a row with the reason, not a crashed benchmark
        row = {"model": engine if kind != "plain" else "plain PyVRP, no lunch",
               "time_limit": time_limit, "error": f"{type(exc).__name__}: {exc}"}
    out.put(row)


def run_isolated(kind: str, problem: routing.Problem, engine: str, time_limit: float,
                 seed: int = 0) -> dict[str, Any]:
    """One solve in a fresh process; its row (peak memory is that process's)."""
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    p = context.Process(target=_child, args=(kind, problem, engine, time_limit, seed, out))
    p.start()
    try:
        return out.get(timeout=3 * time_limit + 300)
    finally:
        p.join(timeout=30)
        if p.is_alive():
            p.terminate()


def compare(problem: routing.Problem, engines: list[str], time_limits: list[float], *,
            seed: int = 0, plain: bool = True) -> list[dict[str, Any]]:
    """Every engine at every time limit, and the plain PyVRP bound at each limit."""
    rows = []
    for limit in time_limits:
        for engine in engines:
            rows.append(run_isolated("engine", problem, engine, limit, seed))
        if plain:
            rows.append(run_isolated("plain", problem, "plain", limit, seed))
    return rows


def print_rows(rows: list[dict[str, Any]]) -> None:
    print(f"  {'model':<22}{'limit':>6}{'served':>12}{'trucks':>7}{'km':>9}"
          f"{'h used':>8}{'h lb':>7}{'h fleet':>8}{'first s':>8}{'wall s':>8}{'peak MB':>8}")
    for r in rows:
        if "error" in r:
            print(f"  {r['model']:<22}{r['time_limit']:>6.0f}  {r['error']}")
            continue
        first = "-" if r["first_s"] is None else f"{r['first_s']:.1f}"
        print(f"  {r['model']:<22}{r['time_limit']:>6.0f}{r['served']:>6}/{r['stops']:<5}"
              f"{r['trucks']:>7}{r['km']:>9.1f}{r['hours']:>8.1f}{r['hours_lb']:>7.1f}"
              f"{r['hours_available']:>8.1f}{first:>8}{r['wall_s']:>8.1f}{r['peak_mb']:>8}")
