"""``routing.solve``: one entry point over the engines.

Engines see a ``Problem`` (numbers only) and return a ``Plan``; every plan is checked by
``check_plan`` before it is returned, so a caller never receives a plan that breaks a
rule. Big dumps are split into truck loads here, before any engine sees them.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from routing._check import check_plan, site_progress
from routing._errors import ProblemError
from routing._model import Problem
from routing._plan import Plan

logger = logging.getLogger(__name__)

ENGINES = ("ortools", "pyvrp", "auto")


@dataclass(frozen=True, slots=True)
class Progress:
    """A new best solution found during a solve (passed to the progress callback)."""

    engine: str
    seconds: float
    objective: float
    routes: int


ProgressCallback = Callable[[Progress], None]


def prepare(problem: Problem) -> Problem:
    """Split stops heavier than the largest truck into truck-sized loads."""
    prepared = problem.split_for_fleet()
    if prepared is not problem:
        logger.info("split %d heavy stop(s) into %d stops of at most %.1f t",
                    len(problem.stops) - sum(s.site_id == s.id for s in prepared.stops),
                    len(prepared.stops), problem.max_capacity_t)
    return prepared


def work_budget(problem: Problem, engine: str) -> int:
    """The iterations ``max_iterations="auto"`` gives ``engine`` for this problem.

    Sized to the number of stops so a small day stops by its budget (the same seed then
    gives the same plan) while a city's day, whose iterations cost more each, runs into
    its time limit first and uses all of it. OR-Tools counts solutions of its local
    search (the bundled sample: 100, about 8 s on 2 cores); PyVRP counts iterations of
    its iterated local search (the sample: 2,500, about 3 s).
    """
    n = len(problem.stops)
    if engine == "pyvrp":
        return 1000 + 30 * n
    return 10 + 2 * n


def solve(
    problem: Problem,
    *,
    engine: str = "ortools",
    time_limit: float = 10.0,
    seed: int = 0,
    max_iterations: int | str | None = None,
    progress: ProgressCallback | None = None,
) -> Plan:
    """Plan the day: routes for the fleet, checked before they are returned.

    Parameters
    ----------
    problem
        The problem. Stops heavier than the largest truck are split automatically.
    engine
        ``"ortools"``, ``"pyvrp"`` or ``"auto"`` (both at once, the better plan wins).
        Every engine plans every problem: breaks are placed after the search (see
        ``routing._repair``); OR-Tools refuses release dates.
    time_limit
        Wall-clock limit of the whole solve, in seconds, from this call to the checked
        plan (model building, search, placing breaks).
    seed
        Random seed; with an iteration budget that stops the search before the time
        limit, the same seed gives the same plan.
    max_iterations
        The search's work budget: a number of iterations, ``"auto"`` (sized to the
        problem per engine, see ``work_budget``) or ``None`` (time only).
    progress
        Called with a ``Progress`` at each new best solution of each engine.

    Returns
    -------
    Plan
        Routes, unassigned stops with reasons and codes, per-site progress; already
        checked. ``meta["search"]`` says what stopped the search (``"time_limit"`` or
        ``"iterations"``), after how many iterations of which budget;
        ``meta["fleet"]`` whether the fleet or the search was short
        (``routing._reasons.fleet_report``).

    Raises
    ------
    ProblemError
        Unknown engine, or an engine that cannot model this problem.
    PlanViolation
        If an engine returned a plan that breaks a rule (a bug, never a user error).
    """
    from routing._reasons import explain, fleet_report, screen
    from routing._repair import restore, without_breaks

    if engine not in ENGINES:
        raise ProblemError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if not (isinstance(time_limit, int | float) and math.isfinite(time_limit)
            and time_limit > 0):
        raise ProblemError(f"time_limit must be positive seconds, got {time_limit}")
    if not (max_iterations is None or max_iterations == "auto" or (
            isinstance(max_iterations, int) and not isinstance(max_iterations, bool)
            and max_iterations > 0)):
        raise ProblemError(f"max_iterations must be a whole number > 0, 'auto' or None, "
                           f"got {max_iterations!r}")
    started = time.perf_counter()
    prepared = prepare(problem)
    # The search stops early enough for the plan to be finished (breaks placed, reasons,
    # checks) by the time limit, not after it.
    deadline = time.time() + time_limit - finishing_reserve(prepared, engine, time_limit)
    options = {"seed": seed, "progress": progress}
    if engine == "auto":
        from routing._auto import solve_auto

        plan = solve_auto(prepared, time_limit=max(0.1, deadline - time.time()),
                          max_iterations=max_iterations, **options)
    else:
        from routing._auto import run_engine

        searched = run_engine(engine, without_breaks(prepared), deadline=deadline,
                              max_iterations=max_iterations, **options)
        plan = restore(prepared, searched)
    eligible, _ = screen(prepared)
    found = plan.meta.get("search", {}).get("stopped_by") != "no_solution"
    pending = [u.stop_id for u in plan.unassigned if not u.code]
    explained = {u.stop_id: u for u in explain(prepared, plan, pending, eligible=eligible,
                                               searched=found)}
    unassigned = tuple(explained.get(u.stop_id, u) for u in plan.unassigned)
    plan = replace(plan, unassigned=unassigned)
    plan = replace(
        plan,
        seed=seed,
        solve_seconds=round(time.perf_counter() - started, 3),
        sites=site_progress(problem, plan),
        meta={**plan.meta, "fleet": fleet_report(prepared, plan),
              "time_limit_s": time_limit},
    )
    check_plan(prepared, plan)
    logger.info(
        "%s: %d route(s), %.1f km, %d unassigned, cost %.1f in %.1f s",
        plan.engine, plan.trucks_used, plan.distance_km, len(plan.unassigned),
        plan.cost, plan.solve_seconds,
    )
    return plan


#: Seconds per stop that finishing a plan takes after the search, measured on 2,000 bins
#: (``benchmarks/limits.py``): about 0.3 s for one engine; under ``auto`` two plans cross
#: a process boundary and are restored and checked, about 0.5 s.
FINISH_S_PER_STOP = 1.5e-4
FINISH_S_PER_STOP_AUTO = 2.5e-4


def finishing_reserve(problem: Problem, engine: str, time_limit: float) -> float:
    """Seconds kept from the search for finishing the plan, at most a tenth of the limit."""
    per_stop = FINISH_S_PER_STOP_AUTO if engine == "auto" else FINISH_S_PER_STOP
    return min(0.1 * time_limit, 0.02 + per_stop * len(problem.stops))
