"""A truck driver's page: the day's route with numbered stops and turn-by-turn directions.

One self-contained HTML page per used truck, made for a phone: the map on top and the
directions below on a narrow screen, side by side on a wide one. Stops are numbered in
driving order, unloading visits are ``U1``, ``U2``..., drives to the unloading site are
dashed, a locate-me button shows where the driver is.
"""

from __future__ import annotations

import html
import logging
from typing import Any

import folium
from branca.element import Element, MacroElement
from jinja2 import Template

from maps._context import PlanContext, VisitInfo, build_context
from maps._directions import Step, directions
from maps._offline import (
    DirectionArrows,
    LocateControl,
    PlainPopup,
    base_network_layer,
    new_map,
    screen_coords,
)
from maps._style import (
    FACILITY_COLOUR,
    KIND_LABELS,
    fmt_distance,
    fmt_tonnes,
    hhmm,
    site_icon_html,
    stop_icon_html,
)

__all__ = ["driver_map", "render_driver", "visit_title"]

logger = logging.getLogger(__name__)

_e = html.escape

_DRIVER_CSS = """
html,body{height:100%;margin:0}
body{display:flex;flex-direction:row}
.folium-map{position:relative!important;flex:1 1 auto;width:auto!important;height:100%!important}
#sn-dir{order:2;flex:0 0 360px;height:100%;overflow:auto;box-sizing:border-box;padding:8px 10px;
font:14px/1.4 sans-serif;border-left:1px solid #ccc;background:#fff}
#sn-dir h1{font-size:17px;margin:2px 0 4px}
#sn-dir .sn-sum{color:#444;margin-bottom:6px}
#sn-dir ol{margin:0;padding:0;list-style:none}
.sn-visit{border-top:1px solid #e0e0e0;padding:6px 0}
.sn-head{display:flex;gap:7px;align-items:center;cursor:pointer;font-weight:bold}
.sn-head .sn-num,.sn-head .sn-site{flex:0 0 auto}
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

def visit_title(info: VisitInfo) -> str:
    """What happens at a visit, e.g. ``"stop 3 (dead spot DS-12, 4.5 t)"``."""
    v = info.visit
    kind = KIND_LABELS.get(info.kind, info.kind or "site")
    if v.kind == "stop":
        return f"stop {info.label} ({kind} {info.site_id}, {fmt_tonnes(v.load_t)})"
    if v.kind == "facility":
        return f"{kind} {info.name} ({info.site_id})"
    if v.kind in ("start", "end"):
        return f"depot {info.name}"
    return "break"

def _arrive_text(info: VisitInfo) -> str:
    v = info.visit
    if v.kind == "stop":
        return f"Arrive at {visit_title(info)}"
    if v.kind == "facility":
        return f"Unload {fmt_tonnes(-v.load_t)} at {visit_title(info)}"
    if v.kind == "end":
        return f"Arrive back at {visit_title(info)}"
    return f"Arrive at {info.name}"

def _steps_html(steps: list[Step]) -> str:
    items = []
    for k, step in enumerate(steps):
        before = steps[k - 1].distance_text if k else ""
        lead = f'<span class="sn-in">in {before}</span>' if before else ""
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

def _visit_html(info: VisitInfo, colour: str, steps: list[Step] | None) -> str:
    v = info.visit
    if v.kind == "start":
        head = f"Leave {visit_title(info)}"
        eta = hhmm(v.departure_s)
    elif v.kind == "break":
        head = f"Break {round((v.departure_s - v.start_s) / 60)} min"
        eta = hhmm(v.start_s)
    else:
        head = _arrive_text(info)[0].upper() + _arrive_text(info)[1:]
        eta = hhmm(v.arrival_s)
    notes = []
    if v.kind in ("stop", "facility") and v.start_s > v.arrival_s + 59:
        notes.append(f"wait until {hhmm(v.start_s)}")
    if v.kind in ("stop", "facility"):
        notes.append(f"leave {hhmm(v.departure_s)}, {v.load_after_t:.1f} t on board")
    lat, lon = info.lonlat[1], info.lonlat[0]
    body = _steps_html(steps) if steps else ""
    note = f'<div class="sn-note">{_e("; ".join(notes))}</div>' if notes else ""
    return (
        f'<li class="sn-visit"><div class="sn-head" data-ll="{lat:.5f},{lon:.5f}">'
        f'{_badge(info, colour)}<span>{_e(head)}</span><span class="sn-eta">{eta}</span></div>'
        f"{body}{note}</li>"
    )

class _PanelScript(MacroElement):
    """Click a visit in the directions to centre the map on it."""

    _template = Template(
        """{% macro script(this, kwargs) %}
