"""Does a solve keep its time limit? Wall time of ``routing.solve`` against the limit.

Usage::

    python benchmarks/limits.py [--cases sample,bins2000] [--engines ortools,pyvrp,auto]
        [--limits 5,10,30] [--repeat 3] [NETWORK.osm.pbf]

For every case, engine and limit: the median wall time of ``routing.solve`` (from the call
to the checked plan, searching until the time limit: no work budget) over ``--repeat``
runs, the overrun past the limit, and of the last run what stopped the search and how
many stops the plan left. Cases: ``sample`` (the bundled sample day, 45 loads, lunch breaks) and
``bins2000`` (2,000 bins of 0.1-0.5 t on the Heidelberg extract, 20 trucks of 10 t
with the sample's shift and lunch: the day that once took 17.4 s for a 10 s limit).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import routing  # noqa: E402

# Each process of the ``auto`` engine re-imports this script (multiprocessing's spawn), so
# the street and planning modules are imported where they are used, as in run_plan.py.


def sample_problem() -> routing.Problem:
    import geodata
    import planner

    scenario = planner.Scenario.from_file(planner.SAMPLE_SCENARIO)
    G = geodata.load_network("sample")
    snapped = geodata.snap_sites(G, planner.load_sites(scenario))
    problem, _ = planner.build_problem(snapped, geodata.travel_matrix(G, snapped),
                                       scenario.fleet, name="sample")
    return problem


def bins_problem(network: Path, n: int = 2000, trucks: int = 20) -> routing.Problem:
    """``n`` bins of 0.1-0.5 t (seeded) on ``network``, ``trucks`` 10 t trucks with lunch."""
    import _city
    import numpy as np

    import geodata
    import planner

    G = geodata.load_network(network)
    sites = _city.city_sites(G, n, seed=1)
    rng = np.random.default_rng(1)
    work = sites["kind"] != "depot"
    work &= sites["kind"] != "landfill"
    sites.loc[work, "kind"] = "bin"
    sites.loc[work, "tonnes"] = rng.uniform(0.1, 0.5, int(work.sum())).round(2)
    sites.loc[work, "service_min"] = 2.0
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "bins.csv"
        df = sites.drop(columns="geometry")
        df["lon"], df["lat"] = sites.geometry.x, sites.geometry.y
        df.to_csv(csv, index=False)
        scenario = _city.city_scenario(network, csv, trucks)
        snapped = geodata.snap_sites(G, planner.load_sites(scenario))
    matrix = geodata.travel_matrix(G, snapped)
    problem, _ = planner.build_problem(snapped, matrix, scenario.fleet, name=f"bins{n}")
    return problem


def run(problem: routing.Problem, engine: str, limit: float) -> dict:
    started = time.perf_counter()
    plan = routing.solve(problem, engine=engine, time_limit=limit, seed=0, max_iterations=None)
    wall = time.perf_counter() - started
    search = plan.meta.get("search") or {}
    if "auto" in plan.meta:
        stops = {e: (r.get("search") or {}).get("stopped_by", r.get("error"))
                 for e, r in plan.meta["auto"]["engines"].items()}
        stopped = ", ".join(f"{e}: {s}" for e, s in stops.items())
    else:
        stopped = search.get("stopped_by", "")
    begun = [r["started_s"] for r in plan.meta.get("auto", {}).get("engines", {}).values()
             if "started_s" in r]  # fmt: skip
    return {"wall": wall, "unassigned": len(plan.unassigned), "stopped": stopped,
            "codes": sorted({u.code for u in plan.unassigned}),
            "start": max(begun) if begun else None}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("network", nargs="?", type=Path,
                    default=ROOT.parent / "shared" / "cities" / "heidelberg.osm.pbf")
    ap.add_argument("--cases", default="sample,bins2000")
    ap.add_argument("--engines", default="ortools,pyvrp,auto")
    ap.add_argument("--limits", default="5,10,30")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    cases = {}
    for case in args.cases.split(","):
        if case == "sample":
            cases[case] = sample_problem()
        elif case.startswith("bins"):
            if not args.network.is_file():
                print(f"skipping {case}: {args.network} not found", file=sys.stderr)
                continue
            cases[case] = bins_problem(args.network, int(case[4:] or 2000))
    print(f"{'case':<10}{'engine':<9}{'limit s':>8}{'median s':>10}{'overrun s':>10}"
          f"{'overrun %':>10}{'start s':>8}{'left':>6}  stopped by (start: median, under "
          "auto, of the later engine's start; left and stopped: the last run)")
    for name, problem in cases.items():
        for engine in args.engines.split(","):
            for limit in (float(x) for x in args.limits.split(",")):
                rows = [run(problem, engine, limit) for _ in range(args.repeat)]
                wall = statistics.median(r["wall"] for r in rows)
                last = rows[-1]
                starts = [r["start"] for r in rows if r["start"] is not None]
                start = f"{statistics.median(starts):.2f}" if starts else "–"
                print(f"{name:<10}{engine:<9}{limit:>8.0f}{wall:>10.2f}{wall - limit:>10.2f}"
                      f"{100 * (wall - limit) / limit:>9.1f}%{start:>8}{last['unassigned']:>6}  "
                      f"{last['stopped']} {','.join(c for c in last['codes'] if c)}",
                      flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

