"""The dispatcher's overview page: every truck's day on one map, a route list and a legend.

Each truck is a layer: its lines (solid while collecting, dashed when full and driving to
unload) and its stops, numbered in its driving order and linked to its driver page.
Stops close together on screen merge into one marker that lists them (the
markercluster plugin); trucks on the same street are drawn side by side. The view fits
the routes, not every site (an off-network site far away does not shrink them into a
corner). On a campaign day, dumps planned for later days are shown as "scheduled for day
N". The route list filters by truck or site and zooms to a truck's route; on a phone it
and the layer list start folded.
"""

from __future__ import annotations

import html
import logging
from typing import Any

import folium
import numpy as np

import i18n
from i18n import N_, gettext
from maps._context import PlanContext, VisitInfo, build_context, number, text
from maps._layout import ROUTE_TOLERANCE_DEG
from maps._offline import new_map
from maps._page import Line, Marker, Page, arrow_key, badge_key, legend_html, line_key
from maps._schedule import multi_stream, visit_window
from maps._streets import tolerance_for
from maps._style import (
    KIND_LABELS,
    SITE_ICONS,
    UNASSIGNED_FILL,
    fmt_tonnes,
    hhmm,
)

__all__ = ["overview_map", "render_overview", "truck_layer_name", "truck_page"]

logger = logging.getLogger(__name__)

_e = html.escape
#: Above this many stops the lines are drawn on a canvas (an SVG of 1,000+ paths is slow).
CANVAS_STOPS = 300
#: With more trucks than this the layer list starts folded on a desktop too (the route
#: list filters them), and the lines are thinner, their bundles narrower, the arrows fewer.
LONG_LAYER_LIST = 8
#: CSS pixels across a desktop's map: the first view the streets are simplified for.
DESKTOP_PX = 1200

#: Every text of the overview, whole sentences or labels (``{placeholders}`` filled in).
TEXTS = {
    "truck": N_("Truck {truck}"),
    "kind_priority": N_("{kind}, {tonnes}, priority {priority}"),
    "kind": N_("{kind}, {tonnes}"),
    "visit": N_("{truck} stop {stop}, ETA {eta} ({tonnes})"),
    "rest_later": N_("The rest is scheduled for day {day}."),
    "unassigned_t": N_("Unassigned: <b>{n}</b> ({tonnes:.1f} t)"),
    "unassigned_none": N_("Unassigned: <b>0</b>"),
    "later_count": N_("Scheduled for later days: <b>{n}</b>"),
    "engine": N_("Engine: {engine}"),
    "stop_tip": N_("Truck {truck} stop {stop}: {site}, {tonnes}, ETA {eta}"),
    "not_collected": N_("<b>Unassigned</b>: {tonnes} not collected"),
    "miss_tip": N_("{site}: unassigned"),
    "later_popup": N_("Scheduled for day {day} ({tonnes} in all)."),
    "later_tip": N_("{site}: scheduled for day {day}"),
    "unload": N_("{truck} {time} ({tonnes:.1f} t)"),
    "trip_tip": N_("Truck {truck}, trip {trip}: {km:.1f} km"),
    "unassigned_layer": N_("Unassigned ({n})"),
    "window": N_("Time window {open}–{close}"),
    "stream": N_("Waste stream: {stream}"),
    "partly": N_("Partly served: see the truck's marker."),
    "later_layer": N_("Scheduled for later days"),
    "sites_layer": N_("Depots and unloading"),
    "unloads": N_("Unloads:"),
    "later_label": N_("{site}: day {day}"),
    "filter": N_("Filter by truck or site"),
    "streets_layer": N_("Street network"),
}


def _t(key: str) -> str:
    """A text of ``TEXTS`` in the current language (``i18n.use``)."""
    return gettext(TEXTS[key])


def truck_layer_name(vehicle_id: str, colour: str) -> str:
    """The layer-control label of a truck (a colour swatch and ``Truck <id>``)."""
    return (f'<span class="sn-sw" style="background:{colour}"></span>'
            + _t("truck").format(truck=_e(vehicle_id)))


def truck_page(vehicle_id: str) -> str:
    """The file name of a truck's driver page (``truck-<id>.html``)."""
    from maps._sheets import file_stem  # the writer names the files; keep one rule

    return f"truck-{file_stem(vehicle_id)}.html"


def _truck_link(vehicle_id: str) -> str:
    return (f'<a href="{_e(truck_page(vehicle_id))}">'
            + _t("truck").format(truck=_e(vehicle_id)) + "</a>")


def _window_text(opens: int | None, closes: int | None) -> str:
    if opens is None and closes is None:
        return ""
    return _t("window").format(open=hhmm(opens) or "…", close=hhmm(closes) or "…")


