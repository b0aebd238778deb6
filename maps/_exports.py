"""Files for people and other programs: GeoJSON, CSV route sheets, GPX, summary.json.

``write_outputs`` renders everything into a staging folder next to ``out_dir`` and then
swaps it into place with one rename (``maps._writer``), so a crash never leaves a
half-written folder and nothing the writer did not write is deleted.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
from pathlib import Path
from typing import Any

import gpxpy.gpx

from maps._context import PlanContext, build_context, number, text
from maps._driver import render_driver, visit_title
from maps._offline import render_html
from maps._overview import render_overview
from maps._style import hhmm
from maps._writer import csv_text, exchange, staged_folder, swap_into_place, write_file

__all__ = [
    "SHEET_COLUMNS",
    "dispatch_rows",
    "gpx_track",
    "route_sheet_rows",
    "routes_geojson",
    "stops_geojson",
    "summary",
    "write_outputs",
]

logger = logging.getLogger(__name__)

#: Columns of ``sheet-<id>.csv``; ``dispatch.csv`` has ``truck`` in front.
SHEET_COLUMNS = ("order", "label", "kind", "stop_id", "site_id", "name", "street", "eta",
                 "start", "departure", "tonnes", "load_after_t", "km", "notes")  # fmt: skip
_EXACT = 6  # decimals of exported coordinates (about 0.1 m)


def file_stem(vehicle_id: str) -> str:
    """A truck id made safe for a file name (``"T 1/a"`` -> ``"T_1_a"``)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", vehicle_id).strip("._") or "truck"


def _pt(lonlat: tuple[float, float]) -> list[float]:
    return [round(lonlat[0], _EXACT), round(lonlat[1], _EXACT)]


def _trips(ctx: PlanContext, vehicle_id: str) -> dict[int, list]:
    trips: dict[int, list] = {}
    for seg in ctx.segments[vehicle_id]:
        trips.setdefault(seg.trip, []).append(seg)
    return trips


def _line(segs: list) -> list[list[float]]:
    out: list[list[float]] = []
    for seg in segs:
        for c in seg.coords:
            p = _pt(c)
            if not out or out[-1] != p:
                out.append(p)
    return out


def routes_geojson(ctx: PlanContext) -> dict[str, Any]:
    """One LineString feature per truck trip, along the streets (EPSG:4326, lon/lat).

    A trip runs from the depot or a facility to the next facility or the depot.
    Properties: ``truck``, ``colour``, ``trip``, ``km``, ``from``, ``to``, ``stops``,
    ``depart``, ``arrive`` (HH:MM).
    """
    features = []
    for route in ctx.plan.routes:
        vid = route.vehicle_id
        infos = ctx.visits[vid]
        for trip, segs in _trips(ctx, vid).items():
            first = route.visits[segs[0].to_index - 1]
            last = route.visits[segs[-1].to_index]
            stops = [i.visit.id for i in infos if i.trip == trip and i.visit.kind == "stop"]
            features.append({
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": _line(segs)},
                "properties": {
                    "truck": vid, "colour": ctx.colours[vid], "trip": trip,
                    "km": round(sum(s.length_m for s in segs) / 1000.0, 3),
                    "from": first.id, "to": last.id, "stops": stops,
                    "depart": hhmm(first.departure_s), "arrive": hhmm(last.arrival_s),
                    "approximate": any(s.approximate for s in segs),
                },
            })  # fmt: skip
    return {"type": "FeatureCollection", "features": features}


def _point(lonlat: tuple[float, float], props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": _pt(lonlat)},
            "properties": props}


def stops_geojson(ctx: PlanContext) -> dict[str, Any]:
    """Every site as points: served stops, facilities, depots and unassigned work.

    ``status`` is ``served`` (one feature per truck load, with ``truck``, ``order``,
    ``eta``), ``facility``, ``depot`` or ``unassigned`` (with ``reason``).
    """
    features = []
    for infos in ctx.visits.values():
        for info in infos:
            if info.visit.kind != "stop":
                continue
            v = info.visit
            features.append(_point(info.lonlat, {
                "status": "served", "site_id": info.site_id, "stop_id": v.id,
                "kind": info.kind, "name": info.name, "truck": info.vehicle_id,
                "order": int(info.label), "trip": info.trip, "eta": hhmm(v.arrival_s),
                "departure": hhmm(v.departure_s), "tonnes": round(v.load_t, 3),
            }))  # fmt: skip
    unloads: dict[str, list[str]] = {}
    for infos in ctx.visits.values():
        for info in infos:
            if info.visit.kind == "facility":
                unloads.setdefault(info.site_id, []).append(
                    f"{info.vehicle_id} {hhmm(info.visit.arrival_s)}")
    for site_id, row in ctx.sites.iterrows():
        kind = text(row.get("kind"))
        lonlat = (row.geometry.x, row.geometry.y)
        if kind in ("depot", "landfill", "transfer"):
            features.append(_point(lonlat, {
                "status": "depot" if kind == "depot" else "facility", "site_id": site_id,
                "kind": kind, "name": text(row.get("name")),
                "unloads": unloads.get(site_id, []),
            }))  # fmt: skip
    for u in ctx.unassigned:
        if u.site_id not in ctx.sites.index:
            continue
        row = ctx.site(u.site_id)
        features.append(_point((row.geometry.x, row.geometry.y), {
            "status": "unassigned", "site_id": u.site_id, "stop_id": u.stop_id,
            "kind": text(row.get("kind")), "name": text(row.get("name")),
            "tonnes": round(number(u.load_t), 3), "reason": text(u.reason),
        }))  # fmt: skip
    return {"type": "FeatureCollection", "features": features}


