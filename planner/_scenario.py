"""A day's scenario: network, sites, fleet, solver settings and output, read from TOML.

Every part is a frozen dataclass validated on construction, so variants made with
``dataclasses.replace`` are checked too. ``Scenario.from_file`` reads a TOML file,
collects every problem (unknown keys, wrong types, bad values) and raises one
``ScenarioError`` naming the file, the field, the value received and the fix. The fields
and their defaults are documented in ``docs/scenario.md``.

Paths inside a scenario file (site files, a network file) are relative to the file; the
output folder is relative to the working directory, where the dispatcher runs the command.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
import os
import re
import string
import tomllib
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from i18n import N_
from i18n import gettext as _
from planner._errors import ScenarioError

__all__ = [
    "DEFAULT_MAX_ITERATIONS",
    "DepotSpec",
    "FacilitySpec",
    "FleetType",
    "NetworkSpec",
    "Scenario",
    "SolverSpec",
    "parse_hhmm",
    "replace_fleet",
]

logger = logging.getLogger(__name__)

#: The search's work budget when a scenario sets none: ``"auto"`` sizes it to the day per
#: engine (``routing.work_budget``: 2 OR-Tools solutions or 30 PyVRP iterations a stop),
#: so the bundled sample stops on its budget in a few seconds and gives the same plan
#: every run, while a city's day runs into its time limit first and uses all of it. The
#: printed plan says which stopped the search.
DEFAULT_MAX_ITERATIONS = "auto"
ENGINES = ("ortools", "pyvrp", "auto")
FACILITY_KINDS = ("landfill", "transfer")
_OUTPUT_FIELDS = {"date", "name"}
#: The time zone of a scenario that names none: shift and window times are then read as UTC.
DEFAULT_TIMEZONE = "UTC"


def parse_hhmm(value: Any) -> int | None:
    """Seconds from midnight of ``"HH:MM"`` (``"24:00"`` allowed), or ``None`` if invalid.

    Examples
    --------
    >>> parse_hhmm("06:30")
    23400
    """
    if not isinstance(value, str):
        return None
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip())
    if not m:
        return None
    hours, minutes = int(m[1]), int(m[2])
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        return None
    return hours * 3600 + minutes * 60


def _timezone_problem(value: Any, problems: list[str]) -> None:
    if isinstance(value, str) and value.strip():
        try:
            zoneinfo.ZoneInfo(value)
            return
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    import difflib

    close = difflib.get_close_matches(str(value), sorted(zoneinfo.available_timezones()), n=1,
                                    cutoff=0.85)
    if close:
        problems.append(_("timezone: got {value!r}; did you mean {close!r}? give an IANA time "
                          "zone name, e.g. \"Asia/Shanghai\" or \"Europe/Helsinki\"").format(
                              value=value, close=close[0]))
    else:
        problems.append(_("timezone: got {value!r}; give an IANA time zone name, e.g. "
                          "\"Asia/Shanghai\" or \"Europe/Helsinki\"").format(value=value))


def _raise(problems: list[str]) -> None:
    if problems:
        raise ScenarioError("<scenario>", problems)


def _time_problem(name: str, value: str | None, problems: list[str]) -> int | None:
    if value is None:
        return None
    secs = parse_hhmm(value)
    if secs is None:
        problems.append(_("{field}: got {value!r}; give a time as \"HH:MM\" (00:00 to "
                          "24:00)").format(field=name, value=value))
    return secs


def _sites_problems(crs: Any, encoding: Any, problems: list[str]) -> None:
    """``[sites] crs`` and ``encoding`` that geodata could not use."""
    import codecs

    import geodata

    if crs is not None and geodata.chinese_crs(crs) is None:
        from pyproj import CRS

        try:
            CRS.from_user_input(crs)
        except Exception:  # pyproj raises CRSError and others
            problems.append(_("sites.crs: got {value!r}; give an EPSG code such as "
                              "'EPSG:3067', or 'GCJ-02' (Amap, Tencent) or 'BD-09' "
                              "(Baidu)").format(value=crs))
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except (LookupError, TypeError):
            problems.append(_("sites.encoding: got {value!r}; give a codec name such as "
                              "'utf-8', 'gb18030' or 'cp1252'").format(value=encoding))


def _language_problem(scenario: Any, problems: list[str]) -> None:
    """``language`` normalised to its tag (``"zh_CN"`` -> ``"zh-CN"``), or a problem."""
    import i18n

    try:
        object.__setattr__(scenario, "language", i18n.normalize(scenario.language))
    except i18n.LanguageError:
        problems.append(_("language: got {value!r}; use one of {languages}").format(
            value=scenario.language, languages=", ".join(i18n.LANGUAGES)))


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True, slots=True)
class NetworkSpec:
    """Where the streets come from (``[network]``).

    Parameters
    ----------
    source
        ``"sample"`` (offline Helsinki), a path to ``.osm.pbf``/``.osm``/``.graphml``/a
        polygon file, ``"place:NAME"`` or ``"bbox:W,S,E,N"`` (online, cached).
    max_snap_m
        Sites farther than this from a drivable street (m) are left unassigned.
    """

    source: str = "sample"
    max_snap_m: float = 300.0

    def __post_init__(self) -> None:
        problems = []
        if not isinstance(self.source, str) or not self.source.strip():
            problems.append(f"source: got {self.source!r}; give 'sample', a file path, "
                            "'place:NAME' or 'bbox:W,S,E,N'")
        if not _finite(self.max_snap_m) or self.max_snap_m <= 0:
            problems.append(f"max_snap_m: got {self.max_snap_m!r}; give a distance in metres > 0")
        _raise(problems)


@dataclass(frozen=True, slots=True)
class DepotSpec:
    """A depot given inline (``[[depots]]``): where trucks start and end (lon/lat, EPSG:4326)."""

    id: str
    lon: float
    lat: float

    def __post_init__(self) -> None:
        problems: list[str] = []
        _check_place(self.id, self.lon, self.lat, problems)
        _raise(problems)


@dataclass(frozen=True, slots=True)
class FacilitySpec:
    """A landfill or transfer station given inline (``[[facilities]]``).

    Parameters
    ----------
    id
        Unique site id.
    lon, lat
        Location, degrees (EPSG:4326).
    kind
        ``"landfill"`` or ``"transfer"``.
    unload_min
        Minutes to unload a truck.
    open, close
        Opening hours ``"HH:MM"``; ``None``: open all day.
    streams
        The waste streams it accepts; empty: every stream.
    """

    id: str
    lon: float
    lat: float
    kind: str = "landfill"
    unload_min: float = 15.0
    open: str | None = None
    close: str | None = None
    streams: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "streams", tuple(self.streams))
        problems: list[str] = []
        _check_place(self.id, self.lon, self.lat, problems)
        if not all(isinstance(x, str) and x.strip() for x in self.streams):
            problems.append(f"streams: got {list(self.streams)!r}; give a list of stream names")
        if self.kind not in FACILITY_KINDS:
            problems.append(f"kind: got {self.kind!r}; use one of {', '.join(FACILITY_KINDS)}")
        if not _finite(self.unload_min) or self.unload_min < 0:
            problems.append(f"unload_min: got {self.unload_min!r}; give minutes >= 0")
        o = _time_problem("open", self.open, problems)
        c = _time_problem("close", self.close, problems)
        if o is not None and c is not None and c <= o:
            problems.append(f"close {self.close!r} is not after open {self.open!r}; fix the hours")
        _raise(problems)


def _check_place(site_id: Any, lon: Any, lat: Any, problems: list[str]) -> None:
    if not isinstance(site_id, str) or not site_id.strip():
        problems.append(f"id: got {site_id!r}; give a non-empty site id")
    if not _finite(lon) or not -180 <= lon <= 180:
        problems.append(f"lon: got {lon!r}; give a longitude in degrees (-180..180, EPSG:4326)")
    if not _finite(lat) or not -90 <= lat <= 90:
        problems.append(f"lat: got {lat!r}; give a latitude in degrees (-90..90, EPSG:4326)")


@dataclass(frozen=True, slots=True)
class FleetType:
    """One type of truck and how many of it (``[[fleet]]``).

    Parameters
    ----------
    name
        A label ("rear-loader"); truck ids are numbered ``T01``, ``T02``... across types.
    count
        How many trucks of this type (0 keeps the type but sends none).
    capacity_t
        Payload in tonnes.
    depot
        Depot site id; ``""``: the only depot of the scenario.
    shift_start, shift_end
        ``"HH:MM"``: leave the depot at or after, be back by.
    max_hours
        Longest working day in hours; ``None``: the shift length.
    break_start, break_end, break_min
        Lunch of ``break_min`` minutes taken within ``break_start``..``break_end``;
        no break when ``break_min`` is 0.
    fixed_cost, cost_per_km, cost_per_hour
        Cost of sending the truck at all, per km and per hour on the road.
    facilities
        Site ids of the landfills/transfer stations it may unload at; empty: all.
    streams
        The waste streams these trucks collect (one per trip); empty: every stream.
    max_daily_t
        Most tonnes one truck may collect in the day over all its trips (a disposal or
        weighbridge allowance); ``None``: no such limit.
    max_stops
        Most stops one truck may serve in the day; ``None``: no such limit.
    """

    name: str
    count: int
    capacity_t: float
    depot: str = ""
    shift_start: str = "06:00"
    shift_end: str = "16:00"
    max_hours: float | None = None
    break_start: str | None = None
    break_end: str | None = None
    break_min: float = 0.0
    fixed_cost: float = 0.0
    cost_per_km: float = 1.0
    cost_per_hour: float = 0.0
    facilities: tuple[str, ...] = ()
    streams: tuple[str, ...] = ()
    max_daily_t: float | None = None
    max_stops: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "facilities", tuple(self.facilities))
        object.__setattr__(self, "streams", tuple(self.streams))
        problems: list[str] = []
        if not isinstance(self.name, str) or not self.name.strip():
            problems.append(f"name: got {self.name!r}; give the truck type a name")
        if not all(isinstance(x, str) and x.strip() for x in self.streams):
            problems.append(f"streams: got {list(self.streams)!r}; give a list of stream names, "
                            "e.g. [\"residual\", \"kitchen\"]")
        if self.max_daily_t is not None and (not _finite(self.max_daily_t)
                                             or self.max_daily_t <= 0):
            problems.append(f"max_daily_t: got {self.max_daily_t!r}; give tonnes > 0 or leave "
                            "it out")
        mx = self.max_stops
        if mx is not None and (not isinstance(mx, int) or isinstance(mx, bool) or mx <= 0):
            problems.append(f"max_stops: got {mx!r}; give a whole number > 0 or leave it out")
        if not isinstance(self.count, int) or isinstance(self.count, bool) or self.count < 0:
            problems.append(_("count: got {value!r}; give a whole number of trucks >= 0").format(
                value=self.count))
        if not _finite(self.capacity_t) or self.capacity_t <= 0:
            problems.append(_("capacity_t: got {value!r}; give the payload in tonnes > 0").format(
                value=self.capacity_t))
        start = _time_problem("shift_start", self.shift_start, problems)
        end = _time_problem("shift_end", self.shift_end, problems)
        if start is not None and end is not None and end <= start:
            problems.append(_("shift_end {end!r} is not after shift_start {start!r}; fix the "
                              "shift").format(end=self.shift_end, start=self.shift_start))
        if self.max_hours is not None and (not _finite(self.max_hours) or self.max_hours <= 0):
            problems.append(f"max_hours: got {self.max_hours!r}; give hours > 0 or leave it out")
        if not _finite(self.break_min) or self.break_min < 0:
            problems.append(_("break_min: got {value!r}; give minutes >= 0 (0: no break)").format(
                value=self.break_min))
        elif self.break_min > 0:
            b0 = _time_problem("break_start", self.break_start, problems)
            b1 = _time_problem("break_end", self.break_end, problems)
            if self.break_start is None or self.break_end is None:
                problems.append(_("break_min is set but break_start/break_end are missing; give "
                                  "the lunch window, e.g. break_start = \"11:00\", "
                                  "break_end = \"13:00\""))
            elif b0 is not None and b1 is not None and b1 - b0 < self.break_min * 60:
                problems.append(_("break window {start}-{end} is shorter than break_min = "
                                  "{minutes:g} minutes; widen it").format(
                                      start=self.break_start, end=self.break_end,
                                      minutes=self.break_min))
        for name in ("fixed_cost", "cost_per_km", "cost_per_hour"):
            value = getattr(self, name)
            if not _finite(value) or value < 0:
                problems.append(f"{name}: got {value!r}; give a number >= 0")
        if not all(isinstance(f, str) and f for f in self.facilities):
            problems.append(f"facilities: got {list(self.facilities)!r}; give a list of site ids")
        _raise(problems)

    @property
    def shift_s(self) -> tuple[int, int]:
        """``(start, end)`` of the shift in seconds from midnight."""
        return parse_hhmm(self.shift_start), parse_hhmm(self.shift_end)

    @property
    def break_window_s(self) -> tuple[int, int, int] | None:
        """``(earliest start, latest start, length)`` of the lunch in seconds, or ``None``."""
        if not self.break_min:
            return None
        length = round(self.break_min * 60)
        return parse_hhmm(self.break_start), parse_hhmm(self.break_end) - length, length


@dataclass(frozen=True, slots=True)
class SolverSpec:
    """Solver settings (``[solver]``).

    Parameters
    ----------
    engine
        ``"ortools"``, ``"pyvrp"`` or ``"auto"``.
    time_limit_s
        Wall-clock limit of the search in seconds.
    seed
        Random seed.
    max_iterations
        The search's work budget, so the same seed gives the same plan when the budget,
        not the time limit, stops it: a whole number of iterations, ``"auto"`` (sized to
        the day, the default) or ``None`` (TOML: ``"none"``; search until the time limit).
    """

    engine: str = "auto"
    time_limit_s: float = 30.0
    seed: int = 0
    max_iterations: int | str | None = DEFAULT_MAX_ITERATIONS

    def __post_init__(self) -> None:
        problems = []
        if self.engine not in ENGINES:
            problems.append(_("engine: got {value!r}; use one of {engines}").format(
                value=self.engine, engines=", ".join(ENGINES)))
        if not _finite(self.time_limit_s) or self.time_limit_s <= 0:
            problems.append(_("time_limit_s: got {value!r}; give seconds > 0").format(
                value=self.time_limit_s))
        if not isinstance(self.seed, int) or isinstance(self.seed, bool) or self.seed < 0:
            problems.append(_("seed: got {value!r}; give a whole number >= 0").format(
                value=self.seed))
        mi = self.max_iterations
        if mi is not None and mi != "auto" and (
                not isinstance(mi, int) or isinstance(mi, bool) or mi <= 0):
            problems.append(f"max_iterations: got {mi!r}; give a whole number > 0, \"auto\" "
                            "or \"none\"")
        _raise(problems)


@dataclass(frozen=True, slots=True)
class Scenario:
    """Everything needed to plan one day.

    Parameters
    ----------
    name
        A label for titles and logs.
    network
        Street network source and snapping distance.
    site_files
        Site files (GeoJSON, GeoPackage, CSV; absolute or relative to the working
        directory); ``"sample"`` is the bundled ``geodata.SAMPLE_SITES``.
    depots, facilities
        Depots and landfills/transfer stations given inline, in addition to the sites of
        kind depot/landfill/transfer in the site files.
    fleet
        The truck types.
    solver
        Engine, time limit, seed, iterations.
    output_folder
        Where the maps and sheets go; ``{date}`` and ``{name}`` are filled in.
    date
        The day planned.
    closed_facilities
        Site ids of facilities closed that day (a what-if: a closed landfill).
    facility_streams
        The waste streams each facility of the site files accepts, by site id
        (``[facility_streams]``); a facility not named accepts what its site row's
        ``stream`` column lists (``;``-separated), else every stream.
    timezone
        IANA name of the city's time zone (``"Asia/Shanghai"``): every clock time of the
        scenario and the site files (shifts, windows, opening hours) is local time there;
        GPX files carry the same moments in UTC. Default ``"UTC"``.
    truck
        The ``geodata.TruckProfile`` deciding which streets the trucks may drive
        (``[truck]``); ``None``: the default profile (a 26 t rear-loader).
    map_tiles
        The pages' background tiles (``[map]``), a ``maps.TileSource``: OpenStreetMap,
        Tianditu (a key in an environment variable), Amap or any XYZ template, in
        WGS-84 or GCJ-02; ``None``: OpenStreetMap.
    sites_crs, sites_encoding, sites_layer
        How to read the site files (``[sites] crs``, ``encoding``, ``layer``): the CRS of
        coordinates that carry none (an EPSG code, ``"GCJ-02"`` for Amap/Tencent or
        ``"BD-09"`` for Baidu points, converted to WGS-84), the encoding of CSVs
        (``None``: detected) and the layer of GeoPackages with several.
    language
        The language of the pages, sheets, directions and messages: ``"en"`` (default)
        or ``"zh-CN"`` (``i18n.LANGUAGES``; other spellings such as ``"zh_CN"`` are
        normalised); ``run_plan.py --lang`` overrides it.
    source
        The TOML file this came from (for messages).

    Examples
    --------
    >>> import dataclasses
    >>> from planner import Scenario, FleetType
    >>> s = Scenario(fleet=(FleetType("rear-loader", count=3, capacity_t=10.0),))
    >>> two = dataclasses.replace(s, fleet=(dataclasses.replace(s.fleet[0], count=2),))
    >>> two.num_trucks
    2
    """

    name: str = "day"
    network: NetworkSpec = field(default_factory=NetworkSpec)
    site_files: tuple[str, ...] = ("sample",)
    depots: tuple[DepotSpec, ...] = ()
    facilities: tuple[FacilitySpec, ...] = ()
    fleet: tuple[FleetType, ...] = ()
    solver: SolverSpec = field(default_factory=SolverSpec)
    output_folder: str = "out/{date}"
    date: dt.date = field(default_factory=dt.date.today)
    closed_facilities: tuple[str, ...] = ()
    facility_streams: dict = field(default_factory=dict)
    timezone: str = DEFAULT_TIMEZONE
    truck: Any = None
    map_tiles: Any = None
    sites_crs: str | None = None
    sites_encoding: str | None = None
    sites_layer: str | None = None
    language: str = "en"
    source: str = "<scenario>"

    def __post_init__(self) -> None:
        for name in ("site_files", "depots", "facilities", "fleet", "closed_facilities"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        problems = []
        if not self.site_files:
            problems.append(_("sites.files is empty; list at least one site file, or "
                              "\"sample\""))
        if not self.fleet:
            problems.append(_("no [[fleet]]; add at least one truck type with name, count and "
                              "capacity_t"))
        names = [f.name for f in self.fleet]
        for dup in sorted({n for n in names if names.count(n) > 1}):
            problems.append(f"fleet: the type name {dup!r} is used twice; make names unique")
        inline = [d.id for d in self.depots] + [f.id for f in self.facilities]
        for dup in sorted({i for i in inline if inline.count(i) > 1}):
            problems.append(f"depots/facilities: the id {dup!r} is used twice; make ids unique")
        if not isinstance(self.date, dt.date):
            problems.append(f"date: got {self.date!r}; give a date as YYYY-MM-DD")
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(self.output_folder) if f}
        except (ValueError, AttributeError):
            fields = {"?"}
        if fields - _OUTPUT_FIELDS:
            problems.append(f"output.folder: got {self.output_folder!r}; only {{date}} and "
                            "{name} may be filled in")
        _timezone_problem(self.timezone, problems)
        if self.truck is not None and type(self.truck).__name__ != "TruckProfile":
            problems.append(f"truck: got {self.truck!r}; give a geodata.TruckProfile or None")
        if self.map_tiles is not None and type(self.map_tiles).__name__ != "TileSource":
            problems.append(f"map: got {self.map_tiles!r}; give a maps.TileSource or None")
        _sites_problems(self.sites_crs, self.sites_encoding, problems)
        _language_problem(self, problems)
        if problems:
            raise ScenarioError(self.source, problems)

    # -- derived ----------------------------------------------------------------------
    def accepted_streams(self) -> dict[str, tuple[str, ...]]:
        """The streams named per facility: ``[facility_streams]`` and ``[[facilities]]``."""
        named = {f.id: f.streams for f in self.facilities if f.streams}
        return {**named, **self.facility_streams}

    @property
    def num_trucks(self) -> int:
        """Trucks in the fleet, all types together."""
        return sum(f.count for f in self.fleet)

    def site_paths(self) -> list[Path]:
        """The site files as paths (``"sample"`` becomes ``geodata.SAMPLE_SITES``)."""
        import geodata

        return [Path(geodata.SAMPLE_SITES) if f == "sample" else Path(f) for f in self.site_files]

    def output_dir(self) -> Path:
        """The output folder with ``{date}`` and ``{name}`` filled in."""
        return Path(self.output_folder.format(date=self.date.isoformat(), name=self.name))

    def output_options(self, lang: str | None = None) -> dict[str, Any]:
        """What ``maps.write_outputs`` takes from the scenario: time zone, tiles, language.

        ``lang``: the run's language, if it asked for one; else the current one
        (``i18n.use``), else the scenario's ``language``.
        """
        import i18n

        return {"timezone": self.timezone, "tiles": self.map_tiles,
                "lang": lang or i18n.pick(self.language)}

    # -- reading ----------------------------------------------------------------------
    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Scenario:
        """Read and validate a TOML scenario.

        Parameters
        ----------
        path
            The ``.toml`` file. Site files and a network file are relative to it.

        Returns
        -------
        Scenario

        Raises
        ------
        ScenarioError
            Missing file, invalid TOML, unknown keys, wrong types or values: every
            problem at once, each naming the field, the value and the fix.

        Examples
        --------
        >>> from planner import Scenario, SAMPLE_SCENARIO
        >>> Scenario.from_file(SAMPLE_SCENARIO).network.source
        'sample'
        """
        path = Path(path)
        source = str(path)
        if not path.is_file():
            raise ScenarioError(source, _("file does not exist; check the path (run_plan.py "
                                          "without --scenario plans the bundled sample)"))
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ScenarioError(source, _("invalid TOML: {error}; fix the syntax (strings in "
                                          "double quotes, [table], [[array of tables]])").format(
                                              error=exc)) from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise ScenarioError(source, _("cannot read the file: {error}").format(
                error=exc)) from exc
        return cls.from_dict(data, base_dir=path.parent, source=source)

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, base_dir: str | os.PathLike[str] = ".",
        source: str = "<scenario>",
    ) -> Scenario:
        """Validate a scenario given as a dict in the TOML layout (see ``from_file``)."""
        return _Reader(Path(base_dir), source).scenario(data)


# -- TOML reading: type checks and unknown keys, every problem collected --------------------
_Check = Callable[[Any], bool]


def _is_str(v: Any) -> bool:
    return isinstance(v, str)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _is_strs(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _is_bool(v: Any) -> bool:
    return isinstance(v, bool)


def _is_speeds(v: Any) -> bool:
    return isinstance(v, dict) and all(_is_num(x) for x in v.values())


def _is_budget(v: Any) -> bool:
    return (_is_int(v) and v > 0) or v in ("auto", "none")


_TYPES: dict[str, tuple[_Check, str]] = {
    "str": (_is_str, N_("a string in double quotes")),
    "int": (_is_int, N_("a whole number")),
    "num": (_is_num, N_("a number")),
    "strs": (_is_strs, N_("a list of strings, e.g. [\"a\", \"b\"]")),
    "bool": (_is_bool, N_("true or false")),
    "speeds": (_is_speeds, N_("a table of km/h per highway class, e.g. { residential = 25 }")),
    "budget": (_is_budget, N_("a whole number of iterations, \"auto\" or \"none\"")),
}

_SCHEMAS: dict[str, dict[str, str]] = {
    "network": {"source": "str", "max_snap_m": "num"},
    "sites": {"files": "strs", "crs": "str", "encoding": "str", "layer": "str"},
    "depots": {"id": "str", "lon": "num", "lat": "num"},
    "facilities": {"id": "str", "kind": "str", "lon": "num", "lat": "num", "unload_min": "num",
                   "open": "str", "close": "str", "streams": "strs"},
    "fleet": {"name": "str", "count": "int", "capacity_t": "num", "depot": "str",
              "shift_start": "str", "shift_end": "str", "max_hours": "num",
              "break_start": "str", "break_end": "str", "break_min": "num",
              "fixed_cost": "num", "cost_per_km": "num", "cost_per_hour": "num",
              "facilities": "strs", "streams": "strs", "max_daily_t": "num", "max_stops": "int"},
    "solver": {"engine": "str", "time_limit_s": "num", "seed": "int",
               "max_iterations": "budget"},
    "output": {"folder": "str"},
    "map": {"tiles": "str", "attribution": "str", "crs": "str", "key_env": "str"},
    "truck": {"height_m": "num", "width_m": "num", "weight_t": "num", "top_speed_kph": "num",
              "allowed_highways": "strs", "fallback_speeds_kph": "speeds",
              "default_speed_kph": "num", "exclude_parking_aisles": "bool"},
}
_REQUIRED = {"depots": ("id", "lon", "lat"), "facilities": ("id", "lon", "lat"),
             "fleet": ("name", "count", "capacity_t")}
_TOP = {"name": "str", "date": "date", "closed_facilities": "strs", "timezone": "str",
        "language": "str",
        "facility_streams": "table",
        **dict.fromkeys(("network", "sites", "solver", "output", "truck", "map"), "table"),
        **dict.fromkeys(("depots", "facilities", "fleet"), "tables")}


def _suggest(key: str, known: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(key, known, n=1)
    if close:
        return _("did you mean {close!r}? known keys: {keys}").format(close=close[0],
                                                                      keys=", ".join(known))
    return _("known keys: {keys}").format(keys=", ".join(known))


class _Reader:
    """Turns the TOML dict into dataclasses, collecting every problem on the way."""

    def __init__(self, base_dir: Path, source: str) -> None:
        self.base_dir = base_dir
        self.source = source
        self.problems: list[str] = []

    def table(self, section: str, raw: Any, where: str) -> dict[str, Any]:
        """The keys of one table that have the right type (others reported)."""
        if not isinstance(raw, dict):
            self.problems.append(_("{where}: got {value!r}; it must be a table ({where} = "
                                   "...)").format(where=where, value=raw))
            return {}
        schema = _SCHEMAS[section]
        out: dict[str, Any] = {}
        for key, value in raw.items():
            if key not in schema:
                self.problems.append(_("{where}: unknown key {key!r}; {hint}").format(
                    where=where, key=key, hint=_suggest(key, list(schema))))
                continue
            check, what = _TYPES[schema[key]]
            if not check(value):
                self.problems.append(_("{field}: got {value!r}; give {what}").format(
                    field=f"{where}.{key}", value=value, what=_(what)))
                continue
            out[key] = tuple(value) if isinstance(value, list) else value
        for key in _REQUIRED.get(section, ()):
            if key not in raw:
                self.problems.append(_("{where}: missing {key!r}; add {key} = ...").format(
                    where=where, key=key))
        return out

    def build(self, cls: type, kwargs: dict[str, Any], where: str) -> Any:
        try:
            return cls(**kwargs)
        except ScenarioError as exc:
            self.problems.extend(f"{where}.{p}" for p in exc.problems)
        except TypeError:  # a required key missing: already reported by table()
            pass
        return None

    def path(self, value: str) -> str:
        if value == "sample" or re.match(r"[A-Za-z][A-Za-z0-9+.-]+:", value):
            return value  # "place:...", "bbox:...", or a scheme geodata will reject clearly
        return str((self.base_dir / os.path.expanduser(value)).resolve())

    def scenario(self, data: Mapping[str, Any]) -> Scenario:
        kwargs: dict[str, Any] = {"source": self.source}
        for key, value in data.items():
            kind = _TOP.get(key)
            if kind is None:
                self.problems.append(_("unknown key {key!r} at the top level; {hint}").format(
                    key=key, hint=_suggest(key, list(_TOP))))
            elif kind in ("table", "tables") and not isinstance(
                    value, dict if kind == "table" else list):
                form = f"[{key}]" if kind == "table" else f"[[{key}]]"
                self.problems.append(f"{key}: got {value!r}; write it as {form} table(s)")
        if "name" in data:
            if isinstance(data["name"], str):
                kwargs["name"] = data["name"]
            else:
                self.problems.append(f"name: got {data['name']!r}; give a string")
        if "date" in data:
            kwargs["date"] = self.date(data["date"])
        if "language" in data:
            kwargs["language"] = data["language"]
        if "timezone" in data:
            before = len(self.problems)
            _timezone_problem(data["timezone"], self.problems)
            if len(self.problems) == before:
                kwargs["timezone"] = data["timezone"]
        if isinstance(data.get("truck"), dict):
            kwargs["truck"] = self.truck(self.table("truck", data["truck"], "truck"))
        if isinstance(data.get("map"), dict):
            kwargs["map_tiles"] = self.map_tiles(self.table("map", data["map"], "map"))
        if isinstance(data.get("facility_streams"), dict):
            streams = {}
            for fid, value in data["facility_streams"].items():
                if _is_strs(value) and value and all(x.strip() for x in value):
                    streams[fid] = tuple(value)
                else:
                    self.problems.append(f"facility_streams.{fid}: got {value!r}; give the "
                                         "streams it accepts, e.g. [\"residual\"]")
            kwargs["facility_streams"] = streams
        if "closed_facilities" in data:
            if _is_strs(data["closed_facilities"]):
                kwargs["closed_facilities"] = tuple(data["closed_facilities"])
            else:
                self.problems.append(f"closed_facilities: got {data['closed_facilities']!r}; "
                                     "give a list of facility ids, e.g. [\"LF-2\"]")
        if isinstance(data.get("network"), dict):
            net = self.table("network", data["network"], "network")
            if "source" in net:
                net["source"] = self.path(net["source"])
            kwargs["network"] = self.build(NetworkSpec, net, "network")
        if isinstance(data.get("sites"), dict):
            sites = self.table("sites", data["sites"], "sites")
            if "files" in sites:
                kwargs["site_files"] = tuple(self.path(f) for f in sites["files"])
            kwargs.update({f"sites_{k}": sites[k] for k in ("crs", "encoding", "layer")
                           if k in sites})
        for key, cls in (("depots", DepotSpec), ("facilities", FacilitySpec),
                         ("fleet", FleetType)):
            if isinstance(data.get(key), list):
                items = []
                for i, raw in enumerate(data[key], start=1):
                    label = f"{key}[{i}]"
                    if isinstance(raw, dict) and isinstance(raw.get("name" if key == "fleet"
                                                                    else "id"), str):
                        label += f" ({raw.get('name') or raw.get('id')!r})"
                    items.append(self.build(cls, self.table(key, raw, label), label))
                kwargs[key] = tuple(items)
        if isinstance(data.get("solver"), dict):
            solver = self.table("solver", data["solver"], "solver")
            if solver.get("max_iterations") == "none":
                solver["max_iterations"] = None
            kwargs["solver"] = self.build(SolverSpec, solver, "solver")
        if isinstance(data.get("output"), dict):
            out = self.table("output", data["output"], "output")
            if "folder" in out:
                kwargs["output_folder"] = os.path.expanduser(out["folder"])
        if self.problems or any(v is None for v in _flat(kwargs)):
            raise ScenarioError(self.source, self.problems or ["invalid scenario"])
        try:
            return Scenario(**kwargs)
        except ScenarioError as exc:
            raise ScenarioError(self.source, exc.problems) from None

    def truck(self, kwargs: dict[str, Any]) -> Any:
        import geodata
        from geodata._profile import DEFAULT_SPEEDS_KPH

        if "fallback_speeds_kph" in kwargs:  # class by class over the defaults
            kwargs["fallback_speeds_kph"] = {**DEFAULT_SPEEDS_KPH, **kwargs["fallback_speeds_kph"]}
        try:
            return geodata.TruckProfile(**kwargs)
        except geodata.GeodataError as exc:
            self.problems.append(f"truck.{str(exc).removeprefix('TruckProfile.')}")
        return None

    def map_tiles(self, kwargs: dict[str, Any]) -> Any:
        import maps

        try:
            tiles = maps.tile_source(kwargs.get("tiles"), attribution=kwargs.get("attribution"),
                                     crs=kwargs.get("crs"), key_env=kwargs.get("key_env"))
            tiles.urls()  # a key named by key_env must be set now, not when the maps are written
        except maps.MapsError as exc:
            self.problems.append(f"map: {str(exc).removeprefix('map tiles: ')}")
            return None
        return tiles

    def date(self, value: Any) -> dt.date | None:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            if value.strip().lower() == "today":
                return dt.date.today()
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.problems.append(_("date: got {value!r}; give a date as YYYY-MM-DD (or leave it "
                               "out for today)").format(value=value))
        return None


def _flat(kwargs: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    for value in kwargs.values():
        out.extend(value if isinstance(value, tuple) and not _is_strs(list(value)) else [value])
    return out


def replace_fleet(scenario: Scenario, **changes: Any) -> Scenario:
    """The scenario with every fleet type changed alike (e.g. ``capacity_t=12``)."""
    return dataclasses.replace(
        scenario, fleet=tuple(dataclasses.replace(f, **changes) for f in scenario.fleet)
    )
