"""Route sheets: one row per visit, for the driver, the dispatcher and the campaign.

``sheet-<id>.csv`` (one truck) and ``dispatch.csv`` (every truck, then the unassigned
work) share one layout. Column names are stable English machine names (``SHEET_COLUMNS``)
that tools and ``read_sheet_progress`` key on; ``SHEET_HEADERS`` holds the headers people
read (the printable sheet uses them), so a translation changes only those.

Every sheet carries its date and truck in each row, the site's coordinates, its location
in words, the time window each visit had to respect and four blank columns for the crew:
``done``, ``tonnes_cleared``, ``done_at``, ``remarks``. ``read_sheet_progress`` reads
sheets filled in like that back; ``write_progress_csv`` writes them as the progress file
of ``run_plan.py campaign --progress``.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import i18n
from i18n import N_, gettext
from maps._context import PlanContext, number, text
from maps._errors import MapsError
from maps._location import site_locations
from maps._schedule import departure, load_pieces, multi_stream, stream_of, visit_window
from maps._style import hhmm

__all__ = ["FEEDBACK_COLUMNS", "SHEET_COLUMNS", "SHEET_HEADERS", "SheetError", "dispatch_rows",
           "file_stem", "read_sheet_progress", "route_sheet_rows", "sheet_columns",
           "sheet_headers", "sheet_label_row", "unassigned_code", "write_progress_csv"]

_EXACT = 6  # decimals of exported coordinates (about 0.1 m)

#: The columns the crew fills in: a tick, the tonnes actually loaded, when, remarks.
FEEDBACK_COLUMNS = ("done", "tonnes_cleared", "done_at", "remarks")

#: Columns of ``sheet-<id>.csv`` and ``dispatch.csv``; ``stream`` follows ``tonnes`` when
#: the problem has more than one waste stream (``sheet_columns``); ``code`` is the reason
#: code of an unassigned row (``routing.REASON_CODES``), blank on route rows.
SHEET_COLUMNS = ("date", "truck", "order", "label", "kind", "stop_id", "site_id", "name",
                 "location", "lat", "lon", "open", "close", "eta", "start", "departure",
                 "tonnes", "load_after_t", "km", "notes", "code",
                 *FEEDBACK_COLUMNS)  # fmt: skip

#: The header people read for each machine column name (one place, for translation;
#: ``sheet_headers`` gives them in the current language).
SHEET_HEADERS = {
    "date": N_("Date"), "truck": N_("Truck"), "order": N_("Order"), "label": N_("No."),
    "kind": N_("Visit"), "stop_id": N_("Stop"), "site_id": N_("Site"), "name": N_("Name"),
    "location": N_("Location"), "lat": N_("Latitude"), "lon": N_("Longitude"),
    "open": N_("Window opens"), "close": N_("Window closes"), "eta": N_("Arrive"),
    "start": N_("Start"), "departure": N_("Leave"), "tonnes": N_("Tonnes"),
    "load_after_t": N_("On board after (t)"), "km": N_("Km"), "stream": N_("Stream"),
    "notes": N_("Notes"), "code": N_("Reason code"), "done": N_("Done"),
    "tonnes_cleared": N_("Actual tonnes"), "done_at": N_("Time"), "remarks": N_("Remarks"),
}  # fmt: skip

#: Notes on a sheet row (whole phrases, one place, for translation).
NOTES = {
    "wait": N_("wait until {time}"),
    "unload": N_("unload {tonnes:.1f} t"),
    "break": N_("break {minutes} min"),
    "piece": N_("load {k} of {n}"),
}

_YES = {"x", "y", "yes", "1", "true", "done", "ok", "✓", "✔", "是", "完成", "已完成"}
_NO = {"", "n", "no", "0", "false", "-", "否", "未完成"}


def file_stem(vehicle_id: str) -> str:
    """A truck id made safe for a file name (``"T 1/a"`` -> ``"T_1_a"``)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", vehicle_id).strip("._") or "truck"


class SheetError(MapsError):
    """A filled-in route sheet that cannot be read back (names the file, line and fix)."""


def sheet_headers(columns: Iterable[str]) -> dict[str, str]:
    """The header people read for each column, in the current language (``i18n.use``)."""
    return {c: gettext(SHEET_HEADERS[c]) if c in SHEET_HEADERS else c for c in columns}


def sheet_label_row(columns: Iterable[str]) -> dict[str, str] | None:
    """The second header row of a CSV sheet in a language other than English, or ``None``.

    The first row keeps the machine column names that tools and ``read_sheet_progress``
    key on; a Chinese sheet has the names people read right under it, so Excel shows
    both. Tools skip it as a data row (``pandas.read_csv(path, skiprows=[1])``); it is
    no stop row, so ``read_sheet_progress`` passes over it.
    """
    if i18n.current() == i18n.DEFAULT_LANGUAGE:
        return None
    return sheet_headers(columns)