def route_sheet_rows(ctx: PlanContext, vehicle_id: str) -> list[dict[str, Any]]:
    """The rows of one truck's CSV route sheet (columns ``SHEET_COLUMNS``)."""
    rows = []
    for order, info in enumerate(ctx.visits[vehicle_id]):
        v = info.visit
        notes = []
        if v.start_s > v.arrival_s + 59:
            notes.append(f"wait until {hhmm(v.start_s)}")
        if v.kind == "facility":
            notes.append(f"unload {-v.load_t:.1f} t")
        if v.kind == "break":
            notes.append(f"break {round((v.departure_s - v.start_s) / 60)} min")
        rows.append({
            "order": order, "label": info.label, "kind": v.kind,
            "stop_id": v.id if v.kind == "stop" else "", "site_id": info.site_id,
            "name": info.name, "street": ctx.street_of(info.site_id),
            "eta": hhmm(v.arrival_s), "start": hhmm(v.start_s),
            "departure": hhmm(v.departure_s), "tonnes": round(v.load_t, 3),
            "load_after_t": round(v.load_after_t, 3), "km": round(v.distance_km, 3),
            "notes": "; ".join(notes),
        })  # fmt: skip
    return rows


def dispatch_rows(ctx: PlanContext) -> list[dict[str, Any]]:
    """All trucks' sheets one after another, then the unassigned work (``truck`` empty)."""
    rows = []
    for route in ctx.plan.routes:
        vid = route.vehicle_id
        rows.extend({"truck": vid, **r} for r in route_sheet_rows(ctx, vid))
    for u in ctx.unassigned:
        known = u.site_id in ctx.sites.index
        rows.append({
            "truck": "", "order": "", "label": "", "kind": "unassigned", "stop_id": u.stop_id,
            "site_id": u.site_id,
            "name": text(ctx.site(u.site_id).get("name")) if known else "",
            "street": ctx.street_of(u.site_id) if known else "", "eta": "", "start": "",
            "departure": "", "tonnes": round(number(u.load_t), 3), "load_after_t": "",
            "km": "", "notes": text(u.reason),
        })  # fmt: skip
    return rows


def _csv_text(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    # a UTF-8 BOM for Excel, formula-like text cells quoted: see maps._writer.csv_text
    return csv_text(rows, columns)


def _day(ctx: PlanContext) -> dt.datetime | None:
    try:
        return dt.datetime.combine(dt.date.fromisoformat(ctx.date), dt.time(0))
    except ValueError:
        return None


def gpx_track(ctx: PlanContext, vehicle_id: str) -> gpxpy.gpx.GPX:
    """One truck's GPX track along the streets, with waypoints.

    One track segment per trip; waypoints for the depot and every stop and unloading
    visit (name, ETA, tonnes; ``time`` set when the date is an ISO date).
    """
    route = ctx.route(vehicle_id)
    gpx = gpxpy.gpx.GPX()
    gpx.name = f"Truck {vehicle_id} {ctx.date}"
    gpx.creator = "sanitation-routes maps"
    track = gpxpy.gpx.GPXTrack(name=gpx.name)
    gpx.tracks.append(track)
    for trip, segs in _trips(ctx, vehicle_id).items():
        seg = gpxpy.gpx.GPXTrackSegment()
        seg.points = [gpxpy.gpx.GPXTrackPoint(lat, lon) for lon, lat in _line(segs)]
        track.segments.append(seg)
        logger.debug("truck %s trip %d: %d track points", vehicle_id, trip, len(seg.points))
    day = _day(ctx)
    for info in ctx.visits[vehicle_id]:
        v = info.visit
        if v.kind == "break" or (v.kind == "end" and info.index != len(route.visits) - 1):
            continue
        when = v.departure_s if v.kind == "start" else v.arrival_s
        name = {"start": "Depot", "end": "Depot (back)"}.get(v.kind, f"{info.label} {info.site_id}")
        desc = f"{visit_title(info)}; ETA {hhmm(when)}"
        wpt = gpxpy.gpx.GPXWaypoint(
            round(info.lonlat[1], _EXACT), round(info.lonlat[0], _EXACT), name=name,
            description=desc, comment=f"ETA {hhmm(when)}",
            time=(day + dt.timedelta(seconds=int(when))) if day else None,
            symbol={"stop": "Flag", "facility": "Triangle"}.get(v.kind, "Building"),
        )
        gpx.waypoints.append(wpt)
    return gpx


def summary(ctx: PlanContext, files: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """The day in numbers: totals, per truck, unassigned with reasons, per-site progress."""
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
            "files": [f"truck-{stem}.html", f"sheet-{stem}.csv", f"truck-{stem}.gpx"],
        })  # fmt: skip
    return {
        "date": ctx.date, "title": ctx.title, "engine": plan.engine, "seed": plan.seed,
        "solve_seconds": plan.solve_seconds, "objective": plan.objective, "totals": totals,
        "trucks": trucks,
        "unassigned": [{"stop_id": u.stop_id, "site_id": u.site_id,
                        "load_t": round(number(u.load_t), 3), "reason": text(u.reason)}
                       for u in ctx.unassigned],
        "sites": [{"site_id": p.site_id, "tonnes": p.tonnes, "cleared_t": p.cleared_t,
                   "left_t": p.left_t, "trips": p.trips} for p in getattr(plan, "sites", ())],
        "files": sorted(files),
    }  # fmt: skip


