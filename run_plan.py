"""The dispatcher's daily command: plan today's routes and write the maps.

Usage::

    python run_plan.py                       # the bundled sample, offline
    python run_plan.py --scenario city.toml  # your scenario
    python run_plan.py plan --scenario city.toml --trucks 5 --date 2025-05-06
    python run_plan.py campaign ...          # many days (see planner.campaign_main)

Exit codes: 0 planned; 2 bad input (the message names the file, row or field and the fix);
3 with ``--strict`` when some sites were left unassigned.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar, TextIO

EXIT_OK, EXIT_BAD_INPUT, EXIT_UNASSIGNED = 0, 2, 3
SUBCOMMANDS = ("plan", "campaign", "sweep", "districts")

logger = logging.getLogger("run_plan")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``run_plan.py [plan]``."""
    p = argparse.ArgumentParser(
        prog="run_plan.py",
        description="Plan a day of routes for a sanitation fleet and write the maps, route "
        "sheets, GPX and GeoJSON. Without --scenario: the bundled offline sample.",
        epilog="Subcommands: 'plan' (default) and 'campaign' (many days). "
        "Exit codes: 0 planned, 2 bad input, 3 --strict and something unassigned.",
    )
    p.add_argument("--scenario", metavar="FILE.toml", help="scenario file (default: the sample)")
    p.add_argument("--network", metavar="SOURCE",
                   help="street network: sample, a .osm.pbf/.osm/.graphml file, "
                   "'place:NAME' or 'bbox:W,S,E,N'")
    p.add_argument("--sites", metavar="FILE", action="append",
                   help="site file (GeoJSON, GeoPackage, CSV); repeat for several; replaces "
                   "the scenario's files")
    p.add_argument("--trucks", type=int, metavar="N", help="number of trucks (one fleet type)")
    p.add_argument("--capacity", type=float, metavar="T", help="payload of every truck (t)")
    p.add_argument("--engine", choices=("ortools", "pyvrp", "auto"), help="routing engine")
    p.add_argument("--time-limit", type=float, metavar="S", help="solver time limit (s)")
    p.add_argument("--seed", type=int, metavar="N", help="random seed")
    p.add_argument("--max-iterations", type=int, metavar="N",
                   help="stop the search after N solutions (reproducible plans)")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="day to plan (default: the scenario's, "
                   "else today)")
    p.add_argument("--out", metavar="DIR", help="output folder (default: the scenario's)")
    p.add_argument("--strict", action="store_true",
                   help="exit 3 if any dead spot or bin is left unassigned")
    noise = p.add_mutually_exclusive_group()
    noise.add_argument("-q", "--quiet", action="store_true", help="print only errors and paths")
    noise.add_argument("-v", "--verbose", action="store_true", help="log every step")
    return p


