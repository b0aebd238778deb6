"""The auto engine: both engines, the better checked plan wins."""

import numpy as np
import pytest

import routing
from routing import Break, Depot, Plan, Problem, Stop, Unassigned, Vehicle
from routing._auto import plan_score, solve_auto


@pytest.fixture
def square() -> Problem:
    """Four stops on a 2 km square around the depot, two 2 t trucks, every stop 1 t."""
    pts = np.array([[0, 0], [1, 1], [1, -1], [-1, 1], [-1, -1]], dtype=float) * 1000
    dist = np.round(np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1)))
    return Problem(
        duration_s=dist / 10, distance_m=dist,
        stops=tuple(Stop(f"S{i}", i, load_t=1.0, priority=1 + i % 5) for i in range(1, 5)),
        facilities=(), depots=(Depot("D", 0),),
        vehicles=(Vehicle("T1", "D", capacity_t=2.0), Vehicle("T2", "D", capacity_t=2.0)),
        end_empty=False, name="square")


def _plan(cost: float, unassigned=()) -> Plan:
    from routing import Route

    route = Route("T1", (), 0.0, 0.0, 0.0, 0, cost)
    return Plan(routes=(route,), unassigned=tuple(unassigned), engine="x")


def test_score_prefers_less_urgent_work_left_over_lower_cost(square):
    # leaving the priority-2 stop S1 out is worse than any cost saving
    left = [Unassigned("S1", "S1", 1.0, "no room")]
    assert plan_score(square, _plan(10.0)) < plan_score(square, _plan(1.0, left))
    low = [Unassigned("S4", "S4", 1.0, "no room")]  # priority 5
    assert plan_score(square, _plan(1.0, low)) < plan_score(square, _plan(1.0, left))


def test_score_prefers_serving_required_stops(square):
    stops = tuple(s if s.id != "S4" else Stop("S4", 4, 1.0, priority=5, required=True)
                  for s in square.stops)
    problem = square.with_changes(stops=stops)
    required_left = [Unassigned("S4", "S4", 1.0, "no room")]
    urgent_left = [Unassigned("S1", "S1", 1.0, "no room"), Unassigned("S2", "S2", 1.0, "x")]
    assert plan_score(problem, _plan(50.0, urgent_left)) < plan_score(
        problem, _plan(1.0, required_left))


def test_auto_races_both_engines_when_trucks_take_a_lunch(square):
    # PyVRP used to refuse any truck with a break, which left auto to OR-Tools alone.
    lunch = Break(11 * 3600, 13 * 3600, 1800)
    vehicles = tuple(Vehicle(v.id, "D", capacity_t=2.0, break_=lunch,
                             shift=(10 * 3600, 14 * 3600)) for v in square.vehicles)
    # an hour and a half at each stop: every truck is out over lunch
    stops = tuple(Stop(s.id, s.location, s.load_t, service_s=5400) for s in square.stops)
    problem = square.with_changes(vehicles=vehicles, stops=stops)
    plan = solve_auto(problem, time_limit=3, seed=0, max_iterations=100)
    routing.check_plan(problem, plan)
    assert plan.engine == "auto"
    report = plan.meta["auto"]["engines"]
    assert set(report) == {"ortools", "pyvrp"}
    assert all("cost" in r for r in report.values()), report
    assert all(any(v.kind == "break" for v in r.visits) for r in plan.routes)


def test_auto_keeps_its_time_limit(square):
    # Starting two processes must eat into the search, not add to the wait: both engines
    # stop at one deadline counted from the call.
    import time

    started = time.perf_counter()
    routing.solve(square, engine="auto", time_limit=3, seed=0)
    assert time.perf_counter() - started < 3 + 2.0


def test_auto_hands_the_problem_over_in_a_file_it_removes(square, tmp_path, monkeypatch):
    # Both processes read one pickled copy while they start side by side (through the
    # process arguments the second could only start once the first had read its copy).
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    plan = solve_auto(square, time_limit=2, seed=0, max_iterations=50)
    report = plan.meta["auto"]["engines"]
    for engine, r in report.items():
        assert 0 < r["started_s"] <= r["seconds"], (engine, r)
    assert list(tmp_path.iterdir()) == []


def test_auto_without_a_writable_temp_folder_still_plans(square, tmp_path, monkeypatch, caplog):
    import tempfile

    gone = tmp_path / "missing"
    monkeypatch.setattr(tempfile, "tempdir", str(gone))
    with caplog.at_level("WARNING", logger="routing._auto"):
        plan = solve_auto(square, time_limit=2, seed=0, max_iterations=50)
    assert "no temporary file" in caplog.text
    assert set(plan.meta["auto"]["engines"]) == {"ortools", "pyvrp"}
    assert all("cost" in r for r in plan.meta["auto"]["engines"].values())
    routing.check_plan(square, plan)


@pytest.mark.slow
def test_auto_runs_both_and_keeps_the_better(square):
    seen = []
    plan = routing.solve(square, engine="auto", time_limit=2, seed=0, max_iterations=200,
                         progress=seen.append)
    routing.check_plan(square, plan)
    report = plan.meta["auto"]["engines"]
    assert set(report) == {"ortools", "pyvrp"}
    costs = {e: r["cost"] for e, r in report.items() if "cost" in r}
    assert plan.cost == pytest.approx(min(costs.values()))
    assert plan.meta["auto"]["winner"] in costs
    assert {p.engine for p in seen} == set(costs)
    # incumbents arrive as they are found, in time order per engine
    for engine in costs:
        times = [p.seconds for p in seen if p.engine == engine]
        assert times == sorted(times)


class _Process:
    """Stands in for an engine's process in ``_reap``: alive until terminated."""

    def __init__(self):
        self.exitcode = None
        self.terminated = False

    def is_alive(self):
        return not self.terminated

    def terminate(self):
        self.terminated = True


def test_a_late_engine_is_stopped_once_the_other_plan_is_in():
    import time

    from routing import _auto

    now = time.time()
    plan = Plan(engine="ortools", routes=(), unassigned=())
    # Past the deadline by more than LATE_S but well within GRACE_S.
    deadline = now - _auto.LATE_S - 0.5
    alone = {"ortools": _Process(), "pyvrp": _Process()}
    results: dict = {}
    _auto._reap(alone, results, deadline - 5, deadline)
    assert results == {} and not alone["pyvrp"].terminated  # no plan yet: GRACE_S applies
    results = {"ortools": (plan, None, 5.0)}
    procs = {"ortools": _Process(), "pyvrp": _Process()}
    _auto._reap(procs, results, deadline - 5, deadline)
    assert procs["pyvrp"].terminated and not procs["ortools"].terminated
    late_plan, error, _ = results["pyvrp"]
    assert late_plan is None and "did not finish within 3 s of the time limit" in error
