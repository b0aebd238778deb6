"""Campaign benchmark: the sample campaign (8 dumps, 12,000 t, 8 t trucks) with 10/15/20 trucks.

Usage: ``python benchmarks/campaign.py [repeats] [trucks ...]`` (default 3 repeats, 10 15 20
trucks). The network, sites and travel matrix are loaded once; each run times
``plan_campaign`` alone (allocation LPs, shuttle days, ``routing.check_plan`` of every
day) and the table shows the median. ``ratio`` is the planned days over the lower bound
rounded up to whole days (see ``planner._campaign``); the stated factor is
``days <= 1.25 * bound + 1``.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from planner import CAMPAIGN_SAMPLE, CampaignScenario, run_campaign
from planner._campaign_io import with_trucks


def main(argv: list[str]) -> int:
    repeats = int(argv[0]) if argv else 3
    fleets = [int(a) for a in argv[1:]] or [10, 15, 20]
    spec = CampaignScenario.from_file(CAMPAIGN_SAMPLE)
    G = None
    header = (f"{'trucks':>6} {'days':>5} {'bound':>6} {'bound_d':>7} {'ratio':>6} "
              f"{'trips':>6} {'tonnes':>8} {'km':>8} {'seconds':>8} {'with_io':>8} {'ok':>3}")
    print(f"sample campaign: {CAMPAIGN_SAMPLE.name}, median of {repeats} run(s)")
    print(header)
    print("-" * len(header))
    for trucks in fleets:
        times, totals = [], []
        for _ in range(repeats):
            t0 = time.perf_counter()
            run = run_campaign(with_trucks(spec, trucks), G=G)
            totals.append(time.perf_counter() - t0)
            G = run.G
            times.append(run.campaign.solve_seconds)
        c = run.campaign
        b = c.bound
        ok = b.whole_days <= c.working_days <= 1.25 * b.whole_days + 1
        print(f"{trucks:>6} {c.working_days:>5} {b.days:>6.2f} {b.whole_days:>7} "
              f"{c.ratio:>6.2f} {c.trips:>6} {c.tonnes:>8.0f} {c.distance_km:>8.1f} "
              f"{statistics.median(times):>8.2f} {statistics.median(totals):>8.2f} "
              f"{'yes' if ok else 'NO':>3}")
    print("\nbound = max(truck-hours needed / truck-hours a day, slowest dump's loads / its "
          "daily loading cap); bound_d rounds it up; ratio = days / bound_d;\nseconds = "
          "plan_campaign alone; with_io = sites, snapping, matrix and plan (network loaded "
          "once)")
    return 0


if __name__ == "__main__":
    t0 = time.perf_counter()
    code = main(sys.argv[1:])
    print(f"total {time.perf_counter() - t0:.1f} s")
    raise SystemExit(code)
