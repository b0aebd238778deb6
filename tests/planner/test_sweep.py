"""Scenario sweeps on Dask: a LocalCluster, a real scheduler and workers, failures, equality.

Every search here stops on an iteration budget (``max_iterations``) well inside its time
limit, so a plan is the same wherever it is computed: that is what makes "the sweep
equals the variants planned one by one" a fair test.
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from sweep_fixtures import write_city

import planner
import routing
from planner import ScenarioError, apply_variant, variants_from

BUDGET = {"max_iterations": [20]}  # ~0.5 s a variant on the sample; stops the search
TRUCKS = {"trucks": [2, 3, 4], **BUDGET}


@pytest.fixture(scope="module")
def sample():
    # OR-Tools alone: one process per variant (auto would race two engines in each)
    scenario = planner.Scenario.from_file(planner.SAMPLE_SCENARIO)
    return dataclasses.replace(scenario, solver=dataclasses.replace(
        scenario.solver, engine="ortools", time_limit_s=60))


@pytest.fixture(scope="module")
def client():
    """A two-worker LocalCluster, one thread per worker (one OR-Tools model per process)."""
    import dask
    from distributed import Client, LocalCluster

    # not daemonic, as run_plan.py makes it, so the auto engine could start its engines
    with dask.config.set({"distributed.worker.daemon": False}), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                         dashboard_address=":0") as cluster, Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def three(sample, client, tmp_path_factory):
    """The sample with 2, 3 and 4 trucks, swept on the LocalCluster."""
    out = tmp_path_factory.mktemp("sweep")
    seen = []
    result = planner.sweep(sample, TRUCKS, client=client, out_dir=out,
                           on_result=lambda row, done, total: seen.append((done, total)))
    return result, out, seen


def _problem(scenario, G=None):
    """The variant's problem as the pipeline builds it (to check a plan against)."""
    from planner._sweep import shared_inputs

    _, _, snapped, matrix = shared_inputs(scenario, G=G)
    problem, _ = planner.build_problem(snapped, matrix, scenario.fleet,
                                       closed_facilities=scenario.closed_facilities)
    return problem


@pytest.mark.slow
def test_three_variants_on_a_local_cluster(three, sample):
    result, out, seen = three
    assert [r["trucks"] for r in result.rows] == [2, 3, 4]
    assert all(r["status"] == "planned" for r in result.rows), result.failed
    assert result.workers == 2
    # progress: one call per finished task, done counting up to the total
    assert seen == [(1, 3), (2, 3), (3, 3)]
    table = pd.read_csv(out / "sweep.csv")
    assert list(table["trucks"]) == [2, 3, 4]
    assert {"km", "hours", "tonnes", "unassigned", "unassigned_t", "solve_s", "stopped_by",
            "folder"} <= set(table.columns)
    doc = json.loads((out / "sweep.json").read_text())
    assert doc["mode"] == "day" and len(doc["rows"]) == 3 and doc["workers"] == 2
    assert (out / "sweep.png").read_bytes()[:4] == b"\x89PNG"
    # more trucks never leave more sites unassigned (2 trucks cannot serve all 220 t)
    left = [r["unassigned"] for r in result.rows]
    assert left == sorted(left, reverse=True) and left[0] > 0 == left[-1]
    for row in result.rows:
        folder = Path(row["folder"])
        assert folder.parent == out.resolve()
        assert (folder / "index.html").is_file() and (folder / "summary.json").is_file()
        plan = routing.load_plan(folder / "plan.json")
        routing.check_plan(_problem(apply_variant(sample, variants_from(
            {"trucks": [row["trucks"]]})[0])), plan)
        assert row["km"] == pytest.approx(plan.distance_km, abs=1e-3)


@pytest.mark.slow
def test_equal_to_planning_the_variants_one_by_one(three, sample):
    result, _, _ = three
    # the budget, not the clock, stopped every search: what makes the comparison fair
    assert all(r.get("stopped_by") != "time_limit" for r in result.rows)
    for variant, row in zip(variants_from(TRUCKS), result.rows, strict=True):
        day = planner.plan_day(apply_variant(sample, variant))  # what run_plan.py does
        routing.check_plan(day.problem, day.plan)
        assert (row["km"], row["unassigned"], row["trucks_used"], row["tonnes"]) == (
            round(day.plan.distance_km, 3), len(day.unassigned_work), day.plan.trucks_used,
            round(day.plan.tonnes, 3)), variant.label


