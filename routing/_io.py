"""The JSON form of ``Problem`` and ``Plan`` (documented in ``docs/problem-json.md``).

A problem file gives either matrices (``duration_s`` and ``distance_m``, ``null`` for a
pair with no street path) or ``coordinates`` with a ``metric``. Times of day may be
written as seconds from midnight or as ``"HH:MM"``. Files are validated with pydantic;
every mistake becomes one ``ProblemError`` naming the field path (``vehicles[2].capacity_t``),
the value received and what to write instead.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import uuid
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from i18n import N_, gettext
from routing._errors import ProblemError
from routing._model import DAY_S, DEFAULT_STREAM, Break, Depot, Facility, Problem, Stop, Vehicle
from routing._plan import Plan, Route, SiteProgress, Unassigned, Visit

logger = logging.getLogger(__name__)

EARTH_RADIUS_M = 6_371_008.8
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def _time_of_day(value: Any) -> Any:
    """Accept ``"HH:MM"`` / ``"HH:MM:SS"`` for a time of day; numbers pass through.

    As in site files, a clock time runs from 00:00 to 24:00: ``"27:00"`` is refused
    (seconds past a day stay possible as numbers, for benchmark instances).
    """
    if isinstance(value, str):
        match = _HHMM.match(value.strip())
        if not match or int(match[2]) > 59 or int(match[3] or 0) > 59:
            raise ValueError(f"time {value!r} is not HH:MM; write e.g. \"07:30\" or 27000")
        seconds = int(match[1]) * 3600 + int(match[2]) * 60 + int(match[3] or 0)
        if seconds > DAY_S:
            raise ValueError(f"time {value!r} is past 24:00; give a time of day between "
                             "00:00 and 24:00")
        return seconds
    return value


TimeOfDay = Annotated[int, BeforeValidator(_time_of_day), Field(ge=0)]
Seconds = Annotated[int, Field(ge=0)]
Window = tuple[TimeOfDay, TimeOfDay]
Location = int | str


class _Strict(BaseModel):
    # Infinity and NaN (which Python's json accepts) are refused in every number field
    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)


class StopIn(_Strict):
    """A stop as written in a problem file."""

    id: str = Field(min_length=1)
    location: Location
    load_t: float = Field(ge=0, allow_inf_nan=False)
    service_s: Seconds = 0
    window: Window | None = None
    priority: int = Field(3, ge=1, le=5)
    required: bool = False
    release_s: TimeOfDay = 0
    site_id: str = ""
    stream: str = Field(DEFAULT_STREAM, min_length=1)


class FacilityIn(_Strict):
    """A landfill or transfer station as written in a problem file."""

    id: str = Field(min_length=1)
    location: Location
    unload_s: Seconds = 900
    window: Window | None = None
    kind: str = "landfill"
    streams: list[str] = []


class DepotIn(_Strict):
    """A depot as written in a problem file."""

    id: str = Field(min_length=1)
    location: Location


class BreakIn(_Strict):
    """A break: ``duration_s`` starting within ``[earliest_s, latest_s]``."""

    earliest_s: TimeOfDay
    latest_s: TimeOfDay
    duration_s: int = Field(gt=0)


class VehicleIn(_Strict):
    """A truck as written in a problem file."""

    id: str = Field(min_length=1)
    start_depot: str
    end_depot: str = ""
    capacity_t: float = Field(gt=0, allow_inf_nan=False)
    shift: Window = (6 * 3600, 18 * 3600)
    max_duration_s: int | None = Field(None, gt=0)
    break_: BreakIn | None = Field(None, alias="break")
    fixed_cost: float = Field(0.0, ge=0)
    cost_per_km: float = Field(1.0, ge=0)
    cost_per_hour: float = Field(0.0, ge=0)
    facilities: list[str] = []
    streams: list[str] = []
    max_daily_t: float | None = Field(None, gt=0, allow_inf_nan=False)
    max_stops: int | None = Field(None, gt=0)


class ProblemIn(_Strict):
    """A whole problem file."""

    name: str = "problem"
    end_empty: bool = True
    locations: list[str] | None = None
    duration_s: list[list[float | None]] | None = None
    distance_m: list[list[float | None]] | None = None
    coordinates: list[tuple[float, float]] | None = None
    metric: Literal["euclidean", "manhattan", "haversine"] = "euclidean"
    speed_mps: float = Field(1.0, gt=0, allow_inf_nan=False)
    round: Literal["none", "nearest", "truncate1"] = "none"
    stops: list[StopIn] = []
    facilities: list[FacilityIn] = []
    depots: list[DepotIn] = Field(min_length=1)
    vehicles: list[VehicleIn] = Field(min_length=1)


# -- errors ------------------------------------------------------------------------------
def _path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-before[_time_of_day(), int]", "int", "str", "tuple"):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _fields(model: type[BaseModel]) -> list[str]:
    return sorted(f.alias or name for name, f in model.model_fields.items())


def _extra_hint(loc: tuple) -> str:
    model: type[BaseModel] = ProblemIn
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        annotation = model.model_fields.get(part) or next(
            (f for f in model.model_fields.values() if f.alias == part), None)
        if annotation is None:
            break
        nested = {"stops": StopIn, "facilities": FacilityIn, "depots": DepotIn,
                  "vehicles": VehicleIn, "break": BreakIn, "break_": BreakIn}.get(part)
        if nested is None:
            break
        model = nested
    return f"; allowed fields: {', '.join(_fields(model))}"


def _explain(error: ValidationError, source: str) -> ProblemError:
    lines = []
    seen: set[str] = set()
    for e in error.errors():
        path = _path(e["loc"])
        if path in seen:  # a union reports each branch; the first says enough
            continue
        seen.add(path)
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "missing" and e["loc"] and isinstance(e["loc"][-1], int):
            parent = _path(e["loc"][:-1])
            if parent in seen:
                continue
            seen.add(parent)
            lines.append(gettext("{field}: needs two times [start, end], e.g. [\"08:00\", "
                                 "\"16:00\"]").format(field=parent))
        elif e["type"] == "extra_forbidden":
            lines.append(f"{path}: unknown field{_extra_hint(e['loc'])}")
        elif e["type"] == "missing":
            lines.append(gettext("{field}: missing; add it").format(field=path))
        elif e["type"] == "finite_number":
            hint = (gettext(N_("{field}: {value!r} is not a finite number; write null for a pair "
                               "with no street path"))
                    if path.startswith(("duration_s", "distance_m"))
                    else gettext(N_("{field}: {value!r} is not a finite number; give a finite "
                                    "number")))
            lines.append(hint.format(field=path, value=e.get("input")))
        else:
            lines.append(f"{path}: {msg} (got {e.get('input')!r})")
    return ProblemError(_invalid(source, lines))


def _invalid(source: str, problems: list[str]) -> str:
    """The message of a problem with these faults (one line each)."""
    return gettext("{source} is not a valid problem:\n{problems}").format(
        source=source, problems="\n".join(f"  - {p}" for p in problems))


# -- problem <-> dict ----------------------------------------------------------------------
def _matrix_in(rows: list[list[float | None]], name: str, source: str) -> np.ndarray:
    n = len(rows)
    bad = [k for k, row in enumerate(rows) if len(row) != n]
    if bad:
        raise ProblemError(f"{source}: {name}[{bad[0]}] has {len(rows[bad[0]])} entries but "
                           f"the matrix has {n} rows; make it square")
    return np.array([[math.inf if x is None else x for x in row] for row in rows], dtype=float)


def _check_pairs(dur: np.ndarray, dist: np.ndarray, source: str) -> None:
    """A pair is a path in both matrices or in neither (``null`` in both)."""
    if dur.shape != dist.shape:
        raise ProblemError(f"{source}: duration_s is {dur.shape[0]}x{dur.shape[1]} but "
                           f"distance_m is {dist.shape[0]}x{dist.shape[1]}; give the same size")
    odd = np.argwhere(np.isinf(dur) != np.isinf(dist))
    if len(odd):
        i, j = (int(x) for x in odd[0])
        null, value = ("duration_s", f"distance_m[{i}][{j}] is {dist[i, j]:g}") \
            if np.isinf(dur[i, j]) else ("distance_m", f"duration_s[{i}][{j}] is {dur[i, j]:g}")
        more = f" ({len(odd)} pairs in all)" if len(odd) > 1 else ""
        raise ProblemError(f"{source}: {null}[{i}][{j}] is null (no street path) but {value}"
                           f"{more}; give both or neither (null in both for no path)")


def _check_breaks(spec: ProblemIn) -> list[str]:
    """Breaks that no shift can hold, each with the field named."""
    errors = []
    for k, v in enumerate(spec.vehicles):
        b = v.break_
        if b is None:
            continue
        where = f"vehicles[{k}].break"
        day = min(v.shift[1] - v.shift[0], v.max_duration_s or DAY_S)
        if b.duration_s > DAY_S:
            errors.append(f"{where}.duration_s: {b.duration_s} s ({b.duration_s / 3600:.1f} h) "
                          "is longer than a day; give the break's length in seconds, e.g. 1800")
        elif b.duration_s >= day:
            errors.append(f"{where}.duration_s: {b.duration_s} s ({b.duration_s / 3600:.1f} h) "
                          f"leaves no time in the truck's {day / 3600:.1f} h day; shorten the "
                          "break or lengthen the shift")
    return errors


def _from_coordinates(spec: ProblemIn) -> tuple[np.ndarray, np.ndarray]:
    xy = np.array(spec.coordinates, dtype=float).reshape(-1, 2)
    if spec.metric == "haversine":  # [lon, lat] in degrees
        lon, lat = np.radians(xy[:, 0]), np.radians(xy[:, 1])
        dlat = lat[:, None] - lat[None, :]
        dlon = lon[:, None] - lon[None, :]
        a = np.sin(dlat / 2) ** 2 + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(
            dlon / 2) ** 2
        dist = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1)))
    else:
        diff = np.abs(xy[:, None, :] - xy[None, :, :])
        dist = diff.sum(axis=2) if spec.metric == "manhattan" else np.hypot(
            diff[..., 0], diff[..., 1])
    if spec.round == "nearest":
        dist = np.floor(dist + 0.5)
    elif spec.round == "truncate1":
        dist = np.floor(dist * 10 + 1e-9) / 10
    return dist / spec.speed_mps, dist


def problem_from_dict(data: Any, *, source: str = "problem") -> Problem:
    """Build a ``Problem`` from its JSON form.

    Parameters
    ----------
    data
        The parsed JSON (see ``docs/problem-json.md``).
    source
        How to name the input in error messages (a file name).

    Raises
    ------
    ProblemError
        Naming every field that is wrong, the value received and the fix.
    """
    try:
        spec = ProblemIn.model_validate(data)
    except ValidationError as exc:
        raise _explain(exc, source) from None
    if spec.coordinates is not None and (spec.duration_s or spec.distance_m):
        raise ProblemError(gettext("{source}: give either coordinates or duration_s/distance_m, "
                                   "not both").format(source=source))
    if spec.coordinates is not None:
        dur, dist = _from_coordinates(spec)
    elif spec.duration_s is not None and spec.distance_m is not None:
        dur = _matrix_in(spec.duration_s, "duration_s", source)
        dist = _matrix_in(spec.distance_m, "distance_m", source)
        _check_pairs(dur, dist, source)
    else:
        raise ProblemError(gettext("{source}: no travel data; give both duration_s and "
                                   "distance_m (square matrices, null = no path) or coordinates "
                                   "with a metric").format(source=source))
    names = spec.locations or []
    where = {name: k for k, name in enumerate(names)}
    errors: list[str] = []

    def loc(value: Location, path: str) -> int:
        if isinstance(value, int):
            return value
        if value not in where:
            errors.append(f"{path}.location: {value!r} is not a name in locations; use one of "
                          f"{names[:5]}{'...' if len(names) > 5 else ''} or a matrix index")
            return 0
        return where[value]

    def build(kind, make):
        try:
            return make()
        except ProblemError as exc:
            errors.append(f"{kind}: {exc}")
            return None

    depot_ids = {d.id for d in spec.depots}
    facility_ids = {f.id for f in spec.facilities}
    errors.extend(_check_breaks(spec))
    for k, v in enumerate(spec.vehicles):
        for name in ("start_depot", "end_depot"):
            value = getattr(v, name)
            if value and value not in depot_ids:
                errors.append(f"vehicles[{k}].{name}: unknown depot {value!r}; use one of "
                              f"{sorted(depot_ids)}")
        for j, f in enumerate(v.facilities):
            if f not in facility_ids:
                errors.append(f"vehicles[{k}].facilities[{j}]: unknown facility {f!r}; use one "
                              f"of {sorted(facility_ids)}")
    if errors:
        raise ProblemError(_invalid(source, errors))
    stops = [build(f"stops[{k}]", lambda s=s, k=k: Stop(
        s.id, loc(s.location, f"stops[{k}]"), s.load_t, s.service_s, s.window, s.priority,
        s.required, s.site_id, s.release_s, s.stream)) for k, s in enumerate(spec.stops)]
    facilities = [build(f"facilities[{k}]", lambda f=f, k=k: Facility(
        f.id, loc(f.location, f"facilities[{k}]"), f.unload_s, f.window, f.kind,
        tuple(f.streams))) for k, f in enumerate(spec.facilities)]
    depots = [Depot(d.id, loc(d.location, f"depots[{k}]")) for k, d in enumerate(spec.depots)]
    vehicles = [build(f"vehicles[{k}]", lambda v=v: Vehicle(
        v.id, v.start_depot, v.capacity_t, v.shift, v.end_depot, v.max_duration_s,
        Break(v.break_.earliest_s, v.break_.latest_s, v.break_.duration_s)
        if v.break_ else None, v.fixed_cost, v.cost_per_km, v.cost_per_hour,
        tuple(v.facilities), tuple(v.streams), v.max_daily_t, v.max_stops))
        for k, v in enumerate(spec.vehicles)]
    if errors:
        raise ProblemError(_invalid(source, errors))
    try:
        return Problem(duration_s=dur, distance_m=dist, stops=tuple(stops),
                       facilities=tuple(facilities), depots=tuple(depots),
                       vehicles=tuple(vehicles), name=spec.name,
                       location_names=tuple(names), end_empty=spec.end_empty)
    except ProblemError as exc:
        raise ProblemError(f"{source}: {exc}") from None


def _number(x: float) -> float | int | None:
    if not math.isfinite(x):
        return None
    return int(x) if float(x).is_integer() else float(x)


def problem_to_dict(problem: Problem) -> dict:
    """The JSON form of a problem (matrices written out, ``null`` for no path)."""
    out: dict[str, Any] = {"name": problem.name, "end_empty": problem.end_empty}
    if problem.location_names:
        out["locations"] = list(problem.location_names)
    out["duration_s"] = [[_number(x) for x in row] for row in problem.duration_s.tolist()]
    out["distance_m"] = [[_number(x) for x in row] for row in problem.distance_m.tolist()]
    out["stops"] = [
        {"id": s.id, "location": s.location, "load_t": s.load_t, "service_s": s.service_s,
         "window": list(s.window) if s.window else None, "priority": s.priority,
         "required": s.required, "release_s": s.release_s, "site_id": s.site_id,
         "stream": s.stream}
        for s in problem.stops
    ]
    out["facilities"] = [
        {"id": f.id, "location": f.location, "unload_s": f.unload_s,
         "window": list(f.window) if f.window else None, "kind": f.kind,
         "streams": list(f.streams)}
        for f in problem.facilities
    ]
    out["depots"] = [{"id": d.id, "location": d.location} for d in problem.depots]
    out["vehicles"] = [
        {"id": v.id, "start_depot": v.start_depot, "end_depot": v.end_depot,
         "capacity_t": v.capacity_t, "shift": list(v.shift), "max_duration_s": v.max_duration_s,
         "break": None if v.break_ is None else {
             "earliest_s": v.break_.earliest_s, "latest_s": v.break_.latest_s,
             "duration_s": v.break_.duration_s},
         "fixed_cost": v.fixed_cost, "cost_per_km": v.cost_per_km,
         "cost_per_hour": v.cost_per_hour, "facilities": list(v.facilities),
         "streams": list(v.streams), "max_daily_t": v.max_daily_t, "max_stops": v.max_stops}
        for v in problem.vehicles
    ]
    return out


def load_problem(path: str | os.PathLike) -> Problem:
    """Read a problem file (JSON, see ``docs/problem-json.md``).

    Raises
    ------
    ProblemError
        If the file is missing, is not JSON, or describes an invalid problem.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProblemError(gettext("{path}: no such file").format(path=path)) from None
    except OSError as exc:
        raise ProblemError(gettext("{path}: cannot read it ({error})").format(
            path=path, error=exc.strerror)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProblemError(gettext("{path}: not valid JSON at line {line}, column {column}: "
                                   "{error}").format(path=path, line=exc.lineno,
                                                     column=exc.colno, error=exc.msg)) from None
    return problem_from_dict(data, source=str(path))


def _write_atomic(data: dict, path: str | os.PathLike) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # not tempfile.mkstemp: its 0600 would make plan.json private while the day's other
    # outputs are 0644; os.open's 0o666 less the umask gives every output the same mode
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, allow_nan=False)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def save_problem(problem: Problem, path: str | os.PathLike) -> Path:
    """Write a problem as JSON, atomically (a temporary file, then a rename)."""
    return _write_atomic(problem_to_dict(problem), path)


