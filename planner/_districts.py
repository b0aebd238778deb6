"""District plans: each district of a city planned as its own day, on Dask, then one overview.

A province plans many districts every morning, each with its own depot and trucks. The
sites are split by a ``district`` column of the site file (or any column named with
``by``), or by polygons (``polygons``, a GeoJSON whose features carry the district name
in the property ``by``). Each district gets:

- its own depot: a depot site in the district (the first one), else the depot with the
  shortest mean drive to the district's sites;
- a share of every fleet type, in proportion to the district's tonnes (largest
  remainders; every district with work gets at least one truck);
- every landfill and transfer station (they serve the whole city).

The network, sites and travel matrix are computed once and scattered to the workers, as
for a sweep; each district is one task that plans its day and writes its folder. Trucks
are numbered across the city (``T01``... in the first district, on from there in the
next), so the overview (``overview/``, the same files as a daily plan) shows every
district's routes on one map. Sites in no district are listed unassigned with the reason.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import routing
from planner._campaign_io import _write_csv, _write_text
from planner._errors import ScenarioError
from planner._pipeline import WORK_KINDS, DayResult, build_problem, write_day
from planner._scenario import Scenario
from planner._sweep import RowCallback, run_tasks, shared_inputs
from planner._sweep_tasks import PLAN_FILE, day_row, solve_problem

__all__ = ["DistrictsResult", "assign_districts", "plan_districts", "share_fleet"]

logger = logging.getLogger(__name__)

NO_DISTRICT = "in no district (no district value, or outside every district polygon)"


@dataclass(frozen=True, slots=True)
class _District:
    """One district's task: its name, sites, depot, fleet and first truck number."""

    number: int
    name: str
    site_ids: tuple[str, ...]
    depot: str
    counts: tuple[int, ...]
    first_truck: int

    @property
    def label(self) -> str:
        return self.name

    @property
    def folder(self) -> str:
        return f"{self.number:02d}-" + re.sub(r"[^A-Za-z0-9._+-]+", "_", self.name)[:60]


@dataclass(frozen=True)
class DistrictsResult:
    """The districts of a day.

    Attributes
    ----------
    rows
        One dict per district (columns of ``districts.csv``).
    plan, problem
        All districts together (trucks numbered across the city), as drawn in
        ``overview/``; ``plan.unassigned`` also lists the sites in no district.
    files
        ``districts.csv``, ``districts.json``, ``overview`` and the district folders.
    seconds
        Wall-clock time (s).
    """

    rows: tuple[dict, ...]
    plan: routing.Plan
    problem: routing.Problem | None
    files: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def failed(self) -> tuple[dict, ...]:
        """Rows of the districts that could not be planned (``error`` says why)."""
        return tuple(r for r in self.rows if r["status"] != "planned")

    def table(self) -> pd.DataFrame:
        """The rows as a table."""
        return pd.DataFrame(list(self.rows))


def assign_districts(sites: Any, *, by: str = "district",
                     polygons: str | os.PathLike[str] | None = None) -> pd.Series:
    """The district of every site (``None`` where it has none), indexed like ``sites``.

    Parameters
    ----------
    sites
        Sites (``geodata.read_sites`` schema, EPSG:4326).
    by
        The site column with the district name; with ``polygons``, the polygons'
        property with it.
    polygons
        A GeoJSON (or any file geopandas reads) of district polygons.

    Raises
    ------
    ScenarioError
        No such column or property, or a polygon file that cannot be read.
    """
    if polygons is None:
        if by not in sites.columns:
            raise ScenarioError("<sites>", f"the sites have no {by!r} column (found "
                                f"{sorted(c for c in sites.columns if c != 'geometry')}); add "
                                "one to the site file, or give district polygons")
        values = sites[by]
    else:
        values = _by_polygon(sites, by, Path(polygons))
    return pd.Series([_name(v) for v in values], index=sites.index, dtype=object)


def _name(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value).strip() or None


