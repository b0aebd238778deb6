"""The bridge between the service and the planner: one pipeline, no copy of it.

The service plans with ``planner.plan_day`` and writes with ``planner.write_day``, like
``run_plan.py``. What it adds is small: the plan request applied to the scenario, the
reported sites turned into the frame ``plan_day(sites=...)`` takes (with the scenario's
depots and facilities), and a JSON summary of the day for the API.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

import i18n

__all__ = ["facility_frame", "scenario_for", "sites_frame", "summarise", "work_site_rows"]

WORK_KINDS = ("dead_spot", "bin")


def scenario_for(base: Any, request: Mapping[str, Any]) -> Any:
    """The scenario with a plan request applied.

    The request may set ``date``, ``engine``, ``time_limit_s``, ``trucks`` and
    ``language`` (of the pages, sheets and reasons). The scenario's ``[solver]
    time_limit_s`` is a ceiling: a request may ask for less.

    Raises
    ------
    planner.ScenarioError
        Naming the request field, the value and the fix (``source`` is ``"request"``).
    """
    from planner import ScenarioError

    problems: list[str] = []
    changes: dict[str, Any] = {}
    solver: dict[str, Any] = {}
    if request.get("date") is not None:
        changes["date"] = dt.date.fromisoformat(str(request["date"]))
    if request.get("engine") is not None:
        solver["engine"] = request["engine"]
    if request.get("language") is not None:
        changes["language"] = request["language"]
    limit = request.get("time_limit_s")
    if limit is not None:
        ceiling = base.solver.time_limit_s
        if limit > ceiling:
            problems.append(f"time_limit_s: got {limit:g}; at most {ceiling:g} s (the "
                            "scenario's [solver] time_limit_s); ask for less")
        else:
            solver["time_limit_s"] = float(limit)
    trucks = request.get("trucks")
    if trucks is not None:
        if len(base.fleet) != 1:
            problems.append(f"trucks: the scenario has {len(base.fleet)} truck types; set each "
                            "[[fleet]] count in the scenario file instead")
        else:
            changes["fleet"] = (dataclasses.replace(base.fleet[0], count=int(trucks)),)
    if problems:
        raise ScenarioError("request", problems)
    if solver:
        try:
            changes["solver"] = dataclasses.replace(base.solver, **solver)
        except ScenarioError as exc:
            raise ScenarioError("request", exc.problems) from None
    return dataclasses.replace(base, **changes)


def facility_frame(scenario: Any) -> Any:
    """The scenario's depots, landfills and transfer stations (validated sites frame)."""
    import planner

    sites = planner.load_sites(scenario)
    return sites[~sites["kind"].isin(WORK_KINDS)].reset_index(drop=True)


def work_site_rows(scenario: Any) -> list[dict[str, Any]]:
    """The scenario's dead spots and bins as database rows (imported at the first start)."""
    import planner

    sites = planner.load_sites(scenario)
    work = sites[sites["kind"].isin(WORK_KINDS)]
    rows = []
    for rec in work.to_dict("records"):
        stream = rec.get("stream")
        rows.append({
            "site_id": str(rec["site_id"]), "kind": rec["kind"], "lon": rec["geometry"].x,
            "lat": rec["geometry"].y, "tonnes": float(rec["tonnes"]),
            "stream": stream if isinstance(stream, str) and stream else "mixed",
            "priority": int(rec["priority"]), "service_min": _num(rec.get("service_min")),
            "open": rec.get("open"), "close": rec.get("close"), "name": rec.get("name")})
    return rows


def _num(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def sites_frame(scenario: Any, inputs: Sequence[Mapping[str, Any]]) -> Any:
    """The sites to plan, validated by ``geodata.validate_sites``.

    The scenario's depots and facilities plus the reported work sites ``inputs`` (rows
    of the database).

    Raises
    ------
    geodata.SiteValidationError
        A row the planner cannot use (names the site id and the column).
    """
    import geopandas as gpd
    import pandas as pd

    import geodata

    facilities = facility_frame(scenario)
    reports = pd.DataFrame([{
        "site_id": r["site_id"], "kind": r["kind"], "name": r.get("name") or r["site_id"],
        "tonnes": r["tonnes"], "service_min": r.get("service_min"), "open": r.get("open"),
        "close": r.get("close"), "priority": r.get("priority", 3),
        "stream": r.get("stream") or "mixed", "lon": r["lon"], "lat": r["lat"]}
        for r in inputs], columns=["site_id", "kind", "name", "tonnes", "service_min", "open",
                                   "close", "priority", "stream", "lon", "lat"])
    frame = gpd.GeoDataFrame(reports.drop(columns=["lon", "lat"]),
                             geometry=gpd.points_from_xy(reports["lon"], reports["lat"]),
                             crs="EPSG:4326")
    both = pd.concat([facilities, frame], ignore_index=True)
    both = gpd.GeoDataFrame(both, geometry="geometry", crs="EPSG:4326")
    return geodata.validate_sites(both, source="the service's sites (scenario facilities "
                                  "and reports)")


def summarise(day: Any) -> dict[str, Any]:
    """What the API shows of a planned day.

    Totals, per-truck rows (with the tonnes each site gives that truck), unassigned work
    with reasons and codes, and the tonnes each site gets in all (``served``).
    """
    plan = day.plan
    kinds = dict(zip(day.sites["site_id"].astype(str), day.sites["kind"], strict=True))
    served: dict[str, float] = {}
    trucks = []
    for r in plan.routes:
        loads: dict[str, float] = {}  # in visiting order
        for v in r.stops:
            site = v.site_id or v.id
            loads[site] = round(loads.get(site, 0.0) + float(v.load_t), 6)
            served[site] = round(served.get(site, 0.0) + float(v.load_t), 6)
        trucks.append({"truck": r.vehicle_id, "stops": len(r.stops),
                       "sites": [{"site_id": k, "tonnes": t} for k, t in loads.items()],
                       "tonnes": round(r.tonnes, 3), "km": round(r.distance_km, 3),
                       "hours": round(r.duration_h, 3), "unload_trips": r.unload_trips,
                       "cost": round(r.cost, 2)})

    def left(u: Any) -> dict[str, Any]:
        return {"site_id": u.site_id, "stop_id": u.stop_id, "tonnes": round(u.load_t, 3),
                "reason": i18n.reason_text(getattr(u, "code", ""), getattr(u, "details", None),
                                           u.reason),
                "code": getattr(u, "code", "") or None}

    work = [left(u) for u in plan.unassigned if kinds.get(u.site_id) in WORK_KINDS]
    other = [left(u) for u in plan.unassigned if kinds.get(u.site_id) not in WORK_KINDS]
    return {
        "date": day.scenario.date.isoformat(), "engine": plan.engine, "seed": plan.seed,
        "objective": round(float(plan.objective), 3), "totals": plan.totals(),
        "idle_trucks": max(0, day.scenario.num_trucks - plan.trucks_used), "trucks": trucks,
        "unassigned": work, "not_used": other, "served": served,
        "timings": dict(day.timings),
    }
