"""The maps tests' street grid (``tests/maps/maps_fixtures.py``), named in Chinese.

The streets and sites carry Chinese names, as a Heihe dispatcher's files would, and a
hand-made plan serves them, so pages, sheets and directions are written in a second.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import numpy as np

sys.path.append(str(Path(__file__).resolve().parents[1] / "maps"))
from maps_fixtures import FakeMatrix, grid_graph, snapped_sites

from routing import (
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

#: The grid's streets (``maps_fixtures``: "Rivi 0".."Rivi 3" west-east, "Sarake 0"..
#: "Sarake 3" south-north) under Chinese names.
STREETS = {"Rivi 0": "中央街", "Rivi 1": "和平路", "Rivi 2": "文化路", "Rivi 3": "新华街",
           "Sarake 0": "东一道街", "Sarake 1": "东二道街", "Sarake 2": "东三道街",
           "Sarake 3": "东四道街"}
SITE_NAMES = {"DEPOT": "环卫车场", "LF": "垃圾填埋场", "DS-1": "中央街拐角",
              "DS-2": "和平路院内", "DS-3": "大堆放点", "DS-4": "文化广场",
              "DS-5": "东二道街空地", "DS-OFF": "林子里", "DS-LOST": "被忘记的点"}



def chinese_day() -> dict:
    """A plan on the Chinese-named grid: two trucks, a split dump, two sites left out."""
    G = copy.deepcopy(grid_graph())
    for _, _, data in G.edges(data=True):
        data["name"] = STREETS[data["name"]]
    snapped = snapped_sites(G)
    snapped["name"] = snapped["site_id"].map(SITE_NAMES)
    matrix = FakeMatrix(G, snapped)
    loc = matrix.index
    stops = (Stop("DS-1", loc("DS-1"), 4.0, service_s=600),
             Stop("DS-2", loc("DS-2"), 3.0, service_s=600, window=(7 * 3600, 10 * 3600)),
             Stop("DS-3#1", loc("DS-3"), 6.0, service_s=600, site_id="DS-3"),
             Stop("DS-3#2", loc("DS-3"), 6.0, service_s=600, site_id="DS-3"),
             Stop("DS-4", loc("DS-4"), 2.5, service_s=600),
             Stop("DS-5", loc("DS-5"), 1.0, service_s=600))
    problem = Problem(
        duration_s=np.where(np.isinf(matrix.duration_s), 1e9, matrix.duration_s),
        distance_m=np.where(np.isinf(matrix.distance_m), 1e9, matrix.distance_m),
        stops=stops, facilities=(Facility("LF", loc("LF"), unload_s=900),),
        depots=(Depot("DEPOT", loc("DEPOT")),),
        vehicles=(Vehicle("T1", "DEPOT", capacity_t=8.0, shift=(6 * 3600, 16 * 3600)),
                  Vehicle("T2", "DEPOT", capacity_t=8.0, shift=(6 * 3600, 16 * 3600))),
        name="grid", location_names=matrix.site_ids)
    routes = (schedule_route(problem, "T1", ["DS-1", "DS-2", "LF", "DS-3#1", "LF"]),
              schedule_route(problem, "T2", ["DS-4", "DS-3#2", "LF"]))
    unassigned = (Unassigned("DS-5", "DS-5", 1.0, "not enough truck time in the shift to reach "
                             "it within 09:00-10:00", "hours", {"open": "09:00",
                                                                 "close": "10:00"}),)
    plan = Plan(routes=routes, unassigned=unassigned, engine="hand")
    plan = Plan(routes=plan.routes, unassigned=plan.unassigned, engine="hand",
                sites=site_progress(problem, plan))
    return dict(plan=plan, problem=problem, G=G, snapped=snapped, matrix=matrix)
