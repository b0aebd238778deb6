"""What a sweep runs on the workers: one variant's day or campaign, as a pure function.

Each task gets the variant, its scenario and its folder, and the shared inputs (network,
sites, snapped sites, travel matrix) that ``planner.sweep`` scattered once; it builds the
problem with ``build_problem``, solves it with ``routing.solve`` and writes the folder a
daily plan (``write_day``) or a campaign (``write_campaign``) writes. A user mistake in
a variant (a closed facility that leaves no landfill) is returned as a row with its
error, never raised, so the other variants finish.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import routing
from planner._campaign_io import CampaignRun, CampaignScenario
from planner._errors import ScenarioError
from planner._pipeline import WORK_KINDS, DayResult, build_problem, write_day
from planner._scenario import Scenario

if TYPE_CHECKING:
    from planner._sweep import Variant

__all__ = ["PLAN_FILE", "day_row", "run_campaign_variant", "run_day_variant", "solve_problem"]

logger = logging.getLogger(__name__)

#: The plan of a day variant, beside its maps (``routing.load_plan`` reads it).
PLAN_FILE = "plan.json"
# One solver per process even on a worker with several threads (see planner._sweep).
_SOLVE_LOCK = threading.Lock()


def _text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, tuple | list):
        return "+".join(map(str, value)) or "none"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _row(variant: Variant, scenario: Scenario, folder: Path | str, **values: Any) -> dict:
    row = {k: _text(v) if k == "closed" else v for k, v in variant.changes}
    row.update(variant=variant.number, label=variant.label, status="planned", error="",
               trucks=scenario.num_trucks, folder=str(folder))
    row.update(values)
    return row


def _failure(variant: Variant, scenario: Scenario, exc: BaseException) -> dict:
    message = str(exc).strip() or type(exc).__name__
    return _row(variant, scenario, "", status="failed",
                error=f"{type(exc).__name__}: {message}")


def solve_problem(scenario: Scenario, problem: routing.Problem,
                  left_out: Sequence[routing.Unassigned]) -> routing.Plan:
    """Solve as ``plan_day`` does, one model per process; ``left_out`` joins unassigned.

    Raises
    ------
    ScenarioError
        The ``auto`` engine on a daemonic worker, which may not start the child processes
        it runs its engines in (the message says how to start the workers).
    """
    solver = scenario.solver
    if not problem.stops:
        plan = routing.Plan(routes=(), unassigned=(), engine=solver.engine, seed=solver.seed)
        return dataclasses.replace(plan, unassigned=tuple(left_out))
    try:
        with _SOLVE_LOCK:
            plan = routing.solve(problem, engine=solver.engine, time_limit=solver.time_limit_s,
                                 seed=solver.seed, max_iterations=solver.max_iterations)
    except AssertionError as exc:  # multiprocessing's own check, on a daemonic worker
        if "daemonic" not in str(exc) or not multiprocessing.current_process().daemon:
            raise
        raise ScenarioError("<sweep>", f"engine {solver.engine} runs its engines as child "
                            "processes, which a daemonic Dask worker may not start; start "
                            "the workers with DASK_DISTRIBUTED__WORKER__DAEMON=False, or "
                            "vary engine=ortools") from None
    return dataclasses.replace(plan, unassigned=tuple(left_out) + tuple(plan.unassigned))


def day_row(day: DayResult) -> dict:
    """The numbers of a planned day as sweep columns (km, hours, tonnes, unassigned...)."""
    plan = day.plan
    work = day.unassigned_work
    row = {"trucks_used": plan.trucks_used, "km": round(plan.distance_km, 3),
           "hours": round(plan.duration_h, 3), "tonnes": round(plan.tonnes, 3),
           "unassigned": len(work), "unassigned_t": round(sum(u.load_t for u in work), 3),
           "solve_s": round(plan.solve_seconds, 3)}
    search = plan.meta.get("search")
    if search is not None:  # what stopped the search: a budget (reproducible) or the clock
        row["search"] = search
        if isinstance(search, dict) and search.get("stopped_by"):
            row["stopped_by"] = str(search["stopped_by"])
    return row


def run_day_variant(variant: Variant, scenario: Scenario, folder: Path, G: Any, sites: Any,
                    snapped: Any, matrix: Any) -> dict:
    """Plan one variant's day and write its folder; the row, or the error as a row."""
    started = time.perf_counter()
    try:
        problem, left_out = build_problem(snapped, matrix, scenario.fleet, name=scenario.name,
                                          closed_facilities=scenario.closed_facilities,
                                          facility_streams=scenario.accepted_streams())
        plan = solve_problem(scenario, problem, left_out)
        day = DayResult(scenario=scenario, G=G, sites=sites, snapped=snapped, matrix=matrix,
                        problem=problem, plan=plan)
        write_day(day, folder, force=True)  # force: keep our plan.json of a previous run
        routing.save_plan(plan, folder / PLAN_FILE)
        row = _row(variant, scenario, folder, **day_row(day))
    except (ScenarioError, routing.RoutingError, routing.PlanViolation) as exc:
        logger.info("variant %s failed: %s", variant.label, exc)
        row = _failure(variant, scenario, exc)
    row["task_s"] = round(time.perf_counter() - started, 3)
    return row


