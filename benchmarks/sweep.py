"""Sweep benchmark: 8 variants of the sample, one after another vs on a Dask LocalCluster.

Usage: ``python benchmarks/sweep.py [--repeat 3] [--workers 2] [--max-iterations 100]
[--engine ortools]``.

The 8 variants are 2, 3, 4 and 5 trucks with payloads of 8 and 10 t, each a full day
(solve, maps, sheets, ``plan.json``), the search stopped by ``--max-iterations`` so both
modes compute the same plans (checked). ``serial`` is ``planner.sweep(client=None)``: the
same tasks called in this process, no Dask. ``cluster`` is ``planner.sweep`` on a
``LocalCluster`` of ``--workers`` processes with one thread each, started once; its first
sweep (``cold``: each worker imports OR-Tools, geopandas, folium on its first task) is
shown apart from the warm run of median wall time. Serial and warm runs alternate, so both
see the same machine. Both include the shared inputs (sites,
snapping, matrix) and the tables and chart.

``overhead/task`` is the worker time not spent inside a task, per task:
``(wall x workers - sum of task seconds) / tasks``; it holds scattering, scheduling,
result transfer and the idle tail when the last tasks finish unevenly. With 2 cores the
speed-up cannot pass 2x, and less where other jobs compete: the last lines measure how
many times one process's throughput this machine gives that many CPU-bound processes now.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import planner

VARIATIONS = {"trucks": [2, 3, 4, 5], "capacity": [8.0, 10.0]}


def run(scenario, client, out: Path) -> tuple[float, planner.SweepResult]:
    t0 = time.perf_counter()
    result = planner.sweep(scenario, VARIATIONS, client=client, out_dir=out)
    return time.perf_counter() - t0, result


def _spin(n: int) -> float:
    t0 = time.perf_counter()
    x = 0
    for i in range(n):
        x += i
    return time.perf_counter() - t0


def machine_parallelism(workers: int, n: int = 20_000_000) -> float:
    """Throughput of ``workers`` CPU-bound processes at once over one alone (ceiling)."""
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers) as pool:
        alone = min(pool.submit(_spin, n).result() for _ in range(2))
        t0 = time.perf_counter()
        list(pool.map(_spin, [n] * workers))
        together = time.perf_counter() - t0
    return workers * alone / together


def median_run(runs: list[tuple[float, planner.SweepResult]]) -> tuple[float, planner.SweepResult]:
    """The run of median wall time (the upper one of an even count), with its result."""
    return sorted(runs, key=lambda run: run[0])[len(runs) // 2]


def overhead(wall: float, workers: int, result: planner.SweepResult) -> float:
    busy = sum(r["task_s"] for r in result.rows)
    return (wall * max(1, workers) - busy) / len(result.rows)


def numbers(result: planner.SweepResult) -> list[tuple]:
    return [(r["trucks"], r.get("capacity"), r["km"], r["unassigned"]) for r in result.rows]


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--max-iterations", type=int, default=100)
    p.add_argument("--engine", default="ortools", choices=("ortools", "pyvrp"),
                   help="one engine, one process per variant (auto races two in each)")
    args = p.parse_args(argv)
    from distributed import Client, LocalCluster

    scenario = planner.Scenario.from_file(planner.SAMPLE_SCENARIO)
    scenario = dataclasses.replace(scenario, solver=dataclasses.replace(
        scenario.solver, engine=args.engine, time_limit_s=120,
        max_iterations=args.max_iterations))
    tmp = Path(tempfile.mkdtemp(prefix="sweep-bench-"))
    print(f"sample, 8 variants {VARIATIONS}, {args.engine}, max_iterations {args.max_iterations}, "
          f"{os.cpu_count()} core(s), median of {args.repeat} run(s)")
    ceiling = [machine_parallelism(args.workers)]
    t0 = time.perf_counter()
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        startup = time.perf_counter() - t0
        cold = run(scenario, client, tmp / "cold")
        serial, warm = [], []
        for k in range(args.repeat):  # interleaved, so both modes see the same machine
            serial.append(run(scenario, None, tmp / f"serial-{k}"))
            warm.append(run(scenario, client, tmp / f"warm-{k}"))
    ceiling.append(machine_parallelism(args.workers))
    base = median_run(serial)[0]
    rows = [("serial", 0, *median_run(serial)), ("cluster cold", args.workers, *cold),
            ("cluster warm", args.workers, *median_run(warm))]
    header = (f"{'mode':<13} {'workers':>7} {'wall_s':>7} {'speed-up':>8} {'tasks_s':>8} "
              f"{'overhead/task_s':>15}")
    print(header)
    print("-" * len(header))
    for mode, workers, wall, result in rows:
        busy = sum(r["task_s"] for r in result.rows)
        print(f"{mode:<13} {workers:>7} {wall:>7.2f} {base / wall:>7.2f}x {busy:>8.2f} "
              f"{overhead(wall, workers, result):>15.2f}")
    print(f"\nthis machine: {args.workers} CPU-bound processes at once give "
          f"{ceiling[0]:.2f}x (before) and {ceiling[1]:.2f}x (after) the throughput of one: "
          "the ceiling of the speed-up")
    reference = numbers(serial[0][1])
    same = [sum(a == b for a, b in zip(numbers(r), reference, strict=True)) for *_, r in rows]
    print(f"cluster start-up {startup:.2f} s (not in wall_s); tasks_s = sum of the tasks' "
          f"own seconds; variants whose plan equals the first serial run's: "
          f"{', '.join(f'{m} {n}/8' for (m, *_), n in zip(rows, same, strict=True))}")
    if min(same) < len(reference):
        print("(a budget-stopped search can still differ when the machine is loaded: "
              "OR-Tools bounds each LNS sub-search by time)")
    return 0


if __name__ == "__main__":
    t0 = time.perf_counter()
    code = main(sys.argv[1:])
    print(f"total {time.perf_counter() - t0:.1f} s")
    raise SystemExit(code)
