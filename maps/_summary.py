"""``summary.json``: the day in numbers, for reports and other programs.

Keys are stable English machine names; every time is local ``HH:MM`` in the scenario's
time zone (``timezone``), rounded as ``maps.hhmm`` rounds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import i18n
from maps._context import PlanContext, number, text
from maps._schedule import departure
from maps._sheets import file_stem, unassigned_code
from maps._style import hhmm

__all__ = ["fleet_settings", "summary"]


def fleet_settings(ctx: PlanContext) -> list[dict[str, Any]]:
    """Every truck of the problem with the settings it was planned with, used or not.

    Capacity (t), depot, shift (``HH:MM``), longest day (h), lunch window and length,
    costs (fixed, per km, per hour), allowed facilities and streams, daily limits.
    """
    used = {r.vehicle_id for r in ctx.plan.routes}
    out = []
    for v in getattr(ctx.problem, "vehicles", ()) or ():
        brk = v.break_
        out.append({
            "truck": v.id, "used": v.id in used, "capacity_t": v.capacity_t,
            "depot": v.start_depot, "end_depot": v.end_depot,
            "shift_start": hhmm(v.shift[0]), "shift_end": hhmm(v.shift[1]),
            "max_hours": None if v.max_duration_s is None else round(v.max_duration_s / 3600, 3),
            "break": None if brk is None else {
                "earliest": hhmm(brk.earliest_s), "latest": hhmm(brk.latest_s),
                "minutes": round(brk.duration_s / 60)},
            "fixed_cost": v.fixed_cost, "cost_per_km": v.cost_per_km,
            "cost_per_hour": v.cost_per_hour, "facilities": list(v.facilities),
            "streams": list(getattr(v, "streams", ())),
            "max_daily_t": getattr(v, "max_daily_t", None),
            "max_stops": getattr(v, "max_stops", None),
        })  # fmt: skip
    return out


def _facilities(ctx: PlanContext) -> list[dict[str, Any]]:
    tipped: dict[str, dict[str, Any]] = {}
    for infos in ctx.visits.values():
        for info in infos:
            if info.visit.kind != "facility":
                continue
            entry = tipped.setdefault(info.site_id, {"tonnes": 0.0, "unloads": 0, "trucks": []})
            entry["tonnes"] += -info.visit.load_t
            entry["unloads"] += 1
            if info.vehicle_id not in entry["trucks"]:
                entry["trucks"].append(info.vehicle_id)
    out = []
    for f in getattr(ctx.problem, "facilities", ()) or ():
        entry = tipped.pop(f.id, {"tonnes": 0.0, "unloads": 0, "trucks": []})
        name = text(ctx.site(f.id).get("name")) if f.id in ctx.sites.index else ""
        out.append({"site_id": f.id, "name": name, "kind": getattr(f, "kind", ""),
                    "tonnes": round(entry["tonnes"], 3), "unloads": entry["unloads"],
                    "trucks": entry["trucks"]})
    for sid, entry in tipped.items():  # a facility the problem does not list (not expected)
        out.append({"site_id": sid, "name": "", "kind": "", "tonnes": round(entry["tonnes"], 3),
                    "unloads": entry["unloads"], "trucks": entry["trucks"]})
    return out


def _sites(ctx: PlanContext) -> list[dict[str, Any]]:
    served = ctx.served()
    out = []
    for p in getattr(ctx.plan, "sites", ()):
        trucks = list(dict.fromkeys(i.vehicle_id for i in served.get(p.site_id, ())))
        out.append({"site_id": p.site_id, "tonnes": p.tonnes, "cleared_t": p.cleared_t,
                    "left_t": p.left_t, "trips": p.trips, "trucks": trucks})
    return out


def summary(ctx: PlanContext, files: Sequence[str] = (), *,
            timezone: str = "UTC") -> dict[str, Any]:
    """The day in numbers.

    Parameters
    ----------
    ctx
        The plan context.
    files
        The names of the files written with it.
    timezone
        The scenario's time zone (IANA name) the ``HH:MM`` times are in.

    Returns
    -------
    dict
        ``date``, ``timezone``, ``title``, ``engine``, ``seed``, ``solve_seconds``,
        ``objective``, ``totals``; ``trucks`` (used trucks: stops, km, hours, tonnes,
        unloads, cost, departure and return, why it leaves when it does, files);
        ``idle_trucks`` (ids of trucks that stay at the depot); ``fleet`` (every truck's
        settings: capacity, shift, lunch, costs, see ``fleet_settings``);
        ``facilities`` (tonnes unloaded, unloads and trucks per facility);
        ``unassigned`` (with ``code`` and ``details`` for tools, ``reason`` for people,
        in ``language``);
        ``sites`` (tonnes cleared and left, trips, and which trucks served it);
        ``verdicts`` (``search`` and ``fleet`` from ``plan.meta`` when the engine gave
        them); ``files``; ``language``, the language of the texts people read (the
        departure's ``text``, the reasons), which the keys never change.
    """
    plan = ctx.plan
    totals = dict(plan.totals())
    totals["stops"] = sum(len(r.stops) for r in plan.routes)
    totals["unassigned"] = len(ctx.unassigned)
    totals["unassigned_t"] = round(sum(number(u.load_t) for u in ctx.unassigned), 3)
    trucks = []
    for r in plan.routes:
        stem = file_stem(r.vehicle_id)
        trucks.append({
            "truck": r.vehicle_id, "colour": ctx.colours[r.vehicle_id], "stops": len(r.stops),
            "distance_km": round(r.distance_km, 3), "duration_h": round(r.duration_h, 3),
            "tonnes": round(r.tonnes, 3), "unload_trips": r.unload_trips,
            "cost": round(r.cost, 2), "depart": hhmm(r.visits[0].departure_s),
            "return": hhmm(r.visits[-1].arrival_s),
            "departure": departure(ctx, r.vehicle_id).as_dict(),
            "files": [f"truck-{stem}.html", f"sheet-{stem}.csv", f"sheet-{stem}.html",
                      f"truck-{stem}.gpx"],
        })  # fmt: skip
    used = {r.vehicle_id for r in plan.routes}
    meta = getattr(plan, "meta", None) or {}
    return {
        "date": ctx.date, "timezone": timezone, "title": ctx.title, "engine": plan.engine,
        "seed": plan.seed, "solve_seconds": plan.solve_seconds, "objective": plan.objective,
        "totals": totals, "trucks": trucks,
        "idle_trucks": [v.id for v in getattr(ctx.problem, "vehicles", ()) or ()
                        if v.id not in used],
        "fleet": fleet_settings(ctx),
        "facilities": _facilities(ctx),
        "unassigned": [{"stop_id": u.stop_id, "site_id": u.site_id,
                        "load_t": round(number(u.load_t), 3),
                        "code": unassigned_code(ctx, u),
                        "details": dict(getattr(u, "details", None) or {}),
                        "reason": i18n.reason_text(unassigned_code(ctx, u),
                                                   getattr(u, "details", None), text(u.reason))}
                       for u in ctx.unassigned],
        "sites": _sites(ctx),
        "verdicts": {k: meta[k] for k in ("search", "fleet") if k in meta},
        "files": sorted(files), "language": i18n.current(),
    }  # fmt: skip
