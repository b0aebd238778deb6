"""A truck driver's page: the day's route with numbered stops and turn-by-turn directions.

One self-contained HTML page per used truck, made for a phone: the map on top and the
directions below on a narrow screen, side by side on a wide one. Stops are numbered in
driving order, unloading visits are ``U1``, ``U2``..., drives to the unloading site are
dashed; a legend says so. Each stop in the list gives its street, time window, tonnes,
"load k of n" for a split dump and links that open the phone's navigation app (``geo:``,
Amap, Baidu Maps). Only the streets around the route are embedded, which keeps a
40-stop page small enough for a weak signal.
"""

from __future__ import annotations

import html
import logging
from typing import Any

import folium
import numpy as np
from branca.element import Element

from i18n import N_, gettext
from maps._context import PlanContext, VisitInfo, build_context
from maps._directions import Step, directions
from maps._location import site_locations
from maps._navigate import NavLinks, navigate_links
from maps._offline import new_map
from maps._page import Line, Marker, Page, arrow_key, badge_key, legend_html, line_key
from maps._schedule import load_pieces, multi_stream, stream_of, visit_window
from maps._streets import tolerance_for
from maps._style import (
    FACILITY_COLOUR,
    KIND_LABELS,
    SITE_ICONS,
    fmt_distance,
    fmt_tonnes,
    hhmm,
    site_icon_html,
    stop_icon_html,
)

__all__ = ["driver_map", "render_driver", "visit_title"]

logger = logging.getLogger(__name__)

_e = html.escape

#: What happens at a visit, whole sentences (``{placeholders}`` filled per visit).
TEXTS = {
    "title_stop": N_("stop {stop} ({kind} {site}, {tonnes})"),
    "title_facility": N_("{kind} {name} ({site})"),
    "title_depot": N_("depot {name}"),
    "title_break": N_("break"),
    "arrive_stop": N_("Arrive at stop {stop} ({kind} {site}, {tonnes})"),
    "arrive_facility": N_("Unload {tonnes} at {kind} {name} ({site})"),
    "arrive_end": N_("Arrive back at depot {name}"),
    "arrive_other": N_("Arrive at {name}"),
    "leave": N_("Leave depot {name}"),
    "break": N_("Break {minutes} min"),
    "wait": N_("Wait until {time}."),
    "on_board": N_("Leave {time} with {tonnes} on board."),
    "window": N_("Time window {open}–{close}"),
    "hours": N_("Open {open}–{close}"),
    "load": N_("Load {k} of {n}"),
    "stream": N_("Waste stream: {stream}"),
    "nav_geo": N_("Navigate"),
    "nav_amap": N_("Amap"),
    "nav_baidu": N_("Baidu Maps"),
    "nav_title": N_("Open this place in a navigation app"),
    "back": N_("Overview of all trucks"),
    "heading": N_("Truck {truck} · {date}"),
    "summary": N_("{stops} stops · {km:.1f} km · {hours:.1f} h · {tonnes:.1f} t · {unloads} "
                  "unloads"),
    "in": N_("in {distance}"),
    "streets_layer": N_("Street network"),
    "leave_marker": N_("Leave {time}"),
    "back_marker": N_("Back {time}"),
    "eta_marker": N_("{what}: ETA {time}"),
    "to": N_("To {what}: {distance}"),
    "route_layer": N_("Truck {truck} route"),
    "stops_layer": N_("Stops"),
    "page_title": N_("Truck {truck} {date}"),
}

_SITE = N_("site")  # a visit whose site has no kind

#: CSS pixels across a phone's map: the first view the streets are simplified for.
PHONE_PX = 400

