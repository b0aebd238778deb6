"""The plan runner: a bounded queue in the database and worker processes that drain it.

A thread of the web process claims queued plans (oldest first) while fewer than
``Settings.workers`` are running, hands each to its own worker process
(``python -m service._worker``; one is kept started, its imports done, while a slot is
free, so a plan starts at once), and watches them. A worker that ends without storing
its outcome (killed, crashed) leaves its plan ``failed`` with the reason; one that runs
past the solver time limit plus ``Settings.worker_grace_s`` is stopped the same way.
Every failed plan can be re-run with the same inputs.
"""

from __future__ import annotations

import collections
import contextlib
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
_worker_log = logging.getLogger("service.worker")

POLL_S = 0.2
SPARE_BACKOFF_S = 30
RESTART_REASON = ("the service stopped while this plan was running, so its worker ended "
                  "with it; re-run it (POST /v1/plans/{id}/rerun)")


def exit_reason(returncode: int, stage: str | None, last_error: str = "") -> str:
    """Why a worker that stored nothing ended, in words (``-9`` -> killed by SIGKILL).

    ``last_error`` is the last line the worker wrote to its error output, if any.
    """
    where = f" while {stage}" if stage else ""
    if last_error:
        where += f" ({last_error[:300]})"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        what = f"the worker process was killed by {name}{where}"
    else:
        what = f"the worker process exited with code {returncode}{where}"
    return f"{what}; nothing was saved. Re-run it (POST /v1/plans/{{id}}/rerun)"


_TAILS: dict[int, collections.deque[str]] = {}


def _relay(proc: subprocess.Popen, tail: collections.deque[str]) -> None:
    """Copy a worker's error output to the service's, keeping its last lines."""
    for raw in proc.stderr:
        line = raw.decode("utf-8", "replace").rstrip()
        if line:
            tail.append(line)
            _worker_log.warning("[%d] %s", proc.pid, line)


def _last_error(proc: subprocess.Popen) -> str:
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(1)
    time.sleep(0.05)  # let the relay read the last lines
    tail = _TAILS.pop(proc.pid, None) or ()
    return next((line for line in reversed(tail) if not line.startswith(" ")), "")


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
        self._spare: subprocess.Popen | None = None
        self._spare_after = 0.0
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
        if self._spare is not None:
            self._spare.stdin.close()  # a waiting worker ends when its input does
            try:
                self._spare.wait(timeout)
            except subprocess.TimeoutExpired:
                self._spare.kill()
                self._spare.wait(timeout)
            self._spare = None

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
                break
            plan_id, attempt = claimed
            limit = float(request.get("time_limit_s") or self.time_limit_s)
            try:
                proc = self._hand_over(plan_id, attempt)
            except OSError as exc:
                self._fail(plan_id, attempt, f"could not start a worker process ({exc}); "
                           "check the service's Python, then re-run it")
                continue
            deadline = time.monotonic() + limit + self.settings.worker_grace_s
            self._runs[plan_id] = _Run(proc, attempt, deadline)
            with self.db.connection() as conn, self.db.transaction(conn):
                plans.set_worker(conn, plan_id, attempt, proc.pid)
            logger.info("plan %s attempt %d: worker %d started", plan_id, attempt, proc.pid)
        # a warm worker (imports done) waits for the next plan, but only while a slot is
        # free: it never takes CPU from a running solve
        if self._spare is not None and self._spare.poll() is not None:
            logger.warning("the waiting worker ended with code %s; the next starts in %d s",
                           self._spare.returncode, SPARE_BACKOFF_S)
            self._spare, self._spare_after = None, time.monotonic() + SPARE_BACKOFF_S
        if (self._spare is None and len(self._runs) < self.settings.workers
                and not self._stop.is_set() and time.monotonic() >= self._spare_after):
            self._spare = self._start_worker()

    def _start_worker(self) -> subprocess.Popen:
        cmd = [sys.executable, "-m", "service._worker", "--db", str(self.settings.db_path),
               "--scenario", str(self.settings.scenario_path), "--nice",
               str(self.settings.worker_nice)]
        # its own session: a Ctrl-C at the terminal stops the service, which then stops its
        # workers and records why; its error output goes to the service's log (and, when it
        # stores nothing, its last line into the plan's reason)
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, start_new_session=True)
        tail: collections.deque[str] = collections.deque(maxlen=20)
        _TAILS[proc.pid] = tail
        threading.Thread(target=_relay, args=(proc, tail), name=f"worker-{proc.pid}-log",
                         daemon=True).start()
        return proc

    def _hand_over(self, plan_id: str, attempt: int) -> subprocess.Popen:
        """Give the plan to the warm worker, or to a new one if there is none."""
        proc, self._spare = self._spare, None
        for _ in range(2):
            if proc is None or proc.poll() is not None:
                proc = self._start_worker()
            try:
                proc.stdin.write(f"{plan_id} {attempt}\n".encode())
                proc.stdin.close()
                return proc
            except (BrokenPipeError, ValueError):  # it died meanwhile: start another
                proc.wait()
                proc = None
        raise OSError("the worker process ended before it took the plan")

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
                self._fail(plan_id, run.attempt,
                           exit_reason(code, row["stage"], _last_error(run.proc)))
            _TAILS.pop(run.proc.pid, None)
            logger.info("plan %s attempt %d: worker ended with code %s", plan_id,
                        run.attempt, code)

    def _fail(self, plan_id: str, attempt: int, reason: str) -> None:
        reason = reason.replace("{id}", plan_id)
        with self.db.connection() as conn, self.db.transaction(conn):
            if plans.fail_plan(conn, plan_id, reason, attempt=attempt):
                logger.warning("plan %s failed: %s", plan_id, reason)
