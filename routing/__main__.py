"""``python -m routing solve problem.json --out plan.json``: solve a problem file.

Exit codes: 0 solved (the plan may still list unassigned stops), 2 bad input (missing
file, invalid JSON, invalid problem, a required stop that cannot be served).

Two numbers are printed, and they differ on purpose. While solving, each line shows the
engine's *search objective* at a new best solution: what the engine minimises, with
penalties for stops it leaves out and, for OR-Tools, without the time spent waiting for
windows or on the lunch break. At the end, *cost* is the plan's cost as the trucks drive
it (fixed cost per truck used, per km, per hour from leaving the depot to coming back),
recomputed by ``routing.check_plan``; the final search objective is printed beside it.
Each route leaves its depot as late as it can without delaying any visit
(``routing.schedule_route``), so a truck whose first window opens at 09:00 leaves for it
then, not at the 06:00 shift start; the summary line says how many trucks do.
"""

from __future__ import annotations

import argparse
import logging
import sys

from routing._errors import RoutingError
from routing._io import load_problem, save_plan
from routing._solve import ENGINES, Progress, solve

logger = logging.getLogger("routing")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m routing", description="Plan sanitation truck routes.",
        epilog="While solving, lines show the engine's search objective (it prices unserved "
        "stops); the summary's cost is the plan's cost as driven, waiting and breaks included.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("solve", help="solve a problem file (JSON) into a plan file")
    run.add_argument("problem", help="problem JSON (see docs/problem-json.md)")
    run.add_argument("--out", required=True, help="where to write the plan JSON")
    run.add_argument("--engine", choices=ENGINES, default="ortools")
    run.add_argument("--time-limit", type=float, default=10.0, metavar="S",
                     help="search time in seconds (default 10)")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--max-iterations", type=int, default=None, metavar="N",
                     help="stop after N search iterations (reproducible)")
    run.add_argument("--quiet", action="store_true", help="print only the summary line")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse printed the usage; 2 for bad arguments
        return int(exc.code or 0)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)

    def show(p: Progress) -> None:
        print(f"  {p.seconds:7.2f} s  {p.engine}: search objective {p.objective:,.2f}, "
              f"{p.routes} route(s)", flush=True)

    try:
        problem = load_problem(args.problem)
        if args.time_limit <= 0:
            raise RoutingError(f"--time-limit must be positive seconds, got {args.time_limit}")
        plan = solve(problem, engine=args.engine, time_limit=args.time_limit, seed=args.seed,
                     max_iterations=args.max_iterations,
                     progress=None if args.quiet else show)
        save_plan(plan, args.out)
    except RoutingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot write {args.out}: {exc.strerror}", file=sys.stderr)
        return 2
    t = plan.totals()
    late = sum(r.visits[0].departure_s > problem.vehicle(r.vehicle_id).shift[0] + 59
               for r in plan.routes)
    print(f"{problem.name}: {t['trucks_used']} truck(s), {t['distance_km']} km, "
          f"{t['tonnes']} t, {t['unload_trips']} unload(s), cost {t['cost']} "
          f"(search objective {plan.objective:,.2f}), {t['unassigned']} unassigned "
          f"({t['unassigned_t']} t), {late} truck(s) leaving after the shift start so as "
          f"not to wait, in {plan.solve_seconds} s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
