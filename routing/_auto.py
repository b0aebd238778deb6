"""The ``auto`` engine: OR-Tools and PyVRP side by side, the better plan wins.

Each engine runs in its own process (``spawn`` context: no threads or solver state are
inherited, and OR-Tools never holds two models in one process), so on a two-core machine
both search for the whole time limit. Both stop at the same wall-clock deadline, counted
from the moment ``solve_auto`` is called, so starting the processes eats into the search,
not into the dispatcher's wait. To keep that start short the problem is pickled once to
a temporary file that both processes read while they start side by side (through the
process arguments the second process could only start once the first had read its
copy: 5 s of a 10 s limit at 2,000 stops). Each engine's new best solutions travel back
through a queue and reach the progress callback as they are found.

"Better" means, in order: fewer required stops left out, less priority-weighted work left
out (a priority-1 stop weighs 16 times a priority-5 one), lower cost. Ties go to
OR-Tools. Both engines see the problem with its breaks paid for
(``routing._repair.without_breaks``); each plan gets its breaks back and is checked
before the two are compared.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import queue as queues
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace

from routing._check import check_plan
from routing._errors import PlanViolation, RoutingError
from routing._model import Problem
from routing._plan import Plan
from routing._repair import restore, without_breaks
from routing._solve import Progress

logger = logging.getLogger(__name__)

ENGINES = ("ortools", "pyvrp")
_WEIGHT = {1: 16, 2: 8, 3: 4, 4: 2, 5: 1}
#: Seconds past the deadline an engine process may take to hand its plan back (building
#: the plan from the solver's routes, pickling it) before it is stopped, while no engine
#: has a plan yet.
GRACE_S = 30.0
#: Once one engine's plan is in, seconds past the deadline the other may still take: the
#: time limit is a promise to the dispatcher, so a late engine is stopped and the plan in
#: hand wins (``meta["auto"]`` says the other was late).
LATE_S = 3.0


def plan_score(problem: Problem, plan: Plan) -> tuple[int, float, float]:
    """Sort key of a plan: (required left out, weighted work left out, cost); lower wins."""
    required = 0
    weighted = 0.0
    for u in plan.unassigned:
        stop = problem.stop(u.stop_id)
        required += stop.required
        weighted += _WEIGHT[stop.priority] * max(stop.load_t, 1e-3)
    return required, round(weighted, 6), round(plan.cost, 6)


def run_engine(engine: str, problem: Problem, *, deadline: float, seed: int,
               max_iterations: int | None, progress: Callable | None) -> Plan:
    """Run one engine until the wall-clock ``deadline`` (``time.time()`` seconds).

    ``max_iterations="auto"`` becomes the engine's ``routing.work_budget``; the plan's
    ``meta["search"]`` then says so (``budget_rule``).
    """
    from routing._solve import work_budget

    rule = "auto" if max_iterations == "auto" else None
    if rule:
        max_iterations = work_budget(problem, engine)
    time_limit = max(0.1, deadline - time.time())
    options = {"time_limit": time_limit, "seed": seed, "max_iterations": max_iterations,
               "progress": progress}
    if engine == "pyvrp":
        from routing._pyvrp import solve_pyvrp

        plan = solve_pyvrp(problem, **options)
    else:
        from routing._ortools import solve_ortools

        plan = solve_ortools(problem, **options)
    search = {**plan.meta.get("search", {}), "engine": engine, "budget_rule": rule,
              "sized_for_stops": len(problem.stops), "time_limit_s": round(time_limit, 3)}
    return replace(plan, meta={**plan.meta, "search": search})


def _child(engine: str, problem: str | Problem, options: dict, started: float, out) -> None:
    """Entry point of an engine process: progress and the result go to ``out``.

    ``problem`` is the path of its pickle (or, when none could be written, the problem).
    Progress times are counted from
    ``started`` (``time.time()`` of the parent's call), so both engines' lines share one
    clock; the first progress line says when the engine began (``"started"``).
    """
    logging.basicConfig(level=logging.WARNING)

    def relay(p: Progress) -> None:
        out.put(("progress", engine, replace(p, seconds=round(time.time() - started, 3))))

    try:
        if isinstance(problem, str):
            with open(problem, "rb") as f:
                problem = pickle.load(f)
        out.put(("started", engine, round(time.time() - started, 3)))
        plan = run_engine(engine, problem, progress=relay, **options)
    except Exception as exc:  # reported to the parent, which keeps the other plan
        out.put(("error", engine, f"{type(exc).__name__}: {exc}"))
    else:
        out.put(("plan", engine, plan))


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
        The prepared problem (heavy stops split), breaks included.
    time_limit
        Wall-clock limit in seconds, counted from this call; both engines search
        until then, at the same time.
    seed, max_iterations
        Passed to both engines; with ``max_iterations`` the result is reproducible.
    progress
        Called with each engine's ``Progress`` as it finds a new best solution.

    Returns
    -------
    Plan
        The winning engine's plan with ``engine="auto"``; ``meta["auto"]`` holds the
        winner and, per engine, its cost, unassigned count, seconds to its plan and
        ``started_s`` (when its process had read the problem and began), or the error it
        raised; ``meta`` also keeps the winner's own entries (``search``...).

    Raises
    ------
    RoutingError
        If no engine produced a valid plan.
    """
    started = time.time()
    deadline = started + time_limit
    searched = without_breaks(problem)
    options = {"deadline": deadline, "seed": seed, "max_iterations": max_iterations}
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    problem_file = _write_problem(searched)
    handed = problem_file or searched
    results: dict[str, tuple[Plan | None, str | None, float]] = {}
    processes: dict = {}
    begun: dict[str, float] = {}
    try:
        processes = {e: context.Process(target=_child, name=f"routing-{e}", daemon=True,
                                        args=(e, handed, options, started, out))
                     for e in ENGINES}  # fmt: skip
        for p in processes.values():
            p.start()
        while len(results) < len(processes):
            try:
                kind, engine, payload = out.get(timeout=0.2)
            except queues.Empty:
                _reap(processes, results, started, deadline)
                continue
            if kind == "started":
                begun[engine] = payload
                logger.info("auto: %s began %.2f s after the call", engine, payload)
            elif kind == "progress":
                if progress is not None:
                    progress(payload)
            elif engine not in results:
                plan, error = (payload, None) if kind == "plan" else (None, payload)
                results[engine] = (plan, error, round(time.time() - started, 3))
            if time.time() > deadline:  # a late engine's progress must not keep it alive
                _reap(processes, results, started, deadline)
    finally:
        for p in processes.values():
            if p.is_alive():
                p.terminate()
            p.join(timeout=5)
        if problem_file:
            os.unlink(problem_file)
    return _pick(problem, results, begun)


def _write_problem(problem: Problem) -> str | None:
    """Pickle ``problem`` to a temporary file; None (logged) if the temp folder refuses."""
    try:
        fd, path = tempfile.mkstemp(prefix="routing-auto-", suffix=".pickle")
    except OSError as exc:
        logger.warning("auto: no temporary file (%s); the engines get the problem through "
                       "their process arguments, one after the other", exc)  # fmt: skip
        return None
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(problem, f, protocol=pickle.HIGHEST_PROTOCOL)
    except OSError as exc:
        os.unlink(path)
        logger.warning("auto: cannot write %s (%s); the engines get the problem through "
                       "their process arguments, one after the other", path, exc)  # fmt: skip
        return None
    return path


def _reap(processes: dict, results: dict, started: float, deadline: float) -> None:
    """Record engines whose process died, or that overran the deadline.

    An engine may overrun by ``GRACE_S`` while no plan is in, by ``LATE_S`` once the other
    engine has handed one back.
    """
    have_plan = any(plan is not None for plan, _, _ in results.values())
    grace = LATE_S if have_plan else GRACE_S
    for engine, p in processes.items():
        if engine in results:
            continue
        if not p.is_alive() and p.exitcode not in (0, None):
            results[engine] = (None, f"the {engine} process died (exit code {p.exitcode})",
                               round(time.time() - started, 3))
        elif time.time() > deadline + grace:
            p.terminate()
            results[engine] = (None, f"{engine} did not finish within {grace:g} s of "
                               "the time limit", round(time.time() - started, 3))


def _pick(problem: Problem, results: dict, begun: dict[str, float]) -> Plan:
    plans: dict[str, Plan] = {}
    report: dict[str, dict] = {}
    for engine in ENGINES:
        plan, error, seconds = results[engine]
        start = {"started_s": begun[engine]} if engine in begun else {}
        if plan is not None:
            try:
                plan = restore(problem, plan)
                check_plan(problem, plan)
            except PlanViolation as exc:
                logger.error("auto: the %s plan breaks rules, discarded: %s", engine, exc)
                error, plan = f"plan breaks rules: {exc.violations[:3]}", None
        if plan is None:
            logger.warning("auto: %s gave no plan: %s", engine, error)
            report[engine] = {"error": error, "seconds": seconds, **start}
            continue
        plans[engine] = plan
        report[engine] = {"cost": round(plan.cost, 6), "objective": plan.objective,
                          "unassigned": len(plan.unassigned), "seconds": seconds, **start,
                          "search": plan.meta.get("search")}
    if not plans:
        raise RoutingError(f"auto: no engine produced a valid plan for {problem.name!r}: "
                           f"{report}")
    winner = min(plans, key=lambda e: (plan_score(problem, plans[e]), ENGINES.index(e)))
    logger.info("auto: %s wins (%s)", winner,
                ", ".join(f"{e} {r.get('cost', r.get('error'))}" for e, r in report.items()))
    best = plans[winner]
    return replace(best, engine="auto",
                   meta={**best.meta, "auto": {"winner": winner, "engines": report}})
