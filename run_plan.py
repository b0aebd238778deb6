"""The dispatcher's daily command: plan today's routes and write the maps.

Usage::

    python run_plan.py                       # the bundled sample, offline
    python run_plan.py --scenario city.toml  # your scenario
    python run_plan.py plan --scenario city.toml --trucks 5 --date 2025-05-06
    python run_plan.py campaign ...          # many days (see planner.campaign_main)
    python run_plan.py init city.toml        # write a commented scenario to start from
    python run_plan.py progress out/2025-05-06/sheet-*.csv --out done.csv

Exit codes: 0 planned; 2 bad input or an output folder that cannot be written (the message
names the file, row or field and the fix; checked before any work); 3 with ``--strict``
when some sites were left unassigned; 130 interrupted (Ctrl-C; nothing is written).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import importlib.util
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar, TextIO

import i18n
from i18n import N_
from i18n import gettext as _

EXIT_OK, EXIT_BAD_INPUT, EXIT_UNASSIGNED = 0, 2, 3
SUBCOMMANDS = ("plan", "campaign", "sweep", "districts", "init", "progress")
#: One line of ``--help`` per subcommand (others show "see run_plan.py NAME --help").
COMMAND_HELP = {
    "plan": "plan one day (the default: 'run_plan.py --scenario city.toml' is 'plan')",
    "campaign": "plan a clearance campaign day by day until every dump is cleared",
    "sweep": "plan many variants of a scenario (trucks, closed facilities...) on Dask",
    "districts": "plan each district of a city as its own day",
    "init": "write a commented scenario file to start your own city from",
    "progress": "turn filled-in route sheets into the progress file of 'campaign --progress'",
}

logger = logging.getLogger("run_plan")
#: The commented scenario ``run_plan.py init`` writes (found without importing planner).
TEMPLATE = Path(importlib.util.find_spec("planner").origin).parent / "data" / "template.toml"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``run_plan.py [plan]``."""
    commands = "\n".join(f"  {name:<10} {COMMAND_HELP.get(name, f'see run_plan.py {name} --help')}"
                         for name in SUBCOMMANDS)
    p = argparse.ArgumentParser(
        prog="run_plan.py",
        usage="run_plan.py [COMMAND] [options]",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Plan a day of routes for a sanitation fleet and write the maps, route "
        "sheets, GPX and GeoJSON.\nWithout --scenario: the bundled offline sample.\n\n"
        f"commands ('run_plan.py COMMAND --help' for each):\n{commands}",
        epilog="Exit codes: 0 planned, 2 bad input, 3 --strict and something unassigned.",
    )
    p.add_argument("--scenario", metavar="FILE.toml", help="scenario file (default: the sample; "
                   "'run_plan.py init FILE.toml' writes one to edit)")
    p.add_argument("--name", metavar="NAME", help="name of the plan in titles and {name} of the "
                   "output folder (default: the scenario's; with --sites and no --scenario, the "
                   "first site file's name)")
    p.add_argument("--network", metavar="SOURCE",
                   help="street network: sample, a .osm.pbf/.osm/.graphml file, "
                   "'place:NAME' or 'bbox:W,S,E,N'")
    p.add_argument("--sites", metavar="FILE", action="append",
                   help="site file (GeoJSON, GeoPackage, CSV); repeat for several; replaces "
                   "the scenario's files")
    p.add_argument("--trucks", type=int, metavar="N", help="number of trucks (one fleet type)")
    p.add_argument("--capacity", type=float, metavar="T", help="payload of every truck (t)")
    p.add_argument("--max-daily-t", type=float, metavar="T",
                   help="most tonnes each truck may collect in the day, all trips together")
    p.add_argument("--max-stops", type=int, metavar="N",
                   help="most stops each truck may serve in the day")
    p.add_argument("--truck", metavar="FILE.toml",
                   help="truck profile (height_m, width_m, weight_t, top_speed_kph, ...; a "
                   "[truck] table or bare keys, see docs/scenario.md): which streets it drives")
    p.add_argument("--engine", choices=("ortools", "pyvrp", "auto"), help="routing engine")
    p.add_argument("--time-limit", type=float, metavar="S", help="solver time limit (s)")
    p.add_argument("--seed", type=int, metavar="N", help="random seed")
    p.add_argument("--max-iterations", type=_budget, metavar="N|auto|none",
                   help="the search's work budget: N iterations, 'auto' (sized to the day) "
                   "or 'none' (the time limit only); a budget that stops the search before "
                   "the time limit gives the same plan every run")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="day to plan (default: the scenario's, "
                   "else today)")
    p.add_argument("--out", metavar="DIR", help="output folder (default: the scenario's): new, "
                   "empty or a previous plan, which is replaced whole")
    p.add_argument("--force", action="store_true",
                   help="write into an output folder that holds other files (they are kept)")
    p.add_argument("--encoding", metavar="CODEC",
                   help="encoding of CSV site files (default: detect UTF-8 or GBK), e.g. gb18030")
    p.add_argument("--sites-crs", metavar="CRS",
                   help="CRS of site coordinates that carry none: an EPSG code, GCJ-02 (Amap, "
                   "Tencent) or BD-09 (Baidu); converted to WGS-84")
    p.add_argument("--layer", metavar="NAME", help="layer of GeoPackage site files with several")
    p.add_argument("--strict", action="store_true",
                   help="exit 3 if any dead spot or bin is left unassigned")
    p.add_argument("--lang", metavar="LANG", help="language of the pages, sheets, directions and "
                   f"messages: {', '.join(i18n.LANGUAGES)} (default: the scenario's language, "
                   "else en); every subcommand takes it")
    noise = p.add_mutually_exclusive_group()
    noise.add_argument("-q", "--quiet", action="store_true",
                       help="print only errors, unassigned work (on stderr) and paths")
    noise.add_argument("-v", "--verbose", action="store_true", help="log every step")
    return p