document.querySelectorAll('#sn-dir [data-ll]').forEach(function (el) {
  el.addEventListener('click', function () {
    var ll = el.getAttribute('data-ll').split(',');
    {{ this._parent.get_name() }}.setView([+ll[0], +ll[1]], 17);
    if (window.innerWidth <= 700) window.scrollTo(0, 0);
  });
});
{% endmacro %}"""
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "PanelScript"

def render_driver(ctx: PlanContext, vehicle_id: str) -> folium.Map:
    """Build one truck's driver map (with its directions panel) from a plan context."""
    route = ctx.route(vehicle_id)
    colour = ctx.colours[vehicle_id]
    infos = ctx.visits[vehicle_id]
    m = new_map(ctx.bounds(vehicle_id), title=f"Truck {vehicle_id} {ctx.date}")
    base_network_layer(ctx.G).add_to(m)
    group = folium.FeatureGroup(name=f"Truck {_e(vehicle_id)} route", show=True)
    arrows = []
    seg_by_visit = {s.to_index: s for s in ctx.segments[vehicle_id]}
    for seg in ctx.segments[vehicle_id]:
        target = route.visits[seg.to_index]
        to_unload = target.kind == "facility"
        line = folium.PolyLine(
            screen_coords(seg.coords), color=FACILITY_COLOUR if to_unload else colour,
            weight=5, opacity=0.9, dash_array="10 7" if to_unload else None,
            tooltip=f"to {visit_title(infos[seg.to_index])}: {fmt_distance(seg.length_m)}",
        )
        line.add_to(group)
        arrows.append((line, group, FACILITY_COLOUR if to_unload else colour))
    group.add_to(m)
    # one marker per place, listing every visit there (split loads, repeated unloads)
    places: dict[str, list[VisitInfo]] = {}
    for info in infos:
        if info.visit.kind != "break":
            places.setdefault(info.site_id, []).append(info)
    markers = folium.FeatureGroup(name="Stops", show=True)

    def short(labels: list[str]) -> str:  # "U1,U2,...,U9" is too wide for a badge
        return ",".join(labels) if len(labels) <= 3 else f"{labels[0]}…{labels[-1]}"

    for site_id, here in places.items():
        first = here[0]
        labels = [i.label for i in here if i.visit.kind in ("stop", "facility")]
        if first.visit.kind in ("start", "end") and not labels:
            icon_html, size = site_icon_html("depot"), (28, 28)
        elif first.visit.kind == "facility":
            icon_html = site_icon_html(first.kind, short(labels))
            size = (28 + 14 * (min(len(labels), 3) - 1), 28)
        else:
            icon_html = stop_icon_html(short(labels), colour)
            size = (22 + 12 * (min(len(labels), 3) - 1), 22)
        lines = [f"<b>{_e(site_id)}</b> {_e(first.name)}"]
        for i in here:
            v = i.visit
            if v.kind == "start":
                lines.append(f"Leave {hhmm(v.departure_s)}")
            elif v.kind == "end":
                lines.append(f"Back {hhmm(v.arrival_s)}")
            else:
                lines.append(f"{_e(_arrive_text(i))}: ETA {hhmm(v.arrival_s)}")
        marker = folium.Marker(
            (first.lonlat[1], first.lonlat[0]),
            tooltip=f"{','.join(labels) or 'Depot'} ETA {hhmm(first.visit.arrival_s)}",
            icon=folium.DivIcon(html=icon_html, icon_size=size,
                                icon_anchor=(size[0] // 2, size[1] // 2), class_name="sn-icon"),
        )
        marker.add_child(PlainPopup("<br>".join(lines)))
        marker.add_to(markers)
    markers.add_to(m)
    m.add_child(DirectionArrows(arrows, spacing_px=80))
    m.add_child(LocateControl())
    folium.LayerControl(collapsed=True).add_to(m)
    items = []
    for info in infos:
        seg = seg_by_visit.get(info.index)
        steps = directions(seg.legs, arrive=_arrive_text(info)) if seg and seg.legs else None
        items.append(_visit_html(info, colour, steps))
    tonnes = route.tonnes
    panel = (
        '<div id="sn-dir">'
        f"<h1>Truck {_e(vehicle_id)} · {_e(ctx.date)}</h1>"
        f'<div class="sn-sum">{len(route.stops)} stops · {route.distance_km:.1f} km · '
        f"{route.duration_h:.1f} h · {tonnes:.1f} t · {route.unload_trips} unload"
        f"{'s' if route.unload_trips != 1 else ''}</div>"
        f"<ol>{''.join(items)}</ol></div>"
    )
    root = m.get_root()
    root.header.add_child(Element(f"<style>{_DRIVER_CSS}</style>"), name="sn_driver_css")
    root.html.add_child(Element(panel), name="sn_directions")
    m.add_child(_PanelScript())
    return m

def driver_map(plan: Any, vehicle_id: str, *, problem: Any, G: Any, snapped: Any, matrix: Any,
               date: Any = None, title: str | None = None) -> folium.Map:
    """One truck's driver map: numbered stops, direction arrows, turn-by-turn directions.

    Parameters
    ----------
    plan, problem, G, snapped, matrix
        As for :func:`maps.overview_map`.
    vehicle_id
        A truck with a route in ``plan``.
    date, title
        Shown in the page heading (date defaults to today).

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
                        title=title)
    return render_driver(ctx, vehicle_id)

