"""Readers of public VRP benchmark instances into ``routing.Problem``.

Three sets (see ``../shared/benchmarks/README.md``):

- ``x``: CVRPLIB X (VRPLIB ``.vrp``). Euclidean distances rounded to the nearest
  integer; cost = total distance. No time limits: durations equal distances and the
  shift is open. The fleet is the ``k`` of the name plus a margin (the BKS sometimes
  uses ``k + 1`` routes).
- ``solomon``: Solomon VRPTW (text). DIMACS convention: distances truncated to one
  decimal, so every number (distances, durations, windows, service) is scaled by 10 to
  integers; reported costs are divided by 10 again.
- ``mtvrptwr``: multi-trip VRPTW with release dates (PyVRP's VRPLIB dialect). DIMACS
  as Solomon. Trucks reload at the depot: the depot location is also a facility with
  ``unload_s=0`` and the depot's opening hours, and ``end_empty=False`` (the depot
  itself is the final unloading point, as in the benchmark).

In every set the location index equals the customer number used by the ``.sol`` files
(depot 0), and a stop's id is that number as text.
"""

from __future__ import annotations

import csv
import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import vrplib

from routing import Depot, Facility, Plan, Problem, Stop, Vehicle

SETS = ("x", "solomon", "mtvrptwr")
OPEN_SHIFT = (0, 10**9)


@dataclass(frozen=True)
class Instance:
    """A benchmark instance as a ``routing.Problem`` with its reporting conventions.

    Parameters
    ----------
    name
        Instance name (file stem).
    kind
        One of ``SETS``.
    problem
        The problem; its ``distance_m`` holds the instance's integer distances.
    cost_scale
        Divide a sum of ``distance_m`` by this to get the reported cost (10 for DIMACS).
    bks
        Best-known cost in reported units, or ``None`` if unknown.
    path
        The instance file.
    """

    name: str
    kind: str
    problem: Problem
    cost_scale: int
    bks: float | None
    path: Path

    @property
    def sol_path(self) -> Path:
        """The ``.sol`` file beside the instance."""
        return self.path.with_suffix(".sol")


def kind_of(path: Path) -> str:
    """The set an instance file belongs to, from its folder or name."""
    parent = path.parent.name.lower()
    if "mtvrptwr" in parent or (path.suffix == ".vrp" and re.search(r"R0\.\d+$", path.stem)):
        return "mtvrptwr"
    if "solomon" in parent or path.suffix == ".txt":
        return "solomon"
    return "x"


def _euclid(coords: np.ndarray) -> np.ndarray:
    diff = coords[:, None, :] - coords[None, :, :]
    return np.sqrt((diff**2).sum(axis=-1))


def _dimacs(values) -> np.ndarray:
    """Scale by 10 and truncate, as PyVRP's ``round_func="dimacs"``."""
    return (10 * np.asarray(values, dtype=float)).astype(np.int64)


def read_bks(folder: Path) -> dict[str, float]:
    """Best-known costs of a folder's ``BKS.csv``, in reported units."""
    path = folder / "BKS.csv"
    if not path.exists():
        return {}
    out = {}
    with path.open() as fh:
        for row in csv.DictReader(fh):
            name = row["instance"]
            if "bks_cost" in row:
                out[name] = float(row["bks_cost"])
            elif "bks_distance_dimacs_trunc1" in row:
                out[name] = float(row["bks_distance_dimacs_trunc1"])
            elif "bks_cost_as_in_sol_file" in row:  # MTVRPTWR: x10 integers
                out[name] = float(row["bks_cost_as_in_sol_file"]) / 10
    return out


def read_instance(path: str | Path, *, kind: str | None = None) -> Instance:
    """Read one benchmark instance into a ``routing.Problem``.

    Parameters
    ----------
    path
        A ``.vrp`` (X or MTVRPTWR) or Solomon ``.txt`` file.
    kind
        ``"x"``, ``"solomon"`` or ``"mtvrptwr"``; guessed from the path if ``None``.
    """
    path = Path(path)
    kind = kind or kind_of(path)
    if kind not in SETS:
        raise ValueError(f"unknown benchmark set {kind!r}; choose one of {SETS}")
    bks = read_bks(path.parent).get(path.stem)
    if kind == "x":
        problem = _read_x(path)
        scale = 1
    elif kind == "solomon":
        problem = _read_solomon(path)
        scale = 10
    else:
        problem = _read_mtvrptwr(path)
        scale = 10
    return Instance(path.stem, kind, problem, scale, bks, path)


