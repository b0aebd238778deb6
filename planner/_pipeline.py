"""One pipeline for the CLI, the notebooks and the campaign planner.

``plan_day`` runs the whole day: network, sites, snapping, matrix, problem, solve.
``build_problem`` turns snapped sites and a travel matrix into a ``routing.Problem``,
and lists every site it had to leave out with the reason, so nothing is lost between
the site file and the maps. ``write_day`` writes the output folder.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

import routing
from planner._errors import ScenarioError
from planner._scenario import FleetType, Scenario
from routing._model import DAY_S
from routing._solve import ProgressCallback

__all__ = ["WORK_KINDS", "DayResult", "build_problem", "load_sites", "plan_day", "write_day"]

logger = logging.getLogger(__name__)

WORK_KINDS = ("dead_spot", "bin")
FACILITY_KINDS = ("landfill", "transfer")
NO_PATH = "no street path to the depot/landfill"
StepCallback = Callable[[str, float], None]


def _window(open_s: Any, close_s: Any) -> tuple[int, int] | None:
    o = None if open_s is None or pd.isna(open_s) else int(open_s)
    c = None if close_s is None or pd.isna(close_s) else int(close_s)
    if o is None and c is None:
        return None
    return (o or 0, DAY_S if c is None else c)


def _stream(value: Any) -> str:
    """A stop's stream from its site row (blank: the one default stream)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return routing.DEFAULT_STREAM
    return str(value).strip() or routing.DEFAULT_STREAM


def _accepted(value: Any) -> tuple[str, ...]:
    """The streams a facility row's ``stream`` column lists; empty: every stream."""
    names = tuple(x.strip() for x in re.split(r"[;,|]", _stream(value)) if x.strip())
    return () if names == (routing.DEFAULT_STREAM,) else names


def _off_network_details(row: Any) -> dict[str, str]:
    """``distance_m`` of a site left off the network (for the reason in other languages)."""
    try:
        dist = float(row.get("snap_dist_m"))
    except (TypeError, ValueError):
        return {}
    return {"distance_m": f"{dist:.0f}"} if math.isfinite(dist) else {}


def _reason(row: Any) -> str:
    reason = row.get("unreachable_reason")
    if isinstance(reason, str) and reason.strip():
        return reason
    return "not on the street network (no snap)"


