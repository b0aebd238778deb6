"""The planning service under load, on loopback: reads while a solve runs, and site reports.

Usage::

    python benchmarks/service.py [--clients 8] [--seconds 10] [--repeat 3] [--workers 1]

Starts ``python -m service`` on a free loopback port with its own temporary database and
the bundled sample scenario (its search made to run until the time limit, so a solve
lasts the whole measurement), then drives it with ``--clients`` concurrent HTTP clients
(one asyncio loop, keep-alive connections) for ``--seconds`` per phase:

1. ``reads, idle``: ``GET /v1/sites?limit=100`` and ``GET /v1/plans/{id}`` in turn;
2. ``reads, solving``: the same while a plan is in its solving stage (checked before and
   after the phase);
3. ``reports``: ``POST /v1/sites`` (each a new dump, one transaction and fsync each).

Each phase runs ``--repeat`` times in turn (a new solve for each solving phase, waited
out before the next idle one); prints the medians of requests/s and p50/p99 latency per
phase, and the solving/idle ratios. Every
request is bounded by a timeout, every phase by ``--seconds``; the service is stopped
at the end. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "planner" / "data" / "sample.toml"
MAX_CLIENTS, MAX_SECONDS = 64, 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def long_solve_scenario(folder: Path, seconds: float) -> Path:
    """The sample scenario, searching until its time limit (well past the phase)."""
    text, n_iter = re.subn(r"(?m)^max_iterations\s*=.*$", "max_iterations = 1000000000",
                           SAMPLE.read_text())
    text, n_limit = re.subn(r"(?m)^time_limit_s\s*=.*$",
                            f"time_limit_s = {int(seconds * 2 + 30)}", text)
    if (n_iter, n_limit) != (1, 1):
        raise SystemExit(f"{SAMPLE}: expected one max_iterations and one time_limit_s line")
    path = folder / "sample-long.toml"
    path.write_text(text)
    return path


def start(folder: Path, token: str, workers: int, scenario: Path) -> tuple[subprocess.Popen,
                                                                          str]:
    port = free_port()
    env = {**os.environ, "SANITATION_ROUTES_TOKEN": token}
    proc = subprocess.Popen(
        [sys.executable, "-m", "service", "--port", str(port), "--db", str(folder / "b.db"),
         "--scenario", str(scenario), "--tiles", "none", "--workers", str(workers),
         "--queue", "4"], env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=(folder / "service.log").open("wb"))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the service exited: see {folder / 'service.log'}")
        try:
            if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("the service did not start within 90 s")


def wait_plan(client: httpx.Client, plan_id: str, predicate, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        plan = client.get(f"/v1/plans/{plan_id}").json()
        if predicate(plan):
            return plan
        time.sleep(0.2)
    raise SystemExit(f"plan {plan_id} did not get there within {timeout} s: {plan}")


async def load(url: str, token: str, clients: int, seconds: float, make_request) -> dict:
    """``clients`` loops sending ``make_request(i)`` for ``seconds``; latencies in ms."""
    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits,
                                 timeout=10.0) as client:
        async def one(k: int) -> None:
            nonlocal errors
            i = k
            while time.perf_counter() < stop_at:
                method, path, body = make_request(i)
                t0 = time.perf_counter()
                try:
                    r = await client.request(method, path, json=body)
                    ok = r.status_code < 400
                except httpx.HTTPError:
                    ok = False
                latencies.append((time.perf_counter() - t0) * 1000)
                errors += not ok
                i += clients

        started = time.perf_counter()
        await asyncio.gather(*(one(k) for k in range(clients)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    n = len(latencies)
    return {"requests": n, "rps": n / elapsed, "errors": errors,
            "p50": statistics.median(latencies) if n else float("nan"),
            "p99": latencies[min(n - 1, int(0.99 * n))] if n else float("nan")}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", type=int, default=8, help=f"concurrent clients (<= {MAX_CLIENTS})")
    p.add_argument("--seconds", type=float, default=10.0,
                   help=f"length of each phase (<= {MAX_SECONDS} s)")
    p.add_argument("--workers", type=int, default=1, help="the service's --workers")
    p.add_argument("--repeat", type=int, default=3, help="runs of each phase (medians shown)")
    args = p.parse_args(argv)
    if (not 1 <= args.clients <= MAX_CLIENTS or not 1 <= args.seconds <= MAX_SECONDS
            or not 1 <= args.repeat <= 9):
        p.error(f"--clients 1..{MAX_CLIENTS}, --seconds 1..{MAX_SECONDS}, --repeat 1..9")
    token = secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory(prefix="service-bench-") as tmp:
        folder = Path(tmp)
        proc, url = start(folder, token, args.workers,
                          long_solve_scenario(folder, args.seconds))
        try:
            rows = run_phases(url, token, args)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
    print_table(rows, args)
    return 0


def finished(plan: dict) -> bool:
    return plan["status"] in ("done", "failed")


def run_phases(url: str, token: str, args) -> list[tuple[str, dict]]:
    """Each phase ``--repeat`` times in turn; the median of each number per phase."""
    sync = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"},
                        timeout=30)
    done = sync.post("/v1/plans", json={"time_limit_s": 1}).json()["id"]
    wait_plan(sync, done, finished, 180)
    reads = [("GET", "/v1/sites?limit=100", None), ("GET", f"/v1/plans/{done}", None)]

    def read(i: int):
        return reads[i % 2]

    def post(i: int):
        return ("POST", "/v1/sites", {"lon": 24.93 + (i % 100) * 0.0003,
                                      "lat": 60.16 + (i % 37) * 0.0005, "tonnes": 1.5,
                                      "note": f"benchmark report {i}"})

    runs: dict[str, list[dict]] = {"reads, idle": [], "reads, solving": [], "reports": []}
    notes: list[str] = []
    for _ in range(args.repeat):
        runs["reads, idle"].append(asyncio.run(load(url, token, args.clients, args.seconds,
                                                    read)))
        solving = sync.post("/v1/plans", json={"time_limit_s": args.seconds + 10}).json()["id"]
        wait_plan(sync, solving, lambda p: p["progress"]["stage"] == "solving"
                  or finished(p), 180)
        runs["reads, solving"].append(asyncio.run(load(url, token, args.clients,
                                                       args.seconds, read)))
        after = sync.get(f"/v1/plans/{solving}").json()
        notes.append("ran" if after["progress"]["stage"] == "solving" else "ended early")
        wait_plan(sync, solving, finished, args.seconds + 180)  # idle again
        runs["reports"].append(asyncio.run(load(url, token, args.clients, args.seconds,
                                                post)))
    sync.close()
    rows = []
    for name, results in runs.items():
        row = {k: statistics.median(r[k] for r in results)
               for k in ("requests", "rps", "p50", "p99", "errors")}
        if name == "reads, solving":
            row["note"] = (f"solve ran throughout ({len(results)}/{len(results)})"
                           if set(notes) == {"ran"} else f"solve: {', '.join(notes)}")
        rows.append((name, row))
    return rows


def print_table(rows: list[tuple[str, dict]], args) -> None:
    print(f"planning service on loopback: {args.clients} clients, {args.seconds:g} s per "
          f"phase, medians of {args.repeat}, {os.cpu_count()} cores")
    print(f"{'phase':<16}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}  note")
    for name, r in rows:
        print(f"{name:<16}{r['requests']:>9.0f}{r['rps']:>9.0f}{r['p50']:>9.1f}{r['p99']:>9.1f}"
              f"{r['errors']:>8.0f}  {r.get('note', '')}")
    idle, busy = rows[0][1], rows[1][1]
    print(f"reads while solving / idle: req/s x{busy['rps'] / idle['rps']:.2f}, "
          f"p50 x{busy['p50'] / idle['p50']:.2f}, p99 x{busy['p99'] / idle['p99']:.2f}")


if __name__ == "__main__":
    sys.exit(main())
