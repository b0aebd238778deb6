"""Map pages: weight and time to first draw in headless Chromium, write time.

Usage::

    python benchmarks/maps.py [--cases sample,200,1000] [--repeats 3] [--time-limit 30]
        [--baseline REV] [--network FILE.osm.pbf]

Rows: the bundled sample and 200 / 1,000 random sites on a real city network
(``benchmarks/_city.py`` on ``../shared/cities/heidelberg.osm.pbf``; those rows are
skipped with a message when the file is absent). Each case is planned once (OR-Tools,
``--time-limit`` s), then ``planner.write_day`` writes it ``--repeats`` times (median
write seconds). For the overview and for the driver page of the truck with the most
stops it reports the page weight (KB) and the time to first draw: Chromium loads the page
(``--repeats`` times, median) and the page records ``performance.now()`` two animation
frames after its scripts ran, i.e. when the map has been laid out and painted once.

``--baseline REV`` runs the same cases with the project as it was at git revision REV
(extracted with ``git archive`` into a temporary folder, planned and written there in a
subprocess) and prints its numbers and the ratio beside ours. The machine is shared:
the numbers are medians, and the ratios mean more than the seconds.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEIDELBERG = ROOT.parent / "shared" / "cities" / "heidelberg.osm.pbf"
CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"),
                             "/usr/bin/chromium") if p and os.access(p, os.X_OK)), None)
TRUCKS_PER_SITE = 1 / 30  # the city rows' fleet: a truck for every 30 sites

# Plans a case and writes its pages; run in this tree or in a baseline's tree.
WORKER = r"""
import json, statistics, sys, time
from pathlib import Path
case, out, repeats, time_limit, network, city_dir = sys.argv[1:7]
sys.path.insert(0, ".")
sys.path.append(city_dir)  # for _city; after the packages (this file is maps.py)
import planner
if case == "sample":
    scenario = planner.Scenario.from_file(planner.SAMPLE_SCENARIO)
    day = planner.plan_day(scenario)
else:
    import geodata
    from _city import city_scenario, write_city_sites
    n = int(case)
    G = geodata.load_network(network)
    csv = write_city_sites(G, n, Path(out).parent / f"sites-{n}.csv", seed=0)
    scenario = city_scenario(network, csv, max(2, round(n / 30)), engine="ortools",
                             time_limit_s=float(time_limit))
    day = planner.plan_day(scenario, G=G)
seconds = []
for _ in range(int(repeats)):
    started = time.perf_counter()
    files = planner.write_day(day, Path(out))
    seconds.append(time.perf_counter() - started)
stops = {r.vehicle_id: len(r.stops) for r in day.plan.routes}
print("RESULT " + json.dumps({"write_s": statistics.median(seconds), "stops": stops,
                              "files": {k: str(v) for k, v in files.items()}}))
"""

PROBE = """<script>
requestAnimationFrame(function () { requestAnimationFrame(function () {
  document.documentElement.setAttribute('data-first-draw', performance.now().toFixed(1));
}); });
</script>"""


_CALL_IDS = itertools.count(1)


async def _cdp(ws, method: str, **params) -> dict:
    """One DevTools protocol call on a tab's websocket; its result."""
    n = next(_CALL_IDS)
    await ws.write_message(json.dumps({"id": n, "method": method, "params": params}))
    while True:
        msg = json.loads(await ws.read_message())
        if msg.get("id") == n:
            return msg.get("result", {})


def first_draw_ms(page: Path, repeats: int, tmp: Path) -> float:
    """Median milliseconds from navigation to the second animation frame after load.

    Chromium runs headless with its DevTools protocol on a loopback port; each repeat
    navigates a fresh tab to the page and reads the time the probe script recorded.
    """
    import asyncio
    import urllib.request

    from tornado.websocket import websocket_connect

    probe = page.parent / f".probe-{page.name}"
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"),
                     encoding="utf-8")
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
           f"--user-data-dir={tmp / 'profile-cdp'}", "--window-size=412,915", "about:blank"]
    browser = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    try:
        port = None
        for line in browser.stderr:  # "DevTools listening on ws://127.0.0.1:PORT/..."
            found = re.search(r"ws://127\.0\.0\.1:(\d+)/", line)
            if found:
                port = int(found.group(1))
                break
        if port is None:
            return float("nan")
        # keep reading its log so that a full pipe never blocks the browser
        threading.Thread(target=browser.stderr.read, daemon=True).start()

        async def measure() -> list[float]:
            times = []
            for _ in range(repeats):
                req = urllib.request.Request(f"http://127.0.0.1:{port}/json/new?about:blank",
                                             method="PUT")
                with urllib.request.urlopen(req, timeout=30) as r:
                    target = json.loads(r.read())
                ws = await websocket_connect(target["webSocketDebuggerUrl"])
                await _cdp(ws, "Page.navigate", url=probe.as_uri())
                for _ in range(600):  # up to a minute
                    got = await _cdp(ws, "Runtime.evaluate", returnByValue=True, expression=(
                        "document.documentElement && "
                        "document.documentElement.getAttribute('data-first-draw')"))
                    value = got.get("result", {}).get("value")
                    if value:
                        times.append(float(value))
                        break
                    await asyncio.sleep(0.1)
                ws.close()
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/close/"
                                            f"{target['id']}", timeout=30):
                    pass
            return times

        times = asyncio.run(measure())
    finally:
        browser.terminate()
        browser.wait(timeout=30)
        probe.unlink()
    return statistics.median(times) if times else float("nan")


