"""Fixtures of the maps tests: see maps_fixtures.py for the grid, sites and fake matrix."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
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


@pytest.fixture(scope="session")
def G() -> nx.MultiDiGraph:  # noqa: N802 (the conventional graph name)
    return grid_graph()


@pytest.fixture(scope="session")
def snapped(G) -> gpd.GeoDataFrame:
    return snapped_sites(G)


@pytest.fixture(scope="session")
def matrix(G, snapped) -> FakeMatrix:
    return FakeMatrix(G, snapped)


@pytest.fixture(scope="session")
def problem(matrix) -> Problem:
    loc = matrix.index
    stops = [Stop("DS-1", loc("DS-1"), 4.0, service_s=600),
             Stop("DS-2", loc("DS-2"), 3.0, service_s=600),
             Stop("DS-3#1", loc("DS-3"), 6.0, service_s=600, site_id="DS-3"),
             Stop("DS-3#2", loc("DS-3"), 6.0, service_s=600, site_id="DS-3"),
             Stop("DS-4", loc("DS-4"), 2.5, service_s=600),
             Stop("DS-5", loc("DS-5"), 1.0, service_s=600)]
    return Problem(
        duration_s=np.where(np.isinf(matrix.duration_s), 1e9, matrix.duration_s),
        distance_m=np.where(np.isinf(matrix.distance_m), 1e9, matrix.distance_m),
        stops=tuple(stops),
        facilities=(Facility("LF", loc("LF"), unload_s=900),),
        depots=(Depot("DEPOT", loc("DEPOT")),),
        vehicles=(Vehicle("T1", "DEPOT", capacity_t=8.0), Vehicle("T2", "DEPOT", capacity_t=8.0),
                  Vehicle("T3", "DEPOT", capacity_t=8.0)),
        name="grid", location_names=matrix.site_ids,
    )


@pytest.fixture(scope="session")
def plan(problem) -> Plan:
    r1 = schedule_route(problem, "T1", ["DS-1", "DS-2", "LF", "DS-3#1", "LF"])
    r2 = schedule_route(problem, "T2", ["DS-4", "DS-3#2", "LF"])
    unassigned = (
        Unassigned("DS-5", "DS-5", 1.0, "no truck time left"),
        Unassigned("DS-OFF", "DS-OFF", 2.0, "off network: 600 m from the nearest street"),
    )
    p = Plan(routes=(r1, r2), unassigned=unassigned, engine="hand", seed=0)
    return Plan(routes=p.routes, unassigned=p.unassigned, engine="hand",
                sites=site_progress(problem, p))


@pytest.fixture()
def out_dir(tmp_path) -> Path:
    return tmp_path / "out"
