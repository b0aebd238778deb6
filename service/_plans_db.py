"""Plans in the database: the queue, the worker's progress, results and output files.

A plan is ``queued`` (waiting for a worker), ``running``, ``done`` or ``failed`` (with the
reason). Each run of a plan has an ``attempt`` number; a worker's writes name it, so a
worker that outlived its run (the service restarted, the plan was re-run) changes nothing.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import statistics
from collections.abc import Mapping
from typing import Any

from service._db import now_iso

__all__ = [
    "claim_next",
    "fail_plan",
    "fail_unfinished",
    "file_names",
    "finish_plan",
    "get_plan",
    "insert_plan",
    "list_plans",
    "plan_file",
    "queued_count",
    "recent_duration_s",
    "record_progress",
    "requeue",
    "set_worker",
]


def _plan(row: sqlite3.Row) -> dict[str, Any]:
    d = dict(row)
    for key in ("request", "inputs", "result"):
        d[key] = None if d[key] is None else json.loads(d[key])
    return d


def insert_plan(conn: sqlite3.Connection, request: Mapping[str, Any],
                inputs: list[dict[str, Any]]) -> dict[str, Any]:
    """Queue a new plan for ``request`` made from the sites ``inputs``; its row."""
    at = now_iso()
    while True:
        plan_id = secrets.token_hex(6)
        if not conn.execute("SELECT 1 FROM plans WHERE id = ?", (plan_id,)).fetchone():
            break
    conn.execute("INSERT INTO plans (id, status, request, inputs, created_at, queued_at)"
                 " VALUES (?, 'queued', ?, ?, ?, ?)",
                 (plan_id, json.dumps(dict(request)), json.dumps(inputs), at, at))
    return get_plan(conn, plan_id)  # type: ignore[return-value]


def get_plan(conn: sqlite3.Connection, plan_id: str) -> dict[str, Any] | None:
    """The plan's row (JSON columns decoded), or ``None``."""
    row = conn.execute("SELECT * FROM plans WHERE id = ?", (plan_id,)).fetchone()
    return None if row is None else _plan(row)


