"""The dispatcher's timeline: ``timeline.html``, every truck's day on one clock.

One row per truck of the fleet (idle ones too), drawn as inline SVG on a shared hour
axis: the shift as a pale band, then driving, loading at stops, waiting, unloading and
the lunch break as bars, each with a tooltip (what, where, from-to, tonnes). The truck's
name links to its driver page and sheet; the line under it says why it leaves when it
does. Self-contained (no script, no network), readable on a desktop and a phone.
"""

from __future__ import annotations

import html
import itertools
import math
from typing import Any

import i18n
from i18n import N_, gettext
from maps._context import PlanContext
from maps._location import site_locations
from maps._schedule import departure
from maps._sheets import file_stem
from maps._style import FACILITY_COLOUR, hhmm

__all__ = ["BAR_KINDS", "render_timeline", "timeline_bars"]

_e = html.escape

#: What a bar shows (``data-kind``) and its legend label (one place, for translation).
BAR_KINDS = {
    "drive": N_("driving"),
    "stop": N_("loading at a stop"),
    "wait": N_("waiting (window, opening hours, lunch)"),
    "facility": N_("unloading"),
    "break": N_("lunch break"),
}

#: Texts of the page (whole sentences and labels, one place, for translation).
TEXTS = {
    "title": N_("Timeline, {date}"),
    "idle": N_("Stays at the depot."),
    "shift": N_("shift {start}–{end}"),
    "timezone": N_("Times are local ({timezone})."),
    "driver_page": N_("driver map"),
    "sheet": N_("sheet"),
    "tip_stop": N_("Stop {label}: {site} ({place}), {start}–{end}, {tonnes}"),
    "tip_facility": N_("Unload {tonnes} at {site}, {start}–{end}"),
    "tip_break": N_("Lunch break, {start}–{end}"),
    "tip_drive": N_("Driving to {site}, {start}–{end}"),
    "tip_wait": N_("Waiting at {site} until {end}"),
}

_LEFT, _WIDTH, _ROW, _BAR = 92, 900, 30, 16  # px: label column, axis width, row, bar height
_FILL = {"stop": None, "drive": None, "wait": "#ffffff", "facility": FACILITY_COLOUR,
         "break": "#f9a825"}

_CSS = """
body{font:14px/1.35 sans-serif;margin:10px;color:#222}
h1{font-size:18px;margin:0 0 4px}
.sn-sub{color:#555;margin-bottom:8px}
.sn-scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
svg{width:100%;min-width:720px;height:auto;display:block;max-width:1100px}
svg text{font:12px sans-serif}
.sn-legend span{display:inline-block;margin:2px 14px 2px 0;white-space:nowrap}
.sn-legend i{display:inline-block;width:16px;height:10px;margin-right:5px;border:1px solid #555;
vertical-align:middle}
ul.sn-trucks{padding-left:18px}
ul.sn-trucks li{margin:2px 0}
"""


def timeline_bars(ctx: PlanContext, vehicle_id: str) -> list[dict[str, Any]]:
    """One truck's day as bars: ``kind`` (``BAR_KINDS``), ``start_s``, ``end_s``, ``tip``.

    ``label`` is the stop number on loading bars (``""`` on others).

    Consecutive bars cover the route from leaving the depot to coming back without gap
    or overlap: the drive to each visit, any wait there, then its service.
    """
    infos = ctx.visits[vehicle_id]
    places = site_locations(ctx, {i.site_id for i in infos})
    texts = {key: gettext(text) for key, text in TEXTS.items()}
    fmt_tonnes = i18n.format_tonnes
    bars: list[dict[str, Any]] = []

    def add(kind: str, start: float, end: float, tip: str, label: str = "") -> None:
        if end > start:
            bars.append({"kind": kind, "start_s": int(start), "end_s": int(end), "tip": tip,
                         "label": label})

    for prev, info in itertools.pairwise(infos):
        v = info.visit
        site = info.name if info.name else info.site_id
        add("drive", prev.visit.departure_s, v.arrival_s,
            texts["tip_drive"].format(site=site, start=hhmm(prev.visit.departure_s),
                                      end=hhmm(v.arrival_s)))
        add("wait", v.arrival_s, v.start_s,
            texts["tip_wait"].format(site=site, end=hhmm(v.start_s)))
        times = {"start": hhmm(v.start_s), "end": hhmm(v.departure_s)}
        if v.kind == "stop":
            tip = texts["tip_stop"].format(label=info.label, site=info.site_id,
                                           place=places[info.site_id].text,
                                           tonnes=fmt_tonnes(v.load_t), **times)
        elif v.kind == "facility":
            tip = texts["tip_facility"].format(tonnes=fmt_tonnes(-v.load_t), site=site, **times)
        elif v.kind == "break":
            tip = texts["tip_break"].format(**times)
        else:
            continue
        add(v.kind, v.start_s, v.departure_s, tip, info.label if v.kind == "stop" else "")
    return bars


def _axis(ctx: PlanContext) -> tuple[int, int]:
    times = []
    for v in getattr(ctx.problem, "vehicles", ()) or ():
        times.extend(v.shift)
    for r in ctx.plan.routes:
        times.extend((r.visits[0].departure_s, r.visits[-1].arrival_s))
    if not times:
        return 6 * 3600, 18 * 3600
    start = math.floor(min(times) / 3600) * 3600
    return start, max(math.ceil(max(times) / 3600) * 3600, start + 3600)


