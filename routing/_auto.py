"""The ``auto`` engine: OR-Tools and PyVRP side by side, the better plan wins.

Each engine runs in its own process (``spawn`` context: no threads or solver state are
inherited), so on a two-core machine both get the whole time limit. "Better" means, in
order: fewer required stops left out, less priority-weighted work left out (a priority-1
stop weighs 16 times a priority-5 one), lower cost. Ties go to OR-Tools, the engine that
covers every problem. Where PyVRP cannot model the problem (breaks), OR-Tools runs alone
in this process.

Progress is reported once per engine, when it finishes (the engines' own callbacks live
in the child processes).
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

from routing._check import check_plan
from routing._errors import PlanViolation, RoutingError
from routing._model import Problem
from routing._plan import Plan
from routing._pyvrp import pyvrp_unsupported
from routing._solve import Progress

logger = logging.getLogger(__name__)

_WEIGHT = {1: 16, 2: 8, 3: 4, 4: 2, 5: 1}


def plan_score(problem: Problem, plan: Plan) -> tuple[int, float, float]:
    """Sort key of a plan: (required left out, weighted work left out, cost); lower wins."""
    required = 0
    weighted = 0.0
    for u in plan.unassigned:
        stop = problem.stop(u.stop_id)
        required += stop.required
        weighted += _WEIGHT[stop.priority] * max(stop.load_t, 1e-3)
    return required, round(weighted, 6), round(plan.cost, 6)


def _run_engine(engine: str, problem: Problem, options: dict) -> Plan:
    """Child-process entry point: run one engine (module-level so it pickles)."""
    logging.basicConfig(level=logging.WARNING)
    if engine == "pyvrp":
        from routing._pyvrp import solve_pyvrp

        return solve_pyvrp(problem, **options)
    from routing._ortools import solve_ortools

    return solve_ortools(problem, **options)


def solve_auto(
    problem: Problem,
    *,
    time_limit: float,
    seed: int = 0,
    max_iterations: int | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> Plan:
    """Run OR-Tools and PyVRP in parallel and return the better checked plan.

    Parameters
    ----------
    problem
        The prepared problem (heavy stops split).
    time_limit
        Wall-clock limit of *each* engine, in seconds (they run at the same time).
    seed, max_iterations
        Passed to both engines; with ``max_iterations`` the result is reproducible.
    progress
        Called with each engine's final ``Progress`` as it finishes.

    Returns
    -------
    Plan
        The winning engine's plan with ``engine="auto"``; ``meta["auto"]`` holds the
        winner and, per engine, its cost, unassigned count, feasibility and seconds (or
        the error it raised).

    Raises
    ------
    RoutingError
        If no engine produced a valid plan.
    """
    options = {"time_limit": time_limit, "seed": seed, "max_iterations": max_iterations,
               "progress": None}
    started = time.perf_counter()
    engines = ["ortools", "pyvrp"]
    if (reason := pyvrp_unsupported(problem)) is not None:
        logger.info("auto: OR-Tools only (%s)", reason)
        engines = ["ortools"]
    plans: dict[str, Plan] = {}
    report: dict[str, dict] = {}
    if len(engines) == 1:
        results = {"ortools": _attempt(lambda: _run_engine("ortools", problem, options))}
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=len(engines), mp_context=context) as pool:
            futures = {e: pool.submit(_run_engine, e, problem, options) for e in engines}
            results = {e: _attempt(f.result) for e, f in futures.items()}
    for engine, (plan, error) in results.items():
        seconds = round(time.perf_counter() - started, 3)
        if plan is not None:
            try:
                check_plan(problem, plan)
            except PlanViolation as exc:
                logger.error("auto: the %s plan breaks rules, discarded: %s", engine, exc)
                error = f"plan breaks rules: {exc.violations[:3]}"
                plan = None
        if plan is None:
            report[engine] = {"error": error}
            continue
        plans[engine] = plan
        report[engine] = {"cost": round(plan.cost, 6), "objective": plan.objective,
                          "unassigned": len(plan.unassigned), "feasible": True,
                          "solve_seconds": plan.solve_seconds}
        if progress is not None:
            progress(Progress(engine=engine, seconds=seconds, objective=plan.objective,
                              routes=plan.trucks_used))
    if not plans:
        raise RoutingError(f"auto: no engine produced a valid plan for {problem.name!r}: "
                           f"{report}")
    winner = min(plans, key=lambda e: (plan_score(problem, plans[e]), engines.index(e)))
    logger.info("auto: %s wins (%s)", winner,
                ", ".join(f"{e} {r.get('cost', r.get('error'))}" for e, r in report.items()))
    best = plans[winner]
    meta = {**best.meta, "auto": {"winner": winner, "engines": report}}
    return replace(best, engine="auto", meta=meta)


def _attempt(call: Callable[[], Plan]) -> tuple[Plan | None, str | None]:
    try:
        return call(), None
    except Exception as exc:  # an engine's failure must not sink the other's plan
        logger.warning("auto: an engine failed: %s: %s", type(exc).__name__, exc)
        return None, f"{type(exc).__name__}: {exc}"
