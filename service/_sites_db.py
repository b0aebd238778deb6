"""Site reports in the database: insert, read, filter, correct, clear.

Functions take an open connection; the callers (routers, the worker) decide the
transaction. Rows come back as plain dicts in the shape the API answers with.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

from service._db import now_iso

__all__ = [
    "WORK_KINDS",
    "apply_plan_clears",
    "get_site",
    "import_sites",
    "insert_report",
    "list_sites",
    "open_sites",
    "remember_response",
    "replayed_response",
    "request_hash",
    "update_site",
]

WORK_KINDS = ("dead_spot", "bin")
_EPS_T = 1e-6


def site_out(row: sqlite3.Row) -> dict[str, Any]:
    """A site row as the API shows it."""
    d = dict(row)
    reported = None
    if d["input_crs"] != "WGS-84":
        reported = {"lon": d["input_lon"], "lat": d["input_lat"], "crs": d["input_crs"]}
    return {
        "site_id": d["site_id"], "kind": d["kind"], "lon": d["lon"], "lat": d["lat"],
        "tonnes": d["tonnes"], "stream": d["stream"], "priority": d["priority"],
        "name": d["name"], "note": d["note"], "photo_url": d["photo_url"],
        "service_min": d["service_min"], "open": d["open"], "close": d["close"],
        "status": d["status"], "source": d["source"], "reported_at": d["reported_at"],
        "updated_at": d["updated_at"], "cleared_at": d["cleared_at"],
        "cleared_by": d["cleared_by"], "reported_position": reported,
    }


def _next_report_id(conn: sqlite3.Connection) -> str:
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'sites'").fetchone()
    number = (row[0] if row else 0) + 1
    candidate = f"R-{number:05d}"
    suffix = 1
    while conn.execute("SELECT 1 FROM sites WHERE site_id = ?", (candidate,)).fetchone():
        suffix += 1
        candidate = f"R-{number:05d}-{suffix}"
    return candidate


def insert_report(conn: sqlite3.Connection, report: Mapping[str, Any]) -> dict[str, Any]:
    """Store a new report (already validated, ``lon``/``lat`` in WGS-84); its row.

    ``report`` holds ``kind, lon, lat, tonnes, stream, priority, name, note, photo_url``
    and, when converted, ``input_lon, input_lat, input_crs``.
    """
    at = now_iso()
    site_id = _next_report_id(conn)
    conn.execute(
        "INSERT INTO sites (site_id, kind, lon, lat, input_lon, input_lat, input_crs, tonnes,"
        " stream, priority, name, note, photo_url, status, source, reported_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', 'report', ?, ?)",
        (site_id, report["kind"], report["lon"], report["lat"], report.get("input_lon"),
         report.get("input_lat"), report.get("input_crs", "WGS-84"), report["tonnes"],
         report.get("stream", "mixed"), report.get("priority", 3), report.get("name"),
         report.get("note"), report.get("photo_url"), at, at))
    return get_site(conn, site_id)  # type: ignore[return-value]


def import_sites(conn: sqlite3.Connection, rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert the scenario's work sites (dead spots, bins) that are not there yet.

    Returns
    -------
    int
        How many rows were added.
    """
    at = now_iso()
    added = 0
    for r in rows:
        cur = conn.execute(
            "INSERT OR IGNORE INTO sites (site_id, kind, lon, lat, tonnes, stream, priority,"
            " service_min, open, close, name, status, source, reported_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', 'scenario', ?, ?)",
            (r["site_id"], r["kind"], r["lon"], r["lat"], r["tonnes"], r.get("stream", "mixed"),
             r.get("priority", 3), r.get("service_min"), r.get("open"), r.get("close"),
             r.get("name"), at, at))
        added += cur.rowcount
    return added


def get_site(conn: sqlite3.Connection, site_id: str) -> dict[str, Any] | None:
    """The site with this id, or ``None``."""
    row = conn.execute("SELECT * FROM sites WHERE site_id = ?", (site_id,)).fetchone()
    return None if row is None else site_out(row)


