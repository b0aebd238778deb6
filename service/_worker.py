"""The worker process: plans one queued plan and stores what it made.

Started by the service as ``python -m service._worker --db ... --scenario ...``, which
imports the planner and then reads ``PLAN_ID ATTEMPT`` from its input (or with
``--plan ID --attempt N``). One process per solve: OR-Tools never runs two models in one
process, and the web process stays free to answer. It runs at a lower CPU priority, writes its stage
and best cost to the database twice a second, and stores the output files, the result
and ``done`` in one transaction. If the plan's attempt is no longer running (the service
restarted, or gave up on it) or the service process is gone, it stops without writing.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import i18n
from service import _plans_db as plans
from service._db import Database
from service.models import PLAN_ID

__all__ = ["main", "run"]

logger = logging.getLogger(__name__)

EXIT_DONE, EXIT_FAILED, EXIT_ABANDONED = 0, 1, 3
#: What runs after each pipeline step (``plan_day``'s ``on_step`` names the one finished).
NEXT_STAGE = {"network": "sites", "sites": "snapping", "snapping": "matrix",
              "matrix": "problem", "problem": "solving", "solve": "writing"}
HEARTBEAT_S = 0.5


class _Heartbeat:
    """Writes stage, best cost and elapsed time; stops the process if its run is over."""

    def __init__(self, db: Database, plan_id: str, attempt: int) -> None:
        self.db, self.plan_id, self.attempt = db, plan_id, attempt
        self.started = time.monotonic()
        self.parent = os.getppid()
        self.stage = "loading"
        self.best: float | None = None
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def step(self, name: str, seconds: float) -> None:
        with self.lock:
            self.stage = NEXT_STAGE.get(name, self.stage)

    def progress(self, p) -> None:
        with self.lock:
            if self.best is None or p.objective < self.best:
                self.best = float(p.objective)

    def write(self) -> bool:
        with self.lock:
            stage, best = self.stage, self.best
        with self.db.connection() as conn, self.db.transaction(conn):
            return plans.record_progress(conn, self.plan_id, self.attempt, stage=stage,
                                         best_cost=best,
                                         elapsed_s=round(time.monotonic() - self.started, 2))

    def _run(self) -> None:
        while not self.done.wait(HEARTBEAT_S):
            if os.getppid() != self.parent:
                logger.warning("plan %s: the service is gone; stopping", self.plan_id)
                os._exit(EXIT_ABANDONED)
            try:
                alive = self.write()
            except Exception:  # a locked database is retried at the next beat
                logger.warning("plan %s: could not record progress", self.plan_id,
                               exc_info=True)
                continue
            if not alive:
                logger.warning("plan %s attempt %d is no longer running; stopping",
                               self.plan_id, self.attempt)
                os._exit(EXIT_ABANDONED)


def run(db_path: Path, scenario_path: Path, plan_id: str, attempt: int) -> int:
    """Plan ``plan_id`` (this ``attempt``) and store the outcome.

    Returns
    -------
    int
        ``0`` done, ``1`` failed (the reason is stored), ``3`` abandoned (the attempt was
        no longer running; nothing stored).
    """
    db = Database(db_path, pool_size=2, create=False)
    with db.connection() as conn:
        row = plans.get_plan(conn, plan_id)
    if row is None or row["status"] != "running" or row["attempt"] != attempt:
        logger.warning("plan %s attempt %d is not running; nothing to do", plan_id, attempt)
        return EXIT_ABANDONED
    beat = _Heartbeat(db, plan_id, attempt)
    beat.thread.start()
    beat.write()
    # this job's texts (pages, sheets, reasons, errors) in the language it asked for
    with i18n.use(_request_language(row["request"])):
        return _plan_job(db, plan_id, attempt, row, beat, scenario_path)


def _request_language(request: Any) -> str | None:
    """The request's ``language``, when it is one the catalogs have (else the scenario's)."""
    lang = (request or {}).get("language") if isinstance(request, dict) else None
    try:
        return i18n.normalize(lang) if lang else None
    except i18n.LanguageError:
        return None


def _plan_job(db: Database, plan_id: str, attempt: int, row: Any, beat: _Heartbeat,
              scenario_path: Any) -> int:
    """Plan, write and store one job (see ``run_plan``); the exit code."""
    import geodata
    import planner
    import routing
    from service import _planning

    try:
        scenario = _planning.scenario_for(planner.Scenario.from_file(scenario_path),
                                          row["request"])
        sites = _planning.sites_frame(scenario, row["inputs"])
        day = planner.plan_day(scenario, progress=beat.progress, on_step=beat.step,
                               sites=sites)
        with tempfile.TemporaryDirectory(prefix="plan-") as tmp:
            out = Path(tmp) / "day"
            written = planner.write_day(day, out)
            routing.save_problem(day.problem, out / "problem.json")
            routing.save_plan(day.plan, out / "plan.json")
            files = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
        result = _planning.summarise(day)
        result["files"] = sorted(files)
        logger.info("plan %s: %d files (%s)", plan_id, len(files), ", ".join(sorted(written)))
    except (planner.ScenarioError, geodata.GeodataError, routing.RoutingError) as exc:
        return _fail(db, plan_id, attempt, beat,
                     i18n.gettext("cannot plan: {error}").format(error=exc))
    except Exception as exc:
        logger.exception("plan %s: unexpected error", plan_id)
        return _fail(db, plan_id, attempt, beat, f"internal error in the worker "
                     f"({type(exc).__name__}: {exc}); see the service log, then re-run it")
    beat.done.set()
    with beat.lock:  # a short solve may end before a heartbeat recorded any incumbent
        if beat.best is None:
            beat.best = float(day.plan.objective or day.plan.cost)
    beat.write()  # the final progress: the plan's cost and the whole elapsed time
    with db.connection() as conn, db.transaction(conn):
        stored = plans.finish_plan(conn, plan_id, attempt, result, files)
    return EXIT_DONE if stored else EXIT_ABANDONED


def _fail(db: Database, plan_id: str, attempt: int, beat: _Heartbeat, reason: str) -> int:
    beat.done.set()
    with db.connection() as conn, db.transaction(conn):
        plans.fail_plan(conn, plan_id, reason, attempt=attempt)
    return EXIT_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m service._worker`` (started by the service only)."""
    p = argparse.ArgumentParser(prog="python -m service._worker",
                                description="Solve one queued plan (started by the service).")
    p.add_argument("--db", required=True, type=Path)
    p.add_argument("--scenario", required=True, type=Path)
    p.add_argument("--plan", help="the plan id; default: read 'PLAN ATTEMPT' from stdin, "
                   "after the imports (a warm worker waiting for its plan)")
    p.add_argument("--attempt", type=int)
    p.add_argument("--nice", type=int, default=10, help="lower the CPU priority by this much")
    args = p.parse_args(argv)
    if args.nice:
        with contextlib.suppress(OSError, AttributeError):  # not on every platform
            os.nice(args.nice)
    plan_id, attempt = args.plan, args.attempt
    if plan_id is None:
        import geodata  # noqa: F401  (the slow imports, before the plan comes)
        import maps  # noqa: F401
        import planner  # noqa: F401
        import routing  # noqa: F401

        words = sys.stdin.readline().split()
        if len(words) != 2 or not re.fullmatch(PLAN_ID, words[0]) or not words[1].isdigit():
            return EXIT_ABANDONED  # the service stopped (or sent nothing usable)
        plan_id, attempt = words[0], int(words[1])
    elif attempt is None:
        p.error("--attempt is required with --plan")
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, force=True,
                        format=f"%(levelname)s worker {plan_id}: %(name)s: %(message)s")
    return run(args.db, args.scenario, plan_id, attempt)


if __name__ == "__main__":
    code = main()
    logging.shutdown()
    sys.stderr.flush()
    # everything is committed: skip the interpreter's teardown of geopandas, OR-Tools...
    # so the worker's slot frees at once
    os._exit(code)