#: The columns of the route list (labels, translated where shown).
_SUMMARY_HEADS = (N_("Truck"), N_("Stops"), N_("km"), N_("h"), N_("t"), N_("Unloads"))

#: How much of a site the day clears: (what is left, one trip?) -> a whole sentence.
_CLEARED = {
    ("done", True): N_("Cleared {cleared:.1f} of {tonnes:.1f} t in 1 trip"),
    ("done", False): N_("Cleared {cleared:.1f} of {tonnes:.1f} t in {trips} trips"),
    ("left", True): N_("Cleared {cleared:.1f} of {tonnes:.1f} t in 1 trip, {left:.1f} t left"),
    ("left", False): N_("Cleared {cleared:.1f} of {tonnes:.1f} t in {trips} trips, {left:.1f} t "
                        "left"),
}


def _site_popup(ctx: PlanContext, site_id: str, visits: list[VisitInfo], progress: Any) -> str:
    row = ctx.site(site_id)
    name = text(row.get("name"))
    lines = [f"<b>{_e(site_id)}</b>" + (f" {_e(name)}" if name and name != site_id else "")]
    kind = gettext(KIND_LABELS.get(text(row.get("kind")), text(row.get("kind"))))
    prio = text(row.get("priority"))
    tonnes = fmt_tonnes(number(row.get("tonnes")))
    if prio:
        lines.append(_t("kind_priority").format(
            kind=_e(kind), tonnes=tonnes, priority=_e(prio)))
    else:
        lines.append(_t("kind").format(kind=_e(kind), tonnes=tonnes))
    if multi_stream(ctx):
        lines.append(_e(_t("stream").format(stream=text(row.get("stream")))))
    if visits:
        window = _window_text(*visit_window(ctx, visits[0]))
        if window:
            lines.append(_e(window))
    for info in visits:
        v = info.visit
        lines.append(_t("visit").format(
            truck=_truck_link(info.vehicle_id), stop=_e(info.label), eta=hhmm(v.arrival_s),
            tonnes=fmt_tonnes(v.load_t)))
    if progress is not None:
        key = ("left" if progress.left_t > 0 else "done", progress.trips == 1)
        lines.append(gettext(_CLEARED[key]).format(cleared=progress.cleared_t,
                                                   tonnes=progress.tonnes,
                                          trips=progress.trips, left=progress.left_t))
    if site_id in ctx.scheduled:
        lines.append(_t("rest_later").format(day=ctx.scheduled[site_id]))
    return "<br>".join(lines)


def _summary_panel(ctx: PlanContext) -> str:
    plan = ctx.plan
    rows = []
    for r in plan.routes:
        vid = r.vehicle_id
        sites = {i.site_id.lower() for i in ctx.visits[vid] if i.visit.kind == "stop"}
        find = " ".join([vid.lower(), *sorted(sites)])
        rows.append(
            f'<tr data-zoom="{_e(vid)}" data-find="{_e(find)}"><td>'
            f'<span class="sn-sw" style="background:{ctx.colours[vid]}"></span>'
            f'<a href="{_e(truck_page(vid))}">{_e(vid)}</a></td><td>{len(r.stops)}</td>'
            f"<td>{r.distance_km:.1f}</td><td>{r.duration_h:.1f}</td><td>{r.tonnes:.1f}</td>"
            f"<td>{r.unload_trips}</td></tr>"
        )
    tot = plan.totals()
    n_stops = sum(len(r.stops) for r in plan.routes)
    head = "<tr>" + "".join(f"<th>{_e(gettext(h))}</th>" for h in _SUMMARY_HEADS) + "</tr>"
    label = gettext("Total")
    total = (f'<tr class="sn-total"><td>{_e(label)}</td><td>{n_stops}</td>'
             f"<td>{tot['distance_km']:.1f}</td><td>{tot['duration_h']:.1f}</td>"
             f"<td>{tot['tonnes']:.1f}</td><td>{tot['unload_trips']}</td></tr>")
    unassigned = ctx.unassigned
    left_t = sum(number(u.load_t) for u in unassigned)
    facts = [_t("unassigned_t").format(n=len(unassigned), tonnes=left_t)
             if unassigned else _t("unassigned_none")]
    later = [s for s in ctx.scheduled if s not in ctx.served()]
    if later:
        facts.append(_t("later_count").format(n=len(later)))
    facts.append(_t("engine").format(engine=_e(str(getattr(plan, "engine", "")))))
    dated = "" if ctx.date in ctx.title else f" · {_e(ctx.date)}"
    return (
        f"<details><summary>{_e(ctx.title)}{dated}</summary>"
        f'<input class="sn-filter" type="search" placeholder="{_e(_t("filter"))}" '
        f'aria-label="{_e(_t("filter"))}"> <span class="sn-count"></span>'
        f'<div class="sn-routes"><table>{head}{"".join(rows)}{total}</table></div>'
        f"<div>{' · '.join(facts)}</div></details>"
    )


