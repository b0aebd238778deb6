"""Kim (2006) waste-collection benchmark: our engines beside plain PyVRP and OR-Tools models.

Usage::

    python benchmarks/kim.py [FILE ...] [--engine ortools|pyvrp|auto|all]
        [--baseline pyvrp|ortools|all|none] [--time-limit S] [--seed N] [--trucks N]
        [--wall-limit S] [--json]

Without FILE: the five instances of ``../shared/benchmarks/kim/`` (rules and published
results in its README; reader and re-check in ``benchmarks/_kim.py``). For each instance
it runs our engines through ``routing.solve`` and, in the same run, the two baseline
models of ``benchmarks/_kim_baselines.py`` (PyVRP and OR-Tools as a competent user of
each library would write them), one model after another, each with the whole time
limit, each in a process of its own that is stopped if it is still running after
``--wall-limit`` seconds (default three times the limit plus two minutes).

Every plan is checked twice: by ``routing.check_plan`` (a baseline's routes are timed by
``routing.schedule_route``, with the lunch at the first place that keeps every window)
and by ``_kim.recheck``, which recomputes the miles and every rule from the instance
file. The table gives trucks, miles (from the re-check), both verdicts, seconds, and the
gap to Kim (2006) and to the best later published result (as context: later papers
relax some rules). A model that fails (an engine that refuses the problem, a plan that
breaks a rule, no solution in time) is a row with its reason.

Objective: fewest trucks, then fewest miles. Every model charges a truck as much as
1,000 miles (``FIXED_MILES``), more than twice what one truck can drive in the longest
depot day of the set (14 h at 40 mph = 560 miles), so one truck fewer always wins over
any saving in miles; distance costs 1 per mile (our engines: per km, proportional).
Fleet: the most trucks any paper used plus ``MARGIN`` (``--trucks`` to override); the
lower bound of ``KimInstance.truck_lower_bound`` is printed beside it.

``--json`` prints one line per instance and model: ``{"instance", "engine", "vehicles",
"miles", "routes", "feasible", "error"}``, each route the instance's ids in visiting
order (stops as integers, landfill visits as ``"L<id>"``, the depot omitted); ``error``
is null unless the model failed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import multiprocessing
import os
import queue
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks._kim import (  # noqa: E402
    KimFormatError,
    KimInstance,
    plan_routes,
    read_kim,
    recheck,
    to_problem,
)
from benchmarks._kim_baselines import BASELINES, baseline_plan  # noqa: E402
from routing import PlanViolation, Problem, check_plan, solve  # noqa: E402

logger = logging.getLogger("kim")

SHARED = ROOT.parent / "shared" / "benchmarks" / "kim"
ENGINES = ("ortools", "pyvrp", "auto")
MILE_KM = 1.609344
FIXED_MILES = 1000.0
MARGIN = 5

#: Published (trucks, miles) per instance, from the set's README.
PUBLISHED: dict[str, dict[str, tuple[int, float]]] = {
    "1051_stop": {"Kim 2006": (18, 2370.4), "Benjamin & Beasley 2010": (17, 2250.5),
                  "Buhrkal et al. 2012": (17, 2325.7)},
    "1351_stop": {"Kim 2006": (7, 1039.7), "Benjamin & Beasley 2010": (7, 1011.9),
                  "Buhrkal et al. 2012": (8, 871.9)},
    "1599_stop": {"Kim 2006": (13, 1459.2), "Benjamin & Beasley 2010": (13, 1364.7),
                  "Buhrkal et al. 2012": (13, 1337.5)},
    "1932_stop": {"Kim 2006": (17, 1395.3), "Benjamin & Beasley 2010": (16, 1262.8),
                  "Buhrkal et al. 2012": (16, 1162.5)},
    "2100_stop": {"Kim 2006": (16, 1833.8), "Benjamin & Beasley 2010": (16, 1749.0),
                  "Buhrkal et al. 2012": (17, 1818.9)},
}


def fleet_size(inst: KimInstance) -> int:
    """The most trucks any paper used on this instance, plus ``MARGIN``."""
    published = PUBLISHED.get(inst.name)
    most = max(t for t, _ in published.values()) if published else inst.truck_lower_bound()
    return max(most, inst.truck_lower_bound()) + MARGIN


def our_problem(inst: KimInstance, trucks: int) -> Problem:
    """The instance for our engines: a truck costs ``FIXED_MILES`` miles, in km."""
    return to_problem(inst, trucks=trucks, fixed_cost=FIXED_MILES * MILE_KM, cost_per_km=1.0)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, PlanViolation):
        first = exc.violations[0] if exc.violations else ""
        return f"plan breaks {len(exc.violations)} rule(s), e.g. {first}"
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


def run_model(inst: KimInstance, problem: Problem, model: str, *, time_limit: float,
              seed: int) -> dict:
    """Solve with one model (``ours:<engine>`` or ``baseline:<library>``), check, report.

    Never raises for a model's failure: the row's ``error`` says what went wrong.
    """
    row = {"instance": inst.name, "engine": model, "vehicles": None, "miles": None,
           "routes": [], "check_plan": None, "recheck": None, "seconds": None,
           "error": None, "violations": []}
    kind, name = model.split(":")
    started = time.perf_counter()
    try:
        if kind == "ours":
            plan = solve(problem, engine=name, time_limit=time_limit, seed=seed)
        else:
            plan = baseline_plan(name, inst, problem, time_limit=time_limit, seed=seed,
                                 fixed_miles=FIXED_MILES)
    except Exception as exc:  # a model's failure is a row, never the end of the run
        row["seconds"] = round(time.perf_counter() - started, 1)
        row["error"] = _reason(exc)
        logger.warning("%s %s: %s", inst.name, model, row["error"])
        return row
    row["seconds"] = round(time.perf_counter() - started, 1)
    if kind == "ours" and "auto" in plan.meta:
        row["engine"] = f"{model}:{plan.meta['auto'].get('winner', '?')}"
    try:
        check_plan(problem, plan)
        row["check_plan"] = not plan.unassigned
        if plan.unassigned:
            row["violations"].append(f"{len(plan.unassigned)} stop(s) left unassigned, e.g. "
                                     f"{plan.unassigned[0].stop_id}: "
                                     f"{plan.unassigned[0].reason}")
    except PlanViolation as exc:
        row["check_plan"] = False
        row["violations"].extend(exc.violations)
    routes = plan_routes(plan)
    again = recheck(inst, routes)
    row.update(vehicles=again.trucks, miles=round(again.miles, 1), routes=routes,
               recheck=again.ok)
    row["violations"].extend(f"re-check: {v}" for v in again.violations)
    for v in row["violations"][:3]:
        logger.warning("%s %s: %s", inst.name, model, v)
    return row


def _child(path: str, trucks: int, model: str, time_limit: float, seed: int, out) -> None:
    """Entry point of a model's process: its own process group, the row back on ``out``."""
    os.setpgrp()  # so that a model that overruns is stopped with every process it started
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    inst = read_kim(path)
    out.put(run_model(inst, our_problem(inst, trucks), model, time_limit=time_limit,
                      seed=seed))