def list_sites(
    conn: sqlite3.Connection, *, kind: str | None = None, status: str | None = None,
    stream: str | None = None, bbox: tuple[float, float, float, float] | None = None,
    limit: int = 100, offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Sites matching every filter given, oldest report first, and how many match in all.

    ``bbox`` is ``(west, south, east, north)`` in WGS-84 degrees.
    """
    where, args = [], []
    for column, value in (("kind", kind), ("status", status), ("stream", stream)):
        if value is not None:
            where.append(f"{column} = ?")
            args.append(value)
    if bbox is not None:
        where.append("lon BETWEEN ? AND ? AND lat BETWEEN ? AND ?")
        args.extend((bbox[0], bbox[2], bbox[1], bbox[3]))
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    total = conn.execute(f"SELECT count(*) FROM sites{clause}", args).fetchone()[0]
    rows = conn.execute(f"SELECT * FROM sites{clause} ORDER BY seq LIMIT ? OFFSET ?",
                        [*args, limit, offset]).fetchall()
    return [site_out(r) for r in rows], total


def update_site(conn: sqlite3.Connection, site_id: str,
                changes: Mapping[str, Any]) -> dict[str, Any] | None:
    """Apply validated changes to a site; its new row, or ``None`` if there is none.

    ``changes`` may hold ``status``, ``tonnes``, ``priority``, ``note``, ``name``, ``stream``.
    """
    if get_site(conn, site_id) is None:
        return None
    at = now_iso()
    sets, args = ["updated_at = ?"], [at]
    for column in ("tonnes", "priority", "note", "name", "stream"):
        if column in changes:
            sets.append(f"{column} = ?")
            args.append(changes[column])
    if "status" in changes:
        sets.append("status = ?")
        args.append(changes["status"])
        if changes["status"] == "cleared":
            sets.append("cleared_at = coalesce(cleared_at, ?)")
            args.append(at)
        else:
            sets.append("cleared_at = NULL, cleared_by = NULL")
    conn.execute(f"UPDATE sites SET {', '.join(sets)} WHERE site_id = ?", [*args, site_id])
    return get_site(conn, site_id)


def open_sites(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every open work site, as the planner needs it (the inputs of a new plan)."""
    rows = conn.execute(
        "SELECT site_id, kind, lon, lat, tonnes, stream, priority, service_min, open, close,"
        " name FROM sites WHERE status = 'open' ORDER BY seq").fetchall()
    return [dict(r) for r in rows]


def apply_plan_clears(conn: sqlite3.Connection, plan_id: str,
                      served: Mapping[str, float]) -> dict[str, list]:
    """Record what a plan collected.

    Sites fully served become cleared, partly served ones keep the tonnes left. Each
    site counts once per plan (a repeated call changes nothing).

    Parameters
    ----------
    served
        Tonnes collected by the plan, by site id.

    Returns
    -------
    dict
        ``cleared`` (site ids), ``reduced`` (``{"site_id", "tonnes_left"}``) and
        ``skipped`` (``{"site_id", "why"}``).
    """
    at = now_iso()
    out: dict[str, list] = {"cleared": [], "reduced": [], "skipped": []}
    for site_id, collected in sorted(served.items()):
        row = conn.execute("SELECT tonnes, status FROM sites WHERE site_id = ?",
                           (site_id,)).fetchone()
        done = conn.execute("SELECT 1 FROM plan_clears WHERE plan_id = ? AND site_id = ?",
                            (plan_id, site_id)).fetchone()
        if row is None:
            out["skipped"].append({"site_id": site_id, "why": "not a reported site"})
            continue
        if done is not None:
            out["skipped"].append({"site_id": site_id, "why": "already recorded for this plan"})
            continue
        if row["status"] != "open":
            out["skipped"].append({"site_id": site_id, "why": f"already {row['status']}"})
            continue
        conn.execute("INSERT INTO plan_clears VALUES (?, ?, ?, ?)",
                     (plan_id, site_id, collected, at))
        left = round(float(row["tonnes"]) - collected, 6)
        if left <= _EPS_T:
            conn.execute("UPDATE sites SET status = 'cleared', cleared_at = ?, cleared_by = ?,"
                         " updated_at = ? WHERE site_id = ?", (at, plan_id, at, site_id))
            out["cleared"].append(site_id)
        else:
            conn.execute("UPDATE sites SET tonnes = ?, updated_at = ? WHERE site_id = ?",
                         (left, at, site_id))
            out["reduced"].append({"site_id": site_id, "tonnes_left": left})
    return out


# -- Idempotency-Key: a retried POST answers what the first one did -------------------------
def request_hash(payload: Any) -> str:
    """A stable hash of a request body (JSON-able) for ``Idempotency-Key`` checks."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def replayed_response(conn: sqlite3.Connection, scope: str, key: str,
                      body_hash: str) -> tuple[int, Any] | None:
    """The stored ``(status, body)`` for this key, ``None`` if new.

    Raises
    ------
    KeyError
        The key was used before with a different body.
    """
    row = conn.execute("SELECT body_hash, status, response FROM idempotency"
                       " WHERE scope = ? AND key = ?", (scope, key)).fetchone()
    if row is None:
        return None
    if row["body_hash"] != body_hash:
        raise KeyError(key)
    return int(row["status"]), json.loads(row["response"])


def remember_response(conn: sqlite3.Connection, scope: str, key: str, body_hash: str,
                      status: int, body: Any) -> None:
    """Store the answer to a POST made with an ``Idempotency-Key``."""
    conn.execute("INSERT INTO idempotency VALUES (?, ?, ?, ?, ?, ?)",
                 (key, scope, body_hash, status, json.dumps(body), now_iso()))
