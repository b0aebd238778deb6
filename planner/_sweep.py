"""Scenario sweeps: many variants of one scenario, planned in parallel on Dask.

A planner's question is often many solves: "10, 12, 15 or 20 trucks; with and without the
east landfill" is eight full day plans. :func:`sweep` plans every variant as a task on a
``dask.distributed`` cluster: the street network, the sites, the snapped sites and the
travel matrix are computed once here and scattered to every worker; each task is a pure
function of its inputs that builds its variant's problem with ``build_problem``, solves
it with ``routing.solve``, writes its plan folder with ``write_day`` (or, for a campaign,
``plan_campaign`` and ``write_campaign``) and returns one row. The caller passes the
``dask.distributed.Client``: a ``LocalCluster`` on a laptop, or the address of a city's
own scheduler.

OR-Tools must never run two models in one process: start workers with one thread each
(``dask worker --nthreads 1``; ``run_plan.py sweep`` does so for its local cluster). A
worker with more threads still solves one variant at a time (a per-process lock), so the
extra threads only wait. The ``auto`` engine starts both engines as child processes: that
needs workers that are not daemonic (``DASK_DISTRIBUTED__WORKER__DAEMON=False``).
"""

from __future__ import annotations

import dataclasses
import io
import itertools
import json
import logging
import os
import re
import time
import tomllib
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from i18n import gettext
from planner._campaign_io import CampaignScenario, _write_csv, _write_text
from planner._errors import ScenarioError
from planner._pipeline import load_sites
from planner._scenario import ENGINES, Scenario
from planner._sweep_tasks import _failure, _text, run_campaign_variant, run_day_variant

__all__ = [
    "SWEEP_KEYS",
    "SweepResult",
    "Variant",
    "apply_variant",
    "read_sweep_file",
    "sweep",
    "variants_from",
]

logger = logging.getLogger(__name__)

#: What a variant may change, and what each value means.
SWEEP_KEYS: dict[str, str] = {
    "trucks": "trucks of the (only) fleet type, a whole number >= 1",
    "closed": "facility ids closed that day (a list, or 'none')",
    "engine": f"routing engine: {', '.join(ENGINES)}",
    "capacity": "payload of every truck, t",
    "time_limit": "solver time limit, s",
    "max_iterations": "the search's work budget: a whole number, 'auto' (sized to the day) "
                      "or 'none' (until the time limit)",
    "seed": "random seed",
}
#: Columns of ``sweep.csv`` after the variation keys.
COLUMNS = ("status", "error", "trucks", "trucks_used", "km", "hours", "tonnes", "unassigned",
           "unassigned_t", "solve_s", "stopped_by", "task_s", "folder")
CAMPAIGN_COLUMNS = ("working_days", "lower_bound_days", "trips")
RowCallback = Callable[[dict, int, int], None]


@dataclass(frozen=True, slots=True)
class Variant:
    """One point of a sweep: its number and what it changes.

    Parameters
    ----------
    number
        1, 2, ... in the order of the sweep.
    changes
        ``(key, value)`` pairs, keys from ``SWEEP_KEYS``; ``closed`` is a tuple of ids.
    """

    number: int
    changes: tuple[tuple[str, Any], ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "changes", tuple((k, v) for k, v in self.changes))
        problems = [f"unknown variation {k!r}; use one of {', '.join(SWEEP_KEYS)}"
                    for k, _ in self.changes if k not in SWEEP_KEYS]
        if problems:
            raise ScenarioError("<sweep>", problems)

    @property
    def values(self) -> dict[str, Any]:
        """The changes as a dict."""
        return dict(self.changes)

    @property
    def label(self) -> str:
        """``trucks=3 closed=none``: how tables and logs name the variant."""
        return " ".join(f"{k}={_text(v)}" for k, v in self.changes) or "base"

    @property
    def folder(self) -> str:
        """The variant's plan folder name, e.g. ``01-trucks-3-closed-none``."""
        slug = "-".join(f"{k}-{_text(v)}" for k, v in self.changes) or "base"
        return f"{self.number:02d}-" + re.sub(r"[^A-Za-z0-9._+-]+", "_", slug)[:80]


