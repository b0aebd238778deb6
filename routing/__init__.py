"""Vehicle routing for sanitation fleets: problems and plans as numbers, two engines.

The engines see matrices, never OSM. Typical use::

    problem = Problem(duration_s=..., distance_m=..., stops=..., facilities=...,
                      depots=..., vehicles=...)
    plan = solve(problem, engine="ortools", time_limit=10, seed=0)
    check_plan(problem, plan)  # solve already did; tests do it again
"""

from routing._check import break_needed, check_plan, schedule_route, site_progress
from routing._errors import PlanViolation, ProblemError, RoutingError
from routing._io import (
    load_plan,
    load_problem,
    plan_from_dict,
    plan_to_dict,
    problem_from_dict,
    problem_to_dict,
    save_plan,
    save_problem,
)
from routing._model import (
    DEFAULT_STREAM,
    Break,
    Depot,
    Facility,
    Problem,
    Stop,
    Vehicle,
    split_large_stops,
)
from routing._plan import REASON_CODES, Plan, Route, SiteProgress, Unassigned, Visit
from routing._reasons import SEARCH_TEXTS, search_lines
from routing._solve import ENGINES, Progress, prepare, solve

__all__ = [
    "DEFAULT_STREAM",
    "ENGINES",
    "REASON_CODES",
    "SEARCH_TEXTS",
    "Break",
    "Depot",
    "Facility",
    "Plan",
    "PlanViolation",
    "Problem",
    "ProblemError",
    "Progress",
    "Route",
    "RoutingError",
    "SiteProgress",
    "Stop",
    "Unassigned",
    "Vehicle",
    "Visit",
    "break_needed",
    "check_plan",
    "load_plan",
    "load_problem",
    "plan_from_dict",
    "plan_to_dict",
    "prepare",
    "problem_from_dict",
    "problem_to_dict",
    "save_plan",
    "save_problem",
    "schedule_route",
    "search_lines",
    "site_progress",
    "solve",
    "split_large_stops",
]
