"""The printable route sheet: ``sheet-<id>.html``, one truck's day for a clipboard in the cab.

Plain HTML with print CSS (A4 landscape, the table header repeated on every page, no row
split across pages, no map or script needed): open it and print, or save it as PDF from
the browser's print dialog. It shows the same rows as ``sheet-<id>.csv``, under the
headers people read (``SHEET_HEADERS``), with boxes for the crew to fill in: done,
actual tonnes, time, remarks. Typed into the CSV's columns of the same names, they
feed ``run_plan.py progress``.
"""

from __future__ import annotations

import html
from typing import Any

import i18n
from i18n import N_, gettext
from maps._context import PlanContext
from maps._schedule import departure
from maps._sheets import file_stem, route_sheet_rows, sheet_headers
from maps._style import hhmm

__all__ = ["PRINT_COLUMNS", "render_print_sheet"]

_e = html.escape

#: The sheet columns on paper, in order (machine names; headers from ``SHEET_HEADERS``).
PRINT_COLUMNS = ("label", "site_id", "location", "window", "eta", "departure", "tonnes",
                 "load_after_t", "notes", "done", "tonnes_cleared", "done_at", "remarks")
_BLANK = ("done", "tonnes_cleared", "done_at", "remarks")

#: Texts of the printed sheet (whole sentences and labels, one place, for translation).
TEXTS = {
    "title": N_("Route sheet {truck}, {date}"),
    "window": N_("Window"),
    "shift": N_("Shift {start}–{end}"),
    "capacity": N_("Capacity {tonnes}"),
    "totals": N_("{stops} stops, {tonnes}, {km:.1f} km, {unloads} unloads"),
    "fill_in": N_("Tick Done and write the tonnes actually loaded, the time and any remarks. "
                  "The dispatcher types them into {csv} (same columns) for run_plan.py "
                  "progress."),
    "driver": N_("Driver"),
    "signature": N_("Signature"),
    "print": N_("Print"),
    "timezone": N_("Times are local ({timezone})."),
}

_CSS = """
@page{size:A4 landscape;margin:10mm}
*{box-sizing:border-box}
body{font:10.5pt/1.3 "Noto Sans","DejaVu Sans",Arial,"Noto Sans CJK SC","Microsoft YaHei",
"PingFang SC",sans-serif;color:#000;margin:0}
header{display:flex;flex-wrap:wrap;gap:4px 18px;align-items:baseline;margin-bottom:6px}
h1{font-size:15pt;margin:0 12px 0 0}
.sn-facts span{white-space:nowrap;margin-right:14px}
.sn-leave{margin:2px 0 6px}
table{border-collapse:collapse;width:100%}
thead{display:table-header-group}
tr{break-inside:avoid;page-break-inside:avoid}
th,td{border:1px solid #555;padding:3px 4px;vertical-align:top;text-align:left}
th{background:#eee;font-size:9pt}
td.num{text-align:right;white-space:nowrap}
td.blank{min-width:16mm;height:9mm}
td.done{width:11mm;text-align:center}
td.done span{display:inline-block;width:5mm;height:5mm;border:1.5px solid #000}
td.remarks{min-width:40mm}
tr.facility td,tr.break td,tr.start td,tr.end td{background:#f6f6f6}
tr.facility td.blank,tr.break td.blank,tr.start td.blank,tr.end td.blank{background:#ddd}
footer{margin-top:10px;display:flex;gap:40px}
footer span{display:inline-block;min-width:60mm;border-bottom:1px solid #000;height:7mm}
.sn-note{font-size:9pt;color:#333;margin-top:6px}
@media screen{body{margin:12px auto;max-width:1200px;padding:0 10px}}
@media print{.sn-noprint{display:none}}
"""