def _value(key: str, raw: Any, where: str, problems: list[str]) -> Any:
    """A variation value checked and converted (strings from the command line too)."""
    try:
        if key == "closed":
            items = raw if isinstance(raw, list | tuple) else str(raw).split("+")
            ids = tuple(str(i).strip() for i in items if str(i).strip())
            return () if ids in ((), ("none",)) else ids
        if key == "engine":
            if raw not in ENGINES:
                raise ValueError
            return raw
        if key == "max_iterations" and str(raw).strip().lower() in ("auto", "none"):
            return None if str(raw).strip().lower() == "none" else "auto"
        number = float(raw) if key in ("capacity", "time_limit") else int(str(raw))
        if isinstance(raw, bool) or number < 0 or (number == 0 and key != "seed"):
            raise ValueError
        return number
    except (TypeError, ValueError):
        problems.append(f"{where}: {key} = {raw!r} is not valid; give {SWEEP_KEYS[key]}")
        return None


def variants_from(variations: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]],
                  ) -> tuple[Variant, ...]:
    """The variants of a sweep: the cross product of a mapping, or a list of variants.

    Parameters
    ----------
    variations
        ``{"trucks": [10, 12], "closed": ["EAST", "none"]}`` (every combination, the
        first key varying slowest), or ``[{"trucks": 10}, {"trucks": 12, "closed":
        ["EAST"]}]`` (each mapping one variant, as the ``[[sweep]]`` tables of a file).

    Returns
    -------
    tuple of Variant

    Raises
    ------
    ScenarioError
        An unknown key, a value of the wrong kind, an empty sweep: every problem at once.

    Examples
    --------
    >>> [v.label for v in variants_from({"trucks": [2, 3], "closed": ["none"]})]
    ['trucks=2 closed=none', 'trucks=3 closed=none']
    """
    problems: list[str] = []
    if isinstance(variations, Mapping):
        keys = list(variations)
        lists = [list(vals) if isinstance(vals, list | tuple) else [vals]
                 for vals in variations.values()]
        rows = [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*lists)]
        where = ["--vary"] * len(rows)
    else:
        rows = [dict(r) if isinstance(r, Mapping) else {"?": r} for r in variations]
        where = [f"[[sweep]] {k}" for k in range(1, len(rows) + 1)]
    if not rows:
        raise ScenarioError("<sweep>", "nothing to vary; give --vary KEY=V1,V2 (keys: "
                            f"{', '.join(SWEEP_KEYS)}) or [[sweep]] tables")
    out = []
    for k, (row, at) in enumerate(zip(rows, where, strict=True), start=1):
        changes = []
        for key, raw in row.items():
            if key not in SWEEP_KEYS:
                problems.append(f"{at}: unknown variation {key!r}; use one of "
                                f"{', '.join(SWEEP_KEYS)}")
                continue
            changes.append((key, _value(key, raw, at, problems)))
        out.append(Variant(k, tuple(changes)))
    if problems:
        raise ScenarioError("<sweep>", list(dict.fromkeys(problems)))
    return tuple(out)


def apply_variant(scenario: Scenario, variant: Variant) -> Scenario:
    """The scenario changed as the variant says (validated again).

    Raises
    ------
    ScenarioError
        ``trucks`` on a scenario with several fleet types.
    """
    replace = dataclasses.replace
    v = variant.values
    fleet = scenario.fleet
    if "trucks" in v:
        if len(fleet) != 1:
            raise ScenarioError(scenario.source, f"sweep trucks: the scenario has {len(fleet)} "
                                "fleet types; vary one with a single [[fleet]]")
        fleet = (replace(fleet[0], count=v["trucks"]),)
    if "capacity" in v:
        fleet = tuple(replace(f, capacity_t=v["capacity"]) for f in fleet)
    solver = scenario.solver
    for key, name in (("engine", "engine"), ("time_limit", "time_limit_s"),
                      ("max_iterations", "max_iterations"), ("seed", "seed")):
        if key in v:
            solver = replace(solver, **{name: v[key]})
    closed = v.get("closed", scenario.closed_facilities)
    return replace(scenario, fleet=fleet, solver=solver, closed_facilities=tuple(closed))