def _read_x(path: Path) -> Problem:
    data = vrplib.read_instance(str(path), compute_edge_weights=False)
    coords = np.asarray(data["node_coord"], dtype=float)
    dist = np.round(_euclid(coords)).astype(np.int64)
    depot = int(np.atleast_1d(data.get("depot", [0]))[0])
    if depot != 0:
        raise ValueError(f"{path}: depot must be the first node, got node {depot + 1}")
    demand = np.asarray(data["demand"])
    stops = tuple(Stop(str(i), i, load_t=float(demand[i]), required=True)
                  for i in range(1, len(coords)))
    match = re.search(r"-k(\d+)", path.stem)
    k = int(match.group(1)) if match else math.ceil(demand.sum() / data["capacity"])
    vehicles = tuple(Vehicle(f"V{j}", "depot", capacity_t=float(data["capacity"]),
                             shift=OPEN_SHIFT) for j in range(k + max(2, k // 10)))
    return Problem(duration_s=dist, distance_m=dist, stops=stops, facilities=(),
                   depots=(Depot("depot", 0),), vehicles=vehicles, name=path.stem,
                   end_empty=False)


def _read_solomon(path: Path) -> Problem:
    data = vrplib.read_instance(str(path), instance_format="solomon",
                                compute_edge_weights=False)
    coords = np.asarray(data["node_coord"], dtype=float)
    dist = _dimacs(_euclid(coords))
    tw = _dimacs(data["time_window"])
    service = _dimacs(data["service_time"])
    demand = np.asarray(data["demand"])
    stops = tuple(Stop(str(i), i, load_t=float(demand[i]), service_s=int(service[i]),
                       window=(int(tw[i, 0]), int(tw[i, 1])), required=True)
                  for i in range(1, len(coords)))
    shift = (int(tw[0, 0]), int(tw[0, 1]))
    vehicles = tuple(Vehicle(f"V{j}", "depot", capacity_t=float(data["capacity"]),
                             shift=shift) for j in range(int(data["vehicles"])))
    return Problem(duration_s=dist, distance_m=dist, stops=stops, facilities=(),
                   depots=(Depot("depot", 0),), vehicles=vehicles, name=path.stem,
                   end_empty=False)


def _read_mtvrptwr(path: Path) -> Problem:
    data = vrplib.read_instance(str(path), compute_edge_weights=False)
    coords = np.asarray(data["node_coord"], dtype=float)
    n = len(coords)
    depot = int(np.atleast_1d(data.get("depot", [0]))[0])
    if depot != 0:
        raise ValueError(f"{path}: depot must be the first node, got node {depot + 1}")
    dist = _dimacs(_euclid(coords))
    tw = _dimacs(data["time_window"])
    service = np.broadcast_to(_dimacs(data.get("service_time", 0)), (n,))
    release = np.broadcast_to(_dimacs(data.get("release_time", 0)), (n,))
    demand = np.asarray(data["demand"])
    stops = tuple(Stop(str(i), i, load_t=float(demand[i]), service_s=int(service[i]),
                       window=(int(tw[i, 0]), int(tw[i, 1])), release_s=int(release[i]),
                       required=True)
                  for i in range(1, n))
    shift = (int(tw[0, 0]), int(tw[0, 1]))
    capacity = np.broadcast_to(np.asarray(data["capacity"]), (int(data["vehicles"]),))
    reload = Facility("reload", 0, unload_s=0, window=shift, kind="depot")
    vehicles = tuple(Vehicle(f"V{j}", "depot", capacity_t=float(c), shift=shift,
                             facilities=("reload",)) for j, c in enumerate(capacity))
    return Problem(duration_s=dist, distance_m=dist, stops=stops, facilities=(reload,),
                   depots=(Depot("depot", 0),), vehicles=vehicles, name=path.stem,
                   end_empty=False)


def read_sol(path: str | Path) -> tuple[list[list[int]], float | None]:
    """Routes (customer numbers, 0 = reload at the depot) and cost of a ``.sol`` file."""
    sol = vrplib.read_solution(str(path))
    cost = sol.get("cost")
    return [list(map(int, r)) for r in sol["routes"]], (float(cost) if cost is not None
                                                         else None)


def routes_cost(instance: Instance, routes: Sequence[Sequence[int]]) -> float:
    """Cost of routes given as customer numbers (0 = back to the depot), reported units."""
    dist = instance.problem.distance_m
    total = 0
    for route in routes:
        path = [0, *route, 0]
        total += sum(int(dist[a, b]) for a, b in itertools.pairwise(path))
    return total / instance.cost_scale


def plan_routes(plan: Plan) -> list[list[int]]:
    """A plan's routes as customer numbers; a reload (facility visit) is 0."""
    out = []
    for route in plan.routes:
        ids = [int(v.id) if v.kind == "stop" else 0 for v in route.visits
               if v.kind in ("stop", "facility")]
        while ids and ids[-1] == 0:
            ids.pop()
        out.append(ids)
    return out


def routes_plan(instance: Instance, routes: Sequence[Sequence[int]], *,
                engine: str = "bks") -> Plan:
    """A timed ``Plan`` from routes of customer numbers (0 = reload), for checking.

    Each route leaves the depot when its first trip's release time allows.
    """
    from routing import schedule_route

    problem = instance.problem
    reload = problem.facilities[0].id if problem.facilities else None
    built = []
    for vehicle, route in zip(problem.vehicles, routes, strict=False):
        items = [str(c) if c else reload for c in route]
        first_trip = route[: route.index(0)] if 0 in route else route
        depart = max([vehicle.shift[0]]
                     + [problem.stop(str(c)).release_s for c in first_trip])
        built.append(schedule_route(problem, vehicle.id, items, depart_s=depart))
    if len(routes) > len(problem.vehicles):
        raise ValueError(f"{instance.name}: {len(routes)} routes for "
                         f"{len(problem.vehicles)} vehicles")
    return Plan(routes=tuple(built), unassigned=(), engine=engine)