_DRIVER_CSS = """
html,body{height:100%;margin:0}
body{display:flex;flex-direction:row}
.folium-map{position:relative!important;flex:1 1 auto;width:auto!important;height:100%!important}
#sn-dir{order:2;flex:0 0 360px;height:100%;overflow:auto;box-sizing:border-box;padding:8px 10px;
font:14px/1.4 sans-serif;border-left:1px solid #ccc;background:#fff}
#sn-dir h1{font-size:17px;margin:2px 0 4px}
#sn-dir .sn-sum{color:#444;margin-bottom:6px}
#sn-dir .sn-back{font-size:13px}
#sn-dir ol{margin:0;padding:0;list-style:none}
.sn-visit{border-top:1px solid #e0e0e0;padding:6px 0}
.sn-head{display:flex;gap:7px;align-items:center;cursor:pointer;font-weight:bold}
.sn-head .sn-num,.sn-head .sn-site{flex:0 0 auto;height:22px;min-width:22px}
.sn-eta{margin-left:auto;font-weight:normal;color:#333;white-space:nowrap}
.sn-steps li{padding:2px 0 2px 30px;color:#222}
.sn-steps .sn-in{color:#666;font-size:12px;margin-right:5px}
.sn-note{padding-left:30px;color:#6d4c41;font-size:13px}
@media (max-width:700px){
 body{display:flex;flex-direction:column;height:auto}
 .folium-map{flex:0 0 auto;width:100%!important;height:62vh!important}
 #sn-dir{flex:0 0 auto;height:auto;overflow:visible;border-left:0;border-top:1px solid #ccc}
}
"""


def _t(key: str) -> str:
    """A text of ``TEXTS`` in the current language (``i18n.use``)."""
    return gettext(TEXTS[key])


def _kind(info: VisitInfo) -> str:
    return gettext(KIND_LABELS.get(info.kind, info.kind or _SITE))


def visit_title(info: VisitInfo) -> str:
    """What happens at a visit, e.g. ``"stop 3 (dead spot DS-12, 4.5 t)"``."""
    v = info.visit
    if v.kind == "stop":
        return _t("title_stop").format(stop=info.label, kind=_kind(info), site=info.site_id,
                                          tonnes=fmt_tonnes(v.load_t))
    if v.kind == "facility":
        return _t("title_facility").format(kind=_kind(info), name=info.name, site=info.site_id)
    if v.kind in ("start", "end"):
        return _t("title_depot").format(name=info.name)
    return _t("title_break")


def _arrive_text(info: VisitInfo) -> str:
    v = info.visit
    if v.kind == "stop":
        return _t("arrive_stop").format(stop=info.label, kind=_kind(info), site=info.site_id,
                                           tonnes=fmt_tonnes(v.load_t))
    if v.kind == "facility":
        return _t("arrive_facility").format(tonnes=fmt_tonnes(-v.load_t), kind=_kind(info),
                                               name=info.name, site=info.site_id)
    if v.kind == "end":
        return _t("arrive_end").format(name=info.name)
    return _t("arrive_other").format(name=info.name)


def _steps_html(steps: list[Step]) -> str:
    items = []
    for k, step in enumerate(steps):
        before = steps[k - 1].distance_text if k else ""
        lead = f'<span class="sn-in">{_e(_t("in").format(distance=before))}</span>' \
            if before else ""
        items.append(f"<li>{lead}{_e(step.instruction)}</li>")
    return f'<ol class="sn-steps">{"".join(items)}</ol>'


def _badge(info: VisitInfo, colour: str) -> str:
    if info.visit.kind == "stop":
        return stop_icon_html(info.label, colour)
    if info.visit.kind == "facility":
        return site_icon_html(info.kind, info.label)
    if info.visit.kind in ("start", "end"):
        return site_icon_html("depot")
    return stop_icon_html("B", "#607d8b")


def _facts(ctx: PlanContext, info: VisitInfo, where: str, piece: tuple[int, int] | None) -> str:
    v = info.visit
    opens, closes = visit_window(ctx, info)
    facts = [where]
    if opens is not None or closes is not None:
        key = "window" if v.kind == "stop" else "hours"
        facts.append(_t(key).format(open=hhmm(opens) or "…", close=hhmm(closes) or "…"))
    if v.kind == "stop":
        facts.append(fmt_tonnes(v.load_t))
        if piece is not None:
            facts.append(_t("load").format(k=piece[0], n=piece[1]))
        if multi_stream(ctx):
            facts.append(_t("stream").format(stream=stream_of(ctx, v)))
    return f'<div class="sn-facts">{_e(" · ".join(f for f in facts if f))}</div>'


def _nav_html(links: NavLinks) -> str:
    return (f'<div class="sn-nav" title="{_e(_t("nav_title"))}">'
            f'<a href="{_e(links.geo)}">{_e(_t("nav_geo"))}</a>'
            f'<a href="{_e(links.amap)}">{_e(_t("nav_amap"))}</a>'
            f'<a href="{_e(links.baidu)}">{_e(_t("nav_baidu"))}</a></div>')


