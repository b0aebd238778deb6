"""``routing.solve``: one entry point over the engines.

Engines see a ``Problem`` (numbers only) and return a ``Plan``; every plan is checked by
``check_plan`` before it is returned, so a caller never receives a plan that breaks a
rule. Big dumps are split into truck loads here, before any engine sees them.
"""

from __future__ import annotations

import logging
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
                    sum(s.load_t > problem.max_capacity_t for s in problem.stops),
                    len(prepared.stops), problem.max_capacity_t)
    return prepared


def solve(
    problem: Problem,
    *,
    engine: str = "ortools",
    time_limit: float = 10.0,
    seed: int = 0,
    max_iterations: int | None = None,
    progress: ProgressCallback | None = None,
) -> Plan:
    """Plan the day: routes for the fleet, checked before they are returned.

    Parameters
    ----------
    problem
        The problem. Stops heavier than the largest truck are split automatically.
    engine
        ``"ortools"`` (always available), ``"pyvrp"`` (where its model covers the
        problem: no breaks) or ``"auto"`` (both, the better plan wins).
    time_limit
        Wall-clock limit of the search, in seconds.
    seed
        Random seed; with ``max_iterations`` set the result is reproducible.
    max_iterations
        Stop after this many search iterations (deterministic); ``None``: time only.
    progress
        Called with a ``Progress`` at each new best solution.

    Returns
    -------
    Plan
        Routes, unassigned stops with reasons, per-site progress; already checked.

    Raises
    ------
    ProblemError
        Unknown engine, or an engine that cannot model this problem.
    PlanViolation
        If an engine returned a plan that breaks a rule (a bug, never a user error).
    """
    if engine not in ENGINES:
        raise ProblemError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if time_limit <= 0:
        raise ProblemError(f"time_limit must be positive seconds, got {time_limit}")
    prepared = prepare(problem)
    started = time.perf_counter()
    options = {"time_limit": time_limit, "seed": seed, "max_iterations": max_iterations,
               "progress": progress}
    if engine == "ortools":
        from routing._ortools import solve_ortools

        plan = solve_ortools(prepared, **options)
    elif engine == "pyvrp":
        from routing._pyvrp import solve_pyvrp

        plan = solve_pyvrp(prepared, **options)
    else:
        from routing._auto import solve_auto

        plan = solve_auto(prepared, **options)
    plan = replace(
        plan,
        seed=seed,
        solve_seconds=round(time.perf_counter() - started, 3),
        sites=site_progress(problem, plan),
    )
    check_plan(prepared, plan)
    logger.info(
        "%s: %d route(s), %.1f km, %d unassigned, cost %.1f in %.1f s",
        plan.engine, plan.trucks_used, plan.distance_km, len(plan.unassigned),
        plan.cost, plan.solve_seconds,
    )
    return plan