def _by_polygon(sites: Any, by: str, path: Path) -> pd.Series:
    import geopandas as gpd

    if not path.is_file():
        raise ScenarioError(str(path), "district polygon file does not exist; check the path")
    try:
        areas = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several kinds for unreadable files
        raise ScenarioError(str(path), f"cannot read the district polygons: {exc}") from None
    if by not in areas.columns:
        raise ScenarioError(str(path), f"the polygons have no property {by!r} (found "
                            f"{sorted(c for c in areas.columns if c != 'geometry')}); "
                            "name it with --by")
    if areas.crs is None:
        areas = areas.set_crs("EPSG:4326")
    areas = areas.to_crs(sites.crs)[[by, "geometry"]].rename(columns={by: "_district"})
    joined = gpd.sjoin(sites[["geometry"]], areas, how="left", predicate="within")
    return joined.loc[~joined.index.duplicated(), "_district"].reindex(sites.index)


def share_fleet(count: int, weights: Sequence[float]) -> list[int]:
    """``count`` trucks shared in proportion to ``weights`` (largest remainders).

    Examples
    --------
    >>> share_fleet(5, [10.0, 30.0, 10.0])
    [1, 3, 1]
    """
    total = float(sum(weights))
    if count <= 0 or total <= 0:
        return [0] * len(weights)
    exact = [count * w / total for w in weights]
    shares = [math.floor(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[:count - sum(shares)]:
        shares[i] += 1
    return shares


def _shares(fleet: Sequence[Any], tonnes: Sequence[float], source: str) -> list[list[int]]:
    """Trucks of each fleet type per district; every district at least one truck."""
    trucks = sum(f.count for f in fleet)
    if trucks < len(tonnes):
        raise ScenarioError(source, f"the fleet has {trucks} truck(s) for {len(tonnes)} "
                            "districts; give every district at least one truck")
    per_type = [share_fleet(f.count, tonnes) for f in fleet]
    counts = [list(c) for c in zip(*per_type, strict=True)]  # district -> type -> trucks
    for d in range(len(counts)):
        while sum(counts[d]) == 0:
            donor = max(range(len(counts)), key=lambda i: (sum(counts[i]), -i))
            kind = max(range(len(fleet)), key=lambda k: counts[donor][k])
            counts[donor][kind] -= 1
            counts[d][kind] += 1
    return counts


def _depot(name: str, work: pd.DataFrame, depots: pd.DataFrame, labels: pd.Series,
           matrix: Any) -> str:
    own = depots[labels.loc[depots.index] == name]
    if len(own):
        return str(own["site_id"].iloc[0])
    if depots.empty:
        return ""
    index = {str(s): i for i, s in enumerate(matrix.site_ids)}
    to = [index[s] for s in work["site_id"].astype(str)]
    dur = np.asarray(matrix.duration_s, dtype=float)

    def mean_drive(depot_id: str) -> float:
        row = dur[index[depot_id], to]
        finite = row[np.isfinite(row)]
        return float(finite.mean()) if len(finite) else math.inf

    return min(depots["site_id"].astype(str), key=mean_drive)


def run_district(district: _District, scenario: Scenario, folder: Path, G: Any, sites: Any,
                 snapped: Any, matrix: Any) -> dict:
    """Plan one district's day and write its folder (a task on a worker)."""
    started = time.perf_counter()
    row = {"district": district.name, "depot": district.depot, "status": "planned",
           "error": "", "trucks": sum(district.counts), "folder": str(folder)}
    piece: dict[str, Any] = {"row": row, "plan": None, "parts": None}
    try:
        fleet = tuple(dataclasses.replace(f, count=n, depot=district.depot)
                      for f, n in zip(scenario.fleet, district.counts, strict=True))
        sc = dataclasses.replace(scenario, name=f"{scenario.name} {district.name}", fleet=fleet)
        keep = set(district.site_ids)
        sub = snapped[snapped["site_id"].astype(str).isin(keep)]
        problem, left_out = build_problem(sub, matrix, fleet, name=sc.name,
                                          closed_facilities=sc.closed_facilities,
                                          facility_streams=sc.accepted_streams())
        problem = problem.with_changes(vehicles=tuple(
            dataclasses.replace(v, id=f"T{district.first_truck + k:02d}")
            for k, v in enumerate(problem.vehicles)))
        plan = solve_problem(sc, problem, left_out)
        day = DayResult(scenario=sc, G=G, sites=sites[sites["site_id"].astype(str).isin(keep)],
                        snapped=sub, matrix=matrix, problem=problem, plan=plan)
        write_day(day, folder, force=True)  # force: keep our plan.json of a previous run
        routing.save_plan(plan, folder / PLAN_FILE)
        row.update(day_row(day))
        piece.update(plan=plan, parts=(problem.stops, problem.facilities, problem.depots,
                                       problem.vehicles))
    except (ScenarioError, routing.RoutingError, routing.PlanViolation) as exc:
        logger.info("district %s failed: %s", district.name, exc)
        row.update(status="failed", error=f"{type(exc).__name__}: {exc}", folder="")
    row["task_s"] = round(time.perf_counter() - started, 3)
    return piece


def plan_districts(
    scenario: Scenario,
    *,
    client: Any,
    out_dir: str | os.PathLike[str],
    by: str = "district",
    polygons: str | os.PathLike[str] | None = None,
    G: Any = None,
    on_result: RowCallback | None = None,
) -> DistrictsResult:
    """Plan every district of the scenario as its own day on Dask, then the overview.

    Parameters
    ----------
    scenario
        The city's day: all its sites, depots, facilities and the whole fleet.
    client
        A ``dask.distributed.Client`` (workers of one thread each); ``None``: plan the
        districts one after another in this process.
    out_dir
        Where ``districts.csv``, ``districts.json``, ``overview/`` (all districts on one
        map, the files of a daily plan) and one folder per district go (a folder every
        worker can write).
    by, polygons
        How sites are placed in districts (see ``assign_districts``).
    G
        The street network if already loaded.
    on_result
        Called as ``on_result(row, done, total)`` as each district ends.

    Returns
    -------
    DistrictsResult
        A row per district (a district that cannot be planned is a row with its
        ``error``); every site is served in the overview plan or listed unassigned.

    Raises
    ------
    ScenarioError
        No district column or property, no district with work, fewer trucks than
        districts.
    """
    started = time.perf_counter()
    out = Path(out_dir).expanduser().resolve()
    G, sites, snapped, matrix = shared_inputs(scenario, G=G)
    by_id = dict(zip(sites["site_id"].astype(str),
                     assign_districts(sites, by=by, polygons=polygons), strict=True))
    labels = pd.Series([by_id.get(s) for s in snapped["site_id"].astype(str)],
                       index=snapped.index, dtype=object)
    kinds = snapped["kind"]
    work = snapped[kinds.isin(WORK_KINDS)]
    names = sorted({labels[i] for i in work.index if labels[i] is not None})
    if not names:
        raise ScenarioError(scenario.source, f"no dead spot or bin has a {by!r} value; nothing "
                            "to plan by district")
    depots = snapped[(kinds == "depot") & snapped["reachable"].astype(bool)]
    facility_ids = tuple(snapped.loc[kinds.isin(("landfill", "transfer")), "site_id"].astype(str))
    tonnes = [float(work.loc[labels[work.index] == n, "tonnes"].sum()) for n in names]
    counts = _shares(scenario.fleet, tonnes, scenario.source)
    districts, first = [], 1
    for k, (name, n) in enumerate(zip(names, counts, strict=True), start=1):
        mine = work[labels[work.index] == name]
        depot = _depot(name, mine, depots, labels, matrix)
        ids = (*mine["site_id"].astype(str), *([depot] if depot else []), *facility_ids)
        districts.append(_District(k, name, ids, depot, tuple(n), first))
        first += sum(n)
    logger.info("%d district(s) of %r: %s", len(districts), scenario.name,
                ", ".join(f"{d.name} ({sum(d.counts)} trucks, depot {d.depot or '-'})"
                          for d in districts))
    def failed(d: _District, exc: BaseException) -> dict:
        return {"row": {"district": d.name, "depot": d.depot, "status": "failed",
                        "error": f"{type(exc).__name__}: {exc}", "trucks": sum(d.counts),
                        "folder": "", "task_s": 0.0}, "plan": None, "parts": None}

    pieces = run_tasks(client, [(d, run_district, (d, scenario, out / d.folder))
                                for d in districts], (G, sites, snapped, matrix),
                       name="district", on_result=on_result, failed=failed,
                       row_of=lambda piece: piece["row"])
    ordered = [pieces[d.number] for d in districts]
    outside = [routing.Unassigned(str(r["site_id"]), str(r["site_id"]),
                                  float(r["tonnes"]), NO_DISTRICT)
               for i, r in work.iterrows() if labels[i] is None]
    plan, problem = merge_districts(ordered, districts, work, matrix, outside,
                                    name=scenario.name, engine=scenario.solver.engine)
    rows = tuple(p["row"] for p in ordered)
    files = write_districts(rows, out, plan=plan, problem=problem, G=G, snapped=snapped,
                            matrix=matrix, scenario=scenario, outside=len(outside))
    files.update({Path(r["folder"]).name: Path(r["folder"]) for r in rows
                  if r["status"] == "planned"})
    return DistrictsResult(rows, plan, problem, files, round(time.perf_counter() - started, 3))


def merge_districts(pieces: Sequence[dict], districts: Sequence[_District], work: Any,
                    matrix: Any, outside: Sequence[routing.Unassigned], *, name: str,
                    engine: str) -> tuple[routing.Plan, routing.Problem | None]:
    """All districts as one plan and problem (same matrix, trucks numbered apart)."""
    routes, unassigned, progress = [], list(outside), []
    stops, facilities, depots, vehicles = {}, {}, {}, {}
    for piece, district in zip(pieces, districts, strict=True):
        plan = piece["plan"]
        if plan is None:
            why = f"district {district.name} could not be planned: {piece['row']['error']}"
            mine = work[work["site_id"].astype(str).isin(district.site_ids)]
            unassigned += [routing.Unassigned(str(r.site_id), str(r.site_id), float(r.tonnes),
                                              why) for r in mine.itertuples()]
            continue
        routes += plan.routes
        unassigned += plan.unassigned
        progress += plan.sites
        for parts, into in zip(piece["parts"], (stops, facilities, depots, vehicles),
                               strict=True):
            into.update({p.id: p for p in parts})
    seen: set[tuple[str, str]] = set()
    unique = []
    for u in unassigned:  # a closed facility is reported by every district
        if (u.site_id, u.stop_id) not in seen:
            seen.add((u.site_id, u.stop_id))
            unique.append(u)
    plan = routing.Plan(routes=tuple(routes), unassigned=tuple(unique), engine=engine,
                        solve_seconds=round(sum(p["plan"].solve_seconds for p in pieces
                                                if p["plan"] is not None), 3),
                        sites=tuple(progress))
    if not vehicles:
        return plan, None
    problem = routing.Problem(
        duration_s=np.asarray(matrix.duration_s, dtype=float),
        distance_m=np.asarray(matrix.distance_m, dtype=float), stops=tuple(stops.values()),
        facilities=tuple(facilities.values()), depots=tuple(depots.values()),
        vehicles=tuple(vehicles.values()), name=name,
        location_names=tuple(str(s) for s in matrix.site_ids))
    return plan, problem


def write_districts(rows: Sequence[dict], out: Path, *, plan: routing.Plan,
                    problem: routing.Problem | None, G: Any, snapped: Any, matrix: Any,
                    scenario: Scenario, outside: int) -> dict[str, Path]:
    """Write ``districts.csv``, ``districts.json`` and the overview of all districts."""
    import maps

    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    if problem is not None:
        import i18n

        lang = i18n.pick(getattr(scenario, "language", None))
        with i18n.use(lang):
            title = i18n.gettext("{name}: {n} districts — {date}").format(
                name=scenario.name, n=len(rows), date=scenario.date.isoformat())
        maps.write_outputs(plan, problem=problem, G=G, snapped=snapped, matrix=matrix,
                           out_dir=out / "overview", date=scenario.date,
                           title=title, **scenario.output_options(lang))
        files["overview"] = out / "overview"
    columns = ("district", "depot", "status", "error", "trucks", "trucks_used", "km", "hours",
               "tonnes", "unassigned", "unassigned_t", "solve_s", "task_s", "folder")
    files["districts.csv"] = _write_csv(out / "districts.csv",
                                        [{c: r.get(c, "") for c in columns} for r in rows])
    totals = plan.totals()
    doc = {"name": scenario.name, "date": scenario.date.isoformat(), "totals": totals,
           "in_no_district": outside, "districts": list(rows)}
    files["districts.json"] = _write_text(out / "districts.json",
                                          json.dumps(doc, indent=2, default=str))
    return files