def render_timeline(ctx: PlanContext, *, timezone: str = "UTC") -> str:
    """The timeline page of the whole fleet, as a self-contained HTML page.

    Parameters
    ----------
    ctx
        The plan context.
    timezone
        The scenario's time zone, named on the page (times are local).

    Returns
    -------
    str
        The HTML page, in the current language (``i18n.use``); bars are SVG ``rect``
        elements with ``data-kind``, ``data-start`` and ``data-end`` (seconds from
        midnight).
    """
    texts = {key: gettext(text) for key, text in TEXTS.items()}
    t0, t1 = _axis(ctx)
    scale = _WIDTH / (t1 - t0)

    def x(t: float) -> float:
        return round(_LEFT + (t - t0) * scale, 2)

    fleet = [v.id for v in getattr(ctx.problem, "vehicles", ()) or ()]
    fleet += [r.vehicle_id for r in ctx.plan.routes if r.vehicle_id not in fleet]
    shifts = {v.id: v.shift for v in getattr(ctx.problem, "vehicles", ()) or ()}
    used = {r.vehicle_id for r in ctx.plan.routes}
    height = 26 + _ROW * len(fleet)
    parts = [f'<div class="sn-scroll"><svg viewBox="0 0 {_LEFT + _WIDTH + 24} {height}" role="img" '
             f'aria-label="{_e(texts["title"].format(date=ctx.date))}">']
    for hour in range(t0, t1 + 1, 3600):
        parts.append(f'<line x1="{x(hour)}" y1="18" x2="{x(hour)}" y2="{height}" '
                     'stroke="#ddd"/>')
        parts.append(f'<text x="{x(hour)}" y="13" text-anchor="middle">{hhmm(hour)}</text>')
    for row, vid in enumerate(fleet):
        y = 22 + row * _ROW
        colour = ctx.colours.get(vid, "#555")
        stem = file_stem(vid)
        label = (f'<text x="4" y="{y + _BAR - 3}" fill="{colour}" font-weight="bold">'
                 f"{_e(vid)}</text>")
        parts.append(f'<a href="truck-{_e(stem)}.html">{label}</a>' if vid in used else label)
        if vid in shifts:
            s0, s1 = shifts[vid]
            parts.append(f'<rect class="sn-shift" x="{x(s0)}" y="{y - 2}" width="{x(s1) - x(s0)}" '
                         f'height="{_BAR + 4}" fill="#eef2f7" data-start="{s0}" data-end="{s1}">'
                         f'<title>{_e(texts["shift"].format(start=hhmm(s0), end=hhmm(s1)))}'
                         '</title></rect>')
        if vid not in used:
            parts.append(f'<text x="{x(t0) + 6}" y="{y + _BAR - 3}" fill="#666">'
                         f'{_e(texts["idle"])}</text>')
            continue
        for bar in timeline_bars(ctx, vid):
            kind = bar["kind"]
            fill = _FILL[kind] or colour
            opacity = ' fill-opacity="0.45"' if kind == "drive" else ""
            stroke = (' stroke="#555" stroke-dasharray="3 2"' if kind == "wait" else
                      "" if kind == "drive" else ' stroke="#fff" stroke-width="1"')
            top, h = (y + 4, _BAR - 8) if kind == "drive" else (y, _BAR)
            parts.append(
                f'<rect x="{x(bar["start_s"])}" y="{top}" '
                f'width="{max(x(bar["end_s"]) - x(bar["start_s"]), 0.5)}" height="{h}" '
                f'fill="{fill}"{opacity}{stroke} data-kind="{kind}" '
                f'data-start="{bar["start_s"]}" data-end="{bar["end_s"]}">'
                f'<title>{_e(bar["tip"])}</title></rect>')
            wide = x(bar["end_s"]) - x(bar["start_s"]) >= 8 * len(bar["label"]) + 4
            if bar["label"] and wide:
                mid = (x(bar["start_s"]) + x(bar["end_s"])) / 2
                parts.append(f'<text x="{mid:.2f}" y="{y + _BAR - 4}" text-anchor="middle" '
                             f'fill="#fff" font-size="11" pointer-events="none">'
                             f'{_e(bar["label"])}</text>')
    parts.append("</svg></div>")
    legend = "".join(
        f'<span><i style="background:{_FILL[k] or "#1f77b4"}'
        f'{";opacity:.45" if k == "drive" else ""}"></i>{_e(gettext(label))}</span>'
        for k, label in BAR_KINDS.items())
    notes = []
    for r in ctx.plan.routes:
        stem = _e(file_stem(r.vehicle_id))
        notes.append(f'<li><b>{_e(r.vehicle_id)}</b>: {_e(departure(ctx, r.vehicle_id).text)} '
                     f'<a href="truck-{stem}.html">{_e(texts["driver_page"])}</a> · '
                     f'<a href="sheet-{stem}.html">{_e(texts["sheet"])}</a></li>')
    title = texts["title"].format(date=ctx.date)
    return (
        f'<!DOCTYPE html>\n<html lang="{i18n.html_lang()}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{_e(title)}</h1><div class=\"sn-sub\">{_e(ctx.title)} · "
        f"{_e(texts['timezone'].format(timezone=timezone))}</div>"
        + "".join(parts)
        + f'<div class="sn-legend">{legend}</div><ul class="sn-trucks">{"".join(notes)}</ul>'
        "</body></html>\n"
    )