def read_sweep_file(path: str | os.PathLike[str]) -> tuple[Scenario | CampaignScenario,
                                                           list[dict[str, Any]]]:
    """A scenario (or campaign) TOML and its ``[[sweep]]`` tables.

    The file is a daily scenario (``docs/scenario.md``), or a campaign scenario (with a
    ``[campaign]`` table), plus optional ``[[sweep]]`` tables, one per variant::

        [[sweep]]
        trucks = 3
        closed = ["EAST-LANDFILL"]

    Returns
    -------
    scenario : Scenario or CampaignScenario
    variants : list of dict
        The ``[[sweep]]`` tables (empty if there are none).

    Raises
    ------
    ScenarioError
        A missing file, invalid TOML or scenario.
    """
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(str(path), gettext("file does not exist; check the path"))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(str(path), f"cannot read the TOML: {exc}") from exc
    tables = data.pop("sweep", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ScenarioError(str(path), "sweep: write each variant as a [[sweep]] table")
    reader = CampaignScenario if "campaign" in data else Scenario
    return reader.from_dict(data, base_dir=path.parent, source=str(path)), tables


@dataclass(frozen=True)
class SweepResult:
    """A finished sweep.

    Attributes
    ----------
    rows
        One dict per variant, in variant order (columns of ``sweep.csv``).
    files
        ``sweep.csv``, ``sweep.json``, ``sweep.png`` and the plan folders, by name.
    seconds
        Wall-clock time of the whole sweep (s), shared inputs included.
    workers
        Dask workers that took part (0: run in this process).
    mode
        ``"day"`` or ``"campaign"``.
    """

    rows: tuple[dict, ...]
    files: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0
    workers: int = 0
    mode: str = "day"

    @property
    def failed(self) -> tuple[dict, ...]:
        """Rows of the variants that could not be planned (``error`` says why)."""
        return tuple(r for r in self.rows if r["status"] != "planned")

    def table(self) -> pd.DataFrame:
        """The rows as a table, with the columns of ``sweep.csv`` (also if all failed)."""
        return pd.DataFrame(list(self.rows),
                            columns=columns(self.rows, campaign=self.mode == "campaign"))


# -- the driver (runs in the caller's process) ----------------------------------------
def shared_inputs(scenario: Scenario, *, G: Any = None) -> tuple[Any, Any, Any, Any]:
    """``(G, sites, snapped, matrix)`` of a scenario, as ``plan_day`` computes them."""
    import geodata

    if G is None:
        G = geodata.load_network(scenario.network.source, profile=scenario.truck)
    sites = load_sites(scenario)
    snapped = geodata.snap_sites(G, sites, max_snap_m=scenario.network.max_snap_m)
    return G, sites, snapped, geodata.travel_matrix(G, snapped)


def check_workers(client: Any) -> int:
    """Workers of the cluster (warns about workers with several threads); 0 if none."""
    threads = client.nthreads()
    many = {w: n for w, n in threads.items() if n > 1}
    if many:
        logger.warning("%d worker(s) have more than one thread (%s); each solves one "
                       "variant at a time, so start workers with --nthreads 1",
                       len(many), ", ".join(f"{w}: {n}" for w, n in sorted(many.items())))
    return len(threads)


def gather(client: Any, futures: Mapping[Any, Any], *, on_result: RowCallback | None,
           failed_row: Callable[[Variant, BaseException], Any],
           row_of: Callable[[Any], dict] = lambda result: result) -> dict[int, Any]:
    """Results by variant number as tasks finish; a task that raised gives ``failed_row``."""
    from distributed import as_completed

    out: dict[int, Any] = {}
    total = len(futures)
    try:
        for done, future in enumerate(as_completed(list(futures)), start=1):
            variant = futures[future]
            if future.status == "error":
                exc = future.exception()
                logger.warning("task %s raised %s: %s", variant.label, type(exc).__name__, exc)
                out[variant.number] = failed_row(variant, exc)
            else:
                out[variant.number] = future.result()
            row = row_of(out[variant.number])
            logger.info("variant %d/%d done: %s (%s%s)", done, total, variant.label,
                        row["status"], f": {row['error']}" if row.get("error") else "")
            if on_result is not None:
                on_result(row, done, total)
    except BaseException:
        client.cancel(list(futures))
        raise
    return out


def run_tasks(client: Any, tasks: Sequence[tuple[Any, Callable[..., Any], tuple]],
              inputs: Sequence[Any], *, name: str, on_result: RowCallback | None,
              failed: Callable[[Any, BaseException], Any],
              row_of: Callable[[Any], dict] = lambda result: result) -> dict[int, Any]:
    """``fn(*args, *inputs)`` for every ``(item, fn, args)``, by ``item.number``.

    On the cluster, ``inputs`` are scattered to every worker once and each task is one
    future; with ``client=None`` the tasks run one after another in this process. A
    task that raises gives ``failed(item, exc)`` instead of stopping the others.
    """
    if client is None:
        out: dict[int, Any] = {}
        for done, (item, fn, args) in enumerate(tasks, start=1):
            try:
                out[item.number] = fn(*args, *inputs)
            except Exception as exc:  # a bug, not a user mistake: reported like on a worker
                logger.exception("%s %s raised", name, item.label)
                out[item.number] = failed(item, exc)
            if on_result is not None:
                on_result(row_of(out[item.number]), done, len(tasks))
        return out
    check_workers(client)
    shared = [client.scatter(x, broadcast=True) for x in inputs]
    run = uuid.uuid4().hex[:8]
    futures = {client.submit(fn, *args, *shared, key=f"{name}-{run}-{item.folder}"): item
               for item, fn, args in tasks}
    return gather(client, futures, on_result=on_result, failed_row=failed, row_of=row_of)


def sweep(
    scenario: Scenario | CampaignScenario,
    variations: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]],
    *,
    client: Any,
    out_dir: str | os.PathLike[str],
    days: int | None = None,
    campaign_maps: str = "first",
    G: Any = None,
    on_result: RowCallback | None = None,
) -> SweepResult:
    """Plan every variant of a scenario on a Dask cluster and write the tables and chart.

    Parameters
    ----------
    scenario
        A day's scenario, or a campaign scenario (then each variant is a campaign).
    variations
        See ``variants_from``: a mapping of key to values (every combination) or a list
        of variants. Keys: ``SWEEP_KEYS``.
    client
        A ``dask.distributed.Client``; workers should have one thread each. ``None``:
        plan the variants one after another in this process (no Dask), for comparison.
    out_dir
        Where ``sweep.csv``, ``sweep.json``, ``sweep.png`` and one plan folder per
        variant go. With a remote cluster the workers write the plan folders, so it
        must be a folder they can all reach (a shared file system).
    days
        Plan each variant as a campaign of at most this many working days (a daily
        scenario gets a Monday-to-Friday calendar from its date; a campaign scenario
        keeps its calendar and loading rates).
    campaign_maps
        Day folders of a campaign variant: ``"first"``, ``"all"`` or ``"none"``.
    G
        The street network if already loaded; ``None``: load the scenario's.
    on_result
        Called as ``on_result(row, done, total)`` in this process as each variant ends.

    Returns
    -------
    SweepResult
        A row per variant; a variant that cannot be planned (say a closed facility
        leaves no landfill) is a row with ``status`` ``"failed"`` and its ``error``.

    Raises
    ------
    ScenarioError
        Bad variations (unknown key, bad value), or a scenario whose sites or network
        cannot be read.

    Examples
    --------
    >>> from distributed import Client, LocalCluster  # doctest: +SKIP
    >>> from planner import SAMPLE_SCENARIO, Scenario, sweep  # doctest: +SKIP
    >>> client = Client(LocalCluster(n_workers=2, threads_per_worker=1))  # doctest: +SKIP
    >>> result = sweep(Scenario.from_file(SAMPLE_SCENARIO), {"trucks": [2, 3, 4]},
    ...                client=client, out_dir="out/sweep")  # doctest: +SKIP
    >>> result.table()[["trucks", "km", "unassigned"]]  # doctest: +SKIP
    """
    from planner._campaign import Calendar

    started = time.perf_counter()
    variants = variants_from(variations)
    spec = scenario if isinstance(scenario, CampaignScenario) else None
    if days is not None:
        if not isinstance(days, int) or isinstance(days, bool) or days < 1:
            raise ScenarioError("--days", f"got {days!r}; give a whole number of days >= 1")
        spec = spec or CampaignScenario(scenario, Calendar(scenario.date))
        spec = dataclasses.replace(spec, max_days=days)
    day_scenario = spec.scenario if spec is not None else scenario
    jobs = [(v, apply_variant(day_scenario, v)) for v in variants]
    out = Path(out_dir).expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)
    G, sites, snapped, matrix = shared_inputs(day_scenario, G=G)
    _check_closed(variants, snapped, day_scenario.source)
    logger.info("sweep of %d variant(s) of %r (%s): inputs ready in %.2f s", len(jobs),
                day_scenario.name, "campaign" if spec else "day", time.perf_counter() - started)

    def task(variant: Variant, sc: Scenario) -> tuple[Callable[..., dict], tuple]:
        folder = out / variant.folder
        if spec is None:
            return run_day_variant, (variant, sc, folder)
        return run_campaign_variant, (variant, dataclasses.replace(spec, scenario=sc), folder,
                                      campaign_maps)

    inputs = (G, snapped, matrix) if spec is not None else (G, sites, snapped, matrix)
    by_number = dict(jobs)

    def failed(v: Variant, exc: BaseException) -> dict:
        return dict(_failure(v, by_number[v], exc), task_s=0.0)

    workers = 0 if client is None else len(client.nthreads())
    rows = run_tasks(client, [(v, *task(v, sc)) for v, sc in jobs], inputs, name="sweep",
                     on_result=on_result, failed=failed)
    ordered = tuple(rows[v.number] for v, _ in jobs)
    seconds = round(time.perf_counter() - started, 3)
    files = write_sweep(ordered, out, name=day_scenario.name, campaign=spec is not None,
                        meta={"seconds": seconds, "workers": workers,
                              "variations": _jsonable(variations)})
    files.update({Path(r["folder"]).name: Path(r["folder"]) for r in ordered
                  if r["status"] == "planned"})
    return SweepResult(ordered, files, seconds, workers, "campaign" if spec else "day")