def _legend(ctx: PlanContext) -> str:
    sample = "#455a64"
    items = [
        (line_key(sample), gettext("Route, in the truck's colour")),
        (line_key(sample, dashed=True), gettext("Full, driving to unload")),
        (arrow_key(sample), gettext("Driving direction")),
        (badge_key("sn-num", "3", sample), gettext("Stop, numbered in the truck's order")),
        ('<div class="sn-cl" style="background:conic-gradient(#1f77b4 0 50%,#d62728 0 100%)">'
         "<span>4</span></div>", gettext("Stops close together: tap to zoom in")),
        (badge_key("sn-site", "D", SITE_ICONS["depot"][1]), gettext("Depot")),
        (badge_key("sn-site", "L", SITE_ICONS["landfill"][1]),
         gettext("Landfill or transfer station")),
        (badge_key("sn-miss", ""), gettext("Unassigned: not collected today")),
    ]
    if ctx.scheduled:
        items.append((badge_key("sn-later", "4", "#eceff1"),
                      gettext("Scheduled for a later day (day)")))
    items.append((line_key("#8a8a8a"), gettext("Street network (drawn without tiles too)")))
    return legend_html(items, note=gettext("Trucks on one street are drawn side by side, each "
                                           "on the right of its direction of travel."))


def _served_markers(ctx: PlanContext, page: Page) -> None:
    progress = ctx.progress()
    for site_id, infos in ctx.served().items():
        popup = _site_popup(ctx, site_id, infos, progress.get(site_id))
        for info in infos:
            page.markers.append(Marker(
                info.vehicle_id, info.lonlat, "stop", info.label, ctx.colours[info.vehicle_id],
                _t("stop_tip").format(
                    truck=info.vehicle_id, stop=info.label, site=site_id,
                    tonnes=fmt_tonnes(info.visit.load_t), eta=hhmm(info.visit.arrival_s)),
                popup, f"{info.vehicle_id}·{info.label}"))


def _unassigned_markers(ctx: PlanContext, page: Page) -> None:
    from maps._sheets import unassigned_code  # one rule for the code of every output

    by_site: dict[str, list] = {}
    for u in ctx.unassigned:
        by_site.setdefault(u.site_id, []).append(u)
    served = ctx.served()
    for site_id, items in by_site.items():
        if site_id not in ctx.sites.index:
            logger.warning("unassigned site %s is not in the snapped sites; not drawn", site_id)
            continue
        row = ctx.site(site_id)
        reasons = sorted({i18n.reason_text(unassigned_code(ctx, u), getattr(u, "details", None),
                                           text(u.reason)) for u in items})
        tonnes = sum(number(u.load_t) for u in items)
        name = text(row.get("name"))
        popup = (f"<b>{_e(site_id)}</b>" + (f" {_e(name)}" if name and name != site_id else "")
                 + "<br>" + _t("not_collected").format(
                     tonnes=fmt_tonnes(tonnes))
                 + "".join(f"<br>{_e(r)}" for r in reasons))
        if site_id in served:  # partly served: the leftover pieces
            popup += "<br>" + _t("partly")
        page.markers.append(Marker(
            "unassigned", (row.geometry.x, row.geometry.y), "miss", "", UNASSIGNED_FILL,
            _t("miss_tip").format(site=site_id), popup, site_id))


def _later_markers(ctx: PlanContext, page: Page) -> None:
    served = ctx.served()
    for site_id, day in sorted(ctx.scheduled.items()):
        if site_id in served:
            continue
        row = ctx.site(site_id)
        name = text(row.get("name"))
        popup = (f"<b>{_e(site_id)}</b>" + (f" {_e(name)}" if name and name != site_id else "")
                 + "<br>" + _t("later_popup").format(
                     day=day, tonnes=fmt_tonnes(number(row.get("tonnes")))))
        page.markers.append(Marker(
            "later", (row.geometry.x, row.geometry.y), "later", str(day), "#eceff1",
            _t("later_tip").format(site=site_id, day=day), popup,
            _t("later_label").format(site=site_id, day=day)))


