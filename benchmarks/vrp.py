"""Solve public VRP benchmark instances and report gaps to the best-known solutions.

Usage::

    python benchmarks/vrp.py [FILE ...] [--set x|solomon|mtvrptwr] [--limit N]
        [--engine ortools|pyvrp|auto] [--time-limit S] [--seed N] [--json] [--check-bks]

Without FILE: the instances of ``--set`` (default ``x``: the ten of ``cvrp_x/ten.txt``)
from ``../shared/benchmarks``. ``--limit N`` keeps N instances spread evenly over the
set. ``--check-bks`` solves nothing: it recomputes each ``.sol`` file's cost with our
reader (it must equal the BKS) and checks its routes with ``routing.check_plan``.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks._readers import (  # noqa: E402
    SETS,
    Instance,
    plan_routes,
    read_instance,
    read_sol,
    routes_cost,
    routes_plan,
)
from routing import PlanViolation, check_plan  # noqa: E402

SHARED = ROOT.parent / "shared" / "benchmarks"
FOLDERS = {"x": "cvrp_x", "solomon": "solomon", "mtvrptwr": "mtvrptwr"}


def instance_files(group: str, limit: int | None = None) -> list[Path]:
    """The files of a benchmark set; ``limit`` keeps that many, spread over the set."""
    folder = SHARED / FOLDERS[group]
    if group == "x" and (folder / "ten.txt").exists():
        names = (folder / "ten.txt").read_text().split()
        files = [folder / f"{name}.vrp" for name in names]
    elif group == "solomon":
        files = sorted(folder.glob("*.txt"))
    else:
        files = sorted(folder.glob("*.vrp"))
    if limit is not None and limit < len(files):
        step = len(files) / limit
        files = [files[math.floor(k * step)] for k in range(limit)]
    return files


def solve_instance(instance: Instance, *, engine: str, time_limit: float, seed: int) -> dict:
    """Solve with one engine; returns the row of the results table."""
    problem = instance.problem.split_for_fleet()
    options = {"time_limit": time_limit, "seed": seed, "max_iterations": None,
               "progress": None}
    started = time.perf_counter()
    if engine == "ortools":
        from routing._ortools import solve_ortools as run
    elif engine == "pyvrp":
        from routing._pyvrp import solve_pyvrp as run
    else:
        from routing._auto import solve_auto as run
    plan = run(problem, **options)
    seconds = time.perf_counter() - started
    try:
        check_plan(problem, plan)
        feasible = True
    except PlanViolation as exc:
        logging.getLogger(__name__).warning("%s: %s", instance.name, exc)
        feasible = False
    routes = plan_routes(plan)
    cost = routes_cost(instance, routes)
    row = {"instance": instance.name, "engine": plan.engine, "cost": cost,
           "bks": instance.bks, "gap": _gap(cost, instance.bks),
           "vehicles": len(routes), "routes": routes, "seconds": round(seconds, 2),
           "feasible": feasible and not plan.unassigned}
    if "auto" in plan.meta:  # each engine's cost in reported units (cost_per_km = 1)
        row["winner"] = plan.meta["auto"]["winner"]
        for name, result in plan.meta["auto"]["engines"].items():
            row[name] = (round(result["cost"] * 1000 / instance.cost_scale, 1)
                         if "cost" in result else None)
    return row


def check_bks(instance: Instance) -> dict:
    """Recompute a ``.sol`` file's cost and check its routes against the problem."""
    routes, sol_cost = read_sol(instance.sol_path)
    cost = routes_cost(instance, routes)
    try:
        check_plan(instance.problem, routes_plan(instance, routes))
        problems = []
    except PlanViolation as exc:
        problems = exc.violations
    return {"instance": instance.name, "cost": cost, "bks": instance.bks,
            "sol_cost": sol_cost, "match": instance.bks is not None
            and abs(cost - instance.bks) < 1e-6, "feasible": not problems,
            "violations": problems[:3]}


def _gap(cost: float, bks: float | None) -> float | None:
    return None if bks is None else round(100 * (cost - bks) / bks, 3)


def _print_table(rows: list[dict]) -> None:
    print(f"{'instance':<18} {'engine':<8} {'cost':>11} {'BKS':>11} {'gap %':>7} "
          f"{'routes':>6} {'seconds':>8} feasible  ortools    pyvrp")
    for r in rows:
        gap = "" if r["gap"] is None else f"{r['gap']:.2f}"
        bks = "" if r["bks"] is None else f"{r['bks']:.1f}"
        engine = r["engine"] + (f":{r['winner']}" if "winner" in r else "")
        print(f"{r['instance']:<18} {engine:<8} {r['cost']:>11.1f} {bks:>11} {gap:>7} "
              f"{r['vehicles']:>6} {r['seconds']:>8.1f} {r['feasible']!s:<8} "
              f"{r.get('ortools') or '':>8} {r.get('pyvrp') or '':>8}")
    gaps = [r["gap"] for r in rows if r["gap"] is not None]
    if gaps:
        print(f"mean gap: {statistics.fmean(gaps):.2f} % over {len(gaps)} instance(s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--set", dest="group", choices=SETS, default="x")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--engine", choices=("ortools", "pyvrp", "auto"), default="auto")
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="one JSON line per instance")
    parser.add_argument("--check-bks", action="store_true",
                        help="recompute the cost of each .sol file; solve nothing")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    files = args.files or instance_files(args.group, args.limit)
    if not files:
        print(f"no instances found (looked in {SHARED})", file=sys.stderr)
        return 2
    rows = []
    for path in files:
        instance = read_instance(path)
        if args.check_bks:
            row = check_bks(instance)
            print(json.dumps(row) if args.json else
                  f"{row['instance']:<18} sol {row['cost']:>11.1f} BKS {row['bks']} "
                  f"match={row['match']} feasible={row['feasible']} {row['violations']}",
                  flush=True)
            rows.append(row)
            continue
        try:
            row = solve_instance(instance, engine=args.engine, time_limit=args.time_limit,
                                 seed=args.seed)
        except Exception as exc:  # one instance's failure must not end the run
            logging.getLogger(__name__).error("%s: %s: %s", instance.name,
                                              type(exc).__name__, exc)
            continue
        rows.append(row)
        if args.json:
            keys = ("instance", "engine", "cost", "routes", "seconds", "feasible", "bks",
                    "gap", "winner", "ortools", "pyvrp")
            print(json.dumps({k: row[k] for k in keys if k in row}), flush=True)
        else:
            print(f"# {row['instance']}: {row['cost']:.1f} (gap {row['gap']}%)",
                  file=sys.stderr, flush=True)
    if args.check_bks:
        return 0 if all(r["match"] and r["feasible"] for r in rows) else 1
    if not args.json:
        _print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