def _check_closed(variants: Sequence[Variant], snapped: Any, source: str) -> None:
    """A closed id that is no facility is a typo: refuse it before planning anything."""
    known = set(snapped.loc[snapped["kind"].isin(("landfill", "transfer")), "site_id"]
                .astype(str))
    unknown = sorted({f for v in variants for f in v.values.get("closed", ()) if f not in known})
    if unknown:
        raise ScenarioError(source, f"sweep closed: {unknown} are not facilities of the "
                            f"scenario; known: {sorted(known)} (or none)")


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=list))


# -- outputs ---------------------------------------------------------------------------
def columns(rows: Sequence[dict], *, campaign: bool) -> list[str]:
    """The columns of ``sweep.csv``: the variant, the keys varied, then the numbers."""
    keys = [k for k in SWEEP_KEYS if any(k in r for r in rows)]
    numbers = [c for c in (*COLUMNS, *(CAMPAIGN_COLUMNS if campaign else ())) if c not in keys]
    return ["variant", *keys, *numbers]


def write_sweep(rows: Sequence[dict], out: Path, *, name: str, campaign: bool,
                meta: Mapping[str, Any]) -> dict[str, Path]:
    """Write ``sweep.csv``, ``sweep.json`` and the chart ``sweep.png`` (atomically)."""
    keys = [k for k in SWEEP_KEYS if any(k in r for r in rows)]
    flat = [{c: _csv_value(r.get(c, "")) for c in columns(rows, campaign=campaign)}
            for r in rows]
    files = {"sweep.csv": _write_csv(out / "sweep.csv", flat)}
    doc = {"name": name, "mode": "campaign" if campaign else "day", **meta,
           "rows": list(rows)}
    files["sweep.json"] = _write_text(out / "sweep.json",
                                      json.dumps(doc, indent=2, default=str))
    files["sweep.png"] = write_chart(rows, out / "sweep.png", name=name, keys=keys,
                                     campaign=campaign)
    return files


