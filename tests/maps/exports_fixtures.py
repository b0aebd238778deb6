"""Day variants on the maps test grid for the sheet, summary and page tests.

``windowed_day`` is the conftest plan's day with time windows, opening hours, a lunch
break and (optionally) two waste streams, so the outputs have every column to show.
"""

from __future__ import annotations

import dataclasses

import numpy as np

import maps
from routing import (
    Break,
    Depot,
    Facility,
    Plan,
    Problem,
    Stop,
    Unassigned,
    Vehicle,
    schedule_route,
    site_progress,
)

H = 3600


def windowed_problem(matrix, *, streams: bool = False) -> Problem:
    """DS-2 is served 07:00-09:00 only, the landfill opens 06:00-15:00, T1 breaks 07:30-08:00."""
    loc = matrix.index
    glass = "glass" if streams else "mixed"
    stops = [Stop("DS-1", loc("DS-1"), 4.0, service_s=600),
             Stop("DS-2", loc("DS-2"), 3.0, service_s=600, window=(7 * H, 9 * H),
                  stream=glass),
             Stop("DS-3#1", loc("DS-3"), 6.0, service_s=600, site_id="DS-3"),
             Stop("DS-3#2", loc("DS-3"), 6.0, service_s=600, site_id="DS-3"),
             Stop("DS-4", loc("DS-4"), 2.5, service_s=600),
             Stop("DS-5", loc("DS-5"), 1.0, service_s=600, window=(10 * H, 11 * H))]
    return Problem(
        duration_s=np.where(np.isinf(matrix.duration_s), 1e9, matrix.duration_s),
        distance_m=np.where(np.isinf(matrix.distance_m), 1e9, matrix.distance_m),
        stops=tuple(stops),
        facilities=(Facility("LF", loc("LF"), unload_s=900, window=(6 * H, 15 * H)),),
        depots=(Depot("DEPOT", loc("DEPOT")),),
        vehicles=(Vehicle("T1", "DEPOT", capacity_t=8.0, shift=(6 * H, 16 * H),
                          break_=Break(7 * H + 1800, 8 * H, 1800), fixed_cost=100.0,
                          cost_per_km=1.5, cost_per_hour=30.0),
                  Vehicle("T2", "DEPOT", capacity_t=8.0, shift=(6 * H, 16 * H)),
                  Vehicle("T3", "DEPOT", capacity_t=8.0, shift=(7 * H, 15 * H))),
        name="grid", location_names=matrix.site_ids,
    )


def windowed_plan(problem: Problem, *, meta: dict | None = None) -> Plan:
    """T1 serves DS-2 first (so it leaves late for DS-2's window), T2 the rest; T3 idle."""
    r1 = schedule_route(problem, "T1", ["DS-2", "DS-1", "LF", "DS-3#1", "LF"])
    r2 = schedule_route(problem, "T2", ["DS-4", "DS-3#2", "LF"])
    unassigned = (
        Unassigned("DS-5", "DS-5", 1.0, "its window 10:00-11:00 cannot be met", code="window",
                   details={"open": "10:00", "close": "11:00"}),
        Unassigned("DS-OFF", "DS-OFF", 2.0, "off network: 600 m from the nearest street",
                   code="off_network"),
    )
    p = Plan(routes=(r1, r2), unassigned=unassigned, engine="hand", seed=0,
             meta=dict(meta or {}))
    return dataclasses.replace(p, sites=site_progress(problem, p))


def windowed_context(G, snapped, matrix, *, streams: bool = False, meta: dict | None = None):
    """The plan context of the windowed day (``maps.build_context``)."""
    problem = windowed_problem(matrix, streams=streams)
    plan = windowed_plan(problem, meta=meta)
    return maps.build_context(plan, problem=problem, G=G, snapped=snapped, matrix=matrix,
                              date="2024-05-01", title="Grid day")