def _fixed_markers(ctx: PlanContext, page: Page) -> None:
    """Depots, landfills and transfer stations, with who unloads when."""
    unloads: dict[str, list[str]] = {}
    for vid, infos in ctx.visits.items():
        for info in infos:
            if info.visit.kind == "facility":
                unloads.setdefault(info.site_id, []).append(
                    _t("unload").format(
                        truck=_truck_link(vid), time=hhmm(info.visit.arrival_s),
                        tonnes=-info.visit.load_t))
    for site_id, row in ctx.sites.iterrows():
        kind = text(row.get("kind"))
        if kind not in SITE_ICONS:
            continue
        letter, colour = SITE_ICONS[kind]
        name = text(row.get("name"))
        popup = (f"<b>{_e(str(site_id))}</b> {_e(name)}<br>"
                 f"{_e(gettext(KIND_LABELS.get(kind, kind)))}")
        if unloads.get(site_id):
            popup += "<br>" + _t("unloads") + "<br>" + "<br>".join(unloads[site_id])
        page.markers.append(Marker("sites", (row.geometry.x, row.geometry.y), "site", letter,
                                   colour, f"{site_id} {name}".strip(), popup, letter))


def render_overview(ctx: PlanContext) -> folium.Map:
    """Build the overview map from a resolved plan context."""
    n_stops = sum(len(r.stops) for r in ctx.plan.routes)
    m = new_map(ctx.display_bounds(), title=f"{ctx.title} {ctx.date}", tiles=ctx.tiles,
                canvas=n_stops > CANVAS_STOPS)
    page = Page(m, ctx, _t("streets_layer"))
    many = len(ctx.plan.routes) > LONG_LAYER_LIST
    # at a city's size the lines need not be finer than half the first view's pixel
    page.tolerance_deg = max(ROUTE_TOLERANCE_DEG,
                             tolerance_for(ctx.display_bounds(), pixels=DESKTOP_PX) / 2)
    for route in ctx.plan.routes:
        vid, colour = route.vehicle_id, ctx.colours[route.vehicle_id]
        page.group(vid, truck_layer_name(vid, colour), colour=colour, weight=2 if many else 3)
        (s, w), (n, e) = ctx.display_bounds(vid)
        page.zoom_to[vid] = [[round(s, 5), round(w, 5)], [round(n, 5), round(e, 5)]]
        for trip in sorted({seg.trip for seg in ctx.segments[vid]}):
            segs = [seg for seg in ctx.segments[vid] if seg.trip == trip]
            km = sum(seg.length_m for seg in segs) / 1000.0
            tip = _t("trip_tip").format(truck=vid, trip=trip, km=km)
            for seg in segs:
                to_unload = route.visits[seg.to_index].kind == "facility"
                page.lines.append(Line(vid, vid, np.asarray(seg.coords), to_unload, tip))
    page.group("unassigned", _t("unassigned_layer").format(n=len(ctx.unassigned)))
    if ctx.scheduled:
        page.group("later", _t("later_layer"))
    page.group("sites", _t("sites_layer"))
    _served_markers(ctx, page)
    _unassigned_markers(ctx, page)
    if ctx.scheduled:
        _later_markers(ctx, page)
    _fixed_markers(ctx, page)
    page.panel("sn-summary", _summary_panel(ctx), position="bottomleft")
    page.panel("sn-legend", _legend(ctx), position="bottomright")
    fit = ctx.display_bounds()
    page.finish(streets=ctx.streets().all(tolerance_for(fit, pixels=DESKTOP_PX)),
                arrow_spacing=140 if many else 110, max_arrows=250 if many else 600, fit=fit,
                max_band_px=12 if many else 24, collapsed=True if many else None)
    return m


def overview_map(plan: Any, *, problem: Any, G: Any, snapped: Any, matrix: Any,
                 date: Any = None, title: str | None = None, tiles: Any = None,
                 scheduled: Any = None) -> folium.Map:
    """The dispatcher's map of a plan: one layer per truck, sites, unassigned work.

    Parameters
    ----------
    plan
        A ``routing.Plan``.
    problem
        The ``routing.Problem`` it solves (``location_names`` map matrix indices to sites).
    G
        The street graph (EPSG:4326), drawn faintly as an offline base layer.
    snapped
        All sites, from ``geodata.snap_sites``.
    matrix
        The ``geodata.TravelMatrix``; its ``path`` gives the street geometry.
    date, title
        Shown in the summary panel (date defaults to today).
    tiles
        Background tiles: a preset name, an XYZ template or a ``maps.TileSource``
        (``maps.tile_source``); default OpenStreetMap.
    scheduled
        Campaign days: work sites planned for later days, ``{site_id: day number}``.

    Returns
    -------
    folium.Map
        Render it with ``maps.render_html`` for a self-contained page.
    """
    ctx = build_context(plan, problem=problem, G=G, snapped=snapped, matrix=matrix, date=date,
                        title=title, tiles=tiles, scheduled=scheduled)
    return render_overview(ctx)