def build_problem(
    snapped: gpd.GeoDataFrame,
    matrix: Any,
    fleet: Sequence[FleetType],
    *,
    name: str = "day",
    closed_facilities: Iterable[str] = (),
    facility_streams: Mapping[str, Sequence[str]] | None = None,
) -> tuple[routing.Problem, list[routing.Unassigned]]:
    """The routing problem for snapped sites, and the sites it cannot contain.

    Parameters
    ----------
    snapped
        Output of ``geodata.snap_sites``: one row per site with ``site_id``, ``kind``,
        ``tonnes`` (t), ``service_min`` (min), ``open_s``/``close_s`` (s from midnight or
        NaN), ``priority``, ``reachable``, ``unreachable_reason``.
    matrix
        ``geodata.travel_matrix(G, snapped)``: ``site_ids`` and ``duration_s`` (s) /
        ``distance_m`` (m) with ``inf`` for pairs with no street path. Location ``i``
        of the problem is ``matrix.site_ids[i]``.
    fleet
        Truck types; vehicles are numbered ``T01``, ``T02``... in order.
    name
        Label of the problem.
    closed_facilities
        Facility site ids left out (closed that day).
    facility_streams
        Waste streams accepted per facility site id (``Scenario.accepted_streams()``);
        a facility not named accepts what its row's ``stream`` column lists
        (``;``-separated), and a blank or ``"mixed"`` column means every stream.

    Returns
    -------
    problem : routing.Problem
        Stops (dead spots and bins), depots, open facilities, vehicles.
    left_out : list of routing.Unassigned
        Every site not in the problem, with the reason: off the street network (from
        snapping), no street path to or from a depot or facility, closed facility.
        Each input site is in exactly one of the two.

    Raises
    ------
    ScenarioError
        No depot or facility a truck can use, an unknown depot or facility id, a
        closed facility that is unknown.
    routing.ProblemError
        If the assembled problem is not valid.
    """
    closed = set(closed_facilities)
    site_ids = [str(s) for s in matrix.site_ids]
    index = {sid: i for i, sid in enumerate(site_ids)}
    dur = np.asarray(matrix.duration_s, dtype=float)
    dist = np.asarray(matrix.distance_m, dtype=float)
    rows = snapped.reset_index(drop=True)
    known = set(rows["site_id"].astype(str))
    missing = known - set(index)
    if missing:
        raise ScenarioError("<pipeline>", f"the matrix lacks sites {sorted(missing)[:5]}; "
                            "build it with geodata.travel_matrix(G, snapped)")
    facility_ids = set(rows.loc[rows["kind"].isin(FACILITY_KINDS), "site_id"].astype(str))
    unknown_closed = closed - facility_ids
    if unknown_closed:
        raise ScenarioError("<scenario>", f"closed_facilities: {sorted(unknown_closed)} are not "
                            f"facilities; known: {sorted(facility_ids)}")

    left_out: list[routing.Unassigned] = []
    depots: list[routing.Depot] = []
    facilities: list[routing.Facility] = []
    work: list[Any] = []
    for row in rows.to_dict("records"):
        sid, kind = str(row["site_id"]), row["kind"]
        load = float(row.get("tonnes") or 0.0) if kind in WORK_KINDS else 0.0
        if not bool(row.get("reachable", True)):
            left_out.append(routing.Unassigned(sid, sid, load, _reason(row), "off_network",
                                               _off_network_details(row)))
        elif kind == "depot":
            depots.append(routing.Depot(sid, index[sid]))
        elif kind in FACILITY_KINDS:
            if sid in closed:
                left_out.append(routing.Unassigned(sid, sid, 0.0,
                                                   "closed today (closed_facilities)", "closed"))
                continue
            accepts = (facility_streams or {}).get(sid)
            facilities.append(routing.Facility(
                sid, index[sid], unload_s=round(float(row.get("service_min") or 0.0) * 60),
                window=_window(row.get("open_s"), row.get("close_s")), kind=kind,
                streams=tuple(accepts) if accepts else _accepted(row.get("stream"))))
        elif kind in WORK_KINDS:
            work.append(row)
        else:
            left_out.append(routing.Unassigned(sid, sid, load, f"unknown site kind {kind!r}",
                                               "kind"))

    vehicles = _vehicles(fleet, depots, facilities, closed)
    used_depots = {v.start_depot for v in vehicles} | {v.end_depot for v in vehicles}
    home = [d.location for d in depots if d.id in used_depots] or [d.location for d in depots]
    unload = [f.location for f in facilities]
    stops: list[routing.Stop] = []
    for row in work:
        sid = str(row["site_id"])
        loc = index[sid]
        load = float(row["tonnes"])
        reachable = (
            any(math.isfinite(dur[h, loc]) for h in home)
            and any(math.isfinite(dur[loc, f]) and any(math.isfinite(dur[f, h]) for h in home)
                    for f in unload)
        )
        if not reachable:
            left_out.append(routing.Unassigned(sid, sid, load, NO_PATH, "no_path"))
            continue
        stops.append(routing.Stop(
            sid, loc, load_t=load, service_s=round(float(row.get("service_min") or 0.0) * 60),
            window=_window(row.get("open_s"), row.get("close_s")),
            priority=int(row.get("priority") or 3), site_id=sid,
            stream=_stream(row.get("stream"))))
    problem = routing.Problem(
        duration_s=dur, distance_m=dist, stops=tuple(stops), facilities=tuple(facilities),
        depots=tuple(depots), vehicles=tuple(vehicles), name=name,
        location_names=tuple(site_ids),
    )
    logger.info("problem %r: %d stops, %d facilities, %d depots, %d trucks; %d site(s) left out",
                name, len(stops), len(facilities), len(depots), len(vehicles), len(left_out))
    return problem, left_out