def sheet_columns(ctx: PlanContext) -> tuple[str, ...]:
    """The sheet columns of this plan: ``SHEET_COLUMNS``, with ``stream`` if it has several."""
    if not multi_stream(ctx):
        return SHEET_COLUMNS
    at = SHEET_COLUMNS.index("tonnes") + 1
    return (*SHEET_COLUMNS[:at], "stream", *SHEET_COLUMNS[at:])


def unassigned_code(ctx: PlanContext, u: Any) -> str:
    """The machine-readable reason of unassigned work (``routing.REASON_CODES``).

    Sites the snapping left out and the plan does not list get ``off_network``.
    """
    code = text(getattr(u, "code", ""))
    known = u.site_id in ctx.sites.index
    if not code and known and not bool(ctx.site(u.site_id).get("reachable", True)):
        code = "off_network"
    return code


def _blank() -> dict[str, str]:
    return dict.fromkeys(FEEDBACK_COLUMNS, "")


def route_sheet_rows(ctx: PlanContext, vehicle_id: str) -> list[dict[str, Any]]:
    """The rows of one truck's route sheet (columns ``sheet_columns(ctx)``).

    Every row names the date, the truck, the site's location in words and its
    coordinates (lat/lon, EPSG:4326), and the window the visit had to respect: a stop's
    time window, a facility's opening hours, the lunch window, the shift at the depot.
    """
    rows = []
    streams = multi_stream(ctx)
    pieces = load_pieces(ctx)
    infos = ctx.visits[vehicle_id]
    places = site_locations(ctx, {i.site_id for i in infos})
    for order, info in enumerate(infos):
        v = info.visit
        notes = []
        if v.kind == "start":
            leave = departure(ctx, vehicle_id)
            if leave.code != "shift_start":
                notes.append(leave.text)
        if v.start_s > v.arrival_s + 59:
            notes.append(gettext(NOTES["wait"]).format(time=hhmm(v.start_s)))
        if v.kind == "facility":
            notes.append(gettext(NOTES["unload"]).format(tonnes=-v.load_t))
        if v.kind == "break":
            notes.append(gettext(NOTES["break"]).format(
                minutes=round((v.departure_s - v.start_s) / 60)))
        if v.id in pieces:
            k, n = pieces[v.id]
            notes.append(gettext(NOTES["piece"]).format(k=k, n=n))
        opens, closes = visit_window(ctx, info)
        row = {
            "date": ctx.date, "truck": vehicle_id, "order": order, "label": info.label,
            "kind": v.kind, "stop_id": v.id if v.kind == "stop" else "",
            "site_id": info.site_id, "name": info.name, "location": places[info.site_id].text,
            "lat": round(info.lonlat[1], _EXACT), "lon": round(info.lonlat[0], _EXACT),
            "open": hhmm(opens), "close": hhmm(closes), "eta": hhmm(v.arrival_s),
            "start": hhmm(v.start_s), "departure": hhmm(v.departure_s),
            "tonnes": round(v.load_t, 3), "load_after_t": round(v.load_after_t, 3),
            "km": round(v.distance_km, 3), "notes": "; ".join(notes), "code": "",
            **_blank(),
        }  # fmt: skip
        if streams:
            row["stream"] = stream_of(ctx, v)
        rows.append(row)
    return rows


def dispatch_rows(ctx: PlanContext) -> list[dict[str, Any]]:
    """All trucks' sheets one after another, then the unassigned work (``truck`` empty)."""
    rows = []
    for route in ctx.plan.routes:
        rows.extend(route_sheet_rows(ctx, route.vehicle_id))
    known = [u.site_id for u in ctx.unassigned if u.site_id in ctx.sites.index]
    places = site_locations(ctx, known)
    streams = multi_stream(ctx)
    by_id = {s.id: s for s in getattr(ctx.problem, "stops", ()) or ()}
    for u in ctx.unassigned:
        row: dict[str, Any] = dict.fromkeys(sheet_columns(ctx), "")
        code = unassigned_code(ctx, u)
        row.update(date=ctx.date, kind="unassigned", stop_id=u.stop_id, site_id=u.site_id,
                   tonnes=round(number(u.load_t), 3), code=code,
                   notes=i18n.reason_text(code, getattr(u, "details", None), text(u.reason)))
        if u.site_id in places:
            site = ctx.site(u.site_id)
            row.update(name=text(site.get("name")), location=places[u.site_id].text,
                       lat=round(float(site.geometry.y), _EXACT),
                       lon=round(float(site.geometry.x), _EXACT))
            window = getattr(by_id.get(u.stop_id), "window", None)
            if window is not None:
                row.update(open=hhmm(window[0]), close=hhmm(window[1]))
        if streams:
            row["stream"] = text(getattr(by_id.get(u.stop_id), "stream", ""))
        rows.append(row)
    return rows