def _signal(pid: int, sig: int) -> None:
    """Signal a model's process group, or the process alone if it has none yet."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def run_guarded(inst: KimInstance, trucks: int, model: str, *, time_limit: float, seed: int,
                wall_limit: float) -> dict:
    """``run_model`` in a process of its own, stopped after ``wall_limit`` seconds.

    A model that hangs or overruns becomes a row saying so; so does one whose process
    dies.
    """
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    proc = context.Process(target=_child, name=f"kim {model}", daemon=False,
                           args=(str(inst.path), trucks, model, time_limit, seed, out))
    started = time.perf_counter()
    proc.start()
    row, error = None, None
    try:
        while row is None and error is None:
            try:
                row = out.get(timeout=1.0)
            except queue.Empty:
                if not proc.is_alive() and out.empty():
                    error = f"its process ended (exit code {proc.exitcode}) without a result"
                elif time.perf_counter() - started > wall_limit:
                    error = (f"did not finish within {wall_limit:g} s (time limit "
                             f"{time_limit:g} s); stopped")
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if proc.is_alive():
                _signal(proc.pid, sig)
                proc.join(5)
        proc.join()
    if row is None:
        logger.warning("%s %s: %s", inst.name, model, error)
        row = {"instance": inst.name, "engine": model, "vehicles": None, "miles": None,
               "routes": [], "check_plan": None, "recheck": None, "error": error,
               "seconds": round(time.perf_counter() - started, 1), "violations": []}
    return row


def _gap(row: dict, published: tuple[int, float] | None) -> str:
    """Trucks and miles against a published result; only for plans that keep every rule."""
    if published is None or not (row["check_plan"] and row["recheck"]):
        return ""
    trucks, miles = published
    return f"{row['vehicles'] - trucks:+d} / {100 * (row['miles'] - miles) / miles:+.1f}%"


def _best_later(name: str) -> tuple[int, float] | None:
    later = [v for k, v in PUBLISHED.get(name, {}).items() if k != "Kim 2006"]
    return min(later) if later else None


def _mark(value: bool | None) -> str:
    return {True: "yes", False: "NO", None: "-"}[value]


def print_table(rows: list[dict]) -> None:
    print(f"{'instance':<10} {'model':<22} {'trucks':>6} {'miles':>8} {'check':>5} "
          f"{'recheck':>7} {'seconds':>7}  {'vs Kim 2006':>14}  {'vs best later':>14}  note")
    for r in rows:
        kim = PUBLISHED.get(r["instance"], {}).get("Kim 2006")
        trucks = "" if r["vehicles"] is None else str(r["vehicles"])
        miles = "" if r["miles"] is None else f"{r['miles']:.1f}"
        note = r["error"] or (r["violations"][0] if r["violations"] else "")
        print(f"{r['instance']:<10} {r['engine']:<22} {trucks:>6} {miles:>8} "
              f"{_mark(r['check_plan']):>5} {_mark(r['recheck']):>7} {r['seconds']:>7.1f}  "
              f"{_gap(r, kim):>14}  {_gap(r, _best_later(r['instance'])):>14}  "
              f"{note[:110]}")


def _best(rows: list[dict], kind: str) -> dict | None:
    """The feasible row of this kind with fewest trucks, then fewest miles."""
    ok = [r for r in rows if r["engine"].startswith(kind) and r["check_plan"] and r["recheck"]]
    return min(ok, key=lambda r: (r["vehicles"], r["miles"]), default=None)


def print_targets(rows: list[dict]) -> None:
    """Per instance: our best plan against the better baseline (the issue's target)."""
    for name in dict.fromkeys(r["instance"] for r in rows):
        mine = [r for r in rows if r["instance"] == name]
        ours, base = _best(mine, "ours:"), _best(mine, "baseline:")
        if ours is None or base is None:
            print(f"{name}: no feasible plan from {'our engines' if ours is None else 'a baseline'}"
                  "; target not judged")
            continue
        met = ours["vehicles"] <= base["vehicles"] and ours["miles"] <= base["miles"]
        better = (ours["vehicles"], ours["miles"]) < (base["vehicles"], base["miles"])
        print(f"{name}: {ours['engine']} {ours['vehicles']} / {ours['miles']:.1f} against "
              f"{base['engine']} {base['vehicles']} / {base['miles']:.1f}: "
              f"{_gap(ours, (base['vehicles'], base['miles']))} "
              f"({'better' if better else 'not better'} by fewest trucks, then miles); "
              f"target (no more trucks and no more miles) {'met' if met else 'not met'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--engine", choices=(*ENGINES, "all"), default="all",
                        help="our engine(s) to run (default all)")
    parser.add_argument("--baseline", choices=(*BASELINES, "all", "none"), default="all",
                        help="baseline model(s) to run beside them (default all)")
    parser.add_argument("--time-limit", type=float, default=60.0,
                        help="seconds per model (default 60)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--trucks", type=int, default=None,
                        help=f"fleet size (default: most published trucks + {MARGIN})")
    parser.add_argument("--wall-limit", type=float, default=None,
                        help="stop a model still running after this many seconds "
                             "(default: 3 x the time limit + 120)")
    parser.add_argument("--json", action="store_true",
                        help="one JSON line per instance and model")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.time_limit <= 0 or (args.trucks is not None and args.trucks <= 0):
        print("error: --time-limit and --trucks must be positive", file=sys.stderr)
        return 2
    files = args.files or sorted(SHARED.glob("*_stop.txt"))
    if not files:
        print(f"error: no instances given and none found in {SHARED}", file=sys.stderr)
        return 2
    try:
        instances = [read_kim(path) for path in files]
    except KimFormatError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    wall_limit = args.wall_limit or 3 * args.time_limit + 120
    engines = ENGINES if args.engine == "all" else (args.engine,)
    baselines = {"all": BASELINES, "none": ()}.get(args.baseline, (args.baseline,))
    models = [f"ours:{e}" for e in engines] + [f"baseline:{b}" for b in baselines]
    rows = []
    for inst in instances:
        trucks = args.trucks or fleet_size(inst)
        if not args.json:
            print(f"# {inst.name}: {len(inst.stops)} stops, {len(inst.landfills)} landfills, "
                  f"fleet {trucks} (lower bound {inst.truck_lower_bound()}), "
                  f"{args.time_limit:g} s per model", file=sys.stderr, flush=True)
        for model in models:
            row = run_guarded(inst, trucks, model, time_limit=args.time_limit,
                              seed=args.seed, wall_limit=wall_limit)
            rows.append(row)
            if not args.json:
                print(f"#   {model}: {row['vehicles']} trucks, {row['miles']} miles, "
                      f"check_plan {row['check_plan']}, re-check {row['recheck']}, "
                      f"{row['seconds']} s {row['error'] or ''}", file=sys.stderr, flush=True)
            if args.json:
                keys = ("instance", "engine", "vehicles", "miles", "routes")
                out = {k: row[k] for k in keys}
                out["feasible"] = bool(row["check_plan"] and row["recheck"])
                out["error"] = row["error"]
                print(json.dumps(out), flush=True)
    if not args.json:
        print_table(rows)
        print_targets(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