# -- atomic writing -------------------------------------------------------------------
def write_atomic(path: Path, data: str | bytes) -> None:
    """Write a file through a temporary name in the same folder and ``os.replace``.

    Every output file gets the same mode (``maps._writer.file_mode``, 0644 with umask 022).
    """
    write_file(path, data)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with Linux ``renameat2(RENAME_EXCHANGE)``; False if unsupported."""
    return exchange(a, b)


def _swap_into_place(stage: Path, out_dir: Path) -> None:
    swap_into_place(stage, out_dir)


def _render_all(ctx: PlanContext, stage: Path) -> list[str]:
    written: list[str] = []

    def put(name: str, data: str | bytes) -> None:
        write_atomic(stage / name, data)
        written.append(name)

    put("index.html", render_html(render_overview(ctx)))
    for route in ctx.plan.routes:
        vid, stem = route.vehicle_id, file_stem(route.vehicle_id)
        put(f"truck-{stem}.html", render_html(render_driver(ctx, vid)))
        put(f"sheet-{stem}.csv", _csv_text(route_sheet_rows(ctx, vid), SHEET_COLUMNS))
        put(f"truck-{stem}.gpx", gpx_track(ctx, vid).to_xml())
    put("routes.geojson", json.dumps(routes_geojson(ctx), ensure_ascii=False))
    put("stops.geojson", json.dumps(stops_geojson(ctx), ensure_ascii=False))
    put("dispatch.csv", _csv_text(dispatch_rows(ctx), ("truck", *SHEET_COLUMNS)))
    files = [*written, "summary.json"]
    put("summary.json", json.dumps(summary(ctx, files), indent=2, ensure_ascii=False))
    return written


def write_outputs(plan: Any, *, problem: Any, G: Any, snapped: Any, matrix: Any,
                  out_dir: str | os.PathLike[str], date: Any = None,
                  title: str | None = None, force: bool = False) -> dict[str, Path]:
    """Write the day's maps, sheets, tracks and summary into ``out_dir``, atomically.

    Parameters
    ----------
    plan
        A ``routing.Plan``.
    problem
        The ``routing.Problem`` it solves; ``location_names[i]`` is the site id of
        matrix location ``i``.
    G
        The street graph (``networkx.MultiDiGraph``, EPSG:4326) the matrix was built on.
    snapped
        All sites (``geodata.snap_sites`` output), served or not.
    matrix
        The ``geodata.TravelMatrix``; ``matrix.path(a, b)`` gives the street geometry.
    out_dir
        The folder to (re)create: new, empty, or a previous plan (replaced as a whole, in
        one rename). A folder holding other files is refused unless ``force``.
    date
        The day (``datetime.date`` or ISO string); default today.
    title
        Heading of the overview; default ``"Sanitation routes"``.
    force
        Write into a folder that holds files that are not a plan; they are kept.

    Returns
    -------
    dict of str to Path
        File name to path: ``index.html``, ``truck-<id>.html``, ``sheet-<id>.csv``,
        ``truck-<id>.gpx`` per used truck, ``routes.geojson``, ``stops.geojson``,
        ``dispatch.csv``, ``summary.json``.

    Raises
    ------
    MapsError
        If a visit's site is not in ``snapped`` or its location is not in the matrix, or
        ``out_dir`` may not be replaced (a file, a mount point, the working folder, not
        writable, or holding other files without ``force``): checked before rendering.

    Examples
    --------
    >>> files = write_outputs(plan, problem=problem, G=G, snapped=snapped,
    ...                       matrix=matrix, out_dir="out/2024-05-01")  # doctest: +SKIP
    >>> sorted(files)[:2]  # doctest: +SKIP
    ['dispatch.csv', 'index.html']
    """
    out = Path(out_dir)
    with staged_folder(out, force=force) as stage:  # checks out_dir before any work
        ctx = build_context(plan, problem=problem, G=G, snapped=snapped, matrix=matrix,
                            date=date, title=title)
        names = _render_all(ctx, stage)
    logger.info("wrote %d files to %s", len(names), out)
    return {name: out / name for name in names}