def _visit_html(ctx: PlanContext, info: VisitInfo, colour: str, steps: list[Step] | None,
                where: str, piece: tuple[int, int] | None, links: NavLinks | None) -> str:
    v = info.visit
    if v.kind == "start":
        head = _t("leave").format(name=info.name)
        eta = hhmm(v.departure_s)
    elif v.kind == "break":
        head = _t("break").format(minutes=round((v.departure_s - v.start_s) / 60))
        eta = hhmm(v.start_s)
    else:
        head = _arrive_text(info)
        eta = hhmm(v.arrival_s)
    notes = []
    if v.kind in ("stop", "facility") and v.start_s > v.arrival_s + 59:
        notes.append(_t("wait").format(time=hhmm(v.start_s)))
    if v.kind in ("stop", "facility"):
        notes.append(_t("on_board").format(time=hhmm(v.departure_s),
                                              tonnes=fmt_tonnes(v.load_after_t)))
    lat, lon = info.lonlat[1], info.lonlat[0]
    facts = _facts(ctx, info, where, piece) if v.kind in ("stop", "facility") else ""
    nav = _nav_html(links) if links is not None else ""
    body = _steps_html(steps) if steps else ""
    note = f'<div class="sn-note">{_e(" ".join(notes))}</div>' if notes else ""
    return (
        f'<li class="sn-visit" data-kind="{v.kind}"><div class="sn-head" '
        f'data-ll="{lat:.5f},{lon:.5f}">{_badge(info, colour)}<span>{_e(head)}</span>'
        f'<span class="sn-eta">{eta}</span></div>{facts}{nav}{body}{note}</li>'
    )


def _legend(colour: str) -> str:
    items = [
        (line_key(colour), gettext("Your route while collecting")),
        (line_key(FACILITY_COLOUR, dashed=True), gettext("Full, driving to unload")),
        (arrow_key(colour), gettext("Driving direction")),
        (badge_key("sn-num", "3", colour), gettext("Stop, in driving order")),
        (badge_key("sn-site", "U1", SITE_ICONS["landfill"][1]), gettext("Unloading (U1, U2 …)")),
        (badge_key("sn-site", "D", SITE_ICONS["depot"][1]), gettext("Depot")),
        ('<div class="sn-cl" style="background:' + colour + '"><span>2·3</span></div>',
         gettext("Stops close together: tap to zoom in")),
        (line_key("#8a8a8a"), gettext("Street network (drawn without tiles too)")),
    ]
    return legend_html(items)


def _markers(ctx: PlanContext, page: Page, infos: list[VisitInfo], colour: str) -> None:
    """One marker per place, listing every visit there (split loads, repeated unloads)."""
    places: dict[str, list[VisitInfo]] = {}
    for info in infos:
        if info.visit.kind != "break":
            places.setdefault(info.site_id, []).append(info)

    def short(labels: list[str]) -> str:  # "U1,U2,...,U9" is too wide for a badge
        return ",".join(labels) if len(labels) <= 3 else f"{labels[0]}…{labels[-1]}"

    for site_id, here in places.items():
        first = here[0]
        labels = [i.label for i in here if i.visit.kind in ("stop", "facility")]
        if first.visit.kind in ("start", "end") and not labels:
            kind, label, badge_colour = "site", "D", SITE_ICONS["depot"][1]
        elif first.visit.kind == "facility":
            kind, label = "site", short(labels)
            badge_colour = SITE_ICONS.get(first.kind, SITE_ICONS["landfill"])[1]
        else:
            kind, label, badge_colour = "stop", short(labels), colour
        lines = [f"<b>{_e(site_id)}</b> {_e(first.name)}"]
        for i in here:
            v = i.visit
            if v.kind == "start":
                lines.append(_e(_t("leave_marker").format(time=hhmm(v.departure_s))))
            elif v.kind == "end":
                lines.append(_e(_t("back_marker").format(time=hhmm(v.arrival_s))))
            else:
                lines.append(_e(_t("eta_marker").format(what=_arrive_text(i),
                                                           time=hhmm(v.arrival_s))))
        tip = _t("eta_marker").format(what=",".join(labels) or "D",
                                         time=hhmm(first.visit.arrival_s))
        page.markers.append(Marker("stops", first.lonlat, kind, label, badge_colour, tip,
                                   "<br>".join(lines), label))