def _cell(name: str, row: dict[str, Any]) -> str:
    if name == "done":
        return '<td class="blank done">' + ("<span></span>" if row["kind"] == "stop" else "") \
            + "</td>"
    if name in _BLANK:
        return f'<td class="blank {name}"></td>'
    if name == "window":
        value = f"{row['open']}–{row['close']}" if row["open"] or row["close"] else ""
        return f"<td>{_e(value)}</td>"
    if name in ("tonnes", "load_after_t"):
        value = row[name]
        # on paper a stop's tonnes only: the notes say what an unloading tips
        shown = "" if row["kind"] != "stop" and name == "tonnes" else f"{float(value):.1f}"
        return f'<td class="num">{shown}</td>'
    if name == "site_id":
        value = row["site_id"] if row["name"] == row["site_id"] else \
            f"{row['site_id']} · {row['name']}"
        if row.get("stream"):
            value += f" · {row['stream']}"
        return f"<td>{_e(value)}</td>"
    return f"<td>{_e(str(row.get(name, '')))}</td>"


def render_print_sheet(ctx: PlanContext, vehicle_id: str, *, timezone: str = "UTC") -> str:
    """The printable route sheet of one truck, as a self-contained HTML page.

    Parameters
    ----------
    ctx
        The plan context.
    vehicle_id
        A truck with a route in the plan.
    timezone
        The scenario's time zone, named on the sheet (times are local).

    Returns
    -------
    str
        The HTML page (UTF-8; print CSS for A4 landscape), in the current language
        (``i18n.use``).
    """
    texts = {key: gettext(text) for key, text in TEXTS.items()}
    fmt_tonnes = i18n.format_tonnes
    route = ctx.route(vehicle_id)
    rows = route_sheet_rows(ctx, vehicle_id)
    vehicle = next((v for v in getattr(ctx.problem, "vehicles", ()) or ()
                    if v.id == vehicle_id), None)
    headers = {**sheet_headers(c for c in PRINT_COLUMNS if c != "window"),
               "window": texts["window"]}
    facts = []
    if vehicle is not None:
        facts.append(texts["shift"].format(start=hhmm(vehicle.shift[0]),
                                           end=hhmm(vehicle.shift[1])))
        facts.append(texts["capacity"].format(tonnes=fmt_tonnes(vehicle.capacity_t)))
    facts.append(texts["totals"].format(stops=len(route.stops), tonnes=fmt_tonnes(route.tonnes),
                                        km=route.distance_km, unloads=route.unload_trips))
    title = texts["title"].format(truck=vehicle_id, date=ctx.date)
    head = "".join(f"<th>{_e(headers[c])}</th>" for c in PRINT_COLUMNS)
    body = "".join(
        f'<tr class="{_e(r["kind"])}">' + "".join(_cell(c, r) for c in PRINT_COLUMNS) + "</tr>"
        for r in rows)
    csv_name = f"sheet-{file_stem(vehicle_id)}.csv"
    return (
        f'<!DOCTYPE html>\n<html lang="{i18n.html_lang()}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
        f'<header><h1>{_e(title)}</h1><div class="sn-facts">'
        + "".join(f"<span>{_e(f)}</span>" for f in facts)
        + f"<span>{_e(ctx.title)}</span></div>"
        f'<button class="sn-noprint" onclick="window.print()">{_e(texts["print"])}</button>'
        f'</header><div class="sn-leave">{_e(departure(ctx, vehicle_id).text)} '
        f'{_e(texts["timezone"].format(timezone=timezone))}</div>'
        f'<table data-truck="{_e(vehicle_id)}" data-date="{_e(ctx.date)}"><thead><tr>{head}'
        f"</tr></thead><tbody>{body}</tbody></table>"
        f'<p class="sn-note">{_e(texts["fill_in"].format(csv=csv_name))}</p>'
        f'<footer><div>{_e(texts["driver"])}: <span></span></div>'
        f'<div>{_e(texts["signature"])}: <span></span></div></footer>'
        "</body></html>\n"
    )