def _vehicles(
    fleet: Sequence[FleetType],
    depots: Sequence[routing.Depot],
    facilities: Sequence[routing.Facility],
    closed: set[str],
) -> list[routing.Vehicle]:
    depot_ids = [d.id for d in depots]
    open_ids = {f.id for f in facilities}
    problems: list[str] = []
    vehicles: list[routing.Vehicle] = []
    number = 0
    for k, ft in enumerate(fleet, start=1):
        where = f"fleet[{k}] ({ft.name!r})"
        depot = ft.depot
        if not depot:
            if len(depot_ids) != 1:
                problems.append(f"{where}.depot: not given and the scenario has "
                                f"{len(depot_ids)} usable depots {depot_ids}; set depot = \"ID\"")
                continue
            depot = depot_ids[0]
        elif depot not in depot_ids:
            problems.append(f"{where}.depot: {depot!r} is not a usable depot (on the street "
                            f"network); known: {depot_ids}")
            continue
        allowed = tuple(f for f in ft.facilities if f not in closed)
        unknown = [f for f in allowed if f not in open_ids]
        if unknown:
            problems.append(f"{where}.facilities: {unknown} are not usable facilities; "
                            f"known: {sorted(open_ids)}")
            continue
        if ft.facilities and not allowed:
            problems.append(f"{where}.facilities: every facility it may use is closed "
                            f"({list(ft.facilities)}); allow another one")
            continue
        brk = ft.break_window_s
        for _ in range(ft.count):
            number += 1
            vehicles.append(routing.Vehicle(
                f"T{number:02d}", depot, capacity_t=float(ft.capacity_t), shift=ft.shift_s,
                max_duration_s=None if ft.max_hours is None else round(ft.max_hours * 3600),
                break_=None if brk is None else routing.Break(*brk),
                fixed_cost=float(ft.fixed_cost), cost_per_km=float(ft.cost_per_km),
                cost_per_hour=float(ft.cost_per_hour), facilities=allowed,
                streams=ft.streams, max_daily_t=ft.max_daily_t, max_stops=ft.max_stops))
    if not facilities:
        problems.append("no open landfill or transfer station on the street network; add one "
                        "(kind landfill/transfer in a site file, or [[facilities]]) or reopen "
                        "one (closed_facilities)")
    if not depot_ids:
        problems.append("no depot on the street network; add one (kind depot in a site file, "
                        "or [[depots]])")
    if problems:
        raise ScenarioError("<scenario>", problems)
    return vehicles


def load_sites(scenario: Scenario) -> gpd.GeoDataFrame:
    """All sites of a scenario in one validated frame: site files plus inline ones.

    Raises
    ------
    ScenarioError
        A site file that does not exist, or a site id used in two places.
    geodata.SiteValidationError
        A site file with bad rows (names the file, row, column and fix).
    """
    import geodata

    paths = _check_site_files(scenario)
    frames = []
    origin: dict[str, str] = {}
    problems: list[str] = []
    for path in paths:
        frame = geodata.read_sites(path, crs=scenario.sites_crs, layer=scenario.sites_layer,
                                   encoding=scenario.sites_encoding)
        frames.append(frame)
        for sid in frame["site_id"]:
            if sid in origin:
                problems.append(f"site id {sid!r} is in both {origin[sid]} and {path}; "
                                "make ids unique")
            origin[sid] = str(path)
    inline = _inline_sites(scenario)
    if inline is not None:
        frames.append(inline)
        for sid in inline["site_id"]:
            if sid in origin:
                problems.append(f"[[depots]]/[[facilities]] id {sid!r} is also in "
                                f"{origin[sid]}; make ids unique")
    if problems:
        raise ScenarioError(scenario.source, problems)
    sites = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(sites, geometry="geometry", crs="EPSG:4326")


def _check_site_files(scenario: Scenario) -> list[Path]:
    paths = scenario.site_paths()
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise ScenarioError(scenario.source, [
            f"sites.files: {p} does not exist; check the path (relative paths in a scenario "
            "are relative to its file)" for p in missing])
    return paths