def list_plans(conn: sqlite3.Connection, *, status: str | None = None, limit: int = 20,
               offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Plans, newest first, and how many there are in all."""
    clause, args = ("WHERE status = ?", [status]) if status else ("", [])
    total = conn.execute(f"SELECT count(*) FROM plans {clause}", args).fetchone()[0]
    rows = conn.execute(f"SELECT * FROM plans {clause} ORDER BY seq DESC LIMIT ? OFFSET ?",
                        [*args, limit, offset]).fetchall()
    return [_plan(r) for r in rows], total


def queued_count(conn: sqlite3.Connection) -> int:
    """Plans waiting for a worker."""
    return conn.execute("SELECT count(*) FROM plans WHERE status = 'queued'").fetchone()[0]


def claim_next(conn: sqlite3.Connection) -> tuple[str, int] | None:
    """Mark the oldest queued plan running; ``(plan id, attempt)`` or ``None``."""
    row = conn.execute("SELECT id FROM plans WHERE status = 'queued' ORDER BY queued_at, seq"
                       " LIMIT 1").fetchone()
    if row is None:
        return None
    conn.execute("UPDATE plans SET status = 'running', attempt = attempt + 1, started_at = ?,"
                 " stage = 'starting', worker_pid = NULL WHERE id = ? AND status = 'queued'",
                 (now_iso(), row["id"]))
    attempt = conn.execute("SELECT attempt FROM plans WHERE id = ?", (row["id"],)).fetchone()
    return row["id"], int(attempt[0])


def set_worker(conn: sqlite3.Connection, plan_id: str, attempt: int, pid: int) -> None:
    """Record the process id of the worker running this attempt."""
    conn.execute("UPDATE plans SET worker_pid = ? WHERE id = ? AND attempt = ?",
                 (pid, plan_id, attempt))


def record_progress(conn: sqlite3.Connection, plan_id: str, attempt: int, *,
                    stage: str | None = None, best_cost: float | None = None,
                    elapsed_s: float | None = None) -> bool:
    """Store a worker's progress; ``False`` if this attempt is no longer running."""
    cur = conn.execute(
        "UPDATE plans SET stage = coalesce(?, stage), best_cost = coalesce(?, best_cost),"
        " elapsed_s = coalesce(?, elapsed_s), progress_at = ?"
        " WHERE id = ? AND attempt = ? AND status = 'running'",
        (stage, best_cost, elapsed_s, now_iso(), plan_id, attempt))
    return cur.rowcount == 1


def finish_plan(conn: sqlite3.Connection, plan_id: str, attempt: int,
                result: Mapping[str, Any], files: Mapping[str, bytes]) -> bool:
    """Store the result and the output files, and mark the plan done.

    Runs in the caller's transaction; ``False`` (and nothing stored) if this attempt is
    no longer running.
    """
    cur = conn.execute(
        "UPDATE plans SET status = 'done', result = ?, finished_at = ?, stage = 'done',"
        " reason = NULL WHERE id = ? AND attempt = ? AND status = 'running'",
        (json.dumps(dict(result)), now_iso(), plan_id, attempt))
    if cur.rowcount != 1:
        return False
    conn.execute("DELETE FROM plan_files WHERE plan_id = ?", (plan_id,))
    conn.executemany("INSERT INTO plan_files VALUES (?, ?, ?)",
                     [(plan_id, name, content) for name, content in sorted(files.items())])
    return True


def fail_plan(conn: sqlite3.Connection, plan_id: str, reason: str, *,
              attempt: int | None = None) -> bool:
    """Mark a queued or running plan failed with ``reason`` (only that attempt, if given)."""
    sql = ("UPDATE plans SET status = 'failed', reason = ?, finished_at = ?"
           " WHERE id = ? AND status IN ('queued', 'running')")
    args: list[Any] = [reason, now_iso(), plan_id]
    if attempt is not None:
        sql += " AND attempt = ?"
        args.append(attempt)
    return conn.execute(sql, args).rowcount == 1


def fail_unfinished(conn: sqlite3.Connection, reason: str) -> list[str]:
    """Mark every running plan failed (at start-up: their workers are gone); their ids.

    ``{id}`` in ``reason`` is replaced by each plan's id.
    """
    ids = [r[0] for r in conn.execute("SELECT id FROM plans WHERE status = 'running'")]
    for plan_id in ids:
        fail_plan(conn, plan_id, reason.replace("{id}", plan_id))
    return ids


def requeue(conn: sqlite3.Connection, plan_id: str) -> bool:
    """Put a failed plan back in the queue, same inputs; ``False`` if it is not failed."""
    cur = conn.execute(
        "UPDATE plans SET status = 'queued', queued_at = ?, started_at = NULL,"
        " finished_at = NULL, worker_pid = NULL, stage = NULL, best_cost = NULL,"
        " elapsed_s = NULL, progress_at = NULL, reason = NULL, result = NULL"
        " WHERE id = ? AND status = 'failed'", (now_iso(), plan_id))
    if cur.rowcount == 1:
        conn.execute("DELETE FROM plan_files WHERE plan_id = ?", (plan_id,))
    return cur.rowcount == 1


def plan_file(conn: sqlite3.Connection, plan_id: str, name: str) -> bytes | None:
    """The content of one output file of a plan, or ``None``."""
    row = conn.execute("SELECT content FROM plan_files WHERE plan_id = ? AND name = ?",
                       (plan_id, name)).fetchone()
    return None if row is None else bytes(row[0])


def file_names(conn: sqlite3.Connection, plan_id: str) -> list[str]:
    """The names of a plan's output files."""
    return [r[0] for r in conn.execute("SELECT name FROM plan_files WHERE plan_id = ?"
                                       " ORDER BY name", (plan_id,))]


def recent_duration_s(conn: sqlite3.Connection) -> float | None:
    """Median run time (s) of the last five finished plans, ``None`` before the first."""
    rows = conn.execute(
        "SELECT (julianday(finished_at) - julianday(started_at)) * 86400.0 FROM plans"
        " WHERE status = 'done' AND started_at IS NOT NULL ORDER BY seq DESC LIMIT 5"
    ).fetchall()
    values = [r[0] for r in rows if r[0] is not None and r[0] >= 0]
    return statistics.median(values) if values else None