def run_campaign_variant(variant: Variant, spec: CampaignScenario, folder: Path, maps: str,
                         G: Any, snapped: Any, matrix: Any) -> dict:
    """Plan one variant's campaign and write its folder; the row, or the error as a row."""
    from planner._campaign import plan_campaign
    from planner._campaign_io import write_campaign

    started = time.perf_counter()
    scenario = spec.scenario
    try:
        closed = set(scenario.closed_facilities)
        problem, left_out = build_problem(snapped, matrix, scenario.fleet, name=scenario.name,
                                          closed_facilities=closed,
                                          facility_streams=scenario.accepted_streams())
        rows = {str(r["site_id"]): r for r in snapped.to_dict("records")}
        dumps = _dumps(spec, problem, rows)
        calendar = dataclasses.replace(spec.calendar, closures=tuple(
            c for c in spec.calendar.closures if c[1] not in closed))
        campaign = plan_campaign(problem.with_changes(stops=()), dumps, calendar,
                                 max_days=spec.max_days)
        lost = tuple(u for u in left_out if rows.get(u.site_id, {}).get("kind") in WORK_KINDS)
        campaign = dataclasses.replace(campaign, unassigned=lost + campaign.unassigned)
        write_campaign(CampaignRun(spec, campaign, G, snapped, matrix), folder, maps=maps)
        days = [d for d in campaign.days if d.plan is not None]
        row = _row(variant, scenario, folder,
                   trucks_used=max((d.trucks_used for d in days), default=0),
                   km=round(campaign.distance_km, 3),
                   hours=round(sum(d.plan.duration_h for d in days), 3),
                   tonnes=round(campaign.tonnes, 3),
                   unassigned=len({u.site_id for u in campaign.unassigned}),
                   unassigned_t=round(sum(u.load_t for u in campaign.unassigned), 3),
                   solve_s=campaign.solve_seconds, working_days=campaign.working_days,
                   lower_bound_days=campaign.bound.whole_days, trips=campaign.trips)
    except (ScenarioError, routing.RoutingError, routing.PlanViolation) as exc:
        logger.info("variant %s failed: %s", variant.label, exc)
        row = _failure(variant, scenario, exc)
    row["task_s"] = round(time.perf_counter() - started, 3)
    return row


def _dumps(spec: CampaignScenario, problem: routing.Problem, rows: Mapping[str, Any]) -> list:
    """The campaign's dumps: the problem's stops with their loading rates."""
    from planner._campaign import CampaignError, Dump

    rates = {sid: (lm, ld) for sid, lm, ld in spec.rates}
    unknown = sorted(set(rates) - set(rows))
    if unknown:
        raise CampaignError(spec.scenario.source, f"campaign.dumps: unknown site id(s) {unknown}")
    dumps = []
    for stop in problem.stops:
        row = rows[stop.site_id]
        load_min, loaders = rates.get(stop.site_id, (_number(row, "load_min", spec.load_min),
                                                     _number(row, "loaders", spec.loaders)))
        dumps.append(Dump(stop.site_id, stop.location, stop.load_t, load_min=float(load_min),
                          loaders=int(loaders), priority=stop.priority, window=stop.window))
    return dumps


def _number(row: Mapping[str, Any], column: str, default: float) -> float:
    try:
        value = float(row.get(column))
    except (TypeError, ValueError):
        return default
    return value if value == value else default  # NaN: the campaign's default
