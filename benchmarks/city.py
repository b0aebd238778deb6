"""A whole city day, phase by phase: load, read, snap, matrix, solve, write.

Usage: ``python benchmarks/city.py [NETWORK.osm.pbf] [--sizes 200,1000,3000]
[--time-limit S] [--engine auto|ortools|pyvrp] [--trucks-per-100 N] [--json FILE]
[--solvers ortools,pyvrp,auto --time-limits 60,120 [--no-plain]]``.
The network defaults to ``../shared/cities/heidelberg.osm.pbf``; the sites are
``benchmarks/_city.py``'s random day (fixed seed). For every size it prints one row per
phase with its time and the peak growth of the process's resident memory during it (RSS
sampled every 10 ms), then the outcome: sites served and unassigned, trucks, km, and the
sizes of the pages written. ``load cold`` builds the network into a fresh cache folder,
``load cached`` reads it back.

Each phase is a function of the previous phases' results (``phase_*``). With
``--solvers ortools,pyvrp,auto --time-limits 60,120`` the solve is compared instead
(``benchmarks/_solvers.py``): every engine at every limit in a process of its own, beside
a plain PyVRP model of the same matrix with the lunch ignored, as a bound; each row gives
stops served, trucks, km, truck-hours against the lower bound, the seconds to the first
feasible solution, wall time and peak memory.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import _city
import _solvers

import geodata

SIZES = (200, 1000, 3000)


def _rss_mb() -> float:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:  # not Linux: the peak so far, which only grows
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclasses.dataclass
class Phase:
    """One measured phase: wall and CPU seconds, the peak RSS growth (MB) while it ran.

    ``cpu_s`` counts this process's threads (not the solver's worker processes): on a
    shared machine it is steadier than the wall time.
    """

    name: str
    seconds: float
    cpu_s: float
    peak_mb: float
    note: str = ""


def measure(name: str, fn: Callable[[], Any], phases: list[Phase], note: str = "") -> Any:
    """Run ``fn``, appending its time and peak memory growth to ``phases``."""
    base = _rss_mb()
    peak = [base]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.01):
            peak[0] = max(peak[0], _rss_mb())

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    start, cpu = time.perf_counter(), time.process_time()
    try:
        result = fn()
    except Exception as exc:  # report the other phases all the same
        note = f"failed: {type(exc).__name__}: {str(exc)[:120]}"
        result = None
    finally:
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        done.set()
        watcher.join()
    phases.append(Phase(name, seconds, cpu, max(peak[0], _rss_mb()) - base, note))
    return result


def phase_load(network: Path, cache_dir: Path) -> Any:
    return geodata.load_network(network, cache_dir=cache_dir)


def phase_read(sites_csv: Path) -> Any:
    return geodata.read_sites(sites_csv)


def phase_snap(G: Any, sites: Any) -> Any:
    return geodata.snap_sites(G, sites)


def phase_matrix(G: Any, snapped: Any, *, turn_restrictions: bool = True) -> Any:
    return geodata.travel_matrix(G, snapped, turn_restrictions=turn_restrictions)


def phase_solve(scenario: Any, snapped: Any, matrix: Any) -> tuple[Any, Any]:
    """Build the routing problem and solve it (as ``planner.plan_day`` does)."""
    import planner
    import routing

    problem, left_out = planner.build_problem(snapped, matrix, scenario.fleet,
                                              name=scenario.name)  # fmt: skip
    s = scenario.solver
    plan = routing.solve(problem, engine=s.engine, time_limit=s.time_limit_s, seed=s.seed,
                         max_iterations=s.max_iterations)  # fmt: skip
    plan = dataclasses.replace(plan, unassigned=tuple(left_out) + tuple(plan.unassigned))
    return problem, plan


def phase_write(scenario: Any, G: Any, sites: Any, snapped: Any, matrix: Any, problem: Any,
                plan: Any, out_dir: Path) -> dict[str, Path]:  # fmt: skip
    import planner

    day = planner.DayResult(scenario=scenario, G=G, sites=sites, snapped=snapped,
                            matrix=matrix, problem=problem, plan=plan)  # fmt: skip
    return planner.write_day(day, out_dir, force=True)


def page_sizes(written: dict[str, Path]) -> dict[str, float]:
    """KB of the overview and of the driver pages (median, max), MB of all HTML."""
    html = {k: p.stat().st_size / 1024 for k, p in written.items() if str(p).endswith(".html")}
    drivers = [v for k, v in html.items() if k != "index.html"]
    return {"overview_kb": round(html.get("index.html", 0.0), 1),
            "driver_median_kb": round(statistics.median(drivers), 1) if drivers else 0.0,
            "driver_max_kb": round(max(drivers), 1) if drivers else 0.0,
            "html_total_mb": round(sum(html.values()) / 1024, 2)}  # fmt: skip


def run_load(network: Path, work: Path) -> tuple[Any, list[Phase]]:
    """The network built into a fresh cache folder, then read back from it."""
    phases: list[Phase] = []
    measure("load cold", lambda: phase_load(network, work / "cache"), phases, "build, cache")
    G = measure("load cached", lambda: phase_load(network, work / "cache"), phases)
    return G, phases


def run_size(G: Any, network: Path, n: int, args: argparse.Namespace,
             work: Path) -> dict[str, Any]:  # fmt: skip
    """Every phase of a day with ``n`` random sites on ``G``; returns the measurements."""
    phases: list[Phase] = []
    csv = _city.write_city_sites(G, n, work / f"sites-{n}.csv", seed=args.seed)
    fleet = dict(zip(_ints(args.sizes), _ints(args.trucks), strict=False)) if args.trucks else {}
    trucks = fleet.get(n) or max(1, round(n * args.trucks_per_100 / 100))
    scenario = _city.city_scenario(network, csv, trucks, engine=args.engine,
                                   time_limit_s=args.time_limit, seed=args.seed)  # fmt: skip
    sites = measure("read sites", lambda: phase_read(csv), phases)
    snapped = measure("snap", lambda: phase_snap(G, sites), phases)
    measure("snap again", lambda: phase_snap(G, sites), phases, "projection cached")
    if not args.skip_node_matrix:
        measure("matrix, no turns", lambda: phase_matrix(G, snapped, turn_restrictions=False),
                phases, "node-based, restrictions ignored")  # fmt: skip
    matrix = measure("matrix", lambda: phase_matrix(G, snapped), phases,
                     f"{len(G.graph.get('turn_restrictions', ()))} restrictions")
    if args.solvers:  # the solver comparison instead of the one solve and the write
        import planner

        problem, _ = planner.build_problem(snapped, matrix, scenario.fleet, name=scenario.name)
        rows = _solvers.compare(problem, args.solvers.split(","),
                                [float(t) for t in args.time_limits.split(",")],
                                seed=args.seed, plain=not args.no_plain)
        return {"sites": n, "nodes": len(G), "edges": G.number_of_edges(), "trucks": trucks,
                "phases": [dataclasses.asdict(p) for p in phases], "solvers": rows}
    solved = measure("solve", lambda: phase_solve(scenario, snapped, matrix), phases,
                     f"{args.engine}, {args.time_limit:g} s")  # fmt: skip
    if solved is None:
        return {"sites": n, "nodes": len(G), "edges": G.number_of_edges(), "trucks": trucks,
                "phases": [dataclasses.asdict(p) for p in phases], "served": 0,
                "unassigned": n, "trucks_used": 0, "km": 0.0, "pages": page_sizes({})}
    problem, plan = solved
    written = measure("write", lambda: phase_write(scenario, G, sites, snapped, matrix,
                                                   problem, plan, work / f"out-{n}"),
                      phases) or {}  # fmt: skip
    totals = plan.totals()
    served = len({v.site_id or v.id for r in plan.routes for v in r.visits if v.kind == "stop"})
    return {"sites": n, "nodes": len(G), "edges": G.number_of_edges(), "trucks": trucks,
            "phases": [dataclasses.asdict(p) for p in phases],
            "served": served, "unassigned": totals["unassigned"],
            "trucks_used": totals["trucks_used"], "km": totals["distance_km"],
            "pages": page_sizes(written)}  # fmt: skip


def print_size(r: dict[str, Any]) -> None:
    print(f"\n{r['sites']} sites on {r['nodes']} nodes / {r['edges']} edges, "
          f"{r['trucks']} trucks of 10 t")  # fmt: skip
    if "solvers" in r:
        _solvers.print_rows(r["solvers"])
        return
    print(f"  {'phase':<18} {'seconds':>8} {'cpu s':>7} {'peak MB':>8}  note")
    for p in r["phases"]:
        print(f"  {p['name']:<18} {p['seconds']:>8.2f} {p['cpu_s']:>7.2f} {p['peak_mb']:>8.0f}"
              f"  {p['note']}")  # fmt: skip
    pg = r["pages"]
    print(f"  served {r['served']}, unassigned {r['unassigned']}, trucks used "
          f"{r['trucks_used']}, {r['km']:.1f} km; pages: overview {pg['overview_kb']:.0f} KB, "
          f"driver median {pg['driver_median_kb']:.0f} KB (max {pg['driver_max_kb']:.0f}), "
          f"all HTML {pg['html_total_mb']:.1f} MB")  # fmt: skip


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def _parse(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("network", nargs="?", type=Path, default=_city.HEIDELBERG)
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)),
                    help="comma-separated site counts (default 200,1000,3000)")
    ap.add_argument("--time-limit", type=float, default=60.0, help="solver seconds")
    ap.add_argument("--engine", default="auto", help="routing engine (default auto)")
    ap.add_argument("--trucks-per-100", type=float, default=4.0,
                    help="trucks per 100 sites (default 4: 40 for 1,000)")
    ap.add_argument("--trucks", help="trucks per size, comma-separated like --sizes "
                    "(e.g. 8,30,70); overrides --trucks-per-100")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-node-matrix", action="store_true",
                    help="do not time the node-based matrix (restrictions ignored)")
    ap.add_argument("--solvers", metavar="ENGINES",
                    help="compare these engines (e.g. ortools,pyvrp,auto) at each of "
                    "--time-limits, each in a process of its own, beside a plain PyVRP "
                    "model with the lunch ignored; no write phase")
    ap.add_argument("--time-limits", default="60,120", help="seconds, for --solvers")
    ap.add_argument("--no-plain", action="store_true", help="leave out the plain PyVRP model")
    ap.add_argument("--json", type=Path, help="also write the results to this file")
    return ap.parse_args(argv)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING)
    if not args.network.is_file():
        print(f"network {args.network} not found; give the path of an .osm.pbf", file=sys.stderr)
        return 2
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    results = []
    with tempfile.TemporaryDirectory(prefix="city-bench-") as tmp:
        G, load = run_load(args.network, Path(tmp))
        print(f"network {args.network.name}: {len(G)} nodes, {G.number_of_edges()} edges, "
              f"{len(G.graph.get('turn_restrictions', ()))} turn restrictions")  # fmt: skip
        for p in load:
            print(f"  {p.name:<18} {p.seconds:>8.2f} s, cpu {p.cpu_s:>6.2f} s, "
                  f"{p.peak_mb:>5.0f} MB  {p.note}")  # fmt: skip
        for n in sizes:
            r = run_size(G, args.network, n, args, Path(tmp))
            print_size(r)
            results.append(r)
    if args.json:
        args.json.write_text(json.dumps({
            "network": str(args.network), "args": {k: str(v) for k, v in vars(args).items()},
            "load": [dataclasses.asdict(p) for p in load], "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