def _csv_value(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict | list) else value


def write_chart(rows: Sequence[dict], path: Path, *, name: str, keys: Sequence[str],
                campaign: bool, lang: str | None = None) -> Path:
    """Km and unassigned against trucks, a line per combination of the other variations.

    Labelled in ``lang`` (default: the run's language, ``i18n.use``), with a CJK font for
    Chinese.
    """
    import i18n

    with i18n.chart_context(lang or i18n.current()):
        return _chart(rows, path, name=name, keys=keys, campaign=campaign)


def _chart(rows: Sequence[dict], path: Path, *, name: str, keys: Sequence[str],
           campaign: bool) -> Path:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    panels = [("km", gettext("km driven")),
              ("unassigned_t" if campaign else "unassigned",
               gettext("tonnes left") if campaign else gettext("sites unassigned"))]
    if campaign:
        panels.append(("working_days", gettext("working days")))
    others = [k for k in keys if k != "trucks"]
    planned = [r for r in rows if r["status"] == "planned"]
    fig = Figure(figsize=(4.2 * len(panels), 3.8), dpi=110)
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(1, len(panels), k + 1) for k in range(len(panels))]
    groups: dict[str, list[dict]] = {}
    for r in planned:
        label = " ".join(f"{k}={r[k]}" for k in others if k in r) or name
        groups.setdefault(label, []).append(r)
    for ax, (column, title) in zip(axes, panels, strict=True):
        for label, group in groups.items():
            group = sorted(group, key=lambda r: r["trucks"])
            ax.plot([r["trucks"] for r in group], [r[column] for r in group], marker="o",
                    label=label)
        ax.set_xlabel(gettext("trucks"))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(title)
        ax.grid(alpha=0.3)
    if len(groups) > 1:
        axes[0].legend(fontsize=7)
    failed = len(rows) - len(planned)
    title = (gettext("{name}: {n} variant(s), {failed} failed (see sweep.csv)") if failed
             else gettext("{name}: {n} variant(s)"))
    fig.suptitle(title.format(name=name, n=len(planned), failed=failed), fontsize=10)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return _write_text(path, buf.getvalue())
