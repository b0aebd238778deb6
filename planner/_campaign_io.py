"""Campaign scenarios (TOML), progress and new reports, outputs, and the CLI subcommand.

A campaign file is a daily scenario (``[network]``, ``[sites]``, ``[[fleet]]``,
``[output]``: see ``docs/scenario.md``) plus a ``[campaign]`` table::

    [campaign]
    start = 2025-03-03                # first date that may be worked
    weekdays = ["mon", "tue", "wed", "thu", "fri"]
    days_off = [2025-03-14]           # holidays
    end = 2025-06-30                  # optional last date
    max_days = 120                    # give up after this many working days
    load_min = 10                     # default: minutes one excavator fills a truck
    loaders = 1                       # default: excavators per dump
    maps = "all"                      # per-day folders: "all", "first" or "none"

    [[campaign.closures]]             # a facility closed on some dates
    facility = "LANDFILL"
    dates = [2025-03-12]

    [[campaign.dumps]]                # loading rate of one dump (overrides the defaults)
    site_id = "CD-1"
    load_min = 12
    loaders = 2

A site file may also carry ``load_min`` and ``loaders`` columns. The dumps are the sites
of kind ``dead_spot`` (and ``bin``) with their ``tonnes``; their ``service_min`` is not
used (the loading rate is).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import io
import json
import logging
import math
import os
import sys
import time
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from i18n import gettext, pick, use
from planner._campaign import WEEKDAYS, Calendar, Campaign, CampaignError, Dump, plan_campaign
from planner._scenario import Scenario

__all__ = [
    "CAMPAIGN_SAMPLE",
    "CampaignRun",
    "CampaignScenario",
    "campaign_main",
    "read_progress",
    "run_campaign",
    "write_campaign",
]

logger = logging.getLogger(__name__)

#: The bundled sample campaign: 8 dumps, 12,000 t, trucks of 8 t, on the sample network.
CAMPAIGN_SAMPLE: Path = Path(__file__).parent / "data" / "campaign-sample.toml"
MAP_CHOICES = ("all", "first", "none")
_KEYS = {"start", "weekdays", "days_off", "end", "max_days", "load_min", "loaders", "maps",
         "closures", "dumps"}


@dataclass(frozen=True, slots=True)
class CampaignScenario:
    """A daily scenario plus the campaign's calendar and loading rates.

    Parameters
    ----------
    scenario
        Network, sites, fleet and output folder (the day's scenario).
    calendar
        Working days, days off, facility closures.
    load_min, loaders
        Defaults per dump: minutes to fill one truck, excavators.
    rates
        ``(site_id, load_min, loaders)`` per dump overriding the defaults.
    max_days
        Working days after which the campaign gives up.
    maps
        Per-day output folders: ``"all"``, ``"first"`` or ``"none"``.
    """

    scenario: Scenario
    calendar: Calendar
    load_min: float = 10.0
    loaders: int = 1
    rates: tuple[tuple[str, float, int], ...] = ()
    max_days: int = 250
    maps: str = "all"

    def __post_init__(self) -> None:
        problems = []
        if not math.isfinite(self.load_min) or self.load_min <= 0:
            problems.append(f"campaign.load_min: got {self.load_min!r}; give minutes > 0")
        if not isinstance(self.loaders, int) or self.loaders < 1:
            problems.append(f"campaign.loaders: got {self.loaders!r}; give a whole number >= 1")
        if self.maps not in MAP_CHOICES:
            problems.append(f"campaign.maps: got {self.maps!r}; use one of "
                            f"{', '.join(MAP_CHOICES)}")
        if not isinstance(self.max_days, int) or self.max_days < 1:
            problems.append(f"campaign.max_days: got {self.max_days!r}; give a whole number >= 1")
        if self.scenario.num_trucks == 0:
            problems.append("the fleet has zero trucks; give at least one [[fleet]] a count >= 1")
        if problems:
            raise CampaignError(self.scenario.source, problems)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> CampaignScenario:
        """Read a campaign TOML (the layout of the module docstring).

        Raises
        ------
        CampaignError, ScenarioError
            Every problem at once, naming the field, the value and the fix.
        """
        path = Path(path)
        if not path.is_file():
            raise CampaignError(str(path), gettext("file does not exist; check the path"))
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
            raise CampaignError(str(path), f"cannot read the TOML: {exc}") from exc
        return cls.from_dict(data, base_dir=path.parent, source=str(path))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, base_dir: str | os.PathLike[str] = ".",
                  source: str = "<campaign>") -> CampaignScenario:
        """Validate a campaign given as a dict in the TOML layout."""
        data = dict(data)
        raw = data.pop("campaign", None)
        if not isinstance(raw, dict):
            raise CampaignError(source, "missing [campaign] table; add one with at least "
                                "start = YYYY-MM-DD")
        data.setdefault("output", {"folder": "out/campaign"})
        scenario = Scenario.from_dict(data, base_dir=base_dir, source=source)
        problems: list[str] = [f"campaign: unknown key {k!r}; known keys: "
                               f"{', '.join(sorted(_KEYS))}" for k in raw if k not in _KEYS]
        start = _date(raw.get("start"), "campaign.start", problems)
        end = _date(raw["end"], "campaign.end", problems) if "end" in raw else None
        weekdays = _weekdays(raw.get("weekdays", list(WEEKDAYS[:5])), problems)
        days_off = tuple(_date(d, "campaign.days_off", problems)
                         for d in _list(raw.get("days_off", []), "campaign.days_off", problems))
        closures = []
        for k, item in enumerate(_list(raw.get("closures", []), "campaign.closures", problems),
                                 start=1):
            where = f"campaign.closures[{k}]"
            if not isinstance(item, dict) or not isinstance(item.get("facility"), str):
                problems.append(f"{where}: give facility = \"ID\" and dates = [YYYY-MM-DD, ...]")
                continue
            for d in _list(item.get("dates", []), f"{where}.dates", problems):
                closures.append((_date(d, f"{where}.dates", problems), item["facility"]))
        rates = []
        for k, item in enumerate(_list(raw.get("dumps", []), "campaign.dumps", problems),
                                 start=1):
            if not isinstance(item, dict) or not isinstance(item.get("site_id"), str):
                problems.append(f"campaign.dumps[{k}]: give site_id = \"ID\", load_min, loaders")
                continue
            rates.append((item["site_id"], item.get("load_min", raw.get("load_min", 10.0)),
                          item.get("loaders", raw.get("loaders", 1))))
        if problems:
            raise CampaignError(source, problems)
        try:
            calendar = Calendar(start, weekdays, days_off, tuple(closures), end)
            return cls(scenario, calendar, load_min=raw.get("load_min", 10.0),
                       loaders=raw.get("loaders", 1), rates=tuple(rates),
                       max_days=raw.get("max_days", 250), maps=raw.get("maps", "all"))
        except CampaignError as exc:
            raise CampaignError(source, exc.problems) from None


def _list(value: Any, where: str, problems: list[str]) -> list:
    if isinstance(value, list):
        return value
    problems.append(f"{where}: got {value!r}; give a list")
    return []


def _date(value: Any, where: str, problems: list[str]) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    problems.append(f"{where}: got {value!r}; give a date as YYYY-MM-DD")
    return None


def _weekdays(value: Any, problems: list[str]) -> tuple[int, ...]:
    out = []
    for w in _list(value, "campaign.weekdays", problems):
        if isinstance(w, str) and w.strip().lower()[:3] in WEEKDAYS:
            out.append(WEEKDAYS.index(w.strip().lower()[:3]))
        elif isinstance(w, int) and not isinstance(w, bool) and 0 <= w <= 6:
            out.append(w)
        else:
            problems.append(f"campaign.weekdays: got {w!r}; use {', '.join(WEEKDAYS)}")
    return tuple(sorted(set(out)))


def read_progress(path: str | os.PathLike[str]) -> tuple[dict[str, float], list[dict]]:
    """What was actually cleared: tonnes per site, and dated rows if the file has dates.

    The CSV has columns ``site_id, tonnes_cleared`` or ``date, site_id, tonnes``.

    Raises
    ------
    CampaignError
        Missing file, missing columns, a value that is not a number or is negative.
    """
    path = Path(path)
    if not path.is_file():
        raise CampaignError(str(path), gettext("progress file does not exist; check the path"))
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise CampaignError(str(path), f"cannot read the CSV ({exc}); give a UTF-8 CSV with "
                            "a header row: site_id,tonnes_cleared") from None
    df.columns = [c.strip() for c in df.columns]
    column = next((c for c in ("tonnes_cleared", "tonnes") if c in df.columns), None)
    if "site_id" not in df.columns or column is None:
        raise CampaignError(str(path), f"columns {list(df.columns)}: give site_id and "
                            "tonnes_cleared (or date, site_id, tonnes)")
    problems, done, history = [], {}, []
    for i, row in enumerate(df.to_dict("records"), start=2):
        try:
            tonnes = float(row[column])
        except ValueError:
            tonnes = math.nan
        if not math.isfinite(tonnes) or tonnes < 0:
            problems.append(f"line {i}, {column}: got {row[column]!r}; give tonnes >= 0")
            continue
        sid = row["site_id"].strip()
        done[sid] = done.get(sid, 0.0) + tonnes
        if row.get("date"):
            history.append({"date": row["date"].strip(), "site_id": sid, "tonnes": tonnes})
    if problems:
        raise CampaignError(str(path), problems)
    return done, history


@dataclass(frozen=True)
class CampaignRun:
    """A planned campaign and what it was built from (for outputs and notebooks)."""

    spec: CampaignScenario
    campaign: Campaign
    G: Any
    snapped: Any
    matrix: Any
    history: tuple[dict, ...] = ()
    timings: Mapping[str, float] = dataclasses.field(default_factory=dict)


def run_campaign(
    spec: CampaignScenario,
    *,
    cleared: Mapping[str, float] | None = None,
    history: Sequence[dict] = (),
    add: str | os.PathLike[str] | None = None,
    start: dt.date | None = None,
    G: Any = None,
) -> CampaignRun:
    """Load the network and sites of a campaign scenario and plan it.

    Parameters
    ----------
    spec
        The campaign scenario.
    cleared
        Tonnes per site already cleared (``read_progress``).
    history
        Dated progress rows, kept in the summary as finished work.
    add
        A site file of newly reported dumps (``geodata.read_sites``); a known site id
        adds its tonnes to that dump's backlog.
    start
        Plan from this date on (today, when re-planning); default the calendar's start.
    G
        A street network already loaded; ``None``: load the scenario's.

    Returns
    -------
    CampaignRun
    """
    import geodata
    from planner._pipeline import WORK_KINDS, build_problem, load_sites

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    scenario = spec.scenario
    if G is None:
        G = geodata.load_network(scenario.network.source)
    sites = load_sites(scenario)
    if add is not None:
        sites = _add_reports(sites, geodata.read_sites(
            add, crs=scenario.sites_crs, layer=scenario.sites_layer,
            encoding=scenario.sites_encoding))
    snapped = geodata.snap_sites(G, sites, max_snap_m=scenario.network.max_snap_m)
    matrix = geodata.travel_matrix(G, snapped)
    timings["network_and_matrix"] = round(time.perf_counter() - t0, 3)
    problem, left_out = build_problem(snapped, matrix, scenario.fleet, name=scenario.name,
                                      facility_streams=scenario.accepted_streams())
    rows = {str(r["site_id"]): r for r in snapped.to_dict("records")}
    rates = {sid: (lm, ld) for sid, lm, ld in spec.rates}
    unknown = sorted(set(rates) - set(rows))
    if unknown:
        raise CampaignError(scenario.source, f"campaign.dumps: unknown site id(s) {unknown}")
    dumps = []
    for stop in problem.stops:
        row = rows[stop.site_id]
        load_min, loaders = rates.get(stop.site_id, (_num(row.get("load_min"), spec.load_min),
                                                     _num(row.get("loaders"), spec.loaders)))
        dumps.append(Dump(stop.site_id, stop.location, stop.load_t, load_min=float(load_min),
                          loaders=int(loaders), priority=stop.priority, window=stop.window))
    calendar = spec.calendar if start is None else dataclasses.replace(spec.calendar,
                                                                       start=start)
    known_facilities = {f.id for f in problem.facilities}
    bad = sorted({f for _, f in calendar.closures} - known_facilities)
    if bad:
        raise CampaignError(scenario.source, f"campaign.closures: {bad} are not facilities; "
                            f"known: {sorted(known_facilities)}")
    t0 = time.perf_counter()
    campaign = plan_campaign(problem.with_changes(stops=()), dumps, calendar,
                             cleared=cleared, max_days=spec.max_days)
    timings["plan"] = round(time.perf_counter() - t0, 3)
    lost = tuple(u for u in left_out if u.load_t > 0 or
                 rows.get(u.site_id, {}).get("kind") in WORK_KINDS)
    if lost:
        campaign = dataclasses.replace(campaign, unassigned=lost + campaign.unassigned)
    return CampaignRun(spec, campaign, G, snapped, matrix, tuple(history), timings)


def _num(value: Any, default: float) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return default
    return value if math.isfinite(value) else default


def _add_reports(sites: Any, reports: Any) -> Any:
    import geopandas as gpd

    known = set(sites["site_id"])
    sites = sites.copy()
    for row in reports[reports["site_id"].isin(known)].itertuples():
        sites.loc[sites["site_id"] == row.site_id, "tonnes"] += float(row.tonnes)
    new = reports[~reports["site_id"].isin(known)]
    logger.info("reports: %d new dump(s), %d more tonnes at known dumps", len(new),
                len(reports) - len(new))
    return gpd.GeoDataFrame(pd.concat([sites, new], ignore_index=True), geometry="geometry",
                            crs=sites.crs)


# -- outputs --------------------------------------------------------------------------
def write_campaign(run: CampaignRun, out_dir: str | os.PathLike[str] | None = None, *,
                   maps: str | None = None, force: bool = False) -> dict[str, Path]:
    """Write the campaign: per-day folders, summary CSV/JSON, per-site CSV, chart.

    The whole folder is staged beside ``out_dir`` and swapped in with one rename
    (``maps.staged_folder``): a killed re-plan leaves the previous campaign as it was,
    never new day folders beside an old summary.

    Parameters
    ----------
    run
        From ``run_campaign``.
    out_dir
        The folder: new, empty or a previous campaign of ours; ``None``: the scenario's
        output folder.
    maps
        Per-day folders (maps, sheets, GPX via ``maps.write_outputs``) for ``"all"``
        days, the ``"first"`` only, or ``"none"``; ``None``: the scenario's choice.
        Day folders of earlier runs dated before the first planned day are kept
        (finished work); later ones are replaced.
    force
        Write into a folder holding files that are not a campaign of ours (they are kept).

    Returns
    -------
    dict of str to Path
        ``summary.csv``, ``summary.json``, ``sites.csv``, ``remaining.png`` and
        ``day-NN-YYYY-MM-DD`` folders.

    Raises
    ------
    maps.MapsError
        ``out_dir`` may not be replaced (a file, read-only, holding other files...).
    """
    import maps as maps_pkg

    campaign = run.campaign
    choice = maps or run.spec.maps
    if choice not in MAP_CHOICES:
        raise CampaignError("<campaign>", f"maps: got {choice!r}; use {', '.join(MAP_CHOICES)}")
    out = Path(out_dir) if out_dir is not None else _output_dir(run.spec)
    first = campaign.days[0].date if campaign.days else run.spec.calendar.start
    names: list[str] = []
    new_days: list[str] = []
    with maps_pkg.staged_folder(out, force=force, label="campaign folder") as stage:
        for name in _finished_days(out, first):
            maps_pkg.link_copy(out / name, stage / name)
            names.append(name)
        lang = pick(run.spec.scenario.language)
        for day in campaign.days:
            if day.plan is None or choice == "none" or (choice == "first" and day.number > 1):
                continue
            name = f"day-{day.number:02d}-{day.date.isoformat()}"
            with use(lang):
                title = gettext("{name} — day {day}, {date}").format(
                    name=run.spec.scenario.name, day=day.number, date=day.date.isoformat())
            maps_pkg.write_outputs(day.plan, problem=day.problem, G=run.G, snapped=run.snapped,
                                   matrix=run.matrix, out_dir=stage / name, date=day.date,
                                   title=title, scheduled=_later_days(campaign, day),
                                   **run.spec.scenario.output_options(lang))
            names.append(name)
            new_days.append(name)
        files = ["summary.csv", "sites.csv", "summary.json", "remaining.png"]
        summary = campaign.summary()
        summary["name"] = run.spec.scenario.name
        summary["done"] = list(run.history)
        summary["files"] = sorted(names + files)  # what is ours when re-planning here
        rows = [{"day": "", "status": "done", **h} for h in run.history]
        day_rows = [{"status": "planned", **Campaign.day_row(d)} for d in campaign.days]
        _write_csv(stage / "summary.csv", rows + day_rows)
        _write_csv(stage / "sites.csv", summary["sites"])
        _write_text(stage / "summary.json", json.dumps(summary, indent=2, default=str))
        _write_chart(stage / "remaining.png", campaign, run.spec.scenario.name,
                     lang=getattr(run.spec.scenario, "language", None))
    return {name: out / name for name in [*new_days, *files]}


def _finished_days(out: Path, first: dt.date) -> list[str]:
    """Day folders of a previous campaign in ``out`` dated before ``first`` (kept)."""
    import maps as maps_pkg

    kept = []
    for name in sorted(maps_pkg.plan_entries(out) or ()):
        if name.startswith("day-") and (out / name).is_dir():
            try:
                if dt.date.fromisoformat(name[-10:]) < first:
                    kept.append(name)
            except ValueError:
                continue
    return kept


def _output_dir(spec: CampaignScenario) -> Path:
    sc = spec.scenario
    return Path(sc.output_folder.format(date=spec.calendar.start.isoformat(), name=sc.name))


def _write_text(path: Path, text: str | bytes) -> Path:
    """One file, atomically, with the mode of every output (``maps.write_file``)."""
    import maps as maps_pkg

    return maps_pkg.write_file(path, text)


def _write_csv(path: Path, rows: list[dict]) -> Path:
    """A CSV of the rows' keys in order of appearance (UTF-8 BOM, formulas quoted)."""
    import maps as maps_pkg

    fields: list[str] = []
    for row in rows:
        fields += [k for k in row if k not in fields]
    return _write_text(path, maps_pkg.csv_text(rows, fields or ["day"]))


def remaining_table(campaign: Campaign) -> pd.DataFrame:
    """Tonnes left per dump (columns) after each day (rows; row 0 = before the first day)."""
    first = campaign.days[0].date if campaign.days else campaign.calendar.start
    index = [first - dt.timedelta(days=1)] + [d.date for d in campaign.days]
    data = [dict(campaign.backlog_t)] + [dict(d.remaining_t) for d in campaign.days]
    return pd.DataFrame(data, index=pd.Index(index, name="date"))


def _write_chart(path: Path, campaign: Campaign, name: str, *, lang: str | None = None) -> Path:
    """``remaining.png`` in the run's language (else ``lang``, the scenario's), CJK font."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    import i18n

    _ = i18n.gettext
    table = remaining_table(campaign)
    with i18n.chart_context(i18n.pick(lang)):
        fig = Figure(figsize=(9, 5), dpi=110)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        x = range(len(table))
        for sid in table.columns:
            ax.plot(x, table[sid].to_numpy(), marker="o", markersize=3, label=sid)
        ax.set_xticks(list(x), [f"{d:%m-%d}" if k else _("start")
                                for k, d in enumerate(table.index)], rotation=60, fontsize=7)
        ax.set_ylabel(_("tonnes remaining (t)"))
        ax.set_xlabel(_("working day"))
        ax.set_title(_("{name}: {days} working days (lower bound {bound})").format(
            name=name, days=campaign.working_days, bound=campaign.bound.whole_days))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, ncol=2)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    return _write_text(path, buf.getvalue())


# -- CLI ------------------------------------------------------------------------------
def campaign_main(argv: Sequence[str] | None = None) -> int:
    """``run_plan.py campaign``: plan a campaign and write its outputs.

    Returns
    -------
    int
        0 planned, 2 bad input (or an output folder that cannot be written), 3 with
        ``--strict`` when backlog is left unassigned, 130 interrupted.
    """
    parser = argparse.ArgumentParser(
        prog="run_plan.py campaign",
        description="Plan a clearance campaign day by day until every dump is cleared.")
    parser.add_argument("--scenario", default=str(CAMPAIGN_SAMPLE),
                        help="campaign TOML (default: the bundled sample campaign)")
    parser.add_argument("--trucks", type=int, help="override the number of trucks (one type)")
    parser.add_argument("--start-date", type=dt.date.fromisoformat,
                        help="plan from this date (YYYY-MM-DD), e.g. today when re-planning")
    parser.add_argument("--progress", help="CSV of what was cleared: site_id,tonnes_cleared "
                        "or date,site_id,tonnes")
    parser.add_argument("--add", help="site file of newly reported dumps")
    parser.add_argument("--out", help="output folder (default: the scenario's)")
    parser.add_argument("--force", action="store_true",
                        help="write into a folder that holds other files (they are kept)")
    parser.add_argument("--maps", choices=MAP_CHOICES, help="per-day folders (default all)")
    parser.add_argument("--strict", action="store_true",
                        help="exit 3 if some backlog is left unassigned")
    parser.add_argument("-v", "--verbose", action="store_true", help="log each day")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2): argparse printed it
        return int(exc.code or 0)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    from geodata import GeodataError
    from maps import MapsError, check_output_dir
    from planner._errors import ScenarioError
    from routing import RoutingError

    try:
        spec = CampaignScenario.from_file(args.scenario)
        if args.trucks is not None:
            spec = with_trucks(spec, args.trucks)
        # the output location is checked before any work (a read-only --out, a file...)
        check_output_dir(Path(args.out) if args.out else _output_dir(spec), force=args.force,
                         label="--out" if args.out else "output.folder")
        cleared, history = read_progress(args.progress) if args.progress else ({}, [])
        run = run_campaign(spec, cleared=cleared, history=history, add=args.add,
                           start=args.start_date)
        written = write_campaign(run, args.out, maps=args.maps, force=args.force)
    except (ScenarioError, GeodataError, RoutingError, MapsError) as exc:
        print(gettext("run_plan campaign: error: {message}").format(message=exc),
              file=sys.stderr)
        return 2
    except OSError as exc:  # the disk filled up, a permission changed while planning...
        print(gettext("run_plan campaign: error: cannot write {path}: {error}; the output "
                      "folder is as it was").format(path=exc.filename or gettext("the campaign"),
                                                    error=exc.strerror or exc), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(gettext("run_plan campaign: interrupted; the output folder is as it was"),
              file=sys.stderr)
        return 130
    print(format_summary(run.campaign))
    out = written["summary.json"].parent
    print(gettext("\nwritten to {path}/ (summary.csv, summary.json, sites.csv, remaining.png, "
                  "{days} day folder(s))").format(
                      path=out, days=sum(1 for k in written if k.startswith("day-"))))
    return 3 if args.strict and run.campaign.unassigned else 0


def with_trucks(spec: CampaignScenario, trucks: int) -> CampaignScenario:
    """The campaign with ``trucks`` trucks of its first fleet type (others dropped)."""
    if trucks < 1:
        raise CampaignError(spec.scenario.source, f"--trucks: got {trucks}; give at least 1")
    fleet = (dataclasses.replace(spec.scenario.fleet[0], count=trucks),)
    return dataclasses.replace(spec, scenario=dataclasses.replace(spec.scenario, fleet=fleet))


def format_summary(campaign: Campaign) -> str:
    """A plain-text report: headline, days against the lower bound, days, dumps, left."""
    import i18n

    b = campaign.bound
    lines = [
        gettext("campaign: {days} working days, {trips} truck trips, {tonnes:,.1f} t, "
                "{km:,.1f} km (planned in {seconds:.1f} s)").format(
                    days=campaign.working_days, trips=campaign.trips, tonnes=campaign.tonnes,
                    km=campaign.distance_km, seconds=campaign.solve_seconds),
        gettext("lower bound: {days:.2f} days -> {whole} (fleet time {trucks:.2f}, loading "
                "rate at {site} {loading:.2f}); plan/bound = {ratio:.2f}").format(
                    days=b.days, whole=b.whole_days, trucks=b.by_trucks,
                    site=b.slowest_site or "-", loading=b.by_loading, ratio=campaign.ratio),
        "",
        gettext("{day:>3} {date:<10} {trucks:>6} {trips:>5} {tonnes:>8} {km:>7} {left:>9}  "
                "{note}").format(day=gettext("day"), date=gettext("date"),
                                 trucks=gettext("trucks"), trips=gettext("trips"),
                                 tonnes=gettext("tonnes"), km=gettext("km"),
                                 left=gettext("left t"), note=gettext("note")),
    ]
    for d in campaign.days:
        lines.append(f"{d.number:>3} {d.date.isoformat():<10} {d.trucks_used:>6} {d.trips:>5} "
                     f"{d.tonnes:>8.1f} {d.distance_km:>7.1f} "
                     f"{sum(d.remaining_t.values()):>9.1f}  {d.note}")
    lines.append("")
    for sid, when in campaign.cleared_on().items():
        lines.append(gettext("  {site}: never cleared").format(site=sid) if when is None else
                     gettext("  {site}: cleared {date}").format(site=sid, date=when.isoformat()))
    for u in campaign.unassigned:
        lines.append(gettext("  left: {site} {tonnes:.1f} t — {reason}").format(
            site=u.site_id, tonnes=u.load_t,
            reason=i18n.reason_text(u.code, u.details, u.reason)))
    return "\n".join(lines)


def _later_days(campaign: Campaign, day: Any) -> dict[str, int]:
    """Sites that ``day`` does not work but a later campaign day does: site id -> day."""
    worked = {sid for sid, t in day.cleared_t.items() if t > 0}
    later: dict[str, int] = {}
    for other in campaign.days:
        if other.number <= day.number:
            continue
        for sid, t in other.cleared_t.items():
            if t > 0 and sid not in worked:
                later.setdefault(sid, other.number)
    return later