def run_case(tree: Path, case: str, out: Path, args: argparse.Namespace) -> dict | None:
    """Plan and write ``case`` with the project in ``tree``; None if it fails there."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    # the city sites come from this tree's benchmarks/_city.py, so both trees get the same
    done = subprocess.run([sys.executable, "-c", WORKER, case, str(out), str(args.repeats),
                           str(args.time_limit), str(args.network), str(ROOT / "benchmarks")],
                          cwd=tree, env=env,
                          capture_output=True, text=True, timeout=3600)
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        print(f"  {case} at {tree.name}: failed\n{done.stderr[-1500:]}", file=sys.stderr)
        return None
    result = json.loads(line[len("RESULT "):])
    files = {k: Path(v) for k, v in result["files"].items()}
    if not result["stops"]:
        print(f"  {case} at {tree.name}: the plan has no route", file=sys.stderr)
        return None
    busiest = max(result["stops"], key=result["stops"].get)
    driver = next(p for name, p in files.items()
                  if name.endswith(".html") and name.startswith("truck-") and busiest in name)
    tmp = out.parent / "chromium"
    return {
        "write_s": result["write_s"],
        "html_kb": sum(p.stat().st_size for n, p in files.items() if n.endswith(".html"))
        / 1024,
        "overview_kb": files["index.html"].stat().st_size / 1024,
        "overview_ms": first_draw_ms(files["index.html"], args.repeats, tmp),
        "driver_stops": result["stops"][busiest],
        "driver_kb": driver.stat().st_size / 1024,
        "driver_ms": first_draw_ms(driver, args.repeats, tmp),
    }


def baseline_tree(rev: str, into: Path) -> Path:
    """The project as it was at git revision ``rev``, extracted (read-only use)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev],
                             capture_output=True, check=True).stdout
    tree = into / f"baseline-{rev}"
    tree.mkdir(parents=True)
    tar = into / "baseline.tar"
    tar.write_bytes(archive)
    with tarfile.open(tar) as t:
        t.extractall(tree, filter="data")
    return tree


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default="sample,200,1000")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--time-limit", type=float, default=30.0, help="solver seconds per case")
    ap.add_argument("--baseline", default=None, help="git revision to compare with")
    ap.add_argument("--network", type=Path, default=HEIDELBERG)
    args = ap.parse_args(argv)
    if CHROMIUM is None:
        print("no chromium executable: install Debian's chromium to measure first draws")
        return 1
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    with tempfile.TemporaryDirectory(prefix="maps-bench-") as tmpdir:
        tmp = Path(tmpdir)
        base = baseline_tree(args.baseline, tmp) if args.baseline else None
        header = ("| case | pages | write s | HTML KB | overview KB | overview first draw ms "
                  "| busiest driver page (stops) | driver KB | driver first draw ms |")
        print(header)
        print("|" + "---|" * 9)
        for case in cases:
            if case != "sample" and not args.network.is_file():
                print(f"| {case} sites | skipped: {args.network} not found (a city extract; "
                      "see ../shared/cities/README.md) |")
                continue
            started = time.perf_counter()
            label = "sample" if case == "sample" else f"{case} sites"
            runs = [("ours", ROOT, "ours")]
            if base is not None:
                runs.append((f"at {args.baseline}", base, "base"))
            rows = []
            for who, tree, tag in runs:
                r = run_case(tree, case, tmp / f"{tag}-{case}" / "day", args)
                rows.append((who, r))
                if r is None:
                    print(f"| {label} | {who} | failed (see stderr) |", flush=True)
                    continue
                print(f"| {label} | {who} | {r['write_s']:.2f} | {r['html_kb']:.0f} | "
                      f"{r['overview_kb']:.0f} | {r['overview_ms']:.0f} | "
                      f"{r['driver_stops']} | {r['driver_kb']:.0f} | {r['driver_ms']:.0f} |",
                      flush=True)
            if len(rows) == 2 and rows[0][1] and rows[1][1]:
                a, b = rows[0][1], rows[1][1]
                ratio = {k: a[k] / b[k] if b[k] else float("nan")
                         for k in ("write_s", "html_kb", "overview_kb", "overview_ms",
                                   "driver_kb", "driver_ms")}
                print(f"| {label} | ratio ours/baseline | {ratio['write_s']:.2f} | "
                      f"{ratio['html_kb']:.2f} | {ratio['overview_kb']:.2f} | "
                      f"{ratio['overview_ms']:.2f} | | {ratio['driver_kb']:.2f} | "
                      f"{ratio['driver_ms']:.2f} |")
            print(f"  ({label}: {time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