# -- plan <-> dict -------------------------------------------------------------------------
_VISIT_FIELDS = ("kind", "id", "location", "arrival_s", "start_s", "departure_s", "load_t",
                 "load_after_t", "distance_km", "elapsed_h", "site_id")


def plan_to_dict(plan: Plan) -> dict:
    """The JSON form of a plan: totals, routes of visits, unassigned stops, site progress."""
    return {
        "engine": plan.engine,
        "seed": plan.seed,
        "solve_seconds": plan.solve_seconds,
        "objective": plan.objective,
        "totals": plan.totals(),
        "routes": [
            {"vehicle_id": r.vehicle_id, "distance_km": r.distance_km,
             "duration_h": r.duration_h, "tonnes": r.tonnes, "unload_trips": r.unload_trips,
             "cost": r.cost,
             "visits": [{f: getattr(v, f) for f in _VISIT_FIELDS} for v in r.visits]}
            for r in plan.routes
        ],
        "unassigned": [{"stop_id": u.stop_id, "site_id": u.site_id, "load_t": u.load_t,
                        "reason": u.reason, "code": u.code, "details": dict(u.details)}
                       for u in plan.unassigned],
        "sites": [{"site_id": s.site_id, "tonnes": s.tonnes, "cleared_t": s.cleared_t,
                   "trips": s.trips} for s in plan.sites],
        "meta": plan.meta,
    }