# -- reading filled-in sheets back -----------------------------------------------------
def _tonnes(value: str, where: str, problems: list[str]) -> float | None:
    value = value.strip().replace(",", ".")
    if not value:
        return None
    try:
        t = float(value)
    except ValueError:
        t = math.nan
    if not math.isfinite(t) or t < 0:
        problems.append(gettext("{where}, tonnes_cleared: got {value!r}; give the tonnes "
                                "loaded (a number >= 0) or leave it blank").format(
                                    where=where, value=value))
        return None
    return t


def read_sheet_progress(paths: Iterable[str | os.PathLike[str]]) -> list[dict[str, Any]]:
    """What the crews marked done on their route sheets (``sheet-<id>.csv``/``dispatch.csv``).

    A stop row counts as done when ``tonnes_cleared`` holds a number (the tonnes
    actually loaded) or ``done`` is ticked (``x``, ``yes``, ``1``, ``✓``, ``是``...; then
    the planned ``tonnes`` count). Blank rows, depot, unloading and break rows are
    skipped; a stop ticked "no" with tonnes still counts its tonnes.

    Parameters
    ----------
    paths
        Filled-in sheets, CSV with the ``SHEET_COLUMNS`` header (other columns are
        ignored, so a sheet edited in a spreadsheet reads back).

    Returns
    -------
    list of dict
        One row per done stop: ``date``, ``site_id``, ``tonnes_cleared`` (t), ``truck``,
        ``stop_id``, ``done_at``, ``remarks``, in file order.

    Raises
    ------
    SheetError
        A missing file, a sheet without the needed columns, a value that is not a
        tick or a number: every problem at once, naming the file, line and column.
    """
    problems: list[str] = []
    done: list[dict[str, Any]] = []
    for path in map(Path, paths):
        if not path.is_file():
            problems.append(gettext("{path}: file does not exist; check the path").format(
                path=path))
            continue
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = [c.strip() for c in reader.fieldnames or ()]
            missing = [c for c in ("date", "site_id", "kind", "tonnes", "done", "tonnes_cleared")
                       if c not in header]
            if missing:
                problems.append(gettext(
                    "{path}: columns {columns} are missing; give a route sheet written by "
                    "run_plan.py (sheet-<truck>.csv or dispatch.csv)").format(
                        path=path, columns=", ".join(missing)))
                continue
            for line, raw in enumerate(reader, start=2):
                row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
                if row.get("kind") != "stop":
                    continue
                where = gettext("{path}: line {line} ({site})").format(
                    path=path, line=line, site=row.get("site_id"))
                tick = row.get("done", "").lower()
                if tick not in _YES | _NO:
                    problems.append(gettext("{where}, done: got {value!r}; write x (done) or "
                                            "leave it blank").format(where=where,
                                                                     value=row.get("done")))
                    continue
                tonnes = _tonnes(row.get("tonnes_cleared", ""), where, problems)
                if tonnes is None and tick in _YES:
                    tonnes = number(row.get("tonnes"), math.nan)
                    if not math.isfinite(tonnes):
                        problems.append(gettext(
                            "{where}, tonnes: got {value!r}; write the tonnes loaded in "
                            "tonnes_cleared").format(where=where, value=row.get("tonnes")))
                        continue
                if tonnes is None:
                    continue
                done.append({"date": row.get("date", ""), "site_id": row.get("site_id", ""),
                             "tonnes_cleared": round(tonnes, 3), "truck": row.get("truck", ""),
                             "stop_id": row.get("stop_id", ""), "done_at": row.get("done_at", ""),
                             "remarks": row.get("remarks", "")})
    if problems:
        raise SheetError(gettext("{n} problem(s) in the route sheets:\n{problems}").format(
            n=len(problems), problems="\n".join(f"  - {p}" for p in problems)))
    return done


#: Columns of the progress file ``write_progress_csv`` writes (what ``--progress`` reads).
PROGRESS_COLUMNS = ("date", "site_id", "tonnes_cleared", "truck", "stop_id", "done_at",
                    "remarks")


def progress_csv_text(rows: Iterable[dict[str, Any]]) -> str:
    """The progress rows as CSV text with the ``PROGRESS_COLUMNS`` header."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(PROGRESS_COLUMNS), lineterminator="\n",
                            extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def write_progress_csv(rows: Iterable[dict[str, Any]], path: str | os.PathLike[str]) -> Path:
    """Write done stops (``read_sheet_progress``) as a campaign progress file.

    The file has ``date, site_id, tonnes_cleared`` first, the columns
    ``run_plan.py campaign --progress`` reads (``planner.read_progress``).
    """
    path = Path(path)
    path.write_text(progress_csv_text(rows), encoding="utf-8")
    return path