@pytest.mark.slow
def test_a_failing_variant_is_reported_and_the_others_finish(sample, client, tmp_path):
    # the sample has one facility: closing it leaves no landfill (build_problem refuses)
    variants = [{"trucks": 3, "closed": ["TRANSFER"], "max_iterations": 20},
                {"trucks": 3, "closed": "none", "max_iterations": 20}]
    result = planner.sweep(sample, variants, client=client, out_dir=tmp_path)
    bad, good = result.rows
    assert bad["status"] == "failed" and "no open landfill" in bad["error"]
    assert bad["closed"] == "TRANSFER" and bad["folder"] == ""
    assert good["status"] == "planned" and good["unassigned"] == 0
    assert result.failed == (bad,)
    table = pd.read_csv(tmp_path / "sweep.csv", keep_default_na=False)
    assert list(table["status"]) == ["failed", "planned"]
    assert "no open landfill" in table.loc[0, "error"]
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == [
        "02-trucks-3-closed-none-max_iterations-20"]


def test_a_closed_id_that_is_no_facility_is_refused_up_front(sample, tmp_path):
    with pytest.raises(ScenarioError, match=r"\['EAST'\] are not facilities .* known: "
                       r"\['TRANSFER'\]"):
        planner.sweep(sample, {"closed": ["EAST", "none"]}, client=None, out_dir=tmp_path)
    assert not list(tmp_path.glob("*/index.html"))  # nothing was planned


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def scheduler_address():
    """``dask scheduler`` and two ``dask worker --nthreads 1`` processes on loopback."""
    from distributed import Client

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask_cli = [sys.executable, "-m", "dask"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    procs = [subprocess.Popen([*dask_cli, "scheduler", "--host", "127.0.0.1", "--port",
                               str(port), "--dashboard-address", ":0"], **quiet)]
    try:
        env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}  # as the README
        procs.append(subprocess.Popen([*dask_cli, "worker", address, "--nthreads", "1",
                                       "--nworkers", "2", "--no-dashboard"], env=env, **quiet))
        deadline = time.monotonic() + 60
        while True:  # the scheduler takes a moment to listen
            try:
                with Client(address, timeout="5s") as c:
                    c.wait_for_workers(2, timeout=60)
                break
            except OSError:
                if time.monotonic() > deadline or procs[0].poll() is not None:
                    raise
                time.sleep(0.5)
        yield address
        with Client(address, timeout="5s") as c:
            c.shutdown()  # retires the workers, then stops the scheduler: quicker than signals
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


@pytest.mark.slow
def test_the_same_sweep_on_a_scheduler_and_workers(three, scheduler_address, tmp_path, capsys):
    import run_plan

    code = run_plan.main(["sweep", "--cluster", scheduler_address, "--vary", "trucks=2,3,4",
                          "--vary", "max_iterations=20", "--vary", "time_limit=60",
                          "--vary", "engine=ortools", "--out", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert f"the scheduler at {scheduler_address} of 2 worker(s)" in captured.err
    assert "[3/3]" in captured.err  # progress as tasks finish
    remote = pd.read_csv(tmp_path / "sweep.csv")
    local = three[0].table()
    cols = ["trucks", "trucks_used", "km", "hours", "tonnes", "unassigned", "unassigned_t"]
    pd.testing.assert_frame_equal(remote[cols], local[cols], check_dtype=False)
    assert all((Path(f) / "index.html").is_file() for f in remote["folder"])


@pytest.mark.slow
def test_districts_on_a_scheduler_and_workers_equal_serial(scheduler_address, tmp_path,
                                                          capsys):
    import run_plan

    toml, _, _ = write_city(tmp_path)
    serial = planner.plan_districts(planner.Scenario.from_file(toml), client=None,
                                    out_dir=tmp_path / "serial")
    code = run_plan.main(["districts", "--scenario", str(toml), "--cluster", scheduler_address,
                          "--out", str(tmp_path / "remote")])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "[2/2] district" in captured.err
    cols = ["district", "trucks", "trucks_used", "km", "tonnes", "unassigned"]
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "remote" / "districts.csv")[cols],
                                  serial.table()[cols], check_dtype=False)
    assert (tmp_path / "remote" / "overview" / "index.html").is_file()


