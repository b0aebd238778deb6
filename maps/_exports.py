"""Files for people and other programs: GeoJSON, CSV route sheets, GPX, summary.json.

The sheets are built in ``maps._sheets``, the summary in ``maps._summary``; this module
holds the GeoJSON and GPX and writes everything.

``write_outputs`` renders everything into a staging folder next to ``out_dir`` and then
swaps it into place with one rename (``maps._writer``), so a crash never leaves a
half-written folder and nothing the writer did not write is deleted.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import gpxpy.gpx

import i18n
from i18n import N_, gettext
from maps._context import PlanContext, build_context, number, text
from maps._driver import render_driver, visit_title
from maps._location import site_locations
from maps._offline import render_html
from maps._overview import render_overview
from maps._print import render_print_sheet
from maps._schedule import load_pieces, local_moment, multi_stream, stream_of, visit_window
from maps._sheets import (
    SHEET_COLUMNS,
    dispatch_rows,
    file_stem,
    route_sheet_rows,
    sheet_columns,
    sheet_label_row,
    unassigned_code,
)
from maps._style import hhmm
from maps._summary import summary
from maps._timeline import render_timeline
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

_EXACT = 6  # decimals of exported coordinates (about 0.1 m)

#: Texts of the GPX files (names and descriptions people see on a device).
GPX_TEXTS = {
    "name": N_("Truck {truck} {date}"),
    "depot": N_("Depot"),
    "depot_back": N_("Depot (back)"),
    "desc": N_("{what}; ETA {time} ({timezone})"),
    "eta": N_("ETA {time}"),
}


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
    ``depart``, ``arrive`` (HH:MM), ``approximate``; ``stream`` when the problem has
    more than one waste stream.
    """
    features = []
    streams = multi_stream(ctx)
    for route in ctx.plan.routes:
        vid = route.vehicle_id
        infos = ctx.visits[vid]
        for trip, segs in _trips(ctx, vid).items():
            first = route.visits[segs[0].to_index - 1]
            last = route.visits[segs[-1].to_index]
            stops = [i.visit.id for i in infos if i.trip == trip and i.visit.kind == "stop"]
            extra = {}
            if streams:
                kinds = {stream_of(ctx, i.visit) for i in infos
                         if i.trip == trip and i.visit.kind == "stop"}
                extra["stream"] = "; ".join(sorted(kinds))
            features.append({
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": _line(segs)},
                "properties": {
                    "truck": vid, "colour": ctx.colours[vid], "trip": trip,
                    "km": round(sum(s.length_m for s in segs) / 1000.0, 3),
                    "from": first.id, "to": last.id, "stops": stops,
                    "depart": hhmm(first.departure_s), "arrive": hhmm(last.arrival_s),
                    "approximate": any(s.approximate for s in segs), **extra,
                },
            })  # fmt: skip
    return {"type": "FeatureCollection", "features": features}


def _point(lonlat: tuple[float, float], props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": _pt(lonlat)},
            "properties": props}