def _bad(message: str) -> int:
    print(f"run_plan: error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def apply_overrides(scenario, args: argparse.Namespace):
    """The scenario with the command-line overrides applied (validated again)."""
    from planner import ScenarioError

    replace = dataclasses.replace
    changes: dict = {}
    if args.network is not None:
        source = args.network
        if Path(source).expanduser().exists():  # else geodata says what is wrong with it
            source = str(Path(source).expanduser().resolve())
        changes["network"] = replace(scenario.network, source=source)
    if args.sites:
        files = tuple(s if s == "sample" else str(Path(s).expanduser().resolve())
                      for s in args.sites)
        missing = [f for f in files if f != "sample" and not Path(f).is_file()]
        if missing:
            raise ScenarioError("--sites", [f"{f} does not exist; check the path (relative to "
                                            "the working directory)" for f in missing])
        changes["site_files"] = files
    fleet = scenario.fleet
    if args.trucks is not None:
        if args.trucks < 1:
            raise ScenarioError("--trucks", f"got {args.trucks}; give at least 1 truck")
        if len(fleet) != 1:
            raise ScenarioError("--trucks", f"the scenario {scenario.source} has {len(fleet)} "
                                "fleet types; set each [[fleet]] count in the file instead")
        fleet = (replace(fleet[0], count=args.trucks),)
    if args.capacity is not None:
        if args.capacity <= 0:
            raise ScenarioError("--capacity", f"got {args.capacity:g}; give tonnes > 0")
        fleet = tuple(replace(f, capacity_t=args.capacity) for f in fleet)
    changes["fleet"] = fleet
    solver = {k: v for k, v in (("engine", args.engine), ("time_limit_s", args.time_limit),
                                ("seed", args.seed), ("max_iterations", args.max_iterations))
              if v is not None}
    if solver:
        try:
            changes["solver"] = replace(scenario.solver, **solver)
        except ScenarioError as exc:
            raise ScenarioError("command line", exc.problems) from None
    if args.date is not None:
        try:
            changes["date"] = dt.date.fromisoformat(args.date)
        except ValueError:
            raise ScenarioError("--date", f"got {args.date!r}; give YYYY-MM-DD") from None
    return replace(scenario, **changes)


class _Printer:
    """Progress lines for the long steps (stderr) and the final report (stdout)."""

    STEPS: ClassVar[dict[str, str]] = {"network": "street network loaded", "sites": "sites read",
                                       "snapping": "sites snapped to streets",
                                       "matrix": "travel matrix",
                                       "problem": "routing problem built",
                                       "solve": "routes solved"}

    def __init__(self, *, quiet: bool, err: TextIO, out: TextIO) -> None:
        self.quiet, self.err, self.out = quiet, err, out
        self.best: float | None = None
        self.last_print = -1.0

    def step(self, name: str, seconds: float) -> None:
        if not self.quiet:
            print(f"  {self.STEPS.get(name, name):<26} {seconds:7.2f} s", file=self.err)
            if name == "problem":
                print("  solving (best cost as it improves) ...", file=self.err)

    def progress(self, p) -> None:
        improved = self.best is None or p.objective < self.best - 1e-6
        self.best = p.objective if improved else self.best
        # at most a few lines a second: the search finds many small improvements
        if self.quiet or not improved or p.seconds - self.last_print < 0.5:
            return
        self.last_print = p.seconds
        print(f"    {p.seconds:6.1f} s  best cost {p.objective:12.1f}  trucks {p.routes}",
              file=self.err)

    def say(self, text: str = "") -> None:
        print(text, file=self.out)


def summary_lines(day) -> list[str]:
    """The summary table: per truck stops, tonnes, km, hours, unload trips; unassigned."""
    plan = day.plan
    lines = [f"{'truck':<7}{'stops':>6}{'tonnes':>9}{'km':>9}{'hours':>8}{'unloads':>9}",
             "-" * 48]
    for r in plan.routes:
        lines.append(f"{r.vehicle_id:<7}{len(r.stops):>6}{r.tonnes:>9.1f}{r.distance_km:>9.1f}"
                     f"{r.duration_h:>8.2f}{r.unload_trips:>9}")
    lines.append("-" * 48)
    lines.append(f"{'total':<7}{sum(len(r.stops) for r in plan.routes):>6}{plan.tonnes:>9.1f}"
                 f"{plan.distance_km:>9.1f}{plan.duration_h:>8.2f}{plan.unload_trips:>9}")
    idle = day.scenario.num_trucks - plan.trucks_used
    if idle > 0:
        lines.append(f"{idle} truck(s) stay at the depot.")
    work = day.unassigned_work
    other = [u for u in plan.unassigned if u not in work]
    if work:
        lines.append(f"Unassigned: {len(work)} ({sum(u.load_t for u in work):.1f} t)")
        lines.extend(f"  {u.stop_id:<12}{u.load_t:>7.1f} t  {u.reason}" for u in work)
    else:
        lines.append("Unassigned: none, every site is served.")
    if other:
        lines.append("Not used:")
        lines.extend(f"  {u.site_id:<12}  {u.reason}" for u in other)
    return lines


def plan_command(argv: Sequence[str]) -> int:
    """``run_plan.py [plan] ...``: plan one day; see ``build_parser``."""
    try:
        args = build_parser().parse_args(list(argv))
    except SystemExit as exc:  # --help (0) or a usage error (2): argparse printed it
        return int(exc.code or 0)
    _configure_logging(args)
    import geodata
    import planner
    import routing

    out = sys.stdout
    printer = _Printer(quiet=args.quiet, err=sys.stderr, out=out)
    started = time.perf_counter()
    try:
        path = Path(args.scenario) if args.scenario else planner.SAMPLE_SCENARIO
        scenario = apply_overrides(planner.Scenario.from_file(path), args)
        if not args.quiet:
            print(f"Planning {scenario.name!r} for {scenario.date.isoformat()}: "
                  f"{scenario.num_trucks} truck(s), network {scenario.network.source!r}",
                  file=sys.stderr)
        day = planner.plan_day(scenario, progress=printer.progress, on_step=printer.step)
        out_dir = Path(args.out) if args.out else scenario.output_dir()
        files = planner.write_day(day, out_dir)
    except (planner.ScenarioError, geodata.GeodataError, routing.RoutingError) as exc:
        logger.debug("bad input", exc_info=True)
        return _bad(str(exc))
    except FileNotFoundError as exc:
        return _bad(f"{exc.filename or exc}: file not found; check the path")
    except KeyboardInterrupt:
        print("run_plan: interrupted; nothing was written", file=sys.stderr)
        return 130
    total = time.perf_counter() - started
    if not args.quiet:
        printer.say()
        printer.say(f"Plan for {scenario.date.isoformat()} ({scenario.name}), engine "
                    f"{day.plan.engine}, seed {scenario.solver.seed}:")
        for line in summary_lines(day):
            printer.say(line)
        printer.say()
        printer.say(f"Planned in {total:.1f} s. Open:")
    _print_paths(files, out_dir, printer)
    if args.strict and day.unassigned_work:
        print(f"run_plan: --strict: {len(day.unassigned_work)} site(s) left unassigned",
              file=sys.stderr)
        return EXIT_UNASSIGNED
    return EXIT_OK


def _print_paths(files: dict, out_dir: Path, printer: _Printer) -> None:
    paths = {name: Path(p) for name, p in files.items()}
    index = paths.get("index.html", out_dir / "index.html")
    printer.say(f"  overview     {index}")
    for name, p in sorted(paths.items()):
        if name.startswith("truck-") and name.endswith(".html"):
            printer.say(f"  driver map   {p}")
    if not printer.quiet:
        printer.say(f"  all files    {out_dir}{'/' if not str(out_dir).endswith('/') else ''}")


def _configure_logging(args: argparse.Namespace) -> None:
    """Warnings only by default; ``--verbose``: our packages at INFO; ``--quiet``: errors."""
    level = logging.ERROR if args.quiet else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr, force=True)
    for name in ("geodata", "routing", "maps", "planner", "run_plan"):
        logging.getLogger(name).setLevel(logging.INFO if args.verbose else level)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``run_plan.py`` and the ``run-plan`` console script.

    Parameters
    ----------
    argv
        Arguments without the program name; ``None``: ``sys.argv[1:]``. The first may be
        a subcommand, ``plan`` (the default) or ``campaign``.

    Returns
    -------
    int
        The exit code: 0 planned, 2 bad input, 3 ``--strict`` with unassigned sites.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv and argv[0] in SUBCOMMANDS else "plan"
    if argv and argv[0] == command:
        argv = argv[1:]
    if command == "campaign":
        import planner

        campaign_main = getattr(planner, "campaign_main", None)
        if campaign_main is None:
            return _bad("the campaign planner is not installed in this version")
        return int(campaign_main(argv) or 0)
    if command in ("sweep", "districts"):  # on Dask: planner/_sweep_cli.py
        from planner import districts_main, sweep_main

        return int((sweep_main if command == "sweep" else districts_main)(argv) or 0)
    return plan_command(argv)


if __name__ == "__main__":
    sys.exit(main())
