"""Benchmark readers: the best-known routes must cost exactly the best-known cost."""

from pathlib import Path

import pytest

import routing
from benchmarks._readers import (
    plan_routes,
    read_instance,
    read_sol,
    routes_cost,
    routes_plan,
)

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "benchmarks"

TINY_VRP = """NAME : tiny-n4-k2
TYPE : CVRP
DIMENSION : 4
EDGE_WEIGHT_TYPE : EUC_2D
CAPACITY : 10
NODE_COORD_SECTION
1 0 0
2 3 4
3 0 7
4 -2 0
DEMAND_SECTION
1 0
2 6
3 4
4 5
DEPOT_SECTION
1
-1
EOF
"""

TINY_SOL = """Route #1: 1 2
Route #2: 3
Cost 20
"""


@pytest.fixture
def tiny(tmp_path) -> Path:
    """Three customers; the solution 0-1-2-0 (5 + 4 + 7) and 0-3-0 (2 + 2) costs 20."""
    vrp = tmp_path / "tiny-n4-k2.vrp"
    vrp.write_text(TINY_VRP)
    (tmp_path / "tiny-n4-k2.sol").write_text(TINY_SOL)
    return vrp


def test_tiny_vrplib_instance_reads_into_a_problem(tiny):
    inst = read_instance(tiny, kind="x")
    p = inst.problem
    assert [s.id for s in p.stops] == ["1", "2", "3"]
    assert [s.load_t for s in p.stops] == [6.0, 4.0, 5.0]
    assert p.distance_m[0, 1] == 5  # (0,0)-(3,4)
    assert p.distance_m[1, 2] == 4  # (3,4)-(0,7): sqrt(18) = 4.24, rounded
    assert not p.end_empty and not p.facilities
    assert len(p.vehicles) == 2 + 2  # k plus a margin of two


def test_tiny_sol_cost_is_recomputed(tiny):
    inst = read_instance(tiny, kind="x")
    routes, cost = read_sol(inst.sol_path)
    assert routes == [[1, 2], [3]]
    assert routes_cost(inst, routes) == cost == 20
    plan = routes_plan(inst, routes)
    routing.check_plan(inst.problem, plan)
    assert plan_routes(plan) == routes


CASES = [("cvrp_x", "X-n101-k25.vrp"), ("solomon", "C101.txt"),
         ("solomon", "R101.txt"), ("mtvrptwr", "C201R0.25.vrp")]


@pytest.mark.parametrize(("folder", "name"), CASES)
def test_bks_routes_reproduce_bks_cost(folder, name):
    path = SHARED / folder / name
    if not path.exists():
        pytest.skip(f"benchmark instances not found at {path} (../shared/benchmarks)")
    inst = read_instance(path)
    routes, _ = read_sol(inst.sol_path)
    assert inst.bks is not None
    assert routes_cost(inst, routes) == pytest.approx(inst.bks, abs=1e-9)


@pytest.mark.parametrize(("folder", "name"), CASES)
def test_bks_routes_pass_the_checker(folder, name):
    path = SHARED / folder / name
    if not path.exists():
        pytest.skip(f"benchmark instances not found at {path} (../shared/benchmarks)")
    inst = read_instance(path)
    routes, _ = read_sol(inst.sol_path)
    routing.check_plan(inst.problem, routes_plan(inst, routes))