def stops_geojson(ctx: PlanContext) -> dict[str, Any]:
    """Every site as points: served stops, facilities, depots and unassigned work.

    ``status`` is ``served`` (one feature per truck load, with ``truck``, ``order``,
    ``eta``, ``departure``, ``tonnes`` and ``load``/``loads`` for the pieces of a split
    dump), ``facility`` (``tonnes`` unloaded there, ``unloads``), ``depot`` or
    ``unassigned`` (``code`` for tools, ``reason`` for people, ``details``). Every
    feature has ``location`` (words) and ``open``/``close`` (its window as ``HH:MM``,
    ``""`` if none); ``stream`` is added when the problem has several waste streams.
    """
    places = site_locations(ctx)
    pieces = load_pieces(ctx)
    streams = multi_stream(ctx)
    stops = {s.id: s for s in getattr(ctx.problem, "stops", ()) or ()}
    features = []
    for infos in ctx.visits.values():
        for info in infos:
            if info.visit.kind != "stop":
                continue
            v = info.visit
            opens, closes = visit_window(ctx, info)
            k, n = pieces.get(v.id, (1, 1))
            props = {
                "status": "served", "site_id": info.site_id, "stop_id": v.id,
                "kind": info.kind, "name": info.name, "location": places[info.site_id].text,
                "truck": info.vehicle_id, "order": int(info.label), "trip": info.trip,
                "eta": hhmm(v.arrival_s), "departure": hhmm(v.departure_s),
                "open": hhmm(opens), "close": hhmm(closes), "tonnes": round(v.load_t, 3),
                "load": k, "loads": n,
            }  # fmt: skip
            if streams:
                props["stream"] = stream_of(ctx, v)
            features.append(_point(info.lonlat, props))
    unloads: dict[str, list[str]] = {}
    tipped: dict[str, float] = {}
    for infos in ctx.visits.values():
        for info in infos:
            if info.visit.kind == "facility":
                unloads.setdefault(info.site_id, []).append(
                    f"{info.vehicle_id} {hhmm(info.visit.arrival_s)}")
                tipped[info.site_id] = tipped.get(info.site_id, 0.0) - info.visit.load_t
    facilities = {f.id: f for f in getattr(ctx.problem, "facilities", ()) or ()}
    for site_id, row in ctx.sites.iterrows():
        kind = text(row.get("kind"))
        lonlat = (row.geometry.x, row.geometry.y)
        if kind in ("depot", "landfill", "transfer"):
            window = getattr(facilities.get(site_id), "window", None) or (None, None)
            features.append(_point(lonlat, {
                "status": "depot" if kind == "depot" else "facility", "site_id": site_id,
                "kind": kind, "name": text(row.get("name")),
                "location": places[site_id].text, "open": hhmm(window[0]),
                "close": hhmm(window[1]), "unloads": unloads.get(site_id, []),
                "tonnes": round(tipped.get(site_id, 0.0), 3),
            }))  # fmt: skip
    for u in ctx.unassigned:
        if u.site_id not in ctx.sites.index:
            continue
        row = ctx.site(u.site_id)
        window = getattr(stops.get(u.stop_id), "window", None) or (None, None)
        props = {
            "status": "unassigned", "site_id": u.site_id, "stop_id": u.stop_id,
            "kind": text(row.get("kind")), "name": text(row.get("name")),
            "location": places[u.site_id].text, "open": hhmm(window[0]),
            "close": hhmm(window[1]), "tonnes": round(number(u.load_t), 3),
            "code": unassigned_code(ctx, u),
            "reason": i18n.reason_text(unassigned_code(ctx, u), getattr(u, "details", None),
                                       text(u.reason)),
            "details": dict(getattr(u, "details", None) or {}),
        }  # fmt: skip
        if streams:
            props["stream"] = text(getattr(stops.get(u.stop_id), "stream", ""))
        features.append(_point((row.geometry.x, row.geometry.y), props))
    return {"type": "FeatureCollection", "features": features}