def _budget(text: str) -> int | str:
    """``--max-iterations``: a whole number > 0, ``auto`` or ``none``."""
    if text in ("auto", "none"):
        return text
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(
            _("got {text!r}; give a whole number > 0, 'auto' or 'none'").format(text=text))
    return value


def _bad(message: str) -> int:
    print(_("run_plan: error: {message}").format(message=message), file=sys.stderr)
    return EXIT_BAD_INPUT


def apply_overrides(scenario, args: argparse.Namespace):
    """The scenario with the command-line overrides applied (validated again)."""
    from planner import ScenarioError

    replace = dataclasses.replace
    changes: dict = {}
    name = getattr(args, "name", None)
    if name is not None:
        if not name.strip():
            raise ScenarioError("--name", _("got an empty name; give the plan a name"))
        changes["name"] = name.strip()
    elif args.sites and not args.scenario and args.sites[0] != "sample":
        changes["name"] = Path(args.sites[0]).name.split(".")[0]  # not "sample": their city
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
            raise ScenarioError("--sites", [_("{path} does not exist; check the path (relative "
                                              "to the working directory)").format(path=f)
                                            for f in missing])
        changes["site_files"] = files
    reading = {key: value for key, value in (("sites_crs", getattr(args, "sites_crs", None)),
                                              ("sites_encoding", getattr(args, "encoding", None)),
                                              ("sites_layer", getattr(args, "layer", None)))
               if value is not None}
    if reading:
        try:
            replace(scenario, **reading)
        except ScenarioError as exc:
            raise ScenarioError("command line", [
                p.replace("sites.crs:", "--sites-crs:").replace("sites.encoding:", "--encoding:")
                for p in exc.problems]) from None
        changes.update(reading)
    fleet = scenario.fleet
    if args.trucks is not None:
        if args.trucks < 1:
            raise ScenarioError("--trucks", _("got {n}; give at least 1 truck").format(
                n=args.trucks))
        if len(fleet) != 1:
            raise ScenarioError("--trucks", _(
                "the scenario {source} has {n} fleet types; set each [[fleet]] count in the "
                "file instead").format(source=scenario.source, n=len(fleet)))
        fleet = (replace(fleet[0], count=args.trucks),)
    if args.capacity is not None:
        if args.capacity <= 0:
            raise ScenarioError("--capacity", _("got {value:g}; give tonnes > 0").format(
                value=args.capacity))
        fleet = tuple(replace(f, capacity_t=args.capacity) for f in fleet)
    if args.max_daily_t is not None:
        if args.max_daily_t <= 0:
            raise ScenarioError("--max-daily-t", _("got {value:g}; give tonnes > 0").format(
                value=args.max_daily_t))
        fleet = tuple(replace(f, max_daily_t=args.max_daily_t) for f in fleet)
    if args.max_stops is not None:
        if args.max_stops < 1:
            raise ScenarioError("--max-stops", _("got {n}; give a whole number of stops > 0")
                                .format(n=args.max_stops))
        fleet = tuple(replace(f, max_stops=args.max_stops) for f in fleet)
    changes["fleet"] = fleet
    if getattr(args, "truck", None) is not None:
        changes["truck"] = _truck_profile(args.truck)
    solver = {k: v for k, v in (("engine", args.engine), ("time_limit_s", args.time_limit),
                                ("seed", args.seed), ("max_iterations", args.max_iterations))
              if v is not None}
    if solver.get("max_iterations") == "none":
        solver["max_iterations"] = None  # the time limit only
    if solver:
        try:
            changes["solver"] = replace(scenario.solver, **solver)
        except ScenarioError as exc:
            raise ScenarioError("command line", exc.problems) from None
    if args.date is not None:
        try:
            changes["date"] = dt.date.fromisoformat(args.date)
        except ValueError:
            raise ScenarioError("--date", _("got {value!r}; give YYYY-MM-DD").format(
                value=args.date)) from None
    if i18n.chosen() is not None:  # --lang (main chose it) over the scenario's language
        changes["language"] = i18n.chosen()
    return replace(scenario, **changes)