def test_the_cli_local_cluster_is_one_thread_per_worker_process():
    import multiprocessing

    from planner._sweep_cli import dask_client

    with dask_client(None, tasks=5, workers=2) as c:
        assert list(c.nthreads().values()) == [1, 1]
        # not daemonic: the auto engine may start its two engines as child processes
        daemonic = c.run(lambda: multiprocessing.current_process().daemon)
        assert set(daemonic.values()) == {False}


@pytest.mark.slow
def test_days_plans_a_campaign_per_variant(sample, client, tmp_path):
    result = planner.sweep(sample, {"trucks": [1, 3]}, client=client, out_dir=tmp_path, days=5,
                           campaign_maps="none")
    one, three = result.rows
    assert one["status"] == three["status"] == "planned", result.failed
    assert one["working_days"] >= three["working_days"] >= 1
    assert one["tonnes"] == three["tonnes"] == pytest.approx(220.4, abs=0.05)
    assert one["unassigned_t"] == three["unassigned_t"] == 0
    folder = Path(three["folder"])
    assert (folder / "summary.csv").is_file() and (folder / "remaining.png").is_file()
    assert not list(folder.glob("day-*"))  # campaign_maps="none"
    assert "working_days" in pd.read_csv(tmp_path / "sweep.csv").columns


def test_cross_product_and_sweep_tables(tmp_path):
    variants = variants_from({"trucks": ["10", 12], "closed": ["EAST+WEST", "none"]})
    assert [v.label for v in variants] == [
        "trucks=10 closed=EAST+WEST", "trucks=10 closed=none",
        "trucks=12 closed=EAST+WEST", "trucks=12 closed=none"]
    assert variants[0].values == {"trucks": 10, "closed": ("EAST", "WEST")}
    assert variants[1].values["closed"] == ()
    assert variants[3].folder == "04-trucks-12-closed-none"
    text = planner.SAMPLE_SCENARIO.read_text()
    path = tmp_path / "s.toml"
    path.write_text(text.replace('files = ["sample"]', f'files = ["{tmp_path}/x.csv"]')
                    + '\n[[sweep]]\ntrucks = 2\n\n[[sweep]]\ntrucks = 3\nengine = "pyvrp"\n')
    scenario, tables = planner.read_sweep_file(path)
    assert isinstance(scenario, planner.Scenario)
    assert [v.label for v in variants_from(tables)] == ["trucks=2", "trucks=3 engine=pyvrp"]


def test_apply_variant_changes_what_it_names(sample):
    v = variants_from({"trucks": [2], "capacity": [8.5], "engine": ["pyvrp"],
                       "time_limit": [5], "closed": ["TRANSFER"], "seed": [0]})[0]
    s = apply_variant(sample, v)
    assert (s.num_trucks, s.fleet[0].capacity_t, s.solver.engine, s.solver.time_limit_s,
            s.closed_facilities, s.solver.seed) == (2, 8.5, "pyvrp", 5.0, ("TRANSFER",), 0)
    assert s.fleet[0].break_min == sample.fleet[0].break_min  # the rest unchanged


@pytest.mark.parametrize(("variations", "message"), [
    ({"trucks": ["x"]}, "trucks = 'x' is not valid"),
    ({"trucks": [0]}, "trucks = 0 is not valid"),
    ({"engine": ["fast"]}, "engine = 'fast' is not valid"),
    ({"depots": [2]}, "unknown variation 'depots'"),
    ([], "nothing to vary"),
])
def test_bad_variations_are_named(variations, message):
    with pytest.raises(ScenarioError, match=message):
        variants_from(variations)


@pytest.mark.parametrize(("argv", "message"), [
    (["--vary", "trucks"], "write KEY=V1,V2"),
    (["--vary", "trucks=2", "--vary", "trucks=3"], "trucks is given twice"),
    (["--vary", "color=red"], "unknown variation 'color'"),
    (["--scenario", "missing.toml", "--vary", "trucks=2"], "missing.toml: file does not exist"),
    ([], "nothing to vary"),
])
def test_cli_bad_input_exits_2_with_the_fix(argv, message, capsys, tmp_path):
    import run_plan

    assert run_plan.main(["sweep", *argv, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_an_unreachable_scheduler_is_bad_input():
    from planner._sweep_cli import dask_client

    address = f"tcp://127.0.0.1:{_free_port()}"  # nothing listens there
    with pytest.raises(ScenarioError, match="cannot reach a Dask scheduler at .* start one "
                       "with `dask scheduler`"), \
            dask_client(address, tasks=1, timeout="1s"):
        pass  # pragma: no cover