def _csv_text(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    # a UTF-8 BOM for Excel, formula-like text cells quoted: see maps._writer.csv_text;
    # a sheet in another language than English has its headers people read in row 2
    labels = sheet_label_row(columns)
    return csv_text(rows if labels is None else [labels, *rows], columns)


def gpx_track(ctx: PlanContext, vehicle_id: str, *, timezone: str = "UTC") -> gpxpy.gpx.GPX:
    """One truck's GPX track along the streets, with waypoints.

    One track segment per trip; waypoints for the depot and every stop and unloading
    visit (name, ETA, tonnes). A waypoint's ``time`` is the ETA as GPX defines times: in
    UTC, converted from local time in ``timezone`` (an IANA name, the scenario's) and
    rounded to the minute the sheet shows; no time when the date is not an ISO date.
    """
    route = ctx.route(vehicle_id)
    texts = {key: gettext(t) for key, t in GPX_TEXTS.items()}
    gpx = gpxpy.gpx.GPX()
    gpx.name = texts["name"].format(truck=vehicle_id, date=ctx.date)
    gpx.creator = "sanitation-routes maps"
    gpx.time = local_moment(ctx.date, route.visits[0].departure_s, timezone)
    track = gpxpy.gpx.GPXTrack(name=gpx.name)
    gpx.tracks.append(track)
    for trip, segs in _trips(ctx, vehicle_id).items():
        seg = gpxpy.gpx.GPXTrackSegment()
        seg.points = [gpxpy.gpx.GPXTrackPoint(lat, lon) for lon, lat in _line(segs)]
        track.segments.append(seg)
        logger.debug("truck %s trip %d: %d track points", vehicle_id, trip, len(seg.points))
    for info in ctx.visits[vehicle_id]:
        v = info.visit
        if v.kind == "break" or (v.kind == "end" and info.index != len(route.visits) - 1):
            continue
        when = v.departure_s if v.kind == "start" else v.arrival_s
        name = {"start": texts["depot"], "end": texts["depot_back"]}.get(
            v.kind, f"{info.label} {info.site_id}")
        desc = texts["desc"].format(what=visit_title(info), time=hhmm(when), timezone=timezone)
        wpt = gpxpy.gpx.GPXWaypoint(
            round(info.lonlat[1], _EXACT), round(info.lonlat[0], _EXACT), name=name,
            description=desc, comment=texts["eta"].format(time=hhmm(when)),
            time=local_moment(ctx.date, when, timezone),
            symbol={"stop": "Flag", "facility": "Triangle"}.get(v.kind, "Building"),
        )
        gpx.waypoints.append(wpt)
    return gpx


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


def _render_all(ctx: PlanContext, stage: Path, *, timezone: str = "UTC") -> list[str]:
    written: list[str] = []

    def put(name: str, data: str | bytes) -> None:
        write_atomic(stage / name, data)
        written.append(name)

    put("index.html", render_html(render_overview(ctx)))
    for route in ctx.plan.routes:
        vid, stem = route.vehicle_id, file_stem(route.vehicle_id)
        put(f"truck-{stem}.html", render_html(render_driver(ctx, vid)))
        put(f"sheet-{stem}.csv", _csv_text(route_sheet_rows(ctx, vid), sheet_columns(ctx)))
        put(f"sheet-{stem}.html", render_print_sheet(ctx, vid, timezone=timezone))
        put(f"truck-{stem}.gpx", gpx_track(ctx, vid, timezone=timezone).to_xml())
    put("timeline.html", render_timeline(ctx, timezone=timezone))
    put("routes.geojson", json.dumps(routes_geojson(ctx), ensure_ascii=False))
    put("stops.geojson", json.dumps(stops_geojson(ctx), ensure_ascii=False))
    put("dispatch.csv", _csv_text(dispatch_rows(ctx), sheet_columns(ctx)))
    files = [*written, "summary.json"]
    put("summary.json", json.dumps(summary(ctx, files, timezone=timezone), indent=2,
                                   ensure_ascii=False))
    return written


def write_outputs(plan: Any, *, problem: Any, G: Any, snapped: Any, matrix: Any,
                  out_dir: str | os.PathLike[str], date: Any = None,
                  title: str | None = None, timezone: str = "UTC",
                  force: bool = False, lang: str | None = None,
                  tiles: Any = None,
                  scheduled: Mapping[str, int] | None = None) -> dict[str, Path]:
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
    timezone
        IANA name of the time zone the plan's clock times are in (the scenario's):
        GPX times are converted from it to UTC; the sheets and pages name it.
    force
        Write into a folder that holds files that are not a plan; they are kept.
    lang
        The language of every text people read (``"en"``, ``"zh-CN"``); default the
        current one (``i18n.use``). File names, CSV column names, JSON keys and GeoJSON
        properties stay English; a CSV sheet in another language has its translated
        headers in row 2.
    tiles
        The pages' background tiles (``maps.tile_source``: a preset name, an XYZ
        template or a ``TileSource``, e.g. a scenario's ``[map]``); default OpenStreetMap.
    scheduled
        For a campaign day: work sites planned for a later day, site id -> day number;
        the pages show them as scheduled, not as unassigned work.

    Returns
    -------
    dict of str to Path
        File name to path: ``index.html``, ``truck-<id>.html``, ``sheet-<id>.csv``,
        ``sheet-<id>.html`` (printable), ``truck-<id>.gpx`` per used truck,
        ``timeline.html``, ``routes.geojson``, ``stops.geojson``, ``dispatch.csv``,
        ``summary.json``.

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
    with i18n.use(lang), staged_folder(out, force=force) as stage:  # checks out_dir first
        ctx = build_context(plan, problem=problem, G=G, snapped=snapped, matrix=matrix,
                            date=date, title=title, tiles=tiles, scheduled=scheduled)
        names = _render_all(ctx, stage, timezone=timezone)
    logger.info("wrote %d files to %s", len(names), out)
    return {name: out / name for name in names}