def _truck_profile(path: str):
    """The ``geodata.TruckProfile`` of a ``--truck`` file, checked like a scenario's table."""
    import tomllib

    from planner import Scenario, ScenarioError

    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise ScenarioError("--truck", _("{path}: {error}; check the path").format(
            path=path, error=exc.strerror)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError("--truck", _("{path}: invalid TOML: {error}").format(
            path=path, error=exc)) from None
    table = data.get("truck", data)
    probe = {"truck": table, "fleet": [{"name": "probe", "count": 1, "capacity_t": 1.0}]}
    return Scenario.from_dict(probe, source=f"--truck {path}").truck


#: Sentences of the settings report (whole sentences, one place, for translation).
SETTINGS_TEXTS = {
    "file": N_("Settings from {path}."),
    "sample": N_("Fleet, shift, lunch and costs are the bundled sample's ({path}); for your "
                 "own city write a scenario with 'run_plan.py init city.toml' and pass "
                 "--scenario."),
    "fleet": N_("  fleet {name!r}: {count} truck(s) of {capacity:g} t, depot {depot}, shift "
                "{start}-{end}, {lunch}, cost {fixed:g} per truck + {km:g} per km + {hour:g} "
                "per hour"),
    "lunch": N_("lunch {minutes:g} min between {start} and {end}"),
    "no_lunch": N_("no lunch break"),
    "only_depot": N_("the only one"),
    "flags": N_("  from the command line: {flags}"),
    "zone": N_("  time zone {zone}, truck profile {profile}"),
    "zone_default": N_("  time zone UTC (the default: set timezone in the scenario), truck "
                       "profile {profile}"),
    "profile": N_("{height:g} m high, {weight:g} t, up to {speed:g} km/h"),
}
_FLAGS = ("name", "network", "sites", "trucks", "capacity", "truck", "engine", "time_limit",
          "seed", "max_iterations", "date")


def settings_lines(scenario, args: argparse.Namespace) -> list[str]:
    """Which fleet, shift, lunch, cost, zone and truck settings a run takes, and from where."""
    import geodata
    import planner

    source = Path(scenario.source).resolve()
    sample = source == Path(planner.SAMPLE_SCENARIO).resolve()
    own_city = sample and (args.network is not None or bool(args.sites))
    shown = Path(scenario.source)
    if source.parent == TEMPLATE.parent:  # a bundled scenario: its place in the project
        shown = Path("planner", "data", source.name)
    texts = {key: _(text) for key, text in SETTINGS_TEXTS.items()}
    lines = [texts["sample" if own_city else "file"].format(path=shown)]
    for f in scenario.fleet:
        lunch = (texts["lunch"].format(minutes=f.break_min, start=f.break_start,
                                       end=f.break_end)
                 if f.break_min else texts["no_lunch"])
        lines.append(texts["fleet"].format(
            name=f.name, count=f.count, capacity=f.capacity_t, depot=f.depot or texts["only_depot"],
            start=f.shift_start, end=f.shift_end, lunch=lunch, fixed=f.fixed_cost,
            km=f.cost_per_km, hour=f.cost_per_hour))
    flags = [f"--{k.replace('_', '-')}" for k in _FLAGS if getattr(args, k, None) is not None
             and getattr(args, k) != []]
    if flags:
        lines.append(texts["flags"].format(flags=", ".join(flags)))
    truck = scenario.truck or geodata.TruckProfile()
    profile = texts["profile"].format(height=truck.height_m, weight=truck.weight_t,
                                      speed=truck.top_speed_kph)
    zone = getattr(scenario, "timezone", "UTC")
    lines.append(texts["zone" if zone != "UTC" else "zone_default"].format(
        zone=zone, profile=profile))
    return lines


class _Printer:
    """Progress lines for the long steps (stderr) and the final report (stdout)."""

    STEPS: ClassVar[dict[str, str]] = {"network": N_("street network loaded"),
                                       "sites": N_("sites read"),
                                       "snapping": N_("sites snapped to streets"),
                                       "matrix": N_("travel matrix"),
                                       "problem": N_("routing problem built"),
                                       "solve": N_("routes solved")}

    def __init__(self, *, quiet: bool, err: TextIO, out: TextIO) -> None:
        self.quiet, self.err, self.out = quiet, err, out
        self.best: dict[str, float] = {}  # per engine: auto runs two at once
        self.last_print: dict[str, float] = {}

    def step(self, name: str, seconds: float) -> None:
        if not self.quiet:
            label = _pad(_(self.STEPS.get(name, name)), 26)
            print(_("  {step} {seconds:7.2f} s").format(step=label, seconds=seconds),
                  file=self.err)
            if name == "problem":
                print(_("  solving (the search objective as it improves) ..."), file=self.err)

    def progress(self, p) -> None:
        best = self.best.get(p.engine)
        improved = best is None or p.objective < best - 1e-6
        if improved:
            self.best[p.engine] = p.objective
        # at most a few lines a second per engine: searches find many small improvements
        if (self.quiet or not improved
                or p.seconds - self.last_print.get(p.engine, -1.0) < 0.5):
            return
        self.last_print[p.engine] = p.seconds
        print(_("    {seconds:6.1f} s  {engine:<8} objective {objective:12.1f}  trucks "
                "{trucks}").format(seconds=p.seconds, engine=p.engine, objective=p.objective,
                                   trucks=p.routes), file=self.err)

    def say(self, text: str = "") -> None:
        print(text, file=self.out)


#: Sentences of the report (whole sentences, one place, for translation).
REPORT_TEXTS = {
    "idle": N_("{n} truck(s) stay at the depot: {trucks}."),
    "cost": N_("Cost is the day as driven (per truck, km and hour, waiting and lunch "
               "included), not the search objective above."),
    "unassigned": N_("Unassigned: {n} ({tonnes:.1f} t)"),
    "none": N_("Unassigned: none, every site is served."),
    "not_used": N_("Not used:"),
    "planning": N_("Planning {name!r} for {date}: {n} truck(s), network {network!r}"),
    "plan_for": N_("Plan for {date} ({name}), engine {engine}, seed {seed}:"),
    "planned": N_("Planned in {seconds:.1f} s. Open:"),
    "strict": N_("run_plan: --strict: {n} site(s) left unassigned"),
    "interrupted": N_("run_plan: interrupted; nothing was written"),
    "not_found": N_("{path}: file not found; check the path"),
    "cannot_write": N_("cannot write {path}: {error}; the output folder is as it was before "
                       "this run"),
    "the_plan": N_("the plan"),
}
#: The table's column labels (``summary_lines``).
TABLE_LABELS = {"truck": N_("truck"), "stops": N_("stops"), "tonnes": N_("tonnes"),
                "km": N_("km"), "hours": N_("hours"), "unloads": N_("unloads"),
                "cost": N_("cost"), "total": N_("total")}
#: The labels of the paths printed last (``_print_paths``).
PATH_LABELS = {"overview": N_("overview"), "timeline": N_("timeline"),
               "driver": N_("driver map"), "print": N_("to print"), "all": N_("all files")}


def _width(text: str) -> int:
    """Columns a text takes in a terminal (CJK characters take two)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int, *, right: bool = False) -> str:
    """``text`` padded to ``width`` terminal columns (``right``: aligned right)."""
    fill = " " * max(0, width - _width(text))
    return fill + text if right else text + fill


def _reason(u) -> str:
    """The reason of unassigned work in the run's language (from its code and details)."""
    return i18n.reason_text(getattr(u, "code", ""), getattr(u, "details", None), u.reason)


def unassigned_lines(day) -> list[str]:
    """The unassigned work (dead spots and bins) with reasons; one line if there is none."""
    work = day.unassigned_work
    if not work:
        return [_(REPORT_TEXTS["none"])]
    lines = [_(REPORT_TEXTS["unassigned"]).format(n=len(work),
                                                  tonnes=sum(u.load_t for u in work))]
    lines.extend(f"  {u.stop_id:<12}{u.load_t:>7.1f} t  {_reason(u)}" for u in work)
    return lines


def summary_lines(day) -> list[str]:
    """The report: a table per truck, late departures explained, idle trucks, unassigned.

    The table has stops, tonnes, km, hours, unloads and cost per truck; a truck that
    leaves after its shift starts gets the reason; idle trucks are named.
    """
    import maps

    plan = day.plan
    width = 57
    label = {key: _(text) for key, text in TABLE_LABELS.items()}
    lines = [_pad(label["truck"], 7) + "".join(
        _pad(label[k], w, right=True) for k, w in (("stops", 6), ("tonnes", 9), ("km", 9),
                                                   ("hours", 8), ("unloads", 9), ("cost", 9))),
             "-" * width]
    for r in plan.routes:
        lines.append(f"{r.vehicle_id:<7}{len(r.stops):>6}{r.tonnes:>9.1f}{r.distance_km:>9.1f}"
                     f"{r.duration_h:>8.2f}{r.unload_trips:>9}{r.cost:>9.1f}")
    lines.append("-" * width)
    lines.append(f"{_pad(label['total'], 7)}{sum(len(r.stops) for r in plan.routes):>6}"
                 f"{plan.tonnes:>9.1f}"
                 f"{plan.distance_km:>9.1f}{plan.duration_h:>8.2f}{plan.unload_trips:>9}"
                 f"{plan.cost:>9.1f}")
    lines.append(_(REPORT_TEXTS["cost"]))
    names = dict(zip(day.snapped["site_id"].astype(str), day.snapped["name"].fillna("")
                     .astype(str), strict=True)) if "name" in day.snapped else {}
    for r in plan.routes:
        leave = maps.explain_departure(day.problem, r, names=names)
        if leave.code != "shift_start":
            lines.append(f"{r.vehicle_id}: {leave.text}")
    used = {r.vehicle_id for r in plan.routes}
    idle = [v.id for v in day.problem.vehicles if v.id not in used]
    if idle:
        lines.append(_(REPORT_TEXTS["idle"]).format(n=len(idle), trucks=", ".join(idle)))
    work = day.unassigned_work
    other = [u for u in plan.unassigned if u not in work]
    lines.extend(unassigned_lines(day))
    if other:
        lines.append(_(REPORT_TEXTS["not_used"]))
        lines.extend(f"  {u.site_id:<12}  {_reason(u)}" for u in other)
    import routing

    lines.extend(routing.search_lines(plan))
    return lines


def plan_command(argv: Sequence[str]) -> int:
    """``run_plan.py [plan] ...``: plan one day; see ``build_parser``."""
    try:
        args = build_parser().parse_args(list(argv))
    except SystemExit as exc:  # --help (0) or a usage error (2): argparse printed it
        return int(exc.code or 0)
    _configure_logging(args)
    import geodata
    import maps
    import planner
    import routing

    out = sys.stdout
    printer = _Printer(quiet=args.quiet, err=sys.stderr, out=out)
    started = time.perf_counter()
    try:
        path = Path(args.scenario) if args.scenario else planner.SAMPLE_SCENARIO
        scenario = apply_overrides(planner.Scenario.from_file(path), args)
        if not args.quiet:
            print(_(REPORT_TEXTS["planning"]).format(
                name=scenario.name, date=scenario.date.isoformat(), n=scenario.num_trucks,
                network=scenario.network.source), file=sys.stderr)
            for line in settings_lines(scenario, args):
                print(line, file=sys.stderr)
        out_dir = Path(args.out) if args.out else scenario.output_dir()
        # before any work: a file, a path under a file, '.', a mount point, a place that
        # cannot be written, a folder holding files that are not a plan (without --force)
        maps.check_output_dir(out_dir, force=args.force,
                              label="--out" if args.out else "output.folder")
        day = planner.plan_day(scenario, progress=printer.progress, on_step=printer.step)
        files = planner.write_day(day, out_dir, force=args.force)
    except (planner.ScenarioError, geodata.GeodataError, routing.RoutingError,
            maps.MapsError) as exc:
        logger.debug("bad input", exc_info=True)
        return _bad(str(exc))
    except FileNotFoundError as exc:
        return _bad(_(REPORT_TEXTS["not_found"]).format(path=exc.filename or exc))
    except OSError as exc:  # the disk filled up, a permission changed while planning...
        logger.debug("cannot write", exc_info=True)
        return _bad(_(REPORT_TEXTS["cannot_write"]).format(
            path=exc.filename or _(REPORT_TEXTS["the_plan"]), error=exc.strerror or exc))
    except KeyboardInterrupt:
        print(_(REPORT_TEXTS["interrupted"]), file=sys.stderr)
        return 130
    total = time.perf_counter() - started
    if not args.quiet:
        printer.say()
        printer.say(_(REPORT_TEXTS["plan_for"]).format(
            date=scenario.date.isoformat(), name=scenario.name, engine=day.plan.engine,
            seed=scenario.solver.seed))
        for line in summary_lines(day):
            printer.say(line)
        printer.say()
        printer.say(_(REPORT_TEXTS["planned"]).format(seconds=total))
    elif day.unassigned_work:  # unassigned work is never quiet
        for line in unassigned_lines(day):
            print(line, file=sys.stderr)
    _print_paths(files, out_dir, printer)
    if args.strict and day.unassigned_work:
        print(_(REPORT_TEXTS["strict"]).format(n=len(day.unassigned_work)), file=sys.stderr)
        return EXIT_UNASSIGNED
    return EXIT_OK


def _print_paths(files: dict, out_dir: Path, printer: _Printer) -> None:
    paths = {name: Path(p) for name, p in files.items()}
    index = paths.get("index.html", out_dir / "index.html")
    label = {key: _pad(_(text), 12) for key, text in PATH_LABELS.items()}
    printer.say(f"  {label['overview']} {index}")
    if "timeline.html" in paths:
        printer.say(f"  {label['timeline']} {paths['timeline.html']}")
    for name, p in sorted(paths.items()):
        if name.startswith("truck-") and name.endswith(".html"):
            printer.say(f"  {label['driver']} {p}")
    if not printer.quiet:
        if any(n.startswith("sheet-") and n.endswith(".html") for n in paths):
            printer.say(f"  {label['print']} {out_dir / 'sheet-*.html'}")
        printer.say(f"  {label['all']} {out_dir}{'/' if not str(out_dir).endswith('/') else ''}")


def _configure_logging(args: argparse.Namespace) -> None:
    """Warnings only by default; ``--verbose``: our packages at INFO; ``--quiet``: errors."""
    level = logging.ERROR if args.quiet else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr, force=True)
    for name in ("geodata", "routing", "maps", "planner", "run_plan"):
        logging.getLogger(name).setLevel(logging.INFO if args.verbose else level)