def _inline_sites(scenario: Scenario) -> gpd.GeoDataFrame | None:
    import geodata

    rows = [{"site_id": d.id, "kind": "depot", "name": d.id, "lon": d.lon, "lat": d.lat}
            for d in scenario.depots]
    rows += [{"site_id": f.id, "kind": f.kind, "name": f.id, "service_min": f.unload_min,
              "open": f.open, "close": f.close, "lon": f.lon, "lat": f.lat}
             for f in scenario.facilities]
    if not rows:
        return None
    df = pd.DataFrame(rows)
    frame = gpd.GeoDataFrame(df.drop(columns=["lon", "lat"]),
                             geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs="EPSG:4326")
    return geodata.validate_sites(frame, source=f"{scenario.source} [[depots]]/[[facilities]]")


@dataclass(frozen=True)
class DayResult:
    """Everything a planned day produced, for maps, tables and notebooks.

    Attributes
    ----------
    scenario
        The scenario planned.
    G
        The street network (EPSG:4326).
    sites, snapped
        The sites as read, and as snapped to the streets.
    matrix
        The travel matrix (``geodata.TravelMatrix``).
    problem
        The routing problem solved.
    plan
        The plan; ``plan.unassigned`` also lists the sites left out before solving.
    timings
        Seconds per step: ``network``, ``sites``, ``snapping``, ``matrix``, ``solve``.
    """

    scenario: Scenario
    G: nx.MultiDiGraph
    sites: gpd.GeoDataFrame
    snapped: gpd.GeoDataFrame
    matrix: Any
    problem: routing.Problem
    plan: routing.Plan
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def unassigned_work(self) -> tuple[routing.Unassigned, ...]:
        """Unassigned dead spots and bins (not closed or unreachable facilities)."""
        kinds = dict(zip(self.sites["site_id"].astype(str), self.sites["kind"], strict=True))
        return tuple(u for u in self.plan.unassigned if kinds.get(u.site_id) in WORK_KINDS)

    def routes_table(self) -> pd.DataFrame:
        """One row per truck: stops, tonnes, km, hours, unload trips, cost."""
        return pd.DataFrame([
            {"truck": r.vehicle_id, "stops": len(r.stops), "tonnes": round(r.tonnes, 2),
             "km": round(r.distance_km, 2), "hours": round(r.duration_h, 2),
             "unload_trips": r.unload_trips, "cost": round(r.cost, 2)}
            for r in self.plan.routes
        ], columns=["truck", "stops", "tonnes", "km", "hours", "unload_trips", "cost"])

    def visits_table(self) -> pd.DataFrame:
        """One row per visit of every route, times as ``HH:MM``."""
        from maps import hhmm  # the one rounding of minutes every output uses

        return pd.DataFrame([
            {"truck": r.vehicle_id, "order": k, "kind": v.kind, "id": v.id,
             "site_id": v.site_id, "arrival": hhmm(v.arrival_s), "start": hhmm(v.start_s),
             "departure": hhmm(v.departure_s), "load_t": round(v.load_t, 2),
             "load_after_t": round(v.load_after_t, 2), "km": round(v.distance_km, 2)}
            for r in self.plan.routes for k, v in enumerate(r.visits)
        ])

    def unassigned_table(self) -> pd.DataFrame:
        """One row per unassigned site (or load): id, tonnes, reason."""
        return pd.DataFrame(
            [{"site_id": u.site_id, "stop_id": u.stop_id, "tonnes": u.load_t,
              "reason": u.reason} for u in self.plan.unassigned],
            columns=["site_id", "stop_id", "tonnes", "reason"])


