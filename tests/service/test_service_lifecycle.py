"""The service as a process: restarts, killed workers, a full queue, refusing to start."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from service_fixtures import SCENARIO, free_port, report, start_server, wait_plan

import routing

pytestmark = pytest.mark.slow


def worker_pid(db, plan_id: str) -> int | None:
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT worker_pid FROM plans WHERE id = ?", (plan_id,)).fetchone()
    return row[0] if row else None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def solving(plan: dict) -> bool:
    return plan["status"] == "running" and plan["progress"]["stage"] == "solving"


def checked(client, plan: dict) -> routing.Plan:
    """The plan's own files pass the checker."""
    base = plan["url"]
    problem = routing.problem_from_dict(client.get(f"{base}/problem.json").json())
    solved = routing.plan_from_dict(client.get(f"{base}/plan.json").json())
    routing.check_plan(problem, solved)
    return solved


def test_after_a_sigkill_and_a_restart_plans_and_sites_are_all_there(tmp_path):
    srv = start_server(tmp_path)
    try:
        c = srv.client()
        key = {"Idempotency-Key": "inspector-42-dump-1"}
        site = c.post("/v1/sites", json={"lon": 24.9452, "lat": 60.1688, "tonnes": 2.5},
                      headers=key).json()
        done = wait_plan(c, c.post("/v1/plans", json={"time_limit_s": 1}).json()["id"])
        assert done["status"] == "done", done
        overview = c.get(done["links"]["map"]).content
        sites_before = c.get("/v1/sites", params={"limit": 500}).json()
        # a second plan is solving when the service dies
        running_id = c.post("/v1/plans", json={"time_limit_s": 8}).json()["id"]
        wait_plan(c, running_id, until=(), check=solving)
        orphan = worker_pid(srv.db, running_id)
        srv.kill()
        # the orphaned worker notices and stops without writing
        wait_for(lambda: not alive(orphan), 10, f"worker {orphan} to stop")

        srv.start()  # same database
        c = srv.client()
        again = c.get(done["url"]).json()
        assert again["status"] == "done"
        assert again["result"] == done["result"] and again["links"] == done["links"]
        assert c.get(done["links"]["map"]).content == overview
        assert c.get("/v1/sites", params={"limit": 500}).json() == sites_before
        retry = c.post("/v1/sites", json={"lon": 24.9452, "lat": 60.1688, "tonnes": 2.5},
                       headers=key)
        assert retry.json()["site_id"] == site["site_id"]  # the retry is not a second dump
        assert c.get("/v1/sites", params={"limit": 500}).json()["total"] == sites_before["total"]

        failed = c.get(f"/v1/plans/{running_id}").json()
        assert failed["status"] == "failed"
        assert "service stopped" in failed["reason"] and "rerun" in failed["reason"]
        assert c.post(f"/v1/plans/{running_id}/rerun").status_code == 202
        rerun = wait_plan(c, running_id)
        assert rerun["status"] == "done" and rerun["attempt"] == 2
        checked(c, rerun)
    finally:
        srv.stop()


def test_a_worker_killed_mid_solve_leaves_the_plan_failed_with_the_reason_then_it_reruns(
        tmp_path):
    srv = start_server(tmp_path)
    try:
        c = srv.client()
        plan_id = c.post("/v1/plans", json={"time_limit_s": 5}).json()["id"]
        running = wait_plan(c, plan_id, until=(), check=solving)
        assert running["progress"]["elapsed_s"] > 0
        pid = worker_pid(srv.db, plan_id)
        assert pid and pid != srv.proc.pid
        # reads go on while it solves
        assert c.get("/v1/sites").status_code == 200
        os.kill(pid, signal.SIGKILL)
        failed = wait_plan(c, plan_id, timeout=15)
        assert failed["status"] == "failed"
        assert "killed by SIGKILL while solving" in failed["reason"]
        assert failed["rerun"] == f"/v1/plans/{plan_id}/rerun"
        assert c.get(f"/v1/plans/{plan_id}/map").status_code == 409  # no outputs

        assert c.post(f"/v1/plans/{plan_id}/rerun").status_code == 202
        done = wait_plan(c, plan_id)
        assert done["status"] == "done" and done["attempt"] == 2 and done["reason"] is None
        assert checked(c, done).routes
        assert c.get(done["links"]["map"]).status_code == 200
        wait_for(lambda: c.get("/v1/health").json()["running"] == 0, 10, "the worker to end")
    finally:
        srv.stop()


def test_a_burst_of_plans_beyond_the_queue_gets_429_with_retry_after_not_a_crash(tmp_path):
    srv = start_server(tmp_path, args=("--queue", "1", "--workers", "1"))
    try:
        c = srv.client()
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(
                lambda _: c.post("/v1/plans", json={"time_limit_s": 1}), range(8)))
        codes = [a.status_code for a in answers]
        assert set(codes) <= {202, 429}, codes
        accepted = [a.json()["id"] for a in answers if a.status_code == 202]
        refused = [a for a in answers if a.status_code == 429]
        assert 1 <= len(accepted) <= 2 and refused  # one solving, one waiting
        for a in refused:
            assert int(a.headers["retry-after"]) >= 1
            assert "queue is full" in a.json()["detail"][0]["msg"]
        assert c.get("/v1/health").status_code == 200  # not a crash
        for plan_id in accepted:  # the queue drains
            assert wait_plan(c, plan_id)["status"] == "done"

        # one service per database: a second one is refused, the first goes on
        second = subprocess.run(
            [sys.executable, "-m", "service", "--db", str(srv.db), "--port", str(free_port()),
             "--scenario", str(SCENARIO)], capture_output=True, text=True, timeout=120,
            check=False)
        assert second.returncode == 2 and "another service" in second.stderr
        assert c.get("/v1/health").status_code == 200
    finally:
        srv.stop()


def run_service(args, tmp_path, *, token=None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SANITATION_ROUTES_TOKEN"}
    if token:
        env["SANITATION_ROUTES_TOKEN"] = token
    return subprocess.run([sys.executable, "-m", "service", "--db", str(tmp_path / "x.db"),
                           "--port", str(free_port()), *args], capture_output=True, text=True,
                          env=env, timeout=120, check=False)


@pytest.mark.parametrize(("args", "token", "expected"), [
    (["--host", "0.0.0.0"], None, "SANITATION_ROUTES_TOKEN"),  # no token off loopback
    (["--scenario", "no-such.toml"], "t" * 20, "no-such.toml does not exist"),
])
def test_bad_settings_refuse_to_start_with_exit_code_2(tmp_path, args, token, expected):
    scenario = [] if "--scenario" in args else ["--scenario", str(SCENARIO)]
    done = run_service([*args, *scenario], tmp_path, token=token)
    assert done.returncode == 2, done.stderr
    assert expected in done.stderr and "Traceback" not in done.stderr


def test_a_broken_scenario_is_refused_naming_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[[fleet]]\nname = "a"\ncount = -1\ncapacity_t = 10\n')
    done = run_service(["--scenario", str(bad)], tmp_path, token="t" * 20)
    assert done.returncode == 2
    assert "bad.toml" in done.stderr and "count" in done.stderr
    assert "Traceback" not in done.stderr


def test_without_a_token_it_serves_reads_only_on_loopback(tmp_path):
    srv = start_server(tmp_path, token=None)
    try:
        c = srv.client(token=None)
        assert c.get("/v1/sites").json()["total"] == 4
        r = report(c)
        assert r.status_code == 403 and "reads only" in r.json()["detail"][0]["msg"]
        assert c.get("/v1/health").json()["writes"] is False
    finally:
        srv.stop()