def init_command(argv: Sequence[str]) -> int:
    """``run_plan.py init [FILE.toml]``: write the commented scenario template to edit."""
    import planner

    p = argparse.ArgumentParser(
        prog="run_plan.py init",
        description="Write a scenario file (TOML) for your own city: every setting with its "
        "default and meaning, commented. As written it plans the bundled sample; edit the "
        "network, site files and fleet, then plan with --scenario FILE.toml.")
    p.add_argument("path", nargs="?", default="scenario.toml", metavar="FILE.toml",
                   help="where to write it (default: scenario.toml)")
    p.add_argument("--name", help="the plan's name (default: the file's name)")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    try:
        args = p.parse_args(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0)
    path = Path(args.path)
    if path.suffix != ".toml":
        return _bad(_("init: {path}: give a file name ending in .toml").format(path=path))
    if path.exists() and not args.force:
        return _bad(_("init: {path} exists; pass --force to replace it, or give another "
                      "name").format(path=path))
    name = (args.name or path.stem).replace('"', "'")
    text = TEMPLATE.read_text(encoding="utf-8").replace('name = "my-city"', f'name = "{name}"',
                                                         1)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        planner.Scenario.from_file(path)  # the template must stay valid
    except OSError as exc:
        return _bad(_("init: cannot write {path}: {error}").format(path=path,
                                                                   error=exc.strerror))
    print(_("wrote {path}: set the network, site files, time zone and fleet, then plan with\n"
            "  python run_plan.py --scenario {path}").format(path=path))
    return EXIT_OK