def plan_day(
    scenario: Scenario,
    *,
    progress: ProgressCallback | None = None,
    on_step: StepCallback | None = None,
    G: nx.MultiDiGraph | None = None,
    sites: gpd.GeoDataFrame | None = None,
) -> DayResult:
    """Plan one day: network, sites, snapping, matrix, problem, solve.

    Parameters
    ----------
    scenario
        What to plan.
    progress
        Passed to ``routing.solve``: called with ``routing.Progress`` at each new best.
    on_step
        Called as ``on_step(name, seconds)`` after each step (``network``, ``sites``,
        ``snapping``, ``matrix``, ``problem``, ``solve``).
    G
        A street network already loaded (notebooks comparing scenarios reuse it);
        ``None``: load ``scenario.network.source``.
    sites
        Sites already read and validated (``geodata.validate_sites`` schema), e.g. the
        reports of the planning service; ``None``: read the scenario's site files.

    Returns
    -------
    DayResult
        The plan and everything it was made from. Every input site is in
        ``plan.routes`` or ``plan.unassigned``.

    Raises
    ------
    ScenarioError, geodata.GeodataError, routing.ProblemError
        Bad input; the message names the file, the row or field and the fix.

    Examples
    --------
    >>> from planner import Scenario, SAMPLE_SCENARIO, plan_day
    >>> day = plan_day(Scenario.from_file(SAMPLE_SCENARIO))  # doctest: +SKIP
    >>> day.plan.totals()["unassigned"]  # doctest: +SKIP
    0
    """
    import geodata

    timings: dict[str, float] = {}

    def step(name: str, started: float) -> None:
        timings[name] = round(time.perf_counter() - started, 3)
        logger.info("%s: %.2f s", name, timings[name])
        if on_step is not None:
            on_step(name, timings[name])

    if sites is None:
        _check_site_files(scenario)  # fail before the (possibly slow) network load
    started = time.perf_counter()
    if G is None:
        G = geodata.load_network(scenario.network.source, profile=scenario.truck)
    step("network", started)
    started = time.perf_counter()
    if sites is None:
        sites = load_sites(scenario)
    step("sites", started)
    started = time.perf_counter()
    snapped = geodata.snap_sites(G, sites, max_snap_m=scenario.network.max_snap_m)
    step("snapping", started)
    started = time.perf_counter()
    matrix = geodata.travel_matrix(G, snapped)
    step("matrix", started)
    started = time.perf_counter()
    problem, left_out = build_problem(snapped, matrix, scenario.fleet, name=scenario.name,
                                      closed_facilities=scenario.closed_facilities,
                                      facility_streams=scenario.accepted_streams())
    step("problem", started)
    started = time.perf_counter()
    solver = scenario.solver
    if problem.stops:
        plan = routing.solve(problem, engine=solver.engine, time_limit=solver.time_limit_s,
                             seed=solver.seed, max_iterations=solver.max_iterations,
                             progress=progress)
    else:
        plan = routing.Plan(routes=(), unassigned=(), engine=solver.engine, seed=solver.seed)
    plan = dataclasses.replace(plan, unassigned=tuple(left_out) + tuple(plan.unassigned))
    step("solve", started)
    return DayResult(scenario=scenario, G=G, sites=sites, snapped=snapped, matrix=matrix,
                     problem=problem, plan=plan, timings=timings)


def write_day(result: DayResult, out_dir: str | Path | None = None, *,
              force: bool = False, lang: str | None = None) -> dict[str, Path]:
    """Write the maps, sheets, GPX, GeoJSON and summary of a day (atomically).

    Parameters
    ----------
    result
        From ``plan_day``.
    out_dir
        The folder; ``None``: the scenario's output folder. New, empty or a previous
        plan: a folder holding other files is refused (``maps.MapsError``).
    force
        Write into a folder that holds other files; they are kept.
    lang
        The language of the pages, sheets and directions; default the run's language
        (``i18n.use``, e.g. ``run_plan.py --lang``), else the scenario's ``language``.

    Returns
    -------
    dict of str to Path
        What was written, by name (``index.html``, ``truck-T01.html``, ...).
    """
    import maps

    scenario = result.scenario
    out = Path(out_dir) if out_dir is not None else scenario.output_dir()
    return maps.write_outputs(
        result.plan, problem=result.problem, G=result.G, snapped=result.snapped,
        matrix=result.matrix, out_dir=out, date=scenario.date, force=force,
        title=f"{scenario.name} — {scenario.date.isoformat()}",
        **scenario.output_options(lang),
    )
