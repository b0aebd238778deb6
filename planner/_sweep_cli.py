"""``run_plan.py sweep`` and ``run_plan.py districts``: the planner's commands on Dask.

Both make a ``LocalCluster`` of worker processes with one thread each (OR-Tools never
runs two models in one process), as many as the machine has cores and the work has
tasks, or connect to a running scheduler with ``--cluster tcp://HOST:8786``. Progress
(tasks done of total) is printed as tasks finish.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

__all__ = ["districts_main", "sweep_main"]

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_BAD_INPUT, EXIT_FAILED = 0, 2, 3


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cluster", metavar="tcp://HOST:8786",
                   help="address of a running Dask scheduler (default: a local cluster)")
    p.add_argument("--workers", type=int, metavar="N",
                   help="worker processes of the local cluster (default: one per core, at "
                   "most one per task)")
    p.add_argument("--out", metavar="DIR", help="output folder")
    p.add_argument("--strict", action="store_true",
                   help="exit 3 if a variant or district could not be planned")
    noise = p.add_mutually_exclusive_group()
    noise.add_argument("-q", "--quiet", action="store_true", help="print only errors and paths")
    noise.add_argument("-v", "--verbose", action="store_true", help="log every step")


def sweep_parser() -> argparse.ArgumentParser:
    """The argument parser of ``run_plan.py sweep``."""
    from planner._sweep import SWEEP_KEYS

    keys = "; ".join(f"{k}: {v}" for k, v in SWEEP_KEYS.items())
    p = argparse.ArgumentParser(
        prog="run_plan.py sweep",
        description="Plan every combination of the variations of a scenario (a full day, or "
        "a campaign with --days), in parallel on Dask, and write sweep.csv, sweep.json, "
        "sweep.png and one plan folder per variant.",
        epilog=f"Variation keys: {keys}. Several closed facilities in one variant: "
        "closed=A+B. Exit codes: 0 done, 2 bad input, 3 --strict and a variant failed.")
    p.add_argument("--scenario", metavar="FILE.toml",
                   help="scenario (or campaign) file, optionally with [[sweep]] tables "
                   "(default: the sample)")
    p.add_argument("--vary", action="append", metavar="KEY=V1,V2", default=[],
                   help="values of one variation; repeat for a cross product (replaces the "
                   "file's [[sweep]] tables)")
    p.add_argument("--days", type=int, metavar="N",
                   help="plan each variant as a campaign of at most N working days")
    p.add_argument("--maps", choices=("first", "all", "none"), default="first",
                   help="day folders of each campaign variant (default: first)")
    _common(p)
    return p


def districts_parser() -> argparse.ArgumentParser:
    """The argument parser of ``run_plan.py districts``."""
    p = argparse.ArgumentParser(
        prog="run_plan.py districts",
        description="Plan each district of a city as its own day (its own depot, a share of "
        "the fleet by tonnes) in parallel on Dask, then write an overview of all districts.",
        epilog="Exit codes: 0 done, 2 bad input, 3 --strict and a district failed.")
    p.add_argument("--scenario", metavar="FILE.toml", help="scenario file (default: the sample)")
    p.add_argument("--by", default="district", metavar="COLUMN",
                   help="site column naming each site's district, or with --districts the "
                   "polygons' property (default: district)")
    p.add_argument("--districts", metavar="FILE.geojson",
                   help="district polygons; sites are placed by location")
    _common(p)
    return p


def parse_vary(items: Sequence[str]) -> dict[str, list[str]]:
    """``["trucks=2,3", "closed=A,none"]`` as ``{"trucks": ["2", "3"], ...}``.

    Raises
    ------
    ScenarioError
        An item without ``=`` or without values, or a key given twice.
    """
    from planner._errors import ScenarioError

    out: dict[str, list[str]] = {}
    problems = []
    for item in items:
        key, sep, values = item.partition("=")
        key = key.strip()
        vals = [v.strip() for v in values.split(",") if v.strip()]
        if not sep or not key or not vals:
            problems.append(f"got {item!r}; write KEY=V1,V2, e.g. trucks=10,12,15")
        elif key in out:
            problems.append(f"{key} is given twice; list all its values in one --vary")
        else:
            out[key] = vals
    if problems:
        raise ScenarioError("--vary", problems)
    return out


def _configure_logging(args: argparse.Namespace) -> None:
    level = logging.ERROR if args.quiet else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr, force=True)
    for name in ("geodata", "routing", "maps", "planner"):
        logging.getLogger(name).setLevel(logging.INFO if args.verbose else level)


@contextlib.contextmanager
def dask_client(address: str | None, *, tasks: int, workers: int | None = None,
                timeout: str = "10s") -> Iterator[Any]:
    """A client of the scheduler at ``address``, or of a new local cluster (closed after).

    The local cluster has ``workers`` processes (default: one per core, at most
    ``tasks``) of one thread each, not daemonic, so the ``auto`` engine may start its
    engines as child processes. ``timeout``: how long to try to reach ``address``.

    Raises
    ------
    ScenarioError
        The scheduler cannot be reached, or ``workers`` is below 1.
    """
    import dask

    level = "info" if logging.getLogger("planner").isEnabledFor(logging.INFO) else "error"
    dask.config.set({"logging.distributed": level})  # before distributed is imported
    from distributed import Client, LocalCluster

    from planner._errors import ScenarioError

    logging.getLogger("distributed").setLevel(level.upper())
    if address:
        try:
            client = Client(address, timeout=timeout)
        except (OSError, ValueError) as exc:
            raise ScenarioError("--cluster", f"cannot reach a Dask scheduler at {address!r} "
                                f"({exc}); start one with `dask scheduler` and workers with "
                                "`dask worker tcp://HOST:8786 --nthreads 1`") from None
        with client:
            yield client
        return
    n = workers if workers is not None else max(1, min(tasks, os.cpu_count() or 1))
    if n < 1:
        raise ScenarioError("--workers", f"got {n}; give at least 1 worker")
    with dask.config.set({"distributed.worker.daemon": False}), \
            LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                         dashboard_address=":0") as cluster, Client(cluster) as client:
        yield client


def _describe(client: Any, address: str | None) -> str:
    workers = len(client.nthreads())
    where = f"the scheduler at {address}" if address else "a local cluster"
    return f"{where} of {workers} worker(s)"


def _progress_printer(quiet: bool, name: str = "variant"):
    def show(row: dict, done: int, total: int) -> None:
        if quiet:
            return
        label = row.get("label") or row.get("district", "")
        if row["status"] == "planned":
            left = f" ({row['unassigned_t']:g} t)" if row["unassigned"] else ""
            stop = row.get("stopped_by")
            what = (f"{row['km']:.1f} km, {row['unassigned']} unassigned{left}, "
                    f"{row['task_s']:.1f} s" + (f" (search stopped by {stop})" if stop else ""))
        else:
            what = f"FAILED: {row['error']}"
        print(f"  [{done}/{total}] {name} {label}: {what}", file=sys.stderr, flush=True)
    return show


def _table(rows: Sequence[dict], first: Sequence[str]) -> list[str]:
    cols = [*first, "trucks_used", "km", "hours", "tonnes", "unassigned", "unassigned_t"]
    if any("working_days" in r for r in rows):
        cols.append("working_days")
    widths = {c: max(len(c), *(len(_cell(r.get(c))) for r in rows)) for c in cols}
    lines = ["  ".join(c.rjust(widths[c]) for c in cols)]
    for r in rows:
        if r["status"] != "planned":
            lines.append("  ".join(_cell(r.get(c)).rjust(widths[c]) for c in first)
                         + "  failed (see the error above)")
            continue
        lines.append("  ".join(_cell(r.get(c)).rjust(widths[c]) for c in cols))
    return lines


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def _bad(command: str, message: str) -> int:
    from i18n import gettext

    print(gettext("run_plan {command}: error: {message}").format(command=command,
                                                                 message=message),
          file=sys.stderr)
    return EXIT_BAD_INPUT


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None):
    try:
        return parser.parse_args(list(sys.argv[1:] if argv is None else argv)), None
    except SystemExit as exc:  # --help (0) or a usage error (2): argparse printed it
        return None, int(exc.code or 0)


def _run(command: str, noun: str, parser: argparse.ArgumentParser, argv: Sequence[str] | None,
         work: Callable[[argparse.Namespace], tuple[Any, Path, str, list[str]]]) -> int:
    """Parse, plan with ``work`` (bad input: exit 2, no traceback), print the table."""
    args, code = _parse(parser, argv)
    if args is None:
        return code
    _configure_logging(args)
    import geodata
    import planner
    import routing

    try:
        result, out, files, first = work(args)
    except (planner.ScenarioError, geodata.GeodataError, routing.RoutingError) as exc:
        logger.debug("bad input", exc_info=True)
        return _bad(command, str(exc))
    except KeyboardInterrupt:
        print(f"run_plan {command}: interrupted", file=sys.stderr)
        return 130
    planned = len(result.rows) - len(result.failed)
    if not args.quiet:
        print()
        for line in _table(result.rows, first):
            print(line)
        print(f"\n{planned} of {len(result.rows)} {noun}(s) planned in "
              f"{result.seconds:.1f} s.")
    print(f"Written to {out}/: {files}, {planned} folder(s)")
    return EXIT_FAILED if args.strict and result.failed else EXIT_OK


def _announce(args: argparse.Namespace, client: Any, what: str) -> None:
    if not args.quiet:
        print(f"{what} on {_describe(client, args.cluster)}", file=sys.stderr, flush=True)


def sweep_main(argv: Sequence[str] | None = None) -> int:
    """``run_plan.py sweep``: plan many variants of a scenario on Dask.

    Returns
    -------
    int
        0 done (failed variants are reported in the table), 2 bad input, 3 with
        ``--strict`` when a variant failed.
    """
    def work(args: argparse.Namespace):
        import planner

        path = Path(args.scenario) if args.scenario else planner.SAMPLE_SCENARIO
        scenario, tables = planner.read_sweep_file(path)
        variations: Any = parse_vary(args.vary) if args.vary else tables
        variants = planner.variants_from(variations)
        day = getattr(scenario, "scenario", scenario)
        out = Path(args.out) if args.out else Path("out") / f"sweep-{day.name}"
        mode = "campaign" if args.days or day is not scenario else "day"
        with dask_client(args.cluster, tasks=len(variants), workers=args.workers) as client:
            _announce(args, client, f"Sweep of {day.name!r}: {len(variants)} {mode} variant(s)")
            result = planner.sweep(scenario, variations, client=client, out_dir=out,
                                   days=args.days, campaign_maps=args.maps,
                                   on_result=_progress_printer(args.quiet))
        keys = [k for k in planner.SWEEP_KEYS if any(k in r for r in result.rows)]
        return result, out, "sweep.csv, sweep.json, sweep.png", ["variant", *keys]

    return _run("sweep", "variant", sweep_parser(), argv, work)


def districts_main(argv: Sequence[str] | None = None) -> int:
    """``run_plan.py districts``: plan each district of a city on Dask, then an overview.

    Returns
    -------
    int
        0 done, 2 bad input, 3 with ``--strict`` when a district failed.
    """
    def work(args: argparse.Namespace):
        import planner

        path = Path(args.scenario) if args.scenario else planner.SAMPLE_SCENARIO
        scenario = planner.Scenario.from_file(path)
        out = Path(args.out) if args.out else Path("out") / f"districts-{scenario.name}"
        with dask_client(args.cluster, tasks=os.cpu_count() or 1,
                         workers=args.workers) as client:
            _announce(args, client, f"Districts of {scenario.name!r} by {args.by!r}")
            result = planner.plan_districts(scenario, client=client, out_dir=out, by=args.by,
                                            polygons=args.districts,
                                            on_result=_progress_printer(args.quiet, "district"))
        return (result, out, "districts.csv, districts.json, overview/index.html",
                ["district", "depot", "trucks"])

    return _run("districts", "district", districts_parser(), argv, work)