def progress_command(argv: Sequence[str]) -> int:
    """``run_plan.py progress SHEET.csv... --out done.csv``: filled-in sheets to progress."""
    import maps

    p = argparse.ArgumentParser(
        prog="run_plan.py progress",
        description="Read route sheets the crews filled in (done, tonnes_cleared, done_at, "
        "remarks in sheet-<truck>.csv or dispatch.csv) and write what was cleared as the "
        "progress file of 'run_plan.py campaign --progress'.")
    p.add_argument("sheets", nargs="+", metavar="SHEET.csv", help="filled-in route sheets")
    p.add_argument("--out", required=True, metavar="FILE.csv", help="progress file to write")
    try:
        args = p.parse_args(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        rows = maps.read_sheet_progress(args.sheets)
        out = maps.write_progress_csv(rows, args.out)
    except maps.SheetError as exc:
        return _bad(_("progress: {error}").format(error=exc))
    except OSError as exc:
        return _bad(_("progress: cannot write {path}: {error}").format(path=args.out,
                                                                       error=exc.strerror))
    tonnes = sum(r["tonnes_cleared"] for r in rows)
    print(_("{n} stop(s) done, {tonnes:.1f} t, written to {path}; re-plan the rest with\n"
            "  python run_plan.py campaign --progress {path} --start-date YYYY-MM-DD").format(
                n=len(rows), tonnes=tonnes, path=out))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``run_plan.py`` and the ``run-plan`` console script.

    Parameters
    ----------
    argv
        Arguments without the program name; ``None``: ``sys.argv[1:]``. The first may be
        a subcommand (``SUBCOMMANDS``): ``plan`` (the default), ``campaign``, ``sweep``,
        ``districts``, ``init``, ``progress``.

    Returns
    -------
    int
        The exit code: 0 planned, 2 bad input, 3 ``--strict`` with unassigned sites.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv and argv[0] in SUBCOMMANDS else "plan"
    if argv and argv[0] == command:
        argv = argv[1:]
    lang, argv = _split_lang(argv)
    try:
        lang = i18n.normalize(lang) if lang is not None else _scenario_language(argv)
    except i18n.LanguageError as exc:
        return _bad(f"--lang: {exc}")
    with i18n.use(lang):  # every text of this run, in every subcommand
        return _dispatch(command, argv)


def _split_lang(argv: list[str]) -> tuple[str | None, list[str]]:
    """``--lang X`` / ``--lang=X`` taken off the arguments (every subcommand takes it)."""
    rest: list[str] = []
    lang = None
    args = iter(argv)
    for arg in args:
        if arg == "--lang":
            lang = next(args, "")  # a missing value is an unknown language
        elif arg.startswith("--lang="):
            lang = arg.split("=", 1)[1]
        else:
            rest.append(arg)
    if lang is not None and not lang.strip():
        lang = "?"
    return lang, rest


def _scenario_language(argv: list[str]) -> str | None:
    """The ``language`` of the ``--scenario`` file, read ahead so its errors speak it too.

    A file that cannot be read, or a language that is not known, gives ``None`` here: the
    scenario's own reading reports it.
    """
    import tomllib

    path = None
    for i, arg in enumerate(argv):
        if arg == "--scenario" and i + 1 < len(argv):
            path = argv[i + 1]
        elif arg.startswith("--scenario="):
            path = arg.split("=", 1)[1]
    if path is None:
        return None
    try:
        with open(path, "rb") as fh:
            return i18n.normalize(tomllib.load(fh).get("language"))
    except (OSError, tomllib.TOMLDecodeError, i18n.LanguageError, AttributeError):
        return None


def _dispatch(command: str, argv: list[str]) -> int:
    """Run one subcommand (in the language ``main`` chose)."""
    if command == "campaign":
        import planner

        campaign_main = getattr(planner, "campaign_main", None)
        if campaign_main is None:
            return _bad(_("the campaign planner is not installed in this version"))
        return int(campaign_main(argv) or 0)
    if command in ("sweep", "districts"):  # on Dask: planner/_sweep_cli.py
        from planner import districts_main, sweep_main

        return int((sweep_main if command == "sweep" else districts_main)(argv) or 0)
    if command == "init":
        return init_command(argv)
    if command == "progress":
        return progress_command(argv)
    return plan_command(argv)


if __name__ == "__main__":
    sys.exit(main())
