"""The plan runner: a bounded queue in the database and worker processes that drain it.

A thread of the web process claims queued plans (oldest first) while fewer than
``Settings.workers`` are running, starts one worker process per plan
(``python -m service._worker``), and watches them. A worker that ends without storing
its outcome (killed, crashed) leaves its plan ``failed`` with the reason; one that runs
past the solver time limit plus ``Settings.worker_grace_s`` is stopped the same way.
Every failed plan can be re-run with the same inputs.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

from service import _plans_db as plans
from service._db import Database
from service._settings import Settings

__all__ = ["PlanRunner", "exit_reason"]

logger = logging.getLogger(__name__)

POLL_S = 0.2
RESTART_REASON = ("the service stopped while this plan was running, so its worker ended "
                  "with it; re-run it (POST /v1/plans/{id}/rerun)")


def exit_reason(returncode: int, stage: str | None) -> str:
    """Why a worker that stored nothing ended, in words (``-9`` -> killed by SIGKILL)."""
    where = f" while {stage}" if stage else ""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        what = f"the worker process was killed by {name}{where}"
    else:
        what = f"the worker process exited with code {returncode}{where}"
    return f"{what}; nothing was saved. Re-run it (POST /v1/plans/{{id}}/rerun)"


@dataclass
class _Run:
    proc: subprocess.Popen
    attempt: int
    deadline: float


class PlanRunner:
    """Starts and watches the worker processes of queued plans.

    Parameters
    ----------
    db
        The service's database.
    settings
        ``workers``, ``worker_grace_s``, ``db_path`` and ``scenario_path`` are used.
    time_limit_s
        The scenario's solver time limit (s): a plan's own limit is at most this.
    """

    def __init__(self, db: Database, settings: Settings, *, time_limit_s: float) -> None:
        self.db, self.settings, self.time_limit_s = db, settings, time_limit_s
        self._runs: dict[str, _Run] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="plan-runner", daemon=True)

    # -- control ----------------------------------------------------------------------
    def start(self) -> list[str]:
        """Fail the plans a previous process left running, then start; their ids."""
        with self.db.connection() as conn, self.db.transaction(conn):
            stale = plans.fail_unfinished(conn, RESTART_REASON)
        if stale:
            logger.warning("%d plan(s) were running when the service stopped: marked failed "
                           "(%s)", len(stale), ", ".join(stale))
        self._thread.start()
        return stale

    def notify(self) -> None:
        """A plan was queued: look at the queue now rather than at the next poll."""
        self._wake.set()

    def stop(self, *, timeout: float = 5.0) -> None:
        """Stop the workers (their plans become failed, re-runnable) and the thread."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        for plan_id, run in list(self._runs.items()):
            run.proc.terminate()
            try:
                run.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                run.proc.kill()
                run.proc.wait(timeout)
            self._fail(plan_id, run.attempt, "the service was stopped while this plan was "
                       "running; re-run it (POST /v1/plans/{id}/rerun)")
        self._runs.clear()

    @property
    def running(self) -> int:
        """Worker processes alive now."""
        return len(self._runs)

    # -- the loop ---------------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._reap()
                self._fill()
            except Exception:  # keep the runner alive; the next poll retries
                logger.exception("plan runner")
            self._wake.wait(POLL_S)
            self._wake.clear()

    def _fill(self) -> None:
        while len(self._runs) < self.settings.workers and not self._stop.is_set():
            with self.db.connection() as conn, self.db.transaction(conn):
                claimed = plans.claim_next(conn)
                request = plans.get_plan(conn, claimed[0])["request"] if claimed else None
            if claimed is None:
                return
            plan_id, attempt = claimed
            limit = float(request.get("time_limit_s") or self.time_limit_s)
            cmd = [sys.executable, "-m", "service._worker", "--db", str(self.settings.db_path),
                   "--scenario", str(self.settings.scenario_path), "--plan", plan_id,
                   "--attempt", str(attempt), "--nice", str(self.settings.worker_nice)]
            try:
                # its own session: a Ctrl-C at the terminal stops the service, which then
                # stops its workers and records why
                proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, start_new_session=True)
            except OSError as exc:
                self._fail(plan_id, attempt, f"could not start a worker process ({exc}); "
                           "check the service's Python, then re-run it")
                continue
            deadline = time.monotonic() + limit + self.settings.worker_grace_s
            self._runs[plan_id] = _Run(proc, attempt, deadline)
            with self.db.connection() as conn, self.db.transaction(conn):
                plans.set_worker(conn, plan_id, attempt, proc.pid)
            logger.info("plan %s attempt %d: worker %d started", plan_id, attempt, proc.pid)

    def _reap(self) -> None:
        for plan_id, run in list(self._runs.items()):
            code = run.proc.poll()
            if code is None and time.monotonic() > run.deadline:
                run.proc.kill()
                run.proc.wait()
                del self._runs[plan_id]
                self._fail(plan_id, run.attempt, "the worker took longer than the solver time "
                           f"limit plus {self.settings.worker_grace_s:g} s and was stopped; "
                           "re-run it (POST /v1/plans/{id}/rerun), perhaps with a shorter "
                           "time_limit_s")
                continue
            if code is None:
                continue
            del self._runs[plan_id]
            with self.db.connection() as conn:
                row = plans.get_plan(conn, plan_id)
            if row and row["status"] == "running" and row["attempt"] == run.attempt:
                self._fail(plan_id, run.attempt, exit_reason(code, row["stage"]))
            logger.info("plan %s attempt %d: worker ended with code %s", plan_id,
                        run.attempt, code)

    def _fail(self, plan_id: str, attempt: int, reason: str) -> None:
        reason = reason.replace("{id}", plan_id)
        with self.db.connection() as conn, self.db.transaction(conn):
            if plans.fail_plan(conn, plan_id, reason, attempt=attempt):
                logger.warning("plan %s failed: %s", plan_id, reason)
