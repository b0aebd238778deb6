"""Daily sanitation plans (end_empty): the sample scenario and a synthetic 100-stop day.

Usage::

    python benchmarks/daily.py [--case sample|synthetic|all] [--engine ortools|pyvrp|all]
        [--time-limit S] [--max-iterations N] [--repeat K]

Prints one row per run: tonnes served, stops unassigned, trucks, km, seconds. The sample
problem is built with ``planner.plan_day`` on ``planner/data/sample.toml`` (the street
network loads once, ~10 s); the synthetic case needs no data.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from routing import Break, Depot, Facility, Problem, Stop, Vehicle, solve  # noqa: E402

H = 3600


def synthetic_day(n_stops: int = 100, n_trucks: int = 4, seed: int = 1) -> Problem:
    """A 100-stop day: 4 trucks of 10 t, one transfer station, lunch 11-13, windows.

    Stops lie in an 8 km square around the depot, 0.5-4 t, 8-20 min of service; a fifth
    have a 3-4 h window; priorities 1-5. Roads are Manhattan at 25 km/h. The fleet cannot
    do everything in its 06:00-16:00 shift, so the least urgent work should be dropped.
    """
    rng = np.random.default_rng(seed)
    xy = np.vstack([[0.0, 0.0], [3000.0, -2000.0],
                    rng.uniform(-4000, 4000, size=(n_stops, 2))])
    dist = np.abs(xy[:, None, :] - xy[None, :, :]).sum(axis=2) * 1.3
    dur = dist / (25 / 3.6)
    stops = []
    for k in range(n_stops):
        window = None
        if rng.random() < 0.2:
            a = int(rng.integers(7, 13)) * H
            window = (a, a + int(rng.integers(3, 5)) * H)
        stops.append(Stop(f"S{k:03d}", 2 + k, load_t=float(np.round(rng.uniform(0.5, 4.0), 1)),
                          service_s=int(rng.integers(8, 21)) * 60, window=window,
                          priority=int(rng.integers(1, 6))))
    vehicles = tuple(
        Vehicle(f"T{k}", "D", capacity_t=10.0, shift=(6 * H, 16 * H),
                break_=Break(11 * H, 13 * H, 1800), fixed_cost=150.0, cost_per_km=1.2,
                cost_per_hour=35.0)
        for k in range(n_trucks))
    return Problem(duration_s=dur, distance_m=dist, stops=tuple(stops),
                   facilities=(Facility("F", 1, unload_s=1200, window=(6 * H, 20 * H)),),
                   depots=(Depot("D", 0),), vehicles=vehicles, end_empty=True,
                   name="synthetic-100")


def sample_day() -> Problem:
    import planner

    scenario = planner.Scenario.from_file(ROOT / "planner" / "data" / "sample.toml")
    return planner.plan_day(scenario).problem


def row(name: str, engine: str, problem: Problem, **options) -> dict:
    began = time.perf_counter()
    plan = solve(problem, engine=engine, **options)
    seconds = time.perf_counter() - began
    served = sum(v.load_t for r in plan.routes for v in r.stops)
    returns = sorted(r.visits[-1].arrival_s for r in plan.routes)
    return {"case": name, "engine": engine, "tonnes": round(served, 1),
                "unassigned": len(plan.unassigned), "trucks": plan.trucks_used,
                "km": round(plan.distance_km, 1), "cost": round(plan.cost, 1),
                "seconds": round(seconds, 1),
                "back": " ".join(f"{t // H:02d}:{t % H // 60:02d}" for t in returns)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=["sample", "synthetic", "all"], default="all")
    parser.add_argument("--engine", choices=["ortools", "pyvrp", "all"], default="ortools")
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--max-iterations", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    cases = []
    if args.case in ("synthetic", "all"):
        cases.append(("synthetic", synthetic_day()))
    if args.case in ("sample", "all"):
        cases.append(("sample", sample_day()))
    engines = ["ortools", "pyvrp"] if args.engine == "all" else [args.engine]
    header = f"{'case':10} {'engine':8} {'t':>6} {'unass':>5} {'trucks':>6} {'km':>7} " \
             f"{'cost':>8} {'s':>6}  back"
    print(header)
    for name, problem in cases:
        for engine in engines:
            secs = []
            for _ in range(args.repeat):
                r = row(name, engine, problem, time_limit=args.time_limit, seed=args.seed,
                        max_iterations=args.max_iterations)
                secs.append(r["seconds"])
                print(f"{r['case']:10} {r['engine']:8} {r['tonnes']:6} {r['unassigned']:5} "
                      f"{r['trucks']:6} {r['km']:7} {r['cost']:8} {r['seconds']:6}  "
                      f"{r['back']}", flush=True)
            if args.repeat > 1:
                print(f"{'':10} median seconds {statistics.median(secs):.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