def plan_from_dict(data: dict) -> Plan:
    """Rebuild a ``Plan`` from ``plan_to_dict`` output (``totals`` is recomputed)."""
    try:
        routes = tuple(
            Route(r["vehicle_id"], tuple(Visit(**{f: v[f] for f in _VISIT_FIELDS})
                                         for v in r["visits"]),
                  r["distance_km"], r["duration_h"], r["tonnes"], r["unload_trips"], r["cost"])
            for r in data["routes"]
        )
        return Plan(
            routes=routes,
            unassigned=tuple(Unassigned(**u) for u in data["unassigned"]),
            engine=data["engine"],
            seed=data.get("seed", 0),
            solve_seconds=data.get("solve_seconds", 0.0),
            objective=data.get("objective", 0.0),
            sites=tuple(SiteProgress(**s) for s in data.get("sites", ())),
            meta=dict(data.get("meta", {})),
        )
    except (KeyError, TypeError) as exc:
        raise ProblemError(f"not a plan written by plan_to_dict: {exc}") from None


def save_plan(plan: Plan, path: str | os.PathLike) -> Path:
    """Write a plan as JSON, atomically (a temporary file in the same folder, then a rename)."""
    return _write_atomic(plan_to_dict(plan), path)


def load_plan(path: str | os.PathLike) -> Plan:
    """Read a plan written by ``save_plan``."""
    return plan_from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