def _streets_near(ctx: PlanContext, vehicle_id: str, bounds: list[list[float]]
                  ) -> list[np.ndarray]:
    """The streets along the truck's route, as fine as a phone's first view shows them."""
    parts = [np.asarray(s.coords, dtype=float) for s in ctx.segments[vehicle_id]]
    parts += [np.array([i.lonlat]) for i in ctx.visits[vehicle_id]]
    xy = np.concatenate(parts)
    x, y = ctx.tiles.display(xy[:, 0], xy[:, 1])
    return ctx.streets().near(np.column_stack([x, y]),
                              tolerance_deg=tolerance_for(bounds, pixels=PHONE_PX))


def render_driver(ctx: PlanContext, vehicle_id: str) -> folium.Map:
    """Build one truck's driver map (with its directions panel) from a plan context."""
    route = ctx.route(vehicle_id)
    colour = ctx.colours[vehicle_id]
    infos = ctx.visits[vehicle_id]
    bounds = ctx.display_bounds(vehicle_id)
    m = new_map(bounds, title=_t("page_title").format(truck=vehicle_id, date=ctx.date),
                tiles=ctx.tiles)
    page = Page(m, ctx, _t("streets_layer"))
    page.group("route", _t("route_layer").format(truck=_e(vehicle_id)), colour=colour,
               weight=5, dash_colour=FACILITY_COLOUR)
    page.group("stops", _t("stops_layer"))
    seg_by_visit = {s.to_index: s for s in ctx.segments[vehicle_id]}
    for seg in ctx.segments[vehicle_id]:
        to_unload = route.visits[seg.to_index].kind == "facility"
        tip = _t("to").format(what=visit_title(infos[seg.to_index]),
                                 distance=fmt_distance(seg.length_m))
        page.lines.append(Line("route", (vehicle_id, to_unload), np.asarray(seg.coords),
                               to_unload, tip))
    _markers(ctx, page, infos, colour)
    page.panel("sn-legend", _legend(colour), position="bottomright")
    page.finish(streets=_streets_near(ctx, vehicle_id, bounds), arrow_spacing=80, fit=bounds,
                locate=True)
    where = {k: loc.text for k, loc in site_locations(ctx, {i.site_id for i in infos}).items()}
    pieces = load_pieces(ctx)
    nav_infos = [i for i in infos if i.visit.kind in ("stop", "facility")]
    links = dict(zip((i.index for i in nav_infos),
                     navigate_links([i.lonlat for i in nav_infos],
                                    [f"{i.label} {i.name}" for i in nav_infos]), strict=True))
    items = []
    for info in infos:
        seg = seg_by_visit.get(info.index)
        steps = directions(seg.legs, arrive=_arrive_text(info)) if seg and seg.legs else None
        items.append(_visit_html(ctx, info, colour, steps, where.get(info.site_id, ""),
                                 pieces.get(info.visit.id), links.get(info.index)))
    summary = _t("summary").format(stops=len(route.stops), km=route.distance_km,
                                      hours=route.duration_h, tonnes=route.tonnes,
                                      unloads=route.unload_trips)
    panel = (
        '<div id="sn-dir">'
        f'<a class="sn-back" href="index.html">&larr; {_e(_t("back"))}</a>'
        f"<h1>{_e(_t('heading').format(truck=vehicle_id, date=ctx.date))}</h1>"
        f'<div class="sn-sum">{_e(summary)}</div>'
        f"<ol>{''.join(items)}</ol></div>"
    )
    root = m.get_root()
    root.header.add_child(Element(f"<style>{_DRIVER_CSS}</style>"), name="sn_driver_css")
    root.html.add_child(Element(panel), name="sn_directions")
    return m


def driver_map(plan: Any, vehicle_id: str, *, problem: Any, G: Any, snapped: Any, matrix: Any,
               date: Any = None, title: str | None = None, tiles: Any = None) -> folium.Map:
    """One truck's driver map: numbered stops, direction arrows, turn-by-turn directions.

    Parameters
    ----------
    plan, problem, G, snapped, matrix
        As for :func:`maps.overview_map`.
    vehicle_id
        A truck with a route in ``plan``.
    date, title
        Shown in the page heading (date defaults to today).
    tiles
        Background tiles (``maps.tile_source``); default OpenStreetMap.

    Returns
    -------
    folium.Map
        Render it with ``maps.render_html`` for a self-contained page.

    Raises
    ------
    MapsError
        If the truck has no route in the plan.
    """
    ctx = build_context(plan, problem=problem, G=G, snapped=snapped, matrix=matrix, date=date,
                        title=title, tiles=tiles)
    return render_driver(ctx, vehicle_id)
